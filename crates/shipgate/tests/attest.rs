//! `shipgate attest` through the binary: recording against a plan, listing
//! the ledger, refusing unknown items and attesters, expired and tampered
//! records.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use shipgate_plan::attest::{self, Attestation};

const PLAN: &str = r#"
[owners.platform]
name = "Platform team"
contact = "alice@example.com"

[[phase]]
id = "validation"

[[phase.gate]]
id = "restore-drill"
title = "Last night's backup restores"

[[phase.gate.check]]
attestation = "Restored last night's backup into staging and ran the smoke tests"
attesters = ["platform"]
max-age = "30d"

[[phase.gate]]
id = "pinned"

[[phase.gate.check]]
rules = ["k8s/image-tag-pinned"]

[[phase]]
id = "ship"

[[phase.gate]]
id = "approved"

[[phase.gate.check]]
attestation = "Product and security approve the release"
"#;

fn shipgate() -> Command {
    let mut cmd = Command::cargo_bin("shipgate").expect("binary");
    cmd.env_remove("NO_COLOR");
    cmd
}

/// A repository with the plan and a HEAD commit git would have written.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("shipgate.toml"), PLAN).expect("plan");
    fs::create_dir_all(dir.path().join(".git/refs/heads")).expect("git");
    fs::write(dir.path().join(".git/HEAD"), "ref: refs/heads/main\n").expect("HEAD");
    fs::write(
        dir.path().join(".git/refs/heads/main"),
        "4b825dc642cb6eb9a060e54bf8d69288fbee4904\n",
    )
    .expect("ref");
    dir
}

fn ledger(root: &Path) -> String {
    fs::read_to_string(root.join(".shipgate/attestations.jsonl")).expect("ledger")
}

#[test]
fn an_attestation_is_recorded_with_its_expiry_and_commit_and_listed_as_current() {
    let repo = repo();
    shipgate()
        .args([
            "attest",
            "validation/restore-drill",
            "--by",
            "alice@example.com",
        ])
        .args(["--note", "Restored the 02:00 dump; smoke tests green"])
        .args(["--expires", "2w", "--root"])
        .arg(repo.path())
        .assert()
        .success()
        .stdout(
            predicate::str::starts_with(
                "recorded: validation/restore-drill attested by alice@example.com, holding until ",
            )
            .and(predicate::str::ends_with(", at commit 4b825dc642cb\n")),
        );
    // The plan's max-age ends an attestation asked to hold longer.
    shipgate()
        .args([
            "attest",
            "validation/restore-drill",
            "--by",
            "Platform team",
        ])
        .args(["--note", "Restored again", "--expires", "90d", "--root"])
        .arg(repo.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("(the check's max-age)"));

    let text = ledger(repo.path());
    assert_eq!(text.lines().count(), 2);
    let first: serde_json::Value =
        serde_json::from_str(text.lines().next().expect("line")).expect("json");
    assert_eq!(first["item"], "validation/restore-drill");
    assert_eq!(first["commit"], "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
    let at = attest::parse_time(first["at"].as_str().expect("at")).expect("time");
    let expires = attest::parse_time(first["expires"].as_str().expect("expires")).expect("time");
    assert_eq!((expires - at).whole_days(), 14);

    let output = shipgate()
        .args(["attest", "--list", "--root"])
        .arg(repo.path())
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[0].starts_with("line  status   item"), "{stdout}");
    assert!(
        lines[1].starts_with("1     current  validation/restore-drill"),
        "{stdout}"
    );
    assert!(lines[2].ends_with("Restored again"), "{stdout}");
}

#[test]
fn an_unknown_item_is_refused_with_the_closest_ones() {
    let repo = repo();
    for (item, expected) in [
        (
            "validation/restore-dril",
            "did you mean `validation/restore-drill`?",
        ),
        ("approved", "is not a plan item"),
        ("validation/pinned", "has no attestation check"),
    ] {
        shipgate()
            .args(["attest", item, "--by", "alice", "--note", "done", "--root"])
            .arg(repo.path())
            .assert()
            .code(2)
            .stderr(predicate::str::contains(expected));
    }
    shipgate()
        .args(["attest", "validation/restore-drill", "--by", "mallory"])
        .args(["--note", "done", "--root"])
        .arg(repo.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "mallory may not attest validation/restore-drill",
        ));
    shipgate()
        .args(["attest", "ship/approved", "--note", "done", "--root"])
        .arg(repo.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--by"));
    assert!(!repo.path().join(".shipgate/attestations.jsonl").exists());
}

#[test]
fn without_a_plan_any_address_is_accepted() {
    let dir = tempfile::tempdir().expect("tempdir");
    shipgate()
        .args([
            "attest",
            "ship/approved",
            "--by",
            "carol",
            "--note",
            "Go",
            "--root",
        ])
        .arg(dir.path())
        .assert()
        .success()
        .stdout("recorded: ship/approved attested by carol, with no expiry\n");
}

#[test]
fn an_expired_attestation_is_listed_as_expired() {
    let repo = repo();
    let old = Attestation::new(
        "ship/approved",
        "carol",
        "Approved the 1.0 release",
        attest::parse_time("2020-01-01T00:00:00Z").expect("time"),
    )
    .expiring_after("30d".parse().expect("duration"))
    .expect("expiry");
    attest::append(repo.path(), old).expect("append");
    // No expiry of its own, but the check allows 30 days.
    let capped = Attestation::new(
        "validation/restore-drill",
        "alice@example.com",
        "Restored",
        attest::parse_time("2021-06-01T00:00:00Z").expect("time"),
    );
    attest::append(repo.path(), capped).expect("append");

    shipgate()
        .args(["attest", "--list", "--root"])
        .arg(repo.path())
        .assert()
        .success()
        .stdout(
            predicate::str::contains(
                "1     expired  ship/approved             carol              \
                 2020-01-01T00:00:00Z  2020-01-31T00:00:00Z  Approved the 1.0 release",
            )
            .and(predicate::str::contains(
                "2     expired  validation/restore-drill  alice@example.com  \
                 2021-06-01T00:00:00Z  2021-07-01T00:00:00Z  Restored",
            )),
        );
}

#[test]
fn a_tampered_ledger_is_listed_and_fails() {
    let repo = repo();
    for note in ["first", "second"] {
        shipgate()
            .args([
                "attest",
                "ship/approved",
                "--by",
                "carol",
                "--note",
                note,
                "--root",
            ])
            .arg(repo.path())
            .assert()
            .success();
    }
    let path = repo.path().join(".shipgate/attestations.jsonl");
    let text = ledger(repo.path()).replace("\"first\"", "\"changed\"");
    fs::write(&path, format!("{text}not json\n")).expect("write");

    shipgate()
        .args(["attest", "--list", "--root"])
        .arg(repo.path())
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("1     tampered")
                .and(predicate::str::contains("2     tampered")),
        )
        .stderr(
            predicate::str::contains("attestations.jsonl:1: the record was changed").and(
                predicate::str::contains("attestations.jsonl:3: not an attestation record"),
            ),
        );
    shipgate()
        .args([
            "attest",
            "ship/approved",
            "--by",
            "carol",
            "--note",
            "third",
            "--root",
        ])
        .arg(repo.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("mend them before attesting"));
}
