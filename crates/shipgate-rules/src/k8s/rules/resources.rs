//! Resource requests and limits.

use shipgate_core::{Alias, Category, Example, RuleMeta, Severity, Tool};

use crate::k8s::{Object, Sink};
use crate::{Check, RuleDef};

pub(super) const RULES: &[RuleDef] = &[CONTAINER_MEMORY_LIMIT];

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
            "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
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
    let Some(pod) = object.pod_spec() else { return };
    for container in pod.containers() {
        let limit = container
            .get("resources")
            .and_then(|r| r.get("limits"))
            .and_then(|l| l.get("memory"))
            .filter(|m| !m.is_null());
        if limit.is_none() {
            let name = container.name().unwrap_or("?");
            sink.container(
                object,
                &container,
                format!("container `{name}` has no memory limit"),
            )
            .set_help("set resources.limits.memory");
        }
    }
}
