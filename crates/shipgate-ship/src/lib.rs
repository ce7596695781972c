//! `shipgate ship`: cut a release only from a commit whose gates all
//! passed, and keep the proof with it.
//!
//! A release is made in two steps. [`prepare`] computes everything from the
//! repository and the plan's verdict without touching either: the refusals
//! (a dirty tree, a branch not allowed, gates not passed), the next version,
//! the changelog, the SBOM and the in-toto statement. [`apply`] then writes
//! the files, commits them as the release commit and tags it. `--dry-run`
//! stops after the first step and shows it.
//!
//! The gates are judged at HEAD, the candidate. The release commit is HEAD's
//! child and changes only the changelog and the release's evidence folder;
//! the statement names the judged commit, so a verifier can check that
//! nothing else changed between the two.

pub mod changelog;
pub mod git;
pub mod statement;

use std::path::Path;

use shipgate_core::{PlanVerdict, Verdict};
use shipgate_plan::model::Ship;

pub use changelog::{NextRelease, RELEASE_SUBJECT};
pub use git::RepoState;

/// Why a release cannot be cut now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Detached,
    BranchNotAllowed {
        branch: String,
        allowed: Vec<String>,
    },
    Uncommitted(Vec<String>),
    /// A required gate that did not pass, with its verdict and the
    /// summaries of its checks that did not pass.
    Gate {
        address: String,
        verdict: Verdict,
        reasons: Vec<String>,
    },
    NoCommits {
        since: String,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Detached => write!(f, "HEAD is detached; release from a branch"),
            Refusal::BranchNotAllowed { branch, allowed } => write!(
                f,
                "branch `{branch}` is not one releases are cut from ({})",
                allowed.join(", ")
            ),
            Refusal::Uncommitted(paths) => {
                write!(f, "the work tree has uncommitted changes: ")?;
                let shown: Vec<&str> = paths.iter().take(5).map(String::as_str).collect();
                write!(f, "{}", shown.join(", "))?;
                if paths.len() > shown.len() {
                    write!(f, " and {} more", paths.len() - shown.len())?;
                }
                Ok(())
            }
            Refusal::Gate {
                address,
                verdict,
                reasons,
            } => {
                write!(f, "gate {address}: {}", verdict.as_str())?;
                if !reasons.is_empty() {
                    write!(f, " ({})", reasons.join("; "))?;
                }
                Ok(())
            }
            Refusal::NoCommits { since } => write!(f, "nothing was committed since {since}"),
        }
    }
}

/// The refusals that do not depend on the gates: the tree, the branch, and
/// whether there is anything to release.
pub fn repository_refusals(state: &RepoState, ship: &Ship) -> Result<Vec<Refusal>, String> {
    let mut refusals = Vec::new();
    match state.branch.as_deref() {
        None => refusals.push(Refusal::Detached),
        Some(branch) => {
            if !git::branch_allowed(Some(branch), &ship.branches)? {
                refusals.push(Refusal::BranchNotAllowed {
                    branch: branch.to_owned(),
                    allowed: ship.branches.clone(),
                });
            }
        }
    }
    let uncommitted = git::uncommitted(&state.work_tree)?;
    if !uncommitted.is_empty() {
        refusals.push(Refusal::Uncommitted(uncommitted));
    }
    if state.commits.is_empty()
        && let Some(previous) = &state.previous
    {
        refusals.push(Refusal::NoCommits {
            since: previous.name.clone(),
        });
    }
    Ok(refusals)
}

/// Every required gate that did not pass: a skipped check proves nothing,
/// so a release needs it run (`--allow-commands`, `--live`).
pub fn gate_refusals(verdict: &PlanVerdict) -> Vec<Refusal> {
    verdict
        .gates
        .iter()
        .filter(|gate| gate.required && gate.verdict != Verdict::Pass)
        .map(|gate| Refusal::Gate {
            address: gate.address.clone(),
            verdict: gate.verdict,
            reasons: gate
                .checks
                .iter()
                .filter(|c| c.verdict != Verdict::Pass)
                .map(|c| format!("{}: {}", c.id, c.summary))
                .collect(),
        })
        .collect()
}

/// A file the release writes, relative to the work tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub path: String,
    pub contents: Vec<u8>,
    /// Whether the file on disk differs: an unchanged file is not written.
    pub changed: bool,
}

/// Everything a release would do.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub next: NextRelease,
    pub files: Vec<FileChange>,
    pub commit_message: String,
    pub tag_message: String,
    pub sbom_path: String,
    pub statement_path: String,
}

/// What the caller supplies besides the repository.
pub struct Inputs<'a> {
    pub ship: &'a Ship,
    pub verdict: &'a PlanVerdict,
    /// The plan's path relative to the work tree, and its bytes.
    pub plan_path: &'a str,
    pub plan: &'a [u8],
    /// The project's name, as the statement's commit subject names it.
    pub project: &'a str,
    /// Builds the SBOM for the release's version.
    pub sbom: &'a dyn Fn(&str) -> Result<Vec<u8>, String>,
    pub tool_version: &'a str,
    pub allow_commands: bool,
}

/// Computes the release without writing anything.
pub fn prepare(state: &RepoState, inputs: &Inputs<'_>) -> Result<Prepared, String> {
    let ship = inputs.ship;
    let changelog_path = ship.changelog.trim_start_matches("./").to_owned();
    let existing = read_optional(&state.work_tree.join(&changelog_path))?;
    let mut next = changelog::next_release(
        state,
        &ship.tag_prefix,
        existing.as_deref(),
        inputs.allow_commands,
    )?;
    // A section already written by an earlier, interrupted run stays as it
    // is rather than appearing twice.
    if let Some(existing) = &existing
        && !next.section.is_empty()
        && existing.contains(&next.section)
    {
        next.changelog = existing.clone();
    }

    let folder = format!(
        "{}/{}",
        ship.evidence_dir
            .trim_start_matches("./")
            .trim_end_matches('/'),
        next.tag
    );
    let sbom_path = format!("{folder}/sbom.cdx.json");
    let statement_path = format!("{folder}/statement.intoto.json");
    let sbom = (inputs.sbom)(&next.version)?;
    let committed_at = rfc3339(state.head_time);
    let statement = statement::statement(
        &statement::Subject {
            repository: inputs.project,
            commit: &state.head,
            committed_at: &committed_at,
            version: &next.version,
            tag: &next.tag,
            sbom_path: &sbom_path,
            sbom: &sbom,
            plan_path: inputs.plan_path,
            plan: inputs.plan,
            tool_version: inputs.tool_version,
        },
        inputs.verdict,
    );
    let statement_digest = shipgate_plan::evaluate::sha256_hex(statement.as_bytes());

    let mut files = Vec::new();
    for (path, contents) in [
        (changelog_path, next.changelog.clone().into_bytes()),
        (sbom_path.clone(), sbom),
        (statement_path.clone(), statement.into_bytes()),
    ] {
        let on_disk = std::fs::read(state.work_tree.join(&path)).ok();
        files.push(FileChange {
            changed: on_disk.as_deref() != Some(contents.as_slice()),
            path,
            contents,
        });
    }

    let passed = inputs
        .verdict
        .gates
        .iter()
        .filter(|g| g.verdict == Verdict::Pass)
        .count();
    let commit_message = format!(
        "{RELEASE_SUBJECT} {tag}\n\nShipgate-Judged-Commit: {head}\nShipgate-Statement: {statement_path} sha256:{statement_digest}\n",
        tag = next.tag,
        head = state.head,
    );
    let tag_message = format!(
        "Release {tag}\n\n{section}\n\n{passed} of {total} gates passed at {head}.\nSBOM: {sbom_path}\nStatement: {statement_path} (sha256:{statement_digest})\n",
        tag = next.tag,
        section = next.section,
        total = inputs.verdict.gates.len(),
        head = state.head,
    );
    Ok(Prepared {
        next,
        files,
        commit_message,
        tag_message,
        sbom_path,
        statement_path,
    })
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The release commit; `None` when no file needed to change.
    pub commit: Option<String>,
    pub tag: String,
    pub signed: bool,
}

/// Writes the files, commits them and tags the release.
pub fn apply(state: &RepoState, prepared: &Prepared) -> Result<Applied, String> {
    let mut changed = Vec::new();
    for file in prepared.files.iter().filter(|f| f.changed) {
        let target = state.work_tree.join(&file.path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|err| format!("cannot create {}: {err}", parent.display()))?;
        }
        std::fs::write(&target, &file.contents)
            .map_err(|err| format!("cannot write {}: {err}", file.path))?;
        changed.push(file.path.clone());
    }
    let commit = if changed.is_empty() {
        None
    } else {
        Some(git::commit(
            &state.work_tree,
            &changed,
            &prepared.commit_message,
        )?)
    };
    let signed = git::tag(&state.work_tree, &prepared.next.tag, &prepared.tag_message)?;
    Ok(Applied {
        commit,
        tag: prepared.next.tag.clone(),
        signed,
    })
}

fn read_optional(path: &Path) -> Result<Option<String>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(format!("cannot read {}: {err}", path.display())),
    }
}

/// Seconds since the epoch as RFC 3339 in UTC.
pub fn rfc3339(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
