//! A trivia-aware scanner: the source as tokens (words, numbers, strings, comments, punctuation),
//! in one pass, without recursion and without failing. It knows nothing of the grammar; the
//! parser's recovery and the depth guard read it, so that a string or a comment never counts
//! as code.

use crate::span::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An identifier or keyword: a run of XID characters that does not start with a digit.
    Word,
    /// A literal that starts with a digit: a number, percent, duration or date (`2024-05-16`),
    /// with any letters that follow it (`30d`, `5万`).
    Number,
    /// A text literal with its quotes; `closed` is false when the line ended first.
    Str { closed: bool },
    /// `//` up to the end of the line (`///` doc comments included).
    Comment,
    /// One or two characters of punctuation: `==`, `!=`, `<=`, `>=`, `??`, or any other single
    /// character that is not whitespace.
    Punct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

/// The tokens of `src`, whitespace left out. Linear in the length of the source.
pub fn tokens(src: &str) -> Tokens<'_> {
    Tokens { src, pos: 0 }
}

pub struct Tokens<'a> {
    src: &'a str,
    pos: usize,
}

fn is_word_char(c: char) -> bool {
    c == '_' || pest::unicode::XID_CONTINUE(c)
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let rest = self.src.get(self.pos..)?;
        let skipped = rest.len() - rest.trim_start().len();
        let start = self.pos + skipped;
        let rest = &rest[skipped..];
        let first = rest.chars().next()?;
        let len = if rest.starts_with("//") {
            rest.find('\n').unwrap_or(rest.len())
        } else if first == '"' {
            string_len(rest)
        } else if first.is_ascii_digit() {
            number_len(rest)
        } else if is_word_char(first) {
            rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len())
        } else if ["==", "!=", "<=", ">=", "??"]
            .iter()
            .any(|op| rest.starts_with(op))
        {
            2
        } else {
            first.len_utf8()
        };
        let kind = if rest.starts_with("//") {
            TokenKind::Comment
        } else if first == '"' {
            TokenKind::Str {
                closed: len >= 2 && rest[..len].ends_with('"') && !ends_in_escape(&rest[1..len]),
            }
        } else if first.is_ascii_digit() {
            TokenKind::Number
        } else if is_word_char(first) {
            TokenKind::Word
        } else {
            TokenKind::Punct
        };
        self.pos = start + len;
        Some(Token {
            kind,
            span: Span::new(start, start + len),
        })
    }
}

/// Whether the text before a closing quote ends in an unescaped backslash (so the quote is
/// escaped). Only called on the text between the quotes.
fn ends_in_escape(inner_with_quote: &str) -> bool {
    let inner = inner_with_quote
        .strip_suffix('"')
        .unwrap_or(inner_with_quote);
    inner.bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 1
}

/// The length of a string literal: up to the closing quote, or up to the end of the line when
/// it is not closed (a text literal never spans lines).
fn string_len(rest: &str) -> usize {
    let b = rest.as_bytes();
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' => return i,
            _ => i += 1,
        }
    }
    b.len()
}

/// The length of a literal that starts with a digit: digits, `_`, `.`, a date's `-` between
/// digit groups, a final `%`, and the letters of a unit (`30d`, `3mo`, `5万`).
fn number_len(rest: &str) -> usize {
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'0'..=b'9' | b'_' => i += 1,
            b'.' | b'-' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => i += 1,
            b'%' => return i + 1,
            _ => break,
        }
    }
    i + rest[i..]
        .find(|c: char| !is_word_char(c))
        .unwrap_or(rest.len() - i)
}

/// How deep constructs that the parser handles by recursion may nest: brackets, `if`, and the
/// prefix operators `-` and `not`, all counted together. Far beyond any real scheme, and low
/// enough that every phase (parser, lowering, checker, evaluators, formatter, SQL, language
/// server) stays far from the stack limit of a 2 MiB thread.
pub const MAX_NESTING: usize = 48;

/// The span of the first token that nests deeper than [`MAX_NESTING`], if one does.
///
/// The count is an upper bound of the parser's recursion depth, computed from tokens alone:
/// - every open bracket is one level, and carries the levels open around it;
/// - an `if`, or a prefix `not`, stays open until the end of its expression, which the scanner
///   takes to be the next `,` or `:`, a keyword that ends an expression (`when`, `weight`, …),
///   or the bracket that closes around it;
/// - a prefix `-` stays open until the next binary operator (its operand is a single term).
///
/// It overcounts only expressions no one writes (fifty `if`s in one rule, say), and never
/// undercounts, because each rule above closes a construct no earlier than the grammar does.
pub fn too_deep(src: &str) -> Option<Span> {
    #[derive(Default)]
    struct Level {
        /// The levels open around this bracket, itself included.
        carried: usize,
        /// `if`s and prefix `not`s open at this bracket level.
        open: usize,
        /// Prefix `-`s open at this bracket level.
        negs: usize,
    }
    let mut stack = vec![Level::default()];
    // whether the previous token ends an operand, so that a `-` after it is binary
    let mut after_operand = false;
    for tok in tokens(src) {
        let text = &src[tok.span.range()];
        let top = stack.len() - 1;
        let mut deeper = false;
        match tok.kind {
            TokenKind::Comment => continue,
            TokenKind::Number | TokenKind::Str { .. } => after_operand = true,
            TokenKind::Word => match text {
                "if" => {
                    stack[top].open += 1;
                    deeper = true;
                    after_operand = false;
                }
                "not" if !after_operand => {
                    stack[top].open += 1;
                    deeper = true;
                }
                "when" | "otherwise" | "weight" | "bonus" | "expect" | "given" | "by" | "let"
                | "points" | "score" | "grade" | "tags" | "test" | "input" | "as_of" | "key"
                | "scheme" => {
                    stack[top].open = 0;
                    stack[top].negs = 0;
                    after_operand = false;
                }
                "and" | "or" | "in" | "between" | "within" | "has" | "is" | "then" | "else"
                | "not" => {
                    stack[top].negs = 0;
                    after_operand = false;
                }
                _ => after_operand = true,
            },
            TokenKind::Punct => match text {
                "(" | "[" | "{" => {
                    let here = &stack[top];
                    let carried = here.carried + here.open + here.negs + 1;
                    stack.push(Level {
                        carried,
                        ..Level::default()
                    });
                    deeper = true;
                    after_operand = false;
                }
                ")" | "]" | "}" => {
                    if stack.len() > 1 {
                        stack.pop();
                    }
                    after_operand = true;
                }
                "," | ":" => {
                    stack[top].open = 0;
                    stack[top].negs = 0;
                    after_operand = false;
                }
                "-" if !after_operand => {
                    stack[top].negs += 1;
                    deeper = true;
                }
                "." => {}
                _ => {
                    stack[top].negs = 0;
                    after_operand = false;
                }
            },
        }
        if deeper {
            let top = &stack[stack.len() - 1];
            if top.carried + top.open + top.negs > MAX_NESTING {
                return Some(tok.span);
            }
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(TokenKind, &str)> {
        tokens(src)
            .map(|t| (t.kind, &src[t.span.range()]))
            .collect()
    }

    #[test]
    fn tokens_keep_strings_comments_and_literals_whole() {
        use TokenKind::*;
        assert_eq!(
            kinds("let a = \"x, (y\" // c (\nb >= 2024-05-16 + 30d - 5万"),
            vec![
                (Word, "let"),
                (Word, "a"),
                (Punct, "="),
                (Str { closed: true }, "\"x, (y\""),
                (Comment, "// c ("),
                (Word, "b"),
                (Punct, ">="),
                (Number, "2024-05-16"),
                (Punct, "+"),
                (Number, "30d"),
                (Punct, "-"),
                (Number, "5万"),
            ]
        );
        assert_eq!(
            kinds("\"a\\\"b\" \"open\nx"),
            vec![
                (Str { closed: true }, "\"a\\\"b\""),
                (Str { closed: false }, "\"open"),
                (Word, "x"),
            ]
        );
        assert_eq!(kinds("\"\\\\\""), vec![(Str { closed: true }, "\"\\\\\"")]);
    }

    fn depth_ok(src: &str) -> bool {
        too_deep(src).is_none()
    }

    #[test]
    fn every_recursive_construct_counts_toward_one_limit() {
        let n = MAX_NESTING;
        let parens = |k: usize| format!("{}1{}", "(".repeat(k), ")".repeat(k));
        assert!(depth_ok(&parens(n)));
        assert!(!depth_ok(&parens(n + 1)));
        let ifs = |k: usize| "if a then 1 else ".repeat(k) + "0";
        assert!(depth_ok(&ifs(n)));
        assert!(!depth_ok(&ifs(n + 1)));
        let nots = |k: usize| "not ".repeat(k) + "a";
        assert!(depth_ok(&nots(n)));
        assert!(!depth_ok(&nots(n + 1)));
        let negs = |k: usize| "- ".repeat(k) + "a";
        assert!(depth_ok(&negs(n)));
        assert!(!depth_ok(&negs(n + 1)));
        // mixed: a prefix carries into the bracket it applies to
        let mixed = |k: usize| "-(not (".repeat(k);
        assert!(depth_ok(&mixed(n / 4)));
        assert!(!depth_ok(&mixed(n / 4 + 1)));
        let calls = |k: usize| "f(".repeat(k);
        assert!(!depth_ok(&calls(n + 1)));
    }

    #[test]
    fn sequences_do_not_count_as_nesting() {
        let many_rules: String = (0..500)
            .map(|i| format!("  c{i} when if a > {i} then -a else -b > 0,\n"))
            .collect();
        assert!(depth_ok(&format!("grade g {{\n{many_rules}}}")));
        let binary_minus = "a ".to_string() + &"- a ".repeat(1000);
        assert!(depth_ok(&binary_minus));
        let dates = "d > 2024-05-16 and ".repeat(1000) + "true";
        assert!(depth_ok(&dates));
        assert!(depth_ok(&"x not in [1] and ".repeat(1000)));
        let in_strings = format!("let a = \"{}\"", "(".repeat(1000));
        assert!(depth_ok(&in_strings));
        let in_comments = format!("// {}\nlet a = 1", "(".repeat(1000));
        assert!(depth_ok(&in_comments));
    }

    #[test]
    fn the_report_points_at_the_first_token_too_deep() {
        let src = "(".repeat(MAX_NESTING + 5);
        assert_eq!(
            too_deep(&src),
            Some(Span::new(MAX_NESTING, MAX_NESTING + 1))
        );
    }
}
