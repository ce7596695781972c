//! What the API server of the target release would reject is an error at
//! the right line: removed APIs, invalid quantities, misspelled and wrongly
//! typed fields.

use assert_cmd::Command;
use serde_json::Value;

const FIXTURE: &str = "tests/fixtures/api-rejections.yaml";

fn errors(kube_version: &str) -> Vec<(String, u64)> {
    let output = Command::cargo_bin("shipgate")
        .expect("binary")
        .args([
            "check",
            "--format",
            "json",
            "--kube-version",
            kube_version,
            FIXTURE,
        ])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).expect("json");
    let mut errors: Vec<(String, u64)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            (
                f["rule"].as_str().expect("rule").to_owned(),
                f["location"]["span"]["start"]["line"]
                    .as_u64()
                    .expect("line"),
            )
        })
        .collect();
    errors.sort();
    errors
}

#[test]
fn every_rejection_is_an_error_at_its_line() {
    let expected = [
        ("k8s/invalid-quantity", 38),
        ("k8s/removed-api", 2),
        ("k8s/removed-api", 12),
        ("k8s/schema-invalid", 25),
        ("k8s/schema-unknown-field", 35),
    ];
    let expected: Vec<(String, u64)> = expected
        .iter()
        .map(|(rule, line)| ((*rule).to_owned(), *line))
        .collect();
    assert_eq!(errors("1.35"), expected);
}

#[test]
fn what_is_removed_depends_on_the_target_release() {
    // On 1.24 PodSecurityPolicy is still served (deprecated), the old
    // Ingress is not.
    let removed: Vec<u64> = errors("1.24")
        .into_iter()
        .filter(|(rule, _)| rule == "k8s/removed-api")
        .map(|(_, line)| line)
        .collect();
    assert_eq!(removed, [2]);
}
