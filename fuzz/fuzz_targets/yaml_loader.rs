//! Arbitrary text through the YAML loader, under both schemas, then a walk of
//! every document through the public `NodeRef` API checking what rules rely
//! on: spans that are ordered, inside the text, on character boundaries, and
//! whose line/column agrees with the stream's own line index.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shipgate_core::SourceSpan;
use shipgate_syntax::yaml::{
    self, ErrorKind, Limits, NodeKind, NodeRef, ScalarStyle, Schema, YamlStream,
};

/// Aliases share nodes, so a tree walk can visit far more nodes than the
/// stream holds; stop long before that costs the fuzzer its speed.
const MAX_VISITS: usize = 20_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for schema in [Schema::Yaml11, Schema::Yaml12] {
        let stream = yaml::parse(text, schema, Limits::default());
        check_stream(text, &stream);
    }
    // Tight limits reach the refusal paths (too deep, alias bomb) with small inputs.
    let tight = Limits {
        max_depth: 4,
        max_expanded_nodes: 16,
    };
    check_stream(text, &yaml::parse(text, Schema::Yaml11, tight));
});

fn check_stream(text: &str, stream: &YamlStream) {
    for doc in &stream.documents {
        check_span(text, stream, doc.span, "document");
    }
    for err in &stream.errors {
        check_span(text, stream, err.span, "error");
        if let Some(related) = err.related {
            check_span(text, stream, related, "related");
        }
        if let Some(doc) = err.document {
            assert!(
                doc < stream.documents.len(),
                "error names a missing document: {err:?}"
            );
            let refused = matches!(
                err.kind,
                ErrorKind::Syntax | ErrorKind::TooDeep | ErrorKind::AliasExpansion
            );
            assert!(
                !refused || stream.documents[doc].root.is_none(),
                "a refused document keeps a root: {err:?}"
            );
        }
    }
    // Every node, reachable or not, must be viewable without panicking.
    for id in 0..stream.node_count() {
        let node = stream.node(id as u32);
        check_node(text, stream, node);
    }
    let mut visits = 0usize;
    for index in 0..stream.documents.len() {
        let Some(root) = stream.root(index) else {
            continue;
        };
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            visits += 1;
            if visits > MAX_VISITS {
                return;
            }
            check_node(text, stream, node);
            match node.kind() {
                NodeKind::Scalar => {}
                NodeKind::Seq => {
                    assert_eq!(node.items().count(), node.len());
                    stack.extend(node.items());
                }
                NodeKind::Map => {
                    assert_eq!(node.entries().count(), node.len());
                    for (key, value) in node.entries() {
                        if let Some(k) = key.scalar_text() {
                            // Keys are unique once duplicates and merges are
                            // settled, so a lookup finds exactly this entry.
                            let (found_key, found) = node.entry(k).expect("a present key is found");
                            assert_eq!(found_key.scalar_text(), Some(k));
                            assert_eq!(
                                found.id(),
                                value.id(),
                                "lookup of {k:?} found another value"
                            );
                            assert_eq!(node.get(k).map(|n| n.id()), Some(value.id()));
                            assert_eq!(node.path(&[k]).map(|n| n.id()), Some(value.id()));
                        }
                        stack.push(key);
                        stack.push(value);
                    }
                }
            }
        }
    }
}

fn check_node(text: &str, stream: &YamlStream, node: NodeRef<'_>) {
    check_span(text, stream, node.span(), "node");
    let _ = format!("{node:?}");
    let _ = node.tag();
    match node.kind() {
        NodeKind::Scalar => {
            assert!(node.scalar_text().is_some(), "a scalar without text");
            check_scalar_start(text, node);
            assert!(node.style().is_some());
            assert!(node.resolve().is_some());
            let _ = (node.as_str(), node.as_text(), node.as_bool());
            let _ = (node.as_i64(), node.as_f64(), node.is_null());
            assert_eq!(node.len(), 0);
            assert!(node.get("a").is_none());
            assert_eq!(node.items().count(), 0);
            assert_eq!(node.entries().count(), 0);
        }
        NodeKind::Seq | NodeKind::Map => {
            assert!(node.scalar_text().is_none());
            assert!(node.resolve().is_none());
            assert!(node.style().is_none());
        }
    }
}

/// A span must point at its scalar, not merely somewhere consistent: a
/// quoted scalar's span starts at its quote, a plain one's at its first
/// character, unless an anchor or tag comes first. (saphyr starts a block
/// scalar's span at its content, after the indicator line, so those are
/// left alone.)
fn check_scalar_start(text: &str, node: NodeRef<'_>) {
    let span = node.span();
    let Some(first) = text[span.start_byte as usize..].chars().next() else {
        return;
    };
    if matches!(first, '&' | '!') {
        return;
    }
    let expected = match node.style() {
        Some(ScalarStyle::SingleQuoted) => Some('\''),
        Some(ScalarStyle::DoubleQuoted) => Some('"'),
        Some(ScalarStyle::Plain) => node.scalar_text().and_then(|t| t.chars().next()),
        _ => None,
    };
    if let Some(expected) = expected {
        assert_eq!(
            first, expected,
            "scalar span starts elsewhere: {node:?} at {span:?}"
        );
    }
}

fn check_span(text: &str, stream: &YamlStream, span: SourceSpan, what: &str) {
    let len = text.len() as u32;
    assert!(
        span.start_byte <= span.end_byte,
        "{what}: start after end: {span:?}"
    );
    assert!(
        span.end_byte <= len,
        "{what}: past the text's end ({len}): {span:?}"
    );
    assert!(
        text.is_char_boundary(span.start_byte as usize)
            && text.is_char_boundary(span.end_byte as usize),
        "{what}: not on a character boundary: {span:?}"
    );
    assert!(
        span.start.line >= 1 && span.start.column >= 1,
        "{what}: {span:?}"
    );
    assert!(
        span.end.line >= 1 && span.end.column >= 1,
        "{what}: {span:?}"
    );
    assert!(
        (span.start.line, span.start.column) <= (span.end.line, span.end.column),
        "{what}: start position after end position: {span:?}"
    );
    assert_eq!(
        stream.lines.position(text, span.start_byte),
        span.start,
        "{what}: start position disagrees with its byte offset: {span:?}"
    );
    assert_eq!(
        stream.lines.position(text, span.end_byte),
        span.end,
        "{what}: end position disagrees with its byte offset: {span:?}"
    );
}
