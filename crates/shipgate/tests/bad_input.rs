//! Hostile and broken input: every file gets a diagnostic, none stops the run.

use std::fs;

use assert_cmd::Command;

#[test]
fn every_bad_file_yields_a_diagnostic_and_the_run_completes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            vec![format!("*a{p}"); 10].join(", ")
        ));
    }
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("binary.yaml", vec![0x89, b'P', b'N', b'G', 0, 0, 1, 2]),
        ("latin1.yaml", b"name: caf\xe9\n".to_vec()),
        (
            "deep-flow.yaml",
            format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
        ),
        (
            "deep-block.yaml",
            format!("{}x\n", "- ".repeat(10_000)).into_bytes(),
        ),
        ("bomb.yaml", bomb.into_bytes()),
        ("empty.yaml", Vec::new()),
        (
            "many.yaml",
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop}\n"
                .repeat(100_000)
                .into_bytes(),
        ),
        ("huge.yaml", vec![b'#'; 11 * 1024 * 1024]),
        (
            "fine.yaml",
            b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok, namespace: shop}\n".to_vec(),
        ),
    ];
    for (name, content) in &files {
        fs::write(root.join(name), content).expect("write");
    }
    let output = Command::cargo_bin("shipgate")
        .expect("binary")
        .current_dir(root)
        .args(["check", "--format", "json", "--select", "io/*,yaml/*"])
        .output()
        .expect("run");
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json report");
    let found: Vec<(String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["location"]["path"].as_str().unwrap_or("").to_owned(),
                f["rule"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    for (path, rule) in [
        ("binary.yaml", "io/binary-file"),
        ("latin1.yaml", "io/invalid-utf8"),
        ("deep-flow.yaml", "yaml/too-deep"),
        ("deep-block.yaml", "yaml/too-deep"),
        ("bomb.yaml", "yaml/alias-bomb"),
        ("huge.yaml", "io/file-too-large"),
    ] {
        assert!(
            found.iter().any(|(p, r)| p == path && r == rule),
            "expected {rule} on {path}; found {found:?}"
        );
    }
    for quiet in ["empty.yaml", "many.yaml", "fine.yaml"] {
        assert!(!found.iter().any(|(p, _)| p == quiet), "{quiet}: {found:?}");
    }
    assert_eq!(report["files"]["objects"], 100_001);
}
