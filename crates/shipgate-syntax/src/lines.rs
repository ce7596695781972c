use shipgate_core::{Position, SourceSpan};

/// Maps between byte offsets and 1-based line/column positions.
///
/// Parsers report positions in characters; snippets and slicing need bytes.
/// Columns are counted in Unicode scalar values, the unit editors and SARIF
/// consumers expect. Lines that are pure ASCII (nearly all of them in
/// deployment artifacts) take a fast path where characters and bytes coincide.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset at which each line starts; `starts[0] == 0`.
    starts: Vec<u32>,
    /// Whether each line is pure ASCII; empty when the whole text is, which
    /// is the common case and is told by one pass over the bytes.
    ascii: Vec<bool>,
    len: u32,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = Vec::with_capacity(bytes.len() / 32 + 1);
        starts.push(0u32);
        for nl in memchr::memchr_iter(b'\n', bytes) {
            starts.push(clamp(nl + 1));
        }
        let ascii = if bytes.is_ascii() {
            Vec::new()
        } else {
            (0..starts.len())
                .map(|i| {
                    let start = starts[i] as usize;
                    let end = starts.get(i + 1).map_or(bytes.len(), |e| *e as usize);
                    bytes[start..end].is_ascii()
                })
                .collect()
        };
        LineIndex {
            starts,
            ascii,
            len: clamp(bytes.len()),
        }
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Byte range of a 1-based line, without its line terminator.
    pub fn line_range(&self, text: &str, line: u32) -> Option<(usize, usize)> {
        let idx = (line as usize).checked_sub(1)?;
        let start = *self.starts.get(idx)? as usize;
        let mut end = self
            .starts
            .get(idx + 1)
            .map_or(self.len as usize, |e| *e as usize);
        let bytes = text.as_bytes();
        while end > start && matches!(bytes.get(end - 1), Some(b'\n' | b'\r')) {
            end -= 1;
        }
        Some((start, end))
    }

    pub fn line_text<'t>(&self, text: &'t str, line: u32) -> Option<&'t str> {
        self.line_range(text, line)
            .and_then(|(s, e)| text.get(s..e))
    }

    /// Byte offset of a 1-based line and a 0-based character column, clamped to
    /// the line's end.
    pub fn byte_at(&self, text: &str, line: u32, char_col: u32) -> u32 {
        let Some(idx) = (line as usize).checked_sub(1) else {
            return 0;
        };
        let Some(&start) = self.starts.get(idx) else {
            return self.len;
        };
        let end = self.starts.get(idx + 1).copied().unwrap_or(self.len);
        if self.is_ascii(idx) {
            return (start + char_col).min(end);
        }
        let line_text = text.get(start as usize..end as usize).unwrap_or("");
        let offset = line_text
            .char_indices()
            .nth(char_col as usize)
            .map_or(line_text.len(), |(i, _)| i);
        start + clamp(offset)
    }

    /// The 0-based line holding a byte offset (clamped to the text), the
    /// offset at which that line starts, and whether the line is pure ASCII.
    pub(crate) fn locate(&self, byte: u32) -> (usize, u32, bool) {
        let byte = byte.min(self.len);
        let idx = match self.starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        (idx, self.starts[idx], self.is_ascii(idx))
    }

    fn is_ascii(&self, line: usize) -> bool {
        self.ascii.is_empty() || self.ascii[line]
    }

    /// The 1-based position of a byte offset.
    pub fn position(&self, text: &str, byte: u32) -> Position {
        let byte = byte.min(self.len);
        let (idx, start, ascii) = self.locate(byte);
        let column = if ascii {
            byte - start
        } else {
            let prefix = text.get(start as usize..byte as usize).unwrap_or("");
            clamp(prefix.chars().count())
        };
        Position::new(clamp(idx + 1), column + 1)
    }

    pub fn span(&self, text: &str, start_byte: u32, end_byte: u32) -> SourceSpan {
        SourceSpan {
            start: self.position(text, start_byte),
            end: self.position(text, end_byte),
            start_byte,
            end_byte,
        }
    }
}

/// A text's line index, built on first use: most files have no finding
/// and no suppression comment, and such a file never needs a position.
pub struct LazyLineIndex<'t> {
    text: &'t str,
    index: std::cell::OnceCell<LineIndex>,
}

impl<'t> LazyLineIndex<'t> {
    pub fn new(text: &'t str) -> Self {
        LazyLineIndex {
            text,
            index: std::cell::OnceCell::new(),
        }
    }

    /// An index already built, as parsers build one.
    pub fn built(text: &'t str, index: LineIndex) -> Self {
        LazyLineIndex {
            text,
            index: std::cell::OnceCell::from(index),
        }
    }

    pub fn get(&self) -> &LineIndex {
        self.index.get_or_init(|| LineIndex::new(self.text))
    }
}

/// Files over 4 GiB are refused long before they get here; saturate rather than wrap.
pub(crate) fn clamp(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let text = "a: 1\nnäme: x\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.position(text, 0), Position::new(1, 1));
        // `x` sits after a two-byte `ä`: byte 13, character column 7.
        let x = text.find('x').unwrap() as u32;
        assert_eq!(idx.position(text, x), Position::new(2, 7));
        assert_eq!(idx.byte_at(text, 2, 6), x);
        assert_eq!(idx.line_text(text, 2), Some("näme: x"));
        assert_eq!(idx.line_text(text, 9), None);
    }

    #[test]
    fn crlf_is_not_part_of_the_line() {
        let text = "a\r\nb";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_text(text, 1), Some("a"));
        assert_eq!(idx.line_text(text, 2), Some("b"));
    }

    #[test]
    fn out_of_range_requests_are_clamped() {
        let idx = LineIndex::new("");
        assert_eq!(idx.byte_at("", 5, 5), 0);
        assert_eq!(idx.byte_at("", 0, 0), 0);
        assert_eq!(idx.position("", 99), Position::new(1, 1));
    }
}
