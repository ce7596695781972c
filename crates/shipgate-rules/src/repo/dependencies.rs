//! Reproducible dependencies: a lockfile for every package manager in use,
//! and exact versions where the ecosystem has no lockfile of its own.

use std::ops::Range;

use shipgate_core::{Category, Example, RuleMeta, Severity, SourceSpan};
use shipgate_syntax::LineIndex;

use super::json::{self, Json};
use super::{Entry, RepoView, Repository, SCORECARD, byte_span, join, line_span};
use crate::sink::RepoSink;
use crate::{Check, RuleDef};

const PINNED_DEPENDENCIES: &str =
    "https://github.com/ossf/scorecard/blob/main/docs/checks.md#pinned-dependencies";

pub(crate) fn wants_text(path: &str, name: &str) -> bool {
    matches!(
        name,
        "package.json" | "pyproject.toml" | "go.mod" | "Cargo.toml"
    ) || is_requirements(path, name)
}

/// Whether the rules of this module may look for the file at `path`: the
/// manifests they read, the lockfiles that satisfy them, and what makes a
/// Rust package a binary.
pub(super) fn lists(path: &str, name: &str) -> bool {
    wants_text(path, name)
        || NODE_LOCKS.contains(&name)
        || PYTHON_LOCKS.contains(&name)
        || matches!(
            name,
            "Cargo.lock"
                | "go.sum"
                | "Pipfile"
                | "Pipfile.lock"
                | "Gemfile"
                | "Gemfile.lock"
                | "gems.rb"
                | "gems.locked"
                | "composer.json"
                | "composer.lock"
        )
        || path == "src/main.rs"
        || path.ends_with("/src/main.rs")
        || path.starts_with("src/bin/")
        || path.contains("/src/bin/")
}

/// `requirements.txt`, `requirements-dev.txt`, `requirements/prod.txt`.
fn is_requirements(path: &str, name: &str) -> bool {
    // Called for every file of the tree: compare in place, allocate nothing.
    let starts = |s: &str, prefix: &str| {
        s.get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    };
    let is_txt = name.len() > 4
        && name
            .get(name.len() - 4..)
            .is_some_and(|e| e.eq_ignore_ascii_case(".txt"));
    if !is_txt {
        return false;
    }
    let parent = path.rsplit('/').nth(1).unwrap_or("");
    starts(name, "requirements") || parent.eq_ignore_ascii_case("requirements")
}

/// npm and its successors all read `package.json`; any of their lockfiles will do.
const NODE_LOCKS: &[&str] = &[
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lock",
    "bun.lockb",
];
const PYTHON_LOCKS: &[&str] = &["poetry.lock", "uv.lock", "pdm.lock", "pylock.toml"];

pub(super) const LOCKFILE_MISSING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "repo/lockfile-missing",
        title: "Every package manifest has its lockfile committed",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "A manifest names ranges (`^4.18`, `>=2`); the lockfile records the exact \
            versions and checksums that were tested. Without it every install, including the \
            one in the image build, resolves anew: a release of any transitive dependency can \
            change or break production between two builds of the same commit, and a \
            compromised release is pulled in automatically.",
        remediation: "Generate the lockfile with the project's package manager, commit it, and \
            install from it in CI and Dockerfiles:\n\n\
            ```sh\nnpm install && git add package-lock.json   # then `npm ci` in builds\n\
            poetry lock / uv lock / go mod tidy / bundle lock / composer update --lock\n```",
        references: &[
            "https://docs.npmjs.com/cli/v10/configuring-npm/package-lock-json",
            "https://go.dev/ref/mod#go-sum-files",
            "https://bundler.io/guides/rationale.html#checking-your-code-into-version-control",
            PINNED_DEPENDENCIES,
            SCORECARD,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "package.json",
            content: "{\n  \"name\": \"orders-web\",\n  \"dependencies\": {\n    \"express\": \"^4.21.0\"\n  }\n}\n",
        },
        passing: Example {
            file: "package.json",
            content: "{\n  \"name\": \"orders-tools\",\n  \"private\": true,\n  \"scripts\": {\n    \"fmt\": \"prettier --write .\"\n  }\n}\n",
        },
    },
    check: Check::Repo(lockfile_missing),
};

fn lockfile_missing(view: &RepoView, sink: &mut RepoSink<'_>) {
    for repository in view.repositories() {
        for entry in &repository.files {
            let Some((span, locks)) = needs_lock(&repository, entry) else {
                continue;
            };
            if repository.in_dir_or_above(entry.dir(), locks) {
                continue;
            }
            sink.at(
                &entry.file.path,
                Some(span),
                entry.rel,
                format!(
                    "`{}` declares dependencies but no lockfile ({}) is committed: every \
                     install resolves versions anew",
                    entry.rel,
                    locks.join(", ")
                ),
            )
            .set_help("generate the lockfile, commit it, and install from it in builds");
        }
    }
}

/// Whether a file is a manifest that needs a lockfile: where to point, and
/// which lockfiles would satisfy it.
fn needs_lock(
    repository: &Repository<'_>,
    entry: &Entry<'_>,
) -> Option<(SourceSpan, &'static [&'static str])> {
    let same_dir = |lock: &str| repository.has(&join(entry.dir(), lock));
    match entry.name() {
        "package.json" => {
            let text = entry.text()?;
            let manifest = json::parse(text)?;
            let declared = ["dependencies", "devDependencies", "optionalDependencies"]
                .iter()
                .filter_map(|key| manifest.get(key))
                .find(|m| !m.value.members().is_empty())?;
            let lines = LineIndex::new(text);
            let span = byte_span(
                text,
                &lines,
                declared.key_range.start,
                declared.key_range.end,
            );
            Some((span, NODE_LOCKS))
        }
        "pyproject.toml" => {
            // Only a tool that locks says a lockfile is expected; plain
            // `[project]` metadata may be a library installed by others.
            let text = entry.text()?;
            let line = find_line(text, |l| {
                ["[tool.poetry", "[tool.uv", "[tool.pdm"]
                    .iter()
                    .any(|s| l.starts_with(s))
            })?;
            Some((line_or_first(text, line), PYTHON_LOCKS))
        }
        "Pipfile" if !same_dir("Pipfile.lock") => Some((SourceSpan::line(1), &["Pipfile.lock"])),
        "go.mod" => {
            // A module without requirements has nothing to sum.
            let text = entry.text()?;
            let line = find_line(text, |l| l.starts_with("require"))?;
            Some((line_or_first(text, line), &["go.sum"]))
        }
        "Gemfile" if !same_dir("Gemfile.lock") => Some((SourceSpan::line(1), &["Gemfile.lock"])),
        "gems.rb" if !same_dir("gems.locked") => Some((SourceSpan::line(1), &["gems.locked"])),
        "composer.json" if !same_dir("composer.lock") => {
            Some((SourceSpan::line(1), &["composer.lock"]))
        }
        _ => None,
    }
}

/// The 1-based number of the first line whose trimmed text satisfies `test`.
fn find_line(text: &str, test: impl Fn(&str) -> bool) -> Option<u32> {
    text.lines()
        .position(|l| test(l.trim()))
        .and_then(|i| u32::try_from(i + 1).ok())
}

fn line_or_first(text: &str, line: u32) -> SourceSpan {
    line_span(text, &LineIndex::new(text), line).unwrap_or_else(|| SourceSpan::line(line))
}

pub(super) const CARGO_LOCK_MISSING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "repo/cargo-lock-missing",
        title: "Rust binaries have Cargo.lock committed",
        severity: Severity::Info,
        category: Category::Reliability,
        rationale: "`Cargo.lock` records the exact version of every crate a binary was tested \
            with. Without it, each `cargo build` in CI or in the image build may pick newer \
            semver-compatible releases, so the same commit can build a different program. \
            Cargo has recommended committing it for binaries from the start, and since 2023 \
            for every package; this rule asks it of binaries only.",
        remediation: "Commit the lockfile and build with it:\n\n\
            ```sh\ncargo generate-lockfile && git add Cargo.lock\ncargo build --locked --release\n```",
        references: &[
            "https://doc.rust-lang.org/cargo/faq.html#why-have-cargolock-in-version-control",
            "https://doc.rust-lang.org/cargo/guide/cargo-toml-vs-cargo-lock.html",
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "Cargo.toml",
            content: "[package]\nname = \"orders\"\nversion = \"1.0.0\"\nedition = \"2024\"\n\n\
                [[bin]]\nname = \"orders\"\npath = \"src/main.rs\"\n",
        },
        passing: Example {
            file: "Cargo.toml",
            content: "[package]\nname = \"orders-model\"\nversion = \"1.0.0\"\nedition = \"2024\"\n\n\
                [lib]\npath = \"src/lib.rs\"\n",
        },
    },
    check: Check::Repo(cargo_lock_missing),
};

fn cargo_lock_missing(view: &RepoView, sink: &mut RepoSink<'_>) {
    for repository in view.repositories() {
        for entry in repository.files.iter().filter(|e| e.name() == "Cargo.toml") {
            let Some(text) = entry.text() else {
                continue;
            };
            let dir = entry.dir();
            let bin_target = find_line(text, |l| l.starts_with("[[bin]]"));
            let main = repository.has(&join(dir, "src/main.rs"));
            let bin_dir = join(dir, "src/bin/");
            let bins = repository.files.iter().any(|e| e.rel.starts_with(&bin_dir));
            if bin_target.is_none() && !main && !bins {
                continue;
            }
            if repository.in_dir_or_above(dir, &["Cargo.lock"]) {
                continue;
            }
            let line = bin_target
                .or_else(|| find_line(text, |l| l.starts_with("[package]")))
                .unwrap_or(1);
            sink.at(
                &entry.file.path,
                Some(line_or_first(text, line)),
                entry.rel,
                format!(
                    "`{}` builds a binary but no Cargo.lock is committed: each build may pick \
                     different crate versions",
                    entry.rel
                ),
            )
            .set_help("commit Cargo.lock and build with `--locked`");
        }
    }
}

pub(super) const DEPENDENCY_UNPINNED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "repo/dependency-unpinned",
        title: "Requirements files pin exact versions and package.json names real ranges",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "pip installs the newest release that satisfies a requirements file, and a \
            requirements file is often the only lock a Python service has: `flask>=2` is a \
            different program every month, and a hijacked release is installed on the next \
            build. In package.json, `*` and `latest` accept the next major version, breaking \
            changes included, whenever the lockfile is regenerated.",
        remediation: "Pin exact versions, ideally with hashes, generated from a loose input \
            file by pip-tools or uv:\n\n\
            ```sh\nuv pip compile requirements.in --generate-hashes -o requirements.txt\n```\n\n\
            ```text\nflask==3.0.3 \\\n    --hash=sha256:34e815dfaa43340d1d15a5c3a02b8476004037eb4840b34910c6e21679d288f3\n```\n\n\
            In package.json, give a range such as `^4.21.0` and commit the lockfile.",
        references: &[
            "https://pip.pypa.io/en/stable/topics/repeatable-installs/",
            "https://pip.pypa.io/en/stable/topics/secure-installs/",
            "https://docs.npmjs.com/cli/v10/configuring-npm/package-json#dependencies",
            PINNED_DEPENDENCIES,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "requirements.txt",
            content: "flask>=2\ngunicorn==23.0.0\n",
        },
        passing: Example {
            file: "requirements.txt",
            content: "# generated by uv pip compile\nflask==3.0.3 \\\n    \
                --hash=sha256:34e815dfaa43340d1d15a5c3a02b8476004037eb4840b34910c6e21679d288f3\n\
                gunicorn==23.0.0\n-r requirements-base.txt\n",
        },
    },
    check: Check::Repo(dependency_unpinned),
};

fn dependency_unpinned(view: &RepoView, sink: &mut RepoSink<'_>) {
    for repository in view.repositories() {
        for entry in &repository.files {
            let Some(text) = entry.text() else {
                continue;
            };
            let problems = if is_requirements(entry.rel, entry.name()) {
                unpinned_requirements(text)
            } else if entry.name() == "package.json" {
                unbounded_node_dependencies(text)
            } else {
                continue;
            };
            if problems.is_empty() {
                continue;
            }
            let lines = LineIndex::new(text);
            for (name, range, message) in problems {
                sink.at(
                    &entry.file.path,
                    Some(byte_span(text, &lines, range.start, range.end)),
                    format!("{} > {name}", entry.rel),
                    message,
                )
                .set_help("pin an exact version (`==`), ideally with `--hash`");
            }
        }
    }
}

/// Requirement lines without an exact version, as (name, range, message).
fn unpinned_requirements(text: &str) -> Vec<(String, Range<usize>, String)> {
    let mut problems = Vec::new();
    let mut offset = 0;
    // A logical line may continue over several physical lines with `\`;
    // its hashes are usually on the continuation lines.
    let mut pending: Option<(Range<usize>, String)> = None;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let (body, continues) = match content.strip_suffix('\\') {
            Some(body) => (body, true),
            None => (content, false),
        };
        let (range, mut logical) = match pending.take() {
            Some((range, logical)) => (range, logical),
            None => {
                let lead = body.len() - body.trim_start().len();
                let requirement = requirement_part(body.trim_start());
                (
                    start + lead..start + lead + requirement.len(),
                    String::new(),
                )
            }
        };
        logical.push(' ');
        logical.push_str(strip_comment(body));
        if continues {
            pending = Some((range, logical));
            continue;
        }
        if let Some((name, message)) = judge_requirement(logical.trim()) {
            problems.push((name, range, message));
        }
    }
    if let Some((range, logical)) = pending
        && let Some((name, message)) = judge_requirement(logical.trim())
    {
        problems.push((name, range, message));
    }
    problems
}

/// A comment starts at `#` at the start of a line or after whitespace
/// (`#` inside a URL fragment such as `#egg=` is not one).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    let at = (0..bytes.len())
        .find(|&i| bytes[i] == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()));
    at.map_or(line, |i| &line[..i])
}

/// The requirement itself, without options, markers or comment: what to point at.
fn requirement_part(line: &str) -> &str {
    let line = strip_comment(line);
    let end = line.find(" --").unwrap_or(line.len());
    line[..end].trim_end()
}

/// Why a requirement line is not pinned, as (package name, message); `None`
/// when it is pinned or not a requirement.
fn judge_requirement(logical: &str) -> Option<(String, String)> {
    if logical.is_empty() || logical.starts_with('-') {
        // Options: `-r other.txt`, `-c`, `-e`, `--index-url`...
        return None;
    }
    let requirement = logical.split(" --").next().unwrap_or(logical).trim();
    let spec = requirement.split(';').next().unwrap_or(requirement).trim();
    let name_end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let name = &spec[..name_end];
    if name.is_empty() {
        // A bare path or URL: nothing to pin by version.
        return None;
    }
    if let Some((_, url)) = spec.split_once('@') {
        let url = url.trim();
        // A direct reference is as fixed as what it names: a file or a commit.
        let vcs = url.starts_with("git+") || url.starts_with("hg+");
        let commit = url
            .rsplit_once('@')
            .is_some_and(|(_, r)| r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit()));
        if !vcs || commit {
            return None;
        }
        return Some((
            name.to_owned(),
            format!("`{name}` follows a branch or tag of a repository; pin a commit"),
        ));
    }
    if logical.contains("--hash") {
        return None;
    }
    let exact = spec.contains("===")
        || spec
            .split_once("==")
            .is_some_and(|(_, version)| !version.trim().ends_with('*'));
    if exact {
        return None;
    }
    let constraint = spec[name_end..].trim();
    let message = if constraint.is_empty()
        || (constraint.starts_with('[') && !constraint.contains(['=', '<', '>', '~']))
    {
        format!("`{name}` has no version: every install takes the newest release")
    } else {
        format!("`{spec}` is a range, not an exact version: every install may take a newer release")
    };
    Some((name.to_owned(), message))
}

/// package.json dependencies that accept any version at all.
fn unbounded_node_dependencies(text: &str) -> Vec<(String, Range<usize>, String)> {
    let Some(manifest) = json::parse(text) else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    // `peerDependencies: "*"` is how a plugin says "whatever the host has".
    for section in ["dependencies", "devDependencies", "optionalDependencies"] {
        let Some(deps) = manifest.get(section) else {
            continue;
        };
        for member in deps.value.members() {
            let Json::String(version, range) = &member.value else {
                continue;
            };
            let version = version.trim();
            if matches!(version, "*" | "latest" | "" | "x" | "X" | "next") {
                problems.push((
                    member.key.clone(),
                    range.clone(),
                    format!(
                        "`{}` in `{section}` accepts any version (`{}`): the next major \
                         release is installed when the lockfile is regenerated",
                        member.key,
                        if version.is_empty() { "\"\"" } else { version }
                    ),
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        unpinned_requirements(text)
            .into_iter()
            .map(|(name, range, _)| format!("{name}@{}", &text[range]))
            .collect()
    }

    #[test]
    fn judges_requirement_lines() {
        let text = "# top\nflask>=2  # web\nrequests\ngunicorn==23.0.0\nuvicorn[standard]==0.30.1\n\
                    django==5.*\nnumpy==2.0.0 ; python_version >= '3.10'\n-r base.txt\n--index-url https://x\n\
                    pkg @ https://example.com/pkg-1.0.whl\nlib @ git+https://github.com/o/lib@main\n\
                    attrs \\\n    --hash=sha256:abc\n";
        assert_eq!(
            names(text),
            [
                "flask@flask>=2",
                "requests@requests",
                "django@django==5.*",
                "lib@lib @ git+https://github.com/o/lib@main"
            ]
        );
    }

    #[test]
    fn finds_unbounded_node_dependencies() {
        let text = "{\"dependencies\": {\"a\": \"*\", \"b\": \"^1.0.0\"}, \"devDependencies\": {\"c\": \"latest\"}, \"peerDependencies\": {\"d\": \"*\"}}";
        let found: Vec<String> = unbounded_node_dependencies(text)
            .into_iter()
            .map(|(name, range, _)| format!("{name}={}", &text[range]))
            .collect();
        assert_eq!(found, ["a=\"*\"", "c=\"latest\""]);
    }
}
