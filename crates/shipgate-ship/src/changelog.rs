//! The next version and the release's changelog section, by git-cliff's
//! rules: conventional commits decide the bump, a Tera template the text.
//! A repository's own `cliff.toml` is honoured, so teams that already use
//! git-cliff get the changelog they know.

use std::path::Path;

use git_cliff_core::changelog::Changelog;
use git_cliff_core::commit::{Commit, Signature};
use git_cliff_core::config::Config;
use git_cliff_core::embed::EmbeddedConfig;
use git_cliff_core::release::Release;

use crate::git::{Person, RepoState};

/// The subject of the release commit. git-cliff's default configuration
/// skips commits that start this way, so a release never lists itself.
pub const RELEASE_SUBJECT: &str = "chore(release): prepare for";

/// What the next release is called and what its changelog says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextRelease {
    /// `1.4.0`.
    pub version: String,
    /// `v1.4.0`.
    pub tag: String,
    /// The section for this release alone.
    pub section: String,
    /// The whole changelog with the section in place.
    pub changelog: String,
    /// Where the configuration came from: `cliff.toml` or `built-in`.
    pub config_origin: String,
}

/// Loads the changelog configuration: the repository's `cliff.toml` when
/// there is one, git-cliff's default otherwise.
fn configuration(work_tree: &Path, allow_commands: bool) -> Result<(Config, String), String> {
    let own = work_tree.join("cliff.toml");
    let (mut config, origin) = if own.is_file() {
        let config = Config::load(&own).map_err(|err| format!("cliff.toml: {err}"))?;
        (config, "cliff.toml".to_owned())
    } else {
        let config = EmbeddedConfig::parse()
            .map_err(|err| format!("the built-in changelog configuration: {err}"))?;
        (config, "built-in".to_owned())
    };
    // A `replace_command` runs a program named by the repository's
    // configuration: code of the repository, run only when allowed.
    let commands = config
        .git
        .commit_preprocessors
        .iter()
        .chain(&config.changelog.postprocessors)
        .filter_map(|p| p.replace_command.as_deref())
        .collect::<Vec<_>>();
    if !commands.is_empty() && !allow_commands {
        return Err(format!(
            "{origin} runs commands ({}); pass --allow-commands to run them",
            commands.join(", ")
        ));
    }
    if config.changelog.header.is_none() {
        config.changelog.header = Some("# Changelog\n".to_owned());
    }
    // The history is read from the repository alone; no forge is asked.
    config.remote.offline = true;
    Ok((config, origin))
}

/// The next release after `state.previous`, and the changelog at
/// `existing` (its current text, if any) with the new section added.
pub fn next_release(
    state: &RepoState,
    tag_prefix: &str,
    existing: Option<&str>,
    allow_commands: bool,
) -> Result<NextRelease, String> {
    let (config, config_origin) = configuration(&state.work_tree, allow_commands)?;
    let commits: Vec<Commit<'static>> = state
        .commits
        .iter()
        .map(|c| Commit {
            author: signature(&c.author),
            committer: signature(&c.committer),
            merge_commit: c.merge,
            ..Commit::new(c.id.clone(), c.message.clone())
        })
        .collect();
    let previous = state.previous.as_ref().map(|p| {
        Box::new(Release {
            version: Some(p.name.clone()),
            commit_id: Some(p.commit.clone()),
            ..Release::default()
        })
    });
    let release = Release {
        version: None,
        commits,
        commit_id: Some(state.head.clone()),
        timestamp: Some(state.head_time),
        previous,
        repository: Some(state.work_tree.display().to_string()),
        ..Release::default()
    };

    let fail = |err: git_cliff_core::error::Error| format!("changelog: {err}");
    let mut changelog = Changelog::new(vec![release], config.clone(), None).map_err(fail)?;
    let version = changelog
        .bump_version()
        .map_err(fail)?
        .ok_or_else(|| "changelog: no version could be computed".to_owned())?;
    // git-cliff dates a bumped release now; the commit's own time keeps a
    // second run byte-identical.
    for release in &mut changelog.releases {
        release.timestamp = Some(state.head_time);
    }
    let tag = if version.starts_with(tag_prefix) {
        version.clone()
    } else {
        format!("{tag_prefix}{version}")
    };
    let version = tag.strip_prefix(tag_prefix).unwrap_or(&tag).to_owned();
    // Templates see the tag, as they do for every earlier release: the
    // initial version comes back without the prefix.
    for release in &mut changelog.releases {
        release.version = Some(tag.clone());
    }

    let mut whole = Vec::new();
    match existing {
        Some(text) => changelog.prepend(text.to_owned(), &mut whole),
        None => changelog.generate(&mut whole),
    }
    .map_err(fail)?;
    let changelog_text = String::from_utf8(whole).map_err(|err| format!("changelog: {err}"))?;

    let mut bare = config;
    bare.changelog.header = None;
    bare.changelog.footer = None;
    let mut section_log = Changelog::new(Vec::new(), bare, None).map_err(fail)?;
    section_log.releases = changelog.releases.clone();
    let mut section = Vec::new();
    section_log.generate(&mut section).map_err(fail)?;
    let section = String::from_utf8(section).map_err(|err| format!("changelog: {err}"))?;

    Ok(NextRelease {
        version,
        tag,
        section: section.trim().to_owned(),
        changelog: changelog_text,
        config_origin,
    })
}

fn signature(person: &Person) -> Signature {
    Signature {
        name: Some(person.name.clone()),
        email: Some(person.email.clone()),
        timestamp: person.time,
    }
}
