//! Helm charts through the real binary: each chart is rendered with helm,
//! once per values file, and what it deploys is judged at the template lines
//! that wrote it; a chart that is not rendered never passes silently.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use shipgate_rules::registry;

/// The folder of the helm the tests render with. scripts/test installs it
/// and says where; under scripts/test or CI a missing helm fails the tests.
fn helm_dir() -> Option<PathBuf> {
    let helm = match std::env::var_os("SHIPGATE_HELM") {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(
                path.is_file(),
                "SHIPGATE_HELM={} does not exist; run scripts/test",
                path.display()
            );
            Some(path)
        }
        None => std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("helm"))
                .find(|candidate| candidate.is_file())
        }),
    };
    if helm.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "helm is required: scripts/test installs it and sets SHIPGATE_HELM"
        );
        eprintln!("helm renderings not tested: run scripts/test");
    }
    helm.and_then(|h| h.parent().map(Path::to_path_buf))
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/helm-chart")
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn write(dir: &Path, path: &str, content: &str) {
    let full = dir.join(path);
    fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
    fs::write(full, content).expect("write");
}

/// A repository holding the fixture chart at `charts/web`.
fn shop() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixture(), &dir.path().join("charts/web"));
    dir
}

/// Runs `shipgate check --format json ARGS` in `dir` with `PATH` set to
/// `path` alone.
fn check_json(dir: &Path, args: &[&str], path: &Path) -> Value {
    let output = Command::cargo_bin("shipgate")
        .expect("binary")
        .current_dir(dir)
        .env("PATH", path)
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .expect("run");
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("json report")
}

fn findings<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

fn position(finding: &Value) -> (String, u64) {
    let location = &finding["location"];
    (
        location["path"].as_str().expect("path").to_owned(),
        location["span"]["start"]["line"].as_u64().expect("line"),
    )
}

/// The renderings that deploy a finding, as its related locations name them.
fn renderings(finding: &Value) -> Vec<String> {
    let mut all: Vec<String> = finding["related"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| {
            r["message"]
                .as_str()
                .is_some_and(|m| m.contains("rendering"))
        })
        .map(|r| r["location"]["path"].as_str().expect("path").to_owned())
        .collect();
    all.sort();
    all.dedup();
    all
}

#[test]
fn a_defect_only_the_prod_values_bring_is_reported_at_the_template_line() {
    let Some(helm) = helm_dir() else {
        return;
    };
    let dir = shop();
    let report = check_json(dir.path(), &["--select", "k8s/privileged-container"], &helm);
    let found = findings(&report, "k8s/privileged-container");
    assert_eq!(found.len(), 1, "{found:#?}");
    // `privileged: true` comes from values-prod.yaml through
    // `{{- toYaml .Values.securityContext | nindent 12 }}`.
    assert_eq!(
        position(found[0]),
        ("charts/web/templates/deployment.yaml".to_owned(), 33)
    );
    assert_eq!(renderings(found[0]), ["charts/web (values-prod.yaml)"]);
}

#[test]
fn a_defect_of_the_template_is_reported_once_naming_every_rendering() {
    let Some(helm) = helm_dir() else {
        return;
    };
    let dir = shop();
    let report = check_json(
        dir.path(),
        &["--select", "k8s/liveness-probe-missing,k8s/image-tag"],
        &helm,
    );
    let found = findings(&report, "k8s/liveness-probe-missing");
    assert_eq!(found.len(), 1, "{found:#?}");
    // The container's `- name: {{ .Chart.Name }}` line.
    assert_eq!(
        position(found[0]),
        ("charts/web/templates/deployment.yaml".to_owned(), 29)
    );
    assert_eq!(
        renderings(found[0]),
        ["charts/web (values-prod.yaml)", "charts/web (values.yaml)"]
    );
    // The image is pinned in both: the tag defaults to the appVersion.
    assert!(findings(&report, "k8s/image-tag").is_empty());
    // Templates are never judged as files of their own.
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .all(|f| f["rule"].as_str().is_some_and(|r| !r.starts_with("yaml/")))
    );
}

#[test]
fn findings_point_at_the_node_that_wrote_them() {
    let Some(helm) = helm_dir() else {
        return;
    };
    let dir = shop();
    let report = check_json(
        dir.path(),
        &[
            "--select",
            "k8s/image-tag,k8s/run-as-root-user",
            "--helm-set",
            "image.tag=latest",
            "--helm-set",
            "podSecurityContext.runAsUser=0",
        ],
        &helm,
    );
    let tags = findings(&report, "k8s/image-tag");
    assert_eq!(tags.len(), 1, "{tags:#?}");
    // The image line, from the quote that opens the value.
    let location = &tags[0]["location"];
    assert_eq!(
        position(tags[0]),
        ("charts/web/templates/deployment.yaml".to_owned(), 30)
    );
    assert_eq!(location["span"]["start"]["column"], 18);
    assert_eq!(
        renderings(tags[0]),
        [
            "charts/web (values-prod.yaml, --set image.tag=latest, --set podSecurityContext.runAsUser=0)",
            "charts/web (values.yaml, --set image.tag=latest, --set podSecurityContext.runAsUser=0)"
        ]
    );
    let root_user = findings(&report, "k8s/run-as-root-user");
    assert_eq!(root_user.len(), 1, "{root_user:#?}");
    // The pod's securityContext, written by its toYaml.
    assert_eq!(
        position(root_user[0]),
        ("charts/web/templates/deployment.yaml".to_owned(), 27)
    );
}

#[test]
fn values_files_from_the_command_line_join_every_rendering() {
    let Some(helm) = helm_dir() else {
        return;
    };
    let dir = shop();
    write(dir.path(), "ci/values.yaml", "replicaCount: 1\n");
    let report = check_json(
        dir.path(),
        &[
            "--select",
            "k8s/single-replica",
            "--helm-values",
            "ci/values.yaml",
        ],
        &helm,
    );
    let found = findings(&report, "k8s/single-replica");
    // Production autoscales, so only the default rendering runs one replica.
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        renderings(found[0]),
        ["charts/web (values.yaml, ci/values.yaml)"]
    );
    assert_eq!(
        position(found[0]),
        ("charts/web/templates/deployment.yaml".to_owned(), 9)
    );
}

#[test]
fn without_helm_every_chart_is_reported_and_nothing_passes_silently() {
    let dir = shop();
    let empty = tempfile::tempdir().expect("tempdir");
    let report = check_json(dir.path(), &[], empty.path());
    let found = findings(&report, "helm/not-rendered");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(position(found[0]), ("charts/web/Chart.yaml".to_owned(), 2));
    let message = found[0]["message"].as_str().expect("message");
    assert!(message.contains("install helm"), "{message}");
    assert!(
        message.contains("helm template web charts/web | shipgate check -"),
        "{message}"
    );
    assert!(findings(&report, "k8s/privileged-container").is_empty());
}

/// A helm that records how it was run and renders one object.
fn recording_helm(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).expect("mkdir");
    let log = dir.join("helm.log");
    let script = format!(
        "#!/bin/sh\n{{ echo \"ARGS $*\"; env; ls -A \"$HELM_PLUGINS\" | sed 's/^/PLUGIN /'; }} >> '{}'\n\
         printf -- '---\\n# Source: web/templates/configmap.yaml\\napiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: web\\n'\n",
        log.display()
    );
    let helm = bin.join("helm");
    fs::write(&helm, script).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&helm, fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    bin
}

#[cfg(unix)]
#[test]
fn helm_runs_sandboxed_and_never_fetches() {
    let work = tempfile::tempdir().expect("tempdir");
    let bin = recording_helm(work.path());
    let dir = shop();
    let report = check_json(dir.path(), &["--select", "k8s/*,helm/*"], &bin);
    assert!(
        findings(&report, "helm/render-failed").is_empty(),
        "{report:#}"
    );
    let log = fs::read_to_string(work.path().join("helm.log")).expect("helm ran");
    let runs: Vec<&str> = log.lines().filter(|l| l.starts_with("ARGS ")).collect();
    assert_eq!(runs.len(), 2, "{log}");
    for run in &runs {
        assert!(run.starts_with("ARGS template web /"), "{run}");
        assert!(run.contains("--skip-tests"), "{run}");
        for refused in [
            "dependency",
            "--post-renderer",
            "--dependency-update",
            "repo",
        ] {
            assert!(!run.contains(refused), "{run}");
        }
    }
    assert!(runs.iter().any(|r| r.contains("values-prod.yaml")), "{log}");
    // Nothing of the caller's environment reaches helm, and it has no plugins.
    assert!(!log.contains("PLUGIN "), "{log}");
    assert!(!log.contains("CARGO"), "{log}");
    for line in log.lines().filter(|l| l.contains('=')) {
        let (name, value) = line.split_once('=').expect("name=value");
        match name {
            "HELM_CACHE_HOME" | "HELM_CONFIG_HOME" | "HELM_DATA_HOME" | "HELM_PLUGINS" | "HOME" => {
                assert!(value.contains("shipgate-helm-"), "{line}");
            }
            "HTTP_PROXY" | "HTTPS_PROXY" | "http_proxy" | "https_proxy" => {
                assert_eq!(value, "http://127.0.0.1:9");
            }
            _ => {}
        }
    }

    // A chart whose dependency is not vendored is reported, never rendered.
    fs::remove_file(work.path().join("helm.log")).expect("rm");
    let dir = shop();
    let chart = dir.path().join("charts/web/Chart.yaml");
    let mut text = fs::read_to_string(&chart).expect("Chart.yaml");
    text.push_str(
        "dependencies:\n  - name: redis\n    version: 19.6.4\n    repository: https://charts.example.com\n",
    );
    fs::write(&chart, text).expect("write");
    let report = check_json(dir.path(), &["--select", "helm/not-rendered"], &bin);
    let found = findings(&report, "helm/not-rendered");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(position(found[0]), ("charts/web/Chart.yaml".to_owned(), 8));
    assert!(
        found[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("`redis`") && m.contains("helm dependency build")),
        "{found:#?}"
    );
    assert!(!work.path().join("helm.log").exists(), "helm was run");

    // Nor is a chart holding a link out of the scanned tree: helm would
    // follow it into the rendering.
    let outside = tempfile::tempdir().expect("tempdir");
    write(outside.path(), "secret.txt", "hunter2\n");
    let dir = shop();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        dir.path().join("charts/web/files.txt"),
    )
    .expect("symlink");
    let report = check_json(dir.path(), &["--select", "helm/not-rendered"], &bin);
    let found = findings(&report, "helm/not-rendered");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("charts/web/files.txt") && m.contains("outside")),
        "{found:#?}"
    );
    assert!(!work.path().join("helm.log").exists(), "helm was run");
}

#[test]
fn a_chart_that_fails_to_render_is_an_error_at_the_line_helm_names() {
    let Some(helm) = helm_dir() else {
        return;
    };
    let dir = shop();
    write(
        dir.path(),
        "charts/web/templates/secret-ref.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: refs\ndata:\n  \
         url: {{ required \"config.checkoutUrl is required in production\" .Values.config.checkoutUrl }}\n",
    );
    write(
        dir.path(),
        "charts/web/values-staging.yaml",
        "config:\n  checkoutUrl: http://checkout.staging\n",
    );
    let report = check_json(dir.path(), &["--select", "helm/render-failed"], &helm);
    let found = findings(&report, "helm/render-failed");
    // values.yaml and values-prod.yaml lack the value; staging sets it.
    assert_eq!(found.len(), 2, "{found:#?}");
    for finding in &found {
        assert_eq!(
            position(finding),
            ("charts/web/templates/secret-ref.yaml".to_owned(), 6)
        );
        let message = finding["message"].as_str().expect("message");
        assert!(
            message.contains("config.checkoutUrl is required in production"),
            "{message}"
        );
    }
    let messages: Vec<&str> = found.iter().filter_map(|f| f["message"].as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("charts/web (values.yaml)"))
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("charts/web (values-prod.yaml)"))
    );
}

/// The documented examples of the rendering rules, run as users meet them:
/// the example's file in a chart folder with whatever else it needs.
#[test]
fn every_helm_rendering_rule_example_behaves_as_documented() {
    let Some(helm) = helm_dir() else {
        return;
    };
    const CHART: &str = "apiVersion: v2\nname: web\nversion: 1.4.0\nappVersion: \"2.3.1\"\n";
    let mut failures = Vec::new();
    for id in ["helm/not-rendered", "helm/render-failed"] {
        let rule = registry().get(id).expect("registered");
        for (example, expected) in [(&rule.meta.failing, true), (&rule.meta.passing, false)] {
            let dir = tempfile::tempdir().expect("tempdir");
            if !example.file.ends_with("Chart.yaml") {
                write(dir.path(), "charts/web/Chart.yaml", CHART);
            }
            write(dir.path(), example.file, example.content);
            let report = check_json(dir.path(), &["--select", id], &helm);
            let raised = !findings(&report, id).is_empty();
            if raised != expected {
                failures.push(format!(
                    "{id}: {} example {}: {:#}",
                    if expected { "failing" } else { "passing" },
                    if expected {
                        "raised nothing"
                    } else {
                        "raised it"
                    },
                    report["findings"]
                ));
            }
        }
    }
    // Without helm, even the passing chart is reported as not rendered.
    let dir = tempfile::tempdir().expect("tempdir");
    let passing = &registry()
        .get("helm/not-rendered")
        .expect("rule")
        .meta
        .passing;
    write(dir.path(), passing.file, passing.content);
    let empty = tempfile::tempdir().expect("tempdir");
    let report = check_json(dir.path(), &["--select", "helm/not-rendered"], empty.path());
    if findings(&report, "helm/not-rendered").is_empty() {
        failures.push("helm/not-rendered: a chart passed without helm".into());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_suppression_comment_in_a_template_covers_what_it_renders() {
    let Some(helm) = helm_dir() else {
        return;
    };
    let dir = shop();
    let template = dir.path().join("charts/web/templates/deployment.yaml");
    let text = fs::read_to_string(&template).expect("template");
    let marked = text.replacen(
        "            {{- toYaml .Values.securityContext | nindent 12 }}",
        "            # shipgate:ignore k8s/privileged-container -- the debug image needs it\n            {{- toYaml .Values.securityContext | nindent 12 }}",
        1,
    );
    assert_ne!(marked, text, "the fixture's securityContext line moved");
    fs::write(&template, marked).expect("write");
    let report = check_json(dir.path(), &["--select", "k8s/privileged-container"], &helm);
    assert!(findings(&report, "k8s/privileged-container").is_empty());
    let suppressed = report["suppressed"].as_array().expect("suppressed");
    assert_eq!(suppressed.len(), 1, "{suppressed:#?}");
}
