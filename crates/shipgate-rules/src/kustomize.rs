//! What rendering a Kustomize overlay can go wrong with. The objects of an
//! overlay are judged by every other rule once rendered; these rules make sure
//! an overlay that could not be rendered, or was rendered only in part, never
//! looks like a pass.

use shipgate_core::{Category, Example, RuleMeta, Severity};

use crate::{Check, RuleDef};

pub const RENDER_FAILED: &str = "kustomize/render-failed";
pub const UNSUPPORTED: &str = "kustomize/unsupported";
pub const RENDERED_BY_KUBECTL: &str = "kustomize/rendered-by-kubectl";

const KUSTOMIZE_DOCS: &str =
    "https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/";

const fn engine_rule(meta: RuleMeta) -> RuleDef {
    RuleDef {
        meta,
        check: Check::Engine,
    }
}

const VALID: Example = Example {
    file: "k8s/kustomization.yaml",
    content: "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: shop
resources:
  - configmap.yaml
",
};

pub const RULES: &[RuleDef] = &[
    engine_rule(RuleMeta {
        id: RENDER_FAILED,
        title: "Kustomize overlays render",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "An overlay that does not render cannot be deployed: `kubectl apply -k` \
            stops at the first missing resource, malformed patch or name collision. Its \
            objects could not be checked either, so the failure is an error rather than a \
            silent pass.",
        remediation: "Fix what the message names (a missing file, a patch whose target does \
            not exist, a cycle between kustomizations), then check that `kubectl kustomize \
            DIR` renders the overlay.",
        references: &[KUSTOMIZE_DOCS],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "k8s/kustomization.yaml",
            content: "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml   # no such file
",
        },
        passing: VALID,
    }),
    engine_rule(RuleMeta {
        id: UNSUPPORTED,
        title: "Kustomize features beyond the native renderer have kubectl to render them",
        severity: Severity::Warning,
        category: Category::Correctness,
        rationale: "shipgate renders the common kustomize features itself, with positions, and \
            hands the rest (Helm charts, plugins, remote bases, vars) to `kubectl kustomize`. \
            Without kubectl on PATH those parts are not rendered, so the objects they would \
            produce or change are not checked: the run says so instead of passing them.",
        remediation: "Install kubectl (it bundles kustomize) on the machine that runs shipgate, \
            or render the overlay yourself and pipe it in: `kubectl kustomize DIR | shipgate \
            check -`.",
        references: &[KUSTOMIZE_DOCS],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "k8s/kustomization.yaml",
            content: "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - configmap.yaml
vars:
  - name: SERVICE
    objref: {kind: ConfigMap, name: settings, apiVersion: v1}
",
        },
        passing: VALID,
    }),
    engine_rule(RuleMeta {
        id: RENDERED_BY_KUBECTL,
        title: "Overlays rendered by kubectl are reported with approximate positions",
        severity: Severity::Info,
        category: Category::Correctness,
        rationale: "When an overlay uses features the native renderer does not have, it is \
            rendered by `kubectl kustomize`, whose output does not say which file produced \
            which line. Findings on nodes the native renderer could not place point at the \
            kustomization file; this note says so, so an imprecise position is never a \
            surprise.",
        remediation: "Nothing is wrong with the overlay. To get exact positions, prefer \
            features the native renderer supports (patches, components, generators, \
            replacements) over vars and plugins.",
        references: &[KUSTOMIZE_DOCS],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "k8s/kustomization.yaml",
            content: "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - configmap.yaml
vars:
  - name: SERVICE
    objref: {kind: ConfigMap, name: settings, apiVersion: v1}
",
        },
        passing: VALID,
    }),
];
