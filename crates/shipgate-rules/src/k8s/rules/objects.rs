//! Rules about single objects that are not pod hardening: where objects
//! land, credentials written into manifests, how traffic reaches the cluster,
//! and RBAC grants.

use shipgate_core::{Alias, Category, Example, RuleMeta, Severity, Tool};

use crate::credentials::{credential_name, embedded_password, not_a_literal, scalar_subspan};
use crate::k8s::{Object, Sink};
use crate::{Check, RuleDef};

pub(super) const RULES: &[RuleDef] = &[
    DEFAULT_NAMESPACE,
    NAMESPACE_MISSING,
    SECRET_IN_ENV,
    INGRESS_TLS,
    NAKED_POD,
    RBAC_WILDCARD,
    CLUSTER_ADMIN_BINDING,
    SERVICE_NODEPORT,
];

const NSA_CISA: &str = "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF";
const CIS: &str = "https://www.cisecurity.org/benchmark/kubernetes";

/// Kinds that live outside any namespace: Kubernetes' own, and those of widely
/// used add-ons. `Cluster*` kinds are added by convention in `is_namespaced`.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CertificateSigningRequest",
    "CiliumClusterwideNetworkPolicy",
    "ComponentStatus",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "DeviceClass",
    "FlowSchema",
    "GatewayClass",
    "GlobalNetworkPolicy",
    "GlobalNetworkSet",
    "HostEndpoint",
    "IngressClass",
    "IPAddress",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "SecurityContextConstraints",
    "ServiceCIDR",
    "StorageClass",
    "StorageVersionMigration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
    "VolumeAttributesClass",
];

/// API groups of tools' own configuration files (kubeadm, kubelet, kind,
/// skaffold, ...): they carry `apiVersion` and `kind` but are never applied
/// to a cluster, so a namespace means nothing to them.
const TOOL_CONFIG_GROUPS: &[&str] = &[
    "config.k8s.io",
    "config.kubernetes.io",
    "kubeadm.k8s.io",
    "audit.k8s.io",
    "kind.x-k8s.io",
    "k3d.io",
    "skaffold",
    "kpt.dev",
    "eksctl.io",
    "ctlptl.dev",
];

/// Whether the object is applied into a namespace.
fn is_namespaced(object: &Object<'_>) -> bool {
    let kind = object.kind;
    // `ClusterRole`, `ClusterIssuer`, `ClusterSecretStore`, ... are cluster-scoped
    // by convention; OLM's `ClusterServiceVersion` is the known exception.
    let cluster_prefixed = kind
        .strip_prefix("Cluster")
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
        && kind != "ClusterServiceVersion";
    if cluster_prefixed || CLUSTER_SCOPED.contains(&kind) {
        return false;
    }
    // kubeconfig files (`v1/Config`) and component configuration
    // (`KubeletConfiguration`, `InitConfiguration`, ...) are not objects.
    if kind == "Config" || kind.ends_with("Configuration") {
        return false;
    }
    let group = object.api_version.rsplit_once('/').map_or("", |(g, _)| g);
    !TOOL_CONFIG_GROUPS.iter().any(|g| {
        group
            .strip_suffix(g)
            .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
    })
}

const DEFAULT_NAMESPACE: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/default-namespace",
        title: "Objects are not placed in the `default` namespace",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "The `default` namespace is where everything lands that was not given a \
            home, so policies, quotas and RBAC scoped to it cover an unknown mix of \
            workloads. A namespace per application or team is the boundary that network \
            policies, resource quotas, Pod Security admission and role bindings attach to \
            (CIS Kubernetes Benchmark 5.7.1 and 5.7.4).",
        remediation: "Create a namespace for the application and move its objects there:\n\n\
            ```yaml\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n\
            apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: shop\n```",
        references: &[
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/",
            "https://kubernetes.io/docs/concepts/security/multi-tenancy/",
            CIS,
            NSA_CISA,
        ],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_21"),
            Alias::new(Tool::KubeLinter, "use-namespace"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: "config.yaml",
            content: "apiVersion: v1
kind: ConfigMap
metadata:
  name: orders-config
  namespace: default
data:
  LOG_LEVEL: info
",
        },
        passing: Example {
            file: "config.yaml",
            content: "apiVersion: v1
kind: ConfigMap
metadata:
  name: orders-config
  namespace: shop
data:
  LOG_LEVEL: info
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: orders-reader
rules:
  - apiGroups: [\"\"]
    resources: [\"configmaps\"]
    verbs: [\"get\"]
",
        },
    },
    check: Check::Object(default_namespace),
};

fn default_namespace(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(node) = object
        .metadata()
        .and_then(|m| m.get("namespace"))
        .filter(|n| n.as_text() == Some("default"))
    else {
        return;
    };
    // These two exist in `default` by design; declaring them there is no choice.
    let builtin = matches!(
        (object.kind, object.name),
        ("ServiceAccount", Some("default")) | ("Service", Some("kubernetes"))
    );
    if builtin || !is_namespaced(object) {
        return;
    }
    sink.node(
        object,
        node,
        "metadata.namespace",
        format!(
            "{} `{}` is placed in the `default` namespace",
            object.kind,
            object.name.unwrap_or("?")
        ),
    )
    .set_help("give the application its own namespace");
}

const NAMESPACE_MISSING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/namespace-missing",
        title: "Namespaced objects say which namespace they belong to",
        severity: Severity::Info,
        category: Category::Operability,
        rationale: "An object without `metadata.namespace` lands in whatever namespace the \
            applying context points at: the same file deploys to `default` from one \
            laptop and to production from another. Writing the namespace down makes the \
            manifest mean one thing. Teams that set it with a kustomization's `namespace:` \
            or `helm --namespace` can ignore this rule for those bases.",
        remediation: "Set the namespace on every namespaced object (or once, in the \
            kustomization that applies them):\n\n```yaml\nmetadata:\n  name: api\n  \
            namespace: shop\n```",
        references: &[
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/",
            "https://kubernetes.io/docs/tasks/manage-kubernetes-objects/kustomization/",
        ],
        aliases: &[Alias::new(Tool::Checkov, "CKV_K8S_21")],
        enabled_by_default: true,
        failing: Example {
            file: "service.yaml",
            content: "apiVersion: v1
kind: Service
metadata:
  name: orders-api
spec:
  selector:
    app: orders-api
  ports:
    - name: http
      port: 80
      targetPort: http
",
        },
        passing: Example {
            file: "service.yaml",
            content: "apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: Service
metadata:
  name: orders-api
  namespace: shop
spec:
  selector:
    app: orders-api
  ports:
    - name: http
      port: 80
      targetPort: http
",
        },
    },
    check: Check::Object(namespace_missing),
};

fn namespace_missing(object: &Object<'_>, sink: &mut Sink<'_>) {
    if object.namespace.is_some() || !is_namespaced(object) {
        return;
    }
    sink.object(
        object,
        format!(
            "{} `{}` has no metadata.namespace: it lands wherever the applying context points",
            object.kind,
            object.name.unwrap_or("?")
        ),
    )
    .set_help("set metadata.namespace");
}

const SECRET_IN_ENV: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/secret-in-env",
        title: "Credentials are not written into container environment variables",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "A password, token or key written as an env `value:` is stored in git \
            history, in every rendered manifest and CI log, and in the object itself, \
            readable by anyone who may `get` the workload, not only those who may read \
            Secrets. Rotating it means a code change. Placeholders such as `changeme` are \
            reported too: Kubernetes applies them literally, so they become real, guessable \
            credentials.",
        remediation: "Keep the credential in a Secret (created by your secret manager, not \
            committed) and reference it:\n\n```yaml\nenv:\n  - name: POSTGRES_PASSWORD\n    \
            valueFrom:\n      secretKeyRef:\n        name: orders-db\n        key: \
            password\n```\n\nFor a connection URL, pass the password separately and compose \
            it with `$(VAR)`: `postgres://orders:$(POSTGRES_PASSWORD)@postgres:5432/orders`. \
            Values substituted before the pod starts (`$(VAR)`, `${VAR}`, `{{ ... }}`), \
            `<placeholders>`, SOPS-encrypted values and secret-manager references \
            (`vault:`, `ref+`, `arn:aws:secretsmanager:`) are not reported.",
        references: &[
            "https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables",
            "https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
            "https://kubernetes.io/docs/tasks/inject-data-application/define-interdependent-environment-variables/",
            NSA_CISA,
        ],
        aliases: &[
            Alias::new(Tool::KubeLinter, "env-var-secret"),
            Alias::new(Tool::Polaris, "sensitiveContainerEnvVar"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: "postgres.yaml",
            content: "apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: postgres
  namespace: shop
spec:
  serviceName: postgres
  replicas: 1
  selector:
    matchLabels: {app: postgres}
  template:
    metadata:
      labels: {app: postgres}
    spec:
      containers:
        - name: postgres
          image: postgres:16.4-bookworm
          env:
            - name: POSTGRES_USER
              value: orders
            - name: POSTGRES_PASSWORD
              value: \"Sh0p-0rders-2024!\"
",
        },
        passing: Example {
            file: "postgres.yaml",
            content: "apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: postgres
  namespace: shop
spec:
  serviceName: postgres
  replicas: 1
  selector:
    matchLabels: {app: postgres}
  template:
    metadata:
      labels: {app: postgres}
    spec:
      containers:
        - name: postgres
          image: postgres:16.4-bookworm
          env:
            - name: POSTGRES_USER
              value: orders
            - name: POSTGRES_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: orders-db
                  key: password
            - name: POSTGRES_PASSWORD_FILE
              value: /run/secrets/postgres-password
            - name: DATABASE_URL
              value: postgres://orders:$(POSTGRES_PASSWORD)@127.0.0.1:5432/orders
",
        },
    },
    check: Check::Object(secret_in_env),
};

fn secret_in_env(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    for container in pod.containers() {
        let container_name = container.name().unwrap_or("?");
        for env in container.get("env").into_iter().flat_map(|e| e.items()) {
            let (Some(name), Some(value_node)) =
                (env.get("name").and_then(|n| n.as_text()), env.get("value"))
            else {
                continue;
            };
            let Some(value) = value_node.as_text() else {
                continue;
            };
            let (redact, message) = if let Some(range) = embedded_password(value) {
                (
                    scalar_subspan(value_node, range),
                    format!(
                        "env `{name}` of container `{container_name}` embeds a password in its value"
                    ),
                )
            } else if credential_name(name) && !not_a_literal(value) {
                (
                    scalar_subspan(value_node, 0..value.len()),
                    format!(
                        "env `{name}` of container `{container_name}` holds a literal credential"
                    ),
                )
            } else {
                continue;
            };
            // Named by the variable, not its position, so that a baseline
            // survives reordering.
            let field = container.field(&format!("env[{name}].value"));
            // The message names the variable only: reports are shared more
            // widely than the repository, and the renderers mask `redact`.
            sink.node(object, value_node, &field, message)
                .add_redaction(redact)
                .set_help(
                    "reference a Secret with valueFrom.secretKeyRef and rotate the exposed value",
                );
        }
    }
}

const INGRESS_TLS: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/ingress-tls",
        title: "Ingresses serve their hosts over TLS",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "An Ingress without `tls` serves plain HTTP: credentials, cookies and \
            personal data cross the network readable and modifiable by anyone on the path. \
            A `tls` entry that does not list a rule's host leaves that host on the \
            controller's default certificate, which browsers reject. Load balancers that \
            terminate TLS themselves (an ALB certificate ARN, a GKE managed or pre-shared \
            certificate, an Application Gateway certificate) are recognised by their \
            annotations and not reported.",
        remediation: "Add a `tls` entry covering every host, with a certificate Secret \
            (cert-manager can issue and renew it):\n\n```yaml\nmetadata:\n  annotations:\n    \
            cert-manager.io/cluster-issuer: letsencrypt\nspec:\n  tls:\n    - hosts: \
            [orders.shop.example.com]\n      secretName: orders-tls\n  rules:\n    - host: \
            orders.shop.example.com\n```",
        references: &[
            "https://kubernetes.io/docs/concepts/services-networking/ingress/#tls",
            "https://cert-manager.io/docs/usage/ingress/",
            NSA_CISA,
        ],
        aliases: &[Alias::new(Tool::Polaris, "tlsSettingsMissing")],
        enabled_by_default: true,
        failing: Example {
            file: "ingress.yaml",
            content: "apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: orders-api
  namespace: shop
spec:
  ingressClassName: nginx
  rules:
    - host: orders.shop.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: orders-api
                port:
                  name: http
",
        },
        passing: Example {
            file: "ingress.yaml",
            content: "apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: orders-api
  namespace: shop
  annotations:
    cert-manager.io/cluster-issuer: letsencrypt
spec:
  ingressClassName: nginx
  tls:
    - hosts:
        - \"*.shop.example.com\"
      secretName: shop-wildcard-tls
  rules:
    - host: orders.shop.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: orders-api
                port:
                  name: http
",
        },
    },
    check: Check::Object(ingress_tls),
};

/// Annotations with which a cloud load balancer terminates TLS for an Ingress
/// that has no `tls` section.
const TLS_AT_LOAD_BALANCER: &[&str] = &[
    "alb.ingress.kubernetes.io/certificate-arn",
    "ingress.gcp.kubernetes.io/pre-shared-cert",
    "networking.gke.io/managed-certificates",
    "appgw.ingress.kubernetes.io/appgw-ssl-certificate",
];

/// Whether a TLS host (possibly `*.example.com`) covers a rule's host.
fn host_covered(tls_host: &str, host: &str) -> bool {
    if tls_host.eq_ignore_ascii_case(host) {
        return true;
    }
    // A wildcard covers exactly one label, as in certificates.
    match (tls_host.strip_prefix("*."), host.split_once('.')) {
        (Some(domain), Some((label, rest))) => {
            label != "*" && !label.is_empty() && rest.eq_ignore_ascii_case(domain)
        }
        _ => false,
    }
}

fn ingress_tls(object: &Object<'_>, sink: &mut Sink<'_>) {
    if object.kind != "Ingress" {
        return;
    }
    let at_load_balancer = TLS_AT_LOAD_BALANCER
        .iter()
        .any(|a| object.annotation(a).is_some())
        || object
            .annotation("alb.ingress.kubernetes.io/listen-ports")
            .is_some_and(|p| p.contains("HTTPS"));
    if at_load_balancer {
        return;
    }
    let name = object.name.unwrap_or("?");
    let spec = object.spec();
    let Some(tls) = spec
        .and_then(|s| s.get("tls"))
        .filter(|t| t.is_seq() && !t.is_empty())
    else {
        sink.object(
            object,
            format!("Ingress `{name}` has no tls section, so it serves plain HTTP"),
        )
        .set_help("add spec.tls with the hosts and a certificate secretName");
        return;
    };
    let mut tls_hosts = Vec::new();
    for entry in tls.items() {
        match entry.get("hosts").filter(|h| !h.is_empty()) {
            Some(hosts) => tls_hosts.extend(hosts.items().filter_map(|h| h.as_text())),
            // An entry without hosts applies to every host: the controller's
            // certificate for this Secret is used whatever the name.
            None => return,
        }
    }
    for (index, rule) in spec
        .and_then(|s| s.get("rules"))
        .into_iter()
        .flat_map(|r| r.items())
        .enumerate()
    {
        let Some(host_node) = rule.get("host") else {
            continue;
        };
        let Some(host) = host_node.as_text() else {
            continue;
        };
        if !tls_hosts.iter().any(|t| host_covered(t, host)) {
            sink.node(
                object,
                host_node,
                &format!("spec.rules[{index}].host"),
                format!("host `{host}` of Ingress `{name}` is not covered by any tls entry"),
            )
            .set_help(format!("add `{host}` to the hosts of a spec.tls entry"));
        }
    }
}

const NAKED_POD: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/naked-pod",
        title: "Pods are managed by a controller",
        severity: Severity::Info,
        category: Category::Reliability,
        rationale: "A Pod created directly is never recreated: when its node fails, is \
            drained or is upgraded, the Pod is gone for good, and it cannot be rolled out \
            or rolled back. A Deployment, StatefulSet, Job or DaemonSet keeps the desired \
            pods running. Helm test hooks are not reported; none of the peer tools has an \
            equivalent check.",
        remediation: "Wrap the pod spec in a controller, for example a Deployment:\n\n\
            ```yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: worker\nspec:\n  \
            replicas: 2\n  selector:\n    matchLabels: {app: worker}\n  template:\n    \
            metadata:\n      labels: {app: worker}\n    spec:\n      containers:\n        \
            - name: worker\n          image: ghcr.io/acme/worker:2.3.0\n```\n\nFor one-off \
            tasks use a Job.",
        references: &[
            "https://kubernetes.io/docs/concepts/workloads/pods/#working-with-pods",
            "https://kubernetes.io/docs/concepts/configuration/overview/",
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "worker.yaml",
            content: "apiVersion: v1
kind: Pod
metadata:
  name: worker
  namespace: shop
  labels: {app: worker}
spec:
  containers:
    - name: worker
      image: ghcr.io/acme/worker:2.3.0
",
        },
        passing: Example {
            file: "worker.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: worker}
  template:
    metadata:
      labels: {app: worker}
    spec:
      containers:
        - name: worker
          image: ghcr.io/acme/worker:2.3.0
---
apiVersion: v1
kind: Pod
metadata:
  name: orders-api-smoke-test
  namespace: shop
  annotations:
    helm.sh/hook: test
spec:
  restartPolicy: Never
  containers:
    - name: curl
      image: curlimages/curl:8.10.1
      args: [\"--fail\", \"http://orders-api/healthz\"]
",
        },
    },
    check: Check::Object(naked_pod),
};

fn naked_pod(object: &Object<'_>, sink: &mut Sink<'_>) {
    if object.kind != "Pod" || object.api_version != "v1" {
        return;
    }
    let owned = object
        .metadata()
        .and_then(|m| m.get("ownerReferences"))
        .is_some_and(|o| !o.is_empty());
    // Helm test hooks are meant to run once and be deleted.
    if owned || object.annotation("helm.sh/hook").is_some() {
        return;
    }
    sink.object(
        object,
        format!(
            "Pod `{}` is not managed by a controller: nothing recreates it when its node goes away",
            object.name.unwrap_or("?")
        ),
    )
    .set_help("use a Deployment, StatefulSet or Job");
}

const RBAC_WILDCARD: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/rbac-wildcard",
        title: "Roles grant named verbs on named resources",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "A `*` in a rule's verbs, resources or API groups grants everything that \
            exists now and everything added later, including custom resources and \
            subresources such as `pods/exec` or `secrets`. Least privilege cannot be \
            reviewed when the grant is open-ended (CIS Kubernetes Benchmark 5.1.3).",
        remediation: "List exactly what the subject needs:\n\n```yaml\nrules:\n  - apiGroups: \
            [\"apps\"]\n    resources: [\"deployments\"]\n    verbs: [\"get\", \"list\", \
            \"watch\"]\n```",
        references: &[
            "https://kubernetes.io/docs/concepts/security/rbac-good-practices/",
            "https://kubernetes.io/docs/reference/access-authn-authz/rbac/",
            CIS,
            NSA_CISA,
        ],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_49"),
            Alias::new(Tool::KubeLinter, "wildcard-in-rules"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: "rbac.yaml",
            content: "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: deployer
  namespace: shop
rules:
  - apiGroups: [\"apps\"]
    resources: [\"*\"]
    verbs: [\"*\"]
",
        },
        passing: Example {
            file: "rbac.yaml",
            content: "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: deployer
  namespace: shop
rules:
  - apiGroups: [\"apps\"]
    resources: [\"deployments\"]
    verbs: [\"get\", \"list\", \"watch\", \"patch\"]
",
        },
    },
    check: Check::Object(rbac_wildcard),
};

fn rbac_wildcard(object: &Object<'_>, sink: &mut Sink<'_>) {
    if object.kind != "Role" && object.kind != "ClusterRole" {
        return;
    }
    let rules = object.node.get("rules");
    for (index, rule) in rules.into_iter().flat_map(|r| r.items()).enumerate() {
        let mut fields = Vec::new();
        let mut first = None;
        for field in ["verbs", "resources", "apiGroups"] {
            let wildcard = rule
                .get(field)
                .into_iter()
                .flat_map(|list| list.items())
                .enumerate()
                .find(|(_, item)| item.as_text().is_some_and(|t| t.contains('*')));
            if let Some((item_index, item)) = wildcard {
                fields.push(field);
                first.get_or_insert((item, format!("rules[{index}].{field}[{item_index}]")));
            }
        }
        let Some((item, field)) = first else {
            continue;
        };
        sink.node(
            object,
            item,
            &field,
            format!(
                "{} `{}` grants `*` in {}",
                object.kind,
                object.name.unwrap_or("?"),
                fields.join(" and ")
            ),
        )
        .set_help("list the verbs, resources and API groups the subject needs");
    }
}

const CLUSTER_ADMIN_BINDING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/cluster-admin-binding",
        title: "Nothing is bound to the `cluster-admin` role",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "`cluster-admin` can do anything to any object in any namespace, \
            including reading every Secret and granting itself more. A service account \
            bound to it turns any compromise of its pods into a compromise of the whole \
            cluster (CIS Kubernetes Benchmark 5.1.1). The bootstrap binding of \
            `system:masters` is not reported.",
        remediation: "Bind a role that grants only what the subject needs:\n\n```yaml\n\
            apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: \
            deployer\n  namespace: shop\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  \
            kind: Role\n  name: deployer\nsubjects:\n  - kind: ServiceAccount\n    name: \
            deployer\n    namespace: shop\n```",
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles",
            "https://kubernetes.io/docs/concepts/security/rbac-good-practices/",
            CIS,
            NSA_CISA,
        ],
        aliases: &[
            Alias::new(Tool::KubeLinter, "cluster-admin-role-binding"),
            Alias::new(Tool::Polaris, "clusterrolebindingClusterAdmin"),
            Alias::new(Tool::Polaris, "rolebindingClusterAdminClusterRole"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: "rbac.yaml",
            content: "apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ci-deployer
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - kind: ServiceAccount
    name: ci-deployer
    namespace: ci
",
        },
        passing: Example {
            file: "rbac.yaml",
            content: "apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ci-deployer
  namespace: shop
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: edit
subjects:
  - kind: ServiceAccount
    name: ci-deployer
    namespace: ci
",
        },
    },
    check: Check::Object(cluster_admin_binding),
};

fn cluster_admin_binding(object: &Object<'_>, sink: &mut Sink<'_>) {
    if object.kind != "RoleBinding" && object.kind != "ClusterRoleBinding" {
        return;
    }
    let Some(role_ref) = object.node.get("roleRef") else {
        return;
    };
    let Some(name) = role_ref
        .get("name")
        .filter(|n| n.as_text() == Some("cluster-admin"))
    else {
        return;
    };
    if role_ref.get("kind").and_then(|k| k.as_text()) == Some("Role") {
        return;
    }
    let subjects: Vec<_> = object
        .node
        .get("subjects")
        .into_iter()
        .flat_map(|s| s.items())
        .collect();
    // Kubernetes' own bootstrap binding: `system:masters` is cluster-admin by design.
    let bootstrap = !subjects.is_empty()
        && subjects.iter().all(|s| {
            s.get("kind").and_then(|k| k.as_text()) == Some("Group")
                && s.get("name").and_then(|n| n.as_text()) == Some("system:masters")
        });
    if bootstrap {
        return;
    }
    sink.node(
        object,
        name,
        "roleRef.name",
        format!(
            "{} `{}` grants cluster-admin",
            object.kind,
            object.name.unwrap_or("?")
        ),
    )
    .set_help("bind a Role or ClusterRole limited to what the subjects need");
}

const SERVICE_NODEPORT: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/service-nodeport",
        title: "Services are not exposed on node ports",
        severity: Severity::Info,
        category: Category::Security,
        rationale: "A NodePort Service opens the same port on every node, reachable by \
            anything that can reach a node's address, bypassing the Ingress controller and \
            its TLS, authentication and rate limits. The port range is shared cluster-wide, \
            and nodes come and go. Some bare-metal and load-balancer setups rely on node \
            ports deliberately, so the rule only informs.",
        remediation: "Use a ClusterIP Service behind an Ingress (or a LoadBalancer Service \
            where the platform provides one):\n\n```yaml\napiVersion: v1\nkind: Service\n\
            metadata:\n  name: orders-api\n  namespace: shop\nspec:\n  type: ClusterIP\n  \
            selector: {app: orders-api}\n  ports:\n    - name: http\n      port: 80\n      \
            targetPort: http\n```",
        references: &[
            "https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport",
            NSA_CISA,
        ],
        aliases: &[
            Alias::new(Tool::KubeScore, "service-type"),
            Alias::new(Tool::KubeLinter, "exposed-services"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: "service.yaml",
            content: "apiVersion: v1
kind: Service
metadata:
  name: orders-api
  namespace: shop
spec:
  type: NodePort
  selector:
    app: orders-api
  ports:
    - name: http
      port: 80
      targetPort: http
      nodePort: 30080
",
        },
        passing: Example {
            file: "service.yaml",
            content: "apiVersion: v1
kind: Service
metadata:
  name: orders-api
  namespace: shop
spec:
  type: ClusterIP
  selector:
    app: orders-api
  ports:
    - name: http
      port: 80
      targetPort: http
",
        },
    },
    check: Check::Object(service_nodeport),
};

fn service_nodeport(object: &Object<'_>, sink: &mut Sink<'_>) {
    if object.kind != "Service" {
        return;
    }
    let Some(kind) = object
        .spec()
        .and_then(|s| s.get("type"))
        .filter(|t| t.as_text() == Some("NodePort"))
    else {
        return;
    };
    sink.node(
        object,
        kind,
        "spec.type",
        format!(
            "Service `{}` is exposed on a port of every node",
            object.name.unwrap_or("?")
        ),
    )
    .set_help("use type ClusterIP behind an Ingress, or a LoadBalancer");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ArtifactKind, Engine, EngineConfig};
    use shipgate_core::Finding;

    fn findings(rule: &str, text: &str) -> Vec<Finding> {
        let engine = Engine::new(EngineConfig {
            select: vec![rule.to_owned()],
            ..EngineConfig::default()
        })
        .expect("selection");
        let outcome = engine.check_text("m.yaml", text, ArtifactKind::from_path("m.yaml", false));
        engine
            .finish(vec![".".into()], vec![outcome], None)
            .findings
            .into_iter()
            .filter(|f| f.rule == rule)
            .collect()
    }

    fn with_env(env: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: app:1.0\n          env:\n{env}"
        )
    }

    #[test]
    fn credential_names() {
        for name in [
            "POSTGRES_PASSWORD",
            "DB_PASS",
            "JWT_SECRET",
            "SECRET_KEY_BASE",
            "AWS_SECRET_ACCESS_KEY",
            "STRIPE_API_KEY",
            "apiKey",
            "GITHUB_TOKEN",
            "BASIC_AUTH",
            "GOOGLE_CREDENTIALS",
            "db-passwd",
        ] {
            assert!(credential_name(name), "{name}");
        }
        for name in [
            "POSTGRES_PASSWORD_FILE",
            "SECRET_NAME",
            "TOKEN_URL",
            "TOKEN_TTL",
            "AUTH_STRATEGY",
            "PWD",
            "BYPASS_CACHE",
            "PASSENGER_COUNT",
            "AWS_ACCESS_KEY_ID",
            "LOG_LEVEL",
            "KEY",
        ] {
            assert!(!credential_name(name), "{name}");
        }
    }

    #[test]
    fn embedded_passwords() {
        let cases = [
            ("postgres://orders:s3cret@db:5432/orders", Some("s3cret")),
            ("redis://:hunter2@redis:6379/0", Some("hunter2")),
            ("mongodb://u:p%40ss@h1,h2/db?replicaSet=rs0", Some("p%40ss")),
            ("Server=db;User Id=sa;Password=Pa ss;", Some("Pa ss")),
            ("host=db user=app password='x y' dbname=o", Some("x y")),
            ("host=db user=app password=xy dbname=o", Some("xy")),
            ("postgres://orders:$(DB_PASSWORD)@db/orders", None),
            ("postgres://orders@db/orders", None),
            ("https://example.com/a:b@c", None),
            ("redis://redis:6379/0", None),
        ];
        for (value, expected) in cases {
            let got = embedded_password(value).map(|r| &value[r]);
            assert_eq!(got, expected, "{value}");
        }
    }

    #[test]
    fn secret_in_env_is_redacted_and_never_quoted() {
        let secret = "Sh0p-0rders-2024!";
        let text = with_env(&format!(
            "            - name: POSTGRES_USER\n              value: orders\n            - name: POSTGRES_PASSWORD\n              value: \"{secret}\"\n"
        ));
        let found = findings("k8s/secret-in-env", &text);
        assert_eq!(found.len(), 1, "{found:#?}");
        let finding = &found[0];
        assert!(!finding.message.contains(secret));
        assert!(finding.message.contains("POSTGRES_PASSWORD"));
        assert!(finding.help.as_deref().is_some_and(|h| !h.contains(secret)));
        let span = finding.location.span.expect("span");
        // The finding points at the value (its opening quote), line 16 column 22.
        assert_eq!((span.start.line, span.start.column), (16, 22));
        assert_eq!(finding.redact.len(), 1);
        let redact = finding.redact[0];
        assert_eq!(
            &text[redact.start_byte as usize..redact.end_byte as usize],
            secret
        );
        assert_eq!((redact.start.line, redact.start.column), (16, 23));
        assert_eq!(redact.end.column, 23 + secret.len() as u32);
        assert!(!format!("{finding:?}").contains(secret));
    }

    #[test]
    fn secret_in_env_redacts_only_the_password_of_a_url() {
        let text = with_env(
            "            - name: DATABASE_URL\n              value: postgres://orders:hunter2@db:5432/orders\n",
        );
        let found = findings("k8s/secret-in-env", &text);
        assert_eq!(found.len(), 1);
        assert!(!found[0].message.contains("hunter2"));
        let r = found[0].redact[0];
        assert_eq!(&text[r.start_byte as usize..r.end_byte as usize], "hunter2");
    }

    #[test]
    fn secret_in_env_masks_the_whole_value_when_offsets_are_not_exact() {
        // An escape shortens the text, so the password's offset in the file is
        // not its offset in the text: the whole scalar is masked.
        let text = with_env(
            "            - name: DATABASE_URL\n              value: \"postgres://o:hun\\tter@db/o\"\n",
        );
        let found = findings("k8s/secret-in-env", &text);
        let r = found[0].redact[0];
        assert_eq!(
            &text[r.start_byte as usize..r.end_byte as usize],
            "\"postgres://o:hun\\tter@db/o\""
        );
    }

    #[test]
    fn secret_in_env_ignores_references_placeholders_and_descriptors() {
        let text = with_env(
            "            - name: API_TOKEN\n              value: $(TOKEN_FROM_SECRET)\n            - name: JWT_SECRET\n              value: \"{{ .Values.jwt }}\"\n            - name: DB_PASSWORD\n              value: <set-me>\n            - name: DB_PASSWORD_FILE\n              value: /run/secrets/db\n            - name: GOOGLE_APPLICATION_CREDENTIALS\n              value: /var/secrets/google/key.json\n            - name: AUTH_ENABLED\n              value: \"true\"\n            - name: APP_SECRET\n              value: ENC[AES256_GCM,data:abc,type:str]\n            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef: {name: db, key: password}\n",
        );
        assert!(findings("k8s/secret-in-env", &text).is_empty());
        // A placeholder Kubernetes applies literally is a real, weak credential.
        let text = with_env("            - name: DB_PASSWORD\n              value: changeme\n");
        assert_eq!(findings("k8s/secret-in-env", &text).len(), 1);
    }

    #[test]
    fn namespaces() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n  namespace: default\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n---\napiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n---\napiVersion: v1\nkind: Config\nclusters: []\n---\napiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: le\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n";
        let found = findings("k8s/default-namespace", text);
        assert_eq!(found.len(), 1);
        let span = found[0].location.span.expect("span");
        assert_eq!((span.start.line, span.start.column), (5, 14));
        let missing = findings("k8s/namespace-missing", text);
        let lines: Vec<u32> = missing.iter().filter_map(|f| f.location.line()).collect();
        assert_eq!(lines, vec![36], "{missing:#?}");
    }

    #[test]
    fn ingress_tls_checks_hosts_and_load_balancer_annotations() {
        let ingress = |extra: &str, tls: &str| {
            format!(
                "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: shop\n{extra}spec:\n{tls}  rules:\n    - host: shop.example.com\n    - host: api.shop.example.com\n    - host: a.b.shop.example.com\n"
            )
        };
        let found = findings("k8s/ingress-tls", &ingress("", ""));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].location.line(), Some(2));
        let found = findings(
            "k8s/ingress-tls",
            &ingress(
                "",
                "  tls:\n    - hosts: [\"*.shop.example.com\"]\n      secretName: t\n",
            ),
        );
        let lines: Vec<u32> = found.iter().filter_map(|f| f.location.line()).collect();
        assert_eq!(lines, vec![11, 13], "{found:#?}");
        let alb = "  annotations:\n    alb.ingress.kubernetes.io/certificate-arn: arn:aws:acm:eu-west-1:1:certificate/x\n";
        assert!(findings("k8s/ingress-tls", &ingress(alb, "")).is_empty());
    }

    #[test]
    fn rbac_wildcard_points_at_the_first_star_of_each_rule() {
        let text = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n  - apiGroups: [\"*\"]\n    resources: [\"pods\", \"*\"]\n    verbs: [\"get\"]\n  - apiGroups: [\"\"]\n    resources: [\"pods\"]\n    verbs: [\"get\"]\n";
        let found = findings("k8s/rbac-wildcard", text);
        assert_eq!(found.len(), 1);
        let span = found[0].location.span.expect("span");
        assert_eq!((span.start.line, span.start.column), (7, 25));
        assert!(found[0].message.contains("resources and apiGroups"));
    }

    #[test]
    fn cluster_admin_binding_skips_the_bootstrap_binding() {
        let text = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: cluster-admin\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n  - kind: Group\n    name: system:masters\n";
        assert!(findings("k8s/cluster-admin-binding", text).is_empty());
        let text = text.replace("Group\n    name: system:masters", "User\n    name: alice");
        let found = findings("k8s/cluster-admin-binding", &text);
        assert_eq!(found.len(), 1);
        let span = found[0].location.span.expect("span");
        assert_eq!((span.start.line, span.start.column), (8, 9));
    }
}
