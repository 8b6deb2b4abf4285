//! The rejects file: one row per rejected record, laid out in one place ([`RejectTable`]) for
//! the CSV rejects file ([`RejectWriter`]) and any other writer (an xlsx sheet).
//!
//! Layout: `line,column,key,reason,file`, then the record's original cells, one column per
//! header column, named by the header, in file order (extra non-empty cells of a long record
//! in unnamed columns after them). The first four columns are those of Rubric's earlier rejects
//! files, so a script that reads them keeps working; the original cells come last and side by
//! side, so that an operator can fix them and paste the row back into the file.
//!
//! The original cells are read again from the input after the run ([`OriginalRows::read`]),
//! only for the rejected lines, so that the run itself keeps no text it does not need: a row
//! can be rejected long after its bytes are gone (a duplicate key, an evaluation overflow).

use super::error::DataError;
use super::json_reader::object_cells;
use super::record::{Batch, Cells, RawCell, Rec};
use super::write::{csv_err, csv_writer};
use super::Reader;
use crate::value::Reject;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, Write};

/// The cells of some records of a source file as read (text, as a user sees them), by line.
#[derive(Clone, Debug, Default)]
pub struct OriginalRows {
    /// The source file, as the user named it.
    pub file: String,
    /// Its column names, in cell order (see [`Reader::header`]).
    pub header: Vec<String>,
    rows: BTreeMap<u64, Vec<String>>,
}

impl OriginalRows {
    /// No original cells (e.g. the file could not be read again): rejects keep their file and
    /// line, with empty cells.
    pub fn empty(file: &str, header: &[String]) -> OriginalRows {
        OriginalRows {
            file: file.into(),
            header: header.to_vec(),
            rows: BTreeMap::new(),
        }
    }

    /// Reads the records on `lines` from a freshly opened reader of the same file, stopping after
    /// the last of them. JSON values become their text (`12.50`, `true`, a date as written).
    pub fn read(
        mut reader: Reader,
        lines: impl IntoIterator<Item = u64>,
    ) -> Result<OriginalRows, DataError> {
        let wanted: BTreeSet<u64> = lines.into_iter().collect();
        let mut out = OriginalRows::empty(reader.path(), reader.header());
        if wanted.is_empty() {
            return Ok(out);
        }
        let mut index = HashMap::new();
        for (i, h) in out.header.iter().enumerate() {
            index.entry(h.trim().to_string()).or_insert(i);
        }
        // (the run's own reading: a CSV reader hands over runs of plain lines, split here one at
        // a time, so that reading again costs about what the reader thread of the run did)
        let mut batch = Batch::default();
        let mut next = wanted.iter().copied().peekable();
        let width = out.header.len();
        let mut rows = BTreeMap::new();
        while reader.fill(&mut batch, 8192)? > 0 {
            batch.for_each_rec(&mut |rec| {
                let line = rec.line();
                while next.next_if(|&w| w < line).is_some() {}
                if next.next_if_eq(&line).is_some() {
                    rows.insert(line, texts(rec, &index, width));
                }
            });
            if next.peek().is_none() {
                break;
            }
        }
        out.rows = rows;
        Ok(out)
    }

    /// The original cells of the record on `line`, when it was read.
    pub fn get(&self, line: u64) -> Option<&[String]> {
        self.rows.get(&line).map(Vec::as_slice)
    }
}

/// A record's cells as text, in header order.
fn texts(rec: Rec<'_>, index: &HashMap<String, usize>, width: usize) -> Vec<String> {
    let typed = |cells: &[RawCell]| cells.iter().map(|c| c.text().into_owned()).collect();
    if let Some(cells) = rec.bytes() {
        return cells
            .iter()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
    }
    let Rec::Raw(raw) = rec else {
        return Vec::new();
    };
    match &raw.cells {
        Cells::Typed(cells) => typed(cells),
        Cells::Json(text) => object_cells(text, index, width)
            .map(|cells| typed(&cells))
            .unwrap_or_default(),
        Cells::BrokenLine { row, .. } => row
            .iter()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect(),
        Cells::Bytes(_) | Cells::Broken(_) => Vec::new(),
    }
}

/// Rejects as a table of text: the one layout of a reject row (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectTable {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The columns before a reject's original cells.
const LEADING: [&str; 5] = ["line", "column", "key", "reason", "file"];

impl RejectTable {
    /// The rejects, in the order given, with their original cells from `originals`.
    pub fn new(rejects: &[Reject], originals: &OriginalRows) -> RejectTable {
        // a long record's extra non-empty cells get columns of their own
        let width = rejects
            .iter()
            .filter_map(|r| originals.get(r.line))
            .map(|cells| {
                cells
                    .iter()
                    .rposition(|c| !c.trim().is_empty())
                    .map_or(0, |i| i + 1)
            })
            .fold(originals.header.len(), usize::max);
        let mut header: Vec<String> = LEADING.iter().map(|s| s.to_string()).collect();
        header.extend(originals.header.iter().cloned());
        header.resize(LEADING.len() + width, String::new());
        let rows = rejects
            .iter()
            .map(|r| {
                let mut row = vec![
                    r.line.to_string(),
                    r.column.clone().unwrap_or_default(),
                    r.key.clone().unwrap_or_default(),
                    r.reason.clone(),
                    originals.file.clone(),
                ];
                let cells = originals.get(r.line).unwrap_or(&[]);
                row.extend(cells.iter().take(width).cloned());
                row.resize(LEADING.len() + width, String::new());
                row
            })
            .collect();
        RejectTable { header, rows }
    }
}

impl RejectTable {
    /// Several tables as one (a run's customers file and its events files): the leading
    /// columns, then the original cells of every table under the union of their headers (a
    /// header shared by two files is one column), in order of first appearance.
    pub fn concat(tables: &[RejectTable]) -> RejectTable {
        let lead = LEADING.len();
        let mut header: Vec<String> = LEADING.iter().map(|s| s.to_string()).collect();
        let mut maps: Vec<Vec<usize>> = Vec::new();
        for t in tables {
            let mut map = Vec::new();
            let mut used = vec![false; header.len()];
            for h in t.header.iter().skip(lead) {
                let at = (lead..header.len()).find(|&i| {
                    !h.is_empty() && header[i] == *h && !used.get(i).copied().unwrap_or(true)
                });
                let at = match at {
                    Some(i) => i,
                    None => {
                        header.push(h.clone());
                        used.push(false);
                        header.len() - 1
                    }
                };
                used[at] = true;
                map.push(at);
            }
            maps.push(map);
        }
        let mut rows = Vec::new();
        for (t, map) in tables.iter().zip(&maps) {
            for r in &t.rows {
                let mut row = vec![String::new(); header.len()];
                for (i, cell) in r.iter().enumerate() {
                    let at = if i < lead {
                        Some(i)
                    } else {
                        map.get(i - lead).copied()
                    };
                    if let Some(at) = at {
                        row[at] = cell.clone();
                    }
                }
                rows.push(row);
            }
        }
        RejectTable { header, rows }
    }
}

/// Writes a [`RejectTable`] as CSV.
pub struct RejectWriter<W: Write> {
    w: csv::Writer<W>,
    name: String,
    rows: u64,
}

impl<W: Write> RejectWriter<W> {
    /// Starts the file; `name` names the output in errors.
    pub fn new(out: W, name: &str) -> Result<Self, DataError> {
        Ok(RejectWriter {
            w: csv_writer(out),
            name: name.into(),
            rows: 0,
        })
    }

    /// Writes the table's header and rows.
    pub fn write_table(&mut self, table: &RejectTable) -> Result<(), DataError> {
        self.w
            .write_record(&table.header)
            .map_err(|e| csv_err(&self.name, e))?;
        for row in &table.rows {
            self.w
                .write_record(row)
                .map_err(|e| csv_err(&self.name, e))?;
            self.rows += 1;
        }
        Ok(())
    }

    /// The number of rejects written.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn finish(self) -> Result<W, DataError> {
        let name = self.name;
        self.w.into_inner().map_err(|e| DataError::Write {
            path: name,
            source: io::Error::other(e.error().to_string()),
        })
    }
}
