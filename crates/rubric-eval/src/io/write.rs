//! Output writers: records to CSV (RFC 4180 quoting), JSON (an array of objects, one per line)
//! or JSON Lines (rejects: `rejects.rs`). Cells arrive already formatted as text, with a type hint per
//! column so that JSON gets numbers, booleans, lists and nulls. Same input, same bytes.
//! Workbooks (`.xlsx`) are written by [`super::xlsx_write`], which takes the same cells.

use super::error::DataError;
use std::fmt;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    Csv,
    Json,
    Jsonl,
    /// An Excel workbook, written by [`super::XlsxBook`], never as a byte stream.
    Xlsx,
}

impl OutputFormat {
    /// By the file's extension: `.csv`, `.json`, `.jsonl`/`.ndjson`, `.xlsx`.
    pub fn from_path(path: &Path) -> Option<OutputFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(OutputFormat::Csv),
            "json" => Some(OutputFormat::Json),
            "jsonl" | "ndjson" => Some(OutputFormat::Jsonl),
            "xlsx" => Some(OutputFormat::Xlsx),
            _ => None,
        }
    }

    /// The format to write `path` in: by its extension; CSV when it has none (`/dev/stdout`).
    /// An extension Rubric cannot write (`.txt`, `.xls`) is an error, never a silent CSV.
    pub fn for_path(path: &Path) -> Result<OutputFormat, DataError> {
        match path.extension() {
            None => Ok(OutputFormat::Csv),
            Some(ext) => {
                OutputFormat::from_path(path).ok_or_else(|| DataError::UnknownOutputExtension {
                    path: path.display().to_string(),
                    ext: ext.to_string_lossy().into_owned(),
                })
            }
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Csv => "csv",
            OutputFormat::Json => "json",
            OutputFormat::Jsonl => "jsonl",
            OutputFormat::Xlsx => "xlsx",
        }
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OutputFormat {
    type Err = DataError;
    fn from_str(s: &str) -> Result<OutputFormat, DataError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(OutputFormat::Csv),
            "json" => Ok(OutputFormat::Json),
            "jsonl" | "ndjson" => Ok(OutputFormat::Jsonl),
            "xlsx" | "excel" => Ok(OutputFormat::Xlsx),
            _ => Err(DataError::UnknownOutputFormatName { name: s.into() }),
        }
    }
}

/// How a column's text is written in JSON. CSV writes every cell as its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColumnKind {
    /// A JSON string.
    Text,
    /// A JSON number, written exactly as given (`81.75`); text that is not a JSON number is
    /// written as a string.
    Number,
    /// `true`/`false`; other text is written as a string.
    Bool,
    /// A JSON string (`2024-05-16`).
    Date,
    /// A grade code: a JSON string.
    Code,
    /// Tag codes joined by `;` (as CSV prints them): a JSON list of strings; `""` is `[]`.
    Tags,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputColumn {
    pub name: String,
    pub kind: ColumnKind,
}

impl OutputColumn {
    pub fn new(name: impl Into<String>, kind: ColumnKind) -> OutputColumn {
        OutputColumn {
            name: name.into(),
            kind,
        }
    }
}

/// Where output rows go, cell by cell: a [`RecordWriter`] (CSV, JSON, JSONL) or a workbook
/// ([`super::XlsxBook`]).
pub trait RowSink {
    /// Writes the next cell of the current row (`None`: missing).
    fn cell(&mut self, value: Option<&str>) -> Result<(), DataError>;
    /// Ends the current row.
    fn end_row(&mut self) -> Result<(), DataError>;
}

impl<W: Write> RowSink for RecordWriter<W> {
    fn cell(&mut self, value: Option<&str>) -> Result<(), DataError> {
        RecordWriter::cell(self, value)
    }
    fn end_row(&mut self) -> Result<(), DataError> {
        RecordWriter::end_row(self)
    }
}

/// Writes output records. Give each row's cells in column order, `None` for missing (an empty
/// CSV cell, JSON `null`), either all at once ([`RecordWriter::write_row`]) or one by one
/// ([`RecordWriter::cell`] then [`RecordWriter::end_row`]). Call [`RecordWriter::finish`] at
/// the end (JSON closes its array there).
pub struct RecordWriter<W: Write> {
    sink: Sink<W>,
    columns: Vec<OutputColumn>,
    name: String,
    /// Cells written in the current row.
    in_row: usize,
    rows: u64,
    /// JSON: each column's `"name":`, escaped once.
    keys: Vec<Vec<u8>>,
}

enum Sink<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Json { out: BufWriter<W>, lines: bool },
}

impl<W: Write> RecordWriter<W> {
    /// Starts the output (CSV writes its header now). `name` names the output in errors.
    pub fn new(
        out: W,
        name: &str,
        format: OutputFormat,
        columns: Vec<OutputColumn>,
    ) -> Result<Self, DataError> {
        let sink = match format {
            OutputFormat::Csv => {
                let mut w = csv_writer(out);
                w.write_record(columns.iter().map(|c| c.name.as_bytes()))
                    .map_err(|e| csv_err(name, e))?;
                Sink::Csv(Box::new(w))
            }
            OutputFormat::Json => Sink::Json {
                out: BufWriter::with_capacity(1 << 16, out),
                lines: false,
            },
            OutputFormat::Jsonl => Sink::Json {
                out: BufWriter::with_capacity(1 << 16, out),
                lines: true,
            },
            OutputFormat::Xlsx => {
                return Err(DataError::XlsxWrite {
                    path: name.into(),
                    message: "a workbook is written by the workbook writer, not as a stream".into(),
                })
            }
        };
        let keys = columns
            .iter()
            .map(|c| {
                let mut k = serde_json::to_vec(&c.name).unwrap_or_else(|_| b"\"\"".to_vec());
                k.push(b':');
                k
            })
            .collect();
        Ok(RecordWriter {
            sink,
            keys,
            columns,
            name: name.into(),
            in_row: 0,
            rows: 0,
        })
    }

    pub fn columns(&self) -> &[OutputColumn] {
        &self.columns
    }

    /// The number of rows written.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Writes one whole row.
    pub fn write_row(&mut self, cells: &[Option<&str>]) -> Result<(), DataError> {
        for c in cells {
            self.cell(*c)?;
        }
        self.end_row()
    }

    /// Writes the next cell of the current row.
    pub fn cell(&mut self, value: Option<&str>) -> Result<(), DataError> {
        let Some(col) = self.columns.get(self.in_row) else {
            return Err(self.write_err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a row has more than {} cells", self.columns.len()),
            )));
        };
        let first_cell = self.in_row == 0;
        let first_row = self.rows == 0;
        self.in_row += 1;
        let r = match &mut self.sink {
            Sink::Csv(w) => w.write_field(value.unwrap_or("")).map_err(csv_io),
            Sink::Json { out, lines } => {
                let key = self.keys.get(self.in_row - 1).map_or(&[][..], |k| &k[..]);
                json_cell(out, *lines, first_row, first_cell, key, col.kind, value)
            }
        };
        r.map_err(|e| self.write_err(e))
    }

    /// Ends the current row.
    pub fn end_row(&mut self) -> Result<(), DataError> {
        if self.in_row != self.columns.len() {
            let e = io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "a row has {} cells but there are {} columns",
                    self.in_row,
                    self.columns.len()
                ),
            );
            self.in_row = 0;
            return Err(self.write_err(e));
        }
        let first_row = self.rows == 0;
        let empty_row = self.columns.is_empty();
        let r = match &mut self.sink {
            Sink::Csv(w) => w.write_record(None::<&[u8]>).map_err(csv_io),
            Sink::Json { out, lines } => {
                let mut r = Ok(());
                if empty_row {
                    r = open_row(out, *lines, first_row);
                }
                r.and_then(|()| out.write_all(if *lines { b"}\n" } else { b"}" }))
            }
        };
        self.in_row = 0;
        self.rows += 1;
        r.map_err(|e| self.write_err(e))
    }

    /// Finishes the output and returns the underlying writer, flushed.
    pub fn finish(self) -> Result<W, DataError> {
        let name = self.name;
        let err = |source| DataError::Write {
            path: name.clone(),
            source,
        };
        match self.sink {
            Sink::Csv(w) => w
                .into_inner()
                .map_err(|e| err(io::Error::other(e.error().to_string()))),
            Sink::Json { mut out, lines } => {
                if !lines {
                    out.write_all(if self.rows == 0 { b"[]\n" } else { b"\n]\n" })
                        .map_err(err)?;
                }
                out.into_inner()
                    .map_err(|e| err(io::Error::other(e.error().to_string())))
            }
        }
    }

    fn write_err(&self, source: io::Error) -> DataError {
        DataError::Write {
            path: self.name.clone(),
            source,
        }
    }
}

pub(crate) fn csv_writer<W: Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .quote_style(csv::QuoteStyle::Necessary)
        .buffer_capacity(1 << 16)
        .from_writer(out)
}

fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

pub(crate) fn csv_err(name: &str, e: csv::Error) -> DataError {
    DataError::Write {
        path: name.into(),
        source: csv_io(e),
    }
}

fn json_cell<W: Write>(
    out: &mut W,
    lines: bool,
    first_row: bool,
    first_cell: bool,
    key: &[u8],
    kind: ColumnKind,
    value: Option<&str>,
) -> io::Result<()> {
    if first_cell {
        open_row(out, lines, first_row)?;
    } else {
        out.write_all(b",")?;
    }
    out.write_all(key)?;
    let Some(v) = value else {
        return out.write_all(b"null");
    };
    match kind {
        ColumnKind::Number if is_json_number(v) => out.write_all(v.as_bytes()),
        ColumnKind::Bool if v == "true" || v == "false" => out.write_all(v.as_bytes()),
        ColumnKind::Tags => {
            out.write_all(b"[")?;
            for (i, code) in v.split(';').filter(|c| !c.is_empty()).enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                json_string(out, code)?;
            }
            out.write_all(b"]")
        }
        _ => json_string(out, v),
    }
}

fn open_row<W: Write>(out: &mut W, lines: bool, first_row: bool) -> io::Result<()> {
    out.write_all(match (lines, first_row) {
        (true, _) => b"{",
        (false, true) => b"[\n{",
        (false, false) => b",\n{",
    })
}

fn json_string<W: Write>(out: &mut W, s: &str) -> io::Result<()> {
    serde_json::to_writer(&mut *out, s).map_err(io::Error::other)
}

/// Whether `s` is a JSON number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let int_start = i;
    let n = digits(&mut i);
    if n == 0 || (n > 1 && b[int_start] == b'0') {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// A byte stream of UTF-8 text written in another encoding (`--encoding gb18030` on CSV
/// output). A character split across two writes is held until its last byte arrives;
/// characters the encoding cannot hold (none for GB18030) become numeric character references.
pub struct EncodeWriter<W: Write> {
    out: W,
    encoder: encoding_rs::Encoder,
    /// The start of a UTF-8 character whose other bytes have not arrived yet.
    pending: Vec<u8>,
    buf: Vec<u8>,
}

impl<W: Write> EncodeWriter<W> {
    pub fn new(out: W, encoding: &'static encoding_rs::Encoding) -> EncodeWriter<W> {
        EncodeWriter {
            out,
            encoder: encoding.new_encoder(),
            pending: Vec::new(),
            buf: Vec::new(),
        }
    }

    fn encode(&mut self, text: &str, last: bool) -> io::Result<()> {
        let mut text = text;
        loop {
            self.buf.clear();
            self.buf.reserve(
                self.encoder
                    .max_buffer_length_from_utf8_if_no_unmappables(text.len())
                    .unwrap_or(text.len() * 4)
                    .max(16),
            );
            let (result, read, _) = self
                .encoder
                .encode_from_utf8_to_vec(text, &mut self.buf, last);
            self.out.write_all(&self.buf)?;
            text = text.get(read..).unwrap_or("");
            if result == encoding_rs::CoderResult::InputEmpty {
                return Ok(());
            }
        }
    }
}

impl<W: Write> Write for EncodeWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut data = std::mem::take(&mut self.pending);
        data.extend_from_slice(bytes);
        let (text, rest) = match std::str::from_utf8(&data) {
            Ok(t) => (t, &[][..]),
            Err(e) if e.error_len().is_none() => {
                let (a, b) = data.split_at(e.valid_up_to());
                (std::str::from_utf8(a).unwrap_or(""), b)
            }
            Err(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the output is not valid utf-8",
                ))
            }
        };
        let rest = rest.to_vec();
        self.encode(text, false)?;
        self.pending = rest;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl<W: Write> EncodeWriter<W> {
    /// Ends the text (a character left incomplete is an error) and returns the writer, flushed.
    pub fn finish(mut self) -> io::Result<W> {
        if !self.pending.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the output ends inside a utf-8 character",
            ));
        }
        self.encode("", true)?;
        self.out.flush()?;
        Ok(self.out)
    }
}
