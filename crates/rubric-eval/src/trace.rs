//! Why a customer got a value: each rule in order with its outcome and the values that decided
//! it (for `rubric test` failures, `rubric explain` and `rubric run --explain`).

use crate::eval::{self, Env};
use crate::ir::{Node, Plan};
use crate::model::expr_text;
use crate::plan::for_each_child;
use crate::population::Evaluation;
use crate::rules::{self, Rule, Tags};
use crate::value::{format_decimal, Value, ValueFormat};
use rubric_check::hir::{ItemId, ItemKind, Model, TExpr, TExprKind, Ty};
use rubric_syntax::{Decimal, Span};

/// The outcome of one rule or bonus condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    True,
    False,
    /// The condition is missing (it read a missing value): the rule does not fire.
    Missing,
    /// An `otherwise` rule that was reached (for tags: no other tag matched).
    Otherwise,
    /// A rule after the one that fired.
    NotReached,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::True => "true",
            Outcome::False => "false",
            Outcome::Missing => "missing",
            Outcome::Otherwise => "otherwise",
            Outcome::NotReached => "not reached",
        }
    }
    /// Whether the rule gave the value.
    pub fn fired(self) -> bool {
        matches!(self, Outcome::True | Outcome::Otherwise)
    }
    /// How a rule that was reached came out.
    pub(crate) fn of(rule: Rule) -> Outcome {
        match rule {
            Rule::Otherwise => Outcome::Otherwise,
            Rule::Cond(Some(true)) => Outcome::True,
            Rule::Cond(Some(false)) => Outcome::False,
            Rule::Cond(None) | Rule::Overflow => Outcome::Missing,
        }
    }
}

/// A value read by a condition: a field, a let, points, a grade, a population function or the
/// `by` subject.
#[derive(Clone, Debug)]
pub struct Leaf {
    /// As written, e.g. `revenue`, `cumulative_share(revenue)`, `tier.owner`.
    pub name: String,
    pub value: Value,
    pub ty: Ty,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct RuleTrace {
    /// The code index (grades, tags) or the rule index (points).
    pub index: usize,
    /// The code name (grades, tags) or the points value (points).
    pub label: String,
    pub outcome: Outcome,
    pub leaves: Vec<Leaf>,
    /// The condition's span (the whole rule for `otherwise`).
    pub span: Span,
    pub is_otherwise: bool,
}

#[derive(Clone, Debug)]
pub struct BonusTrace {
    pub factor: Decimal,
    pub outcome: Outcome,
    pub leaves: Vec<Leaf>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct TermTrace {
    pub value: Value,
    pub weight: Decimal,
    pub bonus: Option<BonusTrace>,
    /// weight × value (× bonus), missing when the value is.
    pub contribution: Value,
    /// The term expression as written.
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum TraceDetail {
    Let {
        leaves: Vec<Leaf>,
    },
    /// Points, grade and tags: every rule in order.
    Rules {
        subject: Option<Leaf>,
        rules: Vec<RuleTrace>,
    },
    Score {
        terms: Vec<TermTrace>,
        bonuses: Vec<BonusTrace>,
    },
}

/// One item for one customer.
#[derive(Clone, Debug)]
pub struct Trace {
    pub item: ItemId,
    pub name: String,
    pub value: Value,
    pub ty: Ty,
    pub detail: TraceDetail,
}

impl Trace {
    /// The rules that fired (one for a grade or points, any number for tags).
    pub fn fired(&self) -> Vec<&RuleTrace> {
        match &self.detail {
            TraceDetail::Rules { rules, .. } => {
                rules.iter().filter(|r| r.outcome.fired()).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The `--explain` text of a grade, tags or points: the rule that fired with the deciding
    /// values written into its condition, e.g. `gold: cumulative_share(revenue) = 0.62 <= 75%`.
    /// `src` is the scheme's source text.
    pub fn why(&self, src: &str, model: &Model) -> String {
        match &self.detail {
            TraceDetail::Rules { subject, rules } => {
                let fired: Vec<String> = rules
                    .iter()
                    .filter(|r| r.outcome.fired())
                    .map(|r| {
                        if r.is_otherwise {
                            return format!("{}: otherwise", r.label);
                        }
                        let mut text = annotate(src, r.span, &r.leaves, model);
                        if let Some(s) = subject {
                            if starts_with_operator(&text) {
                                text =
                                    format!("{} = {} {text}", s.name, show(&s.value, &s.ty, model));
                            }
                        }
                        format!("{}: {text}", r.label)
                    })
                    .collect();
                if fired.is_empty() {
                    let missing: Vec<String> = rules
                        .iter()
                        .flat_map(|r| r.leaves.iter())
                        .chain(subject.iter())
                        .filter(|l| l.value.is_missing())
                        .map(|l| l.name.clone())
                        .fold(Vec::new(), |mut acc, n| {
                            if !acc.contains(&n) {
                                acc.push(n);
                            }
                            acc
                        });
                    if missing.is_empty() {
                        "no rule matched".to_string()
                    } else {
                        format!("no rule matched ({} missing)", missing.join(", "))
                    }
                } else {
                    fired.join(" | ")
                }
            }
            TraceDetail::Score { terms, bonuses } => {
                let mut parts: Vec<String> = terms
                    .iter()
                    .map(|t| {
                        let mut s = format!(
                            "{} = {} × {}",
                            t.name,
                            show(&t.value, &Ty::Decimal, model),
                            format_decimal(t.weight)
                        );
                        if let Some(b) = &t.bonus {
                            if b.outcome == Outcome::True {
                                s.push_str(&format!(" × {}", format_decimal(b.factor)));
                            }
                        }
                        s
                    })
                    .collect();
                for b in bonuses {
                    if b.outcome == Outcome::True {
                        parts.push(format!("bonus × {}", format_decimal(b.factor)));
                    }
                }
                parts.join(", ")
            }
            TraceDetail::Let { leaves } => leaves
                .iter()
                .map(|l| format!("{} = {}", l.name, show(&l.value, &l.ty, model)))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

fn starts_with_operator(text: &str) -> bool {
    let t = text.trim_start();
    [
        "<", ">", "=", "!", "in ", "in[", "not in", "between", "within", "is ",
    ]
    .iter()
    .any(|p| t.starts_with(p))
}

/// A value for people: like the output, but `missing` for missing and a long fraction without
/// its trailing zeros. It stays exact, so a comparison it decides reads true or false on its
/// face (`0.7000381 <= 70%` is false; shortened to `0.7` it would read true); only beyond 16
/// places (a quotient's precision) is it rounded, and marked `≈`.
pub fn show(v: &Value, ty: &Ty, model: &Model) -> String {
    match v {
        Value::Missing => "missing".into(),
        Value::Num(d) if d.scale() > 6 => {
            let n = d.normalize();
            if n.scale() > 16 {
                format!("≈{}", format_decimal(n.round(16).normalize()))
            } else {
                format_decimal(n)
            }
        }
        Value::Text(t) => format!("{:?}", t.as_ref()),
        _ => ValueFormat::new(ty, model).format(v),
    }
}

/// The condition's source text with ` = value` written after every leaf.
fn annotate(src: &str, span: Span, leaves: &[Leaf], model: &Model) -> String {
    let (start, end) = (span.start, span.end);
    let Some(text) = src.get(start..end) else {
        return leaves
            .iter()
            .map(|l| format!("{} = {}", l.name, show(&l.value, &l.ty, model)))
            .collect::<Vec<_>>()
            .join(", ");
    };
    let mut marks: Vec<(usize, String)> = leaves
        .iter()
        .filter(|l| l.span.start >= start && l.span.end <= end && l.span.end > l.span.start)
        .map(|l| {
            (
                l.span.end - start,
                format!(" = {}", show(&l.value, &l.ty, model)),
            )
        })
        .collect();
    marks.sort_by_key(|m| m.0);
    marks.dedup_by_key(|m| m.0);
    let mut out = String::new();
    let mut at = 0;
    for (pos, ins) in marks {
        out.push_str(text.get(at..pos).unwrap_or(""));
        out.push_str(&ins);
        at = pos;
    }
    out.push_str(text.get(at..).unwrap_or(""));
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A compiled leaf: its name, how to read its value, its type and where it is.
#[derive(Clone, Debug)]
struct LeafPlan {
    name: String,
    node: Node,
    ty: Ty,
    span: Span,
}

#[derive(Clone, Debug)]
struct CondPlan {
    node: Node,
    leaves: Vec<LeafPlan>,
    span: Span,
}

/// A score term: its value, weight and optional bonus.
type TermPlan = (LeafPlan, Decimal, Option<(Decimal, CondPlan)>);

#[derive(Clone, Debug)]
enum ItemExplain {
    Let(Vec<LeafPlan>),
    Rules {
        subject: Option<LeafPlan>,
        rules: Vec<(String, Option<CondPlan>, Span)>,
        first_match: bool,
    },
    Score {
        terms: Vec<TermPlan>,
        bonuses: Vec<(Decimal, CondPlan)>,
    },
}

/// Traces prepared once per scheme, then computed per customer.
#[derive(Clone, Debug)]
pub struct Explainer {
    items: Vec<ItemExplain>,
}

/// The values of one customer that a trace reads.
pub(crate) struct RowView<'a> {
    pub fields: &'a [Value],
    pub items: &'a [Value],
    pub pops: &'a [Value],
}

impl Explainer {
    pub fn new(plan: &Plan, model: &Model) -> Explainer {
        let cond = |e: &TExpr| CondPlan {
            node: plan.compile_expr(model, e),
            leaves: leaves(plan, model, e),
            span: e.span,
        };
        let items = model
            .items
            .iter()
            .map(|item| match &item.kind {
                ItemKind::Let { value } => ItemExplain::Let(leaves(plan, model, value)),
                ItemKind::Points { by, rules } => ItemExplain::Rules {
                    subject: by.as_ref().map(|b| leaf(plan, model, b)),
                    rules: rules
                        .iter()
                        .map(|r| (format_decimal(r.value), r.cond.as_ref().map(cond), r.span))
                        .collect(),
                    first_match: true,
                },
                ItemKind::Grade(g) => ItemExplain::Rules {
                    subject: g.by.as_ref().map(|b| leaf(plan, model, b)),
                    rules: g
                        .codes
                        .iter()
                        .map(|c| (c.name.clone(), c.cond.as_ref().map(cond), c.rule_span))
                        .collect(),
                    first_match: !g.is_tags,
                },
                ItemKind::Score { terms, bonuses } => ItemExplain::Score {
                    terms: terms
                        .iter()
                        .map(|t| {
                            (
                                leaf(plan, model, &t.expr),
                                t.weight,
                                t.bonus.as_ref().map(|b| (b.factor, cond(&b.cond))),
                            )
                        })
                        .collect(),
                    bonuses: bonuses.iter().map(|b| (b.factor, cond(&b.cond))).collect(),
                },
            })
            .collect();
        Explainer { items }
    }

    pub(crate) fn trace_view(
        &self,
        plan: &Plan,
        model: &Model,
        row: &RowView<'_>,
        item: ItemId,
        lookup: Option<&Evaluation<'_>>,
    ) -> Trace {
        let base = Env {
            fields: row.fields,
            items: row.items,
            pops: row.pops,
            subject: None,
            as_of: plan.as_of,
            lookup: lookup.map(|l| l as &dyn eval::Lookup),
        };
        let value = row.items[item].clone();
        let (name, ty) = model
            .items
            .get(item)
            .map_or((String::new(), Ty::Error), |i| {
                (i.name.clone(), i.ty.clone())
            });
        let read = |l: &LeafPlan, env: &Env<'_>| Leaf {
            name: l.name.clone(),
            value: eval::eval(&l.node, env).unwrap_or(Value::Missing),
            ty: l.ty.clone(),
            span: l.span,
        };
        // (a row whose evaluation overflowed is rejected, never explained: an overflow here
        // reads as missing)
        let rule = |c: &CondPlan, env: &Env<'_>| Rule::of(eval::cond(&c.node, env));
        let outcome = |c: &CondPlan, env: &Env<'_>| Outcome::of(rule(c, env));
        let detail = match self.items.get(item) {
            None => TraceDetail::Let { leaves: Vec::new() },
            Some(ItemExplain::Let(ls)) => TraceDetail::Let {
                leaves: ls.iter().map(|l| read(l, &base)).collect(),
            },
            Some(ItemExplain::Rules {
                subject,
                rules,
                first_match,
            }) => {
                let subject = subject.as_ref().map(|s| read(s, &base));
                let env = Env {
                    subject: subject.as_ref().map(|s| &s.value),
                    ..base
                };
                // decided by the rules' own definitions: first match or tags
                let mut pick = rules::OPEN;
                let mut tags = Tags::default();
                let mut out = Vec::with_capacity(rules.len());
                for (index, (label, cond, span)) in rules.iter().enumerate() {
                    let k = u32::try_from(index).unwrap_or(rules::OVERFLOWED);
                    let (r, leaves, span) = match cond {
                        _ if *first_match && pick != rules::OPEN => {
                            out.push(RuleTrace {
                                index,
                                label: label.clone(),
                                outcome: Outcome::NotReached,
                                leaves: Vec::new(),
                                span: *span,
                                is_otherwise: cond.is_none(),
                            });
                            continue;
                        }
                        None => (Rule::Otherwise, Vec::new(), *span),
                        Some(c) => (
                            rule(c, &env),
                            c.leaves.iter().map(|l| read(l, &env)).collect(),
                            c.span,
                        ),
                    };
                    if *first_match {
                        pick = rules::first_match_step(pick, k, r);
                    } else if index < rules::MAX_TAGS {
                        // (an overflow is not explained; see above)
                        let _ = tags.add(index, r);
                    }
                    out.push(RuleTrace {
                        index,
                        label: label.clone(),
                        outcome: Outcome::of(r),
                        leaves,
                        span,
                        is_otherwise: cond.is_none(),
                    });
                }
                if !*first_match && tags.any() {
                    // tags: `otherwise` only fires when no other tag matched
                    for r in &mut out {
                        if r.outcome == Outcome::Otherwise {
                            r.outcome = Outcome::NotReached;
                        }
                    }
                }
                TraceDetail::Rules {
                    subject,
                    rules: out,
                }
            }
            Some(ItemExplain::Score { terms, bonuses }) => {
                let terms = terms
                    .iter()
                    .map(|(l, weight, bonus)| {
                        let v = read(l, &base);
                        let bonus = bonus.as_ref().map(|(factor, c)| BonusTrace {
                            factor: *factor,
                            outcome: outcome(c, &base),
                            leaves: c.leaves.iter().map(|l| read(l, &base)).collect(),
                            span: c.span,
                        });
                        // the part the score adds, by the score's own definition
                        let x = match &v.value {
                            Value::Num(x) => Some(*x),
                            _ => None,
                        };
                        let holds = bonus
                            .as_ref()
                            .map(|b| (b.factor, b.outcome == Outcome::True));
                        let part =
                            rules::term(x, *weight, || Ok(holds.and_then(|(f, h)| h.then_some(f))));
                        let contribution = match part {
                            Ok(Some(p)) => Value::Num(p),
                            Ok(None) | Err(_) => Value::Missing,
                        };
                        TermTrace {
                            value: v.value,
                            weight: *weight,
                            bonus,
                            contribution,
                            name: v.name,
                            span: v.span,
                        }
                    })
                    .collect();
                let bonuses = bonuses
                    .iter()
                    .map(|(factor, c)| BonusTrace {
                        factor: *factor,
                        outcome: outcome(c, &base),
                        leaves: c.leaves.iter().map(|l| read(l, &base)).collect(),
                        span: c.span,
                    })
                    .collect();
                TraceDetail::Score { terms, bonuses }
            }
        };
        Trace {
            item,
            name,
            value,
            ty,
            detail,
        }
    }
}

impl Evaluation<'_> {
    /// Why accepted row `row` has its value of `item`.
    pub fn trace(&self, model: &Model, row: usize, item: ItemId) -> Trace {
        let ex = Explainer::new(self.plan, model);
        self.trace_with(&ex, model, row, item)
    }

    /// [`Evaluation::trace`] with an [`Explainer`] prepared once.
    pub fn trace_with(&self, ex: &Explainer, model: &Model, row: usize, item: ItemId) -> Trace {
        let env = self.env(row);
        let view = RowView {
            fields: env.fields,
            items: env.items,
            pops: env.pops,
        };
        ex.trace_view(self.plan, model, &view, item, Some(self))
    }
}

fn leaf(plan: &Plan, model: &Model, e: &TExpr) -> LeafPlan {
    LeafPlan {
        name: expr_text(model, e),
        node: plan.compile_expr(model, e),
        ty: e.ty.clone(),
        span: e.span,
    }
}

/// The values a condition reads: fields, items, population functions, attributes, the subject.
fn leaves(plan: &Plan, model: &Model, e: &TExpr) -> Vec<LeafPlan> {
    fn walk<'e>(e: &'e TExpr, out: &mut Vec<&'e TExpr>) {
        match &e.kind {
            TExprKind::Field(_)
            | TExprKind::Item(_)
            | TExprKind::Pop(_)
            | TExprKind::Attr { .. }
            | TExprKind::Subject => out.push(e),
            _ => for_each_child(e, |c| walk(c, out)),
        }
    }
    let mut found = Vec::new();
    walk(e, &mut found);
    let mut out: Vec<LeafPlan> = Vec::new();
    for f in found {
        if matches!(f.kind, TExprKind::Subject) {
            continue;
        }
        out.push(leaf(plan, model, f));
    }
    out
}
