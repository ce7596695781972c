//! SARIF output validated against the official OASIS SARIF 2.1.0 schema
//! (`tests/fixtures/sarif-schema-2.1.0.json`; see the README beside it).

mod common;

use common::{render_to_string, sample_report};
use serde_json::Value;
use shipgate_core::{
    Category, Finding, Location, Position, Report, Severity, SourceSpan, SuppressedFinding,
};
use shipgate_report::{Format, RenderOptions};

fn validator() -> jsonschema::Validator {
    let text = include_str!("fixtures/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_str(text).expect("the schema is JSON");
    // `offline`: every `$ref` in the schema is local; anything else must fail
    // rather than reach for the network. Formats (`uri`, `uri-reference`) are
    // checked too, which is what catches an unencoded path.
    jsonschema::options()
        .offline()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn errors(log: &Value) -> Vec<String> {
    validator()
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn sarif(report: &Report, options: &RenderOptions) -> Value {
    let output = render_to_string(report, Format::Sarif, options);
    serde_json::from_str(&output).expect("sarif output parses")
}

fn with_root() -> RenderOptions {
    RenderOptions {
        root_uri: Some("file:///src/shop/".to_owned()),
        ..RenderOptions::default()
    }
}

#[test]
fn sample_report_is_valid_sarif() {
    let report = sample_report();
    for options in [RenderOptions::default(), with_root()] {
        let log = sarif(&report, &options);
        let errors = errors(&log);
        assert!(errors.is_empty(), "{errors:#?}");
        assert_eq!(invalid_uris(&log), Vec::<String>::new());
    }
}

/// Every `uri` in the log. The schema declares them `uri-reference`, but that
/// format does not exist in draft-04, the schema's draft, so validators skip it:
/// the tests check it themselves with a draft-07 schema.
fn uris(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("uri", Value::String(uri)) => found.push(uri.clone()),
                    _ => uris(value, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| uris(item, found)),
        _ => {}
    }
}

fn invalid_uris(log: &Value) -> Vec<String> {
    let schema = serde_json::json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "string",
        "format": "uri-reference"
    });
    let validator = jsonschema::options()
        .offline()
        .should_validate_formats(true)
        .build(&schema)
        .expect("compiles");
    let mut found = Vec::new();
    uris(log, &mut found);
    assert!(!found.is_empty());
    found
        .into_iter()
        .filter(|uri| !validator.is_valid(&Value::from(uri.as_str())))
        .collect()
}

#[test]
fn the_validators_are_not_vacuous() {
    let mut log = sarif(&sample_report(), &with_root());
    log["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!errors(&log).is_empty());
    let mut log = sarif(&sample_report(), &with_root());
    log["runs"][0]["results"][0]["ruleIndex"] = (-5).into();
    assert!(!errors(&log).is_empty());
    let mut log = sarif(&sample_report(), &with_root());
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
        "has space/and#two#hashes".into();
    assert_eq!(invalid_uris(&log), ["has space/and#two#hashes"]);
}

#[test]
fn results_carry_what_code_scanning_needs() {
    let report = sample_report();
    let log = sarif(&report, &with_root());
    let run = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(run["tool"]["driver"]["name"], "shipgate");
    assert_eq!(
        run["originalUriBaseIds"]["SRCROOT"]["uri"],
        "file:///src/shop/"
    );

    let results = run["results"].as_array().expect("results");
    assert_eq!(
        results.len(),
        report.findings.len() + report.suppressed.len()
    );
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    for result in results {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert!(result["partialFingerprints"]["shipgate/v1"].is_string());
        let artifact = &result["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(artifact["uriBaseId"], "SRCROOT");
        assert!(!artifact["uri"].as_str().expect("uri").starts_with('/'));
    }

    let by_rule = |id: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == id)
            .unwrap_or_else(|| panic!("no result for {id}"))
    };
    // A finding with a span has a region; one without has none.
    let pinned = by_rule("compose/command-exec-form");
    assert_eq!(
        pinned["locations"][0]["physicalLocation"]["region"]["startLine"],
        4
    );
    let root_user = by_rule("docker/final-stage-root-user");
    assert!(
        root_user["locations"][0]["physicalLocation"]
            .get("region")
            .is_none()
    );
    // Related locations and logical locations.
    let selector = by_rule("k8s/service-selector-match");
    assert_eq!(
        selector["relatedLocations"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        selector["relatedLocations"][0]["message"]["text"],
        "the Deployment these pods come from"
    );
    let memory = by_rule("k8s/container-memory-limit");
    assert_eq!(
        memory["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "Deployment/shop/api > spec.template.spec.containers[api]"
    );
    // Suppressions, in source and external.
    let inline = by_rule("k8s/run-as-non-root");
    assert_eq!(inline["suppressions"][0]["kind"], "inSource");
    assert_eq!(
        inline["suppressions"][0]["justification"],
        "legacy image needs root; tracked in SHOP-12"
    );
    let baseline = by_rule("docker/healthcheck-missing");
    assert_eq!(baseline["suppressions"][0]["kind"], "external");
    // The path with a space is percent-encoded.
    let missing = results
        .iter()
        .find(|r| r["message"]["text"] == "image `charts/worker` has no tag")
        .expect("result");
    assert_eq!(
        missing["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "charts/missing%20dir/worker.yaml"
    );
    // Rule metadata.
    let pinned_rule = rules
        .iter()
        .find(|r| r["id"] == "k8s/image-tag-pinned")
        .expect("rule");
    assert_eq!(pinned_rule["shortDescription"]["text"], "Pin image tags");
    assert_eq!(pinned_rule["defaultConfiguration"]["level"], "error");
    let tags = pinned_rule["properties"]["tags"].as_array().expect("tags");
    assert!(tags.contains(&Value::from("checkov:CKV_K8S_14")));
    assert!(
        pinned_rule["help"]["markdown"]
            .as_str()
            .expect("markdown")
            .contains("How to fix")
    );
}

#[test]
fn odd_input_still_yields_valid_sarif() {
    let mut report = Report::new(vec![".".to_owned()]);
    let odd_spans = [
        SourceSpan::line(0),
        SourceSpan::default(),
        SourceSpan {
            start: Position::new(5, 0),
            end: Position::new(2, 0),
            start_byte: 9,
            end_byte: 3,
        },
        SourceSpan {
            start: Position::new(1, 1),
            end: Position::new(u32::MAX, u32::MAX),
            start_byte: 0,
            end_byte: u32::MAX,
        },
    ];
    let paths = [
        "",
        "a b/ü.yaml",
        "c:/weird:name.yaml",
        "100%/#?[x].yaml",
        r"win\dir\f.yaml",
    ];
    for (i, path) in paths.iter().enumerate() {
        for span in odd_spans {
            let mut finding = Finding::new(
                format!("x/rule-{i}"),
                Severity::Warning,
                Category::Security,
                "odd \u{1b}[31m message\nwith lines",
                Location::at(*path, span),
            );
            finding.related.push(shipgate_core::Related {
                location: Location::at(*path, span).with_logical("Kind/ns/name > a.b"),
                message: String::new(),
            });
            report.findings.push(finding.clone());
            report.suppressed.push(SuppressedFinding {
                finding,
                by: "checkov".to_owned(),
                reason: None,
            });
        }
    }
    // No rules metadata at all: the renderer must still produce valid indices.
    for options in [RenderOptions::default(), with_root()] {
        let log = sarif(&report, &options);
        let errors = errors(&log);
        assert!(errors.is_empty(), "{errors:#?}");
        assert_eq!(invalid_uris(&log), Vec::<String>::new());
    }
    let empty = sarif(&Report::new(Vec::new()), &RenderOptions::default());
    assert!(errors(&empty).is_empty());
}
