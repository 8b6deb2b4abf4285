//! Semantic tokens: a small lexer for keywords, literals and comments, and the checked model's
//! references for what each name is (field, value, grade, code, attribute, function).

use crate::analysis::Analysis;
use crate::position::utf16_len;
use rubric_check::hir::{ItemKind, Symbol};
use rubric_syntax::ast::DeclKind;
use std::collections::{HashMap, HashSet};
use tower_lsp_server::lsp_types::{
    SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokensLegend,
};

pub const TYPES: &[SemanticTokenType] = &[
    SemanticTokenType::KEYWORD,     // 0
    SemanticTokenType::TYPE,        // 1
    SemanticTokenType::PROPERTY,    // 2 fields and attributes
    SemanticTokenType::VARIABLE,    // 3 lets, points, scores
    SemanticTokenType::ENUM,        // 4 grades and tags
    SemanticTokenType::ENUM_MEMBER, // 5 codes
    SemanticTokenType::FUNCTION,    // 6
    SemanticTokenType::STRING,      // 7
    SemanticTokenType::NUMBER,      // 8
    SemanticTokenType::COMMENT,     // 9
];

pub const MODIFIERS: &[SemanticTokenModifier] = &[
    SemanticTokenModifier::DECLARATION,     // bit 0
    SemanticTokenModifier::DOCUMENTATION,   // bit 1
    SemanticTokenModifier::DEFAULT_LIBRARY, // bit 2
];

pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: MODIFIERS.to_vec(),
    }
}

const KEYWORD: u32 = 0;
const TYPE: u32 = 1;
const PROPERTY: u32 = 2;
const VARIABLE: u32 = 3;
const ENUM: u32 = 4;
const ENUM_MEMBER: u32 = 5;
const FUNCTION: u32 = 6;
const STRING: u32 = 7;
const NUMBER: u32 = 8;
const COMMENT: u32 = 9;

const DECLARATION: u32 = 1;
const DOCUMENTATION: u32 = 2;
const DEFAULT_LIBRARY: u32 = 4;

/// One token before delta encoding: byte range, type, modifiers. Never spans a line break.
#[derive(Debug, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    pub ty: u32,
    pub modifiers: u32,
}

pub fn tokens(a: &Analysis) -> Vec<Token> {
    let refs: HashMap<usize, (Symbol, bool)> = a
        .model
        .refs
        .iter()
        .map(|r| (r.span.start, (r.symbol, r.is_definition)))
        .collect();
    let types: HashSet<usize> = a
        .file
        .decls
        .iter()
        .filter_map(|d| match &d.kind {
            DeclKind::Input(i) => Some(i.fields.iter().map(|f| f.ty.span.start)),
            _ => None,
        })
        .flatten()
        .collect();
    let text = a.text.as_str();
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'/' && bytes.get(i + 1) == Some(&b'/') {
            let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
            let end = if text[i..end].ends_with('\r') {
                end - 1
            } else {
                end
            };
            let doc = bytes.get(i + 2) == Some(&b'/');
            out.push(Token {
                start: i,
                end,
                ty: COMMENT,
                modifiers: if doc { DOCUMENTATION } else { 0 },
            });
            i = end.max(i + 1);
        } else if b == b'"' {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != b'"' && bytes[j] != b'\n' {
                j += if bytes[j] == b'\\' && bytes.get(j + 1).is_some_and(|c| *c != b'\n') {
                    2
                } else {
                    1
                };
            }
            let end = if bytes.get(j) == Some(&b'"') {
                j + 1
            } else {
                j
            };
            out.push(Token {
                start: i,
                end,
                ty: STRING,
                modifiers: 0,
            });
            i = end;
        } else if b.is_ascii_digit() {
            let mut j = i;
            while j < bytes.len()
                && (bytes[j].is_ascii_alphanumeric()
                    || matches!(bytes[j], b'_' | b'%')
                    || (matches!(bytes[j], b'.' | b'-')
                        && bytes.get(j + 1).is_some_and(u8::is_ascii_digit)))
            {
                j += 1;
            }
            out.push(Token {
                start: i,
                end: j,
                ty: NUMBER,
                modifiers: 0,
            });
            i = j;
        } else if let Some(c) = text[i..]
            .chars()
            .next()
            .filter(|c| *c == '_' || c.is_alphabetic())
        {
            let len: usize = text[i..]
                .chars()
                .take_while(|c| *c == '_' || c.is_alphanumeric())
                .map(char::len_utf8)
                .sum();
            let end = i + len.max(c.len_utf8());
            let word = &text[i..end];
            let tok = if let Some((sym, def)) = refs.get(&i) {
                let decl = if *def { DECLARATION } else { 0 };
                let (ty, m) = match sym {
                    Symbol::Field(_) | Symbol::Attr { .. } | Symbol::EventField { .. } => {
                        (PROPERTY, 0)
                    }
                    Symbol::Events(_) => (VARIABLE, 0),
                    Symbol::Agg(_) => (FUNCTION, DEFAULT_LIBRARY),
                    Symbol::Item(id) => match a.model.items.get(*id).map(|it| &it.kind) {
                        Some(ItemKind::Grade(_)) => (ENUM, 0),
                        _ => (VARIABLE, 0),
                    },
                    Symbol::Code { .. } => (ENUM_MEMBER, 0),
                    Symbol::Builtin(_) | Symbol::Pop(_) => (FUNCTION, DEFAULT_LIBRARY),
                };
                Some((ty, m | decl))
            } else if types.contains(&i) {
                Some((TYPE, 0))
            } else if rubric_syntax::is_keyword(word) || within_next(text, i, word) {
                Some((KEYWORD, 0))
            } else {
                None
            };
            if let Some((ty, modifiers)) = tok {
                out.push(Token {
                    start: i,
                    end,
                    ty,
                    modifiers,
                });
            }
            i = end;
        } else {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    out
}

/// Delta-encoded tokens, positions in UTF-16.
pub fn encode(a: &Analysis, tokens: &[Token]) -> Vec<SemanticToken> {
    let mut out = Vec::with_capacity(tokens.len());
    let (mut line, mut col) = (0u32, 0u32);
    // tokens are sorted, so each position is counted on from the previous token's
    let mut prev = (0usize, tower_lsp_server::lsp_types::Position::default());
    for t in tokens {
        let p = a.index.position_after(&a.text, prev.0, prev.1, t.start);
        prev = (t.start, p);
        let length = utf16_len(a.text.get(t.start..t.end).unwrap_or(""));
        if length == 0 {
            continue;
        }
        let delta_line = p.line.saturating_sub(line);
        let delta_start = if delta_line == 0 {
            p.character.saturating_sub(col)
        } else {
            p.character
        };
        out.push(SemanticToken {
            delta_line,
            delta_start,
            length,
            token_type: t.ty,
            token_modifiers_bitset: t.modifiers,
        });
        line = p.line;
        col = p.character;
    }
    out
}

/// `next` right after `within` (`d within next 30d`): a keyword only there.
fn within_next(text: &str, at: usize, word: &str) -> bool {
    word == "next"
        && text
            .get(..at)
            .is_some_and(|before| before.trim_end().ends_with("within"))
}
