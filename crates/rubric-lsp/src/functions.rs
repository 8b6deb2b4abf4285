//! The built-in, population and aggregate functions for hover, completion and signature help:
//! their signatures and meanings come from [`rubric_check::signature`] (the checker's `call it as`
//! helps show the same); only the snippets completion inserts are the server's own.

use rubric_check::hir::{AggFunc, Builtin, PopFunc};
use rubric_check::signature::Signature;

pub struct FunctionDoc {
    pub signature: Signature,
    /// The snippet inserted by completion.
    pub snippet: &'static str,
}

/// An aggregate over events (its SQL is a `GROUP BY`).
pub fn agg(f: AggFunc) -> FunctionDoc {
    let snippet = match f {
        AggFunc::Count => "count(${1:orders})",
        AggFunc::Sum => "sum(${1:orders}.${2:amount})",
        AggFunc::Avg => "avg(${1:orders}.${2:amount})",
        AggFunc::Min => "min(${1:orders}.${2:order_date})",
        AggFunc::Max => "max(${1:orders}.${2:order_date})",
        AggFunc::CountDistinct => "count_distinct(${1:month_start(orders.order_date)})",
    };
    FunctionDoc {
        signature: f.signature(),
        snippet,
    }
}

pub fn pop(f: PopFunc) -> FunctionDoc {
    let snippet = match f {
        PopFunc::Total => "total(${1:x})",
        PopFunc::Mean => "mean(${1:x})",
        PopFunc::MinOf => "min_of(${1:x})",
        PopFunc::MaxOf => "max_of(${1:x})",
        PopFunc::Count => "count()",
        PopFunc::Rank => "rank(${1:x})",
        PopFunc::TopShare => "top_share(${1:x})",
        PopFunc::CumulativeShare => "cumulative_share(${1:x})",
    };
    FunctionDoc {
        signature: f.signature(),
        snippet,
    }
}

pub fn builtin(b: Builtin) -> FunctionDoc {
    let snippet = match b {
        Builtin::DaysSince => "days_since(${1:d})",
        Builtin::MonthsSince => "months_since(${1:d})",
        Builtin::YearsSince => "years_since(${1:d})",
        Builtin::Year => "year(${1:d})",
        Builtin::StartsWith => "starts_with(${1:s}, ${2:\"\"})",
        Builtin::EndsWith => "ends_with(${1:s}, ${2:\"\"})",
        Builtin::Contains => "contains(${1:s}, ${2:\"\"})",
        Builtin::Lower => "lower(${1:s})",
        Builtin::Upper => "upper(${1:s})",
        Builtin::Len => "len(${1:s})",
        Builtin::Min => "min(${1:a}, ${2:b})",
        Builtin::Max => "max(${1:a}, ${2:b})",
        Builtin::Abs => "abs(${1:x})",
        Builtin::Round => "round(${1:x}, ${2:0})",
        Builtin::MonthStart => "month_start(${1:d})",
        Builtin::CountTrue => "count_true(${1:c1}, ${2:c2})",
        Builtin::Substr => "substr(${1:s}, ${2:1}, ${3:2})",
    };
    FunctionDoc {
        signature: b.signature(),
        snippet,
    }
}

/// Markdown for a hover or a completion's documentation.
pub fn markdown(doc: &FunctionDoc, population: bool) -> String {
    format!(
        "```rubric\n{}\n```\n\n{}",
        doc.signature.label(),
        meaning(&doc.signature, population)
    )
}

/// What a function means (and for a population function, how it is computed), in Markdown: the
/// documentation of hover, completion and signature help.
pub fn meaning(sig: &Signature, population: bool) -> String {
    let mut s = sig.meaning.to_string();
    if population {
        s.push_str("\n\nA population function: computed over every customer in the run; `within FIELD` after the call partitions it.");
    }
    if let Some(sql) = sig.sql {
        s.push_str(&format!("\n\nSQL: `{sql}`"));
    }
    s
}
