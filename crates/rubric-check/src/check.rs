//! Name resolution and type checking: AST → [`Model`] plus diagnostics.
//!
//! One `Checker` walks the scheme in passes, each in its own file: `collect` (header, input
//! fields, items and codes), `items` (each item's rules, terms and attributes), `exprs` (names
//! and expressions), `calls` (built-in and population functions), `test_blocks` (the evaluation
//! order and `test` blocks), `events` (order data) and `additions` (the smaller v2 pieces).

use crate::hir::*;
use rubric_syntax::ast::{self, DeclKind, Literal};
use rubric_syntax::diagnostic::did_you_mean;
use rubric_syntax::{Diagnostic, Span};
use std::collections::HashMap;

/// The smaller v2 additions (`within next`, `missing`, `count_true`, `substr`, grade-typed
/// fields), kept in their own file.
#[path = "additions.rs"]
mod additions;

/// A checked scheme and everything wrong with it.
#[derive(Clone, Debug, Default)]
pub struct Checked {
    pub model: Model,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Unchecked,
    InProgress,
    Done,
}

mod calls;
mod collect;
mod events;
mod exprs;
mod items;
mod test_blocks;

struct Checker<'a> {
    decls: Vec<&'a ast::Decl>,
    model: Model,
    diags: Vec<Diagnostic>,
    state: Vec<State>,
    /// Item id → index in `decls`.
    item_decl: Vec<usize>,
    names: HashMap<String, Symbol>,
    /// Dependency frames: items and pops read by what is being checked.
    frames: Vec<(Vec<ItemId>, Vec<PopId>)>,
    /// Names declared by declarations that did not parse; `None` in the set means the input
    /// block itself did not parse, so any name may be a field.
    broken: Vec<Option<String>>,
}

#[derive(Clone, Copy, Default)]
struct Ctx<'t> {
    /// The `by` subject's type and nullability, inside a `by` block.
    subject: Option<(&'t Ty, bool)>,
    in_test: bool,
    /// Inside an aggregate's value or filter: the `events` block whose fields are in scope
    /// (then customer values are not).
    events: Option<EventsId>,
}

pub fn check(file: &ast::File) -> Checked {
    rubric_syntax::stack::guarded(|| check_here(file))
}

fn check_here(file: &ast::File) -> Checked {
    let mut c = Checker {
        decls: file.decls.iter().collect(),
        model: Model::default(),
        diags: Vec::new(),
        state: Vec::new(),
        item_decl: Vec::new(),
        names: HashMap::new(),
        frames: Vec::new(),
        broken: file
            .broken
            .iter()
            .filter_map(|b| match b.keyword.as_str() {
                "input" => Some(None),
                "let" | "points" | "score" | "grade" | "tags" => b.name.clone().map(Some),
                _ => None,
            })
            .collect(),
    };
    c.collect_header();
    c.collect_events();
    c.collect_items();
    c.grade_typed_fields(file);
    for id in 0..c.model.items.len() {
        c.check_item(id);
    }
    c.order_items();
    c.check_tests();
    Checked {
        model: c.model,
        diagnostics: c.diags,
    }
}

fn describe_types(tys: &[&str]) -> String {
    tys.join(" or ")
}

impl<'a> Checker<'a> {
    fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Whether `d` is the first of its kind (`scheme`, `as_of`, `input`); a later one is a
    /// `duplicate-declaration` pointing back at the first.
    /// A record (a test customer, an event) that gives field `name` twice.
    fn given_twice(&mut self, name: &ast::Name, per: &str) {
        self.err(
            Diagnostic::error(
                "duplicate-field",
                format!("`{}` is given twice", name.node),
                name.span,
            )
            .with_help(format!("give each field once per {per}")),
        );
    }

    fn first_of_kind(&mut self, seen: &mut Option<Span>, d: &ast::Decl, message: &str) -> bool {
        match *seen {
            Some(first) => {
                let mut diag = Diagnostic::error("duplicate-declaration", message, d.span())
                    .with_related(first, "first here");
                if matches!(d.kind, DeclKind::Input(_)) {
                    diag = diag.with_help("put every field in one `input { … }` block");
                }
                self.err(diag);
                false
            }
            None => {
                *seen = Some(d.span());
                true
            }
        }
    }
}

fn contains_index(e: &TExpr) -> bool {
    let mut found = false;
    crate::visit::walk(e, &mut |x| {
        if matches!(x.kind, TExprKind::Index { .. }) {
            found = true;
        }
    });
    found
}

/// How to call a built-in, for a `call it as …` help.
pub(crate) fn signature(b: Builtin) -> String {
    b.signature().call()
}

/// `d` with a did-you-mean for `name` among `candidates`, else a help that lists them all:
/// `{what} are `a`, `b``, `what` being e.g. "the codes of `tier`".
pub(crate) fn suggest_or_list(
    d: Diagnostic,
    name: &str,
    candidates: &[String],
    what: &str,
) -> Diagnostic {
    match did_you_mean(name, candidates.iter().map(String::as_str)) {
        Some(s) => d.with_suggestion(s),
        None => d.with_help(format!(
            "{what} are {}",
            candidates
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

pub(crate) fn error_expr(span: Span) -> TExpr {
    TExpr {
        kind: TExprKind::Lit(Literal::Bool(false)),
        ty: Ty::Error,
        nullable: false,
        span,
    }
}

pub fn literal_ty(l: &Literal) -> Ty {
    match l {
        Literal::Int(_) => Ty::Int,
        Literal::Decimal(_) => Ty::Decimal,
        Literal::Text(_) => Ty::Text,
        Literal::Bool(_) => Ty::Bool,
        Literal::Date(_) => Ty::Date,
        Literal::Duration(_) => Ty::Duration,
    }
}

fn same_literal_ty(a: &Ty, b: &Ty) -> bool {
    a == b || (a.is_numeric() && b.is_numeric())
}

fn describe_lit_ty(t: &Ty) -> &'static str {
    match t {
        Ty::Int | Ty::Decimal => "a number",
        Ty::Text => "text",
        Ty::Bool => "a bool",
        Ty::Date => "a date",
        Ty::Duration => "a duration",
        _ => "a value",
    }
}

/// The common type of two values that may meet (in `==`, `if`, `??`, lists).
pub fn unify(a: &Ty, b: &Ty) -> Option<Ty> {
    match (a, b) {
        (Ty::Error, t) | (t, Ty::Error) => Some(t.clone()),
        (Ty::Int, Ty::Int) => Some(Ty::Int),
        (Ty::Int | Ty::Decimal, Ty::Int | Ty::Decimal) => Some(Ty::Decimal),
        (a, b) if a == b => Some(a.clone()),
        _ => None,
    }
}

fn ordered_compatible(a: &Ty, b: &Ty) -> bool {
    matches!(
        (a, b),
        (Ty::Error, _)
            | (_, Ty::Error)
            | (Ty::Int | Ty::Decimal, Ty::Int | Ty::Decimal)
            | (Ty::Date, Ty::Date)
    )
}
