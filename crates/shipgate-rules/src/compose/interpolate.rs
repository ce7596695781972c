//! Compose interpolation: `${VAR}`, `$VAR`, `${VAR:-default}`, `${VAR-default}`,
//! `${VAR:?err}`, `${VAR?err}`, `${VAR:+alt}`, `${VAR+alt}` and the `$$` escape.
//!
//! Compose substitutes these from the shell and `.env` before it reads the
//! file, so what we see is not always what runs. Rules use this module to
//! tell a value someone wrote down from one filled in at deploy time, and to
//! judge the value a service gets when nobody sets the variable.

use std::ops::Range;

/// How a braced variable treats an unset (or empty) value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `${VAR}` or `$VAR`: empty when unset.
    Plain,
    /// `${VAR:-default}`: the default when unset or empty.
    DefaultUnlessSet,
    /// `${VAR-default}`: the default when unset.
    DefaultIfUnset,
    /// `${VAR:?message}`: an error when unset or empty.
    RequiredNonEmpty,
    /// `${VAR?message}`: an error when unset.
    Required,
    /// `${VAR:+alternative}`: the alternative when set and not empty.
    AlternativeIfNonEmpty,
    /// `${VAR+alternative}`: the alternative when set.
    AlternativeIfSet,
}

impl Op {
    pub fn has_default(self) -> bool {
        matches!(self, Op::DefaultUnlessSet | Op::DefaultIfUnset)
    }

    pub fn is_required(self) -> bool {
        matches!(self, Op::RequiredNonEmpty | Op::Required)
    }
}

/// One substitution in a value, with byte ranges into the value's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Var<'a> {
    pub name: &'a str,
    pub op: Op,
    /// The default, message or alternative, as written (it may itself hold
    /// substitutions); empty for `Plain`.
    pub arg: &'a str,
    /// The whole `${...}` or `$NAME`.
    pub range: Range<usize>,
    /// Where `arg` sits.
    pub arg_range: Range<usize>,
}

/// The substitutions of `text`, outermost only, in order. `$$` is an
/// escaped dollar, not a substitution; a lone `$` is kept literally.
pub fn variables(text: &str) -> Vec<Var<'_>> {
    let bytes = text.as_bytes();
    let mut vars = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'$') => i += 2,
            Some(b'{') => match braced(text, i) {
                Some(var) => {
                    i = var.range.end;
                    vars.push(var);
                }
                // Unterminated: Compose refuses the file; nothing to substitute.
                None => break,
            },
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
                let end = text[i + 1..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(text.len(), |e| i + 1 + e);
                vars.push(Var {
                    name: &text[i + 1..end],
                    op: Op::Plain,
                    arg: "",
                    range: i..end,
                    arg_range: end..end,
                });
                i = end;
            }
            _ => i += 1,
        }
    }
    vars
}

/// Parses the `${...}` starting at byte `start`, nesting included.
fn braced(text: &str, start: usize) -> Option<Var<'_>> {
    let bytes = text.as_bytes();
    let open = start + 2;
    let mut depth = 1usize;
    let mut i = open;
    let close = loop {
        match bytes.get(i)? {
            b'$' if bytes.get(i + 1) == Some(&b'$') => i += 2,
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 2;
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    break i;
                }
                i += 1;
            }
            _ => i += 1,
        }
    };
    let inner = &text[open..close];
    let name_len = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let rest = &inner[name_len..];
    const OPS: &[(&str, Op)] = &[
        (":-", Op::DefaultUnlessSet),
        (":?", Op::RequiredNonEmpty),
        (":+", Op::AlternativeIfNonEmpty),
        ("-", Op::DefaultIfUnset),
        ("?", Op::Required),
        ("+", Op::AlternativeIfSet),
    ];
    let (op, arg_start) = OPS
        .iter()
        .find(|(token, _)| rest.starts_with(token))
        .map_or((Op::Plain, close), |(token, op)| {
            (*op, open + name_len + token.len())
        });
    // Anything else after the name is invalid for Compose; keeping the whole
    // inside as the name at least marks the value as substituted.
    let name = if op == Op::Plain {
        inner
    } else {
        &inner[..name_len]
    };
    Some(Var {
        name,
        op,
        arg: &text[arg_start..close],
        range: start..close + 1,
        arg_range: arg_start..close,
    })
}

/// Whether any part of `text` is substituted by Compose.
pub fn is_interpolated(text: &str) -> bool {
    !variables(text).is_empty()
}

/// Whether the whole of `text` is one substitution (`${DB_PASSWORD}`).
pub fn wholly_interpolated(text: &str) -> bool {
    let vars = variables(text);
    vars.len() == 1 && vars[0].range == (0..text.len())
}

/// The value Compose uses when no variable is set: defaults applied,
/// alternatives and plain variables empty, `$$` unescaped. `None` when a
/// required variable (`${VAR:?err}`) makes Compose refuse to run instead.
pub fn value_when_unset(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for var in variables(text) {
        push_unescaped(&mut out, &text[at..var.range.start]);
        match var.op {
            Op::Plain | Op::AlternativeIfNonEmpty | Op::AlternativeIfSet => {}
            Op::DefaultUnlessSet | Op::DefaultIfUnset => out.push_str(&value_when_unset(var.arg)?),
            Op::RequiredNonEmpty | Op::Required => return None,
        }
        at = var.range.end;
    }
    push_unescaped(&mut out, &text[at..]);
    Some(out)
}

fn push_unescaped(out: &mut String, literal: &str) {
    out.push_str(&literal.replace("$$", "$"));
}

/// `text` with every substitution overwritten by `\u{1}` bytes, so that a
/// search for a literal (a URL's password) keeps its offsets and cannot
/// match inside a substitution.
pub fn mask(text: &str) -> String {
    let mut masked = text.to_owned();
    for var in variables(text).iter().rev() {
        masked.replace_range(var.range.clone(), &"\u{1}".repeat(var.range.len()));
    }
    masked
}

/// The byte in masked text that stands for a substitution.
pub const MASK: char = crate::credentials::SUBSTITUTED;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_is_recognised() {
        let cases = [
            ("${VAR}", "VAR", Op::Plain, ""),
            ("$VAR", "VAR", Op::Plain, ""),
            ("${VAR:-default}", "VAR", Op::DefaultUnlessSet, "default"),
            ("${VAR-default}", "VAR", Op::DefaultIfUnset, "default"),
            ("${VAR:?err msg}", "VAR", Op::RequiredNonEmpty, "err msg"),
            ("${VAR?err}", "VAR", Op::Required, "err"),
            ("${VAR:+alt}", "VAR", Op::AlternativeIfNonEmpty, "alt"),
            ("${VAR+alt}", "VAR", Op::AlternativeIfSet, "alt"),
        ];
        for (text, name, op, arg) in cases {
            let vars = variables(text);
            assert_eq!(vars.len(), 1, "{text}");
            assert_eq!((vars[0].name, vars[0].op, vars[0].arg), (name, op, arg));
            assert_eq!(vars[0].range, 0..text.len(), "{text}");
            assert_eq!(&text[vars[0].arg_range.clone()], arg, "{text}");
            assert!(wholly_interpolated(text), "{text}");
        }
    }

    #[test]
    fn escapes_and_lone_dollars_are_literal() {
        assert!(!is_interpolated("pa$$word"));
        assert_eq!(value_when_unset("pa$$word").as_deref(), Some("pa$word"));
        assert!(!is_interpolated("costs 5$"));
        assert!(!is_interpolated("$1 and $ alone"));
        assert!(!is_interpolated("$${NOT_A_VAR}"));
    }

    #[test]
    fn partial_and_nested_substitutions() {
        let text = "postgres://u:${PW:-${FALLBACK:-x}}@db:$PORT/app";
        let vars = variables(text);
        assert_eq!(vars.len(), 2);
        assert_eq!(vars[0].name, "PW");
        assert_eq!(vars[0].arg, "${FALLBACK:-x}");
        assert_eq!(vars[1].name, "PORT");
        assert!(is_interpolated(text));
        assert!(!wholly_interpolated(text));
        assert_eq!(
            value_when_unset(text).as_deref(),
            Some("postgres://u:x@db:/app")
        );
    }

    #[test]
    fn value_when_unset_follows_each_operator() {
        assert_eq!(value_when_unset("${A}").as_deref(), Some(""));
        assert_eq!(
            value_when_unset("img:${TAG:-1.2}").as_deref(),
            Some("img:1.2")
        );
        assert_eq!(value_when_unset("${A-b}").as_deref(), Some("b"));
        assert_eq!(value_when_unset("${A:+b}").as_deref(), Some(""));
        assert_eq!(value_when_unset("${A:?set A}"), None);
        assert_eq!(value_when_unset("${A?set A}"), None);
        assert_eq!(value_when_unset("plain").as_deref(), Some("plain"));
    }

    #[test]
    fn masking_keeps_offsets() {
        let text = "u:${PW}@h";
        let masked = mask(text);
        assert_eq!(masked.len(), text.len());
        assert_eq!(masked, "u:\u{1}\u{1}\u{1}\u{1}\u{1}@h");
        assert_eq!(mask("a$$b"), "a$$b");
    }

    #[test]
    fn unterminated_and_odd_braces() {
        assert!(variables("${VAR").is_empty());
        let vars = variables("${VAR:x}");
        assert_eq!(vars.len(), 1);
        assert_eq!(vars[0].op, Op::Plain);
    }
}
