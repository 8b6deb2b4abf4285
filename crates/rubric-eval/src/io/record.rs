//! Raw records: what a reader yields before any cell is parsed.

use rubric_syntax::date::Date;
use std::borrow::Cow;

/// One record as read from the file, cells not yet parsed. Readers yield these in batches; a
/// [`super::RowParser`] turns each into an [`crate::InputRow`] or a [`crate::Reject`], on any
/// thread.
#[derive(Clone, Debug)]
pub struct RawRecord {
    /// 1-based line of the record's first line in the file (CSV: the header is line 1; JSON: the
    /// line where the object starts; XLSX: the sheet row).
    pub line: u64,
    pub(crate) cells: Cells,
}

#[derive(Clone, Debug)]
pub(crate) enum Cells {
    /// CSV: the cells as UTF-8 bytes (not yet validated), in header order.
    Bytes(ByteRow),
    /// JSON, JSONL, XLSX, or built by hand: typed cells, in header order.
    Typed(Vec<RawCell>),
    /// JSON, JSONL: one object's text, split out by the reader and parsed by the row parser
    /// (so that parsing runs on the parser's threads).
    Json(Vec<u8>),
    /// A record that could not be read at all (e.g. a JSON line that is not an object); the
    /// reason, lowercase.
    Broken(String),
    /// A CSV line that cannot be a record (an unterminated quote opens in it): the reason, and
    /// the line's cells split at the delimiter with quotes kept as written, for the rejects
    /// file's original cells.
    BrokenLine { reason: String, row: ByteRow },
}

/// One cell of a JSON object or a spreadsheet, before it is checked against the field's type.
#[derive(Clone, Debug, PartialEq)]
pub enum RawCell {
    /// The key is not in the JSON object.
    Absent,
    /// JSON null, an empty spreadsheet cell.
    Empty,
    Text(String),
    /// A number, as its exact text: JSON number text, or the shortest text that round-trips an
    /// Excel float (`0.1`, `17`, `1e-7` → `0.0000001`).
    Number(String),
    Bool(bool),
    /// An Excel date cell (the time of day, if any, is dropped).
    Date(Date),
    /// A value that cannot be a cell: a JSON list or object, an Excel error. Lowercase
    /// description, e.g. "a json list", "the excel error #N/A".
    Invalid(String),
}

impl RawRecord {
    /// A record of typed cells in header order.
    pub fn from_cells(line: u64, cells: Vec<RawCell>) -> RawRecord {
        RawRecord {
            line,
            cells: Cells::Typed(cells),
        }
    }

    /// A record of text cells in header order, as a CSV file would give them.
    pub fn from_text<S: AsRef<str>>(line: u64, cells: &[S]) -> RawRecord {
        let mut rec = ByteRow::default();
        for c in cells {
            rec.push_field(c.as_ref().as_bytes());
        }
        RawRecord {
            line,
            cells: Cells::Bytes(rec),
        }
    }

    /// A record that could not be read; it will become a reject with this reason.
    pub fn broken(line: u64, reason: impl Into<String>) -> RawRecord {
        RawRecord {
            line,
            cells: Cells::Broken(reason.into()),
        }
    }

    /// The number of cells (0 for a broken record and for a JSON object, whose cells are
    /// found by the row parser).
    pub fn len(&self) -> usize {
        match &self.cells {
            Cells::Bytes(r) => r.len(),
            Cells::Typed(c) => c.len(),
            Cells::Json(_) | Cells::Broken(_) | Cells::BrokenLine { .. } => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The text of cell `i` as a user would read it (for messages and reject keys).
    pub fn cell_text(&self, i: usize) -> Option<Cow<'_, str>> {
        Rec::Raw(self).cell_text(i)
    }
}

/// The cells of one CSV record: their bytes back to back, and where each ends. The buffers are
/// kept between records (`data` and `ends` are capacity; `used` and `fields` are the content).
#[derive(Clone, Debug, Default)]
pub(crate) struct ByteRow {
    pub(crate) data: Vec<u8>,
    pub(crate) ends: Vec<usize>,
    pub(crate) fields: usize,
}

impl ByteRow {
    pub(crate) fn len(&self) -> usize {
        self.fields
    }

    /// The row's cells as a view.
    pub(crate) fn cells(&self) -> ByteCells<'_> {
        ByteCells {
            data: &self.data,
            ends: self.ends.get(..self.fields).unwrap_or(&[]),
            start: 0,
            gap: 0,
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.cells().iter()
    }

    pub(crate) fn push_field(&mut self, b: &[u8]) {
        let start = if self.fields == 0 {
            0
        } else {
            self.ends.get(self.fields - 1).copied().unwrap_or(0)
        };
        self.data.truncate(start);
        self.data.extend_from_slice(b);
        self.ends.truncate(self.fields);
        self.ends.push(start + b.len());
        self.fields += 1;
    }
}

/// The cells of one CSV record, borrowed: from a [`ByteRow`] (cells back to back) or from a
/// line of the file (cells between delimiters). Cell `i` ends at `ends[i]`; the first starts at
/// `start`, every other `gap` bytes after the end of the one before it (the delimiter).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ByteCells<'a> {
    data: &'a [u8],
    ends: &'a [usize],
    start: usize,
    gap: usize,
}

impl<'a> ByteCells<'a> {
    /// The cells of the line `data[start..end]` (no line break in it), split at `delimiter`;
    /// `ends` is the caller's buffer for where they end.
    pub(crate) fn of_line(
        data: &'a [u8],
        start: usize,
        end: usize,
        delimiter: u8,
        ends: &'a mut Vec<usize>,
    ) -> ByteCells<'a> {
        ends.clear();
        let line = data.get(start..end).unwrap_or(&[]);
        ends.extend(memchr::memchr_iter(delimiter, line).map(|i| start + i));
        ends.push(end);
        ByteCells {
            data,
            ends,
            start,
            gap: 1,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn get(&self, i: usize) -> Option<&'a [u8]> {
        let end = *self.ends.get(i)?;
        let start = match i {
            0 => self.start,
            _ => *self.ends.get(i - 1)? + self.gap,
        };
        self.data.get(start..end)
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = &'a [u8]> {
        (0..self.len()).filter_map(move |i| self.get(i))
    }
}

/// One record of a [`Batch`], borrowed.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Rec<'a> {
    Raw(&'a RawRecord),
    /// A plain CSV line (see [`Batch`]).
    Line {
        line: u64,
        cells: ByteCells<'a>,
    },
}

impl<'a> Rec<'a> {
    /// 1-based line of the record's first line in the file.
    pub(crate) fn line(&self) -> u64 {
        match self {
            Rec::Raw(r) => r.line,
            Rec::Line { line, .. } => *line,
        }
    }

    /// The cells of a CSV record.
    pub(crate) fn bytes(&self) -> Option<ByteCells<'a>> {
        match self {
            Rec::Raw(RawRecord {
                cells: Cells::Bytes(row),
                ..
            }) => Some(row.cells()),
            Rec::Raw(_) => None,
            Rec::Line { cells, .. } => Some(*cells),
        }
    }

    /// The text of cell `i` as a user would read it (for messages and reject keys).
    pub(crate) fn cell_text(&self, i: usize) -> Option<Cow<'a, str>> {
        match self {
            Rec::Raw(r) => match &r.cells {
                Cells::Bytes(row) => row.cells().get(i).map(String::from_utf8_lossy),
                Cells::Typed(c) => c.get(i).map(RawCell::text),
                Cells::BrokenLine { row, .. } => row.cells().get(i).map(String::from_utf8_lossy),
                Cells::Json(_) | Cells::Broken(_) => None,
            },
            Rec::Line { cells, .. } => cells.get(i).map(String::from_utf8_lossy),
        }
    }
}

/// A batch of records as a reader hands it to the workers, in one of two forms:
///
/// - `records`: records read one by one (JSON, XLSX, and CSV that needs csv_core);
/// - `lines`: a run of whole CSV lines copied from the file as they are, each ending in `\n`,
///   with no quote and no carriage return other than one right before its `\n`. Such a line
///   is one record, its cells split at the delimiter (a blank line is no record), exactly as
///   csv_core reads it. The reader only finds where the run ends; a worker splits it
///   (`RowParser::parse_lines`, or [`Batch::for_each_rec`]), so that splitting runs on every
///   core.
///
/// Exactly one of the two is non-empty, except at the end of the input.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub(crate) records: Vec<RawRecord>,
    pub(crate) lines: Vec<u8>,
    /// The file line of the first byte of `lines`.
    pub(crate) first_line: u64,
    /// The number of lines in `lines` (blank ones included).
    pub(crate) line_count: usize,
    pub(crate) delimiter: u8,
}

impl Batch {
    /// Empties the batch, keeping its buffers.
    pub(crate) fn clear(&mut self) {
        self.records.clear();
        self.lines.clear();
        self.line_count = 0;
    }

    /// How many records the batch holds at most (blank lines count).
    pub(crate) fn len(&self) -> usize {
        self.records.len() + self.line_count
    }

    /// Calls `f` with every record in file order, splitting lines one at a time with
    /// [`ByteCells::of_line`] (`rubric run` parses lines with `RowParser::parse_lines`
    /// instead, which splits as it goes).
    pub(crate) fn for_each_rec(&self, f: &mut dyn FnMut(Rec<'_>)) {
        for r in &self.records {
            f(Rec::Raw(r));
        }
        let text = self.lines.as_slice();
        let mut ends = Vec::new();
        let (mut line, mut start) = (self.first_line, 0usize);
        for nl in memchr::memchr_iter(b'\n', text) {
            let end = if nl > start && text.get(nl - 1) == Some(&b'\r') {
                nl - 1
            } else {
                nl
            };
            // (a blank line is no record)
            if end > start {
                let cells = ByteCells::of_line(text, start, end, self.delimiter, &mut ends);
                f(Rec::Line { line, cells });
            }
            line += 1;
            start = nl + 1;
        }
    }
}

impl RawCell {
    /// The cell as text: what a text field gets, and what messages show.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            RawCell::Absent | RawCell::Empty => Cow::Borrowed(""),
            RawCell::Text(s) | RawCell::Number(s) | RawCell::Invalid(s) => Cow::Borrowed(s),
            RawCell::Bool(true) => Cow::Borrowed("true"),
            RawCell::Bool(false) => Cow::Borrowed("false"),
            RawCell::Date(d) => Cow::Owned(d.to_string()),
        }
    }
}
