//! The JSON (exec) form of an instruction: an array of strings. Anything
//! else, BuildKit included, is read as shell form instead.

use std::ops::Range;

/// Parses `text` as a JSON array of strings. Returns each element's decoded
/// value and its range in `text` (quotes included), or `None` when `text` is
/// not exactly such an array (surrounding whitespace aside).
pub(crate) fn parse_string_array(text: &str) -> Option<Vec<(String, Range<usize>)>> {
    let bytes = text.as_bytes();
    let mut i = skip_ws(bytes, 0);
    if bytes.get(i) != Some(&b'[') {
        return None;
    }
    i = skip_ws(bytes, i + 1);
    let mut items = Vec::new();
    if bytes.get(i) == Some(&b']') {
        i += 1;
    } else {
        loop {
            let start = i;
            let (value, end) = string(text, i)?;
            items.push((value, start..end));
            i = skip_ws(bytes, end);
            match bytes.get(i) {
                Some(b',') => i = skip_ws(bytes, i + 1),
                Some(b']') => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    if skip_ws(bytes, i) != bytes.len() {
        return None;
    }
    Some(items)
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while matches!(bytes.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// A JSON string starting at `start` (its opening quote): its value and the
/// offset after the closing quote.
fn string(text: &str, start: usize) -> Option<(String, usize)> {
    let rest = text.get(start..)?;
    let mut chars = rest.char_indices();
    if chars.next()?.1 != '"' {
        return None;
    }
    let mut value = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, start + i + 1)),
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    '"' => value.push('"'),
                    '\\' => value.push('\\'),
                    '/' => value.push('/'),
                    'b' => value.push('\u{8}'),
                    'f' => value.push('\u{c}'),
                    'n' => value.push('\n'),
                    'r' => value.push('\r'),
                    't' => value.push('\t'),
                    'u' => {
                        let high = hex4(&mut chars)?;
                        let code = if (0xD800..0xDC00).contains(&high) {
                            // A surrogate pair spells one character.
                            let mut look = chars.clone();
                            if look.next().map(|(_, c)| c) == Some('\\')
                                && look.next().map(|(_, c)| c) == Some('u')
                            {
                                let low = hex4(&mut look)?;
                                if (0xDC00..0xE000).contains(&low) {
                                    chars = look;
                                    0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                                } else {
                                    0xFFFD
                                }
                            } else {
                                0xFFFD
                            }
                        } else {
                            high
                        };
                        value.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                    }
                    _ => return None,
                }
            }
            c if (c as u32) < 0x20 => return None,
            c => value.push(c),
        }
    }
    None
}

fn hex4(chars: &mut std::str::CharIndices<'_>) -> Option<u32> {
    let mut code = 0u32;
    for _ in 0..4 {
        let (_, c) = chars.next()?;
        code = code * 16 + c.to_digit(16)?;
    }
    Some(code)
}
