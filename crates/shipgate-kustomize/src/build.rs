//! Walks kustomizations: resources, components, generators, then the
//! transformers in kustomize's order.

use std::collections::{HashMap, HashSet};
use std::io;
use std::rc::Rc;

use shipgate_core::{Position, SourceSpan};
use shipgate_syntax::LineIndex;
use shipgate_syntax::yaml::{
    Limits, NodeRef, OwnedNode, ScalarStyle, Schema, SourceTable, YamlStream, parse, shift,
};

use crate::merge::{self, Outcome};
use crate::paths::{self, join};
use crate::replace::{self, Pick};
use crate::resource::{LabelSelector, Resource, Selector, anchored};
use crate::transform::{self, Image, Pair};
use crate::{Diagnostic, KUSTOMIZATION_FILES, Loader, Rendering, jsonpatch};

/// Deeper chains of bases than this are taken for a cycle the path check missed.
const MAX_DEPTH: usize = 64;

const SUPPORTED: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "resources",
    "bases",
    "components",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "namespace",
    "namePrefix",
    "nameSuffix",
    "labels",
    "commonLabels",
    "commonAnnotations",
    "images",
    "replicas",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
    "sortOptions",
    "replacements",
];

const UNSUPPORTED: &[&str] = &[
    "helmCharts",
    "helmGlobals",
    "helmChartInflationGenerator",
    "transformers",
    "generators",
    "validators",
    "vars",
    "configurations",
    "crds",
    "openapi",
    "buildMetadata",
    "inventory",
    "imageTags",
];

pub(crate) struct File {
    pub path: String,
    pub text: String,
    pub lines: LineIndex,
    pub stream: YamlStream,
    pub base: u32,
}

impl File {
    /// A node's span shifted into the rendering's byte space.
    pub fn span(&self, node: NodeRef<'_>) -> SourceSpan {
        shift(node.span(), self.base)
    }

    pub fn owned(&self, node: NodeRef<'_>) -> OwnedNode {
        OwnedNode::from_ref(node, self.base)
    }
}

/// A patch's documents, with where to report problems with it.
struct PatchSource {
    path: String,
    span: Option<SourceSpan>,
    documents: Vec<OwnedNode>,
}

pub(crate) struct Builder<'l> {
    loader: &'l dyn Loader,
    pub sources: SourceTable,
    inputs: Vec<String>,
    seen: HashSet<String>,
    pub diagnostics: Vec<Diagnostic>,
    stack: Vec<String>,
    files: HashMap<String, Rc<File>>,
}

impl<'l> Builder<'l> {
    pub fn new(loader: &'l dyn Loader) -> Self {
        Builder {
            loader,
            sources: SourceTable::new(),
            inputs: Vec::new(),
            seen: HashSet::new(),
            diagnostics: Vec::new(),
            stack: Vec::new(),
            files: HashMap::new(),
        }
    }

    pub fn render(mut self, dir: &str) -> Rendering {
        let mut resources = Vec::new();
        let mut order = None;
        if let Some(file) = self.kustomization(dir, None) {
            order = self.sort_options(&file);
            self.accumulate(dir, &file, &mut resources, false);
        }
        for r in &mut resources {
            if let Some(kind) = r.hash {
                let name = format!("{}-{}", r.name(), crate::hash::suffix(r, kind));
                let cause = r.node.span;
                r.rename(name, cause);
            }
        }
        transform::fix_references(&mut resources);
        match order {
            Some(Order::Fifo) => {}
            Some(Order::Legacy(first, last)) => {
                transform::legacy_sort(&mut resources, &first, &last)
            }
            None => transform::legacy_sort(&mut resources, &[], &[]),
        }
        let documents = resources.into_iter().map(|r| r.node).collect();
        Rendering {
            stream: YamlStream::from_documents(
                documents,
                self.sources.into_sources(),
                Schema::Yaml11,
            ),
            inputs: self.inputs,
            diagnostics: self.diagnostics,
        }
    }

    pub fn error(&mut self, path: &str, span: Option<SourceSpan>, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            path: path.to_owned(),
            span,
            message: message.into(),
            unsupported: false,
        });
    }

    pub fn unsupported(
        &mut self,
        path: &str,
        span: Option<SourceSpan>,
        message: impl Into<String>,
    ) {
        self.diagnostics.push(Diagnostic {
            path: path.to_owned(),
            span,
            message: message.into(),
            unsupported: true,
        });
    }

    /// Reads a file once, registering it as an input and a source.
    pub fn read(&mut self, path: &str) -> io::Result<Rc<File>> {
        if let Some(file) = self.files.get(path) {
            return Ok(file.clone());
        }
        let text = self.loader.read(path)?;
        if self.seen.insert(path.to_owned()) {
            self.inputs.push(path.to_owned());
        }
        let base = self.sources.base(path, text.len());
        let lines = LineIndex::new(&text);
        // Data files are parsed too; their syntax errors are reported only
        // when they are read as YAML.
        let stream = parse(&text, Schema::Yaml11, Limits::default());
        let file = Rc::new(File {
            path: path.to_owned(),
            text,
            lines,
            stream,
            base,
        });
        self.files.insert(path.to_owned(), file.clone());
        Ok(file)
    }

    /// Reads a YAML file, reporting its syntax errors; `None` when unreadable.
    fn read_yaml(&mut self, path: &str, from: (&str, Option<SourceSpan>)) -> Option<Rc<File>> {
        let file = match self.read(path) {
            Ok(file) => file,
            Err(err) => {
                let message = if err.kind() == io::ErrorKind::NotFound {
                    format!("`{path}` does not exist")
                } else {
                    format!("cannot read `{path}`: {err}")
                };
                self.error(from.0, from.1, message);
                return None;
            }
        };
        for error in &file.stream.errors {
            self.diagnostics.push(Diagnostic {
                path: path.to_owned(),
                span: Some(error.span),
                message: error.message.clone(),
                unsupported: false,
            });
        }
        Some(file)
    }

    /// The kustomization file of `dir`, read and checked.
    fn kustomization(&mut self, dir: &str, from: Option<(&str, SourceSpan)>) -> Option<Rc<File>> {
        let found = KUSTOMIZATION_FILES
            .iter()
            .map(|name| join(dir, name))
            .find(|path| self.files.contains_key(path) || self.loader.read(path).is_ok());
        let Some(path) = found else {
            let message = format!(
                "`{dir}` has no kustomization file (kustomization.yaml, kustomization.yml or Kustomization)"
            );
            match from {
                Some((p, span)) => self.error(p, Some(span), message),
                None => self.error(dir, None, message),
            }
            return None;
        };
        let file = self.read_yaml(&path, (dir, None))?;
        match file.stream.root(0) {
            Some(root) if root.is_map() => Some(file),
            Some(root) if root.is_null() => Some(file),
            Some(root) => {
                let span = Some(root.span());
                self.error(&path, span, "a kustomization must be a mapping");
                None
            }
            None => Some(file),
        }
    }

    fn sort_options(&mut self, file: &File) -> Option<Order> {
        let options = file.stream.root(0)?.get("sortOptions")?;
        match options.get("order").and_then(|o| o.as_text()) {
            Some("fifo") => Some(Order::Fifo),
            Some("legacy") | None => {
                let list = |key: &str| -> Vec<String> {
                    options
                        .path(&["legacySortOptions", key])
                        .map(|l| {
                            l.items()
                                .filter_map(|i| i.as_text().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default()
                };
                Some(Order::Legacy(list("orderFirst"), list("orderLast")))
            }
            Some(other) => {
                let span = Some(options.span());
                self.error(&file.path, span, format!("unknown sort order `{other}`"));
                None
            }
        }
    }

    /// Builds the folder `dir` (a base) into a fresh list of objects.
    fn build_dir(&mut self, dir: &str, from: (&str, SourceSpan), component: bool) -> Vec<Resource> {
        let mut resources = Vec::new();
        if self.stack.iter().any(|d| d == dir) || self.stack.len() >= MAX_DEPTH {
            let chain = self.stack.join(" -> ");
            self.error(
                from.0,
                Some(from.1),
                format!("cycle: `{dir}` includes itself ({chain} -> {dir})"),
            );
            return resources;
        }
        if let Some(file) = self.kustomization(dir, Some(from)) {
            self.accumulate(dir, &file, &mut resources, component);
        }
        resources
    }

    /// Applies the kustomization in `file` to `resources`: the objects of a
    /// component's parent, or nothing for a kustomization.
    fn accumulate(
        &mut self,
        dir: &str,
        file: &Rc<File>,
        resources: &mut Vec<Resource>,
        component: bool,
    ) {
        self.stack.push(dir.to_owned());
        let Some(root) = file.stream.root(0).filter(|r| r.is_map()) else {
            self.stack.pop();
            return;
        };
        let path = file.path.as_str();
        let kind = root
            .get("kind")
            .and_then(|k| k.as_text())
            .unwrap_or("Kustomization");
        let expected = if component {
            "Component"
        } else {
            "Kustomization"
        };
        if kind != expected {
            let span = root.get("kind").map(|k| k.span());
            self.error(
                path,
                span,
                format!("expected kind `{expected}`, found `{kind}`"),
            );
        }
        for (key, _) in root.entries() {
            let name = key.scalar_text().unwrap_or("");
            if SUPPORTED.contains(&name) {
                continue;
            }
            let span = Some(key.span());
            if UNSUPPORTED.contains(&name) {
                self.unsupported(path, span, format!("`{name}` is not rendered natively"));
            } else {
                self.error(path, span, format!("unknown kustomization field `{name}`"));
            }
        }
        for key in ["resources", "bases"] {
            for entry in string_list(self, file, root, key) {
                self.resource(dir, file, entry, resources);
            }
        }
        for entry in string_list(self, file, root, "components") {
            let (text, node) = entry;
            if paths::is_remote(&text) {
                self.unsupported(
                    path,
                    Some(node.span()),
                    format!("remote component `{text}` is not fetched"),
                );
                continue;
            }
            let target = join(dir, &text);
            if self.stack.contains(&target) {
                self.error(
                    path,
                    Some(node.span()),
                    format!("cycle: `{target}` includes itself"),
                );
                continue;
            }
            if let Some(component_file) = self.kustomization(&target, Some((path, node.span()))) {
                self.accumulate(&target, &component_file, resources, true);
            }
        }
        self.generators(dir, file, root, resources);
        self.transformers(dir, file, root, resources);
        self.stack.pop();
    }

    fn resource(
        &mut self,
        dir: &str,
        file: &Rc<File>,
        entry: (String, NodeRef<'_>),
        resources: &mut Vec<Resource>,
    ) {
        let (text, node) = entry;
        let from = file.path.as_str();
        if paths::is_remote(&text) {
            self.unsupported(
                from,
                Some(node.span()),
                format!("remote resource `{text}` is not fetched"),
            );
            return;
        }
        let target = join(dir, &text);
        let added = if self.loader.is_dir(&target) {
            self.build_dir(&target, (from, node.span()), false)
        } else {
            let Some(resource_file) = self.read_yaml(&target, (from, Some(node.span()))) else {
                return;
            };
            self.objects(&resource_file)
        };
        for r in added {
            self.add(resources, r, from, Some(node.span()));
        }
    }

    /// The objects of a resource file; `List` kinds are unpacked.
    pub fn objects(&mut self, file: &File) -> Vec<Resource> {
        let mut out = Vec::new();
        for index in 0..file.stream.documents.len() {
            let Some(root) = file.stream.root(index) else {
                continue;
            };
            if root.is_null() {
                continue;
            }
            if !root.is_map() {
                self.error(
                    &file.path,
                    Some(root.span()),
                    "a resource must be a mapping",
                );
                continue;
            }
            let kind = root.get("kind").and_then(|k| k.as_text()).unwrap_or("");
            if kind.ends_with("List") && root.get("items").is_some_and(|i| i.is_seq()) {
                for item in root.get("items").into_iter().flat_map(|i| i.items()) {
                    self.object(file, item, &mut out);
                }
            } else {
                self.object(file, root, &mut out);
            }
        }
        out
    }

    fn object(&mut self, file: &File, node: NodeRef<'_>, out: &mut Vec<Resource>) {
        if node.get("kind").and_then(|k| k.as_text()).is_none() {
            self.error(&file.path, Some(node.span()), "a resource needs a `kind`");
            return;
        }
        if node
            .path(&["metadata", "name"])
            .and_then(|k| k.as_text())
            .is_none()
        {
            self.error(
                &file.path,
                Some(node.span()),
                "a resource needs `metadata.name`",
            );
            return;
        }
        out.push(Resource::new(file.owned(node)));
    }

    /// Adds an object, refusing one whose identity is already taken.
    pub fn add(
        &mut self,
        resources: &mut Vec<Resource>,
        r: Resource,
        path: &str,
        span: Option<SourceSpan>,
    ) {
        let clash = resources.iter().any(|o| {
            o.name() == r.name()
                && o.kind() == r.kind()
                && o.namespace() == r.namespace()
                && o.group() == r.group()
        });
        if clash {
            let what = r.describe();
            self.error(
                path,
                span,
                format!("{what} is already defined; kustomize refuses duplicates"),
            );
            return;
        }
        resources.push(r);
    }

    fn transformers(
        &mut self,
        dir: &str,
        file: &Rc<File>,
        root: NodeRef<'_>,
        resources: &mut Vec<Resource>,
    ) {
        let path = file.path.clone();
        if let Some(list) = root.get("patchesStrategicMerge") {
            for item in list.items() {
                let Some(text) = item.as_str() else {
                    self.error(
                        &path,
                        Some(item.span()),
                        "expected a file name or an inline patch",
                    );
                    continue;
                };
                let source = if text.contains('\n') || text.trim_start().starts_with('{') {
                    self.inline_patch(file, item)
                } else {
                    self.patch_file(dir, file, item, text)
                };
                if let Some(source) = source {
                    for document in &source.documents {
                        self.strategic(resources, document, None, &source);
                    }
                }
            }
        }
        if let Some(list) = root.get("patches") {
            for item in list.items() {
                self.patch_entry(dir, file, item, resources, false);
            }
        }
        if let Some(node) = root.get("namespace").filter(|n| !n.is_null()) {
            match node.as_text() {
                Some(namespace) => transform::namespace(resources, namespace, file.span(node)),
                None => self.error(&path, Some(node.span()), "`namespace` must be a string"),
            }
        }
        let prefix = root
            .get("namePrefix")
            .and_then(|n| n.as_text().map(|t| (t, n)));
        let suffix = root
            .get("nameSuffix")
            .and_then(|n| n.as_text().map(|t| (t, n)));
        if let Some((prefix, node)) = prefix {
            transform::prefix_suffix(resources, prefix, "", file.span(node));
        }
        if let Some((suffix, node)) = suffix {
            transform::prefix_suffix(resources, "", suffix, file.span(node));
        }
        if let Some(node) = root.get("labels") {
            for entry in node.items() {
                let pairs = self.pairs(file, entry.get("pairs"));
                let flag = |key: &str| entry.get(key).and_then(|b| b.as_bool()).unwrap_or(false);
                if entry.get("fields").is_some() {
                    let span = entry.get("fields").map(|f| f.span());
                    self.unsupported(&path, span, "`labels[].fields` is not rendered natively");
                }
                transform::labels(
                    resources,
                    &pairs,
                    flag("includeSelectors"),
                    flag("includeTemplates"),
                );
            }
        }
        if let Some(node) = root.get("commonLabels") {
            let pairs = self.pairs(file, Some(node));
            transform::labels(resources, &pairs, true, true);
        }
        if let Some(node) = root.get("commonAnnotations") {
            let pairs = self.pairs(file, Some(node));
            transform::annotations(resources, &pairs);
        }
        if let Some(list) = root.get("patchesJson6902") {
            for item in list.items() {
                self.patch_entry(dir, file, item, resources, true);
            }
        }
        if let Some(list) = root.get("replicas") {
            for item in list.items() {
                let name = item.get("name").and_then(|n| n.as_text());
                let count = item.get("count").filter(|c| c.as_i64().is_some());
                match (name, count) {
                    (Some(name), Some(count)) => {
                        transform::replicas(resources, name, &file.owned(count))
                    }
                    _ => self.error(
                        &path,
                        Some(item.span()),
                        "a replicas entry needs `name` and an integer `count`",
                    ),
                }
            }
        }
        if let Some(list) = root.get("images") {
            let mut images = Vec::new();
            for item in list.items() {
                let text = |key: &str| item.get(key).and_then(|n| n.as_text()).map(str::to_owned);
                let Some(name) = text("name") else {
                    self.error(&path, Some(item.span()), "an images entry needs `name`");
                    continue;
                };
                if item.get("tagSuffix").is_some() {
                    self.unsupported(
                        &path,
                        Some(item.span()),
                        "`images[].tagSuffix` is not rendered natively",
                    );
                }
                images.push(Image {
                    name,
                    new_name: text("newName"),
                    new_tag: text("newTag"),
                    digest: text("digest"),
                    cause: file.span(item),
                });
            }
            transform::images(resources, &images);
        }
        if let Some(list) = root.get("replacements") {
            for item in list.items() {
                self.replacement_entry(dir, file, item, resources);
            }
        }
    }

    /// The `key: value` pairs of a labels or annotations mapping; values
    /// must be strings, as kustomize requires.
    fn pairs(&mut self, file: &File, node: Option<NodeRef<'_>>) -> Vec<Pair> {
        let mut pairs = Vec::new();
        for (key, value) in node.into_iter().flat_map(|n| n.entries()) {
            let Some(k) = key.as_text() else {
                continue;
            };
            if value.as_str().is_none() {
                self.error(
                    &file.path,
                    Some(value.span()),
                    format!("the value of `{k}` must be a string; quote it"),
                );
                continue;
            }
            pairs.push(Pair {
                key: k.to_owned(),
                value: file.owned(value),
            });
        }
        pairs
    }

    fn patch_file(
        &mut self,
        dir: &str,
        file: &File,
        node: NodeRef<'_>,
        text: &str,
    ) -> Option<PatchSource> {
        let target = join(dir, text);
        if !paths::is_within(&target, dir) {
            self.error(
                &file.path,
                Some(node.span()),
                format!(
                    "`{text}` is outside the kustomization's folder; kustomize refuses to load it"
                ),
            );
            return None;
        }
        let patch = self.read_yaml(&target, (&file.path, Some(node.span())))?;
        let documents = (0..patch.stream.documents.len())
            .filter_map(|i| patch.stream.root(i))
            .filter(|r| !r.is_null())
            .map(|r| patch.owned(r))
            .collect();
        Some(PatchSource {
            path: target,
            span: None,
            documents,
        })
    }

    /// A patch written inside the kustomization. A literal block (`|`) is
    /// parsed with its lines and columns mapped back onto the
    /// kustomization's; other styles point at the scalar as a whole.
    fn inline_patch(&mut self, file: &File, node: NodeRef<'_>) -> Option<PatchSource> {
        let text = node.scalar_text().unwrap_or("");
        let inner = parse(text, Schema::Yaml11, Limits::default());
        if let Some(error) = inner.errors.first() {
            let span = Some(self.embedded_span(file, node, error.span));
            let message = format!("inline patch: {}", error.message);
            self.error(&file.path, span.map(|s| unshift(s, file.base)), message);
            return None;
        }
        let mut documents = Vec::new();
        for i in 0..inner.documents.len() {
            let Some(root) = inner.root(i).filter(|r| !r.is_null()) else {
                continue;
            };
            let mut owned = OwnedNode::from_ref(root, 0);
            self.remap(file, node, &mut owned);
            documents.push(owned);
        }
        Some(PatchSource {
            path: file.path.clone(),
            span: Some(node.span()),
            documents,
        })
    }

    fn remap(&self, file: &File, scalar: NodeRef<'_>, node: &mut OwnedNode) {
        node.span = self.embedded_span(file, scalar, node.span);
        match &mut node.value {
            shipgate_syntax::yaml::OwnedValue::Scalar { .. } => {}
            shipgate_syntax::yaml::OwnedValue::Seq(items) => {
                items.iter_mut().for_each(|n| self.remap(file, scalar, n));
            }
            shipgate_syntax::yaml::OwnedValue::Map(entries) => {
                entries.iter_mut().for_each(|(k, v)| {
                    self.remap(file, scalar, k);
                    self.remap(file, scalar, v);
                })
            }
        }
    }

    /// Maps a span inside a block scalar's text to the file, shifted.
    fn embedded_span(&self, file: &File, scalar: NodeRef<'_>, inner: SourceSpan) -> SourceSpan {
        let outer = scalar.span();
        if scalar.style() != Some(ScalarStyle::Literal) {
            return shift(outer, file.base);
        }
        // The span may start at the `|` indicator or at the content.
        let at_indicator = file
            .text
            .get(outer.start_byte as usize..)
            .is_some_and(|t| t.starts_with('|'));
        let first_line = outer.start.line + u32::from(at_indicator);
        let indent = (first_line..first_line.saturating_add(1000))
            .filter_map(|l| file.lines.line_text(&file.text, l))
            .find(|t| !t.trim().is_empty())
            .map_or(0, |t| t.len() - t.trim_start_matches(' ').len()) as u32;
        let position = |p: Position| {
            let line = first_line + p.line.saturating_sub(1);
            let column = p.column + indent;
            let byte = file.lines.byte_at(&file.text, line, column - 1);
            (Position::new(line, column), byte)
        };
        let (start, start_byte) = position(inner.start);
        let (end, end_byte) = position(inner.end);
        shift(
            SourceSpan {
                start,
                end,
                start_byte,
                end_byte: end_byte.max(start_byte),
            },
            file.base,
        )
    }

    fn patch_entry(
        &mut self,
        dir: &str,
        file: &File,
        item: NodeRef<'_>,
        resources: &mut Vec<Resource>,
        json_only: bool,
    ) {
        let path = file.path.clone();
        if item.get("options").is_some() {
            self.unsupported(
                &path,
                item.get("options").map(|o| o.span()),
                "patch `options` are not rendered natively",
            );
        }
        let source = match (item.get("path"), item.get("patch")) {
            (Some(p), None) => match p.as_str() {
                Some(text) => self.patch_file(dir, file, p, text),
                None => {
                    self.error(&path, Some(p.span()), "`path` must be a file name");
                    None
                }
            },
            (None, Some(p)) if p.as_str().is_some() => self.inline_patch(file, p),
            _ => {
                self.error(
                    &path,
                    Some(item.span()),
                    "a patch needs exactly one of `path` and `patch`",
                );
                None
            }
        };
        let Some(source) = source else {
            return;
        };
        let selector = match item.get("target") {
            Some(target) => match self.selector(file, target) {
                Some(s) => Some(s),
                None => return,
            },
            None => None,
        };
        let is_json = source.documents.first().is_some_and(OwnedNode::is_seq);
        if is_json || json_only {
            let Some(selector) = selector else {
                self.error(&path, Some(item.span()), "a JSON patch needs a `target`");
                return;
            };
            let Some(ops) = source.documents.first() else {
                return;
            };
            for r in resources.iter_mut().filter(|r| selector.matches(r)) {
                if let Err((n, message)) = jsonpatch::apply(&mut r.node, ops) {
                    let what = r.describe();
                    let base = self.base_of(&source.path);
                    let span = ops.items().get(n).map(|op| unshift(op.span, base));
                    self.error(
                        &source.path,
                        span.or(source.span).or(Some(item.span())),
                        format!("JSON patch on {what}: {message}"),
                    );
                }
            }
            return;
        }
        for document in &source.documents {
            self.strategic(resources, document, selector.as_ref(), &source);
        }
    }

    fn selector(&mut self, file: &File, target: NodeRef<'_>) -> Option<Selector> {
        let mut selector = Selector::default();
        let mut ok = true;
        for (key, value) in target.entries() {
            let Some(k) = key.as_text() else { continue };
            let Some(text) = value.as_text() else {
                self.error(
                    &file.path,
                    Some(value.span()),
                    format!("`{k}` must be a string"),
                );
                ok = false;
                continue;
            };
            let result = match k {
                "group" => anchored(text).map(|r| selector.group = Some(r)),
                "version" => anchored(text).map(|r| selector.version = Some(r)),
                "kind" => anchored(text).map(|r| selector.kind = Some(r)),
                "name" => anchored(text).map(|r| selector.name = Some(r)),
                "namespace" => anchored(text).map(|r| selector.namespace = Some(r)),
                "labelSelector" => LabelSelector::parse(text).map(|s| selector.labels = Some(s)),
                "annotationSelector" => {
                    LabelSelector::parse(text).map(|s| selector.annotations = Some(s))
                }
                other => Err(format!("unknown target field `{other}`")),
            };
            if let Err(message) = result {
                self.error(&file.path, Some(value.span()), message);
                ok = false;
            }
        }
        ok.then_some(selector)
    }

    fn strategic(
        &mut self,
        resources: &mut Vec<Resource>,
        patch: &OwnedNode,
        selector: Option<&Selector>,
        source: &PatchSource,
    ) {
        if !patch.is_map() {
            self.error(
                &source.path,
                source
                    .span
                    .or(Some(unshift(patch.span, self.base_of(&source.path)))),
                "a strategic merge patch must be a mapping",
            );
            return;
        }
        let text = |keys: &[&str]| {
            patch
                .path(keys)
                .and_then(OwnedNode::as_text)
                .unwrap_or("")
                .to_owned()
        };
        let (kind, name, namespace) = (
            text(&["kind"]),
            text(&["metadata", "name"]),
            text(&["metadata", "namespace"]),
        );
        let matches: Vec<usize> = resources
            .iter()
            .enumerate()
            .filter(|(_, r)| match selector {
                Some(s) => s.matches(r),
                None => {
                    r.kind() == kind
                        && r.answers_to(&name)
                        && (namespace.is_empty() || r.namespace() == namespace)
                }
            })
            .map(|(i, _)| i)
            .collect();
        if matches.is_empty() && selector.is_none() {
            let span = source
                .span
                .or(Some(unshift(patch.span, self.base_of(&source.path))));
            self.error(
                &source.path,
                span,
                format!("no resource matches the patch for {kind} {name}"),
            );
            return;
        }
        // The patch says which object it is for, not what to rename it to.
        let mut body = patch.clone();
        body.remove("apiVersion");
        body.remove("kind");
        if let Some(metadata) = body.get_mut("metadata") {
            metadata.remove("name");
            metadata.remove("namespace");
        }
        let mut deleted = Vec::new();
        let mut unsupported = Vec::new();
        for i in matches {
            let builtin = merge::is_builtin_group(resources[i].group());
            if merge::merge(&mut resources[i].node, &body, "", builtin, &mut unsupported)
                == Outcome::Delete
            {
                deleted.push(i);
            }
        }
        for i in deleted.into_iter().rev() {
            resources.remove(i);
        }
        unsupported.sort();
        unsupported.dedup();
        for what in unsupported {
            let span = source
                .span
                .or(Some(unshift(patch.span, self.base_of(&source.path))));
            self.unsupported(
                &source.path,
                span,
                format!("{what} in a strategic merge patch is not rendered natively"),
            );
        }
    }

    pub fn base_of(&self, path: &str) -> u32 {
        self.sources.get(path).unwrap_or(0)
    }
}

impl Builder<'_> {
    fn replacement_entry(
        &mut self,
        dir: &str,
        file: &File,
        item: NodeRef<'_>,
        resources: &mut [Resource],
    ) {
        let Some(path) = item.get("path") else {
            self.replacement(file, item, resources);
            return;
        };
        let Some(text) = path.as_str() else {
            self.error(&file.path, Some(path.span()), "`path` must be a file name");
            return;
        };
        let target = join(dir, text);
        if !paths::is_within(&target, dir) {
            let message = format!(
                "`{text}` is outside the kustomization's folder; kustomize refuses to load it"
            );
            self.error(&file.path, Some(path.span()), message);
            return;
        }
        let Some(loaded) = self.read_yaml(&target, (&file.path, Some(path.span()))) else {
            return;
        };
        for index in 0..loaded.stream.documents.len() {
            let Some(root) = loaded.stream.root(index) else {
                continue;
            };
            if root.is_seq() {
                for one in root.items() {
                    self.replacement(&loaded, one, resources);
                }
            } else if root.is_map() {
                self.replacement(&loaded, root, resources);
            }
        }
    }

    fn pick(&mut self, file: &File, node: NodeRef<'_>) -> Option<Pick> {
        let mut pick = Pick::default();
        for (key, value) in node.entries() {
            let Some(k) = key.as_text() else { continue };
            if matches!(k, "fieldPath" | "options") {
                continue;
            }
            let Some(text) = value.as_text().map(str::to_owned) else {
                self.error(
                    &file.path,
                    Some(value.span()),
                    format!("`{k}` must be a string"),
                );
                return None;
            };
            let selector = |text: &str| LabelSelector::parse(text);
            match k {
                "group" => pick.group = Some(text),
                "version" => pick.version = Some(text),
                "kind" => pick.kind = Some(text),
                "name" => pick.name = Some(text),
                "namespace" => pick.namespace = Some(text),
                "labelSelector" | "annotationSelector" => match selector(&text) {
                    Ok(s) if k == "labelSelector" => pick.labels = Some(s),
                    Ok(s) => pick.annotations = Some(s),
                    Err(message) => {
                        self.error(&file.path, Some(value.span()), message);
                        return None;
                    }
                },
                other => {
                    self.error(
                        &file.path,
                        Some(key.span()),
                        format!("unknown selector field `{other}`"),
                    );
                    return None;
                }
            }
        }
        Some(pick)
    }

    /// `options.delimiter` and `options.index` of a source or target.
    fn split_options(&mut self, file: &File, node: NodeRef<'_>) -> Option<Option<(String, usize)>> {
        let Some(options) = node.get("options") else {
            return Some(None);
        };
        let Some(delimiter) = options.get("delimiter").and_then(|d| d.as_text()) else {
            return Some(None);
        };
        let index = options.get("index").map_or(Some(0), |i| i.as_i64());
        match index.and_then(|i| usize::try_from(i).ok()) {
            Some(index) => Some(Some((delimiter.to_owned(), index))),
            None => {
                self.error(
                    &file.path,
                    Some(options.span()),
                    "`options.index` must be a number from 0",
                );
                None
            }
        }
    }

    fn replacement(&mut self, file: &File, node: NodeRef<'_>, resources: &mut [Resource]) {
        let path = file.path.clone();
        let Some(source) = node.get("source").filter(|s| s.is_map()) else {
            self.error(&path, Some(node.span()), "a replacement needs a `source`");
            return;
        };
        let Some(pick) = self.pick(file, source) else {
            return;
        };
        let found: Vec<usize> = (0..resources.len())
            .filter(|i| pick.matches(&resources[*i]))
            .collect();
        let [index] = found[..] else {
            let message = format!(
                "the replacement source selects {} objects; it must select one",
                found.len()
            );
            self.error(&path, Some(source.span()), message);
            return;
        };
        let field = source
            .get("fieldPath")
            .and_then(|f| f.as_text())
            .unwrap_or("metadata.name");
        let segments = match replace::parse_path(field) {
            Ok(segments) => segments,
            Err(message) => {
                self.error(&path, Some(source.span()), message);
                return;
            }
        };
        let Some(mut value) = replace::lookup(&resources[index].node, &segments)
            .first()
            .map(|n| (*n).clone())
        else {
            let what = resources[index].describe();
            self.error(
                &path,
                Some(source.span()),
                format!("{what} has no field `{field}`"),
            );
            return;
        };
        let Some(source_split) = self.split_options(file, source) else {
            return;
        };
        if let Some((delimiter, at)) = source_split {
            let text = value.as_text().unwrap_or("");
            match replace::part(text, &delimiter, at) {
                Some(part) => value = OwnedNode::string(part, value.span),
                None => {
                    self.error(
                        &path,
                        Some(source.span()),
                        format!("`{text}` has no part {at} split at `{delimiter}`"),
                    );
                    return;
                }
            }
        }
        for target in node.get("targets").into_iter().flat_map(|t| t.items()) {
            let Some(select) = target.get("select").and_then(|s| self.pick(file, s)) else {
                self.error(
                    &path,
                    Some(target.span()),
                    "a replacement target needs a valid `select`",
                );
                continue;
            };
            let mut rejects = Vec::new();
            for reject in target.get("reject").into_iter().flat_map(|r| r.items()) {
                rejects.extend(self.pick(file, reject));
            }
            let create = target
                .path(&["options", "create"])
                .and_then(|c| c.as_bool())
                .unwrap_or(false);
            let Some(split) = self.split_options(file, target) else {
                continue;
            };
            let fields: Vec<(String, NodeRef<'_>)> = target
                .get("fieldPaths")
                .into_iter()
                .flat_map(|f| f.items())
                .filter_map(|f| f.as_text().map(|t| (t.to_owned(), f)))
                .collect();
            for r in resources.iter_mut() {
                if !select.matches(r) || rejects.iter().any(|p| p.matches(r)) {
                    continue;
                }
                for (field, field_node) in &fields {
                    let segments = match replace::parse_path(field) {
                        Ok(segments) => segments,
                        Err(message) => {
                            self.error(&path, Some(field_node.span()), message);
                            continue;
                        }
                    };
                    let set = |slot: &mut OwnedNode| -> Result<(), String> {
                        match &split {
                            None => *slot = value.clone(),
                            Some((delimiter, at)) => {
                                let old = slot.as_text().unwrap_or("");
                                let new = replace::with_part(
                                    old,
                                    delimiter,
                                    *at,
                                    value.as_text().unwrap_or(""),
                                )
                                .ok_or_else(|| {
                                    format!("`{old}` has no part {at} split at `{delimiter}`")
                                })?;
                                *slot = OwnedNode::string(new, value.span);
                            }
                        }
                        Ok(())
                    };
                    match replace::update(&mut r.node, &segments, create, &set) {
                        Ok(0) if !create => {
                            let what = r.describe();
                            self.error(
                                &path,
                                Some(field_node.span()),
                                format!("{what} has no field `{field}` to replace"),
                            );
                        }
                        Ok(_) => {}
                        Err(message) => self.error(&path, Some(field_node.span()), message),
                    }
                }
            }
        }
    }
}

/// A span of the rendering's byte space back in its file's own bytes.
pub(crate) fn unshift(span: SourceSpan, base: u32) -> SourceSpan {
    SourceSpan {
        start_byte: span.start_byte.saturating_sub(base),
        end_byte: span.end_byte.saturating_sub(base),
        ..span
    }
}

enum Order {
    Fifo,
    Legacy(Vec<String>, Vec<String>),
}

/// The string items of list `key`, reporting items that are not strings.
fn string_list<'s>(
    b: &mut Builder<'_>,
    file: &'s File,
    root: NodeRef<'s>,
    key: &str,
) -> Vec<(String, NodeRef<'s>)> {
    let Some(list) = root.get(key).filter(|l| !l.is_null()) else {
        return Vec::new();
    };
    if !list.is_seq() {
        b.error(
            &file.path,
            Some(list.span()),
            format!("`{key}` must be a list"),
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    for item in list.items() {
        match item.as_text() {
            Some(text) => out.push((text.to_owned(), item)),
            None => b.error(
                &file.path,
                Some(item.span()),
                format!("`{key}` entries must be strings"),
            ),
        }
    }
    out
}
