//! [`Totals`]: every customer's accumulators, folded one event at a time.
//!
//! Laid out for ten million events over a million customers, where the time goes to memory
//! rather than arithmetic: a customer's key is found in one table whose entries hold short keys
//! inline (no pointer to chase per event), the customer's accumulators sit side by side with
//! their counts, and `count_distinct` over dates, flags and small numbers compares 64-bit codes.

use super::plan::EventPlan;
use crate::eval::{self, Env};
use crate::hash::KeyHash;
use crate::value::Value;
use rubric_check::hir::{AggFunc, AggId, EventsId};
use rubric_syntax::date::Date;
use rubric_syntax::Decimal;
use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

/// One aggregate's running state for one customer, with the events it counted (its filter held
/// and, but for `count`, its value was present).
#[derive(Clone, Debug)]
struct Acc {
    state: State,
    counted: u64,
}

#[derive(Clone, Debug)]
enum State {
    Count,
    /// The sum of the present values; `None` after an overflow.
    Sum(Option<Decimal>),
    Min(Value),
    Max(Value),
    /// Few values that [`code`] encodes (dates, flags, codes, small numbers): a list searched
    /// in order.
    Codes(Vec<u64>),
    /// Few other values.
    List(Vec<Value>),
    /// Many values.
    #[allow(clippy::box_collection)] // (boxed: a customer's accumulators stay small)
    Set(Box<HashSet<Value>>),
}

/// Past this many distinct values a customer's `count_distinct` keeps a hash set.
const SMALL_SET: usize = 32;

impl Acc {
    fn new(func: AggFunc) -> Acc {
        let state = match func {
            AggFunc::Count => State::Count,
            AggFunc::Sum | AggFunc::Avg => State::Sum(Some(Decimal::ZERO)),
            AggFunc::Min => State::Min(Value::Missing),
            AggFunc::Max => State::Max(Value::Missing),
            AggFunc::CountDistinct => State::Codes(Vec::new()),
        };
        Acc { state, counted: 0 }
    }

    /// Adds one event's value (missing values are ignored, as in SQL, except by `count`).
    fn add(&mut self, v: Value) {
        if v.is_missing() && !matches!(self.state, State::Count) {
            return;
        }
        self.counted += 1;
        match &mut self.state {
            State::Count => {}
            State::Sum(sum) => {
                if let Value::Num(x) = v {
                    *sum = sum.and_then(|s| s.checked_add(x));
                }
            }
            State::Min(m) => {
                if m.is_missing() || eval::compare(&v, m) == Some(std::cmp::Ordering::Less) {
                    *m = v;
                }
            }
            State::Max(m) => {
                if m.is_missing() || eval::compare(&v, m) == Some(std::cmp::Ordering::Greater) {
                    *m = v;
                }
            }
            State::Codes(list) => match code(&v) {
                Some(c) if list.contains(&c) => {}
                Some(c) if list.len() < SMALL_SET => list.push(c),
                _ => {
                    let mut set: HashSet<Value> = list.drain(..).map(decode).collect();
                    set.insert(normal(v));
                    self.state = if set.len() > SMALL_SET {
                        State::Set(Box::new(set))
                    } else {
                        State::List(set.into_iter().collect())
                    };
                }
            },
            State::List(list) => {
                let v = normal(v);
                if !list.contains(&v) {
                    if list.len() < SMALL_SET {
                        list.push(v);
                    } else {
                        let mut set: HashSet<Value> = list.drain(..).collect();
                        set.insert(v);
                        self.state = State::Set(Box::new(set));
                    }
                }
            }
            State::Set(set) => {
                set.insert(normal(v));
            }
        }
    }

    /// The customer's value; `Err` when a sum left the exact range.
    fn finish(&self, func: AggFunc) -> Result<Value, ()> {
        Ok(match (&self.state, func) {
            (State::Count, _) => Value::Num(Decimal::from(self.counted)),
            (State::Sum(None), _) => return Err(()),
            (State::Sum(Some(s)), AggFunc::Sum) => Value::Num(*s),
            (State::Sum(Some(s)), _) => match crate::pop::mean_of(*s, self.counted) {
                Some(m) => Value::Num(m),
                None => Value::Missing,
            },
            (State::Min(v) | State::Max(v), _) => v.clone(),
            (State::Codes(list), _) => Value::Num(Decimal::from(list.len())),
            (State::List(list), _) => Value::Num(Decimal::from(list.len())),
            (State::Set(set), _) => Value::Num(Decimal::from(set.len())),
        })
    }
}

/// Equal numbers count once in `count_distinct` whatever their scale (`1.0` and `1`).
fn normal(v: Value) -> Value {
    match v {
        Value::Num(d) => Value::Num(d.normalize()),
        v => v,
    }
}

/// A value as an exact 64-bit code, for the values that have one: a date, a flag, a grade's
/// code, a number whose normalised mantissa fits 32 bits. Two values have the same code
/// exactly when `count_distinct` counts them once; [`decode`] is the inverse.
fn code(v: &Value) -> Option<u64> {
    const DATE: u64 = 1 << 60;
    const BOOL: u64 = 2 << 60;
    const CODE: u64 = 3 << 60;
    const NUM: u64 = 4 << 60;
    match v {
        Value::Date(d) => Some(DATE | u64::from(d.0 as u32)),
        Value::Bool(b) => Some(BOOL | u64::from(*b)),
        Value::Code(c) => Some(CODE | u64::from(*c)),
        Value::Num(d) => {
            let d = d.normalize();
            let m = i32::try_from(d.mantissa()).ok()?;
            Some(NUM | u64::from(d.scale()) << 32 | u64::from(m as u32))
        }
        _ => None,
    }
}

fn decode(c: u64) -> Value {
    let low = (c & 0xFFFF_FFFF) as u32;
    match c >> 60 {
        1 => Value::Date(Date(low as i32)),
        2 => Value::Bool(low != 0),
        3 => Value::Code(low as u16),
        _ => {
            let scale = ((c >> 32) & 0xFF) as u32;
            Decimal::from_parts(i128::from(low as i32), scale).map_or(Value::Missing, Value::Num)
        }
    }
}

/// A customer key in the index: a short key inline, so that a lookup compares it where the
/// table's probe lands; a long one on the heap.
#[derive(Clone, Debug)]
enum Key {
    Inline { len: u8, bytes: [u8; 22] },
    Heap(Box<[u8]>),
}

impl Key {
    fn new(b: &[u8]) -> Key {
        match u8::try_from(b.len()) {
            Ok(len) if b.len() <= 22 => {
                let mut bytes = [0u8; 22];
                bytes[..b.len()].copy_from_slice(b);
                Key::Inline { len, bytes }
            }
            _ => Key::Heap(b.into()),
        }
    }
    fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Key::Heap(b) => b,
        }
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}
impl Eq for Key {}
impl Hash for Key {
    // (as `[u8]` hashes: lookups go by the key's bytes)
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.as_bytes().hash(h);
    }
}
impl Borrow<[u8]> for Key {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// Why an event is not counted: its filter or value could not be computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventOverflow {
    pub aggregate: AggId,
}

/// Every customer's accumulators, in the order their keys were first seen.
#[derive(Clone, Debug, Default)]
pub struct Totals {
    index: HashMap<Key, u32, KeyHash>,
    /// The keys back to back, in customer order; customer `c`'s ends at `ends[c]`.
    keys: String,
    ends: Vec<usize>,
    /// Per customer: the events block and line of their first event.
    first: Vec<(EventsId, u64)>,
    /// Customer-major: `accs[c * naggs + a]`.
    accs: Vec<Acc>,
    naggs: usize,
    /// The customers in the order of their first event, when that is not the order of their
    /// numbers (after [`Totals::absorb`] joined parts); empty otherwise.
    order: Vec<u32>,
    /// One event's values, before any is folded (reused).
    scratch: Vec<Option<Value>>,
}

impl Totals {
    pub fn new(plan: &EventPlan) -> Totals {
        Totals {
            naggs: plan.aggs.len(),
            ..Totals::default()
        }
    }

    fn slot(&mut self, plan: &EventPlan, key: &str, events: EventsId, line: u64) -> usize {
        if let Some(&c) = self.index.get(key.as_bytes()) {
            return c as usize;
        }
        let c = self.ends.len();
        // (more than 4 billion customers do not fit in memory anyway)
        self.index.insert(
            Key::new(key.as_bytes()),
            u32::try_from(c).unwrap_or(u32::MAX),
        );
        self.keys.push_str(key);
        self.ends.push(self.keys.len());
        self.first.push((events, line));
        self.accs.extend(plan.aggs.iter().map(|a| Acc::new(a.func)));
        if !self.order.is_empty() {
            self.order.push(u32::try_from(c).unwrap_or(u32::MAX));
        }
        c
    }

    /// Folds one event of block `events` (its field values, in the block's field order) into
    /// the accumulators of customer `key`. An event whose filter or value overflows counts
    /// nowhere and is reported, so the caller can reject it.
    pub fn add(
        &mut self,
        plan: &EventPlan,
        events: EventsId,
        key: &str,
        line: u64,
        fields: &[Value],
    ) -> Result<(), EventOverflow> {
        let env = Env {
            fields,
            items: &[],
            pops: &[],
            subject: None,
            as_of: plan.as_of,
            lookup: None,
        };
        let aggs = plan.by_block[events].as_slice();
        // compute every value first, so that an overflowing event counts nowhere
        let mut values = std::mem::take(&mut self.scratch);
        values.clear();
        for &a in aggs {
            let p = &plan.aggs[a];
            let counted = match &p.filter {
                Some(f) => eval::cond(f, &env).map_err(|_| EventOverflow { aggregate: a })?,
                None => Some(true),
            };
            if counted != Some(true) {
                values.push(None);
                continue;
            }
            let v = match &p.arg {
                Some(arg) => eval::eval(arg, &env).map_err(|_| EventOverflow { aggregate: a })?,
                None => Value::Bool(true),
            };
            values.push(Some(v));
        }
        let c = self.slot(plan, key, events, line);
        let base = c * self.naggs;
        for (&a, v) in aggs.iter().zip(values.drain(..)) {
            if let (Some(v), Some(acc)) = (v, self.accs.get_mut(base + a)) {
                acc.add(v);
            }
        }
        self.scratch = values;
        Ok(())
    }

    /// Takes in the totals of events block `block` folded in parts (by workers, each over its
    /// own customers). A customer new to `self` comes after those it has, in the order of
    /// their first event, where one fold over the whole file would have put them.
    pub(crate) fn absorb(&mut self, plan: &EventPlan, block: EventsId, parts: Vec<Totals>) {
        if self.ends.is_empty() {
            self.join(parts);
            return;
        }
        // a later block: its customers are looked up among those of the earlier ones
        if self.order.is_empty() {
            self.order = (0..self.ends.len())
                .map(|c| u32::try_from(c).unwrap_or(u32::MAX))
                .collect();
        }
        let mut order: Vec<(u64, u32, u32)> = Vec::new();
        for (p, part) in parts.iter().enumerate() {
            order.extend(
                part.first
                    .iter()
                    .enumerate()
                    .map(|(c, &(_, line))| (line, p as u32, c as u32)),
            );
        }
        // (a customer's first line is no other customer's)
        order.sort_unstable();
        let mut parts = parts;
        let aggs = plan.by_block[block].as_slice();
        for (_, p, c) in order {
            let Some(part) = parts.get_mut(p as usize) else {
                continue;
            };
            let c = c as usize;
            let (events, line) = part.first(c);
            let slot = self.slot(plan, part.key(c), events, line);
            for &a in aggs {
                if let (Some(from), Some(to)) = (
                    part.accs.get_mut(c * part.naggs + a),
                    self.accs.get_mut(slot * self.naggs + a),
                ) {
                    *to = std::mem::replace(from, Acc::new(AggFunc::Count));
                }
            }
        }
    }

    /// The parts side by side (each part's memory is given back as it is taken in), with the
    /// order of first events kept in `order`.
    fn join(&mut self, parts: Vec<Totals>) {
        let mut parts = parts.into_iter();
        let Some(first) = parts.next() else {
            return;
        };
        let single = parts.len() == 0;
        *self = first;
        if single {
            return;
        }
        for mut part in parts {
            let base = self.ends.len();
            let offset = self.keys.len();
            self.keys.push_str(&part.keys);
            self.ends.extend(part.ends.iter().map(|e| e + offset));
            self.first.append(&mut part.first);
            self.accs.append(&mut part.accs);
            self.index.reserve(part.index.len());
            for (k, c) in part.index.drain() {
                self.index
                    .insert(k, c.saturating_add(u32::try_from(base).unwrap_or(u32::MAX)));
            }
        }
        let mut order: Vec<u32> = (0..self.ends.len())
            .map(|c| u32::try_from(c).unwrap_or(u32::MAX))
            .collect();
        // (a customer's first line is no other customer's: the events are of one block)
        order.sort_unstable_by_key(|&c| self.first.get(c as usize).copied());
        self.order = order;
    }

    /// The customer `i`th in the order of first events.
    pub fn in_order(&self, i: usize) -> usize {
        match self.order.get(i) {
            Some(&c) => c as usize,
            None => i,
        }
    }

    /// The number of customers with at least one event.
    pub fn customers(&self) -> usize {
        self.ends.len()
    }

    /// Customer `c`'s key (`""` past the end).
    pub fn key(&self, c: usize) -> &str {
        let Some(&end) = self.ends.get(c) else {
            return "";
        };
        let start = if c == 0 { 0 } else { self.ends[c - 1] };
        &self.keys[start..end]
    }

    /// Customer `c`'s first event: its block and line.
    pub fn first(&self, c: usize) -> (EventsId, u64) {
        self.first[c]
    }

    /// The customers with events by number (see [`Totals::in_order`] for the order of their
    /// first events), with their first event's block and line.
    pub fn keys(&self) -> impl Iterator<Item = (&str, (EventsId, u64))> + '_ {
        (0..self.customers()).map(|c| (self.key(c), self.first(c)))
    }

    /// How many events aggregate `a` counted for customer `c` (0 without events).
    pub fn counted(&self, c: Option<usize>, a: AggId) -> u64 {
        c.and_then(|c| self.accs.get(c * self.naggs + a))
            .map_or(0, |acc| acc.counted)
    }

    /// The index of customer `key`, if it has events.
    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.index.get(key.as_bytes()).map(|&c| c as usize)
    }

    /// Customer `c`'s aggregate values, in aggregate order (`None`: no events, the empty
    /// values), into `out`; `Err(a)` names an aggregate whose sum left the exact range.
    pub fn finish(
        &self,
        plan: &EventPlan,
        c: Option<usize>,
        out: &mut Vec<Value>,
    ) -> Result<(), AggId> {
        out.clear();
        for (a, p) in plan.aggs.iter().enumerate() {
            let v = match c.and_then(|c| self.accs.get(c * self.naggs + a)) {
                Some(acc) => acc.finish(p.func).map_err(|()| a)?,
                None => Acc::new(p.func).finish(p.func).map_err(|()| a)?,
            };
            out.push(v);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_exact_and_decode_back() {
        let values = [
            Value::Date(Date(-719_162)),
            Value::Date(Date(2_932_896)),
            Value::Bool(true),
            Value::Bool(false),
            Value::Code(7),
            Value::Num(Decimal::from(0)),
            Value::Num(Decimal::from(-5)),
            Value::Num(Decimal::from_parts(12_345, 2).unwrap_or(Decimal::ZERO)),
            Value::Num(Decimal::from_parts(i128::from(i32::MIN), 0).unwrap_or(Decimal::ZERO)),
        ];
        for v in &values {
            let c = code(v);
            assert!(c.is_some(), "{v:?}");
            assert_eq!(c.map(decode).as_ref(), Some(&normal(v.clone())), "{v:?}");
        }
        // equal numbers of different scales share a code; a big one has none
        let one = Value::Num(Decimal::from(1));
        let one_0 = Value::Num(Decimal::from_parts(10, 1).unwrap_or(Decimal::ZERO));
        assert_eq!(code(&one), code(&one_0));
        assert_eq!(code(&Value::Num(Decimal::from(1i64 << 40))), None);
        assert_eq!(code(&Value::Text("a".into())), None);
        assert_ne!(
            code(&Value::Date(Date(1))),
            code(&Value::Num(Decimal::from(1)))
        );
    }

    #[test]
    fn count_distinct_counts_each_value_once_past_every_representation() {
        let mut acc = Acc::new(AggFunc::CountDistinct);
        // dates as codes, then a text forces a list, then enough values force a set
        for d in 0..10 {
            acc.add(Value::Date(Date(d)));
            acc.add(Value::Date(Date(d)));
        }
        acc.add(Value::Text("x".into()));
        acc.add(Value::Text("x".into()));
        acc.add(Value::Missing);
        assert_eq!(
            acc.finish(AggFunc::CountDistinct),
            Ok(Value::Num(Decimal::from(11)))
        );
        for d in 0..100 {
            acc.add(Value::Date(Date(d)));
        }
        assert_eq!(
            acc.finish(AggFunc::CountDistinct),
            Ok(Value::Num(Decimal::from(101)))
        );
        // 1 and 1.0 are one value
        let mut acc = Acc::new(AggFunc::CountDistinct);
        acc.add(Value::Num(Decimal::from(1)));
        acc.add(Value::Num(
            Decimal::from_parts(10, 1).unwrap_or(Decimal::ZERO),
        ));
        assert_eq!(
            acc.finish(AggFunc::CountDistinct),
            Ok(Value::Num(Decimal::ONE))
        );
    }

    #[test]
    fn long_and_short_keys_are_found() {
        let mut t = Totals::default();
        let plan = EventPlan {
            as_of: Date(0),
            aggs: Vec::new(),
            by_block: vec![Vec::new()],
        };
        let long = "客".repeat(20);
        for (i, k) in [
            "a",
            "",
            &long,
            "abcdefghijklmnopqrstuv",
            "abcdefghijklmnopqrstuvw",
        ]
        .iter()
        .enumerate()
        {
            assert_eq!(t.add(&plan, 0, k, i as u64, &[]), Ok(()));
        }
        assert_eq!(t.customers(), 5);
        assert_eq!(t.index_of(&long), Some(2));
        assert_eq!(t.key(2), long);
        assert_eq!(t.index_of("abcdefghijklmnopqrstuvw"), Some(4));
        assert_eq!(t.index_of("b"), None);
        let keys: Vec<&str> = t.keys().map(|(k, _)| k).collect();
        assert_eq!(keys[..2], ["a", ""]);
    }
}
