//! `poetry.lock`: lock-version 2.x keeps each package's files beside it;
//! 1.x kept them in `[metadata.files]` and marked development packages with
//! `category = "dev"`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Failure, index_by};
use crate::model::{Ecosystem, Package, Parsed, Scope, pep503, single_file_hash};

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<LockPackage>,
    #[serde(default)]
    metadata: Metadata,
}

#[derive(Deserialize, Default)]
struct Metadata {
    #[serde(default)]
    files: BTreeMap<String, Vec<File>>,
}

#[derive(Deserialize)]
struct LockPackage {
    name: String,
    version: String,
    category: Option<String>,
    #[serde(default)]
    files: Vec<File>,
    #[serde(default)]
    dependencies: BTreeMap<String, toml::Value>,
    source: Option<Source>,
}

#[derive(Deserialize)]
struct File {
    hash: String,
}

#[derive(Deserialize)]
struct Source {
    #[serde(rename = "type")]
    kind: String,
}

pub(crate) fn parse(text: &str) -> Result<Parsed, Failure> {
    let lock: Lock = toml::from_str(text).map_err(|e| Failure::toml(text, &e))?;
    let mut out = Parsed::default();
    for p in &lock.package {
        // A path dependency (`develop = true` or not) is a folder of this
        // repository, not something downloaded.
        let local = p
            .source
            .as_ref()
            .is_some_and(|s| s.kind == "directory" || s.kind == "file");
        let mut pkg = if local {
            Package::local(Ecosystem::PyPI, &p.name, &p.version)
        } else {
            Package::new(Ecosystem::PyPI, &p.name, &p.version)
        };
        let old_files = lock.metadata.files.get(&p.name);
        let files = p.files.iter().chain(old_files.into_iter().flatten());
        pkg.hashes = single_file_hash(files.map(|f| f.hash.as_str()));
        pkg.scope = p.category.as_deref().map(|c| Scope::from_dev(c == "dev"));
        out.packages.push(pkg);
    }
    let by_name = index_by(lock.package.iter().map(|p| pep503(&p.name)));
    for (i, p) in lock.package.iter().enumerate() {
        let mut deps: Vec<usize> = p
            .dependencies
            .keys()
            .filter_map(|name| match by_name.get(&pep503(name))?.as_slice() {
                [one] => Some(*one),
                // Several versions of one name are locked only for disjoint
                // markers; which applies is not known here.
                _ => None,
            })
            .filter(|&j| j != i)
            .collect();
        deps.sort_unstable();
        deps.dedup();
        out.packages[i].deps = Some(deps);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::test_support::fixture;

    fn find<'a>(parsed: &'a Parsed, name: &str) -> &'a Package {
        parsed
            .packages
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("{name} missing"))
    }

    #[test]
    fn lock_version_2() {
        let parsed = parse(&fixture("poetry/v2/poetry.lock")).unwrap();
        assert_eq!(parsed.packages.len(), 6);
        let requests = find(&parsed, "requests");
        let deps: Vec<&str> = requests
            .deps
            .iter()
            .flatten()
            .map(|&j| parsed.packages[j].name.as_str())
            .collect();
        assert_eq!(deps, ["certifi", "charset-normalizer", "idna", "urllib3"]);
        // An sdist and a wheel: which is installed is not known.
        assert!(requests.hashes.is_empty());
        assert_eq!(requests.scope, None);
        assert!(find(&parsed, "ledger-common").local);
    }

    #[test]
    fn lock_version_1_with_categories_and_metadata_files() {
        let parsed = parse(&fixture("poetry/v1/poetry.lock")).unwrap();
        let pytest = find(&parsed, "pytest");
        assert_eq!(pytest.scope, Some(Scope::Optional));
        assert_eq!(find(&parsed, "six").scope, Some(Scope::Required));
        // The index behind this lockfile carried only the wheel, so its
        // hash is the component's.
        let six = find(&parsed, "six");
        assert_eq!(six.hashes.len(), 1);
        assert_eq!(
            six.hashes[0].hex,
            "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"
        );
        let deps: Vec<&str> = pytest
            .deps
            .iter()
            .flatten()
            .map(|&j| parsed.packages[j].name.as_str())
            .collect();
        assert_eq!(deps, ["iniconfig", "six"]);
    }

    #[test]
    fn errors_have_positions() {
        let err = parse("[[package]]\nname = \"a\"\nversion = \"1\"\nfiles = [\n").unwrap_err();
        assert!(err.line.is_some());
    }
}
