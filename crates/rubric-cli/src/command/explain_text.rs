//! Text for business readers, shared by `rubric explain` and `rubric test`: numbers with
//! thousands separators, codes with their labels, fields by their column header, and rule
//! traces (every rule in order, whether it fired, and the values it read).

use rubric_check::hir::{CmpOp, ItemId, ItemKind, Model, TExpr, TExprKind, Ty};
use rubric_eval::{Evaluation, Leaf, Outcome, Trace, TraceDetail, Value};
use rubric_fmt::display_width;
use rubric_syntax::ast::Literal;
use rubric_syntax::Decimal;

/// `1234567.5` → `1,234,567.5`. `fixed2` prints exactly two decimals (money-like fields).
pub fn number(d: Decimal, fixed2: bool) -> String {
    let text = if fixed2 {
        format!("{d:.2}")
    } else {
        let n = if d.normalize().scale() > 4 {
            d.round(4)
        } else {
            d
        };
        let n = n.normalize();
        if n.is_zero() {
            "0".to_string()
        } else {
            n.to_string()
        }
    };
    let (sign, rest) = match text.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", text.as_str()),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    let mut grouped = String::new();
    let digits: Vec<char> = int.chars().collect();
    for (k, c) in digits.iter().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(*c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A share as a percentage: `0.6167` → `61.67%`.
pub fn percent(d: Decimal) -> String {
    match d.checked_mul(Decimal::ONE_HUNDRED) {
        Some(p) => format!("{}%", number(p.round(2), false)),
        None => number(d, false),
    }
}

/// A code with its label: `gold "黄金级"`.
pub fn code(model: &Model, grade: ItemId, index: usize) -> String {
    match model.grade(grade).and_then(|g| g.codes.get(index)) {
        Some(c) => match &c.label {
            Some(l) => format!("{} \"{l}\"", c.name),
            None => c.name.clone(),
        },
        None => format!("#{index}"),
    }
}

/// A value for people. `fixed2` prints numbers with two decimals.
pub fn value(v: &Value, ty: &Ty, model: &Model, fixed2: bool) -> String {
    match v {
        Value::Missing => "missing".to_string(),
        Value::Num(d) => number(*d, fixed2),
        Value::Text(t) => format!("\"{t}\""),
        Value::Bool(b) => b.to_string(),
        Value::Date(d) => d.to_string(),
        Value::Duration(d) => d.to_string(),
        Value::Code(c) => match ty {
            Ty::Grade(g) | Ty::Tags(g) => code(model, *g, usize::from(*c)),
            _ => format!("#{c}"),
        },
        Value::Tags(bits) => {
            let (Ty::Tags(g) | Ty::Grade(g)) = ty else {
                return format!("{bits:#b}");
            };
            let n = model.grade(*g).map_or(0, |gd| gd.codes.len()).min(64);
            let names: Vec<String> = (0..n)
                .filter(|i| bits & (1u64 << i) != 0)
                .map(|i| code(model, *g, i))
                .collect();
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        }
    }
}

/// Whether a name is a `decimal` input field (its values print with two decimals).
pub fn is_decimal_field(model: &Model, name: &str) -> bool {
    model
        .field_named(name)
        .and_then(|f| model.fields.get(f))
        .is_some_and(|f| f.ty == Ty::Decimal)
}

/// A leaf's name for people: a field also shows its column header (`revenue (营业额)`), an
/// item its label.
pub fn leaf_name(model: &Model, name: &str) -> String {
    if let Some(f) = model.field_named(name).and_then(|f| model.fields.get(f)) {
        if f.column != f.name {
            return format!("{} ({})", f.name, f.column);
        }
    }
    if let Some(item) = model.item_named(name).and_then(|i| model.items.get(i)) {
        if let Some(l) = &item.label {
            return format!("{} ({l})", item.name);
        }
    }
    name.to_string()
}

fn leaf_text(model: &Model, l: &Leaf) -> String {
    format!(
        "{} = {}",
        leaf_name(model, &l.name),
        value(&l.value, &l.ty, model, is_decimal_field(model, &l.name))
    )
}

/// Source text with its whitespace (line breaks included) collapsed.
pub fn source_text(src: &str, span: rubric_syntax::Span) -> String {
    src.get(span.start..span.end)
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The value of an item for people, e.g. `gold "黄金级"` or `81.75`.
pub fn item_value(model: &Model, trace: &Trace) -> String {
    value(&trace.value, &trace.ty, model, false)
}

/// The heading of an item: `tier 客户等级`.
pub fn item_heading(model: &Model, item: ItemId) -> String {
    match model.items.get(item) {
        Some(i) => match &i.label {
            Some(l) => format!("{} {} \"{l}\"", i.keyword(), i.name),
            None => format!("{} {}", i.keyword(), i.name),
        },
        None => String::new(),
    }
}

/// The lines of a trace, each starting with `indent`: every rule in order with its outcome and
/// the values it read; score terms with their contributions; a let's inputs.
pub fn trace_lines(model: &Model, src: &str, trace: &Trace, indent: &str) -> Vec<String> {
    let mut out = Vec::new();
    match &trace.detail {
        TraceDetail::Rules { subject, rules } => {
            if let Some(s) = subject {
                out.push(format!("{indent}by {}", leaf_text(model, s)));
            }
            let grade = model.grade(trace.item).map(|_| trace.item);
            let labels: Vec<String> = rules
                .iter()
                .map(|r| match grade {
                    Some(g) => code(model, g, r.index),
                    None => r.label.clone(),
                })
                .collect();
            // the condition as written (from the model: a rule that was not reached has none
            // in its trace)
            let cond_span = |index: usize| match model.items.get(trace.item).map(|i| &i.kind) {
                Some(ItemKind::Grade(g)) => g
                    .codes
                    .get(index)
                    .and_then(|c| c.cond.as_ref())
                    .map(|c| c.span),
                Some(ItemKind::Points { rules, .. }) => rules
                    .get(index)
                    .and_then(|r| r.cond.as_ref())
                    .map(|c| c.span),
                _ => None,
            };
            let conds: Vec<String> = rules
                .iter()
                .map(|r| match cond_span(r.index) {
                    Some(span) => format!("when {}", source_text(src, span)),
                    None => "otherwise".to_string(),
                })
                .collect();
            let wl = labels.iter().map(|l| display_width(l)).max().unwrap_or(0);
            let wc = conds.iter().map(|c| display_width(c)).max().unwrap_or(0);
            for (k, r) in rules.iter().enumerate() {
                let (mark, said) = match r.outcome {
                    Outcome::True => ("✓", "fired"),
                    Outcome::Otherwise => ("✓", "fired: no rule above matched"),
                    Outcome::False => ("✗", "false"),
                    Outcome::Missing => (
                        "✗",
                        "missing: a value it reads is missing, so it does not fire",
                    ),
                    Outcome::NotReached
                        if r.is_otherwise
                            && !matches!(model.grade(trace.item), Some(g) if !g.is_tags) =>
                    {
                        ("·", "not used: another tag matched")
                    }
                    Outcome::NotReached => ("·", "not reached"),
                };
                out.push(format!(
                    "{indent}{mark} {}  {}  → {said}",
                    pad(&labels[k], wl),
                    pad(&conds[k], wc)
                ));
                if r.outcome != Outcome::NotReached {
                    let mut seen: Vec<&str> = Vec::new();
                    let leaves: Vec<String> = r
                        .leaves
                        .iter()
                        .filter(|l| {
                            let new = !seen.contains(&l.name.as_str());
                            seen.push(&l.name);
                            new
                        })
                        .map(|l| leaf_text(model, l))
                        .collect();
                    if !leaves.is_empty() {
                        out.push(format!("{indent}    {}", leaves.join(", ")));
                    }
                }
            }
            if rules.iter().all(|r| !r.outcome.fired()) {
                if matches!(model.grade(trace.item), Some(g) if g.is_tags) {
                    out.push(format!("{indent}no tag matched"));
                } else {
                    out.push(format!("{indent}no rule fired, so the value is missing"));
                }
            }
        }
        TraceDetail::Score { terms, bonuses } => {
            let names: Vec<String> = terms.iter().map(|t| t.name.clone()).collect();
            let wn = names.iter().map(|n| display_width(n)).max().unwrap_or(0);
            for t in terms {
                let mut s = format!(
                    "{indent}{}  {} × {}",
                    pad(&t.name, wn),
                    value(&t.value, &Ty::Decimal, model, false),
                    percent(t.weight)
                );
                if let Some(b) = &t.bonus {
                    let cond = source_text(src, b.span);
                    if b.outcome == Outcome::True {
                        s.push_str(&format!(" × {} (bonus: {cond})", number(b.factor, false)));
                    } else {
                        s.push_str(&format!(" (no bonus: {cond} is {})", b.outcome.as_str()));
                    }
                }
                s.push_str(&format!(
                    " = {}",
                    value(&t.contribution, &Ty::Decimal, model, false)
                ));
                out.push(s);
            }
            for b in bonuses {
                let cond = source_text(src, b.span);
                let said = if b.outcome == Outcome::True {
                    "applies"
                } else {
                    "does not apply"
                };
                out.push(format!(
                    "{indent}bonus × {} when {cond}: {said}",
                    number(b.factor, false)
                ));
            }
        }
        TraceDetail::Let { leaves } => {
            let mut seen: Vec<&str> = Vec::new();
            let parts: Vec<String> = leaves
                .iter()
                .filter(|l| {
                    let new = !seen.contains(&l.name.as_str());
                    seen.push(&l.name);
                    new
                })
                .map(|l| leaf_text(model, l))
                .collect();
            if !parts.is_empty() {
                out.push(format!("{indent}from {}", parts.join(", ")));
            }
        }
    }
    out
}

pub fn pad(s: &str, width: usize) -> String {
    let mut out = s.to_string();
    for _ in display_width(s)..width {
        out.push(' ');
    }
    out
}

/// "营业额 needs +123,456.00 to reach gold "黄金级"": how far one value is from the rule just
/// above the one that fired, when that rule's condition is a single threshold on one value.
pub fn distance_to_better(
    model: &Model,
    ev: &Evaluation<'_>,
    src: &str,
    row: usize,
    trace: &Trace,
) -> Option<String> {
    let grade = model.grade(trace.item)?;
    if grade.is_tags {
        return None;
    }
    let TraceDetail::Rules { rules, .. } = &trace.detail else {
        return None;
    };
    let fired = rules.iter().position(|r| r.outcome.fired())?;
    let better = fired.checked_sub(1)?;
    let cond = grade.codes.get(better)?.cond.as_ref()?;
    let (subject, op, threshold, lit) = threshold_of(cond)?;
    // the compared value: the `by` subject or the expression itself
    let subject_expr = match subject.kind {
        TExprKind::Subject => grade.by.as_ref()?,
        _ => subject,
    };
    let name = value_name(model, subject_expr)?;
    let Value::Num(now) = ev.eval_expr(model, subject_expr, row) else {
        return None;
    };
    let as_percent = src
        .get(lit.span.start..lit.span.end)
        .is_some_and(|t| t.trim_end().ends_with('%'));
    let fixed2 = matches!(&subject_expr.kind, TExprKind::Field(f) if model.fields.get(*f).is_some_and(|f| f.ty == Ty::Decimal));
    let show = |d: Decimal| {
        if as_percent {
            percent(d)
        } else {
            number(d, fixed2)
        }
    };
    let signed = |d: Decimal| {
        if d >= Decimal::ZERO {
            format!("+{}", show(d))
        } else {
            show(d)
        }
    };
    let delta = threshold.checked_sub(now)?;
    let need = match op {
        CmpOp::Ge if delta > Decimal::ZERO => format!("needs {}", signed(delta)),
        CmpOp::Gt if delta >= Decimal::ZERO => format!("needs more than {}", signed(delta)),
        CmpOp::Le if delta < Decimal::ZERO => format!("needs {}", signed(delta)),
        CmpOp::Lt if delta <= Decimal::ZERO => format!("needs more than {}", signed(delta)),
        _ => return None,
    };
    Some(format!(
        "{name} {need} to reach {} (now {}, the rule needs {} {})",
        code(model, trace.item, better),
        show(now),
        op.as_str(),
        show(threshold)
    ))
}

/// `x OP number` or `number OP x` (flipped), for one value `x`.
fn threshold_of(e: &TExpr) -> Option<(&TExpr, CmpOp, Decimal, &TExpr)> {
    let TExprKind::Cmp(op, a, b) = &e.kind else {
        return None;
    };
    let num = |x: &TExpr| match &x.kind {
        TExprKind::Lit(Literal::Int(d) | Literal::Decimal(d)) => Some(*d),
        _ => None,
    };
    let one_value = |x: &TExpr| {
        matches!(
            x.kind,
            TExprKind::Field(_) | TExprKind::Item(_) | TExprKind::Pop(_) | TExprKind::Subject
        )
    };
    if let (true, Some(t)) = (one_value(a), num(b)) {
        return Some((a, *op, t, b));
    }
    if let (Some(t), true) = (num(a), one_value(b)) {
        let flipped = match op {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            other => *other,
        };
        return Some((b, flipped, t, a));
    }
    None
}

/// What a business reader calls a value: a field by its column header, an item by its label.
fn value_name(model: &Model, e: &TExpr) -> Option<String> {
    match &e.kind {
        TExprKind::Field(f) => model.fields.get(*f).map(|f| f.column.clone()),
        TExprKind::Item(i) => model
            .items
            .get(*i)
            .map(|i| i.label.clone().unwrap_or_else(|| i.name.clone())),
        TExprKind::Pop(_) => Some(rubric_eval::expr_text(model, e)),
        _ => None,
    }
}

/// Whether an item is a grade (not tags), points, a score or a let (all can be traced).
pub fn is_traceable(model: &Model, item: ItemId) -> bool {
    matches!(
        model.items.get(item).map(|i| &i.kind),
        Some(
            ItemKind::Grade(_)
                | ItemKind::Points { .. }
                | ItemKind::Score { .. }
                | ItemKind::Let { .. }
        )
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(number("123456.00".parse().unwrap(), true), "123,456.00");
        assert_eq!(number("-1234567".parse().unwrap(), false), "-1,234,567");
        assert_eq!(number("999".parse().unwrap(), false), "999");
        assert_eq!(number("81.75".parse().unwrap(), false), "81.75");
        assert_eq!(number("0.616666666".parse().unwrap(), false), "0.6167");
        assert_eq!(percent("0.6167".parse().unwrap()), "61.67%");
    }
}
