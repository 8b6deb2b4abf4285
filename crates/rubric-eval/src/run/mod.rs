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

mod ctx;
mod emit;
mod held;
mod keys;
mod options;
mod parallel;
mod tally;

use self::ctx::Ctx;
use self::emit::{final_batch, final_block};
use self::held::hold;
use self::keys::Keys;
use self::parallel::{par_blocks, pipeline};
use self::tally::{BatchOut, Done, Tally};
use crate::io::{Batch, DataError, OutputFormat, Reader, RecordWriter, RowSink};
use crate::ir::Plan;
use crate::profile::phase;
use crate::table::{self};
use crate::trace::Explainer;
use crate::value::csv_cell;
use crate::value::Reject;
use rubric_check::hir::{ItemId, Model, Ty};
use rubric_syntax::Decimal;
use std::io::Write;

pub use self::options::{
    ColumnOptions, Columns, GradeSummary, Measure, RunError, RunOptions, RunSummary,
};

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
                    let start = if from == 0 { 0 } else { out.row_ends[from - 1] };
                    let end = to.checked_sub(1).map_or(start, |last| out.row_ends[last]);
                    o.write_all(&out.bytes[start..end]).map_err(write_err)?;
                }
                (None, None) => {}
            }
            summary.written += (to - from) as u64;
            if out.tally.is_none() {
                for i in from..to {
                    let m = out.measures.get(i).copied().flatten();
                    let codes = (0..ngrades).map(|g| out.codes[i * ngrades + g]);
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
