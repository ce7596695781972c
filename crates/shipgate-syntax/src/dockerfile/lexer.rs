//! Logical text and word splitting. An instruction's logical text joins its
//! physical lines (continuations removed), so it is not contiguous in the
//! source: `Mapped` remembers where each piece came from.

use std::ops::Range;

use super::{Span, Word, expand};

/// Text assembled from pieces of the source, with the source offset of each piece.
#[derive(Debug, Clone, Default)]
pub(crate) struct Mapped {
    pub text: String,
    /// `(logical offset, source offset)` at the start of each piece, ascending.
    pieces: Vec<(u32, u32)>,
}

impl Mapped {
    pub fn push(&mut self, piece: &str, source_start: usize) {
        if piece.is_empty() {
            return;
        }
        self.pieces
            .push((clamp(self.text.len()), clamp(source_start)));
        self.text.push_str(piece);
    }

    /// The logical range `range` as a text of its own, keeping its source offsets.
    pub fn slice(&self, range: Range<usize>) -> Mapped {
        let mut out = Mapped::default();
        let end = range.end.min(self.text.len());
        let mut at = range.start.min(end);
        while at < end {
            let index = self
                .pieces
                .partition_point(|(logical, _)| *logical as usize <= at);
            let piece_end = self
                .pieces
                .get(index)
                .map_or(self.text.len(), |(l, _)| *l as usize)
                .min(end);
            let piece_end = piece_end.max(at + 1).min(end);
            if let Some(part) = self.text.get(at..piece_end) {
                out.push(part, self.source(at) as usize);
            }
            at = piece_end;
        }
        out
    }

    /// Source offset of the byte at logical offset `at`.
    pub fn source(&self, at: usize) -> u32 {
        let at = clamp(at);
        let index = self.pieces.partition_point(|(logical, _)| *logical <= at);
        match index.checked_sub(1).and_then(|i| self.pieces.get(i)) {
            Some((logical, source)) => source.saturating_add(at - logical),
            None => self.pieces.first().map_or(0, |(_, s)| *s),
        }
    }

    /// Source span of a logical range. The end is mapped from the range's last
    /// byte, so a range that ends where a line ends does not run on to the next.
    pub fn span(&self, range: Range<usize>) -> Span {
        let start = self.source(range.start);
        if range.end <= range.start {
            return Span::new(start, start);
        }
        let end = self.source(range.end - 1).saturating_add(1);
        Span::new(start, end.max(start))
    }

    /// A word from a logical range: raw text, its unquoted value, and its span.
    pub fn word(&self, range: Range<usize>, escape: char) -> Word {
        let raw = self.text.get(range.clone()).unwrap_or("").to_owned();
        let value = expand::unquote(&raw, escape);
        Word {
            raw,
            value,
            span: self.span(range),
        }
    }
}

pub(crate) fn clamp(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub(crate) fn is_space(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\u{b}' || c == '\u{c}'
}

/// Splits `text[range]` into whitespace-separated words, keeping quoted
/// strings and escaped characters inside their word, as BuildKit's word
/// lexer does. Returns logical ranges.
pub(crate) fn split_words(text: &str, range: Range<usize>, escape: char) -> Vec<Range<usize>> {
    let mut words = Vec::new();
    let Some(slice) = text.get(range.clone()) else {
        return words;
    };
    let base = range.start;
    let mut start: Option<usize> = None;
    let mut quote: Option<char> = None;
    let mut chars = slice.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match quote {
            Some(q) => {
                if c == escape && q == '"' {
                    chars.next();
                } else if c == q {
                    quote = None;
                }
            }
            None => {
                if is_space(c) {
                    if let Some(s) = start.take() {
                        words.push(base + s..base + i);
                    }
                    continue;
                }
                if start.is_none() {
                    start = Some(i);
                }
                if c == escape {
                    chars.next();
                } else if c == '"' || c == '\'' {
                    quote = Some(c);
                }
            }
        }
    }
    if let Some(s) = start {
        words.push(base + s..base + slice.len());
    }
    words
}

/// The offset of the first `=` outside quotes in `word`, if any.
pub(crate) fn find_equals(word: &str, escape: char) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut chars = word.char_indices();
    while let Some((i, c)) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some('"') if c == escape => {
                chars.next();
            }
            Some(_) => {}
            None if c == escape => {
                chars.next();
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '=' => return Some(i),
            None => {}
        }
    }
    None
}

/// Splits a comma-separated flag value (`type=cache,target=/x`), honouring
/// double quotes around a field as BuildKit's CSV reading does.
pub(crate) fn split_csv(value: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    for c in value.chars() {
        match c {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => fields.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    fields.push(current);
    fields.retain(|f| !f.trim().is_empty());
    fields
}

/// Leading whitespace length, in bytes, as BuildKit trims it.
pub(crate) fn leading_space(line: &str) -> usize {
    line.len() - line.trim_start_matches(|c: char| c.is_whitespace()).len()
}
