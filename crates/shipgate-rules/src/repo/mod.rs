//! The repository pack: what a production repository holds besides its
//! deployment artifacts (LICENSE, SECURITY.md, lockfiles, ...).

use shipgate_core::Finding;

use crate::RuleDef;
use crate::artifact::ArtifactKind;
use crate::sink::RepoSink;

/// What the repository rules see: every checked file's path and kind, the
/// text of the few files they read (see [`wants_text`]), and which roots are
/// repositories (only those are judged as a whole).
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

pub const RULES: &[RuleDef] = &[];

/// Whether the repository rules need the text of `path`; kept small because
/// the texts stay in memory until the end of the run.
pub fn wants_text(path: &str) -> bool {
    let _ = path;
    false
}

pub(crate) fn run(rules: &[&'static RuleDef], view: &RepoView, findings: &mut Vec<Finding>) {
    for rule in rules {
        if let crate::Check::Repo(check) = rule.check {
            check(view, &mut RepoSink::new(&rule.meta, findings));
        }
    }
}
