//! Job hygiene: credentials left on the runner's disk, and jobs that can
//! run (and bill) for six hours when something hangs.

use shipgate_core::{Category, Example, RuleMeta, Severity};

use super::{HARDENING_GUIDE, Workflow};
use crate::sink::FileSink;
use crate::{Check, RuleDef};

pub(super) const CHECKOUT_PERSIST_CREDENTIALS: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "workflows/checkout-persist-credentials",
        title: "`actions/checkout` does not leave the token on the runner's disk",
        severity: Severity::Info,
        category: Category::Security,
        rationale: "By default `actions/checkout` leaves the job's token on the runner's disk \
            (in `.git/config` up to v5, under `$RUNNER_TEMP` from v6) so later `git` commands \
            can push. Every later step, including third-party actions and build scripts of \
            dependencies, can read it there, and with v5 and earlier it ends up in any artifact \
            or cache that includes the checkout (the \"ArtiPACKED\" leaks of 2024).",
        remediation: "Turn it off unless a later step pushes with plain `git`:\n\n\
            ```yaml\n- uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n  \
            with:\n    persist-credentials: false\n```",
        references: &[
            "https://github.com/actions/checkout#usage",
            "https://unit42.paloaltonetworks.com/github-repo-artifacts-leak-tokens/",
            HARDENING_GUIDE,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: ".github/workflows/ci.yml",
            content: "on: push
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
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
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - run: make test
",
        },
    },
    check: Check::Workflow(checkout_persist_credentials),
};

fn checkout_persist_credentials(workflow: &Workflow<'_>, sink: &mut FileSink<'_>) {
    for job in &workflow.jobs {
        for step in &job.steps {
            if !step.uses_action("actions/checkout") {
                continue;
            }
            let setting = step.input("persist-credentials");
            // Inputs are strings to the action: `false` and `"false"` both turn it off.
            if setting.is_some_and(|n| n.as_text().is_some_and(|t| t.trim() == "false")) {
                continue;
            }
            let (node, message) = match (setting, step.uses) {
                (Some(node), _) => (node, "`persist-credentials` is on"),
                (None, Some(node)) => (
                    node,
                    "`actions/checkout` leaves the token on the runner's disk",
                ),
                (None, None) => continue,
            };
            sink.at(
                node.span(),
                format!("{}.with.persist-credentials", step.logical(job)),
                format!("{message}: every later step can read it"),
            )
            .set_help("set `with: persist-credentials: false`");
        }
    }
}

pub(super) const JOB_TIMEOUT_MISSING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "workflows/job-timeout-missing",
        title: "Jobs set `timeout-minutes`",
        severity: Severity::Info,
        category: Category::Reliability,
        rationale: "A job without `timeout-minutes` runs for up to 360 minutes when a test \
            hangs or a deploy waits on something that never comes, holding a runner, blocking \
            the concurrency group behind it and, on paid runners, billing all the while. A \
            timeout close to the job's usual duration turns the hang into a fast, visible \
            failure. Opt-in: many teams accept the default.",
        remediation: "Set a timeout a few times the job's usual duration:\n\n\
            ```yaml\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    timeout-minutes: 15\n```",
        references: &[
            "https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions#jobsjob_idtimeout-minutes",
            "https://docs.github.com/en/actions/administering-github-actions/usage-limits-billing-and-administration#usage-limits",
        ],
        aliases: &[],
        enabled_by_default: false,
        failing: Example {
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
        passing: Example {
            file: ".github/workflows/ci.yml",
            content: "on: push
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-24.04
    timeout-minutes: 15
    steps:
      - run: make test
",
        },
    },
    check: Check::Workflow(job_timeout_missing),
};

fn job_timeout_missing(workflow: &Workflow<'_>, sink: &mut FileSink<'_>) {
    for job in &workflow.jobs {
        // A job that calls a reusable workflow cannot set a timeout; the
        // called workflow's jobs do.
        // An action's steps run within its caller's job and timeout.
        if job.timeout_minutes.is_some() || job.uses.is_some() || job.action {
            continue;
        }
        sink.at(
            job.key.span(),
            format!("{}.timeout-minutes", job.logical()),
            format!(
                "job `{}` has no `timeout-minutes` and can run for 6 hours",
                job.id
            ),
        )
        .set_help("set `timeout-minutes` a few times the job's usual duration");
    }
}
