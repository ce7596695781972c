//! Inflates the bundled schemas at build time and indexes them: a run then
//! finds each schema by its byte span in the text compiled into the binary,
//! with no decompression, no parse of the whole bundle and no copy on the
//! heap. Parsing the bundle's index at run time cost about 2.5 ms, most of a
//! small run's wait for its first validator.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::value::RawValue;

const PACKED: &str = "data/k8s-schemas.json.zz";
/// The bundle is under a megabyte of JSON; a corrupt one must not exhaust memory.
const MAX_INFLATED: usize = 64 << 20;
/// The layout `src/bundle.rs` reads.
const FORMAT: u32 = 1;

#[derive(Deserialize)]
struct Raw<'a> {
    format: u32,
    #[serde(borrow)]
    sources: Vec<Source<'a>>,
    #[serde(borrow)]
    definitions: Vec<&'a str>,
    #[serde(borrow)]
    kinds: Vec<&'a str>,
    #[serde(borrow)]
    releases: Vec<Release<'a>>,
    #[serde(borrow)]
    crds: Vec<Crd<'a>>,
    #[serde(borrow)]
    schemas: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Source<'a> {
    registry: &'a str,
    package: &'a str,
    version: &'a str,
    file: &'a str,
    sha256: &'a str,
}

#[derive(Deserialize)]
struct Release<'a> {
    version: &'a str,
    definitions: Vec<i64>,
    kinds: Vec<i64>,
}

#[derive(Deserialize)]
struct Crd<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    kind: &'a str,
    schema: usize,
}

fn main() {
    println!("cargo::rerun-if-changed={PACKED}");
    let packed = std::fs::read(PACKED).unwrap_or_else(|e| panic!("cannot read {PACKED}: {e}"));
    let text = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&packed, MAX_INFLATED)
        .unwrap_or_else(|e| panic!("{PACKED} is corrupt: {e:?}"));
    let text = String::from_utf8(text).unwrap_or_else(|e| panic!("{PACKED} is not UTF-8: {e}"));
    let index = index(&text);
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("k8s-schemas.json"), &text)
        .unwrap_or_else(|e| panic!("cannot write the inflated schemas: {e}"));
    std::fs::write(out.join("k8s-schemas-index.rs"), index)
        .unwrap_or_else(|e| panic!("cannot write the schema index: {e}"));
}

/// Rust source for the bundle's index. Strings are written with `{:?}`,
/// which escapes them as Rust literals.
fn index(text: &str) -> String {
    let raw: Raw<'_> =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{PACKED} is not a bundle: {e}"));
    assert_eq!(raw.format, FORMAT, "{PACKED}: unsupported bundle format");
    let mut out = String::new();
    out.push_str("pub(crate) const SOURCES: &[[&str; 5]] = &[\n");
    for s in &raw.sources {
        let fields = [s.registry, s.package, s.version, s.file, s.sha256];
        writeln!(out, "    {fields:?},").unwrap();
    }
    out.push_str("];\n");
    writeln!(
        out,
        "pub(crate) const DEFINITIONS: &[&str] = &{:?};",
        raw.definitions
    )
    .unwrap();
    writeln!(out, "pub(crate) const KINDS: &[&str] = &{:?};", raw.kinds).unwrap();
    out.push_str("pub(crate) const RELEASES: &[(&str, &[i64], &[i64])] = &[\n");
    for r in &raw.releases {
        assert_eq!(
            r.definitions.len(),
            raw.definitions.len(),
            "release {}",
            r.version
        );
        assert_eq!(r.kinds.len(), raw.kinds.len(), "release {}", r.version);
        writeln!(
            out,
            "    ({:?}, &{:?}, &{:?}),",
            r.version, r.definitions, r.kinds
        )
        .unwrap();
    }
    out.push_str("];\n");
    out.push_str("pub(crate) const CRDS: &[(&str, &str, usize)] = &[\n");
    for c in &raw.crds {
        assert!(c.schema < raw.schemas.len(), "CRD {} has no schema", c.kind);
        writeln!(
            out,
            "    ({:?}, {:?}, {}),",
            c.api_version, c.kind, c.schema
        )
        .unwrap();
    }
    out.push_str("];\n");
    // A schema is where its RawValue borrows from the text.
    out.push_str("pub(crate) const SCHEMAS: &[(usize, usize)] = &[\n");
    let base = text.as_ptr() as usize;
    for schema in &raw.schemas {
        let start = schema.get().as_ptr() as usize - base;
        writeln!(out, "    ({start}, {}),", start + schema.get().len()).unwrap();
    }
    out.push_str("];\n");
    out
}
