//! One analysed version of a document: the text, the AST, the checked model, the diagnostics and
//! the line index. Handlers are plain functions over an [`Analysis`]; they never see the protocol
//! machinery, which keeps them synchronous and testable.

use crate::position::LineIndex;
use rubric_check::hir::{Model, Reference, Symbol};
use rubric_check::Checked;
use rubric_syntax::ast::File;
use rubric_syntax::{Diagnostic, Span};
use std::sync::Arc;

#[derive(Debug)]
pub struct Analysis {
    pub text: String,
    pub index: LineIndex,
    pub file: File,
    pub model: Model,
    pub diagnostics: Vec<Diagnostic>,
    /// Whether the text parsed without a syntax error.
    pub parsed_cleanly: bool,
}

impl Analysis {
    /// Parses and checks `text` with the same checker the CLI uses.
    pub fn new(text: String) -> Analysis {
        let index = LineIndex::new(&text);
        // The parser's depth guard (`rubric_syntax::scan::too_deep`) keeps every phase far from
        // the stack limit of a worker thread, so the document goes straight to the checker.
        let (file, checked) = rubric_check::check_source(&text);
        let Checked {
            model, diagnostics, ..
        } = checked;
        let parsed_cleanly = !diagnostics.iter().any(|d| d.code == "syntax-error");
        Analysis {
            text,
            index,
            file,
            model,
            diagnostics,
            parsed_cleanly,
        }
    }

    /// The reference whose span holds `offset`; the narrowest one when several do. An offset just
    /// after a name (the cursor at its end) still counts.
    pub fn reference_at(&self, offset: usize) -> Option<&Reference> {
        self.model
            .refs
            .iter()
            .filter(|r| r.span.contains(offset))
            .min_by_key(|r| (r.span.len(), r.span.start))
    }

    /// Every occurrence of a symbol, definitions first, then in source order.
    pub fn occurrences(&self, symbol: Symbol) -> Vec<&Reference> {
        let mut v: Vec<&Reference> = self
            .model
            .refs
            .iter()
            .filter(|r| r.symbol == symbol)
            .collect();
        v.sort_by_key(|r| (!r.is_definition, r.span.start, r.span.end));
        v.dedup_by_key(|r| r.span);
        v
    }

    pub fn definition(&self, symbol: Symbol) -> Option<Span> {
        self.model
            .refs
            .iter()
            .find(|r| r.symbol == symbol && r.is_definition)
            .map(|r| r.span)
    }

    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }
}

/// A shared, immutable analysis.
pub type Shared = Arc<Analysis>;
