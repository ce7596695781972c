//! The static rule packs and the engine that runs them.
//!
//! The engine is pure: it is handed a file's path and text and returns what it
//! found. Reading the disk belongs to the caller, so the same engine serves a
//! tree walk, standard input and the tests.

pub mod artifact;
pub mod baseline;
pub mod compose;
mod credentials;
pub mod docker;
pub mod engine;
pub mod helm;
pub mod k8s;
pub mod kustomize;
pub mod meta;
pub mod registry;
pub mod repo;
pub mod secrets;
pub mod sink;
pub mod suppress;
pub mod workflows;

pub use artifact::ArtifactKind;
pub use engine::{
    Assembled, Engine, EngineConfig, FileOutcome, HeldSummaries, OBJECTS_PER_PIECE, ReportBuilder,
    Settled, SummaryGroup, SummaryPlace, SummaryStore,
};
pub use registry::{Check, RuleDef, registry};
