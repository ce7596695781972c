//! A real chart: its Go templates are never read as YAML, its values never as
//! manifests, and the chart rules judge it from its files.

use std::fs;
use std::path::Path;

use shipgate_core::{Finding, Report};
use shipgate_rules::{ArtifactKind, Engine, EngineConfig};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/helm");

/// Every file of the fixtures, as `(path, text)` relative to the fixtures.
fn load() -> Vec<(String, String)> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<(String, String)>) {
        for entry in fs::read_dir(dir).expect("fixtures") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                let relative = path.strip_prefix(base).expect("relative");
                let name = relative.to_string_lossy().replace('\\', "/");
                out.push((name, fs::read_to_string(&path).expect("read")));
            }
        }
    }
    let mut files = Vec::new();
    walk(Path::new(FIXTURES), Path::new(FIXTURES), &mut files);
    files.sort();
    files
}

/// How a file is classified when the walk has seen the whole chart: under
/// `templates/` or `charts/` it is the chart's, and `values*.yaml` beside
/// Chart.yaml are values.
fn listed_kind(path: &str, files: &[(String, String)]) -> ArtifactKind {
    let charts: Vec<&str> = files
        .iter()
        .filter_map(|(p, _)| p.strip_suffix("Chart.yaml"))
        .collect();
    let inside = charts.iter().any(|chart| {
        path.strip_prefix(chart)
            .is_some_and(|rest| rest.starts_with("templates/") || rest.starts_with("charts/"))
    });
    let kind = ArtifactKind::from_path(path, inside);
    let in_root = charts.iter().any(|chart| {
        path.strip_prefix(chart)
            .is_some_and(|rest| !rest.contains('/'))
    });
    let name = path.rsplit('/').next().unwrap_or(path);
    if in_root && kind == ArtifactKind::Yaml && name.starts_with("values") {
        ArtifactKind::HelmValues
    } else {
        kind
    }
}

fn check(
    files: &[(String, String)],
    roots: &[&str],
    kind: impl Fn(&str) -> ArtifactKind,
) -> Report {
    let engine = Engine::new(EngineConfig::default()).expect("engine");
    let outcomes = files
        .iter()
        .map(|(path, text)| engine.check_text(path, text, kind(path)))
        .collect();
    engine.finish(
        roots.iter().map(|r| r.to_string()).collect(),
        outcomes,
        None,
    )
}

fn describe(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("{} {} {}", f.location, f.rule, f.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_chart_is_not_read_as_manifests_whoever_classifies_it() {
    let files = load();
    // The control: read as plain YAML, the templates do not even parse.
    let template = files
        .iter()
        .find(|(p, _)| p == "web/templates/service.yaml")
        .expect("template");
    let engine = Engine::new(EngineConfig::default()).expect("engine");
    let plain = engine.check_text("service.yaml", &template.1, ArtifactKind::Yaml);
    assert!(
        plain.findings.iter().any(|f| f.rule == "yaml/syntax-error"),
        "{}",
        describe(&plain.findings)
    );

    let listed = check(&files, &["."], |path| listed_kind(path, &files));
    // A caller that saw no Chart.yaml classifies by name alone.
    let blind = check(&files, &["."], |path| ArtifactKind::from_path(path, false));
    for report in [&listed, &blind] {
        assert!(report.findings.is_empty(), "{}", describe(&report.findings));
        assert_eq!(report.files.objects, 0, "{:?}", report.files);
    }
    assert_eq!(listed.files.by_kind.get("helm-values"), Some(&1));
    assert_eq!(listed.files.by_kind.get("helm-chart"), Some(&1));
    assert_eq!(blind.files.by_kind.get("helm-template"), Some(&2));
}

#[test]
fn an_out_of_date_lock_is_reported_where_the_range_is_written() {
    let mut files = load();
    for (path, text) in &mut files {
        if path == "web/Chart.lock" {
            *text = text.replace("version: 19.6.4", "version: 19.5.2");
        }
    }
    let report = check(&files, &["."], |path| listed_kind(path, &files));
    assert_eq!(report.findings.len(), 1, "{}", describe(&report.findings));
    let finding = &report.findings[0];
    assert_eq!(finding.rule, "helm/dependencies-locked");
    assert_eq!(finding.location.path, "web/Chart.yaml");
    let span = finding.location.span.expect("span");
    assert_eq!((span.start.line, span.start.column), (12, 14));
    assert!(finding.message.contains("19.5.2"), "{}", finding.message);
    assert_eq!(finding.related[0].location.path, "web/Chart.lock");
}

#[test]
fn missing_files_are_reported_only_when_the_chart_folder_was_listed() {
    let files: Vec<(String, String)> = load()
        .into_iter()
        .filter(|(p, _)| p != "web/Chart.lock" && p != "web/values.schema.json")
        .collect();
    let report = check(&files, &["."], |path| listed_kind(path, &files));
    let rules: Vec<(&str, u32)> = report
        .findings
        .iter()
        .map(|f| (f.rule.as_str(), f.location.span.map_or(0, |s| s.start.line)))
        .collect();
    assert_eq!(
        rules,
        [("helm/values-schema", 2), ("helm/dependencies-locked", 10)],
        "{}",
        describe(&report.findings)
    );
    // Checking Chart.yaml alone says nothing about the files beside it.
    let alone: Vec<(String, String)> = files
        .into_iter()
        .filter(|(p, _)| p == "web/Chart.yaml")
        .collect();
    let report = check(&alone, &["web/Chart.yaml"], |path| {
        ArtifactKind::from_path(path, false)
    });
    assert!(report.findings.is_empty(), "{}", describe(&report.findings));
}

#[test]
fn chart_findings_honour_suppressions_in_chart_yaml() {
    let files: Vec<(String, String)> = load()
        .into_iter()
        .filter(|(p, _)| p != "web/values.schema.json")
        .map(|(p, t)| {
            if p == "web/Chart.yaml" {
                let t = t.replace(
                    "name: web\n",
                    "# shipgate:ignore helm/values-schema -- values are validated upstream\nname: web\n",
                );
                (p, t)
            } else {
                (p, t)
            }
        })
        .collect();
    let report = check(&files, &["."], |path| listed_kind(path, &files));
    assert!(report.findings.is_empty(), "{}", describe(&report.findings));
    assert_eq!(report.suppressed.len(), 1);
    assert_eq!(report.suppressed[0].finding.rule, "helm/values-schema");
}
