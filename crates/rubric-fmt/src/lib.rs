//! The canonical Rubric formatter.
//!
//! [`format_source`] prints a scheme in one layout, the one LANGUAGE.md is written in:
//!
//! - two-space indentation, every block (`input`, `points`, `score`, `grade`, `tags`, `test`) on
//!   its own lines;
//! - the rules of a grade, tags or points table line up in columns (code, label, condition,
//!   attributes), as do the fields of `input` (name, type, key, header) and the terms of a score;
//! - one blank line around every block declaration; between one-line declarations (`scheme`,
//!   `as_of`, `let`) a blank line is kept where the source had one; blank lines inside blocks are
//!   kept but never doubled;
//! - comments and `///` doc comments are kept: a comment on its own line stays above what follows
//!   it, a comment at the end of a line stays at the end of that line (trailing comments of
//!   neighbouring lines are aligned); a comment the layout has no place for (inside an
//!   expression that is joined onto one line) moves above its declaration;
//! - literals are printed exactly as written (`1_000_000`, `50%`, `"营业额"`), explicit
//!   parentheses are kept, and a condition keeps its line breaks before top-level `or`/`and`.
//!
//! Formatting is idempotent, and never changes meaning: the result is parsed again and compared
//! with the original AST (spans aside); if they differ, the source is returned untouched with
//! [`FmtError::Unstable`] rather than a damaged file.

use rubric_syntax::ast::{
    Attr, BinOp, Cond, Decl, DeclKind, Expr, ExprKind, Field, File, Grade, Points, Record, Score,
    Test, TestItem, UnOp,
};
use rubric_syntax::{Diagnostic, Span};
use unicode_width::UnicodeWidthStr;

/// Why a source was not formatted.
#[derive(Debug)]
pub enum FmtError {
    /// The source has syntax errors; it is left as it is.
    Syntax(Vec<Diagnostic>),
    /// The formatted text would not parse to the same AST (a formatter bug); the source is left
    /// as it is.
    Unstable,
}

/// Formats a whole `.rubric` source text.
pub fn format_source(src: &str) -> Result<String, FmtError> {
    rubric_syntax::stack::guarded(|| format_here(src))
}

fn format_here(src: &str) -> Result<String, FmtError> {
    // Full-width input (LANGUAGE.md §8) is written in its ASCII form: the printer works on the
    // normalised text, in which text literals and comments are as typed. Errors (a thousands
    // separator or a unit word among them) are reported against the source as typed, and the
    // source is then left alone.
    let typed = rubric_syntax::parse(src);
    let errors: Vec<_> = typed
        .errors
        .into_iter()
        .filter(rubric_syntax::Diagnostic::is_error)
        .collect();
    if !errors.is_empty() {
        return Err(FmtError::Syntax(errors));
    }
    let norm = rubric_syntax::normalize::normalize(src);
    let src = norm.text.as_str();
    let parsed = rubric_syntax::parse(src);
    if !parsed.errors.is_empty() {
        return Err(FmtError::Syntax(parsed.errors));
    }
    let out = Printer::new(src).file(&parsed.file);
    let again = rubric_syntax::parse(&out);
    if !again.errors.is_empty() || again.file != parsed.file {
        return Err(FmtError::Unstable);
    }
    Ok(out)
}

/// How many terminal columns a text takes (CJK characters take two).
pub fn display_width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

fn pad(s: &str, width: usize) -> String {
    let w = display_width(s);
    let mut out = s.to_string();
    for _ in w..width {
        out.push(' ');
    }
    out
}

fn spaces(n: usize) -> String {
    " ".repeat(n)
}

/// A `//` or `///` comment in the source.
#[derive(Debug)]
struct Comment {
    start: usize,
    text: String,
}

impl Comment {
    fn is_doc(&self) -> bool {
        self.text.starts_with("///") && !self.text.starts_with("////")
    }
}

/// Every comment of the source, outside strings, in order.
fn lex_comments(src: &str) -> Vec<Comment> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0usize;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let start = i;
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                // trimmed of layout only (a trailing `\u{B}` is part of a doc, as the parser
                // reads it)
                let text = src
                    .get(start..i)
                    .unwrap_or("")
                    .trim_end_matches(rubric_syntax::is_layout)
                    .to_string();
                out.push(Comment { start, text });
            }
            _ => i += 1,
        }
    }
    out
}

/// One output line: `indent` spaces, the text, and an optional trailing comment. A line with no
/// text and no comment is a blank line.
#[derive(Clone, Debug)]
struct Line {
    indent: usize,
    text: String,
    comment: Option<String>,
}

impl Line {
    fn new(indent: usize, text: impl Into<String>) -> Line {
        Line {
            indent,
            text: text.into(),
            comment: None,
        }
    }
    fn blank() -> Line {
        Line::new(0, "")
    }
    fn is_blank(&self) -> bool {
        self.text.is_empty() && self.comment.is_none()
    }
}

/// A table row: its text lines (each with the source position its trailing comment follows).
struct Row {
    span: Span,
    lines: Vec<(String, usize)>,
}

struct Printer<'s> {
    src: &'s str,
    comments: Vec<Comment>,
    used: Vec<bool>,
    line_starts: Vec<usize>,
}

impl<'s> Printer<'s> {
    fn new(src: &'s str) -> Printer<'s> {
        let comments = lex_comments(src);
        let used = vec![false; comments.len()];
        let mut line_starts = vec![0];
        line_starts.extend(
            src.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Printer {
            src,
            comments,
            used,
            line_starts,
        }
    }

    fn slice(&self, span: Span) -> &'s str {
        self.src.get(span.start..span.end).unwrap_or("")
    }

    fn line_of(&self, pos: usize) -> usize {
        match self.line_starts.binary_search(&pos) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// Whether a blank line lies right above the line of `pos`, which starts its line.
    fn blank_before(&self, pos: usize) -> bool {
        let pos = pos.min(self.src.len());
        let ls = self
            .line_starts
            .get(self.line_of(pos))
            .copied()
            .unwrap_or(0);
        if !self
            .src
            .get(ls..pos)
            .unwrap_or("")
            .trim_matches(rubric_syntax::is_layout)
            .is_empty()
        {
            return false;
        }
        let mut newlines = 0;
        for ch in self.src.get(..ls).unwrap_or("").chars().rev() {
            if ch == '\n' {
                newlines += 1;
                if newlines >= 2 {
                    return true;
                }
            } else if !rubric_syntax::is_layout(ch) {
                break;
            }
        }
        false
    }

    /// Where the keyword `kw` right before `pos` starts (or `pos` when it is not there).
    fn keyword_before(&self, pos: usize, kw: &str) -> usize {
        let before = self
            .src
            .get(..pos)
            .unwrap_or("")
            .trim_end_matches(rubric_syntax::is_layout);
        if before.ends_with(kw) {
            before.len() - kw.len()
        } else {
            pos
        }
    }

    /// The first `ch` at or after `from`, outside strings and comments.
    fn find_char(&self, from: usize, ch: u8) -> usize {
        let b = self.src.as_bytes();
        let mut i = from;
        while i < b.len() {
            match b[i] {
                c if c == ch => return i,
                b'"' => {
                    i += 1;
                    while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                        if b[i] == b'\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                    i += 1;
                }
                b'/' if b.get(i + 1) == Some(&b'/') => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                _ => i += 1,
            }
        }
        from
    }

    /// Every comment not placed yet that starts before `before`.
    fn take_leading(&mut self, before: usize) -> Vec<usize> {
        let mut out = Vec::new();
        for (i, c) in self.comments.iter().enumerate() {
            if !self.used[i] && c.start < before {
                self.used[i] = true;
                out.push(i);
            }
        }
        out
    }

    /// Every comment not placed yet inside `span`.
    fn take_within(&mut self, span: Span) -> Vec<usize> {
        let mut out = Vec::new();
        for (i, c) in self.comments.iter().enumerate() {
            if !self.used[i] && c.start >= span.start && c.start < span.end {
                self.used[i] = true;
                out.push(i);
            }
        }
        out
    }

    /// The comment that ends the source line of `after`, when only punctuation lies between.
    fn take_trailing(&mut self, after: usize) -> Option<String> {
        let i =
            (0..self.comments.len()).find(|&i| !self.used[i] && self.comments[i].start >= after)?;
        let between = self.src.get(after..self.comments[i].start)?;
        // layout as the grammar skips it (a stray byte order mark too), but not a line break
        if between.chars().all(|c| {
            (rubric_syntax::is_layout(c) && c != '\n') || matches!(c, ',' | '}' | ']' | ')')
        }) {
            self.used[i] = true;
            Some(self.comments[i].text.clone())
        } else {
            None
        }
    }

    fn comment_line(&self, indent: usize, i: usize) -> Line {
        Line::new(indent, self.comments[i].text.clone())
    }

    /// Emits one element (a declaration, field, rule, test item, record...) with the comments
    /// above it. `render` prints the element and takes its trailing comments; the comments left
    /// inside the element's span afterwards move above it. `first` drops the blank line above
    /// the first element of a block; `force` puts one there whatever the source had.
    fn emit(
        &mut self,
        out: &mut Vec<Line>,
        indent: usize,
        span: Span,
        first: bool,
        force: impl FnOnce(&[Line]) -> bool,
        render: impl FnOnce(&mut Self) -> Vec<Line>,
    ) -> Vec<Line> {
        let lead = self.take_leading(span.start);
        let lines = render(self);
        let orphans = self.take_within(span);
        let group_blank = match lead.first() {
            Some(&i) => self.blank_before(self.comments[i].start),
            None => self.blank_before(span.start),
        };
        if !first && (force(&lines) || group_blank) {
            out.push(Line::blank());
        }
        for &i in &orphans {
            out.push(self.comment_line(indent, i));
        }
        let orphan_doc = orphans.iter().any(|&i| self.comments[i].is_doc());
        for (k, &i) in lead.iter().enumerate() {
            let blank = if k == 0 {
                orphan_doc
            } else {
                self.blank_before(self.comments[i].start)
            };
            if blank {
                out.push(Line::blank());
            }
            out.push(self.comment_line(indent, i));
        }
        let blank = if lead.is_empty() {
            orphan_doc
        } else {
            self.blank_before(span.start)
        };
        if blank {
            out.push(Line::blank());
        }
        out.extend(lines.iter().cloned());
        lines
    }

    /// The comments left before a block's closing bracket.
    fn emit_dangling(&mut self, out: &mut Vec<Line>, indent: usize, close: usize, empty: bool) {
        let rest = self.take_leading(close);
        for (k, &i) in rest.iter().enumerate() {
            if (k > 0 || !empty) && self.blank_before(self.comments[i].start) {
                out.push(Line::blank());
            }
            out.push(self.comment_line(indent, i));
        }
    }

    /// A row's lines at `indent`, with their trailing comments (taken last line first, so that
    /// the comment at the end of a row's last source line goes with its last output line).
    fn row_lines(&mut self, indent: usize, row: &Row) -> Vec<Line> {
        let mut lines: Vec<Line> = Vec::with_capacity(row.lines.len());
        let n = row.lines.len();
        for (k, (text, end)) in row.lines.iter().enumerate().rev() {
            let at = if k + 1 == n { row.span.end } else { *end };
            let mut line = Line::new(indent, text.trim_end());
            line.comment = self.take_trailing(at);
            lines.push(line);
        }
        lines.reverse();
        lines
    }

    fn emit_rows(&mut self, out: &mut Vec<Line>, indent: usize, rows: &[Row]) {
        for (k, row) in rows.iter().enumerate() {
            self.emit(
                out,
                indent,
                row.span,
                k == 0,
                |_| false,
                |p| p.row_lines(indent, row),
            );
        }
    }

    /// `head {`, the rows, the comments before `}`, and `}` (or `head {}` when empty).
    fn block(&mut self, indent: usize, head: String, decl_start: usize, rows: &[Row]) -> Vec<Line> {
        let open = self.find_char(decl_start, b'{');
        let mut out = vec![Line::new(indent, format!("{head} {{"))];
        out[0].comment = self.take_trailing(open + 1);
        self.emit_rows(&mut out, indent + 2, rows);
        let after = rows.last().map_or(open + 1, |r| r.span.end);
        let close = self.find_char(after, b'}');
        self.emit_dangling(&mut out, indent + 2, close, rows.is_empty());
        if out.len() == 1 && out[0].comment.is_none() {
            out[0].text = format!("{head} {{}}");
        } else {
            out.push(Line::new(indent, "}"));
        }
        out
    }

    fn file(mut self, file: &File) -> String {
        let mut out = Vec::new();
        let mut prev_multi = false;
        for (k, d) in file.decls.iter().enumerate() {
            let lines = self.emit(
                &mut out,
                0,
                d.span(),
                k == 0,
                |l| prev_multi || l.len() > 1,
                |p| p.decl(d),
            );
            prev_multi = lines.len() > 1;
        }
        let rest = self.take_leading(usize::MAX);
        for (k, &i) in rest.iter().enumerate() {
            if (k > 0 || !file.decls.is_empty()) && self.blank_before(self.comments[i].start) {
                out.push(Line::blank());
            }
            out.push(self.comment_line(0, i));
        }
        align_lets(&mut out);
        render(&out)
    }

    fn decl(&mut self, d: &Decl) -> Vec<Line> {
        let span = d.span();
        let mut lines = match &d.kind {
            DeclKind::Scheme(name) => {
                vec![Line::new(0, format!("scheme {}", self.slice(name.span)))]
            }
            DeclKind::AsOf(date) => vec![Line::new(0, format!("as_of {}", self.slice(date.span)))],
            DeclKind::Use(path) => vec![Line::new(0, format!("use {}", self.slice(path.span)))],
            DeclKind::Let(l) => {
                let head = format!("let {} = ", l.name.node);
                let row = Row {
                    span,
                    lines: self.continued(&head, &l.value),
                };
                return self.row_lines(0, &row);
            }
            DeclKind::Input(input) => {
                let rows = self.field_rows(&input.fields);
                self.block(0, "input".to_string(), span.start, &rows)
            }
            DeclKind::Events(e) => {
                let rows = self.field_rows(&e.fields);
                let mut head = format!("events {}", e.name.node);
                if let Some(label) = &e.label {
                    head = format!("{head} {}", self.slice(label.span));
                }
                head = format!("{head} by {}", e.by.node);
                self.block(0, head, span.start, &rows)
            }
            DeclKind::Points(p) => self.points(p, span),
            DeclKind::Score(s) => return self.score(s, span),
            DeclKind::Grade(g) => self.grade(g, span),
            DeclKind::Test(t) => self.test(t, span),
        };
        if let Some(last) = lines.last_mut() {
            if last.comment.is_none() {
                last.comment = self.take_trailing(span.end);
            }
        }
        lines
    }

    /// `head` followed by an expression, broken before top-level `or`/`and` where the source
    /// was; continuation lines line up under the expression.
    fn continued(&self, head: &str, e: &Expr) -> Vec<(String, usize)> {
        let parts = self.expr_lines(e);
        let col = display_width(head);
        parts
            .into_iter()
            .enumerate()
            .map(|(k, (text, end))| {
                if k == 0 {
                    (format!("{head}{text}"), end)
                } else {
                    (spaces(col) + &text, end)
                }
            })
            .collect()
    }

    /// An expression as lines: a break before each top-level `or`/`and` operand that starts on a
    /// new source line. Each line comes with the source position where it ends.
    fn expr_lines(&self, e: &Expr) -> Vec<(String, usize)> {
        let op = match &e.kind {
            ExprKind::Binary(op @ (BinOp::Or | BinOp::And), _, _) => *op,
            _ => return vec![(self.expr(e), e.span().end)],
        };
        let mut operands = Vec::new();
        flatten(e, op, &mut operands);
        let mut lines = Vec::new();
        let Some((first, rest)) = operands.split_first() else {
            return vec![(self.expr(e), e.span().end)];
        };
        let mut cur = self.expr(first);
        let mut prev = *first;
        for w in rest {
            if self.line_of(w.span().start) != self.line_of(prev.span().end) {
                lines.push((std::mem::take(&mut cur), prev.span().end));
                cur = format!("{} {}", op.as_str(), self.expr(w));
            } else {
                cur = format!("{cur} {} {}", op.as_str(), self.expr(w));
            }
            prev = w;
        }
        lines.push((cur, prev.span().end));
        lines
    }

    fn expr(&self, e: &Expr) -> String {
        match &e.kind {
            ExprKind::Lit(_) => self.slice(e.span()).to_string(),
            ExprKind::Name(n) => n.clone(),
            ExprKind::Today => "today".to_string(),
            ExprKind::Missing => "missing".to_string(),
            ExprKind::Subject => String::new(),
            ExprKind::List(items) => format!("[{}]", self.exprs(items)),
            ExprKind::Paren(inner) => format!("({})", self.expr(inner)),
            ExprKind::Unary(UnOp::Neg, a) => format!("-{}", self.expr(a)),
            ExprKind::Unary(UnOp::Not, a) => format!("not {}", self.expr(a)),
            ExprKind::Binary(op, a, b) => {
                format!("{}{} {}", self.lhs(a), op.as_str(), self.expr(b))
            }
            ExprKind::Between(x, lo, hi) => {
                format!(
                    "{}between {} and {}",
                    self.lhs(x),
                    self.expr(lo),
                    self.expr(hi)
                )
            }
            ExprKind::Is { expr, present } => {
                format!(
                    "{}is {}",
                    self.lhs(expr),
                    if *present { "present" } else { "missing" }
                )
            }
            ExprKind::If(c, a, b) => {
                format!(
                    "if {} then {} else {}",
                    self.expr(c),
                    self.expr(a),
                    self.expr(b)
                )
            }
            ExprKind::Call {
                func,
                args,
                filter,
                within,
            } => {
                let mut s = format!("{}({}", func.node, self.exprs(args));
                if let Some(f) = filter {
                    s.push_str(" where ");
                    s.push_str(&self.expr(f));
                }
                s.push(')');
                if let Some(w) = within {
                    s.push_str(" within ");
                    s.push_str(&w.node);
                }
                s
            }
            ExprKind::Attr(x, name) => format!("{}.{}", self.expr(x), name.node),
            ExprKind::Index(x, k) => format!("{}[{}]", self.expr(x), self.expr(k)),
        }
    }

    /// The left operand of a comparison and the space after it; nothing for the implicit `by`
    /// subject of an operator-first condition (`>= 85`).
    fn lhs(&self, e: &Expr) -> String {
        match e.kind {
            ExprKind::Subject => String::new(),
            _ => format!("{} ", self.expr(e)),
        }
    }

    fn exprs(&self, items: &[Expr]) -> String {
        items
            .iter()
            .map(|e| self.expr(e))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn field_rows(&self, fields: &[Field]) -> Vec<Row> {
        let names: Vec<&str> = fields.iter().map(|f| f.name.node.as_str()).collect();
        let types: Vec<String> = fields
            .iter()
            .map(|f| format!("{}{}", f.ty.node, if f.optional { "?" } else { "" }))
            .collect();
        // The key gets a column of its own when the key field also has a header; otherwise the
        // headers share the column of `key`.
        let key_col = fields.iter().any(|f| f.key.is_some() && f.header.is_some());
        let thirds: Vec<String> = fields
            .iter()
            .map(|f| match (&f.key, &f.header) {
                (Some(_), _) if key_col => "key".to_string(),
                (None, _) if key_col => String::new(),
                (Some(_), _) => "key".to_string(),
                (None, Some(h)) => self.slice(h.span).to_string(),
                (None, None) => String::new(),
            })
            .collect();
        let wn = names.iter().map(|s| display_width(s)).max().unwrap_or(0);
        let wt = types.iter().map(|s| display_width(s)).max().unwrap_or(0);
        let w3 = thirds.iter().map(|s| display_width(s)).max().unwrap_or(0);
        fields
            .iter()
            .enumerate()
            .map(|(k, f)| {
                let mut text = format!(
                    "{}  {}  {}",
                    pad(names[k], wn),
                    pad(&types[k], wt),
                    pad(&thirds[k], w3)
                );
                if key_col {
                    if let Some(h) = &f.header {
                        text = format!("{} {}", text, self.slice(h.span));
                    }
                }
                Row {
                    span: f.loc.0,
                    lines: vec![(text.trim_end().to_string(), f.loc.0.end)],
                }
            })
            .collect()
    }

    fn cond_lines(&self, cond: &Cond) -> Vec<(String, usize)> {
        match cond {
            Cond::When(e) => {
                let mut lines = self.expr_lines(e);
                if let Some(first) = lines.first_mut() {
                    first.0 = format!("when {}", first.0);
                }
                lines
            }
            Cond::Otherwise(loc) => vec![("otherwise".to_string(), loc.0.end)],
        }
    }

    fn points(&mut self, p: &Points, span: Span) -> Vec<Line> {
        let mut head = format!("points {}", p.name.node);
        if let Some(by) = &p.by {
            head = format!("{head} by {}", self.expr(by));
        }
        let values: Vec<&str> = p.rules.iter().map(|r| self.slice(r.value.span)).collect();
        let wv = values.iter().map(|s| display_width(s)).max().unwrap_or(0);
        let mut rows: Vec<Row> = Vec::new();
        for (k, r) in p.rules.iter().enumerate() {
            let prefix = format!("{} ", pad(values[k], wv));
            let mut lines = self.prefixed(&prefix, self.cond_lines(&r.cond));
            // `x >= 1` followed by `-5 when ...` on the next line would read as `x >= 1 - 5`
            let next_negative = values.get(k + 1).is_some_and(|v| v.starts_with('-'));
            if next_negative && matches!(r.cond, Cond::When(_)) {
                if let Some(last) = lines.last_mut() {
                    last.0 = format!("{},", last.0.trim_end());
                }
            }
            rows.push(Row {
                span: r.loc.0,
                lines,
            });
        }
        self.block(0, head, span.start, &rows)
    }

    /// Puts `prefix` before the first line and indents the others to match.
    fn prefixed(&self, prefix: &str, lines: Vec<(String, usize)>) -> Vec<(String, usize)> {
        let col = display_width(prefix);
        lines
            .into_iter()
            .enumerate()
            .map(|(k, (t, end))| {
                if k == 0 {
                    (format!("{prefix}{t}"), end)
                } else {
                    (spaces(col) + &t, end)
                }
            })
            .collect()
    }

    fn score(&mut self, s: &Score, span: Span) -> Vec<Line> {
        let mut head = format!("score {}", s.name.node);
        if let Some(label) = &s.label {
            head = format!("{head} {}", self.slice(label.span));
        }
        let exprs: Vec<String> = s.terms.iter().map(|t| self.expr(&t.expr)).collect();
        let weights: Vec<&str> = s.terms.iter().map(|t| self.slice(t.weight.span)).collect();
        let we = exprs.iter().map(|s| display_width(s)).max().unwrap_or(0);
        let ww = weights.iter().map(|s| display_width(s)).max().unwrap_or(0);
        let mut rows = Vec::new();
        for (k, t) in s.terms.iter().enumerate() {
            let mut text = format!("{} weight {}", pad(&exprs[k], we), pad(weights[k], ww));
            if let Some(b) = &t.bonus {
                text = format!("{}  {}", text, self.bonus(b));
                // a term starting with `-`, `(` or `[` would continue the bonus condition
                let next_continues = exprs.get(k + 1).is_some_and(|n| {
                    n.starts_with('-') || n.starts_with('(') || n.starts_with('[')
                });
                if next_continues {
                    text = format!("{},", text.trim_end());
                }
            }
            rows.push(Row {
                span: t.loc.0,
                lines: vec![(text.trim_end().to_string(), t.loc.0.end)],
            });
        }
        let mut lines = self.block(0, head, span.start, &rows);
        let mut tail: Vec<Line> = Vec::new();
        for (k, b) in s.bonuses.iter().enumerate().rev() {
            let mut line = Line::new(if k == 0 { 0 } else { 2 }, self.bonus(b));
            line.comment = self.take_trailing(b.loc.0.end);
            tail.push(line);
        }
        tail.reverse();
        let mut tail = tail.into_iter();
        if let Some(first) = tail.next() {
            if let Some(last) = lines.last_mut() {
                last.text = format!("{} {}", last.text, first.text);
                last.comment = first.comment;
            }
        }
        lines.extend(tail);
        if let Some(last) = lines.last_mut() {
            if last.comment.is_none() {
                last.comment = self.take_trailing(span.end);
            }
        }
        lines
    }

    fn bonus(&self, b: &rubric_syntax::ast::Bonus) -> String {
        format!(
            "bonus {} when {}",
            self.slice(b.factor.span),
            self.expr(&b.cond)
        )
    }

    fn grade(&mut self, g: &Grade, span: Span) -> Vec<Line> {
        let mut head = format!(
            "{} {}",
            if g.is_tags { "tags" } else { "grade" },
            g.name.node
        );
        if let Some(label) = &g.label {
            head = format!("{head} {}", self.slice(label.span));
        }
        if let Some(by) = &g.by {
            head = format!("{head} by {}", self.expr(by));
        }
        let codes: Vec<&str> = g.rules.iter().map(|r| r.code.node.as_str()).collect();
        let labels: Vec<&str> = g
            .rules
            .iter()
            .map(|r| r.label.as_ref().map_or("", |l| self.slice(l.span)))
            .collect();
        let wc = codes.iter().map(|s| display_width(s)).max().unwrap_or(0);
        let wl = labels.iter().map(|s| display_width(s)).max().unwrap_or(0);
        let conds: Vec<Vec<(String, usize)>> =
            g.rules.iter().map(|r| self.cond_lines(&r.cond)).collect();
        let wcond = conds
            .iter()
            .filter(|c| c.len() == 1)
            .map(|c| display_width(&c[0].0))
            .max()
            .unwrap_or(0);
        let attrs = self.attr_texts(g.rules.iter().map(|r| r.attrs.as_slice()).collect());
        let mut rows = Vec::new();
        for (k, r) in g.rules.iter().enumerate() {
            let mut prefix = format!("{} ", pad(codes[k], wc));
            if wl > 0 {
                prefix = format!("{prefix}{} ", pad(labels[k], wl));
            }
            let cond = &conds[k];
            let mut lines;
            if cond.len() == 1 {
                let mut text = format!("{prefix}{}", pad(&cond[0].0, wcond));
                if let Some(a) = &attrs[k] {
                    text = format!("{text}  {a}");
                }
                lines = vec![(text.trim_end().to_string(), cond[0].1)];
            } else {
                lines = self.prefixed(&prefix, cond.clone());
                if let Some(a) = &attrs[k] {
                    lines.push((spaces(display_width(&prefix)) + a, r.loc.0.end));
                }
            }
            rows.push(Row {
                span: r.loc.0,
                lines,
            });
        }
        self.block(0, head, span.start, &rows)
    }

    /// `{ key: value, ... }` per rule, the entries lined up across rules.
    fn attr_texts(&self, rules: Vec<&[Attr]>) -> Vec<Option<String>> {
        let entries: Vec<Vec<String>> = rules
            .iter()
            .map(|attrs| {
                let n = attrs.len();
                attrs
                    .iter()
                    .enumerate()
                    .map(|(j, a)| {
                        let comma = if j + 1 < n { "," } else { "" };
                        format!("{}: {}{comma}", a.key.node, self.slice(a.value.span))
                    })
                    .collect()
            })
            .collect();
        let width_at = |j: usize| {
            entries
                .iter()
                .filter(|e| j + 1 < e.len())
                .map(|e| display_width(&e[j]))
                .max()
                .unwrap_or(0)
        };
        entries
            .iter()
            .map(|e| {
                if e.is_empty() {
                    return None;
                }
                let n = e.len();
                let parts: Vec<String> = e
                    .iter()
                    .enumerate()
                    .map(|(j, s)| {
                        if j + 1 < n {
                            pad(s, width_at(j))
                        } else {
                            s.clone()
                        }
                    })
                    .collect();
                Some(format!("{{ {} }}", parts.join(" ")))
            })
            .collect()
    }

    /// A record `{ name: value, ... }`, broken where the source broke it between fields (the
    /// continuation lines line up after `{ `). Each line comes with its source end.
    fn record(&self, r: &Record, widths: Option<&[usize]>) -> Vec<(String, usize)> {
        // Plain fields and event lists, in source order: (name, its text, source end).
        let mut entries: Vec<(&rubric_syntax::ast::Name, String, usize)> = r
            .fields
            .iter()
            .map(|(name, value)| (name, self.slice(value.span).to_string(), value.span.end))
            .collect();
        for ev in &r.events {
            let inner: Vec<String> = ev.records.iter().map(|e| self.record_line(e)).collect();
            entries.push((&ev.name, format!("[{}]", inner.join(", ")), ev.loc.0.end));
        }
        entries.sort_by_key(|(name, _, _)| name.span.start);
        if entries.is_empty() {
            return vec![("{}".to_string(), r.loc.0.end)];
        }
        let n = entries.len();
        let mut lines = Vec::new();
        let mut cur = "{ ".to_string();
        let mut prev_end = r.loc.0.start;
        for (j, (name, value, end)) in entries.iter().enumerate() {
            let comma = if j + 1 < n { "," } else { "" };
            let mut part = format!("{}: {value}{comma}", name.node);
            if let Some(w) = widths.filter(|_| j + 1 < n) {
                part = pad(&part, w.get(j).copied().unwrap_or(0));
            }
            if j > 0 && self.line_of(name.span.start) != self.line_of(prev_end) {
                lines.push((cur.trim_end().to_string(), prev_end));
                cur = format!("  {part}");
            } else if j > 0 {
                cur = format!("{cur} {part}");
            } else {
                cur.push_str(&part);
            }
            prev_end = *end;
        }
        lines.push((format!("{} }}", cur.trim_end()), r.loc.0.end));
        lines
    }

    /// A record on one line: `{ a: 1, b: 2 }` (the events of a test customer).
    fn record_line(&self, r: &Record) -> String {
        let parts: Vec<String> = r
            .fields
            .iter()
            .map(|(name, value)| format!("{}: {}", name.node, self.slice(value.span)))
            .collect();
        if parts.is_empty() {
            "{}".to_string()
        } else {
            format!("{{ {} }}", parts.join(", "))
        }
    }

    fn test(&mut self, t: &Test, span: Span) -> Vec<Line> {
        let head = format!("test {}", self.slice(t.name.span));
        let open = self.find_char(span.start, b'{');
        let mut out = vec![Line::new(0, format!("{head} {{"))];
        out[0].comment = self.take_trailing(open + 1);
        let mut last_end = open + 1;
        for (k, item) in t.items.iter().enumerate() {
            let item_span = match item {
                TestItem::Given { loc, .. } => loc.0,
                TestItem::AsOf(d) => {
                    Span::new(self.keyword_before(d.span.start, "as_of"), d.span.end)
                }
                TestItem::Expect(e) => {
                    Span::new(self.keyword_before(e.span().start, "expect"), e.span().end)
                }
            };
            last_end = item_span.end;
            self.emit(
                &mut out,
                2,
                item_span,
                k == 0,
                |_| false,
                |p| p.test_item(item, item_span),
            );
        }
        let close = self.find_char(last_end, b'}');
        self.emit_dangling(&mut out, 2, close, t.items.is_empty());
        if out.len() == 1 && out[0].comment.is_none() {
            out[0].text = format!("{head} {{}}");
        } else {
            out.push(Line::new(0, "}"));
        }
        out
    }

    fn test_item(&mut self, item: &TestItem, span: Span) -> Vec<Line> {
        match item {
            TestItem::AsOf(d) => {
                let row = Row {
                    span,
                    lines: vec![(format!("as_of {}", self.slice(d.span)), span.end)],
                };
                self.row_lines(2, &row)
            }
            TestItem::Expect(e) => {
                let row = Row {
                    span,
                    lines: self.continued("expect ", e),
                };
                self.row_lines(2, &row)
            }
            TestItem::Given {
                records,
                many: false,
                ..
            } => {
                let lines = match records.first() {
                    Some(r) => self.prefixed("given ", self.record(r, None)),
                    None => vec![("given {}".to_string(), span.end)],
                };
                self.row_lines(2, &Row { span, lines })
            }
            TestItem::Given {
                records,
                many: true,
                ..
            } => {
                let open = self.find_char(span.start, b'[');
                let mut out = vec![Line::new(2, "given [")];
                out[0].comment = self.take_trailing(open + 1);
                let same_shape = records.iter().all(|r| r.events.is_empty())
                    && records.windows(2).all(|w| {
                        w[0].fields.len() == w[1].fields.len()
                            && w[0]
                                .fields
                                .iter()
                                .zip(&w[1].fields)
                                .all(|(a, b)| a.0.node == b.0.node)
                    });
                let widths: Option<Vec<usize>> = same_shape.then(|| {
                    let n = records.first().map_or(0, |r| r.fields.len());
                    (0..n)
                        .map(|j| {
                            records
                                .iter()
                                .filter_map(|r| r.fields.get(j))
                                .map(|(name, v)| {
                                    display_width(&format!(
                                        "{}: {},",
                                        name.node,
                                        self.slice(v.span)
                                    ))
                                })
                                .max()
                                .unwrap_or(0)
                        })
                        .collect()
                });
                let rows: Vec<Row> = records
                    .iter()
                    .map(|r| {
                        let mut lines = self.record(r, widths.as_deref());
                        if let Some(last) = lines.last_mut() {
                            last.0.push(',');
                        }
                        Row {
                            span: r.loc.0,
                            lines,
                        }
                    })
                    .collect();
                self.emit_rows(&mut out, 4, &rows);
                let after = records.last().map_or(open + 1, |r| r.loc.0.end);
                let close = self.find_char(after, b']');
                self.emit_dangling(&mut out, 4, close, records.is_empty());
                if out.len() == 1 && out[0].comment.is_none() {
                    out[0].text = "given []".to_string();
                } else {
                    let mut end = Line::new(2, "]");
                    end.comment = self.take_trailing(span.end);
                    out.push(end);
                }
                out
            }
        }
    }
}

/// Lines up the `=` of consecutive one-line `let` declarations (no blank line or comment
/// between them), as LANGUAGE.md writes them.
fn align_lets(lines: &mut [Line]) {
    let name_of = |l: &Line| -> Option<usize> {
        if l.indent != 0 {
            return None;
        }
        let rest = l.text.strip_prefix("let ")?;
        let name = rest.split(" = ").next()?;
        (!name.is_empty() && !name.contains(' ')).then(|| display_width(name))
    };
    let mut k = 0;
    while k < lines.len() {
        let mut end = k;
        while end < lines.len() && name_of(&lines[end]).is_some() {
            end += 1;
        }
        if end > k + 1 {
            let width = lines[k..end].iter().filter_map(name_of).max().unwrap_or(0);
            for l in &mut lines[k..end] {
                if let Some(w) = name_of(l) {
                    let rest = l.text["let ".len()..].to_string();
                    let name_len = rest.find(" = ").unwrap_or(0);
                    l.text = format!(
                        "let {}{}{}",
                        &rest[..name_len],
                        spaces(width - w),
                        &rest[name_len..]
                    );
                }
            }
        }
        k = end.max(k + 1);
    }
}

/// The operands of a left-nested chain of one operator: `a or b or c` → `[a, b, c]`.
fn flatten<'e>(e: &'e Expr, op: BinOp, out: &mut Vec<&'e Expr>) {
    match &e.kind {
        ExprKind::Binary(o, a, b) if *o == op => {
            flatten(a, op, out);
            out.push(b);
        }
        _ => out.push(e),
    }
}

/// Lines to text: trailing comments of neighbouring lines (a run of lines at one indentation,
/// without blank lines) share one column; no blank line at the start, none doubled, one newline at the end.
fn render(lines: &[Line]) -> String {
    let mut out = String::new();
    let mut k = 0;
    let mut prev_blank = true;
    while k < lines.len() {
        if lines[k].is_blank() {
            if !prev_blank {
                out.push('\n');
            }
            prev_blank = true;
            k += 1;
            continue;
        }
        let mut end = k;
        while end < lines.len() && !lines[end].is_blank() && lines[end].indent == lines[k].indent {
            end += 1;
        }
        let run = &lines[k..end];
        let col = run
            .iter()
            .filter(|l| l.comment.is_some())
            .map(|l| l.indent + display_width(&l.text))
            .max()
            .unwrap_or(0);
        for l in run {
            let mut s = spaces(l.indent) + &l.text;
            if let Some(c) = &l.comment {
                if l.text.is_empty() {
                    s = spaces(l.indent);
                } else {
                    let w = l.indent + display_width(&l.text);
                    s.push_str(&spaces(col - w + 2));
                }
                s.push_str(c);
            }
            out.push_str(s.trim_end_matches(rubric_syntax::is_layout));
            out.push('\n');
        }
        prev_blank = false;
        k = end.max(k + 1);
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    if out.is_empty() {
        return out;
    }
    out
}
