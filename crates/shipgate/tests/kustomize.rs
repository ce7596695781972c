//! Kustomize overlays through the real binary: rendered objects are judged
//! where their nodes were written, and an overlay that cannot be rendered
//! never passes silently.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;
use shipgate_rules::registry;

fn write(dir: &Path, path: &str, content: &str) {
    let full = dir.join(path);
    fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
    fs::write(full, content).expect("write");
}

fn check_json(dir: &Path, args: &[&str], path_env: Option<&str>) -> Value {
    let mut cmd = Command::cargo_bin("shipgate").expect("binary");
    cmd.current_dir(dir)
        .args(["check", "--format", "json"])
        .args(args);
    if let Some(path) = path_env {
        cmd.env("PATH", path);
    }
    let output = cmd.output().expect("run");
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("json report")
}

fn findings<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

fn position(finding: &Value) -> (String, u64) {
    let location = &finding["location"];
    (
        location["path"].as_str().expect("path").to_owned(),
        location["span"]["start"]["line"].as_u64().expect("line"),
    )
}

const BASE: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
";

fn shop(dir: &Path) {
    write(
        dir,
        "k8s/base/kustomization.yaml",
        "resources:\n  - deployment.yaml\n",
    );
    write(dir, "k8s/base/deployment.yaml", BASE);
    write(
        dir,
        "k8s/overlays/prod/kustomization.yaml",
        "namespace: shop\nresources:\n  - ../../base\npatches:\n  - path: debug.yaml\n",
    );
    write(
        dir,
        "k8s/overlays/prod/debug.yaml",
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          securityContext:
            privileged: true
",
    );
    write(
        dir,
        "k8s/overlays/dev/kustomization.yaml",
        "namespace: shop-dev\nresources:\n  - ../../base\n",
    );
}

#[test]
fn a_patch_that_makes_a_container_privileged_is_reported_at_the_patch() {
    let dir = tempfile::tempdir().expect("tempdir");
    shop(dir.path());
    let report = check_json(dir.path(), &["--select", "k8s/privileged-container"], None);
    let found = findings(&report, "k8s/privileged-container");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        position(found[0]),
        ("k8s/overlays/prod/debug.yaml".to_owned(), 11)
    );
}

#[test]
fn each_overlay_is_judged_and_its_base_is_not_judged_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    shop(dir.path());
    let report = check_json(
        dir.path(),
        &[
            "--select",
            "k8s/container-memory-limit,k8s/namespace-missing",
        ],
        None,
    );
    // The base alone has no namespace, but every overlay gives it one.
    assert!(findings(&report, "k8s/namespace-missing").is_empty());
    // The missing limit is in the base: reported once, at the base, naming
    // both overlays that deploy it.
    let limits = findings(&report, "k8s/container-memory-limit");
    assert_eq!(limits.len(), 1, "{limits:#?}");
    assert_eq!(
        position(limits[0]),
        ("k8s/base/deployment.yaml".to_owned(), 14)
    );
    let mut overlays: Vec<String> = limits[0]["related"]
        .as_array()
        .expect("related")
        .iter()
        .map(|r| r["location"]["path"].as_str().expect("path").to_owned())
        .collect();
    overlays.sort();
    assert_eq!(
        overlays,
        [
            "k8s/overlays/dev/kustomization.yaml",
            "k8s/overlays/prod/kustomization.yaml"
        ]
    );
    // The patch is not judged as an object of its own.
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .all(|f| f["location"]["path"] != "k8s/overlays/prod/debug.yaml")
    );
}

#[test]
fn an_overlay_that_does_not_render_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "k8s/kustomization.yaml",
        "resources:\n  - deployment.yaml\n  - missing.yaml\n",
    );
    write(dir.path(), "k8s/deployment.yaml", BASE);
    let report = check_json(dir.path(), &[], None);
    let failed = findings(&report, "kustomize/render-failed");
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(position(failed[0]).0, "k8s/kustomization.yaml");
    // The files of an overlay that did not render are still judged alone.
    assert!(!findings(&report, "k8s/container-memory-limit").is_empty());
}

/// The documented examples of the kustomize rules, run as users meet them:
/// a folder with the example's kustomization and the ConfigMap it names.
#[test]
fn every_kustomize_rule_example_behaves_as_documented() {
    const CONFIGMAP: &str =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: production\n";
    let mut failures = Vec::new();
    for rule in registry()
        .rules()
        .iter()
        .filter(|r| r.meta.id.starts_with("kustomize/"))
    {
        let id = rule.meta.id;
        // Features beyond the native renderer are rendered by kubectl when
        // it is there; the warning is about machines without it.
        let path_env = (id == "kustomize/unsupported").then_some("");
        for (example, expected) in [(&rule.meta.failing, true), (&rule.meta.passing, false)] {
            let dir = tempfile::tempdir().expect("tempdir");
            write(dir.path(), example.file, example.content);
            write(dir.path(), "k8s/configmap.yaml", CONFIGMAP);
            let report = check_json(dir.path(), &["--select", id], path_env);
            let raised = !findings(&report, id).is_empty();
            if raised != expected {
                failures.push(format!(
                    "{id}: {} example {}: {:#}",
                    if expected { "failing" } else { "passing" },
                    if expected {
                        "raised nothing"
                    } else {
                        "raised it"
                    },
                    report["findings"]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
