//! The vocabulary every shipgate crate speaks.
//!
//! Nothing here parses or renders: these are the types that flow from discovery
//! through the rule packs to the renderers, so that a renderer never needs to know
//! a rule and a rule never needs to know a renderer.

pub mod finding;
pub mod gate;
pub mod location;
pub mod report;
pub mod rule;
pub mod severity;

pub use finding::{Finding, Fingerprint, Related};
pub use gate::{CheckVerdict, Evidence, Exposure, GateVerdict, PhaseVerdict, PlanVerdict, Verdict};
pub use location::{Location, PathOrder, Position, Revision, SourceSpan};
pub use report::{
    FileStats, REPORT_SCHEMA, Report, ReportView, RuleSummary, Summary, SuppressedFinding,
};
pub use rule::{Alias, Category, Example, RuleMeta, Tool};
pub use severity::Severity;

/// The version of this build, recorded in every report so a verdict can be re-verified.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
