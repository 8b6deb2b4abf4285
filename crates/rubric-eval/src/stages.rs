//! Population stages, defined once: which rows each population function counts (LANGUAGE.md
//! §4's levels), for `rubric run` over a file held in memory and for [`Plan::evaluate`] alike.
//!
//! Stage by stage: the arguments (and `within` partitions) of the stage's functions are
//! evaluated for every row still in the population, on every core, straight into compact
//! argument columns. A row whose evaluation overflows there leaves the population from this
//! stage on (the earlier stages counted it); at stage 1 it claims no key, and then the rows
//! that repeat an earlier row's key leave too (found by sorting key hashes; the first row in
//! input order keeps the key). Then the stage's functions are computed ([`crate::pop`]).

use crate::hash::hash_bytes;
use crate::io::repeated_key;
use crate::ir::Plan;
use crate::par::par_map;
use crate::pop::{self, PopTable};
use crate::profile::phase;
use crate::table::Block;
use crate::value::{Reject, Value};
use crate::vector::{self, Col, Frame, Source, NO_SCALE};
use rubric_check::hir::ItemId;
use rubric_syntax::Decimal;
use std::borrow::Cow;
use std::sync::Mutex;

/// A held row that is not (or no longer) in the population.
pub(crate) const NONE: u32 = u32::MAX;
/// No key (a key's hash is never this: see `stage_block`). Zero, so that the column of hashes
/// is allocated zeroed and its pages are first touched by the workers that fill it, in
/// parallel.
pub(crate) const NO_HASH: u64 = 0;

/// Why a row left the population.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Left {
    /// Its evaluation overflowed computing stage `level`'s arguments (at stage 1, before it
    /// entered any population).
    Overflow { level: u32 },
    /// An earlier row (in input order) has its key.
    RepeatedKey,
}

/// One block's ranges of the argument columns and of the key hashes, for one stage.
pub(crate) type BlockArgs<'a> = (Vec<ArgSlice<'a>>, &'a mut [u64]);

/// One block's range of a population stage's argument column (numbers as mantissa and scale)
/// and of its partition column (empty without `within`).
pub(crate) type ArgSlice<'a> = (&'a mut [i64], &'a mut [u8], &'a mut [Value]);

/// In an argument column: the row's value is not a 64-bit number; it is among the stage's
/// exceptions.
pub(crate) const EXCEPTION: u8 = NO_SCALE - 1;

/// An argument that is not a 64-bit number: (group, row, value).
pub(crate) type Exception = (usize, usize, Value);

/// A population stage's argument column: numbers compactly (9 bytes a row, not a value's 24),
/// or values when any argument is something else (a date, a text, a number beyond 64 bits).
pub(crate) enum ArgCol {
    Nums { m: Vec<i64>, s: Vec<u8> },
    Values(Vec<Value>),
}

impl ArgCol {
    pub(crate) fn args(&self) -> pop::Args<'_> {
        match self {
            ArgCol::Nums { m, s } => pop::Args::Nums { m, s },
            ArgCol::Values(v) => pop::Args::Values(v),
        }
    }

    /// Keeps the rows whose `alive` is true.
    pub(crate) fn retain(&mut self, alive: &[bool]) {
        let keep = |k: &mut usize| {
            let keep = alive[*k];
            *k += 1;
            keep
        };
        match self {
            ArgCol::Nums { m, s } => {
                let mut k = 0;
                m.retain(|_| keep(&mut k));
                let mut k = 0;
                s.retain(|_| keep(&mut k));
            }
            ArgCol::Values(v) => {
                let mut k = 0;
                v.retain(|_| keep(&mut k));
            }
        }
    }
}

/// The accepted rows of a file held in memory, and their population values.
pub(crate) struct Held {
    pub(crate) blocks: Vec<Block>,
    /// Per block, the index of its first row among all held rows.
    pub(crate) starts: Vec<usize>,
    /// Per held row: its index in the population columns, or `NONE` when it has left the
    /// population (a duplicate key, an overflow). Empty while every held row is in the
    /// population at its own index, the usual case (4 bytes a row saved: 40 MB at 10M rows).
    pub(crate) state: Vec<u32>,
    /// One table per population slot, indexed by population index.
    pub(crate) pops: Vec<PopTable>,
}

/// One held block as the block evaluator's input.
pub(crate) struct HeldBlock<'a> {
    pub(crate) held: &'a Held,
    pub(crate) block: &'a Block,
    /// The index of the block's first row among all held rows.
    pub(crate) base: usize,
}

impl Source for HeldBlock<'_> {
    fn rows(&self) -> usize {
        self.block.len()
    }

    fn field(&self, f: usize) -> Col {
        self.block.column(f)
    }

    fn pop(&self, slot: usize) -> Col {
        let Some(table) = self.held.pops.get(slot) else {
            return Col::Const(Value::Missing);
        };
        let rows = self.base..self.base + self.block.len();
        table.gather(rows.map(|i| self.held.pop_index(i)))
    }
}

impl Held {
    /// Held row `i`'s index in the population columns, or `NONE` when it left the population.
    #[inline]
    pub(crate) fn pop_index(&self, i: usize) -> u32 {
        if self.state.is_empty() {
            u32::try_from(i).unwrap_or(NONE)
        } else {
            self.state[i]
        }
    }

    /// The block and row of held row `i`.
    pub(crate) fn locate(&self, i: usize) -> Option<(&Block, usize)> {
        let b = self.starts.partition_point(|&s| s <= i).checked_sub(1)?;
        let block = self.blocks.get(b)?;
        Some((block, i - self.starts.get(b)?))
    }
}

/// Computes the population functions of every stage over `held` (whose `pops` are filled in),
/// taking out of the population the rows that overflow and, with `check_keys`, the rows that
/// repeat a key (a `--strict` run checked keys while reading). `leave` is told of every row
/// that leaves, with its held index, why, and its reject; its error stops the staging.
pub(crate) fn stage_all<E>(
    plan: &Plan,
    held: &mut Held,
    threads: usize,
    check_keys: bool,
    key_column: Option<&str>,
    leave: &mut dyn FnMut(usize, Left, Reject) -> Result<(), E>,
) -> Result<(), E> {
    let n_held: usize = held.blocks.iter().map(Block::len).sum();
    held.pops = vec![PopTable::default(); plan.slots.len()];
    let mut n_pop = 0usize;
    for level in 1..=plan.max_level {
        let groups: Vec<usize> = (0..plan.groups.len())
            .filter(|g| plan.groups[*g].level == level)
            .collect();
        // Each block writes its rows' arguments into its own range of the columns: at stage 1
        // every held row, later the rows still in the population (whose population indices
        // are consecutive within a block).
        let ranges: Vec<(usize, usize)> = if level == 1 {
            (0..held.blocks.len())
                .map(|b| {
                    let s = held.starts[b];
                    (s, s + held.blocks[b].len())
                })
                .collect()
        } else {
            let mut next = 0usize;
            (0..held.blocks.len())
                .map(|b| {
                    let s = held.starts[b];
                    let len = held.blocks[b].len();
                    let alive = (s..s + len).filter(|&i| held.pop_index(i) != NONE).count();
                    next += alive;
                    (next - alive, next)
                })
                .collect()
        };
        let rows = if level == 1 { n_held } else { n_pop };
        // Per group: its arguments (mantissas, scales) and partitions.
        let mut arg_m: Vec<Vec<i64>> = groups.iter().map(|_| vec![0; rows]).collect();
        let mut arg_s: Vec<Vec<u8>> = groups.iter().map(|_| vec![NO_SCALE; rows]).collect();
        let mut parts: Vec<Vec<Value>> = groups
            .iter()
            .map(|&g| match plan.groups[g].within {
                Some(_) => vec![Value::Missing; rows],
                None => Vec::new(),
            })
            .collect();
        // Stage 1: per held row, its key's hash and its index (sorted to find repeated keys).
        let hashing = level == 1 && check_keys;
        let mut order: Vec<u64> = if hashing {
            vec![NO_HASH; rows]
        } else {
            Vec::new()
        };
        phase("stage columns");
        let (failed, exceptions): (Vec<(usize, Reject)>, Vec<Exception>) = {
            let mut per_block: Vec<Mutex<BlockArgs<'_>>> = (0..held.blocks.len())
                .map(|_| Mutex::new((Vec::new(), &mut [][..])))
                .collect();
            let mut rest: Vec<ArgSlice<'_>> = arg_m
                .iter_mut()
                .zip(arg_s.iter_mut())
                .zip(parts.iter_mut())
                .map(|((m, s), p)| (m.as_mut_slice(), s.as_mut_slice(), p.as_mut_slice()))
                .collect();
            let mut rest_h: &mut [u64] = order.as_mut_slice();
            for (slot, &(s, e)) in per_block.iter_mut().zip(&ranges) {
                let n = e - s;
                let mut mine = Vec::with_capacity(groups.len());
                for (m, sc, p) in rest.iter_mut() {
                    let (nm, ns, np) = (n.min(m.len()), n.min(sc.len()), n.min(p.len()));
                    let (mh, mt) = std::mem::take(m).split_at_mut(nm);
                    let (sh, st) = std::mem::take(sc).split_at_mut(ns);
                    let (ph, pt) = std::mem::take(p).split_at_mut(np);
                    mine.push((mh, sh, ph));
                    (*m, *sc, *p) = (mt, st, pt);
                }
                let hn = if hashing { n.min(rest_h.len()) } else { 0 };
                let (hh, ht) = std::mem::take(&mut rest_h).split_at_mut(hn);
                rest_h = ht;
                if let Ok(slot) = slot.get_mut() {
                    *slot = (mine, hh);
                }
            }
            let outs = par_map(held.blocks.len(), threads, &|b: usize| {
                let Some(Ok(mut dst)) = per_block.get(b).map(|m| m.lock()) else {
                    return (Vec::new(), Vec::new());
                };
                let (cols, hashes) = &mut *dst;
                stage_block(plan, held, b, level, &groups, cols, hashes)
            });
            let mut failed = Vec::new();
            let mut exceptions = Vec::new();
            for ((f, ex), &(start, _)) in outs.into_iter().zip(&ranges) {
                failed.extend(f);
                exceptions.extend(ex.into_iter().map(|(g, here, v)| (g, start + here, v)));
            }
            (failed, exceptions)
        };
        // A group with an argument that is not a 64-bit number keeps values instead.
        let mut args: Vec<ArgCol> = arg_m
            .into_iter()
            .zip(arg_s)
            .map(|(m, s)| ArgCol::Nums { m, s })
            .collect();
        for (gk, arg) in args.iter_mut().enumerate() {
            let mut mine = exceptions.iter().filter(|e| e.0 == gk).peekable();
            if mine.peek().is_none() {
                continue;
            }
            if let ArgCol::Nums { m, s } = arg {
                let mut values: Vec<Value> = m
                    .iter()
                    .zip(s.iter())
                    .map(|(&m, &s)| match s {
                        NO_SCALE | EXCEPTION => Value::Missing,
                        s => Decimal::from_parts(m.into(), u32::from(s))
                            .map_or(Value::Missing, Value::Num),
                    })
                    .collect();
                for (_, i, v) in mine {
                    if let Some(cell) = values.get_mut(*i) {
                        *cell = v.clone();
                    }
                }
                *arg = ArgCol::Values(values);
            }
        }
        // Rows that overflow leave the population: at stage 1 before it is numbered (and before
        // they could claim a key), later after this stage's values were counted.
        phase("stage evaluated");
        if level == 1 {
            let mut alive = vec![true; n_held];
            for (i, r) in failed {
                if let Some(a) = alive.get_mut(i) {
                    *a = false;
                }
                leave(i, Left::Overflow { level }, r)?;
            }
            if hashing {
                order.retain(|&h| h != NO_HASH && alive[held_index(h)]);
                phase("keys hashed");
                for (i, r) in duplicates(order, plan, held, key_column, threads) {
                    if let Some(a) = alive.get_mut(i) {
                        *a = false;
                    }
                    leave(i, Left::RepeatedKey, r)?;
                }
            }
            phase("keys checked");
            n_pop = alive.iter().filter(|&&a| a).count();
            if n_pop < n_held {
                let mut next = 0u32;
                held.state = alive
                    .iter()
                    .map(|&a| {
                        if a {
                            next += 1;
                            next - 1
                        } else {
                            NONE
                        }
                    })
                    .collect();
            }
            if n_pop < n_held {
                for arg in args.iter_mut() {
                    arg.retain(&alive);
                }
                for col in parts.iter_mut().filter(|p| !p.is_empty()) {
                    let mut k = 0;
                    col.retain(|_| {
                        let keep = alive[k];
                        k += 1;
                        keep
                    });
                }
            }
        } else {
            if !failed.is_empty() && held.state.is_empty() {
                held.state = (0..n_held as u32).collect();
            }
            for (i, r) in failed {
                if let Some(s) = held.state.get_mut(i) {
                    *s = NONE;
                }
                leave(i, Left::Overflow { level }, r)?;
            }
        }
        phase("stage args");
        // Compute this stage's functions.
        for ((&g, a), p) in groups.iter().zip(args).zip(parts) {
            let group = &plan.groups[g];
            let funcs: Vec<_> = group.slots.iter().map(|s| plan.slots[*s].func).collect();
            let cols = pop::compute_tables(
                &funcs,
                a.args(),
                group.within.as_ref().map(|_| p.as_slice()),
                threads,
            );
            for (col, &slot) in cols.into_iter().zip(&group.slots) {
                if let Some(c) = held.pops.get_mut(slot) {
                    *c = col;
                }
            }
        }
    }
    Ok(())
}

/// Stage `level` over one block: the arguments and partitions of the stage's groups for every
/// row still in the population (at stage 1: every held row, with its key's hash), written in
/// row order into `cols` (the block's range of each group's columns). Returns the rows that
/// overflowed (held index and reject; their arguments stay missing), and the arguments that
/// are not 64-bit numbers (group, place in the block's range, value; marked [`EXCEPTION`]).
pub(crate) fn stage_block(
    plan: &Plan,
    held: &Held,
    b: usize,
    level: u32,
    groups: &[usize],
    cols: &mut [ArgSlice<'_>],
    hashes: &mut [u64],
) -> (Vec<(usize, Reject)>, Vec<Exception>) {
    let mut failed = Vec::new();
    let mut exceptions = Vec::new();
    let Some(block) = held.blocks.get(b) else {
        return (failed, exceptions);
    };
    let base = held.starts[b];
    let src = HeldBlock { held, block, base };
    let list = plan
        .stage_items
        .get(level as usize - 1)
        .map_or(&[][..], Vec::as_slice);
    let frame = Frame::evaluate_items(plan, &src, list);
    let missing = vector::Column::ok(Col::Const(Value::Missing));
    let args: Vec<_> = groups
        .iter()
        .map(|&g| {
            let group = &plan.groups[g];
            let arg = group
                .arg
                .as_ref()
                .map_or(Cow::Borrowed(&missing), |n| frame.column(n));
            let within = group.within.as_ref().map(|n| frame.column(n));
            (g, arg, within)
        })
        .collect();
    let mut row_exceptions = Vec::new();
    let mut k = 0usize; // the row's place in the block's range
    for r in 0..block.len() {
        let i = base + r;
        if level > 1 && held.pop_index(i) == NONE {
            continue;
        }
        let here = k;
        k += 1;
        let key = plan.key.and_then(|f| block.text(f, r));
        if let (Some(h), Some(key)) = (hashes.get_mut(here), key) {
            *h = key_hash(key, i);
        }
        let fail = |item: ItemId| plan.overflow_reject(block.line(r), key, item);
        if let Some(item) = frame.overflow(r) {
            failed.push((i, fail(item)));
            continue;
        }
        row_exceptions.clear();
        let mut over = None;
        for (gk, (g, arg, within)) in args.iter().enumerate() {
            if arg.is_bad(r) || within.as_ref().is_some_and(|p| p.is_bad(r)) {
                over = Some(*g);
                break;
            }
            let Some((m, s, p)) = cols.get_mut(gk) else {
                continue;
            };
            match arg.col.num(r) {
                Some((x, sc)) => match i64::try_from(x) {
                    Ok(x) => {
                        if let (Some(mc), Some(sc_)) = (m.get_mut(here), s.get_mut(here)) {
                            *mc = x;
                            *sc_ = sc;
                        }
                    }
                    Err(_) => row_exceptions.push((gk, here, arg.col.value(r))),
                },
                None => {
                    let v = arg.col.value(r);
                    if !v.is_missing() {
                        row_exceptions.push((gk, here, v));
                    }
                }
            }
            if let (Some(w), Some(cell)) = (within, p.get_mut(here)) {
                *cell = w.col.value(r);
            }
        }
        match over {
            Some(g) => {
                // this row's arguments of the stage stay missing
                for (m, s, p) in cols.iter_mut() {
                    if let (Some(m), Some(s)) = (m.get_mut(here), s.get_mut(here)) {
                        *m = 0;
                        *s = NO_SCALE;
                    }
                    if let Some(cell) = p.get_mut(here) {
                        *cell = Value::Missing;
                    }
                }
                failed.push((i, fail(plan.first_user_of(g))));
            }
            None => {
                for &(gk, here, ref v) in &row_exceptions {
                    if let Some(s) = cols.get_mut(gk).and_then(|c| c.1.get_mut(here)) {
                        *s = EXCEPTION;
                    }
                    exceptions.push((gk, here, v.clone()));
                }
            }
        }
    }
    (failed, exceptions)
}

/// A held row's key hash for the duplicate search: 32 bits of the key's hash above the row's
/// held index, never [`NO_HASH`]. Sorting these sorts by hash, then input order; rows whose
/// 32 bits collide are told apart by comparing their keys.
pub(crate) fn key_hash(key: &str, i: usize) -> u64 {
    let h = (hash_bytes(key.as_bytes()) >> 32).max(1);
    (h << 32) | (i as u64 & 0xFFFF_FFFF)
}

/// The held index in a [`key_hash`].
pub(crate) fn held_index(h: u64) -> usize {
    (h & 0xFFFF_FFFF) as usize
}

/// The held rows (candidates, in `order` as [`key_hash`]es) whose key an earlier
/// candidate already had, with their rejects, worded as the data layer's `KeyTracker` does.
pub(crate) fn duplicates(
    mut order: Vec<u64>,
    plan: &Plan,
    held: &Held,
    column: Option<&str>,
    threads: usize,
) -> Vec<(usize, Reject)> {
    crate::pop::par_sort(&mut order, threads, |a, b| a.cmp(b));
    let key = |i: usize| -> (&str, u64) {
        match held.locate(i) {
            Some((block, r)) => (
                plan.key.and_then(|k| block.text(k, r)).unwrap_or(""),
                block.line(r),
            ),
            None => ("", 0),
        }
    };
    let mut out = Vec::new();
    let mut s = 0;
    while s < order.len() {
        let mut e = s + 1;
        while e < order.len() && order[e] >> 32 == order[s] >> 32 {
            e += 1;
        }
        // within one hash, in held (input) order: each key's first occurrence wins
        for x in s + 1..e {
            let cx = held_index(order[x]);
            let (kx, line) = key(cx);
            if let Some(first) = (s..x)
                .map(|y| held_index(order[y]))
                .find(|&cy| key(cy).0 == kx)
            {
                out.push((cx, repeated_key(line, column, kx.to_string(), key(first).1)));
            }
        }
        s = e;
    }
    out
}

/// The population values of row `i` (its population index), one per slot, into `buf`.
pub(crate) fn pop_row(cols: &[PopTable], i: usize, buf: &mut Vec<Value>) {
    buf.clear();
    buf.extend(cols.iter().map(|c| c.get(i)));
}
