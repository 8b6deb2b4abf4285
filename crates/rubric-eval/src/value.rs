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
