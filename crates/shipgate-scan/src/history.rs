//! History: the lines every commit added, searched for credentials.
//!
//! A credential deleted from the tree is still in every clone, fork and
//! backup, so the files on disk are not enough: each commit of a range is
//! compared with its parent and only the lines it added are searched. A
//! finding names the commit, its author date, the path and the line as that
//! commit has them, so it can be rotated and traced without a checkout.
//!
//! The repository's objects are read with gix: nothing of the repository is
//! run, no `git` process is started, and its configuration can name no
//! program that this code would start.
//!
//! Semantics, as `git log` users expect them:
//! - a range is what `git log RANGE` lists: `A..B`, `A...B`, a single
//!   revision (everything reachable from it), `A^!`, `A^@`;
//! - every commit is compared with its first parent, a root commit with the
//!   empty tree, a commit whose parent is missing (a shallow clone's
//!   boundary) too;
//! - a merge commit adds only the lines that are new against every parent
//!   (what `git log --cc` shows): a line a merged branch brought in is
//!   reported once, at the commit on that branch that wrote it, and a line
//!   written while resolving the merge is reported at the merge;
//! - a file moved unchanged adds nothing.

use std::collections::{HashMap, HashSet};
use std::path::{Component, PathBuf};

use gix::ObjectId;
use gix::bstr::{BStr, ByteSlice};
use gix::diff::tree::recorder::Change;
use rayon::prelude::*;
use shipgate_core::{FileStats, Finding, Location, Report, Revision, SourceSpan};
use shipgate_rules::{ArtifactKind, Engine, FileOutcome};

/// The one rule of the pack that reads a manifest whole: a Secret's `data`
/// is base64 and is decoded before it is searched, which needs the YAML tree.
const SECRET_VALUE: &str = "secrets/kubernetes-secret-value";

/// Decoded objects kept per thread: consecutive commits share most of their
/// trees, so a small cache saves most object reads of the tree diffs.
const OBJECT_CACHE: usize = 16 * 1024 * 1024;

/// Searches the lines added by every commit of `range` (everything
/// reachable from `HEAD` when `None`) for credentials, in the repository
/// holding the first of `roots`, limited to the paths under `roots`.
///
/// Only the secrets rules the engine enables run; an error names what the
/// user must change (no repository, an unknown revision).
pub fn scan_history(
    engine: &Engine,
    roots: &[PathBuf],
    range: Option<&str>,
    baseline: Option<&HashSet<String>>,
) -> Result<Report, String> {
    let first = roots.first().ok_or("no path to find a repository from")?;
    let secrets: Vec<&str> = shipgate_rules::secrets::RULES
        .iter()
        .map(|rule| rule.meta.id)
        .filter(|id| engine.is_enabled(id))
        .collect();
    if secrets.is_empty() {
        return Err(
            "--history searches for credentials, and the rules selected hold no secrets rule \
             (try --select secrets)"
                .into(),
        );
    }
    let repo = gix::ThreadSafeRepository::discover(first).map_err(|err| {
        format!(
            "{}: not inside a git repository, so it has no history to check ({err})",
            first.display()
        )
    })?;
    let local = repo.to_thread_local();
    let scopes = Scopes::new(&local, roots)?;
    let (tips, hidden) = match range {
        Some(spec) => resolve(&local, spec)?,
        None => match local.head_id() {
            Ok(id) => (vec![id.detach()], Vec::new()),
            // A repository without a commit yet has no history to search.
            Err(_) if local.head().is_ok_and(|head| head.is_unborn()) => (Vec::new(), Vec::new()),
            Err(err) => return Err(format!("cannot resolve HEAD: {err}")),
        },
    };
    let commits = walk(&local, tips, hidden)?;
    drop(local);

    let secret_value = if engine.is_enabled(SECRET_VALUE) {
        let mut config = engine.config().clone();
        config.select = vec![SECRET_VALUE.to_owned()];
        config.ignore = Vec::new();
        config.severities = Vec::new();
        config.repository_roots = Vec::new();
        Some(Engine::new(config)?)
    } else {
        None
    };

    // Which files each commit changed, and how: the tree diffs.
    let changed: Vec<Result<(Revision, Vec<Job>), String>> = commits
        .par_iter()
        .map_init(
            || thread_repo(&repo),
            |local, id| commit_changes(local, *id, &scopes),
        )
        .collect();
    let mut revisions = Vec::with_capacity(changed.len());
    let mut jobs: Vec<Job> = Vec::new();
    let mut job_of: HashMap<Job, usize> = HashMap::new();
    // (commit, job) for every file a commit changed.
    let mut changes: Vec<(usize, usize)> = Vec::new();
    for (index, result) in changed.into_iter().enumerate() {
        let (revision, changed) = result?;
        revisions.push(revision);
        for change in changed {
            // The same change reached twice (a cherry-pick, a revert of a
            // revert) is searched once.
            let next = jobs.len();
            let job = *job_of.entry(change.clone()).or_insert(next);
            if job == next {
                jobs.push(change);
            }
            changes.push((index, job));
        }
    }
    drop(job_of);

    // The added lines of each distinct change, searched.
    let context = Context {
        engine,
        secret_value: secret_value.as_ref(),
        max_size: engine.config().max_file_size,
    };
    let results: Vec<Searched> = jobs
        .par_iter()
        .map_init(
            || thread_repo(&repo),
            |local, job| search(local, job, &context),
        )
        .collect();

    let mut stats = FileStats {
        commits: revisions.len() as u64,
        ..FileStats::default()
    };
    let mut outcomes = Vec::new();
    for (commit, job) in changes {
        match &results[job] {
            Searched::Skipped => stats.skipped += 1,
            Searched::Nothing => {}
            Searched::Text {
                bytes,
                findings,
                suppressed,
            } => {
                stats.scanned += 1;
                stats.bytes += bytes;
                if findings.is_empty() && suppressed.is_empty() {
                    continue;
                }
                let revision = &revisions[commit];
                let stamp = |finding: &Finding| {
                    let mut finding = finding.clone();
                    finding.location.revision = Some(revision.clone());
                    for related in &mut finding.related {
                        related.location.revision = Some(revision.clone());
                    }
                    finding
                };
                outcomes.push(FileOutcome {
                    path: jobs[job].path.clone(),
                    kind: Some(ArtifactKind::Text),
                    findings: findings.iter().map(stamp).collect(),
                    suppressed: suppressed
                        .iter()
                        .map(|s| {
                            let mut s = s.clone();
                            s.finding = stamp(&s.finding);
                            s
                        })
                        .collect(),
                    ..FileOutcome::default()
                });
            }
        }
    }
    let roots = roots.iter().map(|r| crate::display_path(r)).collect();
    let mut report = engine.finish(roots, outcomes, baseline);
    // Counted here, not from the outcomes: only those with findings are kept,
    // and a change is a file as one commit has it.
    report.files = stats;
    Ok(report)
}

fn thread_repo(repo: &gix::ThreadSafeRepository) -> gix::Repository {
    let mut local = repo.to_thread_local();
    local.object_cache_size_if_unset(OBJECT_CACHE);
    local
}

/// The commits to include and those whose ancestry to exclude, for a range
/// as `git log` reads it.
fn resolve(repo: &gix::Repository, spec: &str) -> Result<(Vec<ObjectId>, Vec<ObjectId>), String> {
    use gix::revision::plumbing::Spec;
    let parsed = repo.rev_parse(spec).map_err(|err| {
        format!(
            "`{spec}` is not a revision or range of this repository ({err}); paths go before \
             --history, or give the range as --history=RANGE"
        )
    })?;
    let commit = |id: ObjectId| -> Result<ObjectId, String> {
        repo.find_object(id)
            .and_then(|object| object.peel_to_commit())
            .map(|commit| commit.id)
            .map_err(|err| format!("`{spec}` names no commit: {err}"))
    };
    let parents = |id: ObjectId| -> Result<Vec<ObjectId>, String> {
        let commit = repo
            .find_commit(commit(id)?)
            .map_err(|err| format!("`{spec}`: {err}"))?;
        Ok(commit.parent_ids().map(|p| p.detach()).collect())
    };
    Ok(match parsed.detach() {
        Spec::Include(id) => (vec![commit(id)?], Vec::new()),
        Spec::Range { from, to } => (vec![commit(to)?], vec![commit(from)?]),
        Spec::Merge { theirs, ours } => {
            let (theirs, ours) = (commit(theirs)?, commit(ours)?);
            let base = repo
                .merge_base(theirs, ours)
                .map_err(|err| format!("`{spec}`: {err}"))?;
            (
                vec![theirs, ours],
                base.map(|id| id.detach()).into_iter().collect(),
            )
        }
        Spec::IncludeOnlyParents(id) => (parents(id)?, Vec::new()),
        Spec::ExcludeParents(id) => (vec![commit(id)?], parents(id)?),
        Spec::Exclude(_) => {
            return Err(format!(
                "`{spec}` only excludes commits; name the commits to include, as in `A..B`"
            ));
        }
    })
}

fn walk(
    repo: &gix::Repository,
    tips: Vec<ObjectId>,
    hidden: Vec<ObjectId>,
) -> Result<Vec<ObjectId>, String> {
    if tips.is_empty() {
        return Ok(Vec::new());
    }
    let walk = repo
        .rev_walk(tips)
        .with_hidden(hidden)
        .all()
        .map_err(|err| format!("cannot walk the history: {err}"))?;
    let mut commits = Vec::new();
    for info in walk {
        let info = info.map_err(|err| format!("cannot walk the history: {err}"))?;
        commits.push(info.id);
    }
    Ok(commits)
}

/// The paths given on the command line, as parts of the repository: only
/// files under them are searched, and each is shown as a walk of that path
/// would show it, so that fingerprints (and baselines) match a check of the
/// files on disk.
struct Scopes {
    scopes: Vec<Scope>,
}

struct Scope {
    /// As given on the command line.
    root: PathBuf,
    /// The same folder or file relative to the work tree, `/`-separated;
    /// empty for the whole tree. `None` for a bare repository, which has no
    /// work tree and whose paths are shown as stored.
    prefix: Option<String>,
}

impl Scopes {
    fn new(repo: &gix::Repository, roots: &[PathBuf]) -> Result<Self, String> {
        let Some(workdir) = repo.workdir() else {
            return Ok(Scopes {
                scopes: vec![Scope {
                    root: PathBuf::new(),
                    prefix: None,
                }],
            });
        };
        let workdir = workdir
            .canonicalize()
            .map_err(|err| format!("{}: {err}", workdir.display()))?;
        let mut scopes = Vec::new();
        for root in roots {
            let full = root
                .canonicalize()
                .map_err(|err| format!("{}: {err}", root.display()))?;
            let relative = full.strip_prefix(&workdir).map_err(|_| {
                format!(
                    "{}: not inside the repository at {}; --history checks one repository",
                    root.display(),
                    workdir.display()
                )
            })?;
            let parts: Vec<String> = relative
                .components()
                .filter_map(|c| match c {
                    Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect();
            scopes.push(Scope {
                root: root.clone(),
                prefix: Some(parts.join("/")),
            });
        }
        Ok(Scopes { scopes })
    }

    /// How `path` (relative to the work tree) is shown, or `None` when no
    /// scope holds it or a walk of the tree would skip it.
    fn display(&self, path: &BStr) -> Option<String> {
        let path = path.to_str_lossy();
        for scope in &self.scopes {
            let Some(prefix) = &scope.prefix else {
                return (!skipped(&path)).then(|| path.into_owned());
            };
            let rest = if prefix.is_empty() {
                path.as_ref()
            } else if path == prefix.as_str() {
                ""
            } else {
                match path.strip_prefix(prefix.as_str()) {
                    Some(rest) if rest.starts_with('/') => &rest[1..],
                    _ => continue,
                }
            };
            if skipped(rest) {
                return None;
            }
            let shown = if rest.is_empty() {
                scope.root.clone()
            } else {
                scope.root.join(rest)
            };
            return Some(crate::display_path(&shown));
        }
        None
    }
}

/// Whether a walk of the tree would skip this path: dependency and build
/// folders hold other people's code, in history as on disk.
fn skipped(path: &str) -> bool {
    let mut folders = path.split('/');
    folders.next_back();
    folders.any(|folder| crate::SKIPPED_DIRS.contains(&folder))
}

/// A change to search: a file's new version, as shown, and the versions it
/// is compared with (`None` for none: every line is new against it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Job {
    path: String,
    olds: Vec<Option<ObjectId>>,
    new: ObjectId,
}

/// The commit's date and the files it changed against its parents.
fn commit_changes(
    repo: &gix::Repository,
    id: ObjectId,
    scopes: &Scopes,
) -> Result<(Revision, Vec<Job>), String> {
    let fail = |err: gix::Error| format!("commit {id}: {err}");
    let commit = repo.find_commit(id).map_err(fail)?;
    let author_date = commit
        .author()
        .ok()
        .and_then(|author| author.time().ok())
        .map(|time| time.format_or_unix(gix::date::time::format::ISO8601_STRICT))
        .unwrap_or_default();
    let revision = Revision {
        commit: id.to_string(),
        author_date,
    };
    let tree = commit.tree().map_err(fail)?;
    // A parent that is not in the repository (beyond a shallow clone's
    // boundary) is compared as the empty tree: its content cannot be known.
    let parents: Vec<Option<gix::Tree<'_>>> = commit
        .parent_ids()
        .map(|parent| parent.object().ok()?.peel_to_tree().ok())
        .collect();
    let hash = repo.object_hash();
    let lhs = match parents.first() {
        Some(Some(parent)) => gix::objs::TreeRefIter::from_bytes(&parent.data, hash),
        _ => gix::objs::TreeRefIter::from_bytes(&[], hash),
    };
    let rhs = gix::objs::TreeRefIter::from_bytes(&tree.data, hash);
    let mut recorder = gix::diff::tree::Recorder::default();
    gix::diff::tree(
        lhs,
        rhs,
        gix::diff::tree::State::default(),
        &repo.objects,
        &mut recorder,
    )
    .map_err(|err| format!("commit {id}: cannot compare with its parent: {err}"))?;

    let deleted: HashSet<ObjectId> = recorder
        .records
        .iter()
        .filter_map(|change| match change {
            Change::Deletion {
                entry_mode, oid, ..
            } if entry_mode.is_blob() => Some(*oid),
            _ => None,
        })
        .collect();
    let mut jobs = Vec::new();
    'changes: for change in recorder.records {
        let (path, old, new) = match change {
            Change::Addition {
                entry_mode,
                oid,
                path,
                ..
            } if entry_mode.is_blob() => {
                // Moved unchanged: no line is new.
                if deleted.contains(&oid) {
                    continue;
                }
                (path, None, oid)
            }
            Change::Modification {
                previous_entry_mode,
                previous_oid,
                entry_mode,
                oid,
                path,
            } if entry_mode.is_blob() => {
                if oid == previous_oid {
                    continue;
                }
                (
                    path,
                    previous_entry_mode.is_blob().then_some(previous_oid),
                    oid,
                )
            }
            _ => continue,
        };
        let Some(shown) = scopes.display(path.as_ref()) else {
            continue;
        };
        let mut olds = vec![old];
        for parent in parents.iter().skip(1) {
            let entry = parent
                .as_ref()
                .and_then(|tree| tree.lookup_entry(path.split(|b| *b == b'/')).ok().flatten());
            match entry {
                Some(entry) if entry.mode().is_blob() => {
                    // Taken whole from a merged branch: its lines were
                    // reported at the commits that wrote them.
                    if entry.object_id() == new {
                        continue 'changes;
                    }
                    olds.push(Some(entry.object_id()));
                }
                _ => olds.push(None),
            }
        }
        olds.sort();
        olds.dedup();
        jobs.push(Job {
            path: shown,
            olds,
            new,
        });
    }
    Ok((revision, jobs))
}

struct Context<'a> {
    engine: &'a Engine,
    secret_value: Option<&'a Engine>,
    max_size: u64,
}

/// What searching one change yielded, before it is placed in its commits.
enum Searched {
    /// Binary, too large, or not an object this could read.
    Skipped,
    /// Text, with no added line (only deletions), or not UTF-8.
    Nothing,
    Text {
        bytes: u64,
        findings: Vec<Finding>,
        suppressed: Vec<shipgate_core::SuppressedFinding>,
    },
}

fn search(repo: &gix::Repository, job: &Job, context: &Context<'_>) -> Searched {
    // The header tells the size without inflating a large object.
    match repo.find_header(job.new) {
        Ok(header) if header.kind() == gix::object::Kind::Blob => {
            if header.size() > context.max_size {
                return Searched::Skipped;
            }
        }
        _ => return Searched::Skipped,
    }
    let Ok(new) = repo.find_object(job.new) else {
        return Searched::Skipped;
    };
    if is_binary(&new.data) {
        return Searched::Skipped;
    }
    // Plain text in another encoding is not judged on disk either.
    let Ok(new_text) = std::str::from_utf8(&new.data) else {
        return Searched::Nothing;
    };
    let lines: Vec<&str> = new_text.split_inclusive('\n').collect();
    let mut added = vec![true; lines.len()];
    for old in &job.olds {
        let Some(old) = old else { continue };
        // An old version over the limit is not read: against it, every line
        // counts as added, which errs towards searching more.
        if !matches!(repo.find_header(*old), Ok(header) if header.size() <= context.max_size) {
            continue;
        }
        let Ok(old) = repo.find_object(*old) else {
            continue;
        };
        // A binary old version shares no line with a text new one.
        if old.kind != gix::object::Kind::Blob || is_binary(&old.data) {
            continue;
        }
        let new_here = added_lines(&old.data, &new.data);
        for (kept, here) in added.iter_mut().zip(new_here) {
            *kept &= here;
        }
        if !added.contains(&true) {
            return Searched::Nothing;
        }
    }
    let Some(excerpt) = Excerpt::new(&lines, &added) else {
        return Searched::Nothing;
    };

    let outcome = context
        .engine
        .check_text(&job.path, &excerpt.text, ArtifactKind::Text);
    let secret = |f: &Finding| f.rule.starts_with("secrets/");
    let mut findings: Vec<Finding> = outcome
        .findings
        .into_iter()
        .filter(secret)
        .map(|f| excerpt.place(f))
        .collect();
    let mut suppressed: Vec<_> = outcome
        .suppressed
        .into_iter()
        .filter(|s| secret(&s.finding))
        .map(|mut s| {
            s.finding = excerpt.place(s.finding);
            s
        })
        .collect();

    // A Secret manifest's values are base64: only its YAML tree tells them,
    // so the whole version is read, and what lies on added lines is kept.
    if let Some(secret_value) = context.secret_value
        && ArtifactKind::from_path(&job.path, false).is_yaml()
        && new_text.contains("Secret")
    {
        let kind = ArtifactKind::from_path(&job.path, false);
        let whole = secret_value.check_text(&job.path, new_text, kind);
        let on_added = |f: &Finding| {
            f.location
                .line()
                .and_then(|line| added.get((line as usize).checked_sub(1)?).copied())
                .unwrap_or(false)
        };
        let values: Vec<Finding> = whole
            .findings
            .into_iter()
            .filter(|f| f.rule == SECRET_VALUE && on_added(f))
            .collect();
        // The same value seen in plain text as well is reported once, as
        // the manifest's, as a check of the file on disk does.
        let masked: Vec<(u32, u32)> = values
            .iter()
            .flat_map(|f| f.redact.iter().map(|s| (s.start_byte, s.end_byte)))
            .collect();
        findings.retain(|f| {
            !f.redact.iter().any(|s| {
                masked
                    .iter()
                    .any(|&(a, b)| s.start_byte < b && a < s.end_byte)
            })
        });
        findings.extend(values);
        suppressed.extend(
            whole
                .suppressed
                .into_iter()
                .filter(|s| s.finding.rule == SECRET_VALUE && on_added(&s.finding)),
        );
    }
    Searched::Text {
        bytes: excerpt.text.len() as u64,
        findings,
        suppressed,
    }
}

/// As the engine judges a file on disk: a NUL early on means binary.
fn is_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(8192)].contains(&0)
}

/// For each line of `new`, whether it is added against `old`, as a line
/// diff (the histogram algorithm git offers, lines placed as git places
/// them) reports it.
fn added_lines(old: &[u8], new: &[u8]) -> Vec<bool> {
    let input = imara_diff::InternedInput::new(old, new);
    let mut diff = imara_diff::Diff::compute(imara_diff::Algorithm::Histogram, &input);
    diff.postprocess_lines(&input);
    (0..input.after.len() as u32)
        .map(|line| diff.is_added(line))
        .collect()
}

/// The added lines of a version, as one text for the engine, with what
/// maps its lines and bytes back to the version's.
///
/// Searching only these lines keeps the cost proportional to what a commit
/// added, not to the size of the files it touched. Lines added together
/// stay together, so a key block added in one commit reads as a block; an
/// empty line stands between runs of added lines that are apart in the
/// version, so no match joins them.
struct Excerpt {
    text: String,
    /// For each line of `text`: where it starts there, its 1-based line in
    /// the version, and where it starts there.
    lines: Vec<(usize, u32, usize)>,
}

impl Excerpt {
    fn new(lines: &[&str], added: &[bool]) -> Option<Excerpt> {
        let mut excerpt = Excerpt {
            text: String::new(),
            lines: Vec::new(),
        };
        let mut at = 0usize;
        let mut last: Option<usize> = None;
        for (index, line) in lines.iter().enumerate() {
            let start = at;
            at += line.len();
            if !added.get(index).copied().unwrap_or(false) {
                continue;
            }
            if last.is_some_and(|last| last + 1 != index) {
                // The gap stands for the line after the previous run.
                let (_, previous, _) = excerpt.lines[excerpt.lines.len() - 1];
                excerpt
                    .lines
                    .push((excerpt.text.len(), previous + 1, start));
                excerpt.text.push('\n');
            }
            excerpt
                .lines
                .push((excerpt.text.len(), index as u32 + 1, start));
            excerpt.text.push_str(line);
            if !line.ends_with('\n') {
                excerpt.text.push('\n');
            }
            last = Some(index);
        }
        (!excerpt.lines.is_empty()).then_some(excerpt)
    }

    fn line(&self, line: u32) -> u32 {
        match (line as usize)
            .checked_sub(1)
            .and_then(|i| self.lines.get(i))
        {
            Some(&(_, version_line, _)) => version_line,
            None => line,
        }
    }

    fn byte(&self, byte: u32) -> u32 {
        let byte = byte as usize;
        let index = self
            .lines
            .partition_point(|&(start, _, _)| start <= byte)
            .saturating_sub(1);
        match self.lines.get(index) {
            Some(&(start, _, version_start)) => {
                u32::try_from(version_start + byte.saturating_sub(start)).unwrap_or(u32::MAX)
            }
            None => byte as u32,
        }
    }

    fn span(&self, span: SourceSpan) -> SourceSpan {
        let mut placed = span;
        placed.start.line = self.line(span.start.line);
        placed.end.line = self.line(span.end.line);
        if span.has_bytes() {
            placed.start_byte = self.byte(span.start_byte);
            placed.end_byte = self.byte(span.end_byte);
        }
        placed
    }

    fn location(&self, location: &mut Location) {
        if let Some(span) = location.span {
            location.span = Some(self.span(span));
        }
    }

    /// A finding on the excerpt, moved to the version's lines and bytes.
    fn place(&self, mut finding: Finding) -> Finding {
        self.location(&mut finding.location);
        for related in &mut finding.related {
            self.location(&mut related.location);
        }
        for span in &mut finding.redact {
            *span = self.span(*span);
        }
        finding
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_lines_are_those_a_line_diff_adds() {
        let old = b"a\nb\nc\n";
        let new = b"a\nx\nb\nc\ny";
        assert_eq!(added_lines(old, new), vec![false, true, false, false, true]);
        assert_eq!(added_lines(b"", b"a\n"), vec![true]);
        assert!(added_lines(b"a\n", b"").is_empty());
    }

    #[test]
    fn an_excerpt_maps_back_to_the_version() {
        let text = "zero\none\ntwo\nthree\nfour";
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let excerpt = Excerpt::new(&lines, &[false, true, true, false, true]).expect("lines");
        assert_eq!(excerpt.text, "one\ntwo\n\nfour\n");
        assert_eq!(excerpt.line(1), 2);
        assert_eq!(excerpt.line(2), 3);
        assert_eq!(excerpt.line(4), 5);
        // `two` starts at byte 4 of the excerpt and byte 9 of the version.
        assert_eq!(excerpt.byte(4), 9);
        assert_eq!(&text[excerpt.byte(5) as usize..][..2], "wo");
        assert_eq!(&text[excerpt.byte(9) as usize..], "four");
        // Out of range degrades, never panics.
        assert_eq!(excerpt.line(0), 0);
        assert_eq!(excerpt.line(99), 99);
        assert!(Excerpt::new(&lines, &[false; 5]).is_none());
        assert!(Excerpt::new(&lines, &[]).is_none());
    }

    #[test]
    fn skipped_folders_are_skipped_in_history_too() {
        assert!(skipped("node_modules/left-pad/index.js"));
        assert!(skipped("web/vendor/lib.js"));
        assert!(!skipped("vendor"));
        assert!(!skipped("k8s/api.yaml"));
    }
}
