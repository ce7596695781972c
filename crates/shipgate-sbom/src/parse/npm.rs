//! `package-lock.json` and `npm-shrinkwrap.json`.
//!
//! lockfileVersion 2 and 3 list every installed folder in `packages`, keyed
//! by its path (`node_modules/a/node_modules/b`); version 1 nests the same
//! tree in `dependencies`. Version 1 is turned into version 3's shape first,
//! so one resolver finds each dependency the way Node does: in the nearest
//! `node_modules` folder walking up from the dependent.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::Failure;
use crate::integrity;
use crate::model::{Ecosystem, Package, Parsed, Scope};

/// One folder of the installed tree.
#[derive(Debug, Default)]
struct Entry {
    name: Option<String>,
    version: Option<String>,
    integrity: Option<String>,
    dev: bool,
    optional: bool,
    /// A symlink to another folder (an npm workspace, a `file:` dependency).
    link_to: Option<String>,
    /// Names of what it depends on.
    deps: Vec<String>,
}

pub(crate) fn parse(text: &str) -> Result<Parsed, Failure> {
    let doc: Value = serde_json::from_str(text).map_err(|e| Failure::json(&e))?;
    let Some(doc) = doc.as_object() else {
        return Err(Failure::msg("not a JSON object"));
    };
    let version = doc.get("lockfileVersion").and_then(Value::as_u64);
    let entries = match (version, doc.get("packages").and_then(Value::as_object)) {
        (Some(2..), Some(packages)) => from_packages(packages),
        (Some(0 | 1) | None, _) => {
            let deps = doc.get("dependencies").and_then(Value::as_object);
            let mut entries = BTreeMap::new();
            entries.insert(String::new(), Entry::default());
            if let Some(deps) = deps {
                from_nested("", deps, &mut entries, 0)?;
            }
            entries
        }
        (Some(v), None) => {
            return Err(Failure::msg(format!(
                "lockfileVersion {v} without a \"packages\" object"
            )));
        }
    };
    Ok(to_parsed(&entries))
}

fn from_packages(packages: &Map<String, Value>) -> BTreeMap<String, Entry> {
    let mut entries = BTreeMap::new();
    for (key, value) in packages {
        let Some(obj) = value.as_object() else {
            continue;
        };
        let flag = |name: &str| obj.get(name).and_then(Value::as_bool).unwrap_or(false);
        let text = |name: &str| obj.get(name).and_then(Value::as_str).map(str::to_string);
        let is_root_or_workspace =
            !key.starts_with("node_modules/") && !key.contains("/node_modules/");
        let mut deps = Vec::new();
        let mut kinds = vec!["dependencies", "optionalDependencies", "peerDependencies"];
        // Only the repository's own folders install their dev dependencies.
        if is_root_or_workspace {
            kinds.push("devDependencies");
        }
        for kind in kinds {
            if let Some(map) = obj.get(kind).and_then(Value::as_object) {
                deps.extend(map.keys().cloned());
            }
        }
        deps.sort();
        deps.dedup();
        let link_to = flag("link")
            .then(|| text("resolved"))
            .flatten()
            .map(|target| normalize_path(&target));
        entries.insert(
            key.clone(),
            Entry {
                name: text("name"),
                version: text("version"),
                integrity: text("integrity"),
                dev: flag("dev") || flag("devOptional"),
                optional: flag("optional"),
                link_to,
                deps,
            },
        );
    }
    entries
}

/// Nesting deeper than any real tree, but small enough for the stack.
const MAX_NESTING: usize = 128;

fn from_nested(
    prefix: &str,
    deps: &Map<String, Value>,
    entries: &mut BTreeMap<String, Entry>,
    depth: usize,
) -> Result<(), Failure> {
    if depth > MAX_NESTING {
        return Err(Failure::msg("dependencies nested too deeply"));
    }
    for (name, value) in deps {
        let Some(obj) = value.as_object() else {
            continue;
        };
        let key = if prefix.is_empty() {
            format!("node_modules/{name}")
        } else {
            format!("{prefix}/node_modules/{name}")
        };
        let flag = |n: &str| obj.get(n).and_then(Value::as_bool).unwrap_or(false);
        let raw_version = obj.get("version").and_then(Value::as_str).unwrap_or("");
        let mut entry = Entry {
            integrity: obj
                .get("integrity")
                .and_then(Value::as_str)
                .map(str::to_string),
            dev: flag("dev"),
            optional: flag("optional"),
            ..Entry::default()
        };
        if let Some(target) = raw_version.strip_prefix("file:") {
            // A local folder: part of the repository, as in version 3.
            entry.link_to = Some(normalize_path(target));
        } else if let Some(alias) = raw_version.strip_prefix("npm:") {
            // `"string-width-cjs": {"version": "npm:string-width@4.2.3"}`
            let (real, version) = split_name_version(alias);
            entry.name = Some(real.to_string());
            entry.version = Some(version.to_string());
        } else if !raw_version.is_empty() {
            entry.version = Some(raw_version.to_string());
        }
        if let Some(requires) = obj.get("requires").and_then(Value::as_object) {
            entry.deps = requires.keys().cloned().collect();
        }
        entries.insert(key.clone(), entry);
        if let Some(nested) = obj.get("dependencies").and_then(Value::as_object) {
            from_nested(&key, nested, entries, depth + 1)?;
        }
    }
    Ok(())
}

/// `name@version`, where a scoped name starts with its own `@`.
pub(crate) fn split_name_version(spec: &str) -> (&str, &str) {
    match spec.get(1..).and_then(|rest| rest.rfind('@')) {
        Some(i) => (&spec[..=i], &spec[i + 2..]),
        None => (spec, ""),
    }
}

/// Link targets are relative to the lockfile's folder, like the keys.
fn normalize_path(path: &str) -> String {
    path.trim_start_matches("./")
        .trim_end_matches('/')
        .replace('\\', "/")
}

fn name_from_key(key: &str) -> &str {
    match key.rfind("node_modules/") {
        Some(i) => &key[i + "node_modules/".len()..],
        None => key,
    }
}

/// Node's lookup: `FROM/node_modules/NAME`, then the same from each
/// enclosing package folder, then the root's `node_modules`.
fn resolve<'a>(entries: &'a BTreeMap<String, Entry>, from: &str, name: &str) -> Option<&'a str> {
    let mut base = from.to_string();
    for _ in 0..=MAX_NESTING {
        let candidate = if base.is_empty() {
            format!("node_modules/{name}")
        } else {
            format!("{base}/node_modules/{name}")
        };
        if let Some((key, entry)) = entries.get_key_value(&candidate) {
            return match &entry.link_to {
                Some(target) => entries.get_key_value(target).map(|(k, _)| k.as_str()),
                None => Some(key.as_str()),
            };
        }
        if base.is_empty() {
            return None;
        }
        match base.rfind("/node_modules/") {
            Some(i) => base.truncate(i),
            None => base.clear(),
        }
    }
    None
}

fn to_parsed(entries: &BTreeMap<String, Entry>) -> Parsed {
    let mut index = BTreeMap::new();
    let mut packages = Vec::new();
    for (key, entry) in entries {
        if entry.link_to.is_some() {
            continue;
        }
        let in_node_modules = key.starts_with("node_modules/") || key.contains("/node_modules/");
        let name = entry.name.as_deref().unwrap_or_else(|| name_from_key(key));
        let version = entry.version.as_deref().unwrap_or("");
        let pkg = if in_node_modules {
            if version.is_empty() {
                // A folder npm could not describe (an extraneous or broken install).
                continue;
            }
            let mut pkg = Package::new(Ecosystem::Npm, name, version);
            pkg.scope = Some(Scope::from_dev(entry.dev || entry.optional));
            if let Some(sri) = &entry.integrity {
                pkg.hashes = integrity::parse(sri);
            }
            pkg
        } else {
            Package::local(Ecosystem::Npm, name, version)
        };
        index.insert(key.as_str(), packages.len());
        packages.push(pkg);
    }
    for (key, entry) in entries {
        let Some(&i) = index.get(key.as_str()) else {
            continue;
        };
        let mut deps: Vec<usize> = entry
            .deps
            .iter()
            .filter_map(|name| resolve(entries, key, name))
            .filter_map(|k| index.get(k).copied())
            .filter(|&j| j != i)
            .collect();
        deps.sort_unstable();
        deps.dedup();
        packages[i].deps = Some(deps);
    }
    Parsed {
        packages,
        root_deps: Vec::new(),
        notes: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::test_support::fixture;

    fn find<'a>(parsed: &'a Parsed, name: &str, version: &str) -> &'a Package {
        parsed
            .packages
            .iter()
            .find(|p| p.name == name && p.version == version)
            .unwrap_or_else(|| panic!("{name}@{version} missing"))
    }

    fn deps_of(parsed: &Parsed, name: &str, version: &str) -> Vec<String> {
        find(parsed, name, version)
            .deps
            .as_ref()
            .unwrap()
            .iter()
            .map(|&i| format!("{}@{}", parsed.packages[i].name, parsed.packages[i].version))
            .collect()
    }

    #[test]
    fn v3_from_npm_with_nesting_workspaces_and_flags() {
        let parsed = parse(&fixture("npm/v3/package-lock.json")).unwrap();
        let external: Vec<String> = parsed
            .packages
            .iter()
            .filter(|p| !p.local)
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert_eq!(
            external,
            [
                "@babel/helper-validator-identifier@7.22.20",
                "@types/node@20.11.5",
                "debug@2.6.9",
                "ms@2.0.0",
                "escape-html@1.0.3",
                "is-number@7.0.0",
                "ms@2.1.3",
                "undici-types@5.26.5",
            ]
        );
        // debug finds the ms nested under it, not the hoisted one.
        assert_eq!(deps_of(&parsed, "debug", "2.6.9"), ["ms@2.0.0"]);
        assert_eq!(
            deps_of(&parsed, "@types/node", "20.11.5"),
            ["undici-types@5.26.5"]
        );
        // The workspace is part of the repository, like the root: what it
        // depends on is found from its own folder.
        let root = find(&parsed, "storefront", "1.4.0");
        assert!(root.local);
        assert_eq!(
            deps_of(&parsed, "storefront", "1.4.0"),
            [
                "@babel/helper-validator-identifier@7.22.20",
                "@types/node@20.11.5",
                "debug@2.6.9",
                "is-number@7.0.0",
                "ms@2.1.3",
            ]
        );
        assert_eq!(
            deps_of(&parsed, "@storefront/util", "0.2.0"),
            ["escape-html@1.0.3"]
        );
        assert_eq!(
            find(&parsed, "@types/node", "20.11.5").scope,
            Some(Scope::Optional)
        );
        assert_eq!(
            find(&parsed, "is-number", "7.0.0").scope,
            Some(Scope::Optional)
        );
        assert_eq!(find(&parsed, "ms", "2.1.3").scope, Some(Scope::Required));
        let ms = find(&parsed, "ms", "2.1.3");
        assert_eq!(ms.hashes.len(), 1);
        assert!(ms.hashes[0].hex.starts_with("e85973b9"));
    }

    #[test]
    fn v2_reads_its_packages_not_its_legacy_tree() {
        let v2 = parse(&fixture("npm/v2/package-lock.json")).unwrap();
        let v3 = parse(&fixture("npm/v3/package-lock.json")).unwrap();
        assert_eq!(v2.packages, v3.packages);
    }

    #[test]
    fn v1_nested_tree_aliases_and_file_links() {
        let parsed = parse(&fixture("npm/v1/package-lock.json")).unwrap();
        assert_eq!(deps_of(&parsed, "debug", "2.6.9"), ["ms@2.0.0"]);
        assert_eq!(
            deps_of(&parsed, "accepts", "1.3.8"),
            ["mime-types@2.1.35", "negotiator@0.6.3"]
        );
        // An alias installs under another folder name, but it is the real package.
        let alias = find(&parsed, "string-width", "4.2.3");
        assert!(!alias.local);
        assert_eq!(
            find(&parsed, "mocha", "10.2.0").scope,
            Some(Scope::Optional)
        );
        assert!(parsed.packages.iter().all(|p| p.name != "shared-config"));
        let sha1 = &find(&parsed, "negotiator", "0.6.3").hashes;
        assert_eq!(sha1.len(), 1);
    }

    #[test]
    fn resolution_walks_up_from_the_dependent() {
        let mut entries = BTreeMap::new();
        for key in [
            "",
            "node_modules/a",
            "node_modules/a/node_modules/b",
            "node_modules/c",
            "node_modules/@s/d",
        ] {
            entries.insert(key.to_string(), Entry::default());
        }
        let from = "node_modules/a/node_modules/b";
        assert_eq!(resolve(&entries, from, "c"), Some("node_modules/c"));
        assert_eq!(resolve(&entries, "node_modules/a", "b"), Some(from));
        assert_eq!(resolve(&entries, "", "b"), None);
        assert_eq!(resolve(&entries, from, "@s/d"), Some("node_modules/@s/d"));
    }

    #[test]
    fn names_and_versions_split_after_a_scope() {
        assert_eq!(split_name_version("@a/b@1.0.0"), ("@a/b", "1.0.0"));
        assert_eq!(split_name_version("b@1.0.0"), ("b", "1.0.0"));
        assert_eq!(split_name_version("@a/b"), ("@a/b", ""));
        assert_eq!(split_name_version(""), ("", ""));
    }

    #[test]
    fn json_errors_have_positions() {
        let err = parse("{\n  \"lockfileVersion\": 3,\n  \"packages\": {,}\n}").unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.column.is_some());
        assert!(!err.message.contains(" at line "));
        assert!(parse("[]").is_err());
        assert!(parse("{\"lockfileVersion\": 3}").is_err());
    }
}
