//! `yarn.lock`, in both of its formats.
//!
//! Yarn 1 writes its own indentation-based format; Yarn 2 and later
//! ("Berry") write YAML with a `__metadata` entry. Both key each package by
//! the list of descriptors (`name@range`) that resolved to it, and name
//! dependencies by descriptor, which is how the graph is rebuilt.

use std::collections::HashMap;

use super::Failure;
use super::yaml::{self, text};
use crate::integrity;
use crate::model::{Ecosystem, Hash, HashAlg, Package, Parsed};

pub(crate) fn parse(input: &str) -> Result<Parsed, Failure> {
    let is_berry = input
        .lines()
        .any(|l| l.starts_with("__metadata:") || l.starts_with("\"__metadata\":"));
    if is_berry {
        berry(input)
    } else {
        classic(input)
    }
}

/// A package as either format describes it, before the graph is resolved.
struct Block {
    descriptors: Vec<String>,
    name: String,
    version: String,
    local: bool,
    hashes: Vec<Hash>,
    /// (name, range) pairs.
    deps: Vec<(String, String)>,
}

fn finish(blocks: Vec<Block>, berry: bool) -> Parsed {
    let mut by_descriptor: HashMap<&str, usize> = HashMap::new();
    for (i, b) in blocks.iter().enumerate() {
        for d in &b.descriptors {
            by_descriptor.insert(d.as_str(), i);
        }
    }
    let mut out = Parsed::default();
    for (i, b) in blocks.iter().enumerate() {
        let mut pkg = if b.local {
            Package::local(Ecosystem::Npm, &b.name, &b.version)
        } else {
            Package::new(Ecosystem::Npm, &b.name, &b.version)
        };
        pkg.hashes = b.hashes.clone();
        let mut deps: Vec<usize> = b
            .deps
            .iter()
            .filter_map(|(name, range)| {
                let exact = format!("{name}@{range}");
                by_descriptor.get(exact.as_str()).copied().or_else(|| {
                    // Berry spells the default protocol out in keys but not
                    // in dependency ranges.
                    berry
                        .then(|| format!("{name}@npm:{range}"))
                        .and_then(|d| by_descriptor.get(d.as_str()).copied())
                })
            })
            .filter(|&j| j != i)
            .collect();
        deps.sort_unstable();
        deps.dedup();
        pkg.deps = Some(deps);
        out.packages.push(pkg);
    }
    out
}

/// `name@range`, split at the first `@` after a scope's: a range may itself
/// hold `@` (`alias@npm:real@^1.0.0`), a name never does.
fn split_descriptor(spec: &str) -> (&str, &str) {
    match spec.get(1..).and_then(|rest| rest.find('@')) {
        Some(i) => (&spec[..=i], &spec[i + 2..]),
        None => (spec, ""),
    }
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

/// Yarn 1: a key line of comma-separated descriptors ending in `:`, then
/// `  field value` lines and `  dependencies:` blocks of `    name range`.
fn classic(input: &str) -> Result<Parsed, Failure> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut section: Option<&str> = None;
    for (n, raw) in input.lines().enumerate() {
        let line_no = u32::try_from(n + 1).unwrap_or(u32::MAX);
        let line = raw.trim_end();
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let body = line.trim_start();
        match indent {
            0 => {
                let Some(keys) = body.strip_suffix(':') else {
                    return Err(Failure::at(
                        line_no,
                        Some(1),
                        "expected `descriptor[, ...]:`",
                    ));
                };
                let descriptors: Vec<String> = keys
                    .split(", ")
                    .map(|d| unquote(d).to_string())
                    .filter(|d| !d.is_empty())
                    .collect();
                let Some(first) = descriptors.first() else {
                    return Err(Failure::at(
                        line_no,
                        Some(1),
                        "an entry without a descriptor",
                    ));
                };
                let (name, range) = split_descriptor(first);
                // `alias@npm:real@^1.0.0` installs `real` under another name.
                let name = match range.strip_prefix("npm:") {
                    Some(real) if real.get(1..).is_some_and(|r| r.contains('@')) => {
                        split_descriptor(real).0
                    }
                    _ => name,
                };
                let local = range.starts_with("file:") || range.starts_with("link:");
                let name = name.to_string();
                blocks.push(Block {
                    descriptors,
                    name,
                    version: String::new(),
                    local,
                    hashes: Vec::new(),
                    deps: Vec::new(),
                });
                section = None;
            }
            2 => {
                let Some(block) = blocks.last_mut() else {
                    return Err(Failure::at(line_no, Some(3), "a field outside any entry"));
                };
                if let Some(name) = body.strip_suffix(':') {
                    section = Some(match name {
                        "dependencies" => "dependencies",
                        "optionalDependencies" => "optionalDependencies",
                        _ => "other",
                    });
                    continue;
                }
                section = None;
                let (key, value) = split_field(body)
                    .ok_or_else(|| Failure::at(line_no, Some(3), "expected `field value`"))?;
                match key {
                    "version" => block.version = value.to_string(),
                    "integrity" => block.hashes = integrity::parse(value),
                    // Lockfiles older than `integrity` kept the tarball's
                    // SHA-1 in the URL's fragment.
                    "resolved" if block.hashes.is_empty() => {
                        if let Some(h) = value
                            .rsplit_once('#')
                            .and_then(|(_, hex)| Hash::from_hex(HashAlg::Sha1, hex))
                        {
                            block.hashes.push(h);
                        }
                    }
                    _ => {}
                }
            }
            4 => {
                let Some(block) = blocks.last_mut() else {
                    return Err(Failure::at(
                        line_no,
                        Some(5),
                        "a dependency outside any entry",
                    ));
                };
                match section {
                    Some("dependencies" | "optionalDependencies") => {
                        let (name, range) = split_field(body).ok_or_else(|| {
                            Failure::at(line_no, Some(5), "expected `name range`")
                        })?;
                        block.deps.push((name.to_string(), range.to_string()));
                    }
                    Some(_) => {}
                    None => {
                        return Err(Failure::at(
                            line_no,
                            Some(5),
                            "indented line outside a dependencies block",
                        ));
                    }
                }
            }
            _ => {
                return Err(Failure::at(
                    line_no,
                    Some(1),
                    format!("unexpected indentation of {indent}"),
                ));
            }
        }
    }
    for block in &blocks {
        if block.version.is_empty() && !block.local {
            return Err(Failure::msg(format!(
                "{} has no version",
                block.descriptors.join(", ")
            )));
        }
    }
    Ok(finish(blocks, false))
}

/// `key value` or `"key" "value"`.
fn split_field(body: &str) -> Option<(&str, &str)> {
    let (key, rest) = if let Some(quoted) = body.strip_prefix('"') {
        let end = quoted.find('"')?;
        (&quoted[..end], &quoted[end + 1..])
    } else {
        body.split_once(' ')?
    };
    let value = unquote(rest);
    (!key.is_empty()).then_some((key, value))
}

/// Yarn Berry. `checksum` is left out on purpose: it hashes Yarn's own cache
/// archive of the package, not the package's published tarball.
fn berry(input: &str) -> Result<Parsed, Failure> {
    let stream = yaml::load(input)?;
    let root = yaml::root(&stream)?;
    let mut blocks = Vec::new();
    for (key, value) in root.entries() {
        let Some(key) = key.scalar_text() else {
            continue;
        };
        if key == "__metadata" || !value.is_map() {
            continue;
        }
        let descriptors: Vec<String> = key
            .split(", ")
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty())
            .collect();
        let resolution = text(value.get("resolution")).unwrap_or(key);
        let (name, reference) = split_descriptor(resolution);
        let version = text(value.get("version")).unwrap_or("");
        let local =
            reference.starts_with("workspace:") || text(value.get("linkType")) == Some("soft");
        if name.is_empty() || (version.is_empty() && !local) {
            let span = value.span();
            return Err(Failure::at(
                span.start.line,
                Some(span.start.column),
                format!("{key} has no resolution or version"),
            ));
        }
        let mut deps = Vec::new();
        for kind in ["dependencies", "optionalDependencies"] {
            for (n, r) in value.get(kind).into_iter().flat_map(|d| d.entries()) {
                if let (Some(n), Some(r)) = (n.scalar_text(), r.scalar_text()) {
                    deps.push((n.to_string(), r.to_string()));
                }
            }
        }
        blocks.push(Block {
            descriptors,
            name: name.to_string(),
            version: version.to_string(),
            local,
            hashes: Vec::new(),
            deps,
        });
    }
    Ok(finish(blocks, true))
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
            .unwrap_or_else(|| panic!("{name}@{version} missing from {:#?}", parsed.packages))
    }

    fn deps(parsed: &Parsed, p: &Package) -> Vec<String> {
        p.deps
            .iter()
            .flatten()
            .map(|&j| format!("{}@{}", parsed.packages[j].name, parsed.packages[j].version))
            .collect()
    }

    #[test]
    fn classic_lockfile() {
        let parsed = parse(&fixture("yarn/v1/yarn.lock")).unwrap();
        assert_eq!(parsed.packages.len(), 7);
        let code_frame = find(&parsed, "@babel/code-frame", "7.23.5");
        assert_eq!(
            deps(&parsed, code_frame),
            ["@babel/highlight@7.23.4", "chalk@2.4.2"]
        );
        assert_eq!(code_frame.hashes.len(), 1);
        assert_eq!(code_frame.hashes[0].alg, HashAlg::Sha512);
        // Two ranges, one resolution: one package.
        let chalk = find(&parsed, "chalk", "2.4.2");
        assert_eq!(deps(&parsed, chalk), ["escape-string-regexp@1.0.5"]);
        // No integrity: the SHA-1 in the resolved URL's fragment.
        let esc = find(&parsed, "escape-string-regexp", "1.0.5");
        assert_eq!(esc.hashes[0].alg, HashAlg::Sha1);
        assert_eq!(
            esc.hashes[0].hex,
            "1b61c0562190a8dff6ae3bb2cf0200ca130b86d4"
        );
        // An alias is the real package.
        find(&parsed, "string-width", "4.2.3");
    }

    #[test]
    fn berry_lockfile() {
        let parsed = parse(&fixture("yarn/berry/yarn.lock")).unwrap();
        let app = find(&parsed, "storefront", "0.0.0-use.local");
        assert!(app.local);
        assert_eq!(
            deps(&parsed, app),
            ["@babel/code-frame@7.23.5", "ms@2.1.3", "string-width@4.2.3"]
        );
        let code_frame = find(&parsed, "@babel/code-frame", "7.23.5");
        assert!(!code_frame.local);
        assert!(
            code_frame.hashes.is_empty(),
            "Berry checksums are not artifact hashes"
        );
        assert_eq!(
            deps(&parsed, code_frame),
            ["@babel/highlight@7.23.4", "chalk@2.4.2"]
        );
    }

    #[test]
    fn descriptors_split_after_the_name() {
        assert_eq!(
            split_descriptor("a-cjs@npm:a@^4.2.0"),
            ("a-cjs", "npm:a@^4.2.0")
        );
        assert_eq!(split_descriptor("@s/a@npm:1.0.0"), ("@s/a", "npm:1.0.0"));
        assert_eq!(split_descriptor("@s/a"), ("@s/a", ""));
    }

    #[test]
    fn malformed_classic_lines_are_located() {
        let err =
            parse("# yarn lockfile v1\n\nms@^2.1.3:\n  version \"2.1.3\"\n   bad\n").unwrap_err();
        assert_eq!(err.line, Some(5));
        let err = parse("ms@^2.1.3:\n  resolved \"x\"\n").unwrap_err();
        assert!(err.message.contains("no version"), "{err:?}");
        let err = parse("no colon here\n").unwrap_err();
        assert_eq!(err.line, Some(1));
    }
}
