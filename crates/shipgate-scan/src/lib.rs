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

/// Walks `roots` and classifies every file by name, in the order of every
/// report ([`PathOrder`](shipgate_core::PathOrder)). A scan walks instead,
/// to hold no listing of the whole tree.
pub fn discover(roots: &[PathBuf]) -> (Vec<Discovered>, Vec<WalkProblem>) {
    let mut walk = Walk::new(roots);
    let found: Vec<Discovered> = walk.by_ref().collect();
    (found, walk.into_problems())
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

/// Walks `roots` on a thread of its own, handing the files to `take`
/// [`FILES_PER_BATCH`] at a time, so that the walk goes on while a batch is
/// checked and holds no more than the next batch. Returns what could not be
/// walked.
fn walk_in_batches(roots: &[PathBuf], mut take: impl FnMut(Vec<Discovered>)) -> Vec<WalkProblem> {
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
        let walker = scope.spawn(move || {
            let mut walk = Walk::new(roots);
            loop {
                let batch: Vec<Discovered> = walk.by_ref().take(FILES_PER_BATCH).collect();
                if batch.is_empty() || sender.send(batch).is_err() {
                    break;
                }
            }
            walk.into_problems()
        });
        for batch in receiver {
            take(batch);
        }
        // A walk that died must not read as a tree that ended there.
        walker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

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
    rayon::spawn(Engine::warm_up(crds::validated(engine)));
    // A first walk reads the CustomResourceDefinitions, since a custom
    // resource may come before its definition, and keeps the few files the
    // renderings are found from. A tree of one batch is kept whole and not
    // walked again.
    let mut listed = Vec::new();
    let mut workloads = shipgate_schema::WorkloadKinds::default();
    let mut one_batch = Some(Vec::new());
    let first_problems = walk_in_batches(roots, |batch| {
        workloads = workloads | crds::register(engine, &batch);
        listed.extend(
            batch
                .iter()
                .filter(|file| {
                    kustomize::is_kustomization(&file.display) || helm::lists(&file.display)
                })
                .cloned(),
        );
        one_batch = one_batch
            .take()
            .filter(|kept| kept.is_empty())
            .map(|_| batch);
    });
    engine.expect_workloads(workloads);
    let overlays = kustomize::render_overlays(roots, &listed);
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
    // The walk meets files in the report's order and their findings lie in
    // them, so writing batch after batch keeps the spill in that order.
    let mut check = |batch: &[Discovered]| {
        for outcome in check_files_rendering(engine, batch, &consumed) {
            spill.push(builder.add(outcome));
        }
    };
    let problems = match one_batch {
        Some(files) => {
            check(&files);
            first_problems
        }
        None => walk_in_batches(roots, |batch| check(&batch)),
    };
    // Renderings and walk problems report on any path: they stay in memory
    // and are merged into the order when the report is read.
    let rendered: Vec<FileOutcome> = overlays
        .par_iter()
        .flat_map_iter(|overlay| kustomize::check_overlay(engine, overlay))
        .collect();
    let kube_version = engine.config().kube_version.to_string();
    let charts = helm::render_charts(roots, &listed, &options.helm, &kube_version);
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
    let assembled = builder.finish_with(Some(&mut |settled| spill.push_unordered(settled)));
    spill.seal(assembled)
}

pub mod helm;
pub mod history;
pub mod kustomize;

mod spill;
pub use spill::ScanReport;
mod summaries;

mod crds;
pub mod sandbox;
mod walk;
use walk::Walk;

#[cfg(test)]
mod tests;
