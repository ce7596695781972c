//! What a chart needs beside `Chart.yaml`: a schema for its values, and a
//! lock of the dependencies it pulls in.

use shipgate_core::{Category, Example, Location, RuleMeta, Severity};
use shipgate_syntax::yaml::NodeRef;

use super::{CHART_FILE, Chart, DEPENDENCIES, semver};
use crate::sink::RepoSink;
use crate::{Check, RuleDef};

pub(super) const VALUES_SCHEMA: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "helm/values-schema",
        title: "Charts ship a values.schema.json",
        severity: Severity::Info,
        category: Category::Reliability,
        rationale: "Helm validates the values of `install`, `upgrade`, `lint` and `template` \
            against `values.schema.json` when the chart has one. Without it, a misspelt key \
            or a string where a number belongs is silently ignored or rendered into a broken \
            manifest, and the mistake surfaces in the cluster instead of on the command \
            line. Writing a schema is work many charts skip, hence only information.",
        remediation: "Add a JSON Schema of the values beside Chart.yaml, and forbid unknown \
            keys where typos are likely:\n\n```json\n{\n  \"$schema\": \
            \"http://json-schema.org/draft-07/schema#\",\n  \"type\": \"object\",\n  \
            \"properties\": {\n    \"replicaCount\": {\"type\": \"integer\", \"minimum\": 1},\n    \
            \"image\": {\n      \"type\": \"object\",\n      \"properties\": {\"tag\": {\"type\": \
            \"string\"}},\n      \"additionalProperties\": false\n    }\n  }\n}\n```",
        references: &["https://helm.sh/docs/topics/charts/#schema-files"],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "Chart.yaml",
            content: "apiVersion: v2\nname: web\nversion: 1.4.0\nappVersion: \"2.3.1\"\n",
        },
        passing: Example {
            file: "values.schema.json",
            content: "{\n  \"$schema\": \"http://json-schema.org/draft-07/schema#\",\n  \"type\": \"object\",\n  \"properties\": {\n    \"replicaCount\": {\"type\": \"integer\", \"minimum\": 1}\n  }\n}\n",
        },
    },
    check: Check::Helm(values_schema),
};

fn values_schema(chart: &Chart<'_>, sink: &mut RepoSink<'_>) {
    // A library chart's values are its users' to validate.
    if !chart.listed || chart.is_library() || chart.has("values.schema.json") {
        return;
    }
    sink.at(
        chart.path,
        Some(chart.span()),
        chart.logical("values.schema.json"),
        format!(
            "chart `{}` has no values.schema.json, so Helm accepts any values, typos included",
            chart.name()
        ),
    )
    .set_help(format!(
        "add {} with a JSON Schema of the chart's values",
        crate::repo::join(chart.dir, "values.schema.json")
    ));
}

pub(super) const DEPENDENCIES_LOCKED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "helm/dependencies-locked",
        title: "Chart dependencies are locked in Chart.lock and fetched over HTTPS",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "A dependency's `version` in Chart.yaml is usually a range, so without a \
            Chart.lock every `helm dependency update` may pull a newer subchart and two \
            builds of the same commit deploy different code. A lock that misses a dependency, \
            or pins a version outside its range, is out of sync and `helm dependency build` \
            refuses it. A repository reached over plain `http://` lets anyone on the network \
            path substitute the chart.",
        remediation: "Fetch dependencies over HTTPS or OCI, then run `helm dependency update` \
            and commit the Chart.lock it writes:\n\n```yaml\ndependencies:\n  - name: \
            postgresql\n    version: ~15.5.0\n    repository: oci://registry-1.docker.io/bitnamicharts\n```",
        references: &[
            DEPENDENCIES,
            "https://helm.sh/docs/topics/charts/#chart-dependencies",
            CHART_FILE,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "Chart.yaml",
            content: "apiVersion: v2
name: web
version: 1.4.0
appVersion: \"2.3.1\"
dependencies:
  - name: redis
    version: ~19.6.0
    repository: http://charts.example.com/stable
",
        },
        passing: Example {
            file: "Chart.yaml",
            content: "apiVersion: v2
name: web
version: 1.4.0
appVersion: \"2.3.1\"
dependencies:
  - name: common
    version: 2.x.x
    repository: file://../common
",
        },
    },
    check: Check::Helm(dependencies_locked),
};

/// A dependency as Chart.yaml or Chart.lock writes it.
struct Dependency<'a> {
    node: NodeRef<'a>,
    name: Option<NodeRef<'a>>,
    version: Option<NodeRef<'a>>,
    repository: Option<NodeRef<'a>>,
}

impl<'a> Dependency<'a> {
    fn list(root: Option<NodeRef<'a>>) -> Vec<Dependency<'a>> {
        root.and_then(|r| r.get("dependencies"))
            .into_iter()
            .flat_map(|d| d.items())
            .filter(|d| d.is_map())
            .map(|node| {
                let field = |key: &str| node.get(key).filter(|v| !v.is_null());
                Dependency {
                    node,
                    name: field("name"),
                    version: field("version"),
                    repository: field("repository"),
                }
            })
            .collect()
    }

    fn name(&self) -> &'a str {
        self.name.and_then(|n| n.as_text()).unwrap_or("")
    }

    fn repository(&self) -> &'a str {
        self.repository.and_then(|r| r.as_text()).unwrap_or("")
    }

    /// Whether the dependency comes with the chart's own source, so that
    /// nothing is fetched that could change under it.
    fn is_local(&self) -> bool {
        let repository = self.repository();
        repository.is_empty() || repository.starts_with("file://")
    }

    fn at(&self) -> NodeRef<'a> {
        self.name.unwrap_or(self.node)
    }
}

fn dependencies_locked(chart: &Chart<'_>, sink: &mut RepoSink<'_>) {
    let Some(root) = chart.root() else { return };
    let declared = Dependency::list(Some(root));
    let name = chart.name();
    for dependency in &declared {
        let Some(repository) = dependency.repository else {
            continue;
        };
        let url = dependency.repository();
        if url
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
        {
            sink.at(
                chart.path,
                Some(repository.span()),
                chart.logical(&format!("dependencies[{}].repository", dependency.name())),
                format!(
                    "dependency `{}` is fetched over plain HTTP from {url}: anyone on the \
                     network path can substitute the chart",
                    dependency.name()
                ),
            )
            .set_help("use the repository's https:// or oci:// address");
        }
    }
    if declared.is_empty() || !chart.listed {
        return;
    }
    let Some((lock_path, _, lock_stream)) = &chart.lock else {
        if declared.iter().any(|d| !d.is_local()) {
            let at = root
                .entry("dependencies")
                .map_or_else(|| chart.span(), |(key, _)| key.span());
            sink.at(
                chart.path,
                Some(at),
                chart.logical("dependencies"),
                format!(
                    "chart `{name}` pulls dependencies from repositories but has no Chart.lock, \
                     so each `helm dependency update` may resolve different versions"
                ),
            )
            .set_help("run `helm dependency update` and commit the Chart.lock it writes");
        }
        return;
    };
    let locked = Dependency::list(lock_stream.root(0));
    for dependency in &declared {
        let logical = chart.logical(&format!("dependencies[{}]", dependency.name()));
        let entry = locked.iter().find(|l| l.name() == dependency.name());
        let Some(entry) = entry else {
            sink.at(
                chart.path,
                Some(dependency.at().span()),
                logical,
                format!(
                    "dependency `{}` is not in Chart.lock, so the lock is out of date",
                    dependency.name()
                ),
            )
            .set_help("run `helm dependency update` and commit Chart.lock");
            continue;
        };
        if entry.repository() != dependency.repository() {
            let at = dependency.repository.unwrap_or(dependency.at());
            sink.at(
                chart.path,
                Some(at.span()),
                logical.clone(),
                format!(
                    "Chart.lock fetched `{}` from {}, but Chart.yaml now names {}",
                    dependency.name(),
                    or_none(entry.repository()),
                    or_none(dependency.repository())
                ),
            )
            .set_help("run `helm dependency update` and commit Chart.lock")
            .add_related(
                Location::at(lock_path.clone(), entry.at().span()),
                "locked here",
            );
        }
        check_version(chart, sink, dependency, entry, lock_path, &logical);
    }
    for entry in &locked {
        if !declared.iter().any(|d| d.name() == entry.name()) {
            sink.at(
                lock_path,
                Some(entry.at().span()),
                chart.logical(&format!("Chart.lock > {}", entry.name())),
                format!(
                    "Chart.lock lists `{}`, which Chart.yaml no longer declares",
                    entry.name()
                ),
            )
            .set_help("run `helm dependency update` and commit Chart.lock");
        }
    }
}

fn check_version(
    chart: &Chart<'_>,
    sink: &mut RepoSink<'_>,
    dependency: &Dependency<'_>,
    entry: &Dependency<'_>,
    lock_path: &str,
    logical: &str,
) {
    let Some(range) = dependency.version else {
        return;
    };
    let written = range.as_text().unwrap_or("");
    let Some(constraint) = semver::parse_constraint(written) else {
        sink.at(
            chart.path,
            Some(range.span()),
            logical,
            format!(
                "dependency `{}` has version `{written}`, which is not a version range Helm \
                 can resolve",
                dependency.name()
            ),
        )
        .set_help("write a version or a range such as ~15.5.0 or ^2.1.0");
        return;
    };
    let pinned = entry.version.and_then(|v| v.as_text()).unwrap_or("");
    let admitted = semver::parse_version(pinned).is_some_and(|v| constraint.admits(&v));
    if !admitted {
        let at = entry.version.unwrap_or(entry.at());
        sink.at(
            chart.path,
            Some(range.span()),
            logical,
            format!(
                "Chart.lock pins `{}` at {}, which `{written}` does not allow: the lock is \
                 out of date",
                dependency.name(),
                or_none(pinned)
            ),
        )
        .set_help("run `helm dependency update` and commit Chart.lock")
        .add_related(Location::at(lock_path, at.span()), "pinned here");
    }
}

fn or_none(text: &str) -> &str {
    if text.is_empty() { "nothing" } else { text }
}
