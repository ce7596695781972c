//! What the API server rejects although a schema would accept it: names and
//! labels in the wrong syntax, selectors that miss their own pods, names that
//! repeat inside a pod, references to volumes that are not there.
//!
//! Every check mirrors a validation of the API server (or, for the warnings,
//! a behaviour of the kubelet or the endpoint controllers), so a finding here
//! is a manifest that fails at apply time, or whose controller fails later.

use std::collections::HashMap;

use shipgate_core::{Alias, Category, Example, Location, RuleMeta, Severity, Tool};
use shipgate_syntax::yaml::{NodeRef, Resolved};

use crate::k8s::{Container, LabelSelector, Object, PodSpec, Sink};
use crate::{Check, RuleDef};

pub(super) const RULES: &[RuleDef] = &[
    SELECTOR_MISMATCH,
    INVALID_CONTAINER_PORT,
    DUPLICATE_PORT_NAME,
    PROBE_HANDLER,
    INVALID_NAME,
    INVALID_LABEL,
    INVALID_ANNOTATION,
    DUPLICATE_CONTAINER_NAME,
    VOLUME_MOUNT_UNDEFINED,
    DUPLICATE_VOLUME_NAME,
    DUPLICATE_MOUNT_PATH,
    DUPLICATE_ENV_VAR,
    INVALID_RESTART_POLICY,
    INVALID_SERVICE_PORT,
];

const NAMES: &str = "https://kubernetes.io/docs/concepts/overview/working-with-objects/names/";
const LABELS: &str = "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set";
const ANNOTATIONS: &str = "https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations/#syntax-and-character-set";
const POD_API: &str =
    "https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/";
const VOLUMES: &str = "https://kubernetes.io/docs/concepts/storage/volumes/";
const DEPLOYMENT_SELECTOR: &str =
    "https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#selector";
const IANA_NAMES: &str = "https://www.rfc-editor.org/rfc/rfc6335.html#section-5.1";

// --- The syntax of names, as the API server's validation spells it. ---

fn is_alphanumeric(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// Why `name` is not an RFC 1123 label (what most names inside a pod, and
/// Namespaces, Services and StatefulSets must be).
fn dns_label_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("is empty");
    }
    if name.len() > 63 {
        return Some("is longer than 63 characters");
    }
    if name.contains('.') {
        return Some("contains `.`, which a DNS label may not");
    }
    characters_problem(name, false).or_else(|| edges_problem(name))
}

/// Why `name` is not an RFC 1123 subdomain (what most object names must be).
fn dns_subdomain_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("is empty");
    }
    if name.len() > 253 {
        return Some("is longer than 253 characters");
    }
    if let Some(problem) = characters_problem(name, true) {
        return Some(problem);
    }
    name.split('.').find_map(|part| {
        if part.is_empty() {
            Some("has an empty part between dots")
        } else {
            edges_problem(part)
        }
    })
}

fn characters_problem(name: &str, dots: bool) -> Option<&'static str> {
    let allowed = |c: char| is_alphanumeric(c) || c == '-' || (dots && c == '.');
    if name.chars().all(allowed) {
        return None;
    }
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        return Some("has upper-case letters; Kubernetes names are lower-case");
    }
    Some(if dots {
        "may contain only lower-case letters, digits, `-` and `.`"
    } else {
        "may contain only lower-case letters, digits and `-`"
    })
}

fn edges_problem(part: &str) -> Option<&'static str> {
    let starts = part.chars().next().is_some_and(is_alphanumeric);
    let ends = part.chars().last().is_some_and(is_alphanumeric);
    (!starts || !ends).then_some("must start and end with a letter or a digit")
}

/// Why `name` is not an IANA service name (RFC 6335), which port names must be.
fn port_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("is empty");
    }
    if name.len() > 15 {
        return Some("is longer than 15 characters");
    }
    if let Some(problem) = characters_problem(name, false) {
        return Some(problem);
    }
    if !name.chars().any(|c| c.is_ascii_lowercase()) {
        return Some("must contain at least one letter");
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some("must not start or end with `-`");
    }
    name.contains("--")
        .then_some("must not contain two `-` in a row")
}

/// Why `text` is not the name part of a label key or a non-empty label value.
fn qualified_part_problem(text: &str) -> Option<&'static str> {
    if text.len() > 63 {
        return Some("is longer than 63 characters");
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if !text.chars().all(allowed) {
        return Some("may contain only letters, digits, `-`, `_` and `.`");
    }
    let starts = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let ends = text
        .chars()
        .last()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    (!starts || !ends).then_some("must start and end with a letter or a digit")
}

/// Why `key` is not a label or annotation key: `[prefix/]name`, the prefix a
/// DNS subdomain.
fn key_problem(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if name.contains('/') {
        return Some("has more than one `/`".to_owned());
    }
    if let Some(prefix) = prefix
        && let Some(problem) = dns_subdomain_problem(prefix)
    {
        return Some(format!("has a prefix `{prefix}` that {problem}"));
    }
    if name.is_empty() {
        return Some("has an empty name".to_owned());
    }
    qualified_part_problem(name).map(|problem| match prefix {
        Some(_) => format!("has a name part `{name}` that {problem}"),
        None => problem.to_owned(),
    })
}

fn label_value_problem(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        return None;
    }
    qualified_part_problem(value)
}

/// The YAML type a scalar that must be a string resolves to instead, if any.
/// Kubernetes decodes strictly: `true`, `1.2` or `on` unquoted reach it as a
/// boolean or a number, and a string field refuses them.
fn not_a_string(node: NodeRef<'_>) -> Option<&'static str> {
    match node.resolve() {
        Some(Resolved::Str(_) | Resolved::Null) => None,
        Some(other) => Some(other.type_name()),
        None => Some(if node.is_seq() { "list" } else { "mapping" }),
    }
}

/// Calls `repeated` with each item whose key was already seen, and the first
/// item that had it. Items without a key are skipped.
fn each_repeat<'a>(
    items: impl IntoIterator<Item = (Option<&'a str>, NodeRef<'a>)>,
    mut repeated: impl FnMut(&'a str, NodeRef<'a>, NodeRef<'a>),
) {
    let mut seen: HashMap<&'a str, NodeRef<'a>> = HashMap::new();
    for (key, node) in items {
        let Some(key) = key else { continue };
        match seen.get(key) {
            Some(first) => repeated(key, node, *first),
            None => {
                seen.insert(key, node);
            }
        }
    }
}

fn text(node: Option<NodeRef<'_>>) -> Option<&str> {
    node.and_then(|n| n.as_text())
}

fn related(object: &Object<'_>, node: NodeRef<'_>) -> Location {
    Location::at(object.path, node.span())
}

// --- Selectors. ---

const SELECTOR_MISMATCH: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/selector-mismatch",
        title: "Workload selectors select their own pod template",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "A Deployment, ReplicaSet, StatefulSet or DaemonSet finds its pods by \
            `spec.selector`, so the API server requires the selector to be present, to be \
            non-empty and to match the labels of the pod template; otherwise the controller \
            would create pods it cannot see and create them forever. A mismatch is rejected \
            at apply time, and since the selector is immutable, fixing it later means \
            deleting the workload.",
        remediation: "Select on labels the pod template carries, usually the stable \
            `app.kubernetes.io/name` (not a version label that changes with each release):\n\n\
            ```yaml\nspec:\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: api\n  \
            template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: api\n        \
            app.kubernetes.io/version: \"1.4.2\"\n```",
        references: &[
            DEPLOYMENT_SELECTOR,
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
        ],
        aliases: &[
            Alias::new(Tool::KubeLinter, "mismatching-selector"),
            Alias::new(
                Tool::KubeScore,
                "deployment-pod-selector-labels-match-template-metadata-labels",
            ),
            Alias::new(
                Tool::KubeScore,
                "statefulset-pod-selector-labels-match-template-metadata-labels",
            ),
        ],
        enabled_by_default: true,
        failing: Example {
            file: "deployment.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: orders-api
  template:
    metadata:
      labels:
        app.kubernetes.io/name: api
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: api
    matchExpressions:
      - {key: app.kubernetes.io/component, operator: In, values: [server]}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: api
        app.kubernetes.io/component: server
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
",
        },
    },
    check: Check::Object(selector_mismatch),
};

const OPERATORS: &[&str] = &["In", "NotIn", "Exists", "DoesNotExist"];

fn selector_mismatch(object: &Object<'_>, sink: &mut Sink<'_>) {
    let apps = object.api_version == "apps/v1"
        && matches!(
            object.kind,
            "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet"
        );
    let controller = object.api_version == "v1" && object.kind == "ReplicationController";
    if !apps && !controller {
        return;
    }
    let selector = object.spec().and_then(|s| s.get("selector"));
    let labels: Vec<(String, String)> = object
        .pod_metadata()
        .and_then(|m| m.get("labels"))
        .map(|m| {
            m.entries()
                .filter_map(|(k, v)| {
                    Some((
                        k.as_text()?.to_owned(),
                        v.as_text().unwrap_or("").to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let Some(selector) = selector.filter(|s| !s.is_null()) else {
        // A ReplicationController without a selector takes its template's labels.
        if apps {
            sink.object(
                object,
                format!(
                    "{} `{}` has no spec.selector; apps/v1 requires one",
                    object.kind,
                    object.name.unwrap_or("?")
                ),
            )
            .set_help("add spec.selector.matchLabels with the pod template's identifying labels");
        }
        return;
    };
    let parsed = if controller {
        LabelSelector::from_map(selector)
    } else {
        LabelSelector::from_node(selector)
    };
    if parsed.is_empty() {
        if apps {
            sink.node(
                object,
                selector,
                "spec.selector",
                format!(
                    "{} `{}` has an empty selector, which apps/v1 rejects",
                    object.kind,
                    object.name.unwrap_or("?")
                ),
            )
            .set_help("select on the pod template's identifying labels");
        }
        return;
    }
    // An unknown operator is rejected by itself, whatever the labels.
    let expressions = selector
        .get("matchExpressions")
        .into_iter()
        .flat_map(|e| e.items());
    for expression in expressions {
        if let Some(operator) = expression.get("operator")
            && let Some(name) = operator.as_text()
            && !OPERATORS.contains(&name)
        {
            sink.node(
                object,
                operator,
                "spec.selector.matchExpressions.operator",
                format!("selector operator `{name}` is not one of In, NotIn, Exists, DoesNotExist"),
            );
            return;
        }
    }
    if parsed.matches(&labels) {
        return;
    }
    let template: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let template = if template.is_empty() {
        "no labels".to_owned()
    } else {
        template.join(", ")
    };
    let (reason, node, field) = unmet(selector, &labels, controller);
    sink.node(
        object,
        node,
        &field,
        format!(
            "spec.selector of {} `{}` does not match its pod template ({template}): {reason}; \
             Kubernetes rejects the object",
            object.kind,
            object.name.unwrap_or("?"),
        ),
    )
    .set_help("make the selector a subset of spec.template.metadata.labels");
}

/// The first requirement of `selector` that `labels` fail: why, where, and
/// the field's path.
fn unmet<'a>(
    selector: NodeRef<'a>,
    labels: &[(String, String)],
    plain_map: bool,
) -> (String, NodeRef<'a>, String) {
    let get = |key: &str| {
        labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let (match_labels, prefix) = if plain_map {
        (Some(selector), "spec.selector")
    } else {
        (selector.get("matchLabels"), "spec.selector.matchLabels")
    };
    for (key, value) in match_labels.into_iter().flat_map(|m| m.entries()) {
        let (Some(name), wanted) = (key.as_text(), value.as_text().unwrap_or("")) else {
            continue;
        };
        let (reason, at) = match get(name) {
            None => (format!("the template has no label `{name}`"), key),
            Some(actual) if actual != wanted => (
                format!("the template has {name}={actual}, the selector wants {wanted}"),
                value,
            ),
            Some(_) => continue,
        };
        return (reason, at, format!("{prefix}.{name}"));
    }
    let expressions = selector
        .get("matchExpressions")
        .into_iter()
        .flat_map(|e| e.items());
    let parsed = LabelSelector::from_node(selector);
    for expression in expressions {
        let requirement = parsed
            .match_expressions
            .iter()
            .find(|r| Some(r.key.as_str()) == text(expression.get("key")));
        let Some(requirement) = requirement else {
            continue;
        };
        let alone = LabelSelector {
            match_labels: Vec::new(),
            match_expressions: vec![requirement.clone()],
        };
        if !alone.matches(labels) {
            let reason = format!(
                "the template fails `{} {} [{}]`",
                requirement.key,
                requirement.operator,
                requirement.values.join(", ")
            );
            return (
                reason,
                expression,
                "spec.selector.matchExpressions".to_owned(),
            );
        }
    }
    (
        "no pod of the template is selected".to_owned(),
        selector,
        "spec.selector".to_owned(),
    )
}

// --- Container ports. ---

const INVALID_CONTAINER_PORT: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/invalid-container-port",
        title: "Container ports have valid numbers, protocols and IANA service names",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "Port names are IANA service names: at most 15 characters of lower-case \
            letters, digits and single hyphens, with at least one letter, because Services, \
            probes and SRV records refer to them. Port numbers lie between 1 and 65535, the \
            protocol is `TCP`, `UDP` or `SCTP` in capitals, and a name appears once per \
            container. The API server rejects anything else, so a Deployment that breaks one \
            of these never gets its pods.",
        remediation: "Shorten or rewrite the name, keep the number in range and write the \
            protocol in capitals:\n\n```yaml\nports:\n  - name: http-metrics   # 12 characters\n    \
            containerPort: 9090\n    protocol: TCP\n```",
        references: &[
            POD_API,
            IANA_NAMES,
            "https://kubernetes.io/docs/concepts/services-networking/service/#field-spec-ports",
        ],
        aliases: &[
            Alias::new(Tool::KubeLinter, "invalid-target-ports"),
            Alias::new(Tool::KubeScore, "container-ports-check"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: "deployment.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          ports:
            - name: http
              containerPort: 8080
            - name: prometheus-metrics
              containerPort: 9090
              protocol: tcp
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          ports:
            - name: http
              containerPort: 8080
            - name: metrics
              containerPort: 9090
              protocol: TCP
",
        },
    },
    check: Check::Object(invalid_container_port),
};

const PROTOCOLS: &[&str] = &["TCP", "UDP", "SCTP"];

fn invalid_container_port(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    for container in pod.containers() {
        let owner = format!("container `{}`", container.name().unwrap_or("?"));
        let ports: Vec<NodeRef<'_>> = container
            .get("ports")
            .into_iter()
            .flat_map(|p| p.items())
            .filter(|p| p.is_map())
            .collect();
        for (index, port) in ports.iter().enumerate() {
            let field = |rest: &str| container.field(&format!("ports[{index}].{rest}"));
            if let Some(name) = port.get("name").filter(|n| !n.is_null()) {
                let written = name.as_text().unwrap_or("");
                if let Some(problem) = port_name_problem(written) {
                    sink.node(
                        object,
                        name,
                        &field("name"),
                        format!("{owner} port name `{written}` {problem}"),
                    )
                    .set_help(
                        "use at most 15 lower-case letters, digits and single hyphens, \
                         such as `http` or `grpc-web`",
                    );
                }
            }
            check_port_number(
                object,
                sink,
                *port,
                "containerPort",
                &field("containerPort"),
                &owner,
            );
            if let Some(protocol) = port.get("protocol").filter(|p| !p.is_null()) {
                let written = protocol.as_text().unwrap_or("");
                if !PROTOCOLS.contains(&written) {
                    sink.node(
                        object,
                        protocol,
                        &field("protocol"),
                        format!("{owner} port protocol `{written}` is not TCP, UDP or SCTP"),
                    )
                    .set_help(format!(
                        "write `{}`: the protocol is case-sensitive",
                        written.to_ascii_uppercase()
                    ));
                }
            }
        }
        each_repeat(
            ports
                .iter()
                .map(|p| (text(p.get("name")), p.get("name").unwrap_or(*p))),
            |name, again, first| {
                sink.node(
                    object,
                    again,
                    &container.field(&format!("ports[{name}].name")),
                    format!("{owner} declares port name `{name}` twice"),
                )
                .add_related(related(object, first), "first declared here");
            },
        );
    }
}

fn check_port_number(
    object: &Object<'_>,
    sink: &mut Sink<'_>,
    port: NodeRef<'_>,
    key: &str,
    field: &str,
    owner: &str,
) {
    let Some(number) = port.get(key).filter(|n| !n.is_null()) else {
        sink.node(
            object,
            port,
            field,
            format!("{owner} has a port without {key}"),
        );
        return;
    };
    let fine = number.as_i64().is_some_and(|n| (1..=65535).contains(&n));
    if !fine {
        let written = number.scalar_text().unwrap_or("this value");
        let message = if quoted_number(number) {
            format!("{owner} {key} is quoted (`\"{written}\"`); Kubernetes wants a number here")
        } else {
            format!("{owner} {key} `{written}` is not a port number between 1 and 65535")
        };
        sink.node(object, number, field, message);
    }
}

/// Whether a port was written as a string of digits, which Kubernetes
/// reads as text: a decoding error for a number field, a port name for an
/// int-or-string one.
fn quoted_number(node: NodeRef<'_>) -> bool {
    node.as_str()
        .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
}

const DUPLICATE_PORT_NAME: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/duplicate-port-name",
        title: "Port names are unique across a pod's containers",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "The API server refuses a port name repeated within one container but \
            accepts it in two containers of the same pod. A Service whose `targetPort` names \
            that port then sends its traffic to whichever container the endpoint controller \
            meets first, so a sidecar's `http` port can silently take the application's \
            traffic.",
        remediation: "Give every port of the pod its own name, for example by prefixing the \
            sidecar's:\n\n```yaml\ncontainers:\n  - name: api\n    ports:\n      - name: http\n        \
            containerPort: 8080\n  - name: proxy\n    ports:\n      - name: proxy-http\n        \
            containerPort: 15001\n```",
        references: &[
            POD_API,
            "https://kubernetes.io/docs/concepts/services-networking/service/#field-spec-ports",
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "deployment.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          ports:
            - name: http
              containerPort: 8080
        - name: proxy
          image: ghcr.io/acme/proxy:2.1.0
          ports:
            - name: http
              containerPort: 15001
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          ports:
            - name: http
              containerPort: 8080
        - name: proxy
          image: ghcr.io/acme/proxy:2.1.0
          ports:
            - name: proxy-http
              containerPort: 15001
",
        },
    },
    check: Check::Object(duplicate_port_name),
};

fn duplicate_port_name(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    let mut seen: HashMap<&str, (String, NodeRef<'_>)> = HashMap::new();
    for container in pod.app_containers() {
        let owner = container.name().unwrap_or("?").to_owned();
        // Repeats inside one container are k8s/invalid-container-port's.
        let mut own: Vec<&str> = Vec::new();
        for name in container
            .get("ports")
            .into_iter()
            .flat_map(|p| p.items())
            .filter_map(|p| p.get("name"))
        {
            let Some(text) = name.as_text() else { continue };
            if own.contains(&text) {
                continue;
            }
            own.push(text);
            match seen.get(text) {
                Some((first_owner, first)) => {
                    sink.node(
                        object,
                        name,
                        &container.field(&format!("ports[{text}].name")),
                        format!(
                            "containers `{first_owner}` and `{owner}` both declare a port named \
                             `{text}`; a Service targeting `{text}` reaches only `{first_owner}`"
                        ),
                    )
                    .set_help(format!("rename the port of container `{owner}`"))
                    .add_related(related(object, *first), "first declared here");
                }
                None => {
                    seen.insert(text, (owner.clone(), name));
                }
            }
        }
    }
}

// --- Probes and lifecycle hooks. ---

const PROBE_HANDLER: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/probe-handler",
        title: "Probes and lifecycle hooks name exactly one handler",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "A probe checks a container in exactly one way: `httpGet`, `tcpSocket`, \
            `grpc` or `exec`; a lifecycle hook runs exactly one of `exec`, `httpGet`, \
            `tcpSocket` or `sleep`. The API server rejects a probe with none (often a \
            handler indented one level too deep or too shallow) and a probe with several \
            (often two probes merged by a careless patch).",
        remediation: "Keep one handler under the probe, at the probe's own level:\n\n\
            ```yaml\nreadinessProbe:\n  httpGet:\n    path: /readyz\n    port: http\n  \
            periodSeconds: 5\n```",
        references: &[
            "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/",
            "https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/",
            POD_API,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "deployment.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          readinessProbe:
            periodSeconds: 5
          livenessProbe:
            httpGet: {path: /healthz, port: 8080}
            tcpSocket: {port: 8080}
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          readinessProbe:
            httpGet: {path: /readyz, port: 8080}
            periodSeconds: 5
          livenessProbe:
            httpGet: {path: /healthz, port: 8080}
          lifecycle:
            preStop:
              sleep: {seconds: 5}
",
        },
    },
    check: Check::Object(probe_handler),
};

const PROBE_HANDLERS: &[&str] = &["exec", "httpGet", "tcpSocket", "grpc"];
const HOOK_HANDLERS: &[&str] = &["exec", "httpGet", "tcpSocket", "sleep"];

fn probe_handler(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    for container in pod.containers() {
        for field in ["livenessProbe", "readinessProbe", "startupProbe"] {
            if let Some(entry) = container.node.entry(field) {
                check_handlers(object, sink, &container, entry, field, PROBE_HANDLERS);
            }
        }
        let hooks = container.get("lifecycle");
        for hook in ["postStart", "preStop"] {
            if let Some(entry) = hooks.and_then(|l| l.entry(hook)) {
                let field = format!("lifecycle.{hook}");
                check_handlers(object, sink, &container, entry, &field, HOOK_HANDLERS);
            }
        }
    }
}

/// Reports a probe or hook (`key: node`) with no handler or several.
fn check_handlers(
    object: &Object<'_>,
    sink: &mut Sink<'_>,
    container: &Container<'_>,
    (key, node): (NodeRef<'_>, NodeRef<'_>),
    field: &str,
    handlers: &[&str],
) {
    let owner = container.name().unwrap_or("?");
    if node.is_null() {
        return;
    }
    let present: Vec<(NodeRef<'_>, &str)> = node
        .entries()
        .filter_map(|(k, v)| {
            let name = k.scalar_text()?;
            (handlers.contains(&name) && !v.is_null()).then_some((k, name))
        })
        .collect();
    match present.as_slice() {
        [] => {
            sink.node(
                object,
                key,
                &container.field(field),
                format!(
                    "container `{owner}`'s {field} has no handler; it needs one of {}",
                    handlers.join(", ")
                ),
            )
            .set_help("check the handler's indentation: it belongs directly under the probe");
        }
        [_] => {}
        [(_, first), rest @ ..] => {
            let (second_key, second) = rest[0];
            sink.node(
                object,
                second_key,
                &container.field(&format!("{field}.{second}")),
                format!("container `{owner}`'s {field} has both {first} and {second}; it takes one handler"),
            )
            .set_help(format!("keep either {first} or {second}"));
        }
    }
}

// --- Names. ---

const INVALID_NAME: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/invalid-name",
        title: "Names follow the syntax Kubernetes requires of them",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "Names end up in DNS records, hostnames, URLs and labels, so the API \
            server holds them to DNS syntax: most objects need a DNS subdomain (lower-case \
            letters, digits, `-` and `.`, at most 253 characters), while Namespaces, \
            Services, StatefulSets, containers and volumes need a DNS label (no dots, at \
            most 63). A CronJob's name is capped at 52 characters so that its Jobs' names \
            fit, and a CustomResourceDefinition is named `<plural>.<group>`. Upper-case \
            letters and underscores, typical of names generated from other systems, are \
            rejected at apply time.",
        remediation: "Rename the object in lower case, with `-` instead of `_` or spaces:\n\n\
            ```yaml\nmetadata:\n  name: orders-api   # not Orders_API\n```",
        references: &[
            NAMES,
            "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#writing-a-cronjob-spec",
            "https://kubernetes.io/docs/concepts/services-networking/service/#defining-a-service",
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "service.yaml",
            content: "apiVersion: v1
kind: Service
metadata:
  name: orders_api
  namespace: shop
spec:
  selector: {app: orders-api}
  ports:
    - port: 80
      targetPort: 8080
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
  selector: {app: orders-api}
  ports:
    - port: 80
      targetPort: 8080
",
        },
    },
    check: Check::Object(invalid_name),
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum NameRule {
    Subdomain,
    Label,
    CronJob,
    Definition,
}

/// The built-in kinds whose names are checked, by API group. Other kinds are
/// left alone: RBAC objects accept any path segment, and the kinds of tools'
/// configuration files are never sent to an API server.
const NAME_RULES: &[(&str, &[&str], NameRule)] = &[
    ("", &["Namespace", "Service"], NameRule::Label),
    (
        "",
        &[
            "Pod",
            "ReplicationController",
            "ConfigMap",
            "Secret",
            "ServiceAccount",
            "PersistentVolumeClaim",
            "PersistentVolume",
            "LimitRange",
            "ResourceQuota",
            "Endpoints",
            "PodTemplate",
            "Node",
        ],
        NameRule::Subdomain,
    ),
    ("apps", &["StatefulSet"], NameRule::Label),
    (
        "apps",
        &[
            "Deployment",
            "ReplicaSet",
            "DaemonSet",
            "ControllerRevision",
        ],
        NameRule::Subdomain,
    ),
    ("batch", &["Job"], NameRule::Subdomain),
    ("batch", &["CronJob"], NameRule::CronJob),
    (
        "networking.k8s.io",
        &["Ingress", "IngressClass", "NetworkPolicy"],
        NameRule::Subdomain,
    ),
    (
        "autoscaling",
        &["HorizontalPodAutoscaler"],
        NameRule::Subdomain,
    ),
    ("scheduling.k8s.io", &["PriorityClass"], NameRule::Subdomain),
    (
        "storage.k8s.io",
        &["StorageClass", "CSIDriver", "VolumeAttachment"],
        NameRule::Subdomain,
    ),
    ("node.k8s.io", &["RuntimeClass"], NameRule::Subdomain),
    ("discovery.k8s.io", &["EndpointSlice"], NameRule::Subdomain),
    ("coordination.k8s.io", &["Lease"], NameRule::Subdomain),
    (
        "apiextensions.k8s.io",
        &["CustomResourceDefinition"],
        NameRule::Definition,
    ),
];

fn name_rule(object: &Object<'_>) -> Option<NameRule> {
    let group = object.api_version.rsplit_once('/').map_or("", |(g, _)| g);
    NAME_RULES
        .iter()
        .find(|(g, kinds, _)| *g == group && kinds.contains(&object.kind))
        .map(|(_, _, rule)| *rule)
}

fn invalid_name(object: &Object<'_>, sink: &mut Sink<'_>) {
    let metadata = object.metadata();
    if let Some(rule) = name_rule(object)
        && let Some(node) = metadata
            .and_then(|m| m.get("name"))
            .filter(|n| !n.is_null())
    {
        let name = node.as_text().unwrap_or("");
        if let Some(problem) = object_name_problem(object, rule, name) {
            sink.node(
                object,
                node,
                "metadata.name",
                format!("{} name `{name}` {problem}", object.kind),
            )
            .set_help("use lower-case letters, digits and `-`");
        }
    }
    if let Some(node) = metadata
        .and_then(|m| m.get("namespace"))
        .filter(|n| !n.is_null())
    {
        let namespace = node.as_text().unwrap_or("");
        if let Some(problem) = dns_label_problem(namespace) {
            sink.node(
                object,
                node,
                "metadata.namespace",
                format!("namespace `{namespace}` {problem}"),
            );
        }
    }
    let Some(pod) = object.pod_spec() else { return };
    for container in pod.containers() {
        if let Some(node) = container.get("name").filter(|n| !n.is_null()) {
            let name = node.as_text().unwrap_or("");
            if let Some(problem) = dns_label_problem(name) {
                sink.node(
                    object,
                    node,
                    &container.field("name"),
                    format!("container name `{name}` {problem}"),
                );
            }
        }
    }
    for (index, volume) in pod.volumes().enumerate() {
        if let Some(node) = volume.get("name").filter(|n| !n.is_null()) {
            let name = node.as_text().unwrap_or("");
            if let Some(problem) = dns_label_problem(name) {
                sink.node(
                    object,
                    node,
                    &pod.field(&format!("volumes[{index}].name")),
                    format!("volume name `{name}` {problem}"),
                );
            }
        }
    }
}

fn object_name_problem(object: &Object<'_>, rule: NameRule, name: &str) -> Option<String> {
    match rule {
        NameRule::Subdomain => dns_subdomain_problem(name).map(str::to_owned),
        NameRule::Label => dns_label_problem(name).map(|p| format!("{p} (it must be a DNS label)")),
        NameRule::CronJob => dns_subdomain_problem(name).map(str::to_owned).or_else(|| {
            (name.len() > 52).then(|| {
                format!(
                    "is {} characters long; a CronJob's name is limited to 52 so that \
                         its Jobs' names fit",
                    name.len()
                )
            })
        }),
        NameRule::Definition => {
            let spec = object.spec();
            let plural = text(spec.and_then(|s| s.path(&["names", "plural"])));
            let group = text(spec.and_then(|s| s.get("group")));
            match (plural, group) {
                (Some(plural), Some(group)) if name != format!("{plural}.{group}") => {
                    Some(format!(
                        "must be spec.names.plural and spec.group joined by a dot: `{plural}.{group}`"
                    ))
                }
                _ => dns_subdomain_problem(name).map(str::to_owned),
            }
        }
    }
}

// --- Labels and annotations. ---

const INVALID_LABEL: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/invalid-label",
        title: "Labels and label selectors are written in label syntax",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "Label keys are an optional DNS-subdomain prefix and a name of at most 63 \
            letters, digits, `-`, `_` and `.`; label values are at most 63 of the same \
            characters, and must be strings. The API server rejects anything else, including \
            unquoted `true`, `1.0` or `yes`, which YAML hands over as a boolean or a number. \
            Version numbers, commit messages and URLs put into labels are the usual culprits.",
        remediation: "Quote values that YAML would read as something else, and keep longer or \
            free-form text in annotations:\n\n```yaml\nmetadata:\n  labels:\n    \
            app.kubernetes.io/version: \"1.0\"\n    canary: \"true\"\n  annotations:\n    \
            example.com/commit-message: \"Fix checkout for carts over 100 items\"\n```",
        references: &[LABELS, NAMES],
        aliases: &[Alias::new(Tool::KubeScore, "label-values")],
        enabled_by_default: true,
        failing: Example {
            file: "deployment.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  labels:
    app.kubernetes.io/name: api
    app.kubernetes.io/version: 1.0
    git-commit: fix checkout for large carts
spec:
  selector:
    matchLabels: {app.kubernetes.io/name: api}
  template:
    metadata:
      labels: {app.kubernetes.io/name: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.0.0
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  labels:
    app.kubernetes.io/name: api
    app.kubernetes.io/version: \"1.0\"
  annotations:
    example.com/git-commit: fix checkout for large carts
spec:
  selector:
    matchLabels: {app.kubernetes.io/name: api}
  template:
    metadata:
      labels: {app.kubernetes.io/name: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.0.0
",
        },
    },
    check: Check::Object(invalid_label),
};

/// Every label map of the object, with its dotted path.
fn label_maps<'a>(object: &Object<'a>) -> Vec<(NodeRef<'a>, String)> {
    let mut maps = Vec::new();
    let mut push = |node: Option<NodeRef<'a>>, path: &str| {
        if let Some(node) = node.filter(|n| n.is_map()) {
            maps.push((node, path.to_owned()));
        }
    };
    push(
        object.metadata().and_then(|m| m.get("labels")),
        "metadata.labels",
    );
    if object.kind != "Pod" {
        push(
            object.pod_metadata().and_then(|m| m.get("labels")),
            "template.metadata.labels",
        );
    }
    push(
        object
            .node
            .path(&["spec", "jobTemplate", "metadata", "labels"]),
        "spec.jobTemplate.metadata.labels",
    );
    let spec = object.spec();
    if object.kind == "Service" {
        push(spec.and_then(|s| s.get("selector")), "spec.selector");
    }
    for (field, path) in [
        ("selector", "spec.selector.matchLabels"),
        ("podSelector", "spec.podSelector.matchLabels"),
    ] {
        push(
            spec.and_then(|s| s.get(field))
                .and_then(|s| s.get("matchLabels")),
            path,
        );
    }
    maps
}

fn invalid_label(object: &Object<'_>, sink: &mut Sink<'_>) {
    for (map, path) in label_maps(object) {
        for (key, value) in map.entries() {
            let name = key.scalar_text().unwrap_or("");
            if let Some(problem) = key_problem(name) {
                sink.node(
                    object,
                    key,
                    &format!("{path}.{name}"),
                    format!("label key `{name}` {problem}"),
                );
            }
            if let Some(kind) = not_a_string(value) {
                let written = value.scalar_text().unwrap_or("");
                sink.node(
                    object,
                    value,
                    &format!("{path}.{name}"),
                    format!(
                        "label `{name}` has the {kind} value `{written}`; label values are strings"
                    ),
                )
                .set_help(format!("quote it: {name}: \"{written}\""));
            } else if let Some(written) = value.as_str()
                && let Some(problem) = label_value_problem(written)
            {
                sink.node(
                    object,
                    value,
                    &format!("{path}.{name}"),
                    format!("label `{name}` value `{written}` {problem}"),
                )
                .set_help("move free-form text to an annotation");
            }
        }
    }
    let expressions = object
        .spec()
        .and_then(|s| s.get("selector"))
        .and_then(|s| s.get("matchExpressions"))
        .into_iter()
        .flat_map(|e| e.items());
    for expression in expressions {
        if let Some(key) = expression.get("key")
            && let Some(name) = key.as_text()
            && let Some(problem) = key_problem(name)
        {
            sink.node(
                object,
                key,
                "spec.selector.matchExpressions.key",
                format!("selector key `{name}` {problem}"),
            );
        }
        for value in expression.get("values").into_iter().flat_map(|v| v.items()) {
            if let Some(written) = value.as_text()
                && let Some(problem) = label_value_problem(written)
            {
                sink.node(
                    object,
                    value,
                    "spec.selector.matchExpressions.values",
                    format!("selector value `{written}` {problem}"),
                );
            }
        }
    }
}

const INVALID_ANNOTATION: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/invalid-annotation",
        title: "Annotation keys follow key syntax and their values are strings",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "Annotations may hold any text, but only text: an unquoted `true`, `30` or \
            `on` reaches the API server as a boolean or a number and the whole object is \
            rejected with a decoding error that names no line. Keys follow the same syntax as \
            label keys, an optional DNS-subdomain prefix and a name of at most 63 characters. \
            Controller settings such as `prometheus.io/scrape: true` are the usual culprits.",
        remediation: "Quote every value that YAML would read as something other than text:\n\n\
            ```yaml\nmetadata:\n  annotations:\n    prometheus.io/scrape: \"true\"\n    \
            prometheus.io/port: \"9090\"\n```",
        references: &[ANNOTATIONS],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "deployment.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
      annotations:
        prometheus.io/scrape: true
        prometheus.io/port: 9090
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
      annotations:
        prometheus.io/scrape: \"true\"
        prometheus.io/port: \"9090\"
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
",
        },
    },
    check: Check::Object(invalid_annotation),
};

fn invalid_annotation(object: &Object<'_>, sink: &mut Sink<'_>) {
    let mut maps = vec![(
        object.metadata().and_then(|m| m.get("annotations")),
        "metadata.annotations",
    )];
    if object.kind != "Pod" {
        maps.push((
            object.pod_metadata().and_then(|m| m.get("annotations")),
            "template.metadata.annotations",
        ));
    }
    for (map, path) in maps {
        for (key, value) in map.into_iter().flat_map(|m| m.entries()) {
            let name = key.scalar_text().unwrap_or("");
            if let Some(problem) = key_problem(name) {
                sink.node(
                    object,
                    key,
                    &format!("{path}.{name}"),
                    format!("annotation key `{name}` {problem}"),
                );
            }
            if let Some(kind) = not_a_string(value) {
                let written = value.scalar_text().unwrap_or("");
                let message = if value.is_scalar() {
                    format!(
                        "annotation `{name}` has the {kind} value `{written}`; annotation values are strings"
                    )
                } else {
                    format!("annotation `{name}` holds a {kind}; annotation values are strings")
                };
                let help = if value.is_scalar() {
                    format!("quote it: {name}: \"{written}\"")
                } else {
                    "write the structure as a JSON or YAML string, for example with `|`".to_owned()
                };
                sink.node(object, value, &format!("{path}.{name}"), message)
                    .set_help(help);
            }
        }
    }
}

// --- Names that must be unique inside a pod. ---

const DUPLICATE_CONTAINER_NAME: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/duplicate-container-name",
        title: "Container names are unique within a pod",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "The kubelet, `kubectl logs -c` and `kubectl exec -c` tell a pod's \
            containers apart by name, so the API server rejects a pod in which two \
            containers, init and ephemeral containers included, share one. A copied \
            sidecar block or an init container named after the application is the usual \
            cause; for a Deployment the rejection only shows in its ReplicaSet's events.",
        remediation: "Give each container its own name:\n\n```yaml\ninitContainers:\n  \
            - name: migrate\n    image: ghcr.io/acme/api:1.4.2\ncontainers:\n  - name: api\n    \
            image: ghcr.io/acme/api:1.4.2\n```",
        references: &[
            POD_API,
            "https://kubernetes.io/docs/concepts/workloads/pods/init-containers/",
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "deployment.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      initContainers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          args: [migrate]
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      initContainers:
        - name: migrate
          image: ghcr.io/acme/api:1.4.2
          args: [migrate]
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
",
        },
    },
    check: Check::Object(duplicate_container_name),
};

fn duplicate_container_name(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    let containers: Vec<Container<'_>> = pod.containers().collect();
    each_repeat(
        containers
            .iter()
            .map(|c| (c.name(), c.get("name").unwrap_or(c.node))),
        |name, again, first| {
            let container = containers
                .iter()
                .rfind(|c| c.get("name").is_some_and(|n| n.id() == again.id()));
            let field = container.map_or_else(|| pod.field("containers"), Container::logical);
            sink.node(
                object,
                again,
                &field,
                format!("two containers of the pod are named `{name}`"),
            )
            .add_related(related(object, first), "first named here");
        },
    );
}

const VOLUME_MOUNT_UNDEFINED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/volume-mount-undefined",
        title: "Volume mounts name volumes the pod defines",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "A container mounts a volume by the name the pod gives it under \
            `volumes` (or, in a StatefulSet, under `volumeClaimTemplates`). The API server \
            rejects a mount of a name the pod does not define, which happens when a volume \
            is renamed or removed and its mounts are forgotten, or when the mount's name is \
            mistyped.",
        remediation: "Define the volume in the pod, or mount one that exists:\n\n```yaml\n\
            containers:\n  - name: api\n    volumeMounts:\n      - name: cache\n        \
            mountPath: /var/cache/api\nvolumes:\n  - name: cache\n    emptyDir: {}\n```",
        references: &[VOLUMES, POD_API],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "deployment.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          volumeMounts:
            - name: config
              mountPath: /etc/api
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: api-config
          configMap:
            name: api
        - name: tmp
          emptyDir: {}
",
        },
        passing: Example {
            file: "statefulset.yaml",
            content: "apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: postgres
  namespace: shop
spec:
  serviceName: postgres
  selector:
    matchLabels: {app: postgres}
  template:
    metadata:
      labels: {app: postgres}
    spec:
      containers:
        - name: postgres
          image: postgres:16.4
          volumeMounts:
            - name: data
              mountPath: /var/lib/postgresql/data
            - name: run
              mountPath: /var/run/postgresql
      volumes:
        - name: run
          emptyDir: {}
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: [ReadWriteOnce]
        resources:
          requests:
            storage: 10Gi
",
        },
    },
    check: Check::Object(volume_mount_undefined),
};

/// The names of the volumes a pod has: its own, and a StatefulSet's claims.
fn volume_names<'a>(object: &Object<'a>, pod: &PodSpec<'a>) -> Vec<&'a str> {
    let claims = object
        .spec()
        .filter(|_| object.kind == "StatefulSet")
        .and_then(|s| s.get("volumeClaimTemplates"))
        .into_iter()
        .flat_map(|t| t.items())
        .filter_map(|t| text(t.path(&["metadata", "name"])));
    pod.volumes()
        .filter_map(|v| text(v.get("name")))
        .chain(claims)
        .collect()
}

fn volume_mount_undefined(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    let defined = volume_names(object, &pod);
    for container in pod.containers() {
        let owner = container.name().unwrap_or("?");
        for list in ["volumeMounts", "volumeDevices"] {
            let mounts = container.get(list).into_iter().flat_map(|m| m.items());
            for (index, mount) in mounts.enumerate() {
                let Some(node) = mount.get("name") else {
                    continue;
                };
                let Some(name) = node.as_text() else { continue };
                if defined.contains(&name) {
                    continue;
                }
                let closest = defined
                    .iter()
                    .min_by_key(|d| strsim::levenshtein(d, name))
                    .filter(|d| strsim::levenshtein(d, name) <= name.len().max(d.len()) / 2);
                let help = match closest {
                    Some(closest) => format!("did you mean `{closest}`?"),
                    None => format!("add a volume named `{name}` to the pod"),
                };
                sink.node(
                    object,
                    node,
                    &container.field(&format!("{list}[{index}].name")),
                    format!(
                        "container `{owner}` mounts volume `{name}`, which the pod does not define"
                    ),
                )
                .set_help(help);
            }
        }
    }
}

const DUPLICATE_VOLUME_NAME: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/duplicate-volume-name",
        title: "Volume names are unique within a pod",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "Mounts refer to volumes by name, so the API server rejects a pod that \
            defines two volumes with the same name: which one a mount meant would be a \
            guess. It typically happens when a chart or an overlay appends a volume the base \
            already has.",
        remediation: "Rename one of the volumes, and its mounts with it:\n\n```yaml\n\
            volumes:\n  - name: config\n    configMap:\n      name: api\n  - name: tls\n    \
            secret:\n      secretName: api-tls\n```",
        references: &[VOLUMES, POD_API],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "pod.yaml",
            content: "apiVersion: v1
kind: Pod
metadata:
  name: api
  namespace: shop
spec:
  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
      volumeMounts:
        - name: config
          mountPath: /etc/api
  volumes:
    - name: config
      configMap:
        name: api
    - name: config
      secret:
        secretName: api-tls
",
        },
        passing: Example {
            file: "pod.yaml",
            content: "apiVersion: v1
kind: Pod
metadata:
  name: api
  namespace: shop
spec:
  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
      volumeMounts:
        - name: config
          mountPath: /etc/api
        - name: tls
          mountPath: /etc/api/tls
  volumes:
    - name: config
      configMap:
        name: api
    - name: tls
      secret:
        secretName: api-tls
",
        },
    },
    check: Check::Object(duplicate_volume_name),
};

fn duplicate_volume_name(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    each_repeat(
        pod.volumes()
            .map(|v| (text(v.get("name")), v.get("name").unwrap_or(v))),
        |name, again, first| {
            sink.node(
                object,
                again,
                &pod.field(&format!("volumes[{name}]")),
                format!("the pod defines volume `{name}` twice"),
            )
            .add_related(related(object, first), "first defined here");
        },
    );
}

const DUPLICATE_MOUNT_PATH: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/duplicate-mount-path",
        title: "A container mounts one volume per path",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "Two volumes cannot be mounted at the same place in one container, so \
            the API server rejects a container whose `volumeMounts` repeat a `mountPath`. \
            Merged overlays and copied blocks produce it, usually when two ConfigMaps were \
            meant to land in one folder, which takes a projected volume or `subPath` \
            mounts.",
        remediation: "Mount each volume at its own path, or combine the sources in one \
            projected volume:\n\n```yaml\nvolumeMounts:\n  - name: config\n    \
            mountPath: /etc/api\nvolumes:\n  - name: config\n    projected:\n      sources:\n        \
            - configMap: {name: api}\n        - secret: {name: api-credentials}\n```",
        references: &[
            VOLUMES,
            "https://kubernetes.io/docs/concepts/storage/projected-volumes/",
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "pod.yaml",
            content: "apiVersion: v1
kind: Pod
metadata:
  name: api
  namespace: shop
spec:
  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
      volumeMounts:
        - name: config
          mountPath: /etc/api
        - name: credentials
          mountPath: /etc/api
  volumes:
    - name: config
      configMap: {name: api}
    - name: credentials
      secret: {secretName: api-credentials}
",
        },
        passing: Example {
            file: "pod.yaml",
            content: "apiVersion: v1
kind: Pod
metadata:
  name: api
  namespace: shop
spec:
  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
      volumeMounts:
        - name: config
          mountPath: /etc/api
  volumes:
    - name: config
      projected:
        sources:
          - configMap: {name: api}
          - secret: {name: api-credentials}
",
        },
    },
    check: Check::Object(duplicate_mount_path),
};

fn duplicate_mount_path(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    for container in pod.containers() {
        let owner = container.name().unwrap_or("?");
        let mounts = container
            .get("volumeMounts")
            .into_iter()
            .flat_map(|m| m.items())
            .filter_map(|m| m.get("mountPath"))
            .map(|p| (p.as_text(), p));
        each_repeat(mounts, |path, again, first| {
            sink.node(
                object,
                again,
                &container.field("volumeMounts.mountPath"),
                format!("container `{owner}` mounts two volumes at `{path}`"),
            )
            .add_related(related(object, first), "first mounted here");
        });
    }
}

const DUPLICATE_ENV_VAR: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/duplicate-env-var",
        title: "Containers set each environment variable once",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "The API server accepts an `env` list that names a variable twice, and \
            the container sees only the last value. The first value, often the one a reader \
            finds first, is silently ignored: a setting changed in one place keeps its old \
            value because another entry further down overrides it.",
        remediation: "Keep one entry per variable:\n\n```yaml\nenv:\n  - name: LOG_LEVEL\n    \
            value: info\n```",
        references: &[
            "https://kubernetes.io/docs/tasks/inject-data-application/define-environment-variable-container/",
            POD_API,
        ],
        aliases: &[
            Alias::new(Tool::KubeLinter, "duplicate-env-var"),
            Alias::new(Tool::KubeScore, "environment-variable-key-duplication"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: "deployment.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          env:
            - name: LOG_LEVEL
              value: debug
            - name: PORT
              value: \"8080\"
            - name: LOG_LEVEL
              value: info
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          env:
            - name: LOG_LEVEL
              value: info
            - name: PORT
              value: \"8080\"
",
        },
    },
    check: Check::Object(duplicate_env_var),
};

fn duplicate_env_var(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    for container in pod.containers() {
        let owner = container.name().unwrap_or("?");
        let names = container
            .get("env")
            .into_iter()
            .flat_map(|e| e.items())
            .filter_map(|e| e.get("name"))
            .map(|n| (n.as_text(), n));
        each_repeat(names, |name, again, first| {
            sink.node(
                object,
                again,
                &container.field(&format!("env[{name}]")),
                format!(
                    "container `{owner}` sets `{name}` twice; the last entry wins and the \
                     first is ignored"
                ),
            )
            .set_help("remove one of the entries")
            .add_related(related(object, first), "first set here");
        });
    }
}

// --- Fields whose values the API server restricts. ---

const INVALID_RESTART_POLICY: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/invalid-restart-policy",
        title: "Pod templates use a restart policy their controller accepts",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "A Job's pods must end, so a Job or CronJob template takes `restartPolicy: \
            OnFailure` or `Never`; left out, it defaults to `Always` and the API server \
            rejects the Job. Deployments, ReplicaSets, StatefulSets and DaemonSets keep their \
            pods running and accept only `Always`. The value is case-sensitive.",
        remediation: "Set the policy the controller expects:\n\n```yaml\nspec:\n  template:\n    \
            spec:\n      restartPolicy: OnFailure   # Jobs and CronJobs: OnFailure or Never\n```",
        references: &[
            "https://kubernetes.io/docs/concepts/workloads/controllers/job/#pod-template",
            "https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#restart-policy",
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "job.yaml",
            content: "apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: migrate
          image: ghcr.io/acme/api:1.4.2
          args: [migrate]
",
        },
        passing: Example {
            file: "job.yaml",
            content: "apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: shop
spec:
  template:
    spec:
      restartPolicy: OnFailure
      containers:
        - name: migrate
          image: ghcr.io/acme/api:1.4.2
          args: [migrate]
",
        },
    },
    check: Check::Object(invalid_restart_policy),
};

fn invalid_restart_policy(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    let allowed: &[&str] = match object.kind {
        "Job" | "CronJob" => &["OnFailure", "Never"],
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" | "ReplicationController" => {
            &["Always"]
        }
        _ => &["Always", "OnFailure", "Never"],
    };
    let what = format!("{} `{}`", object.kind, object.name.unwrap_or("?"));
    match pod.get("restartPolicy").filter(|p| !p.is_null()) {
        None if !allowed.contains(&"Always") => {
            sink.object(
                object,
                format!(
                    "{what} leaves restartPolicy unset, so its pods default to Always, \
                     which a {} rejects",
                    object.kind
                ),
            )
            .set_help(format!(
                "set {} to OnFailure or Never",
                pod.field("restartPolicy")
            ));
        }
        None => {}
        Some(node) => {
            let value = node.as_text().unwrap_or("");
            if !allowed.contains(&value) {
                sink.node(
                    object,
                    node,
                    &pod.field("restartPolicy"),
                    format!(
                        "{what} has restartPolicy `{value}`; it accepts only {}",
                        allowed.join(" or ")
                    ),
                );
            }
        }
    }
}

const INVALID_SERVICE_PORT: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/invalid-service-port",
        title: "Service ports are named, unique and in range",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "A Service with several ports must name every one of them, with unique DNS \
            labels, because endpoints and SRV records are published per port name. Ports are \
            numbers between 1 and 65535, a port and protocol pair appears once, and a named \
            `targetPort` is an IANA service name. The API server rejects the Service \
            otherwise; adding a second port to a Service whose first port had no name is the \
            classic way to hit this.",
        remediation: "Name every port when there is more than one:\n\n```yaml\nports:\n  \
            - name: http\n    port: 80\n    targetPort: http\n  - name: grpc\n    port: 9090\n    \
            targetPort: grpc\n```",
        references: &[
            "https://kubernetes.io/docs/concepts/services-networking/service/#multi-port-services",
            "https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/",
        ],
        aliases: &[Alias::new(Tool::KubeLinter, "invalid-target-ports")],
        enabled_by_default: true,
        failing: Example {
            file: "service.yaml",
            content: "apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: shop
spec:
  selector: {app: api}
  ports:
    - port: 80
      targetPort: 8080
    - port: 9090
      targetPort: 9090
",
        },
        passing: Example {
            file: "service.yaml",
            content: "apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: shop
spec:
  selector: {app: api}
  ports:
    - name: http
      port: 80
      targetPort: http
    - name: grpc
      port: 9090
      targetPort: 9090
",
        },
    },
    check: Check::Object(invalid_service_port),
};

fn invalid_service_port(object: &Object<'_>, sink: &mut Sink<'_>) {
    if object.kind != "Service" || object.api_version != "v1" {
        return;
    }
    let ports: Vec<NodeRef<'_>> = object
        .spec()
        .and_then(|s| s.get("ports"))
        .into_iter()
        .flat_map(|p| p.items())
        .filter(|p| p.is_map())
        .collect();
    let owner = format!("Service `{}`", object.name.unwrap_or("?"));
    for (index, port) in ports.iter().enumerate() {
        let field = |rest: &str| format!("spec.ports[{index}].{rest}");
        match port.get("name").filter(|n| !n.is_null()) {
            None if ports.len() > 1 => {
                let at = port.get("port").unwrap_or(*port);
                sink.node(
                    object,
                    at,
                    &field("name"),
                    format!(
                        "{owner} has {} ports, and this one has no name",
                        ports.len()
                    ),
                )
                .set_help("name every port of a multi-port Service, such as `http` or `grpc`");
            }
            None => {}
            Some(name) => {
                let written = name.as_text().unwrap_or("");
                if let Some(problem) = dns_label_problem(written) {
                    sink.node(
                        object,
                        name,
                        &field("name"),
                        format!("{owner} port name `{written}` {problem}"),
                    );
                }
            }
        }
        check_port_number(object, sink, *port, "port", &field("port"), &owner);
        if let Some(target) = port.get("targetPort").filter(|t| !t.is_null()) {
            let fine = match target.as_i64() {
                Some(number) => (1..=65535).contains(&number),
                None => target
                    .as_text()
                    .is_some_and(|name| port_name_problem(name).is_none()),
            };
            if !fine {
                let written = target.scalar_text().unwrap_or("this value");
                let message = if quoted_number(target) {
                    format!(
                        "{owner} targetPort is quoted (`\"{written}\"`), so Kubernetes reads it \
                         as a port name, and a port name needs a letter"
                    )
                } else {
                    format!(
                        "{owner} targetPort `{written}` is neither a port number between 1 and \
                         65535 nor a valid port name"
                    )
                };
                sink.node(object, target, &field("targetPort"), message)
                    .set_help("write the port number unquoted, or the name of a container port");
            }
        }
        if let Some(protocol) = port.get("protocol").filter(|p| !p.is_null()) {
            let written = protocol.as_text().unwrap_or("");
            if !PROTOCOLS.contains(&written) {
                sink.node(
                    object,
                    protocol,
                    &field("protocol"),
                    format!("{owner} port protocol `{written}` is not TCP, UDP or SCTP"),
                );
            }
        }
    }
    each_repeat(
        ports
            .iter()
            .map(|p| (text(p.get("name")), p.get("name").unwrap_or(*p))),
        |name, again, first| {
            sink.node(
                object,
                again,
                &format!("spec.ports[{name}].name"),
                format!("{owner} names two ports `{name}`"),
            )
            .add_related(related(object, first), "first named here");
        },
    );
    let keys: Vec<(String, NodeRef<'_>)> = ports
        .iter()
        .filter_map(|p| {
            let number = p.get("port")?;
            let protocol = text(p.get("protocol")).unwrap_or("TCP");
            Some((format!("{}/{protocol}", number.as_text()?), number))
        })
        .collect();
    each_repeat(
        keys.iter().map(|(key, node)| (Some(key.as_str()), *node)),
        |key, again, first| {
            sink.node(
                object,
                again,
                "spec.ports.port",
                format!("{owner} declares port {key} twice"),
            )
            .add_related(related(object, first), "first declared here");
        },
    );
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, position};
    use super::*;

    #[test]
    fn name_syntax_follows_the_api_server() {
        assert_eq!(dns_label_problem("orders-api"), None);
        assert!(dns_label_problem("orders.api").is_some());
        assert!(dns_label_problem("-api").is_some());
        assert!(dns_label_problem(&"a".repeat(64)).is_some());
        assert_eq!(dns_subdomain_problem("api.v2.shop"), None);
        assert!(dns_subdomain_problem("api..shop").is_some());
        assert!(dns_subdomain_problem("Api").unwrap().contains("upper-case"));
        assert_eq!(port_name_problem("http-metrics"), None);
        assert!(port_name_problem("8080").unwrap().contains("letter"));
        assert!(port_name_problem("grpc--web").is_some());
        assert!(
            port_name_problem("prometheus-metrics")
                .unwrap()
                .contains("15")
        );
        assert_eq!(key_problem("app.kubernetes.io/name"), None);
        assert_eq!(key_problem("Version_2"), None);
        assert!(key_problem("a/b/c").is_some());
        assert!(key_problem("Example.com/x").unwrap().contains("prefix"));
        assert!(key_problem("example.com/").is_some());
        assert_eq!(label_value_problem(""), None);
        assert!(label_value_problem("fix checkout").is_some());
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels:
      app: api
      tier: web
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          ports:
            - name: http
              containerPort: 8080
            - name: http
              containerPort: 8081
          env:
            - {name: A, value: \"1\"}
            - {name: A, value: \"2\"}
          volumeMounts:
            - {name: cahce, mountPath: /cache}
            - {name: cache, mountPath: /cache}
          livenessProbe:
            exec: {command: [true]}
            grpc: {port: 9090}
      volumes:
        - name: cache
          emptyDir: {}
";

    #[test]
    fn a_mismatching_selector_is_reported_at_the_selector() {
        let findings = check("k8s/selector-mismatch", DEPLOYMENT);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(position(&findings[0]), (10, 7));
        assert!(
            findings[0].message.contains("no label `tier`"),
            "{}",
            findings[0].message
        );
        assert!(
            findings[0]
                .location
                .logical
                .ends_with("> spec.selector.matchLabels.tier")
        );
    }

    #[test]
    fn a_missing_selector_is_reported_at_the_kind() {
        let yaml = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  template:\n    metadata:\n      labels: {app: agent}\n    spec:\n      containers:\n        - {name: agent, image: agent:1.0}\n";
        let findings = check("k8s/selector-mismatch", yaml);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(position(&findings[0]), (2, 7));
        // The older apps versions defaulted the selector.
        let old = yaml.replace("apps/v1", "extensions/v1beta1");
        assert!(check("k8s/selector-mismatch", &old).is_empty());
    }

    #[test]
    fn repeats_inside_a_pod_point_at_the_second_occurrence() {
        let ports = check("k8s/invalid-container-port", DEPLOYMENT);
        assert_eq!(ports.len(), 1, "{ports:#?}");
        assert_eq!(position(&ports[0]), (22, 21));
        assert_eq!(ports[0].related.len(), 1);
        let env = check("k8s/duplicate-env-var", DEPLOYMENT);
        assert_eq!(env.len(), 1, "{env:#?}");
        assert_eq!(position(&env[0]), (26, 22));
        let paths = check("k8s/duplicate-mount-path", DEPLOYMENT);
        assert_eq!(paths.len(), 1, "{paths:#?}");
        assert_eq!(position(&paths[0]), (29, 40));
    }

    #[test]
    fn an_undefined_volume_suggests_the_closest_name() {
        let findings = check("k8s/volume-mount-undefined", DEPLOYMENT);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(position(&findings[0]), (28, 22));
        assert_eq!(findings[0].help.as_deref(), Some("did you mean `cache`?"));
    }

    #[test]
    fn a_probe_with_two_handlers_points_at_the_second() {
        let findings = check("k8s/probe-handler", DEPLOYMENT);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(position(&findings[0]), (32, 13));
        assert!(findings[0].message.contains("both exec and grpc"));
        let missing = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: c:1\n      readinessProbe:\n        periodSeconds: 5\n      livenessProbe:\n";
        let findings = check("k8s/probe-handler", missing);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(position(&findings[0]), (9, 7));
    }

    #[test]
    fn ports_shared_by_two_containers_are_ambiguous() {
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: a\n      image: a:1\n      ports: [{name: http, containerPort: 80}]\n    - name: b\n      image: b:1\n      ports: [{name: http, containerPort: 81}, {name: http, containerPort: 82}]\n";
        let findings = check("k8s/duplicate-port-name", yaml);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(position(&findings[0]), (12, 22));
    }

    #[test]
    fn names_are_judged_by_kind() {
        let yaml = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db.primary\n  namespace: Shop\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: system:reader\n---\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: nightly-report-for-the-finance-team-of-the-acme-web-shop\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.acme.io\nspec:\n  group: example.com\n  names: {plural: widgets}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api.config-v2\n";
        let findings = check("k8s/invalid-name", yaml);
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(findings.len(), 4, "{messages:#?}");
        assert!(messages[0].starts_with("StatefulSet name `db.primary` contains `.`"));
        assert_eq!(position(&findings[0]), (4, 9));
        assert!(messages[1].starts_with("namespace `Shop` has upper-case"));
        assert!(messages[2].contains("52"));
        assert!(messages[3].contains("`widgets.example.com`"));
    }

    #[test]
    fn labels_and_annotations_must_be_strings_in_their_syntax() {
        let yaml = "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  labels:\n    canary: true\n    team: payments & billing\n    version: \"1.0\"\n  annotations:\n    prometheus.io/port: 9090\n    example.com/config: {a: 1}\n    note:\nspec:\n  selector:\n    app: api\n    bad/key/x: web\n  ports:\n    - port: 80\n";
        let labels = check("k8s/invalid-label", yaml);
        let messages: Vec<&str> = labels.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(labels.len(), 3, "{messages:#?}");
        assert!(messages[0].contains("boolean value `true`"));
        assert_eq!(position(&labels[0]), (6, 13));
        assert!(messages[1].contains("`payments & billing`"));
        assert!(messages[2].contains("`bad/key/x` has more than one `/`"));
        let annotations = check("k8s/invalid-annotation", yaml);
        assert_eq!(annotations.len(), 2, "{annotations:#?}");
        assert!(annotations[0].message.contains("integer value `9090`"));
        assert!(annotations[1].message.contains("holds a mapping"));
    }

    #[test]
    fn restart_policies_depend_on_the_controller() {
        let job = "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: report\nspec:\n  schedule: \"0 3 * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Always\n          containers: [{name: r, image: r:1}]\n";
        let findings = check("k8s/invalid-restart-policy", job);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(position(&findings[0]), (11, 26));
        let deployment = DEPLOYMENT.replace(
            "    spec:\n      containers:",
            "    spec:\n      restartPolicy: Never\n      containers:",
        );
        let findings = check("k8s/invalid-restart-policy", &deployment);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(check("k8s/invalid-restart-policy", DEPLOYMENT).is_empty());
    }

    #[test]
    fn service_ports_are_named_unique_and_in_range() {
        let yaml = "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  ports:\n    - {name: http, port: 80, targetPort: http}\n    - {name: http, port: 80}\n    - {port: 70000, targetPort: metrics_port, protocol: tcp}\n    - {name: admin, port: 81, targetPort: \"8081\"}\n";
        let findings = check("k8s/invalid-service-port", yaml);
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(findings.len(), 7, "{messages:#?}");
        assert!(messages[0].contains("has 4 ports, and this one has no name"));
        assert_eq!(position(&findings[0]), (9, 14));
        assert!(messages[1].contains("`70000` is not a port number"));
        assert!(messages[2].contains("targetPort `metrics_port`"));
        assert!(messages[3].contains("protocol `tcp`"));
        assert!(messages[4].contains("targetPort is quoted (`\"8081\"`)"));
        assert!(messages[5].contains("names two ports `http`"));
        assert!(messages[6].contains("declares port 80/TCP twice"));
    }
}
