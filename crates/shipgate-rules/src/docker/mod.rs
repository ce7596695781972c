//! The Dockerfile pack: rules over the model of `shipgate_syntax::dockerfile`,
//! one module per theme.

mod cli;
mod files;
mod images;
mod packages;
mod runtime;
mod security;
mod structure;

use shipgate_core::{Finding, Location, SourceSpan};
use shipgate_syntax::LineIndex;
use shipgate_syntax::dockerfile::{self as df, Expansion, Instruction, Keyword, Span};

use crate::RuleDef;
use crate::sink::FileSink;

/// The parsed Dockerfile a rule judges, with what it needs to place findings.
pub struct Dockerfile<'a> {
    pub file: &'a df::Dockerfile,
    pub text: &'a str,
    lines: &'a LineIndex,
    final_image: Vec<usize>,
    /// For each instruction, how many of the same keyword precede it in its stage.
    ordinals: Vec<usize>,
}

pub type CheckFn = fn(&Dockerfile<'_>, &mut FileSink<'_>);

pub const RULES: &[RuleDef] = &[
    structure::SYNTAX_ERROR,
    structure::EMPTY_CONTINUATION,
    structure::INSTRUCTION_BEFORE_FROM,
    structure::ARG_BEFORE_DECLARATION,
    structure::PIPE_WITHOUT_PIPEFAIL,
    images::BASE_IMAGE_TAG,
    images::BASE_IMAGE_LATEST,
    images::BASE_IMAGE_DIGEST,
    images::FROM_PLATFORM_HARDCODED,
    images::DUPLICATE_STAGE_NAME,
    images::COPY_FROM_UNKNOWN_STAGE,
    images::COPY_FROM_OWN_STAGE,
    runtime::FINAL_STAGE_ROOT_USER,
    runtime::HEALTHCHECK_MISSING,
    runtime::MULTIPLE_CMD,
    runtime::MULTIPLE_ENTRYPOINT,
    runtime::MULTIPLE_HEALTHCHECK,
    runtime::SHELL_FORM_COMMAND,
    runtime::EXPOSE_SSH,
    runtime::EXPOSE_INVALID_PORT,
    runtime::MAINTAINER_DEPRECATED,
    files::ADD_REMOTE_URL,
    files::ADD_INSTEAD_OF_COPY,
    files::COPY_DESTINATION_NOT_DIRECTORY,
    files::CD_INSTEAD_OF_WORKDIR,
    files::WORKDIR_RELATIVE,
    packages::APT_INSTALL_RECOMMENDS,
    packages::PACKAGE_INSTALL_WITHOUT_YES,
    packages::APT_LISTS_NOT_CLEANED,
    packages::APT_UPGRADE,
    packages::APT_INSTEAD_OF_APT_GET,
    packages::PACKAGE_INDEX_UPDATE_ALONE,
    packages::APK_NO_CACHE,
    packages::PIP_NO_CACHE_DIR,
    packages::APT_PACKAGE_UNPINNED,
    packages::APK_PACKAGE_UNPINNED,
    packages::PIP_PACKAGE_UNPINNED,
    packages::NPM_INSTALL_INSTEAD_OF_CI,
    packages::RPM_CACHE_NOT_CLEANED,
    packages::USERADD_HIGH_UID,
    security::REMOTE_SCRIPT_PIPED_TO_SHELL,
    security::SECRET_IN_ENV_OR_ARG,
    security::TLS_VERIFICATION_DISABLED,
    security::PACKAGE_SIGNATURE_DISABLED,
    security::SUDO,
];

/// References shared by many rules.
pub(crate) const BEST_PRACTICES: &str = "https://docs.docker.com/build/building/best-practices/";
pub(crate) const REFERENCE: &str = "https://docs.docker.com/reference/dockerfile/";
pub(crate) const CIS_DOCKER: &str = "https://www.cisecurity.org/benchmark/docker";

/// Parses a Dockerfile and runs the enabled Dockerfile rules on it.
pub(crate) fn run(
    rules: &[&'static RuleDef],
    path: &str,
    text: &str,
    lines: &LineIndex,
    findings: &mut Vec<Finding>,
) {
    if !rules
        .iter()
        .any(|r| matches!(r.check, crate::Check::Dockerfile(_)))
    {
        return;
    }
    let file = df::parse(text);
    let model = Dockerfile::new(&file, text, lines);
    for rule in rules {
        if let crate::Check::Dockerfile(check) = rule.check {
            check(&model, &mut FileSink::new(&rule.meta, path, findings));
        }
    }
}

/// The first and last line of each instruction, heredocs included. A peer's
/// ignore comment (hadolint's above all) means the whole instruction, while
/// our findings point at a word that may sit on a continuation line: these
/// ranges let the engine scope such comments by instruction.
pub fn instruction_lines(text: &str, lines: &LineIndex) -> Vec<(u32, u32)> {
    df::parse(text)
        .instructions
        .iter()
        .map(|i| {
            let span = lines.span(text, i.span.start, i.span.end);
            (span.start.line, span.end.line.max(span.start.line))
        })
        .collect()
}

impl<'a> Dockerfile<'a> {
    pub fn new(file: &'a df::Dockerfile, text: &'a str, lines: &'a LineIndex) -> Self {
        let mut counts: std::collections::HashMap<(Option<usize>, Keyword), usize> =
            std::collections::HashMap::new();
        let ordinals = file
            .instructions
            .iter()
            .map(|i| {
                let count = counts.entry((i.stage, i.keyword)).or_default();
                *count += 1;
                *count - 1
            })
            .collect();
        Dockerfile {
            file,
            text,
            lines,
            final_image: file.final_image_stages(),
            ordinals,
        }
    }

    pub fn span(&self, span: Span) -> SourceSpan {
        self.lines.span(self.text, span.start, span.end)
    }

    /// A location for a related note in the same file.
    pub fn location(&self, sink: &FileSink<'_>, span: Span) -> Location {
        Location::at(sink.path(), self.span(span))
    }

    /// The top-level instructions with their indexes.
    pub fn instructions(&self) -> impl Iterator<Item = (usize, &'a Instruction)> {
        self.file.instructions.iter().enumerate()
    }

    /// The top-level instructions of one keyword. Those an `ONBUILD` wraps
    /// run in another image's build and are not judged here.
    pub fn of(&self, keyword: Keyword) -> impl Iterator<Item = (usize, &'a Instruction)> {
        self.instructions()
            .filter(move |(_, i)| i.keyword == keyword)
    }

    /// Whether the instruction's stage ends up in the final image: its
    /// leftovers (caches, lists) then ship.
    pub fn in_final_image(&self, instruction: &Instruction) -> bool {
        instruction
            .stage
            .is_some_and(|s| self.final_image.contains(&s))
    }

    pub fn stage_label(&self, stage: Option<usize>) -> String {
        match stage.and_then(|s| self.file.stages.get(s)) {
            Some(df::Stage {
                name: Some(name), ..
            }) => format!("stage[{name}]"),
            Some(stage) => format!("stage[{}]", stage.index),
            None => "global".to_owned(),
        }
    }

    /// A line-independent address: `stage[build] > RUN[2]`, counting the
    /// instructions of the same keyword in the stage from zero.
    pub fn logical(&self, index: usize) -> String {
        let Some(instruction) = self.file.instructions.get(index) else {
            return String::new();
        };
        let nth = self.ordinals.get(index).copied().unwrap_or(0);
        format!(
            "{} > {}[{nth}]",
            self.stage_label(instruction.stage),
            instruction.keyword.as_str()
        )
    }

    pub fn expand(&self, index: usize, raw: &str) -> Expansion {
        self.file.expand_at(index, raw)
    }
}

/// An image reference as runtimes read it: `[registry[:port]/]path[:tag][@digest]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ImageRef<'a> {
    pub name: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    pub(crate) fn parse(image: &'a str) -> Self {
        let (name, digest) = match image.split_once('@') {
            Some((name, digest)) => (name, Some(digest).filter(|d| !d.is_empty())),
            None => (image, None),
        };
        // A colon before the last slash is a registry port, not a tag.
        let last = name.rfind('/').map_or(0, |i| i + 1);
        match name[last..].find(':') {
            Some(colon) => ImageRef {
                name: &name[..last + colon],
                tag: Some(&name[last + colon + 1..]).filter(|t| !t.is_empty()),
                digest,
            },
            None => ImageRef {
                name,
                tag: None,
                digest,
            },
        }
    }
}

/// The base image of a stage when it is an image, not `scratch` or an
/// earlier stage, and its name can be known: the expanded reference and the
/// `FROM` word.
pub(crate) fn base_image<'a>(
    model: &Dockerfile<'a>,
    stage: &df::Stage,
) -> Option<(String, &'a df::Word)> {
    if stage.base.is_some() {
        return None;
    }
    let instruction = model.file.instructions.get(stage.from)?;
    let df::Args::From { image, .. } = &instruction.args else {
        return None;
    };
    let expanded = model.expand(stage.from, &image.raw);
    let value = expanded.value.trim();
    if expanded.unresolved || value.is_empty() || value.eq_ignore_ascii_case("scratch") {
        return None;
    }
    Some((value.to_owned(), image))
}

#[cfg(test)]
mod tests;

/// A Dockerfile that passes every rule of the pack: the passing example of
/// the rules whose fix is the common hardened baseline.
pub(crate) const HARDENED: &str = r#"# syntax=docker/dockerfile:1.7
FROM python:3.12-slim-bookworm@sha256:2b0079146a74e23bf4ae8f6a28e1b484c6292f6fb904cbb51825b4a19812fcd8 AS build
WORKDIR /src
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential=12.9 \
 && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir --prefix=/install -r requirements.txt
COPY app/ ./app/

FROM python:3.12-slim-bookworm@sha256:2b0079146a74e23bf4ae8f6a28e1b484c6292f6fb904cbb51825b4a19812fcd8
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=build /install /usr/local
COPY --from=build --chown=10001:10001 /src/app ./app
USER 10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD ["python", "-m", "app.health"]
ENTRYPOINT ["python", "-m", "app"]
"#;
