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
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};

use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};
use shipgate_core::{Category, Finding, Report, ReportView, Severity, SuppressedFinding};

use crate::text::location_label;

pub(crate) fn render(view: &dyn ReportView, out: &mut dyn io::Write) -> io::Result<()> {
    let report = view.head();
    // Each suite states its counts before its cases, and the cases of one
    // rule are spread over the whole report. So each case is serialized as
    // it comes into a scratch file, with its place kept under its rule
    // (BTreeMap: suites come out in rule order), and the document is then
    // written suite by suite from there: memory holds places, not cases.
    let mut scratch = Scratch::new();
    let mut suites: BTreeMap<String, SuiteCases> = BTreeMap::new();
    view.each_finding(&mut |finding| {
        let case = finding_case(report, finding);
        let cases = suites.entry(finding.rule.clone()).or_default();
        cases.add(&mut scratch, &finding.rule, case)
    })?;
    view.each_suppressed(&mut |suppressed| {
        let case = suppressed_case(suppressed);
        let cases = suites.entry(suppressed.finding.rule.clone()).or_default();
        cases.add(&mut scratch, &suppressed.finding.rule, case)
    })?;

    // The skeleton: every suite with its counts and one placeholder case,
    // serialized by quick-junit itself, so that the document is the bytes
    // it would write for the whole report at once.
    let mut junit = JunitReport::new("shipgate");
    if let Some(plan) = &report.plan {
        junit.add_test_suite(plan_suite(plan));
    }
    if suites.is_empty() {
        junit.add_test_suite(no_findings_suite(report));
    }
    for (index, (rule, cases)) in suites.iter().enumerate() {
        let mut suite = TestSuite::new(rule.as_str());
        suite.add_test_case(TestCase::new(placeholder(index), TestCaseStatus::success()));
        suite.tests = cases.tests;
        suite.skipped = cases.skipped;
        suite.errors = cases.errors;
        suite.failures = cases.failures;
        junit.add_test_suite(suite);
    }
    let mut skeleton = Vec::new();
    junit.serialize(&mut skeleton).map_err(io::Error::other)?;
    let skeleton = String::from_utf8(skeleton).map_err(io::Error::other)?;

    let mut rest = skeleton.as_str();
    for (index, cases) in suites.values().enumerate() {
        let marker = format!("{CASE_INDENT}<testcase name=\"{}\"/>", placeholder(index));
        let Some((before, after)) = rest.split_once(&marker) else {
            return Err(io::Error::other("the JUnit skeleton lost a suite"));
        };
        out.write_all(before.as_bytes())?;
        scratch.copy(&cases.places, out)?;
        rest = after;
    }
    out.write_all(rest.as_bytes())?;
    out.write_all(b"\n")
}

/// A run with nothing to report still shows up in CI as a green test,
/// which is how people see that the check ran at all.
fn no_findings_suite(report: &Report) -> TestSuite {
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
    suite
}

/// What precedes a testcase inside its suite, as quick-junit indents it.
const CASE_INDENT: &str = "\n        ";

fn placeholder(index: usize) -> String {
    format!("shipgate-suite-{index}")
}

/// One suite's counts, and where its serialized cases lie in the scratch file.
#[derive(Default)]
struct SuiteCases {
    tests: usize,
    skipped: usize,
    errors: usize,
    failures: usize,
    places: Vec<(u64, u32)>,
}

impl SuiteCases {
    fn add(&mut self, scratch: &mut Scratch, rule: &str, case: TestCase) -> io::Result<()> {
        self.tests += 1;
        match &case.status {
            TestCaseStatus::Success { .. } => {}
            TestCaseStatus::NonSuccess { kind, .. } => match kind {
                NonSuccessKind::Failure => self.failures += 1,
                NonSuccessKind::Error => self.errors += 1,
            },
            TestCaseStatus::Skipped { .. } => self.skipped += 1,
        }
        let fragment = case_fragment(rule, case)?;
        self.places.push(scratch.append(fragment.as_bytes())?);
        Ok(())
    }
}

/// A testcase as it appears inside its suite in the whole document: its
/// own serialization by quick-junit, cut out of a report that holds only it.
fn case_fragment(rule: &str, case: TestCase) -> io::Result<String> {
    let mut suite = TestSuite::new(rule);
    suite.add_test_case(case);
    let mut alone = JunitReport::new("shipgate");
    alone.add_test_suite(suite);
    let mut bytes = Vec::new();
    alone.serialize(&mut bytes).map_err(io::Error::other)?;
    let text = String::from_utf8(bytes).map_err(io::Error::other)?;
    // Markup inside the case is escaped, so neither boundary can occur in it.
    let start = text.find(CASE_INDENT);
    let end = text.rfind("\n    </testsuite>");
    match (start, end) {
        (Some(start), Some(end)) if start < end => Ok(text[start..end].to_owned()),
        _ => Err(io::Error::other(
            "quick-junit wrote a testcase in an unexpected shape",
        )),
    }
}

/// Serialized testcases, in an unnamed temporary file, or in memory when
/// none can be made (a read-only `/tmp`): the report then costs memory,
/// never its content.
enum Scratch {
    Disk { file: BufWriter<File>, len: u64 },
    Memory(Vec<u8>),
}

impl Scratch {
    fn new() -> Self {
        match tempfile::tempfile() {
            Ok(file) => Scratch::Disk {
                file: BufWriter::with_capacity(1 << 16, file),
                len: 0,
            },
            Err(_) => Scratch::Memory(Vec::new()),
        }
    }

    fn append(&mut self, bytes: &[u8]) -> io::Result<(u64, u32)> {
        let len = u32::try_from(bytes.len()).map_err(io::Error::other)?;
        match self {
            Scratch::Disk { file, len: end } => {
                file.write_all(bytes)?;
                let at = *end;
                *end += u64::from(len);
                Ok((at, len))
            }
            Scratch::Memory(buffer) => {
                let at = buffer.len() as u64;
                buffer.extend_from_slice(bytes);
                Ok((at, len))
            }
        }
    }

    fn copy(&mut self, places: &[(u64, u32)], out: &mut dyn io::Write) -> io::Result<()> {
        match self {
            Scratch::Memory(buffer) => {
                for &(at, len) in places {
                    let at = usize::try_from(at).map_err(io::Error::other)?;
                    let piece = buffer
                        .get(at..at + len as usize)
                        .ok_or_else(|| io::Error::other("a testcase lies outside the scratch"))?;
                    out.write_all(piece)?;
                }
                Ok(())
            }
            Scratch::Disk { file, .. } => {
                file.flush()?;
                let file = file.get_mut();
                let mut piece = Vec::new();
                for &(at, len) in places {
                    piece.resize(len as usize, 0);
                    file.seek(SeekFrom::Start(at))?;
                    file.read_exact(&mut piece)?;
                    out.write_all(&piece)?;
                }
                Ok(())
            }
        }
    }
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

    fn suite<'a>(suites: &'a mut BTreeMap<String, TestSuite>, rule: &str) -> &'a mut TestSuite {
        suites
            .entry(rule.to_owned())
            .or_insert_with(|| TestSuite::new(rule))
    }

    fn render_whole(view: &dyn ReportView, out: &mut dyn io::Write) -> io::Result<()> {
        let report = view.head();
        // The document built whole, as quick-junit expects: what the
        // streamed rendering must reproduce byte for byte.
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
            junit.add_test_suite(no_findings_suite(report));
        } else {
            junit.add_test_suites(suites.into_values());
        }
        junit.serialize(&mut *out).map_err(io::Error::other)?;
        out.write_all(b"\n")
    }

    fn xml(report: &Report) -> String {
        let mut out = Vec::new();
        render(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn streamed_and_whole(report: &Report) -> (String, String) {
        let mut whole = Vec::new();
        render_whole(report, &mut whole).unwrap();
        (xml(report), String::from_utf8(whole).unwrap())
    }

    #[test]
    fn the_streamed_document_is_the_whole_documents_bytes() {
        use shipgate_core::{GateVerdict, PlanVerdict, SourceSpan, Verdict};
        let mut report = Report::new(vec![".".into()]);
        assert_eq!(streamed_and_whole(&report).0, streamed_and_whole(&report).1);

        let at = |path: &str, line: u32| {
            let mut location = Location::file(path);
            location.span = Some(SourceSpan::line(line));
            location
        };
        let finding = |rule: &str, severity, category, message: &str, location| {
            let mut f = Finding::new(rule, severity, category, message, location);
            f.help = Some("do <this> & \"that\"".into());
            f
        };
        // Rules interleaved in path order, as findings come from a scan.
        report.findings = vec![
            finding(
                "k8s/b",
                Severity::Warning,
                Category::Security,
                "one",
                at("a.yaml", 3),
            ),
            finding(
                "k8s/a",
                Severity::Info,
                Category::Efficiency,
                "hint",
                at("a.yaml", 4),
            ),
            finding(
                "syntax/yaml",
                Severity::Error,
                Category::Correctness,
                "cannot <parse>",
                Location::file("b.yaml"),
            ),
            finding(
                "k8s/b",
                Severity::Error,
                Category::Security,
                "two\nlines ]]>",
                at("c.yaml", 1),
            ),
        ];
        report.suppressed = vec![SuppressedFinding {
            finding: finding(
                "k8s/a",
                Severity::Warning,
                Category::Security,
                "quiet",
                at("d.yaml", 2),
            ),
            by: "inline".into(),
            reason: Some("accepted risk".into()),
        }];
        let (streamed, whole) = streamed_and_whole(&report);
        assert_eq!(streamed, whole);
        assert!(streamed.contains(r#"name="k8s/b" tests="2""#), "{streamed}");

        report.plan = Some(PlanVerdict {
            plan: "plan.toml".into(),
            verdict: Verdict::Fail,
            phases: Vec::new(),
            gates: vec![GateVerdict {
                address: "ci/green".into(),
                phase: "ci".into(),
                title: "CI is green".into(),
                required: true,
                verdict: Verdict::Fail,
                source: Some("plan.toml".into()),
                checks: Vec::new(),
            }],
            exposures: Vec::new(),
        });
        let (streamed, whole) = streamed_and_whole(&report);
        assert_eq!(streamed, whole);
        report.findings.clear();
        report.suppressed.clear();
        let (streamed, whole) = streamed_and_whole(&report);
        assert_eq!(streamed, whole);
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
