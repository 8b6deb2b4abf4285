//! The pest parse tree of one chunk lowered to the typed AST: declarations, fields, rules,
//! literals and expressions, with spans into the source as typed.

use super::errors::trim_trivia_end;
use super::{Rule, Rule_, MAX_CHAIN};
use crate::ast::{
    Attr, BinOp, Bonus, Cond, Decl, DeclKind, Events, Expr, ExprKind, Field, Grade, Input, Let,
    Literal, Loc, Name, Points, PointsRule, Record, RecordEvents, Score, Term, Test, TestItem,
    UnOp,
};
use crate::date::{Date, Duration, DurationUnit};
use crate::diagnostic::Diagnostic;
use crate::fix::Fix;
use crate::normalize::SourceMap;
use crate::span::{Span, Spanned};
use crate::Decimal;
use pest::iterators::Pair;

pub(super) struct Lower<'s> {
    /// The source as typed (spans point into it); the grammar reads its normalised form.
    pub(super) orig: &'s str,
    pub(super) map: &'s SourceMap,
    pub(super) errors: Vec<Diagnostic>,
}

/// Children of a pair, without the keyword tokens (their position is implied by the rule).
pub(super) fn children<'i>(pair: Pair<'i, Rule>) -> impl Iterator<Item = Pair<'i, Rule>> {
    pair.into_inner().filter(|p| !is_kw_rule(p.as_rule()))
}

pub(super) fn is_kw_rule(r: Rule) -> bool {
    use Rule::*;
    matches!(
        r,
        kw_scheme
            | kw_as_of
            | kw_input
            | kw_let
            | kw_points
            | kw_score
            | kw_grade
            | kw_tags
            | kw_test
            | kw_by
            | kw_when
            | kw_otherwise
            | kw_weight
            | kw_bonus
            | kw_and
            | kw_or
            | kw_not
            | kw_in
            | kw_between
            | kw_within
            | kw_has
            | kw_is
            | kw_missing
            | kw_present
            | kw_if
            | kw_then
            | kw_else
            | kw_given
            | kw_expect
            | kw_today
            | kw_events
            | kw_where
            | kw_use
    )
}

impl<'s> Lower<'s> {
    /// The pair's span in the whole source, without the trailing whitespace and comments that
    /// pest includes in a rule followed by an optional repetition.
    pub(super) fn span(&self, pair: &Pair<'_, Rule>, offset: usize) -> Span {
        self.map.span(self.raw_span(pair, offset))
    }

    /// The pair's span in the normalised text the grammar reads.
    pub(super) fn raw_span(&self, pair: &Pair<'_, Rule>, offset: usize) -> Span {
        let s = pair.as_span();
        let len = trim_trivia_end(s.as_str());
        Span::new(s.start() + offset, s.start() + len + offset)
    }

    pub(super) fn name(&self, pair: &Pair<'_, Rule>, offset: usize) -> Name {
        Spanned::new(pair.as_str().to_string(), self.span(pair, offset))
    }

    pub(super) fn error(&mut self, code: &'static str, message: String, span: Span) {
        self.errors.push(Diagnostic::error(code, message, span));
    }

    /// The `///` lines right above `start` (blank lines break the block).
    pub(super) fn doc_before(&self, start: usize) -> Option<String> {
        let before = &self.orig[..crate::span::clamp_to_char_boundary(self.orig, start)];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        if !before[line_start..]
            .trim_matches(crate::is_layout)
            .is_empty()
        {
            return None;
        }
        let mut lines: Vec<&str> = Vec::new();
        let mut text = &before[..line_start];
        while !text.is_empty() {
            let body = text.strip_suffix('\n').unwrap_or(text);
            let body = body.strip_suffix('\r').unwrap_or(body);
            let ls = body.rfind('\n').map_or(0, |i| i + 1);
            let line = body[ls..].trim_matches(crate::is_layout);
            match line.strip_prefix("///") {
                Some(doc) if !doc.starts_with('/') => {
                    lines.push(doc.strip_prefix(' ').unwrap_or(doc));
                    text = &body[..ls];
                }
                _ => break,
            }
        }
        if lines.is_empty() {
            return None;
        }
        lines.reverse();
        Some(lines.join("\n"))
    }

    pub(super) fn decl(&mut self, pair: Pair<'_, Rule>, off: usize) -> Option<Decl> {
        let span = self.span(&pair, off);
        let doc = self.doc_before(span.start);
        let rule = pair.as_rule();
        let mut it = children(pair);
        let kind = match rule {
            Rule::scheme_decl => DeclKind::Scheme(self.string(it.next()?, off)),
            Rule::use_decl => DeclKind::Use(self.string(it.next()?, off)),
            Rule::as_of_decl => DeclKind::AsOf(self.date(it.next()?, off)),
            Rule::input_decl => {
                let fields = it.map(|f| self.field(f, off)).collect::<Option<Vec<_>>>()?;
                DeclKind::Input(Input { fields })
            }
            Rule::events_decl => {
                let name = self.name(&it.next()?, off);
                let mut label = None;
                let mut by = None;
                let mut fields = Vec::new();
                for p in it {
                    match p.as_rule() {
                        Rule::string => label = Some(self.string(p, off)),
                        Rule::ident => by = Some(self.name(&p, off)),
                        Rule::field => fields.push(self.field(p, off)?),
                        _ => {}
                    }
                }
                DeclKind::Events(Events {
                    name,
                    label,
                    by: by?,
                    fields,
                })
            }
            Rule::let_decl => {
                let name = self.name(&it.next()?, off);
                let value = self.expr(it.next()?, off)?;
                DeclKind::Let(Let { name, value })
            }
            Rule::points_decl => {
                let name = self.name(&it.next()?, off);
                let mut by = None;
                let mut rules = Vec::new();
                for p in it {
                    match p.as_rule() {
                        Rule::by_clause => by = Some(self.expr(children(p).next()?, off)?),
                        Rule::points_rule => {
                            let loc = Loc(self.span(&p, off));
                            let mut pi = children(p);
                            let value = self.signed_number(pi.next()?, off);
                            let cond = self.cond(pi.next()?, off)?;
                            rules.push(PointsRule { value, cond, loc });
                        }
                        _ => {}
                    }
                }
                DeclKind::Points(Points { name, by, rules })
            }
            Rule::score_decl => {
                let name = self.name(&it.next()?, off);
                let mut label = None;
                let mut terms = Vec::new();
                let mut bonuses = Vec::new();
                for p in it {
                    match p.as_rule() {
                        Rule::string => label = Some(self.string(p, off)),
                        Rule::score_term => {
                            let loc = Loc(self.span(&p, off));
                            let mut ti = children(p);
                            let expr = self.expr(ti.next()?, off)?;
                            let weight = self.signed_number(ti.next()?, off);
                            let bonus = match ti.next() {
                                Some(b) => Some(self.bonus(b, off)?),
                                None => None,
                            };
                            terms.push(Term {
                                expr,
                                weight,
                                bonus,
                                loc,
                            });
                        }
                        Rule::bonus => bonuses.push(self.bonus(p, off)?),
                        _ => {}
                    }
                }
                DeclKind::Score(Score {
                    name,
                    label,
                    terms,
                    bonuses,
                })
            }
            Rule::grade_decl | Rule::tags_decl => {
                let name = self.name(&it.next()?, off);
                let mut label = None;
                let mut by = None;
                let mut rules = Vec::new();
                for p in it {
                    match p.as_rule() {
                        Rule::string => label = Some(self.string(p, off)),
                        Rule::by_clause => by = Some(self.expr(children(p).next()?, off)?),
                        Rule::grade_rule => rules.push(self.grade_rule(p, off)?),
                        _ => {}
                    }
                }
                DeclKind::Grade(Grade {
                    is_tags: rule == Rule::tags_decl,
                    name,
                    label,
                    by,
                    rules,
                })
            }
            Rule::test_decl => {
                let name = self.string(it.next()?, off);
                let mut items = Vec::new();
                for p in it {
                    let sp = self.span(&p, off);
                    match p.as_rule() {
                        Rule::given => {
                            let inner = children(p).next()?;
                            let many = inner.as_rule() == Rule::record_list;
                            let records = if many {
                                children(inner)
                                    .map(|r| self.record(r, off))
                                    .collect::<Option<Vec<_>>>()?
                            } else {
                                vec![self.record(inner, off)?]
                            };
                            items.push(TestItem::Given {
                                records,
                                many,
                                loc: Loc(sp),
                            });
                        }
                        Rule::test_as_of => {
                            items.push(TestItem::AsOf(self.date(children(p).next()?, off)))
                        }
                        Rule::expect => {
                            items.push(TestItem::Expect(self.expr(children(p).next()?, off)?))
                        }
                        _ => {}
                    }
                }
                DeclKind::Test(Test { name, items })
            }
            _ => return None,
        };
        Some(Decl {
            kind,
            doc,
            loc: Loc(span),
        })
    }

    pub(super) fn field(&mut self, pair: Pair<'_, Rule>, off: usize) -> Option<Field> {
        let span = self.span(&pair, off);
        let doc = self.doc_before(span.start);
        let mut it = children(pair);
        let name = self.name(&it.next()?, off);
        let ty = self.name(&it.next()?, off);
        let mut field = Field {
            name,
            ty,
            optional: false,
            key: None,
            header: None,
            doc,
            loc: Loc(span),
        };
        for p in it {
            let sp = self.span(&p, off);
            match p.as_rule() {
                Rule::optional_mark => field.optional = true,
                Rule::key_mark => {
                    if field.key.is_some() {
                        // the repeat goes, with the space before it
                        let bytes = self.orig.as_bytes();
                        let mut start = sp.start;
                        while start > 0 && matches!(bytes.get(start - 1), Some(b' ' | b'\t')) {
                            start -= 1;
                        }
                        self.errors.push(
                            Diagnostic::error("duplicate-key-mark", "`key` is written twice", sp)
                                .with_help("one `key` marks the field")
                                .with_fix(Fix::safe(
                                    "remove the second `key`",
                                    Span::new(start, sp.end),
                                    "",
                                )),
                        );
                    }
                    field.key = Some(Loc(sp));
                }
                Rule::string => {
                    if field.header.is_some() {
                        self.errors.push(
                            Diagnostic::error(
                                "duplicate-header",
                                format!("field `{}` has two column headers", field.name.node),
                                sp,
                            )
                            .with_help("a field reads one column: keep the header the data has"),
                        );
                    }
                    field.header = Some(self.string(p, off));
                }
                _ => {}
            }
        }
        Some(field)
    }

    pub(super) fn grade_rule(&mut self, pair: Pair<'_, Rule>, off: usize) -> Option<Rule_> {
        let span = self.span(&pair, off);
        let doc = self.doc_before(span.start);
        let mut it = children(pair);
        let code = self.name(&it.next()?, off);
        let mut label = None;
        let mut cond = None;
        let mut attrs = Vec::new();
        for p in it {
            match p.as_rule() {
                Rule::string => label = Some(self.string(p, off)),
                Rule::when_cond | Rule::otherwise => cond = Some(self.cond(p, off)?),
                Rule::attrs => {
                    for a in children(p) {
                        let mut ai = children(a);
                        let key = self.name(&ai.next()?, off);
                        let value = self.literal_value(ai.next()?, off)?;
                        attrs.push(Attr { key, value });
                    }
                }
                _ => {}
            }
        }
        Some(Rule_ {
            code,
            label,
            cond: cond?,
            attrs,
            doc,
            loc: Loc(span),
        })
    }

    pub(super) fn cond(&mut self, pair: Pair<'_, Rule>, off: usize) -> Option<Cond> {
        let span = self.span(&pair, off);
        match pair.as_rule() {
            Rule::otherwise => Some(Cond::Otherwise(Loc(span))),
            Rule::when_cond => {
                let inner = children(pair).next()?;
                if inner.as_rule() == Rule::subject_cond {
                    let tail = children(inner).next()?;
                    let at = self.span(&tail, off).start;
                    let subject = Expr::new(ExprKind::Subject, Span::point(at));
                    Some(Cond::When(self.cmp_tail(subject, tail, off)?))
                } else {
                    Some(Cond::When(self.expr(inner, off)?))
                }
            }
            _ => None,
        }
    }

    pub(super) fn bonus(&mut self, pair: Pair<'_, Rule>, off: usize) -> Option<Bonus> {
        let loc = Loc(self.span(&pair, off));
        let mut it = children(pair);
        let factor = self.signed_number(it.next()?, off);
        let cond = self.expr(it.next()?, off)?;
        Some(Bonus { factor, cond, loc })
    }

    pub(super) fn record(&mut self, pair: Pair<'_, Rule>, off: usize) -> Option<Record> {
        let loc = Loc(self.span(&pair, off));
        let mut fields = Vec::new();
        let mut events = Vec::new();
        for f in children(pair) {
            let field_loc = Loc(self.span(&f, off));
            let mut fi = children(f);
            let name = self.name(&fi.next()?, off);
            let value = fi.next()?;
            if value.as_rule() == Rule::record_list {
                let records = children(value)
                    .map(|r| self.record(r, off))
                    .collect::<Option<Vec<_>>>()?;
                events.push(RecordEvents {
                    name,
                    records,
                    loc: field_loc,
                });
            } else {
                fields.push((name, self.literal_value(value, off)?));
            }
        }
        Some(Record {
            fields,
            events,
            loc,
        })
    }

    pub(super) fn literal_value(
        &mut self,
        pair: Pair<'_, Rule>,
        off: usize,
    ) -> Option<Spanned<Literal>> {
        let span = self.span(&pair, off);
        let inner = pair.into_inner().next()?;
        if inner.as_rule() == Rule::neg_literal {
            let n = inner.into_inner().next()?;
            let lit = self.literal(n, off)?;
            let lit = match lit {
                Literal::Int(d) => Literal::Int(-d),
                Literal::Decimal(d) => Literal::Decimal(-d),
                other => other,
            };
            return Some(Spanned::new(lit, span));
        }
        Some(Spanned::new(self.literal(inner, off)?, span))
    }

    pub(super) fn signed_number(&mut self, pair: Pair<'_, Rule>, off: usize) -> Spanned<Decimal> {
        let span = self.span(&pair, off);
        let mut neg = false;
        let mut value = Decimal::ZERO;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::neg_sign => neg = true,
                Rule::percent | Rule::number_lit => {
                    value = match self.literal(p, off) {
                        Some(Literal::Int(d) | Literal::Decimal(d)) => d,
                        _ => Decimal::ZERO,
                    }
                }
                _ => {}
            }
        }
        Spanned::new(if neg { -value } else { value }, span)
    }

    pub(super) fn string(&mut self, pair: Pair<'_, Rule>, off: usize) -> Spanned<String> {
        let span = self.span(&pair, off);
        let raw_span = self.raw_span(&pair, off);
        let raw = pair.into_inner().next().map(|p| p.as_str()).unwrap_or("");
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.char_indices();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some((_, '"')) => out.push('"'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((j, other)) => {
                    let at = raw_span.start + 1 + i;
                    self.errors.push(
                        Diagnostic::error(
                            "bad-escape",
                            format!("unknown escape `\\{other}`"),
                            self.map
                                .span(Span::new(at, raw_span.start + 1 + j + other.len_utf8())),
                        )
                        .with_help("the escapes are `\\\"`, `\\\\`, `\\n` and `\\t`"),
                    );
                    out.push(other);
                }
                None => {}
            }
        }
        Spanned::new(out, span)
    }

    pub(super) fn date(&mut self, pair: Pair<'_, Rule>, off: usize) -> Spanned<Date> {
        let span = self.span(&pair, off);
        match Date::parse(pair.as_str()) {
            Some(d) => Spanned::new(d, span),
            None => {
                self.errors.push(
                    Diagnostic::error(
                        "bad-date",
                        format!("`{}` is not a calendar date", pair.as_str()),
                        span,
                    )
                    .with_help(
                        "dates are `YYYY-MM-DD` with a real month and day, e.g. `2024-02-29`",
                    ),
                );
                Spanned::new(Date(0), span)
            }
        }
    }

    pub(super) fn number(&mut self, text: &str, span: Span) -> Decimal {
        let clean: String = text.chars().filter(|c| *c != '_').collect();
        match clean.parse::<Decimal>() {
            Ok(d) => d,
            Err(_) => {
                self.out_of_range(text, span);
                Decimal::ZERO
            }
        }
    }

    pub(super) fn out_of_range(&mut self, text: &str, span: Span) {
        self.errors.push(
            Diagnostic::error(
                "number-out-of-range",
                format!("the number `{text}` is too large"),
                span,
            )
            .with_help("numbers have at most 38 significant digits and 38 decimal places"),
        );
    }

    pub(super) fn literal(&mut self, pair: Pair<'_, Rule>, off: usize) -> Option<Literal> {
        let span = self.span(&pair, off);
        Some(match pair.as_rule() {
            Rule::date => Literal::Date(self.date(pair, off).node),
            Rule::duration => {
                let text = pair.as_str();
                let digits_end = text
                    .find(|c: char| c.is_ascii_alphabetic())
                    .unwrap_or(text.len());
                let unit = match &text[digits_end..] {
                    "d" => DurationUnit::Day,
                    "w" => DurationUnit::Week,
                    "mo" => DurationUnit::Month,
                    _ => DurationUnit::Year,
                };
                let n: String = text[..digits_end].chars().filter(|c| *c != '_').collect();
                let count = match n.parse::<i64>() {
                    Ok(c) if c <= 1_000_000 => c,
                    _ => {
                        self.error(
                            "number-out-of-range",
                            format!("the duration `{text}` is too long"),
                            span,
                        );
                        0
                    }
                };
                Literal::Duration(Duration { count, unit })
            }
            Rule::percent => {
                let text = pair.as_str().trim_end_matches('%');
                let d = self.number(text, span);
                // `12.5%` is 0.125 and `50%` 0.50: two more places
                let shift = |d: Decimal| Decimal::from_parts(d.mantissa(), d.scale() + 2);
                match shift(d).or_else(|| shift(d.normalize())) {
                    Some(p) => Literal::Decimal(p),
                    None => {
                        self.out_of_range(pair.as_str(), span);
                        Literal::Decimal(Decimal::ZERO)
                    }
                }
            }
            Rule::number_lit => {
                let text = pair.as_str();
                let (digits, places) = crate::numbers::split_multiplier(text);
                let d = self.number(digits, span);
                let Some(d) = crate::numbers::times_ten_to(d, places) else {
                    self.out_of_range(text, span);
                    return Some(Literal::Int(Decimal::ZERO));
                };
                // `1.5万` is the integer 15000; `1.23456万` is 12345.6
                if (places == 0 && text.contains('.')) || d.scale() > 0 {
                    Literal::Decimal(d)
                } else {
                    Literal::Int(d)
                }
            }
            Rule::string => Literal::Text(self.string(pair, off).node),
            Rule::boolean => Literal::Bool(pair.as_str().trim() == "true"),
            _ => return None,
        })
    }

    pub(super) fn expr(&mut self, pair: Pair<'_, Rule>, off: usize) -> Option<Expr> {
        let span = self.span(&pair, off);
        match pair.as_rule() {
            Rule::expr => self.expr(pair.into_inner().next()?, off),
            Rule::or_expr | Rule::and_expr => {
                self.chain_limit(&pair, off)?;
                let op = if pair.as_rule() == Rule::or_expr {
                    BinOp::Or
                } else {
                    BinOp::And
                };
                let mut it = children(pair);
                let mut acc = self.expr(it.next()?, off)?;
                for rhs in it {
                    let rhs = self.expr(rhs, off)?;
                    let sp = acc.span().to(rhs.span());
                    acc = Expr::new(ExprKind::Binary(op, Box::new(acc), Box::new(rhs)), sp);
                }
                Some(acc)
            }
            Rule::not_expr => {
                let mut it = pair.into_inner();
                let first = it.next()?;
                if first.as_rule() == Rule::not_op {
                    let inner = self.expr(it.next()?, off)?;
                    Some(Expr::new(ExprKind::Unary(UnOp::Not, Box::new(inner)), span))
                } else {
                    self.expr(first, off)
                }
            }
            Rule::cmp_expr => {
                let mut it = pair.into_inner();
                let lhs = self.expr(it.next()?, off)?;
                match it.next() {
                    Some(tail) => self.cmp_tail(lhs, tail, off),
                    None => Some(lhs),
                }
            }
            Rule::coalesce | Rule::additive | Rule::multiplicative => {
                self.chain_limit(&pair, off)?;
                let mut it = pair.into_inner();
                let mut acc = self.expr(it.next()?, off)?;
                while let Some(op) = it.next() {
                    let op = match op.as_str() {
                        "??" => BinOp::Coalesce,
                        "+" => BinOp::Add,
                        "-" => BinOp::Sub,
                        "*" => BinOp::Mul,
                        _ => BinOp::Div,
                    };
                    let rhs = self.expr(it.next()?, off)?;
                    let sp = acc.span().to(rhs.span());
                    acc = Expr::new(ExprKind::Binary(op, Box::new(acc), Box::new(rhs)), sp);
                }
                Some(acc)
            }
            Rule::unary => {
                let mut it = pair.into_inner();
                let first = it.next()?;
                if first.as_rule() == Rule::neg_op {
                    let inner = self.expr(it.next()?, off)?;
                    Some(Expr::new(ExprKind::Unary(UnOp::Neg, Box::new(inner)), span))
                } else {
                    self.expr(first, off)
                }
            }
            Rule::postfix => {
                let mut it = pair.into_inner();
                let mut acc = self.expr(it.next()?, off)?;
                for p in it {
                    let sp = acc.span().to(self.span(&p, off));
                    let rule = p.as_rule();
                    let inner = p.into_inner().next()?;
                    acc = if rule == Rule::attr_access {
                        let name = self.name(&inner, off);
                        Expr::new(ExprKind::Attr(Box::new(acc), name), sp)
                    } else {
                        let idx = self.expr(inner, off)?;
                        Expr::new(ExprKind::Index(Box::new(acc), Box::new(idx)), sp)
                    };
                }
                Some(acc)
            }
            Rule::if_expr => {
                let mut it = children(pair);
                let c = self.expr(it.next()?, off)?;
                let a = self.expr(it.next()?, off)?;
                let b = self.expr(it.next()?, off)?;
                Some(Expr::new(
                    ExprKind::If(Box::new(c), Box::new(a), Box::new(b)),
                    span,
                ))
            }
            Rule::paren => {
                let inner = self.expr(pair.into_inner().next()?, off)?;
                Some(Expr::new(ExprKind::Paren(Box::new(inner)), span))
            }
            Rule::list => {
                let items = pair
                    .into_inner()
                    .map(|p| self.expr(p, off))
                    .collect::<Option<Vec<_>>>()?;
                Some(Expr::new(ExprKind::List(items), span))
            }
            Rule::call => {
                let mut it = pair.into_inner();
                let func = self.name(&it.next()?, off);
                let mut args = Vec::new();
                let mut within = None;
                let mut filter = None;
                for p in it {
                    match p.as_rule() {
                        Rule::partition => {
                            let id = children(p).next()?;
                            within = Some(self.name(&id, off));
                        }
                        Rule::agg_filter => {
                            let cond = children(p).next()?;
                            filter = Some(Box::new(self.expr(cond, off)?));
                        }
                        _ => args.push(self.expr(p, off)?),
                    }
                }
                let call = ExprKind::Call {
                    func,
                    args,
                    filter,
                    within,
                };
                Some(Expr::new(call, span))
            }
            Rule::today => Some(Expr::new(ExprKind::Today, span)),
            Rule::missing_lit => Some(Expr::new(ExprKind::Missing, span)),
            Rule::name => Some(Expr::new(ExprKind::Name(pair.as_str().to_string()), span)),
            _ => {
                let lit = self.literal(pair, off)?;
                Some(Expr::new(ExprKind::Lit(lit), span))
            }
        }
    }

    /// Refuses a chain of more than [`MAX_CHAIN`] operands before it becomes a deep tree.
    pub(super) fn chain_limit(&mut self, pair: &Pair<'_, Rule>, off: usize) -> Option<()> {
        let operands = pair
            .clone()
            .into_inner()
            .filter(|p| {
                !is_kw_rule(p.as_rule())
                    && !matches!(p.as_rule(), Rule::add_op | Rule::mul_op | Rule::coalesce_op)
            })
            .count();
        if operands > MAX_CHAIN {
            let span = self.span(pair, off);
            self.errors.push(
                Diagnostic::error(
                    "too-deep",
                    format!("this expression chains {operands} values"),
                    span,
                )
                .with_help(format!(
                    "one chain of operators takes at most {MAX_CHAIN} values; split it with `let`"
                )),
            );
            return None;
        }
        Some(())
    }

    pub(super) fn cmp_tail(&mut self, lhs: Expr, tail: Pair<'_, Rule>, off: usize) -> Option<Expr> {
        let tail_span = self.span(&tail, off);
        let span = lhs.span().to(tail_span);
        let rule = tail.as_rule();
        let mut it = children(tail);
        let kind = match rule {
            Rule::cmp_binary => {
                let op = match it.next()?.as_str() {
                    "==" => BinOp::Eq,
                    "!=" => BinOp::Ne,
                    "<" => BinOp::Lt,
                    "<=" => BinOp::Le,
                    ">" => BinOp::Gt,
                    _ => BinOp::Ge,
                };
                let rhs = self.expr(it.next()?, off)?;
                ExprKind::Binary(op, Box::new(lhs), Box::new(rhs))
            }
            Rule::not_in | Rule::in_op | Rule::within | Rule::has_op => {
                let op = match rule {
                    Rule::not_in => BinOp::NotIn,
                    Rule::in_op => BinOp::In,
                    Rule::within => BinOp::Within,
                    _ => BinOp::Has,
                };
                let rhs = self.expr(it.next()?, off)?;
                ExprKind::Binary(op, Box::new(lhs), Box::new(rhs))
            }
            Rule::within_next => {
                let rhs = it.find(|p| p.as_rule() != Rule::next_word)?;
                let rhs = self.expr(rhs, off)?;
                ExprKind::Binary(BinOp::WithinNext, Box::new(lhs), Box::new(rhs))
            }
            Rule::between => {
                let lo = self.expr(it.next()?, off)?;
                let hi = self.expr(it.next()?, off)?;
                ExprKind::Between(Box::new(lhs), Box::new(lo), Box::new(hi))
            }
            Rule::is_missing => ExprKind::Is {
                expr: Box::new(lhs),
                present: false,
            },
            Rule::is_present => ExprKind::Is {
                expr: Box::new(lhs),
                present: true,
            },
            _ => return None,
        };
        Some(Expr::new(kind, span))
    }
}
