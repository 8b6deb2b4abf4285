//! Completion that knows its context, on text that may not parse.
//!
//! The half-typed declaration under the cursor usually has a syntax error, so it is missing from
//! the current model. Names come from the latest model plus the last model that parsed cleanly;
//! the context comes from the text before the cursor (brackets, the words just before the word
//! being typed), never from the AST. Completion never waits for a re-check: it runs on the text
//! as it is now and whatever model is already there.

use crate::functions;
use crate::hover::type_name;
use rubric_check::hir::{AggFunc, Builtin, ItemKind, Model, PopFunc};
use tower_lsp_server::lsp_types::{
    CompletionItem, CompletionItemKind, CompletionResponse, Documentation, InsertTextFormat,
    MarkupContent, MarkupKind,
};

/// Where the cursor is, as far as completion cares.
#[derive(Debug, PartialEq, Eq)]
pub enum Context {
    /// At the start of a line outside every bracket: a new declaration. `indented` lines may also
    /// continue an expression.
    TopLevel { indented: bool },
    /// Inside `input { … }`, after the field name: a type.
    FieldType,
    /// Inside `input { … }`, after the type: `key`.
    FieldAfterType,
    /// Inside `input { … }` at the start of a field: a new name, nothing to offer.
    FieldName,
    /// After `tier.`: the attributes of the grade `tier`.
    Attribute(String),
    /// After `tier ==`, `tier !=`, `tier has`, or inside `tier in [ … ]`: the codes of `tier`.
    Code(String),
    /// Anywhere else: an expression.
    Expression,
}

const SNIPPETS: &[(&str, &str, &str)] = &[
    (
        "scheme",
        "scheme \"${1:name}\"",
        "the scheme's display name",
    ),
    (
        "as_of",
        "as_of ${1:2024-06-30}",
        "the default evaluation date",
    ),
    (
        "input",
        "input {\n\t${1:id} text key\n\t$0\n}",
        "the fields of one customer record",
    ),
    ("let", "let ${1:name} = $0", "a derived per-customer value"),
    (
        "points",
        "points ${1:name} by ${2:value} {\n\t${3:10} when ${4:>= 1}\n\t${5:0} otherwise\n}",
        "a piecewise number table",
    ),
    (
        "score",
        "score ${1:name} {\n\t${2:term} weight ${3:100%}\n}",
        "a weighted scorecard",
    ),
    (
        "grade",
        "grade ${1:name} {\n\t${2:a} when ${3:condition}\n\t${4:other} otherwise\n}",
        "first-match classification",
    ),
    (
        "tags",
        "tags ${1:name} {\n\t${2:code} when ${3:condition}\n}",
        "every matching code",
    ),
    (
        "test",
        "test \"${1:name}\" {\n\tgiven { $2 }\n\texpect $0\n}",
        "an example with expectations",
    ),
];

use rubric_syntax::DECL_KEYWORDS;

const EXPR_KEYWORDS: &[&str] = &[
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
    "when",
    "otherwise",
    "weight",
    "bonus",
    "by",
    "next",
];

const TYPES: &[(&str, &str)] = &[
    ("text", "text, such as a name or a code; a key is text"),
    ("int", "a whole number"),
    ("decimal", "an exact decimal number"),
    (
        "bool",
        "true or false (cells: true/false, 1/0, yes/no, 是/否)",
    ),
    ("date", "a calendar date (cells: 2024-05-16 or 2024/05/16)"),
];

/// Completion at `offset` in `text` (the document as it is now), with names from `models`: the
/// latest analysis, which may be of an older version of the text, then the last clean one.
pub fn completion(text: &str, models: &[&Model], offset: usize) -> CompletionResponse {
    let offset = rubric_syntax::span::clamp_to_char_boundary(text, offset);
    let ctx = match context(text, offset) {
        // `region == ` where `region` is not a grade: any value
        Context::Code(g) if find_grade(models, &g).is_none() => Context::Expression,
        ctx => ctx,
    };
    let mut items = Vec::new();
    match ctx {
        Context::TopLevel { indented } => {
            snippets(&mut items);
            if indented {
                expression(models, &mut items);
            }
        }
        Context::FieldType => {
            for (i, (name, doc)) in TYPES.iter().enumerate() {
                items.push(CompletionItem {
                    label: (*name).to_string(),
                    kind: Some(CompletionItemKind::TYPE_PARAMETER),
                    detail: Some((*doc).to_string()),
                    sort_text: Some(format!("0{i:04}")),
                    ..CompletionItem::default()
                });
            }
        }
        Context::FieldAfterType => items.push(keyword("key", 0)),
        Context::FieldName => {}
        Context::Attribute(name) if events_named(models, &name).is_some() => {
            if let Some((m, e)) = events_named(models, &name) {
                for (i, f) in m.events[e].fields.iter().enumerate() {
                    items.push(CompletionItem {
                        label: f.name.clone(),
                        kind: Some(CompletionItemKind::FIELD),
                        detail: Some(type_name(m, &f.ty, f.optional)),
                        documentation: doc(&f.doc),
                        sort_text: Some(format!("0{i:04}")),
                        ..CompletionItem::default()
                    });
                }
            }
        }
        Context::Attribute(grade) => {
            if let Some((m, g)) = find_grade(models, &grade) {
                if let Some(gd) = m.grade(g) {
                    for (i, (key, ty)) in gd.attr_keys.iter().enumerate() {
                        items.push(CompletionItem {
                            label: key.clone(),
                            kind: Some(CompletionItemKind::PROPERTY),
                            detail: Some(type_name(m, ty, false)),
                            sort_text: Some(format!("0{i:04}")),
                            ..CompletionItem::default()
                        });
                    }
                }
            }
        }
        Context::Code(grade) => {
            if let Some((m, g)) = find_grade(models, &grade) {
                if let Some(gd) = m.grade(g) {
                    for (i, c) in gd.codes.iter().enumerate() {
                        items.push(CompletionItem {
                            label: c.name.clone(),
                            kind: Some(CompletionItemKind::ENUM_MEMBER),
                            detail: c.label.clone(),
                            sort_text: Some(format!("0{i:04}")),
                            ..CompletionItem::default()
                        });
                    }
                }
            }
        }
        Context::Expression => expression(models, &mut items),
    }
    CompletionResponse::Array(items)
}

fn events_named<'m>(models: &[&'m Model], name: &str) -> Option<(&'m Model, usize)> {
    models.iter().find_map(|m| {
        m.events
            .iter()
            .position(|e| e.name == name)
            .map(|e| (*m, e))
    })
}

fn find_grade<'m>(models: &[&'m Model], name: &str) -> Option<(&'m Model, usize)> {
    models.iter().find_map(|m| {
        let id = m.item_named(name)?;
        m.grade(id).map(|_| (*m, id))
    })
}

fn snippets(items: &mut Vec<CompletionItem>) {
    for (i, (label, body, doc)) in SNIPPETS.iter().enumerate() {
        items.push(CompletionItem {
            label: (*label).to_string(),
            kind: Some(CompletionItemKind::SNIPPET),
            detail: Some((*doc).to_string()),
            insert_text: Some((*body).to_string()),
            insert_text_format: Some(InsertTextFormat::SNIPPET),
            sort_text: Some(format!("0{i:04}")),
            ..CompletionItem::default()
        });
    }
}

fn keyword(k: &str, i: usize) -> CompletionItem {
    CompletionItem {
        label: k.to_string(),
        kind: Some(CompletionItemKind::KEYWORD),
        sort_text: Some(format!("9{i:04}")),
        ..CompletionItem::default()
    }
}

fn doc(text: &Option<String>) -> Option<Documentation> {
    text.as_ref().map(|t| {
        Documentation::MarkupContent(MarkupContent {
            kind: MarkupKind::Markdown,
            value: t.trim().to_string(),
        })
    })
}

/// Fields, lets, points, scores, grades and tags, then functions, then keywords.
fn expression(models: &[&Model], items: &mut Vec<CompletionItem>) {
    let mut seen = std::collections::HashSet::new();
    let mut n = 0usize;
    for m in models {
        for f in &m.fields {
            if !seen.insert(f.name.clone()) {
                continue;
            }
            n += 1;
            items.push(CompletionItem {
                label: f.name.clone(),
                kind: Some(CompletionItemKind::FIELD),
                detail: Some(type_name(m, &f.ty, f.optional)),
                documentation: doc(&f.doc),
                sort_text: Some(format!("1{n:05}")),
                ..CompletionItem::default()
            });
        }
    }
    for m in models {
        for e in &m.events {
            if !seen.insert(e.name.clone()) {
                continue;
            }
            n += 1;
            items.push(CompletionItem {
                label: e.name.clone(),
                kind: Some(CompletionItemKind::STRUCT),
                detail: Some(format!("events: {} fields", e.fields.len())),
                documentation: doc(&e.doc),
                sort_text: Some(format!("1{n:05}")),
                ..CompletionItem::default()
            });
        }
    }
    for m in models {
        for item in &m.items {
            if !seen.insert(item.name.clone()) {
                continue;
            }
            n += 1;
            let (kind, detail) = match &item.kind {
                ItemKind::Grade(g) if g.is_tags => (CompletionItemKind::ENUM, "tags".to_string()),
                ItemKind::Grade(_) => (CompletionItemKind::ENUM, "grade".to_string()),
                ItemKind::Let { .. } => (
                    CompletionItemKind::VARIABLE,
                    format!("let: {}", type_name(m, &item.ty, item.nullable)),
                ),
                ItemKind::Points { .. } => (
                    CompletionItemKind::VARIABLE,
                    format!("points: {}", type_name(m, &item.ty, item.nullable)),
                ),
                ItemKind::Score { .. } => (
                    CompletionItemKind::VARIABLE,
                    format!("score: {}", type_name(m, &item.ty, item.nullable)),
                ),
            };
            let detail = match &item.label {
                Some(l) => format!("{detail} \"{l}\""),
                None => detail,
            };
            items.push(CompletionItem {
                label: item.name.clone(),
                kind: Some(kind),
                detail: Some(detail),
                documentation: doc(&item.doc),
                sort_text: Some(format!("2{n:05}")),
                ..CompletionItem::default()
            });
        }
    }
    for (i, f) in PopFunc::ALL.into_iter().enumerate() {
        let d = functions::pop(f);
        items.push(function(f.name(), &d, true, i));
    }
    for (i, b) in Builtin::ALL.into_iter().enumerate() {
        let d = functions::builtin(b);
        items.push(function(b.name(), &d, false, 100 + i));
    }
    if models.iter().any(|m| !m.events.is_empty()) {
        // (count, min and max are listed once, as the population and scalar functions)
        for (i, f) in [AggFunc::Sum, AggFunc::Avg, AggFunc::CountDistinct]
            .into_iter()
            .enumerate()
        {
            items.push(function(f.name(), &functions::agg(f), false, 200 + i));
        }
    }
    for (i, k) in EXPR_KEYWORDS.iter().enumerate() {
        items.push(keyword(k, i));
    }
}

fn function(name: &str, d: &functions::FunctionDoc, population: bool, i: usize) -> CompletionItem {
    CompletionItem {
        label: name.to_string(),
        kind: Some(CompletionItemKind::FUNCTION),
        detail: Some(d.signature.label()),
        documentation: Some(Documentation::MarkupContent(MarkupContent {
            kind: MarkupKind::Markdown,
            value: functions::markdown(d, population),
        })),
        insert_text: Some(d.snippet.to_string()),
        insert_text_format: Some(InsertTextFormat::SNIPPET),
        sort_text: Some(format!("3{i:04}")),
        ..CompletionItem::default()
    }
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// An open bracket before the cursor: the bracket and where it is.
struct Open {
    ch: u8,
    at: usize,
}

/// The brackets still open at `end`, skipping strings and comments.
fn open_brackets(text: &str, end: usize) -> Vec<Open> {
    let bytes = text.as_bytes();
    let end = end.min(bytes.len());
    let mut stack = Vec::new();
    let mut i = 0;
    while i < end {
        // a declaration keyword at column 0 starts a new declaration, whatever was left open
        // before it (the parser recovers the same way)
        if i == 0 || bytes[i - 1] == b'\n' {
            let word: String = text
                .get(i..)
                .unwrap_or("")
                .chars()
                .take_while(|c| is_ident_char(*c))
                .collect();
            if DECL_KEYWORDS.contains(&word.as_str()) {
                stack.clear();
            }
        }
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < end && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < end && bytes[i] != b'"' && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b @ (b'(' | b'[' | b'{') => stack.push(Open { ch: b, at: i }),
            b')' | b']' | b'}' => {
                stack.pop();
            }
            _ => {}
        }
        i += 1;
    }
    stack
}

/// The identifier ending at `end` (after skipping spaces), and where it starts.
fn word_before(text: &str, end: usize) -> Option<(&str, usize)> {
    let s = text.get(..end)?.trim_end_matches([' ', '\t']);
    let start = s
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_ident_char(*c))
        .last()
        .map(|(i, _)| i)?;
    Some((&s[start..], start))
}

/// The name whose codes may follow an operator, from the text `left` of the operator: `tier`,
/// `tier["c1"]` (a test), or `when` in a block whose declaration reads `by NAME {`.
fn subject(text: &str, left: &str, stack: &[Open]) -> Option<String> {
    let mut left = left.trim_end_matches([' ', '\t']);
    if left.ends_with(']') {
        left = left[..left.rfind('[')?].trim_end_matches([' ', '\t']);
    }
    let (w, _) = word_before(left, left.len())?;
    if w == "when" {
        // the declaration's block is the outermost open brace; its header holds `by NAME`
        let block = stack.first().filter(|o| o.ch == b'{')?;
        let header_start = text[..block.at].rfind('\n').map_or(0, |i| i + 1);
        let header = text[header_start..block.at].trim_end();
        let (name, start) = word_before(header, header.len())?;
        let before = header[..start].trim_end_matches([' ', '\t']);
        return (before.ends_with(" by") && !rubric_syntax::is_keyword(name))
            .then(|| name.to_string());
    }
    (!rubric_syntax::is_keyword(w)).then(|| w.to_string())
}

/// The context of the cursor at `offset`, from the text alone.
pub fn context(text: &str, offset: usize) -> Context {
    let before = text.get(..offset).unwrap_or("");
    // the word being typed
    let word_start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_ident_char(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let pre = &before[..word_start];
    if let Some(dot) = pre.strip_suffix('.') {
        if let Some((w, _)) = word_before(dot, dot.len()) {
            return Context::Attribute(w.to_string());
        }
    }
    let line_start = pre.rfind('\n').map_or(0, |i| i + 1);
    let line = &pre[line_start..];
    let stack = open_brackets(text, word_start);
    // `tier ==`, `tier !=`, `tier has`, `tier["c1"] ==`, and `when ==` in a `by tier` block
    let trimmed = pre.trim_end_matches([' ', '\t']);
    for op in ["==", "!=", " has"] {
        if let Some(left) = trimmed.strip_suffix(op) {
            if let Some(g) = subject(text, left, &stack) {
                return Context::Code(g);
            }
        }
    }
    match stack.last() {
        None => {
            if line.trim().is_empty() {
                return Context::TopLevel {
                    indented: !line.is_empty(),
                };
            }
            Context::Expression
        }
        Some(Open { ch: b'[', at }) => {
            // `tier in [gold, |` / `tier not in [|` / `when in [|` in a `by tier` block
            let head = text[..*at].trim_end_matches([' ', '\t']);
            if let Some(left) = head.strip_suffix("in") {
                if left.ends_with([' ', '\t']) {
                    let left = left.trim_end_matches([' ', '\t']);
                    let left = left.strip_suffix(" not").unwrap_or(left);
                    if let Some(g) = subject(text, left, &stack) {
                        return Context::Code(g);
                    }
                }
            }
            Context::Expression
        }
        Some(Open { ch: b'{', at }) if stack.len() == 1 => {
            let head = text[..*at].trim_end();
            let is_input = word_before(head, head.len()).is_some_and(|(w, _)| w == "input");
            if !is_input {
                return Context::Expression;
            }
            // the part of this field before the word: after the last newline or comma
            let field_start = pre.rfind(['\n', ',', '{']).map_or(0, |i| i + 1);
            let words = pre[field_start..].split_whitespace().count();
            match words {
                0 => Context::FieldName,
                1 => Context::FieldType,
                _ => Context::FieldAfterType,
            }
        }
        Some(_) => Context::Expression,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(marked: &str) -> Context {
        let at = marked.find('|').unwrap_or(marked.len());
        let text = marked.replacen('|', "", 1);
        context(&text, at)
    }

    #[test]
    fn contexts_from_text() {
        assert_eq!(ctx("gra|"), Context::TopLevel { indented: false });
        assert_eq!(ctx("let a = 1\n|"), Context::TopLevel { indented: false });
        assert_eq!(ctx("let a = rev|"), Context::Expression);
        assert_eq!(ctx("input {\n  revenue |"), Context::FieldType);
        assert_eq!(ctx("input {\n  revenue dec|"), Context::FieldType);
        assert_eq!(ctx("input {\n  id text |"), Context::FieldAfterType);
        assert_eq!(ctx("input {\n  |"), Context::FieldName);
        assert_eq!(ctx("input { id text key, rev|"), Context::FieldName);
        assert_eq!(ctx("let o = tier.|"), Context::Attribute("tier".into()));
        assert_eq!(ctx("let o = tier.ow|"), Context::Attribute("tier".into()));
        assert_eq!(
            ctx("grade g { a when tier == |"),
            Context::Code("tier".into())
        );
        assert_eq!(
            ctx("grade g { a when tier != go|"),
            Context::Code("tier".into())
        );
        assert_eq!(
            ctx("grade g { a when tier in [gold, |"),
            Context::Code("tier".into())
        );
        assert_eq!(
            ctx("grade g { a when tier not in [|"),
            Context::Code("tier".into())
        );
        assert_eq!(ctx("grade g { a when 营业额 >= |"), Context::Expression);
        assert_eq!(
            ctx("grade g by tier {\n  a when == |"),
            Context::Code("tier".into())
        );
        assert_eq!(
            ctx("grade g by tier {\n  a when in [gold, |"),
            Context::Code("tier".into())
        );
        assert_eq!(
            ctx("grade g by 营业额 * 2 {\n  a when == |"),
            Context::Expression
        );
        assert_eq!(
            ctx("test \"t\" {\n  expect tier[\"c1\"] == |"),
            Context::Code("tier".into())
        );
        assert_eq!(ctx("let s = \"tier == \" + |"), Context::Expression);
        assert_eq!(ctx("// { \nlet a = |"), Context::Expression);
        assert_eq!(
            ctx("grade g { a when x in [1,\n}\ninput {\n  extra |"),
            Context::FieldType
        );
    }
}
