//! The checked model as the engines read it: an expression or an aggregate written back as
//! text (leaf names, score terms, aggregate fields), and the customer row of a scheme with
//! `events` (its input fields, then one field per aggregate). Depends only on `value`.

use crate::value::format_decimal;
use rubric_check::hir::{AggId, FieldDef, Model, TExpr, TExprKind, Ty};
use rubric_syntax::ast::{Literal, UnOp};
use std::borrow::Cow;

/// The model whose fields a run reads: the input fields, then one optional field per aggregate
/// (named by the aggregate's text, e.g. `sum(orders.amount)`). The model itself when the scheme
/// has no aggregates, or when it is already a row model.
pub fn row_model(model: &Model) -> Cow<'_, Model> {
    if model.aggs.is_empty() || model.fields.iter().any(|f| f.agg.is_some()) {
        return Cow::Borrowed(model);
    }
    let mut m = model.clone();
    for (a, agg) in model.aggs.iter().enumerate() {
        let name = agg_text(model, a);
        m.fields.push(FieldDef {
            name: name.clone(),
            column: name,
            ty: agg.ty.clone(),
            optional: true,
            is_key: false,
            span: agg.span,
            doc: None,
            agg: Some(a),
            codes: None,
        });
    }
    Cow::Owned(m)
}

/// The field that holds aggregate `a` in the row model of `model` (the fields [`row_model`]
/// appends follow the input fields, in aggregate order).
pub(crate) fn agg_field(model: &Model, a: AggId) -> usize {
    match model.fields.iter().position(|f| f.agg.is_some()) {
        Some(first) => first + a,
        None => model.fields.len() + a,
    }
}

/// How an aggregate reads: `sum(orders.amount where orders.amount > 0)`.
pub fn agg_text(model: &Model, a: AggId) -> String {
    let Some(agg) = model.aggs.get(a) else {
        return "?".into();
    };
    let block = model
        .events
        .get(agg.events)
        .map_or("?", |e| e.name.as_str());
    let mut s = format!("{}(", agg.func.name());
    match &agg.arg {
        Some(arg) => s.push_str(&expr_text(model, arg)),
        None => s.push_str(block),
    }
    if let Some(f) = &agg.filter {
        s.push_str(" where ");
        s.push_str(&expr_text(model, f));
    }
    s.push(')');
    s
}

/// An expression written back as text (for leaf names and score terms).
pub fn expr_text(model: &Model, e: &TExpr) -> String {
    let t = |x: &TExpr| {
        let s = expr_text(model, x);
        if matches!(
            x.kind,
            TExprKind::Arith(..)
                | TExprKind::Cmp(..)
                | TExprKind::And(..)
                | TExprKind::Or(..)
                | TExprKind::Coalesce(..)
        ) {
            format!("({s})")
        } else {
            s
        }
    };
    match &e.kind {
        TExprKind::Lit(l) => match l {
            Literal::Int(d) | Literal::Decimal(d) => format_decimal(*d),
            Literal::Text(s) => format!("{s:?}"),
            Literal::Bool(b) => b.to_string(),
            Literal::Date(d) => d.to_string(),
            Literal::Duration(d) => d.to_string(),
        },
        TExprKind::Field(f) => model.fields.get(*f).map_or("?".into(), |f| f.name.clone()),
        TExprKind::Item(i) => model.items.get(*i).map_or("?".into(), |i| i.name.clone()),
        TExprKind::Code { grade, code } => model
            .grade(*grade)
            .and_then(|g| g.codes.get(*code))
            .map_or("?".into(), |c| c.name.clone()),
        TExprKind::Today => "today".into(),
        TExprKind::Subject => "it".into(),
        TExprKind::Agg(a) => agg_text(model, *a),
        TExprKind::EventField { events, field } => model
            .events
            .get(*events)
            .and_then(|e| Some(format!("{}.{}", e.name, e.fields.get(*field)?.name)))
            .unwrap_or_else(|| "?".into()),
        TExprKind::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| expr_text(model, i))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TExprKind::Unary(UnOp::Neg, x) => format!("-{}", t(x)),
        TExprKind::Unary(UnOp::Not, x) => format!("not {}", t(x)),
        TExprKind::Arith(op, a, b) => {
            let o = match op {
                rubric_check::hir::ArithOp::Add => "+",
                rubric_check::hir::ArithOp::Sub => "-",
                rubric_check::hir::ArithOp::Mul => "*",
                rubric_check::hir::ArithOp::Div => "/",
            };
            format!("{} {o} {}", t(a), t(b))
        }
        TExprKind::Cmp(op, a, b) => format!("{} {} {}", t(a), op.as_str(), t(b)),
        TExprKind::And(a, b) => format!("{} and {}", t(a), t(b)),
        TExprKind::Or(a, b) => format!("{} or {}", t(a), t(b)),
        TExprKind::In {
            value,
            list,
            negated,
        } => {
            format!(
                "{} {}in {}",
                t(value),
                if *negated { "not " } else { "" },
                expr_text(model, list)
            )
        }
        TExprKind::Has { tags, code } => {
            let g = match &tags.ty {
                Ty::Tags(g) => model
                    .grade(*g)
                    .and_then(|g| g.codes.get(*code))
                    .map(|c| c.name.clone()),
                _ => None,
            };
            format!("{} has {}", t(tags), g.unwrap_or_else(|| "?".into()))
        }
        TExprKind::Between { value, lo, hi } => {
            format!("{} between {} and {}", t(value), t(lo), t(hi))
        }
        TExprKind::Within { date, duration } => format!("{} within {}", t(date), t(duration)),
        TExprKind::WithinNext { date, duration } => {
            format!("{} within next {}", t(date), t(duration))
        }
        TExprKind::Missing => "missing".into(),
        TExprKind::IsMissing { expr, present } => {
            format!(
                "{} is {}",
                t(expr),
                if *present { "present" } else { "missing" }
            )
        }
        TExprKind::Coalesce(a, b) => format!("{} ?? {}", t(a), t(b)),
        TExprKind::If(c, a, b) => format!("if {} then {} else {}", t(c), t(a), t(b)),
        TExprKind::Call(f, args) => {
            format!(
                "{}({})",
                f.name(),
                args.iter()
                    .map(|a| expr_text(model, a))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        TExprKind::Pop(p) => match model.pops.get(*p) {
            Some(def) => {
                let arg = def
                    .arg
                    .as_ref()
                    .map(|a| expr_text(model, a))
                    .unwrap_or_default();
                let within = def
                    .within
                    .as_ref()
                    .map(|w| format!(" within {}", expr_text(model, w)))
                    .unwrap_or_default();
                format!("{}({arg}){within}", def.func.name())
            }
            None => "?".into(),
        },
        TExprKind::Attr { value, grade, attr } => {
            let key = model
                .grade(*grade)
                .and_then(|g| g.attr_keys.get(*attr))
                .map_or("?".into(), |k| k.0.clone());
            format!("{}.{key}", t(value))
        }
        TExprKind::Index { value, key } => format!("{}[{}]", t(value), expr_text(model, key)),
    }
}
