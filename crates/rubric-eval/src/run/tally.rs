//! A worker's output for one batch, and the per-code counts of the summary.

use super::keys::RowKey;
use crate::table::Block;
use crate::value::Reject;
use rubric_check::hir::{ItemId, Model};
use rubric_syntax::Decimal;

/// Counts and measure sums per grade code of written rows: per summary grade, one
/// (customers, measure sum) per code and a last one for "no code".
#[derive(Clone, Debug, Default)]
pub(super) struct Tally {
    pub(super) grades: Vec<Vec<(u64, Decimal)>>,
    /// Which summary grades are tags.
    pub(super) tags: Vec<bool>,
    pub(super) measure_total: Decimal,
    pub(super) overflow: bool,
}

impl Tally {
    /// An empty tally of the grades and tags `items`.
    pub(super) fn new(model: &Model, items: &[ItemId]) -> Tally {
        Tally {
            grades: items
                .iter()
                .map(|&id| {
                    let codes = model.grade(id).map_or(0, |g| g.codes.len());
                    vec![(0, Decimal::ZERO); codes + 1]
                })
                .collect(),
            tags: items
                .iter()
                .map(|&id| model.grade(id).is_some_and(|g| g.is_tags))
                .collect(),
            measure_total: Decimal::ZERO,
            overflow: false,
        }
    }

    pub(super) fn add_to(slot: &mut (u64, Decimal), m: Option<Decimal>, overflow: &mut bool) {
        slot.0 += 1;
        if let Some(m) = m {
            match slot.1.checked_add(m) {
                Some(t) => slot.1 = t,
                None => *overflow = true,
            }
        }
    }

    /// Counts one written row: per summary grade its code (`u64::MAX`: missing) or tag bits.
    pub(super) fn count(&mut self, codes: impl Iterator<Item = u64>, m: Option<Decimal>) {
        if let Some(m) = m {
            match self.measure_total.checked_add(m) {
                Some(t) => self.measure_total = t,
                None => self.overflow = true,
            }
        }
        for ((slots, &tags), code) in self.grades.iter_mut().zip(&self.tags).zip(codes) {
            let none = slots.len() - 1;
            if tags {
                if code == 0 || code == u64::MAX {
                    if let Some(s) = slots.get_mut(none) {
                        Tally::add_to(s, m, &mut self.overflow);
                    }
                } else {
                    for (c, slot) in slots.iter_mut().enumerate().take(none.min(64)) {
                        if code & (1 << c) != 0 {
                            Tally::add_to(slot, m, &mut self.overflow);
                        }
                    }
                }
            } else {
                let at = usize::try_from(code)
                    .ok()
                    .filter(|&c| c < none)
                    .unwrap_or(none);
                if let Some(s) = slots.get_mut(at) {
                    Tally::add_to(s, m, &mut self.overflow);
                }
            }
        }
    }

    /// Adds another tally of the same run.
    pub(super) fn merge(&mut self, other: &Tally) {
        match self.measure_total.checked_add(other.measure_total) {
            Some(t) => self.measure_total = t,
            None => self.overflow = true,
        }
        self.overflow |= other.overflow;
        for (mine, theirs) in self.grades.iter_mut().zip(&other.grades) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                a.0 += b.0;
                match a.1.checked_add(b.1) {
                    Some(t) => a.1 = t,
                    None => self.overflow = true,
                }
            }
        }
    }

    /// Empties the counts, keeping the shape.
    pub(super) fn clear(&mut self) {
        for slots in &mut self.grades {
            slots.fill((0, Decimal::ZERO));
        }
        self.measure_total = Decimal::ZERO;
        self.overflow = false;
    }
}

/// One record after a worker is done with it.
pub(super) enum Done {
    /// Accepted by the parser: its key, for the duplicate-key check in input order.
    Row(RowKey),
    /// A run of accepted rows whose keys are not checked here (a held run).
    Rows(u32),
    Rejected(Box<Reject>),
}

/// Appends one accepted row whose key is not checked to `rows`.
pub(super) fn push_ok(rows: &mut Vec<Done>) {
    match rows.last_mut() {
        Some(Done::Rows(n)) if *n < u32::MAX => *n += 1,
        _ => rows.push(Done::Rows(1)),
    }
}

/// A worker's output for one batch.
#[derive(Default)]
pub(super) struct BatchOut {
    pub(super) rows: Vec<Done>,
    /// Final pass: every cell of every row, concatenated; `cells` holds (start, end) per cell,
    /// `start == u32::MAX` for missing.
    pub(super) text: String,
    pub(super) cells: Vec<(u32, u32)>,
    /// Final pass: per row, per summary grade: the code (grade) or bits (tags), `u64::MAX` missing.
    pub(super) codes: Vec<u64>,
    /// Final pass: per row, the measure.
    pub(super) measures: Vec<Option<Decimal>>,
    /// CSV output: the rows, formatted; `row_ends` holds where each row ends.
    pub(super) bytes: Vec<u8>,
    pub(super) row_ends: Vec<usize>,
    /// The keys of the rows (see [`RowKey`]).
    pub(super) keys: String,
    /// Reading a held run: the batch's accepted rows.
    pub(super) block: Option<Block>,
    /// Final pass of a held run: the written rows' counts, kept on the worker (no row of a
    /// held run is rejected after it is formatted, so `codes` and `measures` stay empty).
    pub(super) tally: Option<Tally>,
}

impl BatchOut {
    /// Empties every buffer, keeping its memory.
    pub(super) fn clear(&mut self) {
        self.rows.clear();
        self.text.clear();
        self.cells.clear();
        self.codes.clear();
        self.measures.clear();
        self.bytes.clear();
        self.row_ends.clear();
        self.keys.clear();
        self.block = None;
        if let Some(t) = self.tally.as_mut() {
            t.clear();
        }
    }
}
