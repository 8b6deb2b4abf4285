//! Folding: every declaration that spans lines, and runs of comment lines.

use crate::analysis::Analysis;
use tower_lsp_server::lsp_types::{FoldingRange, FoldingRangeKind};

pub fn folding(a: &Analysis) -> Vec<FoldingRange> {
    let mut out = Vec::new();
    for d in &a.file.decls {
        let start = a.index.position(&a.text, d.span().start).line;
        let end = a.index.position(&a.text, d.span().end).line;
        if end > start {
            out.push(FoldingRange {
                start_line: start,
                end_line: end,
                kind: Some(FoldingRangeKind::Region),
                ..FoldingRange::default()
            });
        }
    }
    // runs of two or more comment lines
    let mut run: Option<(u32, u32)> = None;
    for (i, line) in a.text.lines().enumerate() {
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        if line.trim_start().starts_with("//") {
            run = Some(run.map_or((i, i), |(s, _)| (s, i)));
        } else if let Some((s, e)) = run.take() {
            if e > s {
                out.push(FoldingRange {
                    start_line: s,
                    end_line: e,
                    kind: Some(FoldingRangeKind::Comment),
                    ..FoldingRange::default()
                });
            }
        }
    }
    if let Some((s, e)) = run {
        if e > s {
            out.push(FoldingRange {
                start_line: s,
                end_line: e,
                kind: Some(FoldingRangeKind::Comment),
                ..FoldingRange::default()
            });
        }
    }
    out.sort_by_key(|r| (r.start_line, r.end_line));
    out
}
