//! `shipgate check --plan` on the example repository: its plan's gates fail
//! for the deliberate defects, and pass once those are fixed.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use common::example::{example, fix_every_defect};
use serde_json::Value;

mod common;

fn shipgate() -> Command {
    let mut cmd = Command::cargo_bin("shipgate").expect("binary");
    cmd.env_remove("NO_COLOR");
    cmd
}

/// Runs the plan and returns the exit code and the verdict of every gate.
fn judge(root: &Path, extra: &[&str]) -> (i32, Vec<(String, String)>, Value) {
    let output = shipgate()
        .current_dir(root)
        .args(["check", ".", "--plan", "shipgate.toml", "--format", "json"])
        .args(extra)
        .output()
        .expect("run");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let gates = report["plan"]["gates"]
        .as_array()
        .expect("gates")
        .iter()
        .map(|g| {
            (
                g["address"].as_str().unwrap_or_default().to_owned(),
                g["verdict"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    (output.status.code().unwrap_or(-1), gates, report)
}

fn verdict<'a>(gates: &'a [(String, String)], address: &str) -> &'a str {
    gates
        .iter()
        .find(|(a, _)| a == address)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no gate {address} in {gates:?}"))
}

#[test]
fn the_example_plan_fails_for_the_deliberate_defects() {
    let dir = example();
    let (code, gates, report) = judge(dir.path(), &[]);
    assert_eq!(code, 1, "{gates:?}");
    for failed in [
        "security/no-hardcoded-secrets",
        "security/supply-chain",
        "security/tls",
        "infrastructure/resources",
        "infrastructure/health-checks",
        "infrastructure/relations",
    ] {
        assert_eq!(verdict(&gates, failed), "fail", "{failed}");
    }
    assert_eq!(verdict(&gates, "ci/artifacts-parse"), "pass");
    assert_eq!(verdict(&gates, "infrastructure/manifests-exist"), "pass");
    // Commands are never run without consent, and never counted as passed.
    assert_eq!(verdict(&gates, "ci/app-compiles"), "skipped");
    assert_eq!(verdict(&gates, "validation/compose-hardened"), "blocked");
    assert_eq!(verdict(&gates, "ship/approved"), "blocked");
    assert_eq!(report["plan"]["exposures"][0]["risk"], "R1");

    // Each verdict carries what it can be re-verified against.
    let check = &report["plan"]["gates"][2]["checks"][0];
    assert_eq!(check["evidence"]["tool_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        check["evidence"]["definition"].as_str().map(str::len),
        Some(64)
    );
    assert_eq!(check["evidence"]["inputs"].as_str().map(str::len), Some(64));
    let summary = check["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("k8s/secret-in-env"), "{summary}");
    // The literal password is never in the report.
    let text = report.to_string();
    assert!(!text.contains("Sh0p-0rders-2024!"));
}

#[test]
fn the_example_plan_passes_once_the_defects_are_fixed() {
    let dir = example();
    fix_every_defect(dir.path());
    let (code, gates, report) = judge(dir.path(), &["--allow-commands"]);
    for (address, verdict) in &gates {
        let expected = match address.as_str() {
            // The local stack is out of the plan's required scope.
            "validation/compose-hardened" => "fail",
            // Nobody has approved the release yet.
            "ship/approved" => "fail",
            _ => "pass",
        };
        assert_eq!(verdict, expected, "{address}: {}", report["plan"]);
    }
    assert_eq!(code, 1, "a required gate still waits for its attestation");

    shipgate()
        .current_dir(dir.path())
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
    let (code, gates, report) = judge(dir.path(), &["--allow-commands"]);
    assert_eq!(code, 0, "{}", report["plan"]);
    assert_eq!(verdict(&gates, "ship/approved"), "pass");
    assert_eq!(verdict(&gates, "ci/app-compiles"), "pass");
    // The optional gate still fails; it is shown, and decides nothing.
    assert_eq!(verdict(&gates, "validation/compose-hardened"), "fail");
    assert_eq!(report["plan"]["verdict"], "pass");
    assert_eq!(
        report["plan"]["gates"][0]["checks"][0]["evidence"]["commit"],
        Value::Null,
        "a copy without .git has no commit to record"
    );
}

#[test]
fn gates_are_rendered_in_every_format() {
    let dir = example();
    for (format, expect) in [
        ("human", "fail    security/tls"),
        ("sarif", "\"ruleId\": \"plan/gate\""),
        ("junit", "security/tls TLS on every Ingress"),
        ("github", "gate `security/tls`"),
    ] {
        let output = shipgate()
            .current_dir(dir.path())
            .args(["check", ".", "--plan", "shipgate.toml", "--format", format])
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(1), "{format}");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains(expect), "{format}: {text}");
    }
}

#[test]
fn plan_sync_ticks_boxes_from_evidence_and_calls_out_claims() {
    let dir = example();
    let plan = dir.path().join("LAUNCH.md");
    fs::write(
        &plan,
        "# Launch\n\n## Security\n\
         - [x] TLS on every Ingress <!-- shipgate: k8s/ingress-tls -->\n\
         - [ ] Every manifest parses <!-- shipgate: yaml/* -->\n\
         - [ ] Stakeholders sign off\n",
    )
    .expect("write");
    let check = shipgate()
        .current_dir(dir.path())
        .args(["plan", "sync", "LAUNCH.md", "--check"])
        .output()
        .expect("run");
    assert_eq!(check.status.code(), Some(1));
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(
        said.contains("LAUNCH.md:4: claimed, unverified: TLS on every Ingress"),
        "{said}"
    );
    assert_eq!(
        fs::read_to_string(&plan).expect("read").lines().nth(3),
        Some("- [x] TLS on every Ingress <!-- shipgate: k8s/ingress-tls -->"),
        "--check changes nothing"
    );

    let sync = shipgate()
        .current_dir(dir.path())
        .args(["plan", "sync", "LAUNCH.md"])
        .output()
        .expect("run");
    assert_eq!(sync.status.code(), Some(0));
    let text = fs::read_to_string(&plan).expect("read");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[3].starts_with("- [ ] TLS"), "{text}");
    assert!(
        lines[4].starts_with("- [x] Every manifest parses"),
        "{text}"
    );
    assert!(lines[5].starts_with("- [ ] Stakeholders"), "{text}");
}

#[test]
fn init_writes_a_plan_for_what_the_repository_holds() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(
        dir.path().join("Dockerfile"),
        "FROM alpine:3.20\nUSER 10001\n",
    )
    .expect("write");
    fs::write(dir.path().join("README.md"), "# api\n").expect("write");
    shipgate()
        .current_dir(dir.path())
        .arg("init")
        .assert()
        .success();
    let plan = fs::read_to_string(dir.path().join("shipgate.toml")).expect("plan");
    assert!(plan.contains("docker/"), "{plan}");
    assert!(
        !plan.contains("k8s/") && !plan.contains("compose/"),
        "{plan}"
    );
    // A second init keeps the plan someone may have edited.
    shipgate()
        .current_dir(dir.path())
        .arg("init")
        .assert()
        .code(2);
    // The plan it wrote is one `check --plan` judges.
    let output = shipgate()
        .current_dir(dir.path())
        .args(["check", ".", "--plan", "shipgate.toml", "--format", "json"])
        .output()
        .expect("run");
    let report: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert!(
        !report["plan"]["gates"]
            .as_array()
            .expect("gates")
            .is_empty()
    );
}

/// A loopback service that answers every request with `status`.
fn serve(status: u16) -> std::net::SocketAddr {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            );
        }
    });
    address
}

#[test]
fn live_probe_checks_run_only_with_live_and_judge_their_gate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let healthy = serve(200);
    let broken = serve(503);
    fs::write(
        dir.path().join("shipgate.toml"),
        format!(
            "[targets]\napi = \"http://{healthy}\"\nold = \"http://{broken}\"\n\n\
             [[phase]]\nid = \"validation\"\n\
             [[phase.gate]]\nid = \"api-answers\"\n\
             [[phase.gate.check]]\nprobe = {{ kind = \"http\", target = \"api\", path = \"/healthz\" }}\n\
             [[phase.gate]]\nid = \"old-answers\"\n\
             [[phase.gate.check]]\nprobe = {{ kind = \"http\", target = \"old\", path = \"/healthz\" }}\n"
        ),
    )
    .expect("plan");
    let (code, skipped, _) = judge(dir.path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(verdict(&skipped, "validation/api-answers"), "skipped");

    let (code, live, report) = judge(dir.path(), &["--live"]);
    assert_eq!(code, 1, "{}", report["plan"]);
    assert_eq!(verdict(&live, "validation/api-answers"), "pass");
    assert_eq!(verdict(&live, "validation/old-answers"), "fail");

    // A target moved with --target is probed there instead.
    let moved = format!("old=http://{healthy}");
    let (code, moved, _) = judge(dir.path(), &["--live", "--target", &moved]);
    assert_eq!(code, 0);
    assert_eq!(verdict(&moved, "validation/old-answers"), "pass");
}

#[test]
fn a_plan_that_names_an_opt_in_rule_gets_it_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::create_dir_all(dir.path().join(".github/workflows")).expect("mkdir");
    fs::write(
        dir.path().join(".github/workflows/ci.yml"),
        "on: push\npermissions:\n  contents: read\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: make test\n",
    )
    .expect("write");
    fs::write(
        dir.path().join("shipgate.toml"),
        "[[phase]]\nid = \"ci\"\n\n[[phase.gate]]\nid = \"bounded\"\n\n[[phase.gate.check]]\nrules = [\"workflows/job-timeout-missing\"]\nmax = { error = 0, warning = 0, info = 0 }\n",
    )
    .expect("write");
    let (code, gates, report) = judge(dir.path(), &[]);
    assert_eq!(verdict(&gates, "ci/bounded"), "fail", "{}", report["plan"]);
    assert_eq!(code, 1);
    let summary = report["plan"]["gates"][0]["checks"][0]["summary"]
        .as_str()
        .unwrap_or_default();
    assert!(
        summary.contains("workflows/job-timeout-missing"),
        "{summary}"
    );
}
