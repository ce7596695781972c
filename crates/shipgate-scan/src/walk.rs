//! The walk of the scanned trees, one file at a time in canonical order.
//!
//! A scan checks files as the walk meets them and writes their findings out
//! at once, so the walk must meet them in the report's order, and must not
//! hold the listing of the whole tree: a tree of a million files would cost
//! a hundred megabytes of paths before anything is checked. Each folder is
//! read and sorted on its own, so memory follows the largest folder.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use shipgate_core::PathOrder;
use shipgate_rules::ArtifactKind;

use crate::{Discovered, SKIPPED_DIRS, WalkProblem, display_path};

/// The files under some roots, each classified, in [`PathOrder`] and without
/// repeats where roots overlap. Paths the walk could not enter are kept for
/// [`into_problems`](Self::into_problems).
pub(crate) struct Walk {
    trees: Vec<Tree>,
    /// Folders holding a `Chart.yaml`, as displayed with a trailing `/`.
    /// A folder's `Chart.yaml` comes before its `charts/`, `templates/` and
    /// `values*` files in the walk's order (`C` sorts before lowercase
    /// letters), so each file's chart is known when the file is met.
    charts: Vec<String>,
    last: Option<String>,
    problems: Vec<WalkProblem>,
}

struct Tree {
    walk: ignore::Walk,
    canonical_root: PathBuf,
    next: Option<Discovered>,
}

impl Walk {
    pub fn new(roots: &[PathBuf]) -> Self {
        let trees = roots
            .iter()
            .map(|root| Tree {
                walk: builder(root).build(),
                canonical_root: root.canonicalize().unwrap_or_else(|_| root.clone()),
                next: None,
            })
            .collect();
        Walk {
            trees,
            charts: Vec::new(),
            last: None,
            problems: Vec::new(),
        }
    }

    pub fn into_problems(self) -> Vec<WalkProblem> {
        self.problems
    }

    fn classify(&mut self, file: &mut Discovered) {
        let display = file.display.as_str();
        if let Some(dir) = display.strip_suffix("Chart.yaml")
            && (dir.is_empty() || dir.ends_with('/'))
            && !self.charts.iter().any(|chart| chart == dir)
        {
            self.charts.push(dir.to_owned());
        }
        let mut in_templates = false;
        let mut in_chart_root = false;
        for chart in &self.charts {
            if let Some(rest) = display.strip_prefix(chart.as_str()) {
                in_templates |= rest.starts_with("templates/") || rest.starts_with("charts/");
                in_chart_root |= !rest.contains('/');
            }
        }
        file.kind = ArtifactKind::from_path(display, in_templates);
        if in_chart_root && file.kind == ArtifactKind::Yaml {
            let name = display.rsplit('/').next().unwrap_or("");
            if name.starts_with("values") {
                file.kind = ArtifactKind::HelmValues;
            }
        }
    }
}

impl Iterator for Walk {
    type Item = Discovered;

    fn next(&mut self) -> Option<Discovered> {
        loop {
            for tree in &mut self.trees {
                // An ended walk keeps answering `None`.
                if tree.next.is_none() {
                    tree.next = tree.advance(&mut self.problems);
                }
            }
            let first = self
                .trees
                .iter()
                .enumerate()
                .filter_map(|(i, tree)| tree.next.as_ref().map(|file| (i, file)))
                .min_by(|(_, a), (_, b)| order(a, b))
                .map(|(i, _)| i)?;
            let mut file = self.trees[first].next.take()?;
            if self.trees.len() > 1 {
                // Overlapping roots meet a file once per root, one after the
                // other in the merged order.
                if self.last.as_deref() == Some(file.display.as_str()) {
                    continue;
                }
                self.last = Some(file.display.clone());
            }
            self.classify(&mut file);
            return Some(file);
        }
    }
}

fn order(a: &Discovered, b: &Discovered) -> Ordering {
    PathOrder(&a.display).cmp(&PathOrder(&b.display))
}

impl Tree {
    /// The next file of this root, noting what cannot be walked.
    fn advance(&mut self, problems: &mut Vec<WalkProblem>) -> Option<Discovered> {
        for entry in self.walk.by_ref() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    problems.push(WalkProblem {
                        display: err_path(&err).map_or_else(String::new, |p| display_path(&p)),
                        message: err.to_string(),
                    });
                    continue;
                }
            };
            let Some(file_type) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if file_type.is_symlink() {
                // A link is read only when it stays inside the tree and
                // points at a regular file.
                match path.canonicalize() {
                    Ok(target) if target.starts_with(&self.canonical_root) && target.is_file() => {}
                    Ok(_) => continue,
                    Err(err) => {
                        problems.push(WalkProblem {
                            display: display_path(path),
                            message: format!("cannot follow symbolic link: {err}"),
                        });
                        continue;
                    }
                }
            } else if !file_type.is_file() {
                continue;
            }
            let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            let display = display_path(path);
            return Some(Discovered::new(
                entry.into_path(),
                display,
                ArtifactKind::Text,
                size,
            ));
        }
        None
    }
}

fn builder(root: &Path) -> ignore::WalkBuilder {
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .hidden(false)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(false)
        .require_git(false)
        .follow_links(false)
        .add_custom_ignore_filename(".shipgateignore")
        // Byte order of names within each folder is `PathOrder` over the
        // whole path.
        .sort_by_file_name(|a, b| a.as_encoded_bytes().cmp(b.as_encoded_bytes()))
        .filter_entry(|entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            !(is_dir
                && entry.depth() > 0
                && SKIPPED_DIRS.contains(&entry.file_name().to_string_lossy().as_ref()))
        });
    builder
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
