//! Discovery: which files of a tree to check, what each one is, and the
//! parallel read-and-check loop around the pure engine.
//!
//! Trees are walked the way developers expect from ripgrep: `.gitignore`
//! (and `.ignore`, `.shipgateignore`) honoured, dot-folders such as `.github/`
//! seen, dependency and build folders skipped. Symbolic links are not
//! followed out of the tree: people run this on untrusted pull requests, and
//! a link to `/etc/shadow` must not end up in a report.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;
use shipgate_core::Report;
use shipgate_rules::meta;
use shipgate_rules::{ArtifactKind, Engine, FileOutcome, ReportBuilder};
use spill::FindingSpill;

/// Folders that hold other people's code or build output, never the
/// repository's own deployment artifacts.
const SKIPPED_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "bower_components",
    "target",
    "vendor",
    "third_party",
    ".venv",
    "venv",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".terraform",
    ".gradle",
];

/// A file found by the walk. A run holds one per file of the tree, so the
/// path is kept once unless the shown form cannot be read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    /// How to show it: relative to the working directory, `/`-separated.
    pub display: String,
    /// Where to read it, when `display` does not name it (a path that is not
    /// UTF-8, or written with `\`).
    read_as: Option<PathBuf>,
    pub kind: ArtifactKind,
    pub size: u64,
}

impl Discovered {
    pub fn new(path: PathBuf, display: String, kind: ArtifactKind, size: u64) -> Self {
        let same = path
            .to_str()
            .is_some_and(|text| !text.contains('\\') && strip_current_dir(text) == display);
        Discovered {
            display,
            read_as: (!same).then_some(path),
            kind,
            size,
        }
    }

    /// Where to read it.
    pub fn path(&self) -> &Path {
        self.read_as
            .as_deref()
            .unwrap_or_else(|| Path::new(&self.display))
    }
}

fn strip_current_dir(mut text: &str) -> &str {
    while let Some(rest) = text.strip_prefix("./") {
        text = rest;
    }
    text
}

/// A path the walk could not enter or read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkProblem {
    pub display: String,
    pub message: String,
}

/// Walks `roots` and classifies every file by name. Results are sorted so
/// that every run reports in the same order.
pub fn discover(roots: &[PathBuf]) -> (Vec<Discovered>, Vec<WalkProblem>) {
    let found = Mutex::new(Vec::new());
    let problems = Mutex::new(Vec::new());
    for root in roots {
        let canonical_root = root.canonicalize().unwrap_or_else(|_| root.clone());
        let mut builder = ignore::WalkBuilder::new(root);
        builder
            .hidden(false)
            .git_ignore(true)
            .git_exclude(true)
            .git_global(false)
            .require_git(false)
            .follow_links(false)
            .add_custom_ignore_filename(".shipgateignore")
            .filter_entry(|entry| {
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                !(is_dir
                    && entry.depth() > 0
                    && SKIPPED_DIRS.contains(&entry.file_name().to_string_lossy().as_ref()))
            });
        builder.build_parallel().run(|| {
            let found = &found;
            let problems = &problems;
            let canonical_root = &canonical_root;
            Box::new(move |entry| {
                match entry {
                    Ok(entry) => {
                        let Some(file_type) = entry.file_type() else {
                            return ignore::WalkState::Continue;
                        };
                        let path = entry.path();
                        if file_type.is_symlink() {
                            // A link is read only when it stays inside the tree
                            // and points at a regular file.
                            match path.canonicalize() {
                                Ok(target)
                                    if target.starts_with(canonical_root) && target.is_file() => {}
                                Ok(_) => return ignore::WalkState::Continue,
                                Err(err) => {
                                    push(
                                        problems,
                                        WalkProblem {
                                            display: display_path(path),
                                            message: format!("cannot follow symbolic link: {err}"),
                                        },
                                    );
                                    return ignore::WalkState::Continue;
                                }
                            }
                        } else if !file_type.is_file() {
                            return ignore::WalkState::Continue;
                        }
                        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
                        push(
                            found,
                            Discovered::new(
                                path.to_path_buf(),
                                display_path(path),
                                ArtifactKind::Text,
                                size,
                            ),
                        );
                    }
                    Err(err) => push(
                        problems,
                        WalkProblem {
                            display: err_path(&err).map_or_else(String::new, |p| display_path(&p)),
                            message: err.to_string(),
                        },
                    ),
                }
                ignore::WalkState::Continue
            })
        });
    }
    let mut found = found.into_inner().unwrap_or_default();
    let mut problems = problems.into_inner().unwrap_or_default();
    found.sort_by(|a, b| a.display.cmp(&b.display));
    found.dedup_by(|a, b| a.display == b.display);
    found.shrink_to_fit();
    problems.sort_by(|a, b| a.display.cmp(&b.display));
    classify(&mut found);
    (found, problems)
}

fn push<T>(list: &Mutex<Vec<T>>, item: T) {
    if let Ok(mut list) = list.lock() {
        list.push(item);
    }
}

fn err_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            err_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        _ => None,
    }
}

/// Files under a chart's `templates/` are Go templates and are classified
/// apart; this needs the whole listing, since the walk may meet a template
/// before its `Chart.yaml`.
fn classify(found: &mut [Discovered]) {
    let charts: HashSet<String> = found
        .iter()
        .filter_map(|f| f.display.strip_suffix("Chart.yaml"))
        .filter(|dir| dir.is_empty() || dir.ends_with('/'))
        .map(str::to_owned)
        .collect();
    for file in found.iter_mut() {
        let in_templates = charts.iter().any(|chart| {
            file.display
                .strip_prefix(chart.as_str())
                .is_some_and(|rest| rest.starts_with("templates/") || rest.starts_with("charts/"))
        });
        let in_chart_root = charts.iter().any(|chart| {
            file.display
                .strip_prefix(chart.as_str())
                .is_some_and(|rest| !rest.contains('/'))
        });
        file.kind = ArtifactKind::from_path(&file.display, in_templates);
        if in_chart_root && file.kind == ArtifactKind::Yaml {
            let name = file.display.rsplit('/').next().unwrap_or("");
            if name.starts_with("values") {
                file.kind = ArtifactKind::HelmValues;
            }
        }
    }
}

/// `./k8s/api.yaml` and `k8s\api.yaml` are both shown as `k8s/api.yaml`.
pub fn display_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    strip_current_dir(&text).to_owned()
}

/// Reads and checks every discovered file in parallel, then runs the
/// cross-object rules. Memory holds one file's tree per thread at a time.
pub fn check_files(engine: &Engine, files: &[Discovered]) -> Vec<FileOutcome> {
    check_files_rendering(engine, files, &HashSet::new())
}

/// Checks `files`; those in `consumed` are read by a rendering, which judges
/// their objects, so they are checked as files only.
fn check_files_rendering(
    engine: &Engine,
    files: &[Discovered],
    consumed: &HashSet<&str>,
) -> Vec<FileOutcome> {
    files
        .par_iter()
        .map(|file| check_file(engine, file, consumed))
        .collect()
}

fn check_file(engine: &Engine, file: &Discovered, consumed: &HashSet<&str>) -> FileOutcome {
    if file.size > engine.config().max_file_size {
        return engine.too_large(&file.display, file.size);
    }
    match std::fs::read(file.path()) {
        Ok(bytes) if consumed.contains(file.display.as_str()) => {
            engine.check_consumed_bytes(&file.display, &bytes, file.kind)
        }
        Ok(bytes) => engine.check_bytes(&file.display, &bytes, file.kind),
        Err(err) => engine.skipped(
            &file.display,
            meta::UNREADABLE_FILE,
            format!("cannot read: {err}"),
        ),
    }
}

/// Files checked in parallel between two hand-overs to the report: enough
/// to keep every core busy, few enough that their findings are a small
/// buffer rather than the whole tree's.
const FILES_PER_BATCH: usize = 1024;

/// The roots that are whole projects, as displayed in paths: folders that
/// hold `.git`, or a README (a project checked out without its history, or
/// one of several in a monorepo). Only those are judged by the repository
/// pack, so `shipgate check k8s/` does not ask the manifests folder for a
/// LICENSE.
pub fn repository_roots(roots: &[PathBuf]) -> Vec<String> {
    const MARKERS: &[&str] = &[
        ".git",
        "README.md",
        "README",
        "README.rst",
        "README.txt",
        "README.adoc",
    ];
    roots
        .iter()
        .filter(|root| root.is_dir() && MARKERS.iter().any(|m| root.join(m).exists()))
        .map(|root| display_path(root))
        .collect()
}

/// What a scan is told beyond the engine's configuration.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// How Helm charts are rendered.
    pub helm: helm::HelmOptions,
}

/// Discovers, checks and reports: the whole static scan, held in memory.
/// Fails only when the temporary file of findings does.
pub fn scan(
    engine: &Engine,
    roots: &[PathBuf],
    baseline: Option<&HashSet<String>>,
) -> std::io::Result<Report> {
    scan_with(engine, roots, baseline, &ScanOptions::default())
}

/// [`scan`], told how to render what it finds.
pub fn scan_with(
    engine: &Engine,
    roots: &[PathBuf],
    baseline: Option<&HashSet<String>>,
    options: &ScanOptions,
) -> std::io::Result<Report> {
    scan_streaming(engine, roots, baseline, options).into_report()
}

/// The whole static scan, keeping each file's findings on disk from the
/// moment the file is checked, and the object summaries the cross-object
/// rules read until they run: memory holds neither for the whole tree.
pub fn scan_streaming(
    engine: &Engine,
    roots: &[PathBuf],
    baseline: Option<&HashSet<String>>,
    options: &ScanOptions,
) -> ScanReport {
    let (files, problems) = discover(roots);
    crds::register(engine, &files);
    let overlays = kustomize::render_overlays(roots, &files);
    // A file an overlay rendered is judged in the overlay; one whose overlay
    // could not be rendered at all is still judged on its own.
    let consumed: HashSet<&str> = overlays
        .iter()
        .filter(|o| !o.stream.documents.is_empty())
        .flat_map(|o| o.inputs.iter().map(String::as_str))
        .collect();
    let displayed_roots = roots.iter().map(|r| display_path(r)).collect();
    let mut builder = ReportBuilder::with_store(
        engine,
        displayed_roots,
        baseline,
        Box::new(summaries::SummarySpill::new()),
    );
    let mut spill = FindingSpill::new();
    // Files are discovered in path order and their findings lie in them, so
    // writing batch after batch keeps the spill in the report's order.
    for batch in files.chunks(FILES_PER_BATCH) {
        let outcomes = check_files_rendering(engine, batch, &consumed);
        for outcome in outcomes {
            spill.push(builder.add(outcome));
        }
    }
    // Renderings and walk problems report on any path: they stay in memory
    // and are merged into the order when the report is read.
    let rendered: Vec<FileOutcome> = overlays
        .par_iter()
        .flat_map_iter(|overlay| kustomize::check_overlay(engine, overlay))
        .collect();
    let kube_version = engine.config().kube_version.to_string();
    let charts = helm::render_charts(roots, &files, &options.helm, &kube_version);
    let charted: Vec<FileOutcome> = charts
        .par_iter()
        .flat_map_iter(|chart| helm::check_chart(engine, chart))
        .collect();
    let problems = problems
        .into_iter()
        .map(|p| engine.skipped(&p.display, meta::UNREADABLE_FILE, p.message));
    for outcome in rendered.into_iter().chain(charted).chain(problems) {
        let settled = builder.add(outcome);
        builder.keep(settled);
    }
    spill.seal(builder.finish())
}

pub mod helm;
pub mod history;
pub mod kustomize;

mod spill;
pub use spill::ScanReport;
mod summaries;

mod crds;
pub mod sandbox;

#[cfg(test)]
mod tests;
