//! A plan's gates in every format: a section of their own in the terminal
//! and in JUnit, and as results of one `plan/gate` rule where a format only
//! knows results (SARIF, GitHub annotations).

use std::io;

use shipgate_core::{
    Category, Finding, Fingerprint, GateVerdict, Location, PlanVerdict, RuleSummary, Severity,
    SourceSpan, Verdict,
};

use crate::text::sanitize;

/// The rule that gate results are reported under.
pub(crate) const GATE_RULE: &str = "plan/gate";

pub(crate) fn gate_rule() -> RuleSummary {
    RuleSummary {
        id: GATE_RULE.to_owned(),
        title: "A gate of the plan did not pass".to_owned(),
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "A release plan's gate stands for evidence that a phase is done. A gate \
                    that failed, or whose checks could not run, is a box nobody may tick."
            .to_owned(),
        remediation: "Fix what the gate's checks report, allow its command checks with \
                      --allow-commands, or record the attestation a manual item asks for \
                      with `shipgate attest`."
            .to_owned(),
        references: Vec::new(),
        aliases: Vec::new(),
    }
}

/// Where the plan states a gate: `PLAN.md:12`, or the plan file itself.
fn gate_location(plan: &PlanVerdict, gate: &GateVerdict) -> Location {
    let mut location = match gate.source.as_deref().and_then(|s| s.rsplit_once(':')) {
        Some((path, line)) if line.parse::<u32>().is_ok_and(|l| l > 0) => {
            Location::at(path, SourceSpan::line(line.parse().unwrap_or(1)))
        }
        _ => Location::file(gate.source.clone().unwrap_or_else(|| plan.plan.clone())),
    };
    location.logical = gate.address.clone();
    location
}

/// What a gate that did not pass says, as a finding: an error for a
/// required gate that failed, a warning for an optional one, a note for a
/// gate not run. Passed gates yield none.
pub(crate) fn gate_findings(plan: &PlanVerdict) -> Vec<Finding> {
    plan.gates
        .iter()
        .filter(|gate| gate.verdict != Verdict::Pass)
        .map(|gate| {
            let severity = match (gate.verdict, gate.required) {
                (Verdict::Fail, true) => Severity::Error,
                (Verdict::Fail, false) => Severity::Warning,
                _ => Severity::Info,
            };
            let mut finding = Finding::new(
                GATE_RULE,
                severity,
                Category::Correctness,
                format!(
                    "gate `{}` ({}): {}",
                    gate.address,
                    gate.title,
                    gate.verdict.as_str()
                ),
                gate_location(plan, gate),
            );
            let reasons: Vec<String> = gate
                .checks
                .iter()
                .filter(|c| c.verdict != Verdict::Pass)
                .map(|c| format!("{} {}: {}", c.kind, c.verdict.as_str(), c.summary))
                .collect();
            if !reasons.is_empty() {
                finding.set_help(reasons.join("; "));
            }
            finding.fingerprint = Fingerprint::compute(GATE_RULE, &plan.plan, &gate.address, 0);
            finding
        })
        .collect()
}

/// The terminal's gate section: one line a gate, the reason under each
/// gate that did not pass, then the phases and any exposed risk.
pub(crate) fn write_human(plan: &PlanVerdict, out: &mut dyn io::Write) -> io::Result<()> {
    writeln!(out, "Plan {}:", sanitize(&plan.plan, false))?;
    let width = plan
        .gates
        .iter()
        .map(|g| g.address.chars().count())
        .max()
        .unwrap_or(0);
    for gate in &plan.gates {
        let optional = if gate.required { "" } else { " (optional)" };
        writeln!(
            out,
            "  {:<7} {:<width$}  {}{optional}",
            gate.verdict.as_str(),
            sanitize(&gate.address, false),
            sanitize(&gate.title, false),
        )?;
        if gate.verdict != Verdict::Pass {
            for check in gate.checks.iter().filter(|c| c.verdict != Verdict::Pass) {
                writeln!(
                    out,
                    "          {} {}: {}",
                    check.kind,
                    check.verdict.as_str(),
                    sanitize(&check.summary, false)
                )?;
            }
        }
    }
    let count = |verdict| plan.gates.iter().filter(|g| g.verdict == verdict).count();
    let phases: Vec<String> = plan
        .phases
        .iter()
        .map(|p| format!("{} {}", p.id, p.verdict.as_str()))
        .collect();
    writeln!(
        out,
        "Gates: {} passed, {} failed, {} blocked, {} skipped. Phases: {}.",
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::Blocked),
        count(Verdict::Skipped),
        phases.join(", ")
    )?;
    for exposure in &plan.exposures {
        writeln!(
            out,
            "Risk {} ({}) is exposed: {} did not pass.",
            sanitize(&exposure.risk, false),
            sanitize(&exposure.title, false),
            exposure.gates.join(", ")
        )?;
    }
    writeln!(out)
}
