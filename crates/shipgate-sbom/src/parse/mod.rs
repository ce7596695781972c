//! One parser per lockfile format. Each returns what the file lists, or a
//! [`Failure`] that says where it stopped making sense; none panics on any
//! input (see `fuzz/fuzz_targets/lockfiles.rs`).

mod cargo;
mod gosum;
mod npm;
mod pnpm;
mod poetry;
mod requirements;
mod uv;
mod yaml;
mod yarn;

use crate::discover::LockfileKind;
use crate::model::Parsed;

/// Why a lockfile was not used, and where, when the parser knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
}

impl Failure {
    pub fn msg(message: impl Into<String>) -> Failure {
        Failure {
            line: None,
            column: None,
            message: message.into(),
        }
    }

    pub fn at(line: u32, column: Option<u32>, message: impl Into<String>) -> Failure {
        Failure {
            line: Some(line),
            column,
            message: message.into(),
        }
    }

    /// A failure at a byte offset, with a 1-based line and a column counted
    /// in characters, as editors count.
    pub fn at_byte_msg(bytes: &[u8], offset: usize, message: String) -> Failure {
        let offset = offset.min(bytes.len());
        let before = &bytes[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        Failure {
            line: u32::try_from(line).ok(),
            column: u32::try_from(column).ok(),
            message,
        }
    }

    /// A TOML error, placed where the TOML parser points.
    pub fn toml(text: &str, error: &toml::de::Error) -> Failure {
        let message = error.message().trim().to_string();
        match error.span() {
            Some(span) => Failure::at_byte_msg(text.as_bytes(), span.start, message),
            None => Failure::msg(message),
        }
    }

    pub fn json(error: &serde_json::Error) -> Failure {
        let message = error.to_string();
        // serde_json appends " at line L column C"; the position is kept apart.
        let message = match message.rfind(" at line ") {
            Some(i) => message[..i].to_string(),
            None => message,
        };
        if error.line() == 0 {
            Failure::msg(message)
        } else {
            Failure::at(
                u32::try_from(error.line()).unwrap_or(u32::MAX),
                u32::try_from(error.column()).ok(),
                message,
            )
        }
    }
}

pub(crate) fn parse(kind: LockfileKind, text: &str) -> Result<Parsed, Failure> {
    // A byte order mark is legal at the start of JSON and TOML files written
    // by some Windows editors; no parser below expects it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match kind {
        LockfileKind::Cargo => cargo::parse(text),
        LockfileKind::Npm => npm::parse(text),
        LockfileKind::Pnpm => pnpm::parse(text),
        LockfileKind::Yarn => yarn::parse(text),
        LockfileKind::Poetry => poetry::parse(text),
        LockfileKind::Uv => uv::parse(text),
        LockfileKind::Requirements => requirements::parse(text),
        LockfileKind::GoSum => gosum::parse(text),
    }
}

/// Indices of packages by a key, for resolving the names lockfiles use to
/// point at each other.
pub(crate) fn index_by<K: Ord>(
    keys: impl IntoIterator<Item = K>,
) -> std::collections::BTreeMap<K, Vec<usize>> {
    let mut map = std::collections::BTreeMap::<K, Vec<usize>>::new();
    for (i, key) in keys.into_iter().enumerate() {
        map.entry(key).or_default().push(i);
    }
    map
}

#[cfg(test)]
pub(crate) mod test_support {
    use std::path::PathBuf;

    pub fn fixture(rel: &str) -> String {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(rel);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }
}
