//! Schema validation on a set of broken manifests, each finding at its exact
//! position (`fixtures/schema/expected.txt`), and a cross-check against
//! `kubernetes-validate --strict`: every object it rejects must be rejected
//! here too.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use shipgate_core::Finding;
use shipgate_rules::{ArtifactKind, Engine, EngineConfig};
use shipgate_syntax::yaml::{self, Limits, Schema};

const RULES: &[&str] = &[
    "k8s/schema-unknown-field",
    "k8s/schema-invalid",
    "k8s/unknown-kind",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema")
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

/// The schema findings on `files`, with every CRD among them known first,
/// as a scan does.
fn check(files: &[PathBuf], base: &Path) -> Vec<(String, Finding)> {
    let engine = Engine::new(EngineConfig {
        select: RULES.iter().map(|r| (*r).to_owned()).collect(),
        ..EngineConfig::default()
    })
    .expect("engine");
    let texts: Vec<(String, String)> = files
        .iter()
        .map(|f| {
            let shown = f
                .strip_prefix(base)
                .unwrap_or(f)
                .to_string_lossy()
                .replace('\\', "/");
            (shown, fs::read_to_string(f).expect("read"))
        })
        .collect();
    for (shown, text) in &texts {
        engine.config().schemas.add_crds_from_text(shown, text);
    }
    let mut out = Vec::new();
    for (shown, text) in &texts {
        let kind = ArtifactKind::from_path(shown, false);
        for finding in engine.check_text(shown, text, kind).findings {
            if RULES.contains(&finding.rule.as_str()) {
                out.push((shown.clone(), finding));
            }
        }
    }
    out
}

#[test]
fn each_broken_manifest_is_reported_where_it_breaks() {
    let mut files = Vec::new();
    yaml_files(&fixtures(), &mut files);
    files.sort();
    let mut found: Vec<(String, u32, u32, String)> = check(&files, &fixtures())
        .into_iter()
        .map(|(file, f)| {
            let span = f.location.span.expect("a position");
            let what = format!("{} {}", f.rule, f.message);
            (file, span.start.line, span.start.column, what)
        })
        .collect();
    found.sort();
    let found: Vec<String> = found
        .into_iter()
        .map(|(file, line, column, what)| format!("{file}:{line}:{column} {what}"))
        .collect();
    let expected = fs::read_to_string(fixtures().join("expected.txt")).expect("expected.txt");
    let expected: Vec<&str> = expected
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let found: Vec<&str> = found.iter().map(String::as_str).collect();
    assert_eq!(found, expected, "\n{}", found.join("\n"));
}

/// Where the reference validator is: `scripts/test` makes a virtual
/// environment for it and says where. Outside that script the cross-check
/// is skipped unless CI asks for it.
fn reference_validator() -> Option<PathBuf> {
    match std::env::var_os("SHIPGATE_KUBERNETES_VALIDATE") {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(
                path.is_file(),
                "SHIPGATE_KUBERNETES_VALIDATE={} does not exist; run scripts/test",
                path.display()
            );
            Some(path)
        }
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "SHIPGATE_KUBERNETES_VALIDATE is not set; scripts/test sets it"
            );
            eprintln!("kubernetes-validate cross-check skipped: run scripts/test");
            None
        }
    }
}

#[test]
fn every_object_kubernetes_validate_rejects_is_rejected_here() {
    let Some(validator) = reference_validator() else {
        return;
    };
    let root = workspace();
    let mut files = Vec::new();
    for dir in ["crates/shipgate-rules/tests/fixtures", "examples"] {
        yaml_files(&root.join(dir), &mut files);
    }
    files.sort();
    let shown = |f: &Path| {
        f.strip_prefix(&root)
            .unwrap_or(f)
            .to_string_lossy()
            .replace('\\', "/")
    };
    // Only well-formed YAML of Kubernetes objects: compose files, workflows,
    // kustomizations and chart templates are not objects, and one file the
    // reference cannot parse stops its whole run.
    files.retain(|f| {
        let text = fs::read_to_string(f).unwrap_or_default();
        let stream = yaml::parse(&text, Schema::Yaml11, Limits::default());
        matches!(
            ArtifactKind::from_path(&shown(f), false),
            ArtifactKind::Yaml | ArtifactKind::Kubernetes
        ) && !text.contains("{{")
            && stream.errors.is_empty()
            && (0..stream.documents.len()).any(|i| {
                stream
                    .root(i)
                    .is_some_and(|r| r.get("apiVersion").is_some() && r.get("kind").is_some())
            })
    });

    let output = Command::new(&validator)
        .current_dir(&root)
        .args(["--strict", "--quiet", "--no-warn", "-k", "1.35"])
        .args(files.iter().map(|f| shown(f)))
        .output()
        .expect("kubernetes-validate runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    // ERROR FILE did not validate for resource KIND/NAME against version V: PATH: MESSAGE
    let mut rejected = BTreeSet::new();
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix("ERROR ") else {
            continue;
        };
        // Documents it cannot read as objects (no name, not a mapping) are
        // not rejections of an object.
        let Some((file, rest)) = rest.split_once(" did not validate for resource ") else {
            assert!(
                line.contains(" could not be validated: "),
                "unexpected kubernetes-validate output: {line}"
            );
            continue;
        };
        let (resource, _) = rest.split_once(' ').unwrap_or((rest, ""));
        rejected.insert((file.to_owned(), resource.to_owned(), line.to_owned()));
    }
    assert!(
        !rejected.is_empty(),
        "kubernetes-validate rejected nothing; is it working?\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let ours: BTreeSet<(String, String)> = check(&files, &root)
        .into_iter()
        .filter(|(_, f)| f.rule != "k8s/unknown-kind")
        .map(|(file, f)| {
            // `Kind/namespace/name > field`
            let object = f.location.logical.split(" > ").next().unwrap_or("");
            let mut parts = object.split('/');
            let kind = parts.next().unwrap_or("").to_lowercase();
            let name = parts.nth(1).unwrap_or("");
            (file, format!("{kind}/{name}"))
        })
        .collect();
    let missed: Vec<&str> = rejected
        .iter()
        .filter(|(file, resource, _)| !ours.contains(&(file.clone(), resource.clone())))
        .map(|(_, _, line)| line.as_str())
        .collect();
    assert!(
        missed.is_empty(),
        "kubernetes-validate rejects objects this does not:\n{}",
        missed.join("\n")
    );
    eprintln!(
        "kubernetes-validate rejected {} objects; all rejected here too",
        rejected.len()
    );
}
