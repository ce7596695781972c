//! Suppressions: our own inline comments and annotations, and the peers'
//! conventions mapped through rule aliases so teams can migrate without
//! rewriting them.

use shipgate_core::{Finding, Location, SourceSpan, Tool};
use shipgate_syntax::{LazyLineIndex, LineIndex};

use crate::meta::{SUPPRESSION_REASON, SUPPRESSION_UNKNOWN};
use crate::registry::{finding, registry};

/// The lines a suppression covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Line(u32),
    /// Inclusive range of lines: a document or an object.
    Lines(u32, u32),
    /// Everything a rendered object yields, whichever file each finding is in.
    All,
}

impl Scope {
    fn covers(self, line: u32) -> bool {
        match self {
            Scope::Line(l) => l == line,
            Scope::Lines(first, last) => (first..=last).contains(&line),
            Scope::All => true,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Suppression {
    pub scope: Scope,
    /// Rule ids this suppression silences.
    pub rules: Vec<&'static str>,
    pub reason: Option<String>,
    /// `inline`, `annotation`, or the peer whose convention it follows.
    pub by: &'static str,
}

impl Suppression {
    pub fn applies_to(&self, finding: &Finding) -> bool {
        let Some(line) = finding.location.line() else {
            return false;
        };
        self.scope.covers(line) && self.rules.contains(&finding.rule.as_str())
    }
}

/// Collects suppressions of one file, and the findings about malformed ones.
#[derive(Default)]
pub struct Collector {
    pub suppressions: Vec<Suppression>,
    pub problems: Vec<Finding>,
}

impl Collector {
    /// Records a suppression naming `tokens` (our ids, globs or a peer's ids).
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        path: &str,
        span: SourceSpan,
        scope: Scope,
        tokens: &[&str],
        tool: Option<Tool>,
        reason: Option<&str>,
        by: &'static str,
    ) {
        let registry = registry();
        let mut rules = Vec::new();
        for token in tokens.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
            let resolved = registry.resolve(token, tool);
            if resolved.is_empty() {
                // A peer's comment may name checks of that peer we have no
                // equivalent for; it still serves the peer, so it is no typo.
                if tool.is_none()
                    && let Some(meta) = registry.get(SUPPRESSION_UNKNOWN)
                {
                    let what = tool.map_or_else(String::new, |t| format!("{t} check "));
                    self.problems.push(finding(
                        &meta.meta,
                        format!(
                            "suppression names {what}`{token}`, which matches no shipgate rule"
                        ),
                        Location::at(path, span),
                    ));
                }
                continue;
            }
            rules.extend(resolved.iter().map(|r| r.meta.id));
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if reason.is_none()
            && !rules.is_empty()
            && let Some(meta) = registry.get(SUPPRESSION_REASON)
        {
            self.problems.push(
                finding(
                    &meta.meta,
                    format!("suppression of {} gives no reason", rules.join(", ")),
                    Location::at(path, span),
                )
                .with_help("add the reason after ` -- `"),
            );
        }
        if !rules.is_empty() {
            self.suppressions.push(Suppression {
                scope,
                rules,
                reason: reason.map(str::to_owned),
                by,
            });
        }
    }
}

/// A comment in a line of source text: its byte offset and its text after `#`.
fn comment_of(line: &str) -> Option<(usize, &str)> {
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    for (i, &b) in bytes.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            // Quotes open a string only where a value starts, not inside words.
            None if (b == b'"' || b == b'\'')
                && (i == 0
                    || matches!(
                        bytes[i - 1],
                        b' ' | b'\t' | b':' | b'[' | b'{' | b',' | b'-'
                    )) =>
            {
                quote = Some(b);
            }
            None if b == b'#' && (i == 0 || matches!(bytes[i - 1], b' ' | b'\t')) => {
                return Some((i, &line[i + 1..]));
            }
            None => {}
        }
    }
    None
}

/// Scans `#` comments for `shipgate:ignore`, `checkov:skip=` and `hadolint ignore=`.
///
/// `documents` lists each document's first and last line: a comment on its
/// own line directly above a document's first line covers the whole document,
/// which is what people mean by a comment at the top of an object.
pub fn scan_comments(
    path: &str,
    text: &str,
    lines: &LineIndex,
    documents: &[(u32, u32)],
    collector: &mut Collector,
) {
    if !text.contains("shipgate:ignore")
        && !text.contains("checkov:skip")
        && !text.contains("hadolint ignore")
    {
        return;
    }
    for line_no in 1..=lines.line_count() as u32 {
        let Some(line) = lines.line_text(text, line_no) else {
            continue;
        };
        let Some((offset, comment)) = comment_of(line) else {
            continue;
        };
        let trimmed = comment.trim_start();
        let own_line = line[..offset].trim().is_empty();
        let line_start = lines.line_range(text, line_no).map_or(0, |(s, _)| s);
        let span = lines.span(
            text,
            (line_start + offset) as u32,
            (line_start + line.len()) as u32,
        );
        let document = documents
            .iter()
            .find(|(first, last)| (*first..=*last).contains(&line_no))
            .copied();
        let next_content = if own_line {
            next_content_line(text, lines, line_no)
        } else {
            Some(line_no)
        };
        let line_scope = next_content.map_or(Scope::Line(line_no), Scope::Line);
        let document_scope = |content: Option<u32>| {
            content.and_then(|c| {
                documents
                    .iter()
                    .find(|(first, last)| (*first..=*last).contains(&c))
                    .map(|(first, last)| Scope::Lines(*first, *last))
            })
        };
        // Above the first line of a document (or of a Dockerfile instruction
        // that continues over several lines), a comment covers all of it.
        let above_scope = match (own_line, next_content) {
            (true, Some(c)) if documents.iter().any(|(first, _)| *first == c) => {
                document_scope(Some(c)).unwrap_or(line_scope)
            }
            _ => line_scope,
        };
        if let Some(rest) = trimmed.strip_prefix("shipgate:ignore") {
            let (list, reason) = split_reason(rest);
            let tokens: Vec<&str> = list.split([',', ' ']).collect();
            collector.add(path, span, above_scope, &tokens, None, reason, "inline");
        } else if let Some(rest) = trimmed.strip_prefix("checkov:skip=") {
            // Checkov applies a skip comment to the whole resource that holds it.
            let rest = rest.trim();
            let (id, reason) = rest
                .split_once(':')
                .map_or((rest, None), |(i, r)| (i, Some(r)));
            let scope = document
                .map(|(first, last)| Scope::Lines(first, last))
                .or_else(|| document_scope(next_content))
                .unwrap_or(line_scope);
            collector.add(
                path,
                span,
                scope,
                &[id],
                Some(Tool::Checkov),
                reason,
                "checkov",
            );
        } else if let Some(rest) = trimmed.strip_prefix("hadolint ignore=") {
            let (list, reason) = split_reason(rest);
            let tokens: Vec<&str> = list.split(',').collect();
            collector.add(
                path,
                span,
                above_scope,
                &tokens,
                Some(Tool::Hadolint),
                reason,
                "hadolint",
            );
        }
    }
}

fn split_reason(rest: &str) -> (&str, Option<&str>) {
    match rest.split_once("--") {
        Some((list, reason)) => (list.trim(), Some(reason)),
        None => (rest.trim(), None),
    }
}

fn next_content_line(text: &str, lines: &LineIndex, after: u32) -> Option<u32> {
    (after + 1..=lines.line_count() as u32).find(|l| {
        lines.line_text(text, *l).is_some_and(|t| {
            let t = t.trim();
            !t.is_empty() && !t.starts_with('#')
        })
    })
}

/// Comment leaders of the languages a repository holds, for files that are
/// neither YAML nor Dockerfiles: `shipgate:ignore` must follow one.
const COMMENT_LEADERS: &[&str] = &[
    "#", "//", "/*", "--", ";", "<!--", "%", "'", "*", "{{/*", "{{-/*",
];

/// Scans any other text file (source code, `.env`, shell, TOML...) for
/// `shipgate:ignore` after a comment leader of any common language. On its
/// own line it covers the next non-blank line; after code, its own line.
pub fn scan_text_comments(
    path: &str,
    text: &str,
    lines: &LazyLineIndex,
    collector: &mut Collector,
) {
    const MARKER: &str = "shipgate:ignore";
    if memchr::memmem::find(text.as_bytes(), MARKER.as_bytes()).is_none() {
        return;
    }
    let lines = lines.get();
    for line_no in 1..=lines.line_count() as u32 {
        let Some(line) = lines.line_text(text, line_no) else {
            continue;
        };
        let Some(at) = line.find(MARKER) else {
            continue;
        };
        let before = line[..at].trim_end();
        let Some(leader) = COMMENT_LEADERS.iter().find(|l| before.ends_with(*l)) else {
            continue;
        };
        let code = before[..before.len() - leader.len()].trim();
        let scope = if code.is_empty() {
            let next = (line_no + 1..=lines.line_count() as u32).find(|l| {
                lines
                    .line_text(text, *l)
                    .is_some_and(|t| !t.trim().is_empty())
            });
            Scope::Line(next.unwrap_or(line_no))
        } else {
            Scope::Line(line_no)
        };
        let rest = line[at + MARKER.len()..]
            .trim_end()
            .trim_end_matches("*/")
            .trim_end_matches("-->")
            .trim_end_matches("}}");
        let (list, reason) = split_reason(rest);
        let tokens: Vec<&str> = list.split([',', ' ']).collect();
        let line_start = lines.line_range(text, line_no).map_or(0, |(s, _)| s);
        let span = lines.span(
            text,
            (line_start + at) as u32,
            (line_start + line.len()) as u32,
        );
        collector.add(path, span, scope, &tokens, None, reason, "inline");
    }
}

/// The secret scanners' own pragmas, honoured so that teams can migrate
/// without rewriting them: gitleaks' `gitleaks:allow` and detect-secrets'
/// `pragma: allowlist secret` (and `pragma: allowlist nextline secret`).
/// They silence the secrets rules only, on their line, in any comment
/// syntax; text after ` -- ` is the reason.
pub fn scan_secret_pragmas(
    path: &str,
    text: &str,
    lines: &LazyLineIndex,
    collector: &mut Collector,
) {
    const PRAGMAS: &[(&str, &str, bool)] = &[
        ("gitleaks:allow", "gitleaks", false),
        ("pragma: allowlist nextline secret", "detect-secrets", true),
        ("pragma: allowlist secret", "detect-secrets", false),
    ];
    let bytes = text.as_bytes();
    if memchr::memmem::find(bytes, b"gitleaks:allow").is_none()
        && memchr::memmem::find(bytes, b"pragma: allowlist").is_none()
    {
        return;
    }
    let lines = lines.get();
    for line_no in 1..=lines.line_count() as u32 {
        let Some(line) = lines.line_text(text, line_no) else {
            continue;
        };
        let Some((at, pragma, by, next)) = PRAGMAS
            .iter()
            .find_map(|(p, by, next)| line.find(p).map(|at| (at, *p, *by, *next)))
        else {
            continue;
        };
        let scope = Scope::Line(if next { line_no + 1 } else { line_no });
        let rest = &line[at + pragma.len()..];
        let reason = rest.split_once("--").map(|(_, reason)| {
            reason
                .trim()
                .trim_end_matches("*/")
                .trim_end_matches("-->")
                .trim()
        });
        let line_start = lines.line_range(text, line_no).map_or(0, |(s, _)| s);
        let span = lines.span(
            text,
            (line_start + at) as u32,
            (line_start + line.len()) as u32,
        );
        collector.add(path, span, scope, &["secrets/*"], None, reason, by);
    }
}

/// Reads suppressions from a Kubernetes object's annotations.
pub fn scan_annotations(
    path: &str,
    annotations: shipgate_syntax::yaml::NodeRef<'_>,
    scope: Scope,
    collector: &mut Collector,
) {
    let reason = annotations
        .get("shipgate.dev/ignore-reason")
        .and_then(|r| r.as_text());
    for (key, value) in annotations.entries() {
        let (Some(key_text), span) = (key.as_text(), key.span()) else {
            continue;
        };
        let value_text = value.as_text().unwrap_or("");
        if key_text == "shipgate.dev/ignore" {
            let tokens: Vec<&str> = value_text.split(',').collect();
            collector.add(path, span, scope, &tokens, None, reason, "annotation");
        } else if let Some(check) = key_text.strip_prefix("ignore-check.kube-linter.io/") {
            // kube-linter's convention puts the reason in the value.
            collector.add(
                path,
                span,
                scope,
                &[check],
                Some(Tool::KubeLinter),
                Some(value_text),
                "kube-linter",
            );
        } else if let Some(check) = key_text
            .strip_prefix("polaris.fairwinds.com/")
            .and_then(|k| k.strip_suffix("-exempt"))
        {
            if value.as_text() == Some("true") || value.as_bool() == Some(true) {
                collector.add(
                    path,
                    span,
                    scope,
                    &[check],
                    Some(Tool::Polaris),
                    reason,
                    "polaris",
                );
            }
        } else if key_text.starts_with("checkov.io/skip") {
            let (id, why) = value_text
                .split_once('=')
                .map_or((value_text, None), |(i, r)| (i, Some(r)));
            collector.add(
                path,
                span,
                scope,
                &[id],
                Some(Tool::Checkov),
                why,
                "checkov",
            );
        } else if key_text == "kube-score/ignore" {
            let tokens: Vec<&str> = value_text.split(',').collect();
            collector.add(
                path,
                span,
                scope,
                &tokens,
                Some(Tool::KubeScore),
                reason,
                "kube-score",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::comment_of;

    #[test]
    fn finds_comments_but_not_hashes_in_values() {
        assert_eq!(comment_of("a: b # hi").map(|c| c.1), Some(" hi"));
        assert_eq!(comment_of("# top").map(|c| c.1), Some(" top"));
        assert_eq!(comment_of("url: http://x/#anchor"), None);
        assert_eq!(comment_of("a: \"x # y\""), None);
        assert_eq!(comment_of("a: 'x # y' # real").map(|c| c.1), Some(" real"));
    }
}
