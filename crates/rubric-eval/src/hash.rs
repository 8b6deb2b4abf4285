//! One fast hash for customer keys, shared by the key trackers, `rubric run`'s duplicate search
//! and the aggregation of events: eight bytes at a time, then murmur3's 64-bit finaliser (a
//! table may take bits from either end). The keys come from the user's own file, so flooding
//! resistance (what the default SipHash pays for) is not needed.

use std::hash::{BuildHasher, Hasher};

const K: u64 = 0x9E37_79B9_7F4A_7C15;

pub(crate) fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(23) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(23) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    finish(h)
}

fn finish(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// [`hash_bytes`] as a `HashMap` hasher (for maps keyed by text).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct KeyHash;

impl BuildHasher for KeyHash {
    type Hasher = KeyHasher;
    fn build_hasher(&self) -> KeyHasher {
        KeyHasher(0)
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0 = (self.0.rotate_left(23) ^ hash_bytes(bytes)).wrapping_mul(K);
    }
    fn write_u8(&mut self, b: u8) {
        self.0 = (self.0.rotate_left(23) ^ u64::from(b)).wrapping_mul(K);
    }
    fn finish(&self) -> u64 {
        finish(self.0)
    }
}
