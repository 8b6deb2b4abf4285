//! A very large grade or tags (past `SPLIT_GRADE_AT` bytes) parsed a run of rules at a time,
//! so pest's token queue stays small: the same declaration as one parse would give.

use super::errors::trim_trivia_end;
use super::tree::Lower;
use super::{RubricParser, Rule, Rule_};
use crate::ast::{Decl, DeclKind, Loc};
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use pest::Parser as _;

/// A chunk that is one big `grade` or `tags` declaration, parsed as its head (`grade name
/// "label" by … {`) and then runs of about `run` bytes of rules, each run cut at a line outside
/// every bracket: the same declaration as one parse gives. pest keeps every token of a parse in
/// one queue, so one parse of a 5.8 MB grade of 100,000 rules held a gigabyte and spent most of
/// a check growing it. `None` when the chunk is not such a declaration or any part does not
/// parse: the caller parses it whole, for the usual error.
pub(super) fn split_grade(
    lower: &mut Lower<'_>,
    text: &str,
    off: usize,
    run: usize,
) -> Option<Decl> {
    let mark = lower.errors.len();
    let decl = split_grade_parts(lower, text, off, run);
    if decl.is_none() {
        // the whole parse lowers it again
        lower.errors.truncate(mark);
    }
    decl
}

pub(super) fn split_grade_parts(
    lower: &mut Lower<'_>,
    text: &str,
    off: usize,
    run: usize,
) -> Option<Decl> {
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
