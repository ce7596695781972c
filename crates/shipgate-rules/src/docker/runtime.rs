//! What the image does when it runs: its user, its command, its health check
//! and the ports it advertises.

use shipgate_core::{Alias, Category, Example, RuleMeta, Severity, Tool};
use shipgate_syntax::dockerfile::{Args, CommandForm, Instruction, Keyword};

use super::{BEST_PRACTICES, CIS_DOCKER, Dockerfile, HARDENED, REFERENCE};
use crate::sink::FileSink;
use crate::{Check, RuleDef};

const DOCKERFILE: &str = "Dockerfile";

pub(super) const FINAL_STAGE_ROOT_USER: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/final-stage-root-user",
        title: "The final stage runs as a non-root user",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "Without a `USER`, a container runs as root (UID 0). A process compromised \
            through the application then owns the container's filesystem and is one kernel \
            or runtime bug away from the host; many clusters refuse such images outright \
            under the restricted Pod Security Standard. Only the final stage matters: build \
            stages may need root to install packages.",
        remediation: "Create an unprivileged user and switch to it at the end of the final \
            stage, by number so that `runAsNonRoot` can verify it:\n\n```dockerfile\n\
            RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin app\n\
            USER 10001\n```",
        references: &[
            BEST_PRACTICES,
            "https://docs.docker.com/reference/dockerfile/#user",
            CIS_DOCKER,
        ],
        aliases: &[
            Alias::new(Tool::Hadolint, "DL3002"),
            Alias::new(Tool::Checkov, "CKV_DOCKER_8"),
            Alias::new(Tool::Checkov, "CKV_DOCKER_3"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM node:22.11-bookworm-slim\nWORKDIR /app\nCOPY . .\nCMD [\"node\", \"server.js\"]\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: HARDENED,
        },
    },
    check: Check::Dockerfile(final_stage_root_user),
};

/// Base images whose default user is not root, by a convention of their names.
fn runs_as_non_root(image: &str) -> bool {
    let lower = image.to_ascii_lowercase();
    ["nonroot", "non-root", "rootless", "unprivileged"]
        .iter()
        .any(|m| lower.contains(m))
}

fn final_stage_root_user(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    let Some(last) = model.file.final_stage() else {
        return;
    };
    // The last USER of the final stage wins; without one, the stage it is
    // built on decides, and so on down to the base image.
    for stage in model.file.lineage(last.index) {
        let Some(stage) = model.file.stages.get(stage) else {
            continue;
        };
        let Some((offset, user)) = model
            .file
            .stage_instructions(stage)
            .iter()
            .enumerate()
            .rfind(|(_, i)| i.keyword == Keyword::User)
        else {
            continue;
        };
        let index = stage.from + offset;
        let Some(word) = user.text() else { return };
        let expanded = model.expand(index, &word.raw);
        if expanded.unresolved {
            return;
        }
        let name = expanded.value.split(':').next().unwrap_or("").trim();
        if name == "root" || name == "0" {
            sink.at(
                model.span(word.span),
                model.logical(index),
                format!("the final stage runs as root (`USER {}`)", expanded.value),
            )
            .set_help("switch to an unprivileged user, by UID: `USER 10001`");
        }
        return;
    }
    let root = model
        .file
        .lineage(last.index)
        .last()
        .and_then(|s| model.file.stages.get(*s));
    let base = root.and_then(
        |stage| match &model.file.instructions.get(stage.from)?.args {
            Args::From { image, .. } => Some(model.expand(stage.from, &image.raw)),
            _ => None,
        },
    );
    if base
        .as_ref()
        .is_some_and(|b| b.unresolved || runs_as_non_root(&b.value))
    {
        return;
    }
    let Some(from) = model.file.instructions.get(last.from) else {
        return;
    };
    let span = match &from.args {
        Args::From { image, .. } => from.keyword_span.cover(image.span),
        _ => from.keyword_span,
    };
    sink.at(
        model.span(span),
        model.logical(last.from),
        "the final stage sets no USER, so the container runs as root unless the base image \
         says otherwise",
    )
    .set_help("end the final stage with `USER <uid>`, a non-root UID such as 10001");
}

pub(super) const HEALTHCHECK_MISSING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/healthcheck-missing",
        title: "The final stage declares a HEALTHCHECK",
        severity: Severity::Info,
        category: Category::Reliability,
        rationale: "Docker and Compose know a container is healthy only through its \
            `HEALTHCHECK`: without one, `depends_on: condition: service_healthy` cannot \
            work and a hung process looks alive. Kubernetes ignores the instruction and uses \
            its own probes, and images that are tools rather than services need none, hence \
            the informational level.",
        remediation: "Declare a cheap check in exec form, with a binary the image contains:\n\n\
            ```dockerfile\nHEALTHCHECK --interval=30s --timeout=3s --retries=3 \\\n  \
            CMD [\"/app/healthcheck\"]\n```\n\nWrite `HEALTHCHECK NONE` to say the image \
            deliberately has none.",
        references: &[
            "https://docs.docker.com/reference/dockerfile/#healthcheck",
            "https://docs.docker.com/compose/how-tos/startup-order/",
            CIS_DOCKER,
        ],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_DOCKER_2"),
            Alias::new(Tool::Hadolint, "DL3057"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM nginx:1.27.3\nCOPY site/ /usr/share/nginx/html/\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM nginx:1.27.3 AS base\nHEALTHCHECK CMD curl -fsS http://localhost/ || exit 1\nFROM base\nCOPY site/ /usr/share/nginx/html/\n",
        },
    },
    check: Check::Dockerfile(healthcheck_missing),
};

fn healthcheck_missing(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    let Some(last) = model.file.final_stage() else {
        return;
    };
    let has_one = model.file.lineage(last.index).into_iter().any(|s| {
        model.file.stages.get(s).is_some_and(|stage| {
            model
                .file
                .stage_instructions(stage)
                .iter()
                .any(|i| i.keyword == Keyword::Healthcheck)
        })
    });
    if has_one {
        return;
    }
    let Some(from) = model.file.instructions.get(last.from) else {
        return;
    };
    sink.at(
        model.span(from.keyword_span),
        model.logical(last.from),
        "the final stage declares no HEALTHCHECK",
    )
    .set_help("add `HEALTHCHECK CMD [...]`, or `HEALTHCHECK NONE` if none makes sense");
}

fn repeated(model: &Dockerfile<'_>, sink: &mut FileSink<'_>, keyword: Keyword) {
    for stage in &model.file.stages {
        let all: Vec<(usize, &Instruction)> = model
            .file
            .stage_instructions(stage)
            .iter()
            .enumerate()
            .filter(|(_, i)| i.keyword == keyword)
            .map(|(o, i)| (stage.from + o, i))
            .collect();
        let Some((_, last)) = all.last() else {
            continue;
        };
        for (index, instruction) in &all[..all.len() - 1] {
            let related = model.location(sink, last.keyword_span);
            sink.at(
                model.span(instruction.keyword_span),
                model.logical(*index),
                format!(
                    "this {0} has no effect: a later {0} in the same stage replaces it",
                    keyword.as_str()
                ),
            )
            .add_related(related, "the one that takes effect")
            .set_help(format!("keep a single {} per stage", keyword.as_str()));
        }
    }
}

pub(super) const MULTIPLE_CMD: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/multiple-cmd",
        title: "A stage has at most one CMD",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "Only the last `CMD` of a stage takes effect; earlier ones are silently \
            replaced. A second `CMD` is usually a leftover or an attempt to start two \
            processes, which a container cannot do this way.",
        remediation: "Keep one `CMD`; to run several processes, use a small supervisor or, \
            better, one container per process:\n\n```dockerfile\nCMD [\"gunicorn\", \
            \"app:wsgi\"]\n```",
        references: &[
            "https://docs.docker.com/reference/dockerfile/#cmd",
            BEST_PRACTICES,
        ],
        aliases: &[Alias::new(Tool::Hadolint, "DL4003")],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM python:3.12-slim\nCMD [\"celery\", \"worker\"]\nCMD [\"gunicorn\", \"app:wsgi\"]\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM python:3.12-slim AS base\nCMD [\"python\"]\nFROM base\nCMD [\"gunicorn\", \"app:wsgi\"]\n",
        },
    },
    check: Check::Dockerfile(|model, sink| repeated(model, sink, Keyword::Cmd)),
};

pub(super) const MULTIPLE_ENTRYPOINT: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/multiple-entrypoint",
        title: "A stage has at most one ENTRYPOINT",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "Only the last `ENTRYPOINT` of a stage takes effect, and setting it also \
            resets any `CMD` inherited from the base image. Two of them in a stage mean one \
            is dead code that misleads whoever reads the file.",
        remediation: "Keep a single `ENTRYPOINT`:\n\n```dockerfile\nENTRYPOINT \
            [\"/usr/local/bin/api\"]\n```",
        references: &["https://docs.docker.com/reference/dockerfile/#entrypoint"],
        aliases: &[Alias::new(Tool::Hadolint, "DL4004")],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nENTRYPOINT [\"/bin/api\"]\nENTRYPOINT [\"/bin/worker\"]\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nENTRYPOINT [\"/bin/api\"]\nCMD [\"--port\", \"8080\"]\n",
        },
    },
    check: Check::Dockerfile(|model, sink| repeated(model, sink, Keyword::Entrypoint)),
};

pub(super) const MULTIPLE_HEALTHCHECK: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/multiple-healthcheck",
        title: "A stage has at most one HEALTHCHECK",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "Only the last `HEALTHCHECK` of a stage is used. An earlier one is dead \
            code, and whoever tunes its interval or command changes nothing.",
        remediation: "Keep one `HEALTHCHECK` per stage:\n\n```dockerfile\nHEALTHCHECK \
            --interval=30s CMD [\"/app/healthcheck\"]\n```",
        references: &["https://docs.docker.com/reference/dockerfile/#healthcheck"],
        aliases: &[Alias::new(Tool::Hadolint, "DL3012")],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM nginx:1.27.3\nHEALTHCHECK CMD curl -f http://localhost/\nHEALTHCHECK CMD curl -f http://localhost/health\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM nginx:1.27.3\nHEALTHCHECK CMD curl -f http://localhost/health\n",
        },
    },
    check: Check::Dockerfile(|model, sink| repeated(model, sink, Keyword::Healthcheck)),
};

pub(super) const SHELL_FORM_COMMAND: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/shell-form-command",
        title: "CMD and ENTRYPOINT use the exec (JSON) form",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "In shell form, the container's PID 1 is `/bin/sh -c`, which does not \
            forward SIGTERM: on `docker stop` or a Kubernetes rollout the application gets \
            no chance to drain and is killed after the grace period. Shell form also makes \
            `ENTRYPOINT` ignore `CMD` and the arguments of `docker run`.",
        remediation: "Write the command as a JSON array of strings:\n\n```dockerfile\n\
            ENTRYPOINT [\"/usr/local/bin/api\", \"--port\", \"8080\"]\n```\n\nIf a shell \
            is needed, end the script with `exec` so the application replaces it.",
        references: &[
            "https://docs.docker.com/reference/build-checks/json-args-recommended/",
            "https://docs.docker.com/reference/dockerfile/#shell-and-exec-form",
            BEST_PRACTICES,
        ],
        aliases: &[Alias::new(Tool::Hadolint, "DL3025")],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM node:22.11-bookworm-slim\nCMD node server.js\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM node:22.11-bookworm-slim\nCMD [\"node\", \"server.js\"]\n",
        },
    },
    check: Check::Dockerfile(shell_form_command),
};

fn shell_form_command(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, instruction) in model.instructions() {
        if !matches!(instruction.keyword, Keyword::Cmd | Keyword::Entrypoint) {
            continue;
        }
        let Some(CommandForm::Shell(shell)) = instruction.command() else {
            continue;
        };
        let keyword = instruction.keyword.as_str();
        let words: Vec<String> = shell
            .commands
            .first()
            .map(|c| c.words.iter().map(|w| format!("{:?}", w.value)).collect())
            .unwrap_or_default();
        let finding = sink.at(
            model.span(shell.span),
            model.logical(index),
            format!(
                "{keyword} in shell form runs under `/bin/sh -c`, which does not pass signals on"
            ),
        );
        if shell.commands.len() == 1 && !words.is_empty() {
            finding.set_help(format!("write `{keyword} [{}]`", words.join(", ")));
        } else {
            finding.set_help(format!("write {keyword} as a JSON array of strings"));
        }
    }
}

pub(super) const EXPOSE_SSH: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/expose-ssh",
        title: "The image does not expose SSH (port 22)",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "An SSH server in an application container is another daemon to patch, \
            another set of credentials to leak and another way in that bypasses the \
            platform's access controls and audit. `docker exec` and `kubectl exec` give \
            operators a shell without it.",
        remediation: "Remove `EXPOSE 22` and the SSH server; debug with `docker exec` or \
            `kubectl debug`:\n\n```dockerfile\nEXPOSE 8080\n```",
        references: &[CIS_DOCKER, BEST_PRACTICES],
        aliases: &[Alias::new(Tool::Checkov, "CKV_DOCKER_1")],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nEXPOSE 8080 22/tcp\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nEXPOSE 8080 2222/tcp\n",
        },
    },
    check: Check::Dockerfile(expose_ssh),
};

/// Each exposed port of an `EXPOSE`, expanded: `(word, ports, protocol)`.
fn exposed<'a>(
    model: &Dockerfile<'a>,
    index: usize,
    instruction: &'a Instruction,
) -> Vec<(&'a shipgate_syntax::dockerfile::Word, String, String)> {
    let Args::Words(words) = &instruction.args else {
        return Vec::new();
    };
    words
        .iter()
        .filter_map(|word| {
            let expanded = model.expand(index, &word.raw);
            if expanded.unresolved || expanded.value.is_empty() {
                return None;
            }
            let (ports, protocol) = match expanded.value.split_once('/') {
                Some((p, proto)) => (p.to_owned(), proto.to_owned()),
                None => (expanded.value.clone(), "tcp".to_owned()),
            };
            Some((word, ports, protocol))
        })
        .collect()
}

/// `8000` or `8000-8010` as an inclusive range; `None` when not numeric.
fn port_range(ports: &str) -> Option<(u64, u64)> {
    let (low, high) = ports.split_once('-').unwrap_or((ports, ports));
    Some((low.trim().parse().ok()?, high.trim().parse().ok()?))
}

fn expose_ssh(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, instruction) in model.of(Keyword::Expose) {
        for (word, ports, _) in exposed(model, index, instruction) {
            if port_range(&ports).is_some_and(|(low, high)| low <= 22 && 22 <= high) {
                sink.at(
                    model.span(word.span),
                    format!("{} > port[{ports}]", model.logical(index)),
                    "the image exposes SSH (port 22)",
                )
                .set_help("remove the SSH server; use `docker exec` or `kubectl debug`");
            }
        }
    }
}

pub(super) const EXPOSE_INVALID_PORT: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/expose-invalid-port",
        title: "EXPOSE names valid ports and protocols",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "Ports run from 0 to 65535 and the protocol is `tcp`, `udp` or `sctp`; \
            anything else fails the build or, worse, publishes something other than what \
            was meant. `EXPOSE 80:8080` is a `docker run -p` mapping, which a Dockerfile \
            cannot express.",
        remediation: "Expose the container port only, with an optional protocol:\n\n\
            ```dockerfile\nEXPOSE 8080/tcp 8125/udp\n```",
        references: &[
            "https://docs.docker.com/reference/dockerfile/#expose",
            "https://docs.docker.com/reference/build-checks/expose-invalid-format/",
        ],
        aliases: &[Alias::new(Tool::Hadolint, "DL3011")],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nEXPOSE 80:8080 70000\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "ARG PORT=8080\nFROM debian:12.8\nARG PORT\nEXPOSE ${PORT}/tcp 8125/UDP 9000-9010\n",
        },
    },
    check: Check::Dockerfile(expose_invalid_port),
};

fn expose_invalid_port(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, instruction) in model.of(Keyword::Expose) {
        for (word, ports, protocol) in exposed(model, index, instruction) {
            let message = match port_range(&ports) {
                _ if !matches!(
                    protocol.to_ascii_lowercase().as_str(),
                    "tcp" | "udp" | "sctp"
                ) =>
                {
                    format!(
                        "`{}`: protocol `{protocol}` is not tcp, udp or sctp",
                        word.value
                    )
                }
                Some((low, high)) if low <= 65535 && high <= 65535 && low <= high => continue,
                Some(_) => format!("`{}` is outside the port range 0-65535", word.value),
                None if ports.contains(':') => format!(
                    "`{}` is a host:container mapping, which belongs to `docker run -p`",
                    word.value
                ),
                None => format!("`{}` is not a port number", word.value),
            };
            sink.at(
                model.span(word.span),
                format!("{} > port[{}]", model.logical(index), word.value),
                message,
            )
            .set_help("write the container port, optionally with /tcp, /udp or /sctp");
        }
    }
}

pub(super) const MAINTAINER_DEPRECATED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/maintainer-deprecated",
        title: "MAINTAINER is replaced by a label",
        severity: Severity::Info,
        category: Category::Operability,
        rationale: "`MAINTAINER` has been deprecated since Docker 1.13 and fills a field that \
            tools no longer read. The OCI annotation `org.opencontainers.image.authors` is \
            what registries and scanners show.",
        remediation: "Use a label instead:\n\n```dockerfile\nLABEL \
            org.opencontainers.image.authors=\"platform@example.com\"\n```",
        references: &[
            "https://docs.docker.com/reference/build-checks/maintainer-deprecated/",
            REFERENCE,
        ],
        aliases: &[
            Alias::new(Tool::Hadolint, "DL4000"),
            Alias::new(Tool::Checkov, "CKV_DOCKER_6"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nMAINTAINER Jane Doe <jane@example.com>\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nLABEL org.opencontainers.image.authors=\"jane@example.com\"\n",
        },
    },
    check: Check::Dockerfile(maintainer_deprecated),
};

fn maintainer_deprecated(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, instruction) in model.of(Keyword::Maintainer) {
        sink.at(
            model.span(instruction.keyword_span),
            model.logical(index),
            "MAINTAINER is deprecated",
        )
        .set_help("use `LABEL org.opencontainers.image.authors=\"...\"`");
    }
}
