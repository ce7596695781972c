//! A read-only model of the Compose specification over position-exact YAML.
//!
//! Nothing is copied out of the tree: every accessor hands back the nodes it
//! read, so a rule can point at the exact key or value. Fields that Compose
//! accepts in two forms (`environment` as a map or a `KEY=value` list, short
//! and long `ports`, `volumes`, `depends_on`, `build`...) come back in one
//! shape. `extends` within the same file is resolved: the extended service's
//! keys apply unless the service sets them itself.

use std::ops::{Range, RangeInclusive};

use shipgate_core::SourceSpan;
use shipgate_syntax::yaml::NodeRef;

use super::interpolate;
use crate::credentials::scalar_subspan;

/// How deep an `extends` chain is followed; real files use one or two levels.
const MAX_EXTENDS: usize = 16;

/// One Compose document: its services and the top-level sections they refer to.
pub struct Compose<'a> {
    pub root: NodeRef<'a>,
    pub services: Vec<Service<'a>>,
    /// The obsolete `version:` key and its value.
    pub version: Option<(NodeRef<'a>, NodeRef<'a>)>,
    pub name: Option<NodeRef<'a>>,
    pub networks: Option<NodeRef<'a>>,
    pub volumes: Option<NodeRef<'a>>,
    pub secrets: Option<NodeRef<'a>>,
    pub configs: Option<NodeRef<'a>>,
    /// Files whose resources are merged into this project.
    pub include: Vec<NodeRef<'a>>,
}

impl<'a> Compose<'a> {
    /// The model of a document, if its root is a mapping.
    pub fn new(root: NodeRef<'a>) -> Option<Self> {
        if !root.is_map() {
            return None;
        }
        let include = root
            .get("include")
            .map(|i| {
                list_items(i)
                    .into_iter()
                    .flat_map(|item| match item.get("path") {
                        Some(path) => list_items(path),
                        None if item.is_scalar() => vec![item],
                        None => Vec::new(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Compose {
            root,
            services: root.get("services").map(services).unwrap_or_default(),
            version: root.entry("version"),
            name: root.get("name"),
            networks: root.get("networks"),
            volumes: root.get("volumes"),
            secrets: root.get("secrets"),
            configs: root.get("configs"),
            include,
        })
    }

    pub fn service(&self, name: &str) -> Option<&Service<'a>> {
        self.services.iter().find(|s| s.name == name)
    }

    /// Whether a top-level section (`networks`, `volumes`, `secrets`,
    /// `configs`) declares `name`.
    pub fn declares(&self, section: &str, name: &str) -> bool {
        self.root
            .get(section)
            .is_some_and(|s| s.entries().any(|(k, _)| k.as_text() == Some(name)))
    }

    /// Whether this file may lean on definitions it cannot show: it includes
    /// other files, or it is an override fragment meant to be merged onto
    /// another file (a service with neither image nor build).
    pub fn is_partial(&self) -> bool {
        !self.include.is_empty() || self.services.iter().any(Service::is_partial)
    }

    /// Whether a service runs once and exits (a migration, a seed job) rather
    /// than serving: it says it never restarts, it is deployed as a job, or
    /// another service waits for it to complete successfully.
    pub fn is_one_shot(&self, service: &Service<'_>) -> bool {
        service.never_restarts()
            || service.deploy_mode().is_some_and(|m| m.ends_with("-job"))
            || self.services.iter().any(|other| {
                other.depends_on().iter().any(|d| {
                    d.service == service.name && d.condition() == "service_completed_successfully"
                })
            })
    }
}

fn services(node: NodeRef<'_>) -> Vec<Service<'_>> {
    let raw: Vec<(&str, NodeRef<'_>, NodeRef<'_>)> = node
        .entries()
        .filter_map(|(key, value)| Some((key.as_text()?, key, value)))
        // Extension fields are for anchors and tooling; Compose never runs them.
        .filter(|(name, _, value)| !name.starts_with("x-") && value.is_map())
        .collect();
    raw.iter()
        .map(|&(name, key, value)| {
            let mut layers = vec![value];
            let mut inherits_unseen = false;
            let mut current = value;
            while layers.len() <= MAX_EXTENDS {
                let Some(extends) = Extends::of(current) else {
                    break;
                };
                let target = extends
                    .service
                    .and_then(|s| s.as_text())
                    .filter(|_| extends.file.is_none())
                    .and_then(|s| raw.iter().find(|(n, _, _)| *n == s));
                match target {
                    Some(&(_, _, base)) if !layers.iter().any(|l| l.id() == base.id()) => {
                        layers.push(base);
                        current = base;
                    }
                    Some(_) => break,
                    None => {
                        inherits_unseen = true;
                        break;
                    }
                }
            }
            Service {
                name,
                key,
                node: value,
                layers,
                inherits_unseen,
            }
        })
        .collect()
}

/// A sequence's items; a lone scalar as a one-item list; nothing for null.
fn list_items(node: NodeRef<'_>) -> Vec<NodeRef<'_>> {
    if node.is_seq() {
        node.items().collect()
    } else if node.is_null() || node.is_map() {
        Vec::new()
    } else {
        vec![node]
    }
}

/// A scalar's text, trimmed; `None` for null and collections.
pub fn text<'a>(node: NodeRef<'a>) -> Option<&'a str> {
    node.as_text().map(str::trim)
}

/// The scalar's value when no variable is set (see `interpolate`).
pub fn value_when_unset(node: NodeRef<'_>) -> Option<String> {
    interpolate::value_when_unset(text(node)?)
}

/// A boolean as Compose reads it, after interpolation: `true`, `yes`, `on`
/// and `y` in any case are true (Compose converts interpolated strings for
/// boolean fields with exactly these words).
pub fn boolean(node: NodeRef<'_>) -> Option<bool> {
    if let Some(b) = node.as_bool() {
        return Some(b);
    }
    let value = value_when_unset(node)?;
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "on" => Some(true),
        "false" | "no" | "n" | "off" => Some(false),
        _ => None,
    }
}

/// Splits at `sep`, except inside `${...}`, whose defaults may hold it.
fn split_outside_braces(text: &str, sep: char) -> Vec<(usize, &str)> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut previous = '\0';
    for (i, c) in text.char_indices() {
        match c {
            '{' if previous == '$' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            c if c == sep && depth == 0 => {
                parts.push((start, &text[start..i]));
                start = i + c.len_utf8();
            }
            _ => {}
        }
        previous = c;
    }
    parts.push((start, &text[start..]));
    parts
}

/// `extends: base` or `extends: {service: base, file: other.yaml}`.
#[derive(Clone, Copy)]
pub struct Extends<'a> {
    pub node: NodeRef<'a>,
    pub service: Option<NodeRef<'a>>,
    pub file: Option<NodeRef<'a>>,
}

impl<'a> Extends<'a> {
    fn of(service: NodeRef<'a>) -> Option<Self> {
        let node = service.get("extends")?;
        Some(if node.is_scalar() {
            Extends {
                node,
                service: Some(node),
                file: None,
            }
        } else {
            Extends {
                node,
                service: node.get("service"),
                file: node.get("file"),
            }
        })
    }
}

/// A service: its own mapping and, through `extends`, those it inherits from.
#[derive(Clone)]
pub struct Service<'a> {
    pub name: &'a str,
    /// The service's key under `services:`: where absences are reported.
    pub key: NodeRef<'a>,
    pub node: NodeRef<'a>,
    /// The service's mapping first, then each service it extends, nearest first.
    layers: Vec<NodeRef<'a>>,
    /// It extends a service in another file, or one that does not exist, so
    /// some of its settings are invisible here.
    pub inherits_unseen: bool,
}

impl<'a> Service<'a> {
    /// The value of `key`, from the service or the nearest service it extends.
    pub fn get(&self, key: &str) -> Option<NodeRef<'a>> {
        self.layers.iter().find_map(|l| l.get(key))
    }

    /// Like `get`, with the key node.
    pub fn entry(&self, key: &str) -> Option<(NodeRef<'a>, NodeRef<'a>)> {
        self.layers.iter().find_map(|l| l.entry(key))
    }

    /// Follows a path of keys. Compose merges mappings key by key through
    /// `extends`, so the first layer that has the whole path wins.
    pub fn lookup(&self, path: &[&str]) -> Option<NodeRef<'a>> {
        self.layers.iter().find_map(|l| l.path(path))
    }

    /// The items of a list field over every layer: Compose appends an
    /// extended service's sequences to the service's own.
    fn list(&self, key: &str) -> Vec<NodeRef<'a>> {
        self.layers
            .iter()
            .filter_map(|l| l.get(key))
            .flat_map(list_items)
            .collect()
    }

    pub fn extends(&self) -> Option<Extends<'a>> {
        Extends::of(self.node)
    }

    /// Whether `span` lies inside this service's own mapping, rather than
    /// in a service it extends or a YAML anchor defined elsewhere.
    pub fn contains(&self, span: SourceSpan) -> bool {
        self.key.span().start_byte <= span.start_byte && span.end_byte <= self.node.span().end_byte
    }

    /// An override fragment: Compose would refuse it on its own.
    pub fn is_partial(&self) -> bool {
        self.get("image").is_none() && self.get("build").is_none() && self.extends().is_none()
    }

    pub fn image(&self) -> Option<Image<'a>> {
        let node = self.get("image")?;
        Some(Image {
            node,
            text: text(node)?,
        })
    }

    pub fn build(&self) -> Option<Build<'a>> {
        let node = self.get("build")?;
        if node.is_scalar() {
            return Some(Build {
                node,
                context: Some(node),
                dockerfile: None,
                target: None,
                args: Vec::new(),
            });
        }
        Some(Build {
            node,
            context: node.get("context"),
            dockerfile: node.get("dockerfile"),
            target: node.get("target"),
            args: node.get("args").map(env_entries).unwrap_or_default(),
        })
    }

    pub fn command(&self) -> Option<Command<'a>> {
        self.get("command").and_then(Command::new)
    }

    pub fn entrypoint(&self) -> Option<Command<'a>> {
        self.get("entrypoint").and_then(Command::new)
    }

    /// Environment variables in either form; the service's own value of a
    /// variable wins over an extended service's.
    pub fn environment(&self) -> Vec<EnvVar<'a>> {
        let mut vars: Vec<EnvVar<'a>> = Vec::new();
        for layer in &self.layers {
            for var in layer
                .get("environment")
                .map(env_entries)
                .unwrap_or_default()
            {
                if !vars.iter().any(|v| v.name == var.name) {
                    vars.push(var);
                }
            }
        }
        vars
    }

    pub fn env_files(&self) -> Vec<EnvFile<'a>> {
        self.list("env_file")
            .into_iter()
            .filter_map(|item| {
                let (path, required) = match item.get("path") {
                    Some(path) => (path, item.get("required").and_then(boolean)),
                    None => (item, None),
                };
                Some(EnvFile {
                    node: item,
                    path: text(path)?,
                    required: required.unwrap_or(true),
                })
            })
            .collect()
    }

    pub fn ports(&self) -> Vec<Port<'a>> {
        self.list("ports")
            .into_iter()
            .filter_map(Port::new)
            .collect()
    }

    pub fn volumes(&self) -> Vec<Mount<'a>> {
        self.list("volumes")
            .into_iter()
            .filter_map(Mount::new)
            .collect()
    }

    /// `tmpfs:` mount points (a string or a list).
    pub fn tmpfs(&self) -> Vec<NodeRef<'a>> {
        self.list("tmpfs")
    }

    pub fn cap_add(&self) -> Vec<Capability<'a>> {
        capabilities(self.list("cap_add"))
    }

    pub fn cap_drop(&self) -> Vec<Capability<'a>> {
        capabilities(self.list("cap_drop"))
    }

    pub fn security_opt(&self) -> Vec<SecurityOpt<'a>> {
        self.list("security_opt")
            .into_iter()
            .filter_map(SecurityOpt::new)
            .collect()
    }

    /// Whether `security_opt` turns on `no-new-privileges` (Docker accepts
    /// `no-new-privileges`, `no-new-privileges:true` and `=true`).
    pub fn no_new_privileges(&self) -> Option<SecurityOpt<'a>> {
        self.security_opt()
            .into_iter()
            .find(|o| o.key == "no-new-privileges")
    }

    /// A boolean field (`privileged`, `read_only`, `init`...) and its value.
    pub fn flag(&self, key: &str) -> Option<(NodeRef<'a>, Option<bool>)> {
        let node = self.get(key)?;
        Some((node, boolean(node)))
    }

    /// `network_mode`, `pid`, `ipc`, `uts` or `userns_mode` when it is `host`.
    pub fn host_namespace(&self, key: &str) -> Option<NodeRef<'a>> {
        self.get(key)
            .filter(|n| value_when_unset(*n).is_some_and(|v| v.eq_ignore_ascii_case("host")))
    }

    pub fn user(&self) -> Option<NodeRef<'a>> {
        self.get("user")
    }

    pub fn restart(&self) -> Option<NodeRef<'a>> {
        self.get("restart")
    }

    /// `deploy.restart_policy.condition` (`none`, `on-failure`, `any`).
    pub fn restart_condition(&self) -> Option<NodeRef<'a>> {
        self.lookup(&["deploy", "restart_policy", "condition"])
    }

    /// `restart: "no"` or a restart policy of `none`.
    pub fn never_restarts(&self) -> bool {
        let restart = self.restart().and_then(value_when_unset);
        let condition = self.restart_condition().and_then(value_when_unset);
        restart.as_deref() == Some("no") || condition.as_deref() == Some("none")
    }

    pub fn healthcheck(&self) -> Option<Healthcheck<'a>> {
        let node = self.get("healthcheck")?;
        let test = self.lookup(&["healthcheck", "test"]);
        let disable = self
            .lookup(&["healthcheck", "disable"])
            .and_then(boolean)
            .unwrap_or(false);
        let none = test.is_some_and(|t| {
            let first = if t.is_seq() {
                t.items().next()
            } else {
                Some(t)
            };
            first.and_then(text) == Some("NONE")
        });
        Some(Healthcheck {
            node,
            test,
            disabled: disable || none,
        })
    }

    /// A healthcheck that actually runs.
    pub fn has_healthcheck(&self) -> bool {
        self.healthcheck()
            .is_some_and(|h| !h.disabled && h.test.is_some())
    }

    /// `deploy.resources.limits.memory`, or the legacy `mem_limit`.
    pub fn memory_limit(&self) -> Option<NodeRef<'a>> {
        self.lookup(&["deploy", "resources", "limits", "memory"])
            .or_else(|| self.get("mem_limit"))
    }

    /// `deploy.resources.limits.cpus`, or the legacy `cpus`.
    pub fn cpu_limit(&self) -> Option<NodeRef<'a>> {
        self.lookup(&["deploy", "resources", "limits", "cpus"])
            .or_else(|| self.get("cpus"))
    }

    /// `deploy.resources.reservations.memory`, or the legacy `mem_reservation`.
    pub fn memory_reservation(&self) -> Option<NodeRef<'a>> {
        self.lookup(&["deploy", "resources", "reservations", "memory"])
            .or_else(|| self.get("mem_reservation"))
    }

    /// `deploy.replicas`, or the legacy `scale`.
    pub fn replicas(&self) -> Option<NodeRef<'a>> {
        self.lookup(&["deploy", "replicas"])
            .or_else(|| self.get("scale"))
    }

    /// `deploy.mode`: `replicated`, `global`, `replicated-job`, `global-job`.
    pub fn deploy_mode(&self) -> Option<&'a str> {
        self.lookup(&["deploy", "mode"]).and_then(text)
    }

    /// `depends_on` in either form, over every layer.
    pub fn depends_on(&self) -> Vec<Dependency<'a>> {
        let mut deps: Vec<Dependency<'a>> = Vec::new();
        for layer in &self.layers {
            let Some(node) = layer.get("depends_on") else {
                continue;
            };
            let found: Vec<Dependency<'a>> = if node.is_map() {
                node.entries()
                    .filter_map(|(key, value)| {
                        Some(Dependency {
                            service: text(key)?,
                            node: key,
                            condition: value.get("condition"),
                            long: true,
                        })
                    })
                    .collect()
            } else {
                list_items(node)
                    .into_iter()
                    .filter_map(|item| {
                        Some(Dependency {
                            service: text(item)?,
                            node: item,
                            condition: None,
                            long: false,
                        })
                    })
                    .collect()
            };
            for dep in found {
                if !deps.iter().any(|d| d.service == dep.service) {
                    deps.push(dep);
                }
            }
        }
        deps
    }

    pub fn profiles(&self) -> Vec<NodeRef<'a>> {
        self.list("profiles")
    }

    /// `secrets:` references, short (`- db_password`) or long (`- source: ...`).
    pub fn secrets(&self) -> Vec<Reference<'a>> {
        references(self.list("secrets"))
    }

    pub fn configs(&self) -> Vec<Reference<'a>> {
        references(self.list("configs"))
    }

    /// The networks the service joins, as (name, node naming it).
    pub fn networks(&self) -> Vec<(&'a str, NodeRef<'a>)> {
        let mut found = Vec::new();
        for layer in &self.layers {
            let Some(node) = layer.get("networks") else {
                continue;
            };
            let names: Vec<NodeRef<'a>> = if node.is_map() {
                node.entries().map(|(k, _)| k).collect()
            } else {
                list_items(node)
            };
            for name in names {
                if let Some(t) = text(name)
                    && !found.iter().any(|(n, _)| *n == t)
                {
                    found.push((t, name));
                }
            }
        }
        found
    }

    pub fn container_name(&self) -> Option<NodeRef<'a>> {
        self.get("container_name")
    }
}

/// `image:` as written.
#[derive(Clone, Copy)]
pub struct Image<'a> {
    pub node: NodeRef<'a>,
    pub text: &'a str,
}

impl Image<'_> {
    /// The reference pulled when no variable is set; `None` when a required
    /// variable must be set, so the file does not decide it.
    pub fn when_unset(&self) -> Option<String> {
        interpolate::value_when_unset(self.text)
    }
}

/// An image reference split the way Docker reads it:
/// `[registry[:port]/]path[:tag][@digest]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageRef<'s> {
    pub name: &'s str,
    pub tag: Option<&'s str>,
    pub digest: Option<&'s str>,
}

impl<'s> ImageRef<'s> {
    pub fn parse(image: &'s str) -> Self {
        let (name, digest) = match image.split_once('@') {
            Some((name, digest)) => (name, Some(digest).filter(|d| !d.is_empty())),
            None => (image, None),
        };
        // A colon before the last slash belongs to a registry's port.
        let last = name.rfind('/').map_or(0, |i| i + 1);
        match name[last..].find(':') {
            Some(colon) => ImageRef {
                name: &name[..last + colon],
                tag: Some(&name[last + colon + 1..]).filter(|t| !t.is_empty()),
                digest,
            },
            None => ImageRef {
                name,
                tag: None,
                digest,
            },
        }
    }
}

/// `build:` in its short (a context path) or long form.
pub struct Build<'a> {
    pub node: NodeRef<'a>,
    pub context: Option<NodeRef<'a>>,
    pub dockerfile: Option<NodeRef<'a>>,
    pub target: Option<NodeRef<'a>>,
    /// `args`, in either of the environment's forms.
    pub args: Vec<EnvVar<'a>>,
}

/// `command` or `entrypoint`: a shell string or an exec list.
#[derive(Clone, Copy)]
pub struct Command<'a> {
    pub node: NodeRef<'a>,
    pub exec: bool,
}

/// One whitespace-separated word of a command, with where it sits.
#[derive(Debug, Clone, Copy)]
pub struct Word<'a> {
    pub node: NodeRef<'a>,
    /// Byte range of the word in the node's text.
    pub start: usize,
    pub text: &'a str,
}

impl Word<'_> {
    pub fn span(&self) -> SourceSpan {
        self.subspan(0..self.text.len())
    }

    /// The source region of bytes `range` of the word.
    pub fn subspan(&self, range: Range<usize>) -> SourceSpan {
        scalar_subspan(self.node, self.start + range.start..self.start + range.end)
    }

    /// The word without the quotes a shell would strip.
    pub fn bare(&self) -> &str {
        self.text.trim_matches(|c| c == '"' || c == '\'')
    }
}

impl<'a> Command<'a> {
    fn new(node: NodeRef<'a>) -> Option<Self> {
        if node.is_null() || node.is_map() {
            return None;
        }
        Some(Command {
            node,
            exec: node.is_seq(),
        })
    }

    /// Every word, items of an exec list split further on blanks so that
    /// `["sh", "-c", "vault server -dev"]` shows `-dev` too.
    pub fn words(&self) -> Vec<Word<'a>> {
        list_items(self.node)
            .into_iter()
            .filter_map(|item| Some((item, item.as_text()?)))
            .flat_map(|(item, line)| {
                line.split_ascii_whitespace().map(move |word| Word {
                    node: item,
                    start: word.as_ptr() as usize - line.as_ptr() as usize,
                    text: word,
                })
            })
            .collect()
    }
}

/// One environment variable (or build arg) in either form.
#[derive(Debug, Clone, Copy)]
pub struct EnvVar<'a> {
    pub name: &'a str,
    /// The mapping key, or the `KEY=value` item.
    pub name_node: NodeRef<'a>,
    /// The mapping value, or the `KEY=value` item.
    pub node: NodeRef<'a>,
    /// `None` for `KEY:` with no value and for a bare `- KEY`: Compose takes
    /// the value from the shell.
    pub value: Option<&'a str>,
    /// Where `value` starts in the node's text (after `KEY=` in list form).
    pub offset: usize,
}

impl EnvVar<'_> {
    /// The source region of bytes `range` of the value.
    pub fn span(&self, range: Range<usize>) -> SourceSpan {
        scalar_subspan(
            self.node,
            self.offset + range.start..self.offset + range.end,
        )
    }

    /// The source region of the whole value (the item, for a bare `- KEY`).
    pub fn value_span(&self) -> SourceSpan {
        self.span(0..self.value.map_or(0, str::len))
    }
}

fn env_entries(node: NodeRef<'_>) -> Vec<EnvVar<'_>> {
    if node.is_map() {
        return node
            .entries()
            .filter_map(|(key, value)| {
                Some(EnvVar {
                    name: key.as_text()?,
                    name_node: key,
                    node: value,
                    value: value.as_text(),
                    offset: 0,
                })
            })
            .collect();
    }
    list_items(node)
        .into_iter()
        .filter_map(|item| {
            let line = item.as_text()?;
            Some(match line.split_once('=') {
                Some((name, value)) => EnvVar {
                    name,
                    name_node: item,
                    node: item,
                    value: Some(value),
                    offset: name.len() + 1,
                },
                None => EnvVar {
                    name: line,
                    name_node: item,
                    node: item,
                    value: None,
                    offset: line.len(),
                },
            })
        })
        .collect()
}

/// An `env_file:` entry.
pub struct EnvFile<'a> {
    pub node: NodeRef<'a>,
    pub path: &'a str,
    pub required: bool,
}

/// A published or exposed port, in short (`"127.0.0.1:5432:5432/tcp"`) or
/// long (`target`/`published`/`host_ip`) syntax. Texts are as written.
#[derive(Debug, Clone, Copy)]
pub struct Port<'a> {
    pub node: NodeRef<'a>,
    pub long: bool,
    pub host_ip: Option<&'a str>,
    pub published: Option<&'a str>,
    pub target: Option<&'a str>,
    pub protocol: Option<&'a str>,
}

impl<'a> Port<'a> {
    fn new(node: NodeRef<'a>) -> Option<Self> {
        if node.is_map() {
            return Some(Port {
                node,
                long: true,
                host_ip: node.get("host_ip").and_then(text),
                published: node.get("published").and_then(text),
                target: node.get("target").and_then(text),
                protocol: node.get("protocol").and_then(text),
            });
        }
        let spec = text(node)?;
        let (spec, protocol) = match spec.rsplit_once('/') {
            Some((spec, proto)) if !proto.contains(':') => (spec, Some(proto)),
            _ => (spec, None),
        };
        let parts: Vec<&str> = split_outside_braces(spec, ':')
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        let n = parts.len();
        // Docker's own split: the container part is last, the host port next
        // to last, and whatever precedes is the address (IPv6 included).
        let (host_ip, published) = match n {
            1 => (None, None),
            2 => (None, Some(parts[0])),
            _ => {
                let ip = spec[..spec.len() - parts[n - 1].len() - parts[n - 2].len() - 2]
                    .trim_start_matches('[')
                    .trim_end_matches(']');
                (Some(ip), Some(parts[n - 2]))
            }
        };
        Some(Port {
            node,
            long: false,
            host_ip: host_ip.filter(|s| !s.is_empty()),
            published: published.filter(|s| !s.is_empty()),
            target: Some(parts[n - 1]),
            protocol,
        })
    }

    /// Container ports, when no variable is set.
    pub fn target_ports(&self) -> Option<RangeInclusive<u16>> {
        port_range(&interpolate::value_when_unset(self.target?)?)
    }

    /// The address the host listens on when no variable is set; `None` when
    /// a required variable decides it.
    pub fn host_ip_when_unset(&self) -> Option<String> {
        match self.host_ip {
            Some(ip) => interpolate::value_when_unset(ip),
            None => Some(String::new()),
        }
    }

    /// Whether the port is reachable on every interface of the host: no
    /// address or a wildcard one. A port with no host port is still
    /// published, on an ephemeral port.
    pub fn on_all_interfaces(&self) -> bool {
        self.host_ip_when_unset().is_some_and(|ip| {
            let ip = ip.trim().trim_start_matches('[').trim_end_matches(']');
            ip.is_empty() || ip == "0.0.0.0" || ip == "::"
        })
    }
}

/// `80`, `8080-8081`.
fn port_range(text: &str) -> Option<RangeInclusive<u16>> {
    let text = text.trim();
    match text.split_once('-') {
        Some((a, b)) => Some(a.trim().parse().ok()?..=b.trim().parse().ok()?),
        None => {
            let port = text.parse().ok()?;
            Some(port..=port)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountKind {
    Bind,
    Volume,
    Tmpfs,
    /// `npipe`, `image`, `cluster`, or a source we cannot classify.
    Other,
}

/// A `volumes:` entry, short (`./data:/data:ro`) or long (`type: bind`).
#[derive(Debug, Clone, Copy)]
pub struct Mount<'a> {
    pub node: NodeRef<'a>,
    pub long: bool,
    pub kind: MountKind,
    /// As written; `None` for an anonymous volume.
    pub source: Option<&'a str>,
    pub target: Option<&'a str>,
    pub read_only: bool,
}

impl<'a> Mount<'a> {
    fn new(node: NodeRef<'a>) -> Option<Self> {
        if node.is_map() {
            let source = node.get("source").and_then(text);
            let kind = match node.get("type").and_then(text) {
                Some("bind") => MountKind::Bind,
                Some("volume") => MountKind::Volume,
                Some("tmpfs") => MountKind::Tmpfs,
                _ => MountKind::Other,
            };
            return Some(Mount {
                node,
                long: true,
                kind,
                source,
                target: node.get("target").and_then(text),
                read_only: node.get("read_only").and_then(boolean).unwrap_or(false),
            });
        }
        let spec = text(node)?;
        let mut parts: Vec<&str> = split_outside_braces(spec, ':')
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        // `C:\data:/data`: a drive letter is part of the source.
        if parts.len() > 2
            && parts[0].len() == 1
            && parts[0].bytes().all(|b| b.is_ascii_alphabetic())
            && parts[1].starts_with(['\\', '/'])
        {
            let joined = &spec[..parts[0].len() + 1 + parts[1].len()];
            parts.splice(0..2, [joined]);
        }
        let (source, target, mode) = match parts.as_slice() {
            [target] => (None, *target, ""),
            [source, target] => (Some(*source), *target, ""),
            [source, target, mode, ..] => (Some(*source), *target, *mode),
            [] => return None,
        };
        let kind = match source {
            None => MountKind::Volume,
            Some(source) => source_kind(source),
        };
        Some(Mount {
            node,
            long: false,
            kind,
            source,
            target: Some(target),
            read_only: mode.split(',').any(|m| m == "ro"),
        })
    }

    /// The host path or volume name when no variable is set.
    pub fn source_when_unset(&self) -> Option<String> {
        interpolate::value_when_unset(self.source?)
    }
}

/// Compose reads a short source as a host path when it looks like one, and
/// as a named volume otherwise.
fn source_kind(source: &str) -> MountKind {
    let Some(resolved) = interpolate::value_when_unset(source) else {
        return MountKind::Other;
    };
    let bytes = resolved.as_bytes();
    let drive = bytes.len() > 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    if resolved.starts_with(['/', '.', '~', '\\']) || drive || resolved.contains('/') {
        MountKind::Bind
    } else if !resolved.is_empty()
        && resolved
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    {
        MountKind::Volume
    } else {
        MountKind::Other
    }
}

/// A capability in `cap_add` or `cap_drop`, named without `CAP_`, upper case.
#[derive(Debug, Clone)]
pub struct Capability<'a> {
    pub node: NodeRef<'a>,
    pub name: String,
}

fn capabilities(items: Vec<NodeRef<'_>>) -> Vec<Capability<'_>> {
    items
        .into_iter()
        .filter_map(|node| {
            let upper = text(node)?.to_ascii_uppercase();
            let name = upper.strip_prefix("CAP_").unwrap_or(&upper).to_owned();
            Some(Capability { node, name })
        })
        .collect()
}

/// A `security_opt` item: `key:value` or `key=value` (Docker accepts both).
#[derive(Debug, Clone, Copy)]
pub struct SecurityOpt<'a> {
    pub node: NodeRef<'a>,
    pub key: &'a str,
    pub value: Option<&'a str>,
}

impl<'a> SecurityOpt<'a> {
    fn new(node: NodeRef<'a>) -> Option<Self> {
        let t = text(node)?;
        Some(match t.find([':', '=']) {
            Some(i) => SecurityOpt {
                node,
                key: &t[..i],
                value: Some(&t[i + 1..]),
            },
            None => SecurityOpt {
                node,
                key: t,
                value: None,
            },
        })
    }

    /// For flag-like options (`no-new-privileges`): bare means on.
    pub fn enabled(&self) -> bool {
        self.value
            .is_none_or(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
    }
}

/// `healthcheck:`; `disabled` for `disable: true` and `test: ["NONE"]`.
#[derive(Clone, Copy)]
pub struct Healthcheck<'a> {
    pub node: NodeRef<'a>,
    pub test: Option<NodeRef<'a>>,
    pub disabled: bool,
}

/// A `depends_on` entry.
#[derive(Debug, Clone, Copy)]
pub struct Dependency<'a> {
    pub service: &'a str,
    /// The list item or the mapping key naming the service.
    pub node: NodeRef<'a>,
    pub condition: Option<NodeRef<'a>>,
    /// Written in the long (mapping) form.
    pub long: bool,
}

impl<'a> Dependency<'a> {
    /// The condition, `service_started` unless stated.
    pub fn condition(&self) -> &'a str {
        self.condition.and_then(text).unwrap_or("service_started")
    }
}

/// A `secrets:` or `configs:` reference of a service.
#[derive(Debug, Clone, Copy)]
pub struct Reference<'a> {
    pub node: NodeRef<'a>,
    pub source: &'a str,
    /// The node holding the source's name.
    pub source_node: NodeRef<'a>,
}

fn references(items: Vec<NodeRef<'_>>) -> Vec<Reference<'_>> {
    items
        .into_iter()
        .filter_map(|node| {
            let source_node = if node.is_map() {
                node.get("source")?
            } else {
                node
            };
            Some(Reference {
                node,
                source: text(source_node)?,
                source_node,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
