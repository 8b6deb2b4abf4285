//! Data readers and writers.
//!
//! Reading is split in three steps so that the middle one can run on several threads:
//!
//! 1. a [`Reader`] yields [`RawRecord`]s in batches, in file order ([`Reader::next_batch`],
//!    or [`Reader::fill_batch`] to reuse a batch's buffers);
//! 2. a [`RowParser`] (`Send + Sync`, built once from the model and the header) turns one raw
//!    record into an [`InputRow`] or a [`Reject`];
//! 3. a [`KeyTracker`] rejects duplicate keys; apply it sequentially in input order.
//!
//! ```no_run
//! # use rubric_eval::io::{self, ReadOptions, KeyTracker};
//! # fn f(model: &rubric_check::hir::Model) -> Result<(), io::DataError> {
//! let (mut reader, parser) = io::open("customers.csv".as_ref(), &ReadOptions::default(), model)?;
//! let mut keys = KeyTracker::new(model);
//! loop {
//!     let batch = reader.next_batch(65_536)?;
//!     if batch.is_empty() { break }
//!     for rec in &batch {  // or in parallel, then in order:
//!         match parser.parse(rec).and_then(|row| keys.check(&row).map(|()| row)) {
//!             Ok(row) => { /* accepted */ }
//!             Err(reject) => { /* to the rejects file */ }
//!         }
//!     }
//!     // For millions of rows, `keys.check_batch(accepted_rows_of_the_batch)` is faster
//!     // than `check` row by row (same results, in the same order).
//! }
//! # Ok(()) }
//! ```
//!
//! [`read_all`] does all three for small inputs. Writers: [`RecordWriter`] (CSV, JSON, JSONL),
//! [`XlsxBook`] (a workbook) and [`RejectWriter`] (a [`RejectTable`]: each reject with its
//! original cells, read again by [`OriginalRows::read`]; the workbook's `拒绝` sheet lays out the
//! same table).
//!
//! # Reading rules (LANGUAGE.md §6, and the choices where it is silent)
//!
//! - Columns are matched by header, trimmed; extra columns are ignored. A required field
//!   without its column stops the read (naming similar headers); an optional one reads as
//!   missing. A header that names a field's column twice stops the read.
//! - Line numbers are 1-based file lines of a record's first line (CSV: the header is line 1;
//!   JSON: the line of the object's `{`; XLSX: the sheet row). Blank CSV and JSONL lines and
//!   empty sheet rows are skipped without shifting the numbers.
//! - CSV: RFC 4180 quoting (quoted fields may hold commas, quotes and newlines). UTF-8 with or
//!   without BOM; a UTF-16 BOM is honoured; any other encoding (`gb18030`) is decoded as a
//!   stream. The delimiter is a comma, unless the header line has more tabs (Excel's
//!   "Unicode text" export: UTF-16, tab-separated) or semicolons outside quotes. A record with fewer cells than the header is rejected; extra cells are rejected
//!   unless they are empty.
//! - Cells: surrounding spaces and tabs are trimmed for numbers, bools and dates; a cell of
//!   only spaces is empty; text is kept exactly otherwise. Empty → missing for an optional
//!   field, else the row is rejected. Numbers: `-?digits[.digits]`, no `+`, no exponent (except
//!   in JSON numbers), at most 38 decimal places and 38 significant digits, or a form Excel
//!   shows (LANGUAGE.md §9: `12,345.67`, `¥8,800`, `8000元`, full width, `20%` in a decimal
//!   field; see `cell_forms.rs`). An int must be whole (`3.0` is 3; `1.5` is rejected). Bools:
//!   `true/false`, `1/0`, `yes/no`, `是/否`, any case. Dates: `2024-05-16`, `2024/05/16`, or a
//!   form Excel shows (`2024-5-6`, `2024.5.6`, `2024年5月6日`, `20240506`); `5/6/2024` is
//!   ambiguous and rejected, and a date that does not exist says so.
//! - A row whose key cell is `合计`, `总计`, `小计` or `Total` (or, with an empty key, whose
//!   first non-empty cell is) is rejected as a `totals row`.
//! - JSON: numbers keep their exact text; a JSON bool fits a bool or text field, a number a
//!   numeric, bool (1/0) or text field, a string any field (parsed as a CSV cell would be);
//!   `null` or an absent key is empty; a list or object as a cell rejects the row. An array
//!   item that is not an object, or an object that is not valid JSON, is a reject; a broken
//!   array structure stops the read. A key given twice in one object: the last wins.
//! - XLSX (also .xls, .xlsb, .ods): the header is the first row among the first 20 that names
//!   every required column (a title row above it is skipped), else the first non-empty row. A
//!   number becomes the shortest text that reads back as the same float; a date cell becomes
//!   its date (a time of day is dropped); a text cell stays text (`00017`), a number cell for a
//!   text field becomes its text (`17`); an Excel error (`#N/A`) rejects the row.
//! - Duplicate keys: the second and later rows with a key are rejected, naming the first line;
//!   a rejected row does not claim its key.

mod cell;
mod cell_forms;
mod cell_plain;
mod csv_reader;
mod error;
mod events;
mod joined;
mod json_reader;
mod keys;
mod parser;
mod record;
mod rejects;
#[cfg(test)]
mod tests;
mod write;
mod xlsx_reader;
mod xlsx_write;

pub use crate::value::TOTALS_ROW;
pub use error::{DataError, MissingColumnOf};
pub use events::{
    events_model, orphan_rejects, read_all_joined, read_events, read_joined, EventsFile,
    EventsRead, JoinedRead, NO_SUCH_CUSTOMER,
};
pub use joined::Claims;
pub(crate) use keys::repeated_key;
pub use keys::KeyTracker;
pub use parser::RowParser;
pub(crate) use record::{Batch, Rec};
pub use record::{RawCell, RawRecord};
pub use rejects::{OriginalRows, RejectTable, RejectWriter};
pub use write::{ColumnKind, EncodeWriter, OutputColumn, OutputFormat, RecordWriter, RowSink};
pub use xlsx_write::{
    text_width, write_sheets, GradeColumn, Sheet, Summary, SummaryRow, SummaryTable, XlsxBook,
    XlsxColumn, MAX_DATA_ROWS, REJECT_SHEET, RESULT_SHEET, SUMMARY_SHEET,
};

use crate::value::{InputRow, Reject};
use encoding_rs::Encoding;
use rubric_check::hir::Model;
use std::fmt;
use std::fs::File;
use std::io::{Cursor, Read};
use std::path::Path;
use std::str::FromStr;

/// An input format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Csv,
    Json,
    Jsonl,
    Xlsx,
}

impl Format {
    /// The format named by the file's extension (case-insensitive): `.csv`, `.json`,
    /// `.jsonl`/`.ndjson`, `.xlsx` (also `.xlsm`, `.xls`, `.xlsb`, `.ods`: every workbook is
    /// read by the same reader, which recognises the kind by content).
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => Some(Format::Xlsx),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Xlsx => "xlsx",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = DataError;
    fn from_str(s: &str) -> Result<Format, DataError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "jsonl" | "ndjson" => Ok(Format::Jsonl),
            "xlsx" | "excel" => Ok(Format::Xlsx),
            _ => Err(DataError::UnknownFormatName { name: s.into() }),
        }
    }
}

/// The encoding named by a label: `utf-8`, `gb18030`, `gbk`, … (WHATWG labels,
/// case-insensitive).
pub fn encoding_for_label(label: &str) -> Result<&'static Encoding, DataError> {
    Encoding::for_label(label.trim().as_bytes())
        .ok_or_else(|| DataError::UnknownEncoding { name: label.into() })
}

/// How to read an input file.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// `None`: by the file's extension.
    pub format: Option<Format>,
    /// CSV only. `None`: UTF-8 (a UTF-8 BOM is skipped; a UTF-16 BOM is honoured).
    pub encoding: Option<&'static Encoding>,
    /// XLSX only. `None`: the first sheet.
    pub sheet: Option<String>,
}

/// Reads raw records from a CSV, JSON, JSONL or XLSX source.
pub struct Reader {
    inner: Inner,
    path: String,
    format: Format,
}

enum Inner {
    Csv(Box<csv_reader::CsvReader>),
    Json(json_reader::JsonReader),
    Xlsx(xlsx_reader::XlsxReader),
    Joined(Box<joined::Joined>),
}

impl Reader {
    /// Opens a file and reads its header. The model names the columns a JSON reader extracts.
    pub fn open(path: &Path, options: &ReadOptions, model: &Model) -> Result<Reader, DataError> {
        let shown = path.display().to_string();
        let format = match options.format {
            Some(f) => f,
            None => Format::from_path(path).ok_or_else(|| DataError::UnknownFormat {
                path: shown.clone(),
            })?,
        };
        let read_err = |source| DataError::Read {
            path: shown.clone(),
            source,
        };
        match format {
            Format::Xlsx => Reader::from_xlsx(
                &std::fs::read(path).map_err(read_err)?,
                &shown,
                options,
                model,
            ),
            _ => {
                let file = File::open(path).map_err(read_err)?;
                Reader::from_read(Box::new(file), &shown, format, options, model)
            }
        }
    }

    /// Reads from memory; `name` only names the source in errors.
    pub fn from_bytes(
        bytes: Vec<u8>,
        name: &str,
        format: Format,
        options: &ReadOptions,
        model: &Model,
    ) -> Result<Reader, DataError> {
        match format {
            Format::Xlsx => Reader::from_xlsx(&bytes, name, options, model),
            _ => Reader::from_read(Box::new(Cursor::new(bytes)), name, format, options, model),
        }
    }

    /// Reads a stream (e.g. stdin): CSV, JSON and JSONL as they arrive; a workbook is read
    /// whole first.
    pub fn from_read(
        input: Box<dyn Read + Send>,
        name: &str,
        format: Format,
        options: &ReadOptions,
        model: &Model,
    ) -> Result<Reader, DataError> {
        if options.sheet.is_some() && format != Format::Xlsx {
            return Err(DataError::SheetNotXlsx { path: name.into() });
        }
        if options.encoding.is_some_and(|e| e != encoding_rs::UTF_8) && format != Format::Csv {
            return Err(DataError::EncodingNotCsv { path: name.into() });
        }
        let inner = match format {
            Format::Csv => Inner::Csv(Box::new(csv_reader::CsvReader::new(
                input,
                name,
                options.encoding,
            )?)),
            Format::Json | Format::Jsonl => {
                let mut columns: Vec<String> = Vec::new();
                for f in &model.fields {
                    if !columns.contains(&f.column) {
                        columns.push(f.column.clone());
                    }
                }
                let mode = if format == Format::Json {
                    json_reader::Mode::Array
                } else {
                    json_reader::Mode::Lines
                };
                Inner::Json(json_reader::JsonReader::new(input, name, mode, columns))
            }
            Format::Xlsx => {
                let mut bytes = Vec::new();
                let mut input = input;
                input
                    .read_to_end(&mut bytes)
                    .map_err(|source| DataError::Read {
                        path: name.into(),
                        source,
                    })?;
                return Reader::from_xlsx(&bytes, name, options, model);
            }
        };
        Ok(Reader {
            inner,
            path: name.into(),
            format,
        })
    }

    fn from_xlsx(
        bytes: &[u8],
        name: &str,
        options: &ReadOptions,
        model: &Model,
    ) -> Result<Reader, DataError> {
        if options.encoding.is_some_and(|e| e != encoding_rs::UTF_8) {
            return Err(DataError::EncodingNotCsv { path: name.into() });
        }
        let required: Vec<String> = model
            .fields
            .iter()
            .filter(|f| !f.optional)
            .map(|f| f.column.clone())
            .collect();
        let x = xlsx_reader::XlsxReader::new(bytes, name, options.sheet.as_deref(), &required)?;
        Ok(Reader {
            inner: Inner::Xlsx(x),
            path: name.into(),
            format: Format::Xlsx,
        })
    }

    /// The column names, in cell order: the header row (CSV, XLSX), or the model's columns
    /// (JSON, JSONL: each object's values are extracted in this order).
    pub fn header(&self) -> &[String] {
        match &self.inner {
            Inner::Csv(r) => r.header(),
            Inner::Json(r) => r.header(),
            Inner::Xlsx(r) => r.header(),
            Inner::Joined(r) => r.header(),
        }
    }

    /// The line of the header row (0 for JSON, which has none).
    pub fn header_line(&self) -> u64 {
        match &self.inner {
            Inner::Csv(r) => r.header_line(),
            Inner::Json(_) => 0,
            Inner::Xlsx(r) => r.header_line(),
            Inner::Joined(r) => r.header_line(),
        }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// The parser for this reader's records.
    pub fn row_parser(&self, model: &Model) -> Result<RowParser, DataError> {
        RowParser::new(&self.path, model, self.header())
    }

    /// Up to `max` records in file order; empty at the end of the input.
    pub fn next_batch(&mut self, max: usize) -> Result<Vec<RawRecord>, DataError> {
        let mut out = Vec::new();
        self.fill_batch(&mut out, max)?;
        Ok(out)
    }

    /// Replaces `out` with up to `max` records, reusing its buffers where the format allows;
    /// returns how many (0 at the end of the input).
    pub fn fill_batch(&mut self, out: &mut Vec<RawRecord>, max: usize) -> Result<usize, DataError> {
        match &mut self.inner {
            Inner::Csv(r) => r.fill(out, max),
            Inner::Json(r) => r.fill(out, max),
            Inner::Xlsx(r) => r.fill(out, max),
            Inner::Joined(r) => r.fill(out, max),
        }
    }

    /// A CSV reader's buffer size from now on (tests: small, so that lines meet its end).
    #[cfg(test)]
    pub(crate) fn set_chunk(&mut self, bytes: usize) {
        if let Inner::Csv(r) = &mut self.inner {
            r.chunk = bytes;
        }
    }

    /// [`Reader::fill_batch`] into a [`Batch`], which a CSV reader may fill with plain lines
    /// that the worker splits; returns how many lines or records (0 at the end of the input).
    pub(crate) fn fill(&mut self, batch: &mut Batch, max: usize) -> Result<usize, DataError> {
        match &mut self.inner {
            Inner::Csv(r) => r.fill_batch(batch, max),
            Inner::Json(r) => {
                batch.clear();
                r.fill(&mut batch.records, max)
            }
            Inner::Xlsx(r) => {
                batch.clear();
                r.fill(&mut batch.records, max)
            }
            Inner::Joined(r) => {
                batch.clear();
                r.fill(&mut batch.records, max)
            }
        }
    }
}

/// Opens a file and builds its row parser (a missing required column fails here).
pub fn open(
    path: &Path,
    options: &ReadOptions,
    model: &Model,
) -> Result<(Reader, RowParser), DataError> {
    let reader = Reader::open(path, options, model)?;
    let parser = reader.row_parser(model)?;
    Ok((reader, parser))
}

/// Reads a whole file: the rows that parse and the rejects (bad cells), each in input order. A
/// repeated key is not checked here: it is `Plan::evaluate`'s to reject (with the data
/// layer's [`KeyTracker`]), since a row whose evaluation overflows claims no key.
pub fn read_all(
    path: &Path,
    options: &ReadOptions,
    model: &Model,
) -> Result<(Vec<InputRow>, Vec<Reject>), DataError> {
    let (reader, parser) = open(path, options, model)?;
    drain(reader, &parser)
}

/// [`read_all`] over bytes in memory; `name` only names the source in errors.
pub fn read_all_bytes(
    bytes: Vec<u8>,
    name: &str,
    format: Format,
    options: &ReadOptions,
    model: &Model,
) -> Result<(Vec<InputRow>, Vec<Reject>), DataError> {
    let reader = Reader::from_bytes(bytes, name, format, options, model)?;
    let parser = reader.row_parser(model)?;
    drain(reader, &parser)
}

fn drain(
    mut reader: Reader,
    parser: &RowParser,
) -> Result<(Vec<InputRow>, Vec<Reject>), DataError> {
    // (a repeated key is `Plan::evaluate`'s to reject: a row whose evaluation overflows
    // before it enters the population claims no key, as in `rubric run`)
    let mut rows = Vec::new();
    let mut rejects = Vec::new();
    let mut batch = Vec::new();
    while reader.fill_batch(&mut batch, 4096)? > 0 {
        for rec in &batch {
            match parser.parse(rec) {
                Ok(row) => rows.push(row),
                Err(r) => rejects.push(r),
            }
        }
    }
    Ok((rows, rejects))
}
