//! Just enough JSON to find a manifest's keys and string values with their
//! byte ranges: serde_json reads values but forgets where they were.

use std::ops::Range;

/// A JSON value and where it is in the text.
#[derive(Debug)]
pub(crate) enum Json {
    Object(Vec<Member>),
    /// Arrays are parsed to be skipped: no manifest key we read holds one.
    Array,
    /// A string's decoded text (escapes other than `\"` and `\\` kept as
    /// written: names and versions do not use them) and its range, quotes included.
    String(String, Range<usize>),
    /// A number, `true`, `false` or `null`.
    Other,
}

#[derive(Debug)]
pub(crate) struct Member {
    pub key: String,
    pub key_range: Range<usize>,
    pub value: Json,
}

impl Json {
    pub fn get(&self, key: &str) -> Option<&Member> {
        match self {
            Json::Object(members) => members.iter().find(|m| m.key == key),
            _ => None,
        }
    }

    pub fn members(&self) -> &[Member] {
        match self {
            Json::Object(members) => members,
            _ => &[],
        }
    }
}

/// Nesting deeper than any manifest has is refused rather than followed.
const MAX_DEPTH: usize = 64;

/// Parses `text`; `None` when it is not well-formed JSON.
pub(crate) fn parse(text: &str) -> Option<Json> {
    let mut parser = Parser {
        bytes: text.as_bytes(),
        text,
        at: 0,
    };
    let value = parser.value(0)?;
    parser.space();
    (parser.at == parser.bytes.len()).then_some(value)
}

struct Parser<'t> {
    bytes: &'t [u8],
    text: &'t str,
    at: usize,
}

impl Parser<'_> {
    fn space(&mut self) {
        while self
            .bytes
            .get(self.at)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.space();
        if self.bytes.get(self.at) == Some(&byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Option<Json> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.space();
        match self.bytes.get(self.at)? {
            b'{' => {
                self.at += 1;
                let mut members = Vec::new();
                if self.eat(b'}') {
                    return Some(Json::Object(members));
                }
                loop {
                    self.space();
                    let (key, key_range) = self.string()?;
                    if !self.eat(b':') {
                        return None;
                    }
                    let value = self.value(depth + 1)?;
                    members.push(Member {
                        key,
                        key_range,
                        value,
                    });
                    if self.eat(b',') {
                        continue;
                    }
                    return self.eat(b'}').then_some(Json::Object(members));
                }
            }
            b'[' => {
                self.at += 1;
                if self.eat(b']') {
                    return Some(Json::Array);
                }
                loop {
                    self.value(depth + 1)?;
                    if self.eat(b',') {
                        continue;
                    }
                    return self.eat(b']').then_some(Json::Array);
                }
            }
            b'"' => {
                let (text, range) = self.string()?;
                Some(Json::String(text, range))
            }
            _ => {
                let start = self.at;
                while self
                    .bytes
                    .get(self.at)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.'))
                {
                    self.at += 1;
                }
                (self.at > start).then_some(Json::Other)
            }
        }
    }

    fn string(&mut self) -> Option<(String, Range<usize>)> {
        let start = self.at;
        if self.bytes.get(self.at) != Some(&b'"') {
            return None;
        }
        self.at += 1;
        let mut out = String::new();
        let mut run = self.at;
        loop {
            match self.bytes.get(self.at)? {
                b'"' => {
                    out.push_str(self.text.get(run..self.at)?);
                    self.at += 1;
                    return Some((out, start..self.at));
                }
                b'\\' => {
                    out.push_str(self.text.get(run..self.at)?);
                    let escaped = *self.bytes.get(self.at + 1)?;
                    match escaped {
                        b'"' | b'\\' | b'/' => out.push(escaped as char),
                        other => {
                            out.push('\\');
                            out.push(other as char);
                        }
                    }
                    self.at += 2;
                    run = self.at;
                }
                _ => self.at += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_ranges_of_keys_and_strings() {
        let text = r#"{ "name": "shop", "dependencies": { "left-pad": "*" }, "n": [1, true] }"#;
        let json = parse(text).expect("valid");
        let deps = json.get("dependencies").expect("deps");
        let member = &deps.value.members()[0];
        assert_eq!(member.key, "left-pad");
        assert_eq!(&text[member.key_range.clone()], "\"left-pad\"");
        match &member.value {
            Json::String(value, range) => {
                assert_eq!(value, "*");
                assert_eq!(&text[range.clone()], "\"*\"");
            }
            other => panic!("{other:?}"),
        }
        assert!(parse("{\"a\": }").is_none());
        assert!(parse(&"[".repeat(100)).is_none());
    }
}
