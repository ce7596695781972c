//! `pnpm-lock.yaml`.
//!
//! Three key styles have been used for `packages`:
//! - lockfileVersion 5.x: `/name/1.0.0`, peers after `_` (`/react-dom/18.2.0_react@18.2.0`);
//! - 6.x: `/name@1.0.0`, peers in parentheses (`/react-dom@18.2.0(react@18.2.0)`);
//! - 9.x: `name@1.0.0` in `packages` (resolution only) and, with peers,
//!   in `snapshots` (dependencies).
//!
//! A dependency's value is the target's key minus the name, or a whole key
//! for an alias; the resolver tries each spelling.

use std::collections::HashMap;

use shipgate_syntax::yaml::NodeRef;

use super::yaml::{self, text};
use super::{Failure, npm::split_name_version};
use crate::integrity;
use crate::model::{Ecosystem, Package, Parsed, Scope};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    V5,
    V6,
    V9,
}

pub(crate) fn parse(text_in: &str) -> Result<Parsed, Failure> {
    let stream = yaml::load(text_in)?;
    let root = yaml::root(&stream)?;
    let version = text(root.get("lockfileVersion")).unwrap_or("");
    let major: u32 = version
        .trim_matches(['\'', '"'])
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    let style = match major {
        0..=5 => Style::V5,
        6..=8 => Style::V6,
        _ => Style::V9,
    };
    let packages = root.get("packages");
    let snapshots = root.get("snapshots");

    // (key, node with dependencies, node with resolution and flags)
    let mut entries: Vec<(&str, NodeRef<'_>, Option<NodeRef<'_>>)> = Vec::new();
    match snapshots.filter(|s| s.is_map()) {
        Some(snapshots) => {
            for (k, v) in snapshots.entries() {
                let Some(key) = k.scalar_text() else { continue };
                let meta = packages.and_then(|p| p.get(strip_peers(key)));
                entries.push((key, v, meta));
            }
        }
        None => {
            for (k, v) in packages.into_iter().flat_map(|p| p.entries()) {
                let Some(key) = k.scalar_text() else { continue };
                entries.push((key, v, Some(v)));
            }
        }
    }

    let mut out = Parsed::default();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for &(key, _, meta) in &entries {
        let field = |name: &str| text(meta.and_then(|m| m.get(name)));
        let (key_name, key_version) = name_version(key, style);
        let name = field("name").unwrap_or(key_name);
        let version = field("version").unwrap_or(key_version);
        let resolution = meta.and_then(|m| m.get("resolution"));
        let is_local = resolution.is_some_and(|r| r.get("directory").is_some());
        let mut pkg = if is_local {
            Package::local(Ecosystem::Npm, name, version)
        } else {
            Package::new(Ecosystem::Npm, name, version)
        };
        if let Some(sri) = text(resolution.and_then(|r| r.get("integrity"))) {
            pkg.hashes = integrity::parse(sri);
        }
        let flag = |name: &str| meta.and_then(|m| m.get(name)).and_then(|n| n.scalar_text());
        pkg.scope = match (style, flag("dev"), flag("optional")) {
            (_, _, Some("true")) | (_, Some("true"), _) => Some(Scope::Optional),
            (_, Some("false"), _) => Some(Scope::Required),
            // Before 9, pnpm leaves `dev` out for a package both sides use.
            (Style::V5 | Style::V6, None, _) => Some(Scope::Required),
            (Style::V9, None, _) => None,
            (_, Some(_), _) => None,
        };
        index.insert(key, out.packages.len());
        out.packages.push(pkg);
    }

    for (i, &(_, deps_node, _)) in entries.iter().enumerate() {
        let mut deps = Vec::new();
        for kind in ["dependencies", "optionalDependencies"] {
            for (name, value) in deps_node.get(kind).into_iter().flat_map(|d| d.entries()) {
                if let (Some(name), Some(value)) = (name.scalar_text(), value.scalar_text())
                    && let Some(j) = resolve(&index, name, value)
                    && j != i
                {
                    deps.push(j);
                }
            }
        }
        deps.sort_unstable();
        deps.dedup();
        out.packages[i].deps = Some(deps);
    }

    // The repository's own projects: `importers` (workspaces, and every
    // lockfile from 6 on), or the single project's maps at the top level.
    let mut projects: Vec<NodeRef<'_>> = root
        .get("importers")
        .into_iter()
        .flat_map(|i| i.entries().map(|(_, v)| v))
        .collect();
    if projects.is_empty() {
        projects.push(root);
    }
    for project in projects {
        for kind in ["dependencies", "devDependencies", "optionalDependencies"] {
            for (name, value) in project.get(kind).into_iter().flat_map(|d| d.entries()) {
                let Some(name) = name.scalar_text() else {
                    continue;
                };
                // 5.x writes the version; 6 and later `{specifier, version}`.
                let version = value.scalar_text().or_else(|| text(value.get("version")));
                if let Some(j) = version.and_then(|v| resolve(&index, name, v)) {
                    out.root_deps.push(j);
                }
            }
        }
    }
    out.root_deps.sort_unstable();
    out.root_deps.dedup();
    Ok(out)
}

fn strip_peers(key: &str) -> &str {
    key.split('(').next().unwrap_or(key)
}

fn name_version(key: &str, style: Style) -> (&str, &str) {
    let bare = key.strip_prefix('/').unwrap_or(key);
    match style {
        Style::V5 => match bare.rsplit_once('/') {
            Some((name, rest)) => (name, rest.split('_').next().unwrap_or(rest)),
            None => (bare, ""),
        },
        Style::V6 | Style::V9 => split_name_version(strip_peers(bare)),
    }
}

fn resolve(index: &HashMap<&str, usize>, name: &str, value: &str) -> Option<usize> {
    if value.starts_with("link:") {
        return None;
    }
    [
        format!("{name}@{value}"),
        format!("/{name}@{value}"),
        format!("/{name}/{value}"),
        value.to_string(),
        format!("/{value}"),
    ]
    .iter()
    .find_map(|k| index.get(k.as_str()).copied())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::test_support::fixture;

    fn summary(parsed: &Parsed) -> Vec<String> {
        parsed
            .packages
            .iter()
            .map(|p| {
                let deps: Vec<String> = p
                    .deps
                    .iter()
                    .flatten()
                    .map(|&j| format!("{}@{}", parsed.packages[j].name, parsed.packages[j].version))
                    .collect();
                format!(
                    "{}@{} {:?} [{}]",
                    p.name,
                    p.version,
                    p.scope,
                    deps.join(" ")
                )
            })
            .collect()
    }

    fn roots(parsed: &Parsed) -> Vec<String> {
        parsed
            .root_deps
            .iter()
            .map(|&j| parsed.packages[j].name.clone())
            .collect()
    }

    #[test]
    fn v5_slash_keys_and_underscore_peers() {
        let parsed = parse(&fixture("pnpm/v5/pnpm-lock.yaml")).unwrap();
        let s = summary(&parsed);
        assert!(
            s.contains(
                &"react-dom@18.2.0 Some(Required) [loose-envify@1.4.0 react@18.2.0 scheduler@0.23.0]"
                    .to_string()
            ),
            "{s:#?}"
        );
        assert!(
            s.contains(&"typescript@5.3.3 Some(Optional) []".to_string()),
            "{s:#?}"
        );
        assert_eq!(
            roots(&parsed),
            [
                "@babel/helper-validator-identifier",
                "react-dom",
                "react",
                "typescript"
            ]
        );
        let babel = &parsed.packages[0];
        assert_eq!(babel.name, "@babel/helper-validator-identifier");
        assert_eq!(babel.hashes.len(), 1);
    }

    #[test]
    fn v6_at_keys_and_parenthesised_peers() {
        let parsed = parse(&fixture("pnpm/v6/pnpm-lock.yaml")).unwrap();
        let s = summary(&parsed);
        assert!(
            s.contains(
                &"@tanstack/react-query@5.17.9 Some(Required) [@tanstack/query-core@5.17.9 react@18.2.0]"
                    .to_string()
            ),
            "{s:#?}"
        );
        // Used by both sides, so pnpm wrote no `dev` flag.
        assert!(
            s.contains(&"js-tokens@4.0.0 Some(Required) []".to_string()),
            "{s:#?}"
        );
        assert!(roots(&parsed).contains(&"@tanstack/react-query".to_string()));
        assert!(roots(&parsed).contains(&"typescript".to_string()));
    }

    #[test]
    fn v9_snapshots_carry_dependencies_and_packages_resolution() {
        let parsed = parse(&fixture("pnpm/v9/pnpm-lock.yaml")).unwrap();
        let s = summary(&parsed);
        assert!(
            s.contains(
                &"@tanstack/react-query@5.17.9 None [@tanstack/query-core@5.17.9 react@18.2.0]"
                    .to_string()
            ),
            "{s:#?}"
        );
        // An alias resolves to the real package.
        assert!(
            s.contains(&"strip-ansi@6.0.1 None [ansi-regex@5.0.1]".to_string()),
            "{s:#?}"
        );
        let query = parsed
            .packages
            .iter()
            .find(|p| p.name == "@tanstack/react-query")
            .unwrap();
        assert_eq!(query.hashes.len(), 1);
        let mut r = roots(&parsed);
        r.sort();
        assert_eq!(
            r,
            ["@tanstack/react-query", "react", "strip-ansi", "typescript"]
        );
    }

    #[test]
    fn broken_yaml_has_a_position() {
        let err =
            parse("lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {resolution: [\n").unwrap_err();
        assert!(err.line.is_some(), "{err:?}");
        assert!(parse("- a\n- b\n").is_err());
    }
}
