//! GitHub Actions workflow commands (`::error file=...::message`), which the runner
//! turns into annotations on the pull request's diff.

use std::io;

use shipgate_core::{Finding, ReportView, Severity};

use crate::text::count;

pub(crate) fn render(report: &dyn ReportView, out: &mut dyn io::Write) -> io::Result<()> {
    report.each_finding(&mut |finding| writeln!(out, "{}", command(finding)))?;
    if let Some(plan) = &report.head().plan {
        for finding in crate::gates::gate_findings(plan) {
            writeln!(out, "{}", command(&finding))?;
        }
    }
    // A plain line for the job log, where the annotations themselves are not shown.
    let head = report.head();
    let summary = &head.summary;
    writeln!(
        out,
        "shipgate: {}, {}, {} ({} suppressed) in {}.",
        count(summary.errors, "error"),
        count(summary.warnings, "warning"),
        count(summary.infos, "notice"),
        summary.suppressed + summary.baselined,
        count(head.files.scanned, "file"),
    )
}

fn command(finding: &Finding) -> String {
    let level = match finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let mut properties = vec![format!("file={}", escape_property(&finding.location.path))];
    let mut message = String::new();
    let span = finding.location.span.filter(|s| s.start.line > 0);
    if let Some(revision) = &finding.location.revision {
        // A line of an older commit would be pinned to whatever the file
        // holds there today: the annotation names the file, the message
        // names the commit and the line.
        message = match span {
            Some(span) => format!("{revision}, line {}: ", span.start.line),
            None => format!("{revision}: "),
        };
    } else if let Some(span) = span {
        properties.push(format!("line={}", span.start.line));
        let has_end = span.end > span.start;
        if has_end && span.end.line > span.start.line {
            // GitHub only accepts columns on single-line annotations.
            properties.push(format!("endLine={}", span.end.line));
        } else if span.start.column > 0 {
            properties.push(format!("col={}", span.start.column));
            if has_end {
                properties.push(format!("endColumn={}", span.end.column));
            }
        }
    }
    properties.push(format!("title={}", escape_property(&finding.rule)));
    message.push_str(&finding.message);
    if let Some(help) = &finding.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{level} {}::{}",
        properties.join(","),
        escape_data(&message)
    )
}

/// The message part of a workflow command: the runner reads `%`, CR and LF as
/// escapes, and a raw newline would end the command.
fn escape_data(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => escaped.push_str("%25"),
            '\r' => escaped.push_str("%0D"),
            '\n' => escaped.push_str("%0A"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// A property value additionally must not contain the `:` and `,` that delimit
/// properties and the message.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use shipgate_core::{Category, Location, Position, SourceSpan};

    fn finding(severity: Severity, location: Location) -> Finding {
        Finding::new("k8s/x", severity, Category::Security, "bad", location)
    }

    #[test]
    fn escapes_data_and_properties() {
        assert_eq!(escape_data("100%\r\nnext"), "100%25%0D%0Anext");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn single_line_spans_carry_columns() {
        let span = SourceSpan {
            start: Position::new(3, 5),
            end: Position::new(3, 9),
            start_byte: 20,
            end_byte: 24,
        };
        let mut f = finding(Severity::Error, Location::at("k8s/a b,c.yaml", span));
        f.message = "line one\nline two: 50%".into();
        assert_eq!(
            command(&f),
            "::error file=k8s/a b%2Cc.yaml,line=3,col=5,endColumn=9,title=k8s/x::line one%0Aline two: 50%25"
        );
    }

    #[test]
    fn multi_line_and_unknown_spans() {
        let span = SourceSpan {
            start: Position::new(3, 5),
            end: Position::new(7, 1),
            start_byte: 20,
            end_byte: 90,
        };
        let f = finding(Severity::Warning, Location::at("a.yaml", span)).with_help("fix");
        assert_eq!(
            command(&f),
            "::warning file=a.yaml,line=3,endLine=7,title=k8s/x::bad%0Ahelp: fix"
        );
        let f = finding(Severity::Info, Location::file("Dockerfile"));
        assert_eq!(command(&f), "::notice file=Dockerfile,title=k8s/x::bad");
        let f = finding(Severity::Info, Location::at("a", SourceSpan::line(0)));
        assert_eq!(command(&f), "::notice file=a,title=k8s/x::bad");
        let f = finding(Severity::Info, Location::at("a", SourceSpan::line(4)));
        assert_eq!(command(&f), "::notice file=a,line=4,col=1,title=k8s/x::bad");
    }

    #[test]
    fn history_names_the_commit_and_line_in_the_message() {
        let revision = shipgate_core::Revision {
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
            author_date: "2026-01-02T10:30:00+00:00".into(),
        };
        let location = Location::at(".env", SourceSpan::line(4)).with_revision(revision);
        let f = finding(Severity::Error, location);
        assert_eq!(
            command(&f),
            "::error file=.env,title=k8s/x::commit 0123456789ab (2026-01-02T10:30:00+00:00), line 4: bad"
        );
    }
}
