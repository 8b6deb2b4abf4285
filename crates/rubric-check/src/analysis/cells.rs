//! Reasoning over the rules of one grade or points table by cells.
//!
//! Every condition is cut into atoms over *variables* (a field, a let, the `by` subject, any
//! non-constant expression compared with a constant). Each variable's domain is split at the
//! constants it is compared with, giving a few representative values per variable (below, at and
//! between the boundaries, above, and missing when the variable can be missing). Every
//! combination of representatives is a cell; evaluating the rules in every cell (with SQL
//! three-valued logic) tells which rule can fire, which never can, and which customers fall
//! through.
//!
//! Soundness: a comparison between two non-constant expressions becomes an independent yes/no
//! variable. That can only hide an unreachable rule, never invent one, because correlated
//! variables only remove cells. Gaps, though, could be invented that way, so gaps are reported
//! only when every atom is a comparison with a constant and no two variables share an input.

use crate::hir::*;
use rubric_syntax::ast::{Literal, UnOp};
use rubric_syntax::date::{Date, Duration};
use rubric_syntax::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// A value a variable takes in one cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Missing,
    Num(Decimal),
    Date(Date),
    Text(String),
    Bool(bool),
    Code(usize),
}

impl Val {
    fn as_bool(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Number { int: bool },
    Date,
    Text,
    Bool,
    Code(ItemId),
}

#[derive(Clone, Debug)]
pub struct Var {
    pub key: String,
    kind: Kind,
    nullable: bool,
    /// Constants the variable is compared with.
    points: BTreeSet<PointKey>,
    texts: BTreeSet<String>,
    /// A comparison of two non-constant sides, taken as an independent yes/no.
    pub opaque: bool,
    /// The inputs (fields and items) the variable reads, for the independence check.
    roots: BTreeSet<(u8, usize)>,
    /// The expression, for witnesses ("revenue = 99").
    pub shown: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum PointKey {
    Num(Decimal),
    Date(Date),
}

pub struct Cells {
    pub vars: Vec<Var>,
    /// Each cell: one value per variable.
    pub cells: Vec<Vec<Val>>,
    /// Whether a gap found here is real (see the module docs).
    pub exact: bool,
    /// Per expression node (by address): the variable it is, or its constant value, worked out
    /// once so evaluating thousands of cells does not rebuild keys.
    nodes: std::collections::HashMap<usize, Node>,
}

#[derive(Clone)]
enum Node {
    Var(usize),
    Const(Val),
    Other,
}

fn addr(e: &TExpr) -> usize {
    e as *const TExpr as usize
}

pub struct Ctx<'m> {
    pub model: &'m Model,
    pub as_of: Option<Date>,
    /// The `by` subject, when the rules have one.
    pub subject: Option<&'m TExpr>,
}

const MAX_CELLS: usize = 20_000;
/// The most condition evaluations an analysis may cost (cells × conditions): about 0.4 s. A
/// grade of a thousand rules over two fields would otherwise take seconds on every keystroke
/// in an editor; beyond this the rules are not analysed (no warning is better than a slow one).
const MAX_WORK: usize = 4_000_000;

/// A canonical text for an expression, equal for expressions that mean the same.
pub fn key(e: &TExpr, m: &Model) -> String {
    let k = |x: &TExpr| key(x, m);
    match &e.kind {
        TExprKind::Lit(l) => format!("{l:?}"),
        TExprKind::Field(f) => m.fields.get(*f).map_or("?".into(), |f| f.name.clone()),
        TExprKind::Item(i) => m.items.get(*i).map_or("?".into(), |i| i.name.clone()),
        TExprKind::Code { grade, code } => format!("code({grade},{code})"),
        TExprKind::Today => "today".into(),
        TExprKind::Subject => "subject".into(),
        TExprKind::Agg(a) => format!("agg({a})"),
        TExprKind::EventField { events, field } => format!("event({events},{field})"),
        TExprKind::List(items) => {
            format!("[{}]", items.iter().map(k).collect::<Vec<_>>().join(","))
        }
        TExprKind::Unary(op, a) => format!("{op:?}({})", k(a)),
        TExprKind::Arith(op, a, b) => format!("{op:?}({},{})", k(a), k(b)),
        TExprKind::Cmp(op, a, b) => format!("{}{}{}", k(a), op.as_str(), k(b)),
        TExprKind::And(a, b) => format!("and({},{})", k(a), k(b)),
        TExprKind::Or(a, b) => format!("or({},{})", k(a), k(b)),
        TExprKind::In {
            value,
            list,
            negated,
        } => format!("in({},{},{negated})", k(value), k(list)),
        TExprKind::Has { tags, code } => format!("has({},{code})", k(tags)),
        TExprKind::Between { value, lo, hi } => {
            format!("between({},{},{})", k(value), k(lo), k(hi))
        }
        TExprKind::Within { date, duration } => format!("within({},{})", k(date), k(duration)),
        TExprKind::IsMissing { expr, present } => format!("is({},{present})", k(expr)),
        TExprKind::Coalesce(a, b) => format!("??({},{})", k(a), k(b)),
        TExprKind::If(c, a, b) => format!("if({},{},{})", k(c), k(a), k(b)),
        TExprKind::Call(f, args) => format!(
            "{}({})",
            f.name(),
            args.iter().map(k).collect::<Vec<_>>().join(",")
        ),
        TExprKind::Pop(id) => match m.pops.get(*id) {
            Some(p) => format!(
                "{}({}){}",
                p.func.name(),
                p.arg.as_ref().map(k).unwrap_or_default(),
                p.within
                    .as_ref()
                    .map(|w| format!(" within {}", k(w)))
                    .unwrap_or_default()
            ),
            None => "pop?".into(),
        },
        TExprKind::Attr { value, attr, .. } => format!("{}.{attr}", k(value)),
        TExprKind::Index { value, key: kk } => format!("{}[{}]", k(value), k(kk)),
    }
}

/// The value of a constant expression, if it is one.
pub fn constant(e: &TExpr, ctx: &Ctx) -> Option<Val> {
    match &e.kind {
        TExprKind::Lit(Literal::Int(d) | Literal::Decimal(d)) => Some(Val::Num(*d)),
        TExprKind::Lit(Literal::Text(t)) => Some(Val::Text(t.clone())),
        TExprKind::Lit(Literal::Bool(b)) => Some(Val::Bool(*b)),
        TExprKind::Lit(Literal::Date(d)) => Some(Val::Date(*d)),
        TExprKind::Code { code, .. } => Some(Val::Code(*code)),
        TExprKind::Today => ctx.as_of.map(Val::Date),
        TExprKind::Unary(UnOp::Neg, a) => match constant(a, ctx)? {
            Val::Num(d) => Some(Val::Num(-d)),
            _ => None,
        },
        TExprKind::Arith(op, a, b) => {
            let dur = duration_of(Some(b));
            let a = constant(a, ctx)?;
            let b = if dur.is_some() {
                Val::Missing
            } else {
                constant(b, ctx)?
            };
            arith(*op, &a, &b, dur)
        }
        _ => None,
    }
}

fn duration_of(e: Option<&TExpr>) -> Option<Duration> {
    match e.map(|e| &e.kind) {
        Some(TExprKind::Lit(Literal::Duration(d))) => Some(*d),
        _ => None,
    }
}

fn arith(op: ArithOp, a: &Val, b: &Val, dur: Option<Duration>) -> Option<Val> {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => Some(Val::Num(match op {
            ArithOp::Add => x.checked_add(*y)?,
            ArithOp::Sub => x.checked_sub(*y)?,
            ArithOp::Mul => x.checked_mul(*y)?,
            ArithOp::Div => rubric_syntax::decimal::div(*x, *y)?,
        })),
        (Val::Date(d), _) if dur.is_some() => {
            let sign = if op == ArithOp::Sub { -1 } else { 1 };
            d.add(dur?, sign).map(Val::Date)
        }
        _ => None,
    }
}

fn is_constant(e: &TExpr, ctx: &Ctx) -> bool {
    constant(e, ctx).is_some() || matches!(e.kind, TExprKind::Lit(Literal::Duration(_)))
}

struct Builder<'c, 'm> {
    ctx: &'c Ctx<'m>,
    vars: BTreeMap<String, Var>,
}

impl Builder<'_, '_> {
    fn var(&mut self, e: &TExpr) -> &mut Var {
        let m = self.ctx.model;
        let k = key(e, m);
        let kind = match &e.ty {
            Ty::Int => Kind::Number { int: true },
            Ty::Decimal | Ty::Error => Kind::Number { int: false },
            Ty::Date => Kind::Date,
            Ty::Text => Kind::Text,
            Ty::Grade(g) => Kind::Code(*g),
            _ => Kind::Bool,
        };
        let roots = self.roots(e);
        self.vars.entry(k.clone()).or_insert_with(|| Var {
            shown: shown(e, m),
            key: k,
            kind,
            nullable: e.nullable,
            points: BTreeSet::new(),
            texts: BTreeSet::new(),
            opaque: false,
            roots,
        })
    }

    fn roots(&self, e: &TExpr) -> BTreeSet<(u8, usize)> {
        let mut out = BTreeSet::new();
        let m = self.ctx.model;
        let mut stack = vec![e];
        while let Some(x) = stack.pop() {
            match &x.kind {
                TExprKind::Field(f) => {
                    out.insert((0, *f));
                }
                TExprKind::Item(i) => {
                    out.insert((1, *i));
                }
                TExprKind::Subject => {
                    if let Some(s) = self.ctx.subject {
                        stack.push(s);
                    }
                }
                TExprKind::Pop(_) => {
                    out.insert((2, 0));
                }
                _ => {}
            }
            stack.extend(crate::visit::children(x));
        }
        // Items stand for everything they read.
        let items: Vec<usize> = out
            .iter()
            .filter(|(k, _)| *k == 1)
            .map(|(_, i)| *i)
            .collect();
        for i in items {
            for f in super::item_inputs(m, i) {
                out.insert(f);
            }
        }
        out
    }

    fn point(&mut self, e: &TExpr, c: &Val) {
        let p = match c {
            Val::Num(d) => Some(PointKey::Num(*d)),
            Val::Date(d) => Some(PointKey::Date(*d)),
            _ => None,
        };
        let text = match c {
            Val::Text(t) => Some(t.clone()),
            _ => None,
        };
        let v = self.var(e);
        if let Some(p) = p {
            v.points.insert(p);
        }
        if let Some(t) = text {
            v.texts.insert(t);
        }
    }

    /// The comparable side of a comparison: `x` in `(x ?? 0) >= 10` counts as `x`.
    fn subject_of<'e>(&self, e: &'e TExpr) -> &'e TExpr {
        match &e.kind {
            TExprKind::Coalesce(a, b) if is_constant(b, self.ctx) => a,
            _ => e,
        }
    }

    fn opaque(&mut self, e: &TExpr) {
        let v = self.var(e);
        v.kind = Kind::Bool;
        v.opaque = true;
    }

    fn collect(&mut self, e: &TExpr) {
        let ctx = self.ctx;
        match &e.kind {
            TExprKind::And(a, b) | TExprKind::Or(a, b) => {
                self.collect(a);
                self.collect(b);
            }
            TExprKind::Unary(UnOp::Not, a) => self.collect(a),
            TExprKind::Lit(_) => {}
            TExprKind::Cmp(_, l, r) => match (constant(l, ctx), constant(r, ctx)) {
                (None, Some(c)) => {
                    let s = self.subject_of(l);
                    self.point(s, &c);
                    if let TExprKind::Coalesce(_, d) = &l.kind {
                        if let Some(dc) = constant(d, ctx) {
                            self.point(s, &dc);
                        }
                    }
                }
                (Some(c), None) => {
                    let s = self.subject_of(r);
                    self.point(s, &c);
                }
                (Some(_), Some(_)) => {}
                (None, None) => self.opaque(e),
            },
            TExprKind::Between { value, lo, hi } => match (constant(lo, ctx), constant(hi, ctx)) {
                (Some(a), Some(b)) if constant(value, ctx).is_none() => {
                    let s = self.subject_of(value);
                    self.point(s, &a);
                    self.point(s, &b);
                }
                _ => self.opaque(e),
            },
            TExprKind::In { value, list, .. } => {
                let consts: Option<Vec<Val>> = match &list.kind {
                    TExprKind::List(items) => items.iter().map(|i| constant(i, ctx)).collect(),
                    _ => None,
                };
                match consts {
                    Some(cs) if constant(value, ctx).is_none() => {
                        let s = self.subject_of(value);
                        for c in &cs {
                            self.point(s, c);
                        }
                        self.var(s);
                    }
                    _ => self.opaque(e),
                }
            }
            TExprKind::Within { date, duration } => {
                let dur = duration_of(Some(duration));
                match (ctx.as_of, dur, constant(date, ctx)) {
                    (Some(asof), Some(d), None) => {
                        let s = self.subject_of(date);
                        if let Some(from) = asof.add(d, -1) {
                            self.point(s, &Val::Date(from));
                        }
                        self.point(s, &Val::Date(asof));
                    }
                    _ => self.opaque(e),
                }
            }
            TExprKind::IsMissing { expr, .. } => {
                if constant(expr, ctx).is_none() {
                    let v = self.var(expr);
                    v.nullable = true;
                }
            }
            _ => {
                if e.ty == Ty::Bool && constant(e, ctx).is_none() {
                    let plain = matches!(
                        e.kind,
                        TExprKind::Field(_) | TExprKind::Item(_) | TExprKind::Subject
                    );
                    if plain {
                        self.var(e);
                    } else {
                        self.opaque(e);
                    }
                }
            }
        }
    }
}

fn shown(e: &TExpr, m: &Model) -> String {
    match &e.kind {
        TExprKind::Field(f) => m.fields.get(*f).map_or("?".into(), |f| f.name.clone()),
        TExprKind::Item(i) => m.items.get(*i).map_or("?".into(), |i| i.name.clone()),
        _ => key(e, m),
    }
}

/// Builds the cells for a list of conditions. `None` when there are too many to enumerate.
pub fn build(conds: &[&TExpr], ctx: &Ctx) -> Option<Cells> {
    let mut b = Builder {
        ctx,
        vars: BTreeMap::new(),
    };
    for c in conds {
        b.collect(c);
    }
    let vars: Vec<Var> = b.vars.into_values().collect();
    let domains: Vec<Vec<Val>> = vars.iter().map(|v| domain(v, ctx)).collect();
    let mut total: usize = 1;
    for d in &domains {
        total = total.checked_mul(d.len().max(1))?;
        if total > MAX_CELLS || total.saturating_mul(conds.len()) > MAX_WORK {
            return None;
        }
    }
    let mut cells = Vec::with_capacity(total);
    let mut idx = vec![0usize; domains.len()];
    loop {
        cells.push(
            idx.iter()
                .zip(&domains)
                .map(|(i, d)| d[*i].clone())
                .collect(),
        );
        let mut k = 0;
        loop {
            if k == idx.len() {
                let exact = exact(&vars);
                let mut nodes = std::collections::HashMap::new();
                for c in conds {
                    index_nodes(c, &vars, ctx, &mut nodes);
                }
                return Some(Cells {
                    vars,
                    cells,
                    exact,
                    nodes,
                });
            }
            idx[k] += 1;
            if idx[k] < domains[k].len() {
                break;
            }
            idx[k] = 0;
            k += 1;
        }
    }
}

fn exact(vars: &[Var]) -> bool {
    if vars.iter().any(|v| v.opaque) {
        return false;
    }
    for (i, a) in vars.iter().enumerate() {
        for b in &vars[i + 1..] {
            if a.roots.intersection(&b.roots).next().is_some() {
                return false;
            }
        }
    }
    true
}

fn domain(v: &Var, ctx: &Ctx) -> Vec<Val> {
    let mut out = Vec::new();
    match &v.kind {
        Kind::Number { int } => {
            let pts: Vec<Decimal> = v
                .points
                .iter()
                .filter_map(|p| match p {
                    PointKey::Num(d) => Some(*d),
                    _ => None,
                })
                .collect();
            if pts.is_empty() {
                out.push(Val::Num(Decimal::ZERO));
            }
            for (i, p) in pts.iter().enumerate() {
                if i == 0 {
                    out.extend(below(*p, *int).map(Val::Num));
                } else {
                    let prev = pts[i - 1];
                    if let Some(mid) = between(prev, *p, *int) {
                        out.push(Val::Num(mid));
                    }
                }
                if !*int || p.fract().is_zero() {
                    out.push(Val::Num(*p));
                }
                if i == pts.len() - 1 {
                    out.extend(above(*p, *int).map(Val::Num));
                }
            }
        }
        Kind::Date => {
            let pts: Vec<Date> = v
                .points
                .iter()
                .filter_map(|p| match p {
                    PointKey::Date(d) => Some(*d),
                    _ => None,
                })
                .collect();
            if pts.is_empty() {
                out.push(Val::Date(ctx.as_of.unwrap_or(Date(0))));
            }
            for (i, p) in pts.iter().enumerate() {
                if i == 0 {
                    out.push(Val::Date(Date(p.0 - 1)));
                } else if p.0 - pts[i - 1].0 > 1 {
                    out.push(Val::Date(Date(pts[i - 1].0 + 1)));
                }
                out.push(Val::Date(*p));
                if i == pts.len() - 1 {
                    out.push(Val::Date(Date(p.0 + 1)));
                }
            }
        }
        Kind::Text => {
            for t in &v.texts {
                out.push(Val::Text(t.clone()));
            }
            out.push(Val::Text("\u{0}other".into()));
        }
        Kind::Bool => {
            out.push(Val::Bool(true));
            out.push(Val::Bool(false));
        }
        Kind::Code(g) => {
            let n = ctx.model.grade(*g).map_or(0, |g| g.codes.len());
            for c in 0..n {
                out.push(Val::Code(c));
            }
        }
    }
    if v.nullable {
        out.push(Val::Missing);
    }
    out
}

/// A value below the threshold `p` (an integer one for an int), if there is one.
fn below(p: Decimal, int: bool) -> Option<Decimal> {
    if int { p.floor() } else { p }.checked_sub(Decimal::ONE)
}

/// A value above the threshold `p`, if there is one.
fn above(p: Decimal, int: bool) -> Option<Decimal> {
    if int { p.floor() } else { p }.checked_add(Decimal::ONE)
}

/// A value strictly between the thresholds `a < b`, if there is one.
fn between(a: Decimal, b: Decimal, int: bool) -> Option<Decimal> {
    if int {
        let c = a.floor().checked_add(Decimal::ONE)?;
        return (c < b).then_some(c);
    }
    match a.checked_add(Decimal::ONE) {
        Some(c) if c < b => Some(c),
        _ => a
            .checked_add(b)?
            .checked_div(Decimal::TWO)
            .filter(|c| a < *c && *c < b),
    }
}

fn index_nodes(
    e: &TExpr,
    vars: &[Var],
    ctx: &Ctx,
    out: &mut std::collections::HashMap<usize, Node>,
) {
    let k = key(e, ctx.model);
    let node = match vars.iter().position(|v| v.key == k) {
        Some(i) => Node::Var(i),
        None => match constant(e, ctx) {
            Some(c) => Node::Const(c),
            None => Node::Other,
        },
    };
    let descend = matches!(node, Node::Other);
    out.insert(addr(e), node);
    if descend {
        for c in crate::visit::children(e) {
            index_nodes(c, vars, ctx, out);
        }
    }
}

/// Evaluates a condition in a cell with SQL's three-valued logic.
pub fn eval(e: &TExpr, cells: &Cells, cell: &[Val], ctx: &Ctx) -> Val {
    match cells.nodes.get(&addr(e)) {
        Some(Node::Var(i)) => return cell[*i].clone(),
        Some(Node::Const(c)) => return c.clone(),
        Some(Node::Other) => {}
        None => {
            if let Some(c) = constant(e, ctx) {
                return c;
            }
        }
    }
    let ev = |x: &TExpr| eval(x, cells, cell, ctx);
    match &e.kind {
        TExprKind::And(a, b) => match (ev(a).as_bool(), ev(b).as_bool()) {
            (Some(false), _) | (_, Some(false)) => Val::Bool(false),
            (Some(true), Some(true)) => Val::Bool(true),
            _ => Val::Missing,
        },
        TExprKind::Or(a, b) => match (ev(a).as_bool(), ev(b).as_bool()) {
            (Some(true), _) | (_, Some(true)) => Val::Bool(true),
            (Some(false), Some(false)) => Val::Bool(false),
            _ => Val::Missing,
        },
        TExprKind::Unary(UnOp::Not, a) => match ev(a).as_bool() {
            Some(b) => Val::Bool(!b),
            None => Val::Missing,
        },
        TExprKind::Coalesce(a, b) => match ev(a) {
            Val::Missing => ev(b),
            v => v,
        },
        TExprKind::Cmp(op, l, r) => cmp(*op, &ev(l), &ev(r)),
        TExprKind::Between { value, lo, hi } => {
            let v = ev(value);
            let a = cmp(CmpOp::Ge, &v, &ev(lo));
            let b = cmp(CmpOp::Le, &v, &ev(hi));
            and(a, b)
        }
        TExprKind::In {
            value,
            list,
            negated,
        } => {
            let v = ev(value);
            if v == Val::Missing {
                return Val::Missing;
            }
            let TExprKind::List(items) = &list.kind else {
                return Val::Missing;
            };
            let mut any_missing = false;
            for i in items {
                match cmp(CmpOp::Eq, &v, &ev(i)) {
                    Val::Bool(true) => return Val::Bool(!negated),
                    Val::Missing => any_missing = true,
                    _ => {}
                }
            }
            if any_missing {
                Val::Missing
            } else {
                Val::Bool(*negated)
            }
        }
        TExprKind::Within { date, duration } => {
            let (Some(asof), Some(d)) = (ctx.as_of, duration_of(Some(duration))) else {
                return Val::Missing;
            };
            let Some(from) = asof.add(d, -1) else {
                return Val::Missing;
            };
            let v = ev(date);
            and(
                cmp(CmpOp::Ge, &v, &Val::Date(from)),
                cmp(CmpOp::Le, &v, &Val::Date(asof)),
            )
        }
        TExprKind::IsMissing { expr, present } => Val::Bool((ev(expr) == Val::Missing) != *present),
        _ => Val::Missing,
    }
}

fn and(a: Val, b: Val) -> Val {
    match (a.as_bool(), b.as_bool()) {
        (Some(false), _) | (_, Some(false)) => Val::Bool(false),
        (Some(true), Some(true)) => Val::Bool(true),
        _ => Val::Missing,
    }
}

fn cmp(op: CmpOp, a: &Val, b: &Val) -> Val {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (a, b) {
        (Val::Num(x), Val::Num(y)) => Some(x.cmp(y)),
        (Val::Date(x), Val::Date(y)) => Some(x.cmp(y)),
        (Val::Text(x), Val::Text(y)) => Some(x.cmp(y)),
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        (Val::Code(x), Val::Code(y)) => Some(x.cmp(y)),
        _ => None,
    };
    let Some(o) = ord else { return Val::Missing };
    Val::Bool(match op {
        CmpOp::Eq => o == Ordering::Equal,
        CmpOp::Ne => o != Ordering::Equal,
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Le => o != Ordering::Greater,
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::Ge => o != Ordering::Less,
    })
}

/// How a witness reads: `revenue = 99`, `last_order is missing`.
pub fn describe(cells: &Cells, cell: &[Val], ctx: &Ctx) -> String {
    let parts: Vec<String> = cells
        .vars
        .iter()
        .zip(cell)
        .filter(|(v, _)| !v.opaque)
        .map(|(v, val)| {
            let name = if v.key == "subject" {
                ctx.subject
                    .map_or("the subject".into(), |s| shown(s, ctx.model))
            } else {
                v.shown.clone()
            };
            match val {
                Val::Missing => format!("{name} missing"),
                Val::Num(d) => format!("{name} = {}", d.normalize()),
                Val::Date(d) => format!("{name} = {d}"),
                Val::Text(t) if t.starts_with('\u{0}') => format!("{name} = any other text"),
                Val::Text(t) => format!("{name} = \"{t}\""),
                Val::Bool(b) => format!("{name} = {b}"),
                Val::Code(c) => match &v.kind {
                    Kind::Code(g) => format!(
                        "{name} = {}",
                        ctx.model
                            .grade(*g)
                            .and_then(|g| g.codes.get(*c))
                            .map_or("?", |c| c.name.as_str())
                    ),
                    _ => format!("{name} = {c}"),
                },
            }
        })
        .collect();
    parts.join(" and ")
}
