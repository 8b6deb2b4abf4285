//! Reading an events file: every row is parsed, keyed and folded into [`Totals`] (one streaming
//! pass, memory bounded by the customers), or rejected with its line and reason; after the
//! customers are read, the events of keys that are not customers are rejected ("no such
//! customer") in a second pass over the file, only when there are some.

use super::record::{Batch, Rec};
use super::{DataError, Reader, RowParser};
use crate::events::{EventPlan, Totals};
use crate::table::Cell;
use crate::value::{Reject, Value};
use rubric_check::hir::{EventsId, FieldDef, Model};
use std::collections::HashSet;
use std::sync::Arc;

/// What reading one events file did.
#[derive(Clone, Debug, Default)]
pub struct EventsRead {
    /// Records read (a blank line is not a record).
    pub read: u64,
    /// Rejected records, in line order.
    pub rejects: Vec<Reject>,
}

/// The reason of an event whose key names no customer.
pub const NO_SUCH_CUSTOMER: &str = "no such customer";

/// The model an events file is opened with ([`Reader::open`] reads the columns of its
/// fields): the customer key (by the input key's column), then the block's own fields. It has
/// no `key`: many events share a customer.
pub fn events_model(model: &Model, block: EventsId) -> Model {
    Model {
        fields: fields(model, block),
        ..Model::default()
    }
}

fn fields(model: &Model, block: EventsId) -> Vec<FieldDef> {
    let mut out: Vec<FieldDef> = model
        .key
        .and_then(|k| model.fields.get(k))
        .cloned()
        .into_iter()
        .collect();
    if let Some(e) = model.events.get(block) {
        out.extend(e.fields.iter().cloned());
    }
    out
}

/// Parses every record of `reader` (the file of events block `block`) and folds it into
/// `totals`. A missing required column fails here, naming similar headers.
///
/// The reader hands over batches as `rubric run` reads them (runs of plain CSV lines are split
/// and parsed in one pass into borrowed cells, `RowParser::parse_lines`), and an event's cells
/// become values only for its own fields: its key is looked up as the text in the line.
pub fn read_events(
    mut reader: Reader,
    model: &Model,
    block: EventsId,
    plan: &EventPlan,
    totals: &mut Totals,
    progress: &mut dyn FnMut(u64),
) -> Result<EventsRead, DataError> {
    let fields = fields(model, block);
    let parser = RowParser::for_fields(reader.path(), &fields, reader.header())?;
    let workers = crate::par::cores().clamp(1, MAX_WORKERS);
    if workers == 1 {
        let mut out = EventsRead::default();
        let mut fold = Fold::new(model, block, plan, Totals::new(plan), None);
        let mut batch = Batch::default();
        while reader.fill(&mut batch, 8192)? > 0 {
            fold.batch(&parser, &batch, &mut out);
            progress(out.read);
        }
        totals.absorb(plan, block, vec![fold.totals]);
        return Ok(out);
    }
    // The customers are split between the workers by their key's hash: each parses every
    // batch (cheap) and folds the events of its own customers (where the time goes: a
    // customer's accumulators are a cache miss away), so no customer is held twice.
    let (parts, result) = std::thread::scope(|s| {
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for w in 0..workers {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Arc<Batch>>(4);
            senders.push(tx);
            let parser = &parser;
            handles.push(s.spawn(move || {
                let mut out = EventsRead::default();
                let mut fold = Fold::new(model, block, plan, Totals::new(plan), Some((w, workers)));
                for batch in rx {
                    fold.batch(parser, &batch, &mut out);
                }
                (fold.totals, out)
            }));
        }
        let mut lines = 0u64;
        let result = loop {
            let mut batch = Batch::default();
            match reader.fill(&mut batch, 8192) {
                Ok(0) => break Ok(()),
                Ok(_) => {
                    lines += batch.len() as u64;
                    let batch = Arc::new(batch);
                    for tx in &senders {
                        // (a worker that is gone has panicked: its join says so below)
                        let _ = tx.send(Arc::clone(&batch));
                    }
                    progress(lines);
                }
                Err(e) => break Err(e),
            }
        };
        drop(senders);
        let parts: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
        (parts, result)
    });
    result?;
    let mut out = EventsRead::default();
    let mut all = Vec::new();
    for part in parts {
        let Ok((t, read)) = part else {
            return Err(DataError::Read {
                path: reader.path().to_string(),
                source: std::io::Error::other(
                    "internal error: a worker folding the events stopped",
                ),
            });
        };
        out.read += read.read;
        out.rejects.extend(read.rejects);
        all.push(t);
    }
    out.rejects.sort_by_key(|r| r.line);
    totals.absorb(plan, block, all);
    Ok(out)
}

/// The most workers folding one events file: each parses every batch, so more would parse
/// more than they fold.
const MAX_WORKERS: usize = 4;

/// One worker's fold of events into its totals: the events of every customer, or with
/// `part: Some((w, n))` of the customers whose key hashes to `w` modulo `n` (and the rejects of
/// lines `w` modulo `n` that have no key).
struct Fold<'m> {
    model: &'m Model,
    block: EventsId,
    plan: &'m EventPlan,
    totals: Totals,
    part: Option<(usize, usize)>,
    event: Vec<Value>,
    values: Vec<Value>,
}

impl<'m> Fold<'m> {
    fn new(
        model: &'m Model,
        block: EventsId,
        plan: &'m EventPlan,
        totals: Totals,
        part: Option<(usize, usize)>,
    ) -> Fold<'m> {
        Fold {
            model,
            block,
            plan,
            totals,
            part,
            event: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Whether this worker folds the event of `key` (or rejects line `line`, without a key).
    fn mine(&self, key: Option<&str>, line: u64) -> bool {
        match (self.part, key) {
            (None, _) => true,
            (Some((w, n)), Some(k)) => crate::hash::hash_bytes(k.as_bytes()) % n as u64 == w as u64,
            (Some((w, n)), None) => line % n as u64 == w as u64,
        }
    }

    fn one(&mut self, line: u64, parsed: Result<Event<'_, '_>, Reject>, out: &mut EventsRead) {
        let key = match &parsed {
            Ok(e) => e.key(),
            Err(r) => r.key.as_deref(),
        };
        if !self.mine(key, line) {
            return;
        }
        out.read += 1;
        let (model, plan, block) = (self.model, self.plan, self.block);
        let totals = &mut self.totals;
        let event = &mut self.event;
        let result = parsed.and_then(|e| {
            let key = e.into_values(event, line)?;
            totals
                .add(plan, block, key, line, event)
                .map_err(|e| Reject {
                    line,
                    column: None,
                    reason: format!(
                        "`{}` is outside the exact decimal range for this event",
                        crate::model::agg_text(model, e.aggregate)
                    ),
                    key: Some(key.to_string()),
                })
        });
        if let Err(reject) = result {
            out.rejects.push(reject);
        }
    }

    fn batch(&mut self, parser: &RowParser, batch: &Batch, out: &mut EventsRead) {
        if !batch.lines.is_empty() {
            parser.parse_lines(batch, &mut |line, parsed| {
                let parsed = parsed.map(|(cells, wide)| Event::Cells(cells, wide));
                self.one(line, parsed, out);
            });
        } else {
            let (mut cells, mut wide) = (Vec::new(), Vec::new());
            let mut values = std::mem::take(&mut self.values);
            for rec in batch.records.iter().map(Rec::Raw) {
                let parsed = if rec.bytes().is_some() {
                    parser
                        .parse_cells(rec, &mut cells, &mut wide)
                        .map(|()| Event::Cells(&cells, &wide))
                } else {
                    parser
                        .parse_rec(rec, &mut values)
                        .map(|()| Event::Values(&values))
                };
                self.one(rec.line(), parsed, out);
            }
            self.values = values;
        }
    }
}

/// One parsed event: the key and the block's fields, as borrowed cells or as values.
enum Event<'c, 'r> {
    Cells(&'c [Cell<'r>], &'c [rubric_syntax::Decimal]),
    Values(&'c [Value]),
}

impl<'c> Event<'c, '_> {
    /// The event's key, and its fields as values into `out`.
    /// The event's key, as the line has it.
    fn key(&self) -> Option<&'c str> {
        match *self {
            Event::Cells(cells, _) => match cells.first() {
                Some(Cell::Text(key)) => Some(key),
                _ => None,
            },
            Event::Values(values) => match values.first() {
                Some(Value::Text(key)) => Some(key),
                _ => None,
            },
        }
    }

    fn into_values(self, out: &mut Vec<Value>, line: u64) -> Result<&'c str, Reject> {
        out.clear();
        let bad = |reason: &str| Reject {
            line,
            column: None,
            reason: reason.into(),
            key: None,
        };
        match self {
            Event::Cells(cells, wide) => {
                let Some((Cell::Text(key), rest)) = cells.split_first() else {
                    return Err(bad("the event has no key"));
                };
                for c in rest {
                    out.push(match *c {
                        Cell::Missing => Value::Missing,
                        Cell::Num(m, s) => {
                            match rubric_syntax::Decimal::from_parts(i128::from(m), u32::from(s)) {
                                Some(d) => Value::Num(d),
                                None => return Err(bad("a number out of range")),
                            }
                        }
                        Cell::Wide(i) => match wide.get(i as usize) {
                            Some(d) => Value::Num(*d),
                            None => return Err(bad("a number out of range")),
                        },
                        Cell::Date(d) => Value::Date(rubric_syntax::date::Date(d)),
                        Cell::Bool(b) => Value::Bool(b),
                        Cell::Code(k) => Value::Code(k),
                        Cell::Text(t) => Value::Text(std::sync::Arc::from(t)),
                    });
                }
                Ok(key)
            }
            Event::Values(values) => {
                let Some((Value::Text(key), rest)) = values.split_first() else {
                    return Err(bad("the event has no key"));
                };
                out.extend(rest.iter().cloned());
                Ok(key)
            }
        }
    }
}

/// The rejects of the events in `reader` whose key is in `orphans` (keys that are not
/// customers), in line order.
pub fn orphan_rejects(
    mut reader: Reader,
    model: &Model,
    orphans: &HashSet<String>,
) -> Result<Vec<Reject>, DataError> {
    let key: Vec<FieldDef> = model
        .key
        .and_then(|k| model.fields.get(k))
        .cloned()
        .into_iter()
        .collect();
    let column = key.first().map(|k| k.column.clone());
    let parser = RowParser::for_fields(reader.path(), &key, reader.header())?;
    let mut out = Vec::new();
    let mut batch = Vec::new();
    while reader.fill_batch(&mut batch, 8192)? > 0 {
        for rec in &batch {
            if let Ok(row) = parser.parse(rec) {
                if let Some(Value::Text(k)) = row.values.first() {
                    if orphans.contains(&**k) {
                        out.push(Reject {
                            line: rec.line,
                            column: column.clone(),
                            reason: NO_SUCH_CUSTOMER.into(),
                            key: Some(k.to_string()),
                        });
                    }
                }
            }
        }
    }
    Ok(out)
}

/// One events file to read: its block, path and read options.
pub struct EventsFile<'a> {
    pub block: EventsId,
    pub path: &'a std::path::Path,
    pub options: &'a super::ReadOptions,
}

/// What [`read_all_joined`] read, with the aggregates' running totals (for `rubric explain`).
pub struct JoinedRead {
    pub rows: Vec<crate::InputRow>,
    /// Customers first, then each events file's (whose lines are their own file's).
    pub rejects: Vec<Reject>,
    /// How many of `rejects` (the first ones) are customer rows; the others are event rows,
    /// which leave their customer graded (without that event).
    pub customer_rejects: usize,
    pub plan: std::sync::Arc<EventPlan>,
    pub totals: std::sync::Arc<Totals>,
}

/// Reads a whole customers file (`None`: the customers are the keys of the events) joined with
/// the aggregates of its events files: the accepted rows (values of the row model, see
/// [`crate::events::row_model`]) and the rejects of every file (customers first, then events,
/// whose lines are their own file's). What a dataset snapshot and the language server read.
pub fn read_all_joined(
    data: Option<(&std::path::Path, &super::ReadOptions)>,
    files: &[EventsFile<'_>],
    model: &Model,
    as_of: rubric_syntax::date::Date,
) -> Result<(Vec<crate::InputRow>, Vec<Reject>), DataError> {
    let read = read_joined(data, files, model, as_of)?;
    Ok((read.rows, read.rejects))
}

/// [`read_all_joined`], keeping the totals.
pub fn read_joined(
    data: Option<(&std::path::Path, &super::ReadOptions)>,
    files: &[EventsFile<'_>],
    model: &Model,
    as_of: rubric_syntax::date::Date,
) -> Result<JoinedRead, DataError> {
    let plan = EventPlan::compile(model, as_of);
    let mut totals = Totals::new(&plan);
    let mut event_rejects = Vec::new();
    for f in files {
        let reader = Reader::open(f.path, f.options, &events_model(model, f.block))?;
        let read = read_events(reader, model, f.block, &plan, &mut totals, &mut |_| {})?;
        event_rejects.extend(read.rejects);
    }
    let base = match data {
        Some((path, options)) => {
            let mut own = model.clone();
            own.fields.retain(|f| f.agg.is_none());
            Some(Reader::open(path, options, &own)?)
        }
        None => None,
    };
    let totals = std::sync::Arc::new(totals);
    let plan = std::sync::Arc::new(plan);
    let paths = files.iter().map(|f| f.path.display().to_string()).collect();
    let (reader, claims) = Reader::joined(base, model, plan.clone(), totals.clone(), paths)?;
    let rows_model = crate::model::row_model(model);
    let parser = reader.row_parser(&rows_model)?;
    let (rows, mut rejects) = super::drain(reader, &parser)?;
    let claimed = claims.lock().map(|c| c.clone()).unwrap_or_default();
    let orphans: HashSet<String> = totals
        .keys()
        .enumerate()
        .filter(|(c, _)| !claimed.get(*c).copied().unwrap_or(false))
        .map(|(_, (k, _))| k.to_string())
        .collect();
    let customer_rejects = rejects.len();
    rejects.append(&mut event_rejects);
    if !orphans.is_empty() {
        for f in files {
            let reader = Reader::open(f.path, f.options, &events_model(model, f.block))?;
            rejects.extend(orphan_rejects(reader, model, &orphans)?);
        }
    }
    Ok(JoinedRead {
        rows,
        rejects,
        customer_rejects,
        plan,
        totals,
    })
}
