//! Reading an events file: every row is parsed, keyed and folded into [`Totals`] (one streaming
//! pass, memory bounded by the customers), or rejected with its line and reason; after the
//! customers are read, the events of keys that are not customers are rejected ("no such
//! customer") in a second pass over the file, only when there are some.

use super::{DataError, Reader, RowParser};
use crate::events::{EventPlan, Totals};
use crate::value::{Reject, Value};
use rubric_check::hir::{EventsId, FieldDef, Model};
use std::collections::HashSet;

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
    let mut out = EventsRead::default();
    let mut batch = Vec::new();
    let mut values = Vec::new();
    while reader.fill_batch(&mut batch, 8192)? > 0 {
        for rec in &batch {
            out.read += 1;
            if let Err(reject) = parser.parse_into(rec, &mut values) {
                out.rejects.push(reject);
                continue;
            }
            let Some(Value::Text(key)) = values.first() else {
                continue;
            };
            let key = key.clone();
            if let Err(e) = totals.add(plan, block, &key, rec.line, &values[1..]) {
                out.rejects.push(Reject {
                    line: rec.line,
                    column: None,
                    reason: format!(
                        "`{}` is outside the exact decimal range for this event",
                        crate::events::agg_text(model, e.aggregate)
                    ),
                    key: Some(key.to_string()),
                });
            }
        }
        progress(out.read);
    }
    Ok(out)
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
    let paths = files.iter().map(|f| f.path.display().to_string()).collect();
    let (reader, claims) = Reader::joined(
        base,
        model,
        std::sync::Arc::new(plan),
        totals.clone(),
        paths,
    )?;
    let rows_model = crate::events::row_model(model);
    let parser = reader.row_parser(&rows_model)?;
    let (rows, mut rejects) = super::drain(reader, &parser, &rows_model)?;
    let claimed = claims.lock().map(|c| c.clone()).unwrap_or_default();
    let orphans: HashSet<String> = totals
        .keys()
        .enumerate()
        .filter(|(c, _)| !claimed.get(*c).copied().unwrap_or(false))
        .map(|(_, (k, _))| k.to_string())
        .collect();
    rejects.append(&mut event_rejects);
    if !orphans.is_empty() {
        for f in files {
            let reader = Reader::open(f.path, f.options, &events_model(model, f.block))?;
            rejects.extend(orphan_rejects(reader, model, &orphans)?);
        }
    }
    Ok((rows, rejects))
}
