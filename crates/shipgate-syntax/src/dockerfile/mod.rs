//! A Dockerfile parser that follows BuildKit's reading of the file, so that a
//! rule sees the instructions the builder sees: parser directives, the escape
//! character, line continuations (with the comment and blank lines BuildKit
//! skips inside them), heredocs, JSON (exec) form with BuildKit's fallback to
//! shell form, flags, ONBUILD, and `ARG`/`ENV` expansion.
//!
//! Every instruction, flag and argument carries a byte [`Span`] into the
//! original text. Problems are recorded as [`Diagnostic`]s and parsing carries
//! on with the next line: [`parse`] never fails and never panics, whatever the
//! input.

mod expand;
mod json;
mod lexer;
mod parse;
mod shell;
#[cfg(test)]
mod tests;

pub use expand::{Expansion, Lookup, Scope, Var, expand, unquote};
pub use parse::parse;
pub use shell::{Command, Connector, Redirect, tokenize};

/// A byte range `start..end` of the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub const fn new(start: u32, end: u32) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn is_empty(self) -> bool {
        self.end <= self.start
    }
}

/// A word of an instruction: its text as written (`raw`, quotes and escapes
/// included), its value with quotes and escapes removed but variables left
/// alone, and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Word {
    pub raw: String,
    pub value: String,
    pub span: Span,
}

/// A parser directive from the top of the file: `# syntax=`, `# escape=`, `# check=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Lower-cased: directives are case-insensitive.
    pub name: String,
    pub value: String,
    pub span: Span,
    pub value_span: Span,
}

/// A comment line, kept so that callers can read suppressions and pragmas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// The text after `#`.
    pub text: String,
    pub span: Span,
}

/// The instructions of the Dockerfile reference. Names are case-insensitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Keyword {
    Add,
    Arg,
    Cmd,
    Copy,
    Entrypoint,
    Env,
    Expose,
    From,
    Healthcheck,
    Label,
    Maintainer,
    Onbuild,
    Run,
    Shell,
    Stopsignal,
    User,
    Volume,
    Workdir,
    /// Anything else: a diagnostic is recorded and the line is kept so that
    /// positions of what follows stay right.
    Unknown,
}

impl Keyword {
    pub fn from_name(name: &str) -> Keyword {
        const ALL: &[(&str, Keyword)] = &[
            ("ADD", Keyword::Add),
            ("ARG", Keyword::Arg),
            ("CMD", Keyword::Cmd),
            ("COPY", Keyword::Copy),
            ("ENTRYPOINT", Keyword::Entrypoint),
            ("ENV", Keyword::Env),
            ("EXPOSE", Keyword::Expose),
            ("FROM", Keyword::From),
            ("HEALTHCHECK", Keyword::Healthcheck),
            ("LABEL", Keyword::Label),
            ("MAINTAINER", Keyword::Maintainer),
            ("ONBUILD", Keyword::Onbuild),
            ("RUN", Keyword::Run),
            ("SHELL", Keyword::Shell),
            ("STOPSIGNAL", Keyword::Stopsignal),
            ("USER", Keyword::User),
            ("VOLUME", Keyword::Volume),
            ("WORKDIR", Keyword::Workdir),
        ];
        ALL.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or(Keyword::Unknown, |(_, k)| *k)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::Add => "ADD",
            Keyword::Arg => "ARG",
            Keyword::Cmd => "CMD",
            Keyword::Copy => "COPY",
            Keyword::Entrypoint => "ENTRYPOINT",
            Keyword::Env => "ENV",
            Keyword::Expose => "EXPOSE",
            Keyword::From => "FROM",
            Keyword::Healthcheck => "HEALTHCHECK",
            Keyword::Label => "LABEL",
            Keyword::Maintainer => "MAINTAINER",
            Keyword::Onbuild => "ONBUILD",
            Keyword::Run => "RUN",
            Keyword::Shell => "SHELL",
            Keyword::Stopsignal => "STOPSIGNAL",
            Keyword::User => "USER",
            Keyword::Volume => "VOLUME",
            Keyword::Workdir => "WORKDIR",
            Keyword::Unknown => "UNKNOWN",
        }
    }

    /// BuildKit reads heredocs only after these.
    pub fn takes_heredocs(self) -> bool {
        matches!(self, Keyword::Run | Keyword::Copy | Keyword::Add)
    }
}

/// A `--name[=value]` flag before an instruction's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// Without the leading `--`.
    pub name: String,
    pub value: Option<String>,
    pub span: Span,
    pub value_span: Option<Span>,
}

impl Flag {
    /// The comma-separated `key=value` options of a flag such as
    /// `--mount=type=cache,target=/root/.cache`. A bare key has an empty value.
    pub fn options(&self) -> Vec<(String, String)> {
        let Some(value) = &self.value else {
            return Vec::new();
        };
        lexer::split_csv(value)
            .into_iter()
            .map(|field| match field.split_once('=') {
                Some((k, v)) => (k.trim().to_ascii_lowercase(), v.trim().to_owned()),
                None => (field.trim().to_ascii_lowercase(), String::new()),
            })
            .collect()
    }

    /// The value of one option of a `--mount` style flag.
    pub fn option(&self, key: &str) -> Option<String> {
        self.options()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

/// A command in shell form: the text handed to the shell, and that text cut
/// into simple commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellForm {
    /// The command text with line continuations joined, as BuildKit passes it.
    pub text: String,
    pub span: Span,
    pub commands: Vec<Command>,
}

/// How a command is written: `["exec", "form"]` or shell form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandForm {
    Exec { words: Vec<Word>, span: Span },
    Shell(ShellForm),
}

impl CommandForm {
    pub fn span(&self) -> Span {
        match self {
            CommandForm::Exec { span, .. } => *span,
            CommandForm::Shell(shell) => shell.span,
        }
    }

    pub fn is_exec(&self) -> bool {
        matches!(self, CommandForm::Exec { .. })
    }
}

/// A `key=value` pair of `ENV`, `LABEL` or `ARG` (whose value is optional).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub key: Word,
    pub value: Option<Word>,
    pub span: Span,
}

/// A heredoc attached to `RUN`, `COPY` or `ADD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiter, without quotes.
    pub name: String,
    /// `3<<EOF` redirects file descriptor 3.
    pub fd: Option<u32>,
    /// `<<-EOF`: leading tabs are removed from the body and the terminator.
    pub strip_tabs: bool,
    /// `<<"EOF"` or `<<'EOF'`: the body is not expanded.
    pub quoted: bool,
    /// The `<<EOF` word on the instruction line.
    pub marker: Span,
    /// The body as BuildKit hands it on: every line with its newline, tabs
    /// stripped for `<<-`.
    pub body: String,
    /// The body's lines in the source, without the terminator line.
    pub body_span: Span,
    /// Whether the body is a script run by a shell (`RUN <<EOF`, `RUN bash <<EOF`)
    /// rather than data (`RUN cat <<EOF > file`, `COPY <<EOF /file`).
    pub is_script: bool,
    /// The body cut into simple commands, when it is a script.
    pub commands: Vec<Command>,
    /// False when the file ended before the terminator.
    pub terminated: bool,
}

/// An instruction's arguments, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Args {
    /// Nothing after the keyword (a diagnostic says so where that is wrong).
    Empty,
    /// `RUN`, `CMD`, `ENTRYPOINT`, `SHELL`.
    Command(CommandForm),
    /// `COPY`, `ADD`: sources and the destination; heredocs stand as sources
    /// through their markers.
    Files {
        sources: Vec<Word>,
        dest: Option<Word>,
        json: bool,
    },
    /// `FROM image [AS name]`.
    From { image: Word, alias: Option<Word> },
    /// `ENV`, `LABEL`, `ARG`.
    Pairs(Vec<Pair>),
    /// `EXPOSE`, `VOLUME`.
    Words(Vec<Word>),
    /// `USER`, `WORKDIR`, `STOPSIGNAL`, `MAINTAINER`, and unknown instructions:
    /// the rest of the line as one word.
    Text(Word),
    /// `HEALTHCHECK CMD ...`, or `None` for `HEALTHCHECK NONE`.
    Healthcheck(Option<CommandForm>),
    /// `ONBUILD <instruction>`.
    Onbuild(Box<Instruction>),
}

/// One instruction, with every part located in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    pub keyword: Keyword,
    /// The keyword as written (`run`, `Run`, `RUN`).
    pub name: String,
    pub keyword_span: Span,
    /// From the keyword to the end of the last line, heredocs included.
    pub span: Span,
    pub flags: Vec<Flag>,
    pub args: Args,
    /// Everything after the flags on the instruction's lines.
    pub args_span: Span,
    pub heredocs: Vec<Heredoc>,
    /// The stage this instruction belongs to; `None` before the first `FROM`.
    pub stage: Option<usize>,
}

impl Instruction {
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// The command of `RUN`, `CMD`, `ENTRYPOINT` and `SHELL`.
    pub fn command(&self) -> Option<&CommandForm> {
        match &self.args {
            Args::Command(form) => Some(form),
            _ => None,
        }
    }

    /// Every simple command a `RUN` executes in its layer: its shell form and
    /// the heredocs it runs as scripts. Bare redirections (the `<<EOF` of
    /// `RUN <<EOF`) are left out.
    pub fn commands(&self) -> impl Iterator<Item = &Command> {
        let shell = match &self.args {
            Args::Command(CommandForm::Shell(shell)) if self.keyword == Keyword::Run => {
                shell.commands.as_slice()
            }
            _ => &[],
        };
        shell
            .iter()
            .chain(
                self.heredocs
                    .iter()
                    .filter(|h| self.keyword == Keyword::Run && h.is_script)
                    .flat_map(|h| h.commands.iter()),
            )
            .filter(|c| !c.words.is_empty())
    }

    /// The pairs of `ENV`, `LABEL` and `ARG`.
    pub fn pairs(&self) -> &[Pair] {
        match &self.args {
            Args::Pairs(pairs) => pairs,
            _ => &[],
        }
    }

    /// The one-word argument of `USER`, `WORKDIR`, `STOPSIGNAL`, `MAINTAINER`.
    pub fn text(&self) -> Option<&Word> {
        match &self.args {
            Args::Text(word) => Some(word),
            _ => None,
        }
    }
}

/// A build stage: a `FROM` and the instructions up to the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub index: usize,
    /// Index of the stage's `FROM` in [`Dockerfile::instructions`].
    pub from: usize,
    /// One past the stage's last instruction.
    pub end: usize,
    /// The `AS` name, lower-cased as BuildKit compares it.
    pub name: Option<String>,
    /// The earlier stage this one is built on (`FROM build AS test`).
    pub base: Option<usize>,
}

/// What went wrong while reading a line. Errors are what BuildKit refuses
/// to build; warnings are what it accepts but reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiagnosticKind {
    UnknownInstruction,
    UnterminatedHeredoc,
    InvalidDirective,
    MissingArguments,
    InvalidArguments,
    UnknownFlag,
    /// The file ends with a line continuation.
    ContinuationAtEof,
    /// A blank line inside a continuation, which BuildKit skips and warns about.
    EmptyContinuationLine,
}

impl DiagnosticKind {
    pub fn is_error(self) -> bool {
        !matches!(
            self,
            DiagnosticKind::ContinuationAtEof | DiagnosticKind::EmptyContinuationLine
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub kind: DiagnosticKind,
    pub message: String,
    pub span: Span,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    pub directives: Vec<Directive>,
    /// The escape character: `\` unless `# escape=` says otherwise.
    pub escape: char,
    pub instructions: Vec<Instruction>,
    pub stages: Vec<Stage>,
    pub comments: Vec<Comment>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Build arguments BuildKit defines in the global scope without a declaration.
pub const PREDEFINED_ARGS: &[&str] = &[
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "TARGETSTAGE",
    "BUILDKIT_SYNTAX",
];

/// Proxy arguments every build accepts without a declaration.
pub const PROXY_ARGS: &[&str] = &[
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
];

impl Dockerfile {
    pub fn directive(&self, name: &str) -> Option<&Directive> {
        self.directives
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(name))
    }

    pub fn stage_instructions(&self, stage: &Stage) -> &[Instruction] {
        self.instructions
            .get(stage.from..stage.end)
            .unwrap_or_default()
    }

    /// The stage built when no `--target` is given.
    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    /// The stage named `name` (case-insensitively) or numbered `name`.
    pub fn stage_named(&self, name: &str) -> Option<&Stage> {
        if let Ok(index) = name.parse::<usize>() {
            return self.stages.get(index);
        }
        self.stages.iter().find(|s| {
            s.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
    }

    /// `stage` and the stages it is built on, nearest first.
    pub fn lineage(&self, stage: usize) -> Vec<usize> {
        let mut chain = vec![stage];
        let mut current = stage;
        while let Some(base) = self.stages.get(current).and_then(|s| s.base) {
            // Bases always come earlier, so this ends; the check keeps a
            // hand-built model from looping.
            if base >= current {
                break;
            }
            chain.push(base);
            current = base;
        }
        chain
    }

    /// The stages whose filesystem ends up in the final image: the final
    /// stage and the stages it is built on.
    pub fn final_image_stages(&self) -> Vec<usize> {
        match self.stages.len() {
            0 => Vec::new(),
            n => self.lineage(n - 1),
        }
    }

    /// Global `ARG`s: those declared before the first `FROM`.
    pub fn global_args(&self) -> impl Iterator<Item = &Pair> {
        self.instructions
            .iter()
            .take_while(|i| i.stage.is_none())
            .filter(|i| i.keyword == Keyword::Arg)
            .flat_map(|i| i.pairs())
    }
}
