//! Accepted input rows held in memory as compact typed columns: what `rubric run` keeps of a
//! file between reading it and writing the grades, when the scheme has population functions.
//!
//! One [`Block`] per batch of records, in file order. An int costs 4 bytes (9 if it does not fit
//! 32 bits), a decimal 9 (25 if its mantissa does not fit 64 bits; 4 once the block is complete,
//! if all its decimals have one scale and fit 32 bits), a date 4, a bool 1, a text its bytes
//! plus 5 (plus 4 once the block is complete, if every text is present); a row's line costs
//! nothing while the block's rows are on consecutive lines (else 4). Fields no expression reads (except the key) are not kept at all. Reading the file
//! once and keeping these columns is what lets the final pass run on
//! every core without parsing the file a second time.

use crate::value::Value;
use crate::vector;
use rubric_check::hir::{FieldDef, Ty};
use rubric_syntax::date::Date;
use rubric_syntax::Decimal;
use std::sync::Arc;

/// The line of each row of a block.
#[derive(Debug)]
enum Lines {
    /// Row `r` is on line `first + r`: no blank line, multi-line record or rejected row
    /// between them (the usual case, which costs nothing per row).
    Consecutive { first: u64, len: usize },
    /// Row `r` is on line `first + offsets[r]`.
    Offsets { first: u64, offsets: Vec<u32> },
    /// Lines more than 4 billion apart.
    Far(Vec<u64>),
}

impl Lines {
    fn push(&mut self, line: u64) {
        match self {
            Lines::Consecutive { first, len } => {
                if *len == 0 {
                    *first = line;
                    *len = 1;
                    return;
                }
                if line == *first + *len as u64 {
                    *len += 1;
                    return;
                }
                let (first, len) = (*first, *len);
                *self = Lines::Offsets {
                    first,
                    offsets: (0..len).map(|r| r as u32).collect(),
                };
            }
            Lines::Offsets { .. } | Lines::Far(_) => {}
        }
        if let Lines::Offsets { first, offsets } = self {
            match line.checked_sub(*first).map(u32::try_from) {
                Some(Ok(o)) => {
                    offsets.push(o);
                    return;
                }
                _ => {
                    let first = *first;
                    *self = Lines::Far(offsets.iter().map(|&o| first + u64::from(o)).collect());
                }
            }
        }
        if let Lines::Far(lines) = self {
            lines.push(line);
        }
    }
}

/// How one input field is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keep {
    /// Read by no expression and not the key: dropped.
    Drop,
    /// Kept, and given to the evaluator.
    Read,
    /// Kept (the key, for the output and for messages) but not materialised for the evaluator.
    KeyOnly,
}

/// Decides per field whether it is kept: `read[f]` tells whether any expression reads it.
pub(crate) fn keep_fields(fields: &[FieldDef], read: &[bool], everything: bool) -> Vec<Keep> {
    fields
        .iter()
        .enumerate()
        .map(|(f, def)| {
            if everything || read.get(f).copied().unwrap_or(true) {
                Keep::Read
            } else if def.is_key {
                Keep::KeyOnly
            } else {
                Keep::Drop
            }
        })
        .collect()
}

/// One column of a block.
#[derive(Debug)]
enum Col {
    Dropped,
    /// Numbers whose mantissa fits an i64 (nearly all): mantissa and scale, scale
    /// `MISSING_SCALE` for a missing value.
    Small {
        m: Vec<i64>,
        scale: Vec<u8>,
    },
    /// Integers that fit an i32 (nearly all counts): `i32::MIN` is missing.
    Int(Vec<i32>),
    /// A finished block's numbers when they all have one scale and fit an i32 (amounts with two
    /// places below 21 million): 4 bytes a row, not 9. `i32::MIN` is missing.
    Fixed {
        m: Vec<i32>,
        scale: u8,
    },
    /// A block with a larger number: every number as a decimal, `ok[r]` false for missing.
    Wide {
        v: Vec<Decimal>,
        ok: Vec<bool>,
    },
    /// `i32::MIN` is missing (no calendar date of years 1–9999 is that far out).
    Date(Vec<i32>),
    /// 0 false, 1 true, 2 missing.
    Bool(Vec<u8>),
    /// A grade-typed field's code index; `u16::MAX` is missing (v2).
    Code(Vec<u16>),
    /// The texts back to back; row `r`'s is `bytes[ends[r - 1]..ends[r]]`, missing unless `ok[r]`
    /// (an empty `ok` in a finished block: every text is present).
    Text {
        bytes: String,
        ends: Vec<u32>,
        ok: Vec<bool>,
    },
}

/// One parsed cell on its way into a block, borrowed from the record or value it comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Cell<'a> {
    Missing,
    /// A number whose mantissa fits 64 bits: mantissa and scale (at most 38).
    Num(i64, u8),
    /// Any other number: its index in the record's list of such numbers (a `Decimal` here
    /// would make every cell a costlier copy).
    Wide(u32),
    /// Days since 1970-01-01 (`Date::0`).
    Date(i32),
    Bool(bool),
    Text(&'a str),
    /// A grade's code index (a grade-typed field).
    Code(u16),
}

const NO_DATE: i32 = i32::MIN;
const NO_INT: i32 = i32::MIN;
const NO_CODE: u16 = u16::MAX;
const MISSING_SCALE: u8 = u8::MAX;

/// The accepted rows of one batch of records.
#[derive(Debug)]
pub(crate) struct Block {
    lines: Lines,
    cols: Vec<Col>,
    keep: Arc<[Keep]>,
}

impl Block {
    /// An empty block with room for `rows` rows (sized once: growing columns by doubling
    /// touches twice the memory).
    pub fn new(fields: &[FieldDef], keep: &Arc<[Keep]>, rows: usize) -> Block {
        let tys: Vec<&Ty> = fields.iter().map(|f| &f.ty).collect();
        Block::with_types(&tys, keep, rows)
    }

    /// [`Block::new`] for fields of types `tys`.
    pub fn with_types(tys: &[&Ty], keep: &Arc<[Keep]>, rows: usize) -> Block {
        let cols = tys
            .iter()
            .zip(keep.iter())
            .map(|(ty, k)| match (k, ty) {
                (Keep::Drop, _) => Col::Dropped,
                (_, Ty::Int) => Col::Int(Vec::with_capacity(rows)),
                (_, Ty::Decimal) => Col::Small {
                    m: Vec::with_capacity(rows),
                    scale: Vec::with_capacity(rows),
                },
                (_, Ty::Date) => Col::Date(Vec::with_capacity(rows)),
                (_, Ty::Bool) => Col::Bool(Vec::with_capacity(rows)),
                (_, Ty::Grade(_)) => Col::Code(Vec::with_capacity(rows)),
                _ => Col::Text {
                    bytes: String::new(),
                    ends: Vec::with_capacity(rows),
                    ok: Vec::with_capacity(rows),
                },
            })
            .collect();
        Block {
            lines: Lines::Consecutive { first: 0, len: 0 },
            cols,
            keep: Arc::clone(keep),
        }
    }

    pub fn len(&self) -> usize {
        match &self.lines {
            Lines::Consecutive { len, .. } => *len,
            Lines::Offsets { offsets, .. } => offsets.len(),
            Lines::Far(lines) => lines.len(),
        }
    }

    /// The line of row `r` in the file.
    pub fn line(&self, r: usize) -> u64 {
        match &self.lines {
            Lines::Consecutive { first, .. } => first + r as u64,
            Lines::Offsets { first, offsets } => first + u64::from(offsets[r]),
            Lines::Far(lines) => lines[r],
        }
    }

    /// Appends a row of values, one per field (a record that is not CSV: JSON, XLSX).
    pub fn push(&mut self, line: u64, values: &[Value]) {
        self.lines.push(line);
        for (c, v) in self.cols.iter_mut().zip(values) {
            let cell = match v {
                Value::Num(d) => match i64::try_from(d.mantissa()) {
                    Ok(m) => Cell::Num(m, d.scale() as u8),
                    Err(_) => {
                        push_cell(c, Cell::Wide(0), std::slice::from_ref(d));
                        continue;
                    }
                },
                Value::Text(t) => Cell::Text(t),
                Value::Bool(b) => Cell::Bool(*b),
                Value::Date(d) => Cell::Date(d.0),
                Value::Code(k) => Cell::Code(*k),
                _ => Cell::Missing,
            };
            push_cell(c, cell, &[]);
        }
    }

    /// Appends a parsed CSV record: one cell per field and the numbers its `Cell::Wide`s
    /// point to, as `RowParser::parse_cells` gives them.
    pub fn push_cells(&mut self, line: u64, cells: &[Cell<'_>], wide: &[Decimal]) {
        self.lines.push(line);
        for (c, &cell) in self.cols.iter_mut().zip(cells) {
            push_cell(c, cell, wide);
        }
    }

    /// Shrinks a block that is complete: numbers of one scale that fit an i32 take 4 bytes a
    /// row instead of 9, and a text column with every text present drops its flags. Held
    /// blocks are most of a run's memory, and in a virtual machine every fresh page costs time.
    pub fn compact(&mut self) {
        for c in &mut self.cols {
            match c {
                Col::Small { m, scale } => {
                    let mut common: Option<u8> = None;
                    let fits = m.iter().zip(scale.iter()).all(|(&x, &s)| {
                        s == MISSING_SCALE
                            || (*common.get_or_insert(s) == s
                                && i32::try_from(x).is_ok_and(|x| x != NO_INT))
                    });
                    if fits {
                        let fixed: Vec<i32> = m
                            .iter()
                            .zip(scale.iter())
                            .map(|(&x, &s)| {
                                if s == MISSING_SCALE {
                                    NO_INT
                                } else {
                                    i32::try_from(x).unwrap_or(NO_INT)
                                }
                            })
                            .collect();
                        *c = Col::Fixed {
                            m: fixed,
                            scale: common.unwrap_or(0),
                        };
                    }
                }
                Col::Text { ok, .. } if ok.iter().all(|&p| p) => *ok = Vec::new(),
                _ => {}
            }
        }
    }

    /// The text of field `f` in row `r`, when it is a kept text that is present.
    pub fn text(&self, f: usize, r: usize) -> Option<&str> {
        let Some(Col::Text { bytes, ends, ok }) = self.cols.get(f) else {
            return None;
        };
        if !ok.is_empty() && !ok[r] {
            return None;
        }
        let start = if r == 0 { 0 } else { *ends.get(r - 1)? };
        bytes.get(start as usize..*ends.get(r)? as usize)
    }

    /// Row `r`'s values for the evaluator, into `out` (one per field; a dropped or key-only
    /// field is missing).
    pub fn row(&self, r: usize, out: &mut Vec<Value>) {
        out.clear();
        for (f, c) in self.cols.iter().enumerate() {
            let v = match c {
                Col::Dropped => Value::Missing,
                Col::Int(xs) => match xs.get(r) {
                    Some(&x) if x != NO_INT => Value::Num(Decimal::from(x)),
                    _ => Value::Missing,
                },
                Col::Small { m, scale } => match (m.get(r), scale.get(r)) {
                    (Some(&x), Some(&s)) => small(x, s).map_or(Value::Missing, Value::Num),
                    _ => Value::Missing,
                },
                Col::Fixed { m, scale } => match m.get(r) {
                    Some(&x) if x != NO_INT => Decimal::from_parts(x.into(), u32::from(*scale))
                        .map_or(Value::Missing, Value::Num),
                    _ => Value::Missing,
                },
                Col::Wide { v, ok } => match (v.get(r), ok.get(r)) {
                    (Some(d), Some(true)) => Value::Num(*d),
                    _ => Value::Missing,
                },
                Col::Date(ds) => match ds.get(r) {
                    Some(&d) if d != NO_DATE => Value::Date(Date(d)),
                    _ => Value::Missing,
                },
                Col::Bool(bs) => match bs.get(r) {
                    Some(0) => Value::Bool(false),
                    Some(1) => Value::Bool(true),
                    _ => Value::Missing,
                },
                Col::Code(cs) => match cs.get(r) {
                    Some(&c) if c != NO_CODE => Value::Code(c),
                    _ => Value::Missing,
                },
                Col::Text { .. } => {
                    if self.keep.get(f) == Some(&Keep::Read) {
                        self.text(f, r)
                            .map_or(Value::Missing, |s| Value::Text(Arc::from(s)))
                    } else {
                        Value::Missing
                    }
                }
            };
            out.push(v);
        }
    }
}

impl Block {
    /// Field `f` of every row as a column for the block evaluator (a dropped or key-only field
    /// is missing).
    pub fn column(&self, f: usize) -> vector::Col {
        use vector::Col as V;
        match self.cols.get(f) {
            None | Some(Col::Dropped) => V::Const(Value::Missing),
            Some(Col::Int(xs)) => V::Num {
                m: xs.iter().map(|&x| i128::from(x)).collect(),
                s: xs
                    .iter()
                    .map(|&x| if x == NO_INT { vector::NO_SCALE } else { 0 })
                    .collect(),
            },
            Some(Col::Fixed { m, scale }) => V::Num {
                // a missing number's mantissa is 0, as in `Small`
                m: m.iter()
                    .map(|&x| if x == NO_INT { 0 } else { i128::from(x) })
                    .collect(),
                s: m.iter()
                    .map(|&x| {
                        if x == NO_INT {
                            vector::NO_SCALE
                        } else {
                            *scale
                        }
                    })
                    .collect(),
            },
            Some(Col::Small { m, scale }) => V::Num {
                m: m.iter().map(|&x| i128::from(x)).collect(),
                s: scale
                    .iter()
                    .map(|&s| {
                        if s == MISSING_SCALE {
                            vector::NO_SCALE
                        } else {
                            s
                        }
                    })
                    .collect(),
            },
            Some(Col::Wide { v, ok }) => V::Num {
                m: v.iter().map(|d| d.mantissa()).collect(),
                s: v.iter()
                    .zip(ok)
                    .map(|(d, &ok)| {
                        if ok {
                            d.scale() as u8
                        } else {
                            vector::NO_SCALE
                        }
                    })
                    .collect(),
            },
            Some(Col::Date(ds)) => V::Date(
                ds.iter()
                    .map(|&d| if d == NO_DATE { vector::NO_DATE } else { d })
                    .collect(),
            ),
            Some(Col::Bool(bs)) => V::Bool(bs.clone()),
            // (the block evaluator's missing code is the same `u16::MAX`)
            Some(Col::Code(cs)) => V::Code(cs.clone()),
            Some(Col::Text { .. }) => {
                if self.keep.get(f) == Some(&Keep::Read) {
                    V::Any(
                        (0..self.len())
                            .map(|r| {
                                self.text(f, r)
                                    .map_or(Value::Missing, |s| Value::Text(Arc::from(s)))
                            })
                            .collect(),
                    )
                } else {
                    V::Const(Value::Missing)
                }
            }
        }
    }
}

/// Appends one cell to its column.
#[inline]
fn push_cell(c: &mut Col, cell: Cell<'_>, wide: &[Decimal]) {
    match (&mut *c, cell) {
        (Col::Dropped, _) => {}
        (Col::Int(xs), Cell::Num(m, 0)) if i32::try_from(m).is_ok_and(|x| x != NO_INT) => {
            xs.push(m as i32);
        }
        (Col::Small { m, scale }, Cell::Num(x, s)) if s != MISSING_SCALE => {
            m.push(x);
            scale.push(s);
        }
        (
            Col::Int(_) | Col::Small { .. } | Col::Fixed { .. } | Col::Wide { .. },
            Cell::Num(m, s),
        ) => {
            push_num(
                c,
                Decimal::from_parts(m.into(), u32::from(s)).unwrap_or(Decimal::ZERO),
            );
        }
        (Col::Int(_) | Col::Small { .. } | Col::Fixed { .. } | Col::Wide { .. }, Cell::Wide(i)) => {
            push_num(c, wide[i as usize]);
        }
        (Col::Int(xs) | Col::Fixed { m: xs, .. }, _) => xs.push(NO_INT),
        (Col::Small { m, scale }, _) => {
            m.push(0);
            scale.push(MISSING_SCALE);
        }
        (Col::Wide { v: nums, ok }, _) => {
            nums.push(Decimal::ZERO);
            ok.push(false);
        }
        (Col::Date(ds), cell) => ds.push(match cell {
            Cell::Date(d) => d,
            _ => NO_DATE,
        }),
        (Col::Bool(bs), cell) => bs.push(match cell {
            Cell::Bool(b) => u8::from(b),
            _ => 2,
        }),
        (Col::Code(cs), cell) => cs.push(match cell {
            Cell::Code(c) => c,
            _ => NO_CODE,
        }),
        (Col::Text { bytes, ends, ok }, cell) => {
            if ok.is_empty() && !ends.is_empty() {
                // a finished block grows again: every text so far is present
                ok.resize(ends.len(), true);
            }
            let present = if let Cell::Text(t) = cell {
                if bytes.capacity() == 0 {
                    // a guess from the first text (ids are usually alike), capped
                    bytes.reserve(t.len().clamp(1, 64) * ends.capacity());
                }
                bytes.push_str(t);
                true
            } else {
                false
            };
            // past 4 GiB of text in one block the slice is out of range: missing
            ends.push(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
            ok.push(present);
        }
    }
}

/// Appends a number to a number column, widening the column when the number does not fit it:
/// an int column to mantissas and scales, those to decimals.
fn push_num(c: &mut Col, d: Decimal) {
    if let Col::Fixed { m, scale } = c {
        // a finished block grows again: back to mantissas and scales
        let s = *scale;
        let scale = m
            .iter()
            .map(|&x| if x == NO_INT { MISSING_SCALE } else { s })
            .collect();
        let m = m
            .iter()
            .map(|&x| if x == NO_INT { 0 } else { i64::from(x) })
            .collect();
        *c = Col::Small { m, scale };
    }
    if let Col::Int(xs) = c {
        match i32::try_from(d.mantissa()) {
            Ok(x) if d.scale() == 0 && x != NO_INT => {
                xs.push(x);
                return;
            }
            _ => {
                let scale = xs
                    .iter()
                    .map(|&x| if x == NO_INT { MISSING_SCALE } else { 0 })
                    .collect();
                let m = xs.iter().map(|&x| i64::from(x)).collect();
                *c = Col::Small { m, scale };
            }
        }
    }
    if let Col::Small { m, scale } = c {
        match i64::try_from(d.mantissa()) {
            Ok(x) if d.scale() < u32::from(MISSING_SCALE) => {
                m.push(x);
                scale.push(d.scale() as u8);
                return;
            }
            _ => {
                let v: Vec<Decimal> = m
                    .iter()
                    .zip(scale.iter())
                    .map(|(&x, &s)| small(x, s).unwrap_or(Decimal::ZERO))
                    .collect();
                let ok: Vec<bool> = scale.iter().map(|&s| s != MISSING_SCALE).collect();
                *c = Col::Wide { v, ok };
            }
        }
    }
    if let Col::Wide { v, ok } = c {
        v.push(d);
        ok.push(true);
    }
}

/// The decimal of a small column's cell (`None`: missing).
fn small(m: i64, scale: u8) -> Option<Decimal> {
    if scale == MISSING_SCALE {
        return None;
    }
    Decimal::from_parts(m.into(), u32::from(scale))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn num(s: &str) -> Value {
        Value::Num(s.parse().unwrap())
    }

    fn text(s: &str) -> Value {
        Value::Text(Arc::from(s))
    }

    /// Every row's values and every column, as the evaluators see them.
    fn seen(b: &Block) -> (Vec<Vec<Value>>, Vec<String>) {
        let rows = (0..b.len())
            .map(|r| {
                let mut out = Vec::new();
                b.row(r, &mut out);
                out
            })
            .collect();
        let cols = (0..b.cols.len())
            .map(|f| format!("{:?}", b.column(f)))
            .collect();
        (rows, cols)
    }

    #[test]
    fn compacting_a_block_changes_no_value() {
        let src = "input { id text key, a decimal?, b decimal?, c decimal, t text? }\n\
                   let x = a + b + c\nlet y = t == \"x\"\n";
        let model = crate::tests::model(src);
        let keep: Arc<[Keep]> = vec![Keep::Read; model.fields.len()].into();
        let rows = [
            // a: one scale, fits 32 bits; b: two scales; c: a mantissa beyond 32 bits
            vec![
                text("r1"),
                num("12.50"),
                num("1.5"),
                num("3000000000"),
                text("x"),
            ],
            vec![
                text("r2"),
                Value::Missing,
                num("2.25"),
                num("-1"),
                Value::Missing,
            ],
            vec![text("r3"), num("-0.01"), Value::Missing, num("0"), text("")],
        ];
        let mut b = Block::new(&model.fields, &keep, 4);
        for (i, r) in rows.iter().enumerate() {
            b.push(i as u64 + 2, r);
        }
        let before = seen(&b);
        b.compact();
        assert!(
            matches!(b.cols[1], Col::Fixed { scale: 2, .. }),
            "{:?}",
            b.cols[1]
        );
        assert!(
            matches!(b.cols[2], Col::Small { .. }),
            "two scales stay as they are"
        );
        assert!(
            matches!(b.cols[3], Col::Small { .. }),
            "3e9 does not fit 32 bits"
        );
        assert!(matches!(&b.cols[0], Col::Text { ok, .. } if ok.is_empty()));
        assert!(matches!(&b.cols[4], Col::Text { ok, .. } if !ok.is_empty()));
        assert_eq!(seen(&b), before);
        // a compacted block that grows again keeps every value
        let more = [text("r4"), num("7"), num("0.5"), num("1"), text("y")];
        b.push(9, &more);
        let mut all = rows.to_vec();
        all.push(more.to_vec());
        let mut fresh = Block::new(&model.fields, &keep, 4);
        for (i, r) in all.iter().enumerate() {
            fresh.push(if i == 3 { 9 } else { i as u64 + 2 }, r);
        }
        assert_eq!(seen(&b), seen(&fresh));
    }
}
