//! `shipgate ship` on a git repository made from the example: refused while
//! a gate fails, released once every gate passes, and a no-op the second
//! time.

use std::path::Path;
use std::process::Command as Process;

use assert_cmd::Command;
use common::example::{example, fix_every_defect};
use serde_json::Value;

mod common;

fn shipgate(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("shipgate").expect("binary");
    cmd.current_dir(dir).env("NO_COLOR", "1");
    isolate_git(&mut cmd);
    cmd
}

/// Neither the user's nor the machine's git configuration: no signing key
/// or hook of theirs takes part.
fn isolate_git(cmd: &mut Command) {
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_SYSTEM", "/dev/null");
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Process::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_SYSTEM", "/dev/null")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn commit_all(dir: &Path, message: &str) {
    git(dir, &["add", "--all"]);
    git(dir, &["commit", "--quiet", "-m", message]);
}

fn run(cmd: &mut Command) -> (i32, String) {
    let output = cmd.output().expect("run");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

fn repository() -> tempfile::TempDir {
    let dir = example();
    git(dir.path(), &["init", "--quiet", "--initial-branch=main"]);
    git(dir.path(), &["config", "user.name", "Dana Release"]);
    git(dir.path(), &["config", "user.email", "dana@example.com"]);
    commit_all(
        dir.path(),
        "feat: orders service with API, worker and storage",
    );
    dir
}

#[test]
fn ship_refuses_while_a_gate_fails_then_releases_once() {
    let dir = repository();
    let root = dir.path();

    let (code, said) = run(shipgate(root).args(["ship", "--dry-run"]));
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("refused:"), "{said}");
    assert!(said.contains("gate security/tls: fail"), "{said}");
    assert!(
        said.contains("gate security/no-hardcoded-secrets: fail"),
        "{said}"
    );
    // The plan's command check is not run without consent, so it proves
    // nothing and holds the release back too.
    assert!(said.contains("gate ci/app-compiles: skipped"), "{said}");
    assert!(!root.join("CHANGELOG.md").exists());

    fix_every_defect(root);
    commit_all(root, "fix(k8s): pin images, add TLS, probes and limits");
    let (code, said) = run(shipgate(root).args(["ship", "--dry-run", "--allow-commands"]));
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("gate ship/approved: fail"), "{said}");
    assert!(!said.contains("security/tls"), "{said}");

    shipgate(root)
        .args([
            "attest",
            "ship/approved",
            "--by",
            "dana",
            "--note",
            "release review",
        ])
        .assert()
        .success();
    commit_all(root, "chore: approve the release");

    // A dirty tree is refused: a release is exactly what was committed.
    std::fs::write(root.join("notes.txt"), "draft").expect("write");
    let (code, said) = run(shipgate(root).args(["ship", "--dry-run", "--allow-commands"]));
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("uncommitted changes: notes.txt"), "{said}");
    std::fs::remove_file(root.join("notes.txt")).expect("remove");

    let head_before = git(root, &["rev-parse", "HEAD"]);
    let (code, said) = run(shipgate(root).args(["ship", "--dry-run", "--allow-commands"]));
    assert_eq!(code, 0, "{said}");
    assert!(said.contains("release: v0.1.0"), "{said}");
    assert!(said.contains("would write CHANGELOG.md"), "{said}");
    assert!(said.contains("would tag: v0.1.0"), "{said}");
    assert!(
        said.contains("Pin images, add TLS, probes and limits"),
        "{said}"
    );
    assert!(
        !root.join("CHANGELOG.md").exists(),
        "a dry run writes nothing"
    );
    assert_eq!(git(root, &["rev-parse", "HEAD"]), head_before);
    assert_eq!(git(root, &["tag", "--list"]), "");

    let (code, said) = run(shipgate(root).args(["ship", "--allow-commands"]));
    assert_eq!(code, 0, "{said}");
    assert!(said.contains("tagged v0.1.0"), "{said}");
    assert_eq!(git(root, &["tag", "--list"]), "v0.1.0\n");
    assert_eq!(
        git(root, &["cat-file", "-t", "v0.1.0"]),
        "tag\n",
        "annotated"
    );
    assert_eq!(
        git(root, &["status", "--porcelain"]),
        "",
        "nothing left behind"
    );
    let changed = git(root, &["diff", "--name-only", head_before.trim(), "HEAD"]);
    assert_eq!(
        changed,
        "\
.shipgate/releases/v0.1.0/sbom.cdx.json
.shipgate/releases/v0.1.0/statement.intoto.json
CHANGELOG.md
",
        "the release commit changes only the release's files"
    );

    let changelog = std::fs::read_to_string(root.join("CHANGELOG.md")).expect("changelog");
    assert!(changelog.contains("## [0.1.0]"), "{changelog}");
    assert!(
        changelog.contains("Orders service with API, worker and storage"),
        "{changelog}"
    );

    let sbom: Value = serde_json::from_slice(
        &std::fs::read(root.join(".shipgate/releases/v0.1.0/sbom.cdx.json")).expect("sbom"),
    )
    .expect("json");
    assert_eq!(sbom["specVersion"], "1.6");
    let purls: Vec<&str> = sbom["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .collect();
    assert!(purls.contains(&"pkg:pypi/fastapi@0.115.5"), "{purls:?}");

    let statement: Value = serde_json::from_slice(
        &std::fs::read(root.join(".shipgate/releases/v0.1.0/statement.intoto.json"))
            .expect("statement"),
    )
    .expect("json");
    assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(
        statement["subject"][0]["digest"]["gitCommit"].as_str(),
        Some(head_before.trim()),
        "the statement names the commit the gates were judged at"
    );
    let gates = statement["predicate"]["gates"].as_array().expect("gates");
    assert!(
        gates
            .iter()
            .any(|g| g["gate"] == "security/tls" && g["verdict"] == "pass")
    );
    assert!(
        gates
            .iter()
            .flat_map(|g| g["checks"].as_array().into_iter().flatten())
            .all(|c| c["definition"]["sha256"].as_str().map(str::len) == Some(64))
    );

    // A second run at the released commit changes nothing.
    let head_after = git(root, &["rev-parse", "HEAD"]);
    let (code, said) = run(shipgate(root).args(["ship", "--allow-commands"]));
    assert_eq!(code, 0, "{said}");
    assert!(
        said.contains("already released as v0.1.0; nothing to do"),
        "{said}"
    );
    assert_eq!(git(root, &["rev-parse", "HEAD"]), head_after);
    assert_eq!(git(root, &["tag", "--list"]), "v0.1.0\n");
    assert_eq!(git(root, &["status", "--porcelain"]), "");
}

#[test]
fn ship_refuses_a_branch_the_plan_does_not_release_from() {
    let dir = repository();
    git(dir.path(), &["checkout", "--quiet", "-b", "feature/cart"]);
    let (code, said) = run(shipgate(dir.path()).args(["ship", "--dry-run"]));
    assert_eq!(code, 1, "{said}");
    assert!(
        said.contains("branch `feature/cart` is not one releases are cut from (main, master)"),
        "{said}"
    );
}

#[test]
fn sbom_writes_the_example_dependencies() {
    let dir = repository();
    let out = dir.path().join("sbom.json");
    let (code, said) = run(shipgate(dir.path()).args(["sbom", ".", "--output", "sbom.json"]));
    assert_eq!(code, 0, "{said}");
    assert!(
        said.contains("sbom: 6 components from 1 lockfile"),
        "{said}"
    );
    let first = std::fs::read(&out).expect("sbom");
    shipgate(dir.path())
        .args(["sbom", ".", "--output", "sbom.json"])
        .assert()
        .success();
    assert_eq!(
        first,
        std::fs::read(&out).expect("sbom"),
        "the same bytes for the same commit"
    );
}
