//! The JSON format's documented schema: committed, current, and obeyed.

mod common;

use std::path::PathBuf;

use common::{render_to_string, sample_report};
use shipgate_report::{Format, RenderOptions, report_json_schema};

fn committed_schema_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/report.schema.json")
}

fn generated_schema_text() -> String {
    let mut text =
        serde_json::to_string_pretty(&report_json_schema()).expect("a schema serializes");
    text.push('\n');
    text
}

#[test]
fn committed_schema_is_current() {
    let path = committed_schema_path();
    let generated = generated_schema_text();
    if std::env::var_os("UPDATE_SCHEMAS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).expect("write docs/report.schema.json");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/report.schema.json is out of date with shipgate_core::Report; \
         regenerate it with `UPDATE_SCHEMAS=1 cargo test -p shipgate-report --test json_schema`"
    );
}

fn validator() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(committed_schema_path()).expect("docs/report.schema.json exists");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::options()
        .offline()
        .build(&schema)
        .expect("the schema compiles")
}

#[test]
fn rendered_json_obeys_the_schema() {
    let validator = validator();
    let output = render_to_string(&sample_report(), Format::Json, &RenderOptions::default());
    let instance: serde_json::Value = serde_json::from_str(&output).expect("json output parses");
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(instance["schema"], "shipgate.report/v1");
}

#[test]
fn the_schema_rejects_what_it_should() {
    // Guards against a vacuous schema that accepts anything.
    let validator = validator();
    let output = render_to_string(&sample_report(), Format::Json, &RenderOptions::default());
    let mut instance: serde_json::Value =
        serde_json::from_str(&output).expect("json output parses");
    instance["findings"][0]["severity"] = "fatal".into();
    assert!(!validator.is_valid(&instance));
}

#[test]
fn json_round_trips_to_the_same_report() {
    let report = sample_report();
    let output = render_to_string(&report, Format::Json, &RenderOptions::default());
    let parsed: shipgate_core::Report = serde_json::from_str(&output).expect("deserializes");
    assert_eq!(parsed, report);
}
