//! A YAML node as the JSON the API server receives.
//!
//! `kubectl` turns YAML into JSON before sending it, resolving plain scalars
//! by YAML 1.1 (the node already knows its stream's rules): `replicas: "3"`
//! stays a string and is rejected, `enabled: yes` becomes `true`, and a float
//! with no fraction such as `3.0` is written as the integer `3`.

use serde_json::{Map, Number, Value};
use shipgate_syntax::yaml::{NodeKind, NodeRef, Resolved};

/// Deeper trees are cut off: the YAML loader refuses them long before this.
const MAX_DEPTH: usize = 256;

pub fn to_json(node: NodeRef<'_>) -> Value {
    convert(node, 0)
}

fn convert(node: NodeRef<'_>, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    match node.kind() {
        NodeKind::Scalar => scalar(node),
        NodeKind::Seq => Value::Array(node.items().map(|n| convert(n, depth + 1)).collect()),
        NodeKind::Map => {
            let mut map = Map::with_capacity(node.len());
            for (key, value) in node.entries() {
                map.insert(key_text(key), convert(value, depth + 1));
            }
            Value::Object(map)
        }
    }
}

/// Keys become strings the way Go's YAML-to-JSON conversion formats them.
pub fn key_text(key: NodeRef<'_>) -> String {
    match key.resolve() {
        Some(Resolved::Str(s)) => s.to_owned(),
        Some(Resolved::Bool(b)) => b.to_string(),
        Some(Resolved::Int(i)) => i.to_string(),
        Some(Resolved::Float(f)) => number(f).map_or_else(|| f.to_string(), |n| n.to_string()),
        Some(Resolved::Null) => "null".to_owned(),
        // A mapping or sequence used as a key: no real manifest does this.
        None => String::new(),
    }
}

fn scalar(node: NodeRef<'_>) -> Value {
    match node.resolve() {
        Some(Resolved::Null) | None => Value::Null,
        Some(Resolved::Bool(b)) => Value::Bool(b),
        Some(Resolved::Int(i)) => Value::Number(i.into()),
        Some(Resolved::Float(f)) => match number(f) {
            Some(n) => Value::Number(n),
            // JSON has no infinity or NaN; kubectl refuses them, and as text
            // they fail every numeric field here too.
            None => Value::String(node.scalar_text().unwrap_or_default().to_owned()),
        },
        Some(Resolved::Str(s)) => Value::String(s.to_owned()),
    }
}

fn number(f: f64) -> Option<Number> {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 {
        return Some(Number::from(f as i64));
    }
    Number::from_f64(f)
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use shipgate_syntax::yaml::{Limits, Schema, parse};

    use super::to_json;

    fn json_of(yaml: &str) -> serde_json::Value {
        let stream = parse(yaml, Schema::Yaml11, Limits::default());
        to_json(stream.root(0).expect("a document"))
    }

    #[test]
    fn scalars_resolve_as_kubectl_sends_them() {
        let value = json_of(
            "a: \"3\"\nb: 3\nc: 3.0\nd: 1.5\ne: yes\nf: ~\ng: 0755\nh: !!str 12\ni: .inf\n\
             j: [1, two]\nk: {x: 1}\n",
        );
        assert_eq!(
            value,
            json!({
                "a": "3", "b": 3, "c": 3, "d": 1.5, "e": true, "f": null, "g": 493,
                "h": "12", "i": ".inf", "j": [1, "two"], "k": {"x": 1}
            })
        );
    }

    #[test]
    fn keys_are_strings_and_merges_are_expanded() {
        // `y` is a YAML 1.1 boolean even as a key, and Kubernetes reads it so.
        let value = json_of("base: &b {x: 1}\nm:\n  <<: *b\n  z: 2\n1: one\ny: t\n");
        assert_eq!(
            value,
            json!({"base": {"x": 1}, "m": {"x": 1, "z": 2}, "1": "one", "true": "t"})
        );
    }
}
