//! `uv.lock`.

use serde::Deserialize;

use super::{Failure, index_by};
use crate::model::{Ecosystem, Package, Parsed, pep503, single_file_hash};

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<LockPackage>,
}

#[derive(Deserialize)]
struct LockPackage {
    name: String,
    /// Absent for a dynamic-version workspace member.
    version: Option<String>,
    source: Option<toml::Table>,
    #[serde(default)]
    dependencies: Vec<Dep>,
    #[serde(default, rename = "optional-dependencies")]
    optional_dependencies: toml::Table,
    #[serde(default, rename = "dev-dependencies")]
    dev_dependencies: toml::Table,
    sdist: Option<Artifact>,
    #[serde(default)]
    wheels: Vec<Artifact>,
}

#[derive(Deserialize)]
struct Dep {
    name: String,
    version: Option<String>,
}

#[derive(Deserialize)]
struct Artifact {
    hash: Option<String>,
}

pub(crate) fn parse(text: &str) -> Result<Parsed, Failure> {
    let lock: Lock = toml::from_str(text).map_err(|e| Failure::toml(text, &e))?;
    let mut out = Parsed::default();
    for p in &lock.package {
        let version = p.version.as_deref().unwrap_or("");
        // The project itself (`editable` or `virtual`) and other workspace
        // folders (`directory`) are the repository, not dependencies of it.
        let local = p.source.as_ref().is_none_or(|s| {
            s.contains_key("editable") || s.contains_key("virtual") || s.contains_key("directory")
        });
        let mut pkg = if local {
            Package::local(Ecosystem::PyPI, &p.name, version)
        } else {
            Package::new(Ecosystem::PyPI, &p.name, version)
        };
        let files = p.sdist.iter().chain(&p.wheels);
        pkg.hashes = single_file_hash(files.filter_map(|a| a.hash.as_deref()));
        out.packages.push(pkg);
    }
    let by_name = index_by(lock.package.iter().map(|p| pep503(&p.name)));
    let lookup = |dep: &Dep| -> Option<usize> {
        let candidates = by_name.get(&pep503(&dep.name))?;
        let chosen: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| {
                dep.version
                    .as_deref()
                    .is_none_or(|v| lock.package[i].version.as_deref() == Some(v))
            })
            .collect();
        match chosen.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    };
    for (i, p) in lock.package.iter().enumerate() {
        let mut deps: Vec<usize> = p.dependencies.iter().filter_map(&lookup).collect();
        // Extras and dependency groups are edges too, when the package is
        // the project: they are what its optional features and its
        // development need.
        for table in [&p.optional_dependencies, &p.dev_dependencies] {
            for group in table.values() {
                let Ok(list) = Vec::<Dep>::deserialize(group.clone()) else {
                    continue;
                };
                deps.extend(list.iter().filter_map(&lookup));
            }
        }
        deps.retain(|&j| j != i);
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

    #[test]
    fn real_lockfile_skips_the_virtual_project() {
        let parsed = parse(&fixture("uv/uv.lock")).unwrap();
        let names: Vec<&str> = parsed
            .packages
            .iter()
            .filter(|p| !p.local)
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "certifi",
                "charset-normalizer",
                "idna",
                "iniconfig",
                "pywin32",
                "requests",
                "typing-extensions",
                "urllib3"
            ]
        );
        let project = parsed.packages.iter().find(|p| p.local).unwrap();
        assert_eq!(project.name, "ledger-api");
        let deps: Vec<&str> = project
            .deps
            .iter()
            .flatten()
            .map(|&j| parsed.packages[j].name.as_str())
            .collect();
        assert_eq!(
            deps,
            ["iniconfig", "pywin32", "requests", "typing-extensions"]
        );
        // Every package here offers an sdist and at least one wheel.
        assert!(parsed.packages.iter().all(|p| p.hashes.is_empty()));
    }

    #[test]
    fn one_file_means_one_hash() {
        let text = r#"
version = 1
[[package]]
name = "solo"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
wheels = [{ url = "https://example.invalid/solo-1.0-py3-none-any.whl", hash = "sha256:2d91e135bf72d31a410b17c16da610a82cb55f6b0477d1a902134b24a455b8b3" }]
"#;
        let parsed = parse(text).unwrap();
        assert_eq!(parsed.packages[0].hashes.len(), 1);
    }
}
