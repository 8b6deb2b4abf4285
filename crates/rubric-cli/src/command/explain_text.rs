//! Text for business readers, shared by `rubric explain` and `rubric test`: numbers with
//! thousands separators, codes with their labels, fields by their column header, and rule
//! traces (every rule in order, whether it fired, and the values it read).

use rubric_check::hir::{ItemId, ItemKind, Model, TExpr, TExprKind, Ty};
use rubric_eval::{Leaf, Outcome, Trace, TraceDetail, Value};
use rubric_fmt::display_width;
use rubric_syntax::ast::Literal;
use rubric_syntax::Decimal;

/// `1234567.5` → `1,234,567.5`, exact. `fixed2` prints at least two decimals (money-like
/// fields) and never drops a digit. A fraction longer than 8 places is rounded (and marked `≈`);
/// see [`number_deciding`].
pub fn number(d: Decimal, fixed2: bool) -> String {
    number_deciding(d, fixed2, &[])
}

/// [`number`] for a value compared with `thresholds`: a fraction longer than 8 places is
/// rounded to the fewest places (at least 4) at which it compares with every threshold as the
/// exact value does, so `≈0.70003810 > 0.7` reads true on its face.
pub fn number_deciding(d: Decimal, fixed2: bool, thresholds: &[Decimal]) -> String {
    let n = d.normalize();
    let (shown, approx) = if n.scale() > 8 {
        let mut places = 4;
        let mut r = n.round(places);
        while places < n.scale() && thresholds.iter().any(|t| r.cmp(t) != n.cmp(t)) {
            places += 1;
            r = n.round(places);
        }
        (r, r != n)
    } else {
        (n, false)
    };
    let text = if shown.is_zero() && !fixed2 {
        "0".to_string()
    } else if fixed2 && shown.scale() < 2 {
        format!("{shown:.2}")
    } else {
        shown.to_string()
    };
    let grouped = group(&text);
    if approx {
        format!("≈{grouped}")
    } else {
        grouped
    }
}

fn group(text: &str) -> String {
    let (sign, rest) = match text.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", text),
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

/// A share as a percentage, exact: `0.6167` → `61.67%`.
pub fn percent(d: Decimal) -> String {
    percent_deciding(d, &[])
}

/// [`percent`] for a share compared with `thresholds` (shares, e.g. 0.7 for `70%`): see
/// [`number_deciding`].
pub fn percent_deciding(d: Decimal, thresholds: &[Decimal]) -> String {
    let scaled: Vec<Decimal> = thresholds
        .iter()
        .filter_map(|t| t.checked_mul(Decimal::ONE_HUNDRED))
        .collect();
    match d.checked_mul(Decimal::ONE_HUNDRED) {
        Some(p) => format!("{}%", number_deciding(p, false, &scaled)),
        None => number_deciding(d, false, thresholds),
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

fn leaf_text(model: &Model, l: &Leaf, compared: &Compared) -> String {
    format!(
        "{} = {}",
        leaf_name(model, &l.name),
        compared.show(model, l.span, &l.name, &l.value, &l.ty)
    )
}

/// What the values a condition reads are compared with: per compared expression (by span),
/// the numbers written on the other side and whether they are written as percents; the same
/// for the `by` subject. A value is shown with enough digits to decide each comparison, and as
/// a percent when it is compared with one (`cumulative_share(revenue) = 61.56%` against `50%`).
#[derive(Default)]
pub struct Compared {
    spans: Vec<(rubric_syntax::Span, Vec<Decimal>, bool)>,
    subject: (Vec<Decimal>, bool),
    /// Every number in the condition (for values not compared with one directly).
    all: Vec<Decimal>,
}

impl Compared {
    pub fn of(src: &str, conds: &[&TExpr]) -> Compared {
        let mut c = Compared::default();
        let lit = |e: &TExpr| match &e.kind {
            TExprKind::Lit(Literal::Int(d) | Literal::Decimal(d)) => Some((
                *d,
                src.get(e.span.start..e.span.end)
                    .is_some_and(|t| t.trim_end().ends_with('%')),
            )),
            _ => None,
        };
        for cond in conds {
            rubric_check::visit::walk(cond, &mut |e| {
                if let Some((d, _)) = lit(e) {
                    c.all.push(d);
                }
                let pairs: Vec<(&TExpr, &TExpr)> = match &e.kind {
                    TExprKind::Cmp(_, a, b) => vec![(a, b), (b, a)],
                    TExprKind::Between { value, lo, hi } => vec![(value, lo), (value, hi)],
                    _ => Vec::new(),
                };
                for (x, other) in pairs {
                    let Some((t, pct)) = lit(other) else {
                        continue;
                    };
                    if matches!(x.kind, TExprKind::Subject) {
                        c.subject.0.push(t);
                        c.subject.1 |= pct;
                    } else if let Some(at) = c.spans.iter_mut().find(|s| s.0 == x.span) {
                        at.1.push(t);
                        at.2 |= pct;
                    } else {
                        c.spans.push((x.span, vec![t], pct));
                    }
                }
            });
        }
        c
    }

    fn show(
        &self,
        model: &Model,
        span: rubric_syntax::Span,
        name: &str,
        v: &Value,
        ty: &Ty,
    ) -> String {
        let (ts, pct) = match self.spans.iter().find(|s| s.0 == span) {
            Some((_, ts, pct)) => (ts.as_slice(), *pct),
            None => (self.all.as_slice(), false),
        };
        self.show_against(model, name, v, ty, ts, pct)
    }

    fn show_subject(&self, model: &Model, name: &str, v: &Value, ty: &Ty) -> String {
        self.show_against(model, name, v, ty, &self.subject.0, self.subject.1)
    }

    fn show_against(
        &self,
        model: &Model,
        name: &str,
        v: &Value,
        ty: &Ty,
        ts: &[Decimal],
        pct: bool,
    ) -> String {
        match v {
            Value::Num(d) if pct => percent_deciding(*d, ts),
            Value::Num(d) => number_deciding(*d, is_decimal_field(model, name), ts),
            _ => value(v, ty, model, is_decimal_field(model, name)),
        }
    }
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
            // the conditions as the model holds them (a rule not reached has none in its trace)
            let model_cond = |index: usize| match model.items.get(trace.item).map(|i| &i.kind) {
                Some(ItemKind::Grade(g)) => g.codes.get(index).and_then(|c| c.cond.as_ref()),
                Some(ItemKind::Points { rules, .. }) => {
                    rules.get(index).and_then(|r| r.cond.as_ref())
                }
                _ => None,
            };
            if let Some(s) = subject {
                let all: Vec<&TExpr> = rules.iter().filter_map(|r| model_cond(r.index)).collect();
                let c = Compared::of(src, &all);
                out.push(format!(
                    "{indent}by {} = {}",
                    leaf_name(model, &s.name),
                    c.show_subject(model, &s.name, &s.value, &s.ty)
                ));
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
                            && matches!(model.grade(trace.item), Some(g) if g.is_tags) =>
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
                    let compared =
                        Compared::of(src, &model_cond(r.index).into_iter().collect::<Vec<_>>());
                    let mut seen: Vec<&str> = Vec::new();
                    let leaves: Vec<String> = r
                        .leaves
                        .iter()
                        .filter(|l| {
                            let new = !seen.contains(&l.name.as_str());
                            seen.push(&l.name);
                            new
                        })
                        .map(|l| leaf_text(model, l, &compared))
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
                .map(|l| leaf_text(model, l, &Compared::default()))
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

/// The attribute values of a rule as written in the scheme (`discount: 92%` → `92%`), by key,
/// read from the rule's source text: `{ key: value, … }` after the condition.
pub fn attrs_as_written(src: &str, rule: rubric_syntax::Span) -> Vec<(String, String)> {
    let text = src.get(rule.start..rule.end).unwrap_or("");
    // the last `{` outside a quoted text opens the attributes
    let mut open = None;
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '{' if !quoted => open = Some(i),
            _ => {}
        }
    }
    let Some(open) = open else {
        return Vec::new();
    };
    let body = text.get(open + 1..).unwrap_or("");
    let body = body.trim_end().strip_suffix('}').unwrap_or(body);
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in body.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(body.get(start..i).unwrap_or(""));
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(body.get(start..).unwrap_or(""));
    parts
        .into_iter()
        .filter_map(|p| {
            let (k, v) = p.split_once(':')?;
            Some((
                k.trim().to_string(),
                v.split_whitespace().collect::<Vec<_>>().join(" "),
            ))
        })
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .collect()
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
        assert_eq!(number("0.616666666".parse().unwrap(), false), "≈0.6167");
        assert_eq!(number("0.7000381".parse().unwrap(), true), "0.7000381");
        assert_eq!(number("0.5".parse().unwrap(), true), "0.50");
        assert_eq!(percent("0.6167".parse().unwrap()), "61.67%");
        assert_eq!(percent("0.61666".parse().unwrap()), "61.666%");
    }

    #[test]
    fn a_rounded_value_still_decides_its_comparison() {
        let d: Decimal = "0.7000000381234".parse().unwrap();
        let t: Decimal = "0.7".parse().unwrap();
        assert_eq!(number_deciding(d, false, &[]), "≈0.7000");
        assert_eq!(number_deciding(d, false, &[t]), "≈0.70000004");
        assert_eq!(percent_deciding(d, &[t]), "≈70.000004%");
    }
}
