//! pest parse tree → typed AST, in one place (like cedar's `cst_to_ast.rs`).
//!
//! Recovery: the source is cut into top-level chunks (see [`split_chunks`]) and each chunk is
//! parsed on its own. A chunk that fails yields one syntax error and no declarations; the others
//! still parse, so later phases see every declaration that is well formed.
//!
//! Here: the keywords, the chunking, the depth guard and the entry [`parse`]. `tree` lowers a
//! chunk's parse tree to the AST, `errors` words syntax errors, `split` parses a very large grade
//! a run of rules at a time.

use crate::ast::{BrokenDecl, Cond, Decl, DeclKind, Expr, ExprKind, File, TestItem};
use crate::diagnostic::Diagnostic;
use crate::normalize::SourceMap;
use crate::span::Span;
use pest::Parser as _;

mod errors;
mod split;
mod tree;

use self::errors::{comment_start, syntax_error};
use self::split::split_grade;
use self::tree::Lower;

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
