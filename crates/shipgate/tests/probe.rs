//! `shipgate probe` through the binary: targets from the plan, overridden
//! on the command line, human and JSON reports, and exit codes.

use std::io::{Read, Write};
use std::net::TcpListener;

use assert_cmd::Command;
use serde_json::Value;

/// A loopback server answering every request with `status`, until the
/// test ends.
fn answer_with(status: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let body = "{\"status\":\"ok\"}";
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

const PLAN: &str = r#"
[targets]
api = "http://127.0.0.1:9"

[[probe]]
name = "health"
kind = "http"
target = "api"
path = "/health"
body-json = [{ pointer = "/status", equals = "ok" }]
"#;

fn plan_file() -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(PLAN.as_bytes()).unwrap();
    file
}

#[test]
fn a_passing_probe_exits_0_and_a_failing_one_1() {
    let plan = plan_file();
    let good = answer_with("200 OK");
    let out = Command::cargo_bin("shipgate")
        .unwrap()
        .args(["probe", "--plan"])
        .arg(plan.path())
        .arg("--target")
        .arg(format!("api={good}"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.starts_with("PASS  health [http] api "), "{text}");

    let bad = answer_with("503 Service Unavailable");
    let out = Command::cargo_bin("shipgate")
        .unwrap()
        .args(["probe", "--format", "json", "--plan"])
        .arg(plan.path())
        .arg("--target")
        .arg(format!("api={bad}"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema"], "shipgate.probe-report/v1");
    let o = &report["observations"][0];
    assert_eq!(o["outcome"], "fail");
    assert_eq!(o["checks"][0]["actual"], "503");
    assert_eq!(o["evidence"]["exchange"]["response"]["status"], 503);
}

#[test]
fn an_unknown_target_or_probe_is_a_usage_error() {
    let plan = plan_file();
    let out = Command::cargo_bin("shipgate")
        .unwrap()
        .args(["probe", "--target", "apx=http://127.0.0.1:1", "--plan"])
        .arg(plan.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--target apx: the plan declares no such target (known: api)"),
        "{err}"
    );

    let out = Command::cargo_bin("shipgate")
        .unwrap()
        .args(["probe", "--only", "nope", "--plan"])
        .arg(plan.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
