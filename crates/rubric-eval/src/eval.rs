//! Evaluating compiled nodes for one customer: exact decimals, calendar dates and SQL
//! three-valued logic (a comparison with a missing value is missing, `and`/`or` are Kleene's, a
//! missing condition does not fire).

use crate::ir::{Node, PItem, Plan};
use crate::rules::{self, Rule};
use crate::value::Value;
use rubric_check::hir::{ArithOp, Builtin, CmpOp};
use rubric_syntax::date::{Date, Duration};
use rubric_syntax::Decimal;
use std::cmp::Ordering;
use std::sync::Arc;

pub(crate) use crate::rules::Overflow;

type R = Result<Value, Overflow>;

/// Looks a customer up by key (for `x["key"]` in tests).
pub(crate) trait Lookup {
    fn eval_at(&self, key: &str, node: &Node) -> R;
}

/// What a node reads: the customer's fields, the items computed so far, its population values.
pub(crate) struct Env<'a> {
    pub fields: &'a [Value],
    pub items: &'a [Value],
    pub pops: &'a [Value],
    pub subject: Option<&'a Value>,
    pub as_of: Date,
    pub lookup: Option<&'a dyn Lookup>,
}

impl Env<'_> {
    /// An environment with nothing in it, for folding constants.
    pub fn constant(as_of: Date) -> Env<'static> {
        Env {
            fields: &[],
            items: &[],
            pops: &[],
            subject: None,
            as_of,
            lookup: None,
        }
    }
}

const MISSING: Value = Value::Missing;

#[inline]
fn get(slice: &[Value], i: usize) -> Value {
    slice.get(i).cloned().unwrap_or(MISSING)
}

/// The truth of a condition: `None` when missing (or not a bool).
#[inline]
pub(crate) fn truth(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

#[inline]
pub(crate) fn tri(b: Option<bool>) -> Value {
    match b {
        Some(b) => Value::Bool(b),
        None => Value::Missing,
    }
}

/// Orders two present values of the same kind.
pub(crate) fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Code(x), Value::Code(y)) => Some(x.cmp(y)),
        (Value::Tags(x), Value::Tags(y)) => Some(x.cmp(y)),
        (Value::Duration(x), Value::Duration(y)) if x.unit == y.unit => Some(x.count.cmp(&y.count)),
        _ => None,
    }
}

/// A comparison's truth (`None`: missing).
#[inline]
fn cmp_truth(op: CmpOp, a: &Value, b: &Value) -> Option<bool> {
    if a.is_missing() || b.is_missing() {
        return None;
    }
    let Some(o) = compare(a, b) else {
        return match op {
            CmpOp::Eq => Some(false),
            CmpOp::Ne => Some(true),
            _ => None,
        };
    };
    Some(holds(op, o))
}

/// Whether `a op b` holds, given how `a` orders against `b`.
#[inline]
pub(crate) fn holds(op: CmpOp, o: Ordering) -> bool {
    match op {
        CmpOp::Eq => o == Ordering::Equal,
        CmpOp::Ne => o != Ordering::Equal,
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Le => o != Ordering::Greater,
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::Ge => o != Ordering::Less,
    }
}

/// Evaluates a boolean node to its truth (`None`: missing) without building a value: the
/// conditions of rules and bonuses take this path.
pub(crate) fn cond(node: &Node, env: &Env<'_>) -> Result<Option<bool>, Overflow> {
    Ok(match node {
        Node::CmpK(op, a, k) => match peek(a, env) {
            Some(x) => cmp_truth(*op, x, k),
            None => cmp_truth(*op, &eval(a, env)?, k),
        },
        Node::Cmp(op, a, b) => match (peek(a, env), peek(b, env)) {
            (Some(x), Some(y)) => cmp_truth(*op, x, y),
            _ => {
                let x = eval(a, env)?;
                let y = eval(b, env)?;
                cmp_truth(*op, &x, &y)
            }
        },
        Node::And(a, b) => {
            let x = cond(a, env)?;
            if x == Some(false) {
                return Ok(Some(false));
            }
            and(x, cond(b, env)?)
        }
        Node::Or(a, b) => {
            let x = cond(a, env)?;
            if x == Some(true) {
                return Ok(Some(true));
            }
            match (x, cond(b, env)?) {
                (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            }
        }
        Node::Not(a) => cond(a, env)?.map(|b| !b),
        Node::WithinRange { date, lo, hi } => match peek(date, env) {
            Some(Value::Date(d)) => Some(*d >= *lo && *d <= *hi),
            Some(_) => None,
            None => match eval(date, env)? {
                Value::Date(d) => Some(d >= *lo && d <= *hi),
                _ => None,
            },
        },
        Node::IsMissing(a, present) => Some(match peek(a, env) {
            Some(v) => v.is_missing() != *present,
            None => eval(a, env)?.is_missing() != *present,
        }),
        Node::Const(v) => truth(v),
        other => truth(&eval(other, env)?),
    })
}

#[inline]
pub(crate) fn cmp_op(op: CmpOp, a: &Value, b: &Value) -> Value {
    if a.is_missing() || b.is_missing() {
        return Value::Missing;
    }
    let Some(o) = compare(a, b) else {
        // different kinds: only equality questions have an answer
        return match op {
            CmpOp::Eq => Value::Bool(false),
            CmpOp::Ne => Value::Bool(true),
            _ => Value::Missing,
        };
    };
    Value::Bool(holds(op, o))
}

pub(crate) fn and(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn shift(d: Date, dur: Duration, sign: i64) -> R {
    d.add(dur, sign).map(Value::Date).ok_or(Overflow)
}

fn num(d: Option<Decimal>) -> R {
    d.map(Value::Num).ok_or(Overflow)
}

/// `x in set`: true when an element equals; else missing when `x` or an element is missing
/// (SQL `IN`), else false.
pub(crate) fn in_set<'v>(v: &Value, set: impl Iterator<Item = &'v Value>, negated: bool) -> Value {
    if v.is_missing() {
        return Value::Missing;
    }
    let mut saw_missing = false;
    for e in set {
        if e.is_missing() {
            saw_missing = true;
        } else if compare(v, e) == Some(Ordering::Equal) {
            return Value::Bool(!negated);
        }
    }
    if saw_missing {
        Value::Missing
    } else {
        Value::Bool(negated)
    }
}

/// The value of a leaf node, by reference (no clone).
#[inline]
fn peek<'e>(node: &'e Node, env: &'e Env<'_>) -> Option<&'e Value> {
    match node {
        Node::Const(v) => Some(v),
        Node::Field(f) => Some(env.fields.get(*f).unwrap_or(&MISSING)),
        Node::Item(i) => Some(env.items.get(*i).unwrap_or(&MISSING)),
        Node::Pop(p) => Some(env.pops.get(*p).unwrap_or(&MISSING)),
        Node::Subject => Some(env.subject.unwrap_or(&MISSING)),
        _ => None,
    }
}

/// `x op y` over numbers: missing unless both are numbers; a quotient by zero is missing.
pub(crate) fn arith(op: ArithOp, x: &Value, y: &Value) -> R {
    let (Value::Num(x), Value::Num(y)) = (x, y) else {
        return Ok(MISSING);
    };
    let (x, y) = (*x, *y);
    match op {
        ArithOp::Add => num(x.checked_add(y)),
        ArithOp::Sub => num(x.checked_sub(y)),
        ArithOp::Mul => num(x.checked_mul(y)),
        ArithOp::Div => {
            if y.is_zero() {
                Ok(MISSING)
            } else {
                num(x.checked_div(y))
            }
        }
    }
}

pub(crate) fn neg(v: &Value) -> Value {
    match v {
        Value::Num(d) => Value::Num(-*d),
        _ => MISSING,
    }
}

/// `date ± duration` (`sign` 1 or -1).
pub(crate) fn date_shift(a: &Value, b: &Value, sign: i64) -> R {
    match (a, b) {
        (Value::Date(d), Value::Duration(dur)) => shift(*d, *dur, sign),
        _ => Ok(MISSING),
    }
}

/// `date - date` in days.
pub(crate) fn date_diff(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Date(x), Value::Date(y)) => {
            Value::Num(Decimal::from(i64::from(x.0) - i64::from(y.0)))
        }
        _ => MISSING,
    }
}

/// `tags has code`, with the code's bit.
pub(crate) fn has(t: &Value, bit: u64) -> Value {
    match t {
        Value::Tags(bits) => Value::Bool(bits & bit != 0),
        _ => MISSING,
    }
}

/// `v between lo and hi`.
pub(crate) fn between(v: &Value, lo: &Value, hi: &Value) -> Value {
    tri(and(
        truth(&cmp_op(CmpOp::Ge, v, lo)),
        truth(&cmp_op(CmpOp::Le, v, hi)),
    ))
}

/// `d within duration` of `as_of`.
pub(crate) fn within(d: &Value, dur: &Value, as_of: Date) -> R {
    match (d, dur) {
        (Value::Date(d), Value::Duration(dur)) => {
            let lo = as_of.add(*dur, -1).ok_or(Overflow)?;
            Ok(Value::Bool(*d >= lo && *d <= as_of))
        }
        _ => Ok(MISSING),
    }
}

/// `d within next duration` of `as_of`: `as_of <= d <= as_of + duration`.
pub(crate) fn within_next(d: &Value, dur: &Value, as_of: Date) -> R {
    match (d, dur) {
        (Value::Date(d), Value::Duration(dur)) => {
            let hi = as_of.add(*dur, 1).ok_or(Overflow)?;
            Ok(Value::Bool(*d >= as_of && *d <= hi))
        }
        _ => Ok(MISSING),
    }
}

/// The builtins with more than two arguments: both engines call [`call_many`] for them.
pub(crate) fn takes_many(f: Builtin) -> bool {
    matches!(f, Builtin::CountTrue | Builtin::Substr)
}

/// A builtin applied to all its evaluated arguments (`count_true`, `substr`); the others go
/// to [`call_values`].
pub(crate) fn call_many(f: Builtin, args: &[Value], as_of: Date) -> R {
    Ok(match f {
        // missing counts as not true
        Builtin::CountTrue => Value::Num(Decimal::from(
            args.iter().filter(|v| truth(v) == Some(true)).count(),
        )),
        Builtin::Substr => match args {
            [Value::Text(s), Value::Num(start), Value::Num(len)] => {
                substr(s, *start, *len).map_or(MISSING, |t| Value::Text(Arc::from(t)))
            }
            _ => MISSING,
        },
        _ => call_values(
            f,
            args.first().cloned().unwrap_or(MISSING),
            args.get(1).cloned().unwrap_or(MISSING),
            as_of,
        )?,
    })
}

/// `substr(s, start, length)` as SQL's `SUBSTRING(s FROM start FOR length)`: the characters at
/// positions `start` to `start + length - 1`, counted from 1, that exist (`start` may be 0 or
/// negative: positions before 1 hold nothing). A negative length is missing (SQL raises an
/// error there).
pub(crate) fn substr(s: &str, start: Decimal, len: Decimal) -> Option<String> {
    let (start, len) = (start.trunc().mantissa(), len.trunc().mantissa());
    if len < 0 {
        return None;
    }
    let end = start.saturating_add(len); // exclusive
    let from = start.max(1);
    if end <= from {
        return Some(String::new());
    }
    let skip = usize::try_from(from - 1).unwrap_or(usize::MAX);
    let take = usize::try_from(end - from).unwrap_or(usize::MAX);
    Some(s.chars().skip(skip).take(take).collect())
}

/// `grade.attr`: the attribute of the grade's code.
pub(crate) fn attr(g: &Value, table: &[Value]) -> Value {
    match g {
        Value::Code(c) => table.get(usize::from(*c)).cloned().unwrap_or(MISSING),
        _ => MISSING,
    }
}

/// Evaluates one node.
pub(crate) fn eval(node: &Node, env: &Env<'_>) -> R {
    Ok(match node {
        Node::Const(v) => v.clone(),
        Node::Field(f) => get(env.fields, *f),
        Node::Item(i) => get(env.items, *i),
        Node::Pop(p) => get(env.pops, *p),
        Node::Subject => env.subject.cloned().unwrap_or(MISSING),
        Node::Neg(a) => neg(&eval(a, env)?),
        Node::Not(a) => tri(cond(a, env)?.map(|b| !b)),
        Node::Arith(op, a, b) => arith(*op, &eval(a, env)?, &eval(b, env)?)?,
        Node::DateShift(a, b, sign) => date_shift(&eval(a, env)?, &eval(b, env)?, *sign)?,
        Node::DateDiff(a, b) => date_diff(&eval(a, env)?, &eval(b, env)?),
        Node::Cmp(..) | Node::CmpK(..) | Node::WithinRange { .. } => tri(cond(node, env)?),
        Node::And(a, b) => {
            let x = cond(a, env)?;
            if x == Some(false) {
                return Ok(Value::Bool(false));
            }
            tri(and(x, cond(b, env)?))
        }
        Node::Or(a, b) => {
            let x = cond(a, env)?;
            if x == Some(true) {
                return Ok(Value::Bool(true));
            }
            let y = cond(b, env)?;
            tri(match (x, y) {
                (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            })
        }
        Node::InSet {
            value,
            set,
            negated,
        } => in_set(&eval(value, env)?, set.iter(), *negated),
        Node::InList {
            value,
            list,
            negated,
        } => {
            let v = eval(value, env)?;
            let mut vals = Vec::with_capacity(list.len());
            for n in list {
                vals.push(eval(n, env)?);
            }
            in_set(&v, vals.iter(), *negated)
        }
        Node::Has(t, bit) => has(&eval(t, env)?, *bit),
        Node::Between(v, lo, hi) => between(&eval(v, env)?, &eval(lo, env)?, &eval(hi, env)?),
        Node::Within { date, duration } => {
            within(&eval(date, env)?, &eval(duration, env)?, env.as_of)?
        }
        Node::WithinNext { date, duration } => {
            within_next(&eval(date, env)?, &eval(duration, env)?, env.as_of)?
        }
        Node::IsMissing(a, present) => Value::Bool(eval(a, env)?.is_missing() != *present),
        Node::Coalesce(a, b) => match eval(a, env)? {
            Value::Missing => eval(b, env)?,
            v => v,
        },
        Node::If(c, a, b) => {
            if truth(&eval(c, env)?) == Some(true) {
                eval(a, env)?
            } else {
                eval(b, env)?
            }
        }
        Node::Call(f, args) => call(*f, args, env)?,
        Node::Attr(g, table) => attr(&eval(g, env)?, table),
        Node::Index(value, key) => match (eval(key, env)?, env.lookup) {
            (Value::Text(k), Some(l)) => l.eval_at(&k, value)?,
            _ => MISSING,
        },
    })
}

fn call(f: Builtin, args: &[Node], env: &Env<'_>) -> R {
    if takes_many(f) {
        let mut vals = Vec::with_capacity(args.len());
        for n in args {
            vals.push(eval(n, env)?);
        }
        return call_many(f, &vals, env.as_of);
    }
    let a = match args.first() {
        Some(n) => eval(n, env)?,
        None => MISSING,
    };
    let b = match args.get(1) {
        Some(n) => eval(n, env)?,
        None => MISSING,
    };
    call_values(f, a, b, env.as_of)
}

/// A builtin function applied to its (at most two) evaluated arguments; a missing argument
/// stands for an absent one.
pub(crate) fn call_values(f: Builtin, a: Value, b: Value, as_of: Date) -> R {
    Ok(match f {
        Builtin::DaysSince => match a {
            Value::Date(d) => Value::Num(Decimal::from(i64::from(as_of.0) - i64::from(d.0))),
            _ => MISSING,
        },
        Builtin::MonthsSince => match a {
            Value::Date(d) => Value::Num(Decimal::from(d.months_until(as_of))),
            _ => MISSING,
        },
        Builtin::YearsSince => match a {
            Value::Date(d) => Value::Num(Decimal::from(d.months_until(as_of) / 12)),
            _ => MISSING,
        },
        Builtin::MonthStart => match a {
            Value::Date(d) => {
                let (y, m, _) = d.ymd();
                Date::from_ymd(y, m, 1).map_or(MISSING, Value::Date)
            }
            _ => MISSING,
        },
        Builtin::Year => match a {
            Value::Date(d) => Value::Num(Decimal::from(d.year())),
            _ => MISSING,
        },
        Builtin::StartsWith | Builtin::EndsWith | Builtin::Contains => match (a, b) {
            (Value::Text(s), Value::Text(p)) => Value::Bool(match f {
                Builtin::StartsWith => s.starts_with(&*p),
                Builtin::EndsWith => s.ends_with(&*p),
                _ => s.contains(&*p),
            }),
            _ => MISSING,
        },
        Builtin::Lower => match a {
            Value::Text(s) => Value::Text(Arc::from(s.to_lowercase())),
            _ => MISSING,
        },
        Builtin::Upper => match a {
            Value::Text(s) => Value::Text(Arc::from(s.to_uppercase())),
            _ => MISSING,
        },
        Builtin::Len => match a {
            Value::Text(s) => Value::Num(Decimal::from(s.chars().count())),
            _ => MISSING,
        },
        Builtin::Min | Builtin::Max => match compare(&a, &b) {
            Some(o) => {
                let first = if f == Builtin::Min {
                    o != Ordering::Greater
                } else {
                    o != Ordering::Less
                };
                if first {
                    a
                } else {
                    b
                }
            }
            None => MISSING,
        },
        Builtin::Abs => match a {
            Value::Num(d) => Value::Num(d.abs()),
            _ => MISSING,
        },
        Builtin::Round => match (a, b) {
            (Value::Num(d), Value::Num(digits)) => {
                // a negative count of places rounds to 0 places, a huge one keeps every place
                let n = digits.trunc().mantissa();
                let places = if n < 0 {
                    0
                } else {
                    u32::try_from(n).unwrap_or(u32::MAX)
                };
                Value::Num(d.round(places))
            }
            _ => MISSING,
        },
        Builtin::CountTrue | Builtin::Substr => call_many(f, &[a, b], as_of)?,
    })
}

/// Evaluates one item for one customer, given the items it reads.
pub(crate) fn eval_item(plan: &Plan, item: usize, env: &mut Env<'_>) -> R {
    let Some(p) = plan.items.get(item) else {
        return Ok(MISSING);
    };
    match p {
        PItem::Let(n) => eval(n, env),
        PItem::Points { by, rules } => {
            let subject = match by {
                Some(b) => Some(eval(b, env)?),
                None => None,
            };
            let env = Env {
                subject: subject.as_ref(),
                ..*env
            };
            let fired = rules::first_match(rules.iter().map(|(c, _)| c.as_ref()), |c| {
                self::cond(c, &env)
            })?;
            Ok(fired
                .and_then(|k| rules.get(k))
                .map_or(MISSING, |(_, v)| Value::Num(*v)))
        }
        PItem::Score { terms, bonuses } => {
            let parts = terms.iter().map(|t| {
                let x = match eval(&t.expr, env)? {
                    Value::Num(x) => Some(x),
                    _ => None,
                };
                rules::term(x, t.weight, || match &t.bonus {
                    Some((factor, c)) => rules::bonus(*factor, self::cond(c, env)),
                    None => Ok(None),
                })
            });
            let whole = bonuses
                .iter()
                .map(|(factor, c)| rules::bonus(*factor, self::cond(c, env)));
            Ok(rules::score(parts, whole)?.map_or(MISSING, Value::Num))
        }
        PItem::Grade { by, conds, tags } => {
            let subject = match by {
                Some(b) => Some(eval(b, env)?),
                None => None,
            };
            let env = Env {
                subject: subject.as_ref(),
                ..*env
            };
            if *tags {
                let mut set = rules::Tags::default();
                for (k, cond) in conds.iter().enumerate().take(rules::MAX_TAGS) {
                    let rule = match cond {
                        None => Rule::Otherwise,
                        Some(c) => Rule::of(self::cond(c, &env)),
                    };
                    set.add(k, rule)?;
                }
                Ok(Value::Tags(set.bits()))
            } else {
                let fired =
                    rules::first_match(conds.iter().map(Option::as_ref), |c| self::cond(c, &env))?;
                Ok(fired.map_or(MISSING, |k| {
                    Value::Code(u16::try_from(k).unwrap_or(u16::MAX))
                }))
            }
        }
    }
}

/// Evaluates the items of one customer in dependency order into `items` (sized to the number
/// of items): every item, or with `stage` only the items population stage `stage` reads. Items
/// not evaluated keep whatever they held. On overflow, returns the item that overflowed.
pub(crate) fn eval_row(
    plan: &Plan,
    fields: &[Value],
    pops: &[Value],
    items: &mut Vec<Value>,
    stage: Option<u32>,
) -> Result<(), usize> {
    if items.len() != plan.items.len() {
        items.clear();
        items.resize(plan.items.len(), MISSING);
    }
    let list: &[usize] = match stage {
        Some(l) => plan
            .stage_items
            .get(l as usize - 1)
            .map_or(&[][..], |v| v.as_slice()),
        None => &plan.order,
    };
    for &i in list {
        let v = {
            let mut env = Env {
                fields,
                items,
                pops,
                subject: None,
                as_of: plan.as_of,
                lookup: None,
            };
            eval_item(plan, i, &mut env)
        };
        match v {
            Ok(v) => {
                if let Some(slot) = items.get_mut(i) {
                    *slot = v;
                }
            }
            Err(Overflow) => return Err(i),
        }
    }
    Ok(())
}
