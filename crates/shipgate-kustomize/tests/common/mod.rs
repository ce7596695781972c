#![allow(dead_code)]

use std::io;
use std::path::{Path, PathBuf};

use serde_json::{Map, Number, Value};
use shipgate_kustomize::Loader;
use shipgate_syntax::yaml::{NodeRef, Resolved, YamlStream};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The fixtures folder on disk, paths relative to it.
pub struct Disk(pub PathBuf);

impl Loader for Disk {
    fn read(&self, path: &str) -> io::Result<String> {
        std::fs::read_to_string(self.0.join(path))
    }

    fn is_dir(&self, path: &str) -> bool {
        self.0.join(path).is_dir()
    }
}

/// A node as plain data, scalars resolved as Kubernetes reads them.
pub fn value(node: NodeRef<'_>) -> Value {
    if node.is_map() {
        let mut map = Map::new();
        for (k, v) in node.entries() {
            map.insert(k.scalar_text().unwrap_or("").to_owned(), value(v));
        }
        return Value::Object(map);
    }
    if node.is_seq() {
        return Value::Array(node.items().map(value).collect());
    }
    match node.resolve() {
        Some(Resolved::Null) | None => Value::Null,
        Some(Resolved::Bool(b)) => Value::Bool(b),
        Some(Resolved::Int(i)) => Value::Number(i.into()),
        Some(Resolved::Float(f)) => Number::from_f64(f).map_or(Value::Null, Value::Number),
        Some(Resolved::Str(s)) => Value::String(s.to_owned()),
    }
}

pub fn documents(stream: &YamlStream) -> Vec<Value> {
    (0..stream.documents.len())
        .filter_map(|i| stream.root(i))
        .filter(|r| !r.is_null())
        .map(value)
        .collect()
}
