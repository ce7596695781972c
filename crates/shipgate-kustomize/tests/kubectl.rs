//! Native renderings of the fixtures must equal `kubectl kustomize`'s,
//! object for object and in the same order. kubectl is required: a
//! missing kubectl fails the test rather than skipping it.

mod common;

use std::process::Command;

use shipgate_kustomize::render;
use shipgate_syntax::yaml::{Limits, Schema, parse};

use common::{Disk, documents, fixtures};

fn kubectl(dir: &str) -> Vec<serde_json::Value> {
    let output = Command::new("kubectl")
        .arg("kustomize")
        .arg(fixtures().join(dir))
        .output()
        .unwrap_or_else(|err| {
            panic!("kubectl is required for this test (scripts/test installs it): {err}")
        });
    assert!(
        output.status.success(),
        "kubectl kustomize {dir} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("UTF-8 output");
    let stream = parse(&text, Schema::Yaml11, Limits::default());
    assert!(stream.errors.is_empty(), "{:?}", stream.errors);
    documents(&stream)
}

fn check(dir: &str) {
    let rendering = render(dir, &Disk(fixtures()));
    assert!(
        rendering.diagnostics.is_empty(),
        "{dir}: {:#?}",
        rendering.diagnostics
    );
    let native = documents(&rendering.stream);
    let expected = kubectl(dir);
    let names = |docs: &[serde_json::Value]| -> Vec<String> {
        docs.iter()
            .map(|d| format!("{} {}", d["kind"], d["metadata"]["name"]))
            .collect()
    };
    assert_eq!(
        names(&native),
        names(&expected),
        "{dir}: objects or order differ"
    );
    for (n, e) in native.iter().zip(&expected) {
        assert_eq!(
            n,
            e,
            "{dir}: {} differs\nnative:  {}\nkubectl: {}",
            e["metadata"]["name"],
            serde_json::to_string_pretty(n).unwrap_or_default(),
            serde_json::to_string_pretty(e).unwrap_or_default()
        );
    }
}

#[test]
fn base_matches_kubectl() {
    check("shop/base");
}

#[test]
fn dev_overlay_matches_kubectl() {
    check("shop/overlays/dev");
}

#[test]
fn prod_overlay_matches_kubectl() {
    check("shop/overlays/prod");
}
