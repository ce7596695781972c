//! JUnit XML, for CI systems that show test results but not SARIF.
//!
//! One `<testsuite>` per rule rather than per file: CI test views (GitLab, Jenkins,
//! Azure Pipelines) summarise by suite, and "k8s/container-memory-limit: 12
//! failures" says what to fix across the repository, while a suite per file would
//! mostly hold a single test each and bury the pattern. Each testcase still carries
//! its file and line (`file`/`line` attributes, read by GitLab and the common
//! GitHub test-report actions) so a failure links to the code.
//!
//! Errors and warnings fail their testcase; a finding of category `correctness`
//! (an artifact that could not be parsed, so nothing could be checked) is a JUnit
//! `<error>` rather than a `<failure>`. Info findings pass, with their message in
//! `<system-out>`: they are advice, and a red build for advice teaches people to
//! ignore the report. Suppressed findings are skipped, with who suppressed them and
//! why.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io;

use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};
use shipgate_core::{Category, Finding, Report, ReportView, Severity, SuppressedFinding};

use crate::text::location_label;

pub(crate) fn render(view: &dyn ReportView, out: &mut dyn io::Write) -> io::Result<()> {
    let report = view.head();
    // BTreeMap: suites come out in rule order, whatever the findings' order.
    // The whole document is built before it is written, because each suite
    // states its counts first: JUnit is the one format that holds every
    // finding in memory.
    let mut suites: BTreeMap<String, TestSuite> = BTreeMap::new();
    view.each_finding(&mut |finding| {
        let case = finding_case(report, finding);
        suite(&mut suites, &finding.rule).add_test_case(case);
        Ok(())
    })?;
    view.each_suppressed(&mut |suppressed| {
        let case = suppressed_case(suppressed);
        suite(&mut suites, &suppressed.finding.rule).add_test_case(case);
        Ok(())
    })?;

    let mut junit = JunitReport::new("shipgate");
    if let Some(plan) = &report.plan {
        junit.add_test_suite(plan_suite(plan));
    }
    if suites.is_empty() {
        // A run with nothing to report still shows up in CI as a green test,
        // which is how people see that the check ran at all.
        let mut suite = TestSuite::new("shipgate");
        let mut case = TestCase::new(
            format!(
                "no findings in {} checked",
                plural(report.files.scanned, "file")
            ),
            TestCaseStatus::success(),
        );
        case.set_classname("shipgate");
        suite.add_test_case(case);
        junit.add_test_suite(suite);
    } else {
        junit.add_test_suites(suites.into_values());
    }
    junit.serialize(&mut *out).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

fn suite<'a>(suites: &'a mut BTreeMap<String, TestSuite>, rule: &str) -> &'a mut TestSuite {
    suites
        .entry(rule.to_owned())
        .or_insert_with(|| TestSuite::new(rule))
}

fn plural(n: u64, word: &str) -> String {
    crate::text::count(n, word)
}

fn case_name(finding: &Finding) -> String {
    let location = &finding.location;
    match location.span {
        Some(span) if span.start.line > 0 => format!(
            "{}:{}:{} {}",
            location.path,
            span.start.line,
            span.start.column.max(1),
            finding.rule
        ),
        _ => format!("{} {}", location.path, finding.rule),
    }
}

fn base_case(finding: &Finding, status: TestCaseStatus) -> TestCase {
    let mut case = TestCase::new(case_name(finding), status);
    case.set_classname(finding.rule.as_str());
    case.extra
        .insert("file".into(), finding.location.path.as_str().into());
    if let Some(line) = finding.location.line().filter(|line| *line > 0) {
        case.extra.insert("line".into(), line.to_string().into());
    }
    case
}

/// Everything a reader of a CI log needs without opening the report: where, what
/// to do, and why the rule exists.
fn details(report: &Report, finding: &Finding) -> String {
    // Writing to a String cannot fail, hence the ignored results.
    let mut text = format!("{}: {}", location_label(&finding.location), finding.message);
    if !finding.location.logical.is_empty() {
        let _ = write!(text, "\nat {}", finding.location.logical);
    }
    if let Some(help) = &finding.help {
        let _ = write!(text, "\nhelp: {help}");
    }
    for related in &finding.related {
        let label = location_label(&related.location);
        let _ = write!(text, "\nrelated: {label}: {}", related.message);
    }
    // A linear search: `Report::rule` needs the sorted order only `finalize` gives.
    if let Some(rule) = report.rules.iter().find(|r| r.id == finding.rule) {
        let _ = write!(text, "\n\n{}\n{}", rule.title, rule.rationale);
        if !rule.remediation.is_empty() {
            let _ = write!(text, "\n\nRemediation:\n{}", rule.remediation);
        }
    }
    text
}

fn finding_case(report: &Report, finding: &Finding) -> TestCase {
    let details = details(report, finding);
    if finding.severity == Severity::Info {
        let mut case = base_case(finding, TestCaseStatus::success());
        case.set_system_out(details);
        return case;
    }
    let kind = if finding.category == Category::Correctness {
        NonSuccessKind::Error
    } else {
        NonSuccessKind::Failure
    };
    let mut status = TestCaseStatus::non_success(kind);
    status
        .set_message(finding.message.as_str())
        .set_type(finding.severity.as_str())
        .set_description(details);
    base_case(finding, status)
}

fn suppressed_case(suppressed: &SuppressedFinding) -> TestCase {
    let finding = &suppressed.finding;
    let mut message = format!("suppressed ({})", suppressed.by);
    if let Some(reason) = &suppressed.reason {
        message.push_str(": ");
        message.push_str(reason);
    }
    let mut status = TestCaseStatus::skipped();
    status.set_message(message).set_description(format!(
        "{}: {}",
        location_label(&finding.location),
        finding.message
    ));
    base_case(finding, status)
}

/// One testcase a gate: the plan's gates are what a CI test view should
/// show first, passed ones included.
fn plan_suite(plan: &shipgate_core::PlanVerdict) -> TestSuite {
    use shipgate_core::Verdict;
    let mut suite = TestSuite::new(format!("plan {}", plan.plan));
    for gate in &plan.gates {
        let reasons: Vec<String> = gate
            .checks
            .iter()
            .map(|c| format!("{} {}: {}", c.kind, c.verdict.as_str(), c.summary))
            .collect();
        let details = reasons.join("\n");
        let status = match gate.verdict {
            Verdict::Pass => TestCaseStatus::success(),
            Verdict::Fail => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status
                    .set_message(format!("gate {} failed", gate.address))
                    .set_type(if gate.required {
                        "required"
                    } else {
                        "optional"
                    })
                    .set_description(details.clone());
                status
            }
            Verdict::Blocked | Verdict::Skipped => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(format!("gate {} {}", gate.address, gate.verdict.as_str()));
                status
            }
        };
        let mut case = TestCase::new(format!("{} {}", gate.address, gate.title), status);
        case.set_classname(gate.phase.as_str());
        if gate.verdict == Verdict::Pass {
            case.set_system_out(details);
        }
        if let Some(source) = &gate.source {
            case.extra.insert("file".into(), source.as_str().into());
        }
        suite.add_test_case(case);
    }
    suite
}

#[cfg(test)]
mod tests {
    use super::*;
    use shipgate_core::Location;

    fn xml(report: &Report) -> String {
        let mut out = Vec::new();
        render(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn an_empty_run_is_one_passing_test() {
        let mut report = Report::new(vec![".".into()]);
        report.files.scanned = 3;
        let out = xml(&report);
        assert!(
            out.contains(r#"tests="1" skipped="0" failures="0" errors="0""#),
            "{out}"
        );
        assert!(out.contains("no findings in 3 files checked"), "{out}");
    }

    #[test]
    fn parse_errors_are_junit_errors_and_infos_pass() {
        let mut report = Report::new(vec![".".into()]);
        report.findings = vec![
            Finding::new(
                "syntax/yaml",
                Severity::Error,
                Category::Correctness,
                "cannot parse",
                Location::file("a.yaml"),
            ),
            Finding::new(
                "k8s/hint",
                Severity::Info,
                Category::Efficiency,
                "consider",
                Location::file("a.yaml"),
            ),
        ];
        let out = xml(&report);
        assert!(
            out.contains(
                r#"<testsuites name="shipgate" tests="2" skipped="0" failures="0" errors="1""#
            ),
            "{out}"
        );
        assert!(
            out.contains("<system-out>a.yaml: consider</system-out>"),
            "{out}"
        );
    }
}
