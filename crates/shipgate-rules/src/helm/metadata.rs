//! What `Chart.yaml` says about the chart itself: its format, its version
//! and the version of the application it deploys.

use shipgate_core::{Category, Example, RuleMeta, Severity};
use shipgate_syntax::yaml::{NodeRef, Resolved};

use super::{CHART_FILE, Chart, semver};
use crate::sink::RepoSink;
use crate::{Check, RuleDef};

/// The YAML number a scalar became, if it did: Helm's loader wants strings,
/// and `1.10` unquoted is the number 1.1 long before Helm sees it.
fn number(node: NodeRef<'_>) -> Option<&str> {
    match node.resolve()? {
        Resolved::Int(_) | Resolved::Float(_) => node.scalar_text(),
        _ => None,
    }
}

pub(super) const CHART_API_VERSION: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "helm/chart-api-version",
        title: "Charts use the Helm 3 chart format (apiVersion v2)",
        severity: Severity::Warning,
        category: Category::Operability,
        rationale: "`apiVersion: v1` is the chart format of Helm 2, which has been out of \
            support since 2020: its dependencies live in a separate `requirements.yaml`, and \
            it cannot declare a chart `type`. Helm 3 still installs it, but tooling written \
            for the current format (dependency locking, library charts, OCI publishing \
            pipelines) treats it as the odd one out. A Chart.yaml without `apiVersion` is \
            refused outright.",
        remediation: "Declare the Helm 3 format and move `requirements.yaml` into Chart.yaml's \
            `dependencies`, then run `helm dependency update` to write Chart.lock:\n\n\
            ```yaml\napiVersion: v2\nname: web\nversion: 1.4.0\n```",
        references: &[CHART_FILE, "https://helm.sh/docs/topics/v2_v3_migration/"],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "Chart.yaml",
            content: "apiVersion: v1\nname: web\ndescription: The shop's storefront\nversion: 1.4.0\nappVersion: \"2.3.1\"\n",
        },
        passing: Example {
            file: "Chart.yaml",
            content: "apiVersion: v2\nname: web\ndescription: The shop's storefront\ntype: application\nversion: 1.4.0\nappVersion: \"2.3.1\"\n",
        },
    },
    check: Check::Helm(chart_api_version),
};

fn chart_api_version(chart: &Chart<'_>, sink: &mut RepoSink<'_>) {
    if chart.root().is_none() {
        return;
    }
    let name = chart.name();
    match chart.get("apiVersion") {
        None => {
            sink.at(
                chart.path,
                Some(chart.span()),
                chart.logical("apiVersion"),
                format!("chart `{name}` has no apiVersion, and Helm refuses to load it"),
            )
            .set_help("add `apiVersion: v2` at the top of Chart.yaml");
        }
        Some(node) => {
            let value = node.as_text().unwrap_or("");
            if value == "v2" {
                return;
            }
            let message = if value == "v1" {
                format!("chart `{name}` uses apiVersion v1, the chart format of Helm 2")
            } else {
                format!("chart `{name}` has apiVersion `{value}`; Helm 3 charts use v2")
            };
            sink.at(
                chart.path,
                Some(node.span()),
                chart.logical("apiVersion"),
                message,
            )
            .set_help("set `apiVersion: v2`, moving requirements.yaml into `dependencies`");
        }
    }
}

pub(super) const CHART_VERSION: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "helm/chart-version",
        title: "Chart versions are SemVer 2 strings",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "Helm, chart repositories and OCI registries order releases, resolve \
            dependency ranges such as `^1.4.0` and pick the latest chart by the chart's \
            SemVer version. A version like `1.0` or `v1.2.3` sorts unpredictably and cannot \
            satisfy most ranges, so `helm lint` warns about it, and an unquoted `1.10` is \
            the number 1.1 before Helm even reads it, which `helm lint` rejects.",
        remediation: "Write three numbers, and bump them with every change to the chart:\n\n\
            ```yaml\nversion: 1.4.0\n```",
        references: &[CHART_FILE, "https://semver.org/spec/v2.0.0.html"],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "Chart.yaml",
            content: "apiVersion: v2\nname: web\nversion: 1.4\nappVersion: \"2.3.1\"\n",
        },
        passing: Example {
            file: "Chart.yaml",
            content: "apiVersion: v2\nname: web\nversion: 1.4.0-rc.1\nappVersion: \"2.3.1\"\n",
        },
    },
    check: Check::Helm(chart_version),
};

fn chart_version(chart: &Chart<'_>, sink: &mut RepoSink<'_>) {
    if chart.root().is_none() {
        return;
    }
    let name = chart.name();
    let Some(node) = chart.get("version") else {
        sink.at(
            chart.path,
            Some(chart.span()),
            chart.logical("version"),
            format!("chart `{name}` has no version, and Helm refuses to load it"),
        )
        .set_help("add `version: 0.1.0` and bump it with every change");
        return;
    };
    let (message, help) = if let Some(written) = number(node) {
        (
            format!(
                "chart `{name}` version `{written}` is a YAML number, not a string; \
                 `helm lint` rejects it"
            ),
            "write three numbers, such as 1.4.0, or quote the value".to_owned(),
        )
    } else {
        let written = node.as_text().unwrap_or("");
        let Some(problem) = semver::strict_problem(written) else {
            return;
        };
        (
            format!("chart `{name}` version `{written}` is not SemVer 2: it {problem}"),
            "write MAJOR.MINOR.PATCH, such as 1.4.0 or 1.4.0-rc.1".to_owned(),
        )
    };
    sink.at(
        chart.path,
        Some(node.span()),
        chart.logical("version"),
        message,
    )
    .set_help(help);
}

pub(super) const CHART_APP_VERSION: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "helm/chart-app-version",
        title: "Application charts say which version of the application they deploy",
        severity: Severity::Info,
        category: Category::Operability,
        rationale: "`appVersion` is what `helm list` and `helm history` show as the version \
            of the software a release runs, and charts conventionally put it in the \
            `app.kubernetes.io/version` label and the default image tag. Without it, \
            operators cannot tell from the release which build is deployed. It must be a \
            string: unquoted, `1.10` reaches Helm as the number 1.1.",
        remediation: "Set it to the application's version, quoted, and keep it in step with \
            the image the chart deploys by default:\n\n```yaml\nappVersion: \"2.3.1\"\n```",
        references: &[
            CHART_FILE,
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/",
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "Chart.yaml",
            content: "apiVersion: v2\nname: web\ndescription: The shop's storefront\nversion: 1.4.0\n",
        },
        passing: Example {
            file: "Chart.yaml",
            content: "apiVersion: v2\nname: web\ndescription: The shop's storefront\nversion: 1.4.0\nappVersion: \"2.3.1\"\n",
        },
    },
    check: Check::Helm(chart_app_version),
};

fn chart_app_version(chart: &Chart<'_>, sink: &mut RepoSink<'_>) {
    // A library chart deploys nothing, so it has no application version.
    if chart.root().is_none() || chart.is_library() {
        return;
    }
    let name = chart.name();
    match chart.get("appVersion") {
        None => {
            sink.at(
                chart.path,
                Some(chart.span()),
                chart.logical("appVersion"),
                format!(
                    "chart `{name}` has no appVersion, so releases do not say which version \
                     of the application they run"
                ),
            )
            .set_help("add the application's version, quoted: appVersion: \"2.3.1\"");
        }
        Some(node) => {
            if let Some(written) = number(node) {
                sink.at(
                    chart.path,
                    Some(node.span()),
                    chart.logical("appVersion"),
                    format!(
                        "chart `{name}` appVersion `{written}` is a YAML number, not a string; \
                         quote it so that Helm reads it as written"
                    ),
                )
                .set_help(format!("appVersion: \"{written}\""));
            }
        }
    }
}
