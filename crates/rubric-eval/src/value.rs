//! Runtime values. One `Value` per cell of an input row and per computed result.

use rubric_syntax::date::{Date, Duration};
use rubric_syntax::Decimal;
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum Value {
    /// SQL NULL: an empty optional cell, a failed rule set, a division by zero, ...
    #[default]
    Missing,
    /// Every number (int or decimal) is an exact decimal.
    Num(Decimal),
    Text(Arc<str>),
    Bool(bool),
    Date(Date),
    Duration(Duration),
    /// The index of a code in its grade (`GradeDef::codes`).
    Code(u16),
    /// A set of tag codes: bit `i` is code `i`.
    Tags(u64),
}

impl Value {
    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing)
    }
}

/// The reason of a rejected totals row.
pub const TOTALS_ROW: &str = "totals row";

/// One accepted input record: a value per input field, indexed by `FieldId`.
#[derive(Clone, Debug, PartialEq)]
pub struct InputRow {
    /// 1-based line of the record in the source file (for CSV the header is line 1; for JSON
    /// arrays, the line where the object starts; for XLSX, the sheet row).
    pub line: u64,
    pub values: Vec<Value>,
}

/// A record that could not be read: it goes to the rejects file, never silently dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    pub line: u64,
    /// The column header of the offending cell, when one cell is to blame.
    pub column: Option<String>,
    /// Lowercase, e.g. "`revenue`: `12,5` is not a number".
    pub reason: String,
    /// The record's key, when it could be read.
    pub key: Option<String>,
}

impl Reject {
    /// Whether the row was a totals row (`合计`, LANGUAGE.md §9): a row of sums, not a bad
    /// customer, so `--strict` and `--max-rejects` let it pass.
    pub fn is_totals_row(&self) -> bool {
        self.reason == TOTALS_ROW
    }
}

/// How one output column prints its values: decimals normalised (`84`, `81.75`, `0.5`), dates
/// ISO, bools `true`/`false`, codes by name, tags `;`-joined in declaration order, missing as
/// the empty string. Build it once per column, then [`ValueFormat::write`] per cell.
#[derive(Clone, Debug)]
pub struct ValueFormat {
    /// The code names of a grade or tags column.
    codes: Vec<String>,
}

impl ValueFormat {
    pub fn new(ty: &rubric_check::hir::Ty, model: &rubric_check::hir::Model) -> ValueFormat {
        use rubric_check::hir::Ty;
        let codes = match ty {
            Ty::Grade(g) | Ty::Tags(g) => model
                .grade(*g)
                .map(|gd| gd.codes.iter().map(|c| c.name.clone()).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        ValueFormat { codes }
    }

    /// [`ValueFormat::new`], but a grade or tags column prints each code's label (a code
    /// without a label prints its name): `--labels`.
    pub fn labelled(ty: &rubric_check::hir::Ty, model: &rubric_check::hir::Model) -> ValueFormat {
        use rubric_check::hir::Ty;
        let codes = match ty {
            Ty::Grade(g) | Ty::Tags(g) => model
                .grade(*g)
                .map(|gd| {
                    gd.codes
                        .iter()
                        .map(|c| c.label.clone().unwrap_or_else(|| c.name.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        ValueFormat { codes }
    }

    /// Appends the printed value to `out`.
    pub fn write(&self, v: &Value, out: &mut String) {
        use std::fmt::Write;
        match v {
            Value::Missing => {}
            Value::Num(d) => write_decimal(*d, out),
            Value::Text(t) => out.push_str(t),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Date(d) => {
                let _ = write!(out, "{d}");
            }
            Value::Duration(d) => {
                let _ = write!(out, "{d}");
            }
            Value::Code(c) => match self.codes.get(usize::from(*c)) {
                Some(name) => out.push_str(name),
                None => {
                    let _ = write!(out, "#{c}");
                }
            },
            Value::Tags(bits) => {
                let mut first = true;
                for (i, name) in self.codes.iter().enumerate().take(64) {
                    if bits & (1u64 << i) != 0 {
                        if !first {
                            out.push(';');
                        }
                        out.push_str(name);
                        first = false;
                    }
                }
            }
        }
    }

    pub fn format(&self, v: &Value) -> String {
        let mut s = String::new();
        self.write(v, &mut s);
        s
    }

    /// The name of code `c` of a grade column.
    pub(crate) fn write_code(&self, c: u16, out: &mut String) {
        self.write(&Value::Code(c), out);
    }

    /// The code names, for a grade or tags column (JSON writers print tags as an array).
    pub fn codes(&self) -> &[String] {
        &self.codes
    }
}

/// Prints a value of type `ty` as `rubric run` writes it (see [`ValueFormat`]).
pub fn format_value(
    v: &Value,
    ty: &rubric_check::hir::Ty,
    model: &rubric_check::hir::Model,
) -> String {
    ValueFormat::new(ty, model).format(v)
}

/// A decimal without trailing zeros: `84`, `81.75`, `0.5`, never `-0`; never an exponent.
/// (What `Decimal::normalize` and `Display` print, without their work: this runs for every
/// number of every output row.)
pub fn write_decimal(d: Decimal, out: &mut String) {
    write_parts(d.mantissa(), d.scale(), out);
}

/// [`write_decimal`] of the decimal with mantissa `m` and scale `scale`.
pub(crate) fn write_parts(m: i128, scale: u32, out: &mut String) {
    let mut buf = [0u8; 64];
    let n = format_parts(m, scale, &mut buf);
    out.push_str(std::str::from_utf8(buf.get(..n).unwrap_or(&[])).unwrap_or(""));
}

/// [`write_parts`] onto bytes.
pub(crate) fn write_parts_bytes(m: i128, scale: u32, out: &mut Vec<u8>) {
    let mut buf = [0u8; 64];
    let n = format_parts(m, scale, &mut buf);
    out.extend_from_slice(buf.get(..n).unwrap_or(&[]));
}

/// Prints the decimal with mantissa `m` and scale `scale` (at most 38) into `out`, returning
/// the length: at most a sign, 39 digits and a point, or a sign, `0.` and 38 places.
fn format_parts(m: i128, scale: u32, out: &mut [u8; 64]) -> usize {
    let negative = m < 0;
    let mut scale = (scale as usize).min(38);
    // the digits, written from the end
    let mut buf = [0u8; 40];
    let mut at = buf.len();
    match u64::try_from(m.unsigned_abs()) {
        // the common case, in 64-bit arithmetic
        Ok(mut u) => {
            while scale > 0 && u != 0 && u.is_multiple_of(10) {
                u /= 10;
                scale -= 1;
            }
            if u == 0 {
                out[0] = b'0';
                return 1;
            }
            while u > 0 {
                at -= 1;
                buf[at] = b'0' + (u % 10) as u8;
                u /= 10;
            }
        }
        Err(_) => {
            let mut u = m.unsigned_abs();
            while scale > 0 && u.is_multiple_of(10) {
                u /= 10;
                scale -= 1;
            }
            while u > 0 {
                at -= 1;
                buf[at] = b'0' + (u % 10) as u8;
                u /= 10;
            }
        }
    }
    let digits = &buf[at..];
    let mut n = 0;
    let mut put = |b: &[u8]| {
        if let Some(dst) = out.get_mut(n..n + b.len()) {
            dst.copy_from_slice(b);
            n += b.len();
        }
    };
    if negative {
        put(b"-");
    }
    if scale == 0 {
        put(digits);
    } else if digits.len() > scale {
        let (int, frac) = digits.split_at(digits.len() - scale);
        put(int);
        put(b".");
        put(frac);
    } else {
        put(b"0.");
        for _ in digits.len()..scale {
            put(b"0");
        }
        put(digits);
    }
    n
}

/// [`write_decimal`] into a new string.
pub fn format_decimal(d: Decimal) -> String {
    let mut s = String::new();
    write_decimal(d, &mut s);
    s
}

/// Writes one CSV cell as the data layer's writer does (RFC 4180, quotes only where needed:
/// around a cell holding `,` `"` CR or LF, with `"` doubled; an empty cell alone in its row is
/// `""`).
pub(crate) fn csv_cell(out: &mut Vec<u8>, cell: &[u8], alone: bool) {
    let quote = cell
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
        || (alone && cell.is_empty());
    if !quote {
        out.extend_from_slice(cell);
        return;
    }
    out.push(b'"');
    for &b in cell {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The fast printer agrees with the decimal's own normalised `Display`.
    #[test]
    fn write_decimal_matches_display() {
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut cases: Vec<Decimal> = vec![
            Decimal::ZERO,
            -Decimal::ZERO,
            Decimal::ONE,
            Decimal::NEGATIVE_ONE,
            Decimal::MAX,
            Decimal::MIN,
            Decimal::from_parts(1, 38).unwrap(),
            Decimal::from_parts(-1, 38).unwrap(),
            Decimal::from_parts(5000, 4).unwrap(),
            Decimal::from_parts(-120, 1).unwrap(),
            Decimal::from_parts(8175, 2).unwrap(),
            Decimal::from_parts(100, 0).unwrap(),
        ];
        for _ in 0..20_000 {
            let lo = next();
            let hi = next() >> 1;
            let scale = (next() % 39) as u32;
            let bits = next() % 4;
            let m = match bits {
                0 => i128::from(lo as i32),
                1 => i128::from(lo as i64),
                _ => (i128::from(hi) << 64 | i128::from(lo)) % 10i128.pow(38),
            };
            let m = if next() % 2 == 0 { m } else { -m };
            if let Some(d) = Decimal::from_parts(m, scale) {
                cases.push(d);
            }
        }
        for d in cases {
            let mut fast = String::new();
            write_decimal(d, &mut fast);
            let n = d.normalize();
            let slow = if n.is_zero() {
                "0".to_string()
            } else {
                n.to_string()
            };
            assert_eq!(fast, slow, "{d:?}");
        }
    }
}
