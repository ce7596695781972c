//! Inflates the bundled schemas at build time: a run then parses them
//! straight from the binary, with no decompression and no copy on the heap.

use std::path::PathBuf;

const PACKED: &str = "data/k8s-schemas.json.zz";
/// The bundle is under a megabyte of JSON; a corrupt one must not exhaust memory.
const MAX_INFLATED: usize = 64 << 20;

fn main() {
    println!("cargo::rerun-if-changed={PACKED}");
    let packed = std::fs::read(PACKED).unwrap_or_else(|e| panic!("cannot read {PACKED}: {e}"));
    let text = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&packed, MAX_INFLATED)
        .unwrap_or_else(|e| panic!("{PACKED} is corrupt: {e:?}"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("k8s-schemas.json"), text)
        .unwrap_or_else(|e| panic!("cannot write the inflated schemas: {e}"));
}
