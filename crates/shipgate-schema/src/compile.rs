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
    pub validator: Validator,
    pub document: Value,
}

pub type Compiled = Result<Arc<CompiledSchema>, Arc<str>>;

fn build(document: Value, draft: Option<Draft>) -> Compiled {
    let mut options = jsonschema::options()
        .should_validate_formats(true)
        .with_format("quantity", is_quantity)
        .with_format("byte", is_base64);
    if let Some(draft) = draft {
        options = options.with_draft(draft);
    }
    match options.build(&document) {
        Ok(validator) => Ok(Arc::new(CompiledSchema {
            validator,
            document,
        })),
        Err(e) => Err(Arc::from(e.to_string())),
    }
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
