//! Monitoring (ServiceMonitors, alerting rules, a Grafana dashboard) and
//! backups (a pg_dump CronJob per PostgreSQL service), as components an
//! overlay can leave out.

use crate::Kit;
use crate::compose::{App, EnvValue, Service};
use crate::kit::{self, Flavor, MONITORING_NAMESPACE};
use crate::yaml::{self, Y};

fn object(api: &str, kind: &str, name: &str, labels: Y) -> Y {
    Y::map().with("apiVersion", api).with("kind", kind).with(
        "metadata",
        Y::map().with("name", name).with("labels", labels),
    )
}

fn alternatives(names: &[&str]) -> String {
    names.join("|")
}

pub fn service_monitors(app: &App, flavor: Flavor) -> Vec<Y> {
    kit::http_services(app)
        .into_iter()
        .map(|svc| {
            let port = svc
                .ports
                .iter()
                .find(|p| !p.udp)
                .map_or("http", |p| p.name.as_str());
            object(
                "monitoring.coreos.com/v1",
                "ServiceMonitor",
                &svc.name,
                kit::svc_labels(app, svc, flavor),
            )
            .with(
                "spec",
                Y::map()
                    .with(
                        "selector",
                        Y::map().with("matchLabels", kit::selector(app, &svc.name)),
                    )
                    .with(
                        "endpoints",
                        vec![
                            Y::map()
                                .with("port", port)
                                .with("path", "/metrics")
                                .with("interval", "30s"),
                        ],
                    ),
            )
        })
        .collect()
}

fn alert(name: &str, expr: String, duration: &str, severity: &str, summary: &str) -> Y {
    Y::map()
        .with("alert", name)
        .with("expr", expr)
        .with("for", duration)
        .with("labels", Y::map().with("severity", severity))
        .with("annotations", Y::map().with("summary", summary))
}

/// Alert name prefix: the project in CamelCase.
fn prefix(app: &App) -> String {
    app.project
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The rule groups, as Prometheus reads them.
pub fn rule_groups(app: &App) -> Vec<Y> {
    let p = prefix(app);
    let mut rules = Vec::new();
    let deployments: Vec<&str> = app
        .services
        .iter()
        .filter(|s| !s.stateful())
        .map(|s| s.name.as_str())
        .collect();
    let statefulsets: Vec<&str> = app
        .services
        .iter()
        .filter(|s| s.stateful())
        .map(|s| s.name.as_str())
        .collect();
    if !deployments.is_empty() {
        rules.push(alert(
            &format!("{p}DeploymentUnavailable"),
            format!(
                "kube_deployment_status_replicas_available{{deployment=~\"{0}\"}}\n  < kube_deployment_spec_replicas{{deployment=~\"{0}\"}}",
                alternatives(&deployments)
            ),
            "15m",
            "warning",
            "{{ $labels.namespace }}/{{ $labels.deployment }} runs fewer available replicas than it asks for",
        ));
    }
    if !statefulsets.is_empty() {
        rules.push(alert(
            &format!("{p}StatefulSetUnavailable"),
            format!(
                "kube_statefulset_status_replicas_ready{{statefulset=~\"{0}\"}}\n  < kube_statefulset_replicas{{statefulset=~\"{0}\"}}",
                alternatives(&statefulsets)
            ),
            "10m",
            "critical",
            "{{ $labels.namespace }}/{{ $labels.statefulset }} has replicas that are not ready",
        ));
    }
    let http: Vec<&str> = kit::http_services(app)
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    if !http.is_empty() {
        let jobs = alternatives(&http);
        rules.push(alert(
            &format!("{p}TargetDown"),
            format!("avg by (namespace, job) (up{{job=~\"{jobs}\"}}) < 1"),
            "5m",
            "warning",
            "Prometheus cannot scrape every pod of {{ $labels.namespace }}/{{ $labels.job }}",
        ));
        rules.push(alert(
            &format!("{p}HighErrorRate"),
            format!(
                "sum by (namespace, job) (rate(http_requests_total{{job=~\"{jobs}\", code=~\"5..\"}}[5m]))\n  / sum by (namespace, job) (rate(http_requests_total{{job=~\"{jobs}\"}}[5m]))\n  > 0.05"
            ),
            "10m",
            "critical",
            "More than 5% of the requests to {{ $labels.namespace }}/{{ $labels.job }} fail",
        ));
        rules.push(alert(
            &format!("{p}HighLatencyP95"),
            format!(
                "histogram_quantile(0.95,\n  sum by (namespace, job, le) (rate(http_request_duration_seconds_bucket{{job=~\"{jobs}\"}}[5m])))\n  > 0.5"
            ),
            "10m",
            "warning",
            "The 95th percentile latency of {{ $labels.namespace }}/{{ $labels.job }} is above 500ms",
        ));
    }
    let containers: Vec<&str> = app.services.iter().map(|s| s.name.as_str()).collect();
    rules.push(alert(
        &format!("{p}ContainerRestarting"),
        format!(
            "increase(kube_pod_container_status_restarts_total{{container=~\"{}\"}}[1h]) > 3",
            alternatives(&containers)
        ),
        "0m",
        "warning",
        "{{ $labels.namespace }}/{{ $labels.pod }} restarted more than 3 times in an hour",
    ));
    let claims: Vec<String> = app
        .services
        .iter()
        .flat_map(|s| {
            s.claims
                .iter()
                .map(move |c| format!("{}-{}-[0-9]+", c.name, s.name))
        })
        .chain(
            app.services
                .iter()
                .filter(|s| s.postgres)
                .map(|s| format!("{}-backup", s.name)),
        )
        .collect();
    if !claims.is_empty() {
        let claims = claims.join("|");
        rules.push(alert(
            &format!("{p}VolumeFillingUp"),
            format!(
                "kubelet_volume_stats_used_bytes{{persistentvolumeclaim=~\"{claims}\"}}\n  / kubelet_volume_stats_capacity_bytes{{persistentvolumeclaim=~\"{claims}\"}}\n  > 0.8"
            ),
            "15m",
            "warning",
            "Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is more than 80% full",
        ));
    }
    vec![
        Y::map()
            .with("name", app.project.as_str())
            .with("rules", rules),
    ]
}

pub fn prometheus_rule(app: &App, flavor: Flavor) -> Y {
    object(
        "monitoring.coreos.com/v1",
        "PrometheusRule",
        &app.project,
        kit::labels(app, &app.project, "monitoring", flavor),
    )
    .with("spec", Y::map().with("groups", rule_groups(app)))
}

fn panel(
    id: u32,
    title: &str,
    exprs: &[(&str, String)],
    unit: &str,
    y: u32,
    x: u32,
) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "title": title,
        "type": "timeseries",
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": exprs.iter().enumerate().map(|(i, (legend, expr))| serde_json::json!({
            "refId": ((b'A' + i as u8) as char).to_string(),
            "expr": expr,
            "legendFormat": legend,
        })).collect::<Vec<_>>(),
    })
}

pub fn dashboard_json(app: &App) -> String {
    let http: Vec<&str> = kit::http_services(app)
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    let jobs = alternatives(&http);
    let containers: Vec<&str> = app.services.iter().map(|s| s.name.as_str()).collect();
    let containers = alternatives(&containers);
    let ns = "namespace=\\\"$namespace\\\"";
    let ns = ns.replace("\\\"", "\"");
    let mut panels = Vec::new();
    if !http.is_empty() {
        panels.push(panel(
            1,
            "Requests per second",
            &[(
                "{{job}}",
                format!("sum by (job) (rate(http_requests_total{{{ns}, job=~\"{jobs}\"}}[5m]))"),
            )],
            "reqps",
            0,
            0,
        ));
        panels.push(panel(2, "Error ratio (5xx)", &[("{{job}}", format!("sum by (job) (rate(http_requests_total{{{ns}, job=~\"{jobs}\", code=~\"5..\"}}[5m])) / sum by (job) (rate(http_requests_total{{{ns}, job=~\"{jobs}\"}}[5m]))"))], "percentunit", 0, 12));
        panels.push(panel(3, "Latency p95", &[("{{job}}", format!("histogram_quantile(0.95, sum by (job, le) (rate(http_request_duration_seconds_bucket{{{ns}, job=~\"{jobs}\"}}[5m])))"))], "s", 8, 0));
    }
    panels.push(panel(4, "Container restarts (1h)", &[("{{pod}}", format!("increase(kube_pod_container_status_restarts_total{{{ns}, container=~\"{containers}\"}}[1h])"))], "short", 8, 12));
    panels.push(panel(5, "Memory working set", &[("{{pod}}", format!("sum by (pod) (container_memory_working_set_bytes{{{ns}, container=~\"{containers}\"}})"))], "bytes", 16, 0));
    panels.push(panel(6, "Volume usage", &[("{{persistentvolumeclaim}}", format!("kubelet_volume_stats_used_bytes{{{ns}}} / kubelet_volume_stats_capacity_bytes{{{ns}}}"))], "percentunit", 16, 12));
    let dashboard = serde_json::json!({
        "title": app.project,
        "uid": format!("{}-overview", app.project),
        "schemaVersion": 39,
        "editable": true,
        "time": {"from": "now-6h", "to": "now"},
        "tags": ["shipgate", app.project],
        "templating": {"list": [
            {"name": "datasource", "type": "datasource", "query": "prometheus"},
            {"name": "namespace", "type": "query", "datasource": {"type": "prometheus", "uid": "${datasource}"},
             "query": format!("label_values(kube_pod_info{{pod=~\"({containers})-.*\"}}, namespace)"), "refresh": 2}
        ]},
        "panels": panels,
    });
    let mut text = serde_json::to_string_pretty(&dashboard).unwrap_or_default();
    text.push('\n');
    text
}

pub fn dashboard(app: &App, flavor: Flavor) -> Y {
    let mut labels = kit::labels(
        app,
        &format!("{}-dashboard", app.project),
        "monitoring",
        flavor,
    );
    // The Grafana sidecar loads ConfigMaps carrying this label.
    labels.set("grafana_dashboard", "1");
    object(
        "v1",
        "ConfigMap",
        &format!("{}-dashboard", app.project),
        labels,
    )
    .with(
        "data",
        Y::map().with(&format!("{}.json", app.project), dashboard_json(app)),
    )
}

pub fn scrape_policy(app: &App, flavor: Flavor) -> Option<Y> {
    let http = kit::http_services(app);
    if http.is_empty() {
        return None;
    }
    let names: Vec<&str> = http.iter().map(|s| s.name.as_str()).collect();
    let ports: Vec<Y> = http
        .iter()
        .filter_map(|s| s.ports.iter().find(|p| !p.udp))
        .map(|p| Y::map().with("protocol", "TCP").with("port", p.port))
        .fold(Vec::new(), |mut acc, p| {
            if !acc.contains(&p) {
                acc.push(p);
            }
            acc
        });
    Some(
        object(
            "networking.k8s.io/v1",
            "NetworkPolicy",
            "allow-prometheus",
            kit::labels(app, "allow-prometheus", "monitoring", flavor),
        )
        .with(
            "spec",
            Y::map()
                .with(
                    "podSelector",
                    Y::map().with(
                        "matchExpressions",
                        vec![
                            Y::map()
                                .with("key", "app.kubernetes.io/name")
                                .with("operator", "In")
                                .with("values", names),
                        ],
                    ),
                )
                .with("policyTypes", vec!["Ingress"])
                .with(
                    "ingress",
                    vec![
                        Y::map()
                            .with(
                                "from",
                                vec![Y::map().with(
                                    "namespaceSelector",
                                    Y::map().with(
                                        "matchLabels",
                                        Y::map().with(
                                            "kubernetes.io/metadata.name",
                                            MONITORING_NAMESPACE,
                                        ),
                                    ),
                                )],
                            )
                            .with("ports", ports),
                    ],
                ),
        ),
    )
}

pub fn write(app: &App, kit_files: &mut Kit) {
    let f = Flavor::Kustomize;
    let mut docs = service_monitors(app, f);
    docs.push(prometheus_rule(app, f));
    docs.extend(scrape_policy(app, f));
    kit_files.add("components/monitoring/monitoring.yaml", yaml::stream(&docs));
    kit_files.add(
        "components/monitoring/dashboard.yaml",
        yaml::to_string(&dashboard(app, f)),
    );
    kit_files.add(
        "components/monitoring/kustomization.yaml",
        yaml::to_string(
            &Y::map()
                .with("apiVersion", "kustomize.config.k8s.io/v1alpha1")
                .with("kind", "Component")
                .with("resources", vec!["monitoring.yaml", "dashboard.yaml"]),
        ),
    );
}

/// How the backup job reaches a variable of the database's environment.
fn env_from(app: &App, svc: &Service, var: &str, fallback: &str, as_name: &str) -> Y {
    match svc.env.iter().find(|(n, _)| n == var).map(|(_, v)| v) {
        Some(EnvValue::Secret(key)) => Y::map().with("name", as_name).with(
            "valueFrom",
            Y::map().with(
                "secretKeyRef",
                Y::map()
                    .with("name", kit::secret_name(app))
                    .with("key", key.as_str()),
            ),
        ),
        Some(EnvValue::Plain(v)) if !v.is_empty() => {
            Y::map().with("name", as_name).with("value", v.as_str())
        }
        _ => Y::map().with("name", as_name).with("value", fallback),
    }
}

/// A nightly pg_dump of each PostgreSQL service to its own volume, a week
/// kept, with the same hardening as the services.
pub fn backups(app: &App, flavor: Flavor) -> Vec<Y> {
    let mut out = Vec::new();
    for svc in app.services.iter().filter(|s| s.postgres) {
        let name = format!("{}-backup", svc.name);
        let labels = kit::labels(app, &name, "backup", flavor);
        let port = svc.ports.first().map_or(5432, |p| p.port);
        let user = svc
            .env
            .iter()
            .find(|(n, _)| n == "POSTGRES_USER")
            .and_then(|(_, v)| match v {
                EnvValue::Plain(u) if !u.is_empty() => Some(u.as_str()),
                _ => None,
            })
            .unwrap_or("postgres");
        let mut env = vec![
            Y::map()
                .with("name", "PGHOST")
                .with("value", svc.name.as_str()),
            Y::map()
                .with("name", "PGPORT")
                .with("value", port.to_string()),
            env_from(app, svc, "POSTGRES_USER", "postgres", "PGUSER"),
            env_from(app, svc, "POSTGRES_DB", user, "PGDATABASE"),
        ];
        let password = env_from(app, svc, "POSTGRES_PASSWORD", "", "PGPASSWORD");
        if password.get("valueFrom").is_some() {
            env.push(password);
        }
        let container = Y::map()
            .with("name", "pg-dump")
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
            .with("imagePullPolicy", "IfNotPresent")
            .with(
                "command",
                vec![
                    "/bin/sh",
                    "-c",
                    "set -eu\nfile=\"/backup/$(date -u +%Y%m%dT%H%M%SZ).dump\"\npg_dump --format=custom --file=\"$file.partial\"\nmv \"$file.partial\" \"$file\"\nfind /backup -name '*.dump' -mtime +7 -delete\n",
                ],
            )
            .with("env", env)
            .with(
                "resources",
                Y::map()
                    .with("requests", Y::map().with("cpu", "100m").with("memory", "256Mi"))
                    .with("limits", Y::map().with("memory", "512Mi")),
            )
            .with("securityContext", kit::container_security(svc.uid, svc.gid))
            .with(
                "volumeMounts",
                vec![
                    Y::map().with("name", "backup").with("mountPath", "/backup"),
                    Y::map().with("name", "tmp").with("mountPath", "/tmp"),
                ],
            );
        let pod = Y::map()
            .with("serviceAccountName", name.as_str())
            .with("automountServiceAccountToken", false)
            .with("enableServiceLinks", false)
            .with("restartPolicy", "OnFailure")
            .with("securityContext", kit::pod_security(svc.uid, svc.gid))
            .with("containers", vec![container])
            .with(
                "volumes",
                vec![
                    Y::map().with("name", "backup").with(
                        "persistentVolumeClaim",
                        Y::map().with("claimName", name.as_str()),
                    ),
                    Y::map()
                        .with("name", "tmp")
                        .with("emptyDir", Y::map().with("sizeLimit", "256Mi")),
                ],
            );
        out.push(
            object("v1", "ServiceAccount", &name, labels.clone())
                .with("automountServiceAccountToken", false),
        );
        out.push(
            object("v1", "PersistentVolumeClaim", &name, labels.clone()).with(
                "spec",
                Y::map().with("accessModes", vec!["ReadWriteOnce"]).with(
                    "resources",
                    Y::map().with("requests", Y::map().with("storage", "20Gi")),
                ),
            ),
        );
        out.push(
            object("batch/v1", "CronJob", &name, labels.clone()).with(
                "spec",
                Y::map()
                    .with("schedule", "17 2 * * *")
                    .with("timeZone", "Etc/UTC")
                    .with("concurrencyPolicy", "Forbid")
                    .with("startingDeadlineSeconds", 3600)
                    .with("successfulJobsHistoryLimit", 3)
                    .with("failedJobsHistoryLimit", 3)
                    .with(
                        "jobTemplate",
                        Y::map().with(
                            "spec",
                            Y::map()
                                .with("backoffLimit", 2)
                                .with("activeDeadlineSeconds", 3600)
                                .with(
                                    "template",
                                    Y::map()
                                        .with("metadata", Y::map().with("labels", labels.clone()))
                                        .with("spec", pod),
                                ),
                        ),
                    ),
            ),
        );
        let tcp = Y::map().with("protocol", "TCP").with("port", port);
        out.push(
            object(
                "networking.k8s.io/v1",
                "NetworkPolicy",
                &name,
                labels.clone(),
            )
            .with(
                "spec",
                Y::map()
                    .with(
                        "podSelector",
                        Y::map().with("matchLabels", kit::selector(app, &name)),
                    )
                    .with("policyTypes", vec!["Ingress", "Egress"])
                    .with(
                        "egress",
                        vec![
                            Y::map()
                                .with(
                                    "to",
                                    vec![Y::map().with(
                                        "podSelector",
                                        Y::map().with("matchLabels", kit::selector(app, &svc.name)),
                                    )],
                                )
                                .with("ports", vec![tcp.clone()]),
                        ],
                    ),
            ),
        );
        out.push(
            object(
                "networking.k8s.io/v1",
                "NetworkPolicy",
                &format!("{}-allow-backup", svc.name),
                labels,
            )
            .with(
                "spec",
                Y::map()
                    .with(
                        "podSelector",
                        Y::map().with("matchLabels", kit::selector(app, &svc.name)),
                    )
                    .with("policyTypes", vec!["Ingress"])
                    .with(
                        "ingress",
                        vec![
                            Y::map()
                                .with(
                                    "from",
                                    vec![Y::map().with(
                                        "podSelector",
                                        Y::map().with("matchLabels", kit::selector(app, &name)),
                                    )],
                                )
                                .with("ports", vec![tcp]),
                        ],
                    ),
            ),
        );
    }
    out
}
