//! Generators of deployment artifacts.
//!
//! [`kubernetes`] turns a Compose file into a hardened Kubernetes kit: a
//! Kustomize base, components and one overlay per environment, and, when
//! asked, a Helm chart with the same content. The kit is returned as an
//! ordered map of relative paths to bytes, so the same input always gives
//! byte-identical output and the caller decides where it is written.

mod compose;
mod helm;
mod kit;
mod monitoring;
mod notes;
pub mod yaml;

use std::collections::BTreeMap;
use std::fmt;

pub use compose::{App, Service};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    /// Environments, one overlay (and one Helm values file) each.
    pub envs: Vec<String>,
    /// Compose services to expose through an Ingress, in addition to those
    /// the Compose file marks public.
    pub public: Vec<String>,
    /// Write a Helm chart under `chart/` too.
    pub helm: bool,
    /// The domain Ingress hosts are made from: `SERVICE.ENV.DOMAIN`, and
    /// `SERVICE.DOMAIN` in `prod`.
    pub domain: String,
    /// The path the Compose file is reported under in diagnostics.
    pub source: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            envs: vec!["dev".into(), "staging".into(), "prod".into()],
            public: Vec::new(),
            helm: false,
            domain: "example.com".into(),
            source: "compose.yaml".into(),
        }
    }
}

/// The generated files, by path relative to the output folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Kit {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Kit {
    fn add(&mut self, path: impl Into<String>, text: impl Into<String>) {
        self.files.insert(path.into(), text.into().into_bytes());
    }

    pub fn text(&self, path: &str) -> Option<&str> {
        self.files
            .get(path)
            .and_then(|b| std::str::from_utf8(b).ok())
    }
}

/// Why a kit could not be generated, at the position in the Compose file
/// that decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for Diagnostic {}

/// Generates the kit for the Compose file `text`. `read` returns the
/// content of a file the Compose file names (a config, a bind-mounted file),
/// by the path as written there, relative to the Compose file's folder.
pub fn kubernetes(
    text: &str,
    options: &Options,
    read: &dyn Fn(&str) -> Option<String>,
) -> Result<Kit, Diagnostic> {
    let app = compose::read(text, options, read)?;
    let mut kit = Kit::default();
    kit::write(&app, options, &mut kit);
    monitoring::write(&app, &mut kit);
    if options.helm {
        helm::write(&app, options, &mut kit);
    }
    kit.add("NOTES.md", notes::render(&app, options));
    Ok(kit)
}

#[cfg(test)]
mod tests;
