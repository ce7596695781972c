//! What a probe saw: a verdict, the values measured, and the evidence that
//! lets someone else check the verdict.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The schema name of the JSON report of a probe run.
pub const PROBE_REPORT_SCHEMA: &str = "shipgate.probe-report/v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every check held.
    Pass,
    /// The service answered, and some check did not hold.
    Fail,
    /// No verdict: the probe could not run as configured (a missing
    /// environment variable, a missing tool, an unknown target).
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Error => "error",
        }
    }
}

/// One expectation of a probe and what was found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub name: String,
    pub passed: bool,
    pub expected: String,
    pub actual: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// The probe's name in the plan.
    pub name: String,
    pub kind: String,
    /// The target's name, when the probe used one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Where the probe went, with any password in it removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub outcome: Outcome,
    /// One line for a person.
    pub summary: String,
    pub checks: Vec<CheckResult>,
    /// Measured values, each key ending in its unit (`latency_ms`).
    pub measurements: BTreeMap<String, serde_json::Value>,
    /// What was sent and received, with secrets redacted.
    pub evidence: serde_json::Value,
    /// Wall-clock time of the whole probe.
    pub duration_ms: f64,
    /// Seconds since the Unix epoch when the probe started.
    pub started_at: u64,
}

impl Observation {
    /// A probe that could not run because its configuration is wrong.
    pub fn misconfigured(name: &str, kind: &str, why: String) -> Self {
        Observation {
            name: name.to_owned(),
            kind: kind.to_owned(),
            target: None,
            url: None,
            outcome: Outcome::Error,
            summary: why,
            checks: Vec::new(),
            measurements: BTreeMap::new(),
            evidence: serde_json::Value::Null,
            duration_ms: 0.0,
            started_at: 0,
        }
    }

    pub fn failed_checks(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(|c| !c.passed)
    }
}

/// Collects a probe's checks, measurements and evidence as it runs.
#[derive(Debug, Default)]
pub struct Recorder {
    pub checks: Vec<CheckResult>,
    pub measurements: BTreeMap<String, serde_json::Value>,
    pub evidence: serde_json::Map<String, serde_json::Value>,
}

impl Recorder {
    pub fn check(
        &mut self,
        name: impl Into<String>,
        passed: bool,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> bool {
        self.checks.push(CheckResult {
            name: name.into(),
            passed,
            expected: expected.into(),
            actual: actual.into(),
        });
        passed
    }

    pub fn measure(&mut self, key: &str, value: impl Into<serde_json::Value>) {
        self.measurements.insert(key.to_owned(), value.into());
    }

    pub fn evidence(&mut self, key: &str, value: impl Into<serde_json::Value>) {
        self.evidence.insert(key.to_owned(), value.into());
    }

    pub fn all_passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }
}

/// The observations of one run, as `shipgate probe --format json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeReport {
    pub schema: String,
    pub tool: ToolVersion,
    pub observations: Vec<Observation>,
    pub summary: ProbeSummary,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolVersion {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeSummary {
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
}

impl ProbeReport {
    pub fn new(observations: Vec<Observation>) -> Self {
        let mut summary = ProbeSummary::default();
        for o in &observations {
            match o.outcome {
                Outcome::Pass => summary.pass += 1,
                Outcome::Fail => summary.fail += 1,
                Outcome::Error => summary.error += 1,
            }
        }
        ProbeReport {
            schema: PROBE_REPORT_SCHEMA.into(),
            tool: ToolVersion {
                name: "shipgate".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            observations,
            summary,
        }
    }
}
