//! Every rule's documented examples are executable: the failing example must
//! raise the rule and the passing example must not.

use shipgate_core::{Example, Report};
use shipgate_rules::{ArtifactKind, Engine, EngineConfig, registry};
use shipgate_syntax::yaml::Limits;

fn run(rule: &str, example: &Example) -> Report {
    let mut config = EngineConfig {
        select: vec![rule.to_owned()],
        ..EngineConfig::default()
    };
    // Some limits can only be shown on small inputs with small limits; the
    // examples say so in their first line.
    if rule == "io/file-too-large" {
        config.max_file_size = 64;
    }
    // A repository rule judges a whole repository; the example is its only file.
    if rule.starts_with("repo/") {
        config.repository_roots = vec![".".into()];
    }
    if rule == "yaml/too-deep" {
        config.yaml_limits = Limits {
            max_depth: 8,
            ..Limits::default()
        };
    }
    let engine = Engine::new(config).expect("rule selection");
    let kind = ArtifactKind::from_path(example.file, false);
    let outcome = match rule {
        // An example cannot hold invalid UTF-8 as text: the replacement
        // character stands for a Latin-1 byte.
        "io/invalid-utf8" => {
            let bytes: Vec<u8> = example
                .content
                .replace('\u{fffd}', "\u{0}")
                .bytes()
                .map(|b| if b == 0 { 0xE9 } else { b })
                .collect();
            engine.check_bytes(example.file, &bytes, kind)
        }
        "io/unreadable-file" if example.content.is_empty() => {
            engine.skipped(example.file, rule, "permission denied")
        }
        _ => engine.check_bytes(example.file, example.content.as_bytes(), kind),
    };
    engine.finish(vec![".".into()], vec![outcome], None)
}

#[test]
fn every_failing_example_raises_its_rule_and_every_passing_example_does_not() {
    let mut failures = Vec::new();
    for rule in registry().rules() {
        let id = rule.meta.id;
        // An overlay is rendered from a folder by the scanner: these
        // examples run through the binary (crates/shipgate/tests/kustomize.rs).
        if id.starts_with("kustomize/") {
            continue;
        }
        // A chart is rendered from its folder by helm: these examples run
        // through the binary (crates/shipgate/tests/helm.rs).
        if id == "helm/not-rendered" || id == "helm/render-failed" {
            continue;
        }
        let failing = run(id, &rule.meta.failing);
        if !failing.findings.iter().any(|f| f.rule == id) {
            failures.push(format!(
                "{id}: failing example raised nothing: {:#?}",
                failing.findings
            ));
        }
        for finding in &failing.findings {
            // A missing file can only be reported at the repository root.
            let about_repository = id.starts_with("repo/") && finding.location.path == ".";
            if finding.rule == id
                && finding.location.span.is_none()
                && !id.starts_with("io/")
                && !about_repository
            {
                failures.push(format!(
                    "{id}: finding without a position: {}",
                    finding.message
                ));
            }
        }
        let passing = run(id, &rule.meta.passing);
        if let Some(f) = passing.findings.iter().find(|f| f.rule == id) {
            failures.push(format!(
                "{id}: passing example raised {}: {}",
                f.location, f.message
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_is_documented() {
    let mut problems = Vec::new();
    for rule in registry().rules() {
        let meta = &rule.meta;
        let (pack, name) = meta.id.split_once('/').unwrap_or(("", ""));
        let kebab = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        if !kebab(pack) || !kebab(name) {
            problems.push(format!("{}: id is not pack/kebab-name", meta.id));
        }
        if meta.title.is_empty() || meta.rationale.len() < 80 || meta.remediation.is_empty() {
            problems.push(format!(
                "{}: title, rationale or remediation missing",
                meta.id
            ));
        }
        if meta.id.starts_with("k8s/") && (meta.references.is_empty() || meta.aliases.is_empty()) {
            // Every Kubernetes rule maps to at least one peer or says why in its rationale.
            if meta.references.is_empty() {
                problems.push(format!("{}: no references", meta.id));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn rule_ids_are_unique() {
    let mut ids: Vec<&str> = registry().rules().iter().map(|r| r.meta.id).collect();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len());
}
