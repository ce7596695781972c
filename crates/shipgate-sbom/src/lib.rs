//! A CycloneDX 1.6 SBOM of a repository, read from the lockfiles in its tree.
//!
//! Lockfiles are what was actually resolved, so they are the only source
//! read: manifests (`Cargo.toml`, `package.json`, `pyproject.toml`, `go.mod`)
//! say what is allowed, not what ships.
//!
//! # Use
//!
//! ```no_run
//! use std::path::Path;
//! use shipgate_sbom::{Subject, build, scan, to_json};
//!
//! let scan = scan(Path::new("."));
//! for diagnostic in &scan.diagnostics {
//!     eprintln!("{diagnostic}");
//! }
//! eprintln!("{}", scan.summary());
//! let subject = Subject {
//!     name: "storefront".into(),
//!     version: "1.4.0".into(),
//!     // The release commit's time, so that the SBOM of a commit never changes.
//!     timestamp: time::macros::datetime!(2026-11-03 10:15 UTC),
//!     tool_name: "shipgate".into(),
//!     tool_version: "0.1.0".into(),
//! };
//! let bom = build(&scan, &subject);
//! std::fs::write("sbom.cdx.json", to_json(&bom)).unwrap();
//! ```
//!
//! - [`scan`] walks the tree (honouring `.gitignore`), parses every lockfile it
//!   knows and merges what they list. A lockfile that cannot be read or parsed
//!   becomes an error [`Diagnostic`] and contributes nothing; every other
//!   lockfile still does. Requirement lines that pin nothing become notes.
//! - [`scan_sources`] does the same for lockfiles already in memory.
//! - [`build`] turns a scan into a [`Bom`]; [`to_json`] writes it.
//!
//! # What is emitted
//!
//! One `library` component per package and version, whatever number of
//! lockfiles name it, identified by its purl, which is also its `bom-ref`.
//! Packages that belong to the repository itself (Cargo path crates, npm and
//! yarn workspaces, uv's editable or virtual project, Poetry directory
//! dependencies) are not components: they are the repository, described by
//! `metadata.component`, and what they depend on is what it depends on.
//!
//! Hashes are given only when they are hashes of the package's published
//! artifact: Cargo's `checksum`, npm's, pnpm's and yarn 1's `integrity`, and
//! a Python file hash when the lockfile allows exactly one file. Yarn Berry's
//! `checksum` (a hash of Yarn's own cache archive) and go.sum's `h1:` (a hash
//! over a file list) are not hashes of an artifact, so they are left out.
//!
//! # Reproducibility
//!
//! The output is a function of the tree's committed content and the
//! [`Subject`]: the timestamp is the caller's (the release commit's time),
//! components and dependencies are sorted, `.gitignore` files outside the
//! tree, the user's global excludes and `.git/info/exclude` are not read, and
//! the serial number is derived from the rest of the document (see
//! [`serial_number`]).

mod cdx;
mod discover;
mod integrity;
mod merge;
mod model;
mod parse;
mod purl;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

pub use cdx::{
    Bom, BomComponent, BomDependency, BomHash, BomMetadata, BomProperty, BomTools, serial_number,
};
pub use discover::{LockfileKind, discover};
pub use model::{Component, Ecosystem, Hash, HashAlg, Scope};

/// What the SBOM describes, and what wrote it. Everything that varies between
/// runs comes from here, so the caller decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub name: String,
    pub version: String,
    /// Written as `metadata.timestamp`: use the release commit's time, never
    /// the clock, so that a second run at the same commit writes the same bytes.
    pub timestamp: time::OffsetDateTime,
    pub tool_name: String,
    pub tool_version: String,
}

/// A lockfile that was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lockfile {
    /// Relative to the scanned root, with `/` separators.
    pub path: String,
    pub kind: LockfileKind,
    /// Packages it contributed (before merging with other lockfiles); 0 when
    /// it could not be parsed.
    pub packages: usize,
    /// False when it could not be read or parsed (see the diagnostics).
    pub parsed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// The lockfile was not used.
    Error,
    /// Something the SBOM leaves out, such as an unpinned requirement.
    Note,
}

/// A problem with one lockfile. Positions are 1-based, when the parser knows them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    pub level: Level,
    pub path: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Note => "note",
        };
        write!(f, "{}", self.path)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {level}: {}", self.message)
    }
}

/// Everything the lockfiles of a tree say, merged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// Sorted by path.
    pub lockfiles: Vec<Lockfile>,
    /// One per purl, sorted by purl.
    pub components: Vec<Component>,
    /// What the repository itself depends on directly, as purls, where a
    /// lockfile says so.
    pub root_dependencies: Vec<String>,
    /// Sorted; errors first for each lockfile.
    pub diagnostics: Vec<Diagnostic>,
}

impl Scan {
    /// Components per ecosystem.
    pub fn counts(&self) -> BTreeMap<Ecosystem, usize> {
        let mut counts = BTreeMap::new();
        for component in &self.components {
            *counts.entry(component.ecosystem).or_insert(0) += 1;
        }
        counts
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.level == Level::Error)
    }

    /// One line for a terminal, such as
    /// `sbom: 312 components from 3 lockfiles (cargo 201, npm 111)`.
    pub fn summary(&self) -> String {
        let used = self.lockfiles.iter().filter(|l| l.parsed).count();
        let mut line = format!(
            "sbom: {} component{} from {} lockfile{}",
            self.components.len(),
            plural(self.components.len()),
            used,
            plural(used),
        );
        let counts = self.counts();
        if !counts.is_empty() {
            let parts: Vec<String> = counts
                .iter()
                .map(|(eco, n)| format!("{} {n}", eco.as_str()))
                .collect();
            line.push_str(&format!(" ({})", parts.join(", ")));
        }
        let failed = self.lockfiles.len() - used;
        if failed > 0 {
            line.push_str(&format!("; {failed} lockfile{} unreadable", plural(failed)));
        }
        line
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Finds and reads every lockfile under `root`. Never fails: what cannot be
/// read is a diagnostic.
pub fn scan(root: &Path) -> Scan {
    scan_with(root, &|_| true)
}

/// Like [`scan`], leaving out the lockfiles whose root-relative path matches
/// one of `exclude` (globs such as `**/tests/fixtures/**`): test fixtures and
/// examples hold lockfiles of software that is not shipped.
pub fn scan_excluding(root: &Path, exclude: &[String]) -> Result<Scan, String> {
    let mut set = globset::GlobSetBuilder::new();
    for pattern in exclude {
        let glob = globset::GlobBuilder::new(pattern.trim_start_matches("./"))
            .literal_separator(true)
            .build()
            .map_err(|err| format!("{pattern}: {err}"))?;
        set.add(glob);
    }
    let set = set.build().map_err(|err| err.to_string())?;
    Ok(scan_with(root, &|path| !set.is_match(path)))
}

fn scan_with(root: &Path, keep: &dyn Fn(&str) -> bool) -> Scan {
    let mut sources = Vec::new();
    let mut diagnostics = Vec::new();
    for found in discover(root).into_iter().filter(|f| keep(&f.path)) {
        match read_limited(&root.join(&found.path)) {
            Ok(bytes) => sources.push((found.path, found.kind, bytes)),
            Err(message) => diagnostics.push(Diagnostic {
                level: Level::Error,
                path: found.path.clone(),
                line: None,
                column: None,
                message,
            }),
        }
    }
    let unread: Vec<Lockfile> = diagnostics
        .iter()
        .filter_map(|d| {
            Some(Lockfile {
                path: d.path.clone(),
                kind: LockfileKind::detect(&d.path)?,
                packages: 0,
                parsed: false,
            })
        })
        .collect();
    let mut scan = scan_sources(sources);
    scan.lockfiles.extend(unread);
    scan.lockfiles.sort_by(|a, b| a.path.cmp(&b.path));
    scan.diagnostics.extend(diagnostics);
    scan.diagnostics.sort();
    scan
}

/// Far above any real lockfile (large monorepos reach tens of MB), low enough
/// that a stray huge file cannot exhaust memory.
const MAX_LOCKFILE_BYTES: u64 = 256 * 1024 * 1024;

fn read_limited(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if meta.len() > MAX_LOCKFILE_BYTES {
        return Err(format!(
            "{} bytes, more than the {MAX_LOCKFILE_BYTES} read",
            meta.len()
        ));
    }
    std::fs::read(path).map_err(|e| format!("cannot read: {e}"))
}

/// Parses lockfiles given as (path relative to the root, kind, content) and
/// merges them, as [`scan`] does after walking the tree.
pub fn scan_sources<P, B>(sources: impl IntoIterator<Item = (P, LockfileKind, B)>) -> Scan
where
    P: Into<String>,
    B: AsRef<[u8]>,
{
    let mut merger = merge::Merger::default();
    let mut lockfiles = Vec::new();
    let mut diagnostics = Vec::new();
    for (path, kind, bytes) in sources {
        let path = path.into();
        let outcome = match std::str::from_utf8(bytes.as_ref()) {
            Ok(text) => parse::parse(kind, text),
            Err(e) => Err(parse::Failure::at_byte_msg(
                bytes.as_ref(),
                e.valid_up_to(),
                "not UTF-8 text".into(),
            )),
        };
        match outcome {
            Ok(parsed) => {
                for note in &parsed.notes {
                    diagnostics.push(Diagnostic {
                        level: Level::Note,
                        path: path.clone(),
                        line: note.line,
                        column: None,
                        message: note.message.clone(),
                    });
                }
                lockfiles.push(Lockfile {
                    path: path.clone(),
                    kind,
                    packages: parsed.packages.iter().filter(|p| !p.local).count(),
                    parsed: true,
                });
                merger.add(&path, parsed, &mut diagnostics);
            }
            Err(failure) => {
                diagnostics.push(Diagnostic {
                    level: Level::Error,
                    path: path.clone(),
                    line: failure.line,
                    column: failure.column,
                    message: failure.message,
                });
                lockfiles.push(Lockfile {
                    path,
                    kind,
                    packages: 0,
                    parsed: false,
                });
            }
        }
    }
    lockfiles.sort_by(|a, b| a.path.cmp(&b.path));
    diagnostics.sort();
    let (components, root_dependencies) = merger.finish();
    Scan {
        lockfiles,
        components,
        root_dependencies,
        diagnostics,
    }
}

/// The SBOM of a scan.
pub fn build(scan: &Scan, subject: &Subject) -> Bom {
    cdx::build(scan, subject)
}

/// Pretty JSON with a trailing newline.
pub fn to_json(bom: &Bom) -> String {
    let mut text = serde_json::to_string_pretty(bom).expect("a Bom always serializes");
    text.push('\n');
    text
}
