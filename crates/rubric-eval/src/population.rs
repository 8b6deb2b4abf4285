//! Evaluating a whole population in memory: the rows of a test, of `rubric explain`, or of a
//! file small enough to hold. (`rubric run` streams instead; see [`crate::run`].)

use crate::eval::{self, Env, Lookup, Overflow};
use crate::ir::{Node, Plan};
use crate::stages::{self, Held, Left};
use crate::table::{Block, Keep};
use crate::value::{InputRow, Reject, Value};
use rubric_check::hir::{ItemId, Model, TExpr, Ty};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

/// Every item of every accepted customer, after the population functions.
#[derive(Debug)]
pub struct Evaluation<'p> {
    pub(crate) plan: &'p Plan,
    rows: Vec<InputRow>,
    keys: Vec<String>,
    by_key: HashMap<String, usize>,
    /// rows × items, row-major.
    items: Vec<Value>,
    /// rows × population slots, row-major.
    pops: Vec<Value>,
    rejects: Vec<Reject>,
    /// The rows that were part of a population stage but overflowed later (rejected, and not
    /// graded), in input order.
    overflowed: Vec<InputRow>,
}

impl Plan {
    /// Evaluates a population held in memory, as `rubric run` does: the population functions
    /// are staged by the same code ([`crate::stages`]), and the differential test
    /// `crates/rubric-cli/tests/differential.rs` holds the rest to it. Rows with a duplicate key
    /// (after the first) are rejected; so are rows whose evaluation overflows, which leave the
    /// population from the stage where they overflowed on.
    pub fn evaluate(&self, rows: Vec<InputRow>) -> Evaluation<'_> {
        rubric_syntax::stack::guarded(|| self.evaluate_here(rows))
    }

    fn evaluate_here(&self, rows: Vec<InputRow>) -> Evaluation<'_> {
        let (ni, ns) = (self.items.len(), self.slots.len());
        let mut rejects = Vec::new();
        // per row: why it left the population (it is rejected and not graded)
        let mut left: Vec<Option<Left>> = vec![None; rows.len()];
        let mut pops: Option<Held> = None;
        if self.max_level == 0 {
            // No population: each row on its own, as a streaming run. A row that overflows is
            // rejected before it claims its key: a later row with that key is graded.
            let mut keys = self.key.map(|k| {
                let column = self.field_names.get(k).cloned().unwrap_or_default();
                crate::io::KeyTracker::for_field(k, column)
            });
            let mut scratch = Vec::with_capacity(ni);
            for (i, r) in rows.iter().enumerate() {
                let why = match eval::eval_row(self, &r.values, &[], &mut scratch, None) {
                    Err(item) => Some((
                        Left::Overflow { level: 1 },
                        self.overflow_reject(r.line, Some(&self.key_text(&r.values)), item),
                    )),
                    Ok(()) => match keys.as_mut().map_or(Ok(()), |k| k.check(r)) {
                        Ok(()) => None,
                        Err(reject) => Some((Left::RepeatedKey, reject)),
                    },
                };
                if let Some((why, reject)) = why {
                    left[i] = Some(why);
                    rejects.push(reject);
                }
            }
        } else {
            // The population stages, by the very code that stages a held `rubric run`.
            let keep: Arc<[Keep]> = vec![Keep::Read; self.field_tys.len()].into();
            let tys: Vec<&Ty> = self.field_tys.iter().collect();
            let mut block = Block::with_types(&tys, &keep, rows.len());
            for r in &rows {
                block.push(r.line, &r.values);
            }
            block.compact();
            let mut held = Held {
                blocks: vec![block],
                starts: vec![0],
                state: Vec::new(),
                pops: Vec::new(),
            };
            let key_column = self.key.and_then(|k| self.field_names.get(k));
            let staged = stages::stage_all(
                self,
                &mut held,
                1,
                true,
                key_column.map(String::as_str),
                &mut |i, why, reject| -> Result<(), Infallible> {
                    if let Some(slot) = left.get_mut(i) {
                        *slot = Some(why);
                    }
                    rejects.push(reject);
                    Ok(())
                },
            );
            match staged {
                Ok(()) => pops = Some(held),
                Err(never) => match never {},
            }
        }
        // Every row still in the population is graded; one that overflows now was counted by
        // every stage.
        let mut kept = Vec::with_capacity(rows.len());
        let mut overflowed = Vec::new();
        let (mut items, mut kept_pops) = (Vec::new(), Vec::new());
        let mut scratch = Vec::with_capacity(ni);
        let mut prow = Vec::with_capacity(ns);
        for (i, r) in rows.into_iter().enumerate() {
            match left[i] {
                Some(Left::Overflow { level }) if level > 1 => {
                    overflowed.push(r);
                    continue;
                }
                Some(_) => continue,
                None => {}
            }
            match &pops {
                Some(held) => stages::pop_row(&held.pops, held.pop_index(i) as usize, &mut prow),
                None => prow.clear(),
            }
            match eval::eval_row(self, &r.values, &prow, &mut scratch, None) {
                Ok(()) => {
                    items.extend_from_slice(&scratch);
                    kept_pops.extend(prow.iter().cloned());
                    kept.push(r);
                }
                Err(item) => {
                    rejects.push(self.overflow_reject(
                        r.line,
                        Some(&self.key_text(&r.values)),
                        item,
                    ));
                    if self.max_level > 0 {
                        overflowed.push(r);
                    }
                }
            }
        }
        let keys: Vec<String> = kept.iter().map(|r| self.key_text(&r.values)).collect();
        let by_key = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.clone(), i))
            .collect();
        rejects.sort_by_key(|r| r.line);
        Evaluation {
            plan: self,
            rows: kept,
            keys,
            by_key,
            items,
            pops: kept_pops,
            rejects,
            overflowed,
        }
    }

    pub(crate) fn key_text(&self, values: &[Value]) -> String {
        match self.key.and_then(|k| values.get(k)) {
            Some(Value::Text(t)) => t.to_string(),
            Some(Value::Num(d)) => crate::value::format_decimal(*d),
            _ => String::new(),
        }
    }
}

impl<'p> Evaluation<'p> {
    pub fn plan(&self) -> &'p Plan {
        self.plan
    }

    /// The number of accepted rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The value of `item` for accepted row `row` (missing when out of range).
    pub fn value(&self, row: usize, item: ItemId) -> &Value {
        let ni = self.plan.items.len();
        if item >= ni {
            return &Value::Missing;
        }
        self.items.get(row * ni + item).unwrap_or(&Value::Missing)
    }

    /// The input values of accepted row `row`.
    pub fn input(&self, row: usize) -> Option<&InputRow> {
        self.rows.get(row)
    }

    /// The rows that were part of a population stage but overflowed later: rejected and not
    /// graded, yet counted by the stages before (a warehouse table holds them too).
    pub fn overflowed(&self) -> &[InputRow] {
        &self.overflowed
    }

    /// The key of accepted row `row`.
    pub fn key(&self, row: usize) -> &str {
        self.keys.get(row).map_or("", String::as_str)
    }

    pub fn row_of_key(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).copied()
    }

    /// Rows that were not evaluated (duplicate keys, overflow), in line order.
    pub fn rejects(&self) -> &[Reject] {
        &self.rejects
    }

    /// The value of population slot for a `PopId` of the model.
    pub fn pop_value(&self, row: usize, pop: rubric_check::hir::PopId) -> &Value {
        let ns = self.plan.slots.len();
        match self.plan.pop_slot.get(pop) {
            Some(&s) => self.pops.get(row * ns + s).unwrap_or(&Value::Missing),
            None => &Value::Missing,
        }
    }

    pub(crate) fn env(&self, row: usize) -> Env<'_> {
        let (ni, ns) = (self.plan.items.len(), self.plan.slots.len());
        Env {
            fields: self.rows.get(row).map_or(&[][..], |r| r.values.as_slice()),
            items: self.items.get(row * ni..(row + 1) * ni).unwrap_or(&[]),
            pops: self.pops.get(row * ns..(row + 1) * ns).unwrap_or(&[]),
            subject: None,
            as_of: self.plan.as_of,
            lookup: Some(self),
        }
    }

    /// Evaluates a checked expression of the same model (a test `expect`) in the context of
    /// accepted row `row`. `x["key"]` reads another customer; population functions read the
    /// values computed for this population. Overflow gives missing.
    pub fn eval_expr(&self, model: &Model, expr: &TExpr, row: usize) -> Value {
        let node = self.plan.compile_expr(model, expr);
        self.eval_node(&node, row)
    }

    /// Evaluates an expression that reads no customer (`tier["a"] == gold` in a test with many
    /// customers); `x["key"]` still works.
    pub fn eval_global(&self, model: &Model, expr: &TExpr) -> Value {
        let node = self.plan.compile_expr(model, expr);
        let env = Env {
            fields: &[],
            items: &[],
            pops: &[],
            subject: None,
            as_of: self.plan.as_of,
            lookup: Some(self),
        };
        eval::eval(&node, &env).unwrap_or(Value::Missing)
    }

    pub(crate) fn eval_node(&self, node: &Node, row: usize) -> Value {
        eval::eval(node, &self.env(row)).unwrap_or(Value::Missing)
    }
}

impl Lookup for Evaluation<'_> {
    fn eval_at(&self, key: &str, node: &Node) -> Result<Value, Overflow> {
        match self.row_of_key(key) {
            Some(r) => eval::eval(node, &self.env(r)),
            None => Ok(Value::Missing),
        }
    }
}
