use std::fs;

use shipgate_core::ReportView;

use super::*;

fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, content) in files {
        let full = dir.path().join(path);
        fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        fs::write(full, content).expect("write");
    }
    dir
}

fn names(root: &Path) -> Vec<(String, ArtifactKind)> {
    let (found, _) = discover(&[root.to_path_buf()]);
    let prefix = format!("{}/", display_path(root));
    found
        .into_iter()
        .map(|f| (f.display.trim_start_matches(&prefix).to_owned(), f.kind))
        .collect()
}

#[test]
fn honours_gitignore_sees_dot_folders_and_skips_dependencies() {
    let dir = tree(&[
        (".gitignore", "ignored.yaml\n"),
        ("ignored.yaml", "a: 1"),
        (".github/workflows/ci.yml", "on: push"),
        (".env", "A=1"),
        ("node_modules/x/deploy.yaml", "a: 1"),
        ("vendor/y/deploy.yaml", "a: 1"),
        ("k8s/deploy.yaml", "a: 1"),
        ("Dockerfile", "FROM scratch"),
    ]);
    let found = names(dir.path());
    let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            ".env",
            ".github/workflows/ci.yml",
            ".gitignore",
            "Dockerfile",
            "k8s/deploy.yaml"
        ]
    );
    assert!(found.contains(&(".github/workflows/ci.yml".into(), ArtifactKind::Workflow)));
    assert!(found.contains(&("Dockerfile".into(), ArtifactKind::Dockerfile)));
}

#[test]
fn classifies_helm_charts_from_the_whole_listing() {
    let dir = tree(&[
        ("charts/web/Chart.yaml", "name: web"),
        ("charts/web/values.yaml", "replicas: 2"),
        ("charts/web/templates/deploy.yaml", "{{ .Values.x }}"),
        ("other/values.yaml", "a: 1"),
    ]);
    let found = names(dir.path());
    assert!(found.contains(&("charts/web/Chart.yaml".into(), ArtifactKind::HelmChart)));
    assert!(found.contains(&("charts/web/values.yaml".into(), ArtifactKind::HelmValues)));
    assert!(found.contains(&(
        "charts/web/templates/deploy.yaml".into(),
        ArtifactKind::HelmTemplate
    )));
    assert!(found.contains(&("other/values.yaml".into(), ArtifactKind::Yaml)));
}

#[test]
fn the_walk_meets_each_file_once_in_report_order() {
    let dir = tree(&[
        ("k8s.yaml", ""),
        ("k8s-old/a.yaml", ""),
        ("k8s/z.yaml", ""),
        ("k8s/a/b.yaml", ""),
        ("a", ""),
    ]);
    let root = dir.path().to_path_buf();
    // Overlapping roots, as in `shipgate check . k8s`.
    let (found, _) = discover(&[root.clone(), root.join("k8s"), root.clone()]);
    let prefix = format!("{}/", display_path(&root));
    let paths: Vec<&str> = found
        .iter()
        .map(|f| f.display.trim_start_matches(&prefix))
        .collect();
    assert_eq!(
        paths,
        [
            "a",
            "k8s/a/b.yaml",
            "k8s/z.yaml",
            "k8s-old/a.yaml",
            "k8s.yaml"
        ]
    );
    assert!(
        found
            .windows(2)
            .all(|w| shipgate_core::PathOrder(&w[0].display)
                < shipgate_core::PathOrder(&w[1].display))
    );
}

#[cfg(unix)]
#[test]
fn survives_symlink_loops_and_never_follows_links_out_of_the_tree() {
    use std::os::unix::fs::symlink;
    let outside = tree(&[("secret.yaml", "password: hunter2")]);
    let dir = tree(&[("k8s/a.yaml", "a: 1")]);
    symlink(dir.path(), dir.path().join("k8s/loop")).expect("symlink");
    symlink(
        outside.path().join("secret.yaml"),
        dir.path().join("k8s/escape.yaml"),
    )
    .expect("symlink");
    symlink(
        dir.path().join("k8s/a.yaml"),
        dir.path().join("k8s/inside.yaml"),
    )
    .expect("symlink");
    let found = names(dir.path());
    let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["k8s/a.yaml", "k8s/inside.yaml"]);
}

#[test]
fn oversized_and_binary_files_are_skipped_with_a_diagnostic() {
    let dir = tree(&[
        ("big.yaml", &"a: 1\n".repeat(100)),
        ("bin.yaml", "\u{0}\u{1}\u{2}"),
    ]);
    let engine = Engine::new(shipgate_rules::EngineConfig {
        max_file_size: 100,
        ..Default::default()
    })
    .expect("engine");
    let report = scan(&engine, &[dir.path().to_path_buf()], None).unwrap();
    let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, ["io/file-too-large", "io/binary-file"]);
    assert_eq!(report.files.skipped, 2);
}

#[test]
fn project_roots_are_folders_with_git_or_a_readme() {
    let dir = tree(&[
        ("app/README.md", "# app"),
        ("k8s/a.yaml", "a: 1"),
        ("lib/.git/HEAD", "ref"),
    ]);
    let roots: Vec<PathBuf> = ["app", "k8s", "lib", "app/README.md"]
        .iter()
        .map(|r| dir.path().join(r))
        .collect();
    let found = repository_roots(&roots);
    let names: Vec<&str> = found.iter().filter_map(|r| r.rsplit('/').next()).collect();
    assert_eq!(names, ["app", "lib"]);
}

#[test]
fn a_file_root_is_checked_directly() {
    let dir = tree(&[("one.yaml", "a: [1\n")]);
    let engine = Engine::new(Default::default()).expect("engine");
    let report = scan(&engine, &[dir.path().join("one.yaml")], None).unwrap();
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].rule, "yaml/syntax-error");
}

/// The streamed report reads back, in canonical order, exactly the findings
/// the engine assembles in memory from the same outcomes, across more files
/// than one batch and with cross-object findings merged between them.
#[test]
fn spilled_findings_match_the_report_held_in_memory() {
    let mut files = Vec::new();
    for i in 0..(FILES_PER_BATCH + 37) {
        // Namespaces enough for the relation rules to be judged in several
        // groups, whose findings are written in several runs.
        let ns = i % 5;
        let manifest = format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\n  namespace: ns{ns}\n  \
             labels: {{app: a{i}}}\nspec:\n  containers:\n    - name: c\n      image: nginx\n"
        );
        let service = format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: s{i}\n  namespace: ns{ns}\n\
             spec:\n  selector: {{app: nothing{i}}}\n  ports: [{{port: 80}}]\n"
        );
        files.push((
            format!("k8s/{i:05}.yaml"),
            format!("{manifest}---\n{service}"),
        ));
    }
    files.push(("k8s/secret.env".into(), "# shipgate:ignore\n".into()));
    // Siblings whose names extend the folder's, which text order would put
    // before it.
    let broken = "apiVersion: v1\nkind: Pod\nmetadata: {name: [\n";
    files.push(("k8s-old/pod.yaml".into(), broken.into()));
    files.push(("k8s.yaml".into(), broken.into()));
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    let dir = tree(&borrowed);
    let engine = Engine::new(Default::default()).expect("engine");
    let roots = [dir.path().to_path_buf()];

    let streamed = scan_streaming(&engine, &roots, None, &ScanOptions::default());
    let (discovered, _) = discover(&roots);
    let held = engine.finish(
        vec![display_path(&roots[0])],
        check_files(&engine, &discovered),
        None,
    );

    let mut read = Vec::new();
    streamed
        .each_finding(&mut |f| {
            read.push(f.clone());
            Ok(())
        })
        .unwrap();
    assert!(read.len() > 2 * FILES_PER_BATCH, "{}", read.len());
    assert!(read.iter().any(|f| f.rule == "k8s/service-selects-nothing"));
    assert!(
        read.windows(2).all(|w| w[0].sort_key() <= w[1].sort_key()),
        "findings out of order"
    );
    assert_eq!(read, held.findings);
    assert_eq!(streamed.head().summary, held.summary);
    assert_eq!(streamed.head().rules, held.rules);
    assert_eq!(streamed.head().files, held.files);
}

#[test]
fn a_discovered_file_is_read_from_where_it_was_found() {
    let plain = Discovered::new(
        "./k8s/api.yaml".into(),
        "k8s/api.yaml".into(),
        ArtifactKind::Yaml,
        1,
    );
    assert_eq!(plain.path(), Path::new("k8s/api.yaml"));
    let elsewhere = Discovered::new(
        "/tmp/x/chart/Chart.yaml".into(),
        "chart/Chart.yaml".into(),
        ArtifactKind::HelmChart,
        1,
    );
    assert_eq!(elsewhere.path(), Path::new("/tmp/x/chart/Chart.yaml"));
    let windows = Discovered::new(
        r"k8s\api.yaml".into(),
        "k8s/api.yaml".into(),
        ArtifactKind::Yaml,
        1,
    );
    assert_eq!(windows.path(), Path::new(r"k8s\api.yaml"));
}
