//! Suppressions: our comments and annotations, peers' conventions through
//! aliases, reasons required, and every suppression counted.

use shipgate_core::Report;
use shipgate_rules::{ArtifactKind, Engine, EngineConfig};

const RULE: &str = "k8s/container-memory-limit";

fn run(text: &str) -> Report {
    let engine = Engine::new(EngineConfig {
        select: vec![RULE.into(), "meta/*".into()],
        ..EngineConfig::default()
    })
    .expect("engine");
    let outcome = engine.check_text("pod.yaml", text, ArtifactKind::Yaml);
    engine.finish(vec![".".into()], vec![outcome], None)
}

fn pod(annotations: &str, name_line: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
{annotations}spec:
  containers:
{name_line}
      image: nginx:1.27
"
    )
}

fn rules(report: &Report) -> Vec<&str> {
    report.findings.iter().map(|f| f.rule.as_str()).collect()
}

#[test]
fn unsuppressed_finding_is_reported() {
    let report = run(&pod("", "    - name: web"));
    assert_eq!(rules(&report), [RULE]);
    assert_eq!(report.summary.suppressed, 0);
}

#[test]
fn trailing_comment_with_reason_suppresses_and_is_counted() {
    let report = run(&pod(
        "",
        "    - name: web # shipgate:ignore k8s/container-memory-limit -- sized by the VPA",
    ));
    assert!(report.findings.is_empty(), "{:?}", rules(&report));
    assert_eq!(report.summary.suppressed, 1);
    assert_eq!(report.suppressed[0].by, "inline");
    assert_eq!(
        report.suppressed[0].reason.as_deref(),
        Some("sized by the VPA")
    );
}

#[test]
fn comment_on_the_line_above_suppresses() {
    let report = run(&pod(
        "",
        "    # shipgate:ignore k8s/container-memory-limit -- sized by the VPA\n    - name: web",
    ));
    assert!(report.findings.is_empty(), "{:?}", rules(&report));
}

#[test]
fn comment_above_a_document_covers_the_document() {
    let text = format!(
        "# shipgate:ignore k8s/* -- legacy pod, replaced next quarter\n{}",
        pod("", "    - name: web")
    );
    let report = run(&text);
    assert!(report.findings.is_empty(), "{:?}", rules(&report));
}

#[test]
fn suppression_without_reason_still_applies_but_is_a_finding() {
    let report = run(&pod(
        "",
        "    - name: web # shipgate:ignore k8s/container-memory-limit",
    ));
    assert_eq!(rules(&report), ["meta/suppression-missing-reason"]);
    assert_eq!(report.summary.suppressed, 1);
}

#[test]
fn unknown_rule_in_suppression_is_a_finding() {
    let report = run(&pod(
        "",
        "    - name: web # shipgate:ignore k8s/memory-limitt -- typo",
    ));
    let found = rules(&report);
    assert!(
        found.contains(&"meta/suppression-unknown-rule"),
        "{found:?}"
    );
    assert!(
        found.contains(&RULE),
        "a typo suppresses nothing: {found:?}"
    );
}

#[test]
fn our_annotation_with_reason() {
    let report = run(&pod(
        "  annotations:\n    shipgate.dev/ignore: \"k8s/container-memory-limit\"\n    shipgate.dev/ignore-reason: \"sized by the VPA\"\n",
        "    - name: web",
    ));
    assert!(report.findings.is_empty(), "{:?}", rules(&report));
    assert_eq!(report.suppressed[0].by, "annotation");
}

#[test]
fn peers_conventions_are_honoured_through_aliases() {
    let cases = [
        (
            "  annotations:\n    ignore-check.kube-linter.io/unset-memory-requirements: \"sized by the VPA\"\n",
            "kube-linter",
        ),
        (
            "  annotations:\n    polaris.fairwinds.com/memoryLimitsMissing-exempt: \"true\"\n    shipgate.dev/ignore-reason: \"sized by the VPA\"\n",
            "polaris",
        ),
        (
            "  annotations:\n    checkov.io/skip1: CKV_K8S_13=sized by the VPA\n",
            "checkov",
        ),
    ];
    for (annotations, by) in cases {
        let report = run(&pod(annotations, "    - name: web"));
        assert!(report.findings.is_empty(), "{by}: {:?}", rules(&report));
        assert_eq!(report.suppressed[0].by, by);
    }
    let comment = format!(
        "{}# checkov:skip=CKV_K8S_13:sized by the VPA\n",
        pod("", "    - name: web")
    );
    let report = run(&comment);
    assert!(
        report.findings.is_empty(),
        "checkov comment: {:?}",
        rules(&report)
    );
}

#[test]
fn a_peer_id_of_another_tool_does_not_suppress() {
    // CKV_K8S_13 is Checkov's id; as a kube-linter check name it means nothing.
    let report = run(&pod(
        "  annotations:\n    ignore-check.kube-linter.io/CKV_K8S_13: \"wrong tool\"\n",
        "    - name: web",
    ));
    let found = rules(&report);
    assert!(found.contains(&RULE), "{found:?}");
    // The annotation may serve kube-linter itself, so it is not called a typo.
    assert!(
        !found.contains(&"meta/suppression-unknown-rule"),
        "{found:?}"
    );
}

#[test]
fn suppressions_stay_inside_their_object() {
    let text = format!(
        "{}---\n{}",
        pod(
            "  annotations:\n    shipgate.dev/ignore: \"k8s/container-memory-limit\"\n    shipgate.dev/ignore-reason: \"sized by the VPA\"\n",
            "    - name: web"
        ),
        pod("", "    - name: other")
    );
    let report = run(&text);
    assert_eq!(rules(&report), [RULE]);
    assert!(report.findings[0].message.contains("other"));
}
