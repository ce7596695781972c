//! The release's provenance as an in-toto Statement (v1): its subjects are
//! the commit the gates were judged at and the SBOM; its predicate names
//! every gate with the digests of the evidence it passed on.
//!
//! The predicate leaves out when each check ran: the same commit, plan and
//! evidence give the same statement, byte for byte.

use serde_json::{Value, json};
use shipgate_core::PlanVerdict;
use shipgate_plan::evaluate::sha256_hex;

pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
pub const PREDICATE_TYPE: &str = "https://shipgate.dev/release/v1";

/// What the statement binds together.
pub struct Subject<'a> {
    /// The repository's name, for the commit subject's name.
    pub repository: &'a str,
    pub commit: &'a str,
    /// When the commit was made, RFC 3339.
    pub committed_at: &'a str,
    pub version: &'a str,
    pub tag: &'a str,
    /// The SBOM's path in the release commit, and its bytes.
    pub sbom_path: &'a str,
    pub sbom: &'a [u8],
    /// The plan's path and bytes.
    pub plan_path: &'a str,
    pub plan: &'a [u8],
    pub tool_version: &'a str,
}

/// The gates as the statement records them: verdicts and digests, no times.
pub fn gate_evidence(verdict: &PlanVerdict) -> Value {
    Value::Array(
        verdict
            .gates
            .iter()
            .map(|gate| {
                json!({
                    "gate": gate.address,
                    "required": gate.required,
                    "verdict": gate.verdict.as_str(),
                    "checks": gate.checks.iter().map(|check| {
                        let mut entry = json!({
                            "id": check.id,
                            "kind": check.kind,
                            "verdict": check.verdict.as_str(),
                            "definition": { "sha256": check.evidence.definition },
                        });
                        if let Some(inputs) = &check.evidence.inputs {
                            entry["inputs"] = json!({ "sha256": inputs });
                        }
                        entry
                    }).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// The statement, as pretty JSON with a final newline.
pub fn statement(subject: &Subject<'_>, verdict: &PlanVerdict) -> String {
    let gates = gate_evidence(verdict);
    let evidence_digest = sha256_hex(gates.to_string().as_bytes());
    let value = json!({
        "_type": STATEMENT_TYPE,
        "subject": [
            {
                "name": format!("git+{}@{}", subject.repository, subject.tag),
                "digest": { "gitCommit": subject.commit },
            },
            {
                "name": subject.sbom_path,
                "digest": { "sha256": sha256_hex(subject.sbom) },
                "mediaType": "application/vnd.cyclonedx+json",
            },
        ],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "version": subject.version,
            "tag": subject.tag,
            "commit": subject.commit,
            "committedAt": subject.committed_at,
            "plan": {
                "path": subject.plan_path,
                "digest": { "sha256": sha256_hex(subject.plan) },
                "verdict": verdict.verdict.as_str(),
            },
            "gates": gates,
            "evidence": { "sha256": evidence_digest },
            "tool": { "name": "shipgate", "version": subject.tool_version },
        },
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}
