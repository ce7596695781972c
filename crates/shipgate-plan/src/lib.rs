//! Deployment plans: the `shipgate.toml` model, the Markdown plans teams
//! already write, suggestions of checks for their items, and coverage.
//!
//! This crate never reads an artifact: it says what evidence each gate asks
//! for, and leaves producing it to the rule engine, commands and probes.

pub mod coverage;
pub mod default;
pub mod error;
pub mod import;
pub mod load;
pub mod markdown;
pub mod model;
pub mod suggest;
pub mod text;

pub use default::{default_plan, default_plan_toml};
pub use error::{PlanError, PlanErrors};
pub use load::parse_toml;
pub use model::*;

use std::path::Path;

/// A plan as loaded: the model, and the Markdown it came from when it did.
#[derive(Debug, Clone)]
pub struct LoadedPlan {
    pub plan: Plan,
    pub markdown: Option<markdown::MarkdownPlan>,
}

/// Reads a plan: `*.toml` as `shipgate.toml`, any other file as Markdown,
/// whatever its extension. A Markdown plan's unbound items are attestations.
pub fn load_text(text: &str, origin: &str) -> Result<LoadedPlan, PlanErrors> {
    if origin.to_ascii_lowercase().ends_with(".toml") {
        return Ok(LoadedPlan {
            plan: parse_toml(text, origin)?,
            markdown: None,
        });
    }
    let markdown = markdown::parse(text, origin);
    let options = import::ImportOptions {
        origin: origin.to_owned(),
        accept_suggestions: false,
    };
    Ok(LoadedPlan {
        plan: import::import(&markdown, &options)?,
        markdown: Some(markdown),
    })
}

/// Reads the plan at `path`; see [`load_text`].
pub fn load_path(path: &Path) -> Result<LoadedPlan, PlanErrors> {
    let origin = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        PlanErrors(vec![PlanError {
            origin: origin.clone(),
            position: None,
            message: format!("cannot read the plan: {e}"),
        }])
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        PlanErrors(vec![PlanError {
            origin: origin.clone(),
            position: None,
            message: "the plan is not UTF-8 text".into(),
        }])
    })?;
    load_text(&text, &origin)
}
