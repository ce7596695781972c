//! A hardened pair of workflows must be quiet with every workflow rule
//! selected, and every single defect planted into it must be reported on
//! the line that holds it (and, where the rule points inside a value, at
//! exactly the offending text).

use std::fs;

use shipgate_core::{Finding, Report, Severity};
use shipgate_rules::{ArtifactKind, Engine, EngineConfig};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/workflows");
const FILES: &[&str] = &["ci.yml", "release.yml"];

fn load() -> Vec<(String, String)> {
    FILES
        .iter()
        .map(|name| {
            let text = fs::read_to_string(format!("{FIXTURES}/{name}")).expect("fixture");
            (format!(".github/workflows/{name}"), text)
        })
        .collect()
}

fn engine(select: &[&str]) -> Engine {
    Engine::new(EngineConfig {
        select: select.iter().map(|s| s.to_string()).collect(),
        ..EngineConfig::default()
    })
    .expect("engine")
}

fn check(engine: &Engine, files: &[(String, String)]) -> Report {
    let outcomes = files
        .iter()
        .map(|(path, text)| {
            let kind = ArtifactKind::from_path(path, false);
            assert_eq!(kind, ArtifactKind::Workflow, "{path}");
            engine.check_text(path, text, kind)
        })
        .collect();
    engine.finish(vec![".".into()], outcomes, None)
}

fn describe(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("{} {} {}", f.location, f.rule, f.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_hardened_workflows_are_quiet() {
    let files = load();
    let report = check(&engine(&[]), &files);
    let loud: Vec<Finding> = report
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .cloned()
        .collect();
    assert!(loud.is_empty(), "{}", describe(&loud));
    // Opt-in and informational rules have nothing to say either.
    let report = check(&engine(&["workflows"]), &files);
    assert!(report.findings.is_empty(), "{}", describe(&report.findings));
}

/// One planted defect: replacements in one file, the rule that must fire,
/// the text of the line it must be reported on, and, when the rule points
/// inside a value, the exact text it must cover.
struct Defect {
    file: &'static str,
    edits: &'static [(&'static str, &'static str)],
    rule: &'static str,
    line: &'static str,
    covers: Option<&'static str>,
}

const DEFECTS: &[Defect] = &[
    Defect {
        file: "ci.yml",
        edits: &[(
            "actions/setup-python@0b93645e9fea7318ecaed2b359559ac225c90a2b # v5.3.0",
            "actions/setup-python@v5",
        )],
        rule: "workflows/action-not-pinned",
        line: "      - uses: actions/setup-python@v5",
        covers: Some("actions/setup-python@v5"),
    },
    Defect {
        file: "ci.yml",
        edits: &[(
            "actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea",
            "actions/github-script@60a0d83",
        )],
        rule: "workflows/action-not-pinned",
        line: "      - uses: actions/github-script@60a0d83 # v7.0.1",
        covers: Some("actions/github-script@60a0d83"),
    },
    Defect {
        file: "ci.yml",
        edits: &[(
            "docker://alpine:3.20@sha256:beefdcf1cb0a6f1d3c5ae4a8f3b0c7f0a81b6a2ad2c1c0e4b3a5e9d7c6f5a4b3",
            "docker://alpine:3.20",
        )],
        rule: "workflows/action-not-pinned",
        line: "      - uses: docker://alpine:3.20",
        covers: Some("docker://alpine:3.20"),
    },
    Defect {
        file: "release.yml",
        edits: &[(
            "notify.yml@8e5e7e5ab8b370d6c329ec480221332ada57f0ab",
            "notify.yml@main",
        )],
        rule: "workflows/action-not-pinned",
        line: "    uses: example-org/shared/.github/workflows/notify.yml@main",
        covers: Some("example-org/shared/.github/workflows/notify.yml@main"),
    },
    Defect {
        file: "ci.yml",
        edits: &[(
            "permissions:\n  contents: read\n\nconcurrency",
            "concurrency",
        )],
        rule: "workflows/permissions-missing",
        line: "  lint:",
        covers: Some("lint"),
    },
    Defect {
        file: "ci.yml",
        edits: &[(
            "permissions:\n  contents: read\n\nconcurrency",
            "permissions: write-all\n\nconcurrency",
        )],
        rule: "workflows/permissions-too-broad",
        line: "permissions: write-all",
        covers: Some("write-all"),
    },
    Defect {
        file: "ci.yml",
        edits: &[(
            "      pull-requests: write\n",
            "      pull-requests: write\n      contents: write\n",
        )],
        rule: "workflows/permissions-too-broad",
        line: "      contents: write",
        covers: Some("write"),
    },
    Defect {
        file: "ci.yml",
        edits: &[
            ("  pull_request:\n", "  pull_request_target:\n"),
            (
                "          persist-credentials: \"false\"\n",
                "          persist-credentials: \"false\"\n          ref: ${{ github.event.pull_request.head.sha }}\n",
            ),
        ],
        rule: "workflows/untrusted-checkout",
        line: "          ref: ${{ github.event.pull_request.head.sha }}",
        covers: Some("${{ github.event.pull_request.head.sha }}"),
    },
    Defect {
        file: "ci.yml",
        edits: &[("from $HEAD\"", "from ${{ github.head_ref }}\"")],
        rule: "workflows/script-injection",
        line: "          echo \"Checking pull request ${{ github.event.pull_request.number }} from ${{ github.head_ref }}\"",
        covers: Some("${{ github.head_ref }}"),
    },
    Defect {
        file: "ci.yml",
        edits: &[(
            "pytest --shard ${{ matrix.shard }}",
            "pytest -k \"${{ github.event.head_commit.message }}\"",
        )],
        rule: "workflows/script-injection",
        // A folded block loses its line breaks: the finding covers the block.
        line: "          pytest -k \"${{ github.event.head_commit.message }}\"",
        covers: None,
    },
    Defect {
        file: "ci.yml",
        edits: &[(
            "context.payload.pull_request?.title ?? ''",
            "'${{ github.event.pull_request.title }}'",
        )],
        rule: "workflows/script-injection",
        line: "            const title = '${{ github.event.pull_request.title }}';",
        covers: Some("${{ github.event.pull_request.title }}"),
    },
    Defect {
        file: "release.yml",
        edits: &[(
            "echo \"logged in as ${{ github.actor }}\"",
            "echo \"logged in with ${{ secrets.REGISTRY_TOKEN }}\"",
        )],
        rule: "workflows/secret-echoed",
        line: "          echo \"logged in with ${{ secrets.REGISTRY_TOKEN }}\"",
        covers: Some("${{ secrets.REGISTRY_TOKEN }}"),
    },
    Defect {
        file: "release.yml",
        edits: &[(
            "echo \"logged in as ${{ github.actor }}\"",
            "echo \"token: $REGISTRY_TOKEN\"",
        )],
        rule: "workflows/secret-echoed",
        line: "          echo \"token: $REGISTRY_TOKEN\"",
        covers: Some("$REGISTRY_TOKEN"),
    },
    Defect {
        file: "ci.yml",
        edits: &[("labels: [ubuntu-24.04]", "labels: [self-hosted, linux]")],
        rule: "workflows/self-hosted-pull-request",
        line: "      labels: [self-hosted, linux]",
        covers: Some("self-hosted"),
    },
    Defect {
        file: "ci.yml",
        edits: &[(
            "# v4.2.2\n        with:\n          persist-credentials: false\n",
            "# v4.2.2\n",
        )],
        rule: "workflows/checkout-persist-credentials",
        line: "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2",
        covers: Some("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683"),
    },
    Defect {
        file: "ci.yml",
        edits: &[("    timeout-minutes: 5\n", "")],
        rule: "workflows/job-timeout-missing",
        line: "  report:",
        covers: Some("report"),
    },
];

fn plant(files: &[(String, String)], defect: &Defect) -> Vec<(String, String)> {
    files
        .iter()
        .map(|(path, text)| {
            let mut text = text.clone();
            if path.ends_with(defect.file) {
                for (from, to) in defect.edits {
                    assert!(
                        text.contains(from),
                        "{}: `{from}` not in the fixture",
                        defect.rule
                    );
                    text = text.replacen(from, to, 1);
                }
            }
            (path.clone(), text)
        })
        .collect()
}

fn assert_reported(files: &[(String, String)], defect: &Defect, problems: &mut Vec<String>) {
    let planted = plant(files, defect);
    let (path, text) = planted
        .iter()
        .find(|(path, _)| path.ends_with(defect.file))
        .expect("file");
    let Some(line) = text
        .lines()
        .position(|l| l == defect.line)
        .map(|i| i as u32 + 1)
    else {
        problems.push(format!("{}: no line `{}`", defect.rule, defect.line));
        return;
    };
    let report = check(&engine(&["workflows"]), &planted);
    let hits: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.rule == defect.rule && &f.location.path == path)
        .collect();
    let at_line = hits.iter().find(|f| f.location.line() == Some(line));
    match at_line {
        None => problems.push(format!(
            "{}: expected at {path}:{line}, got:\n{}",
            defect.rule,
            describe(&report.findings)
        )),
        Some(finding) => {
            if let (Some(covers), Some(span)) = (defect.covers, finding.location.span) {
                let covered = &text[span.start_byte as usize..span.end_byte as usize];
                if covered != covers {
                    problems.push(format!(
                        "{}: covers `{covered}`, expected `{covers}`",
                        defect.rule
                    ));
                }
            }
        }
    }
    // The defect is reported by its rule alone.
    let others: Vec<Finding> = report
        .findings
        .iter()
        .filter(|f| f.rule != defect.rule)
        .cloned()
        .collect();
    if !others.is_empty() {
        problems.push(format!(
            "{}: other rules fired too:\n{}",
            defect.rule,
            describe(&others)
        ));
    }
}

#[test]
fn every_planted_defect_is_reported_on_its_line() {
    let files = load();
    let mut problems = Vec::new();
    for defect in DEFECTS {
        assert_reported(&files, defect, &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn positions_survive_crlf_line_endings() {
    let files: Vec<(String, String)> = load()
        .into_iter()
        .map(|(path, text)| (path, text.replace('\n', "\r\n")))
        .collect();
    let mut problems = Vec::new();
    for defect in DEFECTS
        .iter()
        .filter(|d| d.rule == "workflows/script-injection")
    {
        assert_reported(&files, defect, &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

fn findings_for(rule: &str, yaml: &str) -> Vec<Finding> {
    let files = vec![(".github/workflows/ci.yml".to_owned(), yaml.to_owned())];
    check(&engine(&[rule]), &files).findings
}

#[test]
fn triggers_are_read_in_every_form() {
    let job = "permissions:\n  contents: read\njobs:\n  t:\n    runs-on: self-hosted\n    steps:\n      - run: make\n";
    for on in [
        "on: pull_request\n",
        "on: [push, pull_request]\n",
        "on:\n  pull_request:\n",
        "on:\n  push:\n  pull_request:\n    branches: [main]\n",
        "\"on\": {pull_request: {}}\n",
    ] {
        let found = findings_for("workflows/self-hosted-pull-request", &format!("{on}{job}"));
        assert_eq!(found.len(), 1, "{on}");
    }
    for on in ["on: push\n", "on: [push, workflow_dispatch]\n"] {
        let found = findings_for("workflows/self-hosted-pull-request", &format!("{on}{job}"));
        assert!(found.is_empty(), "{on}");
    }
}

#[test]
fn permissions_are_read_at_both_levels() {
    // No permissions anywhere: one finding, at `jobs:`.
    let found = findings_for(
        "workflows/permissions-missing",
        "on: push\njobs:\n  a:\n    runs-on: x\n  b:\n    runs-on: x\n",
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].location.line(), Some(2));
    // Every job declares its own: nothing to say.
    let found = findings_for(
        "workflows/permissions-missing",
        "on: push\njobs:\n  a:\n    runs-on: x\n    permissions: read-all\n",
    );
    assert!(found.is_empty());
    // write-all at job level on a push workflow is still too broad.
    let found = findings_for(
        "workflows/permissions-too-broad",
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    permissions: write-all\n",
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].location.line(), Some(6));
    // `contents: write` is expected of a release workflow started by tags.
    let found = findings_for(
        "workflows/permissions-too-broad",
        "on:\n  push:\n    tags: ['v*']\npermissions:\n  contents: write\njobs:\n  a:\n    runs-on: x\n",
    );
    assert!(found.is_empty());
}

#[test]
fn untrusted_contexts_in_every_spelling_are_caught() {
    for expression in [
        "${{ github.event.issue.title }}",
        "${{ github.event.comment.body }}",
        "${{ github.event.review.body }}",
        "${{ github.event.pages[0].page_name }}",
        "${{ github.event.commits[0].message }}",
        "${{ github.event.head_commit.author.email }}",
        "${{ github.event.pull_request.head.ref }}",
        "${{ github['head_ref'] }}",
        "${{ toJSON(github.event.issue) }}",
        "${{ format('{0}', github.event.discussion.body) }}",
    ] {
        let yaml = format!(
            "on: issue_comment\npermissions: {{}}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo \"{expression}\"\n"
        );
        let found = findings_for("workflows/script-injection", &yaml);
        assert_eq!(found.len(), 1, "{expression}");
        let span = found[0].location.span.expect("span");
        assert_eq!(
            &yaml[span.start_byte as usize..span.end_byte as usize],
            expression
        );
    }
    for safe in [
        "${{ github.event.issue.number }}",
        "${{ github.sha }}",
        "${{ github.event_name }}",
        "${{ 'github.event.issue.title' }}",
    ] {
        let yaml = format!(
            "on: issue_comment\npermissions: {{}}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo \"{safe}\"\n"
        );
        assert!(
            findings_for("workflows/script-injection", &yaml).is_empty(),
            "{safe}"
        );
    }
}

#[test]
fn step_env_overrides_a_secret_of_the_job() {
    let yaml = "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    env:\n      TOKEN: ${{ secrets.T }}\n    steps:\n      - env:\n          TOKEN: public\n        run: echo $TOKEN\n      - run: echo $TOKEN\n";
    let found = findings_for("workflows/secret-echoed", yaml);
    assert_eq!(found.len(), 1, "{}", describe(&found));
    assert_eq!(found[0].location.line(), Some(12));
}

/// A composite action's steps run in its caller's job: what they use and
/// run is judged as a workflow's steps are, while the job-level rules
/// (permissions, timeout) belong to the caller.
#[test]
fn composite_actions_are_judged_by_their_steps() {
    let action = "\
name: Lint
description: Runs the linter
inputs:
  token:
    description: a token
runs:
  using: composite
  steps:
    - uses: actions/checkout@v4
    - shell: bash
      run: echo \"${{ github.event.pull_request.title }}\"
    - uses: ./local-action
";
    let engine = engine(&["workflows"]);
    let outcome = engine.check_text("tools/lint/action.yml", action, ArtifactKind::Yaml);
    assert_eq!(outcome.kind, Some(ArtifactKind::Workflow));
    let report = engine.finish(vec![".".into()], vec![outcome], None);
    let found: Vec<(String, u32)> = report
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.location.line().unwrap_or(0)))
        .collect();
    assert_eq!(
        found,
        [
            ("workflows/action-not-pinned".to_owned(), 9),
            ("workflows/checkout-persist-credentials".to_owned(), 9),
            ("workflows/script-injection".to_owned(), 11),
        ],
        "{}",
        describe(&report.findings)
    );

    // Other files named action.yml, and JavaScript or Docker actions, are
    // not read as workflows.
    for (path, text) in [
        (
            "action.yml",
            "runs:\n  using: node20\n  main: dist/index.js\n",
        ),
        (
            "k8s/action.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
        ),
        ("steps.yml", action),
    ] {
        let outcome = engine.check_text(path, text, ArtifactKind::from_path(path, false));
        assert_ne!(outcome.kind, Some(ArtifactKind::Workflow), "{path}");
    }
}
