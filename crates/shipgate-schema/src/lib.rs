//! Strict schema validation of Kubernetes objects, with every error tied to
//! the key or value it is about.
//!
//! The schemas of every supported Kubernetes release are compiled into the
//! binary (see `data/SOURCE.md`), with a few widely used custom resources.
//! More come at run time: CustomResourceDefinitions found next to the
//! objects ([`SchemaSet::add_crd`]) and JSON Schema files
//! ([`SchemaSet::add_json_schema_file`], [`SchemaSet::load_dir`]).
//!
//! "Strict" means what `kubectl apply` with strict field validation means: a
//! field the API does not know is an error, not something silently dropped.
//! Values are judged as the API server's decoder judges the JSON `kubectl`
//! sends: `replicas: "3"` is a string and is refused, `memory: 1GB` is not a
//! quantity, Secret `data` must be base64.

mod bundle;
mod compile;
mod convert;
mod formats;
mod normalize;
mod report;
mod workloads;

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use serde_json::Value;
use shipgate_core::SourceSpan;
use shipgate_syntax::yaml::{self, Limits, NodeRef, Schema};

pub use bundle::Source;
pub use convert::to_json;
pub use formats::{is_base64, is_quantity};
pub use workloads::WorkloadKinds;

use compile::{Compiled, compile_crd, compile_json};
use report::{RawError, locate};

/// A Kubernetes minor release, the unit schemas change in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Release {
    pub major: u16,
    pub minor: u16,
}

impl Release {
    pub const fn new(major: u16, minor: u16) -> Self {
        Release { major, minor }
    }
}

impl From<(u16, u16)> for Release {
    fn from((major, minor): (u16, u16)) -> Self {
        Release { major, minor }
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for Release {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        let (major, minor) = text.split_once('.').ok_or(())?;
        Ok(Release::new(
            major.parse().map_err(|_| ())?,
            minor.parse().map_err(|_| ())?,
        ))
    }
}

/// What an error is about; rules group them by this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A field the schema does not declare: the API server would refuse it
    /// (or, without strict validation, silently drop it).
    UnknownField,
    /// A value of the wrong type, such as a string where an integer belongs.
    Type,
    /// A field the schema requires is missing.
    Required,
    /// A value outside the allowed set.
    Enum,
    /// A string in the wrong format: a quantity, base64, a date, a pattern.
    Format,
    /// Anything else the schema refuses: ranges, lengths, combinations.
    Other,
}

/// One reason an object does not match its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// The most specific node: an unknown field's key, a wrong value, the
    /// first key of a mapping that lacks a required field.
    pub span: SourceSpan,
    pub message: String,
    pub kind: ErrorKind,
    /// JSON Pointer of the field (`/spec/replicas`).
    pub pointer: String,
    /// The same field as people write it (`spec.template.spec.containers[0].image`).
    pub path: String,
}

/// The outcome of validating one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validation {
    /// No schema is known for the object's apiVersion and kind at the release.
    Unknown,
    /// The object was validated; empty when it is valid.
    Checked(Vec<SchemaError>),
}

/// A schema given at run time, converted but compiled only when an object needs it.
struct Extra {
    origin: String,
    schema: ExtraSchema,
    compiled: OnceLock<Compiled>,
}

#[derive(PartialEq)]
enum ExtraSchema {
    /// A CRD version's `openAPIV3Schema`, made strict when compiled.
    Crd(Value),
    /// A JSON Schema, used as written.
    Json(Value),
}

impl Extra {
    fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| match &self.schema {
            ExtraSchema::Crd(open_api) => compile_crd(open_api),
            ExtraSchema::Json(schema) => compile_json(schema),
        })
    }
}

/// Where an extra schema applies. File names carry kinds in lower case, so
/// schemas named by their file match kinds without regard to case.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    /// apiVersion and kind as objects spell them.
    Exact(String, String),
    /// apiVersion, and the kind in lower case.
    Lower(String, String),
    /// Any group with this version, and the kind in lower case.
    AnyGroup(String, String),
}

/// The bundled schemas plus those added at run time, with compiled
/// validators cached per kind and release. Safe to share between threads.
pub struct SchemaSet {
    id: u64,
    generation: AtomicU64,
    extras: RwLock<HashMap<Key, Arc<Extra>>>,
}

impl fmt::Debug for SchemaSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let extras = self.extras.read().map(|e| e.len()).unwrap_or(0);
        f.debug_struct("SchemaSet")
            .field("extra_schemas", &extras)
            .finish()
    }
}

impl Default for SchemaSet {
    fn default() -> Self {
        SchemaSet::new()
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The last object validated on this thread. The rules that report schema
/// errors each ask about the same object in turn; validating it once is
/// enough. The key is the node's identity (not its address, which a later
/// file may reuse), and spans are always taken from the node asked about, so
/// a repeat answers exactly as a fresh validation would.
struct Memo {
    set: u64,
    generation: u64,
    release: Release,
    node: (u64, u32),
    outcome: Option<Vec<RawError>>,
}

thread_local! {
    static MEMO: RefCell<Option<Memo>> = const { RefCell::new(None) };
}

impl SchemaSet {
    /// The bundled schemas only. Cheap: the bundle is decompressed on first use.
    pub fn new() -> Self {
        SchemaSet {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            generation: AtomicU64::new(0),
            extras: RwLock::new(HashMap::new()),
        }
    }

    /// Says which workload kinds a run will validate at `release`, so that
    /// their bundled schemas are compiled together, sharing the pod
    /// template's, when the first of them is needed. It changes no answer,
    /// only the time to the first. Compiled schemas are shared by the whole
    /// process: a kind compiled before stays as it is.
    pub fn expect_workloads(kinds: WorkloadKinds, release: impl Into<Release>) {
        if !kinds.is_empty() {
            bundle::expect(release.into(), kinds);
        }
    }

    /// Validates one object (a mapping with `apiVersion` and `kind`) against
    /// its schema at `release`. Schemas added at run time win over bundled
    /// ones; a release newer than the newest bundled uses the newest, an
    /// older one the oldest.
    pub fn validate(&self, object: NodeRef<'_>, release: impl Into<Release>) -> Validation {
        let release = release.into();
        let node = object.identity();
        let generation = self.generation.load(Ordering::Acquire);
        let cached = MEMO.with(|memo| {
            memo.borrow().as_ref().and_then(|m| {
                (m.set == self.id
                    && m.generation == generation
                    && m.release == release
                    && m.node == node)
                    .then(|| m.outcome.clone())
            })
        });
        let outcome = match cached {
            Some(outcome) => outcome,
            None => {
                let outcome = self.validate_value(&to_json(object), release);
                MEMO.with(|memo| {
                    *memo.borrow_mut() = Some(Memo {
                        set: self.id,
                        generation,
                        release,
                        node,
                        outcome: outcome.clone(),
                    });
                });
                outcome
            }
        };
        match outcome {
            None => Validation::Unknown,
            Some(errors) => {
                let mut located: Vec<SchemaError> =
                    errors.iter().map(|e| locate(object, e)).collect();
                located.sort_by_key(|e| (e.span.start_byte, e.span.start));
                Validation::Checked(located)
            }
        }
    }

    /// `None` when no schema is known.
    fn validate_value(&self, value: &Value, release: Release) -> Option<Vec<RawError>> {
        let api_version = value.get("apiVersion")?.as_str()?;
        let kind = value.get("kind")?.as_str()?;
        let compiled = self.find(api_version, kind, release)?;
        let schema = match compiled {
            Ok(schema) => schema,
            Err((origin, problem)) => {
                return Some(vec![RawError {
                    path: Vec::new(),
                    target: report::Target::Value,
                    kind: ErrorKind::Other,
                    message: format!(
                        "the schema for {api_version} {kind} ({origin}) cannot be used: {problem}"
                    ),
                }]);
            }
        };
        if schema.validator().is_valid(value) {
            return Some(Vec::new());
        }
        Some(report::raw_errors(
            schema.validator().iter_errors(value),
            schema.document(),
            schema.root(),
        ))
    }

    #[allow(clippy::type_complexity)]
    fn find(
        &self,
        api_version: &str,
        kind: &str,
        release: Release,
    ) -> Option<Result<Arc<compile::CompiledSchema>, (String, Arc<str>)>> {
        if let Some(extra) = self.extra(api_version, kind) {
            return Some(
                extra
                    .compiled()
                    .clone()
                    .map_err(|e| (extra.origin.clone(), e)),
            );
        }
        let bundle = bundle::bundle().ok()?;
        let index = bundle.release_index(release);
        let compiled = bundle
            .builtin(index, api_version, kind)
            .or_else(|| bundle.crd(api_version, kind))?;
        Some(compiled.map_err(|e| ("bundled".to_owned(), e)))
    }

    fn extra(&self, api_version: &str, kind: &str) -> Option<Arc<Extra>> {
        let extras = self.extras.read().ok()?;
        if extras.is_empty() {
            return None;
        }
        let exact = Key::Exact(api_version.to_owned(), kind.to_owned());
        if let Some(extra) = extras.get(&exact) {
            return Some(extra.clone());
        }
        let lower = kind.to_ascii_lowercase();
        if let Some(extra) = extras.get(&Key::Lower(api_version.to_owned(), lower.clone())) {
            return Some(extra.clone());
        }
        let version = api_version.rsplit('/').next().unwrap_or(api_version);
        extras
            .get(&Key::AnyGroup(version.to_owned(), lower))
            .cloned()
    }

    /// Whether a schema is known for the kind at the release.
    pub fn knows(&self, api_version: &str, kind: &str, release: impl Into<Release>) -> bool {
        self.find(api_version, kind, release.into()).is_some()
    }

    /// The bundled releases that serve a built-in kind, oldest first; empty
    /// for kinds no bundled release has.
    pub fn releases_with(&self, api_version: &str, kind: &str) -> Vec<Release> {
        bundle::bundle()
            .map(|b| b.releases_with(api_version, kind))
            .unwrap_or_default()
    }

    /// The kind a release serves under `api_version` whose name is nearest
    /// to `kind` (a typo such as `Deploymnet`), if one is close.
    pub fn suggest_kind(
        &self,
        api_version: &str,
        kind: &str,
        release: impl Into<Release>,
    ) -> Option<String> {
        let bundle = bundle::bundle().ok()?;
        let mut kinds = bundle.kinds_of(bundle.release_index(release.into()), api_version);
        kinds.sort();
        report::closest(kind, &kinds)
    }

    /// The oldest and newest bundled releases.
    pub fn bundled_releases() -> Option<(Release, Release)> {
        let bundle = bundle::bundle().ok()?;
        Some((
            bundle.releases.first()?.release,
            bundle.releases.last()?.release,
        ))
    }

    /// Where the bundled schemas come from.
    pub fn bundled_sources() -> &'static [Source] {
        bundle::bundle()
            .map(|b| b.sources.as_slice())
            .unwrap_or(&[])
    }

    fn insert(&self, key: Key, origin: String, schema: ExtraSchema) {
        // The same CRD is often met twice (before the run and while checking
        // its file); keeping the first keeps its compiled validator.
        if let Ok(extras) = self.extras.read()
            && let Some(existing) = extras.get(&key)
            && existing.schema == schema
        {
            return;
        }
        let extra = Arc::new(Extra {
            origin,
            schema,
            compiled: OnceLock::new(),
        });
        if let Ok(mut extras) = self.extras.write() {
            extras.insert(key, extra);
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Adds the schema of every served version of a CustomResourceDefinition
    /// (`apiextensions.k8s.io/v1`, or the `v1beta1` form with one top-level
    /// `validation`). Returns the `(apiVersion, kind)` pairs added.
    pub fn add_crd(&self, crd: NodeRef<'_>) -> Result<Vec<(String, String)>, String> {
        let value = to_json(crd);
        self.add_crd_value(&value, "a CustomResourceDefinition")
    }

    fn add_crd_value(&self, crd: &Value, origin: &str) -> Result<Vec<(String, String)>, String> {
        if crd.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
            return Err("not a CustomResourceDefinition".into());
        }
        let spec = crd.get("spec").ok_or("the CRD has no spec")?;
        let group = spec
            .get("group")
            .and_then(Value::as_str)
            .ok_or("the CRD has no spec.group")?;
        let kind = spec
            .pointer("/names/kind")
            .and_then(Value::as_str)
            .ok_or("the CRD has no spec.names.kind")?;
        let name = crd
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or(kind);
        let shared = spec.pointer("/validation/openAPIV3Schema");
        let mut added = Vec::new();
        let versions: Vec<&Value> = match spec.get("versions").and_then(Value::as_array) {
            Some(list) => list.iter().collect(),
            None => spec.get("version").into_iter().collect(),
        };
        for version in versions {
            let (version_name, schema) = match version {
                Value::String(v) => (v.as_str(), shared),
                other => {
                    if other.get("served").and_then(Value::as_bool) == Some(false) {
                        continue;
                    }
                    let Some(v) = other.get("name").and_then(Value::as_str) else {
                        continue;
                    };
                    (v, other.pointer("/schema/openAPIV3Schema").or(shared))
                }
            };
            // A version without a schema accepts anything, and says so by
            // not being known.
            let Some(schema) = schema else {
                continue;
            };
            let api_version = format!("{group}/{version_name}");
            self.insert(
                Key::Exact(api_version.clone(), kind.to_owned()),
                format!("CRD {name} from {origin}"),
                ExtraSchema::Crd(schema.clone()),
            );
            added.push((api_version, kind.to_owned()));
        }
        Ok(added)
    }

    /// Adds every CustomResourceDefinition of a YAML stream (lists
    /// included). Returns how many kinds were added; malformed documents
    /// are skipped, as the file's own check reports them.
    pub fn add_crds_from_text(&self, path: &str, text: &str) -> usize {
        if !text.contains("CustomResourceDefinition") {
            return 0;
        }
        let stream = yaml::parse(text, Schema::Yaml11, Limits::default());
        let mut added = 0;
        for index in 0..stream.documents.len() {
            let Some(root) = stream.root(index) else {
                continue;
            };
            let items: Vec<NodeRef<'_>> = match root.get("items") {
                Some(items) if root.get("kind").and_then(|k| k.as_text()) == Some("List") => {
                    items.items().collect()
                }
                _ => vec![root],
            };
            for item in items {
                if item.get("kind").and_then(|k| k.as_text()) != Some("CustomResourceDefinition") {
                    continue;
                }
                if let Ok(kinds) = self.add_crd_value(&to_json(item), path) {
                    added += kinds.len();
                }
            }
        }
        added
    }

    /// Adds a JSON Schema for one apiVersion and kind, used as written.
    pub fn add_json_schema(&self, api_version: &str, kind: &str, schema: Value, origin: &str) {
        self.insert(
            Key::Exact(api_version.to_owned(), kind.to_owned()),
            origin.to_owned(),
            ExtraSchema::Json(schema),
        );
    }

    /// Adds a JSON Schema file, naming its kind by, in order:
    ///
    /// 1. its own `x-kubernetes-group-version-kind` (as the schemas
    ///    published for Kubernetes carry);
    /// 2. its path: `GROUP/KIND_VERSION.json`, such as
    ///    `monitoring.coreos.com/servicemonitor_v1.json` (a folder whose name
    ///    has a dot is the API group), or `KIND-GROUP-VERSION.json`, such as
    ///    `servicemonitor-monitoring.coreos.com-v1.json`;
    /// 3. `KIND_VERSION.json` alone, such as `servicemonitor_v1.json`, which
    ///    applies to that kind and version in any group.
    ///
    /// Kinds in file names are matched without regard to case.
    pub fn add_json_schema_file(&self, path: &str, text: &str) -> Result<String, String> {
        let schema: Value = serde_json::from_str(text).map_err(|e| format!("{path}: {e}"))?;
        if !schema.is_object() {
            return Err(format!("{path}: a JSON Schema is an object"));
        }
        let key = schema_file_key(path, &schema).ok_or_else(|| {
            format!(
                "{path}: cannot tell the kind; name the file KIND_VERSION.json, \
                 GROUP/KIND_VERSION.json or KIND-GROUP-VERSION.json"
            )
        })?;
        let label = match &key {
            Key::Exact(api_version, kind) | Key::Lower(api_version, kind) => {
                format!("{api_version} {kind}")
            }
            Key::AnyGroup(version, kind) => format!("{kind} {version} (any group)"),
        };
        self.insert(key, path.to_owned(), ExtraSchema::Json(schema));
        Ok(label)
    }

    /// Loads a folder of schemas, recursively: `*.json` files as
    /// [`add_json_schema_file`](Self::add_json_schema_file) names them, and
    /// CRDs from `*.yaml`/`*.yml`. Returns how many kinds were added.
    pub fn load_dir(&self, dir: &Path) -> Result<usize, String> {
        let mut files = Vec::new();
        collect_files(dir, &mut files).map_err(|e| format!("{}: {e}", dir.display()))?;
        files.sort();
        let mut added = 0;
        for file in files {
            let relative = file
                .strip_prefix(dir)
                .unwrap_or(&file)
                .to_string_lossy()
                .replace('\\', "/");
            let extension = file
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            let shown = file.display().to_string();
            match extension.as_str() {
                "json" => {
                    let text =
                        std::fs::read_to_string(&file).map_err(|e| format!("{shown}: {e}"))?;
                    self.add_json_schema_file(&relative, &text)
                        .map_err(|e| format!("{}: {e}", dir.display()))?;
                    added += 1;
                }
                "yaml" | "yml" => {
                    let text =
                        std::fs::read_to_string(&file).map_err(|e| format!("{shown}: {e}"))?;
                    added += self.add_crds_from_text(&shown, &text);
                }
                _ => {}
            }
        }
        Ok(added)
    }
}

fn collect_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            collect_files(&entry.path(), out)?;
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
    Ok(())
}

fn schema_file_key(path: &str, schema: &Value) -> Option<Key> {
    if let Some(gvk) = schema
        .get("x-kubernetes-group-version-kind")
        .and_then(Value::as_array)
        .and_then(|list| list.first())
    {
        let group = gvk.get("group").and_then(Value::as_str).unwrap_or("");
        let version = gvk.get("version").and_then(Value::as_str)?;
        let kind = gvk.get("kind").and_then(Value::as_str)?;
        let api_version = if group.is_empty() {
            version.to_owned()
        } else {
            format!("{group}/{version}")
        };
        return Some(Key::Exact(api_version, kind.to_owned()));
    }
    let (folder, file) = match path.rsplit_once('/') {
        Some((folder, file)) => (folder.rsplit('/').next().unwrap_or(""), file),
        None => ("", path),
    };
    let stem = file.strip_suffix(".json")?;
    if let Some((kind, version)) = stem.rsplit_once('_') {
        if kind.is_empty() || version.is_empty() {
            return None;
        }
        let kind = kind.to_ascii_lowercase();
        return Some(if folder.contains('.') {
            Key::Lower(format!("{folder}/{version}"), kind)
        } else {
            Key::AnyGroup(version.to_owned(), kind)
        });
    }
    let (kind, rest) = stem.split_once('-')?;
    let (group, version) = rest.rsplit_once('-')?;
    if kind.is_empty() || group.is_empty() || version.is_empty() {
        return None;
    }
    Some(Key::Lower(
        format!("{group}/{version}"),
        kind.to_ascii_lowercase(),
    ))
}

#[cfg(test)]
mod tests;
