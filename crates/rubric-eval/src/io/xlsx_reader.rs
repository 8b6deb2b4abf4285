//! Excel workbooks (.xlsx, and .xls, .xlsb, .ods): the first sheet or a named one; the first non-empty row is the
//! header. Numbers are binary floats in Excel: each becomes the shortest text that reads back
//! as the same float (`0.1`, not `0.1000000000000000055`), then an exact decimal.

use super::error::DataError;
use super::record::{RawCell, RawRecord};
use calamine::{open_workbook_from_rs, Data, Ods, Range, Reader, Xls, Xlsb, Xlsx};
use rubric_syntax::date::Date;
use std::io::{Cursor, Read, Seek};

pub(crate) struct XlsxReader {
    range: Range<Data>,
    header: Vec<String>,
    /// The sheet row (1-based) of the range's first row.
    top_line: u32,
    /// The range row of the header.
    header_row: usize,
    /// Index into the range's rows of the next row to read.
    next: usize,
}

/// How many rows are searched for the header.
const HEADER_SEARCH: usize = 20;

/// The magic bytes of the old binary Excel format (a compound file).
const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

impl XlsxReader {
    /// Reads a workbook: .xlsx/.xlsm, and also the old .xls, .xlsb and OpenDocument .ods,
    /// recognised by their content.
    pub(crate) fn new(
        bytes: &[u8],
        path: &str,
        sheet: Option<&str>,
        required: &[String],
    ) -> Result<XlsxReader, DataError> {
        let fail = |message: String| DataError::Xlsx {
            path: path.into(),
            message: message.to_lowercase(),
        };
        let range = if bytes.starts_with(&CFB_MAGIC) {
            let book = open_workbook_from_rs::<Xls<_>, _>(Cursor::new(bytes))
                .map_err(|e: calamine::XlsError| fail(e.to_string()))?;
            load(book, path, sheet)?
        } else if bytes.starts_with(b"PK") {
            match open_workbook_from_rs::<Xlsx<_>, _>(Cursor::new(bytes)) {
                Ok(book) => load(book, path, sheet)?,
                Err(xlsx_err) => {
                    if let Ok(book) = open_workbook_from_rs::<Xlsb<_>, _>(Cursor::new(bytes)) {
                        load(book, path, sheet)?
                    } else if let Ok(book) = open_workbook_from_rs::<Ods<_>, _>(Cursor::new(bytes))
                    {
                        load(book, path, sheet)?
                    } else {
                        return Err(fail(xlsx_err.to_string()));
                    }
                }
            }
        } else {
            return Err(fail(
                "not an excel workbook (.xlsx, .xls, .xlsb or .ods)".into(),
            ));
        };
        let Some((start_row, _)) = range.start() else {
            return Err(DataError::NoHeader { path: path.into() });
        };
        // The header is the first row, among the first few, that names every required column
        // (a report often has a title row above it); else the first row.
        let text_row = |i: usize| -> Vec<String> {
            (0..range.width())
                .map(|c| {
                    range
                        .get((i, c))
                        .map_or(String::new(), |d| raw_cell(d).text().into_owned())
                })
                .collect()
        };
        let found = (0..range.height().min(HEADER_SEARCH)).find(|&i| {
            let row = text_row(i);
            !required.is_empty()
                && required
                    .iter()
                    .all(|r| row.iter().any(|h| h.trim() == r.trim()))
        });
        let header_row = found.unwrap_or(0);
        if range.height() == 0 {
            return Err(DataError::NoHeader { path: path.into() });
        }
        let header = text_row(header_row);
        Ok(XlsxReader {
            top_line: start_row.saturating_add(1),
            header,
            header_row,
            next: header_row + 1,
            range,
        })
    }

    pub(crate) fn header(&self) -> &[String] {
        &self.header
    }

    pub(crate) fn header_line(&self) -> u64 {
        u64::from(self.top_line) + self.header_row as u64
    }

    pub(crate) fn fill(
        &mut self,
        out: &mut Vec<RawRecord>,
        max: usize,
    ) -> Result<usize, DataError> {
        out.clear();
        let width = self.range.width();
        let height = self.range.height();
        while out.len() < max && self.next < height {
            let i = self.next;
            self.next += 1;
            let cells: Vec<RawCell> = (0..width)
                .map(|c| self.range.get((i, c)).map_or(RawCell::Empty, raw_cell))
                .collect();
            if cells.iter().all(|c| matches!(c, RawCell::Empty)) {
                // An empty row inside the sheet, as a blank line in a CSV file.
                continue;
            }
            let line = u64::from(self.top_line) + (i as u64);
            out.push(RawRecord::from_cells(line, cells));
        }
        Ok(out.len())
    }
}

/// The named sheet (exact, else trimmed), or the first one.
fn load<RS, R>(mut book: R, path: &str, sheet: Option<&str>) -> Result<Range<Data>, DataError>
where
    RS: Read + Seek,
    R: Reader<RS>,
    R::Error: std::fmt::Display,
{
    let names = book.sheet_names();
    let name = match sheet {
        Some(s) => match names
            .iter()
            .find(|n| n.as_str() == s)
            .or_else(|| names.iter().find(|n| n.trim() == s.trim()))
        {
            Some(n) => n.clone(),
            None => {
                return Err(DataError::NoSheet {
                    path: path.into(),
                    sheet: s.into(),
                    available: names,
                })
            }
        },
        None => match names.first() {
            Some(n) => n.clone(),
            None => {
                return Err(DataError::NoSheet {
                    path: path.into(),
                    sheet: String::new(),
                    available: names,
                })
            }
        },
    };
    book.worksheet_range(&name).map_err(|e| DataError::Xlsx {
        path: path.into(),
        message: e.to_string().to_lowercase(),
    })
}

/// The text of a finite float that reads back as the same float, without an exponent.
pub(crate) fn float_text(f: f64) -> String {
    // Rust's `Display` for f64 is the shortest round-trip representation and never uses an
    // exponent; -0 prints as "-0", which still reads as zero.
    format!("{f}")
}

/// The last serial day Excel knows (9999-12-31).
const MAX_SERIAL: f64 = 2_958_466.0;

fn raw_cell(c: &Data) -> RawCell {
    match c {
        Data::Empty => RawCell::Empty,
        Data::String(s) => RawCell::Text(s.clone()),
        Data::Int(i) => RawCell::Number(i.to_string()),
        Data::Float(f) if f.is_finite() => RawCell::Number(float_text(*f)),
        Data::Float(_) => RawCell::Invalid("a number excel cannot represent".into()),
        Data::Bool(b) => RawCell::Bool(*b),
        Data::DateTime(dt) if dt.is_datetime() => {
            let v = dt.as_f64();
            if !(0.0..MAX_SERIAL).contains(&v) {
                return RawCell::Invalid("an excel date out of range".into());
            }
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            match Date::from_ymd(i32::from(y), u32::from(m), u32::from(d)) {
                Some(date) => RawCell::Date(date),
                None => RawCell::Invalid(format!(
                    "the excel date {y:04}-{m:02}-{d:02}, which does not exist"
                )),
            }
        }
        Data::DateTime(dt) => RawCell::Number(float_text(dt.as_f64())),
        Data::DateTimeIso(s) => match s.get(..10).and_then(Date::parse) {
            Some(d) => RawCell::Date(d),
            None => RawCell::Text(s.clone()),
        },
        Data::DurationIso(s) => RawCell::Text(s.clone()),
        Data::Error(e) => RawCell::Invalid(format!("the excel error {e}")),
    }
}
