//! `shipgate check --history` through the real binary, on repositories
//! built at test time with the `git` command: a credential committed and
//! deleted later is still reported, at the commit, date and line that added
//! it; a key block added in one commit is found whole; references to a value
//! held elsewhere never are; no output format prints a secret.
//!
//! Every credential is drawn from the operating system's random source when
//! the test runs (replay a failure with `SHIPGATE_TEST_SEED`).

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command as Process;

use assert_cmd::Command;
use serde_json::Value;

mod common;

use common::{B62, Rng, base64};

/// Whether the `git` command is here to build repositories with; CI has it.
fn have_git() -> bool {
    let found = Process::new("git").arg("--version").output().is_ok();
    if !found {
        eprintln!("skipped: the git command is not installed");
    }
    found
}

/// A repository whose commits carry the dates they are given, built
/// without any of the machine's git configuration.
struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new() -> Repo {
        let repo = Repo {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        repo.git(&["init", "--quiet", "--initial-branch=main"], "");
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn git(&self, args: &[&str], date: &str) -> String {
        let output = Process::new("git")
            .args(args)
            .current_dir(self.path())
            .env("HOME", self.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Dev")
            .env("GIT_AUTHOR_EMAIL", "dev@example.org")
            .env("GIT_COMMITTER_NAME", "Dev")
            .env("GIT_COMMITTER_EMAIL", "dev@example.org")
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .output()
            .expect("git runs");
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    fn write(&self, path: &str, text: &str) {
        let full = self.path().join(path);
        fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        fs::write(full, text).expect("write");
    }

    /// Commits everything, authored at `date`; returns the commit's id.
    fn commit(&self, message: &str, date: &str) -> String {
        self.git(&["add", "--all"], date);
        self.git(
            &[
                "-c",
                "commit.gpgsign=false",
                "commit",
                "--quiet",
                "-m",
                message,
            ],
            date,
        );
        self.git(&["rev-parse", "HEAD"], date)
    }
}

fn shipgate(dir: &Path, args: &[&str]) -> (String, String, i32) {
    let output = Command::cargo_bin("shipgate")
        .expect("binary")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("run");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        output.status.code().unwrap_or(-1),
    )
}

/// (rule, path, line, commit, author date) of every finding.
type Found = BTreeSet<(String, String, u64, String, String)>;

fn found(json: &str) -> Found {
    let report: Value = serde_json::from_str(json).expect("a JSON report");
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let location = &f["location"];
            (
                f["rule"].as_str().unwrap_or("").to_owned(),
                location["path"].as_str().unwrap_or("").to_owned(),
                location["span"]["start"]["line"].as_u64().unwrap_or(0),
                location["revision"]["commit"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
                location["revision"]["author_date"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
            )
        })
        .collect()
}

fn finding(rule: &str, path: &str, line: u64, commit: &str, date: &str) -> Found {
    BTreeSet::from([(
        rule.to_owned(),
        path.to_owned(),
        line,
        commit.to_owned(),
        date.to_owned(),
    )])
}

/// A PEM key block indented in YAML, and its body lines (what no output
/// may show).
fn pem_block(rng: &mut Rng) -> (String, Vec<String>) {
    let body: Vec<String> = base64(&rng.bytes(240), false)
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let mut block = String::from("    -----BEGIN EC PRIVATE KEY-----\n");
    for line in &body {
        block.push_str(&format!("    {line}\n"));
    }
    block.push_str("    -----END EC PRIVATE KEY-----\n");
    (block, body)
}

/// Every output shows no run of 12 bytes of any secret.
fn assert_hidden(output: &str, secrets: &[String], what: &str, seed: u64) {
    const SHOWN: usize = 12;
    let shown: BTreeSet<&[u8]> = output.as_bytes().windows(SHOWN).collect();
    for secret in secrets {
        for piece in secret.as_bytes().windows(SHOWN.min(secret.len())) {
            assert!(
                !shown.contains(piece),
                "seed {seed}: {what} shows `{}` of a planted secret",
                String::from_utf8_lossy(piece)
            );
        }
    }
}

const D1: &str = "2026-01-02T10:30:00+01:00";
const D2: &str = "2026-01-03T09:00:00+01:00";
const D3: &str = "2026-01-04T11:15:00-05:00";
const D4: &str = "2026-01-05T16:45:00+00:00";

#[test]
fn a_deleted_credential_stays_in_history_and_is_reported_where_it_was_added() {
    if !have_git() {
        return;
    }
    let (mut rng, seed) = Rng::from_entropy();
    let token = rng.string(B62, 36);
    let (key, key_body) = pem_block(&mut rng);
    let mut secrets = vec![token.clone()];
    secrets.extend(key_body);

    let repo = Repo::new();
    repo.write(
        ".env",
        &format!("# local settings\nAPP_ENV=prod\nGITHUB_TOKEN=ghp_{token}\n"),
    );
    repo.write(
        "config/values.yaml",
        "tls:\n  crt: ./tls.crt\nreplicas: 2\n",
    );
    let c1 = repo.commit("settings", D1);
    // The fingerprint a check of the files on disk gives the credential.
    let (json, _, code) = shipgate(
        repo.path(),
        &["check", "--select", "secrets", "--format", "json"],
    );
    assert_eq!(code, 1, "seed {seed}: {json}");
    let on_disk: Value = serde_json::from_str(&json).expect("json");
    let disk_fingerprint = on_disk["findings"][0]["fingerprint"].clone();

    fs::remove_file(repo.path().join(".env")).expect("rm");
    let c2 = repo.commit("no settings in the repository", D2);
    repo.write(
        "deploy.sh",
        "#!/bin/sh\nexport GITHUB_TOKEN=\"${GITHUB_TOKEN}\"\nexport DB_PASSWORD=changeme\n",
    );
    let c3 = repo.commit("deploy script", D3);
    repo.write(
        "config/values.yaml",
        &format!("tls:\n  crt: ./tls.crt\n  key: |\n{key}replicas: 2\n"),
    );
    let c4 = repo.commit("tls key", D4);

    let (json, stderr, code) = shipgate(repo.path(), &["check", "--history", "--format", "json"]);
    assert_eq!(code, 1, "seed {seed}: {stderr}{json}");
    let token_finding = finding("secrets/github-pat", ".env", 3, &c1, D1);
    let key_finding = finding("secrets/private-key", "config/values.yaml", 4, &c4, D4);
    let mut expected = token_finding.clone();
    expected.extend(key_finding.clone());
    assert_eq!(found(&json), expected, "seed {seed}: {json}");
    let report: Value = serde_json::from_str(&json).expect("json");
    assert_eq!(report["files"]["commits"], 4, "{json}");
    // A baseline of the files on disk keeps matching the same secret in history.
    let in_history = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["location"]["path"] == ".env")
        .expect("the .env finding");
    assert_eq!(in_history["fingerprint"], disk_fingerprint);

    // A range holds the commits `git log` would list for it.
    let range = format!("{c2}..{c4}");
    let (json, _, code) = shipgate(
        repo.path(),
        &["check", "--history", &range, "--format", "json"],
    );
    assert_eq!(code, 1);
    assert_eq!(found(&json), key_finding, "{range}: {json}");
    let (json, _, code) = shipgate(repo.path(), &["check", "--history=HEAD~2..HEAD~1"]);
    assert_eq!(code, 0, "{json}");
    // One revision: everything reachable from it.
    let (json, _, code) = shipgate(
        repo.path(),
        &["check", "--history", &c1, "--format", "json"],
    );
    assert_eq!(code, 1);
    assert_eq!(found(&json), token_finding, "{json}");
    let (json, _, code) = shipgate(
        repo.path(),
        &["check", "config", "--history", &c3, "--format", "json"],
    );
    assert_eq!(code, 0, "paths limit the search: {json}");

    // The human format names the commit and date before the place.
    let (human, _, _) = shipgate(repo.path(), &["check", "--history"]);
    let short = &c1[..12];
    assert!(
        human.contains(&format!("commit {short} ({D1}) .env:3:")),
        "{human}"
    );
    assert!(human.contains("checked in 4 commits"), "{human}");

    for format in ["human", "json", "sarif", "junit", "github"] {
        let (output, _, code) = shipgate(
            repo.path(),
            &["check", "--history", "--format", format, "--verbose"],
        );
        assert_eq!(code, 1, "{format}: {output}");
        assert!(output.contains("secrets/"), "{format}: {output}");
        assert!(output.contains(short), "{format} names no commit: {output}");
        assert_hidden(&output, &secrets, format, seed);
    }
    let (sarif, _, _) = shipgate(repo.path(), &["check", "--history", "--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&sarif).expect("sarif");
    let commits: BTreeSet<&str> = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["properties"]["commit"].as_str())
        .collect();
    assert_eq!(commits, BTreeSet::from([c1.as_str(), c4.as_str()]));

    // A baseline written from history silences history, and holds no secret.
    let (_, _, code) = shipgate(
        repo.path(),
        &["check", "--history", "--write-baseline", "baseline.json"],
    );
    assert_eq!(code, 0);
    let baseline = fs::read_to_string(repo.path().join("baseline.json")).expect("baseline");
    assert_hidden(&baseline, &secrets, "the baseline", seed);
    let (output, _, code) = shipgate(
        repo.path(),
        &["check", "--history", "--baseline", "baseline.json"],
    );
    assert_eq!(code, 0, "{output}");
}

#[test]
fn a_merged_branch_is_reported_at_its_own_commits_and_a_move_adds_nothing_and_manifests_are_decoded()
 {
    if !have_git() {
        return;
    }
    let (mut rng, seed) = Rng::from_entropy();
    let token = rng.string(B62, 36);
    let repo = Repo::new();
    repo.write("README.md", "# shop\n");
    repo.commit("start", D1);
    repo.git(&["checkout", "--quiet", "-b", "side"], D1);
    repo.write("app/settings.env", &format!("NPM_TOKEN=npm_{token}\n"));
    let side = repo.commit("side settings", D2);
    repo.git(&["checkout", "--quiet", "main"], D2);
    repo.write("README.md", "# shop\n\nThe shop.\n");
    // A Secret's `data` is base64: found only by decoding the manifest's value.
    let encoded = base64(format!("ghp_{}", rng.string(B62, 36)).as_bytes(), false);
    repo.write(
        "k8s/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci\ntype: Opaque\ndata:\n  user: Y2k=\n",
    );
    repo.commit("secret manifest", D2);
    repo.write(
        "k8s/secret.yaml",
        &format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci\ntype: Opaque\ndata:\n  user: Y2k=\n  token: {encoded}\n"
        ),
    );
    let manifest = repo.commit("token", D2);
    repo.git(
        &[
            "-c",
            "commit.gpgsign=false",
            "merge",
            "--quiet",
            "--no-ff",
            "-m",
            "merge side",
            "side",
        ],
        D3,
    );
    repo.git(&["mv", "app/settings.env", "app/prod.env"], D4);
    repo.commit("rename", D4);

    let (json, stderr, code) = shipgate(repo.path(), &["check", "--history", "--format", "json"]);
    assert_eq!(code, 1, "seed {seed}: {stderr}{json}");
    let mut expected = finding("secrets/npm-token", "app/settings.env", 1, &side, D2);
    expected.extend(finding(
        "secrets/kubernetes-secret-value",
        "k8s/secret.yaml",
        8,
        &manifest,
        D2,
    ));
    assert_eq!(found(&json), expected, "seed {seed}: {json}");
}

#[test]
fn outside_a_repository_history_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("a.env"), "APP=1\n").expect("write");
    let (out, stderr, code) = shipgate(dir.path(), &["check", "--history"]);
    assert_eq!(code, 2, "{out}{stderr}");
    assert!(stderr.contains("not inside a git repository"), "{stderr}");

    if !have_git() {
        return;
    }
    let repo = Repo::new();
    repo.write("a.env", "APP=1\n");
    repo.commit("start", D1);
    let (_, stderr, code) = shipgate(repo.path(), &["check", "--history", "no-such-branch"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`no-such-branch` is not a revision"),
        "{stderr}"
    );
    let (_, stderr, code) = shipgate(repo.path(), &["check", "--history", "--select", "k8s"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no secrets rule"), "{stderr}");
    let (_, stderr, code) = shipgate(repo.path(), &["check", "-", "--history"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("standard input"), "{stderr}");
    // A repository without commits has no history to search.
    let empty = Repo::new();
    let (out, stderr, code) = shipgate(empty.path(), &["check", "--history"]);
    assert_eq!(code, 0, "{out}{stderr}");
}
