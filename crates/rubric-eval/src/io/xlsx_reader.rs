//! Excel workbooks (.xlsx): the first sheet or a named one; the first non-empty row is the
//! header. Numbers are binary floats in Excel: each becomes the shortest text that reads back
//! as the same float (`0.1`, not `0.1000000000000000055`), then an exact decimal.

use super::error::DataError;
use super::record::{RawCell, RawRecord};
use calamine::{Data, Range, Reader, Xlsx};
use rubric_syntax::date::Date;
use std::io::{Read, Seek};

pub(crate) struct XlsxReader {
    range: Range<Data>,
    header: Vec<String>,
    /// 0-based sheet row of the first data row.
    first_row: u32,
    /// Index into the range's rows of the next row to read.
    next: usize,
}

impl XlsxReader {
    pub(crate) fn new<RS: Read + Seek>(
        input: RS,
        path: &str,
        sheet: Option<&str>,
    ) -> Result<XlsxReader, DataError> {
        let xerr = |e: calamine::XlsxError| DataError::Xlsx {
            path: path.into(),
            message: e.to_string().to_lowercase(),
        };
        let mut book: Xlsx<RS> = calamine::open_workbook_from_rs(input).map_err(xerr)?;
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
        let range = book.worksheet_range(&name).map_err(xerr)?;
        let Some((start_row, _)) = range.start() else {
            return Err(DataError::NoHeader { path: path.into() });
        };
        let header = match range.rows().next() {
            Some(row) => row
                .iter()
                .map(|c| raw_cell(c).text().into_owned())
                .collect(),
            None => return Err(DataError::NoHeader { path: path.into() }),
        };
        Ok(XlsxReader {
            range,
            header,
            first_row: start_row + 1,
            next: 1,
        })
    }

    pub(crate) fn header(&self) -> &[String] {
        &self.header
    }

    pub(crate) fn header_line(&self) -> u64 {
        u64::from(self.first_row)
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
            let line = u64::from(self.first_row) + (i as u64);
            out.push(RawRecord::from_cells(line, cells));
        }
        Ok(out.len())
    }
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
