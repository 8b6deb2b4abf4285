//! Duplicate-key detection: a sequential pass in input order over the accepted rows.

use crate::value::{InputRow, Reject, Value};
use rubric_check::hir::Model;
use std::collections::HashMap;
use std::sync::Arc;

/// Remembers the line of every key seen; the second and later rows with a key are rejected
/// with "duplicate key `K` (first on line N)". Apply it in input order, after
/// [`super::RowParser::parse`], to the rows it accepted (a rejected row does not claim its key).
///
/// Text keys share the row's string, so the map costs about 24 bytes per row.
#[derive(Debug, Default)]
pub struct KeyTracker {
    /// The key field, and its column for rejects.
    key: Option<(usize, String)>,
    text: HashMap<Arc<str>, u64>,
    other: HashMap<Value, u64>,
}

impl KeyTracker {
    pub fn new(model: &Model) -> KeyTracker {
        let key = model
            .key
            .and_then(|k| model.fields.get(k).map(|f| (k, f.column.clone())));
        KeyTracker {
            key,
            ..KeyTracker::default()
        }
    }

    /// A tracker for the field at `field` whose column is `column`.
    pub fn for_field(field: usize, column: impl Into<String>) -> KeyTracker {
        KeyTracker {
            key: Some((field, column.into())),
            ..KeyTracker::default()
        }
    }

    /// Reserves room for `rows` more keys.
    pub fn reserve(&mut self, rows: usize) {
        self.text.reserve(rows);
    }

    /// Records the row's key; rejects the row when the key was already seen.
    pub fn check(&mut self, row: &InputRow) -> Result<(), Reject> {
        let Some((k, column)) = &self.key else {
            return Ok(());
        };
        let first = match row.values.get(*k) {
            None | Some(Value::Missing) => return Ok(()),
            Some(Value::Text(s)) => match self.text.get(s) {
                Some(&line) => line,
                None => {
                    self.text.insert(s.clone(), row.line);
                    return Ok(());
                }
            },
            Some(v) => match self.other.get(v) {
                Some(&line) => line,
                None => {
                    self.other.insert(v.clone(), row.line);
                    return Ok(());
                }
            },
        };
        let key = row.values.get(*k).map(key_text).unwrap_or_default();
        Err(Reject {
            line: row.line,
            column: Some(column.clone()),
            reason: format!("duplicate key `{key}` (first on line {first})"),
            key: Some(key),
        })
    }

    /// How many distinct keys were seen.
    pub fn len(&self) -> usize {
        self.text.len() + self.other.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn key_text(v: &Value) -> String {
    match v {
        Value::Missing => String::new(),
        Value::Num(d) => d.normalize().to_string(),
        Value::Text(s) => s.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Date(d) => d.to_string(),
        Value::Duration(d) => d.to_string(),
        Value::Code(c) => c.to_string(),
        Value::Tags(t) => t.to_string(),
    }
}
