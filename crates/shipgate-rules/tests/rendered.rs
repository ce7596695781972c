//! Objects rendered from several files: findings point at the file and line
//! that produced the offending node, and the base files' comments still
//! suppress.

use shipgate_rules::{ArtifactKind, Engine, EngineConfig};
use shipgate_syntax::yaml::{self, Limits, OwnedNode, Schema, SourceTable, YamlStream};

const BASE: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          securityContext:
            privileged: false
";

const PATCH: &str = "apiVersion: apps/v1
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
";

/// Renders BASE with the container's securityContext taken from PATCH, as
/// a strategic-merge patch would.
fn render(base_text: &str) -> YamlStream {
    let base = yaml::parse(base_text, Schema::Yaml11, Limits::default());
    let patch = yaml::parse(PATCH, Schema::Yaml11, Limits::default());
    let mut table = SourceTable::new();
    let base_at = table.base("k8s/base/deployment.yaml", base_text.len());
    let patch_at = table.base("k8s/overlays/prod/privileged.yaml", PATCH.len());
    let mut object = base.owned(0, base_at).expect("base document");
    let patched = OwnedNode::from_ref(
        patch
            .root(0)
            .and_then(|r| r.path(&["spec", "template", "spec", "containers"]))
            .and_then(|c| c.items().next())
            .and_then(|c| c.get("securityContext"))
            .expect("patch node"),
        patch_at,
    );
    let container = object
        .get_mut("spec")
        .and_then(|s| s.get_mut("template"))
        .and_then(|t| t.get_mut("spec"))
        .and_then(|s| s.get_mut("containers"))
        .and_then(|c| c.items_mut())
        .and_then(|items| items.first_mut())
        .expect("container");
    container.insert("securityContext", patched);
    YamlStream::from_documents(vec![object], table.into_sources(), Schema::Yaml11)
}

fn engine() -> Engine {
    Engine::new(EngineConfig {
        select: vec!["k8s/privileged-container".into(), "k8s/pdb-missing".into()],
        ..EngineConfig::default()
    })
    .expect("engine")
}

#[test]
fn a_patched_field_is_reported_at_the_patch() {
    let engine = engine();
    let rendered = engine.check_rendered("k8s/overlays/prod/kustomization.yaml", &render(BASE));
    let report = engine.finish(vec![".".into()], vec![rendered], None);
    let finding = report
        .findings
        .iter()
        .find(|f| f.rule == "k8s/privileged-container")
        .expect("privileged finding");
    assert_eq!(finding.location.path, "k8s/overlays/prod/privileged.yaml");
    let span = finding.location.span.expect("span");
    assert_eq!((span.start.line, span.start.column), (11, 25));
    // Byte offsets are the patch file's own, so snippets show the right text.
    assert_eq!(
        &PATCH[span.start_byte as usize..span.end_byte as usize],
        "true"
    );
    assert!(
        finding
            .location
            .logical
            .starts_with("k8s/overlays/prod/kustomization.yaml: Deployment/shop/api"),
        "{}",
        finding.location.logical
    );
}

#[test]
fn cross_object_findings_point_into_the_base() {
    let engine = engine();
    let with_replicas = BASE.replace("spec:\n  selector:", "spec:\n  replicas: 3\n  selector:");
    let rendered = engine.check_rendered(
        "k8s/overlays/prod/kustomization.yaml",
        &render(&with_replicas),
    );
    let report = engine.finish(vec![".".into()], vec![rendered], None);
    let finding = report
        .findings
        .iter()
        .find(|f| f.rule == "k8s/pdb-missing")
        .expect("pdb finding");
    assert_eq!(finding.location.path, "k8s/base/deployment.yaml");
    assert_eq!(finding.location.line(), Some(2));
}

#[test]
fn comments_in_the_patch_file_suppress_its_findings() {
    let engine = engine();
    let patch_file = PATCH.replace(
        "privileged: true",
        "privileged: true  # shipgate:ignore k8s/privileged-container -- node agent",
    );
    let consumed = engine.check_consumed_bytes(
        "k8s/overlays/prod/privileged.yaml",
        patch_file.as_bytes(),
        ArtifactKind::Yaml,
    );
    // The patch alone is not judged as an object.
    assert!(consumed.findings.is_empty() && consumed.objects.is_empty());
    let rendered = engine.check_rendered("k8s/overlays/prod/kustomization.yaml", &render(BASE));
    let report = engine.finish(vec![".".into()], vec![consumed, rendered], None);
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert_eq!(report.suppressed.len(), 1);
}

#[test]
fn the_same_base_through_two_overlays_is_reported_once_naming_both() {
    let engine = engine();
    let with_replicas = BASE.replace("spec:\n  selector:", "spec:\n  replicas: 3\n  selector:");
    let dev = engine.check_rendered(
        "k8s/overlays/dev/kustomization.yaml",
        &render(&with_replicas),
    );
    let prod = engine.check_rendered(
        "k8s/overlays/prod/kustomization.yaml",
        &render(&with_replicas),
    );
    let report = engine.finish(vec![".".into()], vec![dev, prod], None);
    let pdb: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == "k8s/pdb-missing")
        .collect();
    assert_eq!(pdb.len(), 1, "{pdb:?}");
    assert!(pdb[0].location.logical.contains("/kustomization.yaml: "));
    let mut overlays: Vec<&str> = pdb[0]
        .related
        .iter()
        .map(|r| r.location.path.as_str())
        .collect();
    overlays.sort_unstable();
    assert_eq!(
        overlays,
        [
            "k8s/overlays/dev/kustomization.yaml",
            "k8s/overlays/prod/kustomization.yaml"
        ]
    );
}
