//! Validation errors in words a person acts on, each tied to the node it
//! is about.

use std::fmt::Write;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::{JsonType, ValidationError};
use serde_json::Value;
use shipgate_core::SourceSpan;
use shipgate_syntax::yaml::NodeRef;

use crate::convert::key_text;
use crate::normalize::{INT_OR_STRING, QUANTITY};
use crate::{ErrorKind, SchemaError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Key(String),
    Index(usize),
}

/// Which node an error points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// The value at the path.
    Value,
    /// The key of an entry of the mapping at the path.
    Key(String),
    /// A field missing from the mapping at the path: points at the
    /// mapping's first key, or at the object's `kind:` for the object itself.
    Missing(String),
}

/// An error before it is tied to a span: all that depends only on the
/// JSON value, so it can be reused for an identical object.
#[derive(Debug, Clone)]
pub(crate) struct RawError {
    pub path: Vec<Segment>,
    pub target: Target,
    pub kind: ErrorKind,
    pub message: String,
}

/// `root` is the schema of the object's kind; `document` holds the
/// definitions its references name.
pub(crate) fn raw_errors<'a>(
    errors: impl Iterator<Item = ValidationError<'a>>,
    document: &Value,
    root: &Value,
) -> Vec<RawError> {
    let mut out: Vec<RawError> = Vec::new();
    for error in errors {
        let path: Vec<Segment> = error
            .instance_path()
            .iter()
            .map(|segment| match segment {
                LocationSegment::Property(p) => Segment::Key(p.into_owned()),
                LocationSegment::Index(i) => Segment::Index(i),
            })
            .collect();
        let here = || human_path(&path);
        let value = error.instance();
        match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected }
            | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
                let known = known_fields(document, root, &path);
                for field in unexpected {
                    let mut full = path.clone();
                    full.push(Segment::Key(field.clone()));
                    let mut message = format!("unknown field `{}`", human_path(&full));
                    if let Some(near) = closest(field, &known) {
                        let _ = write!(message, "; did you mean `{near}`?");
                    }
                    out.push(RawError {
                        path: path.clone(),
                        target: Target::Key(field.clone()),
                        kind: ErrorKind::UnknownField,
                        message,
                    });
                }
            }
            ValidationErrorKind::Required { property } => {
                let field = property.as_str().unwrap_or_default().to_owned();
                let mut full = path.clone();
                full.push(Segment::Key(field.clone()));
                out.push(RawError {
                    path: path.clone(),
                    target: Target::Missing(field),
                    kind: ErrorKind::Required,
                    message: format!("missing required field `{}`", human_path(&full)),
                });
            }
            ValidationErrorKind::Type { kind } => {
                let named = definition_at(document, root, &path);
                let expected = match named.as_deref() {
                    Some(QUANTITY) => "a quantity such as `500m` or `1Gi`".to_owned(),
                    Some(INT_OR_STRING) => "an integer or a string".to_owned(),
                    _ => expected_types(kind),
                };
                out.push(RawError {
                    path: path.clone(),
                    target: Target::Value,
                    kind: ErrorKind::Type,
                    message: format!(
                        "{} must be {expected}, found {}",
                        subject(&here()),
                        found(value)
                    ),
                });
            }
            ValidationErrorKind::Enum { options } => {
                let list = match options.as_ref() {
                    Value::Array(items) => items.iter().map(literal).collect::<Vec<_>>(),
                    other => vec![literal(other)],
                };
                out.push(RawError {
                    path: path.clone(),
                    target: Target::Value,
                    kind: ErrorKind::Enum,
                    message: format!(
                        "{} must be one of {}, found {}",
                        subject(&here()),
                        list.join(", "),
                        found(value)
                    ),
                });
            }
            ValidationErrorKind::Constant { expected_value } => out.push(RawError {
                path: path.clone(),
                target: Target::Value,
                kind: ErrorKind::Enum,
                message: format!(
                    "{} must be {}, found {}",
                    subject(&here()),
                    literal(expected_value),
                    found(value)
                ),
            }),
            ValidationErrorKind::Format { format } => {
                let what = match format.as_str() {
                    "quantity" => "a valid quantity (such as `500m`, `1.5`, `512Mi` or `2G`)".to_owned(),
                    "byte" => "valid base64 (Secret `data` holds encoded values; use `stringData` for plain text)".to_owned(),
                    "date-time" => "an RFC 3339 date-time such as `2024-01-31T12:00:00Z`".to_owned(),
                    other => format!("in `{other}` format"),
                };
                out.push(RawError {
                    path: path.clone(),
                    target: Target::Value,
                    kind: ErrorKind::Format,
                    message: format!(
                        "{} must be {what}, found {}",
                        subject(&here()),
                        found(value)
                    ),
                });
            }
            ValidationErrorKind::Pattern { pattern } => out.push(RawError {
                path: path.clone(),
                target: Target::Value,
                kind: ErrorKind::Format,
                message: format!(
                    "{} must match `{pattern}`, found {}",
                    subject(&here()),
                    found(value)
                ),
            }),
            ValidationErrorKind::Minimum { limit } | ValidationErrorKind::Maximum { limit } => {
                let int32 = limit
                    .as_i64()
                    .is_some_and(|l| l == i64::from(i32::MIN) || l == i64::from(i32::MAX));
                let message = if int32 {
                    format!(
                        "{} must fit in a 32-bit integer, found {}",
                        subject(&here()),
                        found(value)
                    )
                } else {
                    let bound = if matches!(error.kind(), ValidationErrorKind::Minimum { .. }) {
                        "at least"
                    } else {
                        "at most"
                    };
                    format!(
                        "{} must be {bound} {limit}, found {}",
                        subject(&here()),
                        found(value)
                    )
                };
                out.push(RawError {
                    path: path.clone(),
                    target: Target::Value,
                    kind: ErrorKind::Other,
                    message,
                });
            }
            ValidationErrorKind::AnyOf { .. }
            | ValidationErrorKind::OneOfNotValid { .. }
            | ValidationErrorKind::OneOfMultipleValid { .. } => out.push(RawError {
                path: path.clone(),
                target: Target::Value,
                kind: ErrorKind::Other,
                message: format!(
                    "{} matches none of the forms its schema allows, found {}",
                    subject(&here()),
                    found(value)
                ),
            }),
            _ => {
                let masked = error.masked().to_string();
                out.push(RawError {
                    path: path.clone(),
                    target: Target::Value,
                    kind: ErrorKind::Other,
                    message: format!("{}: {masked}", subject(&here())),
                });
            }
        }
    }
    // A value of the wrong type also fails its enum or format: one message
    // about the type is enough.
    let typed: Vec<Vec<Segment>> = out
        .iter()
        .filter(|e| e.kind == ErrorKind::Type)
        .map(|e| e.path.clone())
        .collect();
    out.retain(|e| {
        e.kind == ErrorKind::Type || e.target != Target::Value || !typed.contains(&e.path)
    });
    out
}

fn subject(path: &str) -> String {
    if path.is_empty() {
        "the object".to_owned()
    } else {
        format!("`{path}`")
    }
}

/// `spec.template.spec.containers[0].image`; keys that are not plain words
/// (`app.kubernetes.io/name`) are quoted in brackets.
pub(crate) fn human_path(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
            Segment::Key(key) => {
                let plain = !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$');
                if plain {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                } else {
                    let _ = write!(out, "[{}]", serde_json::Value::String(key.clone()));
                }
            }
        }
    }
    out
}

pub(crate) fn pointer(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        out.push('/');
        match segment {
            Segment::Index(i) => {
                let _ = write!(out, "{i}");
            }
            Segment::Key(key) => out.push_str(&key.replace('~', "~0").replace('/', "~1")),
        }
    }
    out
}

fn type_name(t: JsonType) -> Option<&'static str> {
    Some(match t {
        JsonType::Array => "a list",
        JsonType::Boolean => "a boolean",
        JsonType::Integer => "an integer",
        JsonType::Null => return None,
        JsonType::Number => "a number",
        JsonType::Object => "a mapping",
        JsonType::String => "a string",
    })
}

fn expected_types(kind: &TypeKind) -> String {
    let names: Vec<&str> = match kind {
        TypeKind::Single(t) => type_name(*t).into_iter().collect(),
        TypeKind::Multiple(set) => set.iter().filter_map(type_name).collect(),
    };
    match names.as_slice() {
        [] => "null".to_owned(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The value as found, in a few words: `string "3"`, `a mapping`.
fn found(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) if n.is_f64() => format!("number {n}"),
        Value::Number(n) => format!("integer {n}"),
        Value::String(s) => {
            let mut shown: String = s.chars().take(60).collect();
            if shown.len() < s.len() {
                shown.push('…');
            }
            format!("string {}", Value::String(shown))
        }
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a mapping".to_owned(),
    }
}

fn literal(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

/// Follows `path` through the schema document: `$ref`s, `properties`,
/// `additionalProperties` and `items`. Returns the schema there and the name
/// of the last definition entered.
fn schema_at<'d>(
    document: &'d Value,
    root: &'d Value,
    path: &[Segment],
) -> Option<(&'d Value, Option<String>)> {
    let mut schema = root;
    let mut named = None;
    let mut hops = 0;
    let mut rest = path;
    loop {
        while let Some(target) = schema.get("$ref").and_then(Value::as_str) {
            hops += 1;
            if hops > 64 {
                return None;
            }
            let name = target.strip_prefix("#/$defs/")?;
            named = Some(name.to_owned());
            schema = document.get("$defs")?.get(name)?;
        }
        let Some((first, tail)) = rest.split_first() else {
            return Some((schema, named));
        };
        named = None;
        schema = match first {
            Segment::Key(key) => match schema.get("properties").and_then(|p| p.get(key)) {
                Some(s) => s,
                None => schema
                    .get("additionalProperties")
                    .filter(|s| s.is_object())?,
            },
            Segment::Index(_) => schema.get("items").filter(|s| s.is_object())?,
        };
        rest = tail;
    }
}

fn definition_at(document: &Value, root: &Value, path: &[Segment]) -> Option<String> {
    schema_at(document, root, path).and_then(|(_, named)| named)
}

fn known_fields(document: &Value, root: &Value, path: &[Segment]) -> Vec<String> {
    schema_at(document, root, path)
        .and_then(|(schema, _)| schema.get("properties"))
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// The known field nearest to a misspelt one, within two edits (one for
/// short names, where two edits make a different word).
pub(crate) fn closest(field: &str, known: &[String]) -> Option<String> {
    let limit = if field.chars().count() <= 4 { 1 } else { 2 };
    known
        .iter()
        .filter_map(|k| {
            let d = if k.eq_ignore_ascii_case(field) {
                0
            } else {
                // A swap of neighbours is one edit: the commonest typo.
                strsim::osa_distance(field, k)
            };
            (d <= limit).then_some((d, k))
        })
        .min()
        .map(|(_, k)| k.clone())
}

/// Ties an error to the most specific node of `object` it is about.
pub(crate) fn locate(object: NodeRef<'_>, error: &RawError) -> SchemaError {
    let mut node = object;
    let mut reached = true;
    for segment in &error.path {
        let next = match segment {
            Segment::Key(key) => node
                .entries()
                .find(|(k, _)| key_text(*k) == *key)
                .map(|(_, v)| v),
            Segment::Index(i) => node.items().nth(*i),
        };
        match next {
            Some(n) => node = n,
            None => {
                reached = false;
                break;
            }
        }
    }
    let span = match &error.target {
        _ if !reached => node.span(),
        Target::Value => node.span(),
        Target::Key(field) => node
            .entries()
            .find(|(k, _)| key_text(*k) == *field)
            .map_or_else(|| node.span(), |(k, _)| k.span()),
        Target::Missing(_) if error.path.is_empty() => object_span(object),
        Target::Missing(_) => node
            .entries()
            .next()
            .map_or_else(|| node.span(), |(k, _)| k.span()),
    };
    let mut full = error.path.clone();
    if let Target::Key(field) | Target::Missing(field) = &error.target {
        full.push(Segment::Key(field.clone()));
    }
    SchemaError {
        span,
        message: error.message.clone(),
        kind: error.kind,
        pointer: pointer(&full),
        path: human_path(&full),
    }
}

/// The `kind:` value, where findings about a whole object point.
pub(crate) fn object_span(object: NodeRef<'_>) -> SourceSpan {
    object
        .get("kind")
        .map_or_else(|| object.span(), |k| k.span())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_like_kubectl_explain() {
        let path = vec![
            Segment::Key("spec".into()),
            Segment::Key("containers".into()),
            Segment::Index(0),
            Segment::Key("image".into()),
        ];
        assert_eq!(human_path(&path), "spec.containers[0].image");
        assert_eq!(pointer(&path), "/spec/containers/0/image");
        let labels = vec![
            Segment::Key("metadata".into()),
            Segment::Key("labels".into()),
            Segment::Key("app.kubernetes.io/name".into()),
        ];
        assert_eq!(
            human_path(&labels),
            "metadata.labels[\"app.kubernetes.io/name\"]"
        );
        assert_eq!(pointer(&labels), "/metadata/labels/app.kubernetes.io~1name");
    }

    #[test]
    fn suggestions_stay_within_two_edits() {
        let known = vec![
            "imagePullPolicy".to_owned(),
            "image".to_owned(),
            "ports".to_owned(),
        ];
        assert_eq!(
            closest("imagePullPolcy", &known).as_deref(),
            Some("imagePullPolicy")
        );
        assert_eq!(
            closest("imagepullpolicy", &known).as_deref(),
            Some("imagePullPolicy")
        );
        assert_eq!(closest("imgae", &known).as_deref(), Some("image"));
        assert_eq!(closest("prots", &known).as_deref(), Some("ports"));
        assert_eq!(closest("volumes", &known), None);
        assert_eq!(closest("imag", &known).as_deref(), Some("image"));
    }
}
