//! The cross-object view: a compact summary of every scanned object, so that
//! relations (a PDB to its pods, a Service to its endpoints, an HPA to its
//! target) are judged over the whole set while each file's tree is dropped
//! as soon as it has been checked.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize};
use shipgate_core::{Location, SourceSpan};
use shipgate_syntax::yaml::{NodeRef, Source, origin_in};

use super::Object;

/// A `LabelSelector` (or a Service's plain map selector).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelSelector {
    pub match_labels: Vec<(String, String)>,
    pub match_expressions: Vec<Requirement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    pub key: String,
    pub operator: String,
    pub values: Vec<String>,
}

impl LabelSelector {
    /// Reads `{matchLabels, matchExpressions}`.
    pub fn from_node(node: NodeRef<'_>) -> Self {
        let match_labels = node.get("matchLabels").map(string_map).unwrap_or_default();
        let match_expressions = node
            .get("matchExpressions")
            .into_iter()
            .flat_map(|e| e.items())
            .filter_map(|e| {
                Some(Requirement {
                    key: e.get("key")?.as_text()?.to_owned(),
                    operator: e.get("operator")?.as_text()?.to_owned(),
                    values: e
                        .get("values")
                        .into_iter()
                        .flat_map(|v| v.items())
                        .filter_map(|v| v.as_text().map(str::to_owned))
                        .collect(),
                })
            })
            .collect();
        LabelSelector {
            match_labels,
            match_expressions,
        }
    }

    /// Reads a Service-style selector: a plain map of labels.
    pub fn from_map(node: NodeRef<'_>) -> Self {
        LabelSelector {
            match_labels: string_map(node),
            match_expressions: Vec::new(),
        }
    }

    /// An empty selector selects everything (as in NetworkPolicy and PDB).
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    pub fn matches(&self, labels: &[(String, String)]) -> bool {
        let get = |key: &str| labels.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        self.match_labels.iter().all(|(k, v)| get(k) == Some(v))
            && self
                .match_expressions
                .iter()
                .all(|r| match r.operator.as_str() {
                    "In" => get(&r.key).is_some_and(|v| r.values.contains(v)),
                    "NotIn" => get(&r.key).is_none_or(|v| !r.values.contains(v)),
                    "Exists" => get(&r.key).is_some(),
                    "DoesNotExist" => get(&r.key).is_none(),
                    _ => false,
                })
    }
}

pub(crate) fn string_map(node: NodeRef<'_>) -> Vec<(String, String)> {
    node.entries()
        .filter_map(|(k, v)| {
            Some((
                k.as_text()?.to_owned(),
                v.as_text().unwrap_or("").to_owned(),
            ))
        })
        .collect()
}

/// What the cross-object rules need to know about a workload.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Workload {
    pub pod_labels: Vec<(String, String)>,
    /// `spec.replicas` when written; Kubernetes defaults it to 1.
    pub replicas: Option<i64>,
    pub replicas_span: Option<SourceSpan>,
    /// `(name, number)` of every container port.
    pub ports: Vec<(Option<String>, Option<i64>)>,
}

/// A summary of one scanned object, kept for the whole run: only what the
/// cross-object rules read, with the file's path shared by its objects, since
/// a run may hold a hundred thousand of these. A large scan keeps them on
/// disk until the relation rules run (see `SummaryStore`): the serialized
/// form is that of an object read from one file, never a rendering's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectInfo {
    #[serde(with = "shared_str")]
    pub path: Arc<str>,
    /// The files of a rendered stream, to find where each span came from;
    /// `None` for an object read from one file.
    #[serde(skip)]
    pub sources: Option<Arc<[Source]>>,
    pub kind: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// The object's `kind:` value: where findings about the whole object point.
    pub span: SourceSpan,
    /// Boxed, like `selector`: most objects have neither, and every summary
    /// pays for the inline size of both.
    pub workload: Option<Box<Workload>>,
    /// `spec.selector` (PDB, workloads), `spec.podSelector` (NetworkPolicy),
    /// `spec.endpointSelector` (CiliumNetworkPolicy), or the Service's
    /// `spec.selector`, with its span.
    pub selector: Option<Box<(LabelSelector, SourceSpan)>>,
    /// Named references the object makes: Ingress backends (`Service`), HPA
    /// and KEDA ScaledObject targets (`Deployment`, ...), with the span of
    /// each name.
    pub references: Vec<Reference>,
    /// Fields kept verbatim for rules that need them, such as a PDB's
    /// `minAvailable`, a Service's `type`, an HPA's `minReplicas` or a
    /// Deployment's `strategy` type.
    #[serde(deserialize_with = "known_fields")]
    pub fields: Vec<(&'static str, String, SourceSpan)>,
    /// Service target ports (`targetPort`, or `port` when unset).
    pub target_ports: Vec<(String, SourceSpan)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reference {
    pub kind: String,
    pub name: String,
    pub span: SourceSpan,
    /// Dotted path of the referring field, for logical locations.
    pub field: String,
}

impl ObjectInfo {
    /// `path` is the object's file, shared with the file's other objects.
    /// `sources` is the rendered stream's file table, shared likewise.
    pub fn from_object(
        object: &Object<'_>,
        path: &Arc<str>,
        sources: Option<&Arc<[Source]>>,
    ) -> Self {
        let mut info = ObjectInfo {
            path: Arc::clone(path),
            sources: sources.cloned(),
            kind: object.kind.to_owned(),
            name: object.name.map(str::to_owned),
            namespace: object.namespace.map(str::to_owned),
            span: object.span(),
            workload: None,
            selector: None,
            references: Vec::new(),
            fields: Vec::new(),
            target_ports: Vec::new(),
        };
        let spec = object.spec();
        let keep = |info: &mut ObjectInfo, name: &'static str, node: Option<NodeRef<'_>>| {
            if let Some(node) = node
                && let Some(text) = node.as_text()
            {
                info.set_field(name, text.to_owned(), node.span());
            }
        };
        if let Some(pod) = object.pod_spec() {
            let pod_labels = object
                .pod_metadata()
                .and_then(|m| m.get("labels"))
                .map(string_map)
                .unwrap_or_default();
            let replicas = spec.and_then(|s| s.get("replicas"));
            let ports = pod
                .containers()
                .flat_map(|c| {
                    c.get("ports")
                        .into_iter()
                        .flat_map(|p| p.items())
                        .map(|p| {
                            (
                                p.get("name").and_then(|n| n.as_text()).map(str::to_owned),
                                p.get("containerPort").and_then(|n| n.as_i64()),
                            )
                        })
                        .collect::<Vec<_>>()
                })
                .collect();
            // `Recreate` declares that two copies must never run at once.
            if object.kind == "Deployment" {
                keep(
                    &mut info,
                    "strategy",
                    spec.and_then(|s| s.path(&["strategy", "type"])),
                );
            }
            info.workload = Some(Box::new(Workload {
                pod_labels,
                replicas: replicas.and_then(|r| r.as_i64()),
                replicas_span: replicas.map(|r| r.span()),
                ports,
            }));
            if let Some(selector) = spec.and_then(|s| s.get("selector"))
                && selector.is_map()
            {
                info.selector = Some(Box::new((
                    LabelSelector::from_node(selector),
                    selector.span(),
                )));
            }
        }
        match object.kind {
            "PodDisruptionBudget" => {
                // A null selector selects no pod (policy/v1); only a mapping selects.
                if let Some(selector) = spec.and_then(|s| s.get("selector"))
                    && selector.is_map()
                {
                    info.selector = Some(Box::new((
                        LabelSelector::from_node(selector),
                        selector.span(),
                    )));
                }
                keep(
                    &mut info,
                    "minAvailable",
                    spec.and_then(|s| s.get("minAvailable")),
                );
                keep(
                    &mut info,
                    "maxUnavailable",
                    spec.and_then(|s| s.get("maxUnavailable")),
                );
            }
            // Cilium's policy is a NetworkPolicy under another name: many
            // clusters isolate pods with it alone.
            "NetworkPolicy" | "CiliumNetworkPolicy" => {
                let field = if object.kind == "NetworkPolicy" {
                    "podSelector"
                } else {
                    "endpointSelector"
                };
                if let Some(selector) = spec.and_then(|s| s.get(field)) {
                    info.selector = Some(Box::new((
                        LabelSelector::from_node(selector),
                        selector.span(),
                    )));
                }
            }
            "Service" => {
                if let Some(selector) = spec.and_then(|s| s.get("selector"))
                    && selector.is_map()
                {
                    info.selector = Some(Box::new((
                        LabelSelector::from_map(selector),
                        selector.span(),
                    )));
                }
                keep(&mut info, "type", spec.and_then(|s| s.get("type")));
                for port in spec
                    .and_then(|s| s.get("ports"))
                    .into_iter()
                    .flat_map(|p| p.items())
                {
                    if let Some(target) = port.get("targetPort").or_else(|| port.get("port"))
                        && let Some(text) = target.as_text()
                    {
                        info.target_ports.push((text.to_owned(), target.span()));
                    }
                }
            }
            "HorizontalPodAutoscaler" => {
                if let Some(target) = spec.and_then(|s| s.get("scaleTargetRef"))
                    && let (Some(kind), Some(name)) = (
                        target.get("kind").and_then(|k| k.as_text()),
                        target.get("name"),
                    )
                    && let Some(name_text) = name.as_text()
                {
                    info.references.push(Reference {
                        kind: kind.to_owned(),
                        name: name_text.to_owned(),
                        span: name.span(),
                        field: "spec.scaleTargetRef.name".to_owned(),
                    });
                }
                keep(
                    &mut info,
                    "minReplicas",
                    spec.and_then(|s| s.get("minReplicas")),
                );
                keep(
                    &mut info,
                    "maxReplicas",
                    spec.and_then(|s| s.get("maxReplicas")),
                );
            }
            // KEDA scales its target through an HPA it creates at runtime, so
            // a ScaledObject counts as the autoscaler of its target.
            "ScaledObject" => {
                if let Some(target) = spec.and_then(|s| s.get("scaleTargetRef"))
                    && let Some(name) = target.get("name")
                    && let Some(name_text) = name.as_text()
                {
                    let kind = target.get("kind").and_then(|k| k.as_text());
                    info.references.push(Reference {
                        kind: kind.unwrap_or("Deployment").to_owned(),
                        name: name_text.to_owned(),
                        span: name.span(),
                        field: "spec.scaleTargetRef.name".to_owned(),
                    });
                }
                keep(
                    &mut info,
                    "minReplicas",
                    spec.and_then(|s| s.get("minReplicaCount")),
                );
            }
            "Ingress" => {
                let mut backends: Vec<(NodeRef<'_>, String)> = Vec::new();
                if let Some(default) = spec.and_then(|s| s.get("defaultBackend")) {
                    backends.push((default, "spec.defaultBackend".into()));
                }
                for (r, rule) in spec
                    .and_then(|s| s.get("rules"))
                    .into_iter()
                    .flat_map(|r| r.items())
                    .enumerate()
                {
                    for (p, path) in rule
                        .path(&["http", "paths"])
                        .into_iter()
                        .flat_map(|p| p.items())
                        .enumerate()
                    {
                        if let Some(backend) = path.get("backend") {
                            backends.push((
                                backend,
                                format!("spec.rules[{r}].http.paths[{p}].backend"),
                            ));
                        }
                    }
                }
                for (backend, field) in backends {
                    // networking.k8s.io/v1 nests the name; the removed beta APIs did not.
                    let name = backend
                        .path(&["service", "name"])
                        .or_else(|| backend.get("serviceName"));
                    if let Some(name) = name
                        && let Some(text) = name.as_text()
                    {
                        info.references.push(Reference {
                            kind: "Service".to_owned(),
                            name: text.to_owned(),
                            span: name.span(),
                            field: format!("{field}.service.name"),
                        });
                    }
                }
                if let Some(tls) = spec.and_then(|s| s.get("tls")) {
                    info.set_field("tls", tls.len().to_string(), tls.span());
                }
            }
            _ => {}
        }
        info.references.shrink_to_fit();
        info.fields.shrink_to_fit();
        info.target_ports.shrink_to_fit();
        info
    }

    /// The object's stable address, as `Object::logical` writes it; a
    /// rendered object's starts with its rendering, as the engine writes it.
    pub fn logical(&self) -> String {
        let address = format!(
            "{}/{}/{}",
            self.kind,
            self.namespace.as_deref().unwrap_or("-"),
            self.name.as_deref().unwrap_or("-")
        );
        match self.sources {
            Some(_) => format!("{}: {address}", self.path),
            None => address,
        }
    }

    pub fn location(&self) -> Location {
        self.locate(self.span).with_logical(self.logical())
    }

    /// Where `span` is in the files the user has (see `Object::location`).
    pub fn locate(&self, span: SourceSpan) -> Location {
        match self.sources.as_deref().and_then(|s| origin_in(s, span)) {
            Some((path, span)) => Location::at(path, span),
            None => Location::at(&*self.path, span),
        }
    }

    pub fn field(&self, name: &str) -> Option<(&str, SourceSpan)> {
        self.fields
            .iter()
            .find(|(key, _, _)| *key == name)
            .map(|(_, value, span)| (value.as_str(), *span))
    }

    /// A handful of fields per object: a vector is a fraction of a map's
    /// footprint, which matters with a hundred thousand objects in memory.
    fn set_field(&mut self, name: &'static str, value: String, span: SourceSpan) {
        match self.fields.iter_mut().find(|(key, _, _)| *key == name) {
            Some(slot) => *slot = (name, value, span),
            None => self.fields.push((name, value, span)),
        }
    }
}

/// The names of the fields `ObjectInfo::from_object` keeps: a summary read
/// back from disk names its fields with these, so that rules find them by
/// the same static names.
const KEPT_FIELDS: &[&str] = &[
    "strategy",
    "minAvailable",
    "maxUnavailable",
    "type",
    "minReplicas",
    "maxReplicas",
    "tls",
];

fn known_fields<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<(&'static str, String, SourceSpan)>, D::Error> {
    let fields: Vec<(String, String, SourceSpan)> = Vec::deserialize(deserializer)?;
    fields
        .into_iter()
        .map(|(name, value, span)| {
            KEPT_FIELDS
                .iter()
                .find(|kept| **kept == name)
                .map(|kept| (*kept, value, span))
                .ok_or_else(|| serde::de::Error::custom(format!("unknown kept field `{name}`")))
        })
        .collect()
}

/// The file path shared by a file's summaries, written out as a plain string.
mod shared_str {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        value: &Arc<str>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(value)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Arc<str>, D::Error> {
        String::deserialize(deserializer).map(Arc::from)
    }
}

/// Every scanned object, grouped by namespace. Objects without a namespace
/// are grouped under `default`, where `kubectl apply` would put them unless
/// told otherwise.
#[derive(Debug, Default)]
pub struct Cluster {
    pub objects: Vec<ObjectInfo>,
    namespaces: BTreeMap<String, Vec<usize>>,
    whole: SetFacts,
    /// Facts of each whole namespace, when these objects are a piece of
    /// their namespaces; taken from the objects themselves otherwise.
    namespace_facts: BTreeMap<String, NamespaceFacts>,
}

/// What a relation rule must know of a whole namespace when it is judged in
/// pieces (see `pieces`): a piece holds every object related to its own, but
/// a rule that stays silent in a namespace without workloads or Services, or
/// that a namespace-wide policy satisfies, must see the namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamespaceFacts {
    pub workloads: bool,
    /// A Service with a name, as an Ingress backend names it.
    pub named_services: bool,
    /// A NetworkPolicy that selects every pod of the namespace (an empty
    /// selector), or whose selector we cannot read and take as covering.
    pub policy_for_every_pod: bool,
    /// The namespace's objects are all here, so a rule may search all of
    /// them (for the closest match of a selector that selects nothing).
    pub whole: bool,
}

impl Default for NamespaceFacts {
    fn default() -> Self {
        NamespaceFacts {
            workloads: false,
            named_services: false,
            policy_for_every_pod: false,
            whole: true,
        }
    }
}

impl NamespaceFacts {
    pub fn note(&mut self, object: &ObjectInfo) {
        self.workloads |= object.workload.is_some();
        self.named_services |= object.kind == "Service" && object.name.is_some();
        self.policy_for_every_pod |= is_network_policy(object)
            && object.selector.as_deref().is_none_or(|(s, _)| s.is_empty());
    }
}

/// Policies that select pods of their own namespace by labels.
pub(crate) fn is_network_policy(object: &ObjectInfo) -> bool {
    object.kind == "NetworkPolicy" || object.kind == "CiliumNetworkPolicy"
}

/// Policies that apply across namespaces by rules we do not evaluate.
const CLUSTER_WIDE_POLICIES: &[&str] = &[
    "GlobalNetworkPolicy",
    "CiliumClusterwideNetworkPolicy",
    "AdminNetworkPolicy",
    "BaselineAdminNetworkPolicy",
    "ClusterNetworkPolicy",
];

/// What a relation rule must know of the whole deployed set beyond the
/// namespaces it judges: a large set is judged a few namespaces at a time,
/// and a cluster-scoped object lies in one group only.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SetFacts {
    /// A cluster-wide network policy isolates pods in every namespace.
    pub cluster_wide_network_policy: bool,
}

impl SetFacts {
    pub fn note(&mut self, object: &ObjectInfo) {
        self.cluster_wide_network_policy |= CLUSTER_WIDE_POLICIES.contains(&object.kind.as_str());
    }
}

impl Cluster {
    /// The whole set, or a group of whole namespaces of it whose facts are
    /// taken from these objects alone.
    pub fn new(objects: Vec<ObjectInfo>) -> Self {
        Cluster::of_group(objects, SetFacts::default())
    }

    /// A group of whole namespaces of a set whose facts are `whole`.
    pub fn of_group(objects: Vec<ObjectInfo>, whole: SetFacts) -> Self {
        let mut namespaces: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut namespace_facts: BTreeMap<String, NamespaceFacts> = BTreeMap::new();
        let mut whole = whole;
        for (i, object) in objects.iter().enumerate() {
            whole.note(object);
            let namespace = namespace_of(object);
            namespace_facts
                .entry(namespace.to_owned())
                .or_default()
                .note(object);
            namespaces.entry(namespace.to_owned()).or_default().push(i);
        }
        Cluster {
            objects,
            namespaces,
            whole,
            namespace_facts,
        }
    }

    /// A piece of a group: objects closed under every relation the rules
    /// judge, from namespaces whose facts are `namespace_facts`.
    pub fn of_piece(
        objects: Vec<ObjectInfo>,
        whole: SetFacts,
        namespace_facts: &BTreeMap<String, NamespaceFacts>,
    ) -> Self {
        let mut cluster = Cluster::of_group(objects, whole);
        for (namespace, facts) in &mut cluster.namespace_facts {
            if let Some(whole_namespace) = namespace_facts.get(namespace) {
                *facts = *whole_namespace;
            }
        }
        cluster
    }

    /// Facts of the whole `namespace`, whichever piece of it this is.
    pub fn namespace_facts(&self, namespace: &str) -> NamespaceFacts {
        self.namespace_facts
            .get(namespace)
            .copied()
            .unwrap_or_default()
    }

    /// Facts of the whole set, whichever group this is.
    pub fn whole(&self) -> SetFacts {
        self.whole
    }

    pub fn namespaces(&self) -> impl Iterator<Item = &str> {
        self.namespaces.keys().map(String::as_str)
    }

    /// Objects in `namespace`.
    pub fn in_namespace<'a>(
        &'a self,
        namespace: &str,
    ) -> impl Iterator<Item = &'a ObjectInfo> + 'a {
        self.namespaces
            .get(namespace)
            .into_iter()
            .flatten()
            .map(|i| &self.objects[*i])
    }

    /// Objects of `kind` in the same namespace as `object`.
    pub fn peers<'a>(
        &'a self,
        object: &ObjectInfo,
        kind: &'a str,
    ) -> impl Iterator<Item = &'a ObjectInfo> + 'a {
        self.in_namespace(namespace_of(object))
            .filter(move |o| o.kind == kind)
    }

    pub fn workloads(&self) -> impl Iterator<Item = (&ObjectInfo, &Workload)> {
        self.objects
            .iter()
            .filter_map(|o| o.workload.as_deref().map(|w| (o, w)))
    }
}

pub fn namespace_of(object: &ObjectInfo) -> &str {
    object.namespace.as_deref().unwrap_or("default")
}
