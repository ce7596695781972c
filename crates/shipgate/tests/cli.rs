//! The real binary on real files.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn shipgate() -> Command {
    let mut cmd = Command::cargo_bin("shipgate").expect("binary");
    cmd.env_remove("NO_COLOR");
    cmd
}

fn write(dir: &Path, path: &str, content: &str) {
    let full = dir.join(path);
    fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
    fs::write(full, content).expect("write");
}

const UNLIMITED: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  containers:
    - name: web
      image: nginx:1.27
";

#[test]
fn exit_code_is_one_on_findings_and_zero_when_clean() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "pod.yaml", UNLIMITED);
    shipgate()
        .current_dir(dir.path())
        .args(["check", "--select", "k8s/container-memory-limit"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "warning[k8s/container-memory-limit]",
        ))
        .stdout(predicate::str::contains("pod.yaml:8:13"));
    shipgate()
        .current_dir(dir.path())
        .args([
            "check",
            "--select",
            "k8s/container-memory-limit",
            "--fail-on",
            "error",
        ])
        .assert()
        .code(0);
}

#[test]
fn usage_errors_exit_with_two() {
    shipgate()
        .args(["check", "--format", "xml"])
        .assert()
        .code(2);
    shipgate()
        .args(["check", "--select", "k8s/no-such-rule"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("matches no rule"));
    shipgate()
        .args(["check", "/definitely/not/here"])
        .assert()
        .code(2);
    shipgate().args(["explain", "nope/nope"]).assert().code(2);
}

#[test]
fn reads_a_yaml_stream_from_standard_input() {
    shipgate()
        .args([
            "check",
            "-",
            "--select",
            "k8s/container-memory-limit",
            "--format",
            "json",
        ])
        .write_stdin(format!("---\n{UNLIMITED}---\n{UNLIMITED}"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\"path\": \"<stdin>\""))
        .stdout(predicate::str::contains("\"line\": 19"));
}

#[test]
fn human_output_has_no_colour_with_no_color_or_when_piped() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "pod.yaml", UNLIMITED);
    let output = shipgate()
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args(["check", "--select", "k8s/container-memory-limit"])
        .output()
        .expect("run");
    assert!(!String::from_utf8_lossy(&output.stdout).contains('\u{1b}'));
    let forced = shipgate()
        .current_dir(dir.path())
        .args([
            "check",
            "--select",
            "k8s/container-memory-limit",
            "--color",
            "always",
        ])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&forced.stdout).contains('\u{1b}'));
}

#[test]
fn output_file_receives_the_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "pod.yaml", UNLIMITED);
    shipgate()
        .current_dir(dir.path())
        .args(["check", "--format", "sarif", "--output", "out.sarif"])
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty());
    let sarif: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("out.sarif")).expect("read"))
            .expect("json");
    assert_eq!(sarif["version"], "2.1.0");
    let uri = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"];
    assert_eq!(uri, "pod.yaml");
}

#[test]
fn baseline_hides_known_findings_and_survives_line_shifts() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "pod.yaml", UNLIMITED);
    shipgate()
        .current_dir(dir.path())
        .args(["check", "--write-baseline", "baseline.json"])
        .assert()
        .code(0);
    let baseline = fs::read_to_string(dir.path().join("baseline.json")).expect("read");
    assert!(baseline.contains("shipgate.baseline/v1"));
    assert!(
        !baseline.contains("nginx"),
        "a baseline stores fingerprints, not content"
    );
    // Unrelated lines move the finding down; the baseline still knows it.
    write(
        dir.path(),
        "pod.yaml",
        &format!("# a new comment\n# and another\n{UNLIMITED}"),
    );
    shipgate()
        .current_dir(dir.path())
        .args(["check", "--baseline", "baseline.json"])
        .assert()
        .code(0);
    // A new defect is still reported.
    write(
        dir.path(),
        "pod.yaml",
        &format!("{UNLIMITED}    - name: sidecar\n      image: busybox:1.36\n"),
    );
    shipgate()
        .current_dir(dir.path())
        .args([
            "check",
            "--baseline",
            "baseline.json",
            "--select",
            "k8s/container-memory-limit",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("sidecar"));
}

#[test]
fn a_malformed_file_does_not_stop_the_others() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a-broken.yaml", "kind: [\n");
    write(dir.path(), "b-pod.yaml", UNLIMITED);
    write(dir.path(), "c-binary.yaml", "\u{0}\u{0}\u{0}");
    let output = shipgate()
        .current_dir(dir.path())
        .args([
            "check",
            "--format",
            "json",
            "--select",
            "yaml/*,io/*,k8s/container-memory-limit",
        ])
        .output()
        .expect("run");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        rules,
        [
            "yaml/syntax-error",
            "k8s/container-memory-limit",
            "io/binary-file"
        ]
    );
    assert_eq!(report["schema"], "shipgate.report/v1");
}

#[test]
fn rules_lists_and_explain_accepts_peer_ids() {
    let output = shipgate()
        .args(["rules", "--format", "json"])
        .output()
        .expect("run");
    let rules: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let list = rules.as_array().expect("array");
    assert!(list.iter().any(|r| r["id"] == "k8s/container-memory-limit"));
    for rule in list {
        for key in ["id", "title", "severity", "category", "aliases"] {
            assert!(!rule[key].is_null(), "{key} missing in {rule}");
        }
    }
    shipgate()
        .args(["explain", "CKV_K8S_13"])
        .assert()
        .success()
        .stdout(predicate::str::contains("# k8s/container-memory-limit"))
        .stdout(predicate::str::contains("## Fails"));
}

#[test]
fn version_is_printed() {
    shipgate()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("shipgate 0."));
}

#[test]
fn severity_can_be_raised_or_lowered_per_rule() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "pod.yaml", UNLIMITED);
    let select = ["check", "--select", "k8s/container-memory-limit"];
    shipgate()
        .current_dir(dir.path())
        .args(select)
        .args(["--severity", "k8s/container-memory-limit=error"])
        .args(["--fail-on", "error"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "error[k8s/container-memory-limit]",
        ));
    shipgate()
        .current_dir(dir.path())
        .args(select)
        .args(["--severity", "k8s/*=info"])
        .assert()
        .code(0);
    shipgate()
        .current_dir(dir.path())
        .args(select)
        .args(["--severity", "k8s/container-memory-limit"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("RULES=LEVEL"));
    shipgate()
        .current_dir(dir.path())
        .args(select)
        .args(["--severity", "k8s/container-memory-limit=fatal"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown severity"));
}

#[test]
fn kube_version_is_validated() {
    shipgate()
        .args(["check", "--kube-version", "latest", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a Kubernetes version"));
}

#[test]
fn completions_and_manual_pages_cover_every_subcommand() {
    for (shell, expected) in [
        ("bash", "shipgate__subcmd__ship"),
        ("zsh", "#compdef shipgate"),
        ("fish", "complete -c shipgate"),
    ] {
        shipgate()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains(expected));
    }
    shipgate()
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH shipgate 1").and(predicate::str::contains("ship")));
    let dir = tempfile::tempdir().expect("tempdir");
    shipgate()
        .args(["man", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    for page in [
        "shipgate.1",
        "shipgate-check.1",
        "shipgate-ship.1",
        "shipgate-sbom.1",
    ] {
        let text = fs::read_to_string(dir.path().join(page)).expect(page);
        assert!(text.contains(".SH SYNOPSIS"), "{page}");
    }
}
