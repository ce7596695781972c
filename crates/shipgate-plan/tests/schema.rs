//! `docs/shipgate.schema.json` is generated from the plan model; this test
//! fails when the committed file differs. `UPDATE_DOCS=1 cargo test -p
//! shipgate-plan --test schema` rewrites it.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

fn committed_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/shipgate.schema.json")
}

fn generated() -> String {
    let schema = schemars::schema_for!(shipgate_plan::Plan);
    serde_json::to_string_pretty(&schema).expect("serializes") + "\n"
}

#[test]
fn the_committed_schema_matches_the_model() {
    let text = generated();
    if ["UPDATE_DOCS", "UPDATE_SCHEMAS"]
        .iter()
        .any(|v| std::env::var_os(v).is_some())
    {
        std::fs::write(committed_path(), &text).expect("writes the schema");
        return;
    }
    let committed = std::fs::read_to_string(committed_path()).unwrap_or_default();
    assert!(
        committed == text,
        "docs/shipgate.schema.json is stale; run `UPDATE_DOCS=1 cargo test -p shipgate-plan --test schema`"
    );
}

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&generated()).expect("json");
    jsonschema::options()
        .offline()
        .build(&schema)
        .expect("the schema compiles")
}

/// The document as an editor validating TOML against the schema sees it:
/// TOML dates are strings.
fn as_json(text: &str) -> Value {
    fn convert(value: toml::Value) -> Value {
        match value {
            toml::Value::Datetime(d) => Value::String(d.to_string()),
            toml::Value::Array(items) => Value::Array(items.into_iter().map(convert).collect()),
            toml::Value::Table(table) => {
                Value::Object(table.into_iter().map(|(k, v)| (k, convert(v))).collect())
            }
            other => serde_json::to_value(other).expect("json"),
        }
    }
    convert(toml::from_str(text).expect("toml"))
}

#[test]
fn the_schema_accepts_what_the_model_accepts() {
    let validator = validator();
    let default = as_json(&shipgate_plan::default_plan_toml());
    let errors: Vec<String> = validator
        .iter_errors(&default)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let example = as_json(
        r#"
[owners.sre]
name = "SRE"
[[phase]]
id = "validate"
[[phase.gate]]
id = "checks"
[[phase.gate.check]]
command = ["make", "test"]
timeout = "15m"
[[phase.gate.check]]
file = "SECURITY.md"
matches = "security@"
[[phase.gate.check]]
probe = { kind = "http", url = "https://shop.example.com/health" }
[[phase.gate.check]]
rules = ["k8s"]
max = { warning = "any", info = 10 }
[[phase.gate.check]]
attestation = "Load test reviewed"
attesters = ["sre"]
max-age = "30d"
[[risk]]
id = "R1"
title = "Rollback fails"
likelihood = "low"
impact = "high"
mitigated-by = ["validate/checks"]
[[decision]]
id = "D1"
title = "Canary first"
date = "2026-02-09"
status = "accepted"
"#,
    );
    let errors: Vec<String> = validator
        .iter_errors(&example)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn the_schema_refuses_what_the_model_refuses() {
    let validator = validator();
    let mut plan = as_json(&shipgate_plan::default_plan_toml());
    plan["phase"][0]["gate"][0]["requird"] = json!(false);
    assert!(!validator.is_valid(&plan));

    let mixed = as_json(
        "[[phase]]\nid = \"a\"\n[[phase.gate]]\nid = \"g\"\n[[phase.gate.check]]\nrules = [\"k8s\"]\ntimeout = \"5m\"\n",
    );
    assert!(!validator.is_valid(&mixed));
}

#[test]
fn the_documented_example_is_a_valid_plan() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/plan.md");
    let doc = std::fs::read_to_string(path).expect("docs/plan.md");
    let start = doc.find("```toml\n").expect("an example") + "```toml\n".len();
    let end = start + doc[start..].find("```").expect("closed");
    let plan = shipgate_plan::parse_toml(&doc[start..end], "docs/plan.md")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plan.phases.len(), 5);
    assert_eq!(plan.waves().len(), 4);
    let errors: Vec<String> = validator()
        .iter_errors(&as_json(&doc[start..end]))
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
