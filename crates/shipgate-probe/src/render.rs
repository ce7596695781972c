//! A probe report for people and for machines.

use std::fmt::Write as _;

use serde_json::Value;

use crate::observation::{Outcome, ProbeReport};

/// JSON, as `shipgate probe --format json` prints it.
pub fn json(report: &ProbeReport) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
        + "\n"
}

/// Text for a terminal: one line per probe, and for each probe that did not
/// pass, the checks that failed and the evidence.
pub fn human(report: &ProbeReport) -> String {
    let mut out = String::new();
    for o in &report.observations {
        let label = match o.outcome {
            Outcome::Pass => "PASS ",
            Outcome::Fail => "FAIL ",
            Outcome::Error => "ERROR",
        };
        let place = match (&o.target, &o.url) {
            (Some(t), Some(u)) => format!("{t} {u}"),
            (None, Some(u)) => u.clone(),
            (Some(t), None) => t.clone(),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "{label} {} [{}] {place} ({:.0} ms)",
            o.name, o.kind, o.duration_ms
        );
        let measured: Vec<String> = o
            .measurements
            .iter()
            .filter(|(_, v)| !v.is_array() && !v.is_object())
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect();
        if !measured.is_empty() {
            let _ = writeln!(out, "      {}", measured.join("  "));
        }
        match o.outcome {
            Outcome::Pass => {}
            Outcome::Error => {
                let _ = writeln!(out, "      error: {}", o.summary);
            }
            Outcome::Fail => {
                for c in o.failed_checks() {
                    let _ = writeln!(
                        out,
                        "      ✗ {}: expected {}, got {}",
                        c.name, c.expected, c.actual
                    );
                }
                let _ = writeln!(out, "      evidence:");
                let mut shown = o.evidence.clone();
                shorten(&mut shown);
                let text = serde_json::to_string_pretty(&shown).unwrap_or_default();
                for line in text.lines().take(EVIDENCE_LINES) {
                    let _ = writeln!(out, "        {line}");
                }
                let total = text.lines().count();
                if total > EVIDENCE_LINES {
                    let _ = writeln!(
                        out,
                        "        … {} more lines (--format json shows everything)",
                        total - EVIDENCE_LINES
                    );
                }
            }
        }
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "probes: {} pass, {} fail, {} error",
        s.pass, s.fail, s.error
    );
    out
}

const EVIDENCE_LINES: usize = 80;

/// Long strings (bodies, histograms) cut for a terminal.
fn shorten(value: &mut Value) {
    match value {
        Value::String(s) if s.chars().count() > 160 => {
            let cut: String = s.chars().take(160).collect();
            *s = format!("{cut}…");
        }
        Value::Array(items) => items.iter_mut().for_each(shorten),
        Value::Object(map) => map.values_mut().for_each(shorten),
        _ => {}
    }
}
