//! Reads a Dockerfile line by line as BuildKit does: directives first, then
//! instructions joined across continuations, then the heredocs an
//! instruction opens.

use std::ops::Range;

use super::lexer::{Mapped, clamp, find_equals, is_space, leading_space, split_words};
use super::shell::{Connector, tokenize_mapped};
use super::{
    Args, Command, CommandForm, Comment, Diagnostic, DiagnosticKind, Directive, Dockerfile,
    Heredoc, Instruction, Keyword, Pair, ShellForm, Span, Stage, Word, json,
};

/// Parses a Dockerfile. Never fails: problems become diagnostics, and
/// parsing resumes with the next instruction.
pub fn parse(text: &str) -> Dockerfile {
    let mut parser = Parser::new(text);
    parser.directives();
    parser.body();
    parser.finish()
}

struct Parser<'a> {
    text: &'a str,
    /// `(start, end)` of each line, without its `\n` or `\r\n`.
    lines: Vec<(usize, usize)>,
    next: usize,
    escape: char,
    directives: Vec<Directive>,
    comments: Vec<Comment>,
    diagnostics: Vec<Diagnostic>,
    instructions: Vec<Instruction>,
}

const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "busybox"];

fn known_flags(keyword: Keyword) -> &'static [&'static str] {
    match keyword {
        Keyword::From => &["platform"],
        Keyword::Run => &["mount", "network", "security", "device"],
        Keyword::Copy => &["from", "chown", "chmod", "link", "parents", "exclude"],
        Keyword::Add => &[
            "chown",
            "chmod",
            "link",
            "checksum",
            "keep-git-dir",
            "exclude",
            "unpack",
            "parents",
        ],
        Keyword::Healthcheck => &[
            "interval",
            "timeout",
            "start-period",
            "start-interval",
            "retries",
        ],
        _ => &[],
    }
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let mut lines = Vec::with_capacity(bytes.len() / 24 + 1);
        let mut start = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let content_end = |s: usize, e: usize| {
            if e > s && bytes.get(e - 1) == Some(&b'\r') {
                e - 1
            } else {
                e
            }
        };
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'\n' && i >= start {
                lines.push((start, content_end(start, i)));
                start = i + 1;
            }
        }
        if start < bytes.len() {
            lines.push((start, content_end(start, bytes.len())));
        }
        Parser {
            text,
            lines,
            next: 0,
            escape: '\\',
            directives: Vec::new(),
            comments: Vec::new(),
            diagnostics: Vec::new(),
            instructions: Vec::new(),
        }
    }

    fn line(&self, index: usize) -> (usize, &'a str) {
        let text = self.text;
        match self.lines.get(index) {
            Some((s, e)) => (*s, text.get(*s..*e).unwrap_or("")),
            None => (text.len(), ""),
        }
    }

    fn diagnose(&mut self, kind: DiagnosticKind, message: impl Into<String>, span: Span) {
        self.diagnostics.push(Diagnostic {
            kind,
            message: message.into(),
            span,
        });
    }

    /// Parser directives: `# name=value` lines at the very top. The first
    /// line that is anything else, an unknown directive included, ends them.
    fn directives(&mut self) {
        while self.next < self.lines.len() {
            let (start, line) = self.line(self.next);
            let lead = leading_space(line);
            let Some((name, value, value_offset)) = directive_parts(&line[lead..]) else {
                return;
            };
            let lower = name.to_ascii_lowercase();
            if !matches!(lower.as_str(), "syntax" | "escape" | "check") {
                return;
            }
            let span = Span::new(clamp(start + lead), clamp(start + line.len()));
            let value_start = start + lead + value_offset;
            let value_span = Span::new(clamp(value_start), clamp(value_start + value.len()));
            if self.directives.iter().any(|d| d.name == lower) {
                self.diagnose(
                    DiagnosticKind::InvalidDirective,
                    format!("only one `{lower}` parser directive can be used"),
                    span,
                );
            } else if lower == "escape" {
                match value {
                    "\\" => self.escape = '\\',
                    "`" => self.escape = '`',
                    _ => self.diagnose(
                        DiagnosticKind::InvalidDirective,
                        format!("invalid escape character `{value}`: it must be `\\` or `` ` ``"),
                        value_span,
                    ),
                }
            }
            self.directives.push(Directive {
                name: lower,
                value: value.to_owned(),
                span,
                value_span,
            });
            self.next += 1;
        }
    }

    fn body(&mut self) {
        while self.next < self.lines.len() {
            let (start, line) = self.line(self.next);
            let lead = leading_space(line);
            let content = &line[lead..];
            if content.starts_with('#') {
                self.comment(start + lead, content);
                self.next += 1;
                continue;
            }
            if content.is_empty() {
                self.next += 1;
                continue;
            }
            self.next += 1;
            let mut mapped = Mapped::default();
            let mut last_end = start + line.len();
            let (piece, escape) = self.trim_continuation(content);
            mapped.push(piece, start + lead);
            let mut escape_at = escape.map(|e| start + lead + e);
            while let Some(at) = escape_at {
                if self.next >= self.lines.len() {
                    self.diagnose(
                        DiagnosticKind::ContinuationAtEof,
                        "the file ends with a line continuation",
                        Span::new(clamp(at), clamp(at + 1)),
                    );
                    break;
                }
                let (s, l) = self.line(self.next);
                self.next += 1;
                let lead = leading_space(l);
                if l[lead..].starts_with('#') {
                    self.comment(s + lead, &l[lead..]);
                    continue;
                }
                if l[lead..].is_empty() {
                    self.diagnose(
                        DiagnosticKind::EmptyContinuationLine,
                        "empty line inside a line continuation",
                        Span::new(clamp(s), clamp(s + l.len())),
                    );
                    continue;
                }
                let (piece, next_escape) = self.trim_continuation(l);
                mapped.push(piece, s);
                last_end = s + l.len();
                escape_at = next_escape.map(|e| s + e);
            }
            let mut instruction = self.instruction(&mapped);
            if instruction.keyword.takes_heredocs() && mapped.text.contains("<<") {
                last_end = self.heredocs(&mut instruction, &mapped).unwrap_or(last_end);
            }
            instruction.span.end = clamp(last_end).max(instruction.span.start);
            self.instructions.push(instruction);
        }
    }

    fn comment(&mut self, at: usize, content: &str) {
        self.comments.push(Comment {
            text: content[1..].to_owned(),
            span: Span::new(clamp(at), clamp(at + content.len())),
        });
    }

    /// Removes a trailing escape character (and the blanks after it). Returns
    /// the rest of the line and, when the line continues, the escape
    /// character's offset in `line`.
    fn trim_continuation<'l>(&self, line: &'l str) -> (&'l str, Option<usize>) {
        let trimmed = line.trim_end_matches([' ', '\t']);
        match trimmed.strip_suffix(self.escape) {
            Some(rest) => (rest, Some(rest.len())),
            None => (line, None),
        }
    }

    fn instruction(&mut self, mapped: &Mapped) -> Instruction {
        let text = mapped.text.as_str();
        let keyword_end = text.find(is_space).unwrap_or(text.len());
        let name = &text[..keyword_end];
        let keyword = Keyword::from_name(name);
        let keyword_span = mapped.span(0..keyword_end);
        let mut pos = skip_space(text, keyword_end);

        let mut flags = Vec::new();
        for range in split_words(text, pos..text.len(), self.escape) {
            let raw = &text[range.clone()];
            if !raw.starts_with("--") {
                break;
            }
            pos = skip_space(text, range.end);
            if raw == "--" {
                break;
            }
            let (name, value) = match find_equals(raw, self.escape) {
                Some(eq) => (&raw[2..eq], Some(range.start + eq + 1..range.end)),
                None => (&raw[2..], None),
            };
            let flag = super::Flag {
                name: name.to_owned(),
                value: value.clone().map(|v| super::unquote(&text[v], self.escape)),
                span: mapped.span(range.clone()),
                value_span: value.map(|v| mapped.span(v)),
            };
            if !known_flags(keyword).contains(&flag.name.to_ascii_lowercase().as_str())
                && keyword != Keyword::Unknown
            {
                self.diagnose(
                    DiagnosticKind::UnknownFlag,
                    format!("unknown flag `--{}` for {}", flag.name, keyword.as_str()),
                    flag.span,
                );
            }
            flags.push(flag);
        }
        let args_end = text.trim_end_matches(is_space).len().max(pos);
        let args_range = pos..args_end;
        let args_span = mapped.span(args_range.clone());
        let mut instruction = Instruction {
            keyword,
            name: name.to_owned(),
            keyword_span,
            span: Span::new(keyword_span.start, args_span.end.max(keyword_span.end)),
            flags,
            args: Args::Empty,
            args_span,
            heredocs: Vec::new(),
            stage: None,
        };
        instruction.args = self.arguments(&instruction, mapped, args_range);
        instruction
    }

    fn arguments(
        &mut self,
        instruction: &Instruction,
        mapped: &Mapped,
        range: Range<usize>,
    ) -> Args {
        let keyword = instruction.keyword;
        let text = mapped.text.as_str();
        let escape = self.escape;
        let span = instruction.args_span;
        let words = || -> Vec<Word> {
            split_words(text, range.clone(), escape)
                .into_iter()
                .map(|r| mapped.word(r, escape))
                .collect()
        };
        let empty = range.is_empty();
        let missing = |parser: &mut Self, what: &str| {
            parser.diagnose(
                DiagnosticKind::MissingArguments,
                format!("{} requires {what}", keyword.as_str()),
                instruction.keyword_span,
            );
            Args::Empty
        };
        match keyword {
            Keyword::Run | Keyword::Cmd | Keyword::Entrypoint | Keyword::Shell => {
                if empty {
                    return match keyword {
                        Keyword::Run | Keyword::Shell => missing(self, "at least one argument"),
                        _ => Args::Empty,
                    };
                }
                let form = command_form(mapped, range);
                if keyword == Keyword::Shell && !form.is_exec() {
                    self.diagnose(
                        DiagnosticKind::InvalidArguments,
                        "SHELL requires the arguments to be in JSON form",
                        span,
                    );
                }
                Args::Command(form)
            }
            Keyword::Copy | Keyword::Add => {
                let (mut list, json) = match json::parse_string_array(&text[range.clone()]) {
                    Some(items) => (
                        items
                            .into_iter()
                            .map(|(value, r)| json_word(mapped, &range, value, r))
                            .collect(),
                        true,
                    ),
                    None => (words(), false),
                };
                if list.len() < 2 {
                    return missing(self, "at least two arguments: a source and a destination");
                }
                let dest = list.pop();
                Args::Files {
                    sources: list,
                    dest,
                    json,
                }
            }
            Keyword::From => {
                let mut list = words();
                let valid = list.len() == 1
                    || (list.len() == 3 && list[1].value.eq_ignore_ascii_case("as"));
                if list.is_empty() {
                    return missing(self, "an image reference");
                }
                if !valid {
                    self.diagnose(
                        DiagnosticKind::InvalidArguments,
                        "FROM requires either one argument, or three: FROM <image> AS <name>",
                        span,
                    );
                }
                let alias = (list.len() == 3).then(|| list.pop()).flatten();
                let image = list.swap_remove(0);
                Args::From { image, alias }
            }
            Keyword::Arg => {
                if empty {
                    return missing(self, "a name");
                }
                let pairs = split_words(text, range.clone(), escape)
                    .into_iter()
                    .map(|r| pair(mapped, r, escape))
                    .collect();
                Args::Pairs(pairs)
            }
            Keyword::Env | Keyword::Label => {
                if empty {
                    return missing(self, "at least one key and value");
                }
                self.pairs(keyword, mapped, range)
            }
            Keyword::Expose | Keyword::Volume => {
                if empty {
                    return missing(self, "at least one argument");
                }
                match json::parse_string_array(&text[range.clone()]) {
                    Some(items) if keyword == Keyword::Volume => Args::Words(
                        items
                            .into_iter()
                            .map(|(value, r)| json_word(mapped, &range, value, r))
                            .collect(),
                    ),
                    _ => Args::Words(words()),
                }
            }
            Keyword::User | Keyword::Workdir | Keyword::Stopsignal | Keyword::Maintainer => {
                if empty {
                    return missing(self, "an argument");
                }
                Args::Text(mapped.word(range, escape))
            }
            Keyword::Healthcheck => self.healthcheck(instruction, mapped, range),
            Keyword::Onbuild => {
                if empty {
                    return missing(self, "an instruction");
                }
                let inner = mapped.slice(range);
                let mut nested = self.instruction(&inner);
                if matches!(
                    nested.keyword,
                    Keyword::Onbuild | Keyword::From | Keyword::Maintainer
                ) {
                    self.diagnose(
                        DiagnosticKind::InvalidArguments,
                        format!("ONBUILD {} is not allowed", nested.keyword.as_str()),
                        nested.keyword_span,
                    );
                }
                nested.span.end = nested.span.end.max(nested.keyword_span.end);
                Args::Onbuild(Box::new(nested))
            }
            Keyword::Unknown => {
                self.diagnose(
                    DiagnosticKind::UnknownInstruction,
                    format!("unknown instruction `{}`", instruction.name),
                    instruction.keyword_span,
                );
                if empty {
                    Args::Empty
                } else {
                    Args::Text(mapped.word(range, escape))
                }
            }
        }
    }

    /// `ENV`/`LABEL`: `key=value ...`, or the legacy `key value` form where
    /// the value is the rest of the line.
    fn pairs(&mut self, keyword: Keyword, mapped: &Mapped, range: Range<usize>) -> Args {
        let text = mapped.text.as_str();
        let escape = self.escape;
        let ranges = split_words(text, range.clone(), escape);
        let Some(first) = ranges.first().cloned() else {
            return Args::Pairs(Vec::new());
        };
        if find_equals(&text[first.clone()], escape).is_none() {
            let value_start = skip_space(text, first.end).min(range.end);
            if value_start >= range.end {
                self.diagnose(
                    DiagnosticKind::MissingArguments,
                    format!(
                        "{} requires a value for `{}`",
                        keyword.as_str(),
                        &text[first.clone()]
                    ),
                    mapped.span(first),
                );
                return Args::Pairs(Vec::new());
            }
            let key = mapped.word(first.clone(), escape);
            let value = mapped.word(value_start..range.end, escape);
            let span = key.span.cover(value.span);
            return Args::Pairs(vec![Pair {
                key,
                value: Some(value),
                span,
            }]);
        }
        let mut pairs = Vec::new();
        for r in ranges {
            if find_equals(&text[r.clone()], escape).is_none() {
                self.diagnose(
                    DiagnosticKind::InvalidArguments,
                    format!(
                        "{}: can't find `=` in `{}`; it must be of the form name=value",
                        keyword.as_str(),
                        &text[r.clone()]
                    ),
                    mapped.span(r),
                );
                continue;
            }
            let p = pair(mapped, r.clone(), escape);
            if p.key.value.is_empty() {
                self.diagnose(
                    DiagnosticKind::InvalidArguments,
                    format!("{} names can not be blank", keyword.as_str()),
                    mapped.span(r),
                );
                continue;
            }
            pairs.push(p);
        }
        Args::Pairs(pairs)
    }

    fn healthcheck(
        &mut self,
        instruction: &Instruction,
        mapped: &Mapped,
        range: Range<usize>,
    ) -> Args {
        let text = mapped.text.as_str();
        let words = split_words(text, range.clone(), self.escape);
        let Some(first) = words.first().cloned() else {
            self.diagnose(
                DiagnosticKind::MissingArguments,
                "HEALTHCHECK requires NONE or CMD",
                instruction.keyword_span,
            );
            return Args::Empty;
        };
        let kind = &text[first.clone()];
        if kind.eq_ignore_ascii_case("none") {
            if words.len() > 1 {
                self.diagnose(
                    DiagnosticKind::InvalidArguments,
                    "HEALTHCHECK NONE takes no other arguments",
                    mapped.span(words[1].start..range.end),
                );
            }
            return Args::Healthcheck(None);
        }
        if !kind.eq_ignore_ascii_case("cmd") {
            self.diagnose(
                DiagnosticKind::InvalidArguments,
                format!("unknown HEALTHCHECK type `{kind}`: use CMD or NONE"),
                mapped.span(first),
            );
            return Args::Empty;
        }
        let rest = skip_space(text, first.end).min(range.end);
        if rest >= range.end {
            self.diagnose(
                DiagnosticKind::MissingArguments,
                "HEALTHCHECK CMD requires a command",
                mapped.span(first),
            );
            return Args::Healthcheck(None);
        }
        Args::Healthcheck(Some(command_form(mapped, rest..range.end)))
    }

    /// Reads the bodies of the heredocs `instruction` opens. Returns the end
    /// of the last line read.
    fn heredocs(&mut self, instruction: &mut Instruction, mapped: &Mapped) -> Option<usize> {
        let text = mapped.text.as_str();
        let after_keyword = instruction.keyword_span.end;
        let start = text
            .char_indices()
            .find(|(i, _)| mapped.source(*i) >= after_keyword)
            .map_or(text.len(), |(i, _)| i);
        let mut last_end = None;
        for range in split_words(text, start..text.len(), self.escape) {
            let Some(marker) = heredoc_marker(&text[range.clone()], self.escape) else {
                continue;
            };
            let marker_span = mapped.span(range);
            let mut body = String::new();
            let mut body_mapped = Mapped::default();
            let mut body_span: Option<Span> = None;
            let mut terminated = false;
            while self.next < self.lines.len() {
                let (s, line) = self.line(self.next);
                self.next += 1;
                last_end = Some(s + line.len());
                let tabs = if marker.strip_tabs {
                    line.len() - line.trim_start_matches('\t').len()
                } else {
                    0
                };
                if line[tabs..] == marker.name {
                    terminated = true;
                    break;
                }
                body.push_str(&line[tabs..]);
                body.push('\n');
                body_mapped.push(&line[tabs..], s + tabs);
                // A last line without a newline gets one in the body, but
                // no source position past the end of the text.
                if s + line.len() < self.text.len() {
                    body_mapped.push("\n", s + line.len());
                }
                let span = Span::new(clamp(s), clamp(s + line.len()));
                body_span = Some(body_span.map_or(span, |b| b.cover(span)));
            }
            if !terminated {
                self.diagnose(
                    DiagnosticKind::UnterminatedHeredoc,
                    format!("heredoc `{}` is never terminated", marker.name),
                    marker_span,
                );
            }
            let is_script = instruction.keyword == Keyword::Run
                && runs_as_script(instruction, &marker.name, &body);
            let commands = if is_script {
                tokenize_mapped(&body_mapped)
            } else {
                Vec::new()
            };
            instruction.heredocs.push(Heredoc {
                name: marker.name,
                fd: marker.fd,
                strip_tabs: marker.strip_tabs,
                quoted: marker.quoted,
                marker: marker_span,
                body,
                body_span: body_span.unwrap_or(Span::new(marker_span.end, marker_span.end)),
                is_script,
                commands,
                terminated,
            });
        }
        last_end
    }

    fn finish(mut self) -> Dockerfile {
        let mut stages: Vec<Stage> = Vec::new();
        for (index, instruction) in self.instructions.iter_mut().enumerate() {
            if instruction.keyword == Keyword::From {
                if let Some(last) = stages.last_mut() {
                    last.end = index;
                }
                let name = match &instruction.args {
                    Args::From {
                        alias: Some(alias), ..
                    } => Some(alias.value.to_ascii_lowercase()),
                    _ => None,
                };
                stages.push(Stage {
                    index: stages.len(),
                    from: index,
                    end: index + 1,
                    name,
                    base: None,
                });
            }
            instruction.stage = stages.last().map(|s| s.index);
            if let Args::Onbuild(nested) = &mut instruction.args {
                nested.stage = instruction.stage;
            }
        }
        if let Some(last) = stages.last_mut() {
            last.end = self.instructions.len();
        }
        let mut file = Dockerfile {
            directives: std::mem::take(&mut self.directives),
            escape: self.escape,
            instructions: std::mem::take(&mut self.instructions),
            stages,
            comments: std::mem::take(&mut self.comments),
            diagnostics: std::mem::take(&mut self.diagnostics),
        };
        // A stage built FROM an earlier stage's name inherits its filesystem
        // and environment; BuildKit compares the names case-insensitively,
        // after expanding global ARGs.
        let bases: Vec<Option<usize>> = file
            .stages
            .iter()
            .map(|stage| {
                let Some(Instruction {
                    args: Args::From { image, .. },
                    ..
                }) = file.instructions.get(stage.from)
                else {
                    return None;
                };
                let expanded = file.expand_at(stage.from, &image.raw);
                let name = expanded.value.to_ascii_lowercase();
                file.stages[..stage.index]
                    .iter()
                    .rev()
                    .find(|s| s.name.as_deref() == Some(name.as_str()))
                    .map(|s| s.index)
            })
            .collect();
        for (stage, base) in file.stages.iter_mut().zip(bases) {
            stage.base = base;
        }
        file
    }
}

fn skip_space(text: &str, from: usize) -> usize {
    text.get(from..).map_or(text.len(), |rest| {
        text.len() - rest.trim_start_matches(is_space).len()
    })
}

/// `#name=value` with optional blanks around the `#`, the name and the `=`:
/// the name, the value, and the value's offset in `line`.
fn directive_parts(line: &str) -> Option<(&str, &str, usize)> {
    let rest = line.strip_prefix('#')?.trim_start_matches([' ', '\t']);
    let name_len = rest
        .char_indices()
        .take_while(|(i, c)| {
            if *i == 0 {
                c.is_ascii_alphabetic()
            } else {
                c.is_ascii_alphanumeric()
            }
        })
        .count();
    if name_len == 0 {
        return None;
    }
    let (name, rest) = rest.split_at(name_len);
    let rest = rest.trim_start_matches([' ', '\t']).strip_prefix('=')?;
    let rest = rest.trim_start_matches([' ', '\t']);
    let value = rest.trim_end_matches([' ', '\t']);
    let offset = line.len() - rest.len();
    (!value.is_empty()).then_some((name, value, offset))
}

fn command_form(mapped: &Mapped, range: Range<usize>) -> CommandForm {
    let text = mapped.text.as_str();
    let slice = &text[range.clone()];
    if slice.starts_with('[')
        && let Some(items) = json::parse_string_array(slice)
    {
        let words = items
            .into_iter()
            .map(|(value, r)| json_word(mapped, &range, value, r))
            .collect();
        return CommandForm::Exec {
            words,
            span: mapped.span(range),
        };
    }
    let inner = mapped.slice(range.clone());
    CommandForm::Shell(ShellForm {
        text: inner.text.clone(),
        span: mapped.span(range),
        commands: tokenize_mapped(&inner),
    })
}

fn json_word(mapped: &Mapped, outer: &Range<usize>, value: String, r: Range<usize>) -> Word {
    let range = outer.start + r.start..outer.start + r.end;
    Word {
        raw: mapped.text.get(range.clone()).unwrap_or("").to_owned(),
        value,
        span: mapped.span(range),
    }
}

fn pair(mapped: &Mapped, range: Range<usize>, escape: char) -> Pair {
    let text = mapped.text.as_str();
    let span = mapped.span(range.clone());
    match find_equals(&text[range.clone()], escape) {
        Some(eq) => {
            let key = mapped.word(range.start..range.start + eq, escape);
            let value = mapped.word(range.start + eq + 1..range.end, escape);
            Pair {
                key,
                value: Some(value),
                span,
            }
        }
        None => Pair {
            key: mapped.word(range, escape),
            value: None,
            span,
        },
    }
}

struct Marker {
    name: String,
    fd: Option<u32>,
    strip_tabs: bool,
    quoted: bool,
}

/// `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'`, `3<<EOF`; not `<<<` (a here-string).
fn heredoc_marker(word: &str, escape: char) -> Option<Marker> {
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    let rest = word[digits..].strip_prefix("<<")?;
    let (strip_tabs, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    if rest.is_empty() || rest.starts_with('<') {
        return None;
    }
    let quoted = rest.contains(['"', '\'']);
    let name = super::unquote(rest, escape);
    if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '<') {
        return None;
    }
    Some(Marker {
        name,
        fd: (digits > 0).then(|| word[..digits].parse().ok()).flatten(),
        strip_tabs,
        quoted,
    })
}

/// Whether a `RUN` heredoc is a script for a shell: the instruction is
/// nothing but the heredoc (BuildKit runs it as the script), or the heredoc
/// feeds a shell reading its commands from standard input.
fn runs_as_script(instruction: &Instruction, name: &str, body: &str) -> bool {
    let Args::Command(CommandForm::Shell(shell)) = &instruction.args else {
        return false;
    };
    if let Some(interpreter) = body.lines().next().and_then(|l| l.strip_prefix("#!")) {
        let mut parts = interpreter.split_whitespace();
        let program = parts.next().unwrap_or("");
        let program = program.rsplit('/').next().unwrap_or(program);
        let program = if program == "env" {
            parts.find(|p| !p.starts_with('-')).unwrap_or("")
        } else {
            program
        };
        if !SHELLS.contains(&program) {
            return false;
        }
    }
    let feeds = |command: &Command| {
        command.redirects.iter().any(|r| {
            (r.op == "<<" || r.op == "<<-" || r.op == "0<<" || r.op == "0<<-")
                && r.target.as_ref().is_some_and(|t| t.value == name)
        })
    };
    let Some(command) = shell.commands.iter().find(|c| feeds(c)) else {
        return false;
    };
    let pipes_in = command.connector == Connector::Pipe;
    match command.name() {
        None => !pipes_in,
        Some(program) => {
            SHELLS.contains(&program)
                && !command
                    .args()
                    .iter()
                    .any(|a| a.value == "-c" || !a.value.starts_with('-'))
        }
    }
}
