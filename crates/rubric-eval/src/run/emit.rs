//! The final pass: every item of a row or block evaluated and its output cells formatted.

use super::ctx::{key_of, Ctx};
use super::held::{parse_into_block, PlainBlock};
use super::keys::RowKey;
use super::options::Measure;
use super::tally::{push_ok, BatchOut, Done, Tally};
use crate::eval;
use crate::io::Batch;
use crate::stages::{pop_row, Held, HeldBlock, NONE};
use crate::table::Block;
use crate::trace::RowView;
use crate::value::csv_cell;
use crate::value::{Reject, Value, ValueFormat};
use crate::vector::{self, Col, Frame};
use rubric_check::hir::ItemId;
use rubric_syntax::Decimal;

/// The final pass over one batch of a streaming run: parse, evaluate every item, format the
/// output cells.
pub(super) fn final_batch(ctx: &Ctx<'_>, batch: &mut Batch) -> BatchOut {
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
            let reject = plan.overflow_reject(line, Some(key.unwrap_or("")), item);
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
pub(super) fn final_batch_rows(ctx: &Ctx<'_>, batch: &Batch) -> BatchOut {
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
            let reject = plan.overflow_reject(rec.line(), Some(key.as_deref().unwrap_or("")), item);
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
pub(super) fn final_block(ctx: &Ctx<'_>, held: &Held, b: usize, out: &mut BatchOut) {
    let plan = ctx.plan;
    if out.tally.is_none() {
        out.tally = Some(Tally::new(ctx.model, &ctx.summary_items));
    }
    let Some(block) = held.blocks.get(b) else {
        return;
    };
    let base = held.starts[b];
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
                let reject = plan.overflow_reject(block.line(r), key, item);
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
            let reject = plan.overflow_reject(block.line(r), key, item);
            out.rows.push(Done::Rejected(Box::new(reject)));
            continue;
        }
        emit_row(ctx, out, key, &values, &scratch, &prow);
        push_ok(&mut out.rows);
    }
}

/// Formats rows of a block evaluated by the block evaluator: CSV cells straight into the
/// output bytes (a grade's codes escaped once per block), other formats through [`emit`].
pub(super) struct BlockWriter<'f> {
    pub(super) frame: &'f Frame<'f>,
    /// Per output item: its column.
    pub(super) items: Vec<Option<&'f Col>>,
    /// Per output item: its codes, each already a CSV cell.
    pub(super) code_cells: Vec<Vec<Vec<u8>>>,
    pub(super) summary: Vec<Option<&'f Col>>,
    pub(super) measure: Option<&'f Col>,
    pub(super) scratch: String,
}

impl<'f> BlockWriter<'f> {
    pub(super) fn new(ctx: &Ctx<'_>, frame: &'f Frame<'f>) -> BlockWriter<'f> {
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
    pub(super) fn write(&mut self, ctx: &Ctx<'_>, out: &mut BatchOut, r: usize, key: Option<&str>) {
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
pub(super) fn emit_row(
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
pub(super) type CellFn<'a> = dyn Fn(usize, &ValueFormat, &mut String) -> bool + 'a;

/// How [`emit`] gets a row's cells.
pub(super) struct Cells<'a> {
    pub(super) item: &'a CellFn<'a>,
    /// A kept input field's cell.
    pub(super) field: &'a CellFn<'a>,
}

/// Formats one evaluated row's output cells (and its summary codes and measure) into `out`:
/// `cell` writes an item's value, `code` gives a grade's code or a tags item's bits (`u64::MAX`:
/// missing), `why` an item's explanation (for `--explain` columns).
pub(super) fn emit(
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
                &out.text[a as usize..b as usize]
            };
            csv_cell(&mut out.bytes, text.as_bytes(), ncols == 1);
        }
        out.bytes.push(b'\n');
        out.row_ends.push(out.bytes.len());
        out.text.clear();
        out.cells.clear();
    }
}
