//! `rubric run`'s evaluation of a data file: batches of records are parsed and evaluated on
//! every core, and written in input order.
//!
//! - A scheme without population functions is one streaming pass in bounded memory: a reader
//!   thread splits records, workers parse, evaluate and format them, and a sink checks keys
//!   and writes in order ([`pipeline`]).
//! - With population functions, the file is read once ([`hold`]): workers parse every record
//!   into compact typed columns ([`crate::table::Block`], one per batch), bad rows are
//!   rejected. Then, per population stage, every core evaluates the stage's arguments straight
//!   into argument columns, rows that overflow leave the population, at stage 1 repeated keys
//!   too (found by sorting key hashes), and the functions are computed into compact tables
//!   ([`crate::pop::PopTable`]). Finally every core evaluates and formats whole blocks, written
//!   in block order ([`par_blocks`]). Memory: the kept columns (about 50 bytes a row for six
//!   fields) plus 4 bytes a row per population sort.
//! - A row whose evaluation overflows is rejected. When that happens only after the population
//!   functions were computed (in an item that reads them), the row is left out of the output
//!   but was counted in the population; an overflow while computing a population function's
//!   argument leaves the row out of the population too (and, at stage 1, it claims no key).

use crate::eval;
use crate::hash::hash_bytes;
use crate::io::{
    Batch, ColumnKind, DataError, OutputColumn, OutputFormat, Reader, Rec, RecordWriter, RowParser,
    RowSink,
};
use crate::plan::Plan;
use crate::pop::{self, PopTable};
use crate::population::overflow_reason;
use crate::table::{self, Block, Keep};
use crate::trace::{Explainer, RowView};
use crate::value::{Reject, Value, ValueFormat};
use crate::vector::{self, Col, Frame, Source, NO_SCALE};
use rubric_check::hir::{ItemId, Model, Ty};
use rubric_syntax::Decimal;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Instant;

/// Records per batch.
const BATCH: usize = 8192;
const NONE: u32 = u32::MAX;
/// No key (a key's hash is never this: see `stage_block`). Zero, so that the column of hashes
/// is allocated zeroed and its pages are first touched by the workers that fill it, in
/// parallel.
const NO_HASH: u64 = 0;

/// What to write and how.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Also write every `let` and `points` (`--all`).
    pub all: bool,
    /// Add a `<name>_why` column after every grade and tags (`--explain`).
    pub explain: bool,
    /// The first bad row fails the run (`--strict`).
    pub strict: bool,
    /// Sum this numeric field or item per grade code in the summary (`--measure`).
    pub measure: Option<Measure>,
    /// Worker threads; 0 = one per core.
    pub threads: usize,
}

/// A numeric field or item summed per grade code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    Field(usize),
    Item(ItemId),
}

impl Measure {
    /// Finds a numeric field, let, points or score by name.
    pub fn find(model: &Model, name: &str) -> Result<Measure, String> {
        if let Some(f) = model.field_named(name) {
            return if model.fields[f].ty.is_numeric() {
                Ok(Measure::Field(f))
            } else {
                Err(format!("`{name}` is not a number, so it cannot be summed"))
            };
        }
        if let Some(i) = model.item_named(name) {
            return if model.items[i].ty.is_numeric() {
                Ok(Measure::Item(i))
            } else {
                Err(format!("`{name}` is not a number, so it cannot be summed"))
            };
        }
        Err(format!("the scheme has no field or value named `{name}`"))
    }
}

/// The output columns of a run: the key, the kept input fields, then the items (with `_why`
/// columns).
#[derive(Clone, Debug)]
pub struct Columns {
    pub columns: Vec<OutputColumn>,
    /// Per output column: the item it shows (`None`: the key, a kept field, an explanation).
    pub items_shown: Vec<Option<ItemId>>,
    /// Kept input fields (`--keep`), written after the key: field and format.
    fields: Vec<(usize, ValueFormat)>,
    items: Vec<(ItemId, ValueFormat, bool)>,
}

/// Which columns a run writes, beyond the key and the scores, grades and tags.
#[derive(Clone, Debug, Default)]
pub struct ColumnOptions {
    /// Every let and points value (`--all`).
    pub all: bool,
    /// A `_why` column per grade and tags (`--explain`).
    pub explain: bool,
    /// Labels instead of codes in grade and tags columns (`--labels`).
    pub labels: bool,
    /// Input fields written after the key, in this order (`--keep`), each under its header.
    pub keep: Vec<usize>,
}

impl Columns {
    pub fn new(model: &Model, all: bool, explain: bool) -> Columns {
        Columns::with(
            model,
            &ColumnOptions {
                all,
                explain,
                ..ColumnOptions::default()
            },
        )
    }

    pub fn with(model: &Model, options: &ColumnOptions) -> Columns {
        let mut columns = Vec::new();
        let mut items_shown = Vec::new();
        let key_name = model
            .key
            .and_then(|k| model.fields.get(k))
            .map_or("key".to_string(), |f| f.column.clone());
        let key_ty = model
            .key
            .and_then(|k| model.fields.get(k))
            .map_or(Ty::Text, |f| f.ty.clone());
        columns.push(OutputColumn::new(key_name, kind_of(&key_ty)));
        items_shown.push(None);
        let mut fields = Vec::new();
        for &f in &options.keep {
            let Some(def) = model.fields.get(f) else {
                continue;
            };
            columns.push(OutputColumn::new(def.column.clone(), kind_of(&def.ty)));
            items_shown.push(None);
            fields.push((f, ValueFormat::new(&def.ty, model)));
        }
        let mut items = Vec::new();
        for (id, item) in model.items.iter().enumerate() {
            if !(options.all || item.is_output()) {
                continue;
            }
            columns.push(OutputColumn::new(item.name.clone(), kind_of(&item.ty)));
            items_shown.push(Some(id));
            let why = options.explain && matches!(item.ty, Ty::Grade(_) | Ty::Tags(_));
            let fmt = if options.labels {
                ValueFormat::labelled(&item.ty, model)
            } else {
                ValueFormat::new(&item.ty, model)
            };
            items.push((id, fmt, why));
            if why {
                columns.push(OutputColumn::new(
                    format!("{}_why", item.name),
                    ColumnKind::Text,
                ));
                items_shown.push(None);
            }
        }
        Columns {
            columns,
            items_shown,
            fields,
            items,
        }
    }
}

fn kind_of(ty: &Ty) -> ColumnKind {
    match ty {
        Ty::Int | Ty::Decimal => ColumnKind::Number,
        Ty::Bool => ColumnKind::Bool,
        Ty::Date => ColumnKind::Date,
        Ty::Grade(_) => ColumnKind::Code,
        Ty::Tags(_) => ColumnKind::Tags,
        _ => ColumnKind::Text,
    }
}

/// Counts per code of one grade or tags.
#[derive(Clone, Debug)]
pub struct GradeSummary {
    pub item: ItemId,
    pub name: String,
    pub is_tags: bool,
    /// Per code, in declaration order: (code name, customers, measure sum).
    pub codes: Vec<(String, u64, Decimal)>,
    /// Customers without a code (a grade with no rule matched, tags with no tag).
    pub missing: (u64, Decimal),
}

/// What a run did.
#[derive(Clone, Debug, Default)]
pub struct RunSummary {
    /// Data records read (the header excluded).
    pub read: u64,
    pub written: u64,
    pub rejected: u64,
    pub grades: Vec<GradeSummary>,
    /// The measure's name, when one was summed.
    pub measure: Option<String>,
    /// Sum of the measure over all written rows.
    pub measure_total: Decimal,
    /// Measure sums that overflowed (then the sums are not exact).
    pub measure_overflow: bool,
    /// The lines of rejected rows that the population functions did count: a held run's rows
    /// whose evaluation overflowed only after the population was computed (every other
    /// rejected row is outside the population).
    pub rejected_in_population: Vec<u64>,
}

/// Why a run stopped.
#[derive(Debug)]
pub enum RunError {
    Data(DataError),
    /// `--strict`: the first bad row.
    Strict(Reject),
}

impl From<DataError> for RunError {
    fn from(e: DataError) -> RunError {
        RunError::Data(e)
    }
}

/// Everything a worker needs, shared by reference.
struct Ctx<'a> {
    plan: &'a Plan,
    model: &'a Model,
    src: &'a str,
    parser: &'a RowParser,
    columns: &'a Columns,
    explainer: Option<Explainer>,
    measure: Option<Measure>,
    summary_items: Vec<ItemId>,
    /// CSV output: rows are formatted on the workers.
    csv: bool,
    /// How each input field is kept in a block.
    keep: Arc<[Keep]>,
}

/// Counts and measure sums per grade code of written rows: per summary grade, one
/// (customers, measure sum) per code and a last one for "no code".
#[derive(Clone, Debug, Default)]
struct Tally {
    grades: Vec<Vec<(u64, Decimal)>>,
    /// Which summary grades are tags.
    tags: Vec<bool>,
    measure_total: Decimal,
    overflow: bool,
}

impl Tally {
    /// An empty tally of the grades and tags `items`.
    fn new(model: &Model, items: &[ItemId]) -> Tally {
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

    fn add_to(slot: &mut (u64, Decimal), m: Option<Decimal>, overflow: &mut bool) {
        slot.0 += 1;
        if let Some(m) = m {
            match slot.1.checked_add(m) {
                Some(t) => slot.1 = t,
                None => *overflow = true,
            }
        }
    }

    /// Counts one written row: per summary grade its code (`u64::MAX`: missing) or tag bits.
    fn count(&mut self, codes: impl Iterator<Item = u64>, m: Option<Decimal>) {
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
    fn merge(&mut self, other: &Tally) {
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
    fn clear(&mut self) {
        for slots in &mut self.grades {
            slots.fill((0, Decimal::ZERO));
        }
        self.measure_total = Decimal::ZERO;
        self.overflow = false;
    }
}

/// One record after a worker is done with it.
enum Done {
    /// Accepted by the parser: its key, for the duplicate-key check in input order.
    Row(RowKey),
    /// A run of accepted rows whose keys are not checked here (a held run).
    Rows(u32),
    Rejected(Box<Reject>),
}

/// Appends one accepted row whose key is not checked to `rows`.
fn push_ok(rows: &mut Vec<Done>) {
    match rows.last_mut() {
        Some(Done::Rows(n)) if *n < u32::MAX => *n += 1,
        _ => rows.push(Done::Rows(1)),
    }
}

/// A worker's output for one batch.
#[derive(Default)]
struct BatchOut {
    rows: Vec<Done>,
    /// Final pass: every cell of every row, concatenated; `cells` holds (start, end) per cell,
    /// `start == u32::MAX` for missing.
    text: String,
    cells: Vec<(u32, u32)>,
    /// Final pass: per row, per summary grade: the code (grade) or bits (tags), `u64::MAX` missing.
    codes: Vec<u64>,
    /// Final pass: per row, the measure.
    measures: Vec<Option<Decimal>>,
    /// CSV output: the rows, formatted; `row_ends` holds where each row ends.
    bytes: Vec<u8>,
    row_ends: Vec<usize>,
    /// The keys of the rows (see [`RowKey`]).
    keys: String,
    /// Reading a held run: the batch's accepted rows.
    block: Option<Block>,
    /// Final pass of a held run: the written rows' counts, kept on the worker (no row of a
    /// held run is rejected after it is formatted, so `codes` and `measures` stay empty).
    tally: Option<Tally>,
}

impl BatchOut {
    /// Empties every buffer, keeping its memory.
    fn clear(&mut self) {
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

/// Where a run writes its rows.
pub enum Output<'a> {
    /// CSV, JSON or JSONL bytes; `name` names the output in errors.
    Bytes {
        out: &'a mut dyn Write,
        name: &'a str,
        format: OutputFormat,
    },
    /// Rows of text cells, e.g. a workbook ([`crate::io::XlsxBook`]).
    Rows(&'a mut dyn RowSink),
}

/// The run's writer of records.
enum Records<'a> {
    Writer(RecordWriter<&'a mut dyn Write>),
    Rows(&'a mut dyn RowSink),
}

impl Records<'_> {
    fn sink(&mut self) -> &mut dyn RowSink {
        match self {
            Records::Writer(w) => w,
            Records::Rows(r) => *r,
        }
    }
}

/// Runs a scheme over the data `reader` reads. Rejects are returned in line order; `progress`
/// is called with the number of records read so far.
#[allow(clippy::too_many_arguments)]
pub fn run(
    plan: &Plan,
    model: &Model,
    src: &str,
    reader: Reader,
    out: &mut dyn Write,
    out_name: &str,
    format: OutputFormat,
    columns: &Columns,
    options: &RunOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<(RunSummary, Vec<Reject>), RunError> {
    let output = Output::Bytes {
        out,
        name: out_name,
        format,
    };
    run_to(plan, model, src, reader, output, columns, options, progress)
}

/// [`run`] to any [`Output`].
#[allow(clippy::too_many_arguments)]
pub fn run_to(
    plan: &Plan,
    model: &Model,
    src: &str,
    reader: Reader,
    output: Output<'_>,
    columns: &Columns,
    options: &RunOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<(RunSummary, Vec<Reject>), RunError> {
    phase("");
    let (format, out_name) = match &output {
        Output::Bytes { format, name, .. } => (Some(*format), name.to_string()),
        Output::Rows(_) => (None, String::new()),
    };
    let out_name = out_name.as_str();
    let parser = reader.row_parser(model)?;
    let summary_items: Vec<ItemId> = model
        .items
        .iter()
        .enumerate()
        .filter(|(_, i)| matches!(i.ty, Ty::Grade(_) | Ty::Tags(_)))
        .map(|(id, _)| id)
        .collect();
    let ctx = Ctx {
        plan,
        model,
        src,
        parser: &parser,
        columns,
        explainer: options.explain.then(|| Explainer::new(plan, model)),
        measure: options.measure,
        summary_items,
        csv: format == Some(OutputFormat::Csv),
        keep: table::keep_fields(
            &model.fields,
            &plan.fields_read(),
            options.explain || options.measure.is_some() || !columns.fields.is_empty(),
        )
        .into(),
    };
    let write_err = |source: std::io::Error| {
        RunError::Data(DataError::Write {
            path: out_name.to_string(),
            source,
        })
    };
    let mut writer: Option<Records<'_>> = None;
    let mut out_csv: Option<&mut dyn Write> = None;
    match output {
        Output::Bytes { out, .. } if ctx.csv => {
            let mut header = Vec::new();
            for (i, c) in columns.columns.iter().enumerate() {
                if i > 0 {
                    header.push(b',');
                }
                csv_cell(&mut header, c.name.as_bytes(), columns.columns.len() == 1);
            }
            header.push(b'\n');
            out.write_all(&header).map_err(write_err)?;
            out_csv = Some(out);
        }
        Output::Bytes { out, format, .. } => {
            writer = Some(Records::Writer(RecordWriter::new(
                out,
                out_name,
                format,
                columns.columns.clone(),
            )?));
        }
        Output::Rows(rows) => writer = Some(Records::Rows(rows)),
    }
    let threads = if options.threads > 0 {
        options.threads
    } else {
        std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(1, 16)
    };
    let mut summary = RunSummary {
        grades: ctx
            .summary_items
            .iter()
            .map(|&id| {
                let item = &model.items[id];
                let gd = model.grade(id);
                GradeSummary {
                    item: id,
                    name: item.name.clone(),
                    is_tags: gd.is_some_and(|g| g.is_tags),
                    codes: gd
                        .map(|g| {
                            g.codes
                                .iter()
                                .map(|c| (c.name.clone(), 0, Decimal::ZERO))
                                .collect()
                        })
                        .unwrap_or_default(),
                    missing: (0, Decimal::ZERO),
                }
            })
            .collect(),
        measure: options.measure.map(|m| match m {
            Measure::Field(f) => model.fields[f].name.clone(),
            Measure::Item(i) => model.items[i].name.clone(),
        }),
        ..RunSummary::default()
    };
    let mut rejects: Vec<Reject> = Vec::new();
    let mut keys = Keys::new(model);
    let strict = options.strict;
    let reject = |rejects: &mut Vec<Reject>, r: Reject| -> Result<(), RunError> {
        // (a totals row is set aside even then)
        if strict && !r.is_totals_row() {
            return Err(RunError::Strict(r));
        }
        rejects.push(r);
        Ok(())
    };

    // A scheme with population functions: read the file once into compact columns, compute
    // the population functions, then evaluate every row on every core.
    let (held, reader) = if plan.has_population() {
        let held = hold(
            &ctx,
            reader,
            threads,
            strict,
            &mut keys,
            &mut rejects,
            &mut summary,
            progress,
        )?;
        (Some(held), None)
    } else {
        (None, Some(reader))
    };
    let ngrades = ctx.summary_items.len();
    let mut read = 0u64;
    let single_pass = held.is_none();
    let mut tally = Tally::new(model, &ctx.summary_items);
    let mut in_population = Vec::new();
    let mut sink = |out: &mut BatchOut| -> Result<(), RunError> {
        let mut rows = std::mem::take(&mut out.rows);
        let ncols = columns.columns.len();
        let mut row_i = 0usize;
        // Writes rows `from..to` of the batch; counts them unless the worker did.
        let mut write_rows = |from: usize, to: usize| -> Result<(), RunError> {
            match (writer.as_mut().map(Records::sink), out_csv.as_mut()) {
                (Some(w), _) => {
                    for i in from..to {
                        for c in 0..ncols {
                            let (s, e) = out
                                .cells
                                .get(i * ncols + c)
                                .copied()
                                .unwrap_or((u32::MAX, 0));
                            let cell = if s == u32::MAX {
                                None
                            } else {
                                out.text.get(s as usize..e as usize)
                            };
                            w.cell(cell)?;
                        }
                        w.end_row()?;
                    }
                }
                (None, Some(o)) => {
                    let start = if from == 0 {
                        0
                    } else {
                        out.row_ends.get(from - 1).copied().unwrap_or(0)
                    };
                    let end = to
                        .checked_sub(1)
                        .and_then(|last| out.row_ends.get(last))
                        .copied()
                        .unwrap_or(start)
                        .max(start);
                    o.write_all(out.bytes.get(start..end).unwrap_or(&[]))
                        .map_err(write_err)?;
                }
                (None, None) => {}
            }
            summary.written += (to - from) as u64;
            if out.tally.is_none() {
                for i in from..to {
                    let m = out.measures.get(i).copied().flatten();
                    let codes = (0..ngrades)
                        .map(|g| out.codes.get(i * ngrades + g).copied().unwrap_or(u64::MAX));
                    tally.count(codes, m);
                }
            }
            Ok(())
        };
        // Accepted rows are written in runs, not one by one. A streaming run checks every key
        // here, in order; each probe of a large table misses the cache, so the slot of the key
        // `AHEAD` rows on is read first, to be in cache by its turn.
        const AHEAD: usize = 16;
        let mut run: Option<usize> = None;
        let mut warm = 0u64;
        for j in 0..rows.len() {
            if single_pass {
                if let Some(Done::Row(next)) = rows.get(j + AHEAD) {
                    warm ^= keys.touch(next.hash);
                }
            }
            let Some(done) = rows.get_mut(j).map(|d| std::mem::replace(d, Done::Rows(0))) else {
                break;
            };
            match done {
                Done::Rejected(r) => {
                    if let Some(from) = run.take() {
                        write_rows(from, row_i)?;
                    }
                    read += 1;
                    if !single_pass {
                        // (a held run rejects a row here only after the population functions)
                        in_population.push(r.line);
                    }
                    reject(&mut rejects, *r)?;
                }
                Done::Rows(n) => {
                    let n = n as usize;
                    read += n as u64;
                    let from = run.take().unwrap_or(row_i);
                    write_rows(from, row_i + n)?;
                    row_i += n;
                }
                Done::Row(row) => {
                    read += 1;
                    let i = row_i;
                    row_i += 1;
                    if single_pass {
                        if let Err(r) = keys.check(&row, &out.keys) {
                            if let Some(from) = run.take() {
                                write_rows(from, i)?;
                            }
                            reject(&mut rejects, r)?;
                            continue;
                        }
                    }
                    run.get_or_insert(i);
                }
            }
        }
        if let Some(from) = run.take() {
            write_rows(from, row_i)?;
        }
        std::hint::black_box(warm);
        rows.clear();
        if let Some(t) = &out.tally {
            tally.merge(t);
        }
        out.rows = rows;
        if single_pass {
            progress(read);
        }
        Ok(())
    };
    let ctx_ref = &ctx;
    match (&held, reader) {
        (Some(h), _) => par_blocks(
            h.blocks.len(),
            threads,
            &|b: usize, out: &mut BatchOut| final_block(ctx_ref, h, b, out),
            &mut sink,
        )?,
        (None, Some(reader)) => pipeline(
            reader,
            threads,
            &|batch: &mut Batch| final_batch(ctx_ref, batch),
            &mut |mut out: BatchOut| sink(&mut out),
        )?,
        (None, None) => {}
    }
    if single_pass {
        summary.read = read;
    }
    phase("final");
    summary.measure_total = tally.measure_total;
    summary.measure_overflow = tally.overflow;
    for (gs, slots) in summary.grades.iter_mut().zip(&tally.grades) {
        for (code, &(n, m)) in gs.codes.iter_mut().zip(slots.iter()) {
            code.1 = n;
            code.2 = m;
        }
        if let Some(&none) = slots.last() {
            gs.missing = none;
        }
    }
    rejects.sort_by_key(|r| r.line);
    summary.rejected = rejects.len() as u64;
    in_population.sort_unstable();
    summary.rejected_in_population = in_population;
    if let Some(Records::Writer(w)) = writer {
        w.finish()?;
    }
    Ok((summary, rejects))
}

/// The reject of the row on `line` whose evaluation overflowed in `item`.
fn overflow_reject(plan: &Plan, line: u64, key: Option<&str>, item: ItemId) -> Reject {
    Reject {
        line,
        column: None,
        reason: overflow_reason(plan, item),
        key: key.map(String::from),
    }
}

/// A parsed row's key as text (`None`: it has none).
fn key_of<'v>(plan: &Plan, values: &'v [Value]) -> Option<Cow<'v, str>> {
    match plan.key.and_then(|k| values.get(k)) {
        Some(Value::Text(t)) => Some(Cow::Borrowed(t)),
        None | Some(Value::Missing) => None,
        Some(_) => Some(Cow::Owned(plan.key_text(values))),
    }
}

/// Parses every record of `batch` into `block`, in file order, and tells `done` after each
/// whether it was appended or why it is rejected.
fn parse_into_block(
    parser: &RowParser,
    batch: &Batch,
    block: &mut Block,
    done: &mut dyn FnMut(Result<(), Reject>),
) {
    if !batch.lines.is_empty() {
        parser.parse_lines(batch, &mut |line, parsed| {
            done(parsed.map(|(cells, wide)| block.push_cells(line, cells, wide)));
        });
        return;
    }
    let mut cells = Vec::new();
    let mut wide = Vec::new();
    let mut values = Vec::new();
    for rec in batch.records.iter().map(Rec::Raw) {
        let parsed = if rec.bytes().is_some() {
            parser
                .parse_cells(rec, &mut cells, &mut wide)
                .map(|()| block.push_cells(rec.line(), &cells, &wide))
        } else {
            parser
                .parse_rec(rec, &mut values)
                .map(|()| block.push(rec.line(), &values))
        };
        done(parsed);
    }
}

/// The final pass over one batch of a streaming run: parse, evaluate every item, format the
/// output cells.
fn final_batch(ctx: &Ctx<'_>, batch: &mut Batch) -> BatchOut {
    if ctx.explainer.is_some() {
        return final_batch_rows(ctx, batch);
    }
    let batch = &*batch;
    let plan = ctx.plan;
    let mut out = BatchOut::default();
    let mut block = Block::new(&ctx.model.fields, &ctx.keep, batch.len());
    // per record: its row in the block, or why it was rejected
    let mut parsed: Vec<Result<usize, Reject>> = Vec::with_capacity(batch.len());
    let mut rows = 0usize;
    parse_into_block(ctx.parser, batch, &mut block, &mut |r| {
        parsed.push(r.map(|()| {
            rows += 1;
            rows - 1
        }));
    });
    let src = PlainBlock(&block);
    let frame = Frame::evaluate(plan, &src);
    let mut writer = BlockWriter::new(ctx, &frame);
    for p in parsed {
        let r = match p {
            Ok(r) => r,
            Err(reject) => {
                out.rows.push(Done::Rejected(Box::new(reject)));
                continue;
            }
        };
        let key = plan.key.and_then(|k| block.text(k, r));
        let line = block.line(r);
        if let Some(item) = frame.overflow(r) {
            // a row without a key is named by an empty one
            let reject = overflow_reject(plan, line, Some(key.unwrap_or("")), item);
            out.rows.push(Done::Rejected(Box::new(reject)));
            continue;
        }
        writer.write(ctx, &mut out, r, key);
        let key = RowKey::of(line, key, &mut out.keys);
        out.rows.push(Done::Row(key));
    }
    out
}

/// [`final_batch`] with the row evaluator, for `--explain` (its trace needs the row's values).
fn final_batch_rows(ctx: &Ctx<'_>, batch: &Batch) -> BatchOut {
    let plan = ctx.plan;
    let mut out = BatchOut::default();
    out.cells.reserve(batch.len() * ctx.columns.columns.len());
    let mut scratch = Vec::with_capacity(plan.items.len());
    let mut values = Vec::with_capacity(plan.nfields);
    batch.for_each_rec(&mut |rec| {
        if let Err(r) = ctx.parser.parse_rec(rec, &mut values) {
            out.rows.push(Done::Rejected(Box::new(r)));
            return;
        }
        let key = key_of(plan, &values);
        if let Err(item) = eval::eval_row(plan, &values, &[], &mut scratch, None) {
            // a row without a key is named by an empty one
            let reject =
                overflow_reject(plan, rec.line(), Some(key.as_deref().unwrap_or("")), item);
            out.rows.push(Done::Rejected(Box::new(reject)));
            return;
        }
        emit_row(ctx, &mut out, key.as_deref(), &values, &scratch, &[]);
        let key = RowKey::of(rec.line(), key.as_deref(), &mut out.keys);
        out.rows.push(Done::Row(key));
    });
    out
}

/// The final pass over one block of a held run: evaluate every item of every row still in the
/// population, format the output cells.
fn final_block(ctx: &Ctx<'_>, held: &Held, b: usize, out: &mut BatchOut) {
    let plan = ctx.plan;
    if out.tally.is_none() {
        out.tally = Some(Tally::new(ctx.model, &ctx.summary_items));
    }
    let Some(block) = held.blocks.get(b) else {
        return;
    };
    let base = held.starts.get(b).copied().unwrap_or(0);
    if !ctx.csv {
        out.cells.reserve(block.len() * ctx.columns.columns.len());
    }
    if ctx.explainer.is_none() {
        let src = HeldBlock { held, block, base };
        let frame = Frame::evaluate(plan, &src);
        let mut writer = BlockWriter::new(ctx, &frame);
        for r in 0..block.len() {
            if held.pop_index(base + r) == NONE {
                continue;
            }
            let key = plan.key.and_then(|k| block.text(k, r));
            if let Some(item) = frame.overflow(r) {
                let reject = overflow_reject(plan, block.line(r), key, item);
                out.rows.push(Done::Rejected(Box::new(reject)));
                continue;
            }
            writer.write(ctx, out, r, key);
            push_ok(&mut out.rows);
        }
        return;
    }
    let mut scratch = Vec::with_capacity(plan.items.len());
    let mut values = Vec::with_capacity(plan.nfields);
    let mut prow = Vec::with_capacity(plan.slots.len());
    for r in 0..block.len() {
        let p = held.pop_index(base + r);
        if p == NONE {
            continue;
        }
        block.row(r, &mut values);
        pop_row(&held.pops, p as usize, &mut prow);
        let key = plan.key.and_then(|k| block.text(k, r));
        if let Err(item) = eval::eval_row(plan, &values, &prow, &mut scratch, None) {
            let reject = overflow_reject(plan, block.line(r), key, item);
            out.rows.push(Done::Rejected(Box::new(reject)));
            continue;
        }
        emit_row(ctx, out, key, &values, &scratch, &prow);
        push_ok(&mut out.rows);
    }
}

/// Formats rows of a block evaluated by the block evaluator: CSV cells straight into the
/// output bytes (a grade's codes escaped once per block), other formats through [`emit`].
struct BlockWriter<'f> {
    frame: &'f Frame<'f>,
    /// Per output item: its column.
    items: Vec<Option<&'f Col>>,
    /// Per output item: its codes, each already a CSV cell.
    code_cells: Vec<Vec<Vec<u8>>>,
    summary: Vec<Option<&'f Col>>,
    measure: Option<&'f Col>,
    scratch: String,
}

impl<'f> BlockWriter<'f> {
    fn new(ctx: &Ctx<'_>, frame: &'f Frame<'f>) -> BlockWriter<'f> {
        let code_cells = ctx
            .columns
            .items
            .iter()
            .map(|(_, fmt, _)| {
                fmt.codes()
                    .iter()
                    .map(|c| {
                        let mut cell = Vec::new();
                        csv_cell(&mut cell, c.as_bytes(), false);
                        cell
                    })
                    .collect()
            })
            .collect();
        BlockWriter {
            frame,
            items: ctx
                .columns
                .items
                .iter()
                .map(|(id, _, _)| frame.item_col(*id))
                .collect(),
            code_cells,
            summary: ctx
                .summary_items
                .iter()
                .map(|&id| frame.item_col(id))
                .collect(),
            measure: match ctx.measure {
                Some(Measure::Field(f)) => Some(frame.field_col(f)),
                Some(Measure::Item(i)) => frame.item_col(i),
                None => None,
            },
            scratch: String::new(),
        }
    }

    /// Formats row `r` (with its key) into `out`, and counts it (on the worker when `out`
    /// has a tally, else its codes and measure go to the writer).
    fn write(&mut self, ctx: &Ctx<'_>, out: &mut BatchOut, r: usize, key: Option<&str>) {
        let measure = self
            .measure
            .and_then(|c| c.num(r))
            .and_then(|(m, s)| vector::dec(m, s));
        if !ctx.csv {
            let frame = self.frame;
            let cell = |id: ItemId, fmt: &ValueFormat, t: &mut String| match frame.item_col(id) {
                Some(c) => c.write(r, fmt, t),
                None => false,
            };
            let code = |id: ItemId| frame.item_col(id).map_or(u64::MAX, |c| c.code_bits(r));
            let field =
                |f: usize, fmt: &ValueFormat, t: &mut String| frame.field_col(f).write(r, fmt, t);
            let cells = Cells {
                item: &cell,
                field: &field,
            };
            emit(ctx, out, key, &cells, &code, &|_| String::new(), measure);
            return;
        }
        let ncols = ctx.columns.columns.len();
        csv_cell(&mut out.bytes, key.unwrap_or("").as_bytes(), ncols == 1);
        for (f, fmt) in &ctx.columns.fields {
            out.bytes.push(b',');
            self.frame
                .field_col(*f)
                .write_csv(r, fmt, &[], &mut out.bytes, &mut self.scratch);
        }
        for ((col, (_, fmt, _)), codes) in self
            .items
            .iter()
            .zip(&ctx.columns.items)
            .zip(&self.code_cells)
        {
            out.bytes.push(b',');
            if let Some(col) = col {
                col.write_csv(r, fmt, codes, &mut out.bytes, &mut self.scratch);
            }
        }
        out.bytes.push(b'\n');
        out.row_ends.push(out.bytes.len());
        let codes = self
            .summary
            .iter()
            .map(|c| c.map_or(u64::MAX, |c| c.code_bits(r)));
        match out.tally.as_mut() {
            Some(t) => t.count(codes, measure),
            None => {
                out.codes.extend(codes);
                out.measures.push(measure);
            }
        }
    }
}

/// Formats one row evaluated by the row interpreter (see [`emit`]).
fn emit_row(
    ctx: &Ctx<'_>,
    out: &mut BatchOut,
    key: Option<&str>,
    fields: &[Value],
    items: &[Value],
    pops: &[Value],
) {
    let measure = match ctx.measure {
        Some(Measure::Field(f)) => match fields.get(f) {
            Some(Value::Num(d)) => Some(*d),
            _ => None,
        },
        Some(Measure::Item(i)) => match items.get(i) {
            Some(Value::Num(d)) => Some(*d),
            _ => None,
        },
        None => None,
    };
    let why = |id: ItemId| match &ctx.explainer {
        Some(ex) => {
            let view = RowView {
                fields,
                items,
                pops,
            };
            ex.trace_view(ctx.plan, ctx.model, &view, id, None)
                .why(ctx.src, ctx.model)
        }
        None => String::new(),
    };
    let cell = |id: ItemId, fmt: &ValueFormat, t: &mut String| match items.get(id) {
        None | Some(Value::Missing) => false,
        Some(v) => {
            fmt.write(v, t);
            true
        }
    };
    let code = |id: ItemId| match items.get(id) {
        Some(Value::Code(c)) => u64::from(*c),
        Some(Value::Tags(b)) => *b,
        _ => u64::MAX,
    };
    let field = |f: usize, fmt: &ValueFormat, t: &mut String| match fields.get(f) {
        None | Some(Value::Missing) => false,
        Some(v) => {
            fmt.write(v, t);
            true
        }
    };
    let cells = Cells {
        item: &cell,
        field: &field,
    };
    emit(ctx, out, key, &cells, &code, &why, measure);
}

/// Writes an item's or a field's cell (returns false, writing nothing, when it is missing).
type CellFn<'a> = dyn Fn(usize, &ValueFormat, &mut String) -> bool + 'a;

/// How [`emit`] gets a row's cells.
struct Cells<'a> {
    item: &'a CellFn<'a>,
    /// A kept input field's cell.
    field: &'a CellFn<'a>,
}

/// Formats one evaluated row's output cells (and its summary codes and measure) into `out`:
/// `cell` writes an item's value, `code` gives a grade's code or a tags item's bits (`u64::MAX`:
/// missing), `why` an item's explanation (for `--explain` columns).
fn emit(
    ctx: &Ctx<'_>,
    out: &mut BatchOut,
    key: Option<&str>,
    cell: &Cells<'_>,
    code: &dyn Fn(ItemId) -> u64,
    why: &dyn Fn(ItemId) -> String,
    measure: Option<Decimal>,
) {
    let ncols = ctx.columns.columns.len();
    let push = |out: &mut BatchOut, f: &dyn Fn(&mut String) -> bool| {
        let s = out.text.len();
        if f(&mut out.text) {
            out.cells.push((s as u32, out.text.len() as u32));
        } else {
            out.text.truncate(s);
            out.cells.push((u32::MAX, 0));
        }
    };
    push(out, &|t: &mut String| match key {
        Some(k) => {
            t.push_str(k);
            true
        }
        None => false,
    });
    for (f, fmt) in &ctx.columns.fields {
        push(out, &|t: &mut String| (cell.field)(*f, fmt, t));
    }
    for (id, fmt, explain) in &ctx.columns.items {
        push(out, &|t: &mut String| (cell.item)(*id, fmt, t));
        if *explain {
            let text = why(*id);
            push(out, &|t: &mut String| {
                t.push_str(&text);
                true
            });
        }
    }
    let code = |g: &ItemId| code(*g);
    match out.tally.as_mut() {
        Some(t) => t.count(ctx.summary_items.iter().map(code), measure),
        None => {
            out.codes.extend(ctx.summary_items.iter().map(code));
            out.measures.push(measure);
        }
    }
    if ctx.csv {
        for (c, &(a, b)) in out.cells.iter().enumerate() {
            if c > 0 {
                out.bytes.push(b',');
            }
            let text = if a == u32::MAX {
                ""
            } else {
                out.text.get(a as usize..b as usize).unwrap_or("")
            };
            csv_cell(&mut out.bytes, text.as_bytes(), ncols == 1);
        }
        out.bytes.push(b'\n');
        out.row_ends.push(out.bytes.len());
        out.text.clear();
        out.cells.clear();
    }
}

/// One block's ranges of the argument columns and of the key hashes, for one stage.
type BlockArgs<'a> = (Vec<ArgSlice<'a>>, &'a mut [u64]);

/// One block's range of a population stage's argument column (numbers as mantissa and scale)
/// and of its partition column (empty without `within`).
type ArgSlice<'a> = (&'a mut [i64], &'a mut [u8], &'a mut [Value]);

/// In an argument column: the row's value is not a 64-bit number; it is among the stage's
/// exceptions.
const EXCEPTION: u8 = NO_SCALE - 1;

/// An argument that is not a 64-bit number: (group, row, value).
type Exception = (usize, usize, Value);

/// A population stage's argument column: numbers compactly (9 bytes a row, not a value's 24),
/// or values when any argument is something else (a date, a text, a number beyond 64 bits).
enum ArgCol {
    Nums { m: Vec<i64>, s: Vec<u8> },
    Values(Vec<Value>),
}

impl ArgCol {
    fn args(&self) -> pop::Args<'_> {
        match self {
            ArgCol::Nums { m, s } => pop::Args::Nums { m, s },
            ArgCol::Values(v) => pop::Args::Values(v),
        }
    }

    /// Keeps the rows whose `alive` is true.
    fn retain(&mut self, alive: &[bool]) {
        let keep = |k: &mut usize| {
            let keep = alive.get(*k).copied().unwrap_or(false);
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
struct Held {
    blocks: Vec<Block>,
    /// Per block, the index of its first row among all held rows.
    starts: Vec<usize>,
    /// Per held row: its index in the population columns, or `NONE` when it has left the
    /// population (a duplicate key, an overflow). Empty while every held row is in the
    /// population at its own index, the usual case (4 bytes a row saved: 40 MB at 10M rows).
    state: Vec<u32>,
    /// One table per population slot, indexed by population index.
    pops: Vec<PopTable>,
}

/// A block without population values as the block evaluator's input (a streaming run).
struct PlainBlock<'a>(&'a Block);

impl Source for PlainBlock<'_> {
    fn rows(&self) -> usize {
        self.0.len()
    }

    fn field(&self, f: usize) -> Col {
        self.0.column(f)
    }

    fn pop(&self, _slot: usize) -> Col {
        Col::Const(Value::Missing)
    }
}

/// One held block as the block evaluator's input.
struct HeldBlock<'a> {
    held: &'a Held,
    block: &'a Block,
    /// The index of the block's first row among all held rows.
    base: usize,
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
    /// The block and row of held row `i`.
    /// Held row `i`'s index in the population columns, or `NONE` when it left the population.
    #[inline]
    fn pop_index(&self, i: usize) -> u32 {
        if self.state.is_empty() {
            u32::try_from(i).unwrap_or(NONE)
        } else {
            self.state.get(i).copied().unwrap_or(NONE)
        }
    }

    fn locate(&self, i: usize) -> Option<(&Block, usize)> {
        let b = self.starts.partition_point(|&s| s <= i).checked_sub(1)?;
        let block = self.blocks.get(b)?;
        Some((block, i - self.starts.get(b)?))
    }
}

/// Reads the whole file into blocks (rejecting bad rows), then computes the population
/// functions stage by stage: evaluates each stage's arguments on every core, leaves rows that
/// overflow or repeat an earlier row's key out of the population, and sorts.
#[allow(clippy::too_many_arguments)]
fn hold(
    ctx: &Ctx<'_>,
    reader: Reader,
    threads: usize,
    strict: bool,
    keys: &mut Keys,
    rejects: &mut Vec<Reject>,
    summary: &mut RunSummary,
    progress: &mut dyn FnMut(u64),
) -> Result<Held, RunError> {
    let plan = ctx.plan;
    let model = ctx.model;
    let keep = &ctx.keep;
    let reject = |rejects: &mut Vec<Reject>, r: Reject| -> Result<(), RunError> {
        // (a totals row is set aside even then)
        if strict && !r.is_totals_row() {
            return Err(RunError::Strict(r));
        }
        rejects.push(r);
        Ok(())
    };
    // Read and parse.
    let mut blocks: Vec<Block> = Vec::new();
    let mut starts: Vec<usize> = Vec::new();
    let mut n_held = 0usize;
    let mut read = 0u64;
    pipeline(
        reader,
        threads,
        &|batch: &mut Batch| {
            let batch = &*batch;
            let mut out = BatchOut::default();
            let mut block = Block::new(&model.fields, keep, batch.len());
            parse_into_block(ctx.parser, batch, &mut block, &mut |r| match r {
                Ok(()) => push_ok(&mut out.rows),
                Err(r) => out.rows.push(Done::Rejected(Box::new(r))),
            });
            block.compact();
            out.block = Some(block);
            out
        },
        &mut |mut out: BatchOut| {
            let Some(block) = out.block.take() else {
                return Ok(());
            };
            // With `--strict` the first bad row in file order fails the run, be it a bad record
            // or a repeated key.
            let mut first_bad: Option<Reject> = None;
            for done in out.rows {
                match done {
                    Done::Rejected(r) => {
                        read += 1;
                        if !strict || r.is_totals_row() {
                            rejects.push(*r);
                        } else if first_bad.is_none() {
                            first_bad = Some(*r);
                        }
                    }
                    Done::Rows(n) => read += u64::from(n),
                    Done::Row(_) => read += 1,
                }
            }
            if strict {
                let mut buf = String::new();
                for r in 0..block.len() {
                    let line = block.line(r);
                    if first_bad.as_ref().is_some_and(|b| b.line < line) {
                        break;
                    }
                    if let Some(k) = plan.key.and_then(|k| block.text(k, r)) {
                        buf.clear();
                        let key = RowKey::text(line, k, &mut buf);
                        if let Err(e) = keys.check(&key, &buf) {
                            first_bad = Some(e);
                            break;
                        }
                    }
                }
                if let Some(bad) = first_bad {
                    return Err(RunError::Strict(bad));
                }
            }
            starts.push(n_held);
            n_held += block.len();
            blocks.push(block);
            progress(read);
            Ok(())
        },
    )?;
    summary.read = read;
    phase("read");
    let mut held = Held {
        blocks,
        starts,
        state: Vec::new(),
        pops: vec![PopTable::default(); plan.slots.len()],
    };
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
                    let s = held.starts.get(b).copied().unwrap_or(0);
                    (s, s + held.blocks.get(b).map_or(0, Block::len))
                })
                .collect()
        } else {
            let mut next = 0usize;
            (0..held.blocks.len())
                .map(|b| {
                    let s = held.starts.get(b).copied().unwrap_or(0);
                    let len = held.blocks.get(b).map_or(0, Block::len);
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
        let hashing = level == 1 && !strict;
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
                stage_block(ctx, &held, b, level, &groups, cols, hashes)
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
                reject(rejects, r)?;
            }
            if hashing {
                order.retain(|&h| {
                    h != NO_HASH && alive.get(held_index(h)).copied().unwrap_or(false)
                });
                phase("keys hashed");
                for (i, r) in duplicates(order, plan, &held, keys.column.as_deref(), threads) {
                    if let Some(a) = alive.get_mut(i) {
                        *a = false;
                    }
                    rejects.push(r);
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
                        let keep = alive.get(k).copied().unwrap_or(false);
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
                reject(rejects, r)?;
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
    phase("pops");
    Ok(held)
}

/// With `RUBRIC_PHASES=1` in the environment, prints the time since the run started at the end
/// of each phase to stderr (for profiling; see BENCHMARKS.md).
fn phase(name: &str) {
    static START: OnceLock<(Instant, bool)> = OnceLock::new();
    let (t0, on) =
        START.get_or_init(|| (Instant::now(), std::env::var_os("RUBRIC_PHASES").is_some()));
    if *on && !name.is_empty() {
        // resident memory now and at its peak (Linux), from /proc/self/status
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let mb = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
                .map_or(0, |kb| kb / 1024)
        };
        eprintln!(
            "phase {name}: {:.3} s, rss {} MB, peak {} MB",
            t0.elapsed().as_secs_f64(),
            mb("VmRSS:"),
            mb("VmHWM:")
        );
    }
}

/// Stage `level` over one block: the arguments and partitions of the stage's groups for every
/// row still in the population (at stage 1: every held row, with its key's hash), written in
/// row order into `cols` (the block's range of each group's columns). Returns the rows that
/// overflowed (held index and reject; their arguments stay missing), and the arguments that
/// are not 64-bit numbers (group, place in the block's range, value; marked [`EXCEPTION`]).
fn stage_block(
    ctx: &Ctx<'_>,
    held: &Held,
    b: usize,
    level: u32,
    groups: &[usize],
    cols: &mut [ArgSlice<'_>],
    hashes: &mut [u64],
) -> (Vec<(usize, Reject)>, Vec<Exception>) {
    let plan = ctx.plan;
    let mut failed = Vec::new();
    let mut exceptions = Vec::new();
    let Some(block) = held.blocks.get(b) else {
        return (failed, exceptions);
    };
    let base = held.starts.get(b).copied().unwrap_or(0);
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
        let fail = |item: ItemId| overflow_reject(plan, block.line(r), key, item);
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
fn key_hash(key: &str, i: usize) -> u64 {
    let h = (hash_bytes(key.as_bytes()) >> 32).max(1);
    (h << 32) | (i as u64 & 0xFFFF_FFFF)
}

/// The held index in a [`key_hash`].
fn held_index(h: u64) -> usize {
    (h & 0xFFFF_FFFF) as usize
}

/// The held rows (candidates, in `order` as [`key_hash`]es) whose key an earlier
/// candidate already had, with their rejects, worded as the data layer's `KeyTracker` does.
fn duplicates(
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
                out.push((
                    cx,
                    Reject {
                        line,
                        column: column.map(String::from),
                        reason: format!("duplicate key `{kx}` (first on line {})", key(first).1),
                        key: Some(kx.to_string()),
                    },
                ));
            }
        }
        s = e;
    }
    out
}

/// Maps `work` over `0..n` on `threads` workers; the results in index order.
fn par_map<T: Send>(n: usize, threads: usize, work: &(dyn Fn(usize) -> T + Sync)) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let mut parts: Vec<Vec<(usize, T)>> = Vec::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|_| {
                s.spawn(|| {
                    rubric_syntax::stack::guarded(|| {
                        let mut mine = Vec::new();
                        loop {
                            let i = next.fetch_add(1, AtomicOrdering::Relaxed);
                            if i >= n {
                                break;
                            }
                            mine.push((i, work(i)));
                        }
                        mine
                    })
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(mine) => parts.push(mine),
                // a bug, not a result to drop: it goes on to the caller
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    let mut all: Vec<(usize, T)> = parts.into_iter().flatten().collect();
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, t)| t).collect()
}

/// Maps `work` over blocks `0..n` on `threads` workers and hands the results to `sink` in
/// block order, a few blocks ahead at most. The outputs' buffers are reused (fresh memory costs
/// a page fault per page). Stops at the first error of the sink.
fn par_blocks(
    n: usize,
    threads: usize,
    work: &(dyn Fn(usize, &mut BatchOut) + Sync),
    sink: &mut dyn FnMut(&mut BatchOut) -> Result<(), RunError>,
) -> Result<(), RunError> {
    let threads = threads.max(1);
    let next = AtomicUsize::new(0);
    let (tx, rx) = sync_channel::<(usize, BatchOut)>(2 * threads);
    // Workers do not run more than `window` blocks ahead of the sink.
    let window = 4 * threads;
    // How many blocks the sink has taken, or `usize::MAX` once it stopped.
    let written = (Mutex::new(0usize), Condvar::new());
    let pool: Mutex<Vec<BatchOut>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, written, pool) = (&next, &written, &pool);
            s.spawn(move || {
                rubric_syntax::stack::guarded(|| loop {
                    let i = next.fetch_add(1, AtomicOrdering::Relaxed);
                    if i >= n {
                        return;
                    }
                    {
                        let Ok(mut done) = written.0.lock() else {
                            return;
                        };
                        while *done != usize::MAX && i >= *done + window {
                            match written.1.wait(done) {
                                Ok(d) => done = d,
                                Err(_) => return,
                            }
                        }
                        if *done == usize::MAX {
                            return;
                        }
                    }
                    let mut out = pool
                        .lock()
                        .ok()
                        .and_then(|mut p| p.pop())
                        .unwrap_or_default();
                    work(i, &mut out);
                    if tx.send((i, out)).is_err() {
                        return;
                    }
                })
            });
        }
        drop(tx);
        let mut pending: BTreeMap<usize, BatchOut> = BTreeMap::new();
        let mut want = 0usize;
        let mut result = Ok(());
        for (i, out) in rx.iter() {
            pending.insert(i, out);
            while let Some(mut out) = pending.remove(&want) {
                want += 1;
                if let Ok(mut done) = written.0.lock() {
                    *done = want;
                    written.1.notify_all();
                }
                if let Err(e) = sink(&mut out) {
                    result = Err(e);
                    break;
                }
                out.clear();
                if let Ok(mut p) = pool.lock() {
                    p.push(out);
                }
            }
            if result.is_err() {
                break;
            }
        }
        if let Ok(mut done) = written.0.lock() {
            *done = usize::MAX;
            written.1.notify_all();
        }
        drop(rx);
        result
    })
}

/// Reads batches on one thread, maps them on `threads` workers, and hands the results to
/// `sink` in input order. Stops at the first error of the reader or the sink. The reader
/// thread only reads: a batch of plain CSV lines is split into records by its worker.
fn pipeline(
    mut reader: Reader,
    threads: usize,
    work: &(dyn Fn(&mut Batch) -> BatchOut + Sync),
    sink: &mut dyn FnMut(BatchOut) -> Result<(), RunError>,
) -> Result<(), RunError> {
    let threads = threads.max(1);
    let buffers = 2 * threads + 2;
    let (work_tx, work_rx) = sync_channel::<(u64, Batch)>(buffers);
    let (done_tx, done_rx) = sync_channel::<(u64, BatchOut, Batch)>(buffers);
    let (pool_tx, pool_rx): (SyncSender<Batch>, Receiver<Batch>) = sync_channel(buffers);
    for _ in 0..buffers {
        let _ = pool_tx.send(Batch::default());
    }
    let work_rx = Mutex::new(work_rx);
    std::thread::scope(|s| {
        let read = s.spawn(move || -> Result<(), DataError> {
            let mut seq = 0u64;
            while let Ok(mut batch) = pool_rx.recv() {
                if reader.fill(&mut batch, BATCH)? == 0 {
                    break;
                }
                if work_tx.send((seq, batch)).is_err() {
                    break;
                }
                seq += 1;
            }
            Ok(())
        });
        let work_rx = &work_rx;
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            s.spawn(move || {
                rubric_syntax::stack::guarded(|| loop {
                    let next = match work_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((seq, mut batch)) = next else { return };
                    let out = work(&mut batch);
                    if done_tx.send((seq, out, batch)).is_err() {
                        return;
                    }
                })
            });
        }
        drop(done_tx);
        let mut pending: BTreeMap<u64, BatchOut> = BTreeMap::new();
        let mut next = 0u64;
        let mut result = Ok(());
        for (seq, out, batch) in done_rx.iter() {
            let _ = pool_tx.send(batch);
            pending.insert(seq, out);
            while let Some(out) = pending.remove(&next) {
                next += 1;
                if let Err(e) = sink(out) {
                    result = Err(e);
                    break;
                }
            }
            if result.is_err() {
                break;
            }
        }
        drop(pool_tx);
        drop(done_rx);
        let read_result = read.join();
        result?;
        match read_result {
            Ok(r) => r.map_err(RunError::Data),
            // a bug in the reader, never a short file: it goes on to the caller
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// A row's key, copied into its batch's key buffer and hashed on the worker, so that the
/// sequential duplicate check only probes a map.
struct RowKey {
    line: u64,
    /// `start == u32::MAX`: no key.
    start: u32,
    end: u32,
    hash: u64,
}

impl RowKey {
    /// The key `text` of the row on `line`, copied into `buf`.
    fn text(line: u64, text: &str, buf: &mut String) -> RowKey {
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
    fn of(line: u64, key: Option<&str>, buf: &mut String) -> RowKey {
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

/// Writes one CSV cell as the data layer's writer does (RFC 4180, quotes only where needed:
/// around a cell holding `,` `"` CR or LF, with `"` doubled; an empty cell alone in its row is
/// `""`).
pub(crate) fn csv_cell(out: &mut Vec<u8>, cell: &[u8], alone: bool) {
    let quote = cell
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
        || (alone && cell.is_empty());
    if !quote {
        out.extend_from_slice(cell);
        return;
    }
    out.push(b'"');
    for &b in cell {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// Duplicate keys, in input order: the second and later rows with a key are rejected with
/// "duplicate key `K` (first on line N)", as the data layer's `KeyTracker` words it.
///
/// A streaming run keeps every distinct key, so this is its memory: about 40 bytes a key plus
/// the key's bytes (10M keys of 8 bytes: under 0.5 GB). The keys live back to back in one arena;
/// an open-addressing table (linear probing, at most three quarters full) holds per key its
/// hash's high 32 bits above its number, so that a probe compares the key's bytes only when 32
/// bits of hash agree, and the table grows without reading a key again.
struct Keys {
    pub(crate) column: Option<String>,
    /// The distinct keys back to back.
    arena: Vec<u8>,
    /// Per distinct key: where it ends in the arena (it starts where the one before ends).
    ends: Vec<u64>,
    /// Per distinct key: the line it was first seen on.
    lines: Vec<u64>,
    /// Per slot: 0 (empty), or a key's hash's high 32 bits above its number plus one.
    slots: Vec<u64>,
}

impl Keys {
    fn new(model: &Model) -> Keys {
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
    fn key(&self, i: usize) -> &[u8] {
        let start = if i == 0 {
            0
        } else {
            self.ends.get(i - 1).copied().unwrap_or(0)
        };
        let end = self.ends.get(i).copied().unwrap_or(0);
        self.arena.get(start as usize..end as usize).unwrap_or(&[])
    }

    /// The slot a key with this hash probes first (read ahead of [`Keys::check`], so that its
    /// cache line is already on its way).
    #[inline]
    fn touch(&self, hash: u64) -> u64 {
        let mask = self.slots.len().wrapping_sub(1);
        self.slots
            .get((hash >> 32) as usize & mask)
            .copied()
            .unwrap_or(0)
    }

    /// Doubles the table (at least 1,024 slots), placing every key again by its tag.
    fn grow(&mut self) {
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

    fn check(&mut self, row: &RowKey, buf: &str) -> Result<(), Reject> {
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
                        break self.lines.get(i).copied().unwrap_or(0);
                    }
                }
                Some(_) => {}
            }
            p = (p + 1) & mask;
        };
        let key = String::from_utf8_lossy(key).into_owned();
        Err(Reject {
            line: row.line,
            column: self.column.clone(),
            reason: format!("duplicate key `{key}` (first on line {first})"),
            key: Some(key),
        })
    }
}

/// The population values of row `i` (its population index), one per slot, into `buf`.
fn pop_row(cols: &[PopTable], i: usize, buf: &mut Vec<Value>) {
    buf.clear();
    buf.extend(cols.iter().map(|c| c.get(i)));
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A key row with a chosen hash (to force collisions), its text copied into `buf`.
    fn row(line: u64, key: &str, hash: u64, buf: &mut String) -> RowKey {
        let mut r = RowKey::text(line, key, buf);
        r.hash = hash;
        r
    }

    #[test]
    fn keys_find_every_repeat_and_only_repeats() {
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
