use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A 1-based line and column. Columns count Unicode scalar values, as editors do.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    JsonSchema,
)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl Position {
    pub const fn new(line: u32, column: u32) -> Self {
        Position { line, column }
    }
}

/// A region of a source file: byte offsets for slicing and snippets, and 1-based
/// positions for people and for SARIF.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    JsonSchema,
)]
pub struct SourceSpan {
    pub start: Position,
    pub end: Position,
    /// Byte offset of `start` in the file.
    pub start_byte: u32,
    /// Byte offset one past the end of the region.
    pub end_byte: u32,
}

impl SourceSpan {
    /// A span covering a whole line, used when nothing more specific is known.
    pub fn line(line: u32) -> Self {
        SourceSpan {
            start: Position::new(line, 1),
            end: Position::new(line, 1),
            start_byte: 0,
            end_byte: 0,
        }
    }

    pub fn has_bytes(&self) -> bool {
        self.end_byte > self.start_byte
    }
}

/// Where a finding lives: a path relative to the scan root (with `/` separators),
/// an optional span, and an optional logical path inside the artifact such as
/// `Deployment/shop/api > spec.template.spec.containers[api].image`.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct Location {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<SourceSpan>,
    /// A stable, line-independent address of the offending node. Used for
    /// fingerprints so that baselines survive unrelated edits.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub logical: String,
}

impl Location {
    pub fn file(path: impl Into<String>) -> Self {
        Location {
            path: path.into(),
            span: None,
            logical: String::new(),
        }
    }

    pub fn at(path: impl Into<String>, span: SourceSpan) -> Self {
        Location {
            path: path.into(),
            span: Some(span),
            logical: String::new(),
        }
    }

    pub fn with_logical(mut self, logical: impl Into<String>) -> Self {
        self.logical = logical.into();
        self
    }

    pub fn line(&self) -> Option<u32> {
        self.span.map(|s| s.start.line)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.span {
            Some(span) => write!(f, "{}:{}:{}", self.path, span.start.line, span.start.column),
            None => f.write_str(&self.path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_as_path_line_column() {
        let span = SourceSpan {
            start: Position::new(3, 7),
            end: Position::new(3, 12),
            start_byte: 40,
            end_byte: 45,
        };
        assert_eq!(
            Location::at("k8s/api.yaml", span).to_string(),
            "k8s/api.yaml:3:7"
        );
        assert_eq!(Location::file("Dockerfile").to_string(), "Dockerfile");
    }
}
