//! The Helm chart: the kit's objects with what an environment changes
//! (replicas, images, resources, Ingress hosts, autoscaling, components)
//! taken from values, a values file per environment, and a schema for them.

use serde_json::{Value, json};

use crate::compose::App;
use crate::kit::{self, Flavor};
use crate::monitoring;
use crate::yaml::{self, Y};
use crate::{Kit, Options};

/// Template text of a chart file: documents, some behind a condition.
struct Template(String);

impl Template {
    fn new() -> Self {
        Template(String::new())
    }

    fn doc(&mut self, doc: &Y) {
        self.0.push_str("---\n");
        self.0.push_str(&yaml::to_string(doc));
    }

    fn when(&mut self, condition: &str, docs: &[Y]) {
        if docs.is_empty() {
            return;
        }
        self.0.push_str(&format!("{{{{- if {condition} }}}}\n"));
        for doc in docs {
            self.doc(doc);
        }
        self.0.push_str("{{- end }}\n");
    }
}

/// Prometheus' own `{{ $labels.x }}` must reach Prometheus untouched: each
/// `{{`/`}}` pair becomes a Go template raw string that prints it.
fn escape_templates(y: &mut Y) {
    match y {
        Y::Str(s) if s.contains("{{") => {
            *s = s.replace("{{", "{{`{{").replace("}}", "}}`}}");
        }
        Y::Seq(items) => items.iter_mut().for_each(escape_templates),
        Y::Map(entries) => entries.iter_mut().for_each(|(_, v)| escape_templates(v)),
        _ => {}
    }
}

fn service_values(app: &App, options: &Options, env: Option<&str>) -> Value {
    let mut services = serde_json::Map::new();
    for svc in &app.services {
        let replicas = env.map_or(svc.replicas, |e| kit::replicas_in(svc, e));
        let resources = env
            .and_then(|e| kit::env_resources(svc, e))
            .unwrap_or_else(|| kit::resources(svc));
        let mut entry = json!({
            "replicas": replicas,
            "image": {"repository": svc.image_name, "tag": svc.image_tag},
            "resources": to_json(&resources),
        });
        if svc.public && svc.ports.iter().any(|p| !p.udp) {
            entry["ingress"] = json!({
                "host": kit::host(svc, env.unwrap_or("prod"), &options.domain)
            });
        }
        services.insert(svc.name.clone(), entry);
    }
    Value::Object(services)
}

fn to_json(y: &Y) -> Value {
    match y {
        Y::Null => Value::Null,
        Y::Bool(b) => json!(b),
        Y::Int(n) => json!(n),
        Y::Str(s) | Y::Tpl(s) | Y::Block(s) => json!(s),
        Y::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        Y::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
    }
}

fn to_yaml(value: &Value) -> Y {
    match value {
        Value::Null => Y::Null,
        Value::Bool(b) => Y::Bool(*b),
        Value::Number(n) => Y::Int(n.as_i64().unwrap_or_default()),
        Value::String(s) => Y::Str(s.clone()),
        Value::Array(items) => Y::Seq(items.iter().map(to_yaml).collect()),
        Value::Object(map) => Y::Map(map.iter().map(|(k, v)| (k.clone(), to_yaml(v))).collect()),
    }
}

/// Values in a fixed order: the services as the Compose file lists them.
fn values_doc(app: &App, options: &Options, env: Option<&str>) -> Y {
    let services = service_values(app, options, env);
    let mut ordered = Y::map();
    for svc in &app.services {
        ordered.set(&svc.name, to_yaml(&services[&svc.name]));
    }
    Y::map()
        .with("services", ordered)
        .with(
            "autoscaling",
            Y::map().with("enabled", env.is_some_and(kit::is_prod)),
        )
        .with("networkPolicy", Y::map().with("enabled", true))
        .with("monitoring", Y::map().with("enabled", true))
        .with("backup", Y::map().with("enabled", true))
        .with("commonAnnotations", Y::map())
}

fn schema(app: &App) -> Value {
    let quantity = json!({"anyOf": [{"type": "string"}, {"type": "integer"}]});
    let resources = json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "requests": {"type": "object", "additionalProperties": quantity},
            "limits": {"type": "object", "additionalProperties": quantity}
        }
    });
    let mut services = serde_json::Map::new();
    for svc in &app.services {
        let mut properties = json!({
            "replicas": {"type": "integer", "minimum": 1},
            "image": {
                "type": "object",
                "additionalProperties": false,
                "required": ["repository", "tag"],
                "properties": {
                    "repository": {"type": "string", "minLength": 1},
                    "tag": {"type": "string", "minLength": 1}
                }
            },
            "resources": resources,
        });
        let mut required = vec!["replicas", "image", "resources"];
        if svc.public && svc.ports.iter().any(|p| !p.udp) {
            properties["ingress"] = json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["host"],
                "properties": {"host": {"type": "string", "minLength": 1}}
            });
            required.push("ingress");
        }
        services.insert(
            svc.name.clone(),
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": required,
                "properties": properties
            }),
        );
    }
    let toggle = json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {"enabled": {"type": "boolean"}}
    });
    json!({
        "$schema": "https://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": false,
        "required": ["services"],
        "properties": {
            "services": {
                "type": "object",
                "additionalProperties": false,
                "properties": services
            },
            "autoscaling": toggle,
            "networkPolicy": toggle,
            "monitoring": toggle,
            "backup": toggle,
            "commonAnnotations": {"type": "object", "additionalProperties": {"type": "string"}}
        }
    })
}

pub fn write(app: &App, options: &Options, kit_files: &mut Kit) {
    let f = Flavor::Helm;
    let app_version = app
        .services
        .first()
        .map(|s| s.image_tag.clone())
        .unwrap_or_else(|| "0.1.0".into());
    kit_files.add(
        "chart/Chart.yaml",
        yaml::to_string(
            &Y::map()
                .with("apiVersion", "v2")
                .with("name", app.project.as_str())
                .with(
                    "description",
                    format!("{}, generated from its Compose file", app.project),
                )
                .with("type", "application")
                .with("version", "0.1.0")
                .with("appVersion", app_version),
        ),
    );
    kit_files.add(
        "chart/values.yaml",
        yaml::to_string(&values_doc(app, options, None)),
    );
    for env in &options.envs {
        kit_files.add(
            format!("chart/values-{env}.yaml"),
            yaml::to_string(&values_doc(app, options, Some(env))),
        );
    }
    let mut schema_text = serde_json::to_string_pretty(&schema(app)).unwrap_or_default();
    schema_text.push('\n');
    kit_files.add("chart/values.schema.json", schema_text);
    kit_files.add(
        "chart/.helmignore",
        "# Files helm package leaves out.\n.git/\n*.swp\n*.bak\n*.tmp\n",
    );

    for svc in &app.services {
        let values = |field: &str| f.values(svc, field);
        let mut t = Template::new();
        t.doc(&kit::service_account(app, svc, f));
        for cm in kit::config_maps(app, svc, f) {
            t.doc(&cm);
        }
        if let Some(s) = kit::service(app, svc, f) {
            t.doc(&s);
        }
        t.doc(&kit::workload(app, svc, f));
        t.when(
            &format!("gt (int {}) 1", values("replicas")),
            &[kit::pdb(app, svc, f)],
        );
        if svc.public
            && let Some(ingress) = kit::ingress(
                app,
                svc,
                Y::Tpl(format!("{{{{ {}.host | quote }}}}", values("ingress"))),
                f,
            )
        {
            t.doc(&ingress);
        }
        if !svc.stateful() && !svc.singleton {
            let mut hpa = kit::hpa(app, svc, 2, f);
            if let Some(spec) = hpa.get_mut("spec") {
                spec.set(
                    "minReplicas",
                    Y::Tpl(format!("{{{{ {} }}}}", values("replicas"))),
                );
                spec.set(
                    "maxReplicas",
                    Y::Tpl(format!(
                        "{{{{ max 6 (mul 3 (int {})) }}}}",
                        values("replicas")
                    )),
                );
            }
            t.when(".Values.autoscaling.enabled", &[hpa]);
        }
        kit_files.add(format!("chart/templates/{}.yaml", svc.name), t.0);
    }
    let secrets = kit::secrets(app, f);
    if !secrets.is_empty() {
        let mut t = Template::new();
        for s in &secrets {
            t.doc(s);
        }
        kit_files.add("chart/templates/secrets.yaml", t.0);
    }
    let mut t = Template::new();
    t.doc(&kit::limit_range(app, f));
    kit_files.add("chart/templates/limit-range.yaml", t.0);
    let mut t = Template::new();
    t.when(
        ".Values.networkPolicy.enabled",
        &kit::network_policies(app, f),
    );
    kit_files.add("chart/templates/network-policies.yaml", t.0);

    let mut docs = monitoring::service_monitors(app, f);
    let mut rule = monitoring::prometheus_rule(app, f);
    if let Some(spec) = rule.get_mut("spec") {
        escape_templates(spec);
    }
    docs.push(rule);
    docs.extend(monitoring::scrape_policy(app, f));
    let mut dashboard = monitoring::dashboard(app, f);
    let file = format!("dashboards/{}.json", app.project);
    dashboard.set(
        "data",
        Y::map().with(
            &format!("{}.json", app.project),
            Y::Tpl(format!("{{{{ .Files.Get {file:?} | toJson }}}}")),
        ),
    );
    docs.push(dashboard);
    let mut t = Template::new();
    t.when(".Values.monitoring.enabled", &docs);
    kit_files.add("chart/templates/monitoring.yaml", t.0);
    kit_files.add(format!("chart/{file}"), monitoring::dashboard_json(app));

    let backups = monitoring::backups(app, f);
    if !backups.is_empty() {
        let mut t = Template::new();
        t.when(".Values.backup.enabled", &backups);
        kit_files.add("chart/templates/backup.yaml", t.0);
    }
    kit_files.add(
        "chart/templates/NOTES.txt",
        format!(
            "{} is deployed to {{{{ .Release.Namespace }}}}.\nFill the Secrets before the services can start; see NOTES.md beside the chart.\n",
            app.project
        ),
    );
}
