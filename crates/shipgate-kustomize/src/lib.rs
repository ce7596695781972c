//! Kustomize overlays rendered natively, keeping the origin of every node.
//!
//! [`render`] builds a kustomization the way `kubectl kustomize` does and
//! returns one YAML document per object, in kustomize's output order. Each
//! node keeps the span of the file that produced it (the base resource, the
//! patch that changed it, or the kustomization entry that added it), read
//! back with [`YamlStream::origin`]. Features not implemented here are
//! reported as unsupported diagnostics, so the caller can fall back to
//! `kubectl kustomize`; malformed input is reported at its position.
//!
//! All file access goes through a [`Loader`], so the crate does no I/O of
//! its own.
//!
//! Rendered natively, checked against `kubectl kustomize` (kustomize v5.5):
//! `resources` and `bases` (files, `List` kinds, folders with their own
//! kustomization; cycles refused), `components`, `patches` (strategic merge
//! with Kubernetes' list merge keys and `$patch: delete|replace`, or JSON
//! 6902; inline or from a file; targets by group, version, kind, name,
//! namespace, label and annotation selectors), `patchesStrategicMerge`,
//! `patchesJson6902`, `namespace`, `namePrefix`, `nameSuffix`, `labels`
//! (`includeSelectors`, `includeTemplates`), `commonLabels`,
//! `commonAnnotations`, `images`, `replicas`, `replacements`,
//! `configMapGenerator` and `secretGenerator` (literals, files, env files,
//! `behavior`, options, `generatorOptions`, kustomize's name hash), the
//! name references kustomize rewrites after renames, and `sortOptions`.
//!
//! Reported as unsupported: remote resources and components, `helmCharts`,
//! `transformers`, `generators`, `validators`, `vars`, `configurations`,
//! `crds`, `openapi`, `labels[].fields`, patch `options`, and the
//! `$setElementOrder`/`$retainKeys`/`$deleteFromPrimitiveList` directives.

mod build;
mod generate;
mod hash;
mod jsonpatch;
mod merge;
mod paths;
mod replace;
mod resource;
mod transform;

use std::collections::BTreeMap;
use std::io;

use shipgate_core::SourceSpan;
use shipgate_syntax::yaml::YamlStream;

pub use paths::{is_remote, join, normalize};

/// The names kustomize looks for in a folder, in its order of preference.
pub const KUSTOMIZATION_FILES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Read access to a tree of files, by `/`-separated path.
pub trait Loader {
    /// A file's text; `ErrorKind::NotFound` when it does not exist.
    fn read(&self, path: &str) -> io::Result<String>;
    fn is_dir(&self, path: &str) -> bool;
}

/// A tree held in memory: paths to contents; folders are implied.
#[derive(Debug, Clone, Default)]
pub struct MemoryLoader {
    pub files: BTreeMap<String, String>,
}

impl MemoryLoader {
    pub fn new<P: Into<String>, T: Into<String>>(files: impl IntoIterator<Item = (P, T)>) -> Self {
        MemoryLoader {
            files: files
                .into_iter()
                .map(|(p, t)| (normalize(&p.into()), t.into()))
                .collect(),
        }
    }
}

impl Loader for MemoryLoader {
    fn read(&self, path: &str) -> io::Result<String> {
        self.files
            .get(&normalize(path))
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }

    fn is_dir(&self, path: &str) -> bool {
        let path = normalize(path);
        if path == "." {
            return !self.files.is_empty();
        }
        let prefix = format!("{path}/");
        self.files
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }
}

/// Something the rendering could not do, at the position that asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: String,
    pub span: Option<SourceSpan>,
    pub message: String,
    /// The input is valid for kustomize but uses a feature rendered only by
    /// `kubectl kustomize`; otherwise the input itself is at fault.
    pub unsupported: bool,
}

impl Diagnostic {
    /// A resource or component to be fetched over the network, which a
    /// check must not do.
    pub fn is_remote(&self) -> bool {
        self.unsupported && self.message.starts_with("remote ")
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.span {
            Some(span) => write!(
                f,
                "{}:{}:{}: {}",
                self.path, span.start.line, span.start.column, self.message
            ),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// What [`render`] produces.
#[derive(Debug, Clone)]
pub struct Rendering {
    /// One document per object, in kustomize's output order.
    pub stream: YamlStream,
    /// Every file read, kustomization files included, in the order read.
    pub inputs: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Rendering {
    pub fn has_unsupported(&self) -> bool {
        self.diagnostics.iter().any(|d| d.unsupported)
    }

    /// Diagnostics that `kubectl kustomize` would fail on too.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| !d.unsupported)
    }
}

/// Renders the kustomization in folder `dir` (a path the loader knows).
pub fn render(dir: &str, loader: &dyn Loader) -> Rendering {
    build::Builder::new(loader).render(&normalize(dir))
}

/// The kustomization file of `dir`, if it has one.
pub fn kustomization_file(dir: &str, loader: &dyn Loader) -> Option<String> {
    KUSTOMIZATION_FILES
        .iter()
        .map(|name| join(dir, name))
        .find(|path| loader.read(path).is_ok())
}
