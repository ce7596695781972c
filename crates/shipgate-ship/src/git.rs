//! What the repository says about the release: the commit at HEAD, its
//! branch, the releases already tagged and the commits since the last one.
//!
//! Reading goes through gix. Writing (the release commit and the tag) goes
//! through the `git` program: git alone knows every signing setup a user
//! may have configured (`commit.gpgSign`, `tag.gpgSign`, GPG, SSH or X.509
//! keys), and a release is one command, not a hot path.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use gix::bstr::ByteSlice;

/// A commit as the changelog needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitRecord {
    pub id: String,
    pub message: String,
    pub author: Person,
    pub committer: Person,
    pub merge: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Person {
    pub name: String,
    pub email: String,
    /// Seconds since the Unix epoch.
    pub time: i64,
}

/// A release tag: a name of the form `<prefix><semver>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseTag {
    pub name: String,
    pub version: semver::Version,
    pub commit: String,
}

/// The repository at the moment of the release.
#[derive(Debug, Clone)]
pub struct RepoState {
    pub work_tree: PathBuf,
    pub head: String,
    /// When HEAD was committed: the release's date, so that a second run at
    /// the same commit writes the same bytes.
    pub head_time: i64,
    /// The branch HEAD is on; `None` when detached.
    pub branch: Option<String>,
    /// Release tags on HEAD itself: HEAD is already released.
    pub head_releases: Vec<String>,
    /// The newest release reachable from HEAD.
    pub previous: Option<ReleaseTag>,
    /// Commits reachable from HEAD and not from the previous release,
    /// newest first.
    pub commits: Vec<CommitRecord>,
}

/// The repository that holds `root`, and the top of its work tree.
fn open(root: &Path) -> Result<(gix::Repository, PathBuf), String> {
    let repo = gix::discover(root)
        .map_err(|err| format!("{}: not in a git repository ({err})", root.display()))?;
    let work_tree = repo
        .workdir()
        .ok_or_else(|| "a bare repository has no work tree to release from".to_owned())?;
    let work_tree = std::fs::canonicalize(work_tree).unwrap_or_else(|_| work_tree.to_path_buf());
    Ok((repo, work_tree))
}

/// The top of the work tree that holds `root`.
pub fn work_tree(root: &Path) -> Result<PathBuf, String> {
    open(root).map(|(_, work_tree)| work_tree)
}

/// When HEAD was committed, and the release tags on it: what `shipgate sbom`
/// needs, without walking the history.
pub fn head_releases(root: &Path, tag_prefix: &str) -> Result<(i64, Vec<String>), String> {
    let (repo, _) = open(root)?;
    let head_commit = repo
        .head_commit()
        .map_err(|err| format!("cannot read HEAD: {err}"))?;
    let head = head_commit.id.to_string();
    let releases = release_tags(&repo, tag_prefix)?
        .into_iter()
        .filter(|t| t.commit == head)
        .map(|t| t.name)
        .collect();
    Ok((commit_time(&head_commit), releases))
}

fn commit_time(commit: &gix::Commit<'_>) -> i64 {
    commit
        .committer()
        .ok()
        .and_then(|sig| sig.time().ok())
        .map(|t| t.seconds)
        .unwrap_or_default()
}

/// Reads the repository that holds `root`.
pub fn read(root: &Path, tag_prefix: &str) -> Result<RepoState, String> {
    let (repo, work_tree) = open(root)?;
    let head_commit = repo
        .head_commit()
        .map_err(|err| format!("cannot read HEAD: {err}"))?;
    let head = head_commit.id.to_string();
    let head_time = commit_time(&head_commit);
    let branch = repo
        .head_name()
        .map_err(|err| format!("cannot read HEAD: {err}"))?
        .map(|name| name.shorten().to_str_lossy().into_owned());

    let tags = release_tags(&repo, tag_prefix)?;
    let head_releases: Vec<String> = tags
        .iter()
        .filter(|t| t.commit == head)
        .map(|t| t.name.clone())
        .collect();

    // The previous release is the highest version among the tags HEAD can
    // reach: on a maintenance branch that is the branch's own last release,
    // not a newer one cut elsewhere.
    let mut by_commit: BTreeMap<gix::ObjectId, Vec<&ReleaseTag>> = BTreeMap::new();
    for tag in tags.iter().filter(|t| t.commit != head) {
        let id = gix::ObjectId::from_hex(tag.commit.as_bytes())
            .map_err(|err| format!("tag {}: {err}", tag.name))?;
        by_commit.entry(id).or_default().push(tag);
    }
    let mut previous: Option<ReleaseTag> = None;
    if !by_commit.is_empty() {
        let ancestors = repo
            .rev_walk([head_commit.id])
            .all()
            .map_err(|err| format!("cannot walk the history: {err}"))?;
        for info in ancestors {
            let info = info.map_err(|err| format!("cannot walk the history: {err}"))?;
            for tag in by_commit.get(&info.id).into_iter().flatten() {
                if previous.as_ref().is_none_or(|p| tag.version > p.version) {
                    previous = Some((*tag).clone());
                }
            }
        }
    }

    let mut hidden = Vec::new();
    if let Some(previous) = &previous {
        hidden.push(
            gix::ObjectId::from_hex(previous.commit.as_bytes())
                .map_err(|err| format!("tag {}: {err}", previous.name))?,
        );
    }
    let walk = repo
        .rev_walk([head_commit.id])
        .with_hidden(hidden)
        .all()
        .map_err(|err| format!("cannot walk the history: {err}"))?;
    let mut commits = Vec::new();
    for info in walk {
        let info = info.map_err(|err| format!("cannot walk the history: {err}"))?;
        let commit = repo
            .find_commit(info.id)
            .map_err(|err| format!("commit {}: {err}", info.id))?;
        commits.push(record(&commit)?);
    }

    Ok(RepoState {
        work_tree,
        head,
        head_time,
        branch,
        head_releases,
        previous,
        commits,
    })
}

fn record(commit: &gix::Commit<'_>) -> Result<CommitRecord, String> {
    let fail = |err: &dyn std::fmt::Display| format!("commit {}: {err}", commit.id);
    let person = |sig: gix::actor::SignatureRef<'_>| Person {
        name: sig.name.to_str_lossy().into_owned(),
        email: sig.email.to_str_lossy().into_owned(),
        time: sig.time().map(|t| t.seconds).unwrap_or_default(),
    };
    let message = commit.message_raw().map_err(|e| fail(&e))?;
    Ok(CommitRecord {
        id: commit.id.to_string(),
        message: message.to_str_lossy().trim_end().to_owned(),
        author: person(commit.author().map_err(|e| fail(&e))?),
        committer: person(commit.committer().map_err(|e| fail(&e))?),
        merge: commit.parent_ids().count() > 1,
    })
}

fn release_tags(repo: &gix::Repository, prefix: &str) -> Result<Vec<ReleaseTag>, String> {
    let fail = |err: &dyn std::fmt::Display| format!("cannot read the tags: {err}");
    let references = repo.references().map_err(|e| fail(&e))?;
    let mut tags = Vec::new();
    for reference in references.tags().map_err(|e| fail(&e))? {
        let mut reference = reference.map_err(|e| fail(&e))?;
        let name = reference.name().shorten().to_str_lossy().into_owned();
        let Some(version) = name
            .strip_prefix(prefix)
            .and_then(|v| semver::Version::parse(v).ok())
        else {
            continue;
        };
        // A tag of a tree or a blob is no release.
        let Ok(commit) = reference.peel_to_commit() else {
            continue;
        };
        tags.push(ReleaseTag {
            name,
            version,
            commit: commit.id.to_string(),
        });
    }
    tags.sort_by(|a, b| a.version.cmp(&b.version).then(a.name.cmp(&b.name)));
    Ok(tags)
}

/// Whether the current branch may be released, by the globs of `[ship]
/// branches`.
pub fn branch_allowed(branch: Option<&str>, patterns: &[String]) -> Result<bool, String> {
    let Some(branch) = branch else {
        return Ok(false);
    };
    let mut set = globset::GlobSetBuilder::new();
    for pattern in patterns {
        let glob = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|err| format!("[ship] branches: {pattern}: {err}"))?;
        set.add(glob);
    }
    let set = set.build().map_err(|err| err.to_string())?;
    Ok(set.is_match(branch))
}

/// What `git status` lists as changed or untracked: a release is cut from
/// exactly what was committed.
pub fn uncommitted(work_tree: &Path) -> Result<Vec<String>, String> {
    let output = git(work_tree)
        .args(["status", "--porcelain=v1", "-z", "--untracked-files=normal"])
        .output()
        .map_err(|err| format!("cannot run git: {err}"))?;
    if !output.status.success() {
        return Err(format!(
            "git status failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(output
        .stdout
        .split(|b| *b == 0)
        .filter(|entry| entry.len() > 3)
        .map(|entry| String::from_utf8_lossy(&entry[3..]).into_owned())
        .collect())
}

/// Commits `files` (paths relative to the work tree) with `message`.
pub fn commit(work_tree: &Path, files: &[String], message: &str) -> Result<String, String> {
    run(git(work_tree).arg("add").arg("--").args(files), None)?;
    run(
        git(work_tree)
            .args(["commit", "--quiet", "--no-verify", "--file", "-", "--"])
            .args(files),
        Some(message),
    )?;
    let id = run(git(work_tree).args(["rev-parse", "HEAD"]), None)?;
    Ok(id.trim().to_owned())
}

/// Creates the annotated tag `name` on HEAD; git signs it when the user's
/// configuration says so (`tag.gpgSign`). Returns whether it was signed.
pub fn tag(work_tree: &Path, name: &str, message: &str) -> Result<bool, String> {
    run(
        git(work_tree).args(["tag", "--annotate", "--file", "-", name]),
        Some(message),
    )?;
    let object = run(git(work_tree).args(["cat-file", "tag", name]), None)?;
    Ok(object.contains("-----BEGIN "))
}

/// A git command in the work tree that runs none of the repository's
/// hooks: shipgate runs no code of the repository it releases.
fn git(work_tree: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(work_tree)
        .args(["-c", "core.hooksPath=/dev/null"])
        .env("GIT_TERMINAL_PROMPT", "0");
    command
}

fn run(command: &mut Command, stdin: Option<&str>) -> Result<String, String> {
    let described = format!("{command:?}");
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(|err| format!("cannot run git: {err}"))?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())
            .map_err(|err| format!("cannot write to git: {err}"))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|err| format!("cannot run git: {err}"))?;
    if !output.status.success() {
        return Err(format!(
            "{described} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
