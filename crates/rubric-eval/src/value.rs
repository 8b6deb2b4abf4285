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

/// A decimal without trailing zeros: `84`, `81.75`, `0.5`, never `-0`.
pub fn write_decimal(d: Decimal, out: &mut String) {
    use std::fmt::Write;
    let n = d.normalize();
    if n.is_zero() {
        out.push('0');
    } else {
        let _ = write!(out, "{n}");
    }
}

/// [`write_decimal`] into a new string.
pub fn format_decimal(d: Decimal) -> String {
    let mut s = String::new();
    write_decimal(d, &mut s);
    s
}
