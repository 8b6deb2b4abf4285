//! Repeated keys of a streaming run, found in input order.

use crate::hash::hash_bytes;
use crate::io::repeated_key;
use crate::value::Reject;
use rubric_check::hir::Model;

/// A row's key, copied into its batch's key buffer and hashed on the worker, so that the
/// sequential duplicate check only probes a map.
pub(super) struct RowKey {
    pub(super) line: u64,
    /// `start == u32::MAX`: no key.
    pub(super) start: u32,
    pub(super) end: u32,
    pub(super) hash: u64,
}

impl RowKey {
    /// The key `text` of the row on `line`, copied into `buf`.
    pub(super) fn text(line: u64, text: &str, buf: &mut String) -> RowKey {
        let start = buf.len();
        buf.push_str(text);
        RowKey {
            line,
            start: start as u32,
            end: buf.len() as u32,
            hash: hash_bytes(text.as_bytes()),
        }
    }

    /// The key of a row (`key`, as [`key_of`] gives it), copied into `buf`.
    pub(super) fn of(line: u64, key: Option<&str>, buf: &mut String) -> RowKey {
        match key {
            Some(k) => RowKey::text(line, k, buf),
            None => RowKey {
                line,
                start: u32::MAX,
                end: 0,
                hash: 0,
            },
        }
    }
}

/// Duplicate keys, in input order: the second and later rows with a key are rejected with
/// "duplicate key `K` (first on line N)", as the data layer's `KeyTracker` words it.
///
/// A streaming run keeps every distinct key, so this is its memory: about 40 bytes a key plus
/// the key's bytes (10M keys of 8 bytes: under 0.5 GB). The keys live back to back in one arena;
/// an open-addressing table (linear probing, at most three quarters full) holds per key its
/// hash's high 32 bits above its number, so that a probe compares the key's bytes only when 32
/// bits of hash agree, and the table grows without reading a key again.
pub(super) struct Keys {
    pub(crate) column: Option<String>,
    /// The distinct keys back to back.
    pub(super) arena: Vec<u8>,
    /// Per distinct key: where it ends in the arena (it starts where the one before ends).
    pub(super) ends: Vec<u64>,
    /// Per distinct key: the line it was first seen on.
    pub(super) lines: Vec<u64>,
    /// Per slot: 0 (empty), or a key's hash's high 32 bits above its number plus one.
    pub(super) slots: Vec<u64>,
}

impl Keys {
    pub(super) fn new(model: &Model) -> Keys {
        Keys {
            column: model
                .key
                .and_then(|k| model.fields.get(k))
                .map(|f| f.column.clone()),
            arena: Vec::new(),
            ends: Vec::new(),
            lines: Vec::new(),
            slots: Vec::new(),
        }
    }

    /// Distinct key `i`'s bytes.
    pub(super) fn key(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        let end = self.ends[i];
        &self.arena[start as usize..end as usize]
    }

    /// The slot a key with this hash probes first (read ahead of [`Keys::check`], so that its
    /// cache line is already on its way).
    #[inline]
    pub(super) fn touch(&self, hash: u64) -> u64 {
        let mask = self.slots.len().wrapping_sub(1);
        self.slots
            .get((hash >> 32) as usize & mask)
            .copied()
            .unwrap_or(0)
    }

    /// Doubles the table (at least 1,024 slots), placing every key again by its tag.
    pub(super) fn grow(&mut self) {
        let cap = (self.slots.len() * 2).max(1024);
        let mut slots = vec![0u64; cap];
        let mask = cap - 1;
        for &e in self.slots.iter().filter(|&&e| e != 0) {
            let mut p = (e >> 32) as usize & mask;
            while slots.get(p).is_some_and(|&x| x != 0) {
                p = (p + 1) & mask;
            }
            if let Some(slot) = slots.get_mut(p) {
                *slot = e;
            }
        }
        self.slots = slots;
    }

    pub(super) fn check(&mut self, row: &RowKey, buf: &str) -> Result<(), Reject> {
        if row.start == u32::MAX {
            return Ok(());
        }
        let key = buf
            .as_bytes()
            .get(row.start as usize..row.end as usize)
            .unwrap_or(&[]);
        // a key's number plus one must fit the slot's low 32 bits: past 4 billion distinct keys
        // the rest are not tracked
        let Ok(number) = u32::try_from(self.ends.len() + 1) else {
            return Ok(());
        };
        if (self.ends.len() + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let tag = row.hash >> 32;
        let mask = self.slots.len() - 1;
        let mut p = tag as usize & mask;
        let first = loop {
            match self.slots.get(p).copied() {
                Some(0) | None => {
                    self.arena.extend_from_slice(key);
                    self.ends.push(self.arena.len() as u64);
                    self.lines.push(row.line);
                    if let Some(slot) = self.slots.get_mut(p) {
                        *slot = (tag << 32) | u64::from(number);
                    }
                    return Ok(());
                }
                Some(e) if e >> 32 == tag => {
                    let i = ((e & 0xFFFF_FFFF) as usize).saturating_sub(1);
                    if self.key(i) == key {
                        break self.lines[i];
                    }
                }
                Some(_) => {}
            }
            p = (p + 1) & mask;
        };
        let key = String::from_utf8_lossy(key).into_owned();
        Err(repeated_key(row.line, self.column.as_deref(), key, first))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A key row with a chosen hash (to force collisions), its text copied into `buf`.
    pub(super) fn row(line: u64, key: &str, hash: u64, buf: &mut String) -> RowKey {
        let mut r = RowKey::text(line, key, buf);
        r.hash = hash;
        r
    }

    #[test]
    pub(super) fn keys_find_every_repeat_and_only_repeats() {
        let model = crate::tests::model("input { id text key, x int }\n");
        let mut keys = Keys::new(&model);
        let mut buf = String::new();
        let mut rejected = Vec::new();
        // 5,000 distinct keys (the table grows several times), then each one again; keys
        // `k0`..`k9` share one hash, so their 32-bit tags agree and the bytes must decide
        let n = 5_000u64;
        for pass in 0..2 {
            for i in 0..n {
                let line = pass * n + i + 2;
                let key = format!("k{i}");
                let hash = if i < 10 {
                    7 << 32
                } else {
                    hash_bytes(key.as_bytes())
                };
                buf.clear();
                let r = row(line, &key, hash, &mut buf);
                if let Err(e) = keys.check(&r, &buf) {
                    rejected.push((e.line, e.reason));
                }
            }
        }
        assert_eq!(
            rejected.len() as u64,
            n,
            "exactly the second pass is rejected"
        );
        for (k, (line, reason)) in rejected.iter().enumerate() {
            assert_eq!(*line, n + k as u64 + 2);
            assert_eq!(
                *reason,
                format!("duplicate key `k{k}` (first on line {})", k + 2)
            );
        }
        // a row without a key is never a repeat
        let none = RowKey::of(99, None, &mut buf);
        assert!(keys.check(&none, &buf).is_ok() && keys.check(&none, &buf).is_ok());
    }
}
