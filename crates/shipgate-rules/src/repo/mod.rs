//! The repository pack: what a production repository holds besides its
//! deployment artifacts (LICENSE, SECURITY.md, lockfiles, ...).
//!
//! Rules see the paths of the files they may ask for, and the text of the
//! few files they read. Only the scan roots that are repositories (they hold `.git`) are
//! judged: checking `k8s/` alone must not complain about a missing LICENSE.

mod community;
mod dependencies;
mod docker;
mod env;
mod json;
mod license;

use shipgate_core::{Finding, SourceSpan};
use shipgate_syntax::LineIndex;

use crate::RuleDef;
use crate::artifact::ArtifactKind;
use crate::sink::RepoSink;

/// What the repository rules see: the path and kind of every checked file
/// they may ask for (see [`lists`]), the text of the few they read (see
/// [`wants_text`]), and which roots are repositories (only those are judged
/// as a whole).
pub struct RepoView {
    pub repository_roots: Vec<String>,
    pub files: Vec<RepoFile>,
}

pub struct RepoFile {
    pub path: String,
    pub kind: Option<ArtifactKind>,
    pub text: Option<String>,
}

pub type CheckFn = fn(&RepoView, &mut RepoSink<'_>);

pub const RULES: &[RuleDef] = &[
    community::LICENSE_MISSING,
    community::LICENSE_UNRECOGNISED,
    community::README_MISSING,
    community::SECURITY_POLICY_MISSING,
    community::CHANGELOG_MISSING,
    community::CODEOWNERS_MISSING,
    docker::DOCKERIGNORE_MISSING,
    docker::DOCKERIGNORE_INCOMPLETE,
    env::ENV_FILE_COMMITTED,
    dependencies::LOCKFILE_MISSING,
    dependencies::CARGO_LOCK_MISSING,
    dependencies::DEPENDENCY_UNPINNED,
];

pub(crate) const SCORECARD: &str = "https://github.com/ossf/scorecard/blob/main/docs/checks.md";
pub(crate) const COMMUNITY_FILES: &str = "https://docs.github.com/en/communities/setting-up-your-project-for-healthy-contributions/creating-a-default-community-health-file";

/// Whether the repository rules need the text of `path`; kept small because
/// the texts stay in memory until the end of the run.
pub fn wants_text(path: &str) -> bool {
    let name = file_name(path);
    license::is_license_file(name)
        || docker::is_dockerignore(name)
        || env::is_env_file(name)
        || dependencies::wants_text(path, name)
        || crate::helm::wants_text(path)
}

/// Whether a repository or Helm rule may ask for the file at `path`. The
/// view lists only those: a listing of every file of a large tree would
/// grow with it, and nothing else reads it.
pub fn lists(path: &str, kind: Option<ArtifactKind>) -> bool {
    let name = file_name(path);
    matches!(
        kind,
        Some(ArtifactKind::Dockerfile | ArtifactKind::HelmChart)
    ) || community::lists(path, name)
        || dependencies::lists(path, name)
        || docker::is_dockerignore(name)
        || env::is_env_file(name)
        || crate::helm::lists(name)
}

pub(crate) fn run(rules: &[&'static RuleDef], view: &RepoView, findings: &mut Vec<Finding>) {
    if view.repository_roots.is_empty() {
        return;
    }
    for rule in rules {
        if let crate::Check::Repo(check) = rule.check {
            check(view, &mut RepoSink::new(&rule.meta, findings));
        }
    }
}

/// One repository root and the files under it, with paths relative to it.
pub(crate) struct Repository<'a> {
    /// How findings about the repository as a whole name it.
    pub root: &'a str,
    pub files: Vec<Entry<'a>>,
}

#[derive(Clone, Copy)]
pub(crate) struct Entry<'a> {
    /// Path relative to the repository root, `/`-separated.
    pub rel: &'a str,
    pub file: &'a RepoFile,
}

impl<'a> Entry<'a> {
    pub fn name(&self) -> &'a str {
        file_name(self.rel)
    }

    /// The folder holding the file, relative to the root (`""` at the root).
    pub fn dir(&self) -> &'a str {
        self.rel.rsplit_once('/').map_or("", |(dir, _)| dir)
    }

    pub fn text(&self) -> Option<&'a str> {
        self.file.text.as_deref()
    }
}

impl<'a> Repository<'a> {
    pub fn entry(&self, rel: &str) -> Option<Entry<'a>> {
        self.files.iter().copied().find(|e| e.rel == rel)
    }

    pub fn has(&self, rel: &str) -> bool {
        self.entry(rel).is_some()
    }

    /// Whether `dir` or one of its ancestors up to the root holds any of `names`.
    pub fn in_dir_or_above(&self, dir: &str, names: &[&str]) -> bool {
        let mut dir = dir;
        loop {
            if names.iter().any(|name| self.has(&join(dir, name))) {
                return true;
            }
            if dir.is_empty() {
                return false;
            }
            dir = dir.rsplit_once('/').map_or("", |(parent, _)| parent);
        }
    }
}

impl RepoView {
    /// Each repository root with the files under it. A file under two
    /// nested roots belongs to the innermost one.
    pub(crate) fn repositories(&self) -> Vec<Repository<'_>> {
        let mut repositories: Vec<Repository<'_>> = self
            .repository_roots
            .iter()
            .map(|root| Repository {
                root: if root.is_empty() { "." } else { root.as_str() },
                files: Vec::new(),
            })
            .collect();
        for file in &self.files {
            let best = self
                .repository_roots
                .iter()
                .enumerate()
                .filter_map(|(i, root)| relative(root, &file.path).map(|rel| (i, rel)))
                .min_by_key(|(_, rel)| rel.len());
            if let Some((i, rel)) = best
                && let Some(repository) = repositories.get_mut(i)
            {
                repository.files.push(Entry { rel, file });
            }
        }
        repositories
    }
}

/// `path` relative to `root`, if it lies under it. The root `.` (or the
/// empty root of `./`) holds every relative path, since paths are shown
/// relative to the working directory.
fn relative<'p>(root: &str, path: &'p str) -> Option<&'p str> {
    let root = root.strip_prefix("./").unwrap_or(root);
    if root.is_empty() || root == "." {
        // Absolute paths (including `C:/...`) come from other roots.
        let outside = path.starts_with('/')
            || path.starts_with("../")
            || path.as_bytes().get(1) == Some(&b':');
        return (!outside).then(|| path.strip_prefix("./").unwrap_or(path));
    }
    let root = root.trim_end_matches('/');
    if root.is_empty() {
        // The filesystem root itself.
        return path.strip_prefix('/');
    }
    path.strip_prefix(root)?
        .strip_prefix('/')
        .filter(|rel| !rel.is_empty())
}

pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

pub(crate) fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// The span of a line of `text`, without its line break; `None` past the end.
pub(crate) fn line_span(text: &str, lines: &LineIndex, line: u32) -> Option<SourceSpan> {
    let (start, end) = lines.line_range(text, line)?;
    Some(lines.span(text, u32::try_from(start).ok()?, u32::try_from(end).ok()?))
}

/// The span of the first non-blank line, or line 1 when the text is unknown
/// or blank: where to point when a whole file is at fault.
pub(crate) fn first_line_span(text: Option<&str>) -> SourceSpan {
    let Some(text) = text else {
        return SourceSpan::line(1);
    };
    let lines = LineIndex::new(text);
    (1..=lines.line_count() as u32)
        .find(|l| {
            lines
                .line_text(text, *l)
                .is_some_and(|t| !t.trim().is_empty())
        })
        .and_then(|l| line_span(text, &lines, l))
        .unwrap_or_else(|| SourceSpan::line(1))
}

/// The span of `range` in `text`.
pub(crate) fn byte_span(text: &str, lines: &LineIndex, start: usize, end: usize) -> SourceSpan {
    let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    lines.span(text, clamp(start), clamp(end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_hold_their_paths() {
        assert_eq!(relative(".", "README.md"), Some("README.md"));
        assert_eq!(relative("", "k8s/a.yaml"), Some("k8s/a.yaml"));
        assert_eq!(relative(".", "/abs/README.md"), None);
        assert_eq!(relative("shop", "shop/README.md"), Some("README.md"));
        assert_eq!(relative("shop/", "shop/README.md"), Some("README.md"));
        assert_eq!(relative("shop", "shopping/README.md"), None);
        assert_eq!(relative("/", "/README.md"), Some("README.md"));
    }

    #[test]
    fn a_file_belongs_to_its_innermost_repository() {
        let file = |path: &str| RepoFile {
            path: path.into(),
            kind: None,
            text: None,
        };
        let view = RepoView {
            repository_roots: vec![".".into(), "vendor/lib".into()],
            files: vec![file("README.md"), file("vendor/lib/README.md")],
        };
        let repos = view.repositories();
        assert_eq!(repos[0].files.len(), 1);
        assert_eq!(repos[1].files[0].rel, "README.md");
    }

    #[test]
    fn the_view_lists_what_rules_ask_for_and_nothing_else() {
        let listed = [
            ("LICENSE", None),
            ("docs/SECURITY.md", None),
            (".github/CODEOWNERS", None),
            ("svc/CHANGES.rst", None),
            ("changes/123.feature", None),
            ("svc/.changeset/brave-cats.md", None),
            ("svc/.dockerignore", None),
            ("svc/Dockerfile.dockerignore", None),
            ("deploy/.env.production", None),
            ("web/package.json", None),
            ("web/pnpm-lock.yaml", None),
            ("tools/Cargo.lock", None),
            ("tools/src/main.rs", None),
            ("src/bin/migrate.rs", None),
            ("requirements/prod.txt", None),
            ("charts/web/values.schema.json", None),
            ("charts/web/Chart.lock", None),
            ("build/api.containerfile", Some(ArtifactKind::Dockerfile)),
            ("charts/web/Chart.yaml", Some(ArtifactKind::HelmChart)),
        ];
        for (path, kind) in listed {
            assert!(lists(path, kind), "{path} must be listed");
        }
        let unlisted = [
            ("k8s/api.yaml", Some(ArtifactKind::Kubernetes)),
            ("src/lib.rs", None),
            ("docs/guide.md", None),
            ("notes/changes-to-make.txt", None),
            (
                "charts/web/templates/deployment.yaml",
                Some(ArtifactKind::HelmTemplate),
            ),
        ];
        for (path, kind) in unlisted {
            assert!(!lists(path, kind), "{path} must not be listed");
        }
    }
}
