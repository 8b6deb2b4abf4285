//! Rename fields, lets, points, scores, grades, tags, codes and attributes. Refuses names that are
//! not identifiers, keywords, and names that would collide with another declaration.

use crate::analysis::Analysis;
use rubric_check::hir::Symbol;
use rubric_syntax::ast::DeclKind;
use rubric_syntax::Span;

/// What can be renamed at `offset`: the span of the name under the cursor and its current text.
pub fn prepare(a: &Analysis, offset: usize) -> Result<(Span, String), String> {
    let Some(r) = a.reference_at(offset) else {
        return Err("there is no name here to rename".to_string());
    };
    match r.symbol {
        Symbol::Builtin(_) | Symbol::Pop(_) => {
            Err("a built-in function cannot be renamed".to_string())
        }
        _ if a.definition(r.symbol).is_none() => {
            Err("this name has no definition to rename".to_string())
        }
        _ => Ok((r.span, a.slice(r.span).to_string())),
    }
}

/// The edits: every occurrence becomes `new_name`. A field read from the column of its own name
/// (no header string) also gets its old name as header, so renaming it in the scheme does not
/// change which column of the data it reads.
pub fn rename(a: &Analysis, offset: usize, new_name: &str) -> Result<Vec<(Span, String)>, String> {
    let (span, old) = prepare(a, offset)?;
    let Some(r) = a.reference_at(span.start) else {
        return Err("there is no name here to rename".to_string());
    };
    if new_name == old {
        return Ok(Vec::new());
    }
    if rubric_syntax::is_keyword(new_name) {
        return Err(format!("`{new_name}` is a keyword"));
    }
    if !is_identifier(new_name) {
        return Err(format!("`{new_name}` is not a valid name"));
    }
    let m = &a.model;
    let taken = match r.symbol {
        Symbol::Field(_) | Symbol::Item(_) => {
            m.field_named(new_name).is_some() || m.item_named(new_name).is_some()
        }
        Symbol::Code { grade, .. } => m
            .grade(grade)
            .is_some_and(|g| g.code_named(new_name).is_some()),
        Symbol::Attr { grade, .. } => m
            .grade(grade)
            .is_some_and(|g| g.attr_keys.iter().any(|(k, _)| k == new_name)),
        Symbol::Events(_) => {
            m.field_named(new_name).is_some()
                || m.item_named(new_name).is_some()
                || m.events.iter().any(|e| e.name == new_name)
        }
        Symbol::EventField { events, .. } => m
            .events
            .get(events)
            .is_some_and(|e| e.field_named(new_name).is_some()),
        Symbol::Builtin(_) | Symbol::Pop(_) | Symbol::Agg(_) => true,
    };
    if taken {
        return Err(format!("`{new_name}` is already declared"));
    }
    let mut edits: Vec<(Span, String)> = a
        .occurrences(r.symbol)
        .into_iter()
        .map(|o| (o.span, new_name.to_string()))
        .collect();
    if let Symbol::Field(id) = r.symbol {
        if let Some(at) = header_insertion(a, id) {
            let column = m.fields.get(id).map_or(old.as_str(), |f| f.column.as_str());
            edits.push((Span::point(at), format!(" {}", quote(column))));
        }
    }
    edits.sort_by_key(|(s, _)| (s.start, s.end));
    Ok(edits)
}

/// Where a header string goes for a field written without one: right after its type (and `?`).
fn header_insertion(a: &Analysis, field: usize) -> Option<usize> {
    let def = a.model.fields.get(field)?.span;
    a.file.decls.iter().find_map(|d| match &d.kind {
        DeclKind::Input(input) => input
            .fields
            .iter()
            .find(|f| f.name.span == def)
            .and_then(|f| {
                if f.header.is_some() {
                    return None;
                }
                let end = f.ty.span.end;
                Some(if a.text.get(end..end + 1) == Some("?") {
                    end + 1
                } else {
                    end
                })
            }),
        _ => None,
    })
}

/// A text literal for `s`.
fn quote(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether `name` is an identifier, judged by the parser itself.
pub fn is_identifier(name: &str) -> bool {
    if name.is_empty() || name.len() > 256 || name.contains(|c: char| c.is_whitespace() || c == '/')
    {
        return false;
    }
    let parsed = rubric_syntax::parse(&format!("let {name} = 1"));
    parsed.errors.is_empty()
        && matches!(parsed.file.decls.as_slice(), [d] if matches!(&d.kind, DeclKind::Let(l) if l.name.node == name))
}

#[cfg(test)]
mod tests {
    use super::is_identifier;

    #[test]
    fn identifiers() {
        assert!(is_identifier("revenue"));
        assert!(is_identifier("营业额"));
        assert!(is_identifier("_x1"));
        assert!(!is_identifier("1x"));
        assert!(!is_identifier("a b"));
        assert!(!is_identifier("a-b"));
        assert!(!is_identifier(""));
        assert!(!is_identifier("a = 2\nlet b"));
        assert!(!is_identifier("grade"));
    }
}
