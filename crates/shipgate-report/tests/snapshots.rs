//! What each format looks like on the fixed sample report.

mod common;

use common::{SECRET, render_to_string, sample_report};
use shipgate_report::{Format, RenderOptions};

fn options() -> RenderOptions {
    RenderOptions {
        color: false,
        verbose: false,
        root_uri: Some("file:///src/shop/".to_owned()),
    }
}

#[test]
fn human() {
    insta::assert_snapshot!(render_to_string(
        &sample_report(),
        Format::Human,
        &options()
    ));
}

#[test]
fn human_verbose() {
    let options = RenderOptions {
        verbose: true,
        ..options()
    };
    insta::assert_snapshot!(render_to_string(&sample_report(), Format::Human, &options));
}

#[test]
fn json() {
    insta::assert_snapshot!(render_to_string(&sample_report(), Format::Json, &options()));
}

#[test]
fn sarif() {
    insta::assert_snapshot!(render_to_string(
        &sample_report(),
        Format::Sarif,
        &options()
    ));
}

#[test]
fn junit() {
    insta::assert_snapshot!(render_to_string(
        &sample_report(),
        Format::Junit,
        &options()
    ));
}

#[test]
fn github() {
    insta::assert_snapshot!(render_to_string(
        &sample_report(),
        Format::Github,
        &options()
    ));
}

#[test]
fn no_format_prints_the_secret() {
    let report = sample_report();
    for verbose in [false, true] {
        for color in [false, true] {
            let options = RenderOptions {
                color,
                verbose,
                root_uri: None,
            };
            for format in Format::ALL {
                let out = render_to_string(&report, format, &options);
                assert!(
                    !out.contains(SECRET),
                    "{format} (verbose: {verbose}, color: {color}) leaks the secret:\n{out}"
                );
            }
        }
    }
    // The human format does show the masked line, so masking, not omission, is
    // what keeps the secret out.
    let human = render_to_string(&report, Format::Human, &options());
    assert!(human.contains("AWS_ACCESS_KEY_ID: AKIA****"), "{human}");
}

#[test]
fn colour_only_when_asked() {
    let report = sample_report();
    let plain = render_to_string(&report, Format::Human, &options());
    assert!(!plain.contains('\x1b'));
    let coloured = RenderOptions {
        color: true,
        ..options()
    };
    assert!(render_to_string(&report, Format::Human, &coloured).contains("\x1b["));
}

#[test]
fn an_empty_report_is_quiet_in_every_format() {
    let mut report = shipgate_core::Report::new(vec![".".to_owned()]);
    report.tool.version = "0.0.0-test".to_owned();
    report.files.scanned = 41;
    assert_eq!(
        render_to_string(&report, Format::Human, &options()),
        "No problems found. 41 files checked.\n"
    );
    assert_eq!(
        render_to_string(&report, Format::Github, &options()),
        "shipgate: 0 errors, 0 warnings, 0 notices (0 suppressed) in 41 files.\n"
    );
    insta::assert_snapshot!(
        "junit_empty",
        render_to_string(&report, Format::Junit, &options())
    );
}

#[test]
fn odd_input_renders_in_every_format() {
    use shipgate_core::{Category, Finding, Location, Position, Report, Severity, SourceSpan};
    use std::collections::BTreeMap;

    let sources = BTreeMap::from([
        ("empty".to_owned(), String::new()),
        ("one".to_owned(), "x".to_owned()),
        ("crlf".to_owned(), "a: 1\r\nb: 2\r\n".to_owned()),
        ("wide".to_owned(), "€€€\n日本\n".to_owned()),
    ]);
    let spans = [
        SourceSpan::line(0),
        SourceSpan::line(1),
        SourceSpan::line(99),
        SourceSpan::default(),
        SourceSpan {
            start: Position::new(1, 2),
            end: Position::new(1, 3),
            start_byte: 1,
            end_byte: 2,
        },
        SourceSpan {
            start: Position::new(2, 1),
            end: Position::new(1, 1),
            start_byte: 7,
            end_byte: 4_000_000,
        },
    ];
    let mut report = Report::new(vec![".".to_owned()]);
    for path in ["empty", "one", "crlf", "wide", "absent"] {
        for span in spans {
            let mut finding = Finding::new(
                "x/odd",
                Severity::Error,
                Category::Correctness,
                "",
                Location::at(path, span),
            );
            finding.redact = vec![span];
            report.findings.push(finding);
        }
    }
    for format in Format::ALL {
        for verbose in [false, true] {
            let mut out = Vec::new();
            let options = RenderOptions {
                verbose,
                ..RenderOptions::default()
            };
            shipgate_report::render(&report, format, &sources, &options, &mut out)
                .expect("renders");
            assert!(!out.is_empty(), "{format}");
        }
    }
}
