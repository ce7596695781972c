//! Recognising credentials by a variable's name and inside connection
//! strings, and masking exactly their bytes. Shared by every pack that reads
//! environment variables, so that they all judge names alike.

use std::ops::Range;

use shipgate_core::{Position, SourceSpan};
use shipgate_syntax::yaml::{NodeRef, ScalarStyle};

/// Stands for text a tool substitutes before the value is used: callers
/// replace their own interpolation syntax with it before asking.
pub(crate) const SUBSTITUTED: char = '\u{1}';

/// Name parts that say a variable holds a credential.
const CREDENTIAL_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "PASS",
    "PWD",
    "SECRET",
    "SECRETS",
    "TOKEN",
    "APIKEY",
    "ACCESSKEY",
    "PRIVATEKEY",
    "SECRETKEY",
    "AUTHTOKEN",
    "CREDENTIAL",
    "CREDENTIALS",
    "CREDS",
];

/// Consecutive name parts that together name a credential (`API_KEY`, `apiKey`).
const CREDENTIAL_PAIRS: &[(&str, &str)] = &[
    ("API", "KEY"),
    ("ACCESS", "KEY"),
    ("PRIVATE", "KEY"),
    ("ENCRYPTION", "KEY"),
    ("SIGNING", "KEY"),
    ("MASTER", "KEY"),
];

/// Last name parts that make the variable describe a credential rather than
/// hold it: `POSTGRES_PASSWORD_FILE`, `TOKEN_URL`, `SECRET_NAME`, `TOKEN_TTL`.
const DESCRIPTORS: &[&str] = &[
    "ALG",
    "ALGORITHM",
    "ARN",
    "AUDIENCE",
    "COUNT",
    "DIR",
    "DURATION",
    "ENABLE",
    "ENABLED",
    "ENDPOINT",
    "EXPIRATION",
    "EXPIRES",
    "EXPIRY",
    "FIELD",
    "FILE",
    "FORMAT",
    "HEADER",
    "HOST",
    "ID",
    "INTERVAL",
    "ISSUER",
    "LEN",
    "LENGTH",
    "LOCATION",
    "MAX",
    "METHOD",
    "MIN",
    "MODE",
    "MOUNT",
    "NAME",
    "NAMESPACE",
    "PATH",
    "POLICY",
    "PORT",
    "PREFIX",
    "PROVIDER",
    "REF",
    "REGION",
    "RETRIES",
    "SCOPE",
    "SCOPES",
    "SIZE",
    "SOURCE",
    "STORE",
    "TIMEOUT",
    "TTL",
    "TYPE",
    "URI",
    "URL",
    "USER",
    "USERNAME",
    "VERSION",
];

/// Splits an env var name into upper-case parts at `_`, `-`, `.` and camelCase humps.
fn name_parts(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_uppercase());
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// Whether an env var's name says it holds a credential.
pub(crate) fn credential_name(name: &str) -> bool {
    let parts = name_parts(name);
    let Some(last) = parts.last() else {
        return false;
    };
    // `PWD` and `OLDPWD` alone are the shell's working directory.
    if parts.len() == 1 && (last == "PWD" || last == "OLDPWD") {
        return false;
    }
    if DESCRIPTORS.contains(&last.as_str()) {
        return false;
    }
    // `AUTH` only names a credential at the end (`BASIC_AUTH`), not in
    // `AUTH_STRATEGY` or `AUTH_REALM`.
    if last == "AUTH" || last == "AUTHORIZATION" {
        return true;
    }
    parts.iter().any(|p| CREDENTIAL_WORDS.contains(&p.as_str()))
        || parts
            .windows(2)
            .any(|w| CREDENTIAL_PAIRS.contains(&(w[0].as_str(), w[1].as_str())))
}

/// Values that are not a credential written down: filled in before the
/// container starts, encrypted, a reference into a secret manager, a file
/// path, a flag.
pub(crate) fn not_a_literal(value: &str) -> bool {
    let value = value.trim();
    const FLAGS: &[&str] = &[
        "true", "false", "yes", "no", "on", "off", "enabled", "disabled", "none",
    ];
    const REFERENCES: &[&str] = &[
        "ENC[",
        "vault:",
        "ref+",
        "sm://",
        "berglas://",
        "arn:aws:secretsmanager:",
        "arn:aws:ssm:",
    ];
    value.is_empty()
        || FLAGS.iter().any(|f| value.eq_ignore_ascii_case(f))
        || is_substitution(value)
        || (value.starts_with('<') && value.ends_with('>'))
        || REFERENCES.iter().any(|r| value.starts_with(r))
        || (value.starts_with('/') && !value.contains(char::is_whitespace))
}

/// Compose's own `${VAR}` (masked by the caller as `MASK` bytes), and the
/// `{{ ... }}` and `$(VAR)` of tools that render a Compose file before it is
/// used, are replaced before the container sees them.
fn is_substitution(value: &str) -> bool {
    value.contains("{{")
        || value.contains("${")
        || value.contains(SUBSTITUTED)
        || value
            .find("$(")
            .is_some_and(|start| value[start..].contains(')'))
}

/// Where a password is embedded in a value: `scheme://user:password@host`,
/// or `Password=...` in a keyword connection string. Byte range into `value`.
pub(crate) fn embedded_password(value: &str) -> Option<Range<usize>> {
    url_password(value)
        .or_else(|| keyword_password(value))
        .filter(|range| !not_a_literal(&value[range.clone()]))
}

fn url_password(value: &str) -> Option<Range<usize>> {
    let authority_start = value.find("://")? + 3;
    let rest = &value[authority_start..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let userinfo = &authority[..authority.rfind('@')?];
    let colon = userinfo.find(':')?;
    let range = authority_start + colon + 1..authority_start + userinfo.len();
    (!range.is_empty()).then_some(range)
}

/// `Server=db;Password=...;` (ADO.NET, JDBC properties) and
/// `host=db password=...` (libpq); Azure's `AccountKey=` is a password too.
fn keyword_password(value: &str) -> Option<Range<usize>> {
    const KEYS: &[&str] = &["password", "pwd", "accountkey", "sharedaccesskey"];
    let bytes = value.as_bytes();
    // `;` separates pairs when present (values may then hold spaces);
    // otherwise blanks do, as in libpq.
    let semicolons = value.contains(';');
    let ends_value = |c: char| c == ';' || (!semicolons && c.is_whitespace());
    // ASCII lowering keeps every byte offset.
    let lower = value.to_ascii_lowercase();
    for key in KEYS {
        let mut from = 0;
        while let Some(found) = lower[from..].find(key) {
            let key_start = from + found;
            from = key_start + key.len();
            if key_start > 0 && !matches!(bytes[key_start - 1], b';' | b' ' | b'\t') {
                continue;
            }
            let mut i = from;
            while bytes.get(i) == Some(&b' ') {
                i += 1;
            }
            if bytes.get(i) != Some(&b'=') {
                continue;
            }
            i += 1;
            while bytes.get(i) == Some(&b' ') {
                i += 1;
            }
            let (begin, mut end) = match bytes.get(i) {
                // A quoted value runs to its closing quote, blanks and all, so
                // that a mask covers all of it.
                Some(&quote) if quote == b'\'' || quote == b'"' => {
                    let close = value[i + 1..]
                        .find(quote as char)
                        .map_or(bytes.len(), |c| i + 1 + c);
                    (i + 1, close)
                }
                _ => (
                    i,
                    value[i..].find(ends_value).map_or(bytes.len(), |e| i + e),
                ),
            };
            while end > begin && bytes[end - 1] == b' ' {
                end -= 1;
            }
            if begin < end {
                return Some(begin..end);
            }
        }
    }
    None
}

/// The source region that holds bytes `range` of a scalar's text. Exact when
/// the scalar is written on one line without escapes; otherwise the whole
/// scalar, so that a mask never falls short of the secret.
pub(crate) fn scalar_subspan(node: NodeRef<'_>, range: Range<usize>) -> SourceSpan {
    let span = node.span();
    let Some(text) = node.scalar_text() else {
        return span;
    };
    let quote: u32 = match node.style() {
        Some(ScalarStyle::Plain) => 0,
        Some(ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted) => 1,
        _ => return span,
    };
    // Escapes always make the text shorter than its source, so equal lengths
    // mean every byte of the text sits at a fixed offset in the file.
    let written = span.end_byte.saturating_sub(span.start_byte) as usize;
    let exact = span.start.line == span.end.line
        && written == text.len() + 2 * quote as usize
        && range.end <= text.len()
        && text.is_char_boundary(range.start)
        && text.is_char_boundary(range.end);
    if !exact {
        return span;
    }
    let column = |offset: usize| {
        let chars = u32::try_from(text[..offset].chars().count()).unwrap_or(u32::MAX);
        span.start
            .column
            .saturating_add(quote)
            .saturating_add(chars)
    };
    let byte = |offset: usize| {
        let offset = u32::try_from(offset).unwrap_or(u32::MAX);
        span.start_byte.saturating_add(quote).saturating_add(offset)
    };
    SourceSpan {
        start: Position::new(span.start.line, column(range.start)),
        end: Position::new(span.start.line, column(range.end)),
        start_byte: byte(range.start),
        end_byte: byte(range.end),
    }
}
