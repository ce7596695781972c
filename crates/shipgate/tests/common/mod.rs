//! Random test values shared by the test binaries: nothing here is a
//! credential until a test draws one from the operating system's random
//! source, and the seed is printed so a failure can be replayed with
//! `SHIPGATE_TEST_SEED`.

// Each test binary uses a part of this module.
#![allow(dead_code)]

use std::fs;

pub mod example;

/// SplitMix64: small, fast, and good enough to draw test values from a
/// random seed.
pub struct Rng(u64);

impl Rng {
    pub fn from_entropy() -> (Rng, u64) {
        let seed = match std::env::var("SHIPGATE_TEST_SEED") {
            Ok(seed) => seed.parse().expect("SHIPGATE_TEST_SEED is a number"),
            Err(_) => {
                use std::io::Read;
                let mut buf = [0u8; 8];
                fs::File::open("/dev/urandom")
                    .and_then(|mut f| f.read_exact(&mut buf))
                    .expect("the operating system's random source");
                u64::from_le_bytes(buf)
            }
        };
        (Rng(seed), seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn string(&mut self, alphabet: &str, len: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        (0..len).map(|_| chars[self.below(chars.len())]).collect()
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

pub const B62: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub const B64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
pub const HEX: &str = "0123456789abcdef";
pub const B32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub fn base64(bytes: &[u8], url: bool) -> String {
    let alphabet = if url {
        B64URL.as_bytes()
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(alphabet[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
        if !url {
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
    }
    out
}
