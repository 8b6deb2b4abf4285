//! The evaluation order of items (dependencies and cycles), and `test` blocks with their
//! customers and expectations.

use super::{contains_index, literal_ty, Checker, Ctx};
use crate::hir::*;
use rubric_syntax::ast::{self, DeclKind, Literal};
use rubric_syntax::diagnostic::did_you_mean;
use rubric_syntax::{Diagnostic, Span};

impl Checker<'_> {
    /// Topological order of the items, and an error for every cycle.
    pub(super) fn order_items(&mut self) {
        let n = self.model.items.len();
        let mut mark = vec![0u8; n]; // 0 new, 1 on stack, 2 done
        let mut order = Vec::with_capacity(n);
        let mut reported: Vec<bool> = vec![false; n];
        for start in 0..n {
            if mark[start] != 0 {
                continue;
            }
            // iterative DFS with an explicit path
            let mut stack: Vec<(ItemId, usize)> = vec![(start, 0)];
            mark[start] = 1;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let deps = &self.model.items[node].deps;
                if *next < deps.len() {
                    let dep = deps[*next];
                    *next += 1;
                    match mark.get(dep).copied() {
                        Some(0) => {
                            mark[dep] = 1;
                            stack.push((dep, 0));
                        }
                        Some(1) => {
                            // a cycle: the path from `dep` to `node`
                            let pos = stack.iter().position(|(i, _)| *i == dep).unwrap_or(0);
                            let cycle: Vec<ItemId> = stack[pos..].iter().map(|(i, _)| *i).collect();
                            if !cycle.iter().any(|i| reported[*i]) {
                                for i in &cycle {
                                    reported[*i] = true;
                                }
                                let names: Vec<String> = cycle
                                    .iter()
                                    .map(|i| format!("`{}`", self.model.items[*i].name))
                                    .collect();
                                let path = format!(
                                    "{} -> `{}`",
                                    names.join(" -> "),
                                    self.model.items[dep].name
                                );
                                let first = cycle[0];
                                let mut d = Diagnostic::error(
                                    "cycle",
                                    format!("`{}` depends on itself: {path}", self.model.items[first].name),
                                    self.model.items[first].span,
                                )
                                .with_help("break the cycle: one of these must be computed without the others");
                                for i in &cycle[1..] {
                                    d = d.with_related(
                                        self.model.items[*i].span,
                                        format!(
                                            "`{}` is part of the cycle",
                                            self.model.items[*i].name
                                        ),
                                    );
                                }
                                self.diags.push(d);
                            }
                        }
                        _ => {}
                    }
                } else {
                    mark[node] = 2;
                    order.push(node);
                    stack.pop();
                }
            }
        }
        self.model.order = order;
    }

    pub(super) fn check_tests(&mut self) {
        let decls = self.decls.clone();
        for d in decls {
            let DeclKind::Test(t) = &d.kind else { continue };
            let mut case = TestCase {
                name: t.name.node.clone(),
                span: d.span(),
                records: Vec::new(),
                many: false,
                as_of: None,
                expects: Vec::new(),
            };
            let mut given_seen: Option<Span> = None;
            for item in &t.items {
                match item {
                    ast::TestItem::Given { records, many, loc } => {
                        if let Some(first) = given_seen {
                            self.err(
                                Diagnostic::error(
                                    "duplicate-given",
                                    "a test has one `given`",
                                    loc.0,
                                )
                                .with_related(first, "first given here")
                                .with_help("list several customers in one `given [ {…}, {…} ]`"),
                            );
                            continue;
                        }
                        given_seen = Some(loc.0);
                        case.many = *many;
                        let mut keys: Vec<(String, Span)> = Vec::new();
                        for r in records {
                            let rec = self.test_record(r, &mut keys);
                            case.records.push(rec);
                        }
                    }
                    ast::TestItem::AsOf(date) => case.as_of = Some(date.node),
                    ast::TestItem::Expect(e) => {
                        let ctx = Ctx {
                            subject: None,
                            in_test: true,
                            events: None,
                        };
                        self.frames.push((Vec::new(), Vec::new()));
                        let t = self.expr(e, ctx);
                        self.frames.pop();
                        self.expect_bool(&t, "an expectation");
                        if !case.many && contains_index(&t) {
                            self.err(
                                Diagnostic::error("index-outside-test", "`x[\"key\"]` needs a test with `given [ … ]`", t.span)
                                    .with_help("with a single `given { … }`, name the value directly: `tier == gold`"),
                            );
                        }
                        case.expects.push(Expect {
                            expr: t,
                            span: e.span(),
                        });
                    }
                }
            }
            if given_seen.is_none() {
                self.err(
                    Diagnostic::error(
                        "missing-given",
                        format!("test \"{}\" has no `given`", t.name.node),
                        t.name.span,
                    )
                    .with_help("describe the customer: `given { id: \"c1\", revenue: 100 }`"),
                );
            }
            self.model.tests.push(case);
        }
    }

    pub(super) fn test_record(
        &mut self,
        r: &ast::Record,
        keys: &mut Vec<(String, Span)>,
    ) -> TestRecord {
        let mut values: Vec<(FieldId, Literal)> = Vec::new();
        for (name, value) in &r.fields {
            let Some(Symbol::Field(f)) = self.names.get(&name.node).copied() else {
                let mut d = Diagnostic::error(
                    "unknown-field",
                    format!("`{}` is not an input field", name.node),
                    name.span,
                );
                let cands: Vec<String> = self.model.fields.iter().map(|f| f.name.clone()).collect();
                if let Some(s) = did_you_mean(&name.node, cands.iter().map(String::as_str)) {
                    d = d.with_suggestion(s);
                } else if self.model.item_named(&name.node).is_some() {
                    d = d.with_help(
                        "a test gives input fields; derived values are computed from them",
                    );
                }
                self.err(d);
                continue;
            };
            self.model.refs.push(Reference {
                span: name.span,
                symbol: Symbol::Field(f),
                is_definition: false,
            });
            if values.iter().any(|(g, _)| *g == f) {
                self.given_twice(name, "customer");
                continue;
            }
            if let Some(codes) = self.model.fields[f].codes.clone() {
                let v = self.given_code(&codes, value);
                values.push((f, v));
                continue;
            }
            let fd = &self.model.fields[f];
            let lt = literal_ty(&value.node);
            let ok = match (&fd.ty, &lt) {
                (Ty::Decimal, Ty::Int | Ty::Decimal) => true,
                (Ty::Int, Ty::Int) => true,
                (Ty::Error, _) => true,
                (a, b) => a == b,
            };
            if !ok {
                let (fname, fty) = (fd.name.clone(), fd.ty.describe(&self.model));
                let found = lt.describe(&self.model);
                let mut d = Diagnostic::error(
                    "type-mismatch",
                    format!("`{fname}` is {fty}, but the test gives {found}"),
                    value.span,
                );
                if fd.ty == Ty::Text {
                    d = d.with_help("write text in double quotes");
                }
                self.err(d);
            }
            values.push((f, value.node.clone()));
        }
        if let Some(k) = self.model.key {
            match values.iter().find(|(f, _)| *f == k) {
                Some((_, Literal::Text(key))) => {
                    if let Some((_, first)) = keys.iter().find(|(x, _)| x == key) {
                        let first = *first;
                        self.err(
                            Diagnostic::error(
                                "duplicate-key",
                                format!("two customers have the key \"{key}\""),
                                r.loc.0,
                            )
                            .with_related(first, "first here"),
                        );
                    } else {
                        keys.push((key.clone(), r.loc.0));
                    }
                }
                Some(_) => {}
                None => {
                    let kname = self.model.fields[k].name.clone();
                    self.err(
                        Diagnostic::error(
                            "missing-key-value",
                            format!("the customer has no `{kname}`"),
                            r.loc.0,
                        )
                        .with_help(format!("give every test customer a key: `{kname}: \"c1\"`")),
                    );
                }
            }
        }
        let events = self.test_events(r);
        TestRecord {
            values,
            events,
            span: r.loc.0,
        }
    }
}
