//! Positions are those of the file on disk: renderers slice the original
//! text with them, so nothing may shift them.

use shipgate_rules::{ArtifactKind, Engine, EngineConfig};

#[test]
fn a_byte_order_mark_does_not_shift_positions() {
    let text = "\u{feff}apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  containers:\n    - name: web\n      image: nginx:1.27\n";
    let engine = Engine::new(EngineConfig {
        select: vec!["k8s/container-memory-limit".into()],
        ..EngineConfig::default()
    })
    .expect("engine");
    let outcome = engine.check_bytes("pod.yaml", text.as_bytes(), ArtifactKind::Yaml);
    let report = engine.finish(vec![".".into()], vec![outcome], None);
    let span = report.findings[0].location.span.expect("span");
    let start = span.start_byte as usize;
    assert_eq!(&text[start..span.end_byte as usize], "web");
    assert_eq!((span.start.line, span.start.column), (8, 13));
    assert_eq!(
        text[..start].rfind("- name: "),
        Some(start - "- name: ".len())
    );
}
