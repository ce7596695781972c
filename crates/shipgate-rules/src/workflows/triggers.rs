//! Events that run with privileges while handling outsiders' code: the
//! "pwn request" and fork pull requests on self-hosted runners.

use shipgate_core::{Category, Example, RuleMeta, Severity};
use shipgate_syntax::yaml::NodeRef;

use super::script::{context_paths, expressions, path_covers, value_span};
use super::{HARDENING_GUIDE, PWN_REQUESTS, SCORECARD, Workflow};
use crate::sink::FileSink;
use crate::{Check, RuleDef};

/// Events that run in the base repository's context, with its secrets and
/// a write token, while being about someone else's pull request.
const PRIVILEGED_EVENTS: &[&str] = &["pull_request_target", "workflow_run", "issue_comment"];

/// Contexts that name the pull request's head: its code is the author's.
const HEAD_CONTEXTS: &[&str] = &[
    "github.event.pull_request.head.sha",
    "github.event.pull_request.head.ref",
    "github.event.pull_request.head.repo.full_name",
    "github.event.pull_request.merge_commit_sha",
    "github.event.pull_request.number",
    "github.event.number",
    "github.event.issue.number",
    "github.event.workflow_run.head_sha",
    "github.event.workflow_run.head_branch",
    "github.event.workflow_run.head_repository.full_name",
    "github.event.workflow_run.pull_requests.*.head.sha",
    "github.event.workflow_run.pull_requests.*.head.ref",
    "github.head_ref",
];

pub(super) const UNTRUSTED_CHECKOUT: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "workflows/untrusted-checkout",
        title: "Privileged workflows do not check out the pull request's code",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "`pull_request_target`, `workflow_run` and `issue_comment` run in the context \
            of the base repository: with its secrets, a token that can write, and access to its \
            caches. Checking out the pull request's head and then building, testing or even \
            installing it executes code the pull request's author wrote, so anyone who can open \
            a pull request from a fork can steal the secrets or push to the repository (the \
            \"pwn request\").",
        remediation: "Run untrusted code under `pull_request`, which has no secrets and a \
            read-only token for forks, and do the privileged part in a separate workflow that \
            only consumes the results as data:\n\n\
            ```yaml\non: pull_request\npermissions:\n  contents: read\njobs:\n  test:\n    \
            runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@<sha>\n      - run: make test\n```\n\n\
            If the privileged workflow must look at the pull request, check out the base \
            branch only and treat the pull request's files as data, never run them.",
        references: &[
            PWN_REQUESTS,
            HARDENING_GUIDE,
            "https://docs.github.com/en/actions/writing-workflows/choosing-when-your-workflow-runs/events-that-trigger-workflows#pull_request_target",
            "https://github.com/ossf/scorecard/blob/main/docs/checks.md#dangerous-workflow",
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: ".github/workflows/ci.yml",
            content: "on: pull_request_target
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: npm ci && npm test
",
        },
        passing: Example {
            file: ".github/workflows/ci.yml",
            content: "on: pull_request_target
permissions:
  contents: read
  pull-requests: write
jobs:
  label:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - uses: actions/labeler@8558fd74291d67161a8a78ce36a881fa63b766a9 # v5.0.0
",
        },
    },
    check: Check::Workflow(untrusted_checkout),
};

fn untrusted_checkout(workflow: &Workflow<'_>, sink: &mut FileSink<'_>) {
    let Some(trigger) = workflow.first_trigger(PRIVILEGED_EVENTS) else {
        return;
    };
    let event = trigger.event;
    for job in &workflow.jobs {
        for step in &job.steps {
            if step.uses_action("actions/checkout") {
                for input in ["ref", "repository"] {
                    let Some(value) = step.input(input) else {
                        continue;
                    };
                    if let Some(range) = head_reference(value) {
                        sink.at(
                            value_span(value, range),
                            format!("{}.with.{input}", step.logical(job)),
                            format!(
                                "checks out the pull request's code in a `{event}` workflow, \
                                 which runs with the base repository's secrets and token"
                            ),
                        )
                        .set_help("run the pull request's code under `pull_request` instead");
                        break;
                    }
                }
            }
            if let Some(run) = step.run
                && let Some(script) = run.scalar_text()
                && let Some(at) = script.find("gh pr checkout")
            {
                sink.at(
                    value_span(run, at..at + "gh pr checkout".len()),
                    format!("{}.run", step.logical(job)),
                    format!(
                        "`gh pr checkout` fetches the pull request's code in a `{event}` \
                         workflow, which runs with the base repository's secrets and token"
                    ),
                )
                .set_help("run the pull request's code under `pull_request` instead");
            }
        }
    }
}

/// The part of a checkout input that names the pull request's head: an
/// expression over a head context, or a literal `refs/pull/...` ref.
fn head_reference(value: NodeRef<'_>) -> Option<std::ops::Range<usize>> {
    let text = value.scalar_text()?;
    for expression in expressions(text) {
        let body = text.get(expression.body.clone())?;
        let names_head = context_paths(body)
            .iter()
            .any(|(path, _)| HEAD_CONTEXTS.iter().any(|h| path_covers(h, path)));
        if names_head {
            return Some(expression.range);
        }
    }
    text.find("refs/pull/").map(|at| at..text.len())
}

/// Events that run a fork's code as written in the pull request.
const FORK_EVENTS: &[&str] = &[
    "pull_request",
    "pull_request_review",
    "pull_request_review_comment",
];

pub(super) const SELF_HOSTED_PULL_REQUEST: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "workflows/self-hosted-pull-request",
        title: "Pull request workflows do not run on self-hosted runners",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "A `pull_request` workflow runs the code of the pull request, and on a public \
            repository anyone can open one from a fork. On a self-hosted runner that code runs on \
            your machine, inside your network, and can persist between jobs, read other jobs' \
            files and credentials, and reach internal services. GitHub-hosted runners are \
            discarded after every job.",
        remediation: "Run pull request workflows on GitHub-hosted runners, or on ephemeral, \
            isolated self-hosted runners restricted to private repositories with a runner \
            group; require approval for workflows from outside collaborators:\n\n\
            ```yaml\njobs:\n  test:\n    runs-on: ubuntu-24.04\n```",
        references: &[
            "https://docs.github.com/en/actions/hosting-your-own-runners/managing-self-hosted-runners/about-self-hosted-runners#self-hosted-runner-security",
            HARDENING_GUIDE,
            SCORECARD,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: ".github/workflows/ci.yml",
            content: "on: [push, pull_request]
permissions:
  contents: read
jobs:
  test:
    runs-on: [self-hosted, linux]
    steps:
      - run: make test
",
        },
        passing: Example {
            file: ".github/workflows/ci.yml",
            content: "on: [push, pull_request]
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
    check: Check::Workflow(self_hosted_pull_request),
};

fn self_hosted_pull_request(workflow: &Workflow<'_>, sink: &mut FileSink<'_>) {
    let Some(trigger) = workflow.first_trigger(FORK_EVENTS) else {
        return;
    };
    for job in &workflow.jobs {
        let Some((_, node)) = job
            .runner_labels()
            .into_iter()
            .find(|(label, _)| label.eq_ignore_ascii_case("self-hosted"))
        else {
            continue;
        };
        sink.at(
            node.span(),
            format!("{}.runs-on", job.logical()),
            format!(
                "job `{}` runs on a self-hosted runner in a workflow triggered by `{}`, \
                 which runs code from forks",
                job.id, trigger.event
            ),
        )
        .set_help("use a GitHub-hosted runner for pull requests");
    }
}
