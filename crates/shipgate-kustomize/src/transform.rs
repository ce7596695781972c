//! The built-in transformers: namespace, name prefix and suffix, labels,
//! annotations, images, replicas; then the final name references and order.
//!
//! A value a transformer writes takes the span of the kustomization entry
//! that asked for it, so a finding on an added label points at `labels:`.

use shipgate_core::SourceSpan;
use shipgate_syntax::yaml::{OwnedNode, OwnedValue};

use crate::resource::Resource;

const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CertificateSigningRequest",
    "ClusterIssuer",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "FlowSchema",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "SelfSubjectAccessReview",
    "SelfSubjectRulesReview",
    "StorageClass",
    "SubjectAccessReview",
    "TokenReview",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

pub fn is_cluster_scoped(kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&kind)
}

/// Sets `key` of the mapping at `path` (created as needed) to `value`.
fn set_at(node: &mut OwnedNode, path: &[&str], key: &str, value: OwnedNode, create: bool) {
    let mut target = node;
    for part in path {
        if !create && target.get(part).is_none_or(|n| !n.is_map()) {
            return;
        }
        target = target.ensure_map(part, value.span);
    }
    target.insert(key, value);
}

pub fn namespace(resources: &mut [Resource], namespace: &str, cause: SourceSpan) {
    // Subjects naming a service account of the set follow it to the new namespace.
    let accounts: Vec<(Vec<String>, String)> = resources
        .iter()
        .filter(|r| r.kind() == "ServiceAccount")
        .map(|r| {
            (
                r.names().map(str::to_owned).collect(),
                r.namespace().to_owned(),
            )
        })
        .collect();
    for r in resources.iter_mut() {
        let kind = r.kind().to_owned();
        if kind == "Namespace" {
            r.rename(namespace.to_owned(), cause);
            continue;
        }
        if !is_cluster_scoped(&kind) {
            set_at(
                &mut r.node,
                &["metadata"],
                "namespace",
                OwnedNode::string(namespace, cause),
                true,
            );
        }
        if kind == "RoleBinding" || kind == "ClusterRoleBinding" {
            let Some(subjects) = r.node.get_mut("subjects").and_then(OwnedNode::items_mut) else {
                continue;
            };
            for subject in subjects {
                if subject.get("kind").and_then(OwnedNode::as_text) != Some("ServiceAccount") {
                    continue;
                }
                let name = subject
                    .get("name")
                    .and_then(OwnedNode::as_text)
                    .unwrap_or("");
                let ns = subject
                    .get("namespace")
                    .and_then(OwnedNode::as_text)
                    .unwrap_or("");
                let known = accounts
                    .iter()
                    .any(|(names, account_ns)| names.iter().any(|n| n == name) && account_ns == ns);
                if name == "default" || known {
                    subject.insert("namespace", OwnedNode::string(namespace, cause));
                }
            }
        }
    }
}

pub fn prefix_suffix(resources: &mut [Resource], prefix: &str, suffix: &str, cause: SourceSpan) {
    for r in resources.iter_mut() {
        if matches!(r.kind(), "CustomResourceDefinition" | "Namespace") {
            continue;
        }
        let name = format!("{prefix}{}{suffix}", r.name());
        r.rename(name, cause);
    }
}

/// Where labels go beyond `metadata.labels`, by kind: selectors (added only
/// when asked for) and pod templates. `true` creates a missing field.
fn selector_paths(kind: &str) -> &'static [(&'static [&'static str], bool)] {
    match kind {
        "Service" => &[(&["spec", "selector"], true)],
        "ReplicationController" => &[(&["spec", "selector"], true)],
        "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet" => {
            &[(&["spec", "selector", "matchLabels"], true)]
        }
        "Job" => &[(&["spec", "selector", "matchLabels"], false)],
        "CronJob" => &[(
            &["spec", "jobTemplate", "spec", "selector", "matchLabels"],
            false,
        )],
        "PodDisruptionBudget" => &[(&["spec", "selector", "matchLabels"], false)],
        "NetworkPolicy" => &[(&["spec", "podSelector", "matchLabels"], false)],
        _ => &[],
    }
}

fn template_paths(kind: &str) -> &'static [&'static [&'static str]] {
    match kind {
        "Deployment"
        | "ReplicaSet"
        | "DaemonSet"
        | "StatefulSet"
        | "Job"
        | "ReplicationController" => &[&["spec", "template", "metadata"]],
        "CronJob" => &[
            &["spec", "jobTemplate", "metadata"],
            &["spec", "jobTemplate", "spec", "template", "metadata"],
        ],
        _ => &[],
    }
}

pub struct Pair {
    pub key: String,
    /// The kustomization's value node, so findings on it point there.
    pub value: OwnedNode,
}

pub fn labels(resources: &mut [Resource], pairs: &[Pair], selectors: bool, templates: bool) {
    for r in resources.iter_mut() {
        let kind = r.kind().to_owned();
        for pair in pairs {
            let value = || pair.value.clone();
            set_at(
                &mut r.node,
                &["metadata", "labels"],
                &pair.key,
                value(),
                true,
            );
            if selectors {
                for (path, create) in selector_paths(&kind) {
                    if *create || r.node.path(path).is_some_and(OwnedNode::is_map) {
                        set_at(&mut r.node, path, &pair.key, value(), true);
                    }
                }
                if kind == "NetworkPolicy" {
                    network_policy_peers(&mut r.node, &pair.key, &pair.value);
                }
            }
            if selectors || templates {
                for path in template_paths(&kind) {
                    if r.node
                        .path(&path[..path.len() - 1])
                        .is_some_and(OwnedNode::is_map)
                    {
                        set_at(
                            &mut r.node,
                            &[*path, &["labels"]].concat(),
                            &pair.key,
                            value(),
                            true,
                        );
                    }
                }
                if kind == "StatefulSet"
                    && let Some(claims) = r
                        .node
                        .path_mut(&["spec", "volumeClaimTemplates"])
                        .and_then(OwnedNode::items_mut)
                {
                    for claim in claims {
                        set_at(claim, &["metadata", "labels"], &pair.key, value(), true);
                    }
                }
            }
        }
    }
}

fn network_policy_peers(node: &mut OwnedNode, key: &str, value: &OwnedNode) {
    for (rules, peers) in [("ingress", "from"), ("egress", "to")] {
        let Some(rules) = node
            .path_mut(&["spec", rules])
            .and_then(OwnedNode::items_mut)
        else {
            continue;
        };
        for rule in rules {
            let Some(peers) = rule.get_mut(peers).and_then(OwnedNode::items_mut) else {
                continue;
            };
            for peer in peers {
                if peer.path(&["podSelector", "matchLabels"]).is_some() {
                    set_at(
                        peer,
                        &["podSelector", "matchLabels"],
                        key,
                        value.clone(),
                        false,
                    );
                }
            }
        }
    }
}

pub fn annotations(resources: &mut [Resource], pairs: &[Pair]) {
    for r in resources.iter_mut() {
        let kind = r.kind().to_owned();
        for pair in pairs {
            set_at(
                &mut r.node,
                &["metadata", "annotations"],
                &pair.key,
                pair.value.clone(),
                true,
            );
            for path in template_paths(&kind) {
                if r.node
                    .path(&path[..path.len() - 1])
                    .is_some_and(OwnedNode::is_map)
                {
                    let mut full = path.to_vec();
                    full.push("annotations");
                    set_at(&mut r.node, &full, &pair.key, pair.value.clone(), true);
                }
            }
        }
    }
}

pub struct Image {
    pub name: String,
    pub new_name: Option<String>,
    pub new_tag: Option<String>,
    pub digest: Option<String>,
    pub cause: SourceSpan,
}

/// Splits `registry:5000/repo/name:tag@sha256:...` into name, tag and digest.
pub fn split_image(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (image, None),
    };
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[slash..].rfind(':') {
        Some(i) => (&rest[..slash + i], Some(&rest[slash + i + 1..]), digest),
        None => (rest, None, digest),
    }
}

fn pod_specs(node: &mut OwnedNode) -> Vec<&mut OwnedNode> {
    let mut specs = Vec::new();
    let kind = node
        .get("kind")
        .and_then(OwnedNode::as_text)
        .unwrap_or("")
        .to_owned();
    let Some(spec) = node.get_mut("spec") else {
        return specs;
    };
    if kind == "Pod" {
        specs.push(spec);
        return specs;
    }
    // Templates are found by shape, not by kind, as kustomize does for
    // custom workloads too.
    if spec
        .path(&["jobTemplate", "spec", "template", "spec"])
        .is_some()
    {
        if let Some(s) = spec.path_mut(&["jobTemplate", "spec", "template", "spec"]) {
            specs.push(s);
        }
    } else if spec.path(&["template", "spec"]).is_some() {
        if let Some(s) = spec.path_mut(&["template", "spec"]) {
            specs.push(s);
        }
    } else if spec.get("containers").is_some() {
        specs.push(spec);
    }
    specs
}

pub fn images(resources: &mut [Resource], images: &[Image]) {
    for r in resources.iter_mut() {
        for spec in pod_specs(&mut r.node) {
            for list in ["containers", "initContainers", "ephemeralContainers"] {
                let Some(containers) = spec.get_mut(list).and_then(OwnedNode::items_mut) else {
                    continue;
                };
                for container in containers {
                    let Some(current) = container.get("image").and_then(OwnedNode::as_text) else {
                        continue;
                    };
                    let (name, tag, digest) = split_image(current);
                    let Some(rule) = images.iter().find(|i| i.name == name) else {
                        continue;
                    };
                    let mut result = rule.new_name.clone().unwrap_or_else(|| name.to_owned());
                    // A new tag or digest replaces both of the old ones.
                    let (tag, digest) = if rule.new_tag.is_some() || rule.digest.is_some() {
                        (rule.new_tag.as_deref(), rule.digest.as_deref())
                    } else {
                        (tag, digest)
                    };
                    if let Some(tag) = tag {
                        result.push(':');
                        result.push_str(tag);
                    }
                    if let Some(digest) = digest {
                        result.push('@');
                        result.push_str(digest);
                    }
                    container.insert("image", OwnedNode::string(result, rule.cause));
                }
            }
        }
    }
}

pub fn replicas(resources: &mut [Resource], name: &str, count: &OwnedNode) {
    for r in resources.iter_mut() {
        let scalable = matches!(
            r.kind(),
            "Deployment" | "ReplicaSet" | "StatefulSet" | "ReplicationController"
        );
        if scalable && r.answers_to(name) {
            set_at(&mut r.node, &["spec"], "replicas", count.clone(), true);
        }
    }
}

/// A field that names another object: the referenced kind and where the
/// name sits, relative to a pod spec or to the object.
struct Reference {
    kind: &'static str,
    path: &'static [&'static str],
}

const POD_REFERENCES: &[Reference] = &[
    Reference {
        kind: "ConfigMap",
        path: &["volumes", "[]", "configMap", "name"],
    },
    Reference {
        kind: "ConfigMap",
        path: &[
            "volumes",
            "[]",
            "projected",
            "sources",
            "[]",
            "configMap",
            "name",
        ],
    },
    Reference {
        kind: "ConfigMap",
        path: &[
            "<containers>",
            "[]",
            "env",
            "[]",
            "valueFrom",
            "configMapKeyRef",
            "name",
        ],
    },
    Reference {
        kind: "ConfigMap",
        path: &[
            "<containers>",
            "[]",
            "envFrom",
            "[]",
            "configMapRef",
            "name",
        ],
    },
    Reference {
        kind: "Secret",
        path: &["volumes", "[]", "secret", "secretName"],
    },
    Reference {
        kind: "Secret",
        path: &[
            "volumes",
            "[]",
            "projected",
            "sources",
            "[]",
            "secret",
            "name",
        ],
    },
    Reference {
        kind: "Secret",
        path: &[
            "<containers>",
            "[]",
            "env",
            "[]",
            "valueFrom",
            "secretKeyRef",
            "name",
        ],
    },
    Reference {
        kind: "Secret",
        path: &["<containers>", "[]", "envFrom", "[]", "secretRef", "name"],
    },
    Reference {
        kind: "Secret",
        path: &["imagePullSecrets", "[]", "name"],
    },
    Reference {
        kind: "ServiceAccount",
        path: &["serviceAccountName"],
    },
    Reference {
        kind: "ServiceAccount",
        path: &["serviceAccount"],
    },
    Reference {
        kind: "PersistentVolumeClaim",
        path: &["volumes", "[]", "persistentVolumeClaim", "claimName"],
    },
    Reference {
        kind: "PriorityClass",
        path: &["priorityClassName"],
    },
];

const OBJECT_REFERENCES: &[(&str, Reference)] = &[
    (
        "Ingress",
        Reference {
            kind: "Service",
            path: &[
                "spec", "rules", "[]", "http", "paths", "[]", "backend", "service", "name",
            ],
        },
    ),
    (
        "Ingress",
        Reference {
            kind: "Service",
            path: &["spec", "defaultBackend", "service", "name"],
        },
    ),
    (
        "Ingress",
        Reference {
            kind: "Secret",
            path: &["spec", "tls", "[]", "secretName"],
        },
    ),
    (
        "StatefulSet",
        Reference {
            kind: "Service",
            path: &["spec", "serviceName"],
        },
    ),
    (
        "ServiceAccount",
        Reference {
            kind: "Secret",
            path: &["secrets", "[]", "name"],
        },
    ),
    (
        "ServiceAccount",
        Reference {
            kind: "Secret",
            path: &["imagePullSecrets", "[]", "name"],
        },
    ),
];

fn visit<'n>(node: &'n mut OwnedNode, path: &[&str], out: &mut Vec<&'n mut OwnedNode>) {
    let Some((first, rest)) = path.split_first() else {
        out.push(node);
        return;
    };
    match *first {
        "[]" => {
            if let Some(items) = node.items_mut() {
                for item in items {
                    visit(item, rest, out);
                }
            }
        }
        "<containers>" => {
            if let OwnedValue::Map(entries) = &mut node.value {
                for (k, v) in entries.iter_mut() {
                    if matches!(
                        k.scalar_text(),
                        Some("containers" | "initContainers" | "ephemeralContainers")
                    ) {
                        visit(v, rest, out);
                    }
                }
            }
        }
        key => {
            if let Some(child) = node.get_mut(key) {
                visit(child, rest, out);
            }
        }
    }
}

struct Target {
    kind: String,
    names: Vec<String>,
    current: String,
    namespace: String,
}

/// Points every reference written against an earlier name (a base's name
/// before a prefix, a generator's name before its hash) at the current one.
pub fn fix_references(resources: &mut [Resource]) {
    let targets: Vec<Target> = resources
        .iter()
        .filter(|r| !r.previous.is_empty())
        .map(|r| Target {
            kind: r.kind().to_owned(),
            names: r.previous.clone(),
            current: r.name().to_owned(),
            namespace: r.namespace().to_owned(),
        })
        .collect();
    if targets.is_empty() {
        return;
    }
    let lookup = |kind: &str, name: &str, namespace: &str| -> Option<String> {
        let cluster = is_cluster_scoped(kind);
        targets
            .iter()
            .find(|t| {
                t.kind == kind
                    && t.names.iter().any(|n| n == name)
                    && (cluster || t.namespace == namespace)
            })
            .map(|t| t.current.clone())
    };
    let update = |slot: &mut OwnedNode, kind: &str, namespace: &str| {
        if let Some(name) = slot.as_text()
            && let Some(current) = lookup(kind, name, namespace)
        {
            let span = slot.span;
            *slot = OwnedNode::string(current, span);
        }
    };
    for r in resources.iter_mut() {
        let namespace = r.namespace().to_owned();
        let kind = r.kind().to_owned();
        for spec in pod_specs(&mut r.node) {
            for reference in POD_REFERENCES {
                let mut slots = Vec::new();
                visit(spec, reference.path, &mut slots);
                for slot in slots {
                    update(slot, reference.kind, &namespace);
                }
            }
        }
        for (holder, reference) in OBJECT_REFERENCES {
            if *holder == kind {
                let mut slots = Vec::new();
                visit(&mut r.node, reference.path, &mut slots);
                for slot in slots {
                    update(slot, reference.kind, &namespace);
                }
            }
        }
        match kind.as_str() {
            "RoleBinding" | "ClusterRoleBinding" => {
                if let Some(role) = r.node.get_mut("roleRef") {
                    let role_kind = role
                        .get("kind")
                        .and_then(OwnedNode::as_text)
                        .unwrap_or("Role")
                        .to_owned();
                    if let Some(slot) = role.get_mut("name") {
                        update(slot, &role_kind, &namespace);
                    }
                }
                if let Some(subjects) = r.node.get_mut("subjects").and_then(OwnedNode::items_mut) {
                    for subject in subjects {
                        if subject.get("kind").and_then(OwnedNode::as_text)
                            != Some("ServiceAccount")
                        {
                            continue;
                        }
                        let ns = subject
                            .get("namespace")
                            .and_then(OwnedNode::as_text)
                            .unwrap_or(&namespace)
                            .to_owned();
                        if let Some(slot) = subject.get_mut("name") {
                            update(slot, "ServiceAccount", &ns);
                        }
                    }
                }
            }
            "HorizontalPodAutoscaler" => {
                if let Some(target) = r.node.path_mut(&["spec", "scaleTargetRef"]) {
                    let target_kind = target
                        .get("kind")
                        .and_then(OwnedNode::as_text)
                        .unwrap_or("")
                        .to_owned();
                    if let Some(slot) = target.get_mut("name") {
                        update(slot, &target_kind, &namespace);
                    }
                }
            }
            _ => {}
        }
    }
}

const ORDER_FIRST: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];

const ORDER_LAST: &[&str] = &[
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// kustomize's default ("legacy") output order: kinds that others depend
/// on first, webhooks last, the rest by group, version and kind between;
/// then by namespace and name.
pub fn legacy_sort(resources: &mut [Resource], first: &[String], last: &[String]) {
    let rank = |kind: &str| -> usize {
        let position = |list: &[String]| list.iter().position(|k| k == kind);
        if !first.is_empty() || !last.is_empty() {
            if let Some(i) = position(first) {
                return i;
            }
            if let Some(i) = position(last) {
                return first.len() + 1 + i;
            }
            return first.len();
        }
        if let Some(i) = ORDER_FIRST.iter().position(|k| *k == kind) {
            return i;
        }
        if let Some(i) = ORDER_LAST.iter().position(|k| *k == kind) {
            return ORDER_FIRST.len() + 1 + i;
        }
        ORDER_FIRST.len()
    };
    resources.sort_by_cached_key(|r| {
        (
            rank(r.kind()),
            r.gvk_key(),
            r.namespace().to_owned(),
            r.name().to_owned(),
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_images() {
        assert_eq!(split_image("nginx"), ("nginx", None, None));
        assert_eq!(split_image("nginx:1.0"), ("nginx", Some("1.0"), None));
        assert_eq!(
            split_image("reg:5000/a/nginx:1.0@sha256:ab"),
            ("reg:5000/a/nginx", Some("1.0"), Some("sha256:ab"))
        );
        assert_eq!(
            split_image("reg:5000/nginx"),
            ("reg:5000/nginx", None, None)
        );
    }
}
