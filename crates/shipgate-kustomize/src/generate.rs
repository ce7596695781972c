//! `configMapGenerator` and `secretGenerator`. Each generated value keeps
//! the span of what it came from: the literal, the line of an env file, or
//! the whole data file.

use std::rc::Rc;

use shipgate_core::SourceSpan;
use shipgate_syntax::yaml::{NodeRef, OwnedNode, shift};

use crate::build::{Builder, File};
use crate::hash::base64;
use crate::paths::{self, join};
use crate::resource::{HashKind, Resource};

struct Datum {
    key: String,
    value: String,
    span: SourceSpan,
}

#[derive(Default, Clone)]
struct Options {
    labels: Vec<(String, OwnedNode)>,
    annotations: Vec<(String, OwnedNode)>,
    no_hash: bool,
    immutable: Option<OwnedNode>,
}

impl Builder<'_> {
    pub(crate) fn generators(
        &mut self,
        dir: &str,
        file: &Rc<File>,
        root: NodeRef<'_>,
        resources: &mut Vec<Resource>,
    ) {
        let global = self.options(file, root.get("generatorOptions"), Options::default());
        for (key, kind) in [
            ("configMapGenerator", HashKind::ConfigMap),
            ("secretGenerator", HashKind::Secret),
        ] {
            let Some(list) = root.get(key).filter(|l| !l.is_null()) else {
                continue;
            };
            for entry in list.items() {
                self.generate(dir, file, entry, kind, &global, resources);
            }
        }
    }

    fn options(&mut self, file: &File, node: Option<NodeRef<'_>>, mut options: Options) -> Options {
        let Some(node) = node else {
            return options;
        };
        for (field, into) in [
            ("labels", &mut options.labels),
            ("annotations", &mut options.annotations),
        ] {
            for (k, v) in node.get(field).into_iter().flat_map(|m| m.entries()) {
                let Some(k) = k.as_text() else { continue };
                if v.as_str().is_none() {
                    self.error(
                        &file.path,
                        Some(v.span()),
                        format!("the value of `{k}` must be a string; quote it"),
                    );
                    continue;
                }
                into.retain(|(existing, _)| existing != k);
                into.push((k.to_owned(), file.owned(v)));
            }
        }
        if let Some(flag) = node.get("disableNameSuffixHash").and_then(|b| b.as_bool()) {
            options.no_hash = flag;
        }
        if let Some(flag) = node.get("immutable").filter(|b| b.as_bool().is_some()) {
            options.immutable = Some(file.owned(flag));
        }
        options
    }

    fn generate(
        &mut self,
        dir: &str,
        file: &Rc<File>,
        entry: NodeRef<'_>,
        kind: HashKind,
        global: &Options,
        resources: &mut Vec<Resource>,
    ) {
        let path = file.path.clone();
        let Some(name) = entry.get("name").and_then(|n| n.as_text()) else {
            self.error(&path, Some(entry.span()), "a generator needs a `name`");
            return;
        };
        let options = self.options(file, entry.get("options"), global.clone());
        let mut data = Vec::new();
        for item in entry.get("literals").into_iter().flat_map(|l| l.items()) {
            let Some(text) = item.as_text() else { continue };
            match text.split_once('=') {
                Some((key, value)) => data.push(Datum {
                    key: key.to_owned(),
                    value: unquote(value).to_owned(),
                    span: file.span(item),
                }),
                None => self.error(
                    &path,
                    Some(item.span()),
                    format!("literal `{text}` needs the form KEY=VALUE"),
                ),
            }
        }
        for item in entry.get("files").into_iter().flat_map(|l| l.items()) {
            let Some(text) = item.as_text() else { continue };
            let (key, source) = match text.split_once('=') {
                Some((key, source)) => (key.to_owned(), source),
                None => (paths::file_name(text).to_owned(), text),
            };
            if let Some((value, span)) = self.data_file(dir, file, item, source) {
                data.push(Datum { key, value, span });
            }
        }
        let env_files = entry
            .get("envs")
            .into_iter()
            .flat_map(|l| l.items())
            .chain(entry.get("env").filter(|e| e.is_scalar()));
        for item in env_files {
            let Some(text) = item.as_text() else { continue };
            self.env_file(dir, file, item, text, &mut data);
        }
        let cause = file.span(entry);
        let behavior = entry
            .get("behavior")
            .and_then(|b| b.as_text())
            .unwrap_or("create");
        let namespace = entry.get("namespace").and_then(|n| n.as_text());
        let type_node = entry.get("type").filter(|_| kind == HashKind::Secret);
        match behavior {
            "create" => {
                let node = build(
                    name,
                    namespace,
                    kind,
                    type_node.map(|t| file.owned(t)),
                    &data,
                    &options,
                    cause,
                );
                let mut r = Resource::new(node);
                r.hash = (!options.no_hash).then_some(kind);
                self.add(resources, r, &path, Some(entry.span()));
            }
            "merge" | "replace" => {
                let kind_name = kind_name(kind);
                let found = resources.iter_mut().find(|r| {
                    r.kind() == kind_name
                        && r.answers_to(name)
                        && namespace.is_none_or(|ns| r.namespace() == ns)
                });
                let Some(existing) = found else {
                    self.error(&path, Some(entry.span()), format!("`behavior: {behavior}` needs an existing {kind_name} `{name}` from a base"));
                    return;
                };
                if behavior == "replace" {
                    existing.node.remove("data");
                }
                let data_node = existing.node.ensure_map("data", cause);
                for d in &data {
                    data_node.insert(&d.key, value_node(kind, d));
                }
                let metadata = existing.node.ensure_map("metadata", cause);
                for (field, pairs) in [
                    ("labels", &options.labels),
                    ("annotations", &options.annotations),
                ] {
                    if pairs.is_empty() {
                        continue;
                    }
                    let map = metadata.ensure_map(field, cause);
                    for (k, v) in pairs {
                        map.insert(k, v.clone());
                    }
                }
                if let Some(flag) = &options.immutable {
                    existing.node.insert("immutable", flag.clone());
                }
                if options.no_hash {
                    existing.hash = None;
                }
            }
            other => {
                let span = entry.get("behavior").map(|b| b.span());
                self.error(
                    &path,
                    span,
                    format!("unknown behavior `{other}` (create, merge or replace)"),
                );
            }
        }
    }

    /// Reads a generator's data file, which kustomize requires to be in the
    /// kustomization's folder.
    fn data_file(
        &mut self,
        dir: &str,
        file: &File,
        item: NodeRef<'_>,
        source: &str,
    ) -> Option<(String, SourceSpan)> {
        let target = join(dir, source);
        if !paths::is_within(&target, dir) {
            self.error(
                &file.path,
                Some(item.span()),
                format!(
                    "`{source}` is outside the kustomization's folder; kustomize refuses to load it"
                ),
            );
            return None;
        }
        match self.read(&target) {
            Ok(data) => {
                let span = shift(
                    data.lines.span(&data.text, 0, data.text.len() as u32),
                    data.base,
                );
                Some((data.text.clone(), span))
            }
            Err(err) => {
                self.error(
                    &file.path,
                    Some(item.span()),
                    format!("cannot read `{target}`: {err}"),
                );
                None
            }
        }
    }

    /// `KEY=VALUE` lines; blank lines and `#` comments are skipped.
    fn env_file(
        &mut self,
        dir: &str,
        file: &File,
        item: NodeRef<'_>,
        source: &str,
        data: &mut Vec<Datum>,
    ) {
        let target = join(dir, source);
        if !paths::is_within(&target, dir) {
            self.error(
                &file.path,
                Some(item.span()),
                format!(
                    "`{source}` is outside the kustomization's folder; kustomize refuses to load it"
                ),
            );
            return;
        }
        let env = match self.read(&target) {
            Ok(env) => env,
            Err(err) => {
                self.error(
                    &file.path,
                    Some(item.span()),
                    format!("cannot read `{target}`: {err}"),
                );
                return;
            }
        };
        let text = env.text.strip_prefix('\u{feff}').unwrap_or(&env.text);
        let bom = env.text.len() - text.len();
        let mut offset = bom;
        for raw in text.split_inclusive('\n') {
            let start = offset;
            offset += raw.len();
            let line = raw.trim_end_matches(['\n', '\r']).trim_start();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let line_start = start + (raw.len() - raw.trim_start().len());
            let span = shift(
                env.lines.span(
                    &env.text,
                    line_start as u32,
                    (line_start + line.len()) as u32,
                ),
                env.base,
            );
            match line.split_once('=') {
                Some((key, value)) => data.push(Datum {
                    key: key.to_owned(),
                    value: value.to_owned(),
                    span,
                }),
                None => self.unsupported(
                    &target,
                    Some(crate::build::unshift(span, env.base)),
                    format!(
                        "`{line}` takes its value from the environment, which a check does not read"
                    ),
                ),
            }
        }
    }
}

fn kind_name(kind: HashKind) -> &'static str {
    match kind {
        HashKind::ConfigMap => "ConfigMap",
        HashKind::Secret => "Secret",
    }
}

/// kustomize strips one pair of matching quotes around a literal's value.
fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return &value[1..value.len() - 1];
        }
    }
    value
}

fn value_node(kind: HashKind, d: &Datum) -> OwnedNode {
    match kind {
        HashKind::ConfigMap => OwnedNode::string(d.value.clone(), d.span),
        HashKind::Secret => OwnedNode::string(base64(d.value.as_bytes()), d.span),
    }
}

fn build(
    name: &str,
    namespace: Option<&str>,
    kind: HashKind,
    secret_type: Option<OwnedNode>,
    data: &[Datum],
    options: &Options,
    cause: SourceSpan,
) -> OwnedNode {
    let mut node = OwnedNode::map(cause);
    node.insert("apiVersion", OwnedNode::plain("v1", cause));
    node.insert("kind", OwnedNode::plain(kind_name(kind), cause));
    let metadata = node.ensure_map("metadata", cause);
    metadata.insert("name", OwnedNode::string(name, cause));
    if let Some(ns) = namespace {
        metadata.insert("namespace", OwnedNode::string(ns, cause));
    }
    for (field, pairs) in [
        ("labels", &options.labels),
        ("annotations", &options.annotations),
    ] {
        if pairs.is_empty() {
            continue;
        }
        let map = metadata.ensure_map(field, cause);
        for (k, v) in pairs {
            map.insert(k, v.clone());
        }
    }
    if kind == HashKind::Secret {
        node.insert(
            "type",
            secret_type.unwrap_or_else(|| OwnedNode::string("Opaque", cause)),
        );
    }
    if !data.is_empty() {
        let mut sorted: Vec<&Datum> = data.iter().collect();
        sorted.sort_by(|a, b| a.key.cmp(&b.key));
        let map = node.ensure_map("data", cause);
        for d in sorted {
            map.insert(&d.key, value_node(kind, d));
        }
    }
    if let Some(flag) = &options.immutable {
        node.insert("immutable", flag.clone());
    }
    node
}

#[cfg(test)]
mod tests {
    use super::unquote;

    #[test]
    fn strips_one_pair_of_matching_quotes() {
        assert_eq!(unquote("\"a\""), "a");
        assert_eq!(unquote("'a'"), "a");
        assert_eq!(unquote("\"a'"), "\"a'");
        assert_eq!(unquote("\""), "\"");
    }
}
