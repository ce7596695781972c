use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Severity;

/// What a rule protects. Used for grouping in reports and for `--select category:...`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Security,
    Reliability,
    Efficiency,
    Operability,
    Compliance,
    /// Input that could not be read or parsed: the artifact itself is broken.
    Correctness,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Security => "security",
            Category::Reliability => "reliability",
            Category::Efficiency => "efficiency",
            Category::Operability => "operability",
            Category::Compliance => "compliance",
            Category::Correctness => "correctness",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A peer tool whose rule ids we map to ours, so teams can migrate their
/// suppressions and their muscle memory.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Tool {
    Polaris,
    KubeScore,
    KubeLinter,
    Checkov,
    Hadolint,
    Trivy,
}

impl Tool {
    pub fn as_str(self) -> &'static str {
        match self {
            Tool::Polaris => "polaris",
            Tool::KubeScore => "kube-score",
            Tool::KubeLinter => "kube-linter",
            Tool::Checkov => "checkov",
            Tool::Hadolint => "hadolint",
            Tool::Trivy => "trivy",
        }
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Tool {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "polaris" => Tool::Polaris,
            "kube-score" => Tool::KubeScore,
            "kube-linter" => Tool::KubeLinter,
            "checkov" => Tool::Checkov,
            "hadolint" => Tool::Hadolint,
            "trivy" => Tool::Trivy,
            other => return Err(format!("unknown tool `{other}`")),
        })
    }
}

/// The id of an equivalent check in a peer tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, JsonSchema)]
pub struct Alias {
    pub tool: Tool,
    pub id: &'static str,
}

impl Alias {
    pub const fn new(tool: Tool, id: &'static str) -> Self {
        Alias { tool, id }
    }
}

/// A small, complete input that demonstrates a rule. The test suite runs every
/// rule's examples: the failing one must raise the rule, the passing one must not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Example {
    /// File name the example is checked under; it decides how the content is classified.
    pub file: &'static str,
    pub content: &'static str,
}

/// Everything a rule declares about itself. Documentation under `docs/rules/`
/// and `shipgate explain` are generated from this, never written by hand.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RuleMeta {
    /// `pack/kebab-name`. Never changes once released.
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub category: Category,
    /// Why it matters, in two to four sentences.
    pub rationale: &'static str,
    /// Remediation, with a snippet where one helps.
    pub remediation: &'static str,
    pub references: &'static [&'static str],
    pub aliases: &'static [Alias],
    /// Rules that encode an opinion reasonable teams disagree on are off unless selected.
    pub enabled_by_default: bool,
    pub failing: Example,
    pub passing: Example,
}

impl RuleMeta {
    pub fn pack(&self) -> &'static str {
        self.id.split_once('/').map_or(self.id, |(pack, _)| pack)
    }

    /// Whether `name` (a peer's id, matched case-insensitively) is one of our aliases,
    /// optionally restricted to one tool.
    pub fn has_alias(&self, tool: Option<Tool>, name: &str) -> bool {
        self.aliases
            .iter()
            .any(|a| tool.is_none_or(|t| t == a.tool) && a.id.eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const META: RuleMeta = RuleMeta {
        id: "k8s/example",
        title: "An example",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "",
        remediation: "",
        references: &[],
        aliases: &[Alias::new(Tool::Checkov, "CKV_K8S_1")],
        enabled_by_default: true,
        failing: Example {
            file: "a.yaml",
            content: "",
        },
        passing: Example {
            file: "a.yaml",
            content: "",
        },
    };

    #[test]
    fn pack_is_the_id_prefix() {
        assert_eq!(META.pack(), "k8s");
    }

    #[test]
    fn aliases_match_case_insensitively_and_by_tool() {
        assert!(META.has_alias(None, "ckv_k8s_1"));
        assert!(META.has_alias(Some(Tool::Checkov), "CKV_K8S_1"));
        assert!(!META.has_alias(Some(Tool::Polaris), "CKV_K8S_1"));
    }
}
