//! The terminal format: rustc-style diagnostics drawn by `annotate-snippets`,
//! then a one-line summary.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io;
use std::ops::Range;

use annotate_snippets::renderer::{AnsiColor, Effects, Style};
use annotate_snippets::{
    Annotation, AnnotationKind, Element, Group, Level, Origin, Renderer, Snippet,
};
use shipgate_core::{Finding, Location, Report, ReportView, Severity, SourceSpan};

use crate::redact::mask_ranges;
use crate::text::{LineIndex, count, location_label, sanitize, span_bytes};
use crate::{RenderOptions, SourceProvider};

pub(crate) fn render(
    report: &dyn ReportView,
    sources: &dyn SourceProvider,
    options: &RenderOptions,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let renderer = if options.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut files = Files::new(report, sources);
    report.each_finding(&mut |finding| {
        if finding.severity == Severity::Info && !options.verbose {
            return Ok(());
        }
        // Findings come file by file: a file's text is dropped once its
        // findings are shown, so a large report holds one file at a time.
        files.moving_to(&finding.location.path);
        let group = finding_group(finding, &mut files);
        writeln!(out, "{}\n", renderer.render(&[group]))
    })?;
    let head = report.head();
    if options.verbose && head.summary.suppressed + head.summary.baselined > 0 {
        writeln!(out, "Suppressed findings:")?;
        report.each_suppressed(&mut |suppressed| {
            let finding = &suppressed.finding;
            let how = match &suppressed.reason {
                Some(reason) => format!("{}: {}", suppressed.by, reason),
                None => suppressed.by.clone(),
            };
            writeln!(
                out,
                "  {} {} ({})",
                sanitize(&location_label(&finding.location), false),
                sanitize(&finding.rule, false),
                sanitize(&how, false),
            )
        })?;
        writeln!(out)?;
    }
    if let Some(plan) = &head.plan {
        crate::gates::write_human(plan, out)?;
    }
    write_summary(head, options, out)
}

fn write_summary(
    report: &Report,
    options: &RenderOptions,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let summary = &report.summary;
    let (errors, warnings, infos) = (summary.errors, summary.warnings, summary.infos);
    let (suppressed, baselined) = (summary.suppressed, summary.baselined);

    let mut found = Vec::new();
    if errors > 0 {
        found.push(count(errors, "error"));
    }
    if warnings > 0 {
        found.push(count(warnings, "warning"));
    }
    if infos > 0 && options.verbose {
        found.push(format!("{infos} info"));
    }
    let mut silenced = Vec::new();
    if suppressed > 0 {
        silenced.push(format!("{suppressed} suppressed"));
    }
    if baselined > 0 {
        silenced.push(format!("{baselined} baselined"));
    }
    let silenced = if silenced.is_empty() {
        String::new()
    } else {
        format!(" ({})", silenced.join(", "))
    };
    let checked = if report.files.commits > 0 {
        format!(
            "{} checked in {}.",
            count(report.files.scanned, "changed file"),
            count(report.files.commits, "commit")
        )
    } else {
        format!("{} checked.", count(report.files.scanned, "file"))
    };

    let (line, color) = if found.is_empty() {
        (
            format!("No problems found{silenced}. {checked}"),
            AnsiColor::Green,
        )
    } else {
        let color = if errors > 0 {
            AnsiColor::Red
        } else if warnings > 0 {
            AnsiColor::Yellow
        } else {
            AnsiColor::Blue
        };
        (
            format!("Found {}{silenced}. {checked}", found.join(", ")),
            color,
        )
    };
    let style = if options.color {
        color.on_default().effects(Effects::BOLD)
    } else {
        Style::new()
    };
    writeln!(out, "{}{line}{}", style.render(), style.render_reset())?;
    if infos > 0 && !options.verbose {
        let noun = if infos == 1 {
            "diagnostic"
        } else {
            "diagnostics"
        };
        writeln!(
            out,
            "{infos} info {noun} hidden; use --verbose to show them."
        )?;
    }
    Ok(())
}

fn finding_group<'a>(finding: &'a Finding, files: &mut Files<'_>) -> Group<'a> {
    let level = match finding.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    };
    let path = match &finding.location.revision {
        // The label names the version: a line of history is not the file on disk.
        Some(revision) => Cow::Owned(format!(
            "{} {}",
            sanitize(&revision.to_string(), false),
            sanitize(&finding.location.path, false)
        )),
        None => sanitize(&finding.location.path, false),
    };
    let primary: Element<'a> = match files.excerpt(&finding.location) {
        Some(excerpt) => excerpt.snippet(path, AnnotationKind::Primary, None).into(),
        None => origin(path, finding.location.span).into(),
    };
    let mut group = level
        .primary_title(sanitize(&finding.message, true))
        .id(sanitize(&finding.rule, false))
        .element(primary);
    for related in &finding.related {
        let message = sanitize(&related.message, true);
        group = match files.excerpt(&related.location) {
            Some(excerpt) => group.element(excerpt.snippet(
                sanitize(&related.location.path, false),
                AnnotationKind::Context,
                Some(message),
            )),
            None => group.element(Level::NOTE.message(format!(
                "{}: {message}",
                sanitize(&location_label(&related.location), false)
            ))),
        };
    }
    if let Some(help) = &finding.help {
        group = group.element(Level::HELP.message(sanitize(help, true)));
    }
    group
}

fn origin(path: Cow<'_, str>, span: Option<SourceSpan>) -> Origin<'_> {
    let mut origin = Origin::path(path);
    if let Some(span) = span.filter(|s| s.start.line > 0) {
        origin = origin.line(span.start.line as usize);
        if span.start.column > 0 {
            origin = origin.char_column(span.start.column as usize);
        }
    }
    origin
}

/// The lines of a file that a span touches, secrets masked, with the span moved to
/// match the masked text.
struct Excerpt {
    text: String,
    first_line: usize,
    range: Range<usize>,
}

impl Excerpt {
    fn snippet<'a>(
        self,
        path: Cow<'a, str>,
        kind: AnnotationKind,
        label: Option<Cow<'a, str>>,
    ) -> Snippet<'a, Annotation<'a>> {
        Snippet::source(self.text)
            .line_start(self.first_line)
            .path(path)
            .annotation(kind.span(self.range).label(label))
    }
}

struct Loaded<'s> {
    text: Cow<'s, str>,
    index: LineIndex,
    /// Byte ranges of every secret any finding reported in this file: a snippet
    /// for one finding must not show the secret another finding found on its line.
    secrets: Vec<Range<usize>>,
}

/// Sources fetched at most once per file while its findings are shown.
struct Files<'s> {
    provider: &'s dyn SourceProvider,
    report: &'s dyn ReportView,
    current: String,
    loaded: HashMap<String, Option<Loaded<'s>>>,
}

impl<'s> Files<'s> {
    fn new(report: &'s dyn ReportView, provider: &'s dyn SourceProvider) -> Self {
        Files {
            provider,
            report,
            current: String::new(),
            loaded: HashMap::new(),
        }
    }

    /// Forgets the texts loaded for earlier files when the findings move on
    /// to `path`.
    fn moving_to(&mut self, path: &str) {
        if self.current != path {
            self.loaded.clear();
            path.clone_into(&mut self.current);
        }
    }

    fn load(&mut self, path: &str) -> Option<&Loaded<'s>> {
        if !self.loaded.contains_key(path) {
            let loaded = self.provider.source(path).map(|text| {
                let index = LineIndex::new(&text);
                let secrets = self
                    .report
                    .redactions(path)
                    .iter()
                    .filter_map(|span| span_bytes(&text, &index, span))
                    .collect();
                Loaded {
                    text,
                    index,
                    secrets,
                }
            });
            self.loaded.insert(path.to_owned(), loaded);
        }
        self.loaded.get(path)?.as_ref()
    }

    fn excerpt(&mut self, location: &Location) -> Option<Excerpt> {
        // A place in an older commit: the file on disk at that path holds other
        // text (or nothing), and its lines must not be shown as if they were
        // the finding's, least of all unmasked.
        if location.revision.is_some() {
            return None;
        }
        let span = location.span?;
        let file = self.load(&location.path)?;
        let text = file.text.as_ref();
        let range = span_bytes(text, &file.index, &span)?;
        let first_line = file.index.line_of(range.start);
        let last_byte = if range.end > range.start {
            range.end - 1
        } else {
            range.start
        };
        let last_line = file.index.line_of(last_byte).max(first_line);
        let shown_start = file.index.line_range(text, first_line)?.start;
        let shown_end = file.index.line_range(text, last_line)?.end.max(shown_start);
        let start = range.start.clamp(shown_start, shown_end) - shown_start;
        let end = range.end.clamp(shown_start, shown_end) - shown_start;

        let masked = mask_ranges(&text[shown_start..shown_end], shown_start, &file.secrets);
        let start = masked.map(start, false);
        let end = masked.map(end, true).max(start);
        Some(Excerpt {
            text: masked.text.into_owned(),
            first_line,
            range: start..end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shipgate_core::{Category, Position};
    use std::collections::BTreeMap;

    fn render_plain(report: &Report, sources: &dyn SourceProvider, verbose: bool) -> String {
        let mut out = Vec::new();
        let options = RenderOptions {
            verbose,
            ..RenderOptions::default()
        };
        // The summary line reads the counts, which `finalize` makes.
        let mut report = report.clone();
        report.finalize();
        render(&report, sources, &options, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn finding(severity: Severity, path: &str, span: Option<SourceSpan>) -> Finding {
        let location = Location {
            path: path.to_owned(),
            span,
            logical: String::new(),
            revision: None,
        };
        Finding::new(
            "k8s/rule",
            severity,
            Category::Reliability,
            "something",
            location,
        )
    }

    fn span(start: (u32, u32), end: (u32, u32), bytes: (u32, u32)) -> SourceSpan {
        SourceSpan {
            start: Position::new(start.0, start.1),
            end: Position::new(end.0, end.1),
            start_byte: bytes.0,
            end_byte: bytes.1,
        }
    }

    fn sources(path: &str, text: &str) -> BTreeMap<String, String> {
        BTreeMap::from([(path.to_owned(), text.to_owned())])
    }

    #[test]
    fn quiet_success() {
        let mut report = Report::new(vec![".".into()]);
        report.files.scanned = 41;
        assert_eq!(
            render_plain(&report, &crate::NoSources, false),
            "No problems found. 41 files checked.\n"
        );
    }

    #[test]
    fn infos_are_summarised_unless_verbose() {
        let mut report = Report::new(vec![".".into()]);
        report.files.scanned = 1;
        report.findings = vec![finding(Severity::Info, "a.yaml", None)];
        let quiet = render_plain(&report, &crate::NoSources, false);
        assert_eq!(
            quiet,
            "No problems found. 1 file checked.\n1 info diagnostic hidden; use --verbose to show them.\n"
        );
        let verbose = render_plain(&report, &crate::NoSources, true);
        assert!(verbose.starts_with("info[k8s/rule]: something\n"));
        assert!(verbose.ends_with("Found 1 info. 1 file checked.\n"));
    }

    #[test]
    fn odd_spans_never_panic() {
        let texts = [
            "",
            "\n",
            "a",
            "kind: Pod\r\nspec: {}\r\n",
            "ключ: значение\n€\n",
            "x\n\n\n",
            "\r",
            "a\rb\r\n\tc:\td\n",
            "👩‍👩‍👧 e\u{301}\u{200b}\u{1b}[0m\n\u{feff}z",
        ];
        let positions = [0u32, 1, 2, 3, 7, 1000];
        let bytes = [0u32, 1, 2, 3, 5, 9, 20, 4000];
        for text in texts {
            let provider = sources("f", text);
            let mut report = Report::new(vec![".".into()]);
            for &line in &positions {
                for &column in &positions {
                    for &start in &bytes {
                        for &len in &[0u32, 1, 3, 100] {
                            let s =
                                span((line, column), (line, column + len), (start, start + len));
                            let mut f = finding(Severity::Error, "f", Some(s));
                            f.redact = vec![span((line, 2), (line, 4), (start + 1, start + 2))];
                            report.findings.push(f);
                        }
                    }
                }
            }
            let out = render_plain(&report, &provider, true);
            assert!(out.contains("error[k8s/rule]"));
        }
    }

    #[test]
    fn missing_source_shows_the_location_only() {
        let mut report = Report::new(vec![".".into()]);
        report.findings = vec![finding(
            Severity::Warning,
            "Dockerfile",
            Some(SourceSpan::line(3)),
        )];
        let out = render_plain(&report, &crate::NoSources, false);
        assert!(
            out.starts_with("warning[k8s/rule]: something\n--> Dockerfile:3:1\n"),
            "{out}"
        );
        // A line beyond the end of the file degrades the same way.
        let out = render_plain(&report, &sources("Dockerfile", "FROM x\n"), false);
        assert!(out.contains("--> Dockerfile:3:1"), "{out}");
    }

    #[test]
    fn terminal_escapes_in_artifacts_are_neutralised() {
        let mut report = Report::new(vec![".".into()]);
        let mut f = finding(
            Severity::Error,
            "evil\x1b[2J.yaml",
            Some(SourceSpan::line(1)),
        );
        f.message = "bad \x1b]0;title\x07 value".into();
        f.help = Some("run \x1b[31m".into());
        report.findings = vec![f];
        let out = render_plain(&report, &sources("evil\x1b[2J.yaml", "a: \x1b[5m\n"), true);
        assert!(!out.contains('\x1b'), "{out:?}");
        assert!(!out.contains('\x07'), "{out:?}");
    }

    #[test]
    fn a_secret_found_by_another_finding_is_masked_too() {
        let text = "env:\n  KEY: AKIAIOSFODNN7EXAMPLE\n";
        let at = text.find("AKIA").unwrap() as u32;
        let mut secret = finding(
            Severity::Info,
            "a.yaml",
            Some(span((2, 8), (2, 28), (at, at + 20))),
        );
        secret.redact = vec![span((2, 8), (2, 28), (at, at + 20))];
        let other = finding(Severity::Warning, "a.yaml", Some(SourceSpan::line(2)));
        let mut report = Report::new(vec![".".into()]);
        // The info finding is hidden (not verbose), the warning shows line 2.
        report.findings = vec![other, secret];
        let out = render_plain(&report, &sources("a.yaml", text), false);
        assert!(out.contains("KEY: AKIA****"), "{out}");
        assert!(!out.contains("AKIAIOSFODNN7EXAMPLE"), "{out}");
    }
}
