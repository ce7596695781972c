//! The GitHub Actions workflow pack: supply chain (pinned actions), token
//! permissions, untrusted input reaching a shell or a privileged checkout,
//! secrets in logs and runner hygiene.

mod injection;
mod jobs;
mod model;
mod permissions;
mod pinning;
mod script;
mod triggers;

use shipgate_core::Finding;
use shipgate_syntax::yaml::YamlStream;

pub use model::{ActionRef, Grant, Job, Permissions, Step, Trigger, Workflow, is_full_sha};

use crate::RuleDef;
use crate::sink::FileSink;

pub type CheckFn = fn(&Workflow<'_>, &mut FileSink<'_>);

pub const RULES: &[RuleDef] = &[
    pinning::ACTION_NOT_PINNED,
    permissions::PERMISSIONS_MISSING,
    permissions::PERMISSIONS_TOO_BROAD,
    triggers::UNTRUSTED_CHECKOUT,
    triggers::SELF_HOSTED_PULL_REQUEST,
    injection::SCRIPT_INJECTION,
    injection::SECRET_ECHOED,
    jobs::CHECKOUT_PERSIST_CREDENTIALS,
    jobs::JOB_TIMEOUT_MISSING,
];

/// Shared by every rule of the pack.
pub(crate) const HARDENING_GUIDE: &str = "https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions";
pub(crate) const PWN_REQUESTS: &str =
    "https://securitylab.github.com/resources/github-actions-preventing-pwn-requests/";
pub(crate) const UNTRUSTED_INPUT: &str =
    "https://securitylab.github.com/resources/github-actions-untrusted-input/";
pub(crate) const SCORECARD: &str = "https://github.com/ossf/scorecard/blob/main/docs/checks.md";

/// Runs the enabled workflow rules on a composite action's `action.yml`;
/// returns whether the file is one.
pub(crate) fn run_action(
    rules: &[&'static RuleDef],
    path: &str,
    stream: &YamlStream,
    findings: &mut Vec<Finding>,
) -> bool {
    let mut any = false;
    for index in 0..stream.documents.len() {
        let Some(model) = stream.root(index).and_then(Workflow::from_action) else {
            continue;
        };
        any = true;
        for rule in rules {
            if let crate::Check::Workflow(check) = rule.check {
                check(&model, &mut FileSink::new(&rule.meta, path, findings));
            }
        }
    }
    any
}

/// Whether a file may be an action's metadata, by GitHub's fixed names.
pub(crate) fn is_action_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "action.yml" || name == "action.yaml"
}

/// Runs the enabled workflow rules on a workflow file.
pub(crate) fn run(
    rules: &[&'static RuleDef],
    path: &str,
    stream: &YamlStream,
    findings: &mut Vec<Finding>,
) {
    for index in 0..stream.documents.len() {
        let Some(model) = stream.root(index).and_then(Workflow::from_root) else {
            continue;
        };
        for rule in rules {
            if let crate::Check::Workflow(check) = rule.check {
                check(&model, &mut FileSink::new(&rule.meta, path, findings));
            }
        }
    }
}
