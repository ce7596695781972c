//! Supply chain: third-party code a workflow runs must be the code that was
//! reviewed.

use shipgate_core::{Alias, Category, Example, RuleMeta, Severity, Tool};
use shipgate_syntax::yaml::NodeRef;

use super::{ActionRef, HARDENING_GUIDE, SCORECARD, Workflow, is_full_sha};
use crate::sink::FileSink;
use crate::{Check, RuleDef};

pub(super) const ACTION_NOT_PINNED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "workflows/action-not-pinned",
        title: "Actions and reusable workflows are pinned to a full commit SHA",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "A tag or branch of an action is a pointer its owner (or whoever takes over \
            the owner's account) can move at any time, and the workflow then runs the new code \
            with its token and secrets: this is how the tj-actions/changed-files compromise of \
            March 2025 leaked secrets from thousands of repositories. A full 40-character commit \
            SHA is the only reference that cannot be moved after review; a short SHA can be \
            shadowed by a fork's commit.",
        remediation: "Pin the commit the tag points at today and keep the tag in a comment, so \
            Dependabot or Renovate can still propose updates:\n\n\
            ```yaml\nsteps:\n  - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n```\n\n\
            Container actions take a digest: `docker://alpine:3.20@sha256:...`. Actions from \
            the same repository (`./.github/actions/...`) are versioned with it and need no pin.",
        references: &[
            "https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#using-third-party-actions",
            HARDENING_GUIDE,
            "https://github.com/ossf/scorecard/blob/main/docs/checks.md#pinned-dependencies",
            SCORECARD,
        ],
        aliases: &[Alias::new(Tool::Checkov, "CKV_GHA_8")],
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
      - uses: actions/checkout@v4
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
      - uses: ./.github/actions/setup
      - uses: docker://alpine:3.20@sha256:beefdcf1cb0a6f1d3c5ae4a8f3b0c7f0a81b6a2ad2c1c0e4b3a5e9d7c6f5a4b3
      - run: make test
",
        },
    },
    check: Check::Workflow(action_not_pinned),
};

fn action_not_pinned(workflow: &Workflow<'_>, sink: &mut FileSink<'_>) {
    for job in &workflow.jobs {
        if let Some(uses) = job.uses {
            check_uses(uses, &format!("{}.uses", job.logical()), sink);
        }
        for step in &job.steps {
            if let Some(uses) = step.uses {
                check_uses(uses, &format!("{}.uses", step.logical(job)), sink);
            }
        }
    }
}

fn check_uses(node: NodeRef<'_>, logical: &str, sink: &mut FileSink<'_>) {
    let Some(text) = node.as_text() else {
        return;
    };
    let problem = match ActionRef::parse(text) {
        ActionRef::Local(_) => return,
        ActionRef::Docker {
            digest: Some(d), ..
        } if d.starts_with("sha256:") => return,
        ActionRef::Docker { image, .. } => format!(
            "container action `{image}` is referenced by tag; pin it to a digest (`@sha256:...`)"
        ),
        ActionRef::Remote {
            reference: Some(r), ..
        } if is_full_sha(r) => return,
        ActionRef::Remote {
            repository,
            reference: Some(r),
            ..
        } if r.len() >= 7 && r.bytes().all(|b| b.is_ascii_hexdigit()) => format!(
            "`{repository}` is pinned to the short SHA `{r}`, which a fork's commit can \
             shadow; use the full 40-character SHA"
        ),
        ActionRef::Remote {
            repository,
            reference: Some(r),
            ..
        } => format!(
            "`{repository}@{r}` follows a tag or branch its owner can move; pin it to a full \
             commit SHA"
        ),
        ActionRef::Remote { repository, .. } => {
            format!("`{repository}` names no version; pin it to a full commit SHA")
        }
    };
    sink.at(node.span(), logical, problem)
        .set_help("use `owner/repo@<40-hex commit sha> # vX.Y.Z`");
}
