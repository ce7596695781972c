//! The package model shared by the parsers, and the merged component the
//! public API returns.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ecosystem {
    Cargo,
    Npm,
    PyPI,
    Go,
}

impl Ecosystem {
    /// The purl type, which is also the name printed in summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "cargo",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "pypi",
            Ecosystem::Go => "golang",
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The hash algorithms lockfiles use, spelled as CycloneDX spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HashAlg {
    Md5,
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            HashAlg::Md5 => "MD5",
            HashAlg::Sha1 => "SHA-1",
            HashAlg::Sha256 => "SHA-256",
            HashAlg::Sha384 => "SHA-384",
            HashAlg::Sha512 => "SHA-512",
        }
    }

    pub fn digest_len(self) -> usize {
        match self {
            HashAlg::Md5 => 16,
            HashAlg::Sha1 => 20,
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
            HashAlg::Sha512 => 64,
        }
    }

    /// The names lockfiles give an algorithm: SRI's `sha512`, pip's `sha256`.
    pub fn from_label(label: &str) -> Option<HashAlg> {
        Some(match label.to_ascii_lowercase().as_str() {
            "md5" => HashAlg::Md5,
            "sha1" => HashAlg::Sha1,
            "sha256" => HashAlg::Sha256,
            "sha384" => HashAlg::Sha384,
            "sha512" => HashAlg::Sha512,
            _ => return None,
        })
    }
}

/// A digest of the package's published artifact, as lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hash {
    pub alg: HashAlg,
    pub hex: String,
}

impl Hash {
    /// A hash from hex text, if the text really is a digest of that algorithm.
    pub fn from_hex(alg: HashAlg, hex: &str) -> Option<Hash> {
        let valid = hex.len() == alg.digest_len() * 2 && hex.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| Hash {
            alg,
            hex: hex.to_ascii_lowercase(),
        })
    }

    pub fn from_bytes(alg: HashAlg, bytes: &[u8]) -> Option<Hash> {
        if bytes.len() != alg.digest_len() {
            return None;
        }
        let mut hex = String::with_capacity(bytes.len() * 2);
        for b in bytes {
            hex.push(char::from_digit(u32::from(b >> 4), 16)?);
            hex.push(char::from_digit(u32::from(b & 0xf), 16)?);
        }
        Some(Hash { alg, hex })
    }

    /// `sha256:HEX`, as pip, Poetry and uv write file hashes.
    pub(crate) fn from_prefixed_hex(text: &str) -> Option<Hash> {
        let (label, hex) = text.split_once(':')?;
        Hash::from_hex(HashAlg::from_label(label)?, hex)
    }
}

/// CycloneDX's scope, where the lockfile says: `optional` for development
/// and optional dependencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Required,
    Optional,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Required => "required",
            Scope::Optional => "optional",
        }
    }

    pub(crate) fn from_dev(dev: bool) -> Scope {
        if dev {
            Scope::Optional
        } else {
            Scope::Required
        }
    }
}

/// One package at one version, merged over every lockfile that lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    pub ecosystem: Ecosystem,
    /// The npm scope (`@babel`), as CycloneDX tools write it; `None` elsewhere
    /// (a Go component is named by its whole module path).
    pub group: Option<String>,
    pub name: String,
    pub version: String,
    /// Also the component's `bom-ref`.
    pub purl: String,
    /// Sorted, without duplicates.
    pub hashes: Vec<Hash>,
    /// `None` when no lockfile said; `Required` when any occurrence is required.
    pub scope: Option<Scope>,
    /// The lockfiles that list it, sorted.
    pub lockfiles: Vec<String>,
    /// The purls it depends on, sorted; `None` when no lockfile records its
    /// dependencies.
    pub depends_on: Option<Vec<String>>,
}

/// A package as one lockfile lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Package {
    pub ecosystem: Ecosystem,
    /// For npm, the full name including its scope; split when the purl is made.
    pub name: String,
    pub version: String,
    pub hashes: Vec<Hash>,
    pub scope: Option<Scope>,
    /// Part of the repository itself rather than a dependency of it.
    pub local: bool,
    /// Indices into the same lockfile's packages; `None` when unknown.
    pub deps: Option<Vec<usize>>,
    /// purl qualifiers, such as an alternative registry's `repository_url`.
    pub qualifiers: Vec<(&'static str, String)>,
}

impl Package {
    pub fn new(ecosystem: Ecosystem, name: &str, version: &str) -> Package {
        Package {
            ecosystem,
            name: name.to_string(),
            version: version.to_string(),
            hashes: Vec::new(),
            scope: None,
            local: false,
            deps: None,
            qualifiers: Vec::new(),
        }
    }

    pub fn local(ecosystem: Ecosystem, name: &str, version: &str) -> Package {
        Package {
            local: true,
            ..Package::new(ecosystem, name, version)
        }
    }
}

/// Something a lockfile holds that the SBOM leaves out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Note {
    pub line: Option<u32>,
    pub message: String,
}

/// What one lockfile says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Parsed {
    pub packages: Vec<Package>,
    /// Direct dependencies of the repository (indices into `packages`).
    pub root_deps: Vec<usize>,
    pub notes: Vec<Note>,
}

/// PEP 503: lowercase, and every run of `-`, `_` and `.` becomes one `-`.
/// PyPI treats the spellings as one project, so this is the name both in
/// purls and when matching one lockfile entry against another.
pub(crate) fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

/// Python lockfiles hash every file a release offers (an sdist and a wheel
/// per platform), and which one gets installed depends on the machine. A
/// component's hash must be the hash of the component, so one is given only
/// when the lockfile allows exactly one file.
pub(crate) fn single_file_hash<'a>(hashes: impl IntoIterator<Item = &'a str>) -> Vec<Hash> {
    let mut all: Vec<Hash> = hashes
        .into_iter()
        .filter_map(Hash::from_prefixed_hex)
        .collect();
    all.sort();
    all.dedup();
    if all.len() == 1 { all } else { Vec::new() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503_collapses_separator_runs() {
        assert_eq!(pep503("Zope.Interface"), "zope-interface");
        assert_eq!(pep503("typing_extensions"), "typing-extensions");
        assert_eq!(pep503("a-_.b"), "a-b");
        assert_eq!(pep503("Django"), "django");
    }

    #[test]
    fn hashes_must_have_the_algorithms_length() {
        assert!(Hash::from_hex(HashAlg::Sha256, "ab").is_none());
        assert!(Hash::from_hex(HashAlg::Sha256, &"g".repeat(64)).is_none());
        let h = Hash::from_hex(HashAlg::Sha1, &"AB".repeat(20)).unwrap();
        assert_eq!(h.hex, "ab".repeat(20));
        assert_eq!(
            Hash::from_bytes(HashAlg::Md5, &[0x0f; 16]).unwrap().hex,
            "0f".repeat(16)
        );
        assert!(Hash::from_prefixed_hex("sha256:00").is_none());
        assert!(Hash::from_prefixed_hex(&format!("blake2:{}", "0".repeat(64))).is_none());
    }
}
