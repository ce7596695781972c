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
