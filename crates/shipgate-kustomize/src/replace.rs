//! `replacements`: copy a field of one object into fields of others.
//!
//! Field paths are dot-separated: `[key=value]` picks a list element by
//! one of its fields, `[a.b/c]` is a key holding dots, `*` is every element,
//! and a number is a list index. Objects are selected by exact kind, name
//! (current or earlier), namespace, group and version, and by label and
//! annotation selectors. A copied value keeps the span of the source field,
//! so a finding on it points at where the value was written.

use shipgate_syntax::yaml::{OwnedNode, OwnedValue};

use crate::resource::{LabelSelector, Resource};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Match(String, String),
    All,
}

pub fn parse_path(text: &str) -> Result<Vec<Segment>, String> {
    let mut segments = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (token, next) = if let Some(inner) = rest.strip_prefix('[') {
            let end = inner
                .find(']')
                .ok_or_else(|| format!("unclosed `[` in field path `{text}`"))?;
            let after = &inner[end + 1..];
            (&rest[..end + 2], after.strip_prefix('.').unwrap_or(after))
        } else {
            match rest.find('.') {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, ""),
            }
        };
        let segment = match token.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            Some(inner) => match inner.split_once('=') {
                Some((k, v)) => Segment::Match(k.to_owned(), v.to_owned()),
                None => Segment::Key(inner.to_owned()),
            },
            None if token == "*" => Segment::All,
            None if token.is_empty() => return Err(format!("empty step in field path `{text}`")),
            None => Segment::Key(token.to_owned()),
        };
        segments.push(segment);
        rest = next;
    }
    Ok(segments)
}

fn children<'n>(node: &'n OwnedNode, segment: &Segment) -> Vec<&'n OwnedNode> {
    match (segment, &node.value) {
        (Segment::Key(key), OwnedValue::Seq(items)) => key
            .parse::<usize>()
            .ok()
            .and_then(|i| items.get(i))
            .into_iter()
            .collect(),
        (Segment::Key(key), OwnedValue::Map(_)) => node.get(key).into_iter().collect(),
        (Segment::Match(k, v), OwnedValue::Seq(items)) => items
            .iter()
            .filter(|i| i.get(k).and_then(OwnedNode::as_text) == Some(v.as_str()))
            .collect(),
        (Segment::All, OwnedValue::Seq(items)) => items.iter().collect(),
        _ => Vec::new(),
    }
}

/// Every node a path reaches.
pub fn lookup<'n>(node: &'n OwnedNode, path: &[Segment]) -> Vec<&'n OwnedNode> {
    let Some((first, rest)) = path.split_first() else {
        return vec![node];
    };
    children(node, first)
        .into_iter()
        .flat_map(|child| lookup(child, rest))
        .collect()
}

/// Applies `update` to every node `path` reaches; with `create`, missing
/// mapping keys along the way are added. Returns how many were updated.
pub fn update(
    node: &mut OwnedNode,
    path: &[Segment],
    create: bool,
    set: &dyn Fn(&mut OwnedNode) -> Result<(), String>,
) -> Result<usize, String> {
    let Some((first, rest)) = path.split_first() else {
        set(node)?;
        return Ok(1);
    };
    let span = node.span;
    if create && node.is_null() && matches!(first, Segment::Key(_)) {
        *node = OwnedNode::map(span);
    }
    match (first, &mut node.value) {
        (Segment::Key(key), OwnedValue::Seq(items)) => match key.parse::<usize>() {
            Ok(i) if i < items.len() => update(&mut items[i], rest, create, set),
            _ => Ok(0),
        },
        (Segment::Key(key), OwnedValue::Map(_)) => {
            if node.get(key).is_none() {
                if !create {
                    return Ok(0);
                }
                let fresh = if rest.is_empty() {
                    OwnedNode::plain("", span)
                } else {
                    OwnedNode::map(span)
                };
                node.insert(key, fresh);
            }
            match node.get_mut(key) {
                Some(child) => update(child, rest, create, set),
                None => Ok(0),
            }
        }
        (Segment::Match(k, v), OwnedValue::Seq(items)) => {
            let mut count = 0;
            for item in items
                .iter_mut()
                .filter(|i| i.get(k).and_then(OwnedNode::as_text) == Some(v.as_str()))
            {
                count += update(item, rest, create, set)?;
            }
            Ok(count)
        }
        (Segment::All, OwnedValue::Seq(items)) => {
            let mut count = 0;
            for item in items.iter_mut() {
                count += update(item, rest, create, set)?;
            }
            Ok(count)
        }
        _ => Ok(0),
    }
}

/// Which objects a replacement's `source`, `select` or `reject` names:
/// every given field must equal the object's.
#[derive(Debug, Default)]
pub struct Pick {
    pub group: Option<String>,
    pub version: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub labels: Option<LabelSelector>,
    pub annotations: Option<LabelSelector>,
}

impl Pick {
    pub fn matches(&self, r: &Resource) -> bool {
        let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        eq(&self.group, r.group())
            && eq(&self.version, r.version())
            && eq(&self.kind, r.kind())
            && self.name.as_deref().is_none_or(|n| r.answers_to(n))
            && eq(&self.namespace, r.namespace())
            && self.labels.as_ref().is_none_or(|s| s.matches(&r.labels()))
            && self
                .annotations
                .as_ref()
                .is_none_or(|s| s.matches(&r.annotations()))
    }
}

/// Splits `text` at `delimiter` and returns part `index`.
pub fn part(text: &str, delimiter: &str, index: usize) -> Option<String> {
    text.split(delimiter).nth(index).map(str::to_owned)
}

/// `text` with its part `index` (split at `delimiter`) replaced by `value`.
pub fn with_part(text: &str, delimiter: &str, index: usize, value: &str) -> Option<String> {
    let mut parts: Vec<&str> = text.split(delimiter).collect();
    *parts.get_mut(index)? = value;
    Some(parts.join(delimiter))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shipgate_syntax::yaml::{Limits, Schema, parse};

    fn node(text: &str) -> OwnedNode {
        parse(text, Schema::Yaml11, Limits::default())
            .owned(0, 0)
            .unwrap()
    }

    #[test]
    fn parses_field_paths() {
        assert_eq!(
            parse_path("spec.containers.[name=app].image").unwrap(),
            [
                Segment::Key("spec".into()),
                Segment::Key("containers".into()),
                Segment::Match("name".into(), "app".into()),
                Segment::Key("image".into())
            ]
        );
        assert_eq!(
            parse_path("metadata.annotations.[a.b/c]").unwrap()[2],
            Segment::Key("a.b/c".into())
        );
        assert_eq!(parse_path("a.*.b").unwrap()[1], Segment::All);
        assert!(parse_path("a.[b").is_err());
        assert!(parse_path("a..b").is_err());
    }

    #[test]
    fn looks_up_and_updates() {
        let mut doc = node("l: [{name: a, v: 1}, {name: b, v: 2}]\nm: {}\n");
        let path = parse_path("l.[name=b].v").unwrap();
        assert_eq!(lookup(&doc, &path)[0].as_text(), Some("2"));
        assert_eq!(
            lookup(&doc, &parse_path("l.0.v").unwrap())[0].as_text(),
            Some("1")
        );
        let set = |n: &mut OwnedNode| {
            *n = OwnedNode::plain("9", n.span);
            Ok(())
        };
        assert_eq!(
            update(&mut doc, &parse_path("l.*.v").unwrap(), false, &set),
            Ok(2)
        );
        assert_eq!(
            update(&mut doc, &parse_path("m.x.y").unwrap(), false, &set),
            Ok(0)
        );
        assert_eq!(
            update(&mut doc, &parse_path("m.x.y").unwrap(), true, &set),
            Ok(1)
        );
        assert_eq!(doc.path(&["m", "x", "y"]).unwrap().as_text(), Some("9"));
    }

    #[test]
    fn splits_and_joins_parts() {
        assert_eq!(part("db:5432", ":", 0).as_deref(), Some("db"));
        assert_eq!(
            with_part("nginx:1.0", ":", 1, "2.0").as_deref(),
            Some("nginx:2.0")
        );
        assert_eq!(with_part("nginx", ":", 1, "2.0"), None);
    }
}
