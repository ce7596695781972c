//! API versions the target Kubernetes release no longer serves, or serves
//! with a deprecation warning.
//!
//! The removals are those of the upstream Deprecated API Migration Guide;
//! the release each version was deprecated in comes from the
//! `prerelease-lifecycle-gen` tags of `k8s.io/api`, which is also what makes
//! the API server print its deprecation warnings.

use shipgate_core::{Alias, Category, Example, RuleMeta, Severity, Tool};

use crate::k8s::{KubeVersion, Object, Sink};
use crate::{Check, RuleDef};

pub(super) const RULES: &[RuleDef] = &[REMOVED_API, DEPRECATED_API];

const GUIDE: &str = "https://kubernetes.io/docs/reference/using-api/deprecation-guide/";
const POLICY: &str = "https://kubernetes.io/docs/reference/using-api/deprecation-policy/";

/// A version one can move to, and the releases that serve it.
struct Successor {
    /// `apiVersion`, followed by the kind when the kind changes too.
    api: &'static str,
    since: KubeVersion,
    until: Option<KubeVersion>,
}

/// The life of one API version of some kinds.
struct Lifecycle {
    api_version: &'static str,
    kinds: &'static [&'static str],
    deprecated: KubeVersion,
    /// `None` for stable APIs, which are deprecated but never removed.
    removed: Option<KubeVersion>,
    /// In order of preference; the first one served at the target is advised.
    successors: &'static [Successor],
    /// What to do when no successor is served at the target.
    otherwise: &'static str,
    /// What changes on the way, for the help text.
    changes: &'static str,
}

const fn v(minor: u16) -> KubeVersion {
    KubeVersion::new(1, minor)
}

const fn to(api: &'static str, since: u16) -> Successor {
    Successor {
        api,
        since: v(since),
        until: None,
    }
}

const APPS_V1: &[Successor] = &[to("apps/v1", 9)];
const APPS_CHANGES: &str = "apps/v1 requires spec.selector, and it must match the pod \
    template's labels";
const PSA: &str = "PodSecurityPolicy has no successor: enforce the Pod Security Standards \
    with Pod Security Admission (namespace labels) or an admission webhook";
const HPA_V2: &[Successor] = &[to("autoscaling/v2", 23), to("autoscaling/v2beta2", 12)];
const HPA_CHANGES: &str = "metrics move to target.type and target.averageUtilization \
    (or averageValue)";
const FLOWCONTROL: &[Successor] = &[
    to("flowcontrol.apiserver.k8s.io/v1", 29),
    Successor {
        api: "flowcontrol.apiserver.k8s.io/v1beta3",
        since: v(26),
        until: Some(v(32)),
    },
    Successor {
        api: "flowcontrol.apiserver.k8s.io/v1beta2",
        since: v(23),
        until: Some(v(29)),
    },
];
const INGRESS_V1: &[Successor] = &[
    to("networking.k8s.io/v1", 19),
    Successor {
        api: "networking.k8s.io/v1beta1",
        since: v(14),
        until: Some(v(22)),
    },
];
const INGRESS_CHANGES: &str = "backend.serviceName and servicePort become \
    backend.service.name and backend.service.port, spec.backend becomes spec.defaultBackend, \
    and every path needs a pathType";

/// Every version the guide lists as removed since 1.16, and the stable APIs
/// deprecated since (which stay served).
const LIFECYCLES: &[Lifecycle] = &[
    // Removed in 1.16.
    Lifecycle {
        api_version: "extensions/v1beta1",
        kinds: &["NetworkPolicy"],
        deprecated: v(9),
        removed: Some(v(16)),
        successors: &[to("networking.k8s.io/v1", 8)],
        otherwise: "",
        changes: "",
    },
    Lifecycle {
        api_version: "extensions/v1beta1",
        kinds: &["DaemonSet", "Deployment", "ReplicaSet"],
        deprecated: v(8),
        removed: Some(v(16)),
        successors: APPS_V1,
        otherwise: "",
        changes: APPS_CHANGES,
    },
    Lifecycle {
        api_version: "apps/v1beta1",
        kinds: &["Deployment", "StatefulSet", "ReplicaSet"],
        deprecated: v(8),
        removed: Some(v(16)),
        successors: APPS_V1,
        otherwise: "",
        changes: APPS_CHANGES,
    },
    Lifecycle {
        api_version: "apps/v1beta2",
        kinds: &["DaemonSet", "Deployment", "StatefulSet", "ReplicaSet"],
        deprecated: v(9),
        removed: Some(v(16)),
        successors: APPS_V1,
        otherwise: "",
        changes: APPS_CHANGES,
    },
    Lifecycle {
        api_version: "extensions/v1beta1",
        kinds: &["PodSecurityPolicy"],
        deprecated: v(11),
        removed: Some(v(16)),
        successors: &[Successor {
            api: "policy/v1beta1",
            since: v(10),
            until: Some(v(25)),
        }],
        otherwise: PSA,
        changes: "",
    },
    // Removed in 1.22.
    Lifecycle {
        api_version: "admissionregistration.k8s.io/v1beta1",
        kinds: &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ],
        deprecated: v(16),
        removed: Some(v(22)),
        successors: &[to("admissionregistration.k8s.io/v1", 16)],
        otherwise: "",
        changes: "webhooks need sideEffects and admissionReviewVersions, and failurePolicy \
            now defaults to Fail",
    },
    Lifecycle {
        api_version: "apiextensions.k8s.io/v1beta1",
        kinds: &["CustomResourceDefinition"],
        deprecated: v(16),
        removed: Some(v(22)),
        successors: &[to("apiextensions.k8s.io/v1", 16)],
        otherwise: "",
        changes: "spec.scope is required, and each entry of spec.versions needs a structural \
            schema.openAPIV3Schema",
    },
    Lifecycle {
        api_version: "apiregistration.k8s.io/v1beta1",
        kinds: &["APIService"],
        deprecated: v(19),
        removed: Some(v(22)),
        successors: &[to("apiregistration.k8s.io/v1", 10)],
        otherwise: "",
        changes: "",
    },
    Lifecycle {
        api_version: "authentication.k8s.io/v1beta1",
        kinds: &["TokenReview"],
        deprecated: v(19),
        removed: Some(v(22)),
        successors: &[to("authentication.k8s.io/v1", 6)],
        otherwise: "",
        changes: "",
    },
    Lifecycle {
        api_version: "authorization.k8s.io/v1beta1",
        kinds: &[
            "LocalSubjectAccessReview",
            "SelfSubjectAccessReview",
            "SubjectAccessReview",
            "SelfSubjectRulesReview",
        ],
        deprecated: v(19),
        removed: Some(v(22)),
        successors: &[to("authorization.k8s.io/v1", 6)],
        otherwise: "",
        changes: "spec.group is renamed spec.groups",
    },
    Lifecycle {
        api_version: "certificates.k8s.io/v1beta1",
        kinds: &["CertificateSigningRequest"],
        deprecated: v(19),
        removed: Some(v(22)),
        successors: &[to("certificates.k8s.io/v1", 19)],
        otherwise: "",
        changes: "spec.signerName and spec.usages are required",
    },
    Lifecycle {
        api_version: "coordination.k8s.io/v1beta1",
        kinds: &["Lease"],
        deprecated: v(19),
        removed: Some(v(22)),
        successors: &[to("coordination.k8s.io/v1", 14)],
        otherwise: "",
        changes: "",
    },
    Lifecycle {
        api_version: "extensions/v1beta1",
        kinds: &["Ingress"],
        deprecated: v(14),
        removed: Some(v(22)),
        successors: INGRESS_V1,
        otherwise: "",
        changes: INGRESS_CHANGES,
    },
    Lifecycle {
        api_version: "networking.k8s.io/v1beta1",
        kinds: &["Ingress"],
        deprecated: v(19),
        removed: Some(v(22)),
        successors: &[to("networking.k8s.io/v1", 19)],
        otherwise: "",
        changes: INGRESS_CHANGES,
    },
    Lifecycle {
        api_version: "networking.k8s.io/v1beta1",
        kinds: &["IngressClass"],
        deprecated: v(19),
        removed: Some(v(22)),
        successors: &[to("networking.k8s.io/v1", 19)],
        otherwise: "",
        changes: "",
    },
    Lifecycle {
        api_version: "rbac.authorization.k8s.io/v1beta1",
        kinds: &["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"],
        deprecated: v(17),
        removed: Some(v(22)),
        successors: &[to("rbac.authorization.k8s.io/v1", 8)],
        otherwise: "",
        changes: "",
    },
    Lifecycle {
        api_version: "scheduling.k8s.io/v1beta1",
        kinds: &["PriorityClass"],
        deprecated: v(14),
        removed: Some(v(22)),
        successors: &[to("scheduling.k8s.io/v1", 14)],
        otherwise: "",
        changes: "",
    },
    Lifecycle {
        api_version: "storage.k8s.io/v1beta1",
        kinds: &["CSIDriver"],
        deprecated: v(19),
        removed: Some(v(22)),
        successors: &[to("storage.k8s.io/v1", 19)],
        otherwise: "",
        changes: "",
    },
    Lifecycle {
        api_version: "storage.k8s.io/v1beta1",
        kinds: &["CSINode"],
        deprecated: v(17),
        removed: Some(v(22)),
        successors: &[to("storage.k8s.io/v1", 17)],
        otherwise: "",
        changes: "",
    },
    Lifecycle {
        api_version: "storage.k8s.io/v1beta1",
        kinds: &["StorageClass"],
        deprecated: v(19),
        removed: Some(v(22)),
        successors: &[to("storage.k8s.io/v1", 6)],
        otherwise: "",
        changes: "",
    },
    Lifecycle {
        api_version: "storage.k8s.io/v1beta1",
        kinds: &["VolumeAttachment"],
        deprecated: v(19),
        removed: Some(v(22)),
        successors: &[to("storage.k8s.io/v1", 13)],
        otherwise: "",
        changes: "",
    },
    // Removed in 1.25.
    Lifecycle {
        api_version: "batch/v1beta1",
        kinds: &["CronJob"],
        deprecated: v(21),
        removed: Some(v(25)),
        successors: &[to("batch/v1", 21)],
        otherwise: "",
        changes: "",
    },
    Lifecycle {
        api_version: "discovery.k8s.io/v1beta1",
        kinds: &["EndpointSlice"],
        deprecated: v(21),
        removed: Some(v(25)),
        successors: &[to("discovery.k8s.io/v1", 21)],
        otherwise: "",
        changes: "topology gives way to each endpoint's nodeName and zone",
    },
    Lifecycle {
        api_version: "events.k8s.io/v1beta1",
        kinds: &["Event"],
        deprecated: v(22),
        removed: Some(v(25)),
        successors: &[to("events.k8s.io/v1", 19)],
        otherwise: "",
        changes: "involvedObject is renamed regarding, and type is Normal or Warning",
    },
    Lifecycle {
        api_version: "autoscaling/v2beta1",
        kinds: &["HorizontalPodAutoscaler"],
        deprecated: v(22),
        removed: Some(v(25)),
        successors: HPA_V2,
        otherwise: "",
        changes: HPA_CHANGES,
    },
    Lifecycle {
        api_version: "policy/v1beta1",
        kinds: &["PodDisruptionBudget"],
        deprecated: v(21),
        removed: Some(v(25)),
        successors: &[to("policy/v1", 21)],
        otherwise: "",
        changes: "in policy/v1 an empty spec.selector selects every pod of the namespace",
    },
    Lifecycle {
        api_version: "policy/v1beta1",
        kinds: &["PodSecurityPolicy"],
        deprecated: v(21),
        removed: Some(v(25)),
        successors: &[],
        otherwise: PSA,
        changes: "",
    },
    Lifecycle {
        api_version: "node.k8s.io/v1beta1",
        kinds: &["RuntimeClass"],
        deprecated: v(22),
        removed: Some(v(25)),
        successors: &[to("node.k8s.io/v1", 20)],
        otherwise: "",
        changes: "",
    },
    // Removed in 1.26.
    Lifecycle {
        api_version: "flowcontrol.apiserver.k8s.io/v1beta1",
        kinds: &["FlowSchema", "PriorityLevelConfiguration"],
        deprecated: v(23),
        removed: Some(v(26)),
        successors: FLOWCONTROL,
        otherwise: "",
        changes: "",
    },
    Lifecycle {
        api_version: "autoscaling/v2beta2",
        kinds: &["HorizontalPodAutoscaler"],
        deprecated: v(23),
        removed: Some(v(26)),
        successors: &[to("autoscaling/v2", 23)],
        otherwise: "",
        changes: "",
    },
    // Removed in 1.27.
    Lifecycle {
        api_version: "storage.k8s.io/v1beta1",
        kinds: &["CSIStorageCapacity"],
        deprecated: v(24),
        removed: Some(v(27)),
        successors: &[to("storage.k8s.io/v1", 24)],
        otherwise: "",
        changes: "",
    },
    // Removed in 1.29.
    Lifecycle {
        api_version: "flowcontrol.apiserver.k8s.io/v1beta2",
        kinds: &["FlowSchema", "PriorityLevelConfiguration"],
        deprecated: v(26),
        removed: Some(v(29)),
        successors: FLOWCONTROL,
        otherwise: "",
        changes: "spec.limited.assuredConcurrencyShares is renamed nominalConcurrencyShares",
    },
    // Removed in 1.32.
    Lifecycle {
        api_version: "flowcontrol.apiserver.k8s.io/v1beta3",
        kinds: &["FlowSchema", "PriorityLevelConfiguration"],
        deprecated: v(29),
        removed: Some(v(32)),
        successors: FLOWCONTROL,
        otherwise: "",
        changes: "",
    },
    // Stable, deprecated, still served.
    Lifecycle {
        api_version: "v1",
        kinds: &["Endpoints"],
        deprecated: v(33),
        removed: None,
        successors: &[to("discovery.k8s.io/v1 EndpointSlice", 21)],
        otherwise: "",
        changes: "a Service may have several EndpointSlices, each labelled \
            kubernetes.io/service-name with the Service's name",
    },
];

/// The lifecycle of `object`'s API version and kind, if it has ended or is ending.
fn lifecycle(object: &Object<'_>) -> Option<&'static Lifecycle> {
    LIFECYCLES
        .iter()
        .find(|l| l.api_version == object.api_version && l.kinds.contains(&object.kind))
}

impl Lifecycle {
    /// What to use instead at `target`.
    fn advice(&self, target: KubeVersion) -> String {
        let served = self
            .successors
            .iter()
            .find(|s| s.since <= target && s.until.is_none_or(|until| target < until));
        match served {
            Some(successor) => format!("use {}", successor.api),
            None if !self.otherwise.is_empty() => self.otherwise.to_owned(),
            None => format!("no successor is served at Kubernetes {target} yet"),
        }
    }

    fn help(&self, target: KubeVersion) -> String {
        let served = self
            .successors
            .iter()
            .find(|s| s.since <= target && s.until.is_none_or(|until| target < until));
        let mut help = match served {
            Some(successor) => match successor.api.split_once(' ') {
                Some((api, kind)) => format!("rewrite it as apiVersion: {api}, kind: {kind}"),
                None => format!("change apiVersion to {}", successor.api),
            },
            None => "remove the object once its job is done another way".to_owned(),
        };
        if served.is_some() && !self.changes.is_empty() {
            help.push_str("; note that ");
            help.push_str(self.changes);
        }
        help
    }
}

const REMOVED_API: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/removed-api",
        title: "Objects use API versions the target Kubernetes release still serves",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "Kubernetes stops serving beta API versions a few releases after their \
            stable successor ships. A manifest written against a removed version fails at \
            apply time with `no matches for kind`, usually during the cluster upgrade itself, \
            and Helm cannot even upgrade or delete a release that still records one. The \
            target release is `--kube-version`, by default the oldest one still maintained \
            upstream.",
        remediation: "Move the object to the version that replaced it, and adapt the fields \
            that changed on the way (the Deprecated API Migration Guide lists them). For \
            example, a PodDisruptionBudget:\n\n```yaml\napiVersion: policy/v1\n\
            kind: PodDisruptionBudget\n```\n\nIf the cluster runs an older release, say so \
            with `--kube-version`.",
        references: &[
            GUIDE,
            POLICY,
            "https://kubernetes.io/docs/tasks/tools/included/kubectl-convert-overview/",
        ],
        aliases: &[
            Alias::new(Tool::KubeScore, "stable-version"),
            Alias::new(Tool::KubeLinter, "no-extensions-v1beta"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: "pdb.yaml",
            content: "apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata:
  name: api
  namespace: shop
spec:
  minAvailable: 1
  selector:
    matchLabels: {app: api}
",
        },
        passing: Example {
            file: "pdb.yaml",
            content: "apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: api
  namespace: shop
spec:
  minAvailable: 1
  selector:
    matchLabels: {app: api}
",
        },
    },
    check: Check::Object(removed_api),
};

fn removed_api(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(lifecycle) = lifecycle(object) else {
        return;
    };
    let target = sink.config().kube_version;
    let Some(removed) = lifecycle.removed.filter(|removed| target >= *removed) else {
        return;
    };
    let Some(node) = object.node.get("apiVersion") else {
        return;
    };
    let message = format!(
        "{} {} was removed in Kubernetes {removed}; {}",
        object.api_version,
        object.kind,
        lifecycle.advice(target)
    );
    sink.node(object, node, "apiVersion", message)
        .set_help(lifecycle.help(target));
}

const DEPRECATED_API: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/deprecated-api",
        title: "Objects do not use API versions deprecated at the target Kubernetes release",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "A deprecated API version still works, but the API server answers every \
            use with a warning and a later release stops serving it: the manifest then fails \
            on the day the cluster is upgraded. Moving while both versions are served is a \
            routine change instead of an outage. The target release is `--kube-version`, \
            by default the oldest one still maintained upstream.",
        remediation: "Move the object to the version that replaces it while both are served, \
            and adapt the fields that changed. For example, Endpoints written by hand for a \
            Service without a selector become an EndpointSlice:\n\n```yaml\n\
            apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  \
            name: billing-1\n  labels:\n    kubernetes.io/service-name: billing\n\
            addressType: IPv4\nports:\n  - name: https\n    port: 443\nendpoints:\n  \
            - addresses: [\"10.20.0.15\"]\n```",
        references: &[
            GUIDE,
            POLICY,
            "https://kubernetes.io/blog/2025/04/24/endpoints-deprecation/",
        ],
        aliases: &[Alias::new(Tool::KubeScore, "stable-version")],
        enabled_by_default: true,
        failing: Example {
            file: "billing.yaml",
            content: "apiVersion: v1
kind: Endpoints
metadata:
  name: billing
  namespace: shop
subsets:
  - addresses:
      - ip: 10.20.0.15
    ports:
      - name: https
        port: 443
",
        },
        passing: Example {
            file: "billing.yaml",
            content: "apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: billing-1
  namespace: shop
  labels:
    kubernetes.io/service-name: billing
addressType: IPv4
ports:
  - name: https
    port: 443
endpoints:
  - addresses: [\"10.20.0.15\"]
",
        },
    },
    check: Check::Object(deprecated_api),
};

fn deprecated_api(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(lifecycle) = lifecycle(object) else {
        return;
    };
    let target = sink.config().kube_version;
    if target < lifecycle.deprecated || lifecycle.removed.is_some_and(|r| target >= r) {
        return;
    }
    let Some(node) = object.node.get("apiVersion") else {
        return;
    };
    let end = match lifecycle.removed {
        Some(removed) => format!(" and is removed in {removed}"),
        None => String::new(),
    };
    let message = format!(
        "{} {} is deprecated since Kubernetes {}{end}; {}",
        object.api_version,
        object.kind,
        lifecycle.deprecated,
        lifecycle.advice(target)
    );
    sink.node(object, node, "apiVersion", message)
        .set_help(lifecycle.help(target));
}

#[cfg(test)]
mod tests {
    use shipgate_core::Finding;

    use super::super::testing::position;
    use super::LIFECYCLES;
    use crate::k8s::KubeVersion;
    use crate::{ArtifactKind, Engine, EngineConfig};

    fn at(rule: &str, target: &str, yaml: &str) -> Vec<Finding> {
        let engine = Engine::new(EngineConfig {
            select: vec![rule.to_owned()],
            kube_version: target.parse().expect("version"),
            ..EngineConfig::default()
        })
        .expect("rule selection");
        let kind = ArtifactKind::from_path("test.yaml", false);
        engine.check_text("test.yaml", yaml, kind).findings
    }

    const INGRESS: &str = "apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: api
spec:
  backend:
    serviceName: api
    servicePort: 80
";

    #[test]
    fn a_removed_version_names_its_release_and_its_replacement() {
        let findings = at("k8s/removed-api", "1.35", INGRESS);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(
            findings[0].message,
            "extensions/v1beta1 Ingress was removed in Kubernetes 1.22; use networking.k8s.io/v1"
        );
        assert_eq!(position(&findings[0]), (1, 13));
        assert!(findings[0].location.logical.ends_with("> apiVersion"));
        let help = findings[0].help.as_deref().unwrap_or("");
        assert!(help.contains("pathType"), "{help}");
    }

    #[test]
    fn the_target_release_decides_between_deprecated_removed_and_fine() {
        assert!(at("k8s/removed-api", "1.21", INGRESS).is_empty());
        let deprecated = at("k8s/deprecated-api", "1.21", INGRESS);
        assert_eq!(
            deprecated[0].message,
            "extensions/v1beta1 Ingress is deprecated since Kubernetes 1.14 and is removed \
             in 1.22; use networking.k8s.io/v1"
        );
        // Before networking.k8s.io/v1 existed, its beta was the way forward.
        let early = at("k8s/deprecated-api", "1.16", INGRESS);
        assert!(early[0].message.ends_with("use networking.k8s.io/v1beta1"));
        assert!(at("k8s/deprecated-api", "1.13", INGRESS).is_empty());
        assert!(at("k8s/deprecated-api", "1.35", INGRESS).is_empty());
    }

    #[test]
    fn pod_security_policy_points_at_pod_security_admission() {
        let psp =
            "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: restricted\n";
        let findings = at("k8s/removed-api", "1.25", psp);
        assert!(
            findings[0]
                .message
                .contains("removed in Kubernetes 1.25; PodSecurityPolicy has no successor"),
            "{}",
            findings[0].message
        );
        assert!(findings[0].message.contains("Pod Security Admission"));
        let old = "apiVersion: extensions/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: restricted\n";
        let before = at("k8s/removed-api", "1.20", old);
        assert!(before[0].message.ends_with("use policy/v1beta1"));
        let after = at("k8s/removed-api", "1.30", old);
        assert!(after[0].message.contains("Pod Security Admission"));
    }

    #[test]
    fn flow_control_moves_to_the_newest_version_the_target_serves() {
        let flow = "apiVersion: flowcontrol.apiserver.k8s.io/v1beta1\nkind: FlowSchema\nmetadata:\n  name: batch\n";
        let message = |target: &str| at("k8s/removed-api", target, flow)[0].message.clone();
        assert!(message("1.27").ends_with("use flowcontrol.apiserver.k8s.io/v1beta3"));
        assert!(message("1.35").ends_with("use flowcontrol.apiserver.k8s.io/v1"));
    }

    #[test]
    fn stable_versions_and_unknown_kinds_are_left_alone() {
        let fine = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n---\n\
                    apiVersion: extensions/v1beta1\nkind: Widget\nmetadata:\n  name: w\n";
        assert!(at("k8s/removed-api", "1.35", fine).is_empty());
        assert!(at("k8s/deprecated-api", "1.35", fine).is_empty());
    }

    #[test]
    fn the_table_is_consistent() {
        for lifecycle in LIFECYCLES {
            if let Some(removed) = lifecycle.removed {
                assert!(lifecycle.deprecated < removed, "{}", lifecycle.api_version);
                assert!(
                    removed >= KubeVersion::new(1, 16),
                    "{}",
                    lifecycle.api_version
                );
            }
            assert!(
                !lifecycle.successors.is_empty() || !lifecycle.otherwise.is_empty(),
                "{}",
                lifecycle.api_version
            );
            for successor in lifecycle.successors {
                assert!(successor.until.is_none_or(|until| successor.since < until));
            }
        }
    }
}
