use shipgate_core::{Location, SourceSpan};
use shipgate_syntax::yaml::NodeRef;

/// Kinds whose pods the pack judges, and where each keeps its pod template.
pub const WORKLOAD_KINDS: &[(&str, &[&str])] = &[
    ("Pod", &["spec"]),
    ("Deployment", &["spec", "template", "spec"]),
    ("StatefulSet", &["spec", "template", "spec"]),
    ("DaemonSet", &["spec", "template", "spec"]),
    ("ReplicaSet", &["spec", "template", "spec"]),
    ("ReplicationController", &["spec", "template", "spec"]),
    ("Job", &["spec", "template", "spec"]),
    (
        "CronJob",
        &["spec", "jobTemplate", "spec", "template", "spec"],
    ),
];

/// One Kubernetes object: a YAML mapping with `apiVersion` and `kind`.
#[derive(Clone, Copy)]
pub struct Object<'a> {
    pub node: NodeRef<'a>,
    pub api_version: &'a str,
    pub kind: &'a str,
    pub name: Option<&'a str>,
    pub namespace: Option<&'a str>,
    /// Path of the file that holds the object.
    pub path: &'a str,
}

impl<'a> Object<'a> {
    /// Reads an object from a mapping; `None` unless it has string `apiVersion` and `kind`.
    pub fn from_node(node: NodeRef<'a>, path: &'a str) -> Option<Self> {
        let api_version = node.get("apiVersion")?.as_text()?;
        let kind = node.get("kind")?.as_text()?;
        let metadata = node.get("metadata");
        Some(Object {
            node,
            api_version,
            kind,
            name: metadata
                .and_then(|m| m.get("name"))
                .and_then(|n| n.as_text()),
            namespace: metadata
                .and_then(|m| m.get("namespace"))
                .and_then(|n| n.as_text()),
            path,
        })
    }

    /// Where `span` is in the files the user has: for an object rendered
    /// from several files (a Kustomize overlay), the file and line that
    /// produced the node, not the object's own.
    pub fn location(&self, span: SourceSpan) -> Location {
        match self.node.stream().origin(span) {
            Some((path, span)) => Location::at(path, span),
            None => Location::at(self.path, span),
        }
    }

    /// Where findings about the object as a whole point: its `kind:` value.
    pub fn span(&self) -> SourceSpan {
        self.node
            .get("kind")
            .map_or_else(|| self.node.span(), |k| k.span())
    }

    /// `Kind/namespace/name`, the object's address in logical locations.
    pub fn logical(&self) -> String {
        format!(
            "{}/{}/{}",
            self.kind,
            self.namespace.unwrap_or("-"),
            self.name.unwrap_or("-")
        )
    }

    pub fn metadata(&self) -> Option<NodeRef<'a>> {
        self.node.get("metadata")
    }

    pub fn spec(&self) -> Option<NodeRef<'a>> {
        self.node.get("spec")
    }

    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.metadata()?.get("annotations")?.get(key)?.as_text()
    }

    pub fn is_workload(&self) -> bool {
        self.template_path().is_some()
    }

    fn template_path(&self) -> Option<&'static [&'static str]> {
        WORKLOAD_KINDS
            .iter()
            .find(|(kind, _)| *kind == self.kind)
            .map(|(_, path)| *path)
    }

    /// The pod spec of a workload, through its template(s).
    pub fn pod_spec(&self) -> Option<PodSpec<'a>> {
        let path = self.template_path()?;
        let node = self.node.path(path)?;
        node.is_map().then(|| PodSpec {
            node,
            object: *self,
            prefix: path.join("."),
        })
    }

    /// The metadata of the pod template (or of the Pod itself).
    pub fn pod_metadata(&self) -> Option<NodeRef<'a>> {
        let path = self.template_path()?;
        if self.kind == "Pod" {
            return self.metadata();
        }
        let template = &path[..path.len() - 1];
        self.node.path(template)?.get("metadata")
    }
}

/// A pod spec, with the path it was found at so findings can name the field.
#[derive(Clone)]
pub struct PodSpec<'a> {
    pub node: NodeRef<'a>,
    pub object: Object<'a>,
    /// Dotted path of the spec inside the object, such as `spec.template.spec`.
    pub prefix: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerKind {
    Init,
    Regular,
    Ephemeral,
}

impl ContainerKind {
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Init => "initContainers",
            ContainerKind::Regular => "containers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }
}

impl<'a> PodSpec<'a> {
    pub fn get(&self, key: &str) -> Option<NodeRef<'a>> {
        self.node.get(key)
    }

    /// `spec.template.spec.<field>`, for logical locations.
    pub fn field(&self, field: &str) -> String {
        format!("{}.{field}", self.prefix)
    }

    pub fn security_context(&self) -> Option<NodeRef<'a>> {
        self.node.get("securityContext")
    }

    /// Every container: init containers, regular containers, ephemeral containers.
    pub fn containers(&self) -> impl Iterator<Item = Container<'a>> + '_ {
        [
            ContainerKind::Init,
            ContainerKind::Regular,
            ContainerKind::Ephemeral,
        ]
        .into_iter()
        .flat_map(move |kind| {
            self.node
                .get(kind.field())
                .into_iter()
                .flat_map(|list| list.items())
                .enumerate()
                .filter(|(_, node)| node.is_map())
                .map(move |(index, node)| Container {
                    node,
                    kind,
                    index,
                    pod: self.node,
                    prefix: self.prefix.clone(),
                })
        })
    }

    /// Only the containers that run for the pod's whole life: init containers
    /// finish before it serves, ephemeral ones are debugging aids.
    pub fn app_containers(&self) -> impl Iterator<Item = Container<'a>> + '_ {
        self.containers()
            .filter(|c| c.kind == ContainerKind::Regular || c.is_sidecar())
    }

    pub fn volumes(&self) -> impl Iterator<Item = NodeRef<'a>> + 'a {
        self.node
            .get("volumes")
            .into_iter()
            .flat_map(|v| v.items())
            .filter(|v| v.is_map())
    }
}

/// One container of a pod spec.
#[derive(Clone)]
pub struct Container<'a> {
    pub node: NodeRef<'a>,
    pub kind: ContainerKind,
    pub index: usize,
    pod: NodeRef<'a>,
    prefix: String,
}

impl<'a> Container<'a> {
    pub fn name(&self) -> Option<&'a str> {
        self.node.get("name").and_then(|n| n.as_text())
    }

    /// Where findings about the container as a whole point: its `name:` value.
    pub fn span(&self) -> SourceSpan {
        self.node
            .get("name")
            .map_or_else(|| self.node.span(), |n| n.span())
    }

    /// `spec.template.spec.containers[api]`, or the index when unnamed.
    pub fn logical(&self) -> String {
        match self.name() {
            Some(name) => format!("{}.{}[{name}]", self.prefix, self.kind.field()),
            None => format!("{}.{}[{}]", self.prefix, self.kind.field(), self.index),
        }
    }

    pub fn field(&self, field: &str) -> String {
        format!("{}.{field}", self.logical())
    }

    pub fn get(&self, key: &str) -> Option<NodeRef<'a>> {
        self.node.get(key)
    }

    /// An init container with `restartPolicy: Always` is a sidecar: it runs
    /// alongside the app for the pod's whole life.
    pub fn is_sidecar(&self) -> bool {
        self.kind == ContainerKind::Init
            && self.node.get("restartPolicy").and_then(|p| p.as_text()) == Some("Always")
    }

    pub fn security_context(&self) -> Option<NodeRef<'a>> {
        self.node.get("securityContext")
    }

    /// A security setting as Kubernetes applies it. Only the fields that
    /// exist on both levels inherit from the pod (`runAsUser`, `runAsGroup`,
    /// `runAsNonRoot`, `seccompProfile`, `seLinuxOptions`, `windowsOptions`,
    /// `appArmorProfile`); the container's value wins when both are set.
    /// `privileged`, `allowPrivilegeEscalation`, `capabilities` and
    /// `readOnlyRootFilesystem` exist only on the container and never inherit.
    pub fn effective_security(&self, field: &str) -> Option<NodeRef<'a>> {
        const INHERITED: &[&str] = &[
            "runAsUser",
            "runAsGroup",
            "runAsNonRoot",
            "seccompProfile",
            "seLinuxOptions",
            "windowsOptions",
            "appArmorProfile",
        ];
        let own = self
            .security_context()
            .and_then(|sc| sc.get(field))
            .filter(|v| !v.is_null());
        if own.is_some() || !INHERITED.contains(&field) {
            return own;
        }
        self.pod
            .get("securityContext")
            .and_then(|sc| sc.get(field))
            .filter(|v| !v.is_null())
    }

    pub fn image(&self) -> Option<NodeRef<'a>> {
        self.node.get("image")
    }

    /// Names of the container's declared ports.
    pub fn port_names(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.node
            .get("ports")
            .into_iter()
            .flat_map(|p| p.items())
            .filter_map(|p| p.get("name").and_then(|n| n.as_text()))
    }
}
