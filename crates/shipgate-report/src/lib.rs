//! Renderers of a shipgate [`Report`] into every output format the CLI offers.
//!
//! A renderer never decides anything: the report already carries the findings,
//! the suppressions and the rules' metadata. What lives here is presentation and
//! the one safety duty every presentation shares: source text shown to anyone
//! passes through [`redact_source`] first, so a secret a rule found is never
//! printed back in full.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io;
use std::str::FromStr;

use shipgate_core::{Report, ReportView};

mod gates;
mod github;
mod human;
mod junit;
mod redact;
mod ruledoc;
mod sarif;
mod splice;
mod text;

pub use redact::{MASK, redact_source};
pub use ruledoc::rule_markdown;

/// An output format of `shipgate check --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Junit,
    Github,
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Format; 5] = [
        Format::Human,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Github,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Github => "github",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an unknown `--format` value; its message lists the valid ones
/// so the CLI can show it as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFormat(pub String);

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown format `{}` (expected one of: ", self.0)?;
        for (i, format) in Format::ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(format.as_str())?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for UnknownFormat {}

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|format| format.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownFormat(s.to_owned()))
    }
}

/// Gives renderers the text of a scanned file, so the human format can show the
/// offending lines. `path` is [`shipgate_core::Location::path`]: relative to the scan
/// root, with `/` separators. Returning `None` is always fine: the finding is then
/// shown without a snippet.
pub trait SourceProvider {
    fn source(&self, path: &str) -> Option<Cow<'_, str>>;
}

/// A provider that knows no file, for formats and callers that show no source.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSources;

impl SourceProvider for NoSources {
    fn source(&self, _path: &str) -> Option<Cow<'_, str>> {
        None
    }
}

impl SourceProvider for HashMap<String, String> {
    fn source(&self, path: &str) -> Option<Cow<'_, str>> {
        self.get(path).map(|s| Cow::Borrowed(s.as_str()))
    }
}

impl SourceProvider for BTreeMap<String, String> {
    fn source(&self, path: &str) -> Option<Cow<'_, str>> {
        self.get(path).map(|s| Cow::Borrowed(s.as_str()))
    }
}

/// Lets the CLI pass a closure that reads from disk, without a named type.
impl<F> SourceProvider for F
where
    F: Fn(&str) -> Option<String>,
{
    fn source(&self, path: &str) -> Option<Cow<'_, str>> {
        self(path).map(Cow::Owned)
    }
}

/// Choices the caller makes about the environment; nothing here changes what a
/// report says, only how it is shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// ANSI colour in the human format. The CLI decides (TTY, `NO_COLOR`, `--color`).
    pub color: bool,
    /// Human format: also show info findings one by one, and list suppressed ones.
    pub verbose: bool,
    /// SARIF `originalUriBaseIds.SRCROOT`, such as `file:///home/me/repo/`. Left out
    /// when `None`, which keeps the log free of machine-specific paths.
    pub root_uri: Option<String>,
}

/// Writes `report` in `format` to `out`.
///
/// Only I/O errors of `out` are returned: odd input (spans past the end of a file,
/// line 0, sources that are missing or empty) degrades the output, never fails it.
pub fn render(
    report: &dyn ReportView,
    format: Format,
    sources: &dyn SourceProvider,
    options: &RenderOptions,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::render(report, sources, options, out),
        Format::Json => render_json(report, out),
        Format::Sarif => sarif::render(report, options, out),
        Format::Junit => junit::render(report, out),
        Format::Github => github::render(report, out),
    }
}

fn render_json(report: &dyn ReportView, out: &mut dyn io::Write) -> io::Result<()> {
    let head = report.head();
    // Every field named, so that a field added to the report is not
    // silently left out of this format.
    let envelope = Report {
        schema: head.schema.clone(),
        tool: head.tool.clone(),
        roots: head.roots.clone(),
        summary: head.summary.clone(),
        files: head.files.clone(),
        findings: Vec::new(),
        suppressed: Vec::new(),
        rules: head.rules.clone(),
        plan: head.plan.clone(),
    };
    let envelope = serde_json::to_string_pretty(&envelope).map_err(io::Error::other)?;
    splice::write_arrays(
        out,
        &envelope,
        &mut [
            ("findings", &mut |emit| {
                report.each_finding(&mut |finding| emit(finding))
            }),
            ("suppressed", &mut |emit| {
                report.each_suppressed(&mut |suppressed| emit(suppressed))
            }),
        ],
    )?;
    out.write_all(b"\n")
}

/// The JSON Schema of the `json` format (`shipgate.report/v1`), as committed under
/// `docs/report.schema.json`.
pub fn report_json_schema() -> serde_json::Value {
    schemars::schema_for!(Report).to_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip_through_their_names() {
        for format in Format::ALL {
            assert_eq!(format.to_string().parse::<Format>(), Ok(format));
        }
        assert_eq!("SARIF".parse::<Format>(), Ok(Format::Sarif));
    }

    #[test]
    fn unknown_format_lists_the_valid_ones() {
        let err = "xml".parse::<Format>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown format `xml` (expected one of: human, json, sarif, junit, github)"
        );
    }

    #[test]
    fn providers_answer_by_path() {
        let mut map = HashMap::new();
        map.insert("a.yaml".to_owned(), "kind: Pod\n".to_owned());
        assert_eq!(map.source("a.yaml").as_deref(), Some("kind: Pod\n"));
        assert!(map.source("b.yaml").is_none());
        let closure = |path: &str| (path == "x").then(|| "text".to_owned());
        assert_eq!(closure.source("x").as_deref(), Some("text"));
        assert!(NoSources.source("x").is_none());
    }
}
