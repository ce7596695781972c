//! The schemas compiled into the binary: every supported Kubernetes release,
//! sharing the definitions that did not change between them, and a few
//! widely used custom resources. Decompressed once, on first use.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, OnceLock};

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::Release;
use crate::compile::{Compiled, compile_builtin, compile_crd};

const DATA: &[u8] = include_bytes!("../data/k8s-schemas.json.zz");
/// The bundle is under a megabyte of JSON; a corrupt one must not exhaust memory.
const MAX_INFLATED: usize = 64 << 20;

/// Where the bundled schemas come from, as recorded when they were generated.
#[derive(Debug, Clone, Deserialize)]
pub struct Source {
    pub registry: String,
    pub package: String,
    pub version: String,
    pub file: String,
    pub sha256: String,
}

#[derive(Deserialize)]
struct Raw {
    format: u32,
    sources: Vec<Source>,
    definitions: Vec<String>,
    kinds: Vec<String>,
    releases: Vec<RawRelease>,
    crds: Vec<RawCrd>,
    #[serde(borrow)]
    schemas: Vec<&'static RawValue>,
}

#[derive(Deserialize)]
struct RawRelease {
    version: String,
    definitions: Vec<i64>,
    kinds: Vec<i64>,
}

#[derive(Deserialize)]
struct RawCrd {
    #[serde(rename = "apiVersion")]
    api_version: String,
    kind: String,
    schema: usize,
}

pub(crate) struct BundledRelease {
    pub release: Release,
    definitions: Vec<i64>,
    kinds: Vec<i64>,
}

pub(crate) struct Bundle {
    pub sources: Vec<Source>,
    definition_index: HashMap<String, usize>,
    kind_index: HashMap<(String, String), usize>,
    pub releases: Vec<BundledRelease>,
    crds: HashMap<(String, String), usize>,
    crd_schemas: Vec<usize>,
    kind_count: usize,
    schemas: Vec<&'static RawValue>,
    compiled_kinds: Vec<OnceLock<Compiled>>,
    compiled_crds: Vec<OnceLock<Compiled>>,
}

static BUNDLE: LazyLock<Result<Bundle, String>> = LazyLock::new(load);

pub(crate) fn bundle() -> Result<&'static Bundle, &'static str> {
    BUNDLE.as_ref().map_err(String::as_str)
}

fn load() -> Result<Bundle, String> {
    let bytes = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(DATA, MAX_INFLATED)
        .map_err(|e| format!("the bundled schemas are corrupt: {e:?}"))?;
    let text = String::from_utf8(bytes).map_err(|e| e.to_string())?;
    // Schemas are parsed one by one when a kind first needs them; they
    // borrow from the text, which lives as long as the process.
    let text: &'static str = Box::leak(text.into_boxed_str());
    let raw: Raw = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if raw.format != 1 {
        return Err(format!("bundle format {} is not supported", raw.format));
    }
    let definition_index = raw
        .definitions
        .iter()
        .enumerate()
        .map(|(i, name)| (name.clone(), i))
        .collect();
    let mut kind_index = HashMap::new();
    for (i, name) in raw.kinds.iter().enumerate() {
        if let Some((api_version, kind)) = name.rsplit_once('/') {
            kind_index.insert((api_version.to_owned(), kind.to_owned()), i);
        }
    }
    let mut releases = Vec::new();
    for r in raw.releases {
        let release: Release = r
            .version
            .parse()
            .map_err(|_| format!("bad release {}", r.version))?;
        releases.push(BundledRelease {
            release,
            definitions: r.definitions,
            kinds: r.kinds,
        });
    }
    releases.sort_by_key(|r| r.release);
    let mut crds = HashMap::new();
    let mut crd_schemas = Vec::new();
    for crd in raw.crds {
        crds.insert((crd.api_version, crd.kind), crd_schemas.len());
        crd_schemas.push(crd.schema);
    }
    let kind_count = raw.kinds.len();
    let compiled_kinds = (0..releases.len() * kind_count)
        .map(|_| OnceLock::new())
        .collect();
    let compiled_crds = (0..crd_schemas.len()).map(|_| OnceLock::new()).collect();
    Ok(Bundle {
        sources: raw.sources,
        definition_index,
        kind_index,
        releases,
        crds,
        crd_schemas,
        kind_count,
        schemas: raw.schemas,
        compiled_kinds,
        compiled_crds,
    })
}

impl Bundle {
    /// The bundled release used for `wanted`: the newest one not newer than
    /// it, or the oldest bundled one for older targets.
    pub fn release_index(&self, wanted: Release) -> usize {
        self.releases
            .iter()
            .rposition(|r| r.release <= wanted)
            .unwrap_or(0)
    }

    pub fn schema(&self, index: usize) -> Option<Value> {
        let raw = self.schemas.get(index)?;
        serde_json::from_str(raw.get()).ok()
    }

    /// A definition of release `release` by name.
    pub fn definition(&self, release: usize, name: &str) -> Option<Value> {
        let slot = *self.definition_index.get(name)?;
        let index = *self.releases.get(release)?.definitions.get(slot)?;
        usize::try_from(index).ok().and_then(|i| self.schema(i))
    }

    fn kind_slot(&self, api_version: &str, kind: &str) -> Option<usize> {
        self.kind_index
            .get(&(api_version.to_owned(), kind.to_owned()))
            .copied()
    }

    /// The compiled schema of a built-in kind at a release, if the release has it.
    pub fn builtin(&self, release: usize, api_version: &str, kind: &str) -> Option<&Compiled> {
        let slot = self.kind_slot(api_version, kind)?;
        let index = *self.releases.get(release)?.kinds.get(slot)?;
        let index = usize::try_from(index).ok()?;
        let cell = self.compiled_kinds.get(release * self.kind_count + slot)?;
        Some(cell.get_or_init(|| compile_builtin(self, release, index)))
    }

    /// Releases whose bundle has the kind, oldest first.
    pub fn releases_with(&self, api_version: &str, kind: &str) -> Vec<Release> {
        let Some(slot) = self.kind_slot(api_version, kind) else {
            return Vec::new();
        };
        self.releases
            .iter()
            .filter(|r| r.kinds.get(slot).is_some_and(|i| *i >= 0))
            .map(|r| r.release)
            .collect()
    }

    /// The kinds a release serves under an apiVersion.
    pub fn kinds_of(&self, release: usize, api_version: &str) -> Vec<String> {
        let Some(r) = self.releases.get(release) else {
            return Vec::new();
        };
        self.kind_index
            .iter()
            .filter(|((v, _), slot)| {
                v == api_version && r.kinds.get(**slot).is_some_and(|i| *i >= 0)
            })
            .map(|((_, kind), _)| kind.clone())
            .collect()
    }

    pub fn crd(&self, api_version: &str, kind: &str) -> Option<&Compiled> {
        let slot = *self.crds.get(&(api_version.to_owned(), kind.to_owned()))?;
        let schema = self.crd_schemas[slot];
        Some(
            self.compiled_crds[slot].get_or_init(|| match self.schema(schema) {
                Some(open_api) => compile_crd(&open_api),
                None => Err(Arc::from("the bundled schema is missing")),
            }),
        )
    }

    pub fn newest(&self) -> usize {
        self.releases.len().saturating_sub(1)
    }
}
