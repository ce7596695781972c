//! The build context: everything beside a Dockerfile is sent to the builder
//! and one `COPY . .` away from the image, unless `.dockerignore` says no.

use globset::{GlobBuilder, GlobMatcher};
use shipgate_core::{Category, Example, RuleMeta, Severity, SourceSpan};

use super::{Entry, RepoView, first_line_span, join};
use crate::artifact::ArtifactKind;
use crate::sink::RepoSink;
use crate::{Check, RuleDef};

const DOCKERIGNORE_DOCS: &str =
    "https://docs.docker.com/build/concepts/context/#dockerignore-files";

/// `.dockerignore`, or BuildKit's per-Dockerfile `<name>.Dockerfile.dockerignore`.
pub(crate) fn is_dockerignore(name: &str) -> bool {
    name.ends_with(".dockerignore")
}

pub(super) const DOCKERIGNORE_MISSING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "repo/dockerignore-missing",
        title: "Dockerfiles have a .dockerignore beside them or at the root",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "Without a `.dockerignore`, the whole folder is sent to the builder: the \
            `.git` history, local `.env` files, credentials and build output. A `COPY . .` then \
            bakes them into a layer of an image that is pushed to a registry, where anyone who \
            can pull it can read them; it also makes builds slower and caches miss on every \
            commit.",
        remediation: "Add a `.dockerignore` next to the Dockerfile (or at the root, where the \
            build usually runs) that excludes at least the history and local secrets:\n\n\
            ```text\n.git\n.env*\n!.env.example\n**/node_modules\n**/__pycache__\n```",
        references: &[
            DOCKERIGNORE_DOCS,
            "https://docs.docker.com/build/building/best-practices/#exclude-with-dockerignore",
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "Dockerfile",
            content: "FROM python:3.12-slim\nCOPY . /app\nCMD [\"python\", \"/app/main.py\"]\n",
        },
        passing: Example {
            file: ".dockerignore",
            content: ".git\n.env*\n",
        },
    },
    check: Check::Repo(dockerignore_missing),
};

fn dockerignore_missing(view: &RepoView, sink: &mut RepoSink<'_>) {
    for repository in view.repositories() {
        for dockerfile in repository
            .files
            .iter()
            .filter(|e| e.file.kind == Some(ArtifactKind::Dockerfile))
        {
            let beside = join(dockerfile.dir(), ".dockerignore");
            let own = format!("{}.dockerignore", dockerfile.rel);
            if repository.has(&beside) || repository.has(&own) || repository.has(".dockerignore") {
                continue;
            }
            sink.at(
                &dockerfile.file.path,
                Some(SourceSpan::line(1)),
                dockerfile.rel,
                format!(
                    "no `.dockerignore` beside `{}` or at the repository root: the whole \
                     folder, `.git` and any `.env` included, is sent to the builder",
                    dockerfile.rel
                ),
            )
            .set_help("add a `.dockerignore` that excludes `.git` and `.env*`");
        }
    }
}

pub(super) const DOCKERIGNORE_INCOMPLETE: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "repo/dockerignore-incomplete",
        title: ".dockerignore excludes the git history and .env files",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "`.git` holds the full history, including secrets that were committed and \
            later removed, and `.env` files hold local credentials. A `.dockerignore` that does \
            not exclude them lets `COPY . .` put them into an image layer, where they stay even \
            if a later layer deletes them.",
        remediation: "Exclude both, and re-include templates explicitly:\n\n\
            ```text\n.git\n.env*\n!.env.example\n```",
        references: &[
            DOCKERIGNORE_DOCS,
            "https://docs.docker.com/build/building/best-practices/#exclude-with-dockerignore",
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: ".dockerignore",
            content: "node_modules\n",
        },
        passing: Example {
            file: ".dockerignore",
            content: "# history and local secrets\n/.git/\n**/.env*\n!.env.example\nnode_modules\n",
        },
    },
    check: Check::Repo(dockerignore_incomplete),
};

fn dockerignore_incomplete(view: &RepoView, sink: &mut RepoSink<'_>) {
    for repository in view.repositories() {
        for entry in repository
            .files
            .iter()
            .filter(|e| is_dockerignore(e.name()))
        {
            check_dockerignore(entry, sink);
        }
    }
}

fn check_dockerignore(entry: &Entry<'_>, sink: &mut RepoSink<'_>) {
    let Some(text) = entry.text() else {
        return;
    };
    let patterns = Patterns::parse(text);
    let mut missing = Vec::new();
    if !(patterns.excludes(".git") || patterns.excludes(".git/config")) {
        missing.push("`.git`");
    }
    if !(patterns.excludes(".env") && patterns.excludes(".env.production")) {
        missing.push("`.env*`");
    }
    if missing.is_empty() {
        return;
    }
    sink.at(
        &entry.file.path,
        Some(first_line_span(Some(text))),
        entry.rel,
        format!(
            "`{}` does not exclude {}: `COPY . .` puts {} into the image",
            entry.rel,
            missing.join(" or "),
            if missing.len() == 1 { "it" } else { "them" }
        ),
    )
    .set_help(format!("add {} to `{}`", missing.join(" and "), entry.rel));
}

/// The patterns of a `.dockerignore`, matched as Docker does: Go's
/// `filepath.Match` plus `**`, leading `/` ignored, a pattern that matches a
/// folder excludes what is inside, and the last matching line wins (`!`
/// re-includes).
struct Patterns {
    rules: Vec<(GlobMatcher, bool)>,
}

impl Patterns {
    fn parse(text: &str) -> Patterns {
        let rules = text
            .lines()
            .filter_map(|line| {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    return None;
                }
                let (include, pattern) = match line.strip_prefix('!') {
                    Some(rest) => (true, rest.trim()),
                    None => (false, line),
                };
                let pattern = pattern.trim_start_matches("./").trim_start_matches('/');
                let pattern = pattern.trim_end_matches('/');
                if pattern.is_empty() {
                    return None;
                }
                let glob = GlobBuilder::new(pattern)
                    .literal_separator(true)
                    .backslash_escape(true)
                    .build()
                    .ok()?;
                Some((glob.compile_matcher(), include))
            })
            .collect();
        Patterns { rules }
    }

    fn excludes(&self, path: &str) -> bool {
        let mut excluded = false;
        for (matcher, include) in &self.rules {
            let hit = ancestors(path).any(|p| matcher.is_match(p));
            if hit {
                excluded = !include;
            }
        }
        excluded
    }
}

/// `a/b/c`, then `a/b`, then `a`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(path), |p| p.rsplit_once('/').map(|(parent, _)| parent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_like_docker() {
        let p = Patterns::parse("/.git/\n.env*\n!.env.example\n");
        assert!(p.excludes(".git"));
        assert!(p.excludes(".git/config"));
        assert!(p.excludes(".env.production"));
        assert!(!p.excludes(".env.example"));
        let p = Patterns::parse("*\n!src\n");
        assert!(p.excludes(".git") && p.excludes(".env"));
        assert!(!p.excludes("src/main.py"));
        let p = Patterns::parse("**/.git\n.env\n");
        assert!(p.excludes(".git"));
        assert!(p.excludes(".env") && !p.excludes(".env.production"));
        let p = Patterns::parse(".git/**\n");
        assert!(p.excludes(".git/config"));
    }
}
