//! SARIF 2.1.0, the format code-scanning services (GitHub, GitLab, Azure DevOps)
//! ingest.
//!
//! URIs are relative to the `SRCROOT` base so that a log made in CI matches the
//! repository checkout wherever it is. No source text is embedded (no `snippet`),
//! so nothing here needs redaction: messages come from the rules already redacted.

use std::collections::{BTreeMap, HashMap};
use std::io;

use serde_json::{Value, json};
use serde_sarif::sarif::{
    ArtifactLocation, Location as SarifLocation, LogicalLocation, Message,
    MultiformatMessageString, PhysicalLocation, PropertyBag, Region, ReportingConfiguration,
    ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif, Suppression, Tool,
    ToolComponent,
};
use shipgate_core::{
    Finding, Location, Report, ReportView, RuleSummary, Severity, SuppressedFinding,
};

use crate::RenderOptions;

/// The schema the log declares: OASIS's published SARIF 2.1.0 (errata 01), the one
/// the tests validate against.
pub(crate) const SARIF_SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The `uriBaseId` every artifact location is relative to.
const SRCROOT: &str = "SRCROOT";

/// Key of `partialFingerprints`. Versioned, so that a change in how fingerprints
/// are computed shows up as a new key rather than as every result being "new".
const FINGERPRINT_KEY: &str = "shipgate/v1";

const INFORMATION_URI: &str = "https://github.com/shipgate/shipgate";

pub(crate) fn render(
    report: &dyn ReportView,
    options: &RenderOptions,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let mut rules = Rules::new(report.head());
    let gate_findings = report
        .head()
        .plan
        .as_ref()
        .map(crate::gates::gate_findings)
        .unwrap_or_default();
    if report.head().plan.is_some() {
        rules.add(&crate::gates::gate_rule());
    }
    // A rule missing from the report's metadata (a contract slip upstream)
    // still needs a descriptor, and the table is written before the results.
    report.each_finding(&mut |finding| {
        rules.index_of(finding);
        Ok(())
    })?;
    report.each_suppressed(&mut |suppressed| {
        rules.index_of(&suppressed.finding);
        Ok(())
    })?;
    let envelope = serde_json::to_string_pretty(&envelope(report.head(), options, &rules))
        .map_err(io::Error::other)?;
    crate::splice::write_arrays(
        out,
        &envelope,
        &mut [("results", &mut |emit| {
            report.each_finding(&mut |finding| emit(&result(finding, &rules)))?;
            for finding in &gate_findings {
                emit(&result(finding, &rules))?;
            }
            report.each_suppressed(&mut |suppressed| emit(&suppressed_result(suppressed, &rules)))
        })],
    )?;
    out.write_all(b"\n")
}

/// The log without its results, which are written into it one by one.
fn envelope(report: &Report, options: &RenderOptions, rules: &Rules) -> Sarif {
    let mut driver = ToolComponent::builder()
        .name(report.tool.name.as_str())
        .build();
    driver.version = Some(report.tool.version.clone());
    driver.semantic_version = Some(report.tool.version.clone());
    driver.information_uri = Some(INFORMATION_URI.to_owned());
    driver.rules = Some(rules.descriptors.clone());

    let mut run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .build();
    run.results = Some(Vec::new());
    // Our columns count Unicode scalar values; SARIF's default is UTF-16 units.
    run.column_kind = Some(json!("unicodeCodePoints"));
    if let Some(root) = &options.root_uri {
        // SARIF requires a base URI to end with a slash, or relative URIs would
        // resolve against its parent.
        let mut root = root.clone();
        if !root.ends_with('/') {
            root.push('/');
        }
        run.original_uri_base_ids = Some(BTreeMap::from([(
            SRCROOT.to_owned(),
            ArtifactLocation {
                uri: Some(root),
                ..ArtifactLocation::default()
            },
        )]));
    }

    Sarif::builder()
        .schema(SARIF_SCHEMA_URI)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build()
}

/// The run's rule table, with each rule's index for `ruleIndex`.
struct Rules {
    descriptors: Vec<ReportingDescriptor>,
    index: HashMap<String, usize>,
}

impl Rules {
    fn new(report: &Report) -> Self {
        let mut rules = Rules {
            descriptors: Vec::with_capacity(report.rules.len()),
            index: HashMap::new(),
        };
        for rule in &report.rules {
            rules.add(rule);
        }
        rules
    }

    fn add(&mut self, rule: &RuleSummary) {
        if !self.index.contains_key(&rule.id) {
            self.index.insert(rule.id.clone(), self.descriptors.len());
            self.descriptors.push(descriptor(rule));
        }
    }

    /// The index of `finding`'s rule. A rule missing from the report's metadata
    /// (a contract slip upstream) still gets a minimal descriptor, because a
    /// `ruleIndex` pointing nowhere makes the whole log invalid for consumers.
    fn index_of(&mut self, finding: &Finding) -> usize {
        if let Some(&index) = self.index.get(&finding.rule) {
            return index;
        }
        let mut descriptor = ReportingDescriptor::builder()
            .id(finding.rule.as_str())
            .build();
        descriptor.default_configuration = Some(ReportingConfiguration {
            level: Some(json!(level(finding.severity))),
            ..ReportingConfiguration::default()
        });
        let index = self.descriptors.len();
        self.descriptors.push(descriptor);
        self.index.insert(finding.rule.clone(), index);
        index
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn result_level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
        Severity::Info => ResultLevel::Note,
    }
}

fn text(text: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(text).build()
}

fn descriptor(rule: &RuleSummary) -> ReportingDescriptor {
    let mut descriptor = ReportingDescriptor::builder().id(rule.id.as_str()).build();
    descriptor.short_description = Some(text(&rule.title));
    descriptor.full_description = Some(text(&rule.rationale));

    let mut help_text = rule.remediation.clone();
    let mut help_markdown = format!(
        "{}\n\n### Remediation\n\n{}",
        rule.rationale, rule.remediation
    );
    if !rule.references.is_empty() {
        help_text.push_str("\n\nReferences:");
        help_markdown.push_str("\n\n### References\n");
        for reference in &rule.references {
            help_text.push_str(&format!("\n- {reference}"));
            help_markdown.push_str(&format!("\n- <{reference}>"));
        }
    }
    let mut help = text(&help_text);
    help.markdown = Some(help_markdown);
    descriptor.help = Some(help);

    descriptor.default_configuration = Some(ReportingConfiguration {
        level: Some(json!(level(rule.severity))),
        ..ReportingConfiguration::default()
    });

    // Tags are what code-scanning UIs filter on: the category (GitHub treats the
    // `security` tag specially) and the peers' ids, so a team migrating from
    // Checkov or kube-linter can search for the id it knows.
    let mut tags = vec![rule.category.as_str().to_owned()];
    for alias in &rule.aliases {
        if !tags.contains(alias) {
            tags.push(alias.clone());
        }
    }
    descriptor.properties = Some(PropertyBag {
        tags: Some(tags),
        additional_properties: BTreeMap::from([(
            "category".to_owned(),
            Value::from(rule.category.as_str()),
        )]),
    });
    descriptor
}

fn result(finding: &Finding, rules: &Rules) -> SarifResult {
    let mut message = finding.message.clone();
    if let Some(help) = &finding.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let mut result = SarifResult::builder()
        .message(Message {
            text: Some(message),
            ..Message::default()
        })
        .build();
    result.rule_id = Some(finding.rule.clone());
    result.rule_index = rules
        .index
        .get(&finding.rule)
        .and_then(|index| i64::try_from(*index).ok());
    result.level = Some(result_level(finding.severity));
    result.locations = Some(vec![location(&finding.location, None)]);
    if let Some(revision) = &finding.location.revision {
        // SARIF locations have no place for a version: the region is in the
        // file as this commit has it, which the properties name.
        result.properties = Some(PropertyBag {
            additional_properties: BTreeMap::from([
                ("commit".to_owned(), Value::from(revision.commit.as_str())),
                (
                    "authorDate".to_owned(),
                    Value::from(revision.author_date.as_str()),
                ),
            ]),
            ..PropertyBag::default()
        });
    }
    if !finding.related.is_empty() {
        result.related_locations = Some(
            finding
                .related
                .iter()
                .enumerate()
                .map(|(id, related)| {
                    let mut location = location(&related.location, Some(&related.message));
                    location.id = i64::try_from(id).ok();
                    location
                })
                .collect(),
        );
    }
    if !finding.fingerprint.0.is_empty() {
        result.partial_fingerprints = Some(BTreeMap::from([(
            FINGERPRINT_KEY.to_owned(),
            finding.fingerprint.0.clone(),
        )]));
    }
    result
}

fn suppressed_result(suppressed: &SuppressedFinding, rules: &Rules) -> SarifResult {
    let mut result = result(&suppressed.finding, rules);
    // A baseline (or the configuration file) lives outside the artifact; every
    // other mechanism, ours or a peer's, is a comment or an annotation in it.
    let kind = match suppressed.by.as_str() {
        "baseline" | "config" | "cli" => "external",
        _ => "inSource",
    };
    let mut suppression = Suppression::builder().kind(json!(kind)).build();
    suppression.status = Some(json!("accepted"));
    suppression.justification = suppressed.reason.clone();
    let mut properties = PropertyBag::default();
    properties
        .additional_properties
        .insert("by".to_owned(), Value::from(suppressed.by.as_str()));
    suppression.properties = Some(properties);
    result.suppressions = Some(vec![suppression]);
    result
}

fn location(location: &Location, message: Option<&str>) -> SarifLocation {
    let physical = PhysicalLocation {
        artifact_location: Some(ArtifactLocation {
            uri: Some(encode_uri_path(&location.path)),
            uri_base_id: Some(SRCROOT.to_owned()),
            ..ArtifactLocation::default()
        }),
        region: location.span.and_then(|span| region(&span)),
        ..PhysicalLocation::default()
    };
    SarifLocation {
        physical_location: Some(physical),
        logical_locations: (!location.logical.is_empty()).then(|| {
            vec![LogicalLocation {
                fully_qualified_name: Some(location.logical.clone()),
                ..LogicalLocation::default()
            }]
        }),
        message: message.map(|text| Message {
            text: Some(text.to_owned()),
            ..Message::default()
        }),
        ..SarifLocation::default()
    }
}

/// The region of a span, or `None` when it has no usable line. A span without
/// extent (such as [`shipgate_core::SourceSpan::line`]) becomes a start line and
/// column with no end, which SARIF reads as "to the end of the line".
fn region(span: &shipgate_core::SourceSpan) -> Option<Region> {
    if span.start.line == 0 {
        return None;
    }
    let mut region = Region {
        start_line: Some(i64::from(span.start.line)),
        start_column: (span.start.column > 0).then(|| i64::from(span.start.column)),
        ..Region::default()
    };
    if span.end > span.start && span.start.column > 0 && span.end.column > 0 {
        region.end_line = Some(i64::from(span.end.line));
        region.end_column = Some(i64::from(span.end.column));
    }
    Some(region)
}

/// Percent-encodes a relative path for a URI reference. Only unreserved characters
/// and `/` stay as they are: a space or `#` would break the URI, and a `:` in the
/// first segment would make it read as a scheme. Windows separators become `/`.
pub(crate) fn encode_uri_path(path: &str) -> String {
    let mut uri = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                uri.push(char::from(byte));
            }
            b'\\' => uri.push('/'),
            other => uri.push_str(&format!("%{other:02X}")),
        }
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;
    use shipgate_core::{Category, Position, SourceSpan};

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(encode_uri_path("k8s/api.yaml"), "k8s/api.yaml");
        assert_eq!(encode_uri_path("my dir/a#b.yaml"), "my%20dir/a%23b.yaml");
        assert_eq!(encode_uri_path("c:x/ü.yaml"), "c%3Ax/%C3%BC.yaml");
        assert_eq!(encode_uri_path(r"dir\file"), "dir/file");
    }

    #[test]
    fn regions_skip_unknown_parts() {
        assert!(region(&SourceSpan::line(0)).is_none());
        let whole_line = region(&SourceSpan::line(4)).unwrap();
        assert_eq!(whole_line.start_line, Some(4));
        assert_eq!(whole_line.end_line, None);
        let span = SourceSpan {
            start: Position::new(2, 3),
            end: Position::new(2, 8),
            start_byte: 10,
            end_byte: 15,
        };
        let full = region(&span).unwrap();
        assert_eq!((full.end_line, full.end_column), (Some(2), Some(8)));
    }

    fn build(report: &Report, options: &RenderOptions) -> serde_json::Value {
        let mut out = Vec::new();
        render(report, options, &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn unknown_rules_get_a_descriptor() {
        let mut report = Report::new(vec![".".into()]);
        report.findings = vec![Finding::new(
            "x/unlisted",
            Severity::Warning,
            Category::Security,
            "m",
            Location::file("a"),
        )];
        let log = build(&report, &RenderOptions::default());
        let run = &log["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "x/unlisted");
        assert_eq!(run["results"][0]["ruleIndex"], 0);
        assert!(run.get("originalUriBaseIds").is_none());
    }

    #[test]
    fn root_uri_gets_a_trailing_slash() {
        let report = Report::new(vec![".".into()]);
        let options = RenderOptions {
            root_uri: Some("file:///work/repo".into()),
            ..RenderOptions::default()
        };
        let log = build(&report, &options);
        assert_eq!(
            log["runs"][0]["originalUriBaseIds"]["SRCROOT"]["uri"],
            "file:///work/repo/"
        );
    }
}
