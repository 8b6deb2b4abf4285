//! JSON (an array of objects) and JSON Lines (one object per line), read as a stream.
//!
//! Numbers keep their exact text (`0.1` stays 0.1): each object is parsed by serde_json into
//! raw values, and a number's text is parsed as an exact decimal later. The array is split into
//! objects by a small scanner, so one malformed object becomes a reject and the rest is read.

use super::error::DataError;
use super::record::{Cells, RawCell, RawRecord};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io::Read;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Array,
    Lines,
}

pub(crate) struct JsonReader {
    src: ByteSource,
    path: String,
    mode: Mode,
    /// The columns to extract, in cell order.
    columns: Vec<String>,
    /// The line of the next unread byte.
    line: u64,
    started: bool,
    done: bool,
    /// Array mode: whether an element was read (a comma is then expected).
    had_item: bool,
    buf: Vec<u8>,
}

impl JsonReader {
    pub(crate) fn new(
        input: Box<dyn Read + Send>,
        path: &str,
        mode: Mode,
        columns: Vec<String>,
    ) -> JsonReader {
        JsonReader {
            src: ByteSource::new(input),
            path: path.into(),
            mode,
            columns,
            line: 1,
            started: false,
            done: false,
            had_item: false,
            buf: Vec::new(),
        }
    }

    pub(crate) fn header(&self) -> &[String] {
        &self.columns
    }

    fn read_err(&self, source: std::io::Error) -> DataError {
        DataError::Read {
            path: self.path.clone(),
            source,
        }
    }

    fn syntax(&self, message: impl Into<String>) -> DataError {
        DataError::Json {
            path: self.path.clone(),
            line: self.line,
            message: message.into(),
        }
    }

    pub(crate) fn fill(
        &mut self,
        out: &mut Vec<RawRecord>,
        max: usize,
    ) -> Result<usize, DataError> {
        out.clear();
        while out.len() < max && !self.done {
            let rec = match self.mode {
                Mode::Lines => self.next_line()?,
                Mode::Array => self.next_item()?,
            };
            match rec {
                Some(r) => out.push(r),
                None => self.done = true,
            }
        }
        Ok(out.len())
    }

    fn skip_bom(&mut self) -> Result<(), DataError> {
        let bom = match self.src.peek_n(3) {
            Ok(b) => b == b"\xEF\xBB\xBF",
            Err(e) => return Err(self.read_err(e)),
        };
        if bom {
            for _ in 0..3 {
                self.src.bump();
            }
        }
        Ok(())
    }

    /// JSON Lines: the next non-blank line.
    fn next_line(&mut self) -> Result<Option<RawRecord>, DataError> {
        if !self.started {
            self.started = true;
            self.skip_bom()?;
        }
        loop {
            self.buf.clear();
            let got = self
                .src
                .read_line(&mut self.buf)
                .map_err(|e| self.read_err(e))?;
            if !got {
                return Ok(None);
            }
            let line = self.line;
            self.line += 1;
            let text = trim_ws(&self.buf);
            if text.is_empty() {
                continue;
            }
            let rec = if text.first() == Some(&b'{') {
                self.object(line, text)
            } else {
                RawRecord::broken(line, "the line is not a json object")
            };
            return Ok(Some(rec));
        }
    }

    /// Array mode: the next element of the top-level array.
    fn next_item(&mut self) -> Result<Option<RawRecord>, DataError> {
        if !self.started {
            self.started = true;
            self.skip_bom()?;
            self.skip_ws()?;
            match self.peek()? {
                None => return Err(self.syntax("the file is empty: expected a json array of objects")),
                Some(b'[') => self.src.bump(),
                Some(b'{') => {
                    return Err(self.syntax(
                        "expected a json array of objects (`[{...}, ...]`); for one object per line, use the jsonl format",
                    ))
                }
                Some(_) => return Err(self.syntax("expected a json array of objects (`[{...}, ...]`)")),
            }
        }
        self.skip_ws()?;
        match self.peek()? {
            None => return Err(self.syntax("the array is not closed: expected `]`")),
            Some(b']') => {
                self.src.bump();
                self.skip_ws()?;
                if self.peek()?.is_some() {
                    return Err(self.syntax("unexpected text after the closing `]`"));
                }
                return Ok(None);
            }
            Some(b',') if self.had_item => {
                self.src.bump();
                self.skip_ws()?;
                // A trailing comma before `]` is tolerated.
                if self.peek()? == Some(b']') {
                    return self.next_item();
                }
            }
            Some(_) if self.had_item => {
                return Err(self.syntax("expected `,` or `]` after an array item"))
            }
            Some(_) => {}
        }
        self.had_item = true;
        let line = self.line;
        self.buf.clear();
        match self.peek()? {
            None => Err(self.syntax("the array is not closed: expected `]`")),
            Some(b'{') => {
                self.scan_value()?;
                let buf = std::mem::take(&mut self.buf);
                let rec = self.object(line, &buf);
                self.buf = buf;
                Ok(Some(rec))
            }
            Some(_) => {
                self.scan_value()?;
                Ok(Some(RawRecord::broken(
                    line,
                    "the array item is not a json object",
                )))
            }
        }
    }

    fn peek(&mut self) -> Result<Option<u8>, DataError> {
        self.src.peek().map_err(|e| self.read_err(e))
    }

    fn skip_ws(&mut self) -> Result<(), DataError> {
        while let Some(c) = self.peek()? {
            match c {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => break,
            }
            self.src.bump();
        }
        Ok(())
    }

    /// Copies one JSON value (object, list, string or scalar) into `buf`, tracking lines. It
    /// always consumes at least one byte.
    fn scan_value(&mut self) -> Result<(), DataError> {
        let Some(first) = self.peek()? else {
            return Err(self.syntax("the file ends inside a value"));
        };
        self.src.bump();
        self.buf.push(first);
        let (mut depth, mut in_string) = match first {
            b'{' | b'[' => (1usize, false),
            b'"' => (0, true),
            b'}' | b']' => return Ok(()),
            b'\n' => {
                self.line += 1;
                return Ok(());
            }
            _ => (0, false),
        };
        let scalar = depth == 0 && !in_string;
        let mut escaped = false;
        loop {
            if self.src.pos == self.src.len {
                self.src.fill(1).map_err(|e| self.read_err(e))?;
                if self.src.pos == self.src.len {
                    return Err(self.syntax("the file ends inside a value"));
                }
            }
            let chunk = &self.src.buf[self.src.pos..self.src.len];
            let mut i = 0;
            let mut lines = 0;
            let mut done = false;
            while i < chunk.len() {
                let c = chunk[i];
                if c == b'\n' {
                    lines += 1;
                }
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if c == b'\\' {
                        escaped = true;
                    } else if c == b'"' {
                        in_string = false;
                        if depth == 0 {
                            i += 1;
                            done = true;
                            break;
                        }
                    }
                    i += 1;
                    continue;
                }
                if scalar && matches!(c, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n') {
                    // The end of a scalar, not part of it.
                    if c == b'\n' {
                        lines -= 1;
                    }
                    done = true;
                    break;
                }
                match c {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            i += 1;
                            done = true;
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            self.buf.extend_from_slice(&chunk[..i]);
            self.src.pos += i;
            self.line += lines;
            if done {
                return Ok(());
            }
        }
    }

    fn object(&self, line: u64, text: &[u8]) -> RawRecord {
        RawRecord {
            line,
            cells: Cells::Json(text.to_vec()),
        }
    }
}

/// The cells of one JSON object, in header order (`index`: trimmed header → position), or why
/// it is not a valid object.
pub(crate) fn object_cells(
    text: &[u8],
    index: &HashMap<String, usize>,
    width: usize,
) -> Result<Vec<RawCell>, String> {
    let entries: Entries<'_> = serde_json::from_slice(text)
        .map_err(|e| format!("not a valid json object: {}", strip_position(&e)))?;
    let mut cells = vec![RawCell::Absent; width];
    for (k, v) in entries.0 {
        let i = match index.get(k.as_ref()).or_else(|| index.get(k.trim())) {
            Some(&i) => i,
            None => continue,
        };
        if let Some(c) = cells.get_mut(i) {
            *c = raw_cell(v);
        }
    }
    Ok(cells)
}

fn trim_ws(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end.max(start)]
}

/// serde_json's message without its " at line L column C" (lines are the record's own).
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(at) => s[..at].to_string(),
        None => s,
    }
}

fn raw_cell(v: &RawValue) -> RawCell {
    let s = v.get();
    match s.as_bytes().first() {
        Some(b'"') => match serde_json::from_str::<String>(s) {
            Ok(t) => RawCell::Text(t),
            Err(_) => RawCell::Invalid("a malformed json string".into()),
        },
        Some(b't') => RawCell::Bool(true),
        Some(b'f') => RawCell::Bool(false),
        Some(b'n') => RawCell::Empty,
        Some(b'[') => RawCell::Invalid("a json list".into()),
        Some(b'{') => RawCell::Invalid("a json object".into()),
        _ => RawCell::Number(s.to_string()),
    }
}

/// The entries of one JSON object, values unparsed.
struct Entries<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a json object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<'de>, A::Error> {
                let mut v = Vec::new();
                while let Some((k, val)) = map.next_entry::<Key<'de>, &'de RawValue>()? {
                    v.push((k.0, val));
                }
                Ok(Entries(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// A buffered byte reader with peeking.
struct ByteSource {
    inner: Box<dyn Read + Send>,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    eof: bool,
}

impl ByteSource {
    fn new(inner: Box<dyn Read + Send>) -> ByteSource {
        ByteSource {
            inner,
            buf: vec![0; 1 << 16],
            pos: 0,
            len: 0,
            eof: false,
        }
    }

    /// Makes at least `n` bytes available unless the input ends first.
    fn fill(&mut self, n: usize) -> std::io::Result<()> {
        while self.len - self.pos < n && !self.eof {
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.len, 0);
                self.len -= self.pos;
                self.pos = 0;
            }
            if self.len == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            match self.inner.read(&mut self.buf[self.len..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.len += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn peek(&mut self) -> std::io::Result<Option<u8>> {
        if self.pos == self.len {
            self.fill(1)?;
        }
        Ok(self
            .buf
            .get(self.pos)
            .copied()
            .filter(|_| self.pos < self.len))
    }

    fn peek_n(&mut self, n: usize) -> std::io::Result<&[u8]> {
        self.fill(n)?;
        let end = (self.pos + n).min(self.len);
        Ok(&self.buf[self.pos..end])
    }

    fn bump(&mut self) {
        if self.pos < self.len {
            self.pos += 1;
        }
    }

    /// Appends the next line (without its `\n`) to `out`; false at the end of the input.
    fn read_line(&mut self, out: &mut Vec<u8>) -> std::io::Result<bool> {
        let mut any = false;
        loop {
            if self.pos == self.len {
                self.fill(1)?;
                if self.pos == self.len {
                    return Ok(any);
                }
            }
            any = true;
            let chunk = &self.buf[self.pos..self.len];
            match chunk.iter().position(|&c| c == b'\n') {
                Some(i) => {
                    out.extend_from_slice(&chunk[..i]);
                    self.pos += i + 1;
                    return Ok(true);
                }
                None => {
                    out.extend_from_slice(chunk);
                    self.pos = self.len;
                }
            }
        }
    }
}
