//! The SBOM of a tree holding every supported lockfile format: valid against
//! the official CycloneDX 1.6 schema, consistent, deterministic, and robust to
//! a broken lockfile.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use shipgate_sbom::{Level, LockfileKind, Scan, Subject, build, scan, scan_sources, to_json};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn subject() -> Subject {
    Subject {
        name: "monorepo".into(),
        version: "3.1.0".into(),
        timestamp: time::macros::datetime!(2026-11-03 10:15:00 UTC),
        tool_name: "shipgate".into(),
        tool_version: "0.1.0".into(),
    }
}

/// (fixture, place in the tree)
const TREE: &[(&str, &str)] = &[
    ("cargo/v4.Cargo.lock", "Cargo.lock"),
    ("cargo/v1.Cargo.lock", "tools/legacy/Cargo.lock"),
    ("npm/v3/package-lock.json", "web/package-lock.json"),
    ("npm/v1/package-lock.json", "billing/package-lock.json"),
    ("pnpm/v9/pnpm-lock.yaml", "apps/admin/pnpm-lock.yaml"),
    ("pnpm/v5/pnpm-lock.yaml", "apps/site/pnpm-lock.yaml"),
    ("yarn/berry/yarn.lock", "apps/docs/yarn.lock"),
    ("yarn/v1/yarn.lock", "apps/old/yarn.lock"),
    ("poetry/v2/poetry.lock", "api/poetry.lock"),
    ("uv/uv.lock", "worker/uv.lock"),
    ("requirements/requirements.txt", "api/requirements.txt"),
    (
        "requirements/requirements/dev.txt",
        "api/requirements/dev.txt",
    ),
    ("go/go.sum", "proxy/go.sum"),
    // Installed copies: never read.
    (
        "npm/v1/package-lock.json",
        "web/node_modules/left-pad/package-lock.json",
    ),
    ("go/go.sum", "proxy/vendor/x/go.sum"),
];

fn make_tree(entries: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (from, to) in entries {
        let dest = dir.path().join(to);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(fixtures().join(from), &dest).unwrap();
    }
    dir
}

fn validator() -> jsonschema::Validator {
    struct Local(BTreeMap<String, Value>);
    impl jsonschema::Retrieve for Local {
        fn retrieve(
            &self,
            uri: &jsonschema::Uri<String>,
        ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
            let name = uri.as_str().rsplit('/').next().unwrap_or_default();
            self.0
                .get(name)
                .cloned()
                .ok_or_else(|| format!("no local copy of {uri}").into())
        }
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schema");
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
    };
    let mut refs = BTreeMap::new();
    for name in ["spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json"] {
        refs.insert(name.to_string(), read(name));
    }
    jsonschema::options()
        .should_validate_formats(true)
        .with_retriever(Local(refs))
        .build(&read("bom-1.6.SNAPSHOT.schema.json"))
        .unwrap()
}

fn schema_errors(bom: &Value) -> Vec<String> {
    validator()
        .iter_errors(bom)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn every_format_in_one_tree_validates_against_cyclonedx_1_6() {
    let tree = make_tree(TREE);
    let scan = scan(tree.path());
    let errors: Vec<String> = scan.errors().map(ToString::to_string).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let paths: Vec<&str> = scan.lockfiles.iter().map(|l| l.path.as_str()).collect();
    assert_eq!(paths.len(), 13, "{paths:#?}");
    assert!(
        paths
            .iter()
            .all(|p| !p.contains("node_modules") && !p.contains("vendor"))
    );
    let kinds: BTreeSet<LockfileKind> = scan.lockfiles.iter().map(|l| l.kind).collect();
    assert_eq!(kinds.len(), LockfileKind::ALL.len());

    let text = to_json(&build(&scan, &subject()));
    assert!(text.ends_with("}\n"));
    let bom: Value = serde_json::from_str(&text).unwrap();
    let errors = schema_errors(&bom);
    assert!(errors.is_empty(), "{errors:#?}");
    // The validator does reject what 1.6 forbids, so its silence means something.
    let mut broken = bom.clone();
    broken["components"][0]["scope"] = "sometimes".into();
    broken["serialNumber"] = "urn:uuid:not-a-uuid".into();
    assert_eq!(
        schema_errors(&broken).len(),
        2,
        "{:#?}",
        schema_errors(&broken)
    );

    // bom-refs are unique, and every reference names one.
    let components = bom["components"].as_array().unwrap();
    let mut refs = BTreeSet::new();
    for c in components {
        assert!(refs.insert(c["bom-ref"].as_str().unwrap()), "duplicate {c}");
        assert_eq!(c["bom-ref"], c["purl"]);
    }
    refs.insert(bom["metadata"]["component"]["bom-ref"].as_str().unwrap());
    let deps = bom["dependencies"].as_array().unwrap();
    assert!(!deps.is_empty());
    for d in deps {
        assert!(refs.contains(d["ref"].as_str().unwrap()), "{d}");
        for target in d["dependsOn"].as_array().unwrap() {
            assert!(refs.contains(target.as_str().unwrap()), "{target} in {d}");
        }
    }

    // Sorted canonically.
    let purls: Vec<&str> = components
        .iter()
        .map(|c| c["purl"].as_str().unwrap())
        .collect();
    let mut sorted = purls.clone();
    sorted.sort();
    assert_eq!(purls, sorted);

    // ms@2.1.3 is in three lockfiles: one component naming all three.
    let ms: Vec<&Value> = components
        .iter()
        .filter(|c| c["purl"] == "pkg:npm/ms@2.1.3")
        .collect();
    assert_eq!(ms.len(), 1);
    let sources: Vec<&str> = ms[0]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["name"], "shipgate:lockfile");
            p["value"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        sources,
        [
            "apps/docs/yarn.lock",
            "billing/package-lock.json",
            "web/package-lock.json"
        ]
    );

    let counts = scan.counts();
    assert_eq!(counts.len(), 4, "{counts:?}");
    assert!(scan.summary().starts_with(&format!(
        "sbom: {} components from 13 lockfiles (",
        components.len()
    )));
}

#[test]
fn component_fields_follow_cyclonedx_conventions() {
    let tree = make_tree(TREE);
    let bom: Value =
        serde_json::from_str(&to_json(&build(&scan(tree.path()), &subject()))).unwrap();
    let find = |purl: &str| -> Value {
        bom["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["purl"] == purl)
            .unwrap_or_else(|| panic!("{purl} missing"))
            .clone()
    };
    let types_node = find("pkg:npm/%40types/node@20.11.5");
    assert_eq!(types_node["group"], "@types");
    assert_eq!(types_node["name"], "node");
    assert_eq!(types_node["scope"], "optional");
    assert_eq!(types_node["hashes"][0]["alg"], "SHA-512");
    let serde_json_c = find("pkg:cargo/serde_json@1.0.120");
    assert_eq!(serde_json_c["type"], "library");
    assert_eq!(
        serde_json_c["hashes"],
        serde_json::json!([{
            "alg": "SHA-256",
            "content": "4e0d21c9a8cae1235ad58a00c11cb40d4b1e5c784f1ef2c537876ed6ffd8b7c5"
        }])
    );
    let django = find("pkg:pypi/django@4.2.11");
    assert_eq!(django["name"], "django");
    find("pkg:golang/github.com/docker/docker@v24.0.9%2Bincompatible");
    // The repository's own packages are not components.
    assert!(
        bom["components"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] != "ledger-app" && c["name"] != "storefront")
    );
    assert_eq!(bom["metadata"]["component"]["type"], "application");
    assert_eq!(bom["metadata"]["timestamp"], "2026-11-03T10:15:00Z");
    assert_eq!(
        bom["metadata"]["tools"]["components"][0]["name"],
        "shipgate"
    );
    let root_deps = bom["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ref"] == "monorepo@3.1.0")
        .unwrap();
    let root_deps: Vec<&str> = root_deps["dependsOn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(root_deps.contains(&"pkg:cargo/serde_json@1.0.120"));
    assert!(
        root_deps.contains(&"pkg:npm/escape-html@1.0.3"),
        "the workspace's dependency"
    );
    assert!(root_deps.contains(&"pkg:pypi/requests@2.32.3"));
}

#[test]
fn two_runs_write_identical_bytes() {
    let tree = make_tree(TREE);
    let first = to_json(&build(&scan(tree.path()), &subject()));
    let second = to_json(&build(&scan(tree.path()), &subject()));
    assert_eq!(first, second);
    // The serial number is bound to the content: another version, another serial.
    let mut next = subject();
    next.version = "3.1.1".into();
    let other = build(&scan(tree.path()), &next);
    let bom: Value = serde_json::from_str(&first).unwrap();
    assert_ne!(bom["serialNumber"].as_str().unwrap(), other.serial_number);
}

#[test]
fn a_broken_lockfile_is_a_diagnostic_and_the_others_still_count() {
    let tree = make_tree(&[
        ("cargo/v3.Cargo.lock", "Cargo.lock"),
        ("go/go.sum", "proxy/go.sum"),
    ]);
    std::fs::create_dir_all(tree.path().join("web")).unwrap();
    std::fs::write(
        tree.path().join("web/package-lock.json"),
        "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"node_modules/ms\": {\"version\": }\n  }\n}\n",
    )
    .unwrap();
    std::fs::write(
        tree.path().join("pnpm-lock.yaml"),
        "lockfileVersion: '9.0'\npackages:\n  ms@2.1.3:\n    resolution: {integrity: [\n",
    )
    .unwrap();
    std::fs::write(tree.path().join("requirements.txt"), [0xff, 0xfe, 0x00]).unwrap();
    let scan = scan(tree.path());
    let errors: Vec<_> = scan.errors().collect();
    assert_eq!(errors.len(), 3, "{errors:#?}");
    let npm = errors
        .iter()
        .find(|d| d.path == "web/package-lock.json")
        .unwrap();
    assert_eq!((npm.line, npm.column.is_some()), (Some(4), true), "{npm}");
    assert!(
        npm.to_string().starts_with("web/package-lock.json:4:"),
        "{npm}"
    );
    let pnpm = errors.iter().find(|d| d.path == "pnpm-lock.yaml").unwrap();
    assert!(pnpm.line.is_some(), "{pnpm}");
    assert!(
        errors
            .iter()
            .any(|d| d.path == "requirements.txt" && d.message.contains("UTF-8"))
    );

    // Cargo.lock and go.sum still make it in.
    let counts = scan.counts();
    assert_eq!(counts.len(), 2, "{counts:?}");
    assert!(scan.components.iter().any(|c| c.name == "serde_json"));
    assert!(
        scan.components
            .iter()
            .any(|c| c.name == "github.com/pkg/errors")
    );
    let failed: Vec<&str> = scan
        .lockfiles
        .iter()
        .filter(|l| !l.parsed)
        .map(|l| l.path.as_str())
        .collect();
    assert_eq!(
        failed,
        [
            "pnpm-lock.yaml",
            "requirements.txt",
            "web/package-lock.json"
        ]
    );
    assert!(
        scan.summary().contains("from 2 lockfiles"),
        "{}",
        scan.summary()
    );
    assert!(
        scan.summary().contains("3 lockfiles unreadable"),
        "{}",
        scan.summary()
    );
    let bom: Value = serde_json::from_str(&to_json(&build(&scan, &subject()))).unwrap();
    assert!(schema_errors(&bom).is_empty());
}

#[test]
fn notes_do_not_stop_a_lockfile() {
    let text = std::fs::read(fixtures().join("requirements/requirements/dev.txt")).unwrap();
    let scan: Scan = scan_sources([("requirements/dev.txt", LockfileKind::Requirements, text)]);
    assert!(scan.errors().next().is_none());
    assert_eq!(scan.components.len(), 4);
    let notes: Vec<String> = scan
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Note)
        .map(ToString::to_string)
        .collect();
    assert!(
        notes.contains(
            &"requirements/dev.txt:5: note: `flask>=2.3` is not pinned with `==`; left out"
                .to_string()
        ),
        "{notes:#?}"
    );
}

#[test]
fn snapshot_of_a_small_tree() {
    let read = |rel: &str| std::fs::read(fixtures().join(rel)).unwrap();
    let scan = scan_sources([
        (
            "Cargo.lock",
            LockfileKind::Cargo,
            read("cargo/v1.Cargo.lock"),
        ),
        ("go.sum", LockfileKind::GoSum, read("go/go.sum")),
        (
            "web/yarn.lock",
            LockfileKind::Yarn,
            read("yarn/v1/yarn.lock"),
        ),
    ]);
    insta::assert_snapshot!(to_json(&build(&scan, &subject())));
}

#[test]
fn excluded_lockfiles_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let lock = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cargo/v3.Cargo.lock"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("tests/fixtures/app")).unwrap();
    std::fs::write(dir.path().join("Cargo.lock"), &lock).unwrap();
    std::fs::write(dir.path().join("tests/fixtures/app/Cargo.lock"), &lock).unwrap();
    std::fs::write(
        dir.path().join("tests/fixtures/app/package-lock.json"),
        "{ broken",
    )
    .unwrap();

    let all = shipgate_sbom::scan(dir.path());
    assert_eq!(all.lockfiles.len(), 3);
    assert!(all.errors().next().is_some());

    let kept =
        shipgate_sbom::scan_excluding(dir.path(), &["**/tests/fixtures/**".to_owned()]).unwrap();
    let paths: Vec<&str> = kept.lockfiles.iter().map(|l| l.path.as_str()).collect();
    assert_eq!(paths, ["Cargo.lock"]);
    assert!(kept.errors().next().is_none(), "{:?}", kept.diagnostics);
    assert!(shipgate_sbom::scan_excluding(dir.path(), &["a[".to_owned()]).is_err());
}
