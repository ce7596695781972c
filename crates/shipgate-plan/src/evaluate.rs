//! Evaluating a plan: phases in dependency order, independent phases side
//! by side, each gate a verdict over the evidence of its checks.

use sha2::{Digest, Sha256};
use shipgate_core::{
    CheckVerdict, Evidence, Exposure, GateVerdict, PhaseVerdict, PlanVerdict, TOOL_VERSION, Verdict,
};

use crate::model::{Check, Phase, Plan};

/// What running one check gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub verdict: Verdict,
    pub summary: String,
    /// SHA-256 of what the verdict was computed from.
    pub inputs: Option<String>,
}

impl Outcome {
    pub fn new(verdict: Verdict, summary: impl Into<String>) -> Self {
        Outcome {
            verdict,
            summary: summary.into(),
            inputs: None,
        }
    }

    pub fn with_inputs(mut self, digest: String) -> Self {
        self.inputs = Some(digest);
        self
    }
}

/// Produces the evidence of checks. Called from several threads at once:
/// the phases of one wave run side by side.
pub trait Checker: Sync {
    /// Runs `check`, the check `check_id` of the gate at `address`.
    fn run(&self, address: &str, check_id: &str, check: &Check) -> Outcome;
}

/// What every verdict of one evaluation shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The plan's file, or `default`.
    pub origin: String,
    pub commit: Option<String>,
    /// RFC 3339.
    pub at: String,
}

/// SHA-256 in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// Evaluates every gate of `plan`. A phase a failed phase `needs` is
/// blocked: its checks are not run.
pub fn evaluate(plan: &Plan, checker: &dyn Checker, run: &Run) -> PlanVerdict {
    let mut phases: Vec<PhaseVerdict> = Vec::new();
    let mut gates: Vec<GateVerdict> = Vec::new();
    for wave in plan.waves() {
        let blocked: Vec<Option<String>> =
            wave.iter()
                .map(|phase| {
                    phase
                        .needs
                        .iter()
                        // A need that was skipped (a command not allowed) does
                        // not block: what follows still runs, and the plan's
                        // verdict still says something was not checked.
                        .find(|need| {
                            phases.iter().find(|p| &p.id == *need).is_none_or(|p| {
                                matches!(p.verdict, Verdict::Fail | Verdict::Blocked)
                            })
                        })
                        .cloned()
                })
                .collect();
        let results: Vec<(PhaseVerdict, Vec<GateVerdict>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = wave
                .iter()
                .zip(&blocked)
                .map(|(phase, blocker)| {
                    scope.spawn(move || evaluate_phase(phase, blocker.as_deref(), checker, run))
                })
                .collect();
            handles
                .into_iter()
                .zip(&wave)
                .map(|(handle, phase)| {
                    // A checker that panicked leaves its phase failed, with
                    // the other phases' verdicts intact.
                    handle.join().unwrap_or_else(|_| failed_phase(phase))
                })
                .collect()
        });
        for (phase, phase_gates) in results {
            phases.push(phase);
            gates.extend(phase_gates);
        }
    }
    // Phases left out of every wave need an unknown phase or sit in a
    // cycle; the plan's validation reports why, here they are blocked.
    for phase in &plan.phases {
        if !phases.iter().any(|p| p.id == phase.id) {
            let (verdict, phase_gates) =
                evaluate_phase(phase, Some("an unknown or circular phase"), checker, run);
            phases.push(verdict);
            gates.extend(phase_gates);
        }
    }
    let exposures = plan
        .risks
        .iter()
        .filter_map(|risk| {
            let open: Vec<String> = risk
                .mitigated_by
                .iter()
                .filter(|address| {
                    gates
                        .iter()
                        .find(|g| &&g.address == address)
                        .is_none_or(|g| g.verdict != Verdict::Pass)
                })
                .cloned()
                .collect();
            (!open.is_empty()).then(|| Exposure {
                risk: risk.id.clone(),
                title: risk.title.clone(),
                gates: open,
            })
        })
        .collect();
    PlanVerdict {
        plan: run.origin.clone(),
        verdict: Verdict::combine(phases.iter().map(|p| p.verdict)),
        phases,
        gates,
        exposures,
    }
}

fn evaluate_phase(
    phase: &Phase,
    blocker: Option<&str>,
    checker: &dyn Checker,
    run: &Run,
) -> (PhaseVerdict, Vec<GateVerdict>) {
    let gates: Vec<GateVerdict> = phase
        .gates
        .iter()
        .map(|gate| {
            let address = format!("{}/{}", phase.id, gate.id);
            let checks: Vec<CheckVerdict> = gate
                .checks
                .iter()
                .enumerate()
                .map(|(index, check)| {
                    let id = check.effective_id(gate, index);
                    let outcome = match blocker {
                        Some(need) => Outcome::new(
                            Verdict::Blocked,
                            format!("needs `{need}`, which did not pass"),
                        ),
                        None => checker.run(&address, &id, check),
                    };
                    check_verdict(id, check, outcome, run)
                })
                .collect();
            let verdict = if gate.checks.is_empty() {
                // A gate that asks for nothing proves nothing.
                match blocker {
                    Some(_) => Verdict::Blocked,
                    None => Verdict::Skipped,
                }
            } else {
                Verdict::combine(checks.iter().map(|c| c.verdict))
            };
            GateVerdict {
                address,
                phase: phase.id.clone(),
                title: gate.title().to_owned(),
                required: gate.required,
                verdict,
                source: gate.source.clone(),
                checks,
            }
        })
        .collect();
    let verdict = match blocker {
        Some(_) => Verdict::Blocked,
        None => Verdict::combine(gates.iter().filter(|g| g.required).map(|g| g.verdict)),
    };
    let phase_verdict = PhaseVerdict {
        id: phase.id.clone(),
        title: phase.title().to_owned(),
        needs: phase.needs.clone(),
        verdict,
    };
    (phase_verdict, gates)
}

fn failed_phase(phase: &Phase) -> (PhaseVerdict, Vec<GateVerdict>) {
    (
        PhaseVerdict {
            id: phase.id.clone(),
            title: phase.title().to_owned(),
            needs: phase.needs.clone(),
            verdict: Verdict::Fail,
        },
        Vec::new(),
    )
}

fn check_verdict(id: String, check: &Check, outcome: Outcome, run: &Run) -> CheckVerdict {
    CheckVerdict {
        id,
        kind: check.kind.name().to_owned(),
        verdict: outcome.verdict,
        summary: outcome.summary,
        evidence: Evidence {
            commit: run.commit.clone(),
            tool_version: TOOL_VERSION.to_owned(),
            definition: sha256_hex(check.definition().as_bytes()),
            inputs: outcome.inputs,
            at: run.at.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::load::parse_toml;

    /// Answers each check from a table of verdicts by gate address.
    struct Table(HashMap<&'static str, Verdict>);

    impl Checker for Table {
        fn run(&self, address: &str, _: &str, _: &Check) -> Outcome {
            let verdict = self.0.get(address).copied().unwrap_or(Verdict::Pass);
            Outcome::new(verdict, verdict.as_str())
        }
    }

    const PLAN: &str = r#"
[[phase]]
id = "ci"
[[phase.gate]]
id = "build"
[[phase.gate.check]]
command = ["make"]

[[phase]]
id = "security"
needs = ["ci"]
[[phase.gate]]
id = "secrets"
[[phase.gate.check]]
rules = ["secrets/*"]
[[phase.gate]]
id = "optional"
required = false
[[phase.gate.check]]
rules = ["docker/*"]

[[phase]]
id = "infra"
needs = ["ci"]
[[phase.gate]]
id = "limits"
[[phase.gate.check]]
rules = ["k8s/*"]

[[phase]]
id = "ship"
needs = ["security", "infra"]
[[phase.gate]]
id = "approved"
[[phase.gate.check]]
attestation = "approved"

[[risk]]
id = "R1"
title = "secrets leak"
mitigated-by = ["security/secrets"]
"#;

    fn run() -> Run {
        Run {
            origin: "plan.toml".into(),
            commit: Some("abc".into()),
            at: "2026-11-23T00:00:00Z".into(),
        }
    }

    fn verdicts(table: &[(&'static str, Verdict)]) -> PlanVerdict {
        let plan = parse_toml(PLAN, "plan.toml").expect("plan");
        evaluate(&plan, &Table(table.iter().copied().collect()), &run())
    }

    fn phase(verdict: &PlanVerdict, id: &str) -> Verdict {
        verdict
            .phases
            .iter()
            .find(|p| p.id == id)
            .expect("phase")
            .verdict
    }

    #[test]
    fn everything_passing_passes_with_evidence() {
        let verdict = verdicts(&[]);
        assert_eq!(verdict.verdict, Verdict::Pass);
        assert!(!verdict.failed());
        assert!(verdict.exposures.is_empty());
        let check = &verdict.gates[0].checks[0];
        assert_eq!(check.evidence.commit.as_deref(), Some("abc"));
        assert_eq!(check.evidence.tool_version, TOOL_VERSION);
        assert_eq!(check.evidence.definition.len(), 64);
        let order: Vec<&str> = verdict.phases.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(order, ["ci", "security", "infra", "ship"]);
    }

    #[test]
    fn a_failed_phase_blocks_what_needs_it_and_exposes_its_risks() {
        let verdict = verdicts(&[("security/secrets", Verdict::Fail)]);
        assert_eq!(phase(&verdict, "security"), Verdict::Fail);
        assert_eq!(phase(&verdict, "infra"), Verdict::Pass);
        assert_eq!(phase(&verdict, "ship"), Verdict::Blocked);
        let ship = verdict
            .gates
            .iter()
            .find(|g| g.address == "ship/approved")
            .unwrap();
        assert_eq!(ship.checks[0].verdict, Verdict::Blocked);
        assert!(verdict.failed());
        assert_eq!(verdict.verdict, Verdict::Fail);
        assert_eq!(verdict.exposures[0].gates, ["security/secrets"]);
    }

    #[test]
    fn an_optional_gate_does_not_fail_its_phase() {
        let verdict = verdicts(&[("security/optional", Verdict::Fail)]);
        assert_eq!(phase(&verdict, "security"), Verdict::Pass);
        assert_eq!(phase(&verdict, "ship"), Verdict::Pass);
        assert!(!verdict.failed());
    }

    #[test]
    fn a_skipped_phase_does_not_block_but_is_never_a_pass() {
        let verdict = verdicts(&[("ci/build", Verdict::Skipped)]);
        assert_eq!(phase(&verdict, "ci"), Verdict::Skipped);
        assert_eq!(phase(&verdict, "security"), Verdict::Pass);
        assert_eq!(verdict.verdict, Verdict::Skipped);
        assert!(!verdict.failed());
    }

    #[test]
    fn the_definition_hash_follows_the_check() {
        let plan = parse_toml(PLAN, "plan.toml").expect("plan");
        let changed =
            parse_toml(&PLAN.replace("secrets/*", "secrets/aws-*"), "plan.toml").expect("plan");
        let table = Table(HashMap::new());
        let a = evaluate(&plan, &table, &run());
        let b = evaluate(&changed, &table, &run());
        let hash = |v: &PlanVerdict, address: &str| {
            let gate = v.gates.iter().find(|g| g.address == address).unwrap();
            gate.checks[0].evidence.definition.clone()
        };
        assert_ne!(hash(&a, "security/secrets"), hash(&b, "security/secrets"));
        assert_eq!(hash(&a, "infra/limits"), hash(&b, "infra/limits"));
    }
}
