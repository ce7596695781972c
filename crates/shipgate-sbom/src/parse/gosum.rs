//! `go.sum`: `module version h1:hash` lines. A `version/go.mod` line records
//! only the module's go.mod, read during version selection; the module is in
//! the build only when its own `version` line is there too.
//!
//! `h1:` hashes are not given: they are SHA-256 over a list of file hashes
//! (Go's dirhash), not a hash of any artifact a consumer could check.

use std::collections::BTreeSet;

use super::Failure;
use crate::model::{Ecosystem, Package, Parsed};

pub(crate) fn parse(text: &str) -> Result<Parsed, Failure> {
    let mut modules = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let fields: Vec<&str> = line.split_ascii_whitespace().collect();
        let [module, version, hash] = fields.as_slice() else {
            return Err(Failure::at(
                line_no,
                Some(1),
                format!(
                    "expected `module version hash`, found {} fields",
                    fields.len()
                ),
            ));
        };
        if !hash.contains(':') {
            return Err(Failure::at(
                line_no,
                None,
                format!("`{hash}` is not a go.sum hash"),
            ));
        }
        if !version.starts_with('v') {
            return Err(Failure::at(
                line_no,
                None,
                format!("`{version}` is not a module version"),
            ));
        }
        if version.ends_with("/go.mod") {
            continue;
        }
        modules.insert((*module, *version));
    }
    let packages = modules
        .into_iter()
        .map(|(m, v)| Package::new(Ecosystem::Go, m, v))
        .collect();
    Ok(Parsed {
        packages,
        ..Parsed::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::test_support::fixture;

    #[test]
    fn modules_without_go_mod_lines() {
        let parsed = parse(&fixture("go/go.sum")).unwrap();
        let mods: Vec<String> = parsed
            .packages
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert_eq!(
            mods,
            [
                "github.com/davecgh/go-spew@v1.1.1",
                "github.com/docker/docker@v24.0.9+incompatible",
                "github.com/pkg/errors@v0.9.1",
                "github.com/stretchr/testify@v1.8.4",
                "golang.org/x/sys@v0.15.0",
                "gopkg.in/yaml.v3@v3.0.1",
            ]
        );
        assert!(parsed.packages.iter().all(|p| p.hashes.is_empty()));
    }

    #[test]
    fn malformed_lines_are_located() {
        let err = parse("github.com/pkg/errors v0.9.1 h1:x=\ngarbage\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(parse("a 1.0 h1:x=\n").is_err());
        assert!(parse("a v1.0 nohash\n").is_err());
    }
}
