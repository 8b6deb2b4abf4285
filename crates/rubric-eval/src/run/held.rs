//! A run with population functions: the file read once into blocks, then per population
//! stage the arguments evaluated on every core, overflows and repeated keys taken out, and
//! the functions computed.

use super::ctx::Ctx;
use super::keys::{Keys, RowKey};
use super::options::{RunError, RunSummary};
use super::parallel::pipeline;
use super::tally::{push_ok, BatchOut, Done};
use crate::io::{Batch, Reader, Rec, RowParser};
use crate::pop::PopTable;
use crate::profile::phase;
use crate::stages::{self, Held, Left};
use crate::table::Block;
use crate::value::{Reject, Value};
use crate::vector::{Col, Source};

/// Parses every record of `batch` into `block`, in file order, and tells `done` after each
/// whether it was appended or why it is rejected.
pub(super) fn parse_into_block(
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

/// A block without population values as the block evaluator's input (a streaming run).
pub(super) struct PlainBlock<'a>(pub(super) &'a Block);

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

/// Reads the whole file into blocks (rejecting bad rows), then computes the population
/// functions stage by stage: evaluates each stage's arguments on every core, leaves rows that
/// overflow or repeat an earlier row's key out of the population, and sorts.
#[allow(clippy::too_many_arguments)]
pub(super) fn hold(
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
    stages::stage_all(
        plan,
        &mut held,
        threads,
        !strict,
        keys.column.as_deref(),
        &mut |_, left, r| match left {
            Left::RepeatedKey => {
                rejects.push(r);
                Ok(())
            }
            Left::Overflow { .. } => reject(rejects, r),
        },
    )?;
    phase("pops");
    Ok(held)
}
