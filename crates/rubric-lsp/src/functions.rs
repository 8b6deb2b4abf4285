//! What the built-in and population functions mean, for hover and completion.

use rubric_check::hir::{AggFunc, Builtin, PopFunc};

pub struct FunctionDoc {
    pub signature: &'static str,
    pub meaning: &'static str,
    /// The SQL window equivalent, for population functions.
    pub sql: Option<&'static str>,
    /// The snippet inserted by completion.
    pub snippet: &'static str,
}

/// An aggregate over events: its signature, meaning and snippet (its SQL is a `GROUP BY`).
pub fn agg(f: AggFunc) -> FunctionDoc {
    let (signature, snippet) = match f {
        AggFunc::Count => ("count(E [where C]) -> int", "count(${1:orders})"),
        AggFunc::Sum => (
            "sum(E.f [where C]) -> number",
            "sum(${1:orders}.${2:amount})",
        ),
        AggFunc::Avg => (
            "avg(E.f [where C]) -> decimal",
            "avg(${1:orders}.${2:amount})",
        ),
        AggFunc::Min => (
            "min(E.f [where C]) -> number or date",
            "min(${1:orders}.${2:order_date})",
        ),
        AggFunc::Max => (
            "max(E.f [where C]) -> number or date",
            "max(${1:orders}.${2:order_date})",
        ),
        AggFunc::CountDistinct => (
            "count_distinct(x [where C]) -> int",
            "count_distinct(${1:month_start(orders.order_date)})",
        ),
    };
    FunctionDoc {
        signature,
        meaning: f.doc(),
        sql: None,
        snippet,
    }
}

pub fn pop(f: PopFunc) -> FunctionDoc {
    let (signature, meaning, sql, snippet) = match f {
        PopFunc::Total => ("total(x: number) -> decimal", "the sum of `x` over every customer", "SUM(x) OVER ()", "total(${1:x})"),
        PopFunc::Mean => ("mean(x: number) -> decimal", "the mean of `x` over every customer", "AVG(x) OVER ()", "mean(${1:x})"),
        PopFunc::MinOf => ("min_of(x: number) -> number", "the smallest `x` of every customer", "MIN(x) OVER ()", "min_of(${1:x})"),
        PopFunc::MaxOf => ("max_of(x: number) -> number", "the largest `x` of every customer", "MAX(x) OVER ()", "max_of(${1:x})"),
        PopFunc::Count => ("count() -> int", "the number of customers", "COUNT(*) OVER ()", "count()"),
        PopFunc::Rank => (
            "rank(x: number) -> int",
            "1 for the largest `x`; ties share a rank",
            "RANK() OVER (ORDER BY x DESC)",
            "rank(${1:x})",
        ),
        PopFunc::TopShare => (
            "top_share(x: number) -> decimal",
            "the share of customers whose `x` is at least this one's: `top_share(revenue) <= 20%` is the top 20%",
            "CUME_DIST() OVER (ORDER BY x DESC)",
            "top_share(${1:x})",
        ),
        PopFunc::CumulativeShare => (
            "cumulative_share(x: number) -> decimal",
            "the share of the total `x` held by customers whose `x` is at least this one's (Pareto, ABC)",
            "SUM(x) OVER (ORDER BY x DESC RANGE UNBOUNDED PRECEDING) / SUM(x) OVER ()",
            "cumulative_share(${1:x})",
        ),
    };
    FunctionDoc {
        signature,
        meaning,
        sql: Some(sql),
        snippet,
    }
}

pub fn builtin(b: Builtin) -> FunctionDoc {
    let (signature, meaning, snippet) = match b {
        Builtin::DaysSince => (
            "days_since(d: date) -> int",
            "whole days from `d` to the evaluation date",
            "days_since(${1:d})",
        ),
        Builtin::MonthsSince => (
            "months_since(d: date) -> int",
            "whole calendar months completed from `d` to the evaluation date",
            "months_since(${1:d})",
        ),
        Builtin::YearsSince => (
            "years_since(d: date) -> int",
            "whole years completed from `d` to the evaluation date, like an age",
            "years_since(${1:d})",
        ),
        Builtin::Year => ("year(d: date) -> int", "the year of `d`", "year(${1:d})"),
        Builtin::StartsWith => (
            "starts_with(s: text, prefix: text) -> bool",
            "whether `s` starts with `prefix`",
            "starts_with(${1:s}, ${2:\"\"})",
        ),
        Builtin::EndsWith => (
            "ends_with(s: text, suffix: text) -> bool",
            "whether `s` ends with `suffix`",
            "ends_with(${1:s}, ${2:\"\"})",
        ),
        Builtin::Contains => (
            "contains(s: text, part: text) -> bool",
            "whether `s` contains `part`",
            "contains(${1:s}, ${2:\"\"})",
        ),
        Builtin::Lower => (
            "lower(s: text) -> text",
            "`s` in lower case",
            "lower(${1:s})",
        ),
        Builtin::Upper => (
            "upper(s: text) -> text",
            "`s` in upper case",
            "upper(${1:s})",
        ),
        Builtin::Len => (
            "len(s: text) -> int",
            "the number of characters of `s`",
            "len(${1:s})",
        ),
        Builtin::Min => (
            "min(a: number, b: number) -> number",
            "the smaller of `a` and `b`",
            "min(${1:a}, ${2:b})",
        ),
        Builtin::Max => (
            "max(a: number, b: number) -> number",
            "the larger of `a` and `b`",
            "max(${1:a}, ${2:b})",
        ),
        Builtin::Abs => (
            "abs(x: number) -> number",
            "the absolute value of `x`",
            "abs(${1:x})",
        ),
        Builtin::Round => (
            "round(x: number, digits: int) -> decimal",
            "`x` rounded to `digits` decimal places, half away from zero",
            "round(${1:x}, ${2:0})",
        ),
        Builtin::MonthStart => (
            "month_start(d: date) -> date",
            "the first day of `d`'s month (`count_distinct(month_start(orders.order_date))` counts active months)",
            "month_start(${1:d})",
        ),
    };
    FunctionDoc {
        signature,
        meaning,
        sql: None,
        snippet,
    }
}

/// Markdown for a hover or a completion's documentation.
pub fn markdown(doc: &FunctionDoc, population: bool) -> String {
    let mut s = format!("```rubric\n{}\n```\n\n{}", doc.signature, doc.meaning);
    if population {
        s.push_str("\n\nA population function: computed over every customer in the run; `within FIELD` after the call partitions it.");
    }
    if let Some(sql) = doc.sql {
        s.push_str(&format!("\n\nSQL: `{sql}`"));
    }
    s
}
