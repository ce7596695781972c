//! What the renderer does with input it cannot or will not render: a
//! diagnostic at the position, never a panic.

use shipgate_kustomize::{Diagnostic, MemoryLoader, Rendering, render};

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n";

fn run(files: &[(&str, &str)]) -> Rendering {
    render("app", &MemoryLoader::new(files.iter().copied()))
}

fn only(rendering: &Rendering) -> &Diagnostic {
    assert_eq!(
        rendering.diagnostics.len(),
        1,
        "{:#?}",
        rendering.diagnostics
    );
    &rendering.diagnostics[0]
}

fn at(d: &Diagnostic) -> (String, u32, u32, bool) {
    let span = d.span.expect("a position");
    (
        d.path.clone(),
        span.start.line,
        span.start.column,
        d.unsupported,
    )
}

#[test]
fn refuses_cycles() {
    let rendering = run(&[
        ("app/kustomization.yaml", "resources:\n  - ../other\n"),
        ("other/kustomization.yaml", "resources:\n  - ../app\n"),
    ]);
    let d = only(&rendering);
    assert!(d.message.contains("cycle"), "{d}");
    assert_eq!(at(d), ("other/kustomization.yaml".into(), 2, 5, false));
}

#[test]
fn remote_resources_and_plugins_are_unsupported() {
    let rendering = run(&[
        (
            "app/kustomization.yaml",
            "resources:\n  - https://github.com/acme/base//deploy?ref=v1\n  - web.yaml\nhelmCharts:\n  - name: redis\ntransformers:\n  - plugin.yaml\n",
        ),
        ("app/web.yaml", DEPLOYMENT),
    ]);
    assert_eq!(
        rendering.diagnostics.len(),
        3,
        "{:#?}",
        rendering.diagnostics
    );
    assert!(rendering.diagnostics.iter().all(|d| d.unsupported));
    assert!(rendering.has_unsupported());
    assert_eq!(rendering.errors().count(), 0);
    let mut lines: Vec<u32> = rendering
        .diagnostics
        .iter()
        .map(|d| d.span.unwrap().start.line)
        .collect();
    lines.sort();
    assert_eq!(lines, [2, 4, 6]);
    // What is supported is still rendered.
    assert_eq!(rendering.stream.documents.len(), 1);
}

#[test]
fn malformed_yaml_is_reported_at_its_position() {
    let rendering = run(&[
        ("app/kustomization.yaml", "resources:\n  - web.yaml\n"),
        (
            "app/web.yaml",
            "kind: Deployment\nmetadata: {name: [unclosed\n",
        ),
    ]);
    let d = &rendering.diagnostics[0];
    assert_eq!(d.path, "app/web.yaml");
    assert!(d.span.is_some_and(|s| s.start.line >= 2), "{d}");
    assert!(!d.unsupported);
}

#[test]
fn reports_what_kustomize_would_refuse() {
    let cases: &[(&str, &str, u32)] = &[
        ("resources:\n  - missing.yaml\n", "does not exist", 2),
        (
            "resources: [web.yaml]\npatches:\n  - path: ../outside.yaml\n",
            "outside",
            3,
        ),
        (
            "resources: [web.yaml]\npatches:\n  - patch: |-\n      - op: add\n        path: /x\n        value: 1\n",
            "needs a `target`",
            3,
        ),
        (
            "resources: [web.yaml]\npatches:\n  - patch: |-\n      kind: Deployment\n      metadata:\n        name: nothere\n",
            "no resource matches",
            4,
        ),
        ("resources: [web.yaml, web.yaml]\n", "already defined", 1),
        (
            "resources: [web.yaml]\ncommonLabels:\n  enabled: yes\n",
            "must be a string",
            3,
        ),
        (
            "resources: [web.yaml]\nfrobnicate: true\n",
            "unknown kustomization field",
            2,
        ),
        (
            "resources: [web.yaml]\nconfigMapGenerator:\n  - name: c\n    behavior: merge\n    literals: [A=1]\n",
            "needs an existing ConfigMap",
            3,
        ),
        (
            "resources: [web.yaml]\npatches:\n  - target: {kind: Deployment}\n    patch: |-\n      - op: remove\n        path: /spec/missing\n",
            "JSON patch",
            5,
        ),
    ];
    for (kustomization, message, line) in cases {
        let rendering = run(&[
            ("app/kustomization.yaml", kustomization),
            ("app/web.yaml", DEPLOYMENT),
            ("outside.yaml", DEPLOYMENT),
        ]);
        let d = only(&rendering);
        assert!(d.message.contains(message), "{kustomization}: {d}");
        assert!(!d.unsupported, "{d}");
        assert_eq!(
            d.span.map(|s| s.start.line),
            Some(*line),
            "{kustomization}: {d}"
        );
    }
}

#[test]
fn a_folder_without_a_kustomization_is_an_error() {
    let rendering = run(&[("app/web.yaml", DEPLOYMENT)]);
    let d = only(&rendering);
    assert!(d.message.contains("no kustomization file"), "{d}");
    assert_eq!(rendering.stream.documents.len(), 0);
}

#[test]
fn garbage_never_panics() {
    let inputs = [
        "",
        "---\n",
        "[1, 2]\n",
        "resources: 7\n",
        "resources: [{a: 1}]\n",
        "patches: [{path: 1}, {patch: 2}, {}]\n",
        "patches:\n  - patch: \"{\"\n",
        "patchesStrategicMerge: [\"kind: X\\nmetadata: {name: y}\\n\", 3]\n",
        "patchesJson6902: [{target: {kind: '('}, patch: '[]'}]\n",
        "images: [{}, {name: x}, 3]\nreplicas: [{name: x}, {count: a}]\n",
        "configMapGenerator: [{}, {name: c, literals: [nokey], files: [missing], envs: [missing.env]}]\n",
        "secretGenerator: [{name: s, behavior: frob}]\n",
        "labels: [{pairs: 3}, 4]\ncommonAnnotations: [1]\nnamespace: [x]\n",
        "sortOptions: {order: random}\n",
        "kind: Component\n",
        "components: [../nope, https://x/y]\n",
        "resources: [web.yaml]\npatches:\n  - target: {labelSelector: 'a in b'}\n    patch: '[]'\n",
        "resources: [list.yaml]\n",
        "replacements: [{source: {kind: X}}, {path: nope.yaml}, {path: ../x.yaml}, 3, {}]\n",
        "resources: [web.yaml]\nreplacements:\n  - source: {kind: Deployment, fieldPath: 'a.[b'}\n  - source: {kind: Deployment, fieldPath: spec.nope}\n  - source: {kind: Deployment, options: {delimiter: '-', index: 7}}\n  - source: {kind: Deployment, options: {delimiter: '-', index: -1}}\n  - source: {kind: Deployment}\n    targets:\n      - select: {kind: Deployment}\n        fieldPaths: [spec.missing, 'x.[y', spec.template]\n        options: {delimiter: '/', index: 3}\n      - {}\n",
    ];
    for text in inputs {
        let rendering = run(&[
            ("app/kustomization.yaml", text),
            ("app/web.yaml", DEPLOYMENT),
            (
                "app/list.yaml",
                "kind: List\nitems:\n  - kind: ConfigMap\n    metadata: {name: a}\n  - 3\n  - {kind: Secret}\n",
            ),
        ]);
        for d in &rendering.diagnostics {
            assert!(!d.message.is_empty(), "{text}");
        }
    }
}

#[test]
fn replacement_errors_point_at_the_entry() {
    let rendering = run(&[
        (
            "app/kustomization.yaml",
            "resources: [web.yaml]\nreplacements:\n  - source: {kind: Service}\n    targets: []\n  - source: {kind: Deployment}\n    targets:\n      - select: {kind: Deployment}\n        fieldPaths:\n          - spec.replicas\n",
        ),
        ("app/web.yaml", DEPLOYMENT),
    ]);
    let lines: Vec<u32> = rendering
        .diagnostics
        .iter()
        .map(|d| d.span.map_or(0, |s| s.start.line))
        .collect();
    assert_eq!(lines, [3, 9], "{:#?}", rendering.diagnostics);
    assert!(
        rendering.diagnostics[0]
            .message
            .contains("selects 0 objects")
    );
    assert!(
        rendering.diagnostics[1]
            .message
            .contains("no field `spec.replicas`")
    );
}

#[test]
fn list_kinds_are_unpacked() {
    let rendering = run(&[
        ("app/kustomization.yaml", "resources: [list.yaml]\n"),
        (
            "app/list.yaml",
            "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: a}\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: b}\n",
        ),
    ]);
    assert!(
        rendering.diagnostics.is_empty(),
        "{:#?}",
        rendering.diagnostics
    );
    assert_eq!(rendering.stream.documents.len(), 2);
    assert_eq!(
        rendering.inputs,
        ["app/kustomization.yaml", "app/list.yaml"]
    );
}

/// Every fixture file, keyed by its path under the fixtures folder.
fn fixture_tree() -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, base: &std::path::Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("fixtures")
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, base, out);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                let key = path.strip_prefix(base).expect("under base");
                out.push((key.to_string_lossy().replace('\\', "/"), text));
            }
        }
    }
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    walk(&base, &base, &mut out);
    out
}

#[test]
fn mutated_fixtures_never_panic() {
    const PIECES: &[&str] = &[
        "",
        "\n",
        ":",
        "- ",
        "[",
        "]",
        "{",
        "}",
        "'",
        "\"",
        "|",
        ">",
        "&a ",
        "*a",
        "!!str ",
        "$patch: delete\n",
        "\t",
        "null",
        "~",
        "..",
        "../../..",
        "/",
        "=",
        "0",
        "-1",
        "\u{e9}",
        "---\n",
        "#",
        "? ",
    ];
    let files = fixture_tree();
    let roots = [
        "shop/overlays/prod",
        "shop/overlays/dev",
        "edge/overlay",
        "replacements",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    };
    for round in 0..600 {
        let mut tree = files.clone();
        for _ in 0..3 {
            let (_, text) = &mut tree[next(files.len())];
            let mut at = next(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + next(8)).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.replace_range(at..end, PIECES[next(PIECES.len())]);
        }
        let loader = MemoryLoader::new(tree);
        let rendering = render(roots[round % roots.len()], &loader);
        for d in &rendering.diagnostics {
            assert!(!d.message.is_empty());
        }
    }
}
