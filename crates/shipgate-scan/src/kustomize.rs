//! Kustomize overlays as deployed: each root kustomization of a scan is
//! rendered, natively when possible so that findings point at the line of
//! the base or patch that produced a node, otherwise with `kubectl
//! kustomize`.
//!
//! kubectl is run without `--enable-helm`, `--enable-alpha-plugins` or
//! `--enable-exec`, so nothing from the checked repository is executed, and
//! never for an overlay with remote resources. As a second fence it runs
//! with an empty environment: no `PATH` (so no `git` to clone with), and
//! HTTP proxies pointing at a closed loopback port, so a fetch that slips
//! past the first check fails instead of reaching the network.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rayon::prelude::*;
use shipgate_core::{Location, SourceSpan};
pub use shipgate_kustomize::Diagnostic;
use shipgate_kustomize::{KUSTOMIZATION_FILES, Loader, join, normalize};
use shipgate_rules::{Engine, FileOutcome, kustomize};
use shipgate_syntax::yaml::{self, Limits, OwnedNode, OwnedValue, Schema, Source, YamlStream};

use crate::Discovered;
use crate::sandbox::{self, Confined, find_on_path};

/// Files larger than this are not read while rendering.
const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;
/// How long `kubectl kustomize` may take for one overlay.
const KUBECTL_TIMEOUT: Duration = Duration::from_secs(60);
/// More output than any real overlay renders to.
const MAX_OUTPUT_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Native,
    Kubectl,
}

/// One root kustomization, rendered.
#[derive(Debug, Clone)]
pub struct RenderedOverlay {
    /// The kustomization file, as shown in reports.
    pub root: String,
    /// One document per object. Spans lead back to their files through
    /// [`YamlStream::origin`].
    pub stream: YamlStream,
    /// Every file the rendering read, as shown in reports.
    pub inputs: Vec<String>,
    /// Problems with the overlay (`unsupported: false`) and features that
    /// were not rendered natively (`unsupported: true`). A rendering by
    /// kubectl carries the reasons it was used and a note on positions: a
    /// node keeps its file and line where the native rendering produced the
    /// same node, and points at the kustomization file's first line
    /// otherwise. An empty stream with diagnostics means the overlay could
    /// not be rendered at all.
    pub diagnostics: Vec<Diagnostic>,
    pub via: Via,
}

/// How overlays are rendered when the native renderer is not enough.
#[derive(Debug, Clone)]
pub struct KustomizeOptions {
    /// The kubectl to fall back on; `None` when there is none.
    pub kubectl: Option<PathBuf>,
}

impl Default for KustomizeOptions {
    /// kubectl as found on `PATH`.
    fn default() -> Self {
        KustomizeOptions {
            kubectl: find_on_path("kubectl"),
        }
    }
}

pub(crate) fn is_kustomization(display: &str) -> bool {
    let name = display.rsplit('/').next().unwrap_or(display);
    KUSTOMIZATION_FILES.contains(&name)
}

fn parent(display: &str) -> &str {
    match display.rsplit_once('/') {
        Some((dir, _)) => dir,
        None => ".",
    }
}

/// The kustomization files of a scan that no other kustomization of the
/// scan consumes as a resource or component, components excepted: those
/// are what gets deployed. Sorted, as the files are.
pub fn kustomization_roots(files: &[Discovered]) -> Vec<String> {
    let mut kustomizations: Vec<(&Discovered, String)> = Vec::new();
    let mut seen_dirs = HashSet::new();
    for file in files.iter().filter(|f| is_kustomization(&f.display)) {
        let dir = normalize(parent(&file.display));
        // kustomize reads only the first of the names it knows.
        if seen_dirs.insert(dir.clone()) {
            kustomizations.push((file, dir));
        }
    }
    let mut consumed = HashSet::new();
    let mut components = HashSet::new();
    for (file, dir) in &kustomizations {
        let Ok(text) = read_limited(file.path()) else {
            continue;
        };
        let stream = yaml::parse(&text, Schema::Yaml11, Limits::default());
        let Some(root) = stream.root(0).filter(|r| r.is_map()) else {
            continue;
        };
        if root.get("kind").and_then(|k| k.as_str()) == Some("Component") {
            components.insert(dir.clone());
        }
        for key in ["resources", "bases", "components"] {
            for item in root.get(key).into_iter().flat_map(|l| l.items()) {
                if let Some(entry) = item.as_str() {
                    consumed.insert(join(dir, entry));
                }
            }
        }
    }
    kustomizations
        .into_iter()
        .filter(|(_, dir)| !consumed.contains(dir) && !components.contains(dir))
        .map(|(file, _)| file.display.clone())
        .collect()
}

/// The outcomes of one rendered overlay: its objects judged by every rule,
/// and whatever kept it from rendering fully, so a partial or failed
/// rendering never looks like a pass.
pub fn check_overlay(engine: &Engine, overlay: &RenderedOverlay) -> Vec<FileOutcome> {
    let mut outcomes = vec![engine.check_rendered(&overlay.root, &overlay.stream)];
    let at = |diagnostic: &Diagnostic| match diagnostic.span {
        Some(span) => Location::at(diagnostic.path.as_str(), span),
        None => Location::file(diagnostic.path.as_str()),
    };
    match overlay.via {
        Via::Kubectl => {
            let reasons: Vec<&str> = overlay
                .diagnostics
                .iter()
                .map(|d| d.message.as_str())
                .collect();
            outcomes.push(engine.rendering_problem(
                kustomize::RENDERED_BY_KUBECTL,
                Location::file(overlay.root.as_str()),
                format!("rendered by `kubectl kustomize`: {}", reasons.join("; ")),
            ));
        }
        Via::Native => {
            for diagnostic in &overlay.diagnostics {
                let (rule, message) = if diagnostic.unsupported {
                    (
                        kustomize::UNSUPPORTED,
                        format!(
                            "{}; this part of `{}` was not rendered, so what it produces was not checked",
                            diagnostic.message, overlay.root
                        ),
                    )
                } else {
                    (kustomize::RENDER_FAILED, diagnostic.message.clone())
                };
                outcomes.push(engine.rendering_problem(rule, at(diagnostic), message));
            }
        }
    }
    outcomes
}

/// Renders every root kustomization among `files`, found under `roots`.
pub fn render_overlays(roots: &[PathBuf], files: &[Discovered]) -> Vec<RenderedOverlay> {
    render_overlays_with(roots, files, &KustomizeOptions::default())
}

pub fn render_overlays_with(
    roots: &[PathBuf],
    files: &[Discovered],
    options: &KustomizeOptions,
) -> Vec<RenderedOverlay> {
    let loader = ScanLoader::new(roots);
    kustomization_roots(files)
        .par_iter()
        .map(|root| render_overlay(root, &loader, options))
        .collect()
}

/// Renders the kustomization whose file is `root` (a displayed path).
pub fn render_overlay(
    root: &str,
    loader: &ScanLoader,
    options: &KustomizeOptions,
) -> RenderedOverlay {
    let dir = parent(root);
    let tracked = Tracked {
        inner: loader,
        refused: AtomicBool::new(false),
    };
    let native = shipgate_kustomize::render(dir, &tracked);
    let mut overlay = RenderedOverlay {
        root: root.to_owned(),
        stream: native.stream,
        inputs: native.inputs,
        diagnostics: native.diagnostics,
        via: Via::Native,
    };
    let unsupported = overlay.diagnostics.iter().any(|d| d.unsupported);
    let first_error = overlay.diagnostics.iter().find(|d| !d.unsupported).cloned();
    if !unsupported && first_error.is_none() {
        return overlay;
    }
    let note = |message: String| Diagnostic {
        path: root.to_owned(),
        span: None,
        message,
        unsupported: true,
    };
    // kubectl is asked for a second opinion on features the native renderer
    // lacks, and on errors it may report where kustomize would not; never
    // where it would reach beyond the scanned tree.
    if overlay.diagnostics.iter().any(Diagnostic::is_remote) {
        overlay.diagnostics.push(note(
            "not rendered with kubectl either: it would fetch remote resources, which a check never does; \
             objects from remote bases are not checked"
                .into(),
        ));
        return overlay;
    }
    let outside = if tracked.refused.load(Ordering::Relaxed) {
        Some("a file".to_owned())
    } else {
        outside_entry(dir, loader).map(|p| format!("`{p}`"))
    };
    if let Some(what) = outside {
        if unsupported {
            overlay.diagnostics.push(note(format!(
                "not rendered with kubectl either: it would read {what} outside the scanned tree"
            )));
        }
        return overlay;
    }
    let Some(kubectl) = &options.kubectl else {
        if unsupported {
            overlay.diagnostics.push(note(
                "kubectl is not installed, so the features above were left out of the rendering; \
                 install kubectl for a complete one"
                    .into(),
            ));
        }
        return overlay;
    };
    let Some(directory) = loader.resolve(dir) else {
        return overlay;
    };
    match run_kubectl(kubectl, &directory) {
        Ok(output) => {
            overlay.stream = from_kubectl(root, loader, &output, &overlay.stream);
            overlay.via = Via::Kubectl;
            overlay.diagnostics.retain(|d| d.unsupported);
            let why = match &first_error {
                Some(error) => format!("the native renderer failed ({error})"),
                None => "of the features above".to_owned(),
            };
            overlay.diagnostics.push(note(format!(
                "rendered with `kubectl kustomize` because {why}: nodes the native rendering \
                 produced identically keep their file and line, the others point at this \
                 kustomization file"
            )));
        }
        // With errors of its own, the native diagnostics already say what is
        // wrong, at their positions.
        Err(_) if first_error.is_some() => {}
        Err(message) => overlay.diagnostics.push(Diagnostic {
            path: root.to_owned(),
            span: None,
            message: format!(
                "kubectl kustomize failed, so the features above were left out of the rendering: {message}"
            ),
            unsupported: false,
        }),
    }
    overlay
}

/// A loader that remembers whether it refused a file that exists but lies
/// outside the scanned tree.
struct Tracked<'l> {
    inner: &'l ScanLoader,
    refused: AtomicBool,
}

impl Tracked<'_> {
    fn note(&self, path: &str) {
        if self.inner.resolve(path).is_none() && std::fs::symlink_metadata(path).is_ok() {
            self.refused.store(true, Ordering::Relaxed);
        }
    }
}

impl Loader for Tracked<'_> {
    fn read(&self, path: &str) -> io::Result<String> {
        let result = self.inner.read(path);
        if result.is_err() {
            self.note(path);
        }
        result
    }

    fn is_dir(&self, path: &str) -> bool {
        let dir = self.inner.is_dir(path);
        if !dir {
            self.note(path);
        }
        dir
    }
}

/// Fields whose entries kustomize reads as folders (or files) relative to
/// the kustomization.
const PATH_FIELDS: &[&str] = &[
    "resources",
    "bases",
    "components",
    "transformers",
    "generators",
    "validators",
    "configurations",
    "crds",
];

/// The first entry of the overlay, or of any kustomization it reaches
/// through those fields, that exists outside the scanned tree: kubectl would
/// read it, including from features the native renderer never followed.
fn outside_entry(dir: &str, loader: &ScanLoader) -> Option<String> {
    let mut queue = vec![normalize(dir)];
    let mut seen = HashSet::new();
    while let Some(dir) = queue.pop() {
        if !seen.insert(dir.clone()) || seen.len() > 10_000 {
            continue;
        }
        let Some(text) = KUSTOMIZATION_FILES
            .iter()
            .find_map(|name| loader.read(&join(&dir, name)).ok())
        else {
            continue;
        };
        let stream = yaml::parse(&text, Schema::Yaml11, Limits::default());
        let Some(root) = stream.root(0).filter(|r| r.is_map()) else {
            continue;
        };
        for key in PATH_FIELDS {
            for item in root.get(key).into_iter().flat_map(|l| l.items()) {
                let Some(entry) = item.as_str().filter(|e| !e.contains('\n')) else {
                    continue;
                };
                let path = join(&dir, entry);
                if std::fs::symlink_metadata(&path).is_err() {
                    continue;
                }
                if loader.resolve(&path).is_none() {
                    return Some(path);
                }
                if Path::new(&path).is_dir() {
                    queue.push(path);
                }
            }
        }
    }
    None
}

fn run_kubectl(kubectl: &Path, dir: &Path) -> Result<String, String> {
    Confined {
        program: kubectl,
        args: vec!["kustomize".into(), dir.into()],
        env: vec![("KUSTOMIZE_PLUGIN_HOME", "/nonexistent".into())],
        timeout: KUBECTL_TIMEOUT,
        max_output: MAX_OUTPUT_BYTES,
    }
    .run()
}

/// kubectl's output as a stream. kubectl does not say where nodes came
/// from, so each node takes the span of the same node in the native
/// rendering (same object, same path, same value), and any other node the
/// span of the root kustomization's first line.
fn from_kubectl(root: &str, loader: &ScanLoader, output: &str, native: &YamlStream) -> YamlStream {
    let parsed = yaml::parse(output, Schema::Yaml11, Limits::default());
    let first_line = loader
        .read(root)
        .ok()
        .map_or(0, |text| text.lines().next().map_or(0, str::len));
    let span = SourceSpan {
        start: shipgate_core::Position::new(1, 1),
        end: shipgate_core::Position::new(1, first_line as u32 + 1),
        start_byte: 0,
        end_byte: first_line as u32,
    };
    // The root kustomization is the first file a native rendering reads, so
    // its base is 0 there too and both tables agree.
    let shared = native.sources.first().is_some_and(|s| s.path == root);
    let natives: Vec<OwnedNode> = if shared {
        (0..native.documents.len())
            .filter_map(|i| native.owned(i, 0))
            .collect()
    } else {
        Vec::new()
    };
    let documents = (0..parsed.documents.len())
        .filter_map(|i| parsed.root(i))
        .filter(|r| r.is_map())
        .map(|r| {
            let mut node = OwnedNode::from_ref(r, 0);
            node.respan(span);
            if let Some(twin) = natives.iter().find(|n| identity(n) == identity(&node)) {
                graft(&mut node, twin);
            }
            node
        })
        .collect();
    let sources = if shared {
        native.sources.clone()
    } else {
        vec![Source {
            base: 0,
            path: root.to_owned(),
        }]
    };
    YamlStream::from_documents(documents, sources, Schema::Yaml11)
}

fn identity(node: &OwnedNode) -> (Option<&str>, Option<&str>, Option<&str>) {
    let text = |keys: &[&str]| node.path(keys).and_then(OwnedNode::as_text);
    (
        text(&["kind"]),
        text(&["metadata", "name"]),
        text(&["metadata", "namespace"]),
    )
}

/// Copies spans from `twin` onto the nodes of `node` it agrees with:
/// collections where they sit at the same place, scalars only when their
/// values are equal too. List elements are paired by `name` when they have one.
fn graft(node: &mut OwnedNode, twin: &OwnedNode) {
    match (&mut node.value, &twin.value) {
        (
            OwnedValue::Scalar { text, .. },
            OwnedValue::Scalar {
                text: twin_text, ..
            },
        ) if text == twin_text => {
            node.span = twin.span;
        }
        (OwnedValue::Map(entries), OwnedValue::Map(_)) => {
            node.span = twin.span;
            for (key, value) in entries.iter_mut() {
                let Some(name) = key.scalar_text() else {
                    continue;
                };
                if let (Some(twin_key), Some(twin_value)) = (twin.key(name), twin.get(name)) {
                    key.span = twin_key.span;
                    graft(value, twin_value);
                }
            }
        }
        (OwnedValue::Seq(items), OwnedValue::Seq(twins)) => {
            node.span = twin.span;
            let name = |n: &OwnedNode| {
                n.get("name")
                    .and_then(OwnedNode::as_text)
                    .map(str::to_owned)
            };
            for (i, item) in items.iter_mut().enumerate() {
                let pair = match name(item) {
                    Some(wanted) => twins.iter().find(|t| name(t).as_deref() == Some(&wanted)),
                    None => twins.get(i),
                };
                if let Some(pair) = pair {
                    graft(item, pair);
                }
            }
        }
        _ => {}
    }
}

fn read_limited(path: &Path) -> io::Result<String> {
    sandbox::read_limited(path, MAX_INPUT_BYTES)
}

/// Reads files for the renderer by their displayed paths, only inside the
/// scanned trees: a kustomization that names `/etc` or a link out of the
/// tree gets "not found", as does anything over the size limit.
pub struct ScanLoader {
    roots: Vec<PathBuf>,
}

impl ScanLoader {
    pub fn new(roots: &[PathBuf]) -> Self {
        ScanLoader {
            roots: roots
                .iter()
                .filter_map(|r| r.canonicalize().ok())
                .map(|r| {
                    if r.is_file() {
                        r.parent().map(Path::to_path_buf).unwrap_or(r)
                    } else {
                        r
                    }
                })
                .collect(),
        }
    }

    /// The real path of a displayed one, if it lies inside a scanned tree.
    fn resolve(&self, path: &str) -> Option<PathBuf> {
        let real = Path::new(path).canonicalize().ok()?;
        self.roots
            .iter()
            .any(|root| real.starts_with(root))
            .then_some(real)
    }
}

impl Loader for ScanLoader {
    fn read(&self, path: &str) -> io::Result<String> {
        let Some(real) = self.resolve(path) else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "not found inside the scanned tree",
            ));
        };
        read_limited(&real)
    }

    fn is_dir(&self, path: &str) -> bool {
        self.resolve(path).is_some_and(|p| p.is_dir())
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::discover;

    const BASE: &str = "resources: [deploy.yaml]\n";
    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n";
    const PATCH: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          securityContext:\n            privileged: true\n";

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for (path, content) in files {
            let full = dir.path().join(path);
            fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
            fs::write(full, content).expect("write");
        }
        dir
    }

    fn render_tree(dir: &Path, options: &KustomizeOptions) -> Vec<RenderedOverlay> {
        let roots = [dir.to_path_buf()];
        let (files, _) = discover(&roots);
        render_overlays_with(&roots, &files, options)
    }

    fn relative(dir: &Path, path: &str) -> String {
        let prefix = format!("{}/", crate::display_path(dir));
        path.strip_prefix(&prefix).unwrap_or(path).to_owned()
    }

    #[test]
    fn roots_are_the_kustomizations_nothing_consumes() {
        let dir = tree(&[
            ("base/kustomization.yaml", BASE),
            ("base/deploy.yaml", DEPLOYMENT),
            (
                "overlays/dev/kustomization.yaml",
                "resources: [../../base]\ncomponents: [../../components/mon]\n",
            ),
            (
                "overlays/prod/kustomization.yml",
                "resources:\n  - ../../base\n",
            ),
            ("components/mon/kustomization.yaml", "kind: Component\n"),
            ("other/Kustomization", "resources: []\n"),
        ]);
        let (files, _) = discover(&[dir.path().to_path_buf()]);
        let roots: Vec<String> = kustomization_roots(&files)
            .iter()
            .map(|r| relative(dir.path(), r))
            .collect();
        assert_eq!(
            roots,
            [
                "other/Kustomization",
                "overlays/dev/kustomization.yaml",
                "overlays/prod/kustomization.yml"
            ]
        );
    }

    #[test]
    fn native_renderings_point_at_the_patch() {
        let dir = tree(&[
            ("base/kustomization.yaml", BASE),
            ("base/deploy.yaml", DEPLOYMENT),
            (
                "overlay/kustomization.yaml",
                "resources: [../base]\npatches:\n  - path: privileged.yaml\n",
            ),
            ("overlay/privileged.yaml", PATCH),
        ]);
        let overlays = render_tree(dir.path(), &KustomizeOptions { kubectl: None });
        assert_eq!(overlays.len(), 1);
        let overlay = &overlays[0];
        assert_eq!(overlay.via, Via::Native);
        assert!(overlay.diagnostics.is_empty(), "{:?}", overlay.diagnostics);
        assert_eq!(
            relative(dir.path(), &overlay.root),
            "overlay/kustomization.yaml"
        );
        assert_eq!(overlay.inputs.len(), 4);
        let privileged = overlay
            .stream
            .root(0)
            .and_then(|r| r.path(&["spec", "template", "spec", "containers"]))
            .and_then(|c| c.items().next())
            .and_then(|c| c.path(&["securityContext", "privileged"]))
            .expect("privileged");
        let (path, span) = overlay.stream.origin(privileged.span()).expect("origin");
        assert_eq!(relative(dir.path(), path), "overlay/privileged.yaml");
        assert_eq!(span.start.line, 11);
    }

    #[test]
    fn unsupported_features_fall_back_on_kubectl() {
        let dir = tree(&[
            ("app/deploy.yaml", DEPLOYMENT),
            (
                "app/kustomization.yaml",
                "resources: [deploy.yaml]\nvars:\n  - name: NAME\n    objref: {apiVersion: apps/v1, kind: Deployment, name: web}\n",
            ),
        ]);
        let options = KustomizeOptions::default();
        assert!(
            options.kubectl.is_some(),
            "kubectl is required (scripts/test installs it)"
        );
        let overlay = &render_tree(dir.path(), &options)[0];
        assert_eq!(overlay.via, Via::Kubectl, "{:?}", overlay.diagnostics);
        let root = overlay.stream.root(0).expect("an object");
        assert_eq!(
            root.path(&["metadata", "name"]).and_then(|n| n.as_str()),
            Some("web")
        );
        // The native rendering agrees on these nodes: they keep their lines.
        let image = root
            .path(&["spec", "template", "spec", "containers"])
            .and_then(|c| c.items().next())
            .and_then(|c| c.get("image"))
            .expect("image");
        let (path, span) = overlay.stream.origin(image.span()).expect("origin");
        assert_eq!(relative(dir.path(), path), "app/deploy.yaml");
        assert_eq!(span.start.line, 10);
        assert!(
            overlay
                .diagnostics
                .iter()
                .any(|d| d.message.contains("rendered with `kubectl kustomize`"))
        );

        let without = &render_tree(dir.path(), &KustomizeOptions { kubectl: None })[0];
        assert_eq!(without.via, Via::Native);
        assert!(
            without
                .diagnostics
                .iter()
                .any(|d| d.message.contains("kubectl is not installed"))
        );
        assert_eq!(without.stream.documents.len(), 1);
    }

    #[test]
    fn helm_charts_are_never_inflated() {
        let dir = tree(&[
            ("app/deploy.yaml", DEPLOYMENT),
            (
                "app/kustomization.yaml",
                "resources: [deploy.yaml]\nhelmCharts:\n  - name: redis\n    repo: https://charts.example.com\n",
            ),
        ]);
        let overlay = &render_tree(dir.path(), &KustomizeOptions::default())[0];
        assert_eq!(overlay.via, Via::Native);
        assert_eq!(overlay.stream.documents.len(), 1);
        let failure = overlay
            .diagnostics
            .iter()
            .find(|d| d.message.starts_with("kubectl kustomize failed"))
            .expect("kubectl's refusal is reported");
        assert!(!failure.unsupported);
        assert!(
            failure.message.contains("enable-helm"),
            "{}",
            failure.message
        );
    }

    #[test]
    fn remote_resources_are_never_fetched() {
        let dir = tree(&[
            ("app/deploy.yaml", DEPLOYMENT),
            (
                "app/kustomization.yaml",
                "resources:\n  - deploy.yaml\n  - https://github.com/acme/base//app?ref=v1\n",
            ),
        ]);
        let options = KustomizeOptions {
            kubectl: Some(PathBuf::from("/nonexistent/kubectl")),
        };
        let overlay = &render_tree(dir.path(), &options)[0];
        assert_eq!(overlay.via, Via::Native);
        assert!(overlay.diagnostics.iter().any(Diagnostic::is_remote));
        assert!(
            overlay
                .diagnostics
                .iter()
                .any(|d| d.message.contains("never does"))
        );
        assert_eq!(overlay.stream.documents.len(), 1);
    }

    #[test]
    fn kubectl_never_reads_outside_the_scanned_tree() {
        let outside = tree(&[("kustomization.yaml", BASE), ("deploy.yaml", DEPLOYMENT)]);
        let entry = crate::display_path(outside.path());
        let dir = tree(&[
            ("app/deploy.yaml", DEPLOYMENT),
            (
                "app/kustomization.yaml",
                &format!("resources: [deploy.yaml]\ntransformers:\n  - {entry}\n"),
            ),
        ]);
        // A kubectl that would fail the test if it ran.
        let options = KustomizeOptions {
            kubectl: Some(PathBuf::from("/bin/false")),
        };
        let overlay = &render_tree(dir.path(), &options)[0];
        assert_eq!(overlay.via, Via::Native);
        assert!(
            overlay
                .diagnostics
                .iter()
                .any(|d| d.message.contains("outside the scanned tree")),
            "{:?}",
            overlay.diagnostics
        );
        assert!(
            !overlay
                .diagnostics
                .iter()
                .any(|d| d.message.contains("kubectl kustomize failed"))
        );
    }

    #[test]
    fn kubectl_renders_what_is_not_native_and_errors_stay_native() {
        // Label field specs are left to kubectl.
        let dir = tree(&[
            ("app/deploy.yaml", DEPLOYMENT),
            (
                "app/kustomization.yaml",
                "resources: [deploy.yaml]\nlabels:\n  - pairs: {a: b}\n    fields:\n      - path: spec/template/metadata/labels\n        kind: Deployment\n        create: true\n",
            ),
        ]);
        let overlay = &render_tree(dir.path(), &KustomizeOptions::default())[0];
        assert_eq!(overlay.via, Via::Kubectl, "{:?}", overlay.diagnostics);
        let labels = overlay
            .stream
            .root(0)
            .and_then(|r| r.path(&["spec", "template", "metadata", "labels", "a"]));
        assert_eq!(labels.and_then(|l| l.as_str()), Some("b"));
        // The native rendering has no such label: it points at the kustomization.
        let (path, span) = labels
            .and_then(|l| overlay.stream.origin(l.span()))
            .expect("origin");
        assert_eq!((path, span.start.line), (overlay.root.as_str(), 1));
        // A real error stays a native diagnostic, with its position.
        let broken = tree(&[("app/kustomization.yaml", "resources: [missing.yaml]\n")]);
        let overlay = &render_tree(broken.path(), &KustomizeOptions::default())[0];
        assert_eq!(overlay.via, Via::Native);
        assert_eq!(overlay.diagnostics.len(), 1, "{:?}", overlay.diagnostics);
        assert_eq!(overlay.diagnostics[0].span.map(|s| s.start.line), Some(1));
    }

    #[test]
    fn nothing_outside_the_scanned_tree_is_read() {
        let outside = tree(&[("kustomization.yaml", BASE), ("deploy.yaml", DEPLOYMENT)]);
        let entry = crate::display_path(outside.path());
        let dir = tree(&[(
            "app/kustomization.yaml",
            &format!("resources:\n  - {entry}\n"),
        )]);
        let overlay = &render_tree(dir.path(), &KustomizeOptions { kubectl: None })[0];
        assert_eq!(overlay.stream.documents.len(), 0);
        assert!(!overlay.diagnostics.is_empty());
        assert!(
            overlay.diagnostics.iter().all(|d| !d.unsupported),
            "{:?}",
            overlay.diagnostics
        );
    }
}
