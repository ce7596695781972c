//! `shipgate generate kubernetes` through the real binary, proven by other
//! tools: the kit and every overlay pass `shipgate check` with nothing at
//! warning or above, every overlay renders with `kubectl kustomize`, the
//! rendered objects pass kubernetes-validate in strict mode, the alerting
//! rules pass `promtool check rules`, and the chart passes
//! `helm lint --strict` and renders quietly with every values file.
//!
//! The tools are installed by scripts/test; a missing one fails the tests
//! with a message saying so rather than passing them unproven.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};

use assert_cmd::Command;
use serde_json::Value;

const ENVS: [&str; 3] = ["dev", "staging", "prod"];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shop() -> PathBuf {
    workspace().join("examples/shop/docker-compose.yml")
}

fn storefront() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/generate/compose.yaml")
}

/// A tool named by an environment variable scripts/test sets, else found
/// on PATH; its absence fails the test.
fn tool(var: &str, name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(var) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "{var}={} does not exist; run scripts/test",
            path.display()
        );
        return path;
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.is_file())
        })
        .unwrap_or_else(|| panic!("{name} is required: scripts/test installs it and sets {var}"))
}

fn kubectl() -> PathBuf {
    let kubectl = tool("SHIPGATE_KUBECTL", "kubectl");
    let version = Process::new(&kubectl)
        .args(["version", "--client"])
        .output()
        .expect("kubectl runs");
    assert!(
        String::from_utf8_lossy(&version.stdout).contains("Kustomize Version: v5"),
        "{} has no kustomize v5; run scripts/test",
        kubectl.display()
    );
    kubectl
}

/// PATH for `shipgate check`: helm and kubectl, so that charts and
/// overlays are rendered as a user's machine would.
fn tool_path() -> std::ffi::OsString {
    let dirs = [tool("SHIPGATE_HELM", "helm"), kubectl()]
        .into_iter()
        .filter_map(|t| t.parent().map(Path::to_path_buf))
        .collect::<Vec<_>>();
    std::env::join_paths(dirs).expect("PATH")
}

fn generate(from: &Path, out: &Path, extra: &[&str]) {
    let output = Command::cargo_bin("shipgate")
        .expect("binary")
        .args(["generate", "kubernetes", "--from"])
        .arg(from)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "generate failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `shipgate check --format json ARGS`, with `stdin` on standard input.
fn check(args: &[&str], dir: &Path, stdin: Option<&[u8]>) -> Value {
    let mut command = Command::cargo_bin("shipgate").expect("binary");
    command
        .current_dir(dir)
        .env("PATH", tool_path())
        .args(["check", "--format", "json"])
        .args(args);
    if let Some(stdin) = stdin {
        command.write_stdin(stdin.to_vec());
    }
    let output = command.output().expect("run");
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("json report")
}

/// Findings at warning or above, as `rule path:line message` lines.
fn loud(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| matches!(f["severity"].as_str(), Some("warning" | "error")))
        .map(|f| {
            format!(
                "{} {}:{} {}",
                f["rule"].as_str().unwrap_or("?"),
                f["location"]["path"].as_str().unwrap_or("?"),
                f["location"]["span"]["start"]["line"],
                f["message"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn render(overlay: &Path) -> Vec<u8> {
    let output = Process::new(kubectl())
        .arg("kustomize")
        .arg(overlay)
        .output()
        .expect("kubectl runs");
    assert!(
        output.status.success(),
        "kubectl kustomize {} failed: {}",
        overlay.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Documents of a rendered stream, split at `---` lines.
fn documents(stream: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in stream.lines() {
        if line == "---" {
            docs.push(String::new());
        } else {
            let last = docs.last_mut().expect("one");
            last.push_str(line);
            last.push('\n');
        }
    }
    docs.retain(|d| !d.trim().is_empty());
    docs
}

fn kind_of(doc: &str) -> &str {
    doc.lines()
        .find_map(|l| l.strip_prefix("kind: "))
        .unwrap_or("")
        .trim()
}

/// kubernetes-validate in strict mode on every object it has a schema for;
/// the prometheus-operator kinds are left to our own schemas, which
/// `shipgate check` applied already.
fn kubernetes_validate(rendered: &str, scratch: &Path) {
    let validator = tool("SHIPGATE_KUBERNETES_VALIDATE", "kubernetes-validate");
    let core: Vec<String> = documents(rendered)
        .into_iter()
        .filter(|d| !matches!(kind_of(d), "ServiceMonitor" | "PrometheusRule"))
        .collect();
    assert!(!core.is_empty());
    let file = scratch.join("rendered.yaml");
    fs::write(&file, core.join("---\n")).expect("write");
    let output = Process::new(validator)
        .args(["--strict", "--quiet", "--no-warn", "-k", "1.35"])
        .arg(&file)
        .output()
        .expect("kubernetes-validate runs");
    assert!(
        output.status.success(),
        "kubernetes-validate rejects the rendered objects:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The PrometheusRule's `spec`, as the rules file promtool reads.
fn promtool(rendered: &str, scratch: &Path) {
    let promtool = tool("SHIPGATE_PROMTOOL", "promtool");
    let rule = documents(rendered)
        .into_iter()
        .find(|d| kind_of(d) == "PrometheusRule")
        .expect("a PrometheusRule");
    let spec: String = rule
        .lines()
        .skip_while(|l| *l != "spec:")
        .skip(1)
        .take_while(|l| l.starts_with("  ") || l.is_empty())
        .map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l)))
        .collect();
    assert!(spec.starts_with("groups:"), "{spec}");
    let file = scratch.join("rules.yaml");
    fs::write(&file, spec).expect("write");
    let output = Process::new(promtool)
        .args(["check", "rules"])
        .arg(&file)
        .output()
        .expect("promtool runs");
    assert!(
        output.status.success(),
        "promtool check rules:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Everything a kit must pass, for one Compose file.
fn prove(from: &Path, extra: &[&str]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let kit = dir.path().join("kit");
    generate(from, &kit, extra);

    let whole = loud(&check(&["kit"], dir.path(), None));
    assert!(
        whole.is_empty(),
        "shipgate check kit:\n{}",
        whole.join("\n")
    );

    for env in ENVS {
        let rendered = render(&kit.join("overlays").join(env));
        let findings = loud(&check(&["-"], dir.path(), Some(&rendered)));
        assert!(
            findings.is_empty(),
            "kubectl kustomize overlays/{env} | shipgate check -:\n{}",
            findings.join("\n")
        );
        let text = String::from_utf8(rendered).expect("utf-8");
        kubernetes_validate(&text, dir.path());
        promtool(&text, dir.path());
    }
}

#[test]
fn the_example_kit_passes_every_check() {
    prove(&shop(), &["--public", "api"]);
}

#[test]
fn a_kit_of_nine_services_passes_every_check() {
    prove(&storefront(), &[]);
}

fn helm(args: &[&str], chart: &Path) -> Vec<u8> {
    let helm = tool("SHIPGATE_HELM", "helm");
    let home = tempfile::tempdir().expect("tempdir");
    let output = Process::new(helm)
        .args(args)
        .arg(chart)
        .env("HELM_CACHE_HOME", home.path().join("cache"))
        .env("HELM_CONFIG_HOME", home.path().join("config"))
        .env("HELM_DATA_HOME", home.path().join("data"))
        .stdin(Stdio::null())
        .output()
        .expect("helm runs");
    assert!(
        output.status.success(),
        "helm {} failed:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
fn the_chart_lints_strictly_and_renders_quietly_for_every_environment() {
    for (from, extra) in [(shop(), vec!["--public", "api"]), (storefront(), vec![])] {
        let dir = tempfile::tempdir().expect("tempdir");
        let kit = dir.path().join("kit");
        let mut args = vec!["--helm"];
        args.extend(extra);
        generate(&from, &kit, &args);
        let chart = kit.join("chart");
        helm(&["lint", "--strict"], &chart);
        for env in ENVS {
            let values = chart.join(format!("values-{env}.yaml"));
            let values = values.to_str().expect("utf-8 path");
            helm(&["lint", "--strict", "--values", values], &chart);
            let rendered = helm(&["template", "release", "--values", values], &chart);
            let findings = loud(&check(&["-"], dir.path(), Some(&rendered)));
            assert!(
                findings.is_empty(),
                "helm template -f values-{env}.yaml | shipgate check -:\n{}",
                findings.join("\n")
            );
            let text = String::from_utf8(rendered).expect("utf-8");
            kubernetes_validate(&text, dir.path());
            promtool(&text, dir.path());
        }
    }
}

fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).expect("read_dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).expect("inside");
                files.insert(
                    relative.to_string_lossy().into_owned(),
                    fs::read(&path).expect("read"),
                );
            }
        }
    }
    files
}

#[test]
fn generating_twice_gives_byte_identical_kits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    generate(&storefront(), &a, &["--helm"]);
    generate(&storefront(), &b, &["--helm"]);
    let (a, b) = (tree(&a), tree(&b));
    assert!(a.len() > 20, "{:?}", a.keys());
    assert_eq!(a, b);
}

#[test]
fn regenerating_removes_what_is_no_longer_generated_and_nothing_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kit = dir.path().join("kit");
    generate(&storefront(), &kit, &[]);
    assert!(kit.join("base/web.yaml").is_file());
    fs::write(kit.join("mine.txt"), "kept").expect("write");
    generate(&shop(), &kit, &[]);
    assert!(!kit.join("base/web.yaml").exists());
    assert!(kit.join("base/api.yaml").is_file());
    assert!(kit.join("mine.txt").is_file());
    let whole = loud(&check(&["kit"], dir.path(), None));
    assert!(whole.is_empty(), "{}", whole.join("\n"));
}

#[test]
fn a_malformed_compose_file_is_reported_at_its_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let compose = dir.path().join("compose.yaml");
    for (text, position) in [
        ("services:\n  api:\n    image: [oops\n", ":4:1:"),
        (
            "services:\n  api:\n    image: nginx:1.27\n  db: 12\n",
            ":4:7:",
        ),
        ("", ":1:1:"),
        ("services:\n  api:\n    command: run\n", ":2:"),
    ] {
        fs::write(&compose, text).expect("write");
        let output = Command::cargo_bin("shipgate")
            .expect("binary")
            .args(["generate", "kubernetes", "--from"])
            .arg(&compose)
            .arg("--out")
            .arg(dir.path().join("kit"))
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{text:?}: {stderr}");
        assert!(
            stderr.contains(&format!("compose.yaml{position}")),
            "{text:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!dir.path().join("kit").exists(), "nothing is written");
    }
}
