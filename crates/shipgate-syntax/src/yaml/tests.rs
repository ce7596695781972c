use super::*;

fn load(text: &str) -> YamlStream {
    parse(text, Schema::Yaml11, Limits::default())
}

#[test]
fn keeps_positions_of_keys_and_values() {
    let stream = load("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n");
    assert!(stream.errors.is_empty(), "{:?}", stream.errors);
    let root = stream.root(0).unwrap();
    let (key, value) = root.path(&["metadata"]).unwrap().entry("name").unwrap();
    assert_eq!((key.span().start.line, key.span().start.column), (4, 3));
    assert_eq!((value.span().start.line, value.span().start.column), (4, 9));
    assert_eq!(
        value.span().start_byte as usize,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ".len()
    );
    assert_eq!(value.as_str(), Some("web"));
}

#[test]
fn columns_and_bytes_survive_multibyte_text() {
    let stream = load("név: \"ünïcode\"\nport: 80\n");
    let port = stream.root(0).unwrap().get("port").unwrap();
    assert_eq!(port.span().start.column, 7);
    let name = stream.root(0).unwrap().get("név").unwrap();
    assert_eq!(name.span().start.column, 6);
    assert_eq!(name.span().start_byte, 6);
}

#[test]
fn reads_every_document_of_a_stream() {
    let stream = load("a: 1\n---\nb: 2\n---\n# only a comment\n---\nc: 3\n");
    // An explicit document holding only a comment is an empty (null) document.
    assert_eq!(stream.documents.len(), 4);
    assert!(stream.root(2).unwrap().is_null());
    assert_eq!(stream.root(3).unwrap().get("c").unwrap().as_i64(), Some(3));
    assert_eq!(stream.root(3).unwrap().span().start.line, 7);
}

#[test]
fn a_malformed_document_costs_only_itself() {
    let stream = load("a: 1\n---\nb: [unclosed\nc: 2\n---\nd: 4\n");
    assert_eq!(stream.documents.len(), 3);
    assert_eq!(stream.errors.len(), 1);
    let err = &stream.errors[0];
    assert_eq!(err.kind, ErrorKind::Syntax);
    assert_eq!(err.document, Some(1));
    assert!(
        err.span.start.line >= 3 && err.span.start.line <= 5,
        "{:?}",
        err.span
    );
    assert!(stream.root(1).is_none());
    assert_eq!(stream.root(2).unwrap().get("d").unwrap().as_i64(), Some(4));
}

#[test]
fn resolves_scalars_as_kubernetes_does() {
    let stream = load("a: yes\nb: 'yes'\nc: 0644\nd: !!str 0644\ne: ~\nf: 1.5\n");
    let root = stream.root(0).unwrap();
    assert_eq!(root.get("a").unwrap().as_bool(), Some(true));
    assert_eq!(root.get("b").unwrap().as_str(), Some("yes"));
    assert_eq!(root.get("c").unwrap().as_i64(), Some(0o644));
    assert_eq!(root.get("d").unwrap().as_str(), Some("0644"));
    assert!(root.get("e").unwrap().is_null());
    assert_eq!(root.get("f").unwrap().as_f64(), Some(1.5));
    let yaml12 = parse("a: yes\n", Schema::Yaml12, Limits::default());
    assert_eq!(
        yaml12.root(0).unwrap().get("a").unwrap().as_str(),
        Some("yes")
    );
}

#[test]
fn follows_aliases_and_expands_merge_keys() {
    let text = "base: &base\n  cpu: 100m\n  memory: 128Mi\nother: &other\n  memory: 1Gi\n  gpu: 1\nuse:\n  <<: [*base, *other]\n  cpu: 200m\nref: *base\n";
    let stream = load(text);
    assert!(stream.errors.is_empty(), "{:?}", stream.errors);
    let root = stream.root(0).unwrap();
    let used = root.get("use").unwrap();
    assert_eq!(used.get("cpu").unwrap().as_str(), Some("200m"));
    // Earlier merge sources win over later ones.
    assert_eq!(used.get("memory").unwrap().as_str(), Some("128Mi"));
    assert_eq!(used.get("gpu").unwrap().as_i64(), Some(1));
    assert!(used.get("<<").is_none());
    assert_eq!(
        root.path(&["ref", "memory"]).unwrap().as_str(),
        Some("128Mi")
    );
    // The merged value points at its definition.
    assert_eq!(used.get("memory").unwrap().span().start.line, 3);
}

#[test]
fn reports_duplicate_keys_and_keeps_the_last_value() {
    let stream = load("a: 1\nb: 2\na: 3\n");
    assert_eq!(stream.errors.len(), 1);
    let err = &stream.errors[0];
    assert_eq!(err.kind, ErrorKind::DuplicateKey);
    assert_eq!(err.span.start.line, 3);
    assert_eq!(err.related.unwrap().start.line, 1);
    assert_eq!(stream.root(0).unwrap().get("a").unwrap().as_i64(), Some(3));
    assert_eq!(stream.root(0).unwrap().len(), 2);
}

#[test]
fn refuses_alias_bombs() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    text.push_str("---\nfine: true\n");
    let stream = load(&text);
    assert_eq!(stream.errors.len(), 1, "{:?}", stream.errors);
    assert_eq!(stream.errors[0].kind, ErrorKind::AliasExpansion);
    assert!(stream.root(0).is_none());
    assert_eq!(
        stream.root(1).unwrap().get("fine").unwrap().as_bool(),
        Some(true)
    );
}

#[test]
fn refuses_recursive_aliases() {
    let stream = load("a: &a [1, *a]\n");
    assert!(!stream.errors.is_empty());
    assert!(stream.root(0).is_none());
}

#[test]
fn refuses_absurd_nesting_without_overflowing_the_stack() {
    let depth = 10_000;
    let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let stream = load(&text);
    assert_eq!(stream.errors.len(), 1);
    assert!(matches!(
        stream.errors[0].kind,
        ErrorKind::TooDeep | ErrorKind::Syntax
    ));
    let mut block = String::new();
    for i in 0..2_000 {
        block.push_str(&" ".repeat(i));
        block.push_str("k:\n");
    }
    let stream = load(&block);
    assert_eq!(stream.errors.len(), 1);
}

#[test]
fn empty_and_comment_only_input_has_no_documents_and_no_errors() {
    for text in ["", "\n\n", "# nothing\n", "---\n"] {
        let stream = load(text);
        assert!(stream.errors.is_empty(), "{text:?}: {:?}", stream.errors);
        assert!(
            stream
                .documents
                .iter()
                .all(|d| d.root.is_none_or(|r| stream.node(r).is_null()))
        );
    }
}

#[test]
fn many_documents_are_cheap() {
    let text = "---\nkind: ConfigMap\n".repeat(100_000);
    let stream = load(&text);
    assert_eq!(stream.documents.len(), 100_000);
    assert!(stream.errors.is_empty());
}

#[test]
fn block_scalars_keep_their_content() {
    let stream = load("script: |\n  echo hi\n  exit 0\nnext: 1\n");
    let root = stream.root(0).unwrap();
    assert_eq!(
        root.get("script").unwrap().as_str(),
        Some("echo hi\nexit 0\n")
    );
    assert_eq!(root.get("next").unwrap().span().start.line, 4);
}

/// Every span's line and column must be the ones its byte offset has in the
/// stream's line index, or snippets and SARIF regions point elsewhere.
fn assert_spans_agree_with_offsets(text: &str, stream: &YamlStream) {
    let spans = (0..stream.node_count())
        .map(|id| stream.node(id as NodeId).span())
        .chain(stream.errors.iter().map(|e| e.span))
        .chain(stream.documents.iter().map(|d| d.span));
    for span in spans {
        assert!(span.start_byte <= span.end_byte && span.end_byte as usize <= text.len());
        assert_eq!(stream.lines.position(text, span.start_byte), span.start);
        assert_eq!(stream.lines.position(text, span.end_byte), span.end);
    }
}

#[test]
fn a_lone_carriage_return_does_not_shift_later_positions() {
    // Found by the yaml_loader fuzz target: saphyr starts a new line at a lone
    // `\r`, the line index (like the snippets) only at `\n`, so every later
    // span had a line number past its byte offset's.
    let text = "a: 1\r\nb:\r\n  - x\r  \n  - \"y\"\r\n---\r\nc: |\rc \n rlf\r\n";
    let stream = load(text);
    assert_spans_agree_with_offsets(text, &stream);

    let text = "a: 1\rb: [x,\r y]\nc: 3\n";
    let stream = load(text);
    assert_spans_agree_with_offsets(text, &stream);
    let c = stream.root(0).unwrap().get("c").unwrap();
    assert_eq!(c.span().start_byte as usize, text.find('3').unwrap());
    assert_eq!((c.span().start.line, c.span().start.column), (2, 4));
}

#[test]
fn a_byte_order_mark_does_not_shift_byte_offsets() {
    // saphyr gives a BOM no column, but it takes three bytes.
    let text = "\u{feff}kind: Pod\nmetadata: {name: x}\n";
    let stream = load(text);
    assert!(stream.errors.is_empty(), "{:?}", stream.errors);
    assert_spans_agree_with_offsets(text, &stream);
    let (key, value) = stream.root(0).unwrap().entry("kind").unwrap();
    assert_eq!(key.span().start_byte, 3);
    assert_eq!(&text[value.span().start_byte as usize..][..3], "Pod");
}

#[test]
fn a_long_non_ascii_line_loads_in_linear_time() {
    // Columns used to be found by walking each line's characters from its
    // start: a flow sequence of 300,000 items on one non-ASCII line took
    // minutes. Now this finishes at once.
    let n = 300_000;
    let text = format!("[{}]\n", vec!["é"; n].join(", "));
    let stream = load(&text);
    assert!(stream.errors.is_empty());
    let root = stream.root(0).unwrap();
    assert_eq!(root.len(), n);
    let last = root.items().last().unwrap();
    assert_eq!(last.span().start_byte as usize, text.len() - "é]\n".len());
    assert_eq!(last.span().start.column as usize, 1 + 1 + 3 * (n - 1));
    assert_eq!(
        stream.lines.position(&text, last.span().start_byte),
        last.span().start
    );
}

#[test]
fn positions_after_multibyte_text_in_long_lines_are_exact() {
    // Past the character checkpoints: offsets and columns of nodes far into
    // a line of mixed one- to four-byte characters.
    let item = "ä€😀x";
    let text = format!("k: [{}]\nnext: ✓\n", vec![item; 500].join(","));
    let stream = load(&text);
    assert!(stream.errors.is_empty(), "{:?}", stream.errors);
    assert_spans_agree_with_offsets(&text, &stream);
    let root = stream.root(0).unwrap();
    for (i, node) in root.get("k").unwrap().items().enumerate() {
        let start = node.span().start_byte as usize;
        assert_eq!(&text[start..start + item.len()], item, "item {i}");
        assert_eq!(node.span().start.column as usize, 1 + 4 + 5 * i);
    }
    let next = root.get("next").unwrap();
    assert_eq!((next.span().start.line, next.span().start.column), (2, 7));
}

#[test]
fn a_reserved_directive_with_non_ascii_text_does_not_shift_spans() {
    // Found by the yaml_loader fuzz target: saphyr counts the bytes, not
    // the characters, of a reserved directive's name and parameters, so its
    // character index ran ahead for the rest of the document and every span
    // started a little past its node.
    for text in [
        "%\u{7c1}\n---\n-o\n",
        "%FOO bär ✓ # ünïcode\n%ÿ\r%Ω x\n# é\n---\nkey: value\nlist: [é, 'ß']\n",
    ] {
        let stream = load(text);
        assert_spans_agree_with_offsets(text, &stream);
        let root = stream.root(0).unwrap();
        let first = match root.kind() {
            NodeKind::Scalar => root,
            _ => root.entries().next().unwrap().0,
        };
        let start = first.span().start_byte as usize;
        let expected = first.scalar_text().unwrap();
        assert!(text[start..].starts_with(expected), "{text:?}: {start}");
    }
    let text = "%FOO bär ✓ # ünïcode\n%ÿ\r%Ω x\n# é\n---\nkey: value\nlist: [é, 'ß']\n";
    let stream = load(text);
    assert!(stream.errors.is_empty(), "{:?}", stream.errors);
    let list = stream.root(0).unwrap().get("list").unwrap();
    let items: Vec<_> = list.items().map(|n| n.span().start_byte as usize).collect();
    assert_eq!(
        items,
        vec![text.rfind('é').unwrap(), text.find('\'').unwrap()]
    );
}

#[test]
fn block_collections_end_with_their_last_child() {
    let stream = load("spec:\n  selector:\n    app: web\n  ports:\n    - 80\n");
    let selector = stream.root(0).unwrap().path(&["spec", "selector"]).unwrap();
    let span = selector.span();
    assert_eq!((span.start.line, span.end.line), (3, 3));
    assert_eq!(span.end.column, 13);
    let flow = load("a: {b: 1}\nc: 2\n");
    let map = flow.root(0).unwrap().get("a").unwrap();
    assert_eq!((map.span().start.column, map.span().end.column), (4, 10));
}
