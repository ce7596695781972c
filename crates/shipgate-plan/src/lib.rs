//! Deployment plans: the `shipgate.toml` model, the Markdown plans teams
//! already write, suggestions of checks for their items, and coverage.
//!
//! This crate never reads an artifact: it says what evidence each gate asks
//! for, and leaves producing it to the rule engine, commands and probes.

pub mod coverage;
pub mod error;
pub mod load;
pub mod markdown;
pub mod model;
pub mod suggest;
pub mod text;

pub use error::{PlanError, PlanErrors};
pub use load::parse_toml;
pub use model::*;
