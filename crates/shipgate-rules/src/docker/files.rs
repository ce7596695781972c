//! Getting files into the image: ADD and COPY, and where they land.

use shipgate_core::{Alias, Category, Example, RuleMeta, Severity, Tool};
use shipgate_syntax::dockerfile::{Args, Keyword};

use super::{BEST_PRACTICES, CIS_DOCKER, Dockerfile};
use crate::sink::FileSink;
use crate::{Check, RuleDef};

const DOCKERFILE: &str = "Dockerfile";

fn is_url(source: &str) -> bool {
    let lower = source.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || is_git(&lower)
}

fn is_git(lower: &str) -> bool {
    lower.starts_with("git@")
        || lower.starts_with("git://")
        || lower.starts_with("ssh://")
        || lower.split('#').next().is_some_and(|u| u.ends_with(".git"))
}

/// Local archives ADD unpacks into the image, which COPY cannot do.
fn is_archive(source: &str) -> bool {
    const EXTENSIONS: &[&str] = &[
        ".tar",
        ".tar.gz",
        ".tgz",
        ".tar.bz2",
        ".tbz",
        ".tbz2",
        ".tar.xz",
        ".txz",
        ".tar.zst",
        ".tzst",
        ".tar.lz",
        ".tar.lzma",
        ".gz",
        ".bz2",
        ".xz",
        ".zst",
    ];
    let lower = source.to_ascii_lowercase();
    EXTENSIONS.iter().any(|e| lower.ends_with(e))
}

pub(super) const ADD_REMOTE_URL: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/add-remote-url",
        title: "ADD does not download from URLs without a checksum",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "`ADD https://...` fetches whatever the server returns at build time, with \
            nothing to say it is the file that was reviewed: a compromised or changed server \
            changes the image. `ADD --checksum=sha256:...` makes the build fail on any \
            difference; a Git source should name a commit.",
        remediation: "Pin the download with its checksum:\n\n```dockerfile\nADD \
            --checksum=sha256:<sha256> https://example.com/tool-1.2.3.tar.gz /tmp/\n```\n\n\
            or fetch a Git repository at a commit: `ADD https://github.com/org/repo.git#<sha> \
            /src`.",
        references: &[
            "https://docs.docker.com/reference/dockerfile/#add",
            BEST_PRACTICES,
            CIS_DOCKER,
        ],
        aliases: &[Alias::new(Tool::Checkov, "CKV_DOCKER_4")],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nADD https://example.com/tool.tar.gz /tmp/\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/tool.tar.gz /tmp/\nADD https://github.com/moby/buildkit.git#4d8a4eb3a38f8a4ab7c3f3ae2b4bd0f3e1c9a7b2 /src\n",
        },
    },
    check: Check::Dockerfile(add_remote_url),
};

fn pinned_git_ref(source: &str) -> bool {
    source.split_once('#').is_some_and(|(_, fragment)| {
        let reference = fragment.split(':').next().unwrap_or("");
        reference.len() >= 40 && reference.chars().all(|c| c.is_ascii_hexdigit())
    })
}

fn add_remote_url(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, instruction) in model.of(Keyword::Add) {
        let Args::Files { sources, .. } = &instruction.args else {
            continue;
        };
        for source in sources {
            let value = model.expand(index, &source.raw).value;
            if !is_url(&value) {
                continue;
            }
            let git = is_git(&value.to_ascii_lowercase());
            if (git && pinned_git_ref(&value)) || (!git && instruction.flag("checksum").is_some()) {
                continue;
            }
            let (message, help) = if git {
                (
                    format!("ADD clones `{value}` at a moving reference"),
                    "append `#<commit sha>` to the repository URL",
                )
            } else {
                (
                    format!("ADD downloads `{value}` with nothing to verify it"),
                    "add `--checksum=sha256:<digest>` of the file you reviewed",
                )
            };
            sink.at(
                model.span(source.span),
                format!("{} > source[{value}]", model.logical(index)),
                message,
            )
            .set_help(help);
        }
    }
}

pub(super) const ADD_INSTEAD_OF_COPY: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/add-instead-of-copy",
        title: "COPY is used for local files",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "`ADD` does more than copy: it unpacks local archives and fetches URLs, so \
            an innocent-looking `ADD` of a file that later becomes a tarball changes what the \
            image contains. `COPY` does exactly one thing, which makes the Dockerfile say \
            what it means; keep `ADD` for the unpacking it is for.",
        remediation: "Use COPY for files and directories from the build context:\n\n\
            ```dockerfile\nCOPY --chown=10001:10001 app/ /app/\n```",
        references: &[
            "https://docs.docker.com/build/building/best-practices/#add-or-copy",
            CIS_DOCKER,
        ],
        aliases: &[
            Alias::new(Tool::Hadolint, "DL3020"),
            Alias::new(Tool::Checkov, "CKV_DOCKER_4"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nADD app/ /app/\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nCOPY app/ /app/\nADD rootfs.tar.gz /\n",
        },
    },
    check: Check::Dockerfile(add_instead_of_copy),
};

fn add_instead_of_copy(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, instruction) in model.of(Keyword::Add) {
        let Args::Files { sources, .. } = &instruction.args else {
            continue;
        };
        let local = sources.iter().all(|s| {
            let expanded = model.expand(index, &s.raw);
            !expanded.unresolved && !is_url(&expanded.value) && !is_archive(&expanded.value)
        });
        if sources.is_empty() || !local {
            continue;
        }
        sink.at(
            model.span(instruction.keyword_span),
            model.logical(index),
            "ADD of local files: COPY does the same without unpacking or downloading",
        )
        .set_help("replace ADD with COPY");
    }
}

pub(super) const COPY_DESTINATION_NOT_DIRECTORY: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/copy-destination-not-directory",
        title: "COPY of several sources goes to a directory ending in /",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "When `COPY` or `ADD` has more than one source, the destination must be a \
            directory written with a trailing slash; otherwise the build fails. The slash \
            also tells the reader that the files keep their names.",
        remediation: "End the destination with `/`:\n\n```dockerfile\nCOPY package.json \
            package-lock.json /app/\n```",
        references: &["https://docs.docker.com/reference/dockerfile/#copy"],
        aliases: &[Alias::new(Tool::Hadolint, "DL3021")],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM node:22.11-bookworm-slim\nCOPY package.json package-lock.json /app\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM node:22.11-bookworm-slim\nARG DEST=/app/\nCOPY package.json package-lock.json /app/\nCOPY a b $DEST\nCOPY server.js /app/server.js\n",
        },
    },
    check: Check::Dockerfile(copy_destination_not_directory),
};

fn copy_destination_not_directory(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, instruction) in model.instructions() {
        if !matches!(instruction.keyword, Keyword::Copy | Keyword::Add) {
            continue;
        }
        let Args::Files {
            sources,
            dest: Some(dest),
            ..
        } = &instruction.args
        else {
            continue;
        };
        if sources.len() < 2 {
            continue;
        }
        let expanded = model.expand(index, &dest.raw);
        if expanded.unresolved {
            continue;
        }
        let value = expanded.value;
        if value.ends_with('/') || (model.file.escape == '`' && value.ends_with('\\')) {
            continue;
        }
        sink.at(
            model.span(dest.span),
            model.logical(index),
            format!(
                "{} of {} sources needs a directory destination ending in `/`, not `{value}`",
                instruction.keyword.as_str(),
                sources.len()
            ),
        )
        .set_help(format!("write `{value}/`"));
    }
}

pub(super) const CD_INSTEAD_OF_WORKDIR: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/cd-instead-of-workdir",
        title: "WORKDIR changes directory, not cd",
        severity: Severity::Info,
        category: Category::Operability,
        rationale: "A `cd` lasts only until the end of its `RUN`: the next instruction starts \
            in the `WORKDIR` again, which surprises readers and leads to commands running in \
            the wrong place. `WORKDIR` states the directory once for every later \
            instruction and for the running container.",
        remediation: "Set the directory with WORKDIR:\n\n```dockerfile\nWORKDIR /src\nRUN make\n\
            ```",
        references: &[
            "https://docs.docker.com/build/building/best-practices/#workdir",
            "https://docs.docker.com/reference/dockerfile/#workdir",
        ],
        aliases: &[Alias::new(Tool::Hadolint, "DL3003")],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUN cd /src && make\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nWORKDIR /src\nRUN make\n",
        },
    },
    check: Check::Dockerfile(cd_instead_of_workdir),
};

fn cd_instead_of_workdir(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, instruction) in model.of(Keyword::Run) {
        for command in instruction.commands() {
            if command.name() != Some("cd") {
                continue;
            }
            let Some(program) = command.program() else {
                continue;
            };
            let target = command.args().first().map(|w| w.value.clone());
            sink.at(
                model.span(program.span),
                format!("{} > cd", model.logical(index)),
                "`cd` inside RUN lasts only until the end of the instruction",
            )
            .set_help(match target {
                Some(dir) if dir.starts_with('/') => format!("use `WORKDIR {dir}`"),
                _ => "use WORKDIR to change directory".to_owned(),
            });
        }
    }
}

pub(super) const WORKDIR_RELATIVE: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/workdir-relative",
        title: "WORKDIR is an absolute path",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "A relative `WORKDIR` is resolved against the working directory the base \
            image happens to set, so the files land somewhere else when the base image \
            changes. An absolute path means the same thing on every base.",
        remediation: "Use an absolute path:\n\n```dockerfile\nWORKDIR /app\n```",
        references: &[
            "https://docs.docker.com/reference/build-checks/workdir-relative-path/",
            "https://docs.docker.com/reference/dockerfile/#workdir",
        ],
        aliases: &[
            Alias::new(Tool::Hadolint, "DL3000"),
            Alias::new(Tool::Checkov, "CKV_DOCKER_10"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM node:22.11-bookworm-slim\nWORKDIR app\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM node:22.11-bookworm-slim\nARG HOME_DIR=/srv\nWORKDIR $HOME_DIR\nWORKDIR app\n",
        },
    },
    check: Check::Dockerfile(workdir_relative),
};

fn is_absolute(path: &str) -> bool {
    let bytes = path.as_bytes();
    path.starts_with('/')
        || path.starts_with('\\')
        || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':')
}

fn workdir_relative(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for stage in &model.file.stages {
        // A relative WORKDIR after an absolute one in the same lineage is
        // well defined: only the first directory set must be absolute.
        let mut anchored = model.file.lineage(stage.index).iter().skip(1).any(|s| {
            model.file.stages.get(*s).is_some_and(|ancestor| {
                model
                    .file
                    .stage_instructions(ancestor)
                    .iter()
                    .any(|i| i.keyword == Keyword::Workdir)
            })
        });
        for index in stage.from..stage.end {
            let Some(instruction) = model.file.instructions.get(index) else {
                continue;
            };
            if instruction.keyword != Keyword::Workdir {
                continue;
            }
            let Some(word) = instruction.text() else {
                continue;
            };
            let expanded = model.expand(index, &word.raw);
            if expanded.unresolved || is_absolute(&expanded.value) {
                anchored = true;
                continue;
            }
            if !anchored {
                sink.at(
                    model.span(word.span),
                    model.logical(index),
                    format!(
                        "WORKDIR `{}` is relative to whatever directory the base image sets",
                        expanded.value
                    ),
                )
                .set_help(format!(
                    "write an absolute path such as `/{}`",
                    expanded.value
                ));
                anchored = true;
            }
        }
    }
}
