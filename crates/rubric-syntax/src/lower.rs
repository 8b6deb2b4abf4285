//! pest parse tree → typed AST, in one place (like cedar's `cst_to_ast.rs`).
//!
//! Recovery: the source is cut into top-level chunks (see [`split_chunks`]) and each chunk is
//! parsed on its own. A chunk that fails yields one syntax error and no declarations; the others
//! still parse, so later phases see every declaration that is well formed.

use crate::ast::{
    Attr, BinOp, Bonus, BrokenDecl, Cond, Decl, DeclKind, Events, Expr, ExprKind, Field, File,
    Grade, Input, Let, Literal, Loc, Name, Points, PointsRule, Record, RecordEvents, Score, Term,
    Test, TestItem, UnOp,
};
use crate::date::{Date, Duration, DurationUnit};
use crate::diagnostic::Diagnostic;
use crate::fix::Fix;
use crate::normalize::SourceMap;
use crate::span::{Span, Spanned};
use crate::Decimal;
use pest::iterators::Pair;
use pest::Parser as _;

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/rubric.pest"]
struct RubricParser;

/// Every reserved word; none of them can name a field, a declaration or a code.
pub const KEYWORDS: &[&str] = &[
    "scheme",
    "as_of",
    "input",
    "let",
    "points",
    "score",
    "grade",
    "tags",
    "test",
    "by",
    "when",
    "otherwise",
    "weight",
    "bonus",
    "key",
    "and",
    "or",
    "not",
    "in",
    "between",
    "within",
    "has",
    "is",
    "missing",
    "present",
    "if",
    "then",
    "else",
    "true",
    "false",
    "today",
    "given",
    "expect",
    "events",
    "where",
    "use",
];

/// The keywords that start a top-level declaration.
pub const DECL_KEYWORDS: &[&str] = &[
    "scheme", "as_of", "input", "events", "let", "points", "score", "grade", "tags", "test", "use",
];

pub fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

/// The result of parsing: whatever declarations could be read, and every syntax error.
#[derive(Debug, Default)]
pub struct Parsed {
    pub file: File,
    pub errors: Vec<Diagnostic>,
}

/// Parses a whole `.rubric` source. Never panics, never fails, and runs on a stack of known size
/// whatever thread calls it ([`crate::stack::guarded`]).
///
/// The grammar reads the source as [`crate::normalize`] rewrites it (full-width input as ASCII,
/// thousands separators and units dropped, each with its diagnostic); every span of the result
/// points into `src` as typed.
pub fn parse(src: &str) -> Parsed {
    parse_with(src, SPLIT_GRADE_AT, RULES_RUN)
}

/// A `grade` or `tags` declaration longer than this is parsed a run of rules at a time
/// ([`split_grade`]).
const SPLIT_GRADE_AT: usize = 256 * 1024;
/// The bytes of rules in one run of a split grade.
const RULES_RUN: usize = 32 * 1024;

/// [`parse`], splitting grades longer than `split_at` bytes into runs of about `run` bytes.
fn parse_with(src: &str, split_at: usize, run: usize) -> Parsed {
    crate::stack::guarded(|| {
        let norm = crate::normalize::normalize(src);
        let mut parsed = parse_chunks(&norm.text, src, &norm.map, split_at, run);
        let mut errors = norm.diagnostics;
        errors.append(&mut parsed.errors);
        parsed.errors = errors;
        parsed
    })
}

fn parse_chunks(src: &str, orig: &str, map: &SourceMap, split_at: usize, run: usize) -> Parsed {
    let mut lower = Lower {
        orig,
        map,
        errors: Vec::new(),
    };
    let mut decls = Vec::new();
    let mut broken = Vec::new();
    for range in split_chunks(src) {
        let text = &src[range.clone()];
        if let Some(at) = crate::scan::too_deep(text) {
            let at = map.span(Span::new(range.start + at.start, range.start + at.end));
            lower.errors.push(
                Diagnostic::error("too-deep", "this is nested too deeply", at).with_help(format!(
                    "brackets, `if`s, `not`s and `-`s nest at most {} deep together; split the expression with `let`",
                    crate::scan::MAX_NESTING
                )),
            );
            broken.push(broken_decl(text));
            continue;
        }
        if text.len() > split_at {
            if let Some(d) = split_grade(&mut lower, text, range.start, run) {
                keep_decl(&mut lower, d, text, &mut decls, &mut broken);
                continue;
            }
        }
        match RubricParser::parse(Rule::chunk, text) {
            Ok(mut pairs) => {
                let Some(chunk) = pairs.next() else { continue };
                for pair in chunk.into_inner() {
                    if pair.as_rule() == Rule::EOI {
                        continue;
                    }
                    if let Some(d) = lower.decl(pair, range.start) {
                        keep_decl(&mut lower, d, text, &mut decls, &mut broken);
                    } else {
                        broken.push(broken_decl(text));
                    }
                }
            }
            Err(err) => {
                let err = with_error_detail(text).unwrap_or(err);
                lower
                    .errors
                    .push(map.diagnostic(syntax_error(&err, src, range.clone())));
                broken.push(broken_decl(text));
            }
        }
    }
    Parsed {
        file: File { decls, broken },
        errors: lower.errors,
    }
}

/// A chunk that is one big `grade` or `tags` declaration, parsed as its head (`grade name
/// "label" by … {`) and then runs of about `run` bytes of rules, each run cut at a line outside
/// every bracket: the same declaration as one parse gives. pest keeps every token of a parse in
/// one queue, so one parse of a 5.8 MB grade of 100,000 rules held a gigabyte and spent most of
/// a check growing it. `None` when the chunk is not such a declaration or any part does not
/// parse: the caller parses it whole, for the usual error.
fn split_grade(lower: &mut Lower<'_>, text: &str, off: usize, run: usize) -> Option<Decl> {
    let mark = lower.errors.len();
    let decl = split_grade_parts(lower, text, off, run);
    if decl.is_none() {
        // the whole parse lowers it again
        lower.errors.truncate(mark);
    }
    decl
}

fn split_grade_parts(lower: &mut Lower<'_>, text: &str, off: usize, run: usize) -> Option<Decl> {
    let b = text.as_bytes();
    // the body's `{`: the first one outside strings, comments and brackets
    let (mut i, mut depth, mut open) = (0usize, 0i64, None);
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += usize::from(b[i] == b'\\') + 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth -= 1,
            b'{' if depth == 0 => {
                open = Some(i);
                break;
            }
            _ => {}
        }
        i += 1;
    }
    let open = open?;
    let end = trim_trivia_end(text);
    let close = end.checked_sub(1)?;
    if close <= open || b.get(close) != Some(&b'}') {
        return None;
    }
    // the head with an empty body: the declaration without its rules
    let head = format!("{}}}", text.get(..=open)?);
    let mut pairs = RubricParser::parse(Rule::chunk, &head).ok()?;
    let mut decl_pairs = pairs
        .next()?
        .into_inner()
        .filter(|p| p.as_rule() != Rule::EOI);
    let pair = decl_pairs.next()?;
    if decl_pairs.next().is_some() || !matches!(pair.as_rule(), Rule::grade_decl | Rule::tags_decl)
    {
        return None;
    }
    let start = pair.as_span().start();
    let mut decl = lower.decl(pair, off)?;
    // the runs, each cut at a line start outside every bracket
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut from = open + 1;
    while from < close {
        let mut to = close;
        let mut depth = 0i64;
        let mut i = from;
        while i < close {
            match b[i] {
                b'"' => {
                    i += 1;
                    while i < close && b[i] != b'"' && b[i] != b'\n' {
                        i += usize::from(b[i] == b'\\') + 1;
                    }
                }
                b'/' if b.get(i + 1) == Some(&b'/') => {
                    while i < close && b[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth -= 1,
                b'\n' if depth == 0 && i + 1 - from >= run => {
                    to = i + 1;
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        runs.push((from, to));
        from = to;
    }
    // parsed and lowered on every core, a share of the runs each, put back in order
    let (orig, map) = (lower.orig, lower.map);
    let parse_runs = |part: &[(usize, usize)]| -> Option<(Vec<Rule_>, Vec<Diagnostic>)> {
        let mut own = Lower {
            orig,
            map,
            errors: Vec::new(),
        };
        let mut rules = Vec::new();
        for &(from, to) in part {
            let piece = text.get(from..to)?;
            let mut pairs = RubricParser::parse(Rule::grade_rules, piece).ok()?;
            for p in pairs.next()?.into_inner() {
                if p.as_rule() == Rule::grade_rule {
                    rules.push(own.grade_rule(p, off + from)?);
                }
            }
        }
        Some((rules, own.errors))
    };
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
        .min(runs.len().max(1));
    let per = runs.len().div_ceil(workers).max(1);
    let parts: Vec<Option<(Vec<Rule_>, Vec<Diagnostic>)>> = if workers == 1 {
        vec![parse_runs(&runs)]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = runs
                .chunks(per)
                .map(|part| {
                    std::thread::Builder::new()
                        .stack_size(crate::stack::STACK_SIZE)
                        .spawn_scoped(s, move || parse_runs(part))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.ok().and_then(|h| h.join().ok()).flatten())
                .collect()
        })
    };
    let mut rules = Vec::new();
    for part in parts {
        let (mut r, mut errors) = part?;
        rules.append(&mut r);
        lower.errors.append(&mut errors);
    }
    match &mut decl.kind {
        DeclKind::Grade(g) if g.rules.is_empty() => g.rules = rules,
        _ => return None,
    }
    // the span as one parse gives it: from the keyword to the closing `}`
    decl.loc = Loc(lower.map.span(Span::new(off + start, off + close + 1)));
    Some(decl)
}

/// How many operands one chain of binary operators may have.
const MAX_CHAIN: usize = 128;
/// The deepest expression tree a declaration may have (a chain is as deep as it is long, so
/// this bounds what the bracket limit of [`crate::scan::too_deep`] does not: chains inside
/// brackets). Every phase after the parser recurses once per level of this tree.
pub const MAX_DEPTH: usize = 256;

/// The depth of the deepest expression in a declaration, counted without recursion.
fn decl_depth(d: &Decl) -> usize {
    fn cond(c: &Cond) -> Option<&Expr> {
        match c {
            Cond::When(e) => Some(e),
            Cond::Otherwise(_) => None,
        }
    }
    let mut roots: Vec<&Expr> = Vec::new();
    match &d.kind {
        DeclKind::Let(l) => roots.push(&l.value),
        DeclKind::Points(p) => {
            roots.extend(p.by.iter());
            roots.extend(p.rules.iter().filter_map(|r| cond(&r.cond)));
        }
        DeclKind::Score(sc) => {
            for t in &sc.terms {
                roots.push(&t.expr);
                roots.extend(t.bonus.iter().map(|b| &b.cond));
            }
            roots.extend(sc.bonuses.iter().map(|b| &b.cond));
        }
        DeclKind::Grade(g) => {
            roots.extend(g.by.iter());
            roots.extend(g.rules.iter().filter_map(|r| cond(&r.cond)));
        }
        DeclKind::Test(t) => {
            for item in &t.items {
                if let TestItem::Expect(e) = item {
                    roots.push(e);
                }
            }
        }
        _ => {}
    }
    let mut max = 0;
    let mut stack: Vec<(&Expr, usize)> = roots.into_iter().map(|e| (e, 1)).collect();
    while let Some((e, depth)) = stack.pop() {
        max = max.max(depth);
        match &e.kind {
            ExprKind::List(items) | ExprKind::Call { args: items, .. } => {
                stack.extend(items.iter().map(|x| (x, depth + 1)));
            }
            ExprKind::Paren(a)
            | ExprKind::Unary(_, a)
            | ExprKind::Attr(a, _)
            | ExprKind::Is { expr: a, .. } => {
                stack.push((a, depth + 1));
            }
            ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => {
                stack.push((a, depth + 1));
                stack.push((b, depth + 1));
            }
            ExprKind::Between(a, b, c) | ExprKind::If(a, b, c) => {
                stack.push((a, depth + 1));
                stack.push((b, depth + 1));
                stack.push((c, depth + 1));
            }
            _ => {}
        }
    }
    max
}

/// Parses a chunk again with pest's error detail on, which lists the literal tokens it expected
/// (`}`, `,`, …). Detail makes parsing several times slower, so it is only switched on for a
/// chunk that already failed. The switch is global; the lock keeps it on for the whole re-parse.
fn with_error_detail(text: &str) -> Option<pest::error::Error<Rule>> {
    static DETAIL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = DETAIL.lock().unwrap_or_else(|p| p.into_inner());
    pest::set_error_detail(true);
    let result = RubricParser::parse(Rule::chunk, text).err();
    pest::set_error_detail(false);
    result
}

/// The keyword and name of a chunk that failed to parse, read word by word.
/// A lowered declaration kept, or, nested past [`MAX_DEPTH`], reported (`too-deep`) and kept
/// as broken text.
fn keep_decl(
    lower: &mut Lower<'_>,
    d: Decl,
    text: &str,
    decls: &mut Vec<Decl>,
    broken: &mut Vec<BrokenDecl>,
) {
    if decl_depth(&d) > MAX_DEPTH {
        lower.errors.push(
            Diagnostic::error(
                "too-deep",
                "this declaration is nested too deeply",
                d.span(),
            )
            .with_help("split the expression into several `let`s"),
        );
        broken.push(broken_decl(text));
    } else {
        decls.push(d);
    }
}

fn broken_decl(text: &str) -> BrokenDecl {
    let mut words = text
        .lines()
        .map(|l| comment_start(l).map_or(l, |c| &l[..c]))
        .flat_map(|l| l.split(|c: char| !(c.is_alphanumeric() || c == '_')))
        .filter(|w| !w.is_empty());
    let keyword = words.next().unwrap_or("").to_string();
    let name = match keyword.as_str() {
        "let" | "points" | "score" | "grade" | "tags" => words.next().map(str::to_string),
        _ => None,
    };
    BrokenDecl { keyword, name }
}

/// Cuts the source into top-level chunks. A chunk starts at a line whose first word is a
/// declaration keyword, when that line starts at column 0 or outside every bracket. The column-0
/// rule lets an unclosed `{` in one declaration end at the next declaration.
fn split_chunks(src: &str) -> Vec<std::ops::Range<usize>> {
    let mut starts = vec![0usize];
    let mut depth: i64 = 0;
    let mut line_start = 0usize;
    let bytes = src.as_bytes();
    let mut i = 0usize;
    let mut at_line_start = true;
    while i < bytes.len() {
        if at_line_start {
            at_line_start = false;
            let rest = &src[line_start..];
            // layout as the grammar skips it: a stray byte order mark before `let` counts
            let indent = rest.len()
                - rest
                    .trim_start_matches(|c| c != '\n' && crate::is_layout(c))
                    .len();
            let word: String = rest[indent..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if line_start > 0
                && DECL_KEYWORDS.contains(&word.as_str())
                && (indent == 0 || depth <= 0)
            {
                starts.push(line_start);
                depth = 0;
            }
        }
        match bytes[i] {
            b'\n' => {
                line_start = i + 1;
                at_line_start = true;
            }
            b'{' | b'[' | b'(' => depth += 1,
            b'}' | b']' | b')' => depth -= 1,
            b'"' => {
                // skip the string, up to the closing quote or the end of the line
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if i < bytes.len() && bytes[i] == b'\n' {
                    continue;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    let mut ranges = Vec::with_capacity(starts.len());
    for (k, &s) in starts.iter().enumerate() {
        let e = starts.get(k + 1).copied().unwrap_or(src.len());
        ranges.push(s..e);
    }
    ranges
}

fn syntax_error(
    err: &pest::error::Error<Rule>,
    src: &str,
    chunk: std::ops::Range<usize>,
) -> Diagnostic {
    let offset = chunk.start;
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    } + offset;
    let mut pos = crate::span::clamp_to_char_boundary(src, pos);
    let chunk_end = chunk.end.max(pos);
    if trim_trivia_end(&src[pos..chunk_end]) == 0 {
        if let Some(open) = unclosed_bracket(&src[chunk.clone()]) {
            let at = chunk.start + open;
            let c = src[at..].chars().next().unwrap_or('{');
            let close = match c {
                '(' => ')',
                '[' => ']',
                _ => '}',
            };
            return Diagnostic::error(
                "syntax-error",
                format!("this `{c}` is never closed"),
                Span::new(at, at + 1),
            )
            .with_label("opened here")
            .with_help(format!("add `{close}` where the block ends"));
        }
    }
    let (found, len) = if trim_trivia_end(&src[pos..chunk_end]) == 0 && chunk_end < src.len() {
        // The declaration ended early: point just after its last token, not at the next line.
        pos = chunk.start + trim_trivia_end(&src[chunk.start..pos]);
        ("the end of the declaration".to_string(), 0)
    } else {
        describe_found(&src[pos..])
    };
    let rest = &src[pos..];
    let mut expected: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !expected.contains(&s) {
            expected.push(s);
        }
    };
    if let ErrorVariant::ParsingError { positives, .. } = &err.variant {
        for r in positives {
            if let Some(d) = describe_rule(*r) {
                push(d.to_string());
            }
        }
    }
    if let Some(attempts) = err.parse_attempts() {
        for tok in attempts.expected_tokens() {
            // `ParsingToken` is not exported; its Display is the token itself for literals.
            let token = tok.to_string();
            if ["{", "}", "(", ")", "[", "]", ",", ":", "=", "?"].contains(&token.as_str()) {
                push(format!("`{token}`"));
            }
        }
    }
    // Say "an operator" once instead of listing every operator symbol, and leave out what
    // "an expression" already covers.
    const OPERATORS: &[&str] = &[
        "`!=`",
        "`==`",
        "`<`",
        "`<=`",
        "`>`",
        "`>=`",
        "`+`",
        "`-`",
        "`*`",
        "`/`",
        "`%`",
        "`??`",
        "`.`",
        "`and`",
        "`or`",
        "`between`",
        "`has`",
        "`in`",
        "`is`",
        "`within`",
        "`not`",
    ];
    let has_expr = expected.iter().any(|e| e == "an expression");
    let had_op = expected
        .iter()
        .any(|e| OPERATORS.contains(&e.as_str()) || e == "an operator");
    expected.retain(|e| {
        !OPERATORS.contains(&e.as_str())
            && e != "an operator"
            && e != "`//`"
            && !(has_expr
                && [
                    "`(`", "`[`", "`true`", "`false`", "`today`", "`if`", "`not`",
                ]
                .contains(&e.as_str()))
    });
    if had_op {
        // a call's `(` and an index's `[` are postfix operators too
        expected.retain(|e| e != "`(`" && e != "`[`");
        expected.push("an operator".to_string());
    }
    if expected.len() > 1 {
        expected.retain(|e| {
            let word = e.trim_matches('`');
            e != "end of file" && e != "a declaration" && !DECL_KEYWORDS.contains(&word)
        });
    }
    expected.sort_by_key(|e| expectation_rank(e));
    let expected_text = join_or(&expected);
    let message = if expected_text.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {expected_text}, found {found}")
    };
    let mut d = Diagnostic::error("syntax-error", message, Span::new(pos, pos + len));
    d.label = Some("unexpected here".to_string());
    if is_lone_equals(rest, &expected) {
        d = d.with_fix(Fix::safe("write `==`", Span::new(pos, pos + 1), "=="));
    }
    if let Some(help) = syntax_help(rest, &expected) {
        d.help = Some(help);
    }
    d
}

fn expectation_rank(e: &str) -> (u8, String) {
    let word = e.trim_matches('`');
    let class = if e == "an expression" {
        0
    } else if !e.starts_with('`') && e != "an operator" {
        1
    } else if is_keyword(word) {
        2
    } else if e == "an operator" {
        3
    } else {
        4
    };
    (class, e.to_string())
}

/// The length of `text` without its trailing layout ([`crate::is_layout`], what the grammar
/// skips) and `//` comments.
fn trim_trivia_end(text: &str) -> usize {
    let mut end = text.len();
    loop {
        let t = text[..end].trim_end_matches(crate::is_layout);
        end = t.len();
        let line_start = t.rfind('\n').map_or(0, |i| i + 1);
        match comment_start(&t[line_start..]) {
            Some(c) => end = line_start + c,
            None => return end,
        }
    }
}

/// The offset of the last bracket that is never closed, outside strings and comments.
fn unclosed_bracket(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let mut open: Vec<usize> = Vec::new();
    let mut i = 0;
    let mut in_str = false;
    while i < b.len() {
        match b[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            b'\n' => in_str = false,
            b'/' if !in_str && b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'{' | b'[' | b'(' if !in_str => open.push(i),
            b'}' | b']' | b')' if !in_str => {
                open.pop();
            }
            _ => {}
        }
        i += 1;
    }
    open.last().copied()
}

/// Where a `//` comment starts on a line, outside strings.
fn comment_start(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let mut in_str = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            b'/' if !in_str && b.get(i + 1) == Some(&b'/') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn join_or(items: &[String]) -> String {
    const MAX: usize = 5;
    let items: Vec<&String> = items.iter().take(MAX).collect();
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => {
            let head: Vec<&str> = items[..n - 1].iter().map(|s| s.as_str()).collect();
            format!("{} or {}", head.join(", "), items[n - 1])
        }
    }
}

fn describe_found(rest: &str) -> (String, usize) {
    let Some(c) = rest.chars().next() else {
        return ("end of file".to_string(), 0);
    };
    if c == '\n' || c == '\r' {
        return ("end of line".to_string(), 0);
    }
    if c.is_alphanumeric() || c == '_' {
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let len = word.len();
        return (format!("`{word}`"), len);
    }
    if c == '"' {
        return ("a string".to_string(), c.len_utf8());
    }
    // two-character operators
    for op in ["==", "!=", "<=", ">=", "??", "=>", "&&", "||"] {
        if rest.starts_with(op) {
            return (format!("`{op}`"), 2);
        }
    }
    (format!("`{c}`"), c.len_utf8())
}

/// A `=` where an operator may stand: a comparison written with one `=`.
fn is_lone_equals(rest: &str, expected: &[String]) -> bool {
    rest.starts_with('=')
        && !rest.starts_with("==")
        && !rest.starts_with("=>")
        && expected.iter().any(|e| e == "an operator")
}

fn syntax_help(rest: &str, expected: &[String]) -> Option<String> {
    if rest.starts_with("=>") {
        return Some("a rule reads `CODE when CONDITION`; there is no `=>`".to_string());
    }
    if is_lone_equals(rest, expected) {
        return Some("use `==` to compare".to_string());
    }
    if rest.starts_with("&&") {
        return Some("use `and`".to_string());
    }
    if rest.starts_with("||") {
        return Some("use `or`".to_string());
    }
    if rest.starts_with('\'') {
        return Some("text is written in double quotes: \"...\"".to_string());
    }
    let b = rest.as_bytes();
    if b.len() >= 4
        && b[0] == b','
        && b[1..4].iter().all(u8::is_ascii_digit)
        && !b.get(4).is_some_and(u8::is_ascii_digit)
    {
        return Some("write thousands with `_`, not `,`: `1_000_000`".to_string());
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if is_keyword(&word) && expected.iter().any(|e| e == "a name") {
        return Some(format!(
            "`{word}` is a reserved word and cannot be used as a name"
        ));
    }
    None
}

fn describe_rule(rule: Rule) -> Option<&'static str> {
    use Rule::*;
    Some(match rule {
        expr | or_expr | and_expr | not_expr | cmp_expr | coalesce | additive | multiplicative
        | unary | postfix | if_expr | paren | list | call | today | name | boolean | neg_op
        | not_op | subject_cond => "an expression",
        cmp_op | add_op | mul_op | coalesce_op | cmp_binary | not_in | in_op | between | within
        | has_op | is_missing | is_present | attr_access | index | partition => "an operator",
        ident | word | type_name => "a name",
        string | string_inner => "a string",
        date => "a date",
        number_lit | signed_number => "a number",
        percent => "a percent",
        duration => "a duration",
        field => "a field",
        points_rule => "a points rule",
        grade_rule => "a rule",
        score_term => "a score term",
        bonus => "`bonus`",
        attrs => "attributes `{ key: value }`",
        attr => "an attribute",
        record | record_list => "a record `{ field: value }`",
        record_field => "a field value",
        literal_value | neg_literal => "a literal value",
        given => "`given`",
        test_as_of => "`as_of`",
        expect => "`expect`",
        agg_filter => "`where`",
        scheme_decl | as_of_decl | input_decl | events_decl | let_decl | points_decl
        | score_decl | grade_decl | tags_decl | test_decl => "a declaration",
        EOI => "end of file",
        when_cond => "`when`",
        otherwise => "`otherwise`",
        by_clause => "`by`",
        key_mark => "`key`",
        optional_mark => "`?`",
        kw_scheme => "`scheme`",
        kw_as_of => "`as_of`",
        kw_input => "`input`",
        kw_let => "`let`",
        kw_points => "`points`",
        kw_score => "`score`",
        kw_grade => "`grade`",
        kw_tags => "`tags`",
        kw_test => "`test`",
        kw_by => "`by`",
        kw_when => "`when`",
        kw_otherwise => "`otherwise`",
        kw_weight => "`weight`",
        kw_bonus => "`bonus`",
        kw_key => "`key`",
        kw_and => "`and`",
        kw_or => "`or`",
        kw_not => "`not`",
        kw_in => "`in`",
        kw_between => "`between`",
        kw_within => "`within`",
        kw_has => "`has`",
        kw_is => "`is`",
        kw_missing => "`missing`",
        kw_present => "`present`",
        kw_if => "`if`",
        kw_then => "`then`",
        kw_else => "`else`",
        kw_true | kw_false => "an expression",
        kw_today => "an expression",
        kw_given => "`given`",
        kw_expect => "`expect`",
        kw_events => "`events`",
        kw_where => "`where`",
        _ => return None,
    })
}

struct Lower<'s> {
    /// The source as typed (spans point into it); the grammar reads its normalised form.
    orig: &'s str,
    map: &'s SourceMap,
    errors: Vec<Diagnostic>,
}

/// Children of a pair, without the keyword tokens (their position is implied by the rule).
fn children<'i>(pair: Pair<'i, Rule>) -> impl Iterator<Item = Pair<'i, Rule>> {
    pair.into_inner().filter(|p| !is_kw_rule(p.as_rule()))
}

fn is_kw_rule(r: Rule) -> bool {
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
    fn span(&self, pair: &Pair<'_, Rule>, offset: usize) -> Span {
        self.map.span(self.raw_span(pair, offset))
    }

    /// The pair's span in the normalised text the grammar reads.
    fn raw_span(&self, pair: &Pair<'_, Rule>, offset: usize) -> Span {
        let s = pair.as_span();
        let len = trim_trivia_end(s.as_str());
        Span::new(s.start() + offset, s.start() + len + offset)
    }

    fn name(&self, pair: &Pair<'_, Rule>, offset: usize) -> Name {
        Spanned::new(pair.as_str().to_string(), self.span(pair, offset))
    }

    fn error(&mut self, code: &'static str, message: String, span: Span) {
        self.errors.push(Diagnostic::error(code, message, span));
    }

    /// The `///` lines right above `start` (blank lines break the block).
    fn doc_before(&self, start: usize) -> Option<String> {
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

    fn decl(&mut self, pair: Pair<'_, Rule>, off: usize) -> Option<Decl> {
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

    fn field(&mut self, pair: Pair<'_, Rule>, off: usize) -> Option<Field> {
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

    fn grade_rule(&mut self, pair: Pair<'_, Rule>, off: usize) -> Option<Rule_> {
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

    fn cond(&mut self, pair: Pair<'_, Rule>, off: usize) -> Option<Cond> {
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

    fn bonus(&mut self, pair: Pair<'_, Rule>, off: usize) -> Option<Bonus> {
        let loc = Loc(self.span(&pair, off));
        let mut it = children(pair);
        let factor = self.signed_number(it.next()?, off);
        let cond = self.expr(it.next()?, off)?;
        Some(Bonus { factor, cond, loc })
    }

    fn record(&mut self, pair: Pair<'_, Rule>, off: usize) -> Option<Record> {
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

    fn literal_value(&mut self, pair: Pair<'_, Rule>, off: usize) -> Option<Spanned<Literal>> {
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

    fn signed_number(&mut self, pair: Pair<'_, Rule>, off: usize) -> Spanned<Decimal> {
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

    fn string(&mut self, pair: Pair<'_, Rule>, off: usize) -> Spanned<String> {
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

    fn date(&mut self, pair: Pair<'_, Rule>, off: usize) -> Spanned<Date> {
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

    fn number(&mut self, text: &str, span: Span) -> Decimal {
        let clean: String = text.chars().filter(|c| *c != '_').collect();
        match clean.parse::<Decimal>() {
            Ok(d) => d,
            Err(_) => {
                self.out_of_range(text, span);
                Decimal::ZERO
            }
        }
    }

    fn out_of_range(&mut self, text: &str, span: Span) {
        self.errors.push(
            Diagnostic::error(
                "number-out-of-range",
                format!("the number `{text}` is too large"),
                span,
            )
            .with_help("numbers have at most 38 significant digits and 38 decimal places"),
        );
    }

    fn literal(&mut self, pair: Pair<'_, Rule>, off: usize) -> Option<Literal> {
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

    fn expr(&mut self, pair: Pair<'_, Rule>, off: usize) -> Option<Expr> {
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
    fn chain_limit(&mut self, pair: &Pair<'_, Rule>, off: usize) -> Option<()> {
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

    fn cmp_tail(&mut self, lhs: Expr, tail: Pair<'_, Rule>, off: usize) -> Option<Expr> {
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

type Rule_ = crate::ast::Rule;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn chunks_start_at_declarations() {
        let src = "input {\n  id text key\n}\nlet a = 1\ngrade g {\n  x when a > 1\n";
        let chunks = split_chunks(src);
        assert_eq!(chunks.len(), 3);
        assert!(src[chunks[1].clone()].starts_with("let"));
    }

    #[test]
    fn an_unclosed_brace_ends_at_the_next_column_zero_declaration() {
        let src = "grade g {\n  x when a > 1\nlet b = 2\n";
        let parsed = parse(src);
        assert_eq!(parsed.errors.len(), 1);
        assert_eq!(parsed.file.decls.len(), 1);
        assert_eq!(parsed.file.decls[0].keyword(), "let");
    }

    #[test]
    fn deep_or_long_expressions_are_refused_not_overflowed() {
        // run on a small stack: the limits must keep parse + drop far from it
        let result = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(|| {
                let long = format!(
                    "input {{ id text key }}\nlet a = {}1\nlet b = 2\n",
                    "1 + ".repeat(5000)
                );
                let deep = format!("let c = {}1{}\n", "(".repeat(10_000), ")".repeat(10_000));
                let negs = format!("let d = {}1\n", "not ".repeat(10_000));
                [long, deep, negs].map(|src| {
                    let p = parse(&src);
                    (
                        p.errors.iter().map(|e| e.code).collect::<Vec<_>>(),
                        p.file.decls.len(),
                    )
                })
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(
            result[0],
            (vec!["too-deep"], 2),
            "the other declarations survive"
        );
        assert_eq!(result[1].0, vec!["too-deep"]);
        assert_eq!(result[2].0, vec!["too-deep"]);
    }

    #[test]
    fn doc_comments_attach_to_the_next_declaration() {
        let parsed = parse("/// first\n/// second\nlet a = 1\n");
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.file.decls[0].doc.as_deref(), Some("first\nsecond"));
    }

    /// Every scheme under `examples/` and `tests/fixtures/`, and a big grade of every kind of
    /// rule: parsed with each grade cut into runs of rules (as a grade over 256 KB is), the
    /// declarations, spans and diagnostics are those of one parse.
    #[test]
    fn a_grade_parsed_a_run_of_rules_at_a_time_is_the_same() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut sources = Vec::new();
        let mut dirs = vec![root.join("examples"), root.join("tests/fixtures")];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "rubric") {
                    if let Ok(s) = std::fs::read_to_string(&p) {
                        sources.push(s);
                    }
                }
            }
        }
        assert!(sources.len() > 50, "{} schemes", sources.len());
        let mut big = String::from(
            "scheme \"x\"\ninput {\n  id text key\n  n int\n}\n/// doc\ngrade g \"等级\" {\n",
        );
        for i in 0..400 {
            big.push_str(&match i % 5 {
                0 => format!("  /// rule {i}\n  r{i} \"第{i}档\" when n >= {i} and (n < {i} * 2) {{ owner: \"x\", d: {i}% }}\n"),
                1 => format!("  r{i} when n in [1, 2,\n    3] // a comment with ( and {{\n"),
                2 => format!("  r{i} \"a // not a comment\" when n > 1, r{i}b when n < -1,\n"),
                3 => format!("\n  // between\n  r{i} when between 1 and 2 {{\n    k: \"v\",\n  }}\n"),
                _ => format!("  r{i} when n == {i}\n"),
            });
        }
        big.push_str("  other otherwise\n} // after\nlet after = 1\n");
        sources.push(big.clone());
        // a rule that does not parse: the whole grade is parsed again for the usual error
        sources.push(big.replace("r17 when", "r17 when when"));
        let mut split = 0;
        for src in &sources {
            let whole = parse_with(src, usize::MAX, RULES_RUN);
            for run in [1, 200, 4096] {
                let cut = parse_with(src, 0, run);
                assert_eq!(
                    format!("{whole:?}"),
                    format!("{cut:?}"),
                    "run {run}:\n{src}"
                );
            }
            split += usize::from(src.contains("grade "));
        }
        assert!(split > 20);
        let parsed = parse_with(&big, 0, 1);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let rules = match &parsed.file.decls[2].kind {
            DeclKind::Grade(g) => g.rules.len(),
            _ => 0,
        };
        assert_eq!(rules, 481);
        // the big grade did go the split way, at every run length
        let norm = crate::normalize::normalize(&big);
        let chunk = split_chunks(&norm.text)
            .into_iter()
            .find(|r| norm.text[r.clone()].contains("grade g"))
            .unwrap();
        for run in [1, 200, 4096] {
            let mut lower = Lower {
                orig: &big,
                map: &norm.map,
                errors: Vec::new(),
            };
            let text = &norm.text[chunk.clone()];
            assert!(split_grade(&mut lower, text, chunk.start, run).is_some());
        }
    }

    #[test]
    fn a_byte_order_mark_is_layout_around_doc_comments() {
        // the grammar skips U+FEFF like a space, so the doc comments do too
        let parsed = parse("/// one\n\u{feff}let a = 1\n\u{feff}/// two\nlet b = 2\n/// none\n\u{feff}\nlet c = 3\n");
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let docs: Vec<_> = parsed.file.decls.iter().map(|d| d.doc.as_deref()).collect();
        assert_eq!(docs, vec![Some("one"), Some("two"), None]);
    }
}
