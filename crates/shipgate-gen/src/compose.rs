//! The Compose file, read into what a Kubernetes kit needs to know about
//! each service. Everything the kit cannot carry over is recorded as a note
//! on its service, so nothing is dropped without a word.

use std::collections::{BTreeMap, BTreeSet};

use shipgate_core::SourceSpan;
use shipgate_rules::compose::interpolate::{self, Op};
use shipgate_rules::compose::{self as model, Compose, ImageRef, MountKind};
use shipgate_syntax::yaml::{self, Limits, NodeRef, Schema};

use crate::{Diagnostic, Options};

/// The UID and GID a container runs as when Compose does not say.
pub const DEFAULT_UID: u32 = 10001;

#[derive(Debug, Clone)]
pub struct App {
    /// The project: Compose's `name`, else the source file's folder.
    pub project: String,
    pub services: Vec<Service>,
    /// Keys of the shared Secret: variables the Compose file leaves to the
    /// deployer that hold credentials, and literal credentials not copied.
    pub secret_keys: BTreeSet<String>,
    /// Files the Compose file mounts as secrets: (Secret name, key).
    pub file_secrets: BTreeMap<String, String>,
    /// Notes about the whole file.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Database,
    Cache,
    Queue,
    Server,
    Worker,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Database => "database",
            Role::Cache => "cache",
            Role::Queue => "queue",
            Role::Server => "server",
            Role::Worker => "worker",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvValue {
    /// Goes into the service's ConfigMap.
    Plain(String),
    /// A key of the shared Secret.
    Secret(String),
    /// A value with `$(KEY)` references to keys of the shared Secret.
    Composite(String, Vec<String>),
}

#[derive(Debug, Clone)]
pub struct Port {
    pub port: u16,
    pub name: String,
    pub udp: bool,
}

#[derive(Debug, Clone)]
pub struct Claim {
    pub name: String,
    pub mount: String,
    pub size: String,
}

#[derive(Debug, Clone)]
pub struct FileMount {
    /// ConfigMap or Secret name.
    pub source: String,
    /// The content of a ConfigMap key; Secrets are left to fill.
    pub content: String,
    pub key: String,
    pub mount: String,
    pub secret: bool,
}

#[derive(Debug, Clone)]
pub struct Health {
    pub command: Vec<String>,
    pub interval: u32,
    pub timeout: u32,
    pub retries: u32,
    pub start_period: u32,
}

#[derive(Debug, Clone)]
pub struct Resources {
    pub cpu_request: String,
    pub memory_request: String,
    pub memory_limit: String,
    pub cpu_limit: Option<String>,
    /// Whether the values are defaults rather than the Compose file's.
    pub defaulted: bool,
}

#[derive(Debug, Clone)]
pub struct Service {
    /// The Kubernetes name (DNS-1123).
    pub name: String,
    /// The name in the Compose file.
    pub compose_name: String,
    pub image_name: String,
    pub image_tag: String,
    pub command: Option<Vec<String>>,
    pub args: Option<Vec<String>>,
    pub working_dir: Option<String>,
    pub env: Vec<(String, EnvValue)>,
    pub ports: Vec<Port>,
    pub claims: Vec<Claim>,
    /// Paths the container writes to, each an emptyDir.
    pub writable: Vec<String>,
    pub files: Vec<FileMount>,
    pub uid: u32,
    pub gid: u32,
    pub health: Option<Health>,
    pub resources: Resources,
    pub replicas: u32,
    pub depends_on: Vec<String>,
    /// User-defined networks the service joins.
    pub networks: Vec<String>,
    pub public: bool,
    pub role: Role,
    /// Two copies must never run at once (a scheduler): one replica,
    /// replaced by `Recreate`, never autoscaled.
    pub singleton: bool,
    /// The healthcheck speaks HTTP, so the first port is taken for HTTP.
    pub speaks_http: bool,
    pub postgres: bool,
    pub grace: Option<u32>,
    /// What the kit could not carry over, or decided on its own.
    pub notes: Vec<String>,
}

impl Service {
    pub fn stateful(&self) -> bool {
        !self.claims.is_empty()
    }

    pub fn kind(&self) -> &'static str {
        if self.stateful() {
            "StatefulSet"
        } else {
            "Deployment"
        }
    }

    pub fn image(&self) -> String {
        format!("{}:{}", self.image_name, self.image_tag)
    }

    /// The ConfigMap of plain environment variables, if there are any.
    pub fn has_config(&self) -> bool {
        self.env
            .iter()
            .any(|(n, v)| config_key(n) && matches!(v, EnvValue::Plain(_)))
    }

    /// Whether HTTP metrics may be scraped from it: a server of our own,
    /// not a datastore speaking its own protocol.
    pub fn http(&self) -> bool {
        self.role == Role::Server && self.ports.iter().any(|p| p.name == "http")
    }
}

/// Whether a variable's name can be a ConfigMap key; other names are set
/// on the container directly.
pub fn config_key(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Ports HTTP servers commonly listen on.
const HTTP_PORTS: &[u16] = &[
    80, 443, 3000, 4000, 5000, 8000, 8008, 8080, 8081, 8443, 8888, 9000, 9090,
];

fn diag(options: &Options, span: SourceSpan, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        path: options.source.clone(),
        line: span.start.line.max(1),
        column: span.start.column.max(1),
        message: message.into(),
    }
}

/// A DNS-1123 label from a Compose name.
pub fn dns_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.truncate(50);
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() { "app".into() } else { out }
}

pub fn read(
    text: &str,
    options: &Options,
    read_file: &dyn Fn(&str) -> Option<String>,
) -> Result<App, Diagnostic> {
    let stream = yaml::parse(text, Schema::Yaml12, Limits::default());
    if let Some(error) = stream.errors.first() {
        return Err(diag(options, error.span, error.message.clone()));
    }
    let origin = SourceSpan::line(1);
    let root = stream
        .root(0)
        .ok_or_else(|| diag(options, origin, "the Compose file is empty"))?;
    if stream.documents.len() > 1 {
        let span = stream.documents[1].span;
        return Err(diag(
            options,
            span,
            "a Compose file holds one YAML document; this is a second one",
        ));
    }
    let compose = Compose::new(root).ok_or_else(|| {
        diag(
            options,
            root.span(),
            "a Compose file is a mapping with a `services` key",
        )
    })?;
    let services_node = root.get("services").ok_or_else(|| {
        diag(
            options,
            root.span(),
            "the Compose file has no `services` section",
        )
    })?;
    if !services_node.is_map() {
        return Err(diag(
            options,
            services_node.span(),
            "`services` must be a mapping of service names to services",
        ));
    }
    for (key, value) in services_node.entries() {
        let name = key.as_text().unwrap_or("");
        if !name.starts_with("x-") && !value.is_map() {
            return Err(diag(
                options,
                value.span(),
                format!("service `{name}` must be a mapping"),
            ));
        }
    }
    if compose.services.is_empty() {
        return Err(diag(
            options,
            services_node.span(),
            "the Compose file defines no service",
        ));
    }
    let project = compose
        .name
        .and_then(model::value_when_unset)
        .map(|n| dns_name(&n))
        .unwrap_or_else(|| {
            let parent = std::path::Path::new(&options.source)
                .parent()
                .and_then(|p| p.file_name())
                .and_then(|n| n.to_str())
                .unwrap_or("app");
            dns_name(parent)
        });
    let mut app = App {
        project,
        services: Vec::new(),
        secret_keys: BTreeSet::new(),
        file_secrets: BTreeMap::new(),
        notes: Vec::new(),
    };
    for (key, _) in root.entries() {
        match key.as_text() {
            Some("services" | "volumes" | "networks" | "secrets" | "configs" | "name") => {}
            Some("version") => {}
            Some(other) if other.starts_with("x-") => {}
            Some(other) => app
                .notes
                .push(format!("top-level `{other}` is not carried over")),
            None => {}
        }
    }
    if !compose.include.is_empty() {
        app.notes.push(
            "`include` is not followed: generate from each included file, or merge them first \
             (`docker compose config`)"
                .into(),
        );
    }
    let names: Vec<&str> = compose.services.iter().map(|s| s.name).collect();
    if let Some(unknown) = options.public.iter().find(|p| !names.contains(&p.as_str())) {
        return Err(diag(
            options,
            services_node.span(),
            format!("`{unknown}` is not a service of this file, so it cannot be made public"),
        ));
    }
    let mut used = BTreeSet::new();
    for service in &compose.services {
        let mut svc = read_service(&compose, service, options, read_file, &names, &mut app)?;
        // Two Compose names may map to one Kubernetes name (`db_1`, `db-1`).
        let base = svc.name.clone();
        let mut n = 2;
        while !used.insert(svc.name.clone()) {
            svc.name = format!("{base}-{n}");
            n += 1;
        }
        app.services.push(svc);
    }
    // Names in depends_on are Compose names; the kit speaks Kubernetes names.
    let map: BTreeMap<String, String> = app
        .services
        .iter()
        .map(|s| (s.compose_name.clone(), s.name.clone()))
        .collect();
    for svc in &mut app.services {
        svc.depends_on = svc
            .depends_on
            .iter()
            .filter_map(|d| map.get(d).cloned())
            .collect();
    }
    infer_ports(&mut app, &compose);
    note_external_hosts(&mut app);
    for svc in &mut app.services {
        name_ports(svc);
    }
    Ok(app)
}

/// Fields the kit carries over, or deliberately replaces with its own
/// Kubernetes equivalent (so they need no note).
const HANDLED: &[&str] = &[
    "image",
    "build",
    "command",
    "entrypoint",
    "environment",
    "env_file",
    "ports",
    "expose",
    "volumes",
    "tmpfs",
    "user",
    "healthcheck",
    "deploy",
    "depends_on",
    "networks",
    "secrets",
    "configs",
    "labels",
    "read_only",
    "security_opt",
    "cap_drop",
    "cap_add",
    "privileged",
    "restart",
    "stop_grace_period",
    "mem_limit",
    "mem_reservation",
    "cpus",
    "scale",
    "extends",
    "working_dir",
];

/// `deploy` keys the kit carries over.
const DEPLOY_HANDLED: &[&str] = &["resources", "replicas"];

/// `deploy.mode: replicated` is what a Deployment is; `global` (one per
/// node) and the job modes are not.
fn replicated_mode(service: &model::Service<'_>) -> bool {
    service.deploy_mode().is_none_or(|m| m == "replicated")
}

fn read_service(
    compose: &Compose<'_>,
    service: &model::Service<'_>,
    options: &Options,
    read_file: &dyn Fn(&str) -> Option<String>,
    names: &[&str],
    app: &mut App,
) -> Result<Service, Diagnostic> {
    let mut notes = Vec::new();
    for (key, _) in service.node.entries() {
        if let Some(k) = key.as_text()
            && !HANDLED.contains(&k)
            && !k.starts_with("x-")
        {
            notes.push(format!("`{k}` is not carried over"));
        }
    }
    if let Some(deploy) = service.get("deploy") {
        for (key, _) in deploy.entries() {
            let replicated = replicated_mode(service);
            if let Some(k) = key.as_text()
                && !DEPLOY_HANDLED.contains(&k)
                && !(k == "mode" && replicated)
            {
                notes.push(format!("`deploy.{k}` is not carried over"));
            }
        }
        if let Some(reservations) = service.lookup(&["deploy", "resources", "reservations"]) {
            for (key, _) in reservations.entries() {
                if let Some(k) = key.as_text()
                    && k != "cpus"
                    && k != "memory"
                {
                    notes.push(format!(
                        "`deploy.resources.reservations.{k}` is not carried over"
                    ));
                }
            }
        }
    }
    if let Some(labels) = service.get("labels") {
        let others = if labels.is_map() {
            labels
                .entries()
                .filter(|(k, _)| k.as_text() != Some("shipgate.dev/public"))
                .count()
        } else {
            labels
                .items()
                .filter(|i| !model::text(*i).is_some_and(|t| t.starts_with("shipgate.dev/public")))
                .count()
        };
        if others > 0 {
            notes.push(
                "container `labels` are not carried over (the kit labels objects with \
                 `app.kubernetes.io/*`)"
                    .into(),
            );
        }
    }
    for option in service.security_opt() {
        if option.key != "no-new-privileges" {
            notes.push(format!(
                "security_opt `{}` is not carried over: the kit sets seccomp `RuntimeDefault` \
                 and no privilege escalation",
                model::text(option.node).unwrap_or(option.key)
            ));
        }
    }
    // Image: what Compose pulls when nothing is set; a service built from
    // source is named after the project and service.
    let image_text = service.image().and_then(|i| i.when_unset());
    let (image_name, image_tag) = match image_text.as_deref().filter(|i| !i.is_empty()) {
        Some(image) => {
            let parsed = ImageRef::parse(image);
            let tag = match (parsed.tag, parsed.digest) {
                (Some(tag), _) => tag.to_owned(),
                (None, Some(_)) => {
                    notes.push(
                        "the image is pinned by digest in Compose; the kit pins a tag, set \
                         `digest` in the overlays' `images` to keep the digest"
                            .into(),
                    );
                    "latest".into()
                }
                (None, None) => {
                    notes.push(
                        "the image has no tag: `latest` is used, pin a version in every \
                         overlay's `images`"
                            .into(),
                    );
                    "latest".into()
                }
            };
            (parsed.name.to_owned(), tag)
        }
        None if service.build().is_some() => {
            notes.push(
                "built from source in Compose: push the image to a registry and set its name \
                 and tag in the overlays' `images`"
                    .into(),
            );
            (
                format!(
                    "registry.example.com/{}/{}",
                    app.project,
                    dns_name(service.name)
                ),
                "0.1.0".into(),
            )
        }
        None => {
            let span = service
                .get("image")
                .map_or(service.key.span(), |n| n.span());
            return Err(diag(
                options,
                span,
                format!(
                    "service `{}` has no image the kit can name (none, or one that needs a \
                     variable set)",
                    service.name
                ),
            ));
        }
    };
    if service.build().is_some() && image_text.is_some() {
        notes.push("`build` is left to CI: the kit deploys the image named in `image`".into());
    }
    let lower = image_name.to_ascii_lowercase();
    let base = lower.rsplit('/').next().unwrap_or(&lower).to_owned();
    let known = KNOWN
        .iter()
        .find(|k| base == k.image || base.starts_with(&format!("{}-", k.image)));

    let command = service.entrypoint().map(|c| words(c.node));
    let args = service.command().map(|c| words(c.node));

    // Environment.
    let mut env = Vec::new();
    for var in service.environment() {
        let name = var.name.to_owned();
        let value = var.value.map(str::trim);
        let entry = env_value(&name, value, &mut notes, app);
        env.push((name, entry));
    }
    for file in service.env_files() {
        match read_file(file.path) {
            Some(content) => {
                for line in content.lines() {
                    let line = line.trim();
                    if line.is_empty() || line.starts_with('#') {
                        continue;
                    }
                    let line = line.strip_prefix("export ").unwrap_or(line);
                    let (k, v) = line.split_once('=').unwrap_or((line, ""));
                    let k = k.trim().to_owned();
                    if env.iter().any(|(n, _)| *n == k) || k.is_empty() {
                        continue;
                    }
                    let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
                    let entry = env_value(&k, Some(v), &mut notes, app);
                    env.push((k, entry));
                }
            }
            None => notes.push(format!(
                "env_file `{}` could not be read: its variables are not in the kit",
                file.path
            )),
        }
    }

    // Ports the container listens on.
    let mut ports: Vec<Port> = Vec::new();
    let add_port = |port: u16, udp: bool, ports: &mut Vec<Port>| {
        if !ports.iter().any(|p| p.port == port && p.udp == udp) {
            ports.push(Port {
                port,
                name: String::new(),
                udp,
            });
        }
    };
    for port in service.ports() {
        let udp = port.protocol.is_some_and(|p| p.eq_ignore_ascii_case("udp"));
        match port.target_ports() {
            Some(range) if range.clone().count() <= 8 => {
                for p in range {
                    add_port(p, udp, &mut ports);
                }
            }
            _ => notes.push(format!(
                "port `{}` is a range or a variable the kit does not expand",
                model::text(port.node).unwrap_or("?")
            )),
        }
        if port.published.is_some() {
            notes.push(format!(
                "port `{}` is published on the host in Compose: in the kit the Service (and \
                 the Ingress, when public) reaches it instead",
                model::text(port.node).unwrap_or("?")
            ));
        }
    }
    for item in service
        .get("expose")
        .map(|e| e.items().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        let text = model::value_when_unset(item).unwrap_or_default();
        let (port, proto) = text.split_once('/').unwrap_or((&text, "tcp"));
        if let Ok(p) = port.trim().parse::<u16>() {
            add_port(p, proto.eq_ignore_ascii_case("udp"), &mut ports);
        }
    }
    if ports.is_empty()
        && let Some(k) = known
    {
        for &p in k.ports {
            add_port(p, false, &mut ports);
        }
    }

    // Volumes.
    let mut claims = Vec::new();
    let mut writable: Vec<String> = vec!["/tmp".into()];
    let mut files = Vec::new();
    let role = match known {
        Some(k) => k.role,
        None => Role::Server,
    };
    for mount in service.volumes() {
        let target = mount.target.map(str::to_owned).unwrap_or_default();
        if target.is_empty() {
            continue;
        }
        match mount.kind {
            MountKind::Volume if mount.source.is_some() => {
                let source = mount.source_when_unset().unwrap_or_default();
                let size = if matches!(role, Role::Database | Role::Queue) {
                    "10Gi"
                } else {
                    "1Gi"
                };
                if mount.read_only {
                    notes.push(format!(
                        "volume `{source}` is mounted read-only in Compose; the claim is \
                         writable, as it must be to be filled"
                    ));
                }
                claims.push(Claim {
                    name: dns_name(&source),
                    mount: target,
                    size: size.into(),
                });
            }
            MountKind::Volume | MountKind::Tmpfs => push_unique(&mut writable, target),
            MountKind::Bind => {
                let source = mount.source_when_unset().unwrap_or_default();
                match read_file(&source) {
                    Some(content) => {
                        let key = file_key(&source);
                        files.push(FileMount {
                            content,
                            source: format!("{}-files", dns_name(service.name)),
                            key,
                            mount: target,
                            secret: false,
                        });
                    }
                    None => {
                        notes.push(format!(
                            "bind mount `{source}` → `{target}` is not a file the kit can \
                             read: an emptyDir stands in for it; bake the content into the \
                             image or mount a ConfigMap"
                        ));
                        push_unique(&mut writable, target);
                    }
                }
            }
            MountKind::Other => notes.push(format!(
                "volume `{}` is of a kind the kit does not carry over",
                model::text(mount.node).unwrap_or("?")
            )),
        }
    }
    for t in service.tmpfs() {
        if let Some(path) = model::value_when_unset(t) {
            let path = path.split(':').next().unwrap_or_default().to_owned();
            if !path.is_empty() {
                push_unique(&mut writable, path);
            }
        }
    }
    if let Some(k) = known {
        for w in k.writable {
            push_unique(&mut writable, (*w).to_owned());
        }
    }
    // A data claim is writable already; an emptyDir over it would hide it.
    writable.retain(|w| !claims.iter().any(|c| &c.mount == w));

    // Secrets and configs from the top-level sections.
    for reference in service.secrets() {
        let name = format!("{}-{}", app.project, dns_name(reference.source));
        let target = reference
            .node
            .get("target")
            .and_then(model::text)
            .map(|t| {
                if t.starts_with('/') {
                    t.to_owned()
                } else {
                    format!("/run/secrets/{t}")
                }
            })
            .unwrap_or_else(|| format!("/run/secrets/{}", reference.source));
        app.file_secrets
            .insert(name.clone(), reference.source.to_owned());
        files.push(FileMount {
            content: String::new(),
            source: name,
            key: reference.source.to_owned(),
            mount: target,
            secret: true,
        });
    }
    for reference in service.configs() {
        let target = reference
            .node
            .get("target")
            .and_then(model::text)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("/{}", reference.source));
        let definition = compose.configs.and_then(|c| c.get(reference.source));
        let content = definition.and_then(|d| {
            d.get("content")
                .and_then(model::text)
                .map(str::to_owned)
                .or_else(|| d.get("file").and_then(model::text).and_then(read_file))
        });
        if content.is_none() {
            notes.push(format!(
                "config `{}` has no content the kit can read: its ConfigMap key is empty",
                reference.source
            ));
        }
        files.push(FileMount {
            content: content.unwrap_or_default(),
            source: format!("{}-files", dns_name(service.name)),
            key: dns_name(reference.source),
            mount: target,
            secret: false,
        });
    }

    // User.
    let (uid, gid) = match service.user().and_then(model::value_when_unset) {
        Some(user) => {
            let (u, g) = user.split_once(':').unwrap_or((&user, ""));
            match u.trim().parse::<u32>() {
                Ok(0) => {
                    notes.push(format!(
                        "runs as root in Compose; the kit runs it as UID {DEFAULT_UID}"
                    ));
                    (DEFAULT_UID, DEFAULT_UID)
                }
                Ok(uid) => (uid, g.trim().parse().unwrap_or(uid)),
                Err(_) => {
                    notes.push(format!(
                        "user `{user}` is a name; Kubernetes needs a number to prove a \
                         non-root user, so the kit uses UID {DEFAULT_UID}"
                    ));
                    (DEFAULT_UID, DEFAULT_UID)
                }
            }
        }
        None => (DEFAULT_UID, DEFAULT_UID),
    };
    if let Some(k) = known
        && !k.non_root_ok.is_empty()
    {
        notes.push(k.non_root_ok.to_owned());
    }
    let caps: Vec<String> = service.cap_add().into_iter().map(|c| c.name).collect();
    if !caps.is_empty() {
        notes.push(format!(
            "cap_add {} is not carried over: the kit drops every capability",
            caps.join(", ")
        ));
    }
    if service
        .flag("privileged")
        .is_some_and(|(_, v)| v == Some(true))
    {
        notes.push("privileged mode is not carried over".into());
    }

    let health = health(service);
    let speaks_http = health.as_ref().is_some_and(|h| {
        h.command
            .iter()
            .any(|w| w.contains("http://") || w.contains("https://"))
    });
    if service.healthcheck().is_some_and(|h| h.disabled) {
        notes.push("its healthcheck is disabled in Compose".into());
    }
    let mut resources = resources(service, role);
    // A cache told to hold N bytes needs room beyond them (fragmentation,
    // buffers, fork for persistence); a limit at N gets it killed.
    let maxmemory = args
        .iter()
        .flatten()
        .skip_while(|w| w.as_str() != "--maxmemory")
        .nth(1)
        .and_then(|m| memory(m))
        .and_then(|m| mebibytes(&m));
    if let Some(mi) = maxmemory
        && resources.defaulted
    {
        resources.memory_request = format!("{}Mi", mi + mi / 4);
        resources.memory_limit = format!("{}Mi", mi * 2);
        notes.push(format!(
            "`--maxmemory` is {mi}Mi: the kit requests a quarter more and limits memory at \
             twice that, so that the cache is not killed at its own ceiling"
        ));
    }
    if resources.defaulted {
        notes.push(format!(
            "no `deploy.resources` in Compose: defaults requests cpu {} memory {}, limit \
             memory {}",
            resources.cpu_request, resources.memory_request, resources.memory_limit
        ));
    }
    let stateful = !claims.is_empty();
    let words_of = |c: Option<model::Command<'_>>| {
        c.map(|c| words(c.node))
            .unwrap_or_default()
            .join(" ")
            .to_ascii_lowercase()
    };
    let invocation = format!(
        "{} {}",
        words_of(service.entrypoint()),
        words_of(service.command())
    );
    let lower_name = service.name.to_ascii_lowercase();
    let scheduler = ["scheduler", "beat", "cron"]
        .iter()
        .any(|w| lower_name.contains(w) || invocation.split_whitespace().any(|x| x == *w));
    let explicit_one = !stateful && service.replicas().and_then(|r| r.as_i64()) == Some(1);
    let singleton = !stateful && (scheduler || explicit_one);
    if singleton {
        notes.push(if scheduler {
            "looks like a scheduler: two copies would run every job twice, so it runs one \
             replica, replaced with the `Recreate` strategy and never autoscaled"
                .to_owned()
        } else {
            "one replica in Compose: kept as a singleton (`Recreate` strategy, no \
             autoscaling); raise `replicas` if it can run twice"
                .to_owned()
        });
    }
    let replicas = match service.replicas().and_then(|r| r.as_i64()) {
        _ if singleton => 1,
        Some(n) if stateful && n > 1 => {
            notes.push(format!(
                "{n} replicas in Compose: a StatefulSet of a datastore runs one replica \
                 unless its clustering is configured, so the kit runs one"
            ));
            1
        }
        Some(n) if n >= 2 => n.min(100) as u32,
        _ if stateful => 1,
        _ => 2,
    };
    if compose.is_one_shot(service) {
        notes.push(
            "runs once and exits in Compose (a migration or seed); the kit deploys it as a \
             long-running workload: turn it into a Job or an init container"
                .into(),
        );
    }
    let grace = service
        .get("stop_grace_period")
        .and_then(model::value_when_unset)
        .and_then(|d| duration(&d));

    let depends_on = service
        .depends_on()
        .iter()
        .filter(|d| names.contains(&d.service))
        .map(|d| d.service.to_owned())
        .collect();
    let networks = service
        .networks()
        .into_iter()
        .map(|(n, _)| n.to_owned())
        .filter(|n| n != "default")
        .collect();
    let public = options.public.iter().any(|p| p == service.name) || marked_public(service);
    let grace = grace.map(|g| g.max(1));
    let postgres = base == "postgres" || base.starts_with("postgres-") || base == "postgis";
    // The stock image refuses a data folder that is a mount point with
    // anything in it (a volume's lost+found): keep the cluster one level down.
    if postgres
        && claims.iter().any(|c| c.mount == "/var/lib/postgresql/data")
        && !env.iter().any(|(n, _)| n == "PGDATA")
    {
        env.push((
            "PGDATA".into(),
            EnvValue::Plain("/var/lib/postgresql/data/pgdata".into()),
        ));
    }
    Ok(Service {
        name: dns_name(service.name),
        compose_name: service.name.to_owned(),
        image_name,
        image_tag,
        command,
        args,
        working_dir: service.get("working_dir").and_then(model::value_when_unset),
        env,
        ports,
        claims,
        writable,
        files,
        uid,
        gid,
        health,
        resources,
        replicas,
        depends_on,
        networks,
        public,
        role: if role == Role::Server
            && known.is_none()
            && service.ports().is_empty()
            && service.get("expose").is_none()
        {
            Role::Worker
        } else {
            role
        },
        singleton,
        speaks_http,
        postgres,
        grace,
        notes,
    })
}

fn push_unique(list: &mut Vec<String>, item: String) {
    let item = if item.len() > 1 {
        item.trim_end_matches('/').to_owned()
    } else {
        item
    };
    if !list.contains(&item) {
        list.push(item);
    }
}

fn file_key(path: &str) -> String {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let key: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if key.is_empty() { "file".into() } else { key }
}

/// `shipgate.dev/public: "true"` in the service's labels, or
/// `x-shipgate: {public: true}`.
fn marked_public(service: &model::Service<'_>) -> bool {
    let labels = service.get("labels");
    let from_labels = labels.is_some_and(|l| {
        if l.is_map() {
            l.get("shipgate.dev/public")
                .and_then(model::boolean)
                .unwrap_or(false)
        } else {
            l.items().any(|i| {
                model::text(i).is_some_and(|t| {
                    t.split_once('=').is_some_and(|(k, v)| {
                        k.trim() == "shipgate.dev/public" && v.trim().eq_ignore_ascii_case("true")
                    })
                })
            })
        }
    });
    from_labels
        || service
            .lookup(&["x-shipgate", "public"])
            .and_then(model::boolean)
            .unwrap_or(false)
}

/// Words of a command: an exec list as is, a string split as Compose does
/// (shell-like quoting, no shell).
fn words(node: NodeRef<'_>) -> Vec<String> {
    if node.is_seq() {
        return node
            .items()
            .map(|i| model::value_when_unset(i).unwrap_or_default())
            .collect();
    }
    let text = model::value_when_unset(node).unwrap_or_default();
    split_shell(&text)
}

fn split_shell(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    current.push(n);
                }
            }
            (Some(_), c) => current.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                if let Some(n) = chars.next() {
                    current.push(n);
                    in_word = true;
                }
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (None, c) => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(current);
    }
    out
}

/// Names that say a variable holds a credential.
pub fn credential_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "ACCESS_KEY",
        "CREDENTIAL",
        "AUTH_KEY",
        "DSN",
    ]
    .iter()
    .any(|w| upper.contains(w))
}

fn secret_key(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Where one environment variable's value goes: the ConfigMap, the shared
/// Secret, or a value assembled from Secret keys. Credentials never reach
/// the kit: a literal one is replaced by a Secret key to fill.
fn env_value(name: &str, value: Option<&str>, notes: &mut Vec<String>, app: &mut App) -> EnvValue {
    let Some(value) = value else {
        // `- NAME` passes the deployer's variable through.
        if credential_name(name) {
            let key = secret_key(name);
            app.secret_keys.insert(key.clone());
            return EnvValue::Secret(key);
        }
        notes.push(format!(
            "`{name}` is taken from the deployer's shell in Compose: set it in the ConfigMap"
        ));
        return EnvValue::Plain(String::new());
    };
    let vars = interpolate::variables(value);
    let inputs: Vec<&interpolate::Var<'_>> = vars.iter().filter(|v| !v.op.has_default()).collect();
    if inputs.is_empty() {
        let resolved = interpolate::value_when_unset(value).unwrap_or_default();
        if credential_name(name) && !resolved.is_empty() || url_has_password(&resolved) {
            notes.push(format!(
                "`{name}` holds a literal credential in Compose: it is not copied, fill key \
                 `{}` of the Secret",
                secret_key(name)
            ));
            let key = secret_key(name);
            app.secret_keys.insert(key.clone());
            return EnvValue::Secret(key);
        }
        return EnvValue::Plain(resolved);
    }
    if vars.len() == 1 && vars[0].range == (0..value.len()) {
        let var = &vars[0];
        if credential_name(name) || credential_name(var.name) || var.op.is_required() {
            let key = secret_key(var.name);
            app.secret_keys.insert(key.clone());
            return EnvValue::Secret(key);
        }
    }
    // Assemble the value: defaults filled in, credentials as `$(KEY)`.
    let mut out = String::new();
    let mut keys = Vec::new();
    let mut at = 0;
    for var in &vars {
        out.push_str(&value[at..var.range.start].replace("$$", "$"));
        match var.op {
            Op::DefaultIfUnset | Op::DefaultUnlessSet => {
                out.push_str(&interpolate::value_when_unset(var.arg).unwrap_or_default());
            }
            _ if credential_name(var.name) || var.op.is_required() => {
                let key = secret_key(var.name);
                out.push_str(&format!("$({key})"));
                app.secret_keys.insert(key.clone());
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
            _ => notes.push(format!(
                "`{name}` uses `${{{}}}`, which has no default: it is left empty",
                var.name
            )),
        }
        at = var.range.end;
    }
    out.push_str(&value[at..].replace("$$", "$"));
    if keys.is_empty() {
        EnvValue::Plain(out)
    } else {
        EnvValue::Composite(out, keys)
    }
}

fn url_has_password(value: &str) -> bool {
    let Some(start) = value.find("://") else {
        return false;
    };
    let rest = &value[start + 3..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    authority
        .rfind('@')
        .is_some_and(|at| authority[..at].contains(':'))
}

/// Compose durations: `1m30s`, `10s`, `500ms`, `1h`; whole seconds, rounded up.
pub fn duration(text: &str) -> Option<u32> {
    let text = text.trim();
    if let Ok(n) = text.parse::<u32>() {
        return Some(n);
    }
    let mut total_ms: u64 = 0;
    let mut number = String::new();
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let mut unit = c.to_string();
        while let Some(&n) = chars.peek() {
            if n.is_ascii_alphabetic() {
                unit.push(n);
                chars.next();
            } else {
                break;
            }
        }
        let value: f64 = number.parse().ok()?;
        number.clear();
        let ms = match unit.as_str() {
            "h" => 3_600_000.0,
            "m" => 60_000.0,
            "s" => 1000.0,
            "ms" => 1.0,
            "us" | "µs" => 0.001,
            "ns" => 0.000_001,
            _ => return None,
        };
        total_ms = total_ms.saturating_add((value * ms) as u64);
        any = true;
    }
    if !number.is_empty() || !any {
        return None;
    }
    Some(total_ms.div_ceil(1000).min(u64::from(u32::MAX)) as u32)
}

fn health(service: &model::Service<'_>) -> Option<Health> {
    if !service.has_healthcheck() {
        return None;
    }
    let test = service.lookup(&["healthcheck", "test"])?;
    let command = if test.is_seq() {
        let items: Vec<String> = test
            .items()
            .map(|i| model::value_when_unset(i).unwrap_or_default())
            .collect();
        match items.first().map(String::as_str) {
            Some("CMD") => items[1..].to_vec(),
            Some("CMD-SHELL") => vec!["/bin/sh".into(), "-c".into(), items[1..].join(" ")],
            _ => return None,
        }
    } else {
        vec![
            "/bin/sh".into(),
            "-c".into(),
            model::value_when_unset(test).unwrap_or_default(),
        ]
    };
    if command.is_empty() || command.iter().all(String::is_empty) {
        return None;
    }
    let get = |key: &str, default: u32| {
        service
            .lookup(&["healthcheck", key])
            .and_then(model::value_when_unset)
            .and_then(|d| duration(&d))
            .unwrap_or(default)
            // Beyond an hour a probe setting is a typo, and arithmetic on it
            // must not overflow.
            .clamp(1, 3600)
    };
    Some(Health {
        command,
        interval: get("interval", 30),
        timeout: get("timeout", 30),
        retries: service
            .lookup(&["healthcheck", "retries"])
            .and_then(|r| r.as_i64())
            .map_or(3, |r| r.clamp(1, 100) as u32),
        start_period: service
            .lookup(&["healthcheck", "start_period"])
            .and_then(model::value_when_unset)
            .and_then(|d| duration(&d))
            .unwrap_or(0)
            .min(3600),
    })
}

/// A Compose byte size (`512m`, `1g`, `268435456`, `1.5gb`) as a Kubernetes quantity.
pub fn memory(text: &str) -> Option<String> {
    let lower = text.trim().to_ascii_lowercase();
    let lower = lower.strip_suffix('b').unwrap_or(&lower);
    let (number, unit) = match lower.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (&lower[..i], &lower[i..]),
        None => (lower, ""),
    };
    let n: f64 = number.trim().parse().ok()?;
    let bytes = n * match unit {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    // Nothing runs in more than a pebibyte; past that the text is a typo.
    if !(bytes > 0.0 && bytes < 1024f64.powi(5)) {
        return None;
    }
    let mi = (bytes / (1024.0 * 1024.0)).ceil() as u64;
    Some(if mi.is_multiple_of(1024) {
        format!("{}Gi", mi / 1024)
    } else {
        format!("{mi}Mi")
    })
}

/// A quantity written by `memory` in mebibytes.
fn mebibytes(quantity: &str) -> Option<u64> {
    match quantity.strip_suffix("Gi") {
        Some(gi) => gi.parse::<u64>().ok().map(|g| g * 1024),
        None => quantity.strip_suffix("Mi")?.parse().ok(),
    }
}

/// Compose CPUs (`0.5`, `2`) as millicores.
pub fn cpu(text: &str) -> Option<String> {
    let n: f64 = text.trim().parse().ok()?;
    let m = (n * 1000.0).round() as u64;
    (m > 0).then(|| format!("{m}m"))
}

fn resources(service: &model::Service<'_>, role: Role) -> Resources {
    let read = |node: Option<NodeRef<'_>>, f: fn(&str) -> Option<String>| {
        node.and_then(model::value_when_unset).and_then(|t| f(&t))
    };
    let memory_limit = read(service.memory_limit(), memory);
    let memory_request = read(service.memory_reservation(), memory);
    let cpu_limit = read(service.cpu_limit(), cpu);
    let cpu_request = read(
        service.lookup(&["deploy", "resources", "reservations", "cpus"]),
        cpu,
    );
    let (d_cpu, d_mem, d_lim) = match role {
        Role::Database | Role::Queue => ("250m", "512Mi", "1Gi"),
        _ => ("100m", "128Mi", "256Mi"),
    };
    let defaulted = memory_limit.is_none() && memory_request.is_none() && cpu_request.is_none();
    let memory_limit_v = memory_limit
        .clone()
        .or_else(|| memory_request.clone())
        .unwrap_or_else(|| d_lim.into());
    Resources {
        cpu_request: cpu_request
            .or_else(|| cpu_limit.clone())
            .unwrap_or_else(|| d_cpu.into()),
        memory_request: memory_request
            .or(memory_limit)
            .unwrap_or_else(|| d_mem.into()),
        memory_limit: memory_limit_v,
        cpu_limit,
        defaulted,
    }
}

/// What the kit knows about common images: their ports, what they write
/// besides their data, and what they are.
struct Known {
    image: &'static str,
    ports: &'static [u16],
    writable: &'static [&'static str],
    role: Role,
    non_root_ok: &'static str,
}

const KNOWN: &[Known] = &[
    Known {
        image: "postgres",
        ports: &[5432],
        writable: &["/var/run/postgresql"],
        role: Role::Database,
        non_root_ok: "",
    },
    Known {
        image: "postgis",
        ports: &[5432],
        writable: &["/var/run/postgresql"],
        role: Role::Database,
        non_root_ok: "",
    },
    Known {
        image: "mysql",
        ports: &[3306],
        writable: &["/var/run/mysqld"],
        role: Role::Database,
        non_root_ok: "",
    },
    Known {
        image: "mariadb",
        ports: &[3306],
        writable: &["/run/mysqld"],
        role: Role::Database,
        non_root_ok: "",
    },
    Known {
        image: "mongo",
        ports: &[27017],
        writable: &[],
        role: Role::Database,
        non_root_ok: "",
    },
    Known {
        image: "redis",
        ports: &[6379],
        writable: &[],
        role: Role::Cache,
        non_root_ok: "",
    },
    Known {
        image: "valkey",
        ports: &[6379],
        writable: &[],
        role: Role::Cache,
        non_root_ok: "",
    },
    Known {
        image: "memcached",
        ports: &[11211],
        writable: &[],
        role: Role::Cache,
        non_root_ok: "",
    },
    Known {
        image: "rabbitmq",
        ports: &[5672],
        writable: &[],
        role: Role::Queue,
        non_root_ok: "",
    },
    Known {
        image: "nats",
        ports: &[4222],
        writable: &[],
        role: Role::Queue,
        non_root_ok: "",
    },
    Known {
        image: "kafka",
        ports: &[9092],
        writable: &[],
        role: Role::Queue,
        non_root_ok: "",
    },
    Known {
        image: "elasticsearch",
        ports: &[9200],
        writable: &["/usr/share/elasticsearch/logs"],
        role: Role::Database,
        non_root_ok: "elasticsearch writes a keystore into its config folder at start: with a \
                      read-only root filesystem, create it in an init container or mount the \
                      configuration from a ConfigMap",
    },
    Known {
        image: "minio",
        ports: &[9000],
        writable: &[],
        role: Role::Database,
        non_root_ok: "",
    },
    Known {
        image: "nginx-unprivileged",
        ports: &[8080],
        writable: &["/var/cache/nginx"],
        role: Role::Server,
        non_root_ok: "",
    },
    Known {
        image: "nginx",
        ports: &[80],
        writable: &["/var/cache/nginx", "/var/run"],
        role: Role::Server,
        non_root_ok: "nginx binds port 80 as root in its stock image; under a non-root UID use \
                      nginxinc/nginx-unprivileged (port 8080) or allow unprivileged low ports",
    },
];

/// Hosts a service's environment names that are not services of the file:
/// the default-deny policies block them until someone allows them.
fn note_external_hosts(app: &mut App) {
    let known: BTreeSet<String> = app
        .services
        .iter()
        .flat_map(|s| [s.name.clone(), s.compose_name.clone()])
        .collect();
    for svc in &mut app.services {
        let mut hosts = BTreeSet::new();
        for (name, value) in &svc.env {
            let text = match value {
                EnvValue::Plain(t) | EnvValue::Composite(t, _) => t.as_str(),
                EnvValue::Secret(_) => continue,
            };
            if let Some(start) = text.find("://") {
                let rest = &text[start + 3..];
                let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
                let host_port = authority.rsplit('@').next().unwrap_or(authority);
                let host = if host_port.starts_with('[') {
                    host_port
                } else {
                    host_port.split(':').next().unwrap_or(host_port)
                };
                hosts.insert(host.to_owned());
            } else if name.to_ascii_uppercase().ends_with("_HOST") && !text.contains(' ') {
                hosts.insert(text.split(':').next().unwrap_or(text).to_owned());
            }
        }
        for host in hosts {
            let local = matches!(
                host.as_str(),
                "localhost" | "127.0.0.1" | "[::1]" | "0.0.0.0"
            );
            if !host.is_empty() && !local && !known.contains(&host) {
                svc.notes.push(format!(
                    "reaches `{host}`, outside the Compose file: the network policies deny \
                     that egress until a rule in `components/network-policy` allows it"
                ));
            }
        }
    }
}

/// Ports the Compose file never lists but other services use: a
/// `host:port` naming a service in another service's environment.
fn infer_ports(app: &mut App, compose: &Compose<'_>) {
    let mut found: Vec<(String, u16)> = Vec::new();
    for service in &compose.services {
        for var in service.environment() {
            let Some(value) = var.value.map(interpolate::mask) else {
                continue;
            };
            for svc in &app.services {
                let needle = format!("{}:", svc.compose_name);
                let mut rest = value.as_str();
                while let Some(i) = rest.find(&needle) {
                    let before = rest[..i].chars().last();
                    let after = &rest[i + needle.len()..];
                    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
                    if before.is_none_or(|c| {
                        !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
                    }) && let Ok(p) = digits.parse::<u16>()
                    {
                        found.push((svc.compose_name.clone(), p));
                    }
                    rest = after;
                }
            }
        }
    }
    for (name, port) in found {
        if let Some(svc) = app.services.iter_mut().find(|s| s.compose_name == name)
            && !svc.ports.iter().any(|p| p.port == port && !p.udp)
            && svc.ports.is_empty()
        {
            svc.ports.push(Port {
                port,
                name: String::new(),
                udp: false,
            });
            if svc.role == Role::Worker {
                svc.role = Role::Server;
            }
        }
    }
}

fn name_ports(svc: &mut Service) {
    let mut used: Vec<String> = Vec::new();
    for i in 0..svc.ports.len() {
        let port = svc.ports[i].port;
        let mut name = match port {
            5432 => "postgres".to_owned(),
            3306 => "mysql".into(),
            6379 => "redis".into(),
            27017 => "mongodb".into(),
            5672 => "amqp".into(),
            11211 => "memcache".into(),
            4222 => "nats".into(),
            9092 => "kafka".into(),
            _ if !svc.ports[i].udp
                && !used.iter().any(|u| u == "http")
                && (HTTP_PORTS.contains(&port) || svc.speaks_http) =>
            {
                "http".into()
            }
            _ => format!("{}-{port}", if svc.ports[i].udp { "udp" } else { "tcp" }),
        };
        if used.contains(&name) {
            name = format!("{}-{port}", if svc.ports[i].udp { "udp" } else { "tcp" });
        }
        used.push(name.clone());
        svc.ports[i].name = name;
    }
}
