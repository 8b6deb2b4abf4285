//! What an operator types with a Chinese input method, read as the code it stands for
//! (LANGUAGE.md §8), before the grammar sees the text:
//!
//! 1. full-width punctuation and digits in code (`，：（）＞＝５…`, `≥ ≤ ≠ “ ”`) become their
//!    ASCII forms, each run with a `full-width` warning and a safe fix; text literals and
//!    comments keep what was typed;
//! 2. a thousands separator in a number (`50,000`) and a unit word after one (`100元`) are
//!    errors with a fix, and are dropped from the text the grammar reads, so the rest of the
//!    scheme is still checked with the value the writer meant; a Chinese connective in code
//!    (`或`, `且`) is an error too, read as the keyword it stands for.
//!
//! The text the grammar reads ([`Normalized::text`]) is shorter than the source (`＞` is three
//! bytes, `>` one), so [`SourceMap`] takes every offset of it back to the source: every span the
//! parser reports points into the text the user typed. Padding the replacement to the same
//! length instead would split numbers (`５０００` as `5  0  0  0`) and two-character operators
//! (`＞＝`), so the offsets are mapped (see ARCHITECTURE.md).

use crate::diagnostic::Diagnostic;
use crate::fix::Fix;
use crate::scan::{tokens, Token, TokenKind};
use crate::span::Span;

/// The source as the grammar reads it, the map back to the source, and what was changed.
#[derive(Debug, Default)]
pub struct Normalized {
    pub text: String,
    pub map: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

/// Offsets of the normalised text → offsets of the source. The identity when nothing changed.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    /// Applied last to first: each stage maps its own text to the previous one.
    stages: Vec<Vec<Repl>>,
}

/// One replacement of a stage: `old` in the previous text became `new` in this one. Sorted and
/// disjoint.
#[derive(Debug, Clone, Copy)]
struct Repl {
    old: Span,
    new: Span,
}

impl SourceMap {
    pub fn is_identity(&self) -> bool {
        self.stages.iter().all(Vec::is_empty)
    }

    /// The source offset of normalised offset `n`; `end` says whether it ends a span (an offset
    /// inside a replacement then maps to the end of what was replaced, else to its start).
    pub fn offset(&self, n: usize, end: bool) -> usize {
        self.stages
            .iter()
            .rev()
            .fold(n, |n, stage| map_stage(stage, n, end))
    }

    pub fn span(&self, s: Span) -> Span {
        if self.is_identity() {
            return s;
        }
        let start = self.offset(s.start, s.is_empty());
        let end = self.offset(s.end, true).max(start);
        Span::new(start, end)
    }

    /// The diagnostic with its span, related spans and fix edits in source offsets.
    pub fn diagnostic(&self, mut d: Diagnostic) -> Diagnostic {
        if self.is_identity() {
            return d;
        }
        d.span = self.span(d.span);
        for r in &mut d.related {
            r.span = self.span(r.span);
        }
        for f in &mut d.fixes {
            for e in &mut f.edits {
                e.span = self.span(e.span);
            }
        }
        d
    }
}

fn map_stage(stage: &[Repl], n: usize, end: bool) -> usize {
    let i = stage.partition_point(|r| r.new.start <= n);
    let Some(r) = i.checked_sub(1).and_then(|i| stage.get(i)) else {
        return n;
    };
    if r.new.is_empty() && n == r.new.start {
        // a deletion: a span that ends here stops before what was deleted
        return if end { r.old.start } else { r.old.end };
    }
    if n >= r.new.end {
        r.old.end + (n - r.new.end)
    } else if n == r.new.start || !end {
        r.old.start
    } else {
        r.old.end
    }
}

/// The ASCII a full-width character in code stands for.
fn ascii_of(c: char) -> Option<&'static str> {
    Some(match c {
        '，' => ",",
        '：' => ":",
        '；' => ";",
        '（' => "(",
        '）' => ")",
        '［' => "[",
        '］' => "]",
        '｛' => "{",
        '｝' => "}",
        '％' => "%",
        '＜' => "<",
        '＞' => ">",
        '＝' => "=",
        '！' => "!",
        '＋' => "+",
        '－' => "-",
        '＊' => "*",
        '／' => "/",
        // not in LANGUAGE.md's list, but the input method types it in `１．５` (see
        // docs/language-decisions.md)
        '．' => ".",
        '≥' => ">=",
        '≤' => "<=",
        '≠' => "!=",
        '“' | '”' => "\"",
        '０' => "0",
        '１' => "1",
        '２' => "2",
        '３' => "3",
        '４' => "4",
        '５' => "5",
        '６' => "6",
        '７' => "7",
        '８' => "8",
        '９' => "9",
        _ => return None,
    })
}

fn is_wide_digit(c: char) -> bool {
    ('０'..='９').contains(&c)
}

/// Normalises `src`; see the module documentation. Linear in its length; never fails.
pub fn normalize(src: &str) -> Normalized {
    // the usual scheme: ASCII without `1,000`; nothing to scan (the parser scans it anyway)
    if src.is_ascii()
        && !src
            .as_bytes()
            .windows(3)
            .any(|w| w[0].is_ascii_digit() && w[1] == b',' && w[2].is_ascii_digit())
    {
        return Normalized {
            text: src.to_string(),
            ..Normalized::default()
        };
    }
    let mut diagnostics = Vec::new();
    let wide = full_width(src);
    for run in &wide {
        let typed = &src[run.old.range()];
        diagnostics.push(
            Diagnostic::warning(
                "full-width",
                format!("full-width `{typed}` is read as `{}`", run.text),
                run.old,
            )
            .with_help(format!(
                "type `{}` in code (half-width, the input method's 英文 mode); full-width characters are kept only in text",
                run.text
            ))
            .with_fix(Fix::safe(format!("write `{}`", run.text), run.old, run.text.clone())),
        );
    }
    let (text1, stage1) = rewrite(src, &wide);
    let mut map = SourceMap {
        stages: vec![stage1],
    };
    let (numbers, number_diags) = numbers(&text1);
    diagnostics.extend(number_diags.into_iter().map(|d| map.diagnostic(d)));
    let (text, stage2) = rewrite(&text1, &numbers);
    map.stages.push(stage2);
    if map.is_identity() {
        map.stages.clear();
    }
    Normalized {
        text,
        map,
        diagnostics,
    }
}

/// A replacement to make: `old` (in the text it is made on) becomes `text`.
#[derive(Debug)]
struct Change {
    old: Span,
    text: String,
}

/// The text with the changes made (sorted, disjoint), and the stage that maps it back.
fn rewrite(src: &str, changes: &[Change]) -> (String, Vec<Repl>) {
    let mut out = String::with_capacity(src.len());
    let mut repls = Vec::with_capacity(changes.len());
    let mut at = 0;
    for c in changes {
        out.push_str(&src[at..c.old.start]);
        let start = out.len();
        out.push_str(&c.text);
        repls.push(Repl {
            old: c.old,
            new: Span::new(start, out.len()),
        });
        at = c.old.end;
    }
    out.push_str(&src[at..]);
    (out, repls)
}

/// The runs of full-width characters in code, each with its ASCII form. A `“` opens a text
/// literal that ends at the next `”` or `"` on its line; what is between stays as typed.
fn full_width(src: &str) -> Vec<Change> {
    let mut runs: Vec<Change> = Vec::new();
    let mut push = |at: usize, c: char, ascii: &str| {
        let span = Span::new(at, at + c.len_utf8());
        match runs.last_mut() {
            Some(last) if last.old.end == at => {
                last.old.end = span.end;
                last.text.push_str(ascii);
            }
            _ => runs.push(Change {
                old: span,
                text: ascii.to_string(),
            }),
        }
    };
    let mut skip_until = 0;
    for tok in tokens(src) {
        if tok.span.start < skip_until {
            continue;
        }
        let text = &src[tok.span.range()];
        match tok.kind {
            TokenKind::Str { .. } | TokenKind::Comment => {}
            TokenKind::Punct => {
                let Some(c) = text.chars().next() else {
                    continue;
                };
                let Some(ascii) = ascii_of(c) else { continue };
                push(tok.span.start, c, ascii);
                if c == '“' {
                    // the text literal runs to the closing quote (full-width or not)
                    let body = tok.span.end;
                    let line_end = src[body..].find('\n').map_or(src.len(), |i| body + i);
                    match src[body..line_end].find(['”', '"']) {
                        Some(i) => {
                            let at = body + i;
                            if let Some(q) = src[at..].chars().next() {
                                if q == '”' {
                                    push(at, q, "\"");
                                }
                                skip_until = at + q.len_utf8();
                            }
                        }
                        None => skip_until = line_end,
                    }
                }
            }
            TokenKind::Number | TokenKind::Word => {
                // full-width digits only in a number, never inside a name (`指标２`)
                let starts_numeric = text
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit() || is_wide_digit(c));
                if !starts_numeric {
                    continue;
                }
                for (i, c) in text.char_indices() {
                    if is_wide_digit(c) || c == '．' {
                        if let Some(ascii) = ascii_of(c) {
                            push(tok.span.start + i, c, ascii);
                        }
                    }
                }
            }
        }
    }
    runs
}

/// Thousands separators and unit words in numbers: the changes that drop them and their errors.
fn numbers(src: &str) -> (Vec<Change>, Vec<Diagnostic>) {
    let toks: Vec<Token> = tokens(src)
        .filter(|t| t.kind != TokenKind::Comment)
        .collect();
    let mut changes = Vec::new();
    let mut diags = Vec::new();
    // `(` and `[` hold lists of values, where `1,000` may well be two of them
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let tok = toks[i];
        let text = &src[tok.span.range()];
        i += 1;
        match (tok.kind, text) {
            (TokenKind::Punct, "(" | "[") => depth += 1,
            (TokenKind::Punct, ")" | "]") => depth = depth.saturating_sub(1),
            _ => {}
        }
        if tok.kind == TokenKind::Word {
            if let Some(kw) = connective(text) {
                diags.push(
                    Diagnostic::error(
                        "chinese-connective",
                        format!("`{text}` is not an operator of the language"),
                        tok.span,
                    )
                    .with_help(format!("write `{kw}`"))
                    .with_fix(Fix::safe(format!("write `{kw}`"), tok.span, kw)),
                );
                changes.push(Change {
                    old: tok.span,
                    text: kw.to_string(),
                });
            }
            continue;
        }
        if tok.kind != TokenKind::Number || text.contains('-') {
            continue;
        }
        // the token whose end may carry a unit: the number's last group
        let mut last = tok;
        if depth == 0 {
            if let Some((end, groups)) = thousands(src, &toks[i - 1..]) {
                i += 2 * groups;
                last = toks[i - 1];
                separator(
                    src,
                    Span::new(tok.span.start, end),
                    &mut changes,
                    &mut diags,
                );
            }
        }
        let text = &src[last.span.range()];
        let head_len = text
            .find(|c: char| !(c.is_ascii_digit() || c == '_' || c == '.'))
            .unwrap_or(text.len());
        let (head, rest) = text.split_at(head_len);
        if rest.is_empty()
            || rest.starts_with('%')
            || (["d", "w", "mo", "y"].contains(&rest) && !head.contains('.'))
        {
            continue;
        }
        let unit = match rest.strip_prefix(['万', '亿']) {
            Some(after) => Some(after).filter(|u| !u.is_empty()),
            None => (!rest.starts_with(|c: char| c.is_ascii())).then_some(rest),
        };
        let Some(unit) = unit else { continue };
        let at = last.span.end - unit.len();
        let span = Span::new(at, last.span.end);
        let number: String = src[tok.span.start..at]
            .chars()
            .filter(|c| *c != ',')
            .collect();
        diags.push(
            Diagnostic::error(
                "unit-after-number",
                format!("unit `{unit}` after the number `{number}`"),
                span,
            )
            .with_label("a number has no unit")
            .with_help(format!(
                "write `{number}`; say what the number counts in the field's label (\"营业额（元）\")"
            ))
            .with_fix(Fix::safe(format!("drop `{unit}`"), span, "")),
        );
        changes.push(Change {
            old: span,
            text: String::new(),
        });
    }
    (changes, diags)
}

/// The keyword a Chinese connective typed in a condition stands for (`或` for `or`). Only these
/// whole words: they are no sensible names.
fn connective(word: &str) -> Option<&'static str> {
    Some(match word {
        "或" | "或者" => "or",
        "且" | "并且" | "而且" => "and",
        _ => return None,
    })
}

/// Whether `toks` starts with a number written with thousands separators (`50,000`,
/// `1,234,567.5`): the end of it and how many `,ddd` groups it has.
fn thousands(src: &str, toks: &[Token]) -> Option<(usize, usize)> {
    let first = &src[toks.first()?.span.range()];
    if first.is_empty() || first.len() > 3 || !first.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut end = toks[0].span.end;
    let mut groups = 0;
    let mut k = 1;
    while let (Some(comma), Some(group)) = (toks.get(k), toks.get(k + 1)) {
        let g = &src[group.span.range()];
        let int = g.bytes().take_while(u8::is_ascii_digit).count();
        let frac = match g[int..].strip_prefix('.') {
            Some(f) => 1 + f.bytes().take_while(u8::is_ascii_digit).count(),
            None => 0,
        };
        let ok = comma.span.start == end
            && &src[comma.span.range()] == ","
            && group.kind == TokenKind::Number
            && group.span.start == comma.span.end
            && int == 3
            && frac != 1;
        if !ok {
            break;
        }
        end = group.span.start + int + frac;
        groups += 1;
        k += 2;
        if int + frac < g.len() {
            // a fraction, a unit or `万` ends the number
            break;
        }
    }
    (groups > 0).then_some((end, groups))
}

fn separator(src: &str, span: Span, changes: &mut Vec<Change>, diags: &mut Vec<Diagnostic>) {
    let typed = &src[span.range()];
    let plain: String = typed.chars().filter(|c| *c != ',').collect();
    let mut d = Diagnostic::error(
        "thousands-separator",
        format!("`{typed}` has a thousands separator"),
        span,
    )
    .with_label("`,` separates values in code")
    .with_fix(Fix::safe(format!("write `{plain}`"), span, plain.clone()));
    match wan(&plain) {
        Some(w) => {
            d = d
                .with_help(format!("write `{plain}` or `{w}`"))
                .with_fix(Fix::guess(format!("write `{w}`"), span, w));
        }
        None => d = d.with_help(format!("write `{plain}`")),
    }
    diags.push(d);
    for (i, _) in typed.match_indices(',') {
        changes.push(Change {
            old: Span::new(span.start + i, span.start + i + 1),
            text: String::new(),
        });
    }
}

/// `50000` as `5万`, `123456` as `12.3456万`, `150000000` as `1.5亿`; `None` below 10,000 or
/// with a fraction.
fn wan(plain: &str) -> Option<String> {
    if plain.contains('.') || plain.len() < 5 {
        return None;
    }
    let (places, unit) = if plain.len() >= 9 {
        (8, '亿')
    } else {
        (4, '万')
    };
    let (int, frac) = plain.split_at(plain.len() - places);
    let frac = frac.trim_end_matches('0');
    Some(if frac.is_empty() {
        format!("{int}{unit}")
    } else {
        format!("{int}.{frac}{unit}")
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn codes(n: &Normalized) -> Vec<(&str, &str)> {
        n.diagnostics
            .iter()
            .map(|d| (d.code, d.fixes[0].edits[0].replacement.as_str()))
            .collect()
    }

    #[test]
    fn full_width_code_is_ascii_and_text_is_kept() {
        let src = "x ＞＝ ５０００ and y ≥ 1 and z == “（大）” // 注（释）\nw == \"（）\"";
        assert_eq!(normalize("x ≥ ５万 + １．５亿").text, "x >= 5万 + 1.5亿");
        assert!(normalize("x ≥ ５万 + １．５亿")
            .diagnostics
            .iter()
            .all(|d| !d.is_error()));
        let n = normalize(src);
        assert_eq!(
            n.text,
            "x >= 5000 and y >= 1 and z == \"（大）\" // 注（释）\nw == \"（）\""
        );
        assert_eq!(
            codes(&n),
            [
                ("full-width", ">="),
                ("full-width", "5000"),
                ("full-width", ">="),
                ("full-width", "\""),
                ("full-width", "\""),
            ]
        );
        // each warning is on the exact text typed
        let typed: Vec<&str> = n.diagnostics.iter().map(|d| &src[d.span.range()]).collect();
        assert_eq!(typed, ["＞＝", "５０００", "≥", "“", "”"]);
        // every offset maps back: the number `5000` is `５０００` in the source
        let at = n.text.find("5000").unwrap();
        let s = n.map.span(Span::new(at, at + 4));
        assert_eq!(&src[s.range()], "５０００");
        let at = n.text.find("1 and z").unwrap();
        assert_eq!(&src[n.map.span(Span::new(at, at + 1)).range()], "1");
        // a name keeps its full-width digit
        assert_eq!(normalize("指标２ + 1").text, "指标２ + 1");
    }

    #[test]
    fn separators_and_units_are_errors_and_dropped() {
        let n = normalize("a > 1 或 b > 2 并且 c");
        assert_eq!(n.text, "a > 1 or b > 2 and c");
        assert_eq!(
            codes(&n),
            [("chinese-connective", "or"), ("chinese-connective", "and")]
        );
        let src = "a >= 50,000 and b <= 3.5万元 and c == 100元 and max(1,000) > 1,234,567.5";
        let n = normalize(src);
        assert_eq!(
            n.text,
            "a >= 50000 and b <= 3.5万 and c == 100 and max(1,000) > 1234567.5"
        );
        assert_eq!(
            codes(&n),
            [
                ("thousands-separator", "50000"),
                ("unit-after-number", ""),
                ("unit-after-number", ""),
                ("thousands-separator", "1234567.5"),
            ]
        );
        assert_eq!(
            n.diagnostics[0].fixes[1].edits[0].replacement,
            "5万".to_string()
        );
        let typed: Vec<&str> = n.diagnostics.iter().map(|d| &src[d.span.range()]).collect();
        assert_eq!(typed, ["50,000", "元", "元", "1,234,567.5"]);
        let at = n.text.find("100").unwrap();
        assert_eq!(&src[n.map.span(Span::new(at, at + 3)).range()], "100");
        // full-width and separators together map through both stages
        let src = "x > ５０，０００元";
        let n = normalize(src);
        assert_eq!(n.text, "x > 50000");
        let d = n
            .diagnostics
            .iter()
            .find(|d| d.code == "thousands-separator")
            .unwrap();
        assert_eq!(&src[d.span.range()], "５０，０００");
        assert_eq!(wan("150000000").as_deref(), Some("1.5亿"));
        assert_eq!(wan("123456").as_deref(), Some("12.3456万"));
        assert_eq!(wan("9999"), None);
    }

    /// Random scraps of input-method text: parsing never panics, and every diagnostic and fix
    /// points at whole characters of the text as typed.
    #[test]
    fn random_input_method_text_maps_to_whole_characters() {
        let pieces = [
            "５",
            "０",
            "，",
            "：",
            "（",
            "）",
            "＞＝",
            "≥",
            "“",
            "”",
            "\"",
            "万",
            "元",
            "亿",
            "．",
            "1",
            "0",
            ",",
            ".",
            " ",
            "\n",
            "let x = ",
            "x",
            "grade g { a when ",
            "}",
            "//（",
            "😀",
            "_",
            "%",
            "％",
            "d",
        ];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..3000 {
            let len = next() % 24;
            let src: String = (0..len)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect();
            let parsed = crate::parse(&src);
            let n = normalize(&src);
            let ok = |s: Span| {
                s.start <= s.end
                    && s.end <= src.len()
                    && src.is_char_boundary(s.start)
                    && src.is_char_boundary(s.end)
            };
            for d in parsed.errors.iter().chain(&n.diagnostics) {
                assert!(ok(d.span), "{src:?}: {} at {:?}", d.code, d.span);
                for e in d.fixes.iter().flat_map(|f| &f.edits) {
                    assert!(ok(e.span), "{src:?}: fix of {} at {:?}", d.code, e.span);
                }
            }
            for at in 0..=n.text.len() {
                let o = n.map.offset(at, false);
                assert!(o <= src.len(), "{src:?}: {at} maps to {o}");
            }
            // applying the safe fixes, round after round as `rubric check --fix` does, leaves
            // no full-width input in code
            let mut fixed = src.clone();
            for _ in 0..8 {
                let (out, k) = crate::fix::apply(&fixed, &normalize(&fixed).diagnostics);
                if k == 0 {
                    break;
                }
                fixed = out;
            }
            let left = normalize(&fixed);
            assert!(
                left.diagnostics.iter().all(|d| d.code != "full-width"),
                "{src:?} -> {fixed:?}"
            );
        }
    }
}
