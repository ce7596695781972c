//! A small POSIX shell tokenizer: enough to cut a `RUN` command into simple
//! commands and words so that rules can judge `apt-get install` or
//! `curl | sh` without being fooled by quotes, escapes or `&&` chains. It is
//! not a shell: it never expands anything, and `$(...)`, `${...}` and
//! backquotes stay inside the word that holds them.

use super::lexer::Mapped;
use super::{Span, Word};

/// How a command is joined to the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Connector {
    /// The first command of the text.
    #[default]
    First,
    /// `&&`
    And,
    /// `||`
    Or,
    /// `;`, a newline, or a grouping parenthesis.
    Sequence,
    /// `|` or `|&`: this command reads the previous one's output.
    Pipe,
    /// `&`
    Background,
}

/// A redirection such as `> /dev/null`, `2>&1` or `<<EOF`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The operator with any file descriptor: `>`, `2>`, `<<`, `<<-`, `&>`.
    pub op: String,
    pub target: Option<Word>,
    pub span: Span,
}

/// A simple command: words and redirections between two operators.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Command {
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
    pub connector: Connector,
    pub span: Span,
}

const RESERVED: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "time",
];

/// Commands that run the rest of their arguments as another command.
const WRAPPERS: &[&str] = &["sudo", "doas", "env", "exec", "command", "nice", "nohup"];

/// Options of the wrappers that take a value as the next word.
fn wrapper_option_takes_value(wrapper: &str, option: &str) -> bool {
    match wrapper {
        "sudo" => matches!(
            option,
            "-u" | "-g" | "-C" | "-D" | "-h" | "-p" | "-r" | "-t" | "-U" | "-T" | "-R"
        ),
        "doas" => matches!(option, "-u" | "-C"),
        "env" => matches!(option, "-u" | "-C" | "-S" | "--unset" | "--chdir"),
        "nice" => option == "-n",
        _ => false,
    }
}

fn is_assignment(word: &str) -> bool {
    match word.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

impl Command {
    /// The index of the word naming the program, past variable assignments,
    /// reserved words and wrappers such as `sudo` or `env`.
    pub fn program_index(&self) -> Option<usize> {
        let mut i = 0;
        let mut wrapper: Option<&str> = None;
        while let Some(word) = self.words.get(i) {
            let value = word.value.as_str();
            if let Some(w) = wrapper {
                if value == "--" {
                    i += 1;
                    continue;
                }
                if value.starts_with('-') && value.len() > 1 {
                    i += if wrapper_option_takes_value(w, value) {
                        2
                    } else {
                        1
                    };
                    continue;
                }
            }
            if is_assignment(&word.raw) || RESERVED.contains(&value) {
                i += 1;
                continue;
            }
            let name = basename(value);
            if WRAPPERS.contains(&name) {
                wrapper = Some(name);
                i += 1;
                continue;
            }
            return Some(i);
        }
        None
    }

    pub fn program(&self) -> Option<&Word> {
        self.program_index().and_then(|i| self.words.get(i))
    }

    /// The program's name without its directory: `/usr/bin/apt-get` is `apt-get`.
    pub fn name(&self) -> Option<&str> {
        self.program().map(|w| basename(&w.value))
    }

    /// The words after the program.
    pub fn args(&self) -> &[Word] {
        match self.program_index() {
            Some(i) => self.words.get(i + 1..).unwrap_or_default(),
            None => &[],
        }
    }

    /// The `sudo`, `env`, ... word in front of the program, if that wrapper is used.
    pub fn wrapper(&self, name: &str) -> Option<&Word> {
        let end = self.program_index().unwrap_or(self.words.len());
        self.words[..end]
            .iter()
            .find(|w| basename(&w.value) == name)
    }

    /// Variable assignments in front of the program (`DEBIAN_FRONTEND=noninteractive`).
    pub fn assignments(&self) -> impl Iterator<Item = &Word> {
        let end = self.program_index().unwrap_or(self.words.len());
        self.words[..end].iter().filter(|w| is_assignment(&w.raw))
    }
}

/// Cuts shell text into simple commands. Spans are byte offsets into `text`.
pub fn tokenize(text: &str) -> Vec<Command> {
    let mut mapped = Mapped::default();
    mapped.push(text, 0);
    tokenize_mapped(&mapped)
}

struct Tokenizer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    mapped: &'a Mapped,
    i: usize,
    commands: Vec<Command>,
    current: Command,
    current_start: Option<usize>,
    current_end: usize,
    next_connector: Connector,
    /// Heredoc delimiters (and whether tabs are stripped) whose bodies start
    /// at the next newline.
    pending_heredocs: Vec<(String, bool)>,
    /// Open `case` statements, and whether a pattern (`a|b)`) comes next:
    /// its `|` and `)` are not operators.
    case_depth: usize,
    in_pattern: bool,
}

pub(crate) fn tokenize_mapped(mapped: &Mapped) -> Vec<Command> {
    let mut t = Tokenizer {
        text: &mapped.text,
        bytes: mapped.text.as_bytes(),
        mapped,
        i: 0,
        commands: Vec::new(),
        current: Command::default(),
        current_start: None,
        current_end: 0,
        next_connector: Connector::First,
        pending_heredocs: Vec::new(),
        case_depth: 0,
        in_pattern: false,
    };
    t.run();
    t.commands
}

impl Tokenizer<'_> {
    fn peek(&self, offset: usize) -> Option<u8> {
        self.bytes.get(self.i + offset).copied()
    }

    fn run(&mut self) {
        while self.i < self.bytes.len() {
            if self.in_pattern {
                self.pattern();
                continue;
            }
            let c = self.bytes[self.i];
            match c {
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'\\' if self.peek(1) == Some(b'\n') => self.i += 2,
                b'\n' => {
                    self.i += 1;
                    self.finish(Connector::Sequence);
                    self.skip_heredoc_bodies();
                }
                b'#' => {
                    while self.i < self.bytes.len() && self.bytes[self.i] != b'\n' {
                        self.i += 1;
                    }
                }
                b'&' if self.peek(1) == Some(b'&') => {
                    self.i += 2;
                    self.finish(Connector::And);
                }
                b'|' if self.peek(1) == Some(b'|') => {
                    self.i += 2;
                    self.finish(Connector::Or);
                }
                b'|' => {
                    self.i += if self.peek(1) == Some(b'&') { 2 } else { 1 };
                    self.finish(Connector::Pipe);
                }
                b';' => {
                    let clause_end = matches!(self.peek(1), Some(b';' | b'&'));
                    self.i += if clause_end { 2 } else { 1 };
                    if self.peek(0) == Some(b'&') {
                        self.i += 1;
                    }
                    self.finish(Connector::Sequence);
                    if clause_end && self.case_depth > 0 {
                        self.in_pattern = true;
                    }
                }
                b'&' if self.peek(1) == Some(b'>') => self.redirect(self.i),
                b'&' => {
                    self.i += 1;
                    self.finish(Connector::Background);
                }
                b'(' | b')' => {
                    self.i += 1;
                    self.finish(Connector::Sequence);
                }
                b'<' | b'>' if matches!(self.peek(1), Some(b'(')) => self.word(),
                b'<' | b'>' => self.redirect(self.i),
                b'0'..=b'9' => {
                    let digits = self.bytes[self.i..]
                        .iter()
                        .take_while(|b| b.is_ascii_digit())
                        .count();
                    match self.bytes.get(self.i + digits) {
                        Some(b'<' | b'>') => self.redirect(self.i),
                        _ => self.word(),
                    }
                }
                _ => self.word(),
            }
        }
        self.finish(Connector::Sequence);
    }

    fn touch(&mut self, start: usize, end: usize) {
        if self.current_start.is_none() {
            self.current_start = Some(start);
        }
        self.current_end = end;
    }

    fn finish(&mut self, next: Connector) {
        if let Some(start) = self.current_start.take() {
            let mut command = std::mem::take(&mut self.current);
            command.connector = self.next_connector;
            command.span = self.mapped.span(start..self.current_end);
            self.commands.push(command);
            self.next_connector = next;
        } else if next != Connector::Sequence {
            // `a && (b)`: the parenthesis must not weaken `&&` to a sequence.
            self.next_connector = next;
        }
    }

    fn word(&mut self) {
        let start = self.i;
        let value = self.scan_word();
        let end = self.i;
        if end == start {
            // Never stall on a byte no rule above consumed.
            self.i += 1;
            return;
        }
        if value == "esac" && self.case_depth > 0 && self.current.words.is_empty() {
            self.case_depth -= 1;
            return;
        }
        let opens_case = value == "in"
            && self.current.words.len() >= 2
            && self.current.words[self.current.words.len() - 2].value == "case";
        let raw = self.text.get(start..end).unwrap_or("").to_owned();
        self.current.words.push(Word {
            raw,
            value,
            span: self.mapped.span(start..end),
        });
        self.touch(start, end);
        if opens_case {
            // `case $x in` runs nothing itself; the clauses that follow do.
            self.current = Command::default();
            self.current_start = None;
            self.case_depth += 1;
            self.in_pattern = true;
        }
    }

    /// Skips a `case` pattern up to its `)`, or the `esac` that closes the
    /// statement.
    fn pattern(&mut self) {
        while matches!(self.peek(0), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
        let rest = self.text.get(self.i..).unwrap_or("");
        if rest.starts_with("esac")
            && rest[4..]
                .bytes()
                .next()
                .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b')'))
        {
            self.i += 4;
            self.case_depth = self.case_depth.saturating_sub(1);
            self.in_pattern = false;
            return;
        }
        if self.peek(0) == Some(b'(') {
            self.i += 1;
        }
        while self.i < self.bytes.len() {
            match self.bytes[self.i] {
                b')' => {
                    self.i += 1;
                    break;
                }
                b'\\' => self.i += 2,
                b'\'' | b'"' => {
                    let quote = self.bytes[self.i];
                    self.i += 1;
                    while self.i < self.bytes.len() && self.bytes[self.i] != quote {
                        self.i += 1;
                    }
                    self.i += 1;
                }
                _ => self.i += 1,
            }
        }
        self.i = self.i.min(self.bytes.len());
        self.in_pattern = false;
    }

    /// Reads one word from `self.i`, returning its value with quotes and
    /// backslashes removed (substitutions kept verbatim).
    fn scan_word(&mut self) -> String {
        let mut value = String::new();
        while self.i < self.bytes.len() {
            let c = self.bytes[self.i];
            match c {
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' => break,
                b'<' | b'>' if self.peek(1) == Some(b'(') => {
                    let start = self.i;
                    self.i += 1;
                    self.skip_balanced(b'(', b')');
                    value.push_str(self.text.get(start..self.i).unwrap_or(""));
                }
                b'<' | b'>' => break,
                b'\\' => {
                    if self.peek(1) == Some(b'\n') {
                        self.i += 2;
                    } else {
                        self.i += 1;
                        self.push_char(&mut value);
                    }
                }
                b'\'' => {
                    self.i += 1;
                    while self.i < self.bytes.len() && self.bytes[self.i] != b'\'' {
                        self.push_char(&mut value);
                    }
                    self.i += 1;
                }
                b'"' => {
                    self.i += 1;
                    self.double_quoted(&mut value);
                }
                b'$' if matches!(self.peek(1), Some(b'(' | b'{')) => {
                    let start = self.i;
                    self.i += 1;
                    let (open, close) = if self.bytes[self.i] == b'(' {
                        (b'(', b')')
                    } else {
                        (b'{', b'}')
                    };
                    self.skip_balanced(open, close);
                    value.push_str(self.text.get(start..self.i).unwrap_or(""));
                }
                b'`' => {
                    let start = self.i;
                    self.i += 1;
                    self.skip_backquoted();
                    value.push_str(self.text.get(start..self.i).unwrap_or(""));
                }
                _ => self.push_char(&mut value),
            }
        }
        self.i = self.i.min(self.bytes.len());
        value
    }

    fn push_char(&mut self, value: &mut String) {
        match self.text.get(self.i..).and_then(|s| s.chars().next()) {
            Some(ch) => {
                value.push(ch);
                self.i += ch.len_utf8();
            }
            None => self.i += 1,
        }
    }

    fn double_quoted(&mut self, value: &mut String) {
        while self.i < self.bytes.len() {
            match self.bytes[self.i] {
                b'"' => {
                    self.i += 1;
                    return;
                }
                b'\\' => match self.peek(1) {
                    Some(b'"' | b'\\' | b'$' | b'`') => {
                        self.i += 1;
                        self.push_char(value);
                    }
                    Some(b'\n') => self.i += 2,
                    _ => self.push_char(value),
                },
                b'$' if matches!(self.peek(1), Some(b'(' | b'{')) => {
                    let start = self.i;
                    self.i += 1;
                    let (open, close) = if self.bytes[self.i] == b'(' {
                        (b'(', b')')
                    } else {
                        (b'{', b'}')
                    };
                    self.skip_balanced(open, close);
                    value.push_str(self.text.get(start..self.i).unwrap_or(""));
                }
                b'`' => {
                    let start = self.i;
                    self.i += 1;
                    self.skip_backquoted();
                    value.push_str(self.text.get(start..self.i).unwrap_or(""));
                }
                _ => self.push_char(value),
            }
        }
    }

    /// Skips from an opening bracket at `self.i` past its match, minding
    /// quotes and escapes; stops at the end of the text if unbalanced.
    fn skip_balanced(&mut self, open: u8, close: u8) {
        let mut depth = 0usize;
        while self.i < self.bytes.len() {
            let c = self.bytes[self.i];
            match c {
                b'\\' => self.i += 2,
                b'\'' if open == b'(' => {
                    self.i += 1;
                    while self.i < self.bytes.len() && self.bytes[self.i] != b'\'' {
                        self.i += 1;
                    }
                    self.i += 1;
                }
                b'"' => {
                    self.i += 1;
                    while self.i < self.bytes.len() && self.bytes[self.i] != b'"' {
                        if self.bytes[self.i] == b'\\' {
                            self.i += 1;
                        }
                        self.i += 1;
                    }
                    self.i += 1;
                }
                _ if c == open => {
                    depth += 1;
                    self.i += 1;
                }
                _ if c == close => {
                    self.i += 1;
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return;
                    }
                }
                _ => self.i += 1,
            }
        }
        self.i = self.i.min(self.bytes.len());
    }

    fn skip_backquoted(&mut self) {
        while self.i < self.bytes.len() {
            match self.bytes[self.i] {
                b'\\' => self.i += 2,
                b'`' => {
                    self.i += 1;
                    return;
                }
                _ => self.i += 1,
            }
        }
        self.i = self.i.min(self.bytes.len());
    }

    fn redirect(&mut self, start: usize) {
        let mut i = start;
        while i < self.bytes.len() && self.bytes[i].is_ascii_digit() {
            i += 1;
        }
        // Longest operators first, so that `<<-` is not read as `<<`.
        const OPS: [&[u8]; 12] = [
            b"&>>", b"<<<", b"<<-", b"&>", b">>", b">&", b">|", b"<<", b"<&", b"<>", b">", b"<",
        ];
        let rest = self.bytes.get(i..).unwrap_or_default();
        let op_len = OPS
            .iter()
            .find(|op| rest.starts_with(op))
            .map_or(1, |op| op.len());
        i += op_len;
        let op = self.text.get(start..i).unwrap_or("").to_owned();
        self.i = i;
        while matches!(self.peek(0), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        let target_start = self.i;
        let target = match self.peek(0) {
            None | Some(b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>') => None,
            Some(_) => {
                let value = self.scan_word();
                let end = self.i;
                (end > target_start).then(|| Word {
                    raw: self.text.get(target_start..end).unwrap_or("").to_owned(),
                    value,
                    span: self.mapped.span(target_start..end),
                })
            }
        };
        let end = self.i.max(start + 1);
        let heredoc = (op.ends_with("<<") && !op.ends_with("<<<")) || op.ends_with("<<-");
        if heredoc && let Some(target) = &target {
            self.pending_heredocs
                .push((target.value.clone(), op.ends_with('-')));
        }
        self.current.redirects.push(Redirect {
            op,
            target,
            span: self.mapped.span(start..end),
        });
        self.touch(start, end);
    }

    /// After a newline, skips the bodies of heredocs opened on the line before.
    fn skip_heredoc_bodies(&mut self) {
        for (delimiter, strip_tabs) in std::mem::take(&mut self.pending_heredocs) {
            while self.i < self.bytes.len() {
                let line_end = self.bytes[self.i..]
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(self.bytes.len(), |p| self.i + p);
                let line = self.text.get(self.i..line_end).unwrap_or("");
                let line = line.strip_suffix('\r').unwrap_or(line);
                let line = if strip_tabs {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                self.i = (line_end + 1).min(self.bytes.len());
                if line == delimiter {
                    break;
                }
            }
        }
    }
}
