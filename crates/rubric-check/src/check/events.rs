//! `events` blocks and the aggregates over them (LANGUAGE.md §7): collecting the blocks,
//! resolving `orders.amount`, typing `count/sum/avg/min/max/count_distinct(… where …)`, and the
//! events a test customer is given.

use super::{error_expr, literal_ty, Checker, Ctx};
use crate::hir::*;
use rubric_syntax::ast::{self, DeclKind, Expr, ExprKind, Literal};
use rubric_syntax::diagnostic::did_you_mean;
use rubric_syntax::fix::Fix;
use rubric_syntax::{Diagnostic, Span};

/// The scalar field types, by the name written in a field.
pub(super) fn scalar_ty(name: &str) -> Option<Ty> {
    Some(match name {
        "text" => Ty::Text,
        "int" => Ty::Int,
        "decimal" => Ty::Decimal,
        "bool" => Ty::Bool,
        "date" => Ty::Date,
        _ => return None,
    })
}

const AGG_HELP: &str =
    "aggregates over events are count(E), sum(E.f), avg(E.f), min(E.f), max(E.f) and count_distinct(x), each with an optional `where` filter";

impl Checker<'_> {
    /// Declares every `events` block: its name, its fields, and the key it is joined by.
    pub(super) fn collect_events(&mut self) {
        let decls = self.decls.clone();
        for d in decls {
            let DeclKind::Events(e) = &d.kind else {
                continue;
            };
            let id = self.model.events.len();
            if let Some(prev) = self.names.get(&e.name.node).copied() {
                let first = self.symbol_span(prev).unwrap_or(e.name.span);
                self.err(
                    Diagnostic::error(
                        "duplicate-name",
                        format!("`{}` is already declared", e.name.node),
                        e.name.span,
                    )
                    .with_related(first, "first declared here"),
                );
                continue;
            }
            self.names.insert(e.name.node.clone(), Symbol::Events(id));
            self.model.refs.push(Reference {
                span: e.name.span,
                symbol: Symbol::Events(id),
                is_definition: true,
            });
            let key = self.events_key(e);
            let key_column = key.map(|k| self.model.fields[k].column.clone());
            let mut fields: Vec<FieldDef> = Vec::new();
            for f in &e.fields {
                let ty = match scalar_ty(&f.ty.node) {
                    Some(ty) => ty,
                    None => {
                        let other = &f.ty.node;
                        let mut diag = Diagnostic::error(
                            "unknown-type",
                            format!("unknown type `{other}`"),
                            f.ty.span,
                        );
                        diag = match did_you_mean(other, ["text", "int", "decimal", "bool", "date"])
                        {
                            Some(s) => diag.with_suggestion(s),
                            None => diag.with_help(
                                "event fields are `text`, `int`, `decimal`, `bool` or `date`",
                            ),
                        };
                        self.err(diag);
                        Ty::Error
                    }
                };
                if let Some(k) = &f.key {
                    let by = e.by.node.clone();
                    self.err(
                        Diagnostic::error(
                            "events-field-key",
                            format!(
                                "the events of `{}` are keyed by `{by}`, not by a field of their own",
                                e.name.node
                            ),
                            k.0,
                        )
                        .with_help("remove `key`: `by` names the customer each event belongs to")
                        .with_fix(Fix::safe("remove `key`", k.0, "")),
                    );
                }
                if let Some(prev) = fields.iter().find(|p| p.name == f.name.node) {
                    let first = prev.span;
                    self.err(
                        Diagnostic::error(
                            "duplicate-name",
                            format!("field `{}` is declared twice", f.name.node),
                            f.name.span,
                        )
                        .with_related(first, "first declared here"),
                    );
                    continue;
                }
                let column = f
                    .header
                    .as_ref()
                    .map_or_else(|| f.name.node.clone(), |h| h.node.clone());
                if key_column.as_deref() == Some(column.as_str())
                    || fields.iter().any(|p| p.column == column)
                {
                    let span = f.header.as_ref().map_or(f.name.span, |h| h.span);
                    self.err(
                        Diagnostic::error(
                            "duplicate-column",
                            format!("two fields of `{}` read the column `{column}`", e.name.node),
                            span,
                        )
                        .with_help(format!(
                            "the key column `{column}` is read through `by {}`; remove this field",
                            e.by.node
                        )),
                    );
                    continue;
                }
                let field = fields.len();
                self.model.refs.push(Reference {
                    span: f.name.span,
                    symbol: Symbol::EventField { events: id, field },
                    is_definition: true,
                });
                fields.push(FieldDef {
                    name: f.name.node.clone(),
                    column,
                    ty,
                    optional: f.optional,
                    is_key: false,
                    span: f.name.span,
                    doc: f.doc.clone(),
                    agg: None,
                    codes: None,
                });
            }
            self.model.events.push(EventsDef {
                name: e.name.node.clone(),
                label: e.label.as_ref().map(|l| l.node.clone()),
                key,
                fields,
                span: e.name.span,
                decl_span: d.span(),
                doc: d.doc.clone(),
            });
        }
    }

    /// The input key an `events` block names in `by`, or an error.
    fn events_key(&mut self, e: &ast::Events) -> Option<FieldId> {
        let by = &e.by;
        match self.names.get(&by.node).copied() {
            Some(Symbol::Field(f)) if self.model.key == Some(f) => {
                self.model.refs.push(Reference {
                    span: by.span,
                    symbol: Symbol::Field(f),
                    is_definition: false,
                });
                Some(f)
            }
            _ if self.model.key.is_none() => None,
            _ => {
                let key = self.model.key.map(|k| self.model.fields[k].name.clone());
                let key = key.unwrap_or_default();
                self.err(
                    Diagnostic::error(
                        "events-key",
                        format!(
                            "the events of `{}` must be joined by the input's key `{key}`, not `{}`",
                            e.name.node, by.node
                        ),
                        by.span,
                    )
                    .with_help(format!(
                        "each event belongs to one customer, named by the key: write `by {key}`"
                    ))
                    .with_fix(Fix::safe(format!("write `by {key}`"), by.span, key.clone())),
                );
                None
            }
        }
    }

    fn symbol_span(&self, s: Symbol) -> Option<Span> {
        match s {
            Symbol::Field(f) => self.model.fields.get(f).map(|f| f.span),
            Symbol::Item(i) => self.model.items.get(i).map(|i| i.span),
            Symbol::Events(e) => self.model.events.get(e).map(|e| e.span),
            _ => None,
        }
    }

    fn events_named(&self, name: &str) -> Option<EventsId> {
        match self.names.get(name) {
            Some(Symbol::Events(e)) => Some(*e),
            _ => None,
        }
    }

    /// The first `events` block an expression names (`orders` in `orders.amount > 0`).
    fn events_in(&self, e: &Expr) -> Option<EventsId> {
        match &e.kind {
            ExprKind::Name(n) => self.events_named(n),
            ExprKind::Lit(_) | ExprKind::Today | ExprKind::Subject | ExprKind::Missing => None,
            ExprKind::List(items) => items.iter().find_map(|x| self.events_in(x)),
            ExprKind::Paren(x) | ExprKind::Unary(_, x) | ExprKind::Is { expr: x, .. } => {
                self.events_in(x)
            }
            ExprKind::Attr(x, _) => self.events_in(x),
            ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => {
                self.events_in(a).or_else(|| self.events_in(b))
            }
            ExprKind::Between(a, b, c) | ExprKind::If(a, b, c) => self
                .events_in(a)
                .or_else(|| self.events_in(b))
                .or_else(|| self.events_in(c)),
            ExprKind::Call { args, filter, .. } => args
                .iter()
                .chain(filter.as_deref())
                .find_map(|x| self.events_in(x)),
        }
    }

    /// An aggregate call (`sum(orders.amount where …)`), or `None` when the call is not one
    /// (`min(a, b)`, `count()`) and is checked as a function or a population function.
    pub(super) fn aggregate(
        &mut self,
        func: &ast::Name,
        args: &[Expr],
        filter: Option<&Expr>,
        within: &Option<ast::Name>,
        span: Span,
        ctx: Ctx,
    ) -> Option<TExpr> {
        let agg = AggFunc::from_name(&func.node)?;
        // (without events, `count(x)` and `min(x)` are the customer functions misused, and
        // their own errors say so)
        let no_events = self.model.events.is_empty();
        let is_agg = match agg {
            AggFunc::Count | AggFunc::Min | AggFunc::Max if no_events => false,
            // `count()` counts customers; `count(orders)` counts events
            AggFunc::Count => !args.is_empty() || filter.is_some(),
            // `min(a, b)` is the smaller of two values
            AggFunc::Min | AggFunc::Max => args.len() == 1 || filter.is_some(),
            AggFunc::Sum | AggFunc::Avg | AggFunc::CountDistinct => true,
        };
        if !is_agg {
            return None;
        }
        self.model.refs.push(Reference {
            span: func.span,
            symbol: Symbol::Agg(agg),
            is_definition: false,
        });
        if let Some(outer) = ctx.events {
            let name = self.model.events[outer].name.clone();
            self.err(
                Diagnostic::error(
                    "aggregate-mixes-blocks",
                    format!("an aggregate cannot contain another aggregate (inside an aggregate over `{name}`)"),
                    span,
                )
                .with_help("compute each aggregate on its own in a `let`, then combine the lets"),
            );
            return Some(error_expr(span));
        }
        if let Some(w) = within {
            self.err(
                Diagnostic::error(
                    "within-not-population",
                    format!(
                        "`within {}` partitions a population function; `{}` aggregates one customer's events",
                        w.node, func.node
                    ),
                    w.span,
                )
                .with_help("remove `within`: an aggregate is already per customer"),
            );
        }
        if args.len() != 1 {
            let shape = match agg {
                AggFunc::Count => "count(orders)".to_string(),
                f => format!("{}(orders.amount)", f.name()),
            };
            self.err(
                Diagnostic::error(
                    "wrong-arguments",
                    format!(
                        "`{}` over events takes one argument, found {}",
                        func.node,
                        args.len()
                    ),
                    span,
                )
                .with_help(format!(
                    "call it as `{shape}`, optionally with `where …` before `)`"
                )),
            );
            return Some(error_expr(span));
        }
        let arg = &args[0];
        let Some(events) = self.events_in(arg) else {
            let _ = self.expr(arg, ctx);
            let help = match agg {
                AggFunc::Sum => "`sum` adds up a customer's events, as in `sum(orders.amount)`; the sum over every customer is `total(x)`".to_string(),
                AggFunc::Avg => "`avg` averages a customer's events, as in `avg(orders.amount)`; the mean over every customer is `mean(x)`".to_string(),
                AggFunc::Min | AggFunc::Max => format!(
                    "`{0}(orders.amount)` is the {1} over a customer's events; the {1} of two values is `{0}(a, b)`, over every customer `{0}_of(x)`",
                    agg.name(),
                    if agg == AggFunc::Min { "smallest" } else { "largest" }
                ),
                _ => format!("name an `events` block, as in `{}(orders)`", agg.name()),
            };
            let what = if self.model.events.is_empty() {
                "the scheme declares no `events` block".to_string()
            } else {
                "its argument names no `events` block".to_string()
            };
            self.err(
                Diagnostic::error(
                    "not-events",
                    format!("`{}` aggregates events, but {what}", func.node),
                    arg.span(),
                )
                .with_help(help),
            );
            return Some(error_expr(span));
        };
        let inner = Ctx {
            subject: None,
            events: Some(events),
            ..ctx
        };
        let targ = if agg == AggFunc::Count {
            match &arg.kind {
                ExprKind::Name(n) if self.events_named(n) == Some(events) => {
                    self.model.refs.push(Reference {
                        span: arg.span(),
                        symbol: Symbol::Events(events),
                        is_definition: false,
                    });
                    None
                }
                _ => {
                    let ename = self.model.events[events].name.clone();
                    self.err(
                        Diagnostic::error(
                            "wrong-arguments",
                            format!("`count` counts the events of a block: write `count({ename})`"),
                            arg.span(),
                        )
                        .with_help(format!(
                            "to count the events with a value, write `count({ename} where {} is present)`",
                            self.source_of(arg)
                        )),
                    );
                    return Some(error_expr(span));
                }
            }
        } else {
            Some(self.expr(arg, inner))
        };
        let tfilter = filter.map(|f| {
            let t = self.expr(f, inner);
            self.expect_bool(&t, "a `where` filter");
            t
        });
        let (ty, nullable) = match (agg, &targ) {
            (AggFunc::Count | AggFunc::CountDistinct, _) => (Ty::Int, false),
            (_, None) => (Ty::Error, false),
            (AggFunc::Sum, Some(a)) => (a.ty.clone(), false),
            (AggFunc::Avg, Some(_)) => (Ty::Decimal, true),
            (AggFunc::Min | AggFunc::Max, Some(a)) => (a.ty.clone(), true),
        };
        if let Some(a) = &targ {
            let allowed: &[Ty] = match agg {
                AggFunc::Sum | AggFunc::Avg => &[Ty::Int, Ty::Decimal],
                AggFunc::Min | AggFunc::Max => &[Ty::Int, Ty::Decimal, Ty::Date],
                _ => &[Ty::Int, Ty::Decimal, Ty::Date, Ty::Text, Ty::Bool],
            };
            if a.ty != Ty::Error && !allowed.contains(&a.ty) {
                let found = a.ty.describe(&self.model);
                let names: Vec<String> = allowed.iter().map(|t| t.describe(&self.model)).collect();
                self.err(
                    Diagnostic::error(
                        "type-mismatch",
                        format!(
                            "`{}` expects {}, found {found}",
                            func.node,
                            names.join(" or ")
                        ),
                        a.span,
                    )
                    .with_help(AGG_HELP),
                );
                return Some(error_expr(span));
            }
        }
        let id = self.model.aggs.len();
        self.model.aggs.push(AggDef {
            func: agg,
            events,
            arg: targ,
            filter: tfilter,
            ty: ty.clone(),
            span,
        });
        Some(TExpr {
            kind: TExprKind::Agg(id),
            ty,
            nullable,
            span,
        })
    }

    fn source_of(&self, e: &Expr) -> String {
        match &e.kind {
            ExprKind::Attr(x, name) => format!("{}.{}", self.source_of(x), name.node),
            ExprKind::Name(n) => n.clone(),
            _ => "…".into(),
        }
    }

    /// `orders.amount`: a field of one event, inside an aggregate over `orders`. `None` when
    /// `value` does not name an `events` block.
    pub(super) fn event_field(
        &mut self,
        value: &Expr,
        key: &ast::Name,
        span: Span,
        ctx: Ctx,
    ) -> Option<TExpr> {
        let ExprKind::Name(n) = &value.kind else {
            return None;
        };
        let events = self.events_named(n)?;
        self.model.refs.push(Reference {
            span: value.span(),
            symbol: Symbol::Events(events),
            is_definition: false,
        });
        let ename = self.model.events[events].name.clone();
        let Some(field) = self.model.events[events].field_named(&key.node) else {
            let mut d = Diagnostic::error(
                "unknown-name",
                format!("`{ename}` has no field `{}`", key.node),
                key.span,
            );
            let names: Vec<String> = self.model.events[events]
                .fields
                .iter()
                .map(|f| f.name.clone())
                .collect();
            d = super::suggest_or_list(d, &key.node, &names, &format!("the fields of `{ename}`"));
            self.err(d);
            return Some(error_expr(span));
        };
        self.model.refs.push(Reference {
            span: key.span,
            symbol: Symbol::EventField { events, field },
            is_definition: false,
        });
        match ctx.events {
            Some(e) if e == events => {}
            Some(other) => {
                let oname = self.model.events[other].name.clone();
                self.err(
                    Diagnostic::error(
                        "aggregate-mixes-blocks",
                        format!(
                            "an aggregate over `{oname}` cannot read `{ename}.{}`",
                            key.node
                        ),
                        span,
                    )
                    .with_help(
                        "aggregate each block on its own, in its own `let`, then combine them",
                    ),
                );
                return Some(error_expr(span));
            }
            None => {
                let f = &key.node;
                self.err(
                    Diagnostic::error(
                        "event-outside-aggregate",
                        format!("`{ename}.{f}` has one value per event, not per customer"),
                        span,
                    )
                    .with_help(format!(
                        "aggregate it, as in `sum({ename}.{f})`, `max({ename}.{f})` or `count({ename} where {ename}.{f} …)`"
                    )),
                );
                return Some(error_expr(span));
            }
        }
        let fd = &self.model.events[events].fields[field];
        Some(TExpr {
            kind: TExprKind::EventField { events, field },
            ty: fd.ty.clone(),
            nullable: fd.optional,
            span,
        })
    }

    /// A bare `orders` outside `count(orders)`, or a customer value inside an aggregate.
    pub(super) fn misplaced_name(&mut self, name: &str, span: Span, ctx: Ctx) -> Option<TExpr> {
        match (self.names.get(name).copied(), ctx.events) {
            (Some(Symbol::Events(_)), _) => {
                self.err(
                    Diagnostic::error(
                        "event-outside-aggregate",
                        format!("`{name}` is a list of events, not a value"),
                        span,
                    )
                    .with_help(format!(
                        "aggregate it, as in `count({name})` or `sum({name}.amount)`"
                    )),
                );
                Some(error_expr(span))
            }
            (Some(Symbol::Field(_) | Symbol::Item(_)), Some(e)) => {
                let ename = self.model.events[e].name.clone();
                self.err(
                    Diagnostic::error(
                        "aggregate-mixes-blocks",
                        format!("an aggregate over `{ename}` reads only the fields of `{ename}`; `{name}` is a customer value"),
                        span,
                    )
                    .with_help("compare with customer values outside the aggregate, in a `let` that reads it"),
                );
                Some(error_expr(span))
            }
            _ => None,
        }
    }

    /// The events a test customer is given: `orders: [ { amount: 20 }, … ]`.
    pub(super) fn test_events(&mut self, r: &ast::Record) -> Vec<(EventsId, Vec<TestEvent>)> {
        let mut out: Vec<(EventsId, Vec<TestEvent>)> = Vec::new();
        for ev in &r.events {
            let Some(events) = self.events_named(&ev.name.node) else {
                let mut d = Diagnostic::error(
                    "unknown-field",
                    format!("`{}` is not an `events` block", ev.name.node),
                    ev.name.span,
                );
                let names: Vec<String> = self.model.events.iter().map(|e| e.name.clone()).collect();
                d = match did_you_mean(&ev.name.node, names.iter().map(String::as_str)) {
                    Some(s) => d.with_suggestion(s),
                    None => d.with_help("a list of records gives a customer's events: declare them with `events NAME by KEY { … }`"),
                };
                self.err(d);
                continue;
            };
            self.model.refs.push(Reference {
                span: ev.name.span,
                symbol: Symbol::Events(events),
                is_definition: false,
            });
            if out.iter().any(|(e, _)| *e == events) {
                self.given_twice(&ev.name, "customer");
                continue;
            }
            let mut rows = Vec::new();
            for rec in &ev.records {
                if let Some(nested) = rec.events.first() {
                    self.err(
                        Diagnostic::error(
                            "type-mismatch",
                            "an event cannot hold events of its own",
                            nested.loc.0,
                        )
                        .with_help("give each block's events on the customer: `{ id: \"c1\", orders: […], visits: […] }`"),
                    );
                }
                let mut values: Vec<(FieldId, Literal)> = Vec::new();
                for (name, value) in &rec.fields {
                    let def = &self.model.events[events];
                    let Some(field) = def.field_named(&name.node) else {
                        let ename = def.name.clone();
                        let names: Vec<String> =
                            def.fields.iter().map(|f| f.name.clone()).collect();
                        let mut d = Diagnostic::error(
                            "unknown-field",
                            format!("`{}` is not a field of `{ename}`", name.node),
                            name.span,
                        );
                        if let Some(s) = did_you_mean(&name.node, names.iter().map(String::as_str))
                        {
                            d = d.with_suggestion(s);
                        }
                        self.err(d);
                        continue;
                    };
                    self.model.refs.push(Reference {
                        span: name.span,
                        symbol: Symbol::EventField { events, field },
                        is_definition: false,
                    });
                    let fty = def.fields[field].ty.clone();
                    let lt = literal_ty(&value.node);
                    let ok = matches!(
                        (&fty, &lt),
                        (Ty::Decimal, Ty::Int | Ty::Decimal) | (Ty::Int, Ty::Int) | (Ty::Error, _)
                    ) || fty == lt;
                    if !ok {
                        let fname = def.fields[field].name.clone();
                        let (fdesc, found) = (fty.describe(&self.model), lt.describe(&self.model));
                        self.err(Diagnostic::error(
                            "type-mismatch",
                            format!("`{fname}` is {fdesc}, but the test gives {found}"),
                            value.span,
                        ));
                    }
                    if values.iter().any(|(f, _)| *f == field) {
                        self.given_twice(name, "event");
                        continue;
                    }
                    values.push((field, value.node.clone()));
                }
                rows.push(values);
            }
            out.push((events, rows));
        }
        out
    }
}
