//! Subresource Integrity strings (`sha512-BASE64`), as npm, pnpm and Yarn 1
//! record a tarball's digest.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::model::{Hash, HashAlg};

/// Every well-formed digest of an SRI string. Several may be listed,
/// separated by spaces; one that does not decode to its algorithm's length
/// is dropped rather than guessed at.
pub(crate) fn parse(sri: &str) -> Vec<Hash> {
    let mut hashes: Vec<Hash> = sri
        .split_ascii_whitespace()
        .filter_map(|item| {
            let (label, rest) = item.split_once('-')?;
            let alg = HashAlg::from_label(label)?;
            // SRI allows `?options` after the digest.
            let b64 = rest.split('?').next()?;
            let bytes = STANDARD.decode(b64).ok()?;
            Hash::from_bytes(alg, &bytes)
        })
        .collect();
    hashes.sort();
    hashes.dedup();
    hashes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha512_and_sha1_decode_to_hex() {
        // ms@2.1.3 as npm records it; the hex was computed independently.
        let h = parse(
            "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==",
        );
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].alg, HashAlg::Sha512);
        assert_eq!(
            h[0].hex,
            "e85973b9b4cb646dc9d9afcd542025784863ceae68c601f268253dc985ef70bb\
             2fa1568726afece715c8ebf5d73fab73ed1f7100eb479d23bfb57b45dd645394"
        );
        let old = parse("sha1-1lz1gxZKiqAlqzOfM6QJbdyQ2G0=");
        assert_eq!(old.len(), 1);
        assert_eq!(old[0].alg, HashAlg::Sha1);
        assert_eq!(old[0].hex, "d65cf583164a8aa025ab339f33a4096ddc90d86d");
    }

    #[test]
    fn several_digests_and_bad_ones() {
        let both = parse(
            "sha1-1lz1gxZKiqAlqzOfM6QJbdyQ2G0= sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==",
        );
        assert_eq!(both.len(), 2);
        // A sha512 label on a sha1-sized digest is not trusted.
        assert!(parse("sha512-1lz1gxZKiqAlqzOfM6QJbdyQ2G0=").is_empty());
        assert!(parse("md4-abc").is_empty());
        assert!(parse("sha256-not base64!").is_empty());
        assert!(parse("").is_empty());
    }
}
