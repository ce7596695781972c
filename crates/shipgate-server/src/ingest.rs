//! From an uploaded report to a run ready to be stored: checked, refused
//! when it carries a credential in clear, and normalised for queries.

use std::sync::OnceLock;

use regex::Regex;
use shipgate_core::{REPORT_SCHEMA, Report, Verdict};

use crate::store::{FindingRow, GateRow, NewRun};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Not a report of this format.
    Invalid(String),
    /// A credential in clear; the message never repeats it.
    Secret(String),
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejection::Invalid(why) => write!(f, "not a shipgate report: {why}"),
            Rejection::Secret(what) => write!(
                f,
                "the report holds what looks like a {what} in clear; reports from \
                 `shipgate check --format json` mask credentials, so this one was \
                 changed or made by another tool"
            ),
        }
    }
}

/// Shapes of credentials whose form alone gives them away. Reports of
/// `shipgate check` never show the source of a secret finding, only its
/// position, so none of these may appear anywhere in the text of a report.
/// This is a safety net, not a scanner: a credential without a recognisable
/// shape (a random password) is not caught here.
fn credential_shapes() -> &'static [(&'static str, Regex)] {
    static SHAPES: OnceLock<Vec<(&'static str, Regex)>> = OnceLock::new();
    SHAPES.get_or_init(|| {
        [
            (
                "private key",
                r"-----BEGIN [A-Z ]*PRIVATE KEY-----\s*[A-Za-z0-9+/=]{16}",
            ),
            ("AWS access key", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
            ("GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
            ("GitHub token", r"\bgithub_pat_[A-Za-z0-9_]{60,}"),
            ("GitLab token", r"\bglpat-[A-Za-z0-9_-]{20}\b"),
            ("Slack token", r"\bxox[baprs]-[A-Za-z0-9-]{10,}"),
            ("Stripe key", r"\b[sr]k_live_[A-Za-z0-9]{20,}"),
            ("Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
        ]
        .into_iter()
        .map(|(name, pattern)| (name, Regex::new(pattern).expect("valid pattern")))
        .collect()
    })
}

/// Parses and checks a report as uploaded.
pub fn parse(body: &[u8]) -> Result<Report, Rejection> {
    let text = std::str::from_utf8(body).map_err(|_| Rejection::Invalid("not UTF-8".into()))?;
    let report: Report =
        serde_json::from_str(text).map_err(|e| Rejection::Invalid(e.to_string()))?;
    if report.schema != REPORT_SCHEMA {
        return Err(Rejection::Invalid(format!(
            "schema `{}`, expected `{REPORT_SCHEMA}`",
            report.schema
        )));
    }
    for (name, shape) in credential_shapes() {
        if shape.is_match(text) {
            return Err(Rejection::Secret((*name).to_owned()));
        }
    }
    Ok(report)
}

/// What is stored of a report: itself, and its gates and findings as rows.
pub fn normalise(report: &Report, raw: String, received_at: i64) -> NewRun {
    let (verdict, level, blocker, gates, phases, commit) = match &report.plan {
        Some(plan) => {
            // The level reached: phases passed in the plan's order, up to
            // the first that did not pass.
            let level = plan
                .phases
                .iter()
                .take_while(|p| p.verdict == Verdict::Pass)
                .last()
                .map(|p| p.id.clone());
            let blocker = plan
                .gates
                .iter()
                .find(|g| g.required && g.verdict == Verdict::Fail)
                .or_else(|| plan.gates.iter().find(|g| g.verdict != Verdict::Pass))
                .map(|g| g.address.clone());
            let gates: Vec<GateRow> = plan
                .gates
                .iter()
                .map(|g| GateRow {
                    address: g.address.clone(),
                    phase: g.phase.clone(),
                    title: g.title.clone(),
                    required: i64::from(g.required),
                    verdict: g.verdict.as_str().to_owned(),
                })
                .collect();
            let phases = serde_json::Value::Array(
                plan.phases
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "id": p.id, "title": p.title, "verdict": p.verdict.as_str()
                        })
                    })
                    .collect(),
            );
            let commit = plan
                .gates
                .iter()
                .flat_map(|g| &g.checks)
                .find_map(|c| c.evidence.commit.clone());
            (
                plan.verdict.as_str().to_owned(),
                level,
                blocker,
                gates,
                phases.to_string(),
                commit,
            )
        }
        None => {
            let failed = report.summary.errors + report.summary.warnings > 0;
            let verdict = if failed { Verdict::Fail } else { Verdict::Pass };
            (
                verdict.as_str().to_owned(),
                None,
                None,
                Vec::new(),
                "[]".to_owned(),
                None,
            )
        }
    };
    let findings = report
        .findings
        .iter()
        .map(|f| FindingRow {
            rule: f.rule.clone(),
            severity: f.severity.as_str().to_owned(),
            path: f.location.path.clone(),
            line: f.location.span.map(|s| i64::from(s.start.line)),
            fingerprint: f.fingerprint.0.clone(),
            message: f.message.clone(),
        })
        .collect();
    let gates_passed = gates.iter().filter(|g| g.verdict == "pass").count() as i64;
    NewRun {
        received_at,
        commit_sha: commit,
        verdict,
        level,
        blocker,
        gates_total: gates.len() as i64,
        gates_passed,
        errors: report.summary.errors as i64,
        warnings: report.summary.warnings as i64,
        infos: report.summary.infos as i64,
        tool_version: report.tool.version.clone(),
        phases,
        report: raw,
        gates,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report_with(message: &str) -> Vec<u8> {
        let mut report = Report::new(vec![".".into()]);
        report.findings.push(shipgate_core::Finding::new(
            "secrets/x",
            shipgate_core::Severity::Error,
            shipgate_core::Category::Security,
            message,
            shipgate_core::Location::file("a.env"),
        ));
        serde_json::to_vec(&report).unwrap()
    }

    #[test]
    fn a_masked_report_is_taken_and_one_in_clear_is_not() {
        assert!(parse(&report_with("an AWS access key (AKIA…)")).is_ok());
        let key = format!("AKIA{}", "Q".repeat(16));
        let err = parse(&report_with(&format!("key {key}"))).unwrap_err();
        assert_eq!(err, Rejection::Secret("AWS access key".into()));
        assert!(!err.to_string().contains(&key));
    }

    #[test]
    fn other_documents_are_refused() {
        assert!(matches!(parse(b"{}"), Err(Rejection::Invalid(_))));
        let mut report: serde_json::Value = serde_json::from_slice(&report_with("m")).unwrap();
        report["schema"] = "shipgate.report/v0".into();
        let err = parse(report.to_string().as_bytes()).unwrap_err();
        assert!(err.to_string().contains("v0"), "{err}");
    }
}
