//! The content hash kustomize appends to generated ConfigMap and Secret
//! names, reproduced exactly so names match `kubectl kustomize`.
//!
//! The hash is the SHA-256 of a JSON document holding the kind, an empty
//! name, the data (and the type of a Secret, a ConfigMap's `binaryData`
//! when set; `immutable` is left out), encoded as Go's `encoding/json` does: keys sorted, and `<`,
//! `>`, `&`, U+2028 and U+2029 escaped. Its first ten hex digits are kept,
//! with `0 1 3 a e` replaced by `g h k m t` so that the suffix never reads
//! as a number or a word.

use sha2::{Digest, Sha256};
use shipgate_syntax::yaml::OwnedNode;

use crate::resource::{HashKind, Resource};

pub fn suffix(resource: &Resource, kind: HashKind) -> String {
    let node = &resource.node;
    let mut fields: Vec<(&str, String)> = Vec::new();
    let kind_name = match kind {
        HashKind::ConfigMap => "ConfigMap",
        HashKind::Secret => "Secret",
    };
    fields.push(("kind", go_string(kind_name)));
    fields.push(("name", go_string("")));
    fields.push(("data", string_map(node.get("data"))));
    if kind == HashKind::ConfigMap
        && let Some(binary) = node.get("binaryData").filter(|b| !b.is_empty())
    {
        fields.push(("binaryData", string_map(Some(binary))));
    }
    if kind == HashKind::Secret {
        let kind_type = node.get("type").and_then(OwnedNode::as_text).unwrap_or("");
        fields.push(("type", go_string(kind_type)));
    }
    fields.sort_by(|a, b| a.0.cmp(b.0));
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", go_string(k)))
        .collect();
    encode(&format!("{{{}}}", body.join(",")))
}

fn encode(json: &str) -> String {
    let digest = Sha256::digest(json.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    hex[..10]
        .chars()
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            other => other,
        })
        .collect()
}

/// A mapping of strings as Go encodes a `map[string]string`: sorted by key;
/// `null` when absent.
fn string_map(node: Option<&OwnedNode>) -> String {
    let Some(node) = node.filter(|n| n.is_map()) else {
        return "null".to_owned();
    };
    let mut pairs: Vec<(&str, &str)> = node
        .entries()
        .iter()
        .filter_map(|(k, v)| Some((k.scalar_text()?, v.scalar_text().unwrap_or(""))))
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let body: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}:{}", go_string(k), go_string(v)))
        .collect();
    format!("{{{}}}", body.join(","))
}

pub fn go_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use shipgate_syntax::yaml::{Limits, Schema, parse};

    fn resource(text: &str) -> Resource {
        Resource::new(
            parse(text, Schema::Yaml11, Limits::default())
                .owned(0, 0)
                .unwrap(),
        )
    }

    // Expected values are `kubectl kustomize` (kustomize v5.5.0) output.
    #[test]
    fn matches_kustomize_for_config_maps_and_secrets() {
        let cm = resource("kind: ConfigMap\ndata:\n  A: \"1\"\n");
        assert_eq!(suffix(&cm, HashKind::ConfigMap), "89g4tffbfk");
        let cm = resource("kind: ConfigMap\ndata: {A: '1', B: quoted, C: single, D: <&>}\n");
        assert_eq!(suffix(&cm, HashKind::ConfigMap), "k927kgght6");
        let secret = resource("kind: Secret\ntype: Opaque\ndata:\n  PASS: eA==\n");
        assert_eq!(suffix(&secret, HashKind::Secret), "cb6gbmhkcc");
    }

    #[test]
    fn encodes_base64_with_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"x"), "eA==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
        assert_eq!(base64(b"hello world"), "aGVsbG8gd29ybGQ=");
    }

    #[test]
    fn escapes_strings_as_go_does() {
        assert_eq!(
            go_string("a\"b\\<\n\u{1}"),
            "\"a\\\"b\\\\\\u003c\\n\\u0001\""
        );
    }
}
