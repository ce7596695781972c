//! Baselines: the findings a team has accepted for now, so that a check
//! reports only what is new. Only fingerprints, rules and paths are stored —
//! never a message or a snippet, which could carry a secret.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use shipgate_core::ReportView;

pub const BASELINE_SCHEMA: &str = "shipgate.baseline/v1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub schema: String,
    pub findings: Vec<BaselineEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub rule: String,
    pub path: String,
}

impl Baseline {
    /// Every finding of a report, sorted so the file diffs cleanly. Fails
    /// only when the findings are read from disk and that fails.
    pub fn from_view(report: &dyn ReportView) -> std::io::Result<Self> {
        let mut findings: Vec<BaselineEntry> = Vec::new();
        report.each_finding(&mut |f| {
            findings.push(BaselineEntry {
                fingerprint: f.fingerprint.0.clone(),
                rule: f.rule.clone(),
                path: f.location.path.clone(),
            });
            Ok(())
        })?;
        findings.sort_by(|a, b| {
            (&a.path, &a.rule, &a.fingerprint).cmp(&(&b.path, &b.rule, &b.fingerprint))
        });
        Ok(Baseline {
            schema: BASELINE_SCHEMA.to_owned(),
            findings,
        })
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let baseline: Baseline =
            serde_json::from_str(text).map_err(|e| format!("not a shipgate baseline: {e}"))?;
        if baseline.schema != BASELINE_SCHEMA {
            return Err(format!(
                "baseline schema `{}` is not supported (expected `{BASELINE_SCHEMA}`)",
                baseline.schema
            ));
        }
        Ok(baseline)
    }

    pub fn fingerprints(&self) -> HashSet<String> {
        self.findings
            .iter()
            .map(|f| f.fingerprint.clone())
            .collect()
    }
}
