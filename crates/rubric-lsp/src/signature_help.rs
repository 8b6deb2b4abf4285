//! Signature help: the call the cursor is in, read from the text as typed (while a call is being
//! typed the text seldom parses), with the signature of the function called and the argument the
//! cursor is in. Full-width `（` `，` `）` (what a Chinese input method types) count as their ASCII
//! counterparts, as the checker reads them.

use crate::functions;
use rubric_check::hir::{AggFunc, Builtin, PopFunc};
use tower_lsp_server::lsp_types::{
    Documentation, MarkupContent, MarkupKind, ParameterInformation, ParameterLabel, SignatureHelp,
    SignatureInformation,
};

/// A call around the cursor: the function's name and the argument the cursor is in (from 0).
#[derive(Debug, PartialEq, Eq)]
pub struct Call {
    pub name: String,
    pub argument: usize,
}

enum Frame {
    Call(Call),
    /// A bracket that is not a call's: `(` after no name, `[` or `{`.
    Other,
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// The name right before an opening parenthesis at `at` (spaces between allowed).
fn name_before(text: &str, at: usize) -> &str {
    let before = text.get(..at).unwrap_or("").trim_end_matches([' ', '\t']);
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_ident_char(*c))
        .last()
        .map_or(before.len(), |(i, _)| i);
    let name = before.get(start..).unwrap_or("");
    // a number such as `5` before `(` is no name
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        ""
    } else {
        name
    }
}

/// Words that begin a declaration: at the start of a line, no call from before is still open (an
/// unclosed `(` while typing must not give later declarations its signature).
const DECLARATIONS: [&str; 10] = [
    "scheme", "use", "input", "events", "let", "points", "score", "grade", "tags", "test",
];

fn starts_declaration(rest: &str) -> bool {
    let rest = rest.trim_start_matches([' ', '\t', '\u{3000}', '\u{FEFF}']);
    DECLARATIONS.iter().any(|k| {
        rest.strip_prefix(k)
            .is_some_and(|after| after.starts_with(|c: char| c.is_whitespace()))
    })
}

/// The innermost call whose open parenthesis is before `offset` and not yet closed. Text
/// literals and comments are skipped; commas inside nested brackets belong to those.
pub fn call_at(text: &str, offset: usize) -> Option<Call> {
    let end = rubric_syntax::span::clamp_to_char_boundary(text, offset.min(text.len()));
    let text = text.get(..end)?;
    let mut stack: Vec<Frame> = Vec::new();
    let mut chars = text.char_indices().peekable();
    let mut line_start = true;
    while let Some((i, c)) = chars.next() {
        if line_start && starts_declaration(text.get(i..).unwrap_or("")) {
            stack.clear();
        }
        line_start = c == '\n';
        match c {
            '"' | '“' | '”' => {
                // to the closing quote, or the end of the line (an unclosed literal)
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' | '“' | '”' => break,
                        '\n' => {
                            line_start = true;
                            break;
                        }
                        _ => {}
                    }
                }
            }
            '/' if chars.peek().is_some_and(|(_, c)| *c == '/') => {
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        line_start = true;
                        break;
                    }
                }
            }
            '(' | '（' => {
                let name = name_before(text, i);
                stack.push(if name.is_empty() {
                    Frame::Other
                } else {
                    Frame::Call(Call {
                        name: name.to_string(),
                        argument: 0,
                    })
                });
            }
            '[' | '［' | '{' | '｛' => stack.push(Frame::Other),
            ')' | '）' | ']' | '］' | '}' | '｝' => {
                stack.pop();
            }
            ',' | '，' => {
                if let Some(Frame::Call(call)) = stack.last_mut() {
                    call.argument += 1;
                }
            }
            _ => {}
        }
    }
    stack.into_iter().rev().find_map(|f| match f {
        Frame::Call(c) => Some(c),
        Frame::Other => None,
    })
}

/// The signatures of the function called around `offset`: a built-in, a population function and
/// an aggregate over events may share a name (`min`, `max`, `count`), so each is offered, and the
/// first that takes as many arguments as typed is the active one.
pub fn signature_help(text: &str, offset: usize) -> Option<SignatureHelp> {
    let call = call_at(text, offset)?;
    let docs: Vec<(functions::FunctionDoc, bool)> = Builtin::from_name(&call.name)
        .map(|b| (functions::builtin(b), false))
        .into_iter()
        .chain(PopFunc::from_name(&call.name).map(|f| (functions::pop(f), true)))
        .chain(AggFunc::from_name(&call.name).map(|f| (functions::agg(f), false)))
        .collect();
    if docs.is_empty() {
        return None;
    }
    let fits = |d: &functions::FunctionDoc| {
        d.signature.param_of_argument(call.argument).is_some()
            || (d.signature.params.is_empty() && call.argument == 0)
    };
    let active = docs.iter().position(|(d, _)| fits(d)).unwrap_or(0);
    let signatures: Vec<SignatureInformation> = docs
        .iter()
        .map(|(d, population)| {
            let sig = &d.signature;
            let (call_text, at) = sig.call_with_params();
            let label = format!("{call_text} -> {}", sig.returns);
            let units = |b: usize| to_u32(label.get(..b).map_or(0, |s| s.encode_utf16().count()));
            SignatureInformation {
                documentation: Some(Documentation::MarkupContent(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: functions::meaning(sig, *population),
                })),
                parameters: Some(
                    at.into_iter()
                        .map(|r| ParameterInformation {
                            label: ParameterLabel::LabelOffsets([units(r.start), units(r.end)]),
                            documentation: None,
                        })
                        .collect(),
                ),
                active_parameter: sig.param_of_argument(call.argument).map(to_u32),
                label,
            }
        })
        .collect();
    let active_parameter = signatures.get(active).and_then(|s| s.active_parameter);
    Some(SignatureHelp {
        signatures,
        active_signature: Some(to_u32(active)),
        active_parameter,
    })
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Option<Call> {
        let offset = text.find('|').unwrap_or(text.len());
        call_at(&text.replacen('|', "", 1), offset)
    }

    fn call(name: &str, argument: usize) -> Option<Call> {
        Some(Call {
            name: name.into(),
            argument,
        })
    }

    #[test]
    fn the_innermost_open_call_and_its_argument() {
        assert_eq!(at("let a = round(|"), call("round", 0));
        assert_eq!(at("let a = round(x, |"), call("round", 1));
        assert_eq!(at("let a = round（x，|"), call("round", 1));
        assert_eq!(at("let a = round(len(s|), 2)"), call("len", 0));
        assert_eq!(at("let a = round(len(s), |2)"), call("round", 1));
        assert_eq!(at("let a = round((a, b)|"), call("round", 0));
        assert_eq!(at("let a = round(x) + |"), None);
        assert_eq!(at("let a = (x, |"), None);
        assert_eq!(at("let a = substr(s, \"a,(b\", |"), call("substr", 2));
        assert_eq!(at("let a = contains(s, “，（”, |"), call("contains", 2));
        assert_eq!(at("let a = len(s // a, (comment\n , |"), call("len", 1));
        assert_eq!(at("let a = 营业额_取整 (x, |"), call("营业额_取整", 1));
        assert_eq!(at("let a = x in [1, 2, |"), None);
        // a call left open on an earlier declaration's line
        assert_eq!(at("let a = round(x,\nlet b = len(|"), call("len", 0));
        assert_eq!(at("let a = round(x,\n  let_me, |"), call("round", 2));
        assert_eq!(at("let a = round(x, \"\n\n let b = (|"), None);
    }
}
