//! Masking of secrets in source text before any renderer shows it.

use std::borrow::Cow;
use std::ops::Range;

use shipgate_core::SourceSpan;

use crate::text::{ceil_boundary, floor_boundary};

/// What replaces a secret after its kept prefix. Fixed, so the mask does not
/// reveal the secret's length either.
pub const MASK: &str = "****";

/// At most this many leading characters of a secret stay visible: enough to tell
/// an `AKIA` key from a `ghp_` token, never enough to use it.
const KEEP_AT_MOST: usize = 4;

/// Masks every secret of `spans` that intersects `text`, where `text` is a slice of
/// a file starting at byte `line_start_byte` of that file (span offsets are
/// file offsets).
///
/// A secret keeps at most its first four characters (fewer for short secrets, so a
/// prefix is never most of it), followed by [`MASK`]: `AKIAIOSFODNN7EXAMPLE`
/// becomes `AKIA****`. A secret that starts before `text` shows no prefix. Line
/// breaks inside a secret are kept, so the text keeps its line count.
///
/// A span without byte offsets cannot be placed in a fragment, so it masks the
/// whole of `text`: failing closed is the point of this function.
pub fn redact_source<'a>(
    text: &'a str,
    line_start_byte: usize,
    spans: &[SourceSpan],
) -> Cow<'a, str> {
    let ranges: Vec<Range<usize>> = spans
        .iter()
        .map(|span| {
            if span.has_bytes() {
                span.start_byte as usize..span.end_byte as usize
            } else {
                line_start_byte..line_start_byte.saturating_add(text.len())
            }
        })
        .collect();
    mask_ranges(text, line_start_byte, &ranges).text
}

/// One replacement made while masking, in offsets relative to the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Edit {
    pub(crate) old: Range<usize>,
    pub(crate) new: Range<usize>,
}

#[derive(Debug)]
pub(crate) struct Masked<'a> {
    pub(crate) text: Cow<'a, str>,
    edits: Vec<Edit>,
}

impl Masked<'_> {
    /// Where offset `offset` of the original text lies in the masked text. An offset
    /// inside a secret moves to the mask's start (`is_end == false`) or end, so an
    /// annotation over a secret underlines its mask.
    pub(crate) fn map(&self, offset: usize, is_end: bool) -> usize {
        let mut mapped = offset;
        for edit in &self.edits {
            if offset <= edit.old.start {
                break;
            }
            if offset >= edit.old.end {
                mapped = edit.new.end + (offset - edit.old.end);
                continue;
            }
            return if is_end { edit.new.end } else { edit.new.start };
        }
        mapped
    }
}

/// Masks the file byte ranges `secrets` within `text`, which starts at file byte
/// `base`, and records the edits so callers can move annotations along.
pub(crate) fn mask_ranges<'a>(text: &'a str, base: usize, secrets: &[Range<usize>]) -> Masked<'a> {
    // (start, end, whether the secret starts inside `text`), relative to `text`.
    let mut regions: Vec<(usize, usize, bool)> = secrets
        .iter()
        .filter_map(|secret| {
            let start = secret.start.max(base);
            let end = secret.end.min(base.saturating_add(text.len()));
            (start < end).then(|| {
                (
                    floor_boundary(text, start - base),
                    ceil_boundary(text, end - base),
                    secret.start >= base,
                )
            })
        })
        .collect();
    if regions.is_empty() {
        return Masked {
            text: Cow::Borrowed(text),
            edits: Vec::new(),
        };
    }
    regions.sort_unstable();
    let mut merged: Vec<(usize, usize, bool)> = Vec::with_capacity(regions.len());
    for region in regions {
        match merged.last_mut() {
            Some(last) if region.0 <= last.1 => last.1 = last.1.max(region.1),
            _ => merged.push(region),
        }
    }

    let mut out = String::with_capacity(text.len());
    let mut edits = Vec::new();
    let mut copied = 0;
    for (start, end, starts_here) in merged {
        out.push_str(&text[copied..start]);
        let secret = &text[start..end];
        let visible = secret.chars().filter(|c| *c != '\n' && *c != '\r').count();
        let mut keep = if starts_here {
            (visible / 4).min(KEEP_AT_MOST)
        } else {
            0
        };
        let mut piece_start = start;
        for piece in secret.split_inclusive('\n') {
            let body = piece.trim_end_matches(['\n', '\r']);
            let new_start = out.len();
            if !body.is_empty() {
                let prefix_len = body.char_indices().nth(keep).map_or(body.len(), |(i, _)| i);
                keep = 0;
                out.push_str(&body[..prefix_len]);
                out.push_str(MASK);
                edits.push(Edit {
                    old: piece_start..piece_start + body.len(),
                    new: new_start..out.len(),
                });
            }
            out.push_str(&piece[body.len()..]);
            piece_start += piece.len();
        }
        copied = end;
    }
    out.push_str(&text[copied..]);
    Masked {
        text: Cow::Owned(out),
        edits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shipgate_core::Position;

    const KEY: &str = "AKIAIOSFODNN7EXAMPLE";

    fn bytes(start: usize, end: usize) -> SourceSpan {
        SourceSpan {
            start: Position::new(1, 1),
            end: Position::new(1, 1),
            start_byte: start as u32,
            end_byte: end as u32,
        }
    }

    #[test]
    fn masks_an_aws_key_keeping_four_chars() {
        let file = format!("env:\n  KEY: {KEY}\n");
        let line_start = 5;
        let line = &file[line_start..file.len() - 1];
        let at = file.find(KEY).unwrap();
        let out = redact_source(line, line_start, &[bytes(at, at + KEY.len())]);
        assert_eq!(out, "  KEY: AKIA****");
        assert!(!out.contains(KEY));
    }

    #[test]
    fn short_secrets_keep_less() {
        let out = redact_source("pw: hunter2", 0, &[bytes(4, 11)]);
        assert_eq!(out, "pw: h****");
        let out = redact_source("pw: abc", 0, &[bytes(4, 7)]);
        assert_eq!(out, "pw: ****");
    }

    #[test]
    fn spans_elsewhere_leave_the_text_alone() {
        let out = redact_source("nothing here", 100, &[bytes(0, 50), bytes(200, 210)]);
        assert!(matches!(out, Cow::Borrowed("nothing here")));
    }

    #[test]
    fn a_secret_starting_before_the_text_shows_no_prefix() {
        // The text starts at file byte 10, the secret at 6.
        let out = redact_source("CRETVALUE rest", 10, &[bytes(6, 19)]);
        assert_eq!(out, "**** rest");
    }

    #[test]
    fn multi_line_secrets_keep_the_line_count() {
        let text = "key: |\n  -----BEGIN KEY-----\n  abcdefgh\n  -----END KEY-----\nnext: 1";
        let start = text.find("-----BEGIN").unwrap();
        let end = text.find("\nnext").unwrap();
        let out = redact_source(text, 0, &[bytes(start, end)]);
        assert_eq!(out.lines().count(), text.lines().count());
        assert!(!out.contains("abcdefgh") && !out.contains("BEGIN KEY"));
        assert!(out.ends_with("\nnext: 1"));
    }

    #[test]
    fn overlapping_and_unicode_spans_are_safe() {
        let text = "tok: ñáéíóúü€€€ end";
        let start = text.find('ñ').unwrap();
        // Offsets land inside multi-byte chars and overlap each other.
        let out = redact_source(
            text,
            0,
            &[bytes(start + 1, start + 9), bytes(start + 5, start + 22)],
        );
        assert!(out.starts_with("tok: "));
        assert!(out.contains(MASK));
        assert!(!out.contains('€'), "{out}");
        assert!(out.ends_with(" end"));
    }

    #[test]
    fn spans_without_bytes_mask_everything() {
        let out = redact_source("a: secret\nb: other", 0, &[SourceSpan::line(1)]);
        assert!(!out.contains("secret") && !out.contains("other"));
        assert_eq!(out.lines().count(), 2);
    }

    #[test]
    fn offsets_follow_the_edits() {
        let text = format!("k: {KEY} # note");
        let secret = 3..3 + KEY.len();
        let masked = mask_ranges(&text, 0, std::slice::from_ref(&secret));
        assert_eq!(masked.text, "k: AKIA**** # note");
        // Before, at the start of, inside, at the end of and after the secret.
        assert_eq!(masked.map(1, false), 1);
        assert_eq!(masked.map(3, false), 3);
        assert_eq!(masked.map(8, false), 3);
        assert_eq!(masked.map(8, true), 11);
        assert_eq!(masked.map(3 + KEY.len(), true), 11);
        assert_eq!(masked.map(text.len(), true), masked.text.len());
    }
}
