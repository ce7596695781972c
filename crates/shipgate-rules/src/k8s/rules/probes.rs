//! Liveness, readiness and startup probes.

use shipgate_core::{Alias, Category, Example, RuleMeta, Severity, Tool};
use shipgate_syntax::yaml::{NodeKind, NodeRef};

use crate::k8s::{Object, PodSpec, Sink};
use crate::{Check, RuleDef};

pub(super) const RULES: &[RuleDef] = &[
    LIVENESS_PROBE_MISSING,
    READINESS_PROBE_MISSING,
    PROBE_PORT_UNKNOWN,
    LIVENESS_SAME_AS_READINESS,
];

const CONFIGURE_PROBES: &str = "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/";
const POD_LIFECYCLE_PROBES: &str =
    "https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-probes";

/// The probes a container can declare, with how messages name them.
const PROBES: &[(&str, &str)] = &[
    ("livenessProbe", "liveness probe"),
    ("readinessProbe", "readiness probe"),
    ("startupProbe", "startup probe"),
];

/// The ways a probe can check a container; a probe uses exactly one.
const HANDLERS: &[&str] = &["httpGet", "tcpSocket", "grpc", "exec"];

const LIVENESS_PROBE_MISSING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/liveness-probe-missing",
        title: "Long-running containers have a liveness probe",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "A process that deadlocks or stops making progress without exiting looks \
            healthy to Kubernetes forever: it keeps its place, keeps receiving traffic if it \
            is still ready, and is never restarted. A liveness probe lets the kubelet notice \
            and restart it. Jobs, CronJobs and init containers run to completion and are \
            not judged.",
        remediation: "Add a cheap liveness check that fails only when a restart would help, \
            with generous thresholds:\n\n```yaml\nlivenessProbe:\n  httpGet:\n    path: \
            /livez\n    port: http\n  periodSeconds: 10\n  failureThreshold: 6\n```",
        references: &[CONFIGURE_PROBES, POD_LIFECYCLE_PROBES],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_8"),
            Alias::new(Tool::Polaris, "livenessProbeMissing"),
            Alias::new(Tool::KubeLinter, "no-liveness-probe"),
            Alias::new(Tool::KubeScore, "pod-probes"),
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
  replicas: 3
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
          readinessProbe:
            httpGet: {path: /readyz, port: http}
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
  replicas: 3
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
          readinessProbe:
            httpGet: {path: /readyz, port: http}
          livenessProbe:
            httpGet: {path: /livez, port: http}
            periodSeconds: 10
            failureThreshold: 6
",
        },
    },
    check: Check::Object(liveness_probe_missing),
};

fn liveness_probe_missing(object: &Object<'_>, sink: &mut Sink<'_>) {
    report_missing_probe(object, sink, "livenessProbe", "liveness probe");
}

const READINESS_PROBE_MISSING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/readiness-probe-missing",
        title: "Long-running containers have a readiness probe",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "Without a readiness probe a container counts as ready the moment it \
            starts, so Services send it requests before it can answer them, and a rolling \
            update retires old pods while the new ones are still warming up. The probe \
            also takes an overloaded or disconnected replica out of rotation without \
            restarting it.",
        remediation: "Add a readiness check that reports whether the container can serve \
            right now:\n\n```yaml\nreadinessProbe:\n  httpGet:\n    path: /readyz\n    port: \
            http\n  periodSeconds: 5\n```\n\nA worker that receives no traffic can suppress \
            this rule for its workload.",
        references: &[CONFIGURE_PROBES, POD_LIFECYCLE_PROBES],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_9"),
            Alias::new(Tool::Polaris, "readinessProbeMissing"),
            Alias::new(Tool::KubeLinter, "no-readiness-probe"),
            Alias::new(Tool::KubeScore, "pod-probes"),
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
  replicas: 3
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
          livenessProbe:
            httpGet: {path: /livez, port: http}
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
  replicas: 3
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
          livenessProbe:
            httpGet: {path: /livez, port: http}
          readinessProbe:
            httpGet: {path: /readyz, port: http}
            periodSeconds: 5
",
        },
    },
    check: Check::Object(readiness_probe_missing),
};

fn readiness_probe_missing(object: &Object<'_>, sink: &mut Sink<'_>) {
    report_missing_probe(object, sink, "readinessProbe", "readiness probe");
}

/// Whether the pod is meant to keep running. Jobs, CronJobs and bare pods
/// that are never restarted run to completion: there is nothing for a probe
/// to keep alive and no traffic to gate.
fn long_running(object: &Object<'_>, pod: &PodSpec<'_>) -> bool {
    if matches!(object.kind, "Job" | "CronJob") {
        return false;
    }
    let restart = pod.get("restartPolicy").and_then(|p| p.as_text());
    !matches!(restart, Some("Never" | "OnFailure"))
}

/// Reports containers that run for the pod's whole life (regular ones and
/// sidecars) without the probe `field`.
fn report_missing_probe(object: &Object<'_>, sink: &mut Sink<'_>, field: &str, what: &str) {
    let Some(pod) = object.pod_spec() else { return };
    if !long_running(object, &pod) {
        return;
    }
    for container in pod.app_containers() {
        if container.get(field).is_none_or(|p| p.is_null()) {
            let name = container.name().unwrap_or("?");
            sink.container(
                object,
                &container,
                format!("container `{name}` has no {what}"),
            )
            .set_help(format!("add a {field} to container `{name}`"));
        }
    }
}

const PROBE_PORT_UNKNOWN: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/probe-port-unknown",
        title: "Probes name only ports their container declares",
        severity: Severity::Error,
        category: Category::Reliability,
        rationale: "A probe that names its port (`port: http`) is resolved against the \
            container's own `ports[].name`. When no port has that name the probe can never \
            succeed: a readiness probe keeps the pod out of every Service, and a liveness \
            probe restarts the container over and over. The mistake is easy to make when a \
            port is renamed or the probe is copied from another container.",
        remediation: "Declare the named port on the container, or use the port number:\n\n\
            ```yaml\nports:\n  - name: http\n    containerPort: 8080\nreadinessProbe:\n  \
            httpGet:\n    path: /readyz\n    port: http\n```\n\ngRPC probes take a number \
            only.",
        references: &[
            CONFIGURE_PROBES,
            "https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#Probe",
        ],
        aliases: &[
            Alias::new(Tool::KubeLinter, "liveness-port"),
            Alias::new(Tool::KubeLinter, "readiness-port"),
            Alias::new(Tool::KubeLinter, "startup-port"),
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
  replicas: 3
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
            - name: web
              containerPort: 8080
          readinessProbe:
            httpGet: {path: /readyz, port: http}
          livenessProbe:
            tcpSocket: {port: web}
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
  replicas: 3
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
            - name: grpc
              containerPort: 9090
          readinessProbe:
            httpGet: {path: /readyz, port: http}
          livenessProbe:
            grpc: {port: 9090}
",
        },
    },
    check: Check::Object(probe_port_unknown),
};

fn probe_port_unknown(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    for container in pod.containers() {
        let name = container.name().unwrap_or("?");
        for (field, what) in PROBES {
            let Some(probe) = container.get(field) else {
                continue;
            };
            for handler in ["httpGet", "tcpSocket", "grpc"] {
                let Some(port) = probe.get(handler).and_then(|h| h.get("port")) else {
                    continue;
                };
                // Only a string is a port name: a plain number is used as it
                // stands, whatever the container declares.
                let Some(port_name) = port.as_str() else {
                    continue;
                };
                let location = container.field(&format!("{field}.{handler}.port"));
                if handler == "grpc" {
                    sink.node(
                        object,
                        port,
                        &location,
                        format!(
                            "container `{name}`'s {what} gives the gRPC port as `{port_name}`, \
                             but gRPC probes take a port number only"
                        ),
                    )
                    .set_help("write the port number");
                    continue;
                }
                if container.port_names().any(|declared| declared == port_name) {
                    continue;
                }
                let message = if port_name.bytes().all(|b| b.is_ascii_digit()) {
                    format!(
                        "container `{name}`'s {what} quotes its port (`\"{port_name}\"`), so \
                         Kubernetes reads it as a port name, and no port has that name"
                    )
                } else {
                    format!(
                        "container `{name}`'s {what} uses port `{port_name}`, which the \
                         container does not declare"
                    )
                };
                sink.node(object, port, &location, message).set_help(format!(
                    "add a port named `{port_name}` to container `{name}`, or use the port number"
                ));
            }
        }
    }
}

const LIVENESS_SAME_AS_READINESS: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/liveness-same-as-readiness",
        title: "Liveness and readiness probes check different things",
        severity: Severity::Info,
        category: Category::Reliability,
        rationale: "Readiness answers whether a container should get traffic now; liveness \
            whether it is beyond recovery and must be restarted. When both run the same \
            check, a brief overload or a slow dependency makes every replica fail liveness \
            at once, and Kubernetes restarts the whole service instead of shedding load. \
            Liveness should test only the process itself.",
        remediation: "Point liveness at a cheap endpoint that checks only the process (or \
            drop it), and keep dependency checks in readiness:\n\n```yaml\nlivenessProbe:\n  \
            httpGet:\n    path: /livez\n    port: http\nreadinessProbe:\n  httpGet:\n    \
            path: /readyz\n    port: http\n```",
        references: &[
            CONFIGURE_PROBES,
            "https://github.com/zegl/kube-score/blob/master/README_PROBES.md",
        ],
        aliases: &[
            Alias::new(Tool::KubeScore, "pod-probes-identical"),
            Alias::new(Tool::KubeScore, "pod-probes"),
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
  replicas: 3
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
          livenessProbe:
            httpGet: {path: /health, port: http}
            failureThreshold: 6
          readinessProbe:
            httpGet: {path: /health, port: http}
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
  replicas: 3
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
          livenessProbe:
            httpGet: {path: /livez, port: http}
            failureThreshold: 6
          readinessProbe:
            httpGet: {path: /readyz, port: http}
",
        },
    },
    check: Check::Object(liveness_same_as_readiness),
};

fn liveness_same_as_readiness(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    for container in pod.app_containers() {
        let (Some((liveness_key, liveness)), Some((readiness_key, readiness))) = (
            container.node.entry("livenessProbe"),
            container.node.entry("readinessProbe"),
        ) else {
            continue;
        };
        // Timings may differ; what matters is whether both ask the same question.
        let identical =
            HANDLERS.iter().any(
                |handler| match (liveness.get(handler), readiness.get(handler)) {
                    (Some(a), Some(b)) => same(a, b),
                    _ => false,
                },
            );
        if identical {
            let name = container.name().unwrap_or("?");
            sink.node(
                object,
                liveness_key,
                &container.field("livenessProbe"),
                format!("container `{name}` runs the same check for liveness and readiness"),
            )
            .set_help("make liveness check only the process itself, or drop it")
            .add_related(
                object.location(readiness_key.span()),
                "the readiness probe it repeats",
            );
        }
    }
}

/// Structural equality of two YAML nodes, ignoring the order of mapping keys.
fn same(a: NodeRef<'_>, b: NodeRef<'_>) -> bool {
    match (a.kind(), b.kind()) {
        (NodeKind::Scalar, NodeKind::Scalar) => a.as_text() == b.as_text(),
        (NodeKind::Seq, NodeKind::Seq) => {
            a.len() == b.len() && a.items().zip(b.items()).all(|(x, y)| same(x, y))
        }
        (NodeKind::Map, NodeKind::Map) => {
            a.len() == b.len()
                && a.entries().all(|(key, value)| {
                    key.scalar_text()
                        .and_then(|k| b.get(k))
                        .is_some_and(|other| same(value, other))
                })
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {

    use super::super::testing::{check, position};

    const MISSING_RULES: [&str; 2] = ["k8s/liveness-probe-missing", "k8s/readiness-probe-missing"];

    #[test]
    fn jobs_cronjobs_and_pods_that_are_not_restarted_need_no_probes() {
        let cronjob = "apiVersion: batch/v1
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
          containers:
            - name: report
              image: ghcr.io/acme/report:3.1.0
";
        let job = cronjob
            .replace("kind: CronJob", "kind: Job")
            .replace("  schedule: \"0 3 * * *\"\n  jobTemplate:\n    spec:\n", "");
        let pod = "apiVersion: v1
kind: Pod
metadata:
  name: migrate
spec:
  restartPolicy: Never
  containers:
    - name: migrate
      image: ghcr.io/acme/migrate:2.0.1
";
        for rule in MISSING_RULES {
            for manifest in [cronjob, job.as_str(), pod] {
                let findings = check(rule, manifest);
                assert!(findings.is_empty(), "{rule}: {findings:#?}");
            }
        }
    }

    #[test]
    fn a_restarted_pod_and_its_sidecars_need_probes_but_init_containers_do_not() {
        let pod = "apiVersion: v1
kind: Pod
metadata:
  name: api
  namespace: shop
spec:
  initContainers:
    - name: migrate
      image: ghcr.io/acme/migrate:2.0.1
    - name: proxy
      image: ghcr.io/acme/proxy:1.0.0
      restartPolicy: Always
  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
      livenessProbe:
        httpGet: {path: /livez, port: 8080}
      readinessProbe:
        httpGet: {path: /readyz, port: 8080}
";
        for rule in MISSING_RULES {
            let findings = check(rule, pod);
            assert_eq!(findings.len(), 1, "{rule}: {findings:#?}");
            assert!(findings[0].message.starts_with("container `proxy` has no"));
            assert_eq!(position(&findings[0]), (10, 13));
        }
    }

    #[test]
    fn named_ports_must_be_declared_and_numbers_need_not_be() {
        let pod = "apiVersion: v1
kind: Pod
metadata:
  name: api
spec:
  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
      ports:
        - {name: http, containerPort: 8080}
      startupProbe:
        httpGet: {path: /livez, port: \"8080\"}
      readinessProbe:
        httpGet: {path: /readyz, port: http}
      livenessProbe:
        grpc: {port: health}
    - name: worker
      image: ghcr.io/acme/worker:1.4.2
      livenessProbe:
        tcpSocket: {port: 9000}
";
        let findings = check("k8s/probe-port-unknown", pod);
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(findings.len(), 2, "{messages:#?}");
        assert!(messages[0].contains("gRPC probes take a port number only"));
        assert_eq!(position(&findings[0]), (16, 22));
        assert!(messages[1].contains("startup probe quotes its port"));
        assert_eq!(position(&findings[1]), (12, 39));
    }

    #[test]
    fn the_example_points_at_the_undeclared_port_value() {
        let rule = crate::registry()
            .get("k8s/probe-port-unknown")
            .expect("rule");
        let findings = check(rule.meta.id, rule.meta.failing.content);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(position(&findings[0]), (21, 44));
        assert!(findings[0].message.contains("uses port `http`"));
    }

    #[test]
    fn identical_handlers_are_found_whatever_the_key_order_and_timings() {
        let pod = "apiVersion: v1
kind: Pod
metadata:
  name: api
spec:
  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
      livenessProbe:
        exec:
          command: [cat, /tmp/healthy]
        periodSeconds: 30
      readinessProbe:
        periodSeconds: 5
        exec:
          command: [cat, /tmp/healthy]
    - name: web
      image: ghcr.io/acme/web:1.4.2
      livenessProbe:
        httpGet: {port: 8080, path: /health}
      readinessProbe:
        httpGet: {path: /health, port: 8080, httpHeaders: [{name: X-Ready, value: \"1\"}]}
";
        let findings = check("k8s/liveness-same-as-readiness", pod);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(findings[0].message.contains("container `api`"));
        assert_eq!(position(&findings[0]), (9, 7));
        assert_eq!(findings[0].related.len(), 1);
    }
}
