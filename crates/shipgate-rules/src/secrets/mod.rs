//! The secrets pack: credentials committed in any text file of the tree.
//!
//! Every rule is a detector: lower-case keywords that must occur before its
//! pattern is tried (an Aho-Corasick prefilter over the whole file, so most
//! files cost one pass), a `regex::bytes` pattern whose `secret` group (or
//! first group) is the credential, and the filters that keep a team's trust:
//! a minimum Shannon entropy per rule, placeholders and stop words, the
//! providers' own documentation examples, references to a value held
//! elsewhere (`${VAR}`, `{{ .Values.x }}`, `os.environ[...]`), and
//! allowlists by path, by secret and by line.
//!
//! A finding never carries the secret: its message shows at most four
//! leading characters and a short SHA-256, its span is marked for redaction,
//! and its fingerprint hashes that digest with the rule and path, never the
//! line, so a baseline survives edits around it.
//!
//! # Examples that hold no credential
//!
//! Each rule documents a failing example that must raise it, and the
//! examples are committed to the repository and printed by `shipgate
//! explain`. They are built by one convention: the random part of every
//! credential is a *ramp*, a run through an alphabet (`0123456789abcdef…`,
//! `ABCDEFGH…`, `abcdefgh…`). A ramp has the format and the entropy of a
//! real credential, so the example exercises the rule as a real one would,
//! yet no provider issues such a value (checksummed formats reject it) and
//! a reader sees at once that it is fake. Ramps are deliberately *not*
//! treated as placeholders; words such as `EXAMPLE`, `SAMPLE` or
//! `PLACEHOLDER` are, because that is how providers mark their own
//! documentation values (`AKIAIOSFODNN7EXAMPLE`). A test holds every
//! example to the convention. Test fixtures with realistic credentials are
//! generated at test time from random bytes and never committed.

mod connections;
mod filters;
mod generic;
mod keys;
mod kubernetes;
mod platforms;
mod providers;
mod scan;
mod services;

#[cfg(test)]
mod tests;

use shipgate_core::{Finding, RuleMeta};
use shipgate_syntax::LazyLineIndex;

use crate::RuleDef;

pub(crate) use scan::scanner;

/// Where, around a keyword, a detector's pattern is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// On the lines that hold a keyword: the credential and its context
    /// share a line, which keeps the pattern's work proportional to the hits.
    Line,
    /// Over the whole file, once a keyword occurs anywhere in it: the
    /// credential spans lines (a key block) or its context lies elsewhere
    /// (`"type": "service_account"` above `"private_key"`).
    File,
}

/// What a detector captures, which decides the filters a capture passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A token whose prefix or structure is the provider's own: only
    /// placeholders and documentation examples are dropped.
    Token,
    /// A value recognised by the name written beside it: references to a
    /// value held elsewhere are dropped too.
    Named,
    /// A password inside a URL or a connection string: references, the
    /// defaults of local development and a password equal to its user are
    /// dropped.
    Password,
    /// The body of a private key block, judged without its line breaks,
    /// indentation and string escapes, so a key reads the same in a PEM
    /// file, a YAML block scalar or a JSON string.
    Key,
}

/// What a pattern matched: the credential, and the name it was assigned
/// to when the pattern has a `name` group.
pub(crate) struct Capture<'a> {
    pub secret: &'a [u8],
    pub name: Option<&'a [u8]>,
}

/// How a credential is found. Each rule of the pack has one.
pub(crate) struct Detect {
    /// How findings name the credential: "a GitHub personal access token".
    pub what: &'static str,
    /// Lower-case literals, matched without regard to case; the pattern is
    /// tried only where one occurs. With none, the pattern is tried over
    /// every file: for formats whose only fixed part is too common a word
    /// to filter on (`key-`, `pat`), the regex's own literal search is the
    /// faster filter.
    pub keywords: &'static [&'static str],
    /// A `regex::bytes` pattern; `(?-u)(?m)` is added when it is compiled, so
    /// classes match bytes and `^` and `$` match at line ends.
    pub pattern: &'static str,
    pub reach: Reach,
    pub shape: Shape,
    /// The shortest secret worth reporting, in bytes.
    pub min_len: usize,
    /// The least Shannon entropy, in bits per byte, of a real secret of
    /// this format: below it the value is a placeholder (`xxxx`, `0000`).
    pub min_entropy: f32,
    /// Where two detectors claim overlapping bytes, the higher wins: a
    /// provider's own format before a generic assignment.
    pub priority: u8,
    /// Only files whose path matches one of these globs are searched.
    pub paths: &'static [&'static str],
    /// Captures matching one of these patterns are not findings.
    pub allow: &'static [&'static str],
    /// A structural check the regex cannot express (a checksum, a JSON
    /// header, a base64 payload that must decode).
    pub validate: Option<fn(&Capture<'_>) -> bool>,
}

impl Detect {
    pub(crate) const TOKEN: Detect = Detect {
        what: "",
        keywords: &[],
        pattern: "",
        reach: Reach::Line,
        shape: Shape::Token,
        min_len: 8,
        min_entropy: 3.0,
        priority: 80,
        paths: &[],
        allow: &[],
        validate: None,
    };
}

/// A rule of the pack: its documentation and its detector.
pub(crate) struct Spec {
    pub rule: RuleDef,
    pub detect: Detect,
}

/// Builds a rule of the pack from the parts that differ between providers;
/// the rationale and remediation share their second halves, since leaking
/// any credential calls for the same response: rotate, then remove.
macro_rules! secret_rule {
    (
        id: $id:literal,
        title: $title:literal,
        what: $what:literal,
        grants: $grants:literal,
        rotate: $rotate:literal,
        references: [$($reference:literal),* $(,)?],
        aliases: [$($alias:literal),* $(,)?],
        failing: ($ffile:literal, $fcontent:expr),
        passing: ($pfile:literal, $pcontent:expr),
        detect: { $($field:ident: $value:expr),* $(,)? } $(,)?
    ) => {
        $crate::secrets::Spec {
            rule: $crate::RuleDef {
                meta: shipgate_core::RuleMeta {
                    id: $id,
                    title: $title,
                    severity: shipgate_core::Severity::Error,
                    category: shipgate_core::Category::Security,
                    rationale: concat!(
                        $grants,
                        " Once committed it is in every clone, fork, CI cache and backup of \
                         the repository, and it stays in the history after the line is \
                         deleted, so it must be treated as leaked."
                    ),
                    remediation: concat!(
                        "Rotate first: ",
                        $rotate,
                        ". Then remove the value and load it at run time from the environment \
                         or a secret store; removing the line alone protects nothing, since \
                         the history keeps it. For example:\n\n```\n",
                        $pcontent,
                        "```"
                    ),
                    references: &[
                        $($reference,)*
                        "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html",
                    ],
                    aliases: &[$(shipgate_core::Alias::new(shipgate_core::Tool::Trivy, $alias)),*],
                    enabled_by_default: true,
                    failing: shipgate_core::Example {
                        file: $ffile,
                        content: $fcontent,
                    },
                    passing: shipgate_core::Example {
                        file: $pfile,
                        content: $pcontent,
                    },
                },
                check: $crate::Check::Engine,
            },
            detect: $crate::secrets::Detect {
                what: $what,
                $($field: $value,)*
                ..$crate::secrets::Detect::TOKEN
            },
        }
    };
}
pub(crate) use secret_rule;

/// Every detector, in the order their rules are listed.
const GROUPS: &[&[Spec]] = &[
    providers::SPECS,
    platforms::SPECS,
    services::SPECS,
    keys::SPECS,
    connections::SPECS,
    generic::SPECS,
];

const fn detector_count() -> usize {
    let mut count = 0;
    let mut group = 0;
    while group < GROUPS.len() {
        count += GROUPS[group].len();
        group += 1;
    }
    count
}

pub(crate) const DETECTOR_COUNT: usize = detector_count();

/// A copy of a rule, field by field: rule metadata is not `Copy`, and the
/// registry wants the pack's rules in one slice.
const fn copy_rule(rule: &RuleDef) -> RuleDef {
    let m = &rule.meta;
    RuleDef {
        meta: RuleMeta {
            id: m.id,
            title: m.title,
            severity: m.severity,
            category: m.category,
            rationale: m.rationale,
            remediation: m.remediation,
            references: m.references,
            aliases: m.aliases,
            enabled_by_default: m.enabled_by_default,
            failing: m.failing,
            passing: m.passing,
        },
        check: rule.check,
    }
}

const fn all_rules() -> [RuleDef; DETECTOR_COUNT + 1] {
    let mut out = [const { copy_rule(&kubernetes::SECRET_VALUE) }; DETECTOR_COUNT + 1];
    let mut next = 0;
    let mut group = 0;
    while group < GROUPS.len() {
        let mut i = 0;
        while i < GROUPS[group].len() {
            out[next] = copy_rule(&GROUPS[group][i].rule);
            next += 1;
            i += 1;
        }
        group += 1;
    }
    out
}

/// The pack's rules: one per detector, and the Kubernetes Secret rule.
pub const RULES: &[RuleDef] = &all_rules();

/// Every detector with its rule, in [`RULES`] order.
pub(crate) fn specs() -> impl Iterator<Item = &'static Spec> {
    GROUPS.iter().flat_map(|group| group.iter())
}

/// Builds the automaton every file's search uses.
pub(crate) fn warm_up() {
    let _ = scanner();
}

/// Searches one file's text for credentials and appends a finding per
/// credential found. `findings` may already hold the file's other findings:
/// a credential another secrets rule reported at the same place (a
/// Kubernetes Secret's value) is not reported twice.
pub(crate) fn run(
    enabled: &[&'static RuleDef],
    path: &str,
    text: &str,
    lines: &LazyLineIndex,
    findings: &mut Vec<Finding>,
) {
    let scanner = scanner();
    let Some(on) = scanner.enabled(enabled) else {
        return;
    };
    let hits = scanner.scan(path, text.as_bytes(), &on);
    if hits.is_empty() {
        return;
    }
    let taken: Vec<(u32, u32)> = findings
        .iter()
        .filter(|f| f.rule.starts_with("secrets/"))
        .flat_map(|f| f.redact.iter().map(|s| (s.start_byte, s.end_byte)))
        .collect();
    for hit in hits {
        let (start, end) = (hit.secret.start as u32, hit.secret.end as u32);
        if taken.iter().any(|&(s, e)| start < e && s < end) {
            continue;
        }
        findings.push(scan::finding(path, text, lines.get(), &hit));
    }
}
