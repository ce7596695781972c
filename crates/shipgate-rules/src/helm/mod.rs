//! The Helm pack: the hygiene of a chart that can be judged without
//! rendering it, from `Chart.yaml`, `Chart.lock` and the files beside them.
//!
//! A chart is several files, so its rules run once every file has been seen,
//! like the repository pack's; unlike those, they judge every chart of the
//! run, not only the charts of whole repositories. A chart's `templates/`
//! are Go templates, not YAML: they are never parsed, whatever called the
//! engine.

mod metadata;
mod rendering;
mod requirements;
pub mod semver;

pub use rendering::{NOT_RENDERED, RENDER_FAILED};

use shipgate_core::{Finding, SourceSpan};
use shipgate_syntax::yaml::{self, Limits, NodeRef, Schema, YamlStream};

use crate::RuleDef;
use crate::artifact::ArtifactKind;
use crate::repo::{RepoFile, first_line_span, join};
use crate::sink::RepoSink;

pub type CheckFn = fn(&Chart<'_>, &mut RepoSink<'_>);

pub const RULES: &[RuleDef] = &[
    metadata::CHART_API_VERSION,
    metadata::CHART_VERSION,
    metadata::CHART_APP_VERSION,
    requirements::VALUES_SCHEMA,
    requirements::DEPENDENCIES_LOCKED,
    rendering::HELM_NOT_RENDERED,
    rendering::HELM_RENDER_FAILED,
];

pub(crate) const CHART_FILE: &str = "https://helm.sh/docs/topics/charts/#the-chartyaml-file";
pub(crate) const DEPENDENCIES: &str = "https://helm.sh/docs/helm/helm_dependency/";

/// One chart: its `Chart.yaml`, parsed, and what lies beside it.
pub struct Chart<'a> {
    /// Path of `Chart.yaml` as shown in the report.
    pub path: &'a str,
    /// The chart's folder (`""` when the chart is the current folder).
    pub dir: &'a str,
    pub text: &'a str,
    pub stream: YamlStream,
    /// `Chart.lock`, when the chart has one: its path, text and parse.
    pub lock: Option<(String, &'a str, YamlStream)>,
    /// Whether the run saw the chart's whole folder, and so can tell that a
    /// file is missing (it cannot when only `Chart.yaml` was named).
    pub listed: bool,
    /// Names of the files in the chart's folder.
    siblings: Vec<&'a str>,
}

impl<'a> Chart<'a> {
    pub fn root(&self) -> Option<NodeRef<'_>> {
        self.stream.root(0).filter(|r| r.is_map())
    }

    pub fn get(&self, key: &str) -> Option<NodeRef<'_>> {
        self.root()?.get(key).filter(|v| !v.is_null())
    }

    /// The chart's name as Chart.yaml gives it, or its folder's.
    pub fn name(&self) -> &str {
        self.get("name")
            .and_then(|n| n.as_text())
            .unwrap_or_else(|| self.dir.rsplit('/').next().unwrap_or("."))
    }

    /// Whether the chart's folder holds `name`.
    pub fn has(&self, name: &str) -> bool {
        self.siblings.contains(&name)
    }

    /// Where findings about the chart as a whole point: its `name:` value,
    /// or the first line of `Chart.yaml`.
    pub fn span(&self) -> SourceSpan {
        self.root()
            .and_then(|r| r.get("name"))
            .map_or_else(|| first_line_span(Some(self.text)), |n| n.span())
    }

    /// `chart[web] > field`, the stable address of a finding.
    pub fn logical(&self, field: &str) -> String {
        if field.is_empty() {
            format!("chart[{}]", self.name())
        } else {
            format!("chart[{}] > {field}", self.name())
        }
    }

    pub fn is_library(&self) -> bool {
        self.get("type").and_then(|t| t.as_text()) == Some("library")
    }
}

/// Whether the Helm rules need the text of `path`.
pub fn wants_text(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "Chart.yaml" || name == "Chart.lock"
}

/// Whether the Helm rules may look for a file of this name: each chart's
/// `Chart.yaml`, its lock and the values schema beside it.
pub(crate) fn lists(name: &str) -> bool {
    matches!(name, "Chart.yaml" | "Chart.lock" | "values.schema.json")
}

/// Refines a kind decided from the path alone: a YAML file in a `templates/`
/// folder that holds template actions is a Helm template, even when the
/// caller did not see the chart's `Chart.yaml` (a single file named on the
/// command line, or a chart's folder checked on its own).
pub fn classify(path: &str, text: &str, kind: ArtifactKind) -> ArtifactKind {
    if !matches!(kind, ArtifactKind::Yaml | ArtifactKind::Kubernetes) {
        return kind;
    }
    let in_templates = path.rsplit('/').skip(1).any(|folder| folder == "templates");
    if in_templates && text.contains("{{") {
        ArtifactKind::HelmTemplate
    } else {
        kind
    }
}

/// Runs the Helm rules over every chart among `files`. `roots` are the scan
/// roots, which tell whether a chart's folder was listed in full.
pub(crate) fn run(
    rules: &[&'static RuleDef],
    roots: &[String],
    files: &[RepoFile],
    findings: &mut Vec<Finding>,
) {
    let checks: Vec<(&'static RuleDef, CheckFn)> = rules
        .iter()
        .filter_map(|rule| match rule.check {
            crate::Check::Helm(check) => Some((*rule, check)),
            _ => None,
        })
        .collect();
    if checks.is_empty() {
        return;
    }
    for chart in charts(roots, files) {
        for (rule, check) in &checks {
            check(&chart, &mut RepoSink::new(&rule.meta, findings));
        }
    }
}

fn charts<'a>(roots: &[String], files: &'a [RepoFile]) -> Vec<Chart<'a>> {
    let chart_files: Vec<&'a RepoFile> = files
        .iter()
        .filter(|f| f.kind == Some(ArtifactKind::HelmChart) && f.text.is_some())
        .collect();
    let dirs: Vec<&'a str> = chart_files.iter().map(|f| folder(&f.path)).collect();
    let mut charts = Vec::new();
    for (file, dir) in chart_files.iter().zip(&dirs) {
        // Charts vendored under another chart's `charts/` are its
        // dependencies, maintained elsewhere.
        let vendored = dirs.iter().any(|outer| {
            let inside = if outer.is_empty() {
                Some(*dir)
            } else {
                dir.strip_prefix(*outer).and_then(|r| r.strip_prefix('/'))
            };
            inside.is_some_and(|rest| rest.starts_with("charts/"))
        });
        if vendored {
            continue;
        }
        let Some(text) = file.text.as_deref() else {
            continue;
        };
        let lock_path = join(dir, "Chart.lock");
        let lock = files
            .iter()
            .find(|f| f.path == lock_path)
            .and_then(|f| f.text.as_deref())
            .map(|text| (lock_path.clone(), text, parse(text)));
        charts.push(Chart {
            path: &file.path,
            dir,
            text,
            stream: parse(text),
            lock,
            listed: roots.iter().any(|root| covers(root, dir)),
            siblings: files
                .iter()
                .filter(|f| folder(&f.path) == *dir)
                .map(|f| crate::repo::file_name(&f.path))
                .collect(),
        });
    }
    charts
}

fn parse(text: &str) -> YamlStream {
    yaml::parse(text, Schema::Yaml11, Limits::default())
}

/// The folder of a file's path, `""` for a file in the current folder.
fn folder(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// Whether the walk of `root` listed the whole folder `dir`.
fn covers(root: &str, dir: &str) -> bool {
    let root = root.strip_prefix("./").unwrap_or(root);
    let root = root.trim_end_matches('/');
    if root.is_empty() || root == "." {
        return !dir.starts_with('/') && !dir.starts_with("../");
    }
    dir == root
        || dir
            .strip_prefix(root)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_recognised_by_folder_and_actions() {
        let yaml = ArtifactKind::Yaml;
        let template = "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n";
        assert_eq!(
            classify("charts/web/templates/service.yaml", template, yaml),
            ArtifactKind::HelmTemplate
        );
        assert_eq!(
            classify("templates/deployment.yaml", template, yaml),
            ArtifactKind::HelmTemplate
        );
        assert_eq!(classify("k8s/service.yaml", template, yaml), yaml);
        let plain = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n";
        assert_eq!(
            classify("charts/web/templates/service.yaml", plain, yaml),
            yaml
        );
        assert_eq!(
            classify("templates/ci.yml", template, ArtifactKind::Workflow),
            ArtifactKind::Workflow
        );
    }

    #[test]
    fn a_root_covers_the_folders_under_it() {
        assert!(covers(".", "charts/web"));
        assert!(covers(".", ""));
        assert!(covers("charts", "charts/web"));
        assert!(covers("charts/web/", "charts/web"));
        assert!(!covers("charts/web/Chart.yaml", "charts/web"));
        assert!(!covers("charts/webapp", "charts/web"));
    }

    #[test]
    fn vendored_charts_are_left_to_their_maintainers() {
        let file = |path: &str| RepoFile {
            path: path.into(),
            kind: Some(ArtifactKind::HelmChart),
            text: Some("apiVersion: v2\nname: x\nversion: 1.0.0\n".into()),
        };
        let files = vec![
            file("Chart.yaml"),
            file("charts/common/Chart.yaml"),
            file("deploy/web/Chart.yaml"),
            file("deploy/web/charts/redis/Chart.yaml"),
        ];
        let charts = charts(&[".".into()], &files);
        let dirs: Vec<&str> = charts.iter().map(|c| c.dir).collect();
        assert_eq!(dirs, ["", "deploy/web"]);
    }
}
