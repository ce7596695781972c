//! `Cargo.lock`, formats 1 to 4.
//!
//! Parsed with `toml` and a few serde structs rather than the `cargo-lock`
//! crate: the four formats differ only in where checksums live (v1 keeps them
//! in `[metadata]`) and how dependencies are spelled, which is a few lines
//! here, and `toml` is already in the tree.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Failure, index_by};
use crate::model::{Ecosystem, Hash, HashAlg, Package, Parsed};

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<LockPackage>,
    /// Format 1 keeps checksums here, keyed `checksum NAME VERSION (SOURCE)`.
    #[serde(default)]
    metadata: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
struct LockPackage {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

const CRATES_IO: [&str; 2] = [
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
];

pub(crate) fn parse(text: &str) -> Result<Parsed, Failure> {
    let lock: Lock = toml::from_str(text).map_err(|e| Failure::toml(text, &e))?;
    let mut packages = Vec::with_capacity(lock.package.len());
    for p in &lock.package {
        // A package without a source is a path crate: part of the repository.
        let mut pkg = if p.source.is_some() {
            Package::new(Ecosystem::Cargo, &p.name, &p.version)
        } else {
            Package::local(Ecosystem::Cargo, &p.name, &p.version)
        };
        let checksum = p.checksum.clone().or_else(|| {
            let key = format!(
                "checksum {} {} ({})",
                p.name,
                p.version,
                p.source.as_deref().unwrap_or_default()
            );
            lock.metadata.get(&key)?.as_str().map(str::to_string)
        });
        // Format 1 writes `<none>` for crates without one.
        if let Some(hash) = checksum.and_then(|c| Hash::from_hex(HashAlg::Sha256, &c)) {
            pkg.hashes.push(hash);
        }
        if let Some(source) = &p.source {
            pkg.qualifiers = qualifiers(source);
        }
        packages.push(pkg);
    }

    let by_name = index_by(lock.package.iter().map(|p| p.name.as_str()));
    for (i, p) in lock.package.iter().enumerate() {
        let deps = p
            .dependencies
            .iter()
            .filter_map(|spec| resolve(spec, &by_name, &lock.package))
            .collect();
        packages[i].deps = Some(deps);
    }
    let root_deps = Vec::new();
    Ok(Parsed {
        packages,
        root_deps,
        notes: Vec::new(),
    })
}

/// Where a crate came from when not crates.io: an alternative registry's
/// index as `repository_url`, a git repository as `vcs_url` at its commit.
fn qualifiers(source: &str) -> Vec<(&'static str, String)> {
    if CRATES_IO.contains(&source) {
        return Vec::new();
    }
    if let Some(index) = source
        .strip_prefix("registry+")
        .or_else(|| source.strip_prefix("sparse+"))
    {
        return vec![("repository_url", index.to_string())];
    }
    if let Some(git) = source.strip_prefix("git+") {
        let (url, commit) = git.split_once('#').unwrap_or((git, ""));
        let url = url.split('?').next().unwrap_or(url);
        let vcs = if commit.is_empty() {
            format!("git+{url}")
        } else {
            format!("git+{url}@{commit}")
        };
        return vec![("vcs_url", vcs)];
    }
    Vec::new()
}

/// A dependency entry is `NAME`, `NAME VERSION` or `NAME VERSION (SOURCE)`:
/// Cargo writes only as much as it takes to tell packages apart (format 1
/// always writes all three).
fn resolve(spec: &str, by_name: &BTreeMap<&str, Vec<usize>>, all: &[LockPackage]) -> Option<usize> {
    let mut parts = spec.splitn(3, ' ');
    let name = parts.next()?;
    let version = parts.next();
    let source = parts
        .next()
        .map(|s| s.trim_start_matches('(').trim_end_matches(')'));
    let candidates: Vec<usize> = by_name
        .get(name)?
        .iter()
        .copied()
        .filter(|&i| version.is_none_or(|v| all[i].version == v))
        .filter(|&i| source.is_none_or(|s| all[i].source.as_deref() == Some(s)))
        .collect();
    match candidates.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::test_support::fixture;

    fn find<'a>(parsed: &'a Parsed, name: &str, version: &str) -> (usize, &'a Package) {
        parsed
            .packages
            .iter()
            .enumerate()
            .find(|(_, p)| p.name == name && p.version == version)
            .unwrap_or_else(|| panic!("{name} {version} missing"))
    }

    fn dep_names(parsed: &Parsed, pkg: &Package) -> Vec<String> {
        pkg.deps
            .as_ref()
            .unwrap()
            .iter()
            .map(|&i| format!("{} {}", parsed.packages[i].name, parsed.packages[i].version))
            .collect()
    }

    #[test]
    fn v4_with_two_versions_of_a_crate_and_a_git_source() {
        let parsed = parse(&fixture("cargo/v4.Cargo.lock")).unwrap();
        assert_eq!(parsed.packages.len(), 15);
        let (_, app) = find(&parsed, "ledger-app", "0.3.0");
        assert!(app.local);
        assert_eq!(
            dep_names(&parsed, app),
            [
                "itoa 0.4.8",
                "ledger-util 0.3.0",
                "memchr 2.8.3",
                "serde_json 1.0.120",
                "tinyjson 2.5.1"
            ]
        );
        let (_, json) = find(&parsed, "serde_json", "1.0.120");
        assert!(!json.local);
        assert_eq!(
            dep_names(&parsed, json),
            ["itoa 1.0.19", "ryu 1.0.23", "serde 1.0.229"]
        );
        assert_eq!(
            json.hashes,
            [Hash::from_hex(
                HashAlg::Sha256,
                "4e0d21c9a8cae1235ad58a00c11cb40d4b1e5c784f1ef2c537876ed6ffd8b7c5"
            )
            .unwrap()]
        );
        let (_, git) = find(&parsed, "tinyjson", "2.5.1");
        assert!(git.hashes.is_empty());
        assert_eq!(
            git.qualifiers,
            [(
                "vcs_url",
                "git+https://github.com/ledger-dev/tinyjson@e2f4c7a7c7a5a2c4b0d4b0f6c4b2a0e8d2c6a4b1"
                    .to_string()
            )]
        );
    }

    #[test]
    fn v3_reads_like_v4() {
        let parsed = parse(&fixture("cargo/v3.Cargo.lock")).unwrap();
        assert_eq!(parsed.packages.iter().filter(|p| !p.local).count(), 11);
        let (_, util) = find(&parsed, "ledger-util", "0.3.0");
        assert_eq!(dep_names(&parsed, util), ["itoa 1.0.19", "memchr 2.8.3"]);
    }

    #[test]
    fn v2_without_a_version_marker() {
        let parsed = parse(&fixture("cargo/v2.Cargo.lock")).unwrap();
        let (_, json) = find(&parsed, "serde_json", "1.0.79");
        assert_eq!(json.hashes.len(), 1);
        assert_eq!(dep_names(&parsed, json).len(), 3);
        assert!(find(&parsed, "tally", "0.1.0").1.local);
    }

    #[test]
    fn v1_checksums_live_in_metadata() {
        let parsed = parse(&fixture("cargo/v1.Cargo.lock")).unwrap();
        let (_, log) = find(&parsed, "log", "0.4.8");
        assert_eq!(
            log.hashes[0].hex,
            "14b6052be84e6b71ab17edffc2eeabf5c2c3ae1fdb464aae35ac50c67a44e1f7"
        );
        assert_eq!(dep_names(&parsed, log), ["cfg-if 0.1.10"]);
        let (_, tally) = find(&parsed, "tally", "0.1.0");
        assert_eq!(dep_names(&parsed, tally), ["log 0.4.8"]);
    }

    #[test]
    fn alternative_registry_is_a_qualifier() {
        assert_eq!(
            qualifiers("sparse+https://cargo.example.com/index/"),
            [(
                "repository_url",
                "https://cargo.example.com/index/".to_string()
            )]
        );
        assert!(qualifiers(CRATES_IO[1]).is_empty());
    }

    #[test]
    fn broken_toml_names_its_line() {
        let err = parse("[[package]]\nname = \"a\"\nversion = 1.0.0\n").unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.column.is_some());
        let err = parse("[[package]]\nname = \"a\"\n").unwrap_err();
        assert!(err.message.contains("version"), "{}", err.message);
    }
}
