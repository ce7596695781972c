//! Helpers over source text shared by the renderers: finding lines, turning spans
//! into byte ranges that are safe to slice, and neutralising text that would
//! otherwise drive the terminal.

use std::borrow::Cow;
use std::ops::Range;

use shipgate_core::{Location, SourceSpan};

/// Byte offsets of line starts, built once per file so that resolving many
/// findings in one large file stays linear.
#[derive(Debug)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// 1-based line containing `byte` (a byte past the end counts as the last line).
    pub(crate) fn line_of(&self, byte: usize) -> usize {
        self.starts.partition_point(|&start| start <= byte).max(1)
    }

    /// The content of 1-based `line`, without its line terminator.
    pub(crate) fn line_range(&self, text: &str, line: usize) -> Option<Range<usize>> {
        let start = *self.starts.get(line.checked_sub(1)?)?;
        let mut end = self
            .starts
            .get(line)
            .map_or(text.len(), |next| next.saturating_sub(1));
        if end > start && text.as_bytes().get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        (start <= end && end <= text.len()).then_some(start..end)
    }
}

/// Rounds `byte` down to a char boundary of `text` (and into range).
pub(crate) fn floor_boundary(text: &str, byte: usize) -> usize {
    let mut byte = byte.min(text.len());
    while !text.is_char_boundary(byte) {
        byte -= 1;
    }
    byte
}

/// Rounds `byte` up to a char boundary of `text` (and into range).
pub(crate) fn ceil_boundary(text: &str, byte: usize) -> usize {
    let mut byte = byte.min(text.len());
    while !text.is_char_boundary(byte) {
        byte += 1;
    }
    byte
}

/// Byte offset of a 1-based column counted in Unicode scalar values; columns past
/// the end of the line land on its end, column 0 on its start.
fn column_to_byte(text: &str, line: &Range<usize>, column: u32) -> usize {
    let skip = (column as usize).saturating_sub(1);
    text[line.clone()]
        .char_indices()
        .nth(skip)
        .map_or(line.end, |(offset, _)| line.start + offset)
}

/// The bytes a span covers in `text`, or `None` when it lies outside the text.
///
/// Byte offsets win when the span has them and they fit the text: they are what
/// the parser measured. Otherwise line and column are used, and a span with no
/// extent covers its whole line (without indentation), which is what
/// [`SourceSpan::line`] means.
pub(crate) fn span_bytes(text: &str, index: &LineIndex, span: &SourceSpan) -> Option<Range<usize>> {
    if span.has_bytes() && (span.end_byte as usize) <= text.len() {
        let start = floor_boundary(text, span.start_byte as usize);
        let end = ceil_boundary(text, span.end_byte as usize);
        return Some(start..end);
    }
    let first = index.line_range(text, span.start.line as usize)?;
    if span.end > span.start {
        let start = column_to_byte(text, &first, span.start.column);
        let end = match index.line_range(text, span.end.line as usize) {
            Some(last) => column_to_byte(text, &last, span.end.column),
            None => text.len(),
        };
        return Some(start..end.max(start));
    }
    let content = &text[first.clone()];
    let indent = content.len() - content.trim_start().len();
    let trailing = content.len() - content.trim_end().len();
    let start = first.start + indent;
    Some(start..(first.end - trailing).max(start))
}

/// Makes text from an untrusted artifact safe to print on a terminal and in
/// one-line formats: control characters (ESC above all) and bidirectional
/// overrides are shown as escapes instead of being interpreted. Newlines are kept
/// when `keep_newlines`, because messages may legitimately span lines.
pub(crate) fn sanitize(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let is_bad = |c: char| {
        (c.is_control() && !(keep_newlines && c == '\n') && c != '\t')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(is_bad) {
        return Cow::Borrowed(text);
    }
    let mut clean = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_bad(c) {
            clean.extend(c.escape_unicode());
        } else {
            clean.push(c);
        }
    }
    Cow::Owned(clean)
}

/// `path:line:col`, or the path alone when the position is unknown or zero;
/// a place in history is led by its commit.
pub(crate) fn location_label(location: &Location) -> String {
    let label = match location.span {
        Some(span) if span.start.line > 0 && span.start.column > 0 => {
            return location.to_string();
        }
        Some(span) if span.start.line > 0 => format!("{}:{}", location.path, span.start.line),
        _ => location.path.clone(),
    };
    match &location.revision {
        Some(revision) => format!("{revision} {label}"),
        None => label,
    }
}

/// `n` followed by `word`, pluralised with an `s` when `n != 1`.
pub(crate) fn count(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shipgate_core::Position;

    fn span(start: (u32, u32), end: (u32, u32), bytes: (u32, u32)) -> SourceSpan {
        SourceSpan {
            start: Position::new(start.0, start.1),
            end: Position::new(end.0, end.1),
            start_byte: bytes.0,
            end_byte: bytes.1,
        }
    }

    #[test]
    fn lines_are_found_with_and_without_crlf() {
        let text = "a: 1\r\nbb: 2\n\nlast";
        let index = LineIndex::new(text);
        assert_eq!(&text[index.line_range(text, 1).unwrap()], "a: 1");
        assert_eq!(&text[index.line_range(text, 2).unwrap()], "bb: 2");
        assert_eq!(&text[index.line_range(text, 3).unwrap()], "");
        assert_eq!(&text[index.line_range(text, 4).unwrap()], "last");
        assert!(index.line_range(text, 0).is_none());
        assert!(index.line_range(text, 5).is_none());
        assert_eq!(index.line_of(0), 1);
        assert_eq!(index.line_of(6), 2);
        assert_eq!(index.line_of(999), 4);
    }

    #[test]
    fn spans_resolve_by_bytes_then_columns_then_line() {
        let text = "kind: Pod\n  name: héllo\n";
        let index = LineIndex::new(text);
        // Bytes when they fit.
        assert_eq!(
            span_bytes(text, &index, &span((1, 1), (1, 5), (0, 4))),
            Some(0..4)
        );
        // Columns count chars: `héllo` starts at column 9 and ends before column 14.
        let by_columns = span_bytes(text, &index, &span((2, 9), (2, 14), (0, 0))).unwrap();
        assert_eq!(&text[by_columns], "héllo");
        // Bytes past the end fall back to columns.
        let stale = span_bytes(text, &index, &span((2, 9), (2, 14), (500, 600))).unwrap();
        assert_eq!(&text[stale], "héllo");
        // No extent: the whole line without indentation.
        let line = span_bytes(text, &index, &SourceSpan::line(2)).unwrap();
        assert_eq!(&text[line], "name: héllo");
        // Out of range and line 0.
        assert!(span_bytes(text, &index, &SourceSpan::line(9)).is_none());
        assert!(span_bytes(text, &index, &SourceSpan::line(0)).is_none());
        // A byte offset inside a multi-byte char is widened to whole chars.
        let inside = span_bytes(text, &index, &span((2, 10), (2, 11), (20, 21))).unwrap();
        assert!(text.is_char_boundary(inside.start) && text.is_char_boundary(inside.end));
    }

    #[test]
    fn empty_text_has_one_empty_line() {
        let index = LineIndex::new("");
        assert_eq!(index.line_range("", 1), Some(0..0));
        assert_eq!(span_bytes("", &index, &SourceSpan::line(1)), Some(0..0));
        assert!(span_bytes("", &index, &SourceSpan::line(2)).is_none());
    }

    #[test]
    fn sanitize_escapes_terminal_controls() {
        assert_eq!(sanitize("plain", false), "plain");
        assert_eq!(sanitize("a\x1b[31mb", false), "a\\u{1b}[31mb");
        assert_eq!(sanitize("a\nb", true), "a\nb");
        assert_eq!(sanitize("a\nb", false), "a\\u{a}b");
        assert_eq!(sanitize("x\u{202E}y", true), "x\\u{202e}y");
    }

    #[test]
    fn counts_pluralise() {
        assert_eq!(count(1, "error"), "1 error");
        assert_eq!(count(0, "error"), "0 errors");
        assert_eq!(count(3, "warning"), "3 warnings");
    }
}
