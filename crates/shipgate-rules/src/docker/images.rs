//! Base images and stages: which image a build starts from, and how stages
//! refer to each other.

use shipgate_core::{Alias, Category, Example, RuleMeta, Severity, Tool};
use shipgate_syntax::dockerfile::{Args, Keyword};

use super::{BEST_PRACTICES, CIS_DOCKER, Dockerfile, HARDENED, ImageRef, REFERENCE, base_image};
use crate::sink::FileSink;
use crate::{Check, RuleDef};

const DOCKERFILE: &str = "Dockerfile";

pub(super) const BASE_IMAGE_TAG: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/base-image-tag",
        title: "Base images name a tag or a digest",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "A `FROM` without a tag pulls `latest`, which moves whenever the image's \
            maintainers publish: two builds of the same commit can start from different \
            operating systems, and a rebuild months later may not build at all. Naming the \
            version makes the build repeatable and its upgrades deliberate.",
        remediation: "Name the version you tested, and better its digest too:\n\n```dockerfile\n\
            FROM python:3.12-slim-bookworm@sha256:<digest>\n```",
        references: &[BEST_PRACTICES, REFERENCE, CIS_DOCKER],
        aliases: &[
            Alias::new(Tool::Hadolint, "DL3006"),
            Alias::new(Tool::Checkov, "CKV_DOCKER_7"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM ubuntu\nRUN echo hello\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "ARG TAG=24.04\nFROM ubuntu:${TAG} AS base\nFROM base\nFROM scratch\n",
        },
    },
    check: Check::Dockerfile(base_image_tag),
};

fn base_image_tag(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for stage in &model.file.stages {
        let Some((image, word)) = base_image(model, stage) else {
            continue;
        };
        let reference = ImageRef::parse(&image);
        if reference.tag.is_none() && reference.digest.is_none() {
            sink.at(
                model.span(word.span),
                model.logical(stage.from),
                format!(
                    "base image `{image}` has no tag, so every build pulls whatever `latest` is"
                ),
            )
            .set_help(format!(
                "pin a version such as `{}:<version>`",
                reference.name
            ));
        }
    }
}

pub(super) const BASE_IMAGE_LATEST: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/base-image-latest",
        title: "Base images do not use the latest tag",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "`latest` is a tag like any other, moved by the publisher to each new \
            release: a build from `:latest` silently picks up major upgrades and cannot be \
            reproduced. It also hides from reviewers which version the image is built on.",
        remediation: "Replace `latest` with the version you tested, and pin its digest:\n\n\
            ```dockerfile\nFROM node:22.11-bookworm-slim@sha256:<digest>\n```",
        references: &[BEST_PRACTICES, REFERENCE, CIS_DOCKER],
        aliases: &[
            Alias::new(Tool::Hadolint, "DL3007"),
            Alias::new(Tool::Checkov, "CKV_DOCKER_7"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM node:latest\nCMD [\"node\", \"server.js\"]\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM node:latest@sha256:5f3e7ba3c8dc6ab8b1f0d1f7b4e5e6a4b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7\nCMD [\"node\", \"server.js\"]\n",
        },
    },
    check: Check::Dockerfile(base_image_latest),
};

fn base_image_latest(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for stage in &model.file.stages {
        let Some((image, word)) = base_image(model, stage) else {
            continue;
        };
        let reference = ImageRef::parse(&image);
        if reference.digest.is_none()
            && reference
                .tag
                .is_some_and(|t| t.eq_ignore_ascii_case("latest"))
        {
            sink.at(
                model.span(word.span),
                model.logical(stage.from),
                format!("base image `{image}` uses the moving `latest` tag"),
            )
            .set_help(format!(
                "pin a version such as `{}:<version>`",
                reference.name
            ));
        }
    }
}

pub(super) const BASE_IMAGE_DIGEST: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/base-image-digest",
        title: "Base images are pinned by digest",
        severity: Severity::Info,
        category: Category::Security,
        rationale: "Tags are mutable: a registry compromise, or a publisher re-pushing `3.12` \
            with a rebuilt layer, changes what the same `FROM` line builds on without any \
            change to the repository. A digest names exactly one image, so builds are \
            reproducible and a changed base is a reviewed diff; tools such as Renovate or \
            Dependabot keep the digest current.",
        remediation: "Keep the tag for readers and add the digest of the image you tested:\n\n\
            ```dockerfile\nFROM python:3.12-slim-bookworm@sha256:<digest>\n```\n\n\
            `docker buildx imagetools inspect python:3.12-slim-bookworm` prints the digest.",
        references: &[
            BEST_PRACTICES,
            "https://docs.docker.com/reference/dockerfile/#from",
            CIS_DOCKER,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM python:3.12-slim-bookworm\nCMD [\"python\", \"-m\", \"app\"]\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: HARDENED,
        },
    },
    check: Check::Dockerfile(base_image_digest),
};

fn base_image_digest(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for stage in &model.file.stages {
        let Some((image, word)) = base_image(model, stage) else {
            continue;
        };
        if ImageRef::parse(&image).digest.is_none() {
            sink.at(
                model.span(word.span),
                model.logical(stage.from),
                format!("base image `{image}` is not pinned by digest"),
            )
            .set_help("append `@sha256:<digest>` of the image you tested");
        }
    }
}

pub(super) const FROM_PLATFORM_HARDCODED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/from-platform-hardcoded",
        title: "FROM does not hardcode a platform",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "`FROM --platform=linux/amd64` forces that platform whatever the build \
            targets: a multi-platform build produces an arm64 image holding amd64 binaries, \
            which fail at start or run under slow emulation. The platform belongs to the \
            build command, or to `$BUILDPLATFORM` for stages that cross-compile.",
        remediation: "Drop the flag, or use the build's platform variables:\n\n```dockerfile\n\
            FROM --platform=$BUILDPLATFORM golang:1.23 AS build\nARG TARGETOS TARGETARCH\n\
            RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .\n```",
        references: &[
            "https://docs.docker.com/reference/build-checks/from-platform-flag-const-disallowed/",
            "https://docs.docker.com/build/building/multi-platform/",
        ],
        aliases: &[Alias::new(Tool::Hadolint, "DL3029")],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM --platform=linux/amd64 debian:12.8\nCMD [\"bash\"]\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM --platform=$BUILDPLATFORM golang:1.23 AS build\nRUN go version\nFROM debian:12.8\n",
        },
    },
    check: Check::Dockerfile(from_platform_hardcoded),
};

fn from_platform_hardcoded(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, instruction) in model.of(Keyword::From) {
        let Some(flag) = instruction.flag("platform") else {
            continue;
        };
        let value = flag.value.as_deref().unwrap_or("");
        if value.is_empty() || value.contains('$') {
            continue;
        }
        sink.at(
            model.span(flag.span),
            model.logical(index),
            format!("FROM forces platform `{value}` whatever platform the build targets"),
        )
        .set_help("remove --platform, or use $BUILDPLATFORM in stages that cross-compile");
    }
}

pub(super) const DUPLICATE_STAGE_NAME: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/duplicate-stage-name",
        title: "Stage names are unique",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "BuildKit refuses a Dockerfile in which two stages share a name (compared \
            without case), and older builders silently resolved `COPY --from` and `--target` \
            to one of them. Either way the file does not say what it means.",
        remediation: "Give each stage its own name:\n\n```dockerfile\nFROM node:22 AS deps\n\
            FROM node:22 AS build\n```",
        references: &[
            "https://docs.docker.com/reference/build-checks/duplicate-stage-name/",
            REFERENCE,
        ],
        aliases: &[
            Alias::new(Tool::Hadolint, "DL3024"),
            Alias::new(Tool::Checkov, "CKV_DOCKER_11"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM golang:1.23 AS build\nRUN go build\nFROM golang:1.23 AS Build\nRUN go test\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM golang:1.23 AS build\nRUN go build\nFROM golang:1.23 AS test\nRUN go test\n",
        },
    },
    check: Check::Dockerfile(duplicate_stage_name),
};

fn duplicate_stage_name(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (position, stage) in model.file.stages.iter().enumerate() {
        let Some(name) = &stage.name else { continue };
        let Some(first) = model.file.stages[..position]
            .iter()
            .find(|s| s.name.as_ref() == Some(name))
        else {
            continue;
        };
        let alias_span = |from: usize| match model.file.instructions.get(from).map(|i| &i.args) {
            Some(Args::From {
                alias: Some(alias), ..
            }) => Some(alias.span),
            _ => None,
        };
        let (Some(span), Some(first_span)) = (alias_span(stage.from), alias_span(first.from))
        else {
            continue;
        };
        let related = model.location(sink, first_span);
        sink.at(
            model.span(span),
            model.logical(stage.from),
            format!(
                "stage name `{name}` is already used by stage {}",
                first.index
            ),
        )
        .add_related(related, "first used here")
        .set_help("rename one of the stages");
    }
}

pub(super) const COPY_FROM_UNKNOWN_STAGE: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/copy-from-unknown-stage",
        title: "COPY --from names an earlier stage",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "A `--from` value that is not the name or index of an earlier stage is read \
            as an image to pull: a typo in a stage name makes the build fetch \
            `docker.io/library/<typo>` (or fail), and a reference to a later stage is not \
            allowed. Both are almost always mistakes.",
        remediation: "Name a stage defined above the instruction, or a full image reference:\n\n\
            ```dockerfile\nFROM golang:1.23 AS build\nRUN go build -o /out/app\n\
            FROM gcr.io/distroless/static-debian12\nCOPY --from=build /out/app /app\n```",
        references: &[
            "https://docs.docker.com/build/building/multi-stage/",
            REFERENCE,
        ],
        aliases: &[Alias::new(Tool::Hadolint, "DL3022")],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM golang:1.23 AS build\nRUN go build -o /out/app\nFROM debian:12.8\nCOPY --from=biuld /out/app /app\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM golang:1.23 AS build\nRUN go build -o /out/app\nFROM debian:12.8\nCOPY --from=build /out/app /app\nCOPY --from=0 /etc/passwd /etc/passwd\nCOPY --from=nginx:1.27 /etc/nginx/nginx.conf /etc/nginx.conf\nRUN --mount=type=bind,from=build,source=/out,target=/mnt ls /mnt\n",
        },
    },
    check: Check::Dockerfile(copy_from_unknown_stage),
};

/// A `--from` reference: of `COPY --from=`, or of `RUN --mount=...,from=`.
struct FromRef {
    value: String,
    span: shipgate_syntax::dockerfile::Span,
    index: usize,
    stage: Option<usize>,
}

fn from_refs(model: &Dockerfile<'_>) -> Vec<FromRef> {
    let mut refs = Vec::new();
    for (index, instruction) in model.instructions() {
        for flag in &instruction.flags {
            let value = match (instruction.keyword, flag.name.to_ascii_lowercase().as_str()) {
                (Keyword::Copy | Keyword::Add, "from") => flag.value.clone(),
                (Keyword::Run, "mount") => flag.option("from"),
                _ => None,
            };
            let Some(value) = value.filter(|v| !v.is_empty()) else {
                continue;
            };
            let expanded = model.expand(index, &value);
            if expanded.unresolved {
                continue;
            }
            refs.push(FromRef {
                value: expanded.value,
                span: flag.span,
                index,
                stage: instruction.stage,
            });
        }
    }
    refs
}

/// Looks like an image reference rather than a stage name.
fn is_image_reference(value: &str) -> bool {
    value.contains(['/', ':', '@', '.'])
}

fn copy_from_unknown_stage(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for r in from_refs(model) {
        let Some(current) = r.stage else { continue };
        let target = model.file.stage_named(&r.value);
        let message = match target {
            Some(stage) if stage.index < current => continue,
            Some(stage) if stage.index == current => continue,
            Some(_) => format!("`--from={}` refers to a stage defined later", r.value),
            None if is_image_reference(&r.value) => continue,
            None if r.value.parse::<usize>().is_ok() => {
                format!("`--from={}`: there is no stage with that index", r.value)
            }
            None => format!(
                "`--from={}` names no earlier stage, so it would pull an image of that name",
                r.value
            ),
        };
        sink.at(model.span(r.span), model.logical(r.index), message)
            .set_help("name a stage defined above, or a full image reference");
    }
}

pub(super) const COPY_FROM_OWN_STAGE: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/copy-from-own-stage",
        title: "COPY --from does not name its own stage",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "A stage cannot copy from itself: its filesystem is what is being built. \
            BuildKit rejects the reference as a dependency cycle; the intent was almost \
            always another stage or a path inside the current one.",
        remediation: "Copy from the stage that produced the files, or use a plain path:\n\n\
            ```dockerfile\nFROM golang:1.23 AS build\nRUN go build -o /out/app\n\
            FROM debian:12.8\nCOPY --from=build /out/app /app\n```",
        references: &["https://docs.docker.com/build/building/multi-stage/"],
        aliases: &[Alias::new(Tool::Hadolint, "DL3023")],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM golang:1.23 AS build\nRUN go build -o /out/app\nCOPY --from=build /out/app /app\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM golang:1.23 AS build\nRUN go build -o /out/app\nFROM debian:12.8\nCOPY --from=build /out/app /app\n",
        },
    },
    check: Check::Dockerfile(copy_from_own_stage),
};

fn copy_from_own_stage(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for r in from_refs(model) {
        let Some(current) = r.stage else { continue };
        if model
            .file
            .stage_named(&r.value)
            .is_some_and(|s| s.index == current)
        {
            sink.at(
                model.span(r.span),
                model.logical(r.index),
                format!("`--from={}` names the stage it is in", r.value),
            )
            .set_help("copy from the stage that produced the files");
        }
    }
}
