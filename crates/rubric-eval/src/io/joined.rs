//! A customer reader joined with aggregates over events: each customer record gets one more
//! cell per aggregate (its value for that customer, as text the row parser reads back
//! exactly), so a run grades it like any record. Without a customers file, the customers are
//! the distinct keys of the events, in the order their first event was read.

use super::json_reader::object_cells;
use super::record::{Cells, RawCell, RawRecord};
use super::{Format, Reader, RowParser};
use crate::events::{cell_text, EventPlan, Totals};
use crate::model::agg_text;
use crate::value::Value;
use rubric_check::hir::{FieldDef, Model};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Which customers have a record (index: customer in [`Totals`] order); shared with the caller,
/// which rejects the events of the others ("no such customer").
pub type Claims = Arc<Mutex<Vec<bool>>>;

pub(crate) struct Joined {
    base: Option<Box<Reader>>,
    header: Vec<String>,
    /// Parses the key of a customer record.
    key: RowParser,
    plan: Arc<EventPlan>,
    totals: Arc<Totals>,
    claims: Claims,
    /// The aggregates' texts, for reasons.
    names: Vec<String>,
    /// Without a customers file: the next customer of `totals` to hand out.
    next: usize,
    json_index: HashMap<String, usize>,
    values: Vec<Value>,
}

impl Reader {
    /// Joins `base` (the customers file; `None`: the customers are the keys of the events)
    /// with the aggregates of `totals`. `model` is the checked model (not the row model);
    /// `event_paths` names each events block's file (without a customers file, the reader is
    /// named after the first, where its customers' lines are).
    pub fn joined(
        base: Option<Reader>,
        model: &Model,
        plan: Arc<EventPlan>,
        totals: Arc<Totals>,
        event_paths: Vec<String>,
    ) -> Result<(Reader, Claims), super::DataError> {
        let key_field: Vec<FieldDef> = model
            .key
            .and_then(|k| model.fields.get(k))
            .cloned()
            .into_iter()
            .collect();
        let (mut header, path, format) = match &base {
            Some(b) => (b.header().to_vec(), b.path().to_string(), b.format()),
            None => (
                key_field.iter().map(|f| f.column.clone()).collect(),
                event_paths.first().cloned().unwrap_or_default(),
                Format::Csv,
            ),
        };
        let key = RowParser::for_fields(&path, &key_field, &header)?;
        let mut json_index = HashMap::new();
        for (i, h) in header.iter().enumerate() {
            json_index.entry(h.trim().to_string()).or_insert(i);
        }
        let names: Vec<String> = (0..model.aggs.len()).map(|a| agg_text(model, a)).collect();
        header.extend(names.iter().cloned());
        let claims: Claims = Arc::new(Mutex::new(vec![false; totals.customers()]));
        let joined = Joined {
            base: base.map(Box::new),
            header,
            key,
            plan,
            totals,
            claims: claims.clone(),
            names,
            next: 0,
            json_index,
            values: Vec::new(),
        };
        Ok((
            Reader {
                inner: super::Inner::Joined(Box::new(joined)),
                path,
                format,
            },
            claims,
        ))
    }
}

impl Joined {
    pub(crate) fn header(&self) -> &[String] {
        &self.header
    }

    pub(crate) fn header_line(&self) -> u64 {
        self.base.as_ref().map_or(0, |b| b.header_line())
    }

    pub(crate) fn fill(
        &mut self,
        out: &mut Vec<RawRecord>,
        max: usize,
    ) -> Result<usize, super::DataError> {
        let Some(base) = self.base.as_mut() else {
            out.clear();
            while out.len() < max && self.next < self.totals.customers() {
                // (customers in the order of their first event)
                let c = self.totals.in_order(self.next);
                self.next += 1;
                let (key, (_, line)) = (self.totals.key(c), self.totals.first(c));
                let mut cells = vec![RawCell::Text(key.to_string())];
                let rec = match self.aggregates(Some(c)) {
                    Ok(()) => {
                        cells.extend(self.values.iter().map(typed));
                        RawRecord::from_cells(line, cells)
                    }
                    Err(reason) => RawRecord::broken(line, reason),
                };
                if let Ok(mut claims) = self.claims.lock() {
                    if let Some(slot) = claims.get_mut(c) {
                        *slot = true;
                    }
                }
                out.push(rec);
            }
            return Ok(out.len());
        };
        let n = base.fill_batch(out, max)?;
        let width = base.header().len();
        for rec in out.iter_mut() {
            self.join(rec, width);
        }
        Ok(n)
    }

    /// The aggregate values of customer `c` (`None`: no events) into `self.values`, or why
    /// they cannot be computed.
    fn aggregates(&mut self, c: Option<usize>) -> Result<(), String> {
        self.totals
            .finish(&self.plan, c, &mut self.values)
            .map_err(|a| {
                let name = self.names.get(a).map_or("?", String::as_str);
                format!("`{name}` is outside the exact decimal range")
            })
    }

    fn join(&mut self, rec: &mut RawRecord, width: usize) {
        if let Cells::Json(text) = &rec.cells {
            rec.cells = match object_cells(text, &self.json_index, width) {
                Ok(cells) => Cells::Typed(cells),
                Err(reason) => Cells::Broken(reason),
            };
        }
        let c = match self.key.parse(rec) {
            Ok(row) => match row.values.first() {
                Some(Value::Text(k)) => self.totals.index_of(k),
                _ => None,
            },
            // (a record without a readable key is rejected by the run's own parser)
            Err(_) => None,
        };
        if let Some(c) = c {
            if let Ok(mut claims) = self.claims.lock() {
                if let Some(slot) = claims.get_mut(c) {
                    *slot = true;
                }
            }
        }
        let result = self.aggregates(c);
        match (&mut rec.cells, result) {
            (Cells::Bytes(row), Ok(())) => {
                let extra = row
                    .iter()
                    .skip(width)
                    .any(|c| !c.iter().all(u8::is_ascii_whitespace));
                if extra {
                    let reason = format!(
                        "the record has {} cells but the header has {width}",
                        row.len()
                    );
                    let row = std::mem::take(row);
                    rec.cells = Cells::BrokenLine { reason, row };
                    return;
                }
                // the aggregates land in their columns: a short record is padded, empty
                // cells past the header are dropped
                row.fields = row.fields.min(width);
                while row.len() < width {
                    row.push_field(b"");
                }
                for v in &self.values {
                    row.push_field(cell_text(v).as_bytes());
                }
            }
            (Cells::Typed(cells), Ok(())) => {
                cells.resize(width, RawCell::Absent);
                cells.extend(self.values.iter().map(typed));
            }
            (Cells::Bytes(row), Err(reason)) => {
                let row = std::mem::take(row);
                rec.cells = Cells::BrokenLine { reason, row };
            }
            (Cells::Typed(_), Err(reason)) => rec.cells = Cells::Broken(reason),
            _ => {}
        }
    }
}

fn typed(v: &Value) -> RawCell {
    match v {
        Value::Missing => RawCell::Empty,
        Value::Num(_) => RawCell::Number(cell_text(v)),
        Value::Date(d) => RawCell::Date(*d),
        Value::Bool(b) => RawCell::Bool(*b),
        v => RawCell::Text(cell_text(v)),
    }
}
