//! Turning a schema into a validator, once per kind and release.

use std::sync::Arc;

use jsonschema::{Draft, Validator};
use serde_json::{Map, Value, json};

use crate::bundle::Bundle;
use crate::formats::{is_base64, is_quantity};
use crate::normalize::{self, OBJECT_META};

/// A validator and the schema document it was built from; the document
/// answers what fields a mapping may have, for suggestions.
pub struct CompiledSchema {
    validator: Arc<Validator>,
    document: Arc<Value>,
    /// The kind's own schema when several kinds share the validator: its
    /// entry in the document's `$defs`. `None`: the document's root.
    entry: Option<String>,
}

impl CompiledSchema {
    pub fn validator(&self) -> &Validator {
        &self.validator
    }

    /// The document whose `$defs` every reference is resolved in.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The schema of the kind itself, where an object's paths start.
    pub fn root(&self) -> &Value {
        self.entry
            .as_ref()
            .and_then(|name| self.document.get("$defs")?.get(name))
            .unwrap_or(&self.document)
    }
}

pub type Compiled = Result<Arc<CompiledSchema>, Arc<str>>;

fn validator(document: &Value, draft: Option<Draft>) -> Result<Validator, Arc<str>> {
    let mut options = jsonschema::options()
        .should_validate_formats(true)
        .with_format("quantity", is_quantity)
        .with_format("byte", is_base64);
    if let Some(draft) = draft {
        options = options.with_draft(draft);
    }
    options
        .build(document)
        .map_err(|e| Arc::from(e.to_string()))
}

fn build(document: Value, draft: Option<Draft>) -> Compiled {
    let validator = validator(&document, draft)?;
    Ok(Arc::new(CompiledSchema {
        validator: Arc::new(validator),
        document: Arc::new(document),
        entry: None,
    }))
}

/// A built-in kind: its root schema plus every definition it reaches, as
/// they were in that release.
pub fn compile_builtin(bundle: &Bundle, release: usize, root: usize) -> Compiled {
    let Some(mut document) = bundle.schema(root) else {
        return Err(Arc::from("the bundled schema is missing"));
    };
    normalize::formats(&mut document);
    let definitions = closure(bundle, release, &document);
    if let Value::Object(map) = &mut document {
        map.insert("$defs".into(), Value::Object(definitions));
    }
    build(document, Some(Draft::Draft202012))
}

/// A bundled kind to compile with others: its apiVersion, kind and root schema.
pub struct Member<'a> {
    pub api_version: &'a str,
    pub kind: &'a str,
    pub root: usize,
}

/// Built-in kinds compiled into one validator, so that the definitions they
/// share (a pod template: most of each workload kind) are compiled once.
/// The validator sends each object to its kind's schema by `apiVersion` and
/// `kind`, so it answers exactly as the kind's own validator would. One
/// per member, in order.
pub fn compile_builtin_together(
    bundle: &Bundle,
    release: usize,
    members: &[Member<'_>],
) -> Result<Vec<Arc<CompiledSchema>>, Arc<str>> {
    let mut roots = Map::new();
    let mut branches = Vec::new();
    let mut entries = Vec::new();
    for (position, member) in members.iter().enumerate() {
        let Some(mut schema) = bundle.schema(member.root) else {
            return Err(Arc::from("the bundled schema is missing"));
        };
        normalize::formats(&mut schema);
        // Kubernetes' definitions are all named `io.k8s...`: no clash.
        let entry = format!("shipgate.kind.{position}");
        branches.push(json!({
            "if": {
                "properties": {
                    "apiVersion": {"const": member.api_version},
                    "kind": {"const": member.kind},
                },
                "required": ["apiVersion", "kind"],
            },
            "then": {"$ref": format!("#/$defs/{entry}")},
        }));
        roots.insert(entry.clone(), schema);
        entries.push(entry);
    }
    let roots = Value::Object(roots);
    let mut definitions = closure(bundle, release, &roots);
    if let Value::Object(roots) = roots {
        definitions.extend(roots);
    }
    // Built by hand: `json!` would copy the definitions through `Serialize`.
    let mut document = Map::new();
    document.insert("$defs".into(), Value::Object(definitions));
    document.insert("allOf".into(), Value::Array(branches));
    let document = Value::Object(document);
    let validator = Arc::new(validator(&document, Some(Draft::Draft202012))?);
    let document = Arc::new(document);
    Ok(entries
        .into_iter()
        .map(|entry| {
            Arc::new(CompiledSchema {
                validator: validator.clone(),
                document: document.clone(),
                entry: Some(entry),
            })
        })
        .collect())
}

/// A CRD version's schema, made strict, with the object's metadata checked
/// as ObjectMeta of the newest bundled release.
pub fn compile_crd(open_api: &Value) -> Compiled {
    let mut document = normalize::crd_schema(open_api);
    attach_definitions(&mut document);
    build(document, Some(Draft::Draft202012))
}

/// A JSON Schema given as is; its own `$schema` picks the draft.
pub fn compile_json(schema: &Value) -> Compiled {
    let mut document = schema.clone();
    normalize::formats(&mut document);
    build(document, None)
}

/// Points a bare `metadata` at ObjectMeta and adds every definition the
/// document refers to. Bundled custom resources whose source describes them
/// by API types rather than by a CRD (cert-manager's issuers) refer to
/// Kubernetes' own types, such as `Affinity`, by name, so that they are
/// judged exactly as in the built-in kinds.
fn attach_definitions(document: &mut Value) {
    let Ok(bundle) = crate::bundle::bundle() else {
        return;
    };
    if let Some(metadata) = document.pointer_mut("/properties/metadata")
        && metadata.get("properties").is_none()
    {
        *metadata = json!({"$ref": format!("#/$defs/{OBJECT_META}")});
    }
    let definitions = closure(bundle, bundle.newest(), document);
    if !definitions.is_empty()
        && let Value::Object(map) = document
    {
        map.insert("$defs".into(), Value::Object(definitions));
    }
}

/// Every definition `root` reaches through `$ref`, normalised.
fn closure(bundle: &Bundle, release: usize, root: &Value) -> Map<String, Value> {
    let mut definitions = Map::new();
    let mut pending = Vec::new();
    references(root, &mut pending);
    while let Some(name) = pending.pop() {
        if definitions.contains_key(&name) {
            continue;
        }
        // A dangling reference accepts anything rather than failing the kind.
        let mut schema = bundle.definition(release, &name).unwrap_or(json!({}));
        normalize::definition(&name, &mut schema);
        references(&schema, &mut pending);
        definitions.insert(name, schema);
    }
    definitions
}

fn references(schema: &Value, out: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map {
                if key == "$ref"
                    && let Value::String(target) = value
                {
                    if let Some(name) = target.strip_prefix("#/$defs/") {
                        out.push(name.to_owned());
                    }
                } else {
                    references(value, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, out)),
        _ => {}
    }
}
