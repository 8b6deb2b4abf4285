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
            Cells::Json(_) | Cells::Broken(_) => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The text of cell `i` as a user would read it (for messages and reject keys).
    pub fn cell_text(&self, i: usize) -> Option<Cow<'_, str>> {
        match &self.cells {
            Cells::Bytes(r) => r.get(i).map(String::from_utf8_lossy),
            Cells::Typed(c) => c.get(i).map(RawCell::text),
            Cells::Json(_) | Cells::Broken(_) => None,
        }
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

    pub(crate) fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.fields {
            return None;
        }
        let start = if i == 0 { 0 } else { *self.ends.get(i - 1)? };
        self.data.get(start..*self.ends.get(i)?)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.fields).filter_map(|i| self.get(i))
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
