//! Streams assembled from several files.
//!
//! A rendered object (a Kustomize overlay, say) mixes nodes from a base, from
//! patches and from the kustomization itself. Rules read it through the same
//! [`NodeRef`] as a parsed file; what differs is where a span points. Every
//! source file is given a place in one virtual byte space, and each node's
//! bytes are shifted by its file's base, while its lines and columns stay
//! those of the real file. [`YamlStream::origin`] undoes the shift.

use shipgate_core::SourceSpan;

use super::{
    Document, Entry, Node, NodeId, NodeRef, Resolved, ScalarStyle, Schema, Value, YamlStream,
    resolve_plain, resolve_tagged,
};
use crate::LineIndex;
use crate::lines::clamp;

/// One file of a built stream: its first byte in the virtual byte space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub base: u32,
    pub path: String,
}

/// Hands out non-overlapping bases to the files that feed a built stream.
#[derive(Debug, Clone, Default)]
pub struct SourceTable {
    sources: Vec<Source>,
    next: u32,
}

impl SourceTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// The base of `path`, registering it with its length on first sight.
    pub fn base(&mut self, path: &str, len: usize) -> u32 {
        if let Some(source) = self.sources.iter().find(|s| s.path == path) {
            return source.base;
        }
        let base = self.next;
        // One spare byte keeps an empty file's span from sharing the next
        // file's first byte.
        self.next = self.next.saturating_add(clamp(len)).saturating_add(1);
        self.sources.push(Source {
            base,
            path: path.to_owned(),
        });
        base
    }

    pub fn get(&self, path: &str) -> Option<u32> {
        self.sources.iter().find(|s| s.path == path).map(|s| s.base)
    }

    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    pub fn into_sources(self) -> Vec<Source> {
        self.sources
    }
}

/// The file of `sources` (sorted by base) that `span` lies in, and the span
/// rebased to that file's bytes. Kept apart from the stream so summaries that
/// outlive it can still answer.
pub fn origin_in(sources: &[Source], span: SourceSpan) -> Option<(&str, SourceSpan)> {
    let k = sources
        .partition_point(|s| s.base <= span.start_byte)
        .checked_sub(1)?;
    let source = &sources[k];
    let rebased = SourceSpan {
        start_byte: span.start_byte - source.base,
        end_byte: span.end_byte.saturating_sub(source.base),
        ..span
    };
    Some((source.path.as_str(), rebased))
}

/// Shifts a span's bytes into the virtual space; lines and columns stay.
pub fn shift(span: SourceSpan, base: u32) -> SourceSpan {
    SourceSpan {
        start_byte: span.start_byte.saturating_add(base),
        end_byte: span.end_byte.saturating_add(base),
        ..span
    }
}

/// The value of an [`OwnedNode`].
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedValue {
    Scalar { text: String, style: ScalarStyle },
    Seq(Vec<OwnedNode>),
    Map(Vec<(OwnedNode, OwnedNode)>),
}

/// A node that can be edited: transformations build rendered objects out of
/// these, then [`YamlStream::from_documents`] freezes them.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedNode {
    pub value: OwnedValue,
    pub span: SourceSpan,
    pub tag: Option<Box<str>>,
}

impl OwnedNode {
    /// A deep copy of `node` and everything under it, aliases resolved and
    /// merge keys already expanded, with bytes shifted by `base`.
    pub fn from_ref(node: NodeRef<'_>, base: u32) -> Self {
        let value = match node.kind() {
            super::NodeKind::Scalar => OwnedValue::Scalar {
                text: node.scalar_text().unwrap_or_default().to_owned(),
                style: node.style().unwrap_or(ScalarStyle::Plain),
            },
            super::NodeKind::Seq => {
                OwnedValue::Seq(node.items().map(|n| Self::from_ref(n, base)).collect())
            }
            super::NodeKind::Map => OwnedValue::Map(
                node.entries()
                    .map(|(k, v)| (Self::from_ref(k, base), Self::from_ref(v, base)))
                    .collect(),
            ),
        };
        OwnedNode {
            value,
            span: shift(node.span(), base),
            tag: node.tag().map(Into::into),
        }
    }

    /// A plain scalar: how Kubernetes would read it depends on its text.
    pub fn plain(text: impl Into<String>, span: SourceSpan) -> Self {
        Self::scalar(text, ScalarStyle::Plain, span)
    }

    /// A scalar that always reads as a string, whatever its text.
    pub fn string(text: impl Into<String>, span: SourceSpan) -> Self {
        Self::scalar(text, ScalarStyle::DoubleQuoted, span)
    }

    pub fn scalar(text: impl Into<String>, style: ScalarStyle, span: SourceSpan) -> Self {
        OwnedNode {
            value: OwnedValue::Scalar {
                text: text.into(),
                style,
            },
            span,
            tag: None,
        }
    }

    pub fn map(span: SourceSpan) -> Self {
        OwnedNode {
            value: OwnedValue::Map(Vec::new()),
            span,
            tag: None,
        }
    }

    pub fn seq(items: Vec<OwnedNode>, span: SourceSpan) -> Self {
        OwnedNode {
            value: OwnedValue::Seq(items),
            span,
            tag: None,
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, OwnedValue::Map(_))
    }

    pub fn is_seq(&self) -> bool {
        matches!(self.value, OwnedValue::Seq(_))
    }

    pub fn is_scalar(&self) -> bool {
        matches!(self.value, OwnedValue::Scalar { .. })
    }

    /// The scalar's text as written, whatever its type.
    pub fn scalar_text(&self) -> Option<&str> {
        match &self.value {
            OwnedValue::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    pub fn style(&self) -> Option<ScalarStyle> {
        match &self.value {
            OwnedValue::Scalar { style, .. } => Some(*style),
            _ => None,
        }
    }

    /// The scalar's value as read under `schema`.
    pub fn resolve(&self, schema: Schema) -> Option<Resolved<'_>> {
        let OwnedValue::Scalar { text, style } = &self.value else {
            return None;
        };
        Some(match (style, self.tag.as_deref()) {
            (_, Some(tag)) => resolve_tagged(text, tag, schema),
            (ScalarStyle::Plain, None) => resolve_plain(text, schema),
            _ => Resolved::Str(text),
        })
    }

    /// The value if it resolves to a string (Kubernetes' YAML 1.1 reading).
    pub fn as_str(&self) -> Option<&str> {
        match self.resolve(Schema::Yaml11)? {
            Resolved::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The text of any non-null scalar: `8080` and `"8080"` both give `8080`.
    pub fn as_text(&self) -> Option<&str> {
        match self.resolve(Schema::Yaml11)? {
            Resolved::Null => None,
            _ => self.scalar_text(),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.resolve(Schema::Yaml11), Some(Resolved::Null))
    }

    pub fn items(&self) -> &[OwnedNode] {
        match &self.value {
            OwnedValue::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn items_mut(&mut self) -> Option<&mut Vec<OwnedNode>> {
        match &mut self.value {
            OwnedValue::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(OwnedNode, OwnedNode)] {
        match &self.value {
            OwnedValue::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn entries_mut(&mut self) -> Option<&mut Vec<(OwnedNode, OwnedNode)>> {
        match &mut self.value {
            OwnedValue::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        match &self.value {
            OwnedValue::Seq(items) => items.len(),
            OwnedValue::Map(entries) => entries.len(),
            OwnedValue::Scalar { .. } => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries()
            .iter()
            .position(|(k, _)| k.scalar_text() == Some(key))
    }

    pub fn get(&self, key: &str) -> Option<&OwnedNode> {
        self.position(key).map(|i| &self.entries()[i].1)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut OwnedNode> {
        let i = self.position(key)?;
        self.entries_mut().map(|e| &mut e[i].1)
    }

    /// The key node of `key`, for spans that should point at the key.
    pub fn key(&self, key: &str) -> Option<&OwnedNode> {
        self.position(key).map(|i| &self.entries()[i].0)
    }

    pub fn path(&self, keys: &[&str]) -> Option<&OwnedNode> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    pub fn path_mut(&mut self, keys: &[&str]) -> Option<&mut OwnedNode> {
        keys.iter().try_fold(self, |node, key| node.get_mut(key))
    }

    /// Sets `key` to `value`. An existing key keeps its node (and span);
    /// a new key takes the value's span. Does nothing on a non-mapping.
    pub fn insert(&mut self, key: &str, value: OwnedNode) {
        if let Some(slot) = self.get_mut(key) {
            *slot = value;
            return;
        }
        let key_node = OwnedNode::plain(key, value.span);
        if let Some(entries) = self.entries_mut() {
            entries.push((key_node, value));
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<OwnedNode> {
        let i = self.position(key)?;
        self.entries_mut().map(|e| e.remove(i).1)
    }

    /// The mapping under `key`, created (with `span`) when missing or not a
    /// mapping (a `null` value, typically). A non-mapping `self` becomes one.
    pub fn ensure_map(&mut self, key: &str, span: SourceSpan) -> &mut OwnedNode {
        if !self.is_map() {
            *self = OwnedNode::map(span);
        }
        let i = match self.position(key) {
            Some(i) => i,
            None => {
                self.insert(key, OwnedNode::map(span));
                self.len() - 1
            }
        };
        let OwnedValue::Map(entries) = &mut self.value else {
            unreachable!("made a mapping above")
        };
        let slot = &mut entries[i].1;
        if !slot.is_map() {
            *slot = OwnedNode::map(span);
        }
        slot
    }

    /// Gives this node and everything under it one span: for trees whose
    /// lines are not known, only the file that produced them.
    pub fn respan(&mut self, span: SourceSpan) {
        self.span = span;
        match &mut self.value {
            OwnedValue::Scalar { .. } => {}
            OwnedValue::Seq(items) => items.iter_mut().for_each(|n| n.respan(span)),
            OwnedValue::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
                k.respan(span);
                v.respan(span);
            }),
        }
    }

    /// How many nodes the tree holds, itself included.
    pub fn count(&self) -> usize {
        1 + match &self.value {
            OwnedValue::Scalar { .. } => 0,
            OwnedValue::Seq(items) => items.iter().map(OwnedNode::count).sum(),
            OwnedValue::Map(entries) => entries.iter().map(|(k, v)| k.count() + v.count()).sum(),
        }
    }
}

impl YamlStream {
    /// A stream over already-built documents, one per tree, read through
    /// [`NodeRef`] like any parsed stream. `sources` places each file the
    /// nodes came from in the virtual byte space of their spans.
    pub fn from_documents(documents: Vec<OwnedNode>, sources: Vec<Source>, schema: Schema) -> Self {
        let mut sources = sources;
        sources.sort_by_key(|s| s.base);
        let mut stream = YamlStream {
            documents: Vec::with_capacity(documents.len()),
            errors: Vec::new(),
            lines: LineIndex::new(""),
            nodes: Vec::with_capacity(documents.iter().map(OwnedNode::count).sum()),
            strings: String::new(),
            schema,
            sources,
            serial: super::next_serial(),
        };
        for document in documents {
            let span = document.span;
            let root = stream.freeze(document);
            stream.documents.push(Document {
                root: Some(root),
                span,
            });
        }
        stream
    }

    fn freeze(&mut self, node: OwnedNode) -> NodeId {
        let id = clamp(self.nodes.len());
        self.nodes.push(Node {
            value: Value::Seq(Vec::new()),
            span: node.span,
            tag: node.tag,
        });
        let value = match node.value {
            OwnedValue::Scalar { text, style } => {
                let start = clamp(self.strings.len());
                self.strings.push_str(&text);
                Value::Scalar {
                    start,
                    end: clamp(self.strings.len()),
                    style,
                }
            }
            OwnedValue::Seq(items) => {
                Value::Seq(items.into_iter().map(|n| self.freeze(n)).collect())
            }
            OwnedValue::Map(entries) => Value::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| Entry {
                        key: self.freeze(k),
                        value: self.freeze(v),
                    })
                    .collect(),
            ),
        };
        self.nodes[id as usize].value = value;
        id
    }

    /// The file a span of a built stream comes from, and the span in that
    /// file's own bytes. `None` for a stream parsed from a single file,
    /// whose spans are already the file's.
    pub fn origin(&self, span: SourceSpan) -> Option<(&str, SourceSpan)> {
        origin_in(&self.sources, span)
    }

    /// A whole-tree copy of document `index`, for transformations.
    pub fn owned(&self, index: usize, base: u32) -> Option<OwnedNode> {
        self.root(index).map(|root| OwnedNode::from_ref(root, base))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Limits, parse};
    use super::*;

    fn load(text: &str) -> YamlStream {
        parse(text, Schema::Yaml11, Limits::default())
    }

    #[test]
    fn nodes_from_two_files_map_back_to_their_files() {
        let base_text = "kind: Deployment\nspec:\n  replicas: 1\n";
        let patch_text = "spec:\n  replicas: 3\n";
        let mut table = SourceTable::new();
        let b0 = table.base("base/deploy.yaml", base_text.len());
        let b1 = table.base("overlay/patch.yaml", patch_text.len());
        assert_eq!(table.base("base/deploy.yaml", 99), b0);
        assert!(b1 > b0 + base_text.len() as u32);

        let base = load(base_text);
        let patch = load(patch_text);
        let mut object = base.owned(0, b0).unwrap();
        let replicas = patch
            .owned(0, b1)
            .unwrap()
            .path(&["spec", "replicas"])
            .cloned();
        *object.path_mut(&["spec", "replicas"]).unwrap() = replicas.unwrap();

        let built = YamlStream::from_documents(vec![object], table.into_sources(), Schema::Yaml11);
        let root = built.root(0).unwrap();
        assert_eq!(root.get("kind").unwrap().as_str(), Some("Deployment"));
        let value = root.path(&["spec", "replicas"]).unwrap();
        assert_eq!(value.as_i64(), Some(3));
        let (path, span) = built.origin(value.span()).unwrap();
        assert_eq!(path, "overlay/patch.yaml");
        assert_eq!((span.start.line, span.start.column), (2, 13));
        assert_eq!(
            &patch_text[span.start_byte as usize..span.end_byte as usize],
            "3"
        );

        let kind = root.get("kind").unwrap();
        let (path, span) = built.origin(kind.span()).unwrap();
        assert_eq!(path, "base/deploy.yaml");
        assert_eq!(
            &base_text[span.start_byte as usize..span.end_byte as usize],
            "Deployment"
        );
    }

    #[test]
    fn a_parsed_stream_has_no_origin_table() {
        let stream = load("a: 1\n");
        let span = stream.root(0).unwrap().span();
        assert!(stream.sources.is_empty());
        assert!(stream.origin(span).is_none());
    }

    #[test]
    fn copies_resolve_aliases_and_merges_and_keep_styles_and_tags() {
        let stream = load("x: &x {a: 'yes', b: !!str 0644}\ny:\n  <<: *x\n  c: on\nz: *x\n");
        let owned = stream.owned(0, 0).unwrap();
        assert_eq!(owned.path(&["y", "a"]).unwrap().as_str(), Some("yes"));
        assert_eq!(owned.path(&["z", "b"]).unwrap().as_str(), Some("0644"));
        assert_eq!(
            owned.path(&["y", "b"]).unwrap().tag.as_deref(),
            Some("!!str")
        );
        let built = YamlStream::from_documents(vec![owned], Vec::new(), Schema::Yaml11);
        let root = built.root(0).unwrap();
        assert_eq!(root.path(&["y", "c"]).unwrap().as_bool(), Some(true));
        assert_eq!(root.path(&["y", "a"]).unwrap().as_str(), Some("yes"));
        assert_eq!(root.path(&["y", "b"]).unwrap().as_str(), Some("0644"));
        assert_eq!(
            root.path(&["z", "a"]).unwrap().style(),
            Some(ScalarStyle::SingleQuoted)
        );
        assert!(built.errors.is_empty());
    }

    #[test]
    fn synthetic_nodes_carry_the_span_of_what_caused_them() {
        let kustomization = "namePrefix: dev-\n";
        let mut table = SourceTable::new();
        let base = table.base("overlay/kustomization.yaml", kustomization.len());
        let k = load(kustomization).owned(0, base).unwrap();
        let cause = k.key("namePrefix").unwrap().span;
        let mut object = OwnedNode::map(cause);
        object
            .ensure_map("metadata", cause)
            .insert("name", OwnedNode::string("dev-web", cause));
        let built = YamlStream::from_documents(vec![object], table.into_sources(), Schema::Yaml11);
        let name = built.root(0).unwrap().path(&["metadata", "name"]).unwrap();
        assert_eq!(name.as_str(), Some("dev-web"));
        let (path, span) = built.origin(name.span()).unwrap();
        assert_eq!(path, "overlay/kustomization.yaml");
        assert_eq!(span.start.line, 1);
        assert_eq!(span.start_byte, 0);
    }

    #[test]
    fn editing_helpers_behave_on_odd_shapes() {
        let mut node = OwnedNode::plain("scalar", SourceSpan::default());
        assert!(node.get("a").is_none());
        node.insert("a", OwnedNode::plain("1", SourceSpan::default()));
        assert!(node.is_scalar());
        node.ensure_map("m", SourceSpan::default());
        assert!(node.is_map());
        assert!(node.get("m").unwrap().is_map());
        assert!(node.remove("m").is_some());
        assert!(node.is_empty());
        let mut stream = load("a: ~\n").owned(0, 0).unwrap();
        stream
            .ensure_map("a", SourceSpan::default())
            .insert("b", OwnedNode::plain("2", SourceSpan::default()));
        assert_eq!(stream.path(&["a", "b"]).unwrap().as_text(), Some("2"));
        assert_eq!(stream.count(), 5);
    }
}
