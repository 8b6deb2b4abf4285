//! Syntax errors people can act on: what was expected in words, what was found, and a help
//! for the common slips (`=` for `==`, an unclosed bracket, a stray comma).

use super::{is_keyword, Rule, DECL_KEYWORDS};
use crate::diagnostic::Diagnostic;
use crate::fix::Fix;
use crate::span::Span;

pub(super) fn syntax_error(
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

pub(super) fn expectation_rank(e: &str) -> (u8, String) {
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
pub(super) fn trim_trivia_end(text: &str) -> usize {
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
pub(super) fn unclosed_bracket(text: &str) -> Option<usize> {
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
pub(super) fn comment_start(line: &str) -> Option<usize> {
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

pub(super) fn join_or(items: &[String]) -> String {
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

pub(super) fn describe_found(rest: &str) -> (String, usize) {
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
pub(super) fn is_lone_equals(rest: &str, expected: &[String]) -> bool {
    rest.starts_with('=')
        && !rest.starts_with("==")
        && !rest.starts_with("=>")
        && expected.iter().any(|e| e == "an operator")
}

pub(super) fn syntax_help(rest: &str, expected: &[String]) -> Option<String> {
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

pub(super) fn describe_rule(rule: Rule) -> Option<&'static str> {
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
