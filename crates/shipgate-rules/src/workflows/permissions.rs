//! The `GITHUB_TOKEN`: every job gets one, and what it may do is whatever
//! the workflow says or, when it says nothing, the repository's default.

use shipgate_core::{Alias, Category, Example, RuleMeta, Severity, Tool};

use super::{Grant, HARDENING_GUIDE, PWN_REQUESTS, Permissions, Workflow};
use crate::sink::FileSink;
use crate::{Check, RuleDef};

const TOKEN_PERMISSIONS: &str = "https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/controlling-permissions-for-github_token";
const SCORECARD_TOKEN: &str =
    "https://github.com/ossf/scorecard/blob/main/docs/checks.md#token-permissions";

pub(super) const PERMISSIONS_MISSING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "workflows/permissions-missing",
        title: "Workflows declare the permissions of their token",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "A job without a `permissions` block, in a workflow without one, gets the \
            repository's or organisation's default token permissions: read and write on nearly \
            every scope for repositories created before February 2023 and for organisations \
            that never changed the setting. Any step that runs attacker-influenced code (a \
            compromised action, an injected script, a malicious dependency) then acts with that \
            token. Declaring the permissions in the file makes the grant reviewable and \
            independent of a setting nobody sees.",
        remediation: "Grant read access at the top of the workflow and widen it only in the \
            jobs that need more:\n\n\
            ```yaml\npermissions:\n  contents: read\n\njobs:\n  release:\n    permissions:\n      \
            contents: write\n```",
        references: &[
            TOKEN_PERMISSIONS,
            "https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions#permissions",
            HARDENING_GUIDE,
            SCORECARD_TOKEN,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: ".github/workflows/ci.yml",
            content: "on: push
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - run: make test
",
        },
        passing: Example {
            file: ".github/workflows/ci.yml",
            content: "on: push
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - run: make test
",
        },
    },
    check: Check::Workflow(permissions_missing),
};

fn permissions_missing(workflow: &Workflow<'_>, sink: &mut FileSink<'_>) {
    // An action runs with the token of the job that calls it.
    if workflow.action || workflow.permissions.is_some() {
        return;
    }
    let bare: Vec<_> = workflow
        .jobs
        .iter()
        .filter(|job| job.permissions.is_none())
        .collect();
    if bare.is_empty() {
        return;
    }
    // When no job declares anything, the fix is one top-level block: say so
    // once rather than once per job.
    if bare.len() == workflow.jobs.len()
        && let Some(jobs_key) = workflow.jobs_key
    {
        sink.at(
            jobs_key.span(),
            "permissions",
            "no `permissions` at the top level or in any job: every job's token gets the \
             repository's default permissions",
        )
        .set_help("add `permissions: contents: read` at the top of the workflow");
        return;
    }
    for job in bare {
        sink.at(
            job.key.span(),
            format!("{}.permissions", job.logical()),
            format!(
                "job `{}` declares no `permissions` and the workflow has none at the top \
                 level: its token gets the repository's default permissions",
                job.id
            ),
        )
        .set_help("declare `permissions` for this job, or once at the top of the workflow");
    }
}

/// Events whose runs act on content from people outside the repository.
const UNTRUSTED_EVENTS: &[&str] = &[
    "pull_request",
    "pull_request_target",
    "pull_request_review",
    "pull_request_review_comment",
    "issue_comment",
    "issues",
    "discussion",
    "discussion_comment",
    "workflow_run",
];

/// Scopes whose write access lets a token change what ships: code and
/// tags, workflow runs and their caches, packages, deployments.
const SENSITIVE_SCOPES: &[&str] = &["contents", "actions", "packages", "deployments"];

pub(super) const PERMISSIONS_TOO_BROAD: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "workflows/permissions-too-broad",
        title: "Tokens are not granted write-all, nor write access on pull request and comment workflows",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "`write-all` hands every job a token that can push code, rewrite releases, \
            publish packages and approve its own changes. Workflows started by pull requests, \
            comments and issues process text and code chosen by outsiders, so write access to \
            `contents`, `actions`, `packages` or `deployments` there turns any injection or \
            malicious dependency into a push to the default branch or a poisoned release.",
        remediation: "Grant only what each job needs, and keep write access out of workflows \
            that outsiders can start; move the privileged part into a separate workflow started \
            by `push` or `workflow_dispatch`:\n\n\
            ```yaml\non: pull_request\npermissions:\n  contents: read\n  pull-requests: write  # to comment\n```",
        references: &[
            TOKEN_PERMISSIONS,
            HARDENING_GUIDE,
            PWN_REQUESTS,
            SCORECARD_TOKEN,
        ],
        aliases: &[Alias::new(Tool::Checkov, "CKV2_GHA_1")],
        enabled_by_default: true,
        failing: Example {
            file: ".github/workflows/ci.yml",
            content: "on: pull_request
permissions: write-all
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - run: make test
",
        },
        passing: Example {
            file: ".github/workflows/ci.yml",
            content: "on: pull_request
permissions:
  contents: read
  pull-requests: write
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - run: make test
",
        },
    },
    check: Check::Workflow(permissions_too_broad),
};

fn permissions_too_broad(workflow: &Workflow<'_>, sink: &mut FileSink<'_>) {
    let untrusted = workflow.first_trigger(UNTRUSTED_EVENTS).map(|t| t.event);
    let mut check = |permissions: Permissions<'_>, logical: String| match permissions.grant() {
        Grant::WriteAll => {
            sink.at(
                permissions.value.span(),
                logical,
                "`permissions: write-all` gives the token write access to every scope",
            )
            .set_help("list the scopes the jobs need, e.g. `contents: read`");
        }
        Grant::Scopes => {
            let Some(event) = untrusted else {
                return;
            };
            for (scope, level) in permissions.writes() {
                let Some(name) = scope.as_text() else {
                    continue;
                };
                if !SENSITIVE_SCOPES.contains(&name) {
                    continue;
                }
                sink.at(
                    level.span(),
                    format!("{logical}.{name}"),
                    format!(
                        "`{name}: write` on a workflow triggered by `{event}`, which runs \
                             on content outsiders control"
                    ),
                )
                .set_help(
                    "move the write into a workflow started by `push` or `workflow_dispatch`",
                );
            }
        }
        Grant::ReadAll | Grant::Unknown => {}
    };
    if let Some(permissions) = workflow.permissions {
        check(permissions, "permissions".into());
    }
    for job in &workflow.jobs {
        if let Some(permissions) = job.permissions {
            check(permissions, format!("{}.permissions", job.logical()));
        }
    }
}
