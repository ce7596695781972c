//! The file as BuildKit reads it: syntax, the order of instructions, and the
//! variables they use.

use shipgate_core::{Alias, Category, Example, RuleMeta, Severity, Tool};
use std::collections::{HashMap, HashSet};

use shipgate_syntax::dockerfile::{Args, CommandForm, Connector, Keyword, PREDEFINED_ARGS};

use super::{Dockerfile, REFERENCE};
use crate::sink::FileSink;
use crate::{Check, RuleDef};

const DOCKERFILE: &str = "Dockerfile";

pub(super) const SYNTAX_ERROR: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/syntax-error",
        title: "The Dockerfile parses",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "BuildKit refuses a Dockerfile with an unknown instruction, an unterminated \
            heredoc, a malformed parser directive or an unknown flag, so the image cannot be \
            built from this commit. Other rules judge the rest of the file, which may hide \
            how broken it is.",
        remediation: "Fix the reported line; `docker build --check .` runs BuildKit's own \
            checks without building:\n\n```dockerfile\nRUN <<EOF\nset -e\nmake\nEOF\n```",
        references: &[REFERENCE, "https://docs.docker.com/reference/build-checks/"],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUNN make\nRUN <<EOF\nmake install\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "# escape=`\nFROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nRUN <<EOF\nmake install\nEOF\n",
        },
    },
    check: Check::Dockerfile(syntax_error),
};

fn syntax_error(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for diagnostic in &model.file.diagnostics {
        if !diagnostic.kind.is_error() {
            continue;
        }
        sink.at(
            model.span(diagnostic.span),
            format!("syntax > {:?}", diagnostic.kind),
            diagnostic.message.clone(),
        );
    }
}

pub(super) const EMPTY_CONTINUATION: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/empty-continuation",
        title: "Line continuations do not run into blank lines or the end of the file",
        severity: Severity::Warning,
        category: Category::Correctness,
        rationale: "BuildKit skips a blank line inside a continued instruction but warns that \
            this is deprecated and will become an error; a continuation on the last line of \
            the file joins nothing. Both usually mean a line of the command was deleted and \
            the instruction no longer says what its author thinks.",
        remediation: "Remove the blank line, or the trailing escape character:\n\n\
            ```dockerfile\nRUN apt-get update \\\n && apt-get install -y --no-install-recommends \
            curl\n```",
        references: &[
            "https://docs.docker.com/reference/build-checks/no-empty-continuation/",
            REFERENCE,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUN apt-get update \\\n\n && apt-get install -y curl\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUN apt-get update \\\n # a comment line is fine\n && apt-get install -y curl\n",
        },
    },
    check: Check::Dockerfile(empty_continuation),
};

fn empty_continuation(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for diagnostic in &model.file.diagnostics {
        if diagnostic.kind.is_error() {
            continue;
        }
        sink.at(
            model.span(diagnostic.span),
            format!("syntax > {:?}", diagnostic.kind),
            diagnostic.message.clone(),
        )
        .set_help("remove the blank line, or the escape character at the end of the line");
    }
}

pub(super) const INSTRUCTION_BEFORE_FROM: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/instruction-before-from",
        title: "The Dockerfile starts with FROM",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "Only `ARG` may come before the first `FROM`: any other instruction has no \
            stage to apply to, and BuildKit stops with \"no build stage in current context\". \
            A file with no `FROM` at all builds nothing.",
        remediation: "Start the file with FROM, after any global ARG:\n\n```dockerfile\nARG \
            VERSION=1.23\nFROM golang:${VERSION}\n```",
        references: &["https://docs.docker.com/reference/dockerfile/#from"],
        aliases: &[Alias::new(Tool::Hadolint, "DL3061")],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "ENV APP_HOME=/app\nFROM debian:12.8\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "# syntax=docker/dockerfile:1\nARG VERSION=12.8\nFROM debian:${VERSION}\n",
        },
    },
    check: Check::Dockerfile(instruction_before_from),
};

fn instruction_before_from(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    let misplaced = model.instructions().find(|(_, i)| {
        i.stage.is_none() && !matches!(i.keyword, Keyword::Arg | Keyword::From | Keyword::Unknown)
    });
    if let Some((index, instruction)) = misplaced {
        sink.at(
            model.span(instruction.keyword_span),
            model.logical(index),
            format!(
                "{} comes before any FROM, where only ARG is allowed",
                instruction.keyword.as_str()
            ),
        )
        .set_help("move it after FROM");
    } else if model.file.stages.is_empty()
        && let Some((index, first)) = model.instructions().next()
    {
        sink.at(
            model.span(first.keyword_span),
            model.logical(index),
            "the Dockerfile has no FROM, so it builds nothing",
        )
        .set_help("add `FROM <image>` after the global ARGs");
    }
}

pub(super) const ARG_BEFORE_DECLARATION: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/arg-used-before-declared",
        title: "Build arguments are declared before use",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "A variable used before its `ARG`, or a global `ARG` used inside a stage \
            without being declared again there, expands to the empty string: `FROM \
            node:${VERSION}` or `RUN curl .../v${VERSION}/...` then silently build something \
            else. BuildKit scopes every `ARG` to the stage that declares it.",
        remediation: "Declare the argument before its first use, again in each stage that \
            needs a global one:\n\n```dockerfile\nARG VERSION=1.2.3\nFROM debian:12.8\n\
            ARG VERSION\nRUN curl -fsSLO https://example.com/tool-${VERSION}.tar.gz\n```",
        references: &[
            "https://docs.docker.com/reference/dockerfile/#scope",
            "https://docs.docker.com/reference/build-checks/undefined-var/",
            "https://docs.docker.com/reference/build-checks/undefined-arg-in-from/",
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "ARG VERSION=1.2.3\nFROM debian:12.8\nRUN echo \"installing ${VERSION}\"\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "ARG VERSION=1.2.3\nFROM --platform=$BUILDPLATFORM debian:12.8\nARG VERSION\nENV PATH=/opt/tool/bin:$PATH\nRUN echo \"installing ${VERSION} to $HOME\"\n",
        },
    },
    check: Check::Dockerfile(arg_used_before_declared),
};

/// `$NAME` and `${NAME...}` references in shell text, with byte offsets.
fn shell_references(text: &str) -> Vec<(usize, String)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut in_single = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'\'' => in_single = !in_single,
            b'$' if !in_single => {
                let start = i;
                let braced = bytes.get(i + 1) == Some(&b'{');
                let from = if braced { i + 2 } else { i + 1 };
                let len = bytes[from..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count();
                if len > 0 && !bytes[from].is_ascii_digit() {
                    out.push((start, text[from..from + len].to_owned()));
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn arg_used_before_declared(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, instruction) in model.of(Keyword::From) {
        let Args::From { image, .. } = &instruction.args else {
            continue;
        };
        for name in model.expand(index, &image.raw).undefined {
            sink.at(
                model.span(image.span),
                model.logical(index),
                format!("`${name}` in FROM is not a global ARG, so it expands to nothing"),
            )
            .set_help(format!(
                "declare `ARG {name}=<default>` before the first FROM"
            ));
        }
    }
    let globals: HashSet<&str> = model
        .file
        .global_args()
        .map(|p| p.key.value.as_str())
        .collect();
    for stage in &model.file.stages {
        // Names only, gathered in one pass: what each instruction could see.
        let mut declared: HashSet<&str> = HashSet::new();
        for ancestor in model.file.lineage(stage.index).iter().skip(1) {
            if let Some(ancestor) = model.file.stages.get(*ancestor) {
                for i in model.file.stage_instructions(ancestor) {
                    if i.keyword == Keyword::Env {
                        declared.extend(i.pairs().iter().map(|p| p.key.value.as_str()));
                    }
                }
            }
        }
        let mut arg_positions: HashMap<&str, Vec<usize>> = HashMap::new();
        for index in stage.from + 1..stage.end {
            if let Some(i) = model.file.instructions.get(index)
                && i.keyword == Keyword::Arg
            {
                for pair in i.pairs() {
                    arg_positions
                        .entry(&pair.key.value)
                        .or_default()
                        .push(index);
                }
            }
        }
        let context = Context {
            globals: &globals,
            arg_positions: &arg_positions,
        };
        for index in stage.from + 1..stage.end {
            let Some(instruction) = model.file.instructions.get(index) else {
                continue;
            };
            check_references(model, sink, index, &context, &declared);
            if matches!(instruction.keyword, Keyword::Arg | Keyword::Env) {
                declared.extend(instruction.pairs().iter().map(|p| p.key.value.as_str()));
            }
        }
    }
}

/// What a stage knows about its arguments before its instructions are checked.
struct Context<'a> {
    globals: &'a HashSet<&'a str>,
    /// Where each name is declared by an `ARG` of the stage, in order.
    arg_positions: &'a HashMap<&'a str, Vec<usize>>,
}

fn check_references(
    model: &Dockerfile<'_>,
    sink: &mut FileSink<'_>,
    index: usize,
    context: &Context<'_>,
    declared: &HashSet<&str>,
) {
    let Some(instruction) = model.file.instructions.get(index) else {
        return;
    };
    // The words BuildKit expands itself, and the shell text of RUN, whose
    // shell sees declared ARGs as environment variables.
    let words: Vec<&shipgate_syntax::dockerfile::Word> =
        match (&instruction.keyword, &instruction.args) {
            (Keyword::Run, Args::Command(CommandForm::Shell(shell))) => {
                shell.commands.iter().flat_map(|c| c.words.iter()).collect()
            }
            (Keyword::Run | Keyword::Cmd | Keyword::Entrypoint | Keyword::Shell, _) => Vec::new(),
            (_, args) => words_of(args),
        };
    if !words.iter().any(|w| w.raw.contains('$')) {
        return;
    }
    // Variables the RUN's own shell assigns (`V=1; echo $V`) are not ARGs.
    let assigned: HashSet<&str> = instruction
        .commands()
        .flat_map(|c| c.words.iter())
        .filter_map(|w| w.value.split_once('=').map(|(name, _)| name))
        .collect();
    let mut seen: HashSet<String> = HashSet::new();
    for word in words {
        if !word.raw.contains('$') {
            continue;
        }
        for (_, name) in shell_references(&word.raw) {
            if declared.contains(name.as_str())
                || assigned.contains(name.as_str())
                || !seen.insert(name.clone())
            {
                continue;
            }
            let declared_later = context
                .arg_positions
                .get(name.as_str())
                .and_then(|positions| positions.iter().find(|p| **p > index).copied());
            let message = if let Some(later) = declared_later {
                let line = model
                    .span(model.file.instructions[later].keyword_span)
                    .start
                    .line;
                format!("`{name}` is used before its ARG on line {line}, so it is empty here")
            } else if context.globals.contains(name.as_str()) {
                format!(
                    "global ARG `{name}` is not visible in this stage until it is declared \
                     again with `ARG {name}`"
                )
            } else if PREDEFINED_ARGS.contains(&name.as_str()) {
                format!(
                    "platform argument `{name}` is empty in a stage until it is declared with \
                     `ARG {name}`"
                )
            } else {
                continue;
            };
            sink.at(
                model.span(word.span),
                format!("{} > ${name}", model.logical(index)),
                message,
            )
            .set_help(format!("add `ARG {name}` to the stage before this line"));
        }
    }
}

fn words_of(args: &Args) -> Vec<&shipgate_syntax::dockerfile::Word> {
    match args {
        Args::Files { sources, dest, .. } => sources.iter().chain(dest.as_ref()).collect(),
        Args::Pairs(pairs) => pairs.iter().filter_map(|p| p.value.as_ref()).collect(),
        Args::Words(words) => words.iter().collect(),
        Args::Text(word) => vec![word],
        _ => Vec::new(),
    }
}

pub(super) const PIPE_WITHOUT_PIPEFAIL: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/pipe-without-pipefail",
        title: "RUN with a pipe sets pipefail",
        severity: Severity::Info,
        category: Category::Reliability,
        rationale: "A shell pipeline succeeds when its last command does: `curl ... | tar xz` \
            with a failed download still passes the `RUN`, and the image is built without the \
            tool. `set -o pipefail` (or a `SHELL` that sets it) makes any failing stage fail \
            the build. Not every `/bin/sh` supports it, hence the informational level.",
        remediation: "Use a shell that supports pipefail:\n\n```dockerfile\nSHELL \
            [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN curl -fsSL \
            https://example.com/tool.tar.gz | tar -xz -C /usr/local/bin\n```",
        references: &[
            "https://docs.docker.com/build/building/best-practices/#using-pipes",
            "https://docs.docker.com/reference/dockerfile/#shell",
        ],
        aliases: &[Alias::new(Tool::Hadolint, "DL4006")],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUN curl -fsSL https://example.com/tool.tar.gz | tar -xz -C /usr/local/bin\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN curl -fsSL https://example.com/tool.tar.gz | tar -xz -C /usr/local/bin\nFROM debian:12.8\nRUN set -eux -o pipefail; curl -fsSL https://example.com/a | tar -x\n",
        },
    },
    check: Check::Dockerfile(pipe_without_pipefail),
};

fn pipe_without_pipefail(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    // Whether the SHELL in effect sets pipefail, at the end of each stage: a
    // stage starts with the state its base stage ended with.
    let mut ends: Vec<bool> = Vec::with_capacity(model.file.stages.len());
    for stage in &model.file.stages {
        let mut pipefail = stage
            .base
            .and_then(|b| ends.get(b).copied())
            .unwrap_or(false);
        for index in stage.from + 1..stage.end {
            let Some(instruction) = model.file.instructions.get(index) else {
                continue;
            };
            match instruction.keyword {
                Keyword::Shell => {
                    pipefail = matches!(instruction.command(), Some(CommandForm::Exec { words, .. })
                        if words.iter().any(|w| w.value.contains("pipefail")));
                }
                Keyword::Run if !pipefail => report_pipe(model, sink, index),
                _ => {}
            }
        }
        ends.push(pipefail);
    }
}

fn report_pipe(model: &Dockerfile<'_>, sink: &mut FileSink<'_>, index: usize) {
    let Some(CommandForm::Shell(shell)) =
        model.file.instructions.get(index).and_then(|i| i.command())
    else {
        return;
    };
    let Some(position) = shell
        .commands
        .iter()
        .position(|c| c.connector == Connector::Pipe)
    else {
        return;
    };
    if shell.text.contains("pipefail") {
        return;
    }
    let piped = &shell.commands[position];
    // Point at the `|` itself, between the two commands.
    let from = position
        .checked_sub(1)
        .and_then(|p| shell.commands.get(p))
        .map_or(shell.span.start, |c| c.span.end) as usize;
    let to = piped.span.start as usize;
    let bar = model
        .text
        .get(from..to)
        .and_then(|between| between.find('|'))
        .map(|at| from + at);
    let span = match bar {
        Some(at) => shipgate_syntax::dockerfile::Span::new(at as u32, at as u32 + 1),
        None => piped.span,
    };
    sink.at(
        model.span(span),
        format!("{} > pipe", model.logical(index)),
        "a failure before the last command of this pipe does not fail the build",
    )
    .set_help("set `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` before this RUN");
}
