//! Reading inside scalar values: `${{ }}` expressions, the contexts they
//! name, shell variables, and where each of them sits in the file.

use std::ops::Range;

use shipgate_core::{Position, SourceSpan};
use shipgate_syntax::yaml::{NodeRef, ScalarStyle};

/// One `${{ ... }}` in a value: the whole of it and its body, as byte
/// ranges of the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expression {
    pub range: Range<usize>,
    pub body: Range<usize>,
}

/// Every `${{ ... }}` in `text`. String literals inside an expression may
/// hold `}}`, so they are skipped while looking for the end.
pub fn expressions(text: &str) -> Vec<Expression> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = text.get(from..).and_then(|rest| rest.find("${{")) {
        let start = from + offset;
        let body_start = start + 3;
        let mut i = body_start;
        let mut end = None;
        while i < bytes.len() {
            match bytes[i] {
                b'\'' => i = skip_string(bytes, i),
                b'}' if bytes.get(i + 1) == Some(&b'}') => {
                    end = Some(i);
                    break;
                }
                _ => i += 1,
            }
        }
        let Some(body_end) = end else {
            break;
        };
        found.push(Expression {
            range: start..body_end + 2,
            body: body_start..body_end,
        });
        from = body_end + 2;
    }
    found
}

/// Index just past a single-quoted literal starting at `start` (`''` escapes a quote).
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

/// The context paths an expression body reads, lower-cased, with array
/// indexes and `.*` written as `*` (`github.event.commits[0].message` gives
/// `github.event.commits.*.message`), each with its byte range in `body`.
pub fn context_paths(body: &str) -> Vec<(String, Range<usize>)> {
    let bytes = body.as_bytes();
    let mut paths = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\'' {
            i = skip_string(bytes, i);
            continue;
        }
        if !(c.is_ascii_alphabetic() || c == b'_') {
            i += 1;
            continue;
        }
        let start = i;
        let mut path = String::new();
        i = read_ident(bytes, i, &mut path);
        loop {
            match bytes.get(i) {
                Some(b'.') => {
                    let next = i + 1;
                    match bytes.get(next) {
                        Some(b'*') => {
                            path.push_str(".*");
                            i = next + 1;
                        }
                        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
                            path.push('.');
                            i = read_ident(bytes, next, &mut path);
                        }
                        _ => break,
                    }
                }
                Some(b'[') => match read_index(bytes, i) {
                    Some((segment, after)) => {
                        path.push('.');
                        path.push_str(&segment);
                        i = after;
                    }
                    None => break,
                },
                _ => break,
            }
        }
        paths.push((path, start..i));
    }
    paths
}

fn read_ident(bytes: &[u8], mut i: usize, out: &mut String) -> usize {
    while let Some(&c) = bytes.get(i) {
        if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' {
            out.push(c.to_ascii_lowercase() as char);
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// `[0]`, `[*]` or `['name']` at `open`: the segment and the index after `]`.
fn read_index(bytes: &[u8], open: usize) -> Option<(String, usize)> {
    let mut i = open + 1;
    while bytes.get(i) == Some(&b' ') {
        i += 1;
    }
    let segment = match bytes.get(i)? {
        b'\'' => {
            let end = skip_string(bytes, i);
            let inner = bytes.get(i + 1..end.saturating_sub(1))?;
            i = end;
            String::from_utf8_lossy(inner)
                .replace("''", "'")
                .to_lowercase()
        }
        b'*' => {
            i += 1;
            "*".to_owned()
        }
        c if c.is_ascii_digit() => {
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            "*".to_owned()
        }
        _ => return None,
    };
    while bytes.get(i) == Some(&b' ') {
        i += 1;
    }
    (bytes.get(i) == Some(&b']')).then_some((segment, i + 1))
}

/// Context values anyone who can open an issue, comment, push a branch or
/// fork the repository chooses freely (GitHub Security Lab's list, plus the
/// `workflow_run` and discussion fields that carry the same text).
const UNTRUSTED: &[&str] = &[
    "github.event.issue.title",
    "github.event.issue.body",
    "github.event.pull_request.title",
    "github.event.pull_request.body",
    "github.event.pull_request.head.ref",
    "github.event.pull_request.head.label",
    "github.event.pull_request.head.repo.default_branch",
    "github.event.pull_request.head.repo.description",
    "github.event.pull_request.head.repo.homepage",
    "github.event.comment.body",
    "github.event.review.body",
    "github.event.review_comment.body",
    "github.event.discussion.title",
    "github.event.discussion.body",
    "github.event.pages.*.page_name",
    "github.event.commits.*.message",
    "github.event.commits.*.author.email",
    "github.event.commits.*.author.name",
    "github.event.head_commit.message",
    "github.event.head_commit.author.email",
    "github.event.head_commit.author.name",
    "github.event.head_commit.committer.email",
    "github.event.head_commit.committer.name",
    "github.event.workflow_run.head_branch",
    "github.event.workflow_run.display_title",
    "github.event.workflow_run.head_commit.message",
    "github.event.workflow_run.head_commit.author.email",
    "github.event.workflow_run.head_commit.author.name",
    "github.event.workflow_run.pull_requests.*.head.ref",
    "github.head_ref",
];

/// Whether `path` reads attacker-controlled text: one of [`UNTRUSTED`], or
/// an object holding one (`toJSON(github.event.issue)` prints the title too).
pub fn is_untrusted(path: &str) -> bool {
    UNTRUSTED.iter().any(|u| path_covers(path, u))
}

/// Whether `path` is `target` or one of its ancestors; `*` matches any segment.
pub fn path_covers(path: &str, target: &str) -> bool {
    let mut theirs = target.split('.');
    for ours in path.split('.') {
        match theirs.next() {
            Some(t) if t == ours || t == "*" || ours == "*" => {}
            _ => return false,
        }
    }
    true
}

/// Whether a context path reads a secret: `secrets.*` or the job's token.
pub fn is_secret(path: &str) -> bool {
    path.starts_with("secrets.") || path == "github.token"
}

/// A shell variable reference (`$NAME` or `${NAME...}`) in `text`: its name
/// and byte range.
pub fn shell_variables(text: &str) -> Vec<(&str, Range<usize>)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        let start = i;
        let braced = bytes.get(i + 1) == Some(&b'{');
        let name_start = if braced { i + 2 } else { i + 1 };
        let mut j = name_start;
        while bytes
            .get(j)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            j += 1;
        }
        if j == name_start || bytes[name_start].is_ascii_digit() {
            i += 1;
            continue;
        }
        let end = if braced {
            // `${NAME:-default}` and friends still read NAME.
            text.get(j..)
                .and_then(|rest| rest.find('}'))
                .map_or(j, |close| j + close + 1)
        } else {
            j
        };
        if let Some(name) = text.get(name_start..j) {
            found.push((name, start..end));
        }
        i = end.max(start + 1);
    }
    found
}

/// Where a byte range of a scalar's value lies in the file.
///
/// Exact for single-line plain and quoted scalars written without escapes,
/// and for literal blocks (`run: |`), whose lines map one to one onto the
/// file once the block's indentation is put back. Folded and multi-line
/// flow scalars lose their line breaks, so for them the whole scalar is
/// returned: still the right value, just a wider span.
pub fn value_span(node: NodeRef<'_>, range: Range<usize>) -> SourceSpan {
    exact_span(node, range).unwrap_or_else(|| node.span())
}

fn exact_span(node: NodeRef<'_>, range: Range<usize>) -> Option<SourceSpan> {
    let span = node.span();
    let value = node.scalar_text()?;
    let piece = value.get(range.clone())?;
    let before = value.get(..range.start)?;
    if piece.contains('\n') {
        return None;
    }
    let raw_len = span.end_byte.checked_sub(span.start_byte)? as usize;
    let single_line = span.start.line == span.end.line;
    let quotes = |s: &str| s.matches('\'').count();
    let (lead, extra_before, extra_inside) = match node.style()? {
        ScalarStyle::Plain if single_line && raw_len == value.len() => (0, 0, 0),
        ScalarStyle::DoubleQuoted if single_line && raw_len == value.len() + 2 => (1, 0, 0),
        ScalarStyle::SingleQuoted if single_line && raw_len == value.len() + 2 + quotes(value) => {
            (1, quotes(before), quotes(piece))
        }
        ScalarStyle::Literal => return literal_span(node, value, range),
        _ => return None,
    };
    let start_byte = span.start_byte as usize + lead + before.len() + extra_before;
    let end_byte = start_byte + piece.len() + extra_inside;
    let start_col = span.start.column as usize + lead + before.chars().count() + extra_before;
    let end_col = start_col + piece.chars().count() + extra_inside;
    Some(SourceSpan {
        start: Position::new(span.start.line, u32::try_from(start_col).ok()?),
        end: Position::new(span.start.line, u32::try_from(end_col).ok()?),
        start_byte: u32::try_from(start_byte).ok()?,
        end_byte: u32::try_from(end_byte).ok()?,
    })
}

/// A literal block's span starts at its first non-empty line, at the
/// block's indentation; every later line of the value is one line of the
/// file with that indentation removed.
fn literal_span(node: NodeRef<'_>, value: &str, range: Range<usize>) -> Option<SourceSpan> {
    let span = node.span();
    let leading_empty = value.bytes().take_while(|b| *b == b'\n').count();
    let before = value.get(..range.start)?;
    let line_index = before.matches('\n').count();
    let offset_in_block = line_index.checked_sub(leading_empty)?;
    let line = span
        .start
        .line
        .checked_add(u32::try_from(offset_in_block).ok()?)?;
    if line > span.end.line {
        return None;
    }
    let line_start_in_value = before.rfind('\n').map_or(0, |p| p + 1);
    let prefix = value.get(line_start_in_value..range.start)?;
    let piece = value.get(range)?;
    // Only the line table's offsets are needed, and they do not depend on
    // the text: indentation is made of spaces, one byte each.
    let (line_byte, _) = node.stream().lines.line_range("", line)?;
    let indent = span.start.column.checked_sub(1)? as usize;
    let start_byte = line_byte + indent + prefix.len();
    let end_byte = start_byte + piece.len();
    if end_byte > span.end_byte as usize {
        return None;
    }
    let start_col = span.start.column as usize + prefix.chars().count();
    let end_col = start_col + piece.chars().count();
    Some(SourceSpan {
        start: Position::new(line, u32::try_from(start_col).ok()?),
        end: Position::new(line, u32::try_from(end_col).ok()?),
        start_byte: u32::try_from(start_byte).ok()?,
        end_byte: u32::try_from(end_byte).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shipgate_syntax::yaml::{Limits, Schema, parse};

    #[test]
    fn finds_expressions_and_skips_braces_in_strings() {
        let text = "a ${{ format('}}', x) }} b ${{y}}";
        let found = expressions(text);
        assert_eq!(found.len(), 2);
        assert_eq!(&text[found[0].range.clone()], "${{ format('}}', x) }}");
        assert_eq!(&text[found[1].body.clone()], "y");
    }

    #[test]
    fn normalises_context_paths() {
        let paths: Vec<String> = context_paths(
            "toJSON(github.event.commits[0].message) || github['head_ref'] || 'github.x'",
        )
        .into_iter()
        .map(|(p, _)| p)
        .collect();
        assert_eq!(
            paths,
            [
                "tojson",
                "github.event.commits.*.message",
                "github.head_ref"
            ]
        );
        assert!(is_untrusted("github.event.commits.*.message"));
        assert!(is_untrusted("github.event.issue"));
        assert!(is_untrusted("github.event.pages.*.page_name"));
        assert!(!is_untrusted("github.event.issue.number"));
        assert!(!is_untrusted("github.event_name"));
        assert!(!is_untrusted("github.sha"));
    }

    #[test]
    fn reads_shell_variables() {
        let vars: Vec<&str> = shell_variables("echo $A ${B:-x} $1 $$ ${C}")
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(vars, ["A", "B", "C"]);
    }

    fn span_of(yaml: &str, key: &str, needle: &str) -> (u32, u32, String) {
        let stream = parse(yaml, Schema::Yaml12, Limits::default());
        let node = stream.root(0).and_then(|r| r.get(key)).expect("key");
        let value = node.scalar_text().expect("scalar");
        let at = value.find(needle).expect("needle");
        let span = value_span(node, at..at + needle.len());
        let text = yaml[span.start_byte as usize..span.end_byte as usize].to_owned();
        (span.start.line, span.start.column, text)
    }

    #[test]
    fn maps_value_offsets_to_the_file() {
        let yaml = "a: echo ${{ x }}\nb: 'it''s ${{ y }}'\nc: \"q ${{ z }}\"\nd: |\n\n  one\n    two ${{ w }}\ne: 1\n";
        assert_eq!(span_of(yaml, "a", "${{ x }}"), (1, 9, "${{ x }}".into()));
        assert_eq!(span_of(yaml, "b", "${{ y }}"), (2, 11, "${{ y }}".into()));
        assert_eq!(span_of(yaml, "c", "${{ z }}"), (3, 7, "${{ z }}".into()));
        assert_eq!(span_of(yaml, "d", "${{ w }}"), (7, 9, "${{ w }}".into()));
    }

    #[test]
    fn maps_literal_blocks_with_crlf_and_non_ascii() {
        let yaml = "d: |-\r\n  é ${{ a }}\r\n  ü ${{ b }}\r\ne: 1\r\n";
        assert_eq!(span_of(yaml, "d", "${{ b }}"), (3, 5, "${{ b }}".into()));
    }

    #[test]
    fn falls_back_to_the_scalar_for_folded_text() {
        let yaml = "f: >\n  one\n  two ${{ v }}\n";
        let (line, column, _) = span_of(yaml, "f", "${{ v }}");
        assert_eq!((line, column), (2, 3));
    }
}
