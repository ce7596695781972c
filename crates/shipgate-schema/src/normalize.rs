//! Schemas rewritten to judge values as the API server's decoder does, and
//! CustomResourceDefinition schemas turned into strict JSON Schema.

use serde_json::{Map, Value, json};

pub const INT_OR_STRING: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
pub const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";
pub const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

const INT32_MIN: i64 = i32::MIN as i64;
const INT32_MAX: i64 = i32::MAX as i64;

/// Keywords whose value is one subschema.
const ONE: &[&str] = &[
    "items",
    "additionalProperties",
    "not",
    "contains",
    "propertyNames",
    "additionalItems",
    "unevaluatedItems",
    "unevaluatedProperties",
    "if",
    "then",
    "else",
];
/// Keywords whose value is a list of subschemas.
const LIST: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
/// Keywords whose value maps names to subschemas.
const NAMED: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];

/// A named definition of the bundled schemas, made to accept exactly what
/// the decoder accepts. The published schemas spell int-or-string and
/// quantities as a `oneOf` that refuses `null` (both branches match it) and
/// take any string as a quantity, where the decoder accepts `null` and
/// rejects `1GB` outright.
pub fn definition(name: &str, schema: &mut Value) {
    match name {
        INT_OR_STRING => {
            *schema = json!({
                "type": ["string", "integer", "null"],
                "minimum": INT32_MIN,
                "maximum": INT32_MAX,
            });
        }
        QUANTITY => *schema = json!({"type": ["string", "number", "null"], "format": "quantity"}),
        _ => formats(schema),
    }
}

/// Rewrites what the decoder enforces and JSON Schema does not: the width of
/// `int32` fields, and `oneOf` over distinct types (whose only difference from
/// a type list is refusing `null`). Formats whose JSON Schema meaning differs
/// from Kubernetes' (`duration` is ISO 8601 in one and Go's `30s` in the
/// other) are dropped.
pub fn formats(schema: &mut Value) {
    let Value::Object(map) = schema else {
        return;
    };
    if let Some(types) = type_union(map) {
        map.remove("oneOf");
        map.insert("type".into(), Value::Array(types));
    }
    if let Some(Value::String(format)) = map.get("format") {
        match format.as_str() {
            "int32" => {
                map.entry("minimum").or_insert(json!(INT32_MIN));
                map.entry("maximum").or_insert(json!(INT32_MAX));
                map.remove("format");
            }
            "byte" | "date-time" | "quantity" => {}
            _ => {
                map.remove("format");
            }
        }
    }
    for_each_subschema(map, &mut |sub, _| formats(sub));
}

/// `oneOf: [{type: string}, {type: integer}]` (with or without `null` in
/// each branch) as one type list.
fn type_union(map: &Map<String, Value>) -> Option<Vec<Value>> {
    let Some(Value::Array(branches)) = map.get("oneOf") else {
        return None;
    };
    if map.contains_key("type") || branches.len() < 2 {
        return None;
    }
    let mut types: Vec<Value> = Vec::new();
    let mut seen_non_null = Vec::new();
    for branch in branches {
        let Value::Object(b) = branch else {
            return None;
        };
        if b.len() != 1 {
            return None;
        }
        let list = match b.get("type")? {
            Value::String(t) => vec![t.clone()],
            Value::Array(ts) => ts
                .iter()
                .map(|t| t.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()?,
            _ => return None,
        };
        for t in list {
            if t != "null" {
                // `integer` inside `number` would make the branches overlap.
                if seen_non_null.contains(&t)
                    || (t == "integer" && seen_non_null.iter().any(|s| s == "number"))
                    || (t == "number" && seen_non_null.iter().any(|s| s == "integer"))
                {
                    return None;
                }
                seen_non_null.push(t.clone());
            }
            if !types.iter().any(|v| v == t.as_str()) {
                types.push(Value::String(t));
            }
        }
    }
    if !types.iter().any(|t| t == "null") {
        types.push(Value::String("null".into()));
    }
    Some(types)
}

fn for_each_subschema(map: &mut Map<String, Value>, f: &mut dyn FnMut(&mut Value, &str)) {
    for (key, value) in map.iter_mut() {
        let key = key.as_str();
        if ONE.contains(&key) {
            if value.is_object() {
                f(value, key);
            }
        } else if LIST.contains(&key) {
            if let Value::Array(items) = value {
                for item in items {
                    f(item, key);
                }
            }
        } else if NAMED.contains(&key)
            && let Value::Object(named) = value
        {
            for sub in named.values_mut() {
                f(sub, key);
            }
        }
    }
}

/// Where a CRD subschema sits: strictness is added only where a schema
/// declares the fields of an object, never inside `anyOf` and friends, which
/// may only narrow what their parent declares.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Root,
    Field,
    Logic,
}

/// A CRD version's `openAPIV3Schema` as the strict JSON Schema the API
/// server effectively applies with strict field validation: unknown fields
/// are errors unless `x-kubernetes-preserve-unknown-fields` says otherwise,
/// `null` is accepted anywhere (the server prunes it), `int-or-string` and
/// OpenAPI 3.0's boolean `exclusiveMinimum` are translated, and the fields
/// every object has (`apiVersion`, `kind`, `metadata`) are always allowed.
pub fn crd_schema(open_api: &Value) -> Value {
    let mut schema = open_api.clone();
    crd_node(&mut schema, Place::Root);
    schema
}

fn crd_node(schema: &mut Value, place: Place) {
    let Value::Object(map) = schema else {
        return;
    };
    let preserve = map
        .get("x-kubernetes-preserve-unknown-fields")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let embedded = map
        .get("x-kubernetes-embedded-resource")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let int_or_string = map
        .get("x-kubernetes-int-or-string")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    map.retain(|key, _| !key.starts_with("x-kubernetes-") && key != "nullable");

    if int_or_string {
        map.insert("type".into(), json!(["integer", "string", "null"]));
    } else if let Some(Value::String(t)) = map.get("type").cloned() {
        map.insert("type".into(), json!([t, "null"]));
    }
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(Value::Bool(exclusive)) = map.get(flag).cloned() {
            map.remove(flag);
            if exclusive && let Some(limit) = map.remove(bound) {
                map.insert(flag.into(), limit);
            }
        }
    }

    let is_object = map.get("type").is_some_and(|t| {
        t.as_array()
            .is_some_and(|ts| ts.iter().any(|t| t == "object"))
    }) || map.contains_key("properties");
    if place != Place::Logic && is_object && !preserve {
        if place == Place::Root || embedded {
            let properties = map
                .entry("properties")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(properties) = properties {
                for field in ["apiVersion", "kind"] {
                    properties
                        .entry(field)
                        .or_insert_with(|| json!({"type": "string"}));
                }
                properties
                    .entry("metadata")
                    .or_insert_with(|| json!({"type": "object"}));
            }
        }
        if !map.contains_key("additionalProperties") {
            map.insert("additionalProperties".into(), Value::Bool(false));
        }
    }

    // An object's own metadata is checked as ObjectMeta (see `lib.rs`), not
    // as the bare `type: object` CRDs declare for it.
    let metadata = if place == Place::Root || embedded {
        map.get_mut("properties")
            .and_then(Value::as_object_mut)
            .and_then(|p| p.remove("metadata"))
    } else {
        None
    };
    for_each_subschema(map, &mut |sub, keyword| {
        let place = if place == Place::Logic || LIST.contains(&keyword) || keyword == "not" {
            Place::Logic
        } else {
            Place::Field
        };
        crd_node(sub, place);
    });
    if let Some(mut metadata) = metadata {
        if metadata.get("properties").is_some() {
            crd_node(&mut metadata, Place::Field);
        } else if let Value::Object(m) = &mut metadata {
            m.insert("type".into(), json!(["object", "null"]));
        }
        if let Some(Value::Object(properties)) = map.get_mut("properties") {
            properties.insert("metadata".into(), metadata);
        }
    }
    formats(schema);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn int_or_string_and_quantity_accept_null_and_nothing_else_changes() {
        let mut s = json!({"oneOf": [{"type": ["string", "null"]}, {"type": ["integer", "null"]}]});
        definition(INT_OR_STRING, &mut s);
        assert_eq!(s["type"], json!(["string", "integer", "null"]));
        let mut q = json!({});
        definition(QUANTITY, &mut q);
        assert_eq!(q["format"], "quantity");
    }

    #[test]
    fn int32_fields_get_their_range_and_unknown_formats_go() {
        let mut s = json!({"properties": {
            "replicas": {"type": "integer", "format": "int32"},
            "age": {"type": "string", "format": "duration"},
            "data": {"type": "string", "format": "byte"},
        }});
        formats(&mut s);
        assert_eq!(s["properties"]["replicas"]["maximum"], json!(i32::MAX));
        assert!(s["properties"]["age"].get("format").is_none());
        assert_eq!(s["properties"]["data"]["format"], "byte");
    }

    #[test]
    fn overlapping_one_of_is_left_alone() {
        let mut s = json!({"oneOf": [{"type": "integer"}, {"type": "number"}]});
        formats(&mut s);
        assert!(s.get("oneOf").is_some());
        let mut s = json!({"oneOf": [{"type": "string"}, {"required": ["a"]}]});
        formats(&mut s);
        assert!(s.get("oneOf").is_some());
    }

    #[test]
    fn crd_schemas_become_strict_where_fields_are_declared() {
        let crd = json!({
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "properties": {
                        "port": {"x-kubernetes-int-or-string": true,
                                 "anyOf": [{"type": "integer"}, {"type": "string"}]},
                        "size": {"type": "integer", "minimum": 0, "exclusiveMinimum": true},
                        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                        "template": {"type": "object", "x-kubernetes-embedded-resource": true,
                                     "properties": {"spec": {"type": "object"}}},
                    },
                    "anyOf": [{"required": ["port"]}, {"properties": {"size": {"type": "integer"}}}],
                },
            },
        });
        let s = crd_schema(&crd);
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(s["properties"]["kind"]["type"], json!(["string", "null"]));
        let spec = &s["properties"]["spec"];
        assert_eq!(spec["additionalProperties"], false);
        assert_eq!(spec["type"], json!(["object", "null"]));
        assert_eq!(
            spec["properties"]["port"]["type"],
            json!(["integer", "string", "null"])
        );
        assert_eq!(spec["properties"]["size"]["exclusiveMinimum"], 0);
        assert!(spec["properties"]["size"].get("minimum").is_none());
        assert!(
            spec["properties"]["free"]
                .get("additionalProperties")
                .is_none()
        );
        assert_eq!(
            spec["properties"]["labels"]["additionalProperties"]["type"],
            json!(["string", "null"])
        );
        let template = &spec["properties"]["template"];
        assert!(template["properties"].get("metadata").is_some());
        assert_eq!(
            template["properties"]["spec"]["additionalProperties"],
            false
        );
        // Inside anyOf nothing becomes strict: it may only narrow its parent.
        assert!(spec["anyOf"][1].get("additionalProperties").is_none());
    }
}
