//! CSV with a header row: UTF-8 (with or without BOM), or any other encoding decoded as a
//! stream (gb18030 for Excel exports from Chinese Windows).

use super::error::DataError;
use super::record::{Batch, ByteRow, Cells, RawRecord};
use encoding_rs::Encoding;
use std::io::{self, Read};

pub(crate) struct CsvReader {
    core: csv_core::Reader,
    input: Box<dyn Read + Send>,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    eof: bool,
    /// The line of the next unconsumed byte.
    line: u64,
    /// Whether the last consumed byte was `\r` (a `\n` right after it ends the same line).
    after_cr: bool,
    path: String,
    header: Vec<String>,
    header_line: u64,
    done: bool,
    delimiter: u8,
    /// The size of `buf` once the header is read ([`CHUNK`]; smaller in tests, so that runs of
    /// lines meet the buffer's end).
    pub(crate) chunk: usize,
    /// Whether the last record was read by [`CsvReader::fast_record`] (csv_core's state is then
    /// stale and is reset before it reads again).
    fast: bool,
    /// The bytes of the record csv_core is reading, from its first line on: kept so that a
    /// record swallowed by an unterminated quote can be read again line by line.
    raw: Vec<u8>,
    /// Why the last record read cannot be used (an unterminated quote), if it cannot.
    broken: Option<String>,
}

impl CsvReader {
    /// Reads the header. With no encoding, the input is UTF-8 (a BOM is skipped) unless it
    /// starts with a UTF-16 byte order mark. The delimiter is found from the header line.
    pub(crate) fn new(
        input: Box<dyn Read + Send>,
        path: &str,
        encoding: Option<&'static Encoding>,
    ) -> Result<CsvReader, DataError> {
        let read_err = |source| DataError::Read {
            path: path.into(),
            source,
        };
        let input = match encoding {
            Some(enc) if enc != encoding_rs::UTF_8 => {
                Box::new(DecodeReader::new(input, enc)) as Box<dyn Read + Send>
            }
            _ => {
                let mut input = input;
                let mut head = [0u8; 3];
                let n = read_up_to(&mut input, &mut head).map_err(read_err)?;
                if n == 3 && head == [0xEF, 0xBB, 0xBF] {
                    input
                } else if n >= 2 && (head[..2] == [0xFF, 0xFE] || head[..2] == [0xFE, 0xFF]) {
                    let prefix = io::Cursor::new(head[..n].to_vec());
                    Box::new(DecodeReader::new(
                        Box::new(prefix.chain(input)),
                        encoding_rs::UTF_8,
                    )) as Box<dyn Read + Send>
                } else {
                    Box::new(io::Cursor::new(head[..n].to_vec()).chain(input))
                        as Box<dyn Read + Send>
                }
            }
        };
        // Read up to the end of the header line to find the delimiter.
        let mut input = input;
        let mut buf = vec![0; 1 << 16];
        let mut len = 0;
        let mut eof = false;
        while len < buf.len() && !buf[..len].iter().any(|&c| c == b'\n' || c == b'\r') {
            match input.read(&mut buf[len..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(k) => len += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(read_err(e)),
            }
        }
        let header_end = buf[..len]
            .iter()
            .position(|&c| c == b'\n' || c == b'\r')
            .unwrap_or(len);
        let delimiter = sniff_delimiter(&buf[..header_end]);
        let mut r = CsvReader {
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            input,
            buf,
            pos: 0,
            len,
            eof,
            line: 1,
            after_cr: false,
            path: path.into(),
            header: Vec::new(),
            header_line: 0,
            done: false,
            delimiter,
            chunk: CHUNK,
            fast: false,
            raw: Vec::new(),
            broken: None,
        };
        let mut first = ByteRow::default();
        let Some(line) = r.read_record(&mut first)? else {
            return Err(DataError::NoHeader { path: path.into() });
        };
        let mut header = Vec::with_capacity(first.len());
        for cell in first.iter() {
            match std::str::from_utf8(cell) {
                Ok(s) => header.push(s.to_string()),
                Err(_) => return Err(DataError::HeaderNotUtf8 { path: path.into() }),
            }
        }
        r.header = header;
        r.header_line = line;
        Ok(r)
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
                    cells: Cells::Bytes(ByteRow::default()),
                });
            }
            let slot = &mut out[n];
            if !matches!(slot.cells, Cells::Bytes(_)) {
                slot.cells = Cells::Bytes(ByteRow::default());
            }
            let Cells::Bytes(row) = &mut slot.cells else {
                continue;
            };
            match self.read_record(row)? {
                Some(line) => {
                    slot.line = line;
                    if let Some(reason) = self.broken.take() {
                        // the line where the quote opened, split as written
                        let mut row = ByteRow::default();
                        let first = self.raw.split(|&b| b == b'\n' || b == b'\r').next();
                        for cell in first.unwrap_or_default().split(|&b| b == self.delimiter) {
                            row.push_field(cell);
                        }
                        slot.cells = Cells::BrokenLine { reason, row };
                    }
                    n += 1;
                }
                None => self.done = true,
            }
        }
        out.truncate(n);
        Ok(n)
    }

    /// Replaces `batch` with the next records, at most `max`: the run of plain lines that
    /// starts here, if there is one (see [`Batch`]), else records read one by one. Returns how
    /// many lines or records (0 at the end of the input).
    pub(crate) fn fill_batch(&mut self, batch: &mut Batch, max: usize) -> Result<usize, DataError> {
        batch.clear();
        // (after a lone `\r` the next `\n` may belong to the line before: csv_core's turn)
        if self.header_line > 0 && !self.done && !self.after_cr {
            self.top_up()?;
            let avail = self.buf.get(self.pos..self.len).unwrap_or(&[]);
            let (bytes, lines) = plain_lines(avail, max);
            if let Some(run) = avail.get(..bytes).filter(|r| !r.is_empty()) {
                batch.lines.extend_from_slice(run);
                batch.first_line = self.line;
                batch.line_count = lines;
                batch.delimiter = self.delimiter;
                self.pos += bytes;
                self.line += lines as u64;
                // csv_core's state is stale now
                self.fast = true;
                return Ok(lines);
            }
        }
        self.fill(&mut batch.records, max)
    }

    /// Makes sure the buffer holds at least half a chunk of unread bytes, or the rest of the
    /// input.
    fn top_up(&mut self) -> Result<(), DataError> {
        if self.buf.len() < self.chunk {
            self.buf.resize(self.chunk, 0);
        }
        if self.eof || self.len - self.pos >= self.chunk / 2 {
            return Ok(());
        }
        self.buf.copy_within(self.pos..self.len, 0);
        self.len -= self.pos;
        self.pos = 0;
        while self.len < self.buf.len() && self.len < self.chunk {
            match self.input.read(&mut self.buf[self.len..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(k) => self.len += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(DataError::Read {
                        path: self.path.clone(),
                        source,
                    })
                }
            }
        }
        Ok(())
    }

    /// Reads the next record into `row`; returns the line it starts on (blank lines are
    /// skipped), or `None` at the end of the input.
    fn read_record(&mut self, row: &mut ByteRow) -> Result<Option<u64>, DataError> {
        use csv_core::ReadRecordResult as R;
        // small to start with (a batch holds thousands of rows; a customer record is usually
        // well under 64 bytes): a record that needs more doubles its row's buffers, which then
        // keep their size for the records read into them later
        if row.data.len() < 64 {
            row.data.resize(64, 0);
        }
        if row.ends.len() < 8 {
            row.ends.resize(8, 0);
        }
        if self.header_line > 0 {
            if let Some(line) = self.fast_record(row) {
                return Ok(Some(line));
            }
        }
        if self.fast {
            // the position is at the start of a record
            self.core.reset();
            self.fast = false;
        }
        let (mut outlen, mut endlen) = (0usize, 0usize);
        let mut start: Option<u64> = None;
        self.raw.clear();
        loop {
            if self.pos == self.len && !self.eof {
                self.pos = 0;
                self.len = 0;
                loop {
                    match self.input.read(&mut self.buf) {
                        Ok(0) => {
                            self.eof = true;
                            break;
                        }
                        Ok(k) => {
                            self.len = k;
                            break;
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(source) => {
                            return Err(DataError::Read {
                                path: self.path.clone(),
                                source,
                            })
                        }
                    }
                }
            }
            let input = &self.buf[self.pos..self.len];
            let (res, nin, nout, nend) =
                self.core
                    .read_record(input, &mut row.data[outlen..], &mut row.ends[endlen..]);
            let consumed = &input[..nin];
            if start.is_none() {
                if let Some(i) = consumed.iter().position(|&b| b != b'\n' && b != b'\r') {
                    start = Some(self.line + line_breaks(&consumed[..i], self.after_cr));
                    self.raw.extend_from_slice(&consumed[i..]);
                }
            } else {
                self.raw.extend_from_slice(consumed);
            }
            self.line += line_breaks(consumed, self.after_cr);
            if let Some(&last) = consumed.last() {
                self.after_cr = last == b'\r';
            }
            self.pos += nin;
            outlen += nout;
            endlen += nend;
            match res {
                R::InputEmpty => {}
                R::OutputFull => {
                    let grown = row.data.len() * 2;
                    row.data.resize(grown, 0);
                }
                R::OutputEndsFull => {
                    let grown = row.ends.len() * 2;
                    row.ends.resize(grown, 0);
                }
                R::Record => {
                    row.fields = endlen;
                    let line = start.unwrap_or(self.line);
                    self.resync(line, endlen);
                    return Ok(Some(line));
                }
                R::End => {
                    row.fields = 0;
                    return Ok(None);
                }
            }
        }
    }
}

impl CsvReader {
    /// Checks the record csv_core just read (its bytes in `raw`, starting on `line`, `cells`
    /// cells) for an unterminated quote: a quote that opens a cell and swallows the line breaks
    /// after it, so that the record has the wrong number of cells. Such a record is marked
    /// broken, with the line where the quote opened, and every line after that first line is
    /// read again on its own: the rows behind a stray quote are graded or rejected one by one,
    /// not hidden in one reject. Each resync drops at least one line, and a swallowed stretch
    /// holds no other quote, so no byte is read more than twice.
    fn resync(&mut self, line: u64, cells: usize) {
        if self.header_line == 0 || cells == self.header.len() {
            return;
        }
        let raw = &self.raw;
        let first_break = raw.iter().position(|&b| b == b'\n' || b == b'\r');
        let body_end = raw.len()
            - raw
                .iter()
                .rev()
                .take_while(|&&b| b == b'\n' || b == b'\r')
                .count();
        let multi_line = first_break.is_some_and(|i| i < body_end);
        let quotes = raw[..body_end].iter().filter(|&&b| b == b'"').count();
        if !multi_line && quotes % 2 == 0 {
            return;
        }
        // the cell whose first byte is a quote that is not closed on the first line
        let first_line = &raw[..first_break.unwrap_or(raw.len())];
        let opened = quote_opening_cell(first_line, self.delimiter);
        let place = match opened {
            Some(cell) => format!("cell {cell}"),
            None => "a cell".to_string(),
        };
        let after = if multi_line {
            "the lines after it are read on their own; "
        } else {
            ""
        };
        self.broken = Some(format!(
            "unterminated quote: {place} opens a quote that line {line} does not close ({after}\
             write a quote inside a cell as \"\")"
        ));
        let Some(i) = first_break.filter(|&i| i < body_end) else {
            return;
        };
        let skip = if raw[i] == b'\r' && raw.get(i + 1) == Some(&b'\n') {
            2
        } else {
            1
        };
        let rest = &raw[i + skip..];
        let unread = &self.buf[self.pos..self.len];
        let mut buf = Vec::with_capacity((rest.len() + unread.len()).max(self.chunk));
        buf.extend_from_slice(rest);
        buf.extend_from_slice(unread);
        self.len = buf.len();
        buf.resize(self.len.max(self.chunk), 0);
        self.buf = buf;
        self.pos = 0;
        self.line = line + 1;
        self.after_cr = false;
        self.core.reset();
    }

    /// The common record read without csv_core: a whole non-blank line in the buffer, without
    /// quotes or a carriage return except one right before its `\n`. Such a line means the
    /// same to csv_core (its cells split at the delimiter, the line break ends the record), so
    /// the result is the same; any other line (`None`) is left to csv_core.
    fn fast_record(&mut self, row: &mut ByteRow) -> Option<u64> {
        let avail = self.buf.get(self.pos..self.len)?;
        let d = self.delimiter;
        let (mut outlen, mut endlen) = (0usize, 0usize);
        let mut end = None;
        let mut i = 0;
        while let Some(&c) = avail.get(i) {
            if c == d {
                if row.ends.len() <= endlen {
                    row.ends.resize(endlen * 2 + 8, 0);
                }
                row.ends[endlen] = outlen;
                endlen += 1;
            } else if c == b'\n' {
                end = Some((i, i + 1));
                break;
            } else if c == b'\r' {
                if avail.get(i + 1) == Some(&b'\n') {
                    end = Some((i, i + 2));
                    break;
                }
                return None;
            } else if c == b'"' {
                return None;
            } else {
                if row.data.len() <= outlen {
                    row.data.resize(outlen * 2 + 64, 0);
                }
                row.data[outlen] = c;
                outlen += 1;
            }
            i += 1;
        }
        let (content, consumed) = end?;
        if content == 0 {
            return None; // a blank line: csv_core skips it
        }
        if row.ends.len() <= endlen {
            row.ends.resize(endlen * 2 + 8, 0);
        }
        row.ends[endlen] = outlen;
        row.fields = endlen + 1;
        self.pos += consumed;
        let line = self.line;
        self.line += 1;
        self.after_cr = false;
        self.fast = true;
        Some(line)
    }
}

/// The input buffer of a CSV reader once the header is read: room for a batch of plain lines.
const CHUNK: usize = 1 << 20;

/// The run of plain lines at the start of `b` (see [`Batch`]), at most `max` of them: its
/// length in bytes and its number of lines. The run stops before the line holding the first
/// quote or lone carriage return, and at the last line break of `b`.
fn plain_lines(b: &[u8], max: usize) -> (usize, usize) {
    let mut end = 0;
    let mut lines = 0;
    for nl in memchr::memchr_iter(b'\n', b) {
        if lines == max {
            break;
        }
        lines += 1;
        end = nl + 1;
    }
    let mut from = 0;
    while let Some(i) = b
        .get(from..end)
        .and_then(|r| memchr::memchr2(b'"', b'\r', r))
    {
        let i = from + i;
        if b.get(i) == Some(&b'\r') && b.get(i + 1) == Some(&b'\n') {
            from = i + 2;
            continue;
        }
        // cut before the line that holds it
        end = b
            .get(..i)
            .and_then(|r| memchr::memrchr(b'\n', r))
            .map_or(0, |nl| nl + 1);
        lines = memchr::memchr_iter(b'\n', b.get(..end).unwrap_or(&[])).count();
        break;
    }
    (end, lines)
}

/// The delimiter of a header line: a comma, unless tabs (Excel's "Unicode text" export) or
/// semicolons (Excel in locales with a decimal comma) outnumber commas outside quotes.
fn sniff_delimiter(line: &[u8]) -> u8 {
    let (mut in_quotes, mut comma, mut tab, mut semicolon) = (false, 0, 0, 0);
    for &c in line {
        match c {
            b'"' => in_quotes = !in_quotes,
            b',' if !in_quotes => comma += 1,
            b'\t' if !in_quotes => tab += 1,
            b';' if !in_quotes => semicolon += 1,
            _ => {}
        }
    }
    if tab > comma && tab >= semicolon {
        b'\t'
    } else if semicolon > comma {
        b';'
    } else {
        b','
    }
}

/// The 1-based cell of `line` that opens a quote the line does not close, if one does.
fn quote_opening_cell(line: &[u8], delimiter: u8) -> Option<usize> {
    let (mut cell, mut at_start, mut quoted, mut opened) = (1, true, false, 0);
    for &b in line {
        if quoted {
            // `""` inside a quoted cell closes and reopens: the parity is what counts
            if b == b'"' {
                quoted = false;
            }
        } else if b == b'"' && at_start {
            quoted = true;
            opened = cell;
        } else if b == b'"' && opened == cell {
            quoted = true; // the second quote of `""`
        } else if b == delimiter {
            cell += 1;
            at_start = true;
            continue;
        }
        at_start = false;
    }
    quoted.then_some(opened)
}

/// The line breaks in `b` (`\n`, `\r\n` or a lone `\r`, as old Mac Excel writes);
/// `after_cr`: the byte before `b` was `\r`.
fn line_breaks(b: &[u8], after_cr: bool) -> u64 {
    let lf = b.iter().filter(|&&c| c == b'\n').count();
    let cr = b.iter().filter(|&&c| c == b'\r').count();
    if cr == 0 && !after_cr {
        return lf as u64;
    }
    let pairs = b.windows(2).filter(|w| w == b"\r\n").count()
        + usize::from(after_cr && b.first() == Some(&b'\n'));
    (lf + cr - pairs) as u64
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
