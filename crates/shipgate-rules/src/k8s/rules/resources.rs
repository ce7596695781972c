//! Resource requests and limits, and the quantities they are written in.

use shipgate_core::{Alias, Category, Example, RuleMeta, Severity, Tool};
use shipgate_syntax::yaml::NodeRef;

use crate::k8s::{Container, ContainerKind, Object, PodSpec, Sink, quantity};
use crate::{Check, RuleDef};

pub(super) const RULES: &[RuleDef] = &[
    CONTAINER_MEMORY_LIMIT,
    CONTAINER_MEMORY_REQUEST,
    CONTAINER_CPU_REQUEST,
    CONTAINER_CPU_LIMIT,
    EPHEMERAL_STORAGE_LIMIT,
    REQUEST_EXCEEDS_LIMIT,
    INVALID_QUANTITY,
];

const MANAGE_RESOURCES: &str =
    "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/";
const POD_QOS: &str = "https://kubernetes.io/docs/concepts/workloads/pods/pod-qos/";

const CONTAINER_MEMORY_LIMIT: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/container-memory-limit",
        title: "Containers set a memory limit",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "A container without a memory limit can consume all the memory of its node, \
            so the kernel's OOM killer ends other pods, often ones that did nothing wrong. \
            A limit confines a leak to the container that has it, and lets the scheduler \
            place pods honestly.",
        remediation: "Set `resources.limits.memory` on every container, close to its \
            observed peak:\n\n```yaml\nresources:\n  requests:\n    memory: 256Mi\n  \
            limits:\n    memory: 512Mi\n```",
        references: &[
            MANAGE_RESOURCES,
            "https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/",
        ],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_13"),
            Alias::new(Tool::Polaris, "memoryLimitsMissing"),
            Alias::new(Tool::KubeLinter, "unset-memory-requirements"),
            Alias::new(Tool::KubeScore, "container-resources"),
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
          resources:
            requests:
              memory: 256Mi
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
          resources:
            requests:
              memory: 256Mi
            limits:
              memory: 512Mi
",
        },
    },
    check: Check::Object(container_memory_limit),
};

fn container_memory_limit(object: &Object<'_>, sink: &mut Sink<'_>) {
    report_unset(object, sink, "limits", "memory", "memory limit");
}

const CONTAINER_MEMORY_REQUEST: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/container-memory-request",
        title: "Containers request the memory they need",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "The scheduler places a pod by its requests: a container that requests no \
            memory is placed as if it needed none, lands on nodes that are already full, and \
            is among the first evicted under memory pressure. A request close to the \
            container's steady use keeps it where it fits and out of the eviction line.",
        remediation: "Set `resources.requests.memory` to the container's steady use. Without \
            it Kubernetes copies the limit into the request, reserving the container's peak \
            on every node:\n\n```yaml\nresources:\n  requests:\n    memory: 256Mi\n  \
            limits:\n    memory: 512Mi\n```",
        references: &[
            MANAGE_RESOURCES,
            POD_QOS,
            "https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/",
        ],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_12"),
            Alias::new(Tool::Polaris, "memoryRequestsMissing"),
            Alias::new(Tool::KubeLinter, "unset-memory-requirements"),
            Alias::new(Tool::KubeScore, "container-resources"),
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
          resources:
            requests:
              cpu: 250m
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
          resources:
            requests:
              cpu: 250m
              memory: 256Mi
            limits:
              memory: 512Mi
",
        },
    },
    check: Check::Object(container_memory_request),
};

fn container_memory_request(object: &Object<'_>, sink: &mut Sink<'_>) {
    report_unset(object, sink, "requests", "memory", "memory request");
}

const CONTAINER_CPU_REQUEST: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/container-cpu-request",
        title: "Containers request the CPU they need",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "CPU requests decide both where a pod is scheduled and how much CPU time \
            it is guaranteed when the node is busy. A container without one is packed onto \
            crowded nodes and starved by its neighbours exactly when load rises, which shows \
            up as latency spikes and failing probes.",
        remediation: "Set `resources.requests.cpu` to the container's typical use:\n\n\
            ```yaml\nresources:\n  requests:\n    cpu: 250m\n    memory: 256Mi\n```",
        references: &[
            MANAGE_RESOURCES,
            "https://kubernetes.io/docs/tasks/configure-pod-container/assign-cpu-resource/",
            POD_QOS,
        ],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_10"),
            Alias::new(Tool::Polaris, "cpuRequestsMissing"),
            Alias::new(Tool::KubeLinter, "unset-cpu-requirements"),
            Alias::new(Tool::KubeScore, "container-resources"),
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
          resources:
            requests:
              memory: 256Mi
            limits:
              memory: 512Mi
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
          resources:
            requests:
              cpu: 250m
              memory: 256Mi
            limits:
              memory: 512Mi
",
        },
    },
    check: Check::Object(container_cpu_request),
};

fn container_cpu_request(object: &Object<'_>, sink: &mut Sink<'_>) {
    report_unset(object, sink, "requests", "cpu", "CPU request");
}

const CONTAINER_CPU_LIMIT: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/container-cpu-limit",
        title: "Containers set a CPU limit",
        severity: Severity::Info,
        category: Category::Efficiency,
        rationale: "A CPU limit caps how much of a node one container can take, which \
            protects neighbours from a runaway process and makes capacity predictable. \
            It is an opinion rather than a rule: the kernel enforces limits by throttling, \
            which can add latency even when the node has idle CPU, so many teams set \
            requests only. Hence this rule only informs.",
        remediation: "If your platform caps CPU, set `resources.limits.cpu` well above the \
            request so that bursts are not throttled:\n\n```yaml\nresources:\n  requests:\n    \
            cpu: 250m\n  limits:\n    cpu: \"1\"\n```\n\nIf it deliberately does not, disable \
            this rule with `--ignore k8s/container-cpu-limit`.",
        references: &[
            MANAGE_RESOURCES,
            "https://kubernetes.io/docs/tasks/configure-pod-container/assign-cpu-resource/",
        ],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_11"),
            Alias::new(Tool::Polaris, "cpuLimitsMissing"),
            Alias::new(Tool::KubeLinter, "unset-cpu-requirements"),
            Alias::new(Tool::KubeScore, "container-resources"),
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
          resources:
            requests:
              cpu: 250m
              memory: 256Mi
            limits:
              memory: 512Mi
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
          resources:
            requests:
              cpu: 250m
              memory: 256Mi
            limits:
              cpu: \"1\"
              memory: 512Mi
",
        },
    },
    check: Check::Object(container_cpu_limit),
};

fn container_cpu_limit(object: &Object<'_>, sink: &mut Sink<'_>) {
    report_unset(object, sink, "limits", "cpu", "CPU limit");
}

const EPHEMERAL_STORAGE_LIMIT: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/ephemeral-storage-limit",
        title: "Containers set an ephemeral-storage limit",
        severity: Severity::Info,
        category: Category::Reliability,
        rationale: "Logs, caches and temporary files a container writes share the node's \
            disk with every other pod. A container that fills it puts the whole node under \
            disk pressure, and the kubelet then evicts pods indiscriminately. A limit makes \
            the kubelet evict only the container that overran it. Sizing scratch space is \
            extra work many teams skip, so this rule is opt-in.",
        remediation: "Set `resources.limits.ephemeral-storage` (and a matching request) on \
            every container, and size `emptyDir` volumes with `sizeLimit`:\n\n```yaml\n\
            resources:\n  requests:\n    ephemeral-storage: 256Mi\n  limits:\n    \
            ephemeral-storage: 1Gi\n```\n\nEnable the rule with \
            `--select k8s/ephemeral-storage-limit`.",
        references: &[
            "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#local-ephemeral-storage",
            "https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/",
        ],
        aliases: &[
            Alias::new(Tool::KubeLinter, "unset-ephemeral-storage-requirements"),
            Alias::new(
                Tool::KubeScore,
                "container-ephemeral-storage-request-and-limit",
            ),
        ],
        enabled_by_default: false,
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
          resources:
            requests:
              cpu: 250m
              memory: 256Mi
            limits:
              memory: 512Mi
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
          resources:
            requests:
              cpu: 250m
              memory: 256Mi
              ephemeral-storage: 256Mi
            limits:
              memory: 512Mi
              ephemeral-storage: 1Gi
",
        },
    },
    check: Check::Object(ephemeral_storage_limit),
};

fn ephemeral_storage_limit(object: &Object<'_>, sink: &mut Sink<'_>) {
    report_unset(
        object,
        sink,
        "limits",
        "ephemeral-storage",
        "ephemeral-storage limit",
    );
}

const REQUEST_EXCEEDS_LIMIT: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/request-exceeds-limit",
        title: "Resource requests do not exceed their limits",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "A request is the least a container is guaranteed and a limit the most it \
            may use, so a request above its limit is contradictory and the API server \
            rejects the pod. For a Deployment or a Job the rejection happens later and out \
            of sight: the controller cannot create pods and the rollout stalls with no \
            error at apply time.",
        remediation: "Lower the request or raise the limit so that the request is at most \
            the limit:\n\n```yaml\nresources:\n  requests:\n    cpu: 250m\n    memory: 256Mi\n  \
            limits:\n    cpu: 500m\n    memory: 512Mi\n```",
        references: &[
            MANAGE_RESOURCES,
            "https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/",
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
          resources:
            requests:
              cpu: \"2\"
              memory: 1Gi
            limits:
              cpu: 500m
              memory: 512Mi
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
          resources:
            requests:
              cpu: 250m
              memory: 512Mi
            limits:
              cpu: 500m
              memory: 512Mi
",
        },
    },
    check: Check::Object(request_exceeds_limit),
};

/// The resources Kubernetes compares a request with its limit for.
const COMPARED: &[&str] = &["cpu", "memory", "ephemeral-storage"];

fn request_exceeds_limit(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    for block in resource_blocks(&pod) {
        for name in COMPARED {
            let (Some(request), Some(limit)) =
                (block.value("requests", name), block.value("limits", name))
            else {
                continue;
            };
            let (Some(wanted), Some(allowed)) =
                (quantity::of_node(request), quantity::of_node(limit))
            else {
                // An unreadable side is k8s/invalid-quantity's finding.
                continue;
            };
            if quantity::exceeds(wanted, allowed) {
                let written = |node: NodeRef<'_>| node.scalar_text().unwrap_or("?").to_owned();
                sink.node(
                    object,
                    request,
                    &block.field(&format!("requests.{name}")),
                    format!(
                        "{} requests {} {name} but is limited to {}; Kubernetes rejects the pod",
                        block.owner,
                        written(request),
                        written(limit)
                    ),
                )
                .set_help(format!(
                    "lower requests.{name} to at most {} or raise the limit",
                    written(limit)
                ))
                .add_related(object.location(limit.span()), "the limit");
            }
        }
    }
}

const INVALID_QUANTITY: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/invalid-quantity",
        title: "Resource quantities are written in Kubernetes' quantity syntax",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "Kubernetes parses requests, limits and volume size limits with its own \
            quantity grammar, which is case-sensitive and knows neither `mb` nor `GB`. A \
            value it cannot parse makes the API server reject the object, so the manifest \
            fails at deploy time, or for a controller's pods, long after the apply seemed \
            to succeed.",
        remediation: "Write a plain number followed by a binary suffix (`Ki`, `Mi`, `Gi`, \
            ...), a decimal suffix (`k`, `M`, `G`, ...) or `m` for thousandths:\n\n```yaml\n\
            resources:\n  requests:\n    cpu: 250m      # a quarter of a core\n    memory: \
            512Mi   # not 512mb\n```",
        references: &[
            "https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/",
            MANAGE_RESOURCES,
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
          resources:
            requests:
              cpu: 250m
              memory: 512mb
            limits:
              memory: 1GB
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
          resources:
            requests:
              cpu: 250m
              memory: 512Mi
            limits:
              memory: 1Gi
          volumeMounts:
            - name: cache
              mountPath: /var/cache/api
      volumes:
        - name: cache
          emptyDir:
            sizeLimit: 256Mi
",
        },
    },
    check: Check::Object(invalid_quantity),
};

fn invalid_quantity(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    for block in resource_blocks(&pod) {
        for section in ["requests", "limits"] {
            let entries = block
                .node
                .get(section)
                .into_iter()
                .flat_map(|s| s.entries());
            for (key, value) in entries {
                let name = key.scalar_text().unwrap_or("?");
                let what = format!("{} {section}.{name}", block.owner);
                check_quantity(
                    object,
                    sink,
                    value,
                    &block.field(&format!("{section}.{name}")),
                    &what,
                );
            }
        }
    }
    for volume in pod.volumes() {
        let Some(size) = volume.get("emptyDir").and_then(|e| e.get("sizeLimit")) else {
            continue;
        };
        let name = volume.get("name").and_then(|n| n.as_text()).unwrap_or("?");
        let field = pod.field(&format!("volumes[{name}].emptyDir.sizeLimit"));
        check_quantity(
            object,
            sink,
            size,
            &field,
            &format!("volume `{name}` sizeLimit"),
        );
    }
}

fn check_quantity(
    object: &Object<'_>,
    sink: &mut Sink<'_>,
    value: NodeRef<'_>,
    field: &str,
    what: &str,
) {
    if value.is_null() {
        return;
    }
    let problem = match quantity::of_node(value) {
        Some(amount) if amount < 0.0 => "is negative; Kubernetes accepts no negative amounts",
        Some(_) => return,
        None if value.is_scalar() => "is not a Kubernetes quantity",
        None => "must be a single quantity",
    };
    let written = value.scalar_text().unwrap_or("this value");
    sink.node(
        object,
        value,
        field,
        format!("{what}: `{written}` {problem}"),
    )
    .set_help(
        "write a number with a suffix Kubernetes knows, such as 250m, 2, 512Mi or 1G \
             (suffixes are case-sensitive: M is mega, m is milli)",
    );
}

/// A `resources` block: a container's, or the pod-level one newer
/// Kubernetes versions accept.
struct ResourceBlock<'a> {
    node: NodeRef<'a>,
    /// `container `api`` or `the pod`, for messages.
    owner: String,
    /// Dotted path of the block, for logical locations.
    path: String,
}

impl<'a> ResourceBlock<'a> {
    fn value(&self, section: &str, name: &str) -> Option<NodeRef<'a>> {
        self.node.get(section)?.get(name).filter(|v| !v.is_null())
    }

    fn field(&self, rest: &str) -> String {
        format!("{}.{rest}", self.path)
    }
}

fn resource_blocks<'a>(pod: &PodSpec<'a>) -> Vec<ResourceBlock<'a>> {
    let mut blocks: Vec<ResourceBlock<'a>> = sized_containers(pod)
        .filter_map(|container| {
            Some(ResourceBlock {
                node: container.get("resources")?,
                owner: format!("container `{}`", container.name().unwrap_or("?")),
                path: container.field("resources"),
            })
        })
        .collect();
    if let Some(node) = pod.get("resources") {
        blocks.push(ResourceBlock {
            node,
            owner: "the pod".to_owned(),
            path: pod.field("resources"),
        });
    }
    blocks
}

/// Containers that can declare resources: Kubernetes refuses resources on
/// ephemeral containers, so asking them for any would be noise.
fn sized_containers<'a, 'p>(pod: &'p PodSpec<'a>) -> impl Iterator<Item = Container<'a>> + 'p {
    pod.containers()
        .filter(|c| c.kind != ContainerKind::Ephemeral)
}

/// Reports every container that leaves `resources.<section>.<name>` unset.
fn report_unset(object: &Object<'_>, sink: &mut Sink<'_>, section: &str, name: &str, what: &str) {
    let Some(pod) = object.pod_spec() else { return };
    for container in sized_containers(&pod) {
        let value = |section: &str| {
            container
                .get("resources")
                .and_then(|r| r.get(section))
                .and_then(|s| s.get(name))
                .filter(|v| !v.is_null())
        };
        if value(section).is_some() {
            continue;
        }
        let label = container.name().unwrap_or("?");
        // Kubernetes copies a limit into a missing request: the container is
        // then scheduled for its peak rather than for what it usually uses.
        let consequence = match value("limits").and_then(|l| l.scalar_text()) {
            Some(limit) if section == "requests" => {
                format!(", so Kubernetes reserves its whole limit ({limit})")
            }
            _ => String::new(),
        };
        sink.container(
            object,
            &container,
            format!("container `{label}` has no {what}{consequence}"),
        )
        .set_help(format!("set resources.{section}.{name}"));
    }
}

#[cfg(test)]
mod tests {

    use super::super::testing::{check, position};

    const CRONJOB: &str = "apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly-report
  namespace: shop
spec:
  schedule: \"0 3 * * *\"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          initContainers:
            - name: migrate
              image: ghcr.io/acme/migrate:2.0.1
              resources:
                requests: {cpu: 100m, memory: 64Mi}
                limits: {memory: 128Mi}
          containers:
            - name: report
              image: ghcr.io/acme/report:3.1.0
              resources:
                requests:
                  cpu: 1500m
                limits:
                  cpu: \"1\"
                  memory: 256Mi
";

    #[test]
    fn cronjob_containers_are_checked_through_the_job_template() {
        let findings = check("k8s/request-exceeds-limit", CRONJOB);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(
            findings[0]
                .message
                .contains("container `report` requests 1500m cpu")
        );
        assert_eq!(position(&findings[0]), (24, 24));
        assert!(findings[0].location.logical.ends_with(
            "spec.jobTemplate.spec.template.spec.containers[report].resources.requests.cpu"
        ));
    }

    #[test]
    fn a_missing_request_says_that_the_limit_is_reserved_instead() {
        let memory = check("k8s/container-memory-request", CRONJOB);
        assert_eq!(memory.len(), 1, "{memory:#?}");
        assert_eq!(
            memory[0].message,
            "container `report` has no memory request, so Kubernetes reserves its whole limit (256Mi)"
        );
        let cpu = check("k8s/container-cpu-limit", CRONJOB);
        assert_eq!(cpu.len(), 1, "{cpu:#?}");
        assert!(cpu[0].message.contains("container `migrate`"));
    }

    #[test]
    fn init_containers_are_judged_and_ephemeral_containers_are_not() {
        let pod = "apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: shop
spec:
  initContainers:
    - name: wait
      image: busybox:1.36
  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
      resources:
        limits: {memory: 512Mi}
  ephemeralContainers:
    - name: shell
      image: busybox:1.36
";
        let findings = check("k8s/container-memory-limit", pod);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(findings[0].message.contains("container `wait`"));
        assert_eq!(position(&findings[0]), (8, 13));
    }

    #[test]
    fn equal_quantities_in_different_notations_are_not_an_excess() {
        let pod = "apiVersion: v1
kind: Pod
metadata:
  name: api
spec:
  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
      resources:
        requests: {cpu: \"1.1\", memory: 1Gi, ephemeral-storage: 1G}
        limits: {cpu: 1100m, memory: \"1073741824\", ephemeral-storage: 1000M}
";
        assert!(check("k8s/request-exceeds-limit", pod).is_empty());
    }

    #[test]
    fn unparsable_and_negative_quantities_are_reported_where_they_stand() {
        let pod = "apiVersion: v1
kind: Pod
metadata:
  name: api
spec:
  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
      resources:
        requests: {cpu: -1, memory: 256Mi, nvidia.com/gpu: 1}
        limits: {memory: 512 MB}
  volumes:
    - name: scratch
      emptyDir: {sizeLimit: 2gb}
";
        let findings = check("k8s/invalid-quantity", pod);
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(findings.len(), 3, "{messages:#?}");
        assert!(messages[0].contains("requests.cpu: `-1` is negative"));
        assert!(messages[1].contains("limits.memory: `512 MB` is not a Kubernetes quantity"));
        assert!(messages[2].contains("volume `scratch` sizeLimit: `2gb`"));
        assert_eq!(position(&findings[1]), (11, 26));
        // The request the limit cannot be compared with is left alone.
        assert!(check("k8s/request-exceeds-limit", pod).is_empty());
    }

    #[test]
    fn yaml_numbers_are_read_as_the_numbers_kubernetes_receives() {
        let pod = "apiVersion: v1
kind: Pod
metadata:
  name: api
spec:
  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
      resources:
        requests: {cpu: 0.5, memory: 1_000}
        limits: {cpu: 1, memory: 0x400}
";
        assert!(check("k8s/invalid-quantity", pod).is_empty());
        assert!(check("k8s/request-exceeds-limit", pod).is_empty());
    }
}
