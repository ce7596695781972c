//! What rendering a chart can go wrong with. A chart's objects are judged by
//! every other rule once `helm template` has rendered them; these rules make
//! sure a chart that was not rendered, or failed to render, never looks like
//! a pass.

use shipgate_core::{Category, Example, RuleMeta, Severity};

use crate::{Check, RuleDef};

pub const NOT_RENDERED: &str = "helm/not-rendered";
pub const RENDER_FAILED: &str = "helm/render-failed";

const TEMPLATE_DOCS: &str = "https://helm.sh/docs/helm/helm_template/";
const DEPENDENCY_DOCS: &str = "https://helm.sh/docs/helm/helm_dependency_build/";

const CHART: Example = Example {
    file: "charts/web/Chart.yaml",
    content: "apiVersion: v2
name: web
description: The shop's storefront
type: application
version: 1.4.0
appVersion: \"2.3.1\"
",
};

pub(super) const HELM_NOT_RENDERED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: NOT_RENDERED,
        title: "Helm charts are rendered, so their objects are checked",
        severity: Severity::Warning,
        category: Category::Correctness,
        rationale: "A chart's templates are not Kubernetes objects until `helm template` \
            renders them with a set of values; only then can a missing limit or a privileged \
            container be seen. When helm is not installed, or the chart's dependencies are \
            not vendored in its `charts/` folder, the chart is not rendered, so none of what \
            it deploys was checked: the run says so instead of passing it. shipgate never \
            fetches dependencies itself, since a check must not reach the network.",
        remediation: "Install helm 3 on the machine that runs shipgate, and vendor the \
            chart's dependencies before the check with `helm dependency build CHART` (it \
            fetches the versions Chart.lock pins). Or render the chart yourself and pipe \
            the result in:\n\n```sh\nhelm dependency build charts/web\nhelm template web \
            charts/web -f charts/web/values-prod.yaml | shipgate check -\n```",
        references: &[TEMPLATE_DOCS, DEPENDENCY_DOCS],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "charts/web/Chart.yaml",
            content: "apiVersion: v2
name: web
description: The shop's storefront
type: application
version: 1.4.0
appVersion: \"2.3.1\"
dependencies:
  - name: redis        # not vendored in charts/web/charts/
    version: 19.6.4
    repository: https://charts.bitnami.com/bitnami
",
        },
        passing: CHART,
    },
    check: Check::Engine,
};

pub(super) const HELM_RENDER_FAILED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: RENDER_FAILED,
        title: "Helm charts render with each of their values files",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "A chart that `helm template` cannot render with a values file cannot be \
            installed with it either: `helm install` stops at the same `required` value, \
            template error or malformed output, in the middle of a release. The objects it \
            would deploy could not be checked, so the failure is an error rather than a \
            silent pass. Each environment's values file is rendered on its own, so a chart \
            that only breaks in production is caught before it gets there.",
        remediation: "Fix what helm's message names: give the value a `required` call asks \
            for (in values.yaml, or in the environment's values file), or correct the \
            template at the line the message points to. Then check that `helm template \
            RELEASE CHART -f VALUES` renders:\n\n```yaml\n# values.yaml\nimage:\n  \
            repository: ghcr.io/acme/web\n  tag: \"2.3.1\"\n```",
        references: &[
            TEMPLATE_DOCS,
            "https://helm.sh/docs/howto/charts_tips_and_tricks/",
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "charts/web/templates/configmap.yaml",
            content: "apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  # No values file sets it, so every rendering stops here.
  checkoutUrl: {{ required \"checkoutUrl is required\" .Values.checkoutUrl | quote }}
",
        },
        passing: Example {
            file: "charts/web/templates/configmap.yaml",
            content: "apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  checkoutUrl: {{ .Values.checkoutUrl | default \"http://checkout\" | quote }}
",
        },
    },
    check: Check::Engine,
};
