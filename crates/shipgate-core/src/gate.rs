//! The verdicts of a plan's gates, and the evidence each rests on.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a check, a gate, a phase or a whole plan came to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    /// Not run, and so not passed: a command check without
    /// `--allow-commands`, a live probe without a target.
    Skipped,
    /// Not run because a phase it needs did not pass.
    Blocked,
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Skipped => "skipped",
            Verdict::Blocked => "blocked",
            Verdict::Fail => "fail",
        }
    }

    /// The verdict of a whole made of parts: the worst part's, and a pass
    /// when there are none.
    pub fn combine(parts: impl IntoIterator<Item = Verdict>) -> Verdict {
        parts.into_iter().max().unwrap_or(Verdict::Pass)
    }
}

/// What a verdict can be re-verified against: the same commit, tool and
/// check definition give the same inputs and so the same verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    /// The repository's commit when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    pub tool_version: String,
    /// SHA-256 of the check as written in the plan.
    pub definition: String,
    /// SHA-256 of what the verdict was computed from: the fingerprints of
    /// the findings counted, a command's output, a file's content, an
    /// attestation record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<String>,
    /// When the check ran, RFC 3339.
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CheckVerdict {
    pub id: String,
    /// `rules`, `command`, `file`, `probe` or `attestation`.
    pub kind: String,
    pub verdict: Verdict,
    /// One line for a person: what was found, or why it was not run.
    pub summary: String,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GateVerdict {
    /// `phase/gate`.
    pub address: String,
    pub phase: String,
    pub title: String,
    pub required: bool,
    pub verdict: Verdict,
    /// Where the plan states the gate (`PLAN.md:12`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub checks: Vec<CheckVerdict>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PhaseVerdict {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
    pub verdict: Verdict,
}

/// A risk whose mitigating gates did not all pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Exposure {
    pub risk: String,
    pub title: String,
    /// The mitigating gates that did not pass.
    pub gates: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanVerdict {
    /// The plan file, or `default` for the built-in plan.
    pub plan: String,
    pub verdict: Verdict,
    pub phases: Vec<PhaseVerdict>,
    pub gates: Vec<GateVerdict>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exposures: Vec<Exposure>,
}

impl PlanVerdict {
    /// Whether a required gate failed: what makes `check --plan` exit 1.
    pub fn failed(&self) -> bool {
        self.gates
            .iter()
            .any(|g| g.required && g.verdict == Verdict::Fail)
    }
}
