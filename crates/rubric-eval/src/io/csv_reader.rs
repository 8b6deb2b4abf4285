//! CSV with a header row: UTF-8 (with or without BOM), or any other encoding decoded as a
//! stream (gb18030 for Excel exports from Chinese Windows).

use super::error::DataError;
use super::record::{Cells, RawRecord};
use encoding_rs::Encoding;
use std::io::{self, Read};

pub(crate) struct CsvReader {
    rdr: csv::Reader<Box<dyn Read + Send>>,
    path: String,
    header: Vec<String>,
    header_line: u64,
    done: bool,
}

impl CsvReader {
    /// Reads the header. With no encoding, the input is UTF-8 unless it starts with a UTF-16
    /// byte order mark.
    pub(crate) fn new(
        input: Box<dyn Read + Send>,
        path: &str,
        encoding: Option<&'static Encoding>,
    ) -> Result<CsvReader, DataError> {
        let input = match encoding {
            Some(enc) if enc != encoding_rs::UTF_8 => {
                Box::new(DecodeReader::new(input, enc)) as Box<dyn Read + Send>
            }
            _ => {
                // Sniff a UTF-16 byte order mark; a UTF-8 one is skipped by the CSV parser.
                let mut input = input;
                let mut head = [0u8; 2];
                let n = read_up_to(&mut input, &mut head).map_err(|source| DataError::Read {
                    path: path.into(),
                    source,
                })?;
                let prefix = io::Cursor::new(head[..n].to_vec());
                if n == 2 && (head == [0xFF, 0xFE] || head == [0xFE, 0xFF]) {
                    Box::new(DecodeReader::new(
                        Box::new(prefix.chain(input)),
                        encoding_rs::UTF_8,
                    )) as Box<dyn Read + Send>
                } else {
                    Box::new(prefix.chain(input)) as Box<dyn Read + Send>
                }
            }
        };
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 16)
            .from_reader(input);
        let mut first = csv::ByteRecord::new();
        let got = rdr
            .read_byte_record(&mut first)
            .map_err(|e| csv_error(path, e))?;
        if !got {
            return Err(DataError::NoHeader { path: path.into() });
        }
        let mut header = Vec::with_capacity(first.len());
        for cell in first.iter() {
            match std::str::from_utf8(cell) {
                Ok(s) => header.push(s.to_string()),
                Err(_) => return Err(DataError::HeaderNotUtf8 { path: path.into() }),
            }
        }
        let header_line = first.position().map_or(1, |p| p.line());
        Ok(CsvReader {
            rdr,
            path: path.into(),
            header,
            header_line,
            done: false,
        })
    }

    pub(crate) fn header(&self) -> &[String] {
        &self.header
    }

    pub(crate) fn header_line(&self) -> u64 {
        self.header_line
    }

    /// Reads up to `max` records into `out`, reusing its buffers; returns how many were read.
    pub(crate) fn fill(
        &mut self,
        out: &mut Vec<RawRecord>,
        max: usize,
    ) -> Result<usize, DataError> {
        let mut n = 0;
        while n < max && !self.done {
            if n == out.len() {
                out.push(RawRecord {
                    line: 0,
                    cells: Cells::Bytes(csv::ByteRecord::new()),
                });
            }
            let slot = &mut out[n];
            if !matches!(slot.cells, Cells::Bytes(_)) {
                slot.cells = Cells::Bytes(csv::ByteRecord::new());
            }
            let Cells::Bytes(rec) = &mut slot.cells else {
                continue;
            };
            let got = self
                .rdr
                .read_byte_record(rec)
                .map_err(|e| csv_error(&self.path, e))?;
            if !got {
                self.done = true;
                break;
            }
            slot.line = rec.position().map_or(0, |p| p.line());
            n += 1;
        }
        out.truncate(n);
        Ok(n)
    }
}

fn csv_error(path: &str, e: csv::Error) -> DataError {
    let line = e.position().map_or(0, |p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(source) => DataError::Read {
            path: path.into(),
            source,
        },
        other => DataError::Csv {
            path: path.into(),
            line,
            message: format!("{other:?}").to_lowercase(),
        },
    }
}

fn read_up_to(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Decodes any encoding to UTF-8 as a stream (malformed bytes become U+FFFD). A byte order
/// mark at the start (UTF-8 or UTF-16) overrides the encoding and is removed.
pub(crate) struct DecodeReader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    in_start: usize,
    in_end: usize,
    eof: bool,
    output: Vec<u8>,
    out_start: usize,
    out_end: usize,
    finished: bool,
}

impl<R: Read> DecodeReader<R> {
    pub(crate) fn new(inner: R, encoding: &'static Encoding) -> DecodeReader<R> {
        DecodeReader {
            inner,
            decoder: encoding.new_decoder(),
            input: vec![0; 1 << 16],
            in_start: 0,
            in_end: 0,
            eof: false,
            output: vec![0; (1 << 17) + 16],
            out_start: 0,
            out_end: 0,
            finished: false,
        }
    }

    /// Decodes more output; returns false at the end of the stream.
    fn refill(&mut self) -> io::Result<bool> {
        while !self.finished {
            if self.in_start == self.in_end && !self.eof {
                self.in_start = 0;
                self.in_end = 0;
                loop {
                    match self.inner.read(&mut self.input) {
                        Ok(0) => {
                            self.eof = true;
                            break;
                        }
                        Ok(k) => {
                            self.in_end = k;
                            break;
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            let last = self.eof;
            let (result, read, written, _) = self.decoder.decode_to_utf8(
                &self.input[self.in_start..self.in_end],
                &mut self.output,
                last,
            );
            self.in_start += read;
            self.out_start = 0;
            self.out_end = written;
            if last && matches!(result, encoding_rs::CoderResult::InputEmpty) {
                self.finished = true;
            }
            if written > 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

impl<R: Read> Read for DecodeReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.out_start == self.out_end && !self.refill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.out_end - self.out_start);
        buf[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
        self.out_start += n;
        Ok(n)
    }
}
