//! Duplicate-key detection: a sequential pass in input order over the accepted rows.

use crate::hash::hash_bytes;
use crate::value::{InputRow, Reject, Value};
use hashbrown::HashTable;
use rubric_check::hir::Model;
use std::collections::HashMap;

/// Remembers the line of every key seen; the second and later rows with a key are rejected
/// with "duplicate key `K` (first on line N)". Apply it in input order, after
/// [`super::RowParser::parse`], to the rows it accepted (a rejected row does not claim its key).
///
/// Text keys are copied back to back into one buffer and indexed by an 8-byte slot (32 hash
/// bits and the key's number) in one of 256 tables chosen by other hash bits: about 30 bytes
/// per key plus the key itself, no allocation per key, and [`KeyTracker::check_batch`] probes
/// the tables one after the other, so that the table being probed stays in cache even with
/// millions of keys.
#[derive(Debug, Default)]
pub struct KeyTracker {
    /// The key field, and its column for rejects.
    key: Option<(usize, String)>,
    /// Every distinct text key, back to back.
    bytes: Vec<u8>,
    /// Where key `i` ends in `bytes` (it starts where key `i - 1` ends).
    ends: Vec<usize>,
    /// The line of key `i`'s first row.
    lines: Vec<u64>,
    parts: Vec<HashTable<Slot>>,
    /// Keys that are not text (the checker requires text keys; kept for hand-built rows), and
    /// text keys beyond the 4,294,967,295th distinct one.
    other: HashMap<Value, u64>,
}

/// The text keys of a batch, copied in input order while they are hot, and counted per table.
struct TextBatch {
    bytes: Vec<u8>,
    pending: Vec<Pending>,
    counts: [usize; PARTS + 1],
}

impl Default for TextBatch {
    fn default() -> TextBatch {
        TextBatch {
            bytes: Vec::new(),
            pending: Vec::new(),
            counts: [0; PARTS + 1],
        }
    }
}

impl TextBatch {
    fn push(&mut self, row: usize, line: u64, key: &str) {
        let hash = hash_bytes(key.as_bytes());
        self.counts[part(hash) + 1] += 1;
        self.pending.push(Pending {
            row,
            hash,
            at: self.bytes.len(),
            len: key.len(),
            line,
        });
        self.bytes.extend_from_slice(key.as_bytes());
    }
}

/// A text key of a batch, waiting for its table.
#[derive(Clone, Copy, Debug, Default)]
struct Pending {
    row: usize,
    hash: u64,
    /// The key's bytes in the batch's buffer.
    at: usize,
    len: usize,
    line: u64,
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    /// The low 32 bits of the key's hash.
    hash: u32,
    /// The key's number: its index in `ends` and `lines`.
    id: u32,
}

impl Slot {
    /// The hash the table sees: the bucket comes from the low bits, the tag from the top 7.
    fn table_hash(self) -> u64 {
        table_hash(self.hash)
    }
}

fn table_hash(h: u32) -> u64 {
    (u64::from(h) << 32) | u64::from(h)
}

impl KeyTracker {
    pub fn new(model: &Model) -> KeyTracker {
        let key = model
            .key
            .and_then(|k| model.fields.get(k).map(|f| (k, f.column.clone())));
        KeyTracker {
            key,
            ..KeyTracker::default()
        }
    }

    /// A tracker for the field at `field` whose column is `column`.
    pub fn for_field(field: usize, column: impl Into<String>) -> KeyTracker {
        KeyTracker {
            key: Some((field, column.into())),
            ..KeyTracker::default()
        }
    }

    /// Reserves room for `rows` more keys (avoids rehashing when the row count is known).
    pub fn reserve(&mut self, rows: usize) {
        self.init();
        for p in &mut self.parts {
            p.reserve(rows / PARTS + 1, |s| s.table_hash());
        }
    }

    fn init(&mut self) {
        if self.parts.is_empty() {
            self.parts = (0..PARTS).map(|_| HashTable::new()).collect();
        }
    }

    /// [`KeyTracker::check`] for many rows at once, in input order: the result for each row,
    /// in the same order. Faster than row by row for large batches.
    pub fn check_batch<'r>(
        &mut self,
        rows: impl IntoIterator<Item = &'r InputRow>,
    ) -> Vec<Result<(), Reject>> {
        let rows: Vec<&InputRow> = rows.into_iter().collect();
        let mut out: Vec<Result<(), Reject>> = (0..rows.len()).map(|_| Ok(())).collect();
        let Some((k, _)) = &self.key else { return out };
        let k = *k;
        let mut batch = TextBatch::default();
        for (i, row) in rows.iter().enumerate() {
            match row.values.get(k) {
                Some(Value::Text(s)) => batch.push(i, row.line, s),
                // Not text: no text key can equal it, so its order among text keys is moot.
                _ => out[i] = self.check(row),
            }
        }
        self.check_text_batch(batch, &mut out);
        out
    }

    /// The duplicate check for keys alone, in input order: `(line, key)` per accepted row
    /// (`None` for a row without a key). Same results as [`KeyTracker::check_batch`], for a
    /// caller that keeps only the keys of its rows.
    pub fn check_keys<'k>(
        &mut self,
        keys: impl IntoIterator<Item = (u64, Option<&'k str>)>,
    ) -> Vec<Result<(), Reject>> {
        let mut batch = TextBatch::default();
        let mut n = 0;
        for (i, (line, key)) in keys.into_iter().enumerate() {
            n = i + 1;
            if let Some(key) = key {
                batch.push(i, line, key);
            }
        }
        let mut out: Vec<Result<(), Reject>> = (0..n).map(|_| Ok(())).collect();
        self.check_text_batch(batch, &mut out);
        out
    }

    /// Probes the tables one after the other; within a table, in input order.
    fn check_text_batch(&mut self, batch: TextBatch, out: &mut [Result<(), Reject>]) {
        self.init();
        let TextBatch {
            bytes,
            pending,
            mut counts,
        } = batch;
        for p in 0..PARTS {
            counts[p + 1] += counts[p];
        }
        let mut grouped = vec![Pending::default(); pending.len()];
        for p in pending {
            let c = &mut counts[part(p.hash)];
            if let Some(slot) = grouped.get_mut(*c) {
                *slot = p;
            }
            *c += 1;
        }
        for p in grouped {
            let key = bytes.get(p.at..p.at + p.len).unwrap_or(&[]);
            if let Some(first) = self.text_hashed(key, p.hash, p.line) {
                let key = String::from_utf8_lossy(key).into_owned();
                if let Some(o) = out.get_mut(p.row) {
                    *o = Err(self.duplicate_text(key, p.line, first));
                }
            }
        }
    }

    /// Records the row's key; rejects the row when the key was already seen.
    pub fn check(&mut self, row: &InputRow) -> Result<(), Reject> {
        let Some((k, _)) = &self.key else {
            return Ok(());
        };
        let k = *k;
        let first = match row.values.get(k) {
            None | Some(Value::Missing) => return Ok(()),
            Some(Value::Text(s)) => self.text(s.as_bytes(), row.line),
            Some(v) => match self.other.get(v) {
                Some(&line) => Some(line),
                None => {
                    self.other.insert(v.clone(), row.line);
                    None
                }
            },
        };
        match first {
            Some(first) => Err(self.duplicate(row, first)),
            None => Ok(()),
        }
    }

    fn duplicate(&self, row: &InputRow, first: u64) -> Reject {
        let key = self
            .key
            .as_ref()
            .and_then(|(k, _)| row.values.get(*k))
            .map(key_text)
            .unwrap_or_default();
        self.duplicate_text(key, row.line, first)
    }

    fn duplicate_text(&self, key: String, line: u64, first: u64) -> Reject {
        let column = self.key.as_ref().map(|(_, c)| c.as_str());
        repeated_key(line, column, key, first)
    }

    /// The first line of `key`, or `None` after remembering `line` as its first.
    fn text(&mut self, key: &[u8], line: u64) -> Option<u64> {
        self.text_hashed(key, hash_bytes(key), line)
    }

    fn text_hashed(&mut self, key: &[u8], hash: u64, line: u64) -> Option<u64> {
        self.init();
        let lo = hash as u32;
        let th = table_hash(lo);
        let (bytes, ends) = (&self.bytes, &self.ends);
        let table = self.parts.get_mut(part(hash))?;
        if let Some(s) = table.find(th, |s| {
            s.hash == lo && stored(bytes, ends, s.id as usize) == key
        }) {
            return self.lines.get(s.id as usize).copied();
        }
        let Ok(id) = u32::try_from(self.ends.len()) else {
            // More distinct keys than slot numbers: the rest go to the general map.
            let v = Value::Text(String::from_utf8_lossy(key).into());
            return match self.other.get(&v) {
                Some(&first) => Some(first),
                None => {
                    self.other.insert(v, line);
                    None
                }
            };
        };
        self.bytes.extend_from_slice(key);
        self.ends.push(self.bytes.len());
        self.lines.push(line);
        table.insert_unique(th, Slot { hash: lo, id }, |s| s.table_hash());
        None
    }

    /// How many distinct keys were seen.
    pub fn len(&self) -> usize {
        self.parts.iter().map(HashTable::len).sum::<usize>() + self.other.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn stored<'a>(bytes: &'a [u8], ends: &[usize], id: usize) -> &'a [u8] {
    let start = if id == 0 {
        0
    } else {
        ends.get(id - 1).copied().unwrap_or(0)
    };
    let end = ends.get(id).copied().unwrap_or(start);
    bytes.get(start..end).unwrap_or(&[])
}

const PARTS: usize = 256;

/// The table of a hash: high bits, since a table sees only the low 32.
fn part(hash: u64) -> usize {
    ((hash >> 40) as usize) % PARTS
}

fn key_text(v: &Value) -> String {
    match v {
        Value::Missing => String::new(),
        Value::Num(d) => d.normalize().to_string(),
        Value::Text(s) => s.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Date(d) => d.to_string(),
        Value::Duration(d) => d.to_string(),
        Value::Code(c) => c.to_string(),
        Value::Tags(t) => t.to_string(),
    }
}

/// The reject of a row whose key an earlier row (on line `first`) has: one wording for every
/// engine that finds repeated keys (this tracker, a streaming run's key table, a held run's
/// sorted key hashes). The first row with a key keeps it.
pub(crate) fn repeated_key(line: u64, column: Option<&str>, key: String, first: u64) -> Reject {
    Reject {
        line,
        column: column.map(String::from),
        reason: format!("duplicate key `{key}` (first on line {first})"),
        key: Some(key),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_differ_only_in_length_or_padding_are_distinct() {
        let mut t = KeyTracker::for_field(0, "id");
        let row = |line, s: &str| InputRow {
            line,
            values: vec![Value::Text(s.into())],
        };
        for (i, k) in [
            "",
            "a",
            "a\0",
            "\0a",
            "abcdefgh",
            "abcdefgh\0",
            "abcdefghi",
            "00017",
            "0017",
        ]
        .iter()
        .enumerate()
        {
            assert!(t.check(&row(i as u64 + 2, k)).is_ok(), "{k:?}");
        }
        assert_eq!(t.len(), 9);
        assert_eq!(
            t.check(&row(20, "a\0")).unwrap_err().reason,
            "duplicate key `a\0` (first on line 4)"
        );
        assert_eq!(
            t.check(&row(21, "abcdefgh")).unwrap_err().reason,
            "duplicate key `abcdefgh` (first on line 6)"
        );
        assert_eq!(t.len(), 9);
    }

    #[test]
    fn batches_agree_with_row_by_row() {
        // Keys drawn from a small pool, so that duplicates occur within and across batches.
        let mut x: u64 = 12345;
        let rows: Vec<InputRow> = (0..5000u64)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let v = if i % 97 == 0 {
                    Value::Missing
                } else {
                    Value::Text(format!("k{}", x % 3000).into())
                };
                InputRow {
                    line: i + 2,
                    values: vec![v],
                }
            })
            .collect();
        let mut one = KeyTracker::for_field(0, "id");
        let expected: Vec<Result<(), Reject>> = rows.iter().map(|r| one.check(r)).collect();
        let mut batched = KeyTracker::for_field(0, "id");
        let mut got = Vec::new();
        for chunk in rows.chunks(777) {
            got.extend(batched.check_batch(chunk));
        }
        assert_eq!(got, expected);
        assert!(expected.iter().filter(|r| r.is_err()).count() > 1000);
        let mut keys_only = KeyTracker::for_field(0, "id");
        let mut got = Vec::new();
        for chunk in rows.chunks(1000) {
            got.extend(keys_only.check_keys(chunk.iter().map(|r| {
                let key = match &r.values[0] {
                    Value::Text(s) => Some(&**s),
                    _ => None,
                };
                (r.line, key)
            })));
        }
        assert_eq!(got, expected);
        assert_eq!(one.len(), batched.len());
    }
}
