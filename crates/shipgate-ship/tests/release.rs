//! The release logic over real git repositories made with the `git` program.

use std::path::Path;
use std::process::Command;

use shipgate_core::{CheckVerdict, Evidence, GateVerdict, PlanVerdict, Verdict};
use shipgate_plan::model::Ship;
use shipgate_ship::{Inputs, Refusal, apply, gate_refusals, git, prepare, repository_refusals};

fn sh(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_SYSTEM", "/dev/null")
        .env("GIT_AUTHOR_DATE", "2026-03-01T10:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-03-01T10:00:00Z")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    sh(dir.path(), &["init", "--quiet", "--initial-branch=main"]);
    sh(dir.path(), &["config", "user.name", "Release Bot"]);
    sh(dir.path(), &["config", "user.email", "release@example.com"]);
    sh(dir.path(), &["config", "tag.gpgSign", "false"]);
    sh(dir.path(), &["config", "commit.gpgSign", "false"]);
    dir
}

fn commit(dir: &Path, file: &str, message: &str) {
    std::fs::write(dir.join(file), message).unwrap();
    sh(dir, &["add", file]);
    sh(dir, &["commit", "--quiet", "-m", message]);
}

fn next(dir: &Path) -> shipgate_ship::NextRelease {
    let state = git::read(dir, "v").unwrap();
    shipgate_ship::changelog::next_release(&state, "v", None, false).unwrap()
}

#[test]
fn the_first_release_is_the_initial_version() {
    let dir = repo();
    commit(dir.path(), "a", "feat: accept orders");
    commit(dir.path(), "b", "fix: reject empty carts");
    let next = next(dir.path());
    assert_eq!(next.version, "0.1.0");
    assert_eq!(next.tag, "v0.1.0");
    assert!(next.section.contains("Accept orders"), "{}", next.section);
    assert!(
        next.section.contains("Reject empty carts"),
        "{}",
        next.section
    );
    assert!(next.section.contains("2026-03-01"), "{}", next.section);
    assert!(
        next.changelog.starts_with("# Changelog\n"),
        "{}",
        next.changelog
    );
}

#[test]
fn conventional_commits_decide_the_bump() {
    for (message, expected) in [
        ("fix: a typo in the error", "1.2.1"),
        ("feat: export invoices", "1.3.0"),
        ("feat(api)!: drop the v1 routes", "2.0.0"),
    ] {
        let dir = repo();
        commit(dir.path(), "a", "feat: first");
        sh(dir.path(), &["tag", "-a", "-m", "release", "v1.2.0"]);
        commit(dir.path(), "b", message);
        assert_eq!(next(dir.path()).version, expected, "after `{message}`");
    }
}

#[test]
fn the_previous_release_is_the_highest_tag_head_reaches() {
    let dir = repo();
    commit(dir.path(), "a", "feat: first");
    sh(dir.path(), &["tag", "v1.0.0"]);
    sh(dir.path(), &["checkout", "--quiet", "-b", "next"]);
    commit(dir.path(), "b", "feat: on another branch");
    sh(dir.path(), &["tag", "v2.0.0"]);
    sh(dir.path(), &["checkout", "--quiet", "main"]);
    commit(dir.path(), "c", "fix: on main");
    // Tags that are not versions are no releases.
    sh(dir.path(), &["tag", "nightly"]);
    let state = git::read(dir.path(), "v").unwrap();
    assert_eq!(state.previous.as_ref().unwrap().name, "v1.0.0");
    assert_eq!(state.commits.len(), 1);
    assert_eq!(next(dir.path()).version, "1.0.1");
}

#[test]
fn a_cliff_toml_that_runs_commands_needs_permission() {
    let dir = repo();
    std::fs::write(
        dir.path().join("cliff.toml"),
        "[git]\ncommit_preprocessors = [{ pattern = '.*', replace_command = 'touch pwned' }]\n",
    )
    .unwrap();
    commit(dir.path(), "a", "feat: first");
    let state = git::read(dir.path(), "v").unwrap();
    let err = shipgate_ship::changelog::next_release(&state, "v", None, false).unwrap_err();
    assert!(err.contains("--allow-commands"), "{err}");
    assert!(!dir.path().join("pwned").exists());
}

#[test]
fn a_repository_cliff_toml_shapes_the_section() {
    let dir = repo();
    std::fs::write(
        dir.path().join("cliff.toml"),
        "[changelog]\nbody = \"\"\"\nRELEASE {{ version }}\n{% for commit in commits %}* {{ commit.message }}\n{% endfor %}\"\"\"\n[git]\nconventional_commits = true\n",
    )
    .unwrap();
    commit(dir.path(), "a", "feat: first");
    let next = next(dir.path());
    assert_eq!(next.config_origin, "cliff.toml");
    assert!(
        next.section.starts_with("RELEASE v0.1.0"),
        "{}",
        next.section
    );
}

#[test]
fn branch_globs() {
    let allowed = vec!["main".to_owned(), "release/*".to_owned()];
    assert!(git::branch_allowed(Some("main"), &allowed).unwrap());
    assert!(git::branch_allowed(Some("release/1.4"), &allowed).unwrap());
    assert!(!git::branch_allowed(Some("release/1.4/hotfix"), &allowed).unwrap());
    assert!(!git::branch_allowed(Some("feature/x"), &allowed).unwrap());
    assert!(!git::branch_allowed(None, &allowed).unwrap());
}

fn verdict(gate_verdict: Verdict) -> PlanVerdict {
    PlanVerdict {
        plan: "shipgate.toml".into(),
        verdict: gate_verdict,
        phases: Vec::new(),
        gates: vec![GateVerdict {
            address: "security/no-secrets".into(),
            phase: "security".into(),
            title: "No hardcoded secrets".into(),
            required: true,
            verdict: gate_verdict,
            source: None,
            checks: vec![CheckVerdict {
                id: "secrets".into(),
                kind: "rules".into(),
                verdict: gate_verdict,
                summary: "1 error".into(),
                evidence: Evidence {
                    commit: None,
                    tool_version: "0.1.0".into(),
                    definition: "d".repeat(64),
                    inputs: Some("e".repeat(64)),
                    at: "2026-03-01T10:00:00Z".into(),
                },
            }],
        }],
        exposures: Vec::new(),
    }
}

#[test]
fn refusals_name_the_tree_the_branch_and_the_gates() {
    let dir = repo();
    commit(dir.path(), "a", "feat: first");
    sh(dir.path(), &["checkout", "--quiet", "-b", "topic"]);
    std::fs::write(dir.path().join("scratch.txt"), "x").unwrap();
    let state = git::read(dir.path(), "v").unwrap();
    let refusals = repository_refusals(&state, &Ship::default()).unwrap();
    assert!(matches!(&refusals[0], Refusal::BranchNotAllowed { branch, .. } if branch == "topic"));
    assert!(matches!(&refusals[1], Refusal::Uncommitted(paths) if paths == &["scratch.txt"]));
    let gates = gate_refusals(&verdict(Verdict::Fail));
    assert_eq!(
        gates[0].to_string(),
        "gate security/no-secrets: fail (secrets: 1 error)"
    );
    assert!(gate_refusals(&verdict(Verdict::Pass)).is_empty());
    // A skipped check proves nothing.
    assert_eq!(gate_refusals(&verdict(Verdict::Skipped)).len(), 1);
}

#[test]
fn apply_commits_tags_and_a_second_prepare_changes_nothing() {
    let dir = repo();
    commit(dir.path(), "a", "feat: first");
    let state = git::read(dir.path(), "v").unwrap();
    let verdict = verdict(Verdict::Pass);
    let ship = Ship::default();
    let sbom = |version: &str| Ok(format!("{{\"version\":\"{version}\"}}\n").into_bytes());
    let inputs = Inputs {
        ship: &ship,
        verdict: &verdict,
        plan_path: "shipgate.toml",
        plan: b"[project]\n",
        project: "shop",
        sbom: &sbom,
        tool_version: "0.1.0",
        allow_commands: false,
    };
    let prepared = prepare(&state, &inputs).unwrap();
    let again = prepare(&git::read(dir.path(), "v").unwrap(), &inputs).unwrap();
    assert_eq!(prepared.files, again.files, "preparing is deterministic");
    assert!(prepared.files.iter().all(|f| f.changed));
    let applied = apply(&state, &prepared).unwrap();
    assert_eq!(applied.tag, "v0.1.0");
    assert!(!applied.signed);

    let after = git::read(dir.path(), "v").unwrap();
    assert_eq!(after.head_releases, vec!["v0.1.0".to_owned()]);
    assert_eq!(Some(after.head.clone()), applied.commit);
    assert!(git::uncommitted(dir.path()).unwrap().is_empty());
    let statement: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            dir.path()
                .join(".shipgate/releases/v0.1.0/statement.intoto.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(statement["subject"][0]["digest"]["gitCommit"], state.head);
    assert_eq!(
        statement["predicate"]["gates"][0]["checks"][0]["inputs"]["sha256"],
        "e".repeat(64)
    );
    let changelog = std::fs::read_to_string(dir.path().join("CHANGELOG.md")).unwrap();
    assert!(changelog.contains("## [0.1.0] - 2026-03-01"), "{changelog}");
    // The release commit does not list itself in the next changelog.
    commit(dir.path(), "b", "fix: second");
    let later = git::read(dir.path(), "v").unwrap();
    let next =
        shipgate_ship::changelog::next_release(&later, "v", Some(&changelog), false).unwrap();
    assert_eq!(next.version, "0.1.1");
    assert!(!next.section.contains("prepare for"), "{}", next.section);
    assert!(next.changelog.contains("## [0.1.0]"), "{}", next.changelog);
    assert_eq!(
        next.changelog.matches("# Changelog").count(),
        1,
        "{}",
        next.changelog
    );
}

#[test]
fn the_tag_is_signed_when_git_is_configured_to_sign() {
    let dir = repo();
    let key = dir.path().join(".signing-key");
    let made = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "release@example.com",
            "-f",
        ])
        .arg(&key)
        .status()
        .expect("ssh-keygen runs (scripts/test installs openssh-client)");
    assert!(made.success());
    sh(dir.path(), &["config", "gpg.format", "ssh"]);
    sh(
        dir.path(),
        &["config", "user.signingkey", key.to_str().unwrap()],
    );
    sh(dir.path(), &["config", "tag.gpgSign", "true"]);
    std::fs::write(dir.path().join(".gitignore"), ".signing-key*\n").unwrap();
    sh(dir.path(), &["add", ".gitignore"]);
    sh(
        dir.path(),
        &["commit", "--quiet", "-m", "chore: ignore the key"],
    );
    commit(dir.path(), "a", "feat: first");

    let state = git::read(dir.path(), "v").unwrap();
    let verdict = verdict(Verdict::Pass);
    let ship = Ship::default();
    let sbom = |_: &str| Ok(b"{}\n".to_vec());
    let prepared = prepare(
        &state,
        &Inputs {
            ship: &ship,
            verdict: &verdict,
            plan_path: "shipgate.toml",
            plan: b"",
            project: "shop",
            sbom: &sbom,
            tool_version: "0.1.0",
            allow_commands: false,
        },
    )
    .unwrap();
    let applied = apply(&state, &prepared).unwrap();
    assert!(applied.signed);
    let object = sh(dir.path(), &["cat-file", "tag", "v0.1.0"]);
    assert!(object.contains("-----BEGIN SSH SIGNATURE-----"), "{object}");
}
