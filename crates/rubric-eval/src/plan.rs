//! The compact plan: a checked [`Model`] and an as_of date compiled into index-addressed nodes.
//!
//! Fields are column indices, items are slots, population-function calls are slots of a
//! per-row table (identical calls share one slot, and calls over the same argument and
//! partition share one sort). Constant sub-expressions are folded once here (`today - 90d` is a
//! date, `50%` a decimal, `x in ["a", "b"]` a prepared set), so evaluating a row never looks a
//! name up and never walks the checked AST.

use crate::eval::{self, Env, Overflow};
use crate::value::Value;
use rubric_check::hir::{ArithOp, ItemId, ItemKind, Model, PopId, TExpr, TExprKind, Ty};
use rubric_syntax::ast::{Literal, UnOp};
use rubric_syntax::date::Date;
use std::sync::Arc;

use crate::ir::{Node, PItem, PTerm, Plan, PopGroup, PopSlot};

impl Plan {
    /// Compiles a checked model (one without errors) for an evaluation date.
    pub fn compile(model: &Model, as_of: Date) -> Plan {
        rubric_syntax::stack::guarded(|| Plan::compile_here(model, as_of))
    }

    fn compile_here(model: &Model, as_of: Date) -> Plan {
        // aggregates are read as the fields a run joins to each customer
        let row_model = crate::model::row_model(model);
        let model = &*row_model;
        let attrs: Vec<Vec<Arc<[Value]>>> = model
            .items
            .iter()
            .map(|item| match &item.kind {
                ItemKind::Grade(g) => (0..g.attr_keys.len())
                    .map(|a| {
                        g.codes
                            .iter()
                            .map(|c| c.attrs.get(a).map(literal_value).unwrap_or(Value::Missing))
                            .collect::<Vec<_>>()
                            .into()
                    })
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        let mut c = Compiler {
            model,
            as_of,
            attrs: &attrs,
            pop_slot: vec![None; model.pops.len()],
            slots: Vec::new(),
            groups: Vec::new(),
            slot_keys: Vec::new(),
            group_keys: Vec::new(),
            pop_level: vec![None; model.pops.len()],
            item_level: vec![None; model.items.len()],
        };
        for p in 0..model.pops.len() {
            c.pop(p);
        }
        let items: Vec<PItem> = model
            .items
            .iter()
            .map(|item| match &item.kind {
                ItemKind::Let { value } => PItem::Let(c.expr(value)),
                ItemKind::Points { by, rules } => PItem::Points {
                    by: by.as_ref().map(|b| c.expr(b)),
                    rules: rules
                        .iter()
                        .map(|r| (r.cond.as_ref().map(|e| c.expr(e)), r.value))
                        .collect(),
                },
                ItemKind::Score { terms, bonuses } => PItem::Score {
                    terms: terms
                        .iter()
                        .map(|t| PTerm {
                            expr: c.expr(&t.expr),
                            weight: t.weight,
                            bonus: t.bonus.as_ref().map(|b| (b.factor, c.expr(&b.cond))),
                        })
                        .collect(),
                    bonuses: bonuses
                        .iter()
                        .map(|b| (b.factor, c.expr(&b.cond)))
                        .collect(),
                },
                ItemKind::Grade(g) => PItem::Grade {
                    by: g.by.as_ref().map(|b| c.expr(b)),
                    conds: g
                        .codes
                        .iter()
                        .map(|code| code.cond.as_ref().map(|e| c.expr(e)))
                        .collect(),
                    tags: g.is_tags,
                },
            })
            .collect();
        let item_level: Vec<u32> = (0..model.items.len()).map(|i| c.item_lvl(i)).collect();
        let max_level = c.groups.iter().map(|g| g.level).max().unwrap_or(0);
        let pop_slot = c.pop_slot.iter().map(|s| s.unwrap_or(0)).collect();
        let mut order = model.order.clone();
        // A model with errors may leave items out of the order; evaluate them anyway, last.
        for i in 0..model.items.len() {
            if !order.contains(&i) {
                order.push(i);
            }
        }
        let stage_items = (1..=max_level)
            .map(|level| {
                let mut needed = vec![false; items.len()];
                let mut stack: Vec<usize> = Vec::new();
                for g in c.groups.iter().filter(|g| g.level == level) {
                    g.arg
                        .iter()
                        .chain(g.within.iter())
                        .for_each(|n| node_items(n, &mut stack));
                }
                while let Some(i) = stack.pop() {
                    if needed[i] {
                        continue;
                    }
                    needed[i] = true;
                    if let Some(item) = items.get(i) {
                        item_nodes(item)
                            .into_iter()
                            .for_each(|n| node_items(n, &mut stack));
                    }
                }
                order.iter().copied().filter(|&i| needed[i]).collect()
            })
            .collect();
        Plan {
            as_of,
            nfields: model.fields.len(),
            key: model.key,
            items,
            order,
            item_level,
            item_names: model.items.iter().map(|i| i.name.clone()).collect(),
            field_names: model.fields.iter().map(|f| f.name.clone()).collect(),
            field_tys: model.fields.iter().map(|f| f.ty.clone()).collect(),
            pop_slot,
            slots: c.slots,
            groups: c.groups,
            max_level,
            stage_items,
            attrs,
        }
    }

    /// The number of input fields (the length of an [`crate::InputRow`]'s values).
    pub fn field_count(&self) -> usize {
        self.nfields
    }

    /// The evaluation date (`today`).
    pub fn as_of(&self) -> Date {
        self.as_of
    }

    /// Whether the scheme uses population functions (then a run needs every row first).
    pub fn has_population(&self) -> bool {
        !self.groups.is_empty()
    }

    /// Per input field, whether any item or population-function argument reads it.
    pub(crate) fn fields_read(&self) -> Vec<bool> {
        let mut read = vec![false; self.nfields];
        let mut mark = |n: &Node| {
            if let Node::Field(f) = n {
                if let Some(r) = read.get_mut(*f) {
                    *r = true;
                }
            }
        };
        for item in &self.items {
            for n in item_nodes(item) {
                walk(n, &mut mark);
            }
        }
        for g in &self.groups {
            for n in g.arg.iter().chain(g.within.iter()) {
                walk(n, &mut mark);
            }
        }
        read
    }

    /// Whether an item depends on a population function (directly or through other items).
    pub fn uses_population(&self, item: ItemId) -> bool {
        self.item_level.get(item).is_some_and(|l| *l > 0)
    }

    /// Compiles an expression over one event's fields (an aggregate's value or filter).
    pub(crate) fn compile_event_expr(model: &Model, e: &TExpr, as_of: Date) -> Node {
        let mut c = Compiler {
            model,
            as_of,
            attrs: &[],
            pop_slot: Vec::new(),
            slots: Vec::new(),
            groups: Vec::new(),
            slot_keys: Vec::new(),
            group_keys: Vec::new(),
            pop_level: Vec::new(),
            item_level: Vec::new(),
        };
        c.expr(e)
    }

    /// Compiles an arbitrary checked expression of the same model (a test `expect`).
    pub(crate) fn compile_expr(&self, model: &Model, e: &TExpr) -> Node {
        let mut c = Compiler {
            model,
            as_of: self.as_of,
            attrs: &self.attrs,
            pop_slot: self.pop_slot.iter().map(|s| Some(*s)).collect(),
            slots: Vec::new(),
            groups: Vec::new(),
            slot_keys: Vec::new(),
            group_keys: Vec::new(),
            pop_level: vec![Some(0); model.pops.len()],
            item_level: vec![Some(0); model.items.len()],
        };
        c.expr(e)
    }
}

/// The runtime value of a test record's cell for `field`: [`literal_value`], except that a
/// grade-typed field's code or label is the code (v2).
pub fn field_value(field: &rubric_check::hir::FieldDef, l: &Literal) -> Value {
    match (&field.codes, l) {
        (Some(codes), Literal::Text(t)) => codes.lookup(t).map_or(Value::Missing, |i| {
            Value::Code(u16::try_from(i).unwrap_or(u16::MAX))
        }),
        _ => literal_value(l),
    }
}

/// The runtime value of a literal (a test record's cell, an attribute).
pub fn literal_value(l: &Literal) -> Value {
    match l {
        Literal::Int(d) | Literal::Decimal(d) => Value::Num(*d),
        Literal::Text(s) => Value::Text(Arc::from(s.as_str())),
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Date(d) => Value::Date(*d),
        Literal::Duration(d) => Value::Duration(*d),
    }
}

struct Compiler<'a> {
    model: &'a Model,
    as_of: Date,
    attrs: &'a [Vec<Arc<[Value]>>],
    pop_slot: Vec<Option<usize>>,
    slots: Vec<PopSlot>,
    groups: Vec<PopGroup>,
    slot_keys: Vec<String>,
    group_keys: Vec<String>,
    pop_level: Vec<Option<u32>>,
    item_level: Vec<Option<u32>>,
}

impl Compiler<'_> {
    fn pop(&mut self, p: PopId) -> usize {
        if let Some(Some(s)) = self.pop_slot.get(p) {
            return *s;
        }
        let Some(def) = self.model.pops.get(p) else {
            return 0;
        };
        // Mark first, so that a (checker-rejected) cycle cannot recurse forever.
        if let Some(s) = self.pop_slot.get_mut(p) {
            *s = Some(0);
        }
        let arg = def.arg.as_ref().map(|a| self.expr(a));
        let within = def.within.as_ref().map(|w| self.expr(w));
        let level = 1 + def
            .arg
            .iter()
            .chain(def.within.iter())
            .map(|e| self.expr_level(e))
            .max()
            .unwrap_or(0);
        let gkey = format!("{arg:?}|{within:?}");
        let group = match self.group_keys.iter().position(|k| *k == gkey) {
            Some(g) => g,
            None => {
                self.group_keys.push(gkey.clone());
                self.groups.push(PopGroup {
                    arg,
                    within,
                    level,
                    slots: Vec::new(),
                });
                self.groups.len() - 1
            }
        };
        let skey = format!("{:?}|{gkey}", def.func);
        let slot = match self.slot_keys.iter().position(|k| *k == skey) {
            Some(s) => s,
            None => {
                self.slot_keys.push(skey);
                self.slots.push(PopSlot {
                    func: def.func,
                    group,
                });
                let s = self.slots.len() - 1;
                if let Some(g) = self.groups.get_mut(group) {
                    g.slots.push(s);
                }
                s
            }
        };
        if let Some(s) = self.pop_slot.get_mut(p) {
            *s = Some(slot);
        }
        if let Some(l) = self.pop_level.get_mut(p) {
            *l = Some(level);
        }
        slot
    }

    fn pop_lvl(&mut self, p: PopId) -> u32 {
        if self.pop_level.get(p).copied().flatten().is_none() {
            self.pop(p);
        }
        self.pop_level[p].unwrap_or(1)
    }

    fn item_lvl(&mut self, i: ItemId) -> u32 {
        if let Some(Some(l)) = self.item_level.get(i) {
            return *l;
        }
        let Some(item) = self.model.items.get(i) else {
            return 0;
        };
        if let Some(l) = self.item_level.get_mut(i) {
            *l = Some(0); // cycle guard
        }
        let mut exprs: Vec<&TExpr> = Vec::new();
        match &item.kind {
            ItemKind::Let { value } => exprs.push(value),
            ItemKind::Points { by, rules } => {
                exprs.extend(by.iter());
                exprs.extend(rules.iter().filter_map(|r| r.cond.as_ref()));
            }
            ItemKind::Score { terms, bonuses } => {
                for t in terms {
                    exprs.push(&t.expr);
                    exprs.extend(t.bonus.as_ref().map(|b| &b.cond));
                }
                exprs.extend(bonuses.iter().map(|b| &b.cond));
            }
            ItemKind::Grade(g) => {
                exprs.extend(g.by.iter());
                exprs.extend(g.codes.iter().filter_map(|c| c.cond.as_ref()));
            }
        }
        let level = exprs
            .into_iter()
            .map(|e| self.expr_level(e))
            .max()
            .unwrap_or(0);
        if let Some(l) = self.item_level.get_mut(i) {
            *l = Some(level);
        }
        level
    }

    /// The population stage an expression needs: the highest level of the items and
    /// population functions it reads.
    fn expr_level(&mut self, e: &TExpr) -> u32 {
        let mut refs = Vec::new();
        collect_refs(e, &mut refs);
        let mut level = 0;
        for r in refs {
            let l = match r {
                Ref::Item(i) => self.item_lvl(i),
                Ref::Pop(p) => self.pop_lvl(p),
            };
            level = level.max(l);
        }
        level
    }

    fn expr(&mut self, e: &TExpr) -> Node {
        let node = self.expr_raw(e);
        fold(node, self.as_of)
    }

    fn bx(&mut self, e: &TExpr) -> Box<Node> {
        Box::new(self.expr(e))
    }

    fn expr_raw(&mut self, e: &TExpr) -> Node {
        match &e.kind {
            TExprKind::Lit(l) => Node::Const(literal_value(l)),
            TExprKind::Field(f) => Node::Field(*f),
            TExprKind::Agg(a) => Node::Field(crate::model::agg_field(self.model, *a)),
            // (only inside an aggregate, compiled over one event's fields)
            TExprKind::EventField { field, .. } => Node::Field(*field),
            TExprKind::Item(i) => Node::Item(*i),
            TExprKind::Code { code, .. } => {
                Node::Const(Value::Code(u16::try_from(*code).unwrap_or(u16::MAX)))
            }
            TExprKind::Today => Node::Const(Value::Date(self.as_of)),
            TExprKind::Subject => Node::Subject,
            TExprKind::List(items) => {
                // A list only appears on the right of `in`; a bare one evaluates as missing.
                let _ = items;
                Node::Const(Value::Missing)
            }
            TExprKind::Unary(UnOp::Neg, x) => Node::Neg(self.bx(x)),
            TExprKind::Unary(UnOp::Not, x) => Node::Not(self.bx(x)),
            TExprKind::Arith(op, a, b) => match (&a.ty, &b.ty, op) {
                (Ty::Date, Ty::Duration, ArithOp::Add) => {
                    Node::DateShift(self.bx(a), self.bx(b), 1)
                }
                (Ty::Date, Ty::Duration, _) => Node::DateShift(self.bx(a), self.bx(b), -1),
                (Ty::Date, Ty::Date, _) => Node::DateDiff(self.bx(a), self.bx(b)),
                _ => Node::Arith(*op, self.bx(a), self.bx(b)),
            },
            TExprKind::Cmp(op, a, b) => {
                let (l, r) = (self.bx(a), self.bx(b));
                match *r {
                    Node::Const(v) if !matches!(*l, Node::Const(_)) => Node::CmpK(*op, l, v),
                    r => Node::Cmp(*op, l, Box::new(r)),
                }
            }
            TExprKind::And(a, b) => Node::And(self.bx(a), self.bx(b)),
            TExprKind::Or(a, b) => Node::Or(self.bx(a), self.bx(b)),
            TExprKind::In {
                value,
                list,
                negated,
            } => {
                let value = self.bx(value);
                let items: Vec<Node> = match &list.kind {
                    TExprKind::List(items) => items.iter().map(|i| self.expr(i)).collect(),
                    _ => vec![self.expr(list)],
                };
                if items.iter().all(|n| matches!(n, Node::Const(_))) {
                    let mut set: Vec<Value> = items
                        .into_iter()
                        .filter_map(|n| {
                            if let Node::Const(v) = n {
                                Some(v)
                            } else {
                                None
                            }
                        })
                        .collect();
                    set.dedup();
                    Node::InSet {
                        value,
                        set,
                        negated: *negated,
                    }
                } else {
                    Node::InList {
                        value,
                        list: items,
                        negated: *negated,
                    }
                }
            }
            TExprKind::Has { tags, code } => {
                let bit = if *code < 64 { 1u64 << code } else { 0 };
                Node::Has(self.bx(tags), bit)
            }
            TExprKind::Between { value, lo, hi } => {
                Node::Between(self.bx(value), self.bx(lo), self.bx(hi))
            }
            TExprKind::Within { date, duration } => {
                let date = self.bx(date);
                let duration = self.expr(duration);
                if let Node::Const(Value::Duration(d)) = &duration {
                    if let Some(lo) = self.as_of.add(*d, -1) {
                        return Node::WithinRange {
                            date,
                            lo,
                            hi: self.as_of,
                        };
                    }
                }
                Node::Within {
                    date,
                    duration: Box::new(duration),
                }
            }
            TExprKind::WithinNext { date, duration } => {
                let date = self.bx(date);
                let duration = self.expr(duration);
                if let Node::Const(Value::Duration(d)) = &duration {
                    if let Some(hi) = self.as_of.add(*d, 1) {
                        return Node::WithinRange {
                            date,
                            lo: self.as_of,
                            hi,
                        };
                    }
                }
                Node::WithinNext {
                    date,
                    duration: Box::new(duration),
                }
            }
            TExprKind::Missing => Node::Const(Value::Missing),
            TExprKind::IsMissing { expr, present } => Node::IsMissing(self.bx(expr), *present),
            TExprKind::Coalesce(a, b) => Node::Coalesce(self.bx(a), self.bx(b)),
            TExprKind::If(c, a, b) => Node::If(self.bx(c), self.bx(a), self.bx(b)),
            TExprKind::Call(f, args) => Node::Call(*f, args.iter().map(|a| self.expr(a)).collect()),
            TExprKind::Pop(p) => Node::Pop(self.pop(*p)),
            TExprKind::Attr { value, grade, attr } => {
                let table = self
                    .attrs
                    .get(*grade)
                    .and_then(|t| t.get(*attr))
                    .cloned()
                    .unwrap_or_else(|| Arc::from([]));
                Node::Attr(self.bx(value), table)
            }
            TExprKind::Index { value, key } => Node::Index(self.bx(value), self.bx(key)),
        }
    }
}

/// Calls `f` on `n` and every node below it (population-function slots are leaves: their
/// arguments live in the population groups).
fn walk(n: &Node, f: &mut dyn FnMut(&Node)) {
    f(n);
    match n {
        Node::Const(_) | Node::Field(_) | Node::Item(_) | Node::Pop(_) | Node::Subject => {}
        Node::Neg(a)
        | Node::Not(a)
        | Node::Has(a, _)
        | Node::IsMissing(a, _)
        | Node::Attr(a, _)
        | Node::CmpK(_, a, _)
        | Node::InSet { value: a, .. }
        | Node::WithinRange { date: a, .. } => walk(a, f),
        Node::Arith(_, a, b)
        | Node::DateShift(a, b, _)
        | Node::DateDiff(a, b)
        | Node::Cmp(_, a, b)
        | Node::And(a, b)
        | Node::Or(a, b)
        | Node::Coalesce(a, b)
        | Node::Index(a, b)
        | Node::Within {
            date: a,
            duration: b,
        }
        | Node::WithinNext {
            date: a,
            duration: b,
        } => {
            walk(a, f);
            walk(b, f);
        }
        Node::Between(a, b, c) | Node::If(a, b, c) => {
            walk(a, f);
            walk(b, f);
            walk(c, f);
        }
        Node::InList { value, list, .. } => {
            walk(value, f);
            list.iter().for_each(|n| walk(n, f));
        }
        Node::Call(_, args) => args.iter().for_each(|n| walk(n, f)),
    }
}

/// The item references of a node (population-function slots are not followed: their values
/// come from the population table).
fn node_items(n: &Node, out: &mut Vec<usize>) {
    walk(n, &mut |n| {
        if let Node::Item(i) = n {
            out.push(*i);
        }
    });
}

fn item_nodes(item: &PItem) -> Vec<&Node> {
    match item {
        PItem::Let(n) => vec![n],
        PItem::Points { by, rules } => by
            .iter()
            .chain(rules.iter().filter_map(|r| r.0.as_ref()))
            .collect(),
        PItem::Score { terms, bonuses } => terms
            .iter()
            .flat_map(|t| std::iter::once(&t.expr).chain(t.bonus.as_ref().map(|b| &b.1)))
            .chain(bonuses.iter().map(|b| &b.1))
            .collect(),
        PItem::Grade { by, conds, .. } => by.iter().chain(conds.iter().flatten()).collect(),
    }
}

enum Ref {
    Item(ItemId),
    Pop(PopId),
}

fn collect_refs(e: &TExpr, out: &mut Vec<Ref>) {
    match &e.kind {
        TExprKind::Item(i) => out.push(Ref::Item(*i)),
        TExprKind::Pop(p) => out.push(Ref::Pop(*p)),
        _ => {}
    }
    for_each_child(e, |c| collect_refs(c, out));
}

/// Calls `f` on every direct sub-expression (population-function arguments are not children);
/// the one list of children lives in `rubric_check::visit`.
pub(crate) fn for_each_child<'e>(e: &'e TExpr, f: impl FnMut(&'e TExpr)) {
    rubric_check::visit::children(e).into_iter().for_each(f);
}

/// Folds a node whose children are all constants into a constant (when it evaluates without
/// overflow; an overflowing constant is left to fail per row, where it is reported).
fn fold(node: Node, as_of: Date) -> Node {
    fn is_const(n: &Node) -> bool {
        matches!(n, Node::Const(_))
    }
    let foldable = match &node {
        Node::Const(_)
        | Node::Field(_)
        | Node::Item(_)
        | Node::Pop(_)
        | Node::Subject
        | Node::Index(..) => false,
        Node::Neg(a)
        | Node::Not(a)
        | Node::Has(a, _)
        | Node::IsMissing(a, _)
        | Node::Attr(a, _)
        | Node::CmpK(_, a, _) => is_const(a),
        Node::InSet { value, .. } => is_const(value),
        Node::WithinRange { date, .. } => is_const(date),
        Node::Arith(_, a, b)
        | Node::DateShift(a, b, _)
        | Node::DateDiff(a, b)
        | Node::Cmp(_, a, b)
        | Node::And(a, b)
        | Node::Or(a, b)
        | Node::Coalesce(a, b)
        | Node::Within {
            date: a,
            duration: b,
        }
        | Node::WithinNext {
            date: a,
            duration: b,
        } => is_const(a) && is_const(b),
        Node::Between(a, b, c) | Node::If(a, b, c) => is_const(a) && is_const(b) && is_const(c),
        Node::InList { value, list, .. } => is_const(value) && list.iter().all(is_const),
        Node::Call(_, args) => args.iter().all(is_const),
    };
    if !foldable {
        return node;
    }
    let env = Env::constant(as_of);
    match eval::eval(&node, &env) {
        Ok(v) => Node::Const(v),
        Err(Overflow) => node,
    }
}
