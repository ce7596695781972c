//! The Kustomize kit: a base with one file per service, components that
//! add hardening, network policies, monitoring and backups, and one overlay
//! per environment. The object builders are shared with the Helm chart,
//! which swaps the values an environment changes for template expressions.

use crate::compose::{App, EnvValue, Service};
use crate::yaml::{self, Y};
use crate::{Kit, Options};

/// Where the ingress controller and Prometheus run; NetworkPolicies admit
/// traffic from these namespaces (see NOTES).
pub const INGRESS_NAMESPACE: &str = "ingress-nginx";
pub const MONITORING_NAMESPACE: &str = "monitoring";
pub const CLUSTER_ISSUER: &str = "letsencrypt";
pub const INGRESS_CLASS: &str = "nginx";

/// How an object is written: plain for Kustomize, or with the values an
/// environment changes as Helm template expressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Kustomize,
    Helm,
}

impl Flavor {
    pub fn values(self, svc: &Service, field: &str) -> String {
        format!("(index .Values.services {:?}).{field}", svc.name)
    }
}

pub fn secret_name(app: &App) -> String {
    format!("{}-secrets", app.project)
}

pub fn selector(app: &App, name: &str) -> Y {
    Y::map()
        .with("app.kubernetes.io/name", name)
        .with("app.kubernetes.io/instance", app.project.as_str())
}

pub fn labels(app: &App, name: &str, component: &str, flavor: Flavor) -> Y {
    let mut l = selector(app, name)
        .with("app.kubernetes.io/component", component)
        .with("app.kubernetes.io/part-of", app.project.as_str());
    if flavor == Flavor::Helm {
        l.set(
            "app.kubernetes.io/managed-by",
            Y::Tpl("{{ .Release.Service }}".into()),
        );
        l.set(
            "helm.sh/chart",
            Y::Tpl("{{ .Chart.Name }}-{{ .Chart.Version | replace \"+\" \"_\" }}".into()),
        );
    }
    l
}

fn meta(name: &str, labels: Y) -> Y {
    Y::map().with("name", name).with("labels", labels)
}

fn object(api: &str, kind: &str, metadata: Y) -> Y {
    Y::map()
        .with("apiVersion", api)
        .with("kind", kind)
        .with("metadata", metadata)
}

pub fn svc_labels(app: &App, svc: &Service, flavor: Flavor) -> Y {
    labels(app, &svc.name, svc.role.label(), flavor)
}

/// The pod and container security settings every generated pod runs with.
pub fn pod_security(uid: u32, gid: u32) -> Y {
    Y::map()
        .with("runAsNonRoot", true)
        .with("runAsUser", uid)
        .with("runAsGroup", gid)
        .with("fsGroup", gid)
        .with("fsGroupChangePolicy", "OnRootMismatch")
        .with("seccompProfile", Y::map().with("type", "RuntimeDefault"))
}

pub fn container_security(uid: u32, gid: u32) -> Y {
    Y::map()
        .with("allowPrivilegeEscalation", false)
        .with("readOnlyRootFilesystem", true)
        .with("runAsNonRoot", true)
        .with("runAsUser", uid)
        .with("runAsGroup", gid)
        .with("privileged", false)
        .with("capabilities", Y::map().with("drop", vec!["ALL"]))
        .with("seccompProfile", Y::map().with("type", "RuntimeDefault"))
}

pub fn resources(svc: &Service) -> Y {
    let r = &svc.resources;
    let mut limits = Y::map().with("memory", r.memory_limit.as_str());
    if let Some(cpu) = &r.cpu_limit {
        limits.set("cpu", cpu.as_str());
    }
    Y::map()
        .with(
            "requests",
            Y::map()
                .with("cpu", r.cpu_request.as_str())
                .with("memory", r.memory_request.as_str()),
        )
        .with("limits", limits)
}

fn exec(command: &[String]) -> Y {
    Y::map().with("command", command.to_vec())
}

fn probes(svc: &Service, container: &mut Y) {
    let tcp = svc.ports.iter().find(|p| !p.udp);
    match (&svc.health, tcp) {
        (Some(h), _) => {
            let check = exec(&h.command);
            let timeout = h.timeout.min(60);
            container.set(
                "readinessProbe",
                Y::map()
                    .with("exec", check.clone())
                    .with("periodSeconds", h.interval.min(300))
                    .with("timeoutSeconds", timeout)
                    .with("failureThreshold", h.retries),
            );
            // The start period plus Compose's own retries, at a quicker
            // pace, before liveness takes over.
            let period = h.interval.min(10);
            let budget = h.start_period.max(30) + h.interval * h.retries;
            container.set(
                "startupProbe",
                Y::map()
                    .with("exec", check.clone())
                    .with("periodSeconds", period)
                    .with("timeoutSeconds", timeout)
                    .with("failureThreshold", budget.div_ceil(period).clamp(3, 120)),
            );
            // Liveness restarts the container, so it only asks whether the
            // process still answers at all, and gives it minutes to.
            let liveness = match tcp {
                Some(port) => Y::map()
                    .with("tcpSocket", Y::map().with("port", port.name.as_str()))
                    .with("periodSeconds", 20)
                    .with("timeoutSeconds", 5)
                    .with("failureThreshold", 6),
                None => Y::map()
                    .with("exec", check)
                    .with("periodSeconds", h.interval.clamp(30, 300))
                    .with("timeoutSeconds", timeout)
                    .with("failureThreshold", (h.retries * 2).max(6)),
            };
            container.set("livenessProbe", liveness);
        }
        (None, Some(port)) => {
            let socket = Y::map().with("port", port.name.as_str());
            container.set(
                "readinessProbe",
                Y::map()
                    .with("tcpSocket", socket.clone())
                    .with("periodSeconds", 10)
                    .with("failureThreshold", 3),
            );
            container.set(
                "startupProbe",
                Y::map()
                    .with("tcpSocket", socket.clone())
                    .with("periodSeconds", 5)
                    .with("failureThreshold", 60),
            );
            container.set(
                "livenessProbe",
                Y::map()
                    .with("tcpSocket", socket)
                    .with("periodSeconds", 20)
                    .with("timeoutSeconds", 5)
                    .with("failureThreshold", 6),
            );
        }
        (None, None) => {}
    }
}

fn volume_name(path: &str) -> String {
    let mut name = String::from("w");
    for c in path.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    let name = name.trim_end_matches('-').to_owned();
    if name.len() > 63 {
        name[..63].trim_end_matches('-').to_owned()
    } else {
        name
    }
}

fn env_list(app: &App, svc: &Service) -> Vec<Y> {
    let secret = secret_name(app);
    let secret_ref = |name: &str, key: &str| {
        Y::map().with("name", name).with(
            "valueFrom",
            Y::map().with(
                "secretKeyRef",
                Y::map().with("name", secret.as_str()).with("key", key),
            ),
        )
    };
    let mut env = Vec::new();
    let mut defined: Vec<String> = Vec::new();
    // Keys a composed value refers to come first: `$(KEY)` only sees
    // variables defined before it.
    for (_, value) in &svc.env {
        if let EnvValue::Composite(_, keys) = value {
            for key in keys {
                let taken = svc
                    .env
                    .iter()
                    .any(|(n, v)| n == key && !matches!(v, EnvValue::Secret(k) if k == key));
                if !defined.contains(key) && !taken {
                    env.push(secret_ref(key, key));
                    defined.push(key.clone());
                }
            }
        }
    }
    for (name, value) in &svc.env {
        match value {
            EnvValue::Secret(key) if !defined.contains(name) => {
                env.push(secret_ref(name, key));
                defined.push(name.clone());
            }
            EnvValue::Plain(text) if !crate::compose::config_key(name) => {
                env.push(
                    Y::map()
                        .with("name", name.as_str())
                        .with("value", text.as_str()),
                );
            }
            EnvValue::Composite(text, _) => {
                env.push(
                    Y::map()
                        .with("name", name.as_str())
                        .with("value", text.as_str()),
                );
            }
            _ => {}
        }
    }
    env
}

pub fn workload(app: &App, svc: &Service, flavor: Flavor) -> Y {
    let mut container = Y::map()
        .with("name", svc.name.as_str())
        .with(
            "image",
            match flavor {
                Flavor::Kustomize => Y::from(svc.image()),
                Flavor::Helm => Y::Tpl(format!(
                    "\"{{{{ {0}.repository }}}}:{{{{ {0}.tag }}}}\"",
                    flavor.values(svc, "image")
                )),
            },
        )
        .with("imagePullPolicy", "IfNotPresent");
    if let Some(command) = &svc.command {
        container.set("command", command.clone());
    }
    if let Some(args) = &svc.args {
        container.set("args", args.clone());
    }
    if let Some(dir) = &svc.working_dir {
        container.set("workingDir", dir.as_str());
    }
    if !svc.ports.is_empty() {
        container.set(
            "ports",
            svc.ports
                .iter()
                .map(|p| {
                    Y::map()
                        .with("name", p.name.as_str())
                        .with("containerPort", p.port)
                        .with("protocol", if p.udp { "UDP" } else { "TCP" })
                })
                .collect::<Vec<_>>(),
        );
    }
    if svc.has_config() {
        container.set(
            "envFrom",
            vec![Y::map().with(
                "configMapRef",
                Y::map().with("name", format!("{}-env", svc.name)),
            )],
        );
    }
    let env = env_list(app, svc);
    if !env.is_empty() {
        container.set("env", env);
    }
    container.set(
        "resources",
        match flavor {
            Flavor::Kustomize => resources(svc),
            Flavor::Helm => Y::Block(flavor.values(svc, "resources")),
        },
    );
    container.set("securityContext", container_security(svc.uid, svc.gid));
    probes(svc, &mut container);

    let mut mounts = Vec::new();
    let mut volumes = Vec::new();
    for path in &svc.writable {
        let name = volume_name(path);
        mounts.push(
            Y::map()
                .with("name", name.as_str())
                .with("mountPath", path.as_str()),
        );
        volumes.push(
            Y::map()
                .with("name", name.as_str())
                .with("emptyDir", Y::map().with("sizeLimit", "256Mi")),
        );
    }
    for claim in &svc.claims {
        mounts.push(
            Y::map()
                .with("name", claim.name.as_str())
                .with("mountPath", claim.mount.as_str()),
        );
    }
    let mut sources: Vec<(String, bool)> = Vec::new();
    for file in &svc.files {
        let volume = if file.secret {
            format!(
                "secret-{}",
                file.key.to_ascii_lowercase().replace(['_', '.'], "-")
            )
        } else {
            "files".to_owned()
        };
        mounts.push(
            Y::map()
                .with("name", volume.as_str())
                .with("mountPath", file.mount.as_str())
                .with("subPath", file.key.as_str())
                .with("readOnly", true),
        );
        if !sources.iter().any(|(s, _)| *s == volume) {
            sources.push((volume.clone(), file.secret));
            volumes.push(if file.secret {
                Y::map().with("name", volume.as_str()).with(
                    "secret",
                    Y::map()
                        .with("secretName", file.source.as_str())
                        .with("defaultMode", 0o440),
                )
            } else {
                Y::map()
                    .with("name", volume.as_str())
                    .with("configMap", Y::map().with("name", file.source.as_str()))
            });
        }
    }
    if !mounts.is_empty() {
        container.set("volumeMounts", mounts);
    }

    let labels = svc_labels(app, svc, flavor);
    let mut pod = Y::map()
        .with("serviceAccountName", svc.name.as_str())
        .with("automountServiceAccountToken", false)
        // Service links put `REDIS_PORT=tcp://...` and the like into every
        // container, which breaks applications reading those names.
        .with("enableServiceLinks", false)
        .with("securityContext", pod_security(svc.uid, svc.gid));
    if let Some(grace) = svc.grace {
        pod.set("terminationGracePeriodSeconds", grace);
    }
    if !svc.stateful() && !svc.singleton {
        pod.set(
            "topologySpreadConstraints",
            vec![
                Y::map()
                    .with("maxSkew", 1)
                    .with("topologyKey", "kubernetes.io/hostname")
                    .with("whenUnsatisfiable", "ScheduleAnyway")
                    .with(
                        "labelSelector",
                        Y::map().with("matchLabels", selector(app, &svc.name)),
                    ),
            ],
        );
    }
    pod.set("containers", vec![container]);
    if !volumes.is_empty() {
        pod.set("volumes", volumes);
    }
    let template = Y::map()
        .with("metadata", Y::map().with("labels", labels.clone()))
        .with("spec", pod);
    let replicas = match flavor {
        Flavor::Kustomize => Y::from(svc.replicas),
        Flavor::Helm => Y::Tpl(format!("{{{{ {} }}}}", flavor.values(svc, "replicas"))),
    };
    let mut spec = Y::map();
    if svc.stateful() {
        spec = spec
            .with("serviceName", svc.name.as_str())
            .with("replicas", replicas)
            .with(
                "selector",
                Y::map().with("matchLabels", selector(app, &svc.name)),
            )
            .with("podManagementPolicy", "OrderedReady")
            .with("updateStrategy", Y::map().with("type", "RollingUpdate"))
            .with(
                "persistentVolumeClaimRetentionPolicy",
                Y::map()
                    .with("whenDeleted", "Retain")
                    .with("whenScaled", "Retain"),
            )
            .with("template", template)
            .with(
                "volumeClaimTemplates",
                svc.claims
                    .iter()
                    .map(|c| {
                        Y::map()
                            .with("metadata", Y::map().with("name", c.name.as_str()))
                            .with(
                                "spec",
                                Y::map().with("accessModes", vec!["ReadWriteOnce"]).with(
                                    "resources",
                                    Y::map().with(
                                        "requests",
                                        Y::map().with("storage", c.size.as_str()),
                                    ),
                                ),
                            )
                    })
                    .collect::<Vec<_>>(),
            );
    } else {
        spec = spec
            .with("replicas", replicas)
            .with("revisionHistoryLimit", 5)
            .with(
                "selector",
                Y::map().with("matchLabels", selector(app, &svc.name)),
            )
            .with(
                "strategy",
                if svc.singleton {
                    Y::map().with("type", "Recreate")
                } else {
                    Y::map().with("type", "RollingUpdate").with(
                        "rollingUpdate",
                        Y::map().with("maxUnavailable", 0).with("maxSurge", 1),
                    )
                },
            )
            .with("template", template);
    }
    let mut metadata = meta(&svc.name, labels);
    if flavor == Flavor::Helm {
        metadata.set("annotations", Y::Block(".Values.commonAnnotations".into()));
    }
    object("apps/v1", svc.kind(), metadata).with("spec", spec)
}

pub fn service_account(app: &App, svc: &Service, flavor: Flavor) -> Y {
    object(
        "v1",
        "ServiceAccount",
        meta(&svc.name, svc_labels(app, svc, flavor)),
    )
    .with("automountServiceAccountToken", false)
}

pub fn service(app: &App, svc: &Service, flavor: Flavor) -> Option<Y> {
    if svc.ports.is_empty() {
        return None;
    }
    let mut spec = Y::map();
    if svc.stateful() {
        // A StatefulSet's governing Service: clients resolve the pod itself.
        spec.set("clusterIP", "None");
    } else {
        spec.set("type", "ClusterIP");
    }
    spec.set("selector", selector(app, &svc.name));
    spec.set(
        "ports",
        svc.ports
            .iter()
            .map(|p| {
                Y::map()
                    .with("name", p.name.as_str())
                    .with("port", p.port)
                    .with("targetPort", p.name.as_str())
                    .with("protocol", if p.udp { "UDP" } else { "TCP" })
            })
            .collect::<Vec<_>>(),
    );
    Some(
        object(
            "v1",
            "Service",
            meta(&svc.name, svc_labels(app, svc, flavor)),
        )
        .with("spec", spec),
    )
}

pub fn config_maps(app: &App, svc: &Service, flavor: Flavor) -> Vec<Y> {
    let mut out = Vec::new();
    if svc.has_config() {
        let mut data = Y::map();
        for (name, value) in &svc.env {
            if let EnvValue::Plain(v) = value
                && crate::compose::config_key(name)
            {
                data.set(name, v.as_str());
            }
        }
        out.push(
            object(
                "v1",
                "ConfigMap",
                meta(&format!("{}-env", svc.name), svc_labels(app, svc, flavor)),
            )
            .with("data", data),
        );
    }
    let files: Vec<_> = svc.files.iter().filter(|f| !f.secret).collect();
    if !files.is_empty() {
        let mut data = Y::map();
        for file in files {
            data.set(&file.key, file.content.as_str());
        }
        out.push(
            object(
                "v1",
                "ConfigMap",
                meta(&format!("{}-files", svc.name), svc_labels(app, svc, flavor)),
            )
            .with("data", data),
        );
    }
    out
}

pub fn pdb(app: &App, svc: &Service, flavor: Flavor) -> Y {
    object(
        "policy/v1",
        "PodDisruptionBudget",
        meta(&svc.name, svc_labels(app, svc, flavor)),
    )
    .with(
        "spec",
        Y::map().with("maxUnavailable", 1).with(
            "selector",
            Y::map().with("matchLabels", selector(app, &svc.name)),
        ),
    )
}

pub fn ingress(app: &App, svc: &Service, host: Y, flavor: Flavor) -> Option<Y> {
    let port = svc.ports.iter().find(|p| !p.udp)?;
    let mut metadata = meta(&svc.name, svc_labels(app, svc, flavor));
    metadata.set(
        "annotations",
        Y::map().with("cert-manager.io/cluster-issuer", CLUSTER_ISSUER),
    );
    Some(
        object("networking.k8s.io/v1", "Ingress", metadata).with(
            "spec",
            Y::map()
                .with("ingressClassName", INGRESS_CLASS)
                .with(
                    "tls",
                    vec![
                        Y::map()
                            .with("hosts", vec![host.clone()])
                            .with("secretName", format!("{}-tls", svc.name)),
                    ],
                )
                .with(
                    "rules",
                    vec![Y::map().with("host", host).with(
                        "http",
                        Y::map().with(
                            "paths",
                            vec![
                                Y::map().with("path", "/").with("pathType", "Prefix").with(
                                    "backend",
                                    Y::map().with(
                                        "service",
                                        Y::map().with("name", svc.name.as_str()).with(
                                            "port",
                                            Y::map().with("name", port.name.as_str()),
                                        ),
                                    ),
                                ),
                            ],
                        ),
                    )],
                ),
        ),
    )
}

pub fn secrets(app: &App, flavor: Flavor) -> Vec<Y> {
    let mut out = Vec::new();
    let labels = labels(app, &app.project, "secrets", flavor);
    if !app.secret_keys.is_empty() {
        let mut data = Y::map();
        for key in &app.secret_keys {
            data.set(key, "");
        }
        out.push(
            object("v1", "Secret", meta(&secret_name(app), labels.clone()))
                .with("type", "Opaque")
                .with("stringData", data),
        );
    }
    for (name, key) in &app.file_secrets {
        out.push(
            object("v1", "Secret", meta(name, labels.clone()))
                .with("type", "Opaque")
                .with("stringData", Y::map().with(key, "")),
        );
    }
    out
}

/// Who talks to whom: a client reaches a server it depends on, or one it
/// shares a user-defined network with.
pub fn edges(app: &App) -> Vec<(String, String)> {
    let mut edges = Vec::new();
    for client in &app.services {
        for server in &app.services {
            if client.name == server.name || server.ports.is_empty() {
                continue;
            }
            let depends = client.depends_on.contains(&server.name);
            let shared = client.networks.iter().any(|n| server.networks.contains(n));
            if depends || shared {
                edges.push((client.name.clone(), server.name.clone()));
            }
        }
    }
    edges
}

fn port_list(svc: &Service) -> Vec<Y> {
    svc.ports
        .iter()
        .map(|p| {
            Y::map()
                .with("protocol", if p.udp { "UDP" } else { "TCP" })
                .with("port", p.port)
        })
        .collect()
}

fn pods_of(app: &App, name: &str) -> Y {
    Y::map().with(
        "podSelector",
        Y::map().with("matchLabels", selector(app, name)),
    )
}

fn namespace_named(name: &str) -> Y {
    Y::map().with(
        "namespaceSelector",
        Y::map().with(
            "matchLabels",
            Y::map().with("kubernetes.io/metadata.name", name),
        ),
    )
}

pub fn network_policies(app: &App, flavor: Flavor) -> Vec<Y> {
    let l = |name: &str| labels(app, name, "network-policy", flavor);
    let mut out =
        vec![
            object(
                "networking.k8s.io/v1",
                "NetworkPolicy",
                meta("default-deny", l("default-deny")),
            )
            .with(
                "spec",
                Y::map()
                    .with("podSelector", Y::map())
                    .with("policyTypes", vec!["Ingress", "Egress"]),
            ),
            object(
                "networking.k8s.io/v1",
                "NetworkPolicy",
                meta("allow-dns", l("allow-dns")),
            )
            .with(
                "spec",
                Y::map()
                    .with("podSelector", Y::map())
                    .with("policyTypes", vec!["Egress"])
                    .with(
                        "egress",
                        vec![
                            Y::map()
                                .with(
                                    "to",
                                    vec![namespace_named("kube-system").with(
                                        "podSelector",
                                        Y::map().with(
                                            "matchLabels",
                                            Y::map().with("k8s-app", "kube-dns"),
                                        ),
                                    )],
                                )
                                .with(
                                    "ports",
                                    vec![
                                        Y::map().with("protocol", "UDP").with("port", 53),
                                        Y::map().with("protocol", "TCP").with("port", 53),
                                    ],
                                ),
                        ],
                    ),
            ),
        ];
    let edges = edges(app);
    for svc in &app.services {
        let mut ingress = Vec::new();
        let clients: Vec<&str> = edges
            .iter()
            .filter(|(_, s)| *s == svc.name)
            .map(|(c, _)| c.as_str())
            .collect();
        if !clients.is_empty() {
            ingress.push(
                Y::map()
                    .with(
                        "from",
                        clients.iter().map(|c| pods_of(app, c)).collect::<Vec<_>>(),
                    )
                    .with("ports", port_list(svc)),
            );
        }
        if svc.public
            && let Some(port) = svc.ports.iter().find(|p| !p.udp)
        {
            ingress.push(
                Y::map()
                    .with("from", vec![namespace_named(INGRESS_NAMESPACE)])
                    .with(
                        "ports",
                        vec![Y::map().with("protocol", "TCP").with("port", port.port)],
                    ),
            );
        }
        let mut egress = Vec::new();
        for (_, server) in edges.iter().filter(|(c, _)| *c == svc.name) {
            if let Some(s) = app.services.iter().find(|s| s.name == *server) {
                egress.push(
                    Y::map()
                        .with("to", vec![pods_of(app, server)])
                        .with("ports", port_list(s)),
                );
            }
        }
        let mut spec = Y::map()
            .with(
                "podSelector",
                Y::map().with("matchLabels", selector(app, &svc.name)),
            )
            .with("policyTypes", vec!["Ingress", "Egress"]);
        if !ingress.is_empty() {
            spec.set("ingress", ingress);
        }
        if !egress.is_empty() {
            spec.set("egress", egress);
        }
        out.push(
            object(
                "networking.k8s.io/v1",
                "NetworkPolicy",
                meta(&svc.name, svc_labels(app, svc, flavor)),
            )
            .with("spec", spec),
        );
    }
    out
}

pub fn limit_range(app: &App, flavor: Flavor) -> Y {
    object(
        "v1",
        "LimitRange",
        meta(
            "container-defaults",
            labels(app, "container-defaults", "hardening", flavor),
        ),
    )
    .with(
        "spec",
        Y::map().with(
            "limits",
            vec![
                Y::map()
                    .with("type", "Container")
                    .with(
                        "defaultRequest",
                        Y::map().with("cpu", "100m").with("memory", "128Mi"),
                    )
                    .with("default", Y::map().with("memory", "256Mi")),
            ],
        ),
    )
}

pub fn namespace(app: &App, name: &str) -> Y {
    object(
        "v1",
        "Namespace",
        meta(
            name,
            Y::map()
                .with("app.kubernetes.io/part-of", app.project.as_str())
                .with("pod-security.kubernetes.io/enforce", "restricted")
                .with("pod-security.kubernetes.io/enforce-version", "latest")
                .with("pod-security.kubernetes.io/warn", "restricted")
                .with("pod-security.kubernetes.io/audit", "restricted"),
        ),
    )
}

pub fn hpa(app: &App, svc: &Service, min: u32, flavor: Flavor) -> Y {
    object(
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        meta(&svc.name, svc_labels(app, svc, flavor)),
    )
    .with(
        "spec",
        Y::map()
            .with(
                "scaleTargetRef",
                Y::map()
                    .with("apiVersion", "apps/v1")
                    .with("kind", "Deployment")
                    .with("name", svc.name.as_str()),
            )
            .with("minReplicas", min)
            .with("maxReplicas", (min * 3).max(6))
            .with(
                "metrics",
                vec![
                    Y::map().with("type", "Resource").with(
                        "resource",
                        Y::map().with("name", "cpu").with(
                            "target",
                            Y::map()
                                .with("type", "Utilization")
                                .with("averageUtilization", 70),
                        ),
                    ),
                ],
            )
            .with(
                "behavior",
                Y::map().with(
                    "scaleDown",
                    Y::map().with("stabilizationWindowSeconds", 300),
                ),
            ),
    )
}

/// Replicas of a service in an environment.
pub fn replicas_in(svc: &Service, env: &str) -> u32 {
    if svc.stateful() || svc.singleton {
        return svc.replicas;
    }
    match env {
        // Two copies of anything behind a Service, so that a rollout in dev
        // behaves as it will in prod; one of a background worker.
        "dev" if svc.ports.is_empty() => 1,
        "dev" => 2,
        "prod" | "production" => svc.replicas.max(3),
        _ => svc.replicas,
    }
}

pub fn is_prod(env: &str) -> bool {
    env == "prod" || env == "production"
}

pub fn host(svc: &Service, env: &str, domain: &str) -> String {
    if is_prod(env) {
        format!("{}.{domain}", svc.name)
    } else {
        format!("{}.{env}.{domain}", svc.name)
    }
}

fn kustomization(kind: &str) -> Y {
    let api = if kind == "Component" {
        "kustomize.config.k8s.io/v1alpha1"
    } else {
        "kustomize.config.k8s.io/v1beta1"
    };
    Y::map().with("apiVersion", api).with("kind", kind)
}

/// The base, the components and the overlays.
pub fn write(app: &App, options: &Options, kit: &mut Kit) {
    let f = Flavor::Kustomize;
    let mut resources: Vec<Y> = Vec::new();
    for svc in &app.services {
        let mut docs = vec![service_account(app, svc, f)];
        docs.extend(config_maps(app, svc, f));
        docs.extend(service(app, svc, f));
        docs.push(workload(app, svc, f));
        if svc.replicas > 1 {
            docs.push(pdb(app, svc, f));
        }
        if svc.public
            && let Some(i) = ingress(app, svc, Y::from(host(svc, "prod", &options.domain)), f)
        {
            docs.push(i);
        }
        let file = format!("{}.yaml", svc.name);
        kit.add(format!("base/{file}"), yaml::stream(&docs));
        resources.push(Y::from(file));
    }
    let secrets = secrets(app, f);
    if !secrets.is_empty() {
        kit.add("base/secrets.yaml", yaml::stream(&secrets));
        resources.push(Y::from("secrets.yaml"));
    }
    kit.add(
        "base/kustomization.yaml",
        yaml::to_string(&kustomization("Kustomization").with("resources", resources)),
    );

    kit.add(
        "components/network-policy/network-policies.yaml",
        yaml::stream(&network_policies(app, f)),
    );
    kit.add(
        "components/network-policy/kustomization.yaml",
        yaml::to_string(
            &kustomization("Component").with("resources", vec!["network-policies.yaml"]),
        ),
    );
    kit.add(
        "components/hardening/limit-range.yaml",
        yaml::to_string(&limit_range(app, f)),
    );
    kit.add(
        "components/hardening/kustomization.yaml",
        yaml::to_string(&kustomization("Component").with("resources", vec!["limit-range.yaml"])),
    );
    let backups = crate::monitoring::backups(app, f);
    let mut components = vec![
        "../../components/hardening",
        "../../components/network-policy",
        "../../components/monitoring",
    ];
    if !backups.is_empty() {
        kit.add("components/backup/backup.yaml", yaml::stream(&backups));
        kit.add(
            "components/backup/kustomization.yaml",
            yaml::to_string(&kustomization("Component").with("resources", vec!["backup.yaml"])),
        );
        components.push("../../components/backup");
    }

    for env in &options.envs {
        let ns = format!("{}-{env}", app.project);
        let dir = format!("overlays/{env}");
        let mut k = kustomization("Kustomization")
            .with("namespace", ns.as_str())
            .with("resources", {
                let mut r = vec![Y::from("../../base"), Y::from("namespace.yaml")];
                if is_prod(env) {
                    r.push(Y::from("hpa.yaml"));
                }
                r
            })
            .with("components", components.clone())
            .with(
                "labels",
                vec![
                    Y::map()
                        .with(
                            "pairs",
                            Y::map().with("app.kubernetes.io/environment", env.as_str()),
                        )
                        .with("includeSelectors", false)
                        .with("includeTemplates", true),
                ],
            );
        k.set(
            "replicas",
            app.services
                .iter()
                .map(|s| {
                    Y::map()
                        .with("name", s.name.as_str())
                        .with("count", replicas_in(s, env))
                })
                .collect::<Vec<_>>(),
        );
        let mut images: Vec<(String, String)> = Vec::new();
        for s in &app.services {
            if !images.iter().any(|(n, _)| *n == s.image_name) {
                images.push((s.image_name.clone(), s.image_tag.clone()));
            }
        }
        k.set(
            "images",
            images
                .iter()
                .map(|(n, t)| Y::map().with("name", n.as_str()).with("newTag", t.as_str()))
                .collect::<Vec<_>>(),
        );
        let mut patches = Vec::new();
        for svc in &app.services {
            if let Some(patch) = resources_patch(svc, env) {
                let file = format!("resources-{}.yaml", svc.name);
                kit.add(format!("{dir}/{file}"), yaml::to_string(&patch));
                patches.push(Y::map().with("path", file));
            }
            if svc.public && svc.ports.iter().any(|p| !p.udp) {
                let h = host(svc, env, &options.domain);
                let ops = vec![
                    Y::map()
                        .with("op", "replace")
                        .with("path", "/spec/rules/0/host")
                        .with("value", h.as_str()),
                    Y::map()
                        .with("op", "replace")
                        .with("path", "/spec/tls/0/hosts/0")
                        .with("value", h.as_str()),
                ];
                patches.push(
                    Y::map()
                        .with(
                            "target",
                            Y::map()
                                .with("kind", "Ingress")
                                .with("name", svc.name.as_str()),
                        )
                        .with("patch", yaml::to_string(&Y::Seq(ops))),
                );
            }
        }
        if !patches.is_empty() {
            k.set("patches", patches);
        }
        kit.add(format!("{dir}/kustomization.yaml"), yaml::to_string(&k));
        kit.add(
            format!("{dir}/namespace.yaml"),
            yaml::to_string(&namespace(app, &ns)),
        );
        if is_prod(env) {
            let hpas: Vec<Y> = app
                .services
                .iter()
                .filter(|s| !s.stateful() && !s.singleton)
                .map(|s| hpa(app, s, replicas_in(s, env), f))
                .collect();
            kit.add(format!("{dir}/hpa.yaml"), yaml::stream(&hpas));
        }
    }
}

/// Resources per environment: dev requests less, prod requests all the
/// memory it may use, so that no pod is evicted under memory pressure
/// for exceeding its request.
pub fn env_resources(svc: &Service, env: &str) -> Option<Y> {
    let mut r = resources(svc);
    match env {
        "dev" => {
            let cpu = halve_cpu(&svc.resources.cpu_request)?;
            r.path_mut(&["requests"])?.set("cpu", cpu);
        }
        e if is_prod(e) => {
            if svc.resources.memory_request == svc.resources.memory_limit {
                return None;
            }
            r.path_mut(&["requests"])?
                .set("memory", svc.resources.memory_limit.as_str());
        }
        _ => return None,
    }
    Some(r)
}

fn halve_cpu(cpu: &str) -> Option<String> {
    let m: u64 = cpu.strip_suffix('m')?.parse().ok()?;
    let half = (m / 2).max(10);
    (half != m).then(|| format!("{half}m"))
}

fn resources_patch(svc: &Service, env: &str) -> Option<Y> {
    let r = env_resources(svc, env)?;
    Some(
        Y::map()
            .with("apiVersion", "apps/v1")
            .with("kind", svc.kind())
            .with("metadata", Y::map().with("name", svc.name.as_str()))
            .with(
                "spec",
                Y::map().with(
                    "template",
                    Y::map().with(
                        "spec",
                        Y::map().with(
                            "containers",
                            vec![
                                Y::map()
                                    .with("name", svc.name.as_str())
                                    .with("resources", r),
                            ],
                        ),
                    ),
                ),
            ),
    )
}

/// Services whose role makes them worth an alert on their HTTP traffic.
pub fn http_services(app: &App) -> Vec<&Service> {
    app.services.iter().filter(|s| s.http()).collect()
}
