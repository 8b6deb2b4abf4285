//! Raw record → input row: column lookup and cell parsing, shareable across threads.

use super::cell::{self, CellError};
use super::cell_forms::is_totals;
use super::error::{similar_names, DataError};
use super::json_reader::object_cells;
use super::record::{Batch, ByteCells, Cells, RawCell, RawRecord, Rec};
use crate::table::Cell;
use crate::value::TOTALS_ROW;
use crate::value::{InputRow, Reject, Value};
use rubric_check::hir::{FieldCodes, FieldDef, Model, Ty};
use rubric_syntax::date::Date;
use rubric_syntax::Decimal;
use std::collections::HashMap;
use std::sync::Arc;

/// Turns raw records into input rows. Built once per file from the model's fields and the
/// file's header; `Send + Sync`, so batches can be parsed on several threads.
#[derive(Clone, Debug)]
pub struct RowParser {
    fields: Vec<FieldSpec>,
    header_len: usize,
    /// Index into `fields` of the key field.
    key: Option<usize>,
    /// Trimmed header → position, for JSON objects.
    json_index: HashMap<String, usize>,
    /// Per header column, the field read from it ([`NO_FIELD`]: none); empty when a column
    /// feeds two fields (then [`RowParser::parse_lines`] splits lines first).
    by_col: Vec<u32>,
}

const NO_FIELD: u32 = u32::MAX;

/// What [`RowParser::parse_lines`] hands each record to: its line, and its cells and wide
/// numbers (see [`RowParser::parse_cells`]) or its reject.
pub(crate) type LineSink<'s> =
    dyn for<'c> FnMut(u64, Result<(&'c [Cell<'c>], &'c [Decimal]), Reject>) + 's;

#[derive(Clone, Debug)]
struct FieldSpec {
    name: String,
    column: String,
    kind: Kind,
    optional: bool,
    /// The field's position in the header; `None` for an optional field whose column is absent
    /// (every value is then missing).
    col: Option<usize>,
    /// For a grade-typed field: the codes and labels its cells may hold.
    codes: Option<Arc<FieldCodes>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Int,
    Decimal,
    Text,
    Bool,
    Date,
    /// A grade's code, read from its code or its label (v2).
    Code,
}

/// Where a typed cell came from decides whether an exponent is a number (JSON) or not (text).
#[derive(Clone, Copy)]
enum Origin {
    Text,
    Number,
}

impl RowParser {
    /// Matches every field of `model` to a column of `header` (trimmed; extra columns are
    /// ignored). A required field without its column is a fatal error naming similar headers;
    /// an optional one reads as missing. `path` only names the file in errors.
    pub fn new(path: &str, model: &Model, header: &[String]) -> Result<RowParser, DataError> {
        RowParser::for_fields(path, &model.fields, header)
    }

    pub fn for_fields(
        path: &str,
        fields: &[FieldDef],
        header: &[String],
    ) -> Result<RowParser, DataError> {
        let trimmed: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
        let mut specs = Vec::with_capacity(fields.len());
        let mut missing = Vec::new();
        for f in fields {
            let kind = match f.ty {
                Ty::Int => Kind::Int,
                Ty::Decimal => Kind::Decimal,
                Ty::Text => Kind::Text,
                Ty::Bool => Kind::Bool,
                Ty::Date => Kind::Date,
                Ty::Grade(_) if f.codes.is_some() => Kind::Code,
                _ => {
                    return Err(DataError::UnsupportedType {
                        field: f.name.clone(),
                        ty: ty_name(&f.ty).into(),
                    });
                }
            };
            let wanted = f.column.trim();
            let mut hits = trimmed
                .iter()
                .enumerate()
                .filter(|(_, h)| h.as_str() == wanted)
                .map(|(i, _)| i);
            let col = hits.next();
            if let (Some(first), Some(second)) = (col, hits.next()) {
                return Err(DataError::DuplicateColumn {
                    path: path.into(),
                    column: wanted.into(),
                    field: f.name.clone(),
                    first: first + 1,
                    second: second + 1,
                });
            }
            if col.is_none() && !f.optional {
                missing.push(super::error::MissingColumnOf {
                    column: f.column.clone(),
                    field: f.name.clone(),
                    similar: similar_names(wanted, &trimmed),
                });
            }
            specs.push(FieldSpec {
                name: f.name.clone(),
                column: f.column.clone(),
                kind,
                optional: f.optional,
                col,
                codes: f.codes.clone().map(Arc::new),
            });
        }
        let available = || trimmed.iter().filter(|h| !h.is_empty()).cloned().collect();
        if missing.len() > 1 {
            return Err(DataError::MissingColumns {
                path: path.into(),
                missing,
                available: available(),
            });
        }
        if let Some(m) = missing.pop() {
            return Err(DataError::MissingColumn {
                path: path.into(),
                column: m.column,
                field: m.field,
                similar: m.similar,
                available: available(),
            });
        }
        let key = fields.iter().position(|f| f.is_key);
        let mut json_index = HashMap::new();
        for (i, h) in trimmed.iter().enumerate() {
            json_index.entry(h.clone()).or_insert(i);
        }
        let mut by_col = vec![NO_FIELD; header.len()];
        for (f, spec) in specs.iter().enumerate() {
            if let Some(slot) = spec.col.and_then(|c| by_col.get_mut(c)) {
                if *slot != NO_FIELD {
                    by_col = Vec::new();
                    break;
                }
                *slot = f as u32;
            }
        }
        Ok(RowParser {
            fields: specs,
            header_len: header.len(),
            key,
            json_index,
            by_col,
        })
    }

    /// The columns of optional fields that the header lacks (their values are all missing), for
    /// a warning.
    pub fn absent_optional_columns(&self) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|f| f.col.is_none())
            .map(|f| f.column.as_str())
            .collect()
    }

    /// Parses one record: a value per field in field order, or the reason it is rejected.
    pub fn parse(&self, rec: &RawRecord) -> Result<InputRow, Reject> {
        let mut values = Vec::with_capacity(self.fields.len());
        self.parse_into(rec, &mut values)?;
        Ok(InputRow {
            line: rec.line,
            values,
        })
    }

    /// [`RowParser::parse`] into a caller's buffer (cleared first; on a reject its content is
    /// unspecified), so that a worker can reuse one allocation for every row.
    pub fn parse_into(&self, rec: &RawRecord, values: &mut Vec<Value>) -> Result<(), Reject> {
        self.parse_rec(Rec::Raw(rec), values)
    }

    /// [`RowParser::parse_into`] for a record of a batch.
    pub(crate) fn parse_rec(&self, rec: Rec<'_>, values: &mut Vec<Value>) -> Result<(), Reject> {
        values.clear();
        if let Some(r) = rec.bytes() {
            self.check_totals(rec, r)?;
            self.check_len(rec, r)?;
            for f in &self.fields {
                let v = match f.col.and_then(|c| r.get(c)) {
                    None => Ok(Value::Missing),
                    Some(bytes) => parse_bytes(f, bytes, Origin::Text),
                };
                match v {
                    Ok(v) => values.push(v),
                    Err(reason) => return Err(self.reject(rec, Some(f), reason)),
                }
            }
            return Ok(());
        }
        let Rec::Raw(raw) = rec else {
            return Ok(());
        };
        match &raw.cells {
            Cells::Broken(reason) => Err(Reject {
                line: raw.line,
                column: None,
                reason: reason.clone(),
                key: None,
            }),
            Cells::BrokenLine { reason, .. } => Err(Reject {
                line: raw.line,
                column: None,
                reason: reason.clone(),
                key: self
                    .key_col()
                    .and_then(|k| rec.cell_text(k))
                    .map(|k| k.trim().to_string()),
            }),
            // (handled above)
            Cells::Bytes(_) => Ok(()),
            Cells::Typed(cells) => self.parse_typed_cells(raw.line, cells, values),
            Cells::Json(text) => match object_cells(text, &self.json_index, self.header_len) {
                Ok(cells) => self.parse_typed_cells(raw.line, &cells, values),
                Err(reason) => Err(Reject {
                    line: raw.line,
                    column: None,
                    reason,
                    key: None,
                }),
            },
        }
    }

    /// The column of the key, when the file has one.
    fn key_col(&self) -> Option<usize> {
        self.key
            .and_then(|k| self.fields.get(k))
            .and_then(|f| f.col)
    }

    /// A totals row (LANGUAGE.md §9) is rejected: its key cell is `合计`, `总计`, `小计` or
    /// `Total`, or, when the key cell is empty, its first non-empty cell is.
    fn check_totals(&self, rec: Rec<'_>, r: ByteCells<'_>) -> Result<(), Reject> {
        let Some(k) = self.key_col() else {
            return Ok(());
        };
        let key = r.get(k).unwrap_or(&[]);
        let word = if cell::trim(key).is_empty() {
            r.iter().find(|c| !cell::trim(c).is_empty()).unwrap_or(&[])
        } else {
            key
        };
        if is_totals(word) {
            return Err(self.totals_reject(rec.line(), rec.cell_text(k).map(|t| t.into_owned())));
        }
        Ok(())
    }

    /// [`RowParser::check_totals`] for typed cells (JSON, XLSX).
    fn check_totals_typed(&self, line: u64, cells: &[RawCell]) -> Result<(), Reject> {
        let Some(k) = self.key_col() else {
            return Ok(());
        };
        let key = cells.get(k).map(RawCell::text);
        let word = if key.as_deref().is_none_or(|t| t.trim().is_empty()) {
            cells
                .iter()
                .map(RawCell::text)
                .find(|t| !t.trim().is_empty())
        } else {
            key.clone()
        };
        if word.is_some_and(|w| is_totals(w.as_bytes())) {
            return Err(self.totals_reject(line, key.map(|t| t.into_owned())));
        }
        Ok(())
    }

    fn totals_reject(&self, line: u64, key: Option<String>) -> Reject {
        Reject {
            line,
            column: self
                .key
                .and_then(|k| self.fields.get(k))
                .map(|f| f.column.clone()),
            reason: TOTALS_ROW.into(),
            key: key.filter(|k| !k.trim().is_empty()),
        }
    }

    /// Whether a line [`RowParser::parse_lines`] parsed may be a totals row: its key is a
    /// totals word or missing (then [`RowParser::check_totals`] decides).
    #[inline]
    fn maybe_totals(&self, cells: &[Cell<'_>]) -> bool {
        match self.key.and_then(|k| cells.get(k)) {
            Some(Cell::Text(t)) => is_totals(t.as_bytes()),
            Some(Cell::Missing) => true,
            _ => false,
        }
    }

    /// A CSV record must have as many cells as the header, or more that are all empty.
    fn check_len(&self, rec: Rec<'_>, r: ByteCells<'_>) -> Result<(), Reject> {
        if r.len() == self.header_len || self.extra_cells_are_empty(r) {
            return Ok(());
        }
        let reason = format!(
            "the record has {} {} but the header has {}",
            r.len(),
            if r.len() == 1 { "cell" } else { "cells" },
            self.header_len
        );
        Err(self.reject(rec, None, reason))
    }

    /// Parses a CSV record (`rec.bytes()` is some; for any other record this is
    /// [`RowParser::parse_rec`]'s job) into one cell per field, borrowing its texts: what a
    /// worker that stores the row in a block needs. The same values and rejects as
    /// [`RowParser::parse_rec`].
    pub(crate) fn parse_cells<'r>(
        &self,
        rec: Rec<'r>,
        cells: &mut Vec<Cell<'r>>,
        wide: &mut Vec<Decimal>,
    ) -> Result<(), Reject> {
        cells.clear();
        wide.clear();
        let Some(r) = rec.bytes() else {
            return Ok(());
        };
        self.check_totals(rec, r)?;
        self.check_len(rec, r)?;
        for f in &self.fields {
            let cell = match f.col.and_then(|c| r.get(c)) {
                None => Cell::Missing,
                Some(bytes) => match parse_cell(f, bytes, wide) {
                    Ok(c) => c,
                    Err(reason) => return Err(self.reject(rec, Some(f), reason)),
                },
            };
            cells.push(cell);
        }
        Ok(())
    }

    /// Parses the plain lines of `batch` (see [`Batch`]) in file order, splitting and parsing
    /// each line in one pass: `row(line, Ok((cells, wide)))` as [`RowParser::parse_cells`]
    /// gives them, or `row(line, Err(reject))`. A line that does not parse is split and parsed
    /// again by [`RowParser::parse_cells`], so the reject is the same.
    pub(crate) fn parse_lines<'b>(&self, batch: &'b Batch, row: &mut LineSink<'_>) {
        let text = batch.lines.as_slice();
        let d = batch.delimiter;
        let mut cells: Vec<Cell<'b>> = vec![Cell::Missing; self.fields.len()];
        let mut wide: Vec<Decimal> = Vec::new();
        let mut line = batch.first_line;
        let (mut start, mut cell_start, mut col) = (0usize, 0usize, 0usize);
        // the cells so far parse, and the line has not had too many
        let mut ok = !self.by_col.is_empty() || self.header_len == 0;
        for i in memchr::memchr2_iter(d, b'\n', text) {
            let is_delimiter = text.get(i) == Some(&d);
            let end = if is_delimiter || i == start || text.get(i - 1) != Some(&b'\r') {
                i
            } else {
                i - 1
            };
            if !is_delimiter && end == start {
                // a blank line
                line += 1;
                (start, cell_start, col) = (i + 1, i + 1, 0);
                continue;
            }
            if ok {
                let bytes = text.get(cell_start..end).unwrap_or(&[]);
                ok = match self.by_col.get(col) {
                    Some(&NO_FIELD) => true,
                    Some(&f) => match (self.fields.get(f as usize), cells.get_mut(f as usize)) {
                        // (written in place: see `fast_cell_into`)
                        (Some(spec), Some(slot)) => {
                            fast_cell_into(spec, bytes, slot)
                                || match slow_cell(spec, bytes, &mut wide) {
                                    Ok(c) => {
                                        *slot = c;
                                        true
                                    }
                                    Err(_) => false,
                                }
                        }
                        _ => false,
                    },
                    // an extra cell must be empty
                    None => cell::trim(bytes).is_empty(),
                };
            }
            col += 1;
            cell_start = i + 1;
            if is_delimiter {
                continue;
            }
            if ok && col >= self.header_len && !self.maybe_totals(&cells) {
                row(line, Ok((&cells, &wide)));
            } else {
                let mut ends = Vec::new();
                let cells = ByteCells::of_line(text, start, end, d, &mut ends);
                let mut again = Vec::new();
                let mut wide = Vec::new();
                match self.parse_cells(Rec::Line { line, cells }, &mut again, &mut wide) {
                    Ok(()) => row(line, Ok((&again, &wide))),
                    Err(r) => row(line, Err(r)),
                }
            }
            line += 1;
            (start, cell_start, col) = (i + 1, i + 1, 0);
            ok = !self.by_col.is_empty() || self.header_len == 0;
            wide.clear();
        }
    }

    fn parse_typed_cells(
        &self,
        line: u64,
        cells: &[RawCell],
        values: &mut Vec<Value>,
    ) -> Result<(), Reject> {
        self.check_totals_typed(line, cells)?;
        for f in &self.fields {
            let v = match f.col {
                None => Ok(Value::Missing),
                Some(c) => parse_typed(f, cells.get(c).unwrap_or(&RawCell::Absent)),
            };
            match v {
                Ok(v) => values.push(v),
                Err(reason) => {
                    let key = self
                        .key
                        .and_then(|k| self.fields[k].col)
                        .and_then(|c| cells.get(c))
                        .map(|c| c.text().into_owned())
                        .filter(|k| !k.trim().is_empty());
                    return Err(Reject {
                        line,
                        column: Some(f.column.clone()),
                        reason,
                        key,
                    });
                }
            }
        }
        Ok(())
    }

    fn extra_cells_are_empty(&self, r: ByteCells<'_>) -> bool {
        r.len() > self.header_len
            && r.iter()
                .skip(self.header_len)
                .all(|c| cell::trim(c).is_empty())
    }

    fn reject(&self, rec: Rec<'_>, field: Option<&FieldSpec>, reason: String) -> Reject {
        let key = self
            .key
            .and_then(|k| self.fields[k].col)
            .and_then(|c| rec.cell_text(c))
            .filter(|k| !k.trim().is_empty())
            .map(|k| k.into_owned());
        Reject {
            line: rec.line(),
            column: field.map(|f| f.column.clone()),
            reason,
            key,
        }
    }
}

fn ty_name(ty: &Ty) -> &'static str {
    match ty {
        Ty::Duration => "duration",
        Ty::Grade(_) => "grade",
        Ty::Tags(_) => "tags",
        Ty::List(_) => "list",
        _ => "unknown",
    }
}

fn empty(f: &FieldSpec) -> Result<Value, String> {
    if f.optional {
        Ok(Value::Missing)
    } else {
        Err(format!("`{}`: empty required cell", f.name))
    }
}

/// How a cell is quoted in a reason: at most 40 characters, control characters escaped
/// (`\n`), so that a reason stays on one line.
fn shown(s: &str) -> String {
    const MAX: usize = 40;
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == MAX {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    out
}

fn bad(f: &FieldSpec, cell: &[u8], e: CellError) -> String {
    format!(
        "`{}`: `{}` {}",
        f.name,
        shown(&String::from_utf8_lossy(cell)),
        e.describe()
    )
}

fn parse_bytes(f: &FieldSpec, bytes: &[u8], origin: Origin) -> Result<Value, String> {
    let t = cell::trim(bytes);
    if t.is_empty() {
        return empty(f);
    }
    let exp = matches!(origin, Origin::Number);
    let r = match f.kind {
        Kind::Decimal => cell::parse_decimal(t, exp).map(Value::Num),
        Kind::Int => cell::parse_int(t, exp).map(Value::Num),
        Kind::Bool => cell::parse_bool(t).map(Value::Bool),
        Kind::Date => cell::parse_date(t).map(Value::Date),
        Kind::Code => return parse_code(f, t),
        Kind::Text => {
            return match std::str::from_utf8(bytes) {
                Ok(s) => Ok(Value::Text(Arc::from(s))),
                Err(_) => Err(format!(
                    "`{}`: the cell is not valid utf-8 (if the file comes from excel on chinese windows, pass --encoding gb18030)",
                    f.name
                )),
            };
        }
    };
    r.map_err(|e| bad(f, t, e))
}

/// [`parse_bytes`] for a block: plain numbers of up to 18 digits and dates straight to their
/// stored form, texts borrowed; anything else through [`parse_bytes`].
fn parse_cell<'r>(
    f: &FieldSpec,
    bytes: &'r [u8],
    wide: &mut Vec<Decimal>,
) -> Result<Cell<'r>, String> {
    let mut cell = Cell::Missing;
    if fast_cell_into(f, bytes, &mut cell) {
        return Ok(cell);
    }
    slow_cell(f, bytes, wide)
}

/// The common cells of [`parse_cell`] (texts, plain numbers, dates), written into `slot`;
/// false (and `slot` untouched) for any other, an empty cell among them. Inlined, and written
/// in place: a cell returned through memory and then copied stalls the copy on store
/// forwarding (a cell is built with narrow stores and read back with a wide load).
#[inline(always)]
fn fast_cell_into<'r>(f: &FieldSpec, bytes: &'r [u8], slot: &mut Cell<'r>) -> bool {
    let t = cell::trim(bytes);
    if t.is_empty() {
        return false;
    }
    match f.kind {
        Kind::Text => match std::str::from_utf8(bytes) {
            Ok(s) => *slot = Cell::Text(s),
            Err(_) => return false,
        },
        Kind::Int => match cell::parse_small(t) {
            Some((m, 0)) => *slot = Cell::Num(m, 0),
            _ => return false,
        },
        Kind::Decimal => match cell::parse_small(t) {
            Some((m, s)) => *slot = Cell::Num(m, s),
            None => return false,
        },
        Kind::Date => match Date::parse_bytes(t) {
            Some(d) => *slot = Cell::Date(d.0),
            None => return false,
        },
        Kind::Bool | Kind::Code => return false,
    }
    true
}

/// The other cells of [`parse_cell`], through [`parse_bytes`].
#[inline(never)]
fn slow_cell<'r>(
    f: &FieldSpec,
    bytes: &'r [u8],
    wide: &mut Vec<Decimal>,
) -> Result<Cell<'r>, String> {
    if cell::trim(bytes).is_empty() {
        return empty(f).map(|_| Cell::Missing);
    }
    Ok(match parse_bytes(f, bytes, Origin::Text)? {
        Value::Num(d) => match i64::try_from(d.mantissa()) {
            Ok(m) => Cell::Num(m, d.scale() as u8),
            Err(_) => {
                wide.push(d);
                Cell::Wide(wide.len() as u32 - 1)
            }
        },
        Value::Bool(b) => Cell::Bool(b),
        Value::Date(d) => Cell::Date(d.0),
        Value::Code(c) => Cell::Code(c),
        // (texts and dates that parse are read by `fast_cell_into`)
        _ => Cell::Missing,
    })
}

fn parse_typed(f: &FieldSpec, c: &RawCell) -> Result<Value, String> {
    match c {
        RawCell::Absent if f.optional => Ok(Value::Missing),
        RawCell::Absent => Err(format!("`{}`: the record has no `{}`", f.name, f.column)),
        RawCell::Empty => empty(f),
        RawCell::Text(s) => parse_bytes(f, s.as_bytes(), Origin::Text),
        // (a date field reads a number cell as its digits: `20240506`)
        RawCell::Number(s) => parse_bytes(f, s.as_bytes(), Origin::Number),
        RawCell::Bool(b) => match f.kind {
            Kind::Bool => Ok(Value::Bool(*b)),
            Kind::Text => Ok(Value::Text(Arc::from(if *b { "true" } else { "false" }))),
            Kind::Date => Err(bad(f, c.text().as_bytes(), CellError::NotDate)),
            Kind::Int | Kind::Decimal => Err(bad(f, c.text().as_bytes(), CellError::NotNumber)),
            Kind::Code => parse_code(f, c.text().as_bytes()),
        },
        RawCell::Date(d) => match f.kind {
            Kind::Date => Ok(Value::Date(*d)),
            Kind::Text => Ok(Value::Text(Arc::from(d.to_string()))),
            Kind::Bool => Err(bad(f, c.text().as_bytes(), CellError::NotBool)),
            Kind::Int | Kind::Decimal => Err(bad(f, c.text().as_bytes(), CellError::NotNumber)),
            Kind::Code => parse_code(f, c.text().as_bytes()),
        },
        RawCell::Invalid(what) => Err(format!("`{}`: {} cannot be a cell", f.name, what)),
    }
}

/// A grade-typed cell: a code or a label of the grade, else the row is rejected with the valid
/// codes in the reason.
fn parse_code(f: &FieldSpec, t: &[u8]) -> Result<Value, String> {
    let Some(codes) = &f.codes else {
        return Err(format!("`{}`: no codes", f.name));
    };
    let text = String::from_utf8_lossy(t);
    match codes.lookup(&text) {
        Some(i) => Ok(Value::Code(u16::try_from(i).unwrap_or(u16::MAX))),
        None => Err(format!(
            "`{}`: \"{}\" is not a code or a label of `{}` (its codes are {})",
            f.name,
            text.trim(),
            codes.grade,
            codes.listed()
        )),
    }
}
