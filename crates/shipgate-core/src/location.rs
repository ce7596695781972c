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
    /// The commit whose version of `path` this is, for places found in a
    /// repository's history: the file on disk may differ or be gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<Revision>,
}

/// A commit, as a finding in a repository's history names it.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct Revision {
    /// The commit's full object id, in hexadecimal.
    pub commit: String,
    /// When its author made it: ISO 8601 with the author's UTC offset, such
    /// as `2026-01-02T10:30:00+01:00`.
    pub author_date: String,
}

impl Revision {
    /// The first twelve hexadecimal digits, as people quote commits.
    pub fn short(&self) -> &str {
        self.commit.get(..12).unwrap_or(&self.commit)
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "commit {} ({})", self.short(), self.author_date)
    }
}

impl Location {
    pub fn file(path: impl Into<String>) -> Self {
        Location {
            path: path.into(),
            span: None,
            logical: String::new(),
            revision: None,
        }
    }

    pub fn at(path: impl Into<String>, span: SourceSpan) -> Self {
        Location {
            path: path.into(),
            span: Some(span),
            logical: String::new(),
            revision: None,
        }
    }

    pub fn with_logical(mut self, logical: impl Into<String>) -> Self {
        self.logical = logical.into();
        self
    }

    pub fn with_revision(mut self, revision: Revision) -> Self {
        self.revision = Some(revision);
        self
    }

    pub fn line(&self) -> Option<u32> {
        self.span.map(|s| s.start.line)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(revision) = &self.revision {
            write!(f, "{revision} ")?;
        }
        match self.span {
            Some(span) => write!(f, "{}:{}:{}", self.path, span.start.line, span.start.column),
            None => f.write_str(&self.path),
        }
    }
}

/// Displayed paths in the order a tree is walked: folder by folder, each
/// folder's entries by name. It differs from plain text order only where a
/// name extends a sibling folder's with a character below `/`: `k8s/x.yaml`
/// comes before `k8s-old/x.yaml` and `k8s.yaml`, as the walk meets them.
/// A scan writes findings out in the walk's order, so the report's order
/// must be the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathOrder<'a>(pub &'a str);

impl Ord for PathOrder<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Comparing component by component is comparing the text with `/`
        // ranked below every other byte: where two paths first differ, a
        // `/` means that one's component ended first.
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let rank = |byte: Option<&u8>| byte.map(|&b| if b == b'/' { 0 } else { u16::from(b) + 1 });
        rank(a.get(common)).cmp(&rank(b.get(common)))
    }
}

impl PartialOrd for PathOrder<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
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

    #[test]
    fn a_revision_leads_the_label() {
        let revision = Revision {
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
            author_date: "2026-01-02T10:30:00+01:00".into(),
        };
        assert_eq!(revision.short(), "0123456789ab");
        let location = Location::at("k8s/api.yaml", SourceSpan::line(3)).with_revision(revision);
        assert_eq!(
            location.to_string(),
            "commit 0123456789ab (2026-01-02T10:30:00+01:00) k8s/api.yaml:3:1"
        );
        // Bad input degrades, never panics.
        let odd = Revision {
            commit: format!("a{}", "é".repeat(6)),
            author_date: String::new(),
        };
        assert_eq!(odd.short(), odd.commit);
    }

    #[test]
    fn paths_order_folder_by_folder() {
        let mut paths = vec![
            "k8s.yaml",
            "k8s-old/a.yaml",
            "k8s/z.yaml",
            "k8s",
            "k8s/a/b.yaml",
            "a",
            "",
        ];
        paths.sort_by(|a, b| PathOrder(a).cmp(&PathOrder(b)));
        assert_eq!(
            paths,
            [
                "",
                "a",
                "k8s",
                "k8s/a/b.yaml",
                "k8s/z.yaml",
                "k8s-old/a.yaml",
                "k8s.yaml"
            ]
        );
        let components = |p: &str| p.split('/').map(str::to_owned).collect::<Vec<_>>();
        for a in &paths {
            for b in &paths {
                if !a.is_empty() && !b.is_empty() {
                    assert_eq!(
                        PathOrder(a).cmp(&PathOrder(b)),
                        components(a).cmp(&components(b)),
                        "{a} against {b}"
                    );
                }
            }
        }
    }
}
