use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle as SaphyrStyle, Span, Tag};
use shipgate_core::{Position, SourceSpan};

use super::{
    Document, Entry, ErrorKind, Node, NodeId, ScalarStyle, Schema, Value, YamlError, YamlStream,
};
use crate::LineIndex;
use crate::lines::clamp;

/// Bounds that keep hostile input from exhausting memory or time.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest nesting of collections accepted in a document.
    pub max_depth: usize,
    /// Most nodes a document may stand for once its aliases are expanded.
    /// Exceeding it (and being far larger than the document itself) marks an
    /// alias bomb: the document is refused rather than expanded.
    pub max_expanded_nodes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 512,
            max_expanded_nodes: 1_000_000,
        }
    }
}

/// Parses a YAML stream. Never fails: problems are recorded in
/// [`YamlStream::errors`], and a malformed document does not hide the others.
pub fn parse(text: &str, schema: Schema, limits: Limits) -> YamlStream {
    let lines = LineIndex::new(text);
    let mut builder = Builder {
        text,
        lines: &lines,
        limits,
        nodes: Vec::new(),
        weights: Vec::new(),
        strings: String::new(),
        documents: Vec::new(),
        errors: Vec::new(),
    };
    // Documents are separated before parsing so that one malformed document
    // costs only itself: the parser cannot resynchronise after an error.
    for chunk in split_documents(text) {
        builder.parse_chunk(chunk);
    }
    let Builder {
        nodes,
        strings,
        documents,
        errors,
        ..
    } = builder;
    YamlStream {
        documents,
        errors,
        lines,
        nodes,
        strings,
        schema,
        sources: Vec::new(),
        serial: super::next_serial(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Chunk {
    start: usize,
    end: usize,
}

/// Splits a stream at document markers (`---`, `...` at the start of a line).
/// The YAML specification forbids such lines inside any scalar, so a textual
/// split agrees with the grammar. Directives and comments before a `---` stay
/// with the document they precede.
fn split_documents(text: &str) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut start = 0usize;
    let mut has_content = false;
    let mut pos = 0usize;
    let bytes = text.as_bytes();
    while pos < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i + 1);
        let line = &bytes[pos..end];
        if is_marker(line, b"---") {
            if has_content {
                chunks.push(Chunk { start, end: pos });
                start = pos;
            }
            has_content = true;
        } else if is_marker(line, b"...") {
            chunks.push(Chunk { start, end });
            start = end;
            has_content = false;
        } else if !has_content && !is_blank_comment_or_directive(line) {
            has_content = true;
        }
        pos = end;
    }
    if has_content || chunks.is_empty() {
        chunks.push(Chunk {
            start,
            end: bytes.len(),
        });
    }
    chunks
}

fn is_marker(line: &[u8], marker: &[u8]) -> bool {
    line.starts_with(marker) && matches!(line.get(3), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
}

fn is_blank_comment_or_directive(line: &[u8]) -> bool {
    let trimmed = line.trim_ascii_start();
    trimmed.is_empty() || trimmed[0] == b'#' || line.first() == Some(&b'%')
}

struct Frame {
    id: NodeId,
    is_map: bool,
    children: Vec<NodeId>,
    anchor: usize,
}

/// Why a document was abandoned part-way.
struct Abort;

struct Builder<'t> {
    text: &'t str,
    lines: &'t LineIndex,
    limits: Limits,
    nodes: Vec<Node>,
    /// Expanded size of every node: how many nodes it stands for once aliases
    /// are followed. Tracked while building to catch alias bombs cheaply.
    weights: Vec<u64>,
    strings: String,
    documents: Vec<Document>,
    errors: Vec<YamlError>,
}

struct ChunkState<'t> {
    chars: CharMap<'t>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, NodeId>,
    root: Option<NodeId>,
    doc_span: SourceSpan,
    in_document: bool,
    doc_first_node: usize,
}

impl Builder<'_> {
    fn parse_chunk(&mut self, chunk: Chunk) {
        let text = self.text;
        let source = &text[chunk.start..chunk.end];
        let mut parser = Parser::new_from_str(source);
        let mut state = ChunkState {
            chars: CharMap::new(source, chunk.start),
            stack: Vec::new(),
            anchors: HashMap::new(),
            root: None,
            doc_span: SourceSpan::default(),
            in_document: false,
            doc_first_node: self.nodes.len(),
        };
        while let Some(next) = parser.next_event() {
            let result = match next {
                Ok((event, span)) => self.on_event(&mut state, event, span),
                Err(err) => {
                    let span = self.marker_span(&state.chars, *err.marker(), *err.marker());
                    // The scanner has a nesting limit of its own; it is the same
                    // condition as ours and deserves the same diagnostic.
                    let kind = if err.info().contains("recursion limit") {
                        ErrorKind::TooDeep
                    } else {
                        ErrorKind::Syntax
                    };
                    self.fail_document(&mut state, kind, err.info().to_owned(), span);
                    Err(Abort)
                }
            };
            if result.is_err() {
                return;
            }
        }
    }

    fn on_event(
        &mut self,
        st: &mut ChunkState<'_>,
        event: Event<'_>,
        span: Span,
    ) -> Result<(), Abort> {
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
            Event::DocumentStart(_) => {
                st.in_document = true;
                st.root = None;
                st.anchors.clear();
                st.doc_first_node = self.nodes.len();
                st.doc_span = self.span(&st.chars, span);
            }
            Event::DocumentEnd => self.finish_document(st),
            Event::Scalar(text, style, anchor, tag) => {
                let start = clamp(self.strings.len());
                self.strings.push_str(&text);
                let end = clamp(self.strings.len());
                let value = Value::Scalar {
                    start,
                    end,
                    style: convert_style(style),
                };
                let id = self.push(value, self.span(&st.chars, span), tag.as_deref(), 1);
                self.attach(st, id, anchor)?;
            }
            Event::Alias(anchor) => {
                let span = self.span(&st.chars, span);
                let Some(&target) = st.anchors.get(&anchor) else {
                    // saphyr accepts an alias to an enclosing node's anchor; it
                    // would make the document infinite.
                    self.fail_document(
                        st,
                        ErrorKind::Syntax,
                        "alias refers to a node that encloses it (a recursive structure)".into(),
                        span,
                    );
                    return Err(Abort);
                };
                let weight = self.weights[target as usize];
                let id = self.push(Value::Alias(target), span, None, weight);
                self.attach(st, id, 0)?;
            }
            Event::SequenceStart(anchor, tag) => {
                self.open(st, false, anchor, tag.as_deref(), span)?
            }
            Event::MappingStart(anchor, tag) => {
                self.open(st, true, anchor, tag.as_deref(), span)?
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(st, span)?,
        }
        Ok(())
    }
}

impl Builder<'_> {
    fn push(&mut self, value: Value, span: SourceSpan, tag: Option<&Tag>, weight: u64) -> NodeId {
        let id = clamp(self.nodes.len());
        self.nodes.push(Node {
            value,
            span,
            tag: tag.map(tag_name),
        });
        self.weights.push(weight);
        id
    }

    fn open(
        &mut self,
        st: &mut ChunkState<'_>,
        is_map: bool,
        anchor: usize,
        tag: Option<&Tag>,
        span: Span,
    ) -> Result<(), Abort> {
        let span = self.span(&st.chars, span);
        if st.stack.len() >= self.limits.max_depth {
            let message = format!(
                "nesting deeper than {} levels; no deployment artifact needs this",
                self.limits.max_depth
            );
            self.fail_document(st, ErrorKind::TooDeep, message, span);
            return Err(Abort);
        }
        let placeholder = if is_map {
            Value::Map(Vec::new())
        } else {
            Value::Seq(Vec::new())
        };
        let id = self.push(placeholder, span, tag, 1);
        st.stack.push(Frame {
            id,
            is_map,
            children: Vec::new(),
            anchor,
        });
        Ok(())
    }

    fn close(&mut self, st: &mut ChunkState<'_>, end: Span) -> Result<(), Abort> {
        let Some(frame) = st.stack.pop() else {
            return Ok(());
        };
        let end_marker = end.end;
        let node_span = self.nodes[frame.id as usize].span;
        let flow = matches!(
            self.text.as_bytes().get(node_span.start_byte as usize),
            Some(b'{' | b'[')
        );
        // A block collection ends where its last child ends; the parser only
        // notices the end at the next token, which may be lines further on.
        let last_child_end = frame
            .children
            .last()
            .map(|child| self.nodes[*child as usize].span)
            .filter(|_| !flow);
        let end_span = match last_child_end {
            Some(span) => span,
            None => self.marker_span(&st.chars, end_marker, end_marker),
        };
        let full = SourceSpan {
            start: node_span.start,
            end: end_span.end,
            start_byte: node_span.start_byte,
            end_byte: end_span.end_byte.max(node_span.start_byte),
        };
        let mut weight: u64 = 1;
        for child in &frame.children {
            weight = weight.saturating_add(self.weights[*child as usize]);
        }
        let value = if frame.is_map {
            Value::Map(self.build_entries(&frame.children))
        } else {
            Value::Seq(frame.children)
        };
        let node = &mut self.nodes[frame.id as usize];
        node.value = value;
        node.span = full;
        self.weights[frame.id as usize] = weight;
        let actual = (self.nodes.len() - st.doc_first_node) as u64;
        if weight > self.limits.max_expanded_nodes && weight > actual.saturating_mul(10) {
            let message = format!(
                "aliases expand this document to more than {} nodes from only {actual}; refusing it (an alias bomb)",
                self.limits.max_expanded_nodes
            );
            self.fail_document(st, ErrorKind::AliasExpansion, message, full);
            return Err(Abort);
        }
        self.attach(st, frame.id, frame.anchor)
    }

    /// Adds a finished node to its parent (or makes it the document's root)
    /// and records its anchor. Anchors are registered only once a node is
    /// complete, so an alias can never point into an unfinished node.
    fn attach(&mut self, st: &mut ChunkState<'_>, id: NodeId, anchor: usize) -> Result<(), Abort> {
        if anchor != 0 {
            let target = match self.nodes[id as usize].value {
                Value::Alias(target) => target,
                _ => id,
            };
            st.anchors.insert(anchor, target);
        }
        match st.stack.last_mut() {
            Some(parent) => parent.children.push(id),
            None => st.root = Some(id),
        }
        Ok(())
    }

    /// Pairs keys and values, reports duplicated keys and expands merge keys.
    fn build_entries(&mut self, children: &[NodeId]) -> Vec<Entry> {
        let mut entries: Vec<Entry> = Vec::with_capacity(children.len() / 2);
        let mut merges: Vec<NodeId> = Vec::new();
        for pair in children.chunks(2) {
            let [key, value] = *pair else { break };
            let key_node = &self.nodes[key as usize];
            if self.is_merge_key(key_node) {
                merges.push(value);
                continue;
            }
            let duplicate = self.key_text(key).and_then(|text| {
                entries
                    .iter()
                    .position(|e| self.key_text(e.key) == Some(text))
                    .map(|i| (i, text.to_owned()))
            });
            if let Some((index, text)) = duplicate {
                let first_span = self.nodes[entries[index].key as usize].span;
                self.errors.push(YamlError {
                    kind: ErrorKind::DuplicateKey,
                    message: format!(
                        "duplicate key `{text}`; the first occurrence is on line {}",
                        first_span.start.line
                    ),
                    span: self.nodes[key as usize].span,
                    related: Some(first_span),
                    document: Some(self.documents.len()),
                });
                // Kubernetes keeps the last value; so do we, so rules judge what
                // would be applied.
                entries[index].value = value;
                continue;
            }
            entries.push(Entry { key, value });
        }
        for merge in merges {
            let sources = self.merge_sources(merge);
            let Some(sources) = sources else {
                let span = self.nodes[merge as usize].span;
                self.errors.push(YamlError {
                    kind: ErrorKind::InvalidMerge,
                    message: "a merge key (`<<`) needs a mapping or a list of mappings".into(),
                    span,
                    related: None,
                    document: Some(self.documents.len()),
                });
                continue;
            };
            for source in sources {
                let Value::Map(source_entries) = &self.nodes[source as usize].value else {
                    continue;
                };
                for entry in source_entries.clone() {
                    let text = self.key_text(entry.key);
                    let present =
                        text.is_some() && entries.iter().any(|e| self.key_text(e.key) == text);
                    if !present {
                        entries.push(entry);
                    }
                }
            }
        }
        entries
    }

    fn is_merge_key(&self, node: &Node) -> bool {
        match node.value {
            Value::Scalar { start, end, style } => {
                style == ScalarStyle::Plain
                    && node.tag.as_deref().is_none_or(|t| t == "!!merge")
                    && &self.strings[start as usize..end as usize] == "<<"
            }
            _ => false,
        }
    }

    fn deref(&self, id: NodeId) -> NodeId {
        match self.nodes[id as usize].value {
            Value::Alias(target) => target,
            _ => id,
        }
    }

    fn merge_sources(&self, value: NodeId) -> Option<Vec<NodeId>> {
        let value = self.deref(value);
        match &self.nodes[value as usize].value {
            Value::Map(_) => Some(vec![value]),
            Value::Seq(items) => items
                .iter()
                .map(|item| {
                    let item = self.deref(*item);
                    matches!(self.nodes[item as usize].value, Value::Map(_)).then_some(item)
                })
                .collect(),
            _ => None,
        }
    }

    fn key_text(&self, key: NodeId) -> Option<&str> {
        match self.nodes[self.deref(key) as usize].value {
            Value::Scalar { start, end, .. } => self.strings.get(start as usize..end as usize),
            _ => None,
        }
    }

    fn finish_document(&mut self, st: &mut ChunkState) {
        if !st.in_document {
            return;
        }
        self.documents.push(Document {
            root: st.root.take(),
            span: st.doc_span,
        });
        st.in_document = false;
        st.stack.clear();
    }

    /// Records an error and closes the current document without a root, so
    /// that no rule judges half a document.
    fn fail_document(
        &mut self,
        st: &mut ChunkState<'_>,
        kind: ErrorKind,
        message: String,
        span: SourceSpan,
    ) {
        let index = self.documents.len();
        self.errors.push(YamlError {
            kind,
            message,
            span,
            related: None,
            document: Some(index),
        });
        let doc_span = if st.in_document { st.doc_span } else { span };
        self.documents.push(Document {
            root: None,
            span: doc_span,
        });
        st.in_document = false;
        st.stack.clear();
        st.root = None;
    }

    fn span(&self, chars: &CharMap<'_>, span: Span) -> SourceSpan {
        self.marker_span(chars, span.start, span.end)
    }

    /// saphyr's lines and columns are not the text's: a lone `\r` starts a
    /// line for it and a BOM takes no column. Only its character index is
    /// used (corrected where it runs ahead, see [`CharMap::char_index`]);
    /// lines and columns are read off the stream's [`LineIndex`], so that a
    /// span always agrees with the line a snippet shows.
    fn marker_span(&self, chars: &CharMap<'_>, start: Marker, end: Marker) -> SourceSpan {
        let start_byte = chars.byte(chars.char_index(start.index()));
        let end_byte = chars.byte(chars.char_index(end.index())).max(start_byte);
        SourceSpan {
            start: self.position(chars, start_byte),
            end: self.position(chars, end_byte),
            start_byte: clamp(start_byte),
            end_byte: clamp(end_byte),
        }
    }

    /// The position of a byte of the chunk. Counting a column's characters
    /// from its line's start would make a long non-ASCII line (a whole flow
    /// collection on one line) cost quadratic time; the chunk's character
    /// checkpoints keep it bounded.
    fn position(&self, chars: &CharMap<'_>, byte: usize) -> Position {
        let (line, line_start, ascii) = self.lines.locate(clamp(byte));
        let line_start = line_start as usize;
        let column = if ascii {
            byte - line_start
        } else if line_start >= chars.base {
            chars.chars_before(byte) - chars.chars_before(line_start)
        } else {
            // Chunks start at line starts, so this is never reached.
            return self.lines.position(self.text, clamp(byte));
        };
        Position::new(clamp(line + 1), clamp(column + 1))
    }
}

/// Maps saphyr's character offsets within a chunk to byte offsets in the
/// text, and back, in bounded time: the byte offset of every `STRIDE`-th
/// character is kept, and at most `STRIDE` characters are walked from it.
struct CharMap<'t> {
    source: &'t str,
    /// Byte offset of the chunk in the text.
    base: usize,
    /// Byte offset in `source` of characters 0, STRIDE, 2*STRIDE, ...; empty
    /// when the chunk is ASCII and characters are bytes.
    checkpoints: Vec<u32>,
    /// Where saphyr's character index runs ahead of the text, in order.
    drifts: Vec<Drift>,
}

/// A directive line after which saphyr's character index runs ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Drift {
    /// saphyr's index of the line's first character.
    from: usize,
    /// How far ahead saphyr's index was before the line, and after it.
    before: usize,
    after: usize,
    /// The line's own end (before its break), as a true character index.
    line_end: usize,
    /// saphyr's index of the next line's first character.
    next: usize,
}

const STRIDE: usize = 64;

/// Finds the directive lines of a chunk's prologue (directives stand only
/// before a document starts) on which saphyr's character index runs ahead:
/// those of a reserved directive (neither `%YAML` nor `%TAG`) holding
/// non-ASCII text. Lines are split as saphyr splits them, at `\n`, `\r\n`
/// and a lone `\r`. A BOM before a directive's `%` is skipped by saphyr
/// but still counted in its index, as here.
fn directive_drifts(source: &str) -> Vec<Drift> {
    let mut drifts = Vec::new();
    if source.is_ascii() {
        return drifts;
    }
    let mut chars = 0usize;
    let mut ahead = 0usize;
    let mut rest = source;
    while !rest.is_empty() {
        let content_len = rest.find(['\n', '\r']).unwrap_or(rest.len());
        let break_len = if rest[content_len..].starts_with("\r\n") {
            2
        } else {
            usize::from(content_len < rest.len())
        };
        let content = &rest[..content_len];
        let content_chars = content.chars().count();
        let body = content.trim_start_matches('\u{feff}');
        if let Some(directive) = body.strip_prefix('%') {
            // saphyr reads the name and parameters as runs of non-blank
            // characters, up to a BOM or NUL, where it stops with an error.
            let counted = &directive[..directive
                .find(['\u{feff}', '\0'])
                .unwrap_or(directive.len())];
            let name = counted.split([' ', '\t']).next().unwrap_or("");
            let extra = counted.len() - counted.chars().count();
            if extra > 0 && name != "YAML" && name != "TAG" {
                let line_end = chars + content_chars;
                drifts.push(Drift {
                    from: chars + ahead,
                    before: ahead,
                    after: ahead + extra,
                    line_end,
                    next: line_end + break_len + ahead + extra,
                });
                ahead += extra;
            }
        } else {
            let trimmed = body.trim_start_matches([' ', '\t']);
            if !trimmed.is_empty() && !trimmed.starts_with('#') {
                break;
            }
        }
        chars += content_chars + break_len;
        rest = &rest[content_len + break_len..];
    }
    drifts
}

impl<'t> CharMap<'t> {
    fn new(source: &'t str, base: usize) -> Self {
        let checkpoints = if source.is_ascii() {
            Vec::new()
        } else {
            source
                .char_indices()
                .step_by(STRIDE)
                .map(|(i, _)| clamp(i))
                .collect()
        };
        CharMap {
            source,
            base,
            checkpoints,
            drifts: directive_drifts(source),
        }
    }

    /// The true character index of saphyr's `index`. saphyr counts the
    /// bytes, not the characters, of a reserved directive's name and
    /// parameters (`%FOO é`), so after such a line its index is ahead by the
    /// difference.
    fn char_index(&self, index: usize) -> usize {
        let k = self.drifts.partition_point(|d| d.from <= index);
        let Some(drift) = k.checked_sub(1).map(|k| self.drifts[k]) else {
            return index;
        };
        if index >= drift.next {
            index - drift.after
        } else {
            (index - drift.before).min(drift.line_end)
        }
    }

    /// Byte offset in the text of the chunk's `index`-th character, clamped
    /// to the chunk's end.
    fn byte(&self, index: usize) -> usize {
        let len = self.source.len();
        if self.checkpoints.is_empty() {
            return self.base + index.min(len);
        }
        let Some(&from) = self.checkpoints.get(index / STRIDE) else {
            return self.base + len;
        };
        let from = from as usize;
        let offset = self.source[from..]
            .char_indices()
            .nth(index % STRIDE)
            .map_or(len, |(i, _)| from + i);
        self.base + offset
    }

    /// How many of the chunk's characters come before `byte`, a character
    /// boundary of the text inside the chunk.
    fn chars_before(&self, byte: usize) -> usize {
        let offset = byte.saturating_sub(self.base).min(self.source.len());
        if self.checkpoints.is_empty() {
            return offset;
        }
        let k = match self.checkpoints.binary_search(&clamp(offset)) {
            Ok(k) => k,
            // checkpoints[0] is 0, so k >= 1 here.
            Err(k) => k - 1,
        };
        let from = self.checkpoints[k] as usize;
        k * STRIDE
            + self
                .source
                .get(from..offset)
                .map_or(0, |s| s.chars().count())
    }
}

fn convert_style(style: SaphyrStyle) -> ScalarStyle {
    match style {
        SaphyrStyle::Plain => ScalarStyle::Plain,
        SaphyrStyle::SingleQuoted => ScalarStyle::SingleQuoted,
        SaphyrStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
        SaphyrStyle::Literal => ScalarStyle::Literal,
        SaphyrStyle::Folded => ScalarStyle::Folded,
    }
}

/// Core-schema tags are shortened to their familiar `!!name` form.
fn tag_name(tag: &Tag) -> Box<str> {
    if tag.is_yaml_core_schema() {
        format!("!!{}", tag.suffix).into_boxed_str()
    } else {
        tag.to_string().into_boxed_str()
    }
}

#[cfg(test)]
mod split_tests {
    use super::*;

    fn starts(text: &str) -> Vec<usize> {
        split_documents(text).iter().map(|c| c.start).collect()
    }

    #[test]
    fn splits_at_markers_and_keeps_leading_comments_with_their_document() {
        let text = "# header\n---\na: 1\n---\nb: 2\n...\n# trailing\n";
        assert_eq!(starts(text), vec![0, 18]);
    }

    #[test]
    fn markers_need_a_separator() {
        assert_eq!(starts("a: 1\n----\nb: 2\n").len(), 1);
        assert_eq!(starts("a: 1\n--- \nb: 2\n").len(), 2);
    }

    #[test]
    fn directive_drift_is_found_only_in_a_chunks_prologue() {
        let drifts = |text| directive_drifts(text).len();
        assert_eq!(drifts("%YAML 1.1\n%TAG ! tag:é\n---\na: é\n"), 0);
        assert_eq!(drifts("%é\n# c\n%ö ü\n---\n"), 2);
        assert_eq!(drifts("a: 1\n%é\n"), 0);
        // `ö` is one character but two bytes: saphyr's index runs one ahead
        // from the next line on.
        let map = CharMap::new("%ö\n---\nx\n", 0);
        assert_eq!(map.char_index(8), 7);
        assert_eq!(map.char_index(1), 1);
    }

    #[test]
    fn an_empty_text_is_one_empty_chunk() {
        assert_eq!(split_documents("").len(), 1);
    }
}
