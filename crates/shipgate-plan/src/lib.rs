//! Deployment plans: the `shipgate.toml` model, the Markdown plans teams
//! already write, suggestions of checks for their items, and coverage.
//!
//! This crate never reads an artifact: it says what evidence each gate asks
//! for, and leaves producing it to the rule engine, commands and probes.

pub mod attest;
pub mod coverage;
pub mod default;
pub mod error;
pub mod evaluate;
pub mod evidence;
pub mod import;
pub mod init;
pub mod load;
pub mod markdown;
pub mod model;
pub mod suggest;
pub mod sync;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_toml_by_its_extension_and_anything_else_as_markdown() {
        let toml = load_text(&default_plan_toml(), "shipgate.toml").expect("toml");
        assert!(toml.markdown.is_none());
        assert_eq!(toml.plan, default_plan());

        let markdown =
            load_text("# Go-live\n\n## Tasks\n- [ ] Celebrate\n", "PLAN.txt").expect("md");
        let items = markdown.markdown.expect("kept").items;
        assert_eq!(items.len(), 1);
        let (address, _, gate) = markdown.plan.gates().next().expect("a gate");
        assert_eq!(address, "tasks/celebrate");
        assert_eq!(gate.source.as_deref(), Some("PLAN.txt:4"));
        assert!(gate.checks.iter().all(|c| !c.kind.is_automated()));

        let error = load_text("[[phase]]\nid = \"a\"\nneeds = [\"a\"]\n", "bad.toml").unwrap_err();
        assert!(error.to_string().starts_with("bad.toml:"), "{error}");
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let error = load_path(Path::new("/nonexistent/plan.md")).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("/nonexistent/plan.md: cannot read the plan")
        );
    }
}
