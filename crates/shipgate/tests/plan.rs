//! `shipgate plan coverage` and `shipgate plan import` through the binary,
//! on the project's reference plans and on plans written for these tests.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn shipgate() -> Command {
    let mut cmd = Command::cargo_bin("shipgate").expect("binary");
    cmd.env_remove("NO_COLOR");
    cmd
}

fn seeds() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shipgate-plan/tests/fixtures/seeds");
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .expect("seeds")
        .map(|e| e.expect("entry").path())
        .collect();
    found.sort();
    assert_eq!(found.len(), 5);
    found
}

fn checkbox_lines(text: &str) -> usize {
    text.lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("- [ ] ") || l.starts_with("- [x] ") || l.starts_with("- [X] "))
        .count()
}

fn coverage_json(path: &Path) -> Value {
    let output = shipgate()
        .args(["plan", "coverage"])
        .arg(path)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("json")
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    keys
}

#[test]
fn coverage_of_every_seed_has_the_documented_shape() {
    for seed in seeds() {
        let text = fs::read_to_string(&seed).expect("text");
        let report = coverage_json(&seed);
        assert_eq!(
            keys(&report),
            ["bound", "items", "manual", "suggested", "total"]
        );
        let items = report["items"].as_array().expect("items");
        let total = report["total"].as_u64().expect("total") as usize;
        assert_eq!(total, items.len());
        let sum = ["bound", "suggested", "manual"]
            .iter()
            .map(|k| report[k].as_u64().expect("count"))
            .sum::<u64>();
        assert_eq!(sum as usize, total);
        let boxes = checkbox_lines(&text);
        if boxes > 0 {
            assert_eq!(total, boxes, "{}", seed.display());
        }
        let lines: Vec<&str> = text.lines().collect();
        for item in items {
            assert_eq!(keys(item), ["bound", "line", "phase", "suggested", "text"]);
            let line = item["line"].as_u64().expect("line") as usize;
            assert!(line >= 1 && line <= lines.len());
            assert!(item["bound"].is_array() && item["suggested"].is_array());
        }
        let backed = report["bound"].as_u64().unwrap() + report["suggested"].as_u64().unwrap();
        assert!(
            backed as f64 / total as f64 >= 0.45,
            "{}: {backed} of {total}",
            seed.display()
        );
    }
}

#[test]
fn coverage_reads_as_a_table_by_default() {
    let seed = &seeds()[0];
    shipgate()
        .args(["plan", "coverage"])
        .arg(seed)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Phase 1: CI Green (P0 Blockers) > Gate Criteria",
        ))
        .stdout(predicate::str::contains("suggested"))
        .stdout(predicate::str::contains("135 items: 0 bound,"));
}

#[test]
fn every_seed_imports_to_a_plan_that_reads_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (n, seed) in seeds().iter().enumerate() {
        let coverage = coverage_json(seed);
        for accept in [false, true] {
            let out = dir.path().join(format!("{n}-{accept}.toml"));
            let mut cmd = shipgate();
            cmd.args(["plan", "import"])
                .arg(seed)
                .arg("--output")
                .arg(&out);
            if accept {
                cmd.arg("--accept-suggestions");
            }
            cmd.assert()
                .success()
                .stderr(predicate::str::contains("gates from"));
            let text = fs::read_to_string(&out).expect("written");
            let plan = shipgate_plan::parse_toml(&text, &out.display().to_string())
                .unwrap_or_else(|e| panic!("{e}"));
            let gates: usize = plan.phases.iter().map(|p| p.gates.len()).sum();
            assert_eq!(gates as u64, coverage["total"].as_u64().unwrap());
            let attested = plan
                .gates()
                .filter(|(_, _, g)| g.checks.iter().all(|c| !c.kind.is_automated()))
                .count();
            if accept {
                assert!(attested < gates);
            } else {
                assert_eq!(
                    attested, gates,
                    "without --accept-suggestions every unbound item is attested"
                );
            }
        }
    }
}

const OWN_PLAN: &str = "\
# Payments API: release 4

## Stage 1: Harden
- [ ] Images pinned <!-- shipgate: k8s/image-tag docker/base-image-tag -->
- [ ] No secrets in the tree <!-- shipgate: secrets/* k8s/secret-in-env -->
- [x] Pods cannot escalate privileges
- [ ] Typo in a binding <!-- shipgate: k8s/imagetag -->

## Stage 2: Prove
- [ ] p95 stays under 250ms at twice the usual traffic
- [ ] Hand the keys to the on-call rotation
";

#[test]
fn bindings_count_as_bound_and_unknown_rules_are_warned_about() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = dir.path().join("release.plan");
    fs::write(&plan, OWN_PLAN).expect("write");
    let output = shipgate()
        .args(["plan", "coverage"])
        .arg(&plan)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("release.plan:7: `k8s/imagetag` matches no rule"),
        "{stderr}"
    );
    assert!(!stderr.contains("k8s/image-tag`"), "{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(report["total"], 6);
    assert_eq!(report["bound"], 3);
    assert_eq!(report["suggested"], 2);
    assert_eq!(report["manual"], 1);
    let first = &report["items"][0];
    assert_eq!(first["line"], 4);
    assert_eq!(first["text"], "Images pinned");
    assert_eq!(first["phase"], "Stage 1: Harden");
    assert_eq!(
        first["bound"],
        serde_json::json!(["k8s/image-tag", "docker/base-image-tag"])
    );
    assert_eq!(first["suggested"], serde_json::json!([]));

    shipgate()
        .args(["plan", "import"])
        .arg(&plan)
        .args(["--output", "-"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "rules = [\n    \"k8s/image-tag\",",
        ))
        .stdout(predicate::str::contains(
            "attestation = \"Hand the keys to the on-call rotation\"",
        ));
}

#[test]
fn import_never_overwrites_by_accident() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = dir.path().join("plan.md");
    fs::write(&plan, OWN_PLAN).expect("write");
    let out = dir.path().join("shipgate.toml");
    fs::write(&out, "# mine\n").expect("write");
    shipgate()
        .current_dir(dir.path())
        .args(["plan", "import", "plan.md"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "shipgate.toml exists; pass --force",
        ));
    assert_eq!(fs::read_to_string(&out).unwrap(), "# mine\n");
    shipgate()
        .current_dir(dir.path())
        .args(["plan", "import", "plan.md", "--force"])
        .assert()
        .success();
    assert!(fs::read_to_string(&out).unwrap().contains("[[phase.gate]]"));
}

#[test]
fn plan_commands_report_usage_errors_with_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    shipgate()
        .args(["plan", "coverage"])
        .arg(dir.path().join("missing.md"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read"));
    let toml = dir.path().join("shipgate.toml");
    fs::write(&toml, shipgate_plan::default_plan_toml()).expect("write");
    shipgate()
        .args(["plan", "coverage"])
        .arg(&toml)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "these commands read Markdown plans",
        ));
    let bad = dir.path().join("bad.md");
    fs::write(&bad, "- [ ] x <!-- shipgate: k8s/[oops -->\n").expect("write");
    shipgate()
        .args(["plan", "import"])
        .arg(&bad)
        .args(["--output", "-"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "bad.md:1:1: the binding `k8s/[oops`",
        ));
}

/// Every rule a plan names must exist, or its gate could never be judged.
/// The secrets pack is named by a glob so that it covers whatever
/// detectors it holds; a build without the pack has nothing for it to match.
#[test]
fn the_catalogue_and_the_default_plan_name_existing_rules() {
    let registry = shipgate_rules::registry();
    let has_secrets = registry
        .rules()
        .iter()
        .any(|r| r.meta.id.starts_with("secrets/"));
    let mut patterns: Vec<String> = Vec::new();
    for (_, suggestions) in shipgate_plan::suggest::catalogue() {
        for s in suggestions {
            if let shipgate_plan::suggest::Suggested::Rule { pattern, .. } = s {
                patterns.push(pattern);
            }
        }
    }
    for (_, _, gate) in shipgate_plan::default_plan().gates() {
        for check in &gate.checks {
            if let shipgate_plan::CheckKind::Rules(rules) = &check.kind {
                patterns.extend(rules.rules.iter().cloned());
            }
        }
    }
    for pack in [
        "k8s",
        "docker",
        "compose",
        "workflows",
        "helm",
        "kustomize",
        "repo",
    ] {
        patterns.push(format!("{pack}/*"));
    }
    let mut missing = Vec::new();
    for pattern in patterns {
        if pattern.starts_with("secrets/") && !has_secrets {
            continue;
        }
        let found = shipgate_rules::registry::matching(std::slice::from_ref(&pattern))
            .map(|rules| rules.len())
            .unwrap_or(0);
        if found == 0 {
            missing.push(pattern);
        }
    }
    assert!(missing.is_empty(), "patterns matching no rule: {missing:?}");
}
