//! Evaluating a whole population in memory: the rows of a test, of `rubric explain`, or of a
//! file small enough to hold. (`rubric run` streams instead; see [`crate::run`].)

use crate::eval::{self, Env, Lookup, Overflow};
use crate::ir::{overflow_reason, Node, Plan};
use crate::pop;
use crate::value::{InputRow, Reject, Value};
use rubric_check::hir::{ItemId, Model, TExpr};
use std::collections::HashMap;

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
    /// Evaluates a population held in memory, as `rubric run` does (the differential test
    /// `crates/rubric-cli/tests/differential.rs` holds them to it). Rows with a duplicate key
    /// (after the first) are rejected; so are rows whose evaluation overflows, which leave the
    /// population from the stage where they overflowed on (see [`Plan::evaluate_rows`]).
    pub fn evaluate(&self, rows: Vec<InputRow>) -> Evaluation<'_> {
        rubric_syntax::stack::guarded(|| self.evaluate_here(rows))
    }

    fn evaluate_here(&self, rows: Vec<InputRow>) -> Evaluation<'_> {
        let mut rejects = Vec::new();
        let mut keys = self.key.map(|k| {
            let column = self.field_names.get(k).cloned().unwrap_or_default();
            crate::io::KeyTracker::for_field(k, column)
        });
        // A row that overflows before it enters the population (its first stage, or with no
        // population function its whole evaluation) is rejected and claims no key, as in
        // `rubric run`: a later row with its key is graded.
        let mut scratch = Vec::with_capacity(self.items.len());
        let mut stage = Vec::new();
        let no_pops = vec![Value::Missing; self.slots.len()];
        let rows: Vec<InputRow> = rows
            .into_iter()
            .filter(|r| {
                let entry = if self.max_level == 0 {
                    eval::eval_row(self, &r.values, &no_pops, &mut scratch, None)
                } else {
                    self.stage_args(1, r, &no_pops, &mut scratch, &mut stage)
                };
                if let Err(item) = entry {
                    rejects.push(Reject {
                        line: r.line,
                        column: None,
                        reason: overflow_reason(self, item),
                        key: Some(self.key_text(&r.values)),
                    });
                    return false;
                }
                // (one key check for every engine: the data layer's, as `rubric run` words it)
                match keys.as_mut().map_or(Ok(()), |k| k.check(r)) {
                    Ok(()) => true,
                    Err(reject) => {
                        rejects.push(reject);
                        false
                    }
                }
            })
            .collect();
        let (items, pops, bad) = self.evaluate_rows(&rows);
        // the rows that overflowed are rejected; the others are the population graded
        let (ni, ns) = (self.items.len(), self.slots.len());
        let mut kept = Vec::with_capacity(rows.len());
        let mut overflowed = Vec::new();
        let (mut kept_items, mut kept_pops) = (Vec::new(), Vec::new());
        for (i, r) in rows.into_iter().enumerate() {
            match bad.get(&i) {
                Some(item) => {
                    rejects.push(Reject {
                        line: r.line,
                        column: None,
                        reason: overflow_reason(self, *item),
                        key: Some(self.key_text(&r.values)),
                    });
                    overflowed.push(r);
                }
                None => {
                    kept_items.extend_from_slice(items.get(i * ni..(i + 1) * ni).unwrap_or(&[]));
                    kept_pops.extend_from_slice(pops.get(i * ns..(i + 1) * ns).unwrap_or(&[]));
                    kept.push(r);
                }
            }
        }
        let rows = kept;
        let keys: Vec<String> = rows.iter().map(|r| self.key_text(&r.values)).collect();
        let by_key = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.clone(), i))
            .collect();
        rejects.sort_by_key(|r| r.line);
        Evaluation {
            plan: self,
            rows,
            keys,
            by_key,
            items: kept_items,
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

    /// Items and population values of every row, and the rows that overflowed (with the first
    /// item that did). The populations are staged as `rubric run` stages them (LANGUAGE.md §4's
    /// levels): a row that overflows before a stage's population function is computed (in an
    /// item the argument needs, or in the argument itself) is not part of that stage's
    /// population nor of any later one, while the earlier stages counted it; a row that
    /// overflows after the last stage was counted by every stage. Nothing is computed again.
    #[allow(clippy::type_complexity)]
    fn evaluate_rows(&self, rows: &[InputRow]) -> (Vec<Value>, Vec<Value>, HashMap<usize, ItemId>) {
        let (ni, ns) = (self.items.len(), self.slots.len());
        let n = rows.len();
        let mut pops = vec![Value::Missing; n * ns];
        let mut scratch = Vec::with_capacity(ni);
        let mut bad: HashMap<usize, ItemId> = HashMap::new();
        for level in 1..=self.max_level {
            let groups: Vec<usize> = (0..self.groups.len())
                .filter(|g| self.groups[*g].level == level)
                .collect();
            // the rows in this stage's population, and their arguments per group
            let mut members: Vec<usize> = Vec::with_capacity(n);
            let mut args: Vec<Vec<Value>> = vec![Vec::with_capacity(n); groups.len()];
            let mut parts: Vec<Vec<Value>> = vec![Vec::with_capacity(n); groups.len()];
            let mut row_args: Vec<(Value, Value)> = Vec::with_capacity(groups.len());
            for (r, row) in rows.iter().enumerate() {
                if bad.contains_key(&r) {
                    continue;
                }
                let prow = pops.get(r * ns..(r + 1) * ns).unwrap_or(&[]);
                if let Err(item) = self.stage_args(level, row, prow, &mut scratch, &mut row_args) {
                    bad.insert(r, item);
                    continue;
                }
                members.push(r);
                for (k, (a, p)) in row_args.drain(..).enumerate() {
                    args[k].push(a);
                    parts[k].push(p);
                }
            }
            for (k, &g) in groups.iter().enumerate() {
                let group = &self.groups[g];
                let funcs: Vec<_> = group.slots.iter().map(|s| self.slots[*s].func).collect();
                let within = group.within.as_ref().map(|_| parts[k].as_slice());
                let cols = pop::compute(&funcs, &args[k], within);
                for (col, &slot) in cols.into_iter().zip(&group.slots) {
                    for (m, v) in col.into_iter().enumerate() {
                        if let Some(cell) = members.get(m).and_then(|r| pops.get_mut(r * ns + slot))
                        {
                            *cell = v;
                        }
                    }
                }
            }
        }
        let mut items = Vec::with_capacity(n * ni);
        for (r, row) in rows.iter().enumerate() {
            let prow = pops.get(r * ns..(r + 1) * ns).unwrap_or(&[]);
            let result = if bad.contains_key(&r) {
                Err(0)
            } else {
                eval::eval_row(self, &row.values, prow, &mut scratch, None)
            };
            match result {
                Ok(()) => items.extend(scratch.iter().cloned()),
                Err(item) => {
                    bad.entry(r).or_insert(item);
                    items.extend(std::iter::repeat_n(Value::Missing, ni));
                }
            }
        }
        (items, pops, bad)
    }

    /// A row's items up to stage `level` and the arguments (and `within` values) of that
    /// stage's population functions, in group order, into `out`; or the first item that
    /// overflowed (for an argument, the first item that needs the function).
    fn stage_args(
        &self,
        level: u32,
        row: &InputRow,
        prow: &[Value],
        scratch: &mut Vec<Value>,
        out: &mut Vec<(Value, Value)>,
    ) -> Result<(), ItemId> {
        out.clear();
        eval::eval_row(self, &row.values, prow, scratch, Some(level))?;
        let env = Env {
            fields: &row.values,
            items: scratch,
            pops: prow,
            subject: None,
            as_of: self.as_of,
            lookup: None,
        };
        for (g, group) in self.groups.iter().enumerate() {
            if group.level != level {
                continue;
            }
            let a = match &group.arg {
                Some(node) => eval::eval(node, &env),
                None => Ok(Value::Missing),
            };
            let p = match &group.within {
                Some(node) => eval::eval(node, &env),
                None => Ok(Value::Missing),
            };
            match (a, p) {
                (Ok(a), Ok(p)) => out.push((a, p)),
                _ => return Err(self.first_user_of(g)),
            }
        }
        Ok(())
    }

    /// An item whose value needs population group `g` (for overflow messages).
    pub(crate) fn first_user_of(&self, g: usize) -> ItemId {
        let level = self.groups.get(g).map_or(1, |gr| gr.level);
        self.order
            .iter()
            .copied()
            .find(|i| self.item_level.get(*i).is_some_and(|l| *l >= level))
            .unwrap_or(0)
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
