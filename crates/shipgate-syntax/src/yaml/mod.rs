//! YAML with exact positions.
//!
//! saphyr's event parser feeds our own arena: every node keeps its span, its
//! raw text and style, so rules can point at the offending key or value and
//! resolve scalars the way the file's consumer will. Aliases are shared, never
//! copied, and merge keys are expanded when their mapping closes.

mod build;
mod load;
mod resolve;

pub use build::{OwnedNode, OwnedValue, Source, SourceTable, origin_in, shift};
pub use load::{Limits, parse};
pub use resolve::{Resolved, Schema, resolve_plain, resolve_tagged};

use shipgate_core::SourceSpan;

use crate::LineIndex;

pub type NodeId = u32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Debug, Clone)]
pub(crate) enum Value {
    /// `start..end` into the stream's string arena.
    Scalar {
        start: u32,
        end: u32,
        style: ScalarStyle,
    },
    Seq(Vec<NodeId>),
    Map(Vec<Entry>),
    /// Points at the anchored node; never at another alias.
    Alias(NodeId),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub key: NodeId,
    pub value: NodeId,
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub value: Value,
    pub span: SourceSpan,
    pub tag: Option<Box<str>>,
}

/// One document of a stream.
#[derive(Debug, Clone)]
pub struct Document {
    /// `None` when the document is empty or was refused (see the stream's errors).
    pub root: Option<NodeId>,
    /// Where the document starts: its `---` marker or its first node.
    pub span: SourceSpan,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Not well-formed YAML.
    Syntax,
    /// A mapping repeats a key; Kubernetes' strict decoding rejects this.
    DuplicateKey,
    /// Aliases expand to far more nodes than the document holds (an alias bomb).
    AliasExpansion,
    /// Nesting deeper than any real artifact has.
    TooDeep,
    /// A merge key whose value is not a mapping or a list of mappings.
    InvalidMerge,
}

/// A problem found while loading: its position, and the earlier position it
/// relates to (the first occurrence of a duplicated key).
#[derive(Debug, Clone)]
pub struct YamlError {
    pub kind: ErrorKind,
    pub message: String,
    pub span: SourceSpan,
    pub related: Option<SourceSpan>,
    /// Index of the document the error belongs to, when it belongs to one.
    pub document: Option<usize>,
}

/// A parsed YAML stream: its documents, the nodes they share, and what went wrong.
#[derive(Debug, Clone)]
pub struct YamlStream {
    pub documents: Vec<Document>,
    pub errors: Vec<YamlError>,
    pub lines: LineIndex,
    pub(crate) nodes: Vec<Node>,
    pub(crate) strings: String,
    schema: Schema,
    /// The files of a stream built from several (see [`YamlStream::origin`]),
    /// in order of base; empty for a stream parsed from one file.
    pub sources: Vec<Source>,
    /// Unique among the streams the process built (a clone shares it, and
    /// its content: a stream never changes once built).
    serial: u64,
}

/// Numbers each stream built, for [`NodeRef::identity`].
fn next_serial() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl YamlStream {
    pub fn schema(&self) -> Schema {
        self.schema
    }

    pub fn node(&self, id: NodeId) -> NodeRef<'_> {
        NodeRef::new(self, id)
    }

    /// The root of document `index`, if it has one.
    pub fn root(&self, index: usize) -> Option<NodeRef<'_>> {
        self.documents
            .get(index)
            .and_then(|d| d.root)
            .map(|id| self.node(id))
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
}

/// A node seen through its stream. Aliases are followed transparently.
#[derive(Clone, Copy)]
pub struct NodeRef<'a> {
    stream: &'a YamlStream,
    id: NodeId,
}

impl std::fmt::Debug for NodeRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind() {
            NodeKind::Scalar => write!(f, "Scalar({:?})", self.scalar_text()),
            NodeKind::Seq => write!(f, "Seq(len={})", self.len()),
            NodeKind::Map => write!(f, "Map(len={})", self.len()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Scalar,
    Seq,
    Map,
}

impl<'a> NodeRef<'a> {
    fn new(stream: &'a YamlStream, id: NodeId) -> Self {
        let id = match stream.nodes[id as usize].value {
            Value::Alias(target) => target,
            _ => id,
        };
        NodeRef { stream, id }
    }

    fn raw(&self) -> &'a Node {
        &self.stream.nodes[self.id as usize]
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    pub fn span(&self) -> SourceSpan {
        self.raw().span
    }

    pub fn tag(&self) -> Option<&'a str> {
        self.raw().tag.as_deref()
    }

    pub fn kind(&self) -> NodeKind {
        match self.raw().value {
            Value::Scalar { .. } => NodeKind::Scalar,
            Value::Seq(_) => NodeKind::Seq,
            Value::Map(_) => NodeKind::Map,
            Value::Alias(_) => unreachable!("aliases are resolved on construction"),
        }
    }

    pub fn is_map(&self) -> bool {
        self.kind() == NodeKind::Map
    }

    pub fn is_seq(&self) -> bool {
        self.kind() == NodeKind::Seq
    }

    pub fn is_scalar(&self) -> bool {
        self.kind() == NodeKind::Scalar
    }

    pub fn style(&self) -> Option<ScalarStyle> {
        match self.raw().value {
            Value::Scalar { style, .. } => Some(style),
            _ => None,
        }
    }

    /// The scalar's text exactly as written (after YAML unescaping), whatever its type.
    pub fn scalar_text(&self) -> Option<&'a str> {
        match self.raw().value {
            Value::Scalar { start, end, .. } => {
                self.stream.strings.get(start as usize..end as usize)
            }
            _ => None,
        }
    }

    /// The scalar's value as the stream's consumer reads it.
    pub fn resolve(&self) -> Option<Resolved<'a>> {
        let text = self.scalar_text()?;
        let schema = self.stream.schema;
        Some(match (self.style(), self.tag()) {
            (_, Some(tag)) => resolve_tagged(text, tag, schema),
            (Some(ScalarStyle::Plain), None) => resolve_plain(text, schema),
            _ => Resolved::Str(text),
        })
    }

    /// The value if the node resolves to a string.
    pub fn as_str(&self) -> Option<&'a str> {
        match self.resolve()? {
            Resolved::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a string, whatever scalar type it resolves to (`8080` and
    /// `"8080"` both give `8080`). Useful for names, labels and ports.
    pub fn as_text(&self) -> Option<&'a str> {
        match self.resolve()? {
            Resolved::Null => None,
            _ => self.scalar_text(),
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.resolve()? {
            Resolved::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self.resolve()? {
            Resolved::Int(i) => Some(i),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self.resolve()? {
            Resolved::Int(i) => Some(i as f64),
            Resolved::Float(f) => Some(f),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.resolve(), Some(Resolved::Null))
    }

    /// Number of items of a sequence or entries of a mapping; 0 for scalars.
    pub fn len(&self) -> usize {
        match &self.raw().value {
            Value::Seq(items) => items.len(),
            Value::Map(entries) => entries.len(),
            _ => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Looks a key up in a mapping (merged keys included). `None` for
    /// non-mappings and missing keys.
    pub fn get(&self, key: &str) -> Option<NodeRef<'a>> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node and value node of `key`, so a finding can point at either.
    pub fn entry(&self, key: &str) -> Option<(NodeRef<'a>, NodeRef<'a>)> {
        let Value::Map(entries) = &self.raw().value else {
            return None;
        };
        entries.iter().find_map(|e| {
            let k = self.stream.node(e.key);
            (k.scalar_text() == Some(key)).then(|| (k, self.stream.node(e.value)))
        })
    }

    /// Follows a path of mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<NodeRef<'a>> {
        keys.iter().try_fold(*self, |node, key| node.get(key))
    }

    /// The items of a sequence; empty for anything else.
    pub fn items(self) -> impl Iterator<Item = NodeRef<'a>> + 'a {
        let stream = self.stream;
        let slice: &'a [NodeId] = match &self.raw().value {
            Value::Seq(items) => items,
            _ => &[],
        };
        slice.iter().map(move |id| stream.node(*id))
    }

    /// The entries of a mapping as (key, value); empty for anything else.
    pub fn entries(self) -> impl Iterator<Item = (NodeRef<'a>, NodeRef<'a>)> + 'a {
        let stream = self.stream;
        let slice: &'a [Entry] = match &self.raw().value {
            Value::Map(entries) => entries,
            _ => &[],
        };
        slice
            .iter()
            .map(move |e| (stream.node(e.key), stream.node(e.value)))
    }

    pub fn stream(&self) -> &'a YamlStream {
        self.stream
    }

    /// Names this node among every node of the process: two references with
    /// the same identity are the same node, with the same content. Unlike an
    /// address, it is never reused by a later stream.
    pub fn identity(&self) -> (u64, NodeId) {
        (self.stream.serial, self.id)
    }
}

#[cfg(test)]
mod tests;
