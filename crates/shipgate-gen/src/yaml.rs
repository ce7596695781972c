//! A small YAML emitter for generated manifests.
//!
//! Generated files are read by people and diffed in review, so output is
//! block style with keys in the order they were built, and it must mean the
//! same to every reader: Kubernetes reads YAML 1.1, where `on`, `y`, `no`
//! are booleans and `0755` is octal. A string is therefore written plain
//! only when no reader could take it for anything but a string; every other
//! string is double-quoted.

use std::fmt::Write;

/// A YAML value, or a piece of a Helm template standing where one goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Y {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    Seq(Vec<Y>),
    Map(Vec<(String, Y)>),
    /// A template expression written verbatim as a scalar (`{{ .Values.x }}`).
    Tpl(String),
    /// A template expression whose output is a YAML block, written under its
    /// key with `toYaml` and the right indentation.
    Block(String),
}

impl Y {
    pub fn map() -> Y {
        Y::Map(Vec::new())
    }

    /// Adds an entry; the value may be anything convertible.
    pub fn with(mut self, key: &str, value: impl Into<Y>) -> Y {
        self.set(key, value);
        self
    }

    /// Sets `key`, replacing an existing entry in place.
    pub fn set(&mut self, key: &str, value: impl Into<Y>) {
        if let Y::Map(entries) = self {
            let value = value.into();
            match entries.iter_mut().find(|(k, _)| k == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key.to_owned(), value)),
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&Y> {
        match self {
            Y::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Y> {
        match self {
            Y::Map(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Follows a path of keys.
    pub fn path_mut(&mut self, keys: &[&str]) -> Option<&mut Y> {
        keys.iter().try_fold(self, |node, key| node.get_mut(key))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Y::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_empty_collection(&self) -> bool {
        matches!(self, Y::Seq(items) if items.is_empty())
            || matches!(self, Y::Map(entries) if entries.is_empty())
    }

    fn is_collection(&self) -> bool {
        matches!(self, Y::Seq(_) | Y::Map(_)) && !self.is_empty_collection()
    }
}

impl From<&str> for Y {
    fn from(s: &str) -> Y {
        Y::Str(s.to_owned())
    }
}
impl From<String> for Y {
    fn from(s: String) -> Y {
        Y::Str(s)
    }
}
impl From<&String> for Y {
    fn from(s: &String) -> Y {
        Y::Str(s.clone())
    }
}
impl From<bool> for Y {
    fn from(b: bool) -> Y {
        Y::Bool(b)
    }
}
impl From<i64> for Y {
    fn from(n: i64) -> Y {
        Y::Int(n)
    }
}
impl From<i32> for Y {
    fn from(n: i32) -> Y {
        Y::Int(i64::from(n))
    }
}
impl From<u32> for Y {
    fn from(n: u32) -> Y {
        Y::Int(i64::from(n))
    }
}
impl From<u16> for Y {
    fn from(n: u16) -> Y {
        Y::Int(i64::from(n))
    }
}
impl From<Vec<Y>> for Y {
    fn from(items: Vec<Y>) -> Y {
        Y::Seq(items)
    }
}
impl From<Vec<&str>> for Y {
    fn from(items: Vec<&str>) -> Y {
        Y::Seq(items.into_iter().map(Y::from).collect())
    }
}
impl From<Vec<String>> for Y {
    fn from(items: Vec<String>) -> Y {
        Y::Seq(items.into_iter().map(Y::from).collect())
    }
}

/// Words YAML 1.1 or 1.2 resolves to something other than a string.
const SPECIAL: &[&str] = &[
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
];

/// Whether `s` reads back as the same string, plain, in YAML 1.1 and 1.2
/// and in flow or block context. Deliberately narrow: anything unusual is
/// quoted instead.
pub fn plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    // A leading letter or slash rules out numbers, dates, indicators and
    // `.inf`/`.nan`; the character set rules out flow and comment syntax.
    (first.is_ascii_alphabetic() || first == '/')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./-:@=+".contains(c))
        && !s.ends_with(':')
        && !s.contains("://")
        && !SPECIAL.iter().any(|w| s.eq_ignore_ascii_case(w))
}

fn scalar(s: &str) -> String {
    if plain_safe(s) {
        s.to_owned()
    } else {
        // JSON's string escapes are a subset of YAML's double-quoted ones.
        serde_json::Value::String(s.to_owned()).to_string()
    }
}

/// A multi-line string that a literal block keeps exactly.
fn literal_block(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with([' ', '\n'])
        && s.lines().all(|l| l == l.trim_end() && !l.contains('\t'))
        && !s.ends_with("\n\n")
        && !s.contains('\r')
}

fn write_scalar(out: &mut String, y: &Y, indent: usize) {
    match y {
        Y::Null => out.push_str("null"),
        Y::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Y::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Y::Str(s) if literal_block(s) => {
            out.push_str(if s.ends_with('\n') { "|" } else { "|-" });
            for line in s.lines() {
                out.push('\n');
                if !line.is_empty() {
                    out.push_str(&" ".repeat(indent));
                    out.push_str(line);
                }
            }
        }
        Y::Str(s) => out.push_str(&scalar(s)),
        Y::Tpl(t) => out.push_str(t),
        Y::Seq(_) => out.push_str("[]"),
        Y::Map(_) => out.push_str("{}"),
        // Under a key a block is indented for its place (see `write_value`);
        // elsewhere it can only be written inline, as flow YAML.
        Y::Block(expr) => {
            let _ = write!(out, "{{{{ toJson {expr} }}}}");
        }
    }
}

fn write_map(out: &mut String, entries: &[(String, Y)], indent: usize) {
    let pad = " ".repeat(indent);
    for (key, value) in entries {
        out.push_str(&pad);
        out.push_str(&scalar(key));
        out.push(':');
        write_value(out, value, indent);
    }
}

/// Writes what follows `key:` (or `-`), newline included.
fn write_value(out: &mut String, value: &Y, indent: usize) {
    match value {
        Y::Map(entries) if !entries.is_empty() => {
            out.push('\n');
            write_map(out, entries, indent + 2);
        }
        Y::Seq(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, indent + 2);
        }
        Y::Block(expr) => {
            let _ = writeln!(out, "\n{{{{- toYaml {expr} | nindent {} }}}}", indent + 2);
        }
        scalar_value => {
            out.push(' ');
            write_scalar(out, scalar_value, indent + 2);
            out.push('\n');
        }
    }
}

fn write_seq(out: &mut String, items: &[Y], indent: usize) {
    let pad = " ".repeat(indent);
    for item in items {
        if item.is_collection() {
            // Write the item two columns in, then turn its first indent into the dash.
            let mut nested = String::new();
            match item {
                Y::Map(entries) => write_map(&mut nested, entries, indent + 2),
                Y::Seq(inner) => write_seq(&mut nested, inner, indent + 2),
                _ => {}
            }
            out.push_str(&pad);
            out.push_str("- ");
            out.push_str(nested.get(indent + 2..).unwrap_or_default());
        } else {
            out.push_str(&pad);
            out.push('-');
            write_value(out, item, indent);
        }
    }
}

/// One document, without a `---` marker.
pub fn to_string(doc: &Y) -> String {
    let mut out = String::new();
    match doc {
        Y::Map(entries) if !entries.is_empty() => write_map(&mut out, entries, 0),
        Y::Seq(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        other => {
            write_scalar(&mut out, other, 0);
            out.push('\n');
        }
    }
    out
}

/// Several documents separated by `---`.
pub fn stream(docs: &[Y]) -> String {
    docs.iter().map(to_string).collect::<Vec<_>>().join("---\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_yaml_1_1_would_misread_are_quoted() {
        for s in [
            "on",
            "Yes",
            "y",
            "N",
            "off",
            "null",
            "~",
            "0755",
            "1.10",
            "2026-11-23",
            "",
            " x",
            "a: b",
            "#x",
            "-x",
            "*x",
            "&x",
            "!x",
            "x #y",
            "http://x",
            "1e3",
            ".inf",
            "@x",
        ] {
            assert!(!plain_safe(s), "{s:?} must be quoted");
            let quoted = scalar(s);
            assert!(quoted.starts_with('"'), "{s:?} -> {quoted}");
        }
        for s in [
            "api",
            "app.kubernetes.io/name",
            "ghcr.io/a/b:1.2",
            "RuntimeDefault",
            "/tmp",
        ] {
            assert!(plain_safe(s), "{s:?} can stay plain");
        }
    }

    #[test]
    fn nested_collections_and_blocks() {
        let doc = Y::map()
            .with("kind", "Deployment")
            .with(
                "items",
                vec![
                    Y::map().with("name", "a").with("ports", vec![Y::Int(80)]),
                    Y::from("on"),
                    Y::Seq(vec![]),
                ],
            )
            .with("empty", Y::map())
            .with("script", "set -e\necho hi\n");
        assert_eq!(
            to_string(&doc),
            "kind: Deployment\nitems:\n  - name: a\n    ports:\n      - 80\n  - \"on\"\n  - []\nempty: {}\nscript: |\n  set -e\n  echo hi\n"
        );
    }

    #[test]
    fn helm_blocks_are_indented_under_their_key() {
        let doc = Y::map().with(
            "spec",
            Y::map().with("resources", Y::Block(".Values.r".into())),
        );
        assert_eq!(
            to_string(&doc),
            "spec:\n  resources:\n{{- toYaml .Values.r | nindent 4 }}\n"
        );
    }
}

#[cfg(test)]
mod round_trip {
    use super::*;
    use shipgate_syntax::yaml::{Limits, Resolved, Schema, parse};

    /// Every string reads back as the same string under YAML 1.1, the
    /// schema Kubernetes reads with, in a mapping and in a sequence.
    #[test]
    fn strings_read_back_unchanged_as_kubernetes_reads_them() {
        let strings = [
            "on",
            "Off",
            "y",
            "N",
            "yes",
            "NO",
            "true",
            "False",
            "null",
            "NULL",
            "~",
            "",
            "0755",
            "0x1F",
            "0o17",
            "+1",
            "-1",
            ".5",
            "1_000",
            "1e3",
            "12:30:00",
            "2001-12-14t21:59:43.10-05:00",
            "2026-11-23",
            ".inf",
            "-.Inf",
            ".NaN",
            "<<",
            "=",
            "- x",
            "? x",
            "%x",
            "`x",
            "|",
            ">",
            "'",
            "\"",
            "\\",
            "a #b",
            "a: b",
            "a:b",
            "{x}",
            "[x]",
            "x,y",
            "&a",
            "*a",
            "!t",
            "@x",
            " lead",
            "trail ",
            "tab\there",
            "ünï",
            "http://x:1/y",
            "line1\nline2\n",
            "line1\nline2",
            "a\n\nb",
            "  indented\nx",
            "x\r\ny",
            "$(DB_PASSWORD)",
            "ghcr.io/a/b:1.2",
            "app.kubernetes.io/name",
            "RuntimeDefault",
        ];
        for s in strings {
            let doc = Y::map().with("k", s).with("list", vec![Y::from(s)]);
            let text = to_string(&doc);
            let stream = parse(&text, Schema::Yaml11, Limits::default());
            assert!(stream.errors.is_empty(), "{s:?}: {text}");
            let root = stream.root(0).expect("root");
            for node in [
                root.get("k").expect("k"),
                root.get("list")
                    .and_then(|l| l.items().next())
                    .expect("item"),
            ] {
                match node.resolve() {
                    Some(Resolved::Str(back)) => assert_eq!(back, s, "{text}"),
                    other => panic!("{s:?} read back as {other:?}: {text}"),
                }
            }
        }
    }
}
