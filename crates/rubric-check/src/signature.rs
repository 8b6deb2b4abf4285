//! What each function of the language takes, returns and means: the one description that the
//! checker's `call it as …` helps and the language server's hover, completion and signature help
//! all show.

use crate::hir::{AggFunc, Builtin, PopFunc};

/// One parameter: `d: date`, or `E.f` for an aggregate's argument (no type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub ty: &'static str,
}

/// A function's signature and meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    pub name: &'static str,
    pub params: &'static [Param],
    /// Whether more arguments like the last may follow (`count_true(c1, c2, …)`).
    pub variadic: bool,
    /// Written after the parameters, inside the parentheses: ` [where C]` for an aggregate.
    pub tail: &'static str,
    pub returns: &'static str,
    pub meaning: &'static str,
    /// The SQL window equivalent, for a population function.
    pub sql: Option<&'static str>,
}

impl Param {
    /// `d: date`, or the name alone when it has no type.
    pub fn label(&self) -> String {
        if self.ty.is_empty() {
            self.name.to_string()
        } else {
            format!("{}: {}", self.name, self.ty)
        }
    }
}

impl Signature {
    /// How to call it: `round(x: number, digits: int)`.
    pub fn call(&self) -> String {
        self.call_with_params().0
    }

    /// The call and where each parameter's label is in it (byte ranges).
    pub fn call_with_params(&self) -> (String, Vec<std::ops::Range<usize>>) {
        let mut s = format!("{}(", self.name);
        let mut at = Vec::new();
        for (i, p) in self.params.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            let start = s.len();
            s.push_str(&p.label());
            at.push(start..s.len());
        }
        if self.variadic {
            s.push_str(", …");
        }
        s.push_str(self.tail);
        s.push(')');
        (s, at)
    }

    /// The whole signature: `round(x: number, digits: int) -> decimal`.
    pub fn label(&self) -> String {
        format!("{} -> {}", self.call(), self.returns)
    }

    /// The parameter an argument (counted from 0) fills: the last one for every further argument
    /// of a variadic function, none past the end of another.
    pub fn param_of_argument(&self, argument: usize) -> Option<usize> {
        if argument < self.params.len() {
            Some(argument)
        } else if self.variadic {
            self.params.len().checked_sub(1)
        } else {
            None
        }
    }
}

/// A parameter as a literal, so that a list of them is a constant (`&[p!(…), …]` is `'static`).
macro_rules! p {
    ($name:literal, $ty:literal) => {
        Param {
            name: $name,
            ty: $ty,
        }
    };
}

const fn sig(
    name: &'static str,
    params: &'static [Param],
    returns: &'static str,
    meaning: &'static str,
) -> Signature {
    Signature {
        name,
        params,
        variadic: false,
        tail: "",
        returns,
        meaning,
        sql: None,
    }
}

const DATE: &[Param] = &[p!("d", "date")];
const TEXT: &[Param] = &[p!("s", "text")];
const NUMBER: &[Param] = &[p!("x", "number")];

impl Builtin {
    pub fn signature(self) -> Signature {
        match self {
            Builtin::DaysSince => sig(
                "days_since",
                DATE,
                "int",
                "whole days from `d` to the evaluation date",
            ),
            Builtin::MonthsSince => sig(
                "months_since",
                DATE,
                "int",
                "whole calendar months completed from `d` to the evaluation date",
            ),
            Builtin::YearsSince => sig(
                "years_since",
                DATE,
                "int",
                "whole years completed from `d` to the evaluation date, like an age",
            ),
            Builtin::Year => sig("year", DATE, "int", "the year of `d`"),
            Builtin::StartsWith => sig(
                "starts_with",
                &[p!("s", "text"), p!("prefix", "text")],
                "bool",
                "whether `s` starts with `prefix`",
            ),
            Builtin::EndsWith => sig(
                "ends_with",
                &[p!("s", "text"), p!("suffix", "text")],
                "bool",
                "whether `s` ends with `suffix`",
            ),
            Builtin::Contains => sig(
                "contains",
                &[p!("s", "text"), p!("part", "text")],
                "bool",
                "whether `s` contains `part`",
            ),
            Builtin::Lower => sig("lower", TEXT, "text", "`s` in lower case"),
            Builtin::Upper => sig("upper", TEXT, "text", "`s` in upper case"),
            Builtin::Len => sig("len", TEXT, "int", "the number of characters of `s`"),
            Builtin::Min => sig(
                "min",
                &[p!("a", "number"), p!("b", "number")],
                "number",
                "the smaller of `a` and `b`",
            ),
            Builtin::Max => sig(
                "max",
                &[p!("a", "number"), p!("b", "number")],
                "number",
                "the larger of `a` and `b`",
            ),
            Builtin::Abs => sig("abs", NUMBER, "number", "the absolute value of `x`"),
            Builtin::Round => sig(
                "round",
                &[p!("x", "number"), p!("digits", "int")],
                "decimal",
                "`x` rounded to `digits` decimal places, half away from zero",
            ),
            Builtin::MonthStart => sig(
                "month_start",
                DATE,
                "date",
                "the first day of `d`'s month (`count_distinct(month_start(orders.order_date))` counts active months)",
            ),
            Builtin::CountTrue => Signature {
                variadic: true,
                ..sig(
                    "count_true",
                    &[p!("c1", "bool"), p!("c2", "bool")],
                    "int",
                    "how many of the conditions are true; a missing one counts as not true",
                )
            },
            Builtin::Substr => sig(
                "substr",
                &[p!("s", "text"), p!("start", "int"), p!("length", "int")],
                "text",
                "`length` characters of `s` from character `start` (the first is 1); past the end, what is there",
            ),
        }
    }
}

impl PopFunc {
    pub fn signature(self) -> Signature {
        let (name, params, returns, meaning, sql): (_, &'static [Param], _, _, _) = match self {
            PopFunc::Total => ("total", NUMBER, "decimal", "the sum of `x` over every customer", "SUM(x) OVER ()"),
            PopFunc::Mean => ("mean", NUMBER, "decimal", "the mean of `x` over every customer", "AVG(x) OVER ()"),
            PopFunc::MinOf => ("min_of", NUMBER, "number", "the smallest `x` of every customer", "MIN(x) OVER ()"),
            PopFunc::MaxOf => ("max_of", NUMBER, "number", "the largest `x` of every customer", "MAX(x) OVER ()"),
            PopFunc::Count => ("count", &[], "int", "the number of customers", "COUNT(*) OVER ()"),
            PopFunc::Rank => (
                "rank",
                NUMBER,
                "int",
                "1 for the largest `x`; ties share a rank",
                "RANK() OVER (ORDER BY x DESC)",
            ),
            PopFunc::TopShare => (
                "top_share",
                NUMBER,
                "decimal",
                "the share of customers whose `x` is at least this one's: `top_share(revenue) <= 20%` is the top 20%",
                "CUME_DIST() OVER (ORDER BY x DESC)",
            ),
            PopFunc::CumulativeShare => (
                "cumulative_share",
                NUMBER,
                "decimal",
                "the share of the total `x` held by customers whose `x` is at least this one's (Pareto, ABC)",
                "SUM(x) OVER (ORDER BY x DESC RANGE UNBOUNDED PRECEDING) / SUM(x) OVER ()",
            ),
        };
        Signature {
            sql: Some(sql),
            ..sig(name, params, returns, meaning)
        }
    }
}

impl AggFunc {
    /// An aggregate over one `events` block, e.g. `sum(E.f [where C])`.
    pub fn signature(self) -> Signature {
        let (params, returns): (&'static [Param], _) = match self {
            AggFunc::Count => (&[p!("E", "")], "int"),
            AggFunc::Sum => (&[p!("E.f", "")], "number"),
            AggFunc::Avg => (&[p!("E.f", "")], "decimal"),
            AggFunc::Min | AggFunc::Max => (&[p!("E.f", "")], "number or date"),
            AggFunc::CountDistinct => (&[p!("x", "")], "int"),
        };
        Signature {
            tail: " [where C]",
            ..sig(self.name(), params, returns, self.doc())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The labels hover and completion have always shown.
    #[test]
    fn labels() {
        assert_eq!(
            Builtin::Round.signature().label(),
            "round(x: number, digits: int) -> decimal"
        );
        assert_eq!(
            Builtin::CountTrue.signature().label(),
            "count_true(c1: bool, c2: bool, …) -> int"
        );
        assert_eq!(PopFunc::Count.signature().label(), "count() -> int");
        assert_eq!(
            AggFunc::Sum.signature().label(),
            "sum(E.f [where C]) -> number"
        );
        let (call, at) = Builtin::Substr.signature().call_with_params();
        let labels: Vec<&str> = at.iter().filter_map(|r| call.get(r.clone())).collect();
        assert_eq!(labels, ["s: text", "start: int", "length: int"]);
    }

    #[test]
    fn every_name_matches_its_function() {
        for b in Builtin::ALL {
            assert_eq!(b.signature().name, b.name());
        }
        for f in PopFunc::ALL {
            assert_eq!(f.signature().name, f.name());
        }
        assert_eq!(Builtin::CountTrue.signature().param_of_argument(5), Some(1));
        assert_eq!(Builtin::Len.signature().param_of_argument(1), None);
    }
}
