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

/// Writes a base of 200 objects (100 Deployments, their Services and one
/// generated ConfigMap) and an overlay that touches every one of them.
fn large_overlay() -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("kustomize-large");
    let write = |path: &str, text: &str| {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
    };
    let mut files = Vec::new();
    for f in 0..20 {
        let mut docs = Vec::new();
        for i in 0..5 {
            let n = f * 5 + i;
            docs.push(format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc{n}\n  labels: {{app: svc{n}}}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: svc{n}}}\n  template:\n    metadata:\n      labels: {{app: svc{n}}}\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/svc:{n}\n          ports: [{{containerPort: 8080, name: http}}]\n          env:\n            - {{name: A, value: \"1\"}}\n          envFrom: [{{configMapRef: {{name: shared}}}}]\n          volumeMounts: [{{name: data, mountPath: /data}}]\n      volumes: [{{name: data, configMap: {{name: shared}}}}]\n"
            ));
            docs.push(format!(
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc{n}\nspec:\n  selector: {{app: svc{n}}}\n  ports: [{{port: 80, targetPort: http}}]\n"
            ));
        }
        write(&format!("base/r{f}.yaml"), &docs.join("---\n"));
        files.push(format!("  - r{f}.yaml\n"));
    }
    write(
        "base/kustomization.yaml",
        &format!(
            "resources:\n{}configMapGenerator:\n  - name: shared\n    literals: [X=1, Y=2]\n",
            files.concat()
        ),
    );
    write(
        "overlay/kustomization.yaml",
        "resources: [../base]\nnamespace: prod\nnamePrefix: prod-\nlabels:\n  - pairs: {env: prod}\n    includeSelectors: true\ncommonAnnotations: {team: x}\nimages:\n  - name: registry.example.com/svc\n    newName: mirror.example.com/svc\npatches:\n  - target: {kind: Deployment}\n    patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata: {name: x}\n      spec:\n        template:\n          spec:\n            containers:\n              - name: app\n                securityContext: {runAsNonRoot: true}\n  - target: {kind: Service, name: 'svc1.*'}\n    patch: |-\n      - op: add\n        path: /spec/type\n        value: ClusterIP\n",
    );
    root
}

#[test]
fn a_large_generated_overlay_matches_kubectl() {
    let root = large_overlay();
    let rendering = render("overlay", &Disk(root.clone()));
    assert!(
        rendering.diagnostics.is_empty(),
        "{:#?}",
        rendering.diagnostics
    );
    let native = documents(&rendering.stream);
    let output = Command::new("kubectl")
        .arg("kustomize")
        .arg(root.join("overlay"))
        .output()
        .expect("kubectl is required for this test");
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("UTF-8 output");
    let expected = documents(&parse(&text, Schema::Yaml11, Limits::default()));
    assert_eq!(native.len(), 201);
    assert!(
        native == expected,
        "the large overlay differs from kubectl's"
    );
}

#[test]
fn edge_cases_match_kubectl() {
    check("edge/overlay");
}

#[test]
fn replacements_match_kubectl() {
    check("replacements");
}
