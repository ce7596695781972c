//! A node refused both by the schema and by a rule that knows why yields
//! one finding: the specific one.

use shipgate_rules::{ArtifactKind, Engine, EngineConfig};

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels:
    enabled: true
spec:
  replicas: 2
  containers:
    - name: web
      image: nginx:1.27
      ports:
        - name: http
          containerPort: \"8080\"
";

fn lines(rules: &[&str]) -> Vec<(String, u32)> {
    let engine = Engine::new(EngineConfig {
        select: rules.iter().map(|r| (*r).to_owned()).collect(),
        ..EngineConfig::default()
    })
    .expect("engine");
    let outcome = engine.check_text("pod.yaml", POD, ArtifactKind::Kubernetes);
    let mut found: Vec<(String, u32)> = outcome
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.location.line().expect("line")))
        .collect();
    found.sort_unstable();
    found
}

#[test]
fn alone_the_schema_refuses_both_nodes() {
    let found = lines(&["k8s/schema-invalid"]);
    let at: Vec<u32> = found.iter().map(|(_, line)| *line).collect();
    assert_eq!(at, [7, 15], "{found:?}");
}

#[test]
fn the_specific_rule_wins_and_the_schema_still_reports_the_rest() {
    let found = lines(&[
        "k8s/schema-invalid",
        "k8s/schema-unknown-field",
        "k8s/invalid-label",
        "k8s/invalid-container-port",
    ]);
    let expected = [
        ("k8s/invalid-container-port", 15),
        ("k8s/invalid-label", 7),
        ("k8s/schema-unknown-field", 9),
    ];
    let expected: Vec<(String, u32)> = expected
        .iter()
        .map(|(rule, line)| ((*rule).to_owned(), *line))
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn a_removed_api_is_reported_as_removed_not_as_unknown() {
    const PSP: &str = "apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata:
  name: restricted
spec:
  privileged: false
";
    let check = |rules: &[&str]| -> Vec<String> {
        let engine = Engine::new(EngineConfig {
            select: rules.iter().map(|r| (*r).to_owned()).collect(),
            ..EngineConfig::default()
        })
        .expect("engine");
        let outcome = engine.check_text("psp.yaml", PSP, ArtifactKind::Kubernetes);
        outcome.findings.into_iter().map(|f| f.rule).collect()
    };
    // Alone, the kind is still never passed in silence...
    assert_eq!(check(&["k8s/unknown-kind"]), ["k8s/unknown-kind"]);
    // ...but with both, the finding that names the release and the way out wins.
    assert_eq!(
        check(&["k8s/unknown-kind", "k8s/removed-api"]),
        ["k8s/removed-api"]
    );
}
