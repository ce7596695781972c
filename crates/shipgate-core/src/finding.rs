use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Category, Location, PathOrder, Severity, SourceSpan};

/// A stable identity for a finding, independent of its line number, so that a
/// baseline keeps matching when unrelated lines move.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct Fingerprint(pub String);

impl Fingerprint {
    /// Hashes the parts that identify a finding. `occurrence` separates findings
    /// that are otherwise identical (the same rule twice in one logical place).
    pub fn compute(rule: &str, path: &str, anchor: &str, occurrence: u32) -> Self {
        let mut hasher = Sha256::new();
        for part in [rule, path, anchor] {
            hasher.update(part.as_bytes());
            hasher.update([0u8]);
        }
        hasher.update(occurrence.to_le_bytes());
        let digest = hasher.finalize();
        let mut hex = String::with_capacity(32);
        for byte in &digest[..16] {
            hex.push_str(&format!("{byte:02x}"));
        }
        Fingerprint(hex)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A secondary location that explains a finding (the Service whose selector
/// matches nothing, the PDB that blocks a drain, the stage an alias refers to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

/// One thing a rule found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub category: Category,
    pub message: String,
    pub location: Location,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    /// A short, concrete suggestion for this occurrence (the rule's general
    /// remediation lives in its metadata).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Regions of the source that hold a secret: every renderer that shows
    /// source text masks them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redact: Vec<SourceSpan>,
    /// Filled in by the engine once every finding of a file is known.
    #[serde(default)]
    pub fingerprint: Fingerprint,
}

impl Finding {
    pub fn new(
        rule: impl Into<String>,
        severity: Severity,
        category: Category,
        message: impl Into<String>,
        location: Location,
    ) -> Self {
        Finding {
            rule: rule.into(),
            severity,
            category,
            message: message.into(),
            location,
            related: Vec::new(),
            help: None,
            redact: Vec::new(),
            fingerprint: Fingerprint::default(),
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_related(mut self, location: Location, message: impl Into<String>) -> Self {
        self.related.push(Related {
            location,
            message: message.into(),
        });
        self
    }

    /// In-place variants for rules that receive `&mut Finding` from a sink.
    pub fn set_help(&mut self, help: impl Into<String>) -> &mut Self {
        self.help = Some(help.into());
        self
    }

    pub fn add_related(&mut self, location: Location, message: impl Into<String>) -> &mut Self {
        self.related.push(Related {
            location,
            message: message.into(),
        });
        self
    }

    /// Marks a region of source as secret: renderers mask it wherever they show source.
    pub fn add_redaction(&mut self, span: SourceSpan) -> &mut Self {
        self.redact.push(span);
        self
    }

    /// The canonical order of findings: by file (in [`PathOrder`]), position,
    /// rule, then what differs between findings of one rule at one place (the
    /// same secret found in several commits differs only by commit).
    pub fn sort_key(&self) -> (PathOrder<'_>, u32, u32, &str, &str, &str, &str) {
        let (line, column) = self
            .location
            .span
            .map_or((0, 0), |s| (s.start.line, s.start.column));
        (
            PathOrder(&self.location.path),
            line,
            column,
            &self.rule,
            &self.message,
            &self.fingerprint.0,
            self.location
                .revision
                .as_ref()
                .map_or("", |r| r.commit.as_str()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_stable_and_separates_parts() {
        let a = Fingerprint::compute("k8s/x", "a.yaml", "Deployment/api", 0);
        assert_eq!(
            a,
            Fingerprint::compute("k8s/x", "a.yaml", "Deployment/api", 0)
        );
        assert_ne!(
            a,
            Fingerprint::compute("k8s/x", "a.yaml", "Deployment/api", 1)
        );
        // The separator keeps `ab`+`c` apart from `a`+`bc`.
        assert_ne!(
            Fingerprint::compute("k8s/x", "ab", "c", 0),
            Fingerprint::compute("k8s/x", "a", "bc", 0)
        );
        assert_eq!(a.0.len(), 32);
    }
}
