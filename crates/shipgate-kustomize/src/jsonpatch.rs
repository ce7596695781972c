//! JSON patches (RFC 6902) over owned YAML trees. Values a patch adds keep
//! the patch's spans.

use shipgate_syntax::yaml::{OwnedNode, OwnedValue};

fn tokens(pointer: &str) -> Result<Vec<String>, String> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let rest = pointer
        .strip_prefix('/')
        .ok_or_else(|| format!("path `{pointer}` must start with `/`"))?;
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn index(token: &str, len: usize, allow_end: bool) -> Result<usize, String> {
    if allow_end && token == "-" {
        return Ok(len);
    }
    let i: usize = token
        .parse()
        .map_err(|_| format!("`{token}` is not a list index"))?;
    let max = if allow_end {
        len
    } else {
        len.saturating_sub(1)
    };
    if i > max || (!allow_end && len == 0) {
        return Err(format!("index {i} is out of range"));
    }
    Ok(i)
}

fn walk<'n>(root: &'n mut OwnedNode, path: &[String]) -> Result<&'n mut OwnedNode, String> {
    let mut node = root;
    for token in path {
        node = match &mut node.value {
            OwnedValue::Map(entries) => entries
                .iter_mut()
                .find(|(k, _)| k.scalar_text() == Some(token.as_str()))
                .map(|(_, v)| v)
                .ok_or_else(|| format!("no key `{token}`"))?,
            OwnedValue::Seq(items) => {
                let i = index(token, items.len(), false)?;
                &mut items[i]
            }
            OwnedValue::Scalar { .. } => return Err(format!("`{token}` is below a scalar")),
        };
    }
    Ok(node)
}

fn get(root: &OwnedNode, path: &[String]) -> Result<OwnedNode, String> {
    let mut node = root;
    for token in path {
        node = match &node.value {
            OwnedValue::Map(_) => node.get(token).ok_or_else(|| format!("no key `{token}`"))?,
            OwnedValue::Seq(items) => &items[index(token, items.len(), false)?],
            OwnedValue::Scalar { .. } => return Err(format!("`{token}` is below a scalar")),
        };
    }
    Ok(node.clone())
}

fn add(root: &mut OwnedNode, path: &[String], value: OwnedNode) -> Result<(), String> {
    let Some((last, parent)) = path.split_last() else {
        *root = value;
        return Ok(());
    };
    let parent = walk(root, parent)?;
    match &mut parent.value {
        OwnedValue::Map(_) => {
            match parent.get_mut(last) {
                Some(slot) => *slot = value,
                None => {
                    let key = OwnedNode::plain(last.as_str(), value.span);
                    if let Some(entries) = parent.entries_mut() {
                        entries.push((key, value));
                    }
                }
            }
            Ok(())
        }
        OwnedValue::Seq(items) => {
            let i = index(last, items.len(), true)?;
            items.insert(i, value);
            Ok(())
        }
        OwnedValue::Scalar { .. } => Err(format!("cannot add `{last}` below a scalar")),
    }
}

fn remove(root: &mut OwnedNode, path: &[String]) -> Result<OwnedNode, String> {
    let (last, parent) = path.split_last().ok_or("cannot remove the whole object")?;
    let parent = walk(root, parent)?;
    match &mut parent.value {
        OwnedValue::Map(_) => parent
            .remove(last)
            .ok_or_else(|| format!("no key `{last}`")),
        OwnedValue::Seq(items) => {
            let i = index(last, items.len(), false)?;
            Ok(items.remove(i))
        }
        OwnedValue::Scalar { .. } => Err(format!("no `{last}` below a scalar")),
    }
}

/// Applies the operations of a patch (a list of `{op, path, value, from}`)
/// to `root`, stopping at the first failure: the index of the failed
/// operation and why.
pub fn apply(root: &mut OwnedNode, ops: &OwnedNode) -> Result<(), (usize, String)> {
    if !ops.is_seq() {
        return Err((0, "a JSON patch is a list of operations".into()));
    }
    for (n, op) in ops.items().iter().enumerate() {
        apply_one(root, op, n).map_err(|e| (n, e))?;
    }
    Ok(())
}

fn apply_one(root: &mut OwnedNode, op: &OwnedNode, n: usize) -> Result<(), String> {
    {
        let field = |name: &str| op.get(name).and_then(OwnedNode::as_text);
        let kind = field("op").ok_or_else(|| format!("operation {n} has no `op`"))?;
        let path = tokens(field("path").ok_or_else(|| format!("operation {n} has no `path`"))?)?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| format!("`{kind}` operation {n} has no `value`"))
        };
        let from = || {
            field("from")
                .ok_or_else(|| format!("`{kind}` operation {n} has no `from`"))
                .and_then(tokens)
        };
        let result = match kind {
            "add" => add(root, &path, value()?),
            "remove" => remove(root, &path).map(drop),
            "replace" => {
                let value = value()?;
                walk(root, &path).map(|slot| *slot = value)
            }
            "move" => {
                let from = from()?;
                let moved = remove(root, &from)?;
                add(root, &path, moved)
            }
            "copy" => {
                let copied = get(root, &from()?)?;
                add(root, &path, copied)
            }
            "test" => {
                let expected = value()?;
                let actual = get(root, &path)?;
                if same(&actual, &expected) {
                    Ok(())
                } else {
                    Err("the value differs".to_owned())
                }
            }
            other => Err(format!("unknown op `{other}`")),
        };
        result.map_err(|e| {
            format!(
                "operation {n} (`{kind}` {}): {e}",
                field("path").unwrap_or("")
            )
        })?;
    }
    Ok(())
}

/// Equality of values, ignoring spans and styles.
fn same(a: &OwnedNode, b: &OwnedNode) -> bool {
    match (&a.value, &b.value) {
        (OwnedValue::Scalar { .. }, OwnedValue::Scalar { .. }) => a.as_text() == b.as_text(),
        (OwnedValue::Seq(x), OwnedValue::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (OwnedValue::Map(x), OwnedValue::Map(_)) => {
            x.len() == b.len()
                && x.iter().all(|(k, v)| {
                    k.scalar_text()
                        .and_then(|k| b.get(k))
                        .is_some_and(|w| same(v, w))
                })
        }
        _ => false,
    }
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
    fn applies_every_operation() {
        let mut doc = node("a: {b: 1}\nl: [x, y]\n");
        let ops = node(
            "- {op: add, path: /a/c, value: 2}\n- {op: add, path: /l/-, value: z}\n- {op: add, path: /l/0, value: w}\n- {op: remove, path: /l/1}\n- {op: replace, path: /a/b, value: 3}\n- {op: copy, from: /a, path: /d}\n- {op: move, from: /d/c, path: /e}\n- {op: test, path: /e, value: 2}\n- {op: add, path: /k~1x, value: s}\n",
        );
        apply(&mut doc, &ops).unwrap();
        let texts: Vec<_> = doc
            .get("l")
            .unwrap()
            .items()
            .iter()
            .map(|i| i.as_text().unwrap())
            .collect();
        assert_eq!(texts, ["w", "y", "z"]);
        assert_eq!(doc.path(&["a", "b"]).unwrap().as_text(), Some("3"));
        assert_eq!(doc.get("e").unwrap().as_text(), Some("2"));
        assert!(doc.path(&["d", "c"]).is_none());
        assert_eq!(doc.get("k/x").unwrap().as_text(), Some("s"));
    }

    #[test]
    fn failures_are_errors_not_panics() {
        let mut doc = node("a: 1\nl: []\n");
        for ops in [
            "- {op: remove, path: /missing}",
            "- {op: add, path: /l/5, value: 1}",
            "- {op: replace, path: /a/b, value: 1}",
            "- {op: test, path: /a, value: 2}",
            "- {op: frob, path: /a}",
            "- {op: add, path: a, value: 1}",
            "- {op: remove, path: /l/0}",
            "{op: add}",
        ] {
            assert!(apply(&mut doc, &node(ops)).is_err(), "{ops}");
        }
    }
}
