//! Strategic merge patches, as kustomize applies them to Kubernetes objects.
//!
//! Mappings merge key by key and `null` deletes. Lists that Kubernetes
//! declares as keyed (containers by `name`, volume mounts by `mountPath`...)
//! merge element by element: the patch's elements come first, in the
//! patch's order, followed by the elements it did not mention; other lists
//! are replaced. `$patch: replace` and `$patch: delete` work on mappings and
//! on list elements. Every node a patch brings keeps the patch's span, so a
//! finding on it points at the patch.

use shipgate_syntax::yaml::{OwnedNode, OwnedValue};

/// Whether the object is of a built-in API group, whose lists follow the
/// Kubernetes schema; custom resources' lists are replaced whole.
pub fn is_builtin_group(group: &str) -> bool {
    group.is_empty() || !group.contains('.') || group.ends_with(".k8s.io")
}

/// The key elements of the list under `field` merge on, if any.
fn merge_key(
    field: &str,
    dest: &[OwnedNode],
    patch: &[OwnedNode],
    builtin: bool,
) -> Option<&'static str> {
    let key = match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "imagePullSecrets"
        | "env"
        | "resourceClaims"
        | "schedulingGates" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "hostAliases" => Some("ip"),
        "topologySpreadConstraints" => Some("topologyKey"),
        "ownerReferences" => Some("uid"),
        "ports" => {
            let container = dest
                .iter()
                .chain(patch)
                .any(|item| item.get("containerPort").is_some());
            Some(if container { "containerPort" } else { "port" })
        }
        _ => None,
    };
    // kustomize has no schema for custom resources and replaces their lists.
    key.filter(|_| builtin)
}

fn directive(node: &OwnedNode) -> Option<&str> {
    node.get("$patch").and_then(OwnedNode::as_text)
}

/// A copy of a patch fragment without its directives, for inserting as is.
pub fn clean(node: &OwnedNode) -> OwnedNode {
    let mut copy = node.clone();
    strip(&mut copy);
    copy
}

fn strip(node: &mut OwnedNode) {
    match &mut node.value {
        OwnedValue::Map(entries) => {
            entries.retain(|(k, _)| !k.scalar_text().is_some_and(|t| t.starts_with('$')));
            entries.iter_mut().for_each(|(_, v)| strip(v));
        }
        OwnedValue::Seq(items) => {
            // A delete element has nothing to delete in a new list, and an
            // element holding only a directive is no element at all.
            items.retain(|item| directive(item).is_none_or(|d| d != "delete" && item.len() > 1));
            items.iter_mut().for_each(strip);
        }
        OwnedValue::Scalar { .. } => {}
    }
}

/// What a merge asks of the node's parent.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Keep,
    Delete,
}

/// Merges `patch` into `dest`. Unsupported directives are collected in
/// `unsupported` rather than silently ignored.
pub fn merge(
    dest: &mut OwnedNode,
    patch: &OwnedNode,
    field: &str,
    builtin: bool,
    unsupported: &mut Vec<String>,
) -> Outcome {
    match &patch.value {
        OwnedValue::Map(entries) => {
            match directive(patch) {
                Some("delete") => return Outcome::Delete,
                Some("replace") => {
                    *dest = clean(patch);
                    return Outcome::Keep;
                }
                Some("merge") | None => {}
                Some(other) => unsupported.push(format!("`$patch: {other}`")),
            }
            if !dest.is_map() {
                *dest = clean(patch);
                return Outcome::Keep;
            }
            for (key, value) in entries {
                let Some(name) = key.scalar_text() else {
                    continue;
                };
                if name == "$patch" {
                    continue;
                }
                if name.starts_with('$') {
                    unsupported.push(format!("the `{name}` directive"));
                    continue;
                }
                if value.is_null() {
                    dest.remove(name);
                    continue;
                }
                match dest.get_mut(name) {
                    Some(existing) => {
                        if merge(existing, value, name, builtin, unsupported) == Outcome::Delete {
                            dest.remove(name);
                        }
                    }
                    None => {
                        if directive(value) == Some("delete") {
                            continue;
                        }
                        if let Some(entries) = dest.entries_mut() {
                            entries.push((key.clone(), clean(value)));
                        }
                    }
                }
            }
            Outcome::Keep
        }
        OwnedValue::Seq(patch_items) => {
            let dest_items: &[OwnedNode] = dest.items();
            let key = if dest.is_seq() {
                merge_key(field, dest_items, patch_items, builtin)
            } else {
                None
            };
            match key {
                Some(key) => merge_list(dest, patch_items, key, builtin, unsupported),
                None => *dest = clean(patch),
            }
            Outcome::Keep
        }
        OwnedValue::Scalar { .. } => {
            // A patch that restates a value (a merge key such as a
            // container's name, always) did not produce it: findings about
            // it belong where it was first written.
            // Same text, style and tag: `80` restated as `"80"` changes its type.
            let restated = dest.is_scalar()
                && dest.scalar_text() == patch.scalar_text()
                && dest.style() == patch.style()
                && dest.tag == patch.tag;
            if !restated {
                *dest = patch.clone();
            }
            Outcome::Keep
        }
    }
}

fn merge_list(
    dest: &mut OwnedNode,
    patch_items: &[OwnedNode],
    key: &str,
    builtin: bool,
    unsupported: &mut Vec<String>,
) {
    let span = dest.span;
    let Some(existing) = dest.items_mut() else {
        return;
    };
    if patch_items
        .iter()
        .any(|p| p.len() == 1 && directive(p) == Some("replace"))
    {
        let kept = patch_items
            .iter()
            .filter(|p| !(p.len() == 1 && directive(p).is_some()))
            .map(clean)
            .collect();
        *dest = OwnedNode::seq(kept, span);
        return;
    }
    let mut remaining: Vec<Option<OwnedNode>> = existing.drain(..).map(Some).collect();
    let identity = |item: &OwnedNode| {
        item.get(key)
            .and_then(OwnedNode::as_text)
            .map(str::to_owned)
    };
    let mut merged = Vec::new();
    for item in patch_items {
        let id = identity(item);
        let position = id.as_ref().and_then(|id| {
            remaining
                .iter()
                .position(|d| d.as_ref().is_some_and(|d| identity(d).as_ref() == Some(id)))
        });
        match (directive(item), position) {
            (Some("delete"), Some(i)) => remaining[i] = None,
            (Some("delete"), None) => {}
            (_, Some(i)) => {
                let mut target = remaining[i].take().expect("found above");
                if merge(&mut target, item, "", builtin, unsupported) == Outcome::Keep {
                    merged.push(target);
                }
            }
            (_, None) => merged.push(clean(item)),
        }
    }
    merged.extend(remaining.into_iter().flatten());
    *existing = merged;
}

#[cfg(test)]
mod tests {
    use super::*;
    use shipgate_syntax::yaml::{Limits, ScalarStyle, Schema, parse};

    fn node(text: &str) -> OwnedNode {
        parse(text, Schema::Yaml11, Limits::default())
            .owned(0, 0)
            .unwrap()
    }

    fn names(list: &OwnedNode) -> Vec<&str> {
        list.items()
            .iter()
            .map(|i| i.get("name").and_then(OwnedNode::as_text).unwrap_or("?"))
            .collect()
    }

    #[test]
    fn keyed_lists_merge_with_patch_elements_first() {
        let mut dest = node(
            "containers:\n- name: a\n  env: [{name: X, value: '1'}, {name: Y, value: '2'}]\n- name: b\n",
        );
        let patch = node("containers:\n- name: z\n- name: a\n  env: [{name: Y, value: '7'}]\n");
        let mut unsupported = Vec::new();
        merge(&mut dest, &patch, "", true, &mut unsupported);
        let containers = dest.get("containers").unwrap();
        assert_eq!(names(containers), ["z", "a", "b"]);
        let env = containers.items()[1].get("env").unwrap();
        assert_eq!(names(env), ["Y", "X"]);
        assert_eq!(env.items()[0].get("value").unwrap().as_text(), Some("7"));
        assert!(unsupported.is_empty());
    }

    #[test]
    fn directives_delete_and_replace() {
        let mut dest = node("a: {x: 1, y: 2}\nb: {x: 1}\nvolumes: [{name: p}, {name: q}]\nc: 1\n");
        let patch = node(
            "a: {$patch: replace, z: 3}\nb: {$patch: delete}\nvolumes: [{name: p, $patch: delete}]\nc: null\n",
        );
        merge(&mut dest, &patch, "", true, &mut Vec::new());
        assert_eq!(dest.get("a").unwrap().len(), 1);
        assert!(dest.get("b").is_none());
        assert!(dest.get("c").is_none());
        assert_eq!(names(dest.get("volumes").unwrap()), ["q"]);
    }

    #[test]
    fn a_restated_value_keeps_its_origin_but_a_retyped_one_does_not() {
        let mut dest = node("name: api\nport: \"80\"\n");
        let patch = parse(
            "\n\nname: api\nport: 80\n",
            Schema::Yaml11,
            Limits::default(),
        )
        .owned(0, 0)
        .unwrap();
        merge(&mut dest, &patch, "", true, &mut Vec::new());
        assert_eq!(dest.get("name").unwrap().span.start.line, 1);
        let port = dest.get("port").unwrap();
        assert_eq!(
            (port.span.start.line, port.style()),
            (4, Some(ScalarStyle::Plain))
        );
    }

    #[test]
    fn unkeyed_lists_are_replaced() {
        let mut dest = node("args: [a, b]\ntolerations: [{key: x}]\n");
        let patch = node("args: [c]\ntolerations: [{key: y}]\n");
        merge(&mut dest, &patch, "", true, &mut Vec::new());
        assert_eq!(dest.get("args").unwrap().len(), 1);
        assert_eq!(dest.get("tolerations").unwrap().len(), 1);
        // Custom resources have no schema: even their containers are replaced.
        let mut dest = node("containers: [{name: a}]\n");
        merge(
            &mut dest,
            &node("containers: [{name: b}]\n"),
            "",
            false,
            &mut Vec::new(),
        );
        assert_eq!(names(dest.get("containers").unwrap()), ["b"]);
    }
}
