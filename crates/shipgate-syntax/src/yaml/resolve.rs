//! Scalar resolution. YAML 1.2 (what saphyr implements) and YAML 1.1 (what
//! Kubernetes' decoder implements) disagree on plain scalars such as `yes`,
//! `on`, `0755` and `0o755`; a checker that resolves them differently from the
//! consumer of the file judges a different document than the one deployed.

/// Which consumer's rules to apply when reading a plain scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Schema {
    /// YAML 1.1 as read by Kubernetes (`sigs.k8s.io/yaml`): `yes`/`no`/`on`/`off`/`y`/`n`
    /// are booleans, a leading `0` means octal.
    #[default]
    Yaml11,
    /// The YAML 1.2 core schema, as read by most other modern tools.
    Yaml12,
}

/// A scalar's value once resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Resolved<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
}

impl Resolved<'_> {
    pub fn type_name(&self) -> &'static str {
        match self {
            Resolved::Null => "null",
            Resolved::Bool(_) => "boolean",
            Resolved::Int(_) => "integer",
            Resolved::Float(_) => "number",
            Resolved::Str(_) => "string",
        }
    }
}

/// Resolves the text of a plain (unquoted, untagged) scalar.
pub fn resolve_plain(text: &str, schema: Schema) -> Resolved<'_> {
    match schema {
        Schema::Yaml11 => resolve_11(text),
        Schema::Yaml12 => resolve_12(text),
    }
}

/// Resolves a scalar carrying an explicit core-schema tag such as `!!str` or `!!int`.
pub fn resolve_tagged<'a>(text: &'a str, tag: &str, schema: Schema) -> Resolved<'a> {
    match tag {
        "!!str" | "!!binary" | "!!timestamp" => Resolved::Str(text),
        "!!null" => Resolved::Null,
        "!!bool" | "!!int" | "!!float" => match resolve_plain(text, schema) {
            r @ (Resolved::Bool(_) | Resolved::Int(_) | Resolved::Float(_)) => r,
            _ => Resolved::Str(text),
        },
        _ => resolve_plain(text, schema),
    }
}

fn resolve_11(text: &str) -> Resolved<'_> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Resolved::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Resolved::Bool(false);
        }
        _ => {}
    }
    let (negative, body) = split_sign(text);
    let digits: String;
    let body = if body.contains('_') {
        digits = body.replace('_', "");
        digits.as_str()
    } else {
        body
    };
    if body.is_empty() {
        return Resolved::Str(text);
    }
    let int = if let Some(bin) = body.strip_prefix("0b") {
        parse_radix(bin, 2)
    } else if let Some(hex) = body.strip_prefix("0x") {
        parse_radix(hex, 16)
    } else if body.len() > 1 && body.starts_with('0') && body.bytes().all(|b| b.is_ascii_digit()) {
        parse_radix(&body[1..], 8)
    } else if body.bytes().all(|b| b.is_ascii_digit()) {
        parse_radix(body, 10)
    } else {
        None
    };
    if let Some(value) = int {
        return Resolved::Int(if negative { -value } else { value });
    }
    resolve_float(text, body, negative)
}

fn resolve_12(text: &str) -> Resolved<'_> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        _ => {}
    }
    let (negative, body) = split_sign(text);
    if body.is_empty() {
        return Resolved::Str(text);
    }
    let int = if let Some(oct) = body.strip_prefix("0o") {
        parse_radix(oct, 8)
    } else if let Some(hex) = body.strip_prefix("0x") {
        parse_radix(hex, 16)
    } else if body.bytes().all(|b| b.is_ascii_digit()) {
        parse_radix(body, 10)
    } else {
        None
    };
    if let Some(value) = int {
        return Resolved::Int(if negative { -value } else { value });
    }
    resolve_float(text, body, negative)
}

fn split_sign(text: &str) -> (bool, &str) {
    if let Some(rest) = text.strip_prefix('-') {
        (true, rest)
    } else {
        (false, text.strip_prefix('+').unwrap_or(text))
    }
}

fn parse_radix(digits: &str, radix: u32) -> Option<i64> {
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    i64::from_str_radix(digits, radix).ok()
}

fn resolve_float<'a>(original: &'a str, body: &str, negative: bool) -> Resolved<'a> {
    let sign = if negative { -1.0 } else { 1.0 };
    match body {
        ".inf" | ".Inf" | ".INF" => return Resolved::Float(sign * f64::INFINITY),
        ".nan" | ".NaN" | ".NAN" if original == body => return Resolved::Float(f64::NAN),
        _ => {}
    }
    // A float needs at least one digit and only digits, one dot and an exponent:
    // Rust's parser alone would also accept `inf`, `NaN` and `1e5` spelled oddly.
    let bytes = body.as_bytes();
    let has_digit = bytes.iter().any(u8::is_ascii_digit);
    let plausible = bytes
        .iter()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if has_digit
        && plausible
        && bytes[0] != b'e'
        && bytes[0] != b'E'
        && let Ok(value) = body.parse::<f64>()
    {
        return Resolved::Float(sign * value);
    }
    Resolved::Str(original)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml11_reads_booleans_and_octals_as_kubernetes_does() {
        assert_eq!(resolve_plain("yes", Schema::Yaml11), Resolved::Bool(true));
        assert_eq!(resolve_plain("Off", Schema::Yaml11), Resolved::Bool(false));
        assert_eq!(resolve_plain("y", Schema::Yaml11), Resolved::Bool(true));
        assert_eq!(resolve_plain("0755", Schema::Yaml11), Resolved::Int(0o755));
        assert_eq!(resolve_plain("0x1F", Schema::Yaml11), Resolved::Int(31));
        assert_eq!(resolve_plain("-12", Schema::Yaml11), Resolved::Int(-12));
        assert_eq!(resolve_plain("1_000", Schema::Yaml11), Resolved::Int(1000));
        assert_eq!(resolve_plain("0b101", Schema::Yaml11), Resolved::Int(5));
        assert_eq!(resolve_plain("0.5", Schema::Yaml11), Resolved::Float(0.5));
        assert_eq!(resolve_plain("~", Schema::Yaml11), Resolved::Null);
        assert_eq!(resolve_plain("0", Schema::Yaml11), Resolved::Int(0));
    }

    #[test]
    fn yaml12_keeps_words_as_strings() {
        assert_eq!(resolve_plain("yes", Schema::Yaml12), Resolved::Str("yes"));
        assert_eq!(resolve_plain("on", Schema::Yaml12), Resolved::Str("on"));
        assert_eq!(resolve_plain("0o755", Schema::Yaml12), Resolved::Int(0o755));
        assert_eq!(resolve_plain("0755", Schema::Yaml12), Resolved::Int(755));
    }

    #[test]
    fn things_that_only_look_numeric_stay_strings() {
        for text in [
            "512Mi", "1e", "v1.2.3", "e5", "1.2.3.4", "-", "0x", "08a", "inf", "NaN",
        ] {
            assert_eq!(
                resolve_plain(text, Schema::Yaml11),
                Resolved::Str(text),
                "{text}"
            );
        }
        assert_eq!(
            resolve_plain("1e3", Schema::Yaml11),
            Resolved::Float(1000.0)
        );
        // Not octal, but Kubernetes' decoder still reads it as a number.
        assert_eq!(resolve_plain("099", Schema::Yaml11), Resolved::Float(99.0));
    }

    #[test]
    fn tags_override_resolution() {
        assert_eq!(
            resolve_tagged("0755", "!!str", Schema::Yaml11),
            Resolved::Str("0755")
        );
        assert_eq!(
            resolve_tagged("12", "!!int", Schema::Yaml11),
            Resolved::Int(12)
        );
    }
}
