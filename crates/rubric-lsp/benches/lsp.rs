//! Latency of a full re-check (what every change costs) and of completion, on a generated
//! 5,000-line scheme. Run with `cargo bench -p rubric-lsp`; results are in BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rubric_lsp::analysis::Analysis;
use rubric_lsp::{completion, diagnostics, semantic_tokens};
use std::fmt::Write as _;

fn main() {
    let text = scheme(5_000);
    let a = Analysis::new(text.clone());
    let errors = a.diagnostics.iter().filter(|d| d.is_error()).count();
    eprintln!(
        "generated scheme: {} lines, {} bytes, {} diagnostics ({errors} errors)",
        text.lines().count(),
        text.len(),
        a.diagnostics.len()
    );
    assert_eq!(errors, 0, "the generated scheme checks");
    divan::main();
}

/// A scheme of about `lines` lines: 200 input fields, then lets, points tables, grades with
/// Chinese labels, and scores, each reading fields and earlier declarations.
pub fn scheme(lines: usize) -> String {
    let mut s =
        String::from("scheme \"基准\"\nas_of 2024-06-30\n\ninput {\n  id text key \"客户编号\"\n");
    for i in 0..200 {
        let (ty, opt) = match i % 5 {
            0 => ("decimal", ""),
            1 => ("int", ""),
            2 => ("text", ""),
            3 => ("date", "?"),
            _ => ("decimal", "?"),
        };
        writeln!(s, "  /// field {i}\n  字段{i} {ty}{opt} \"列{i}\"").unwrap();
    }
    s.push_str("}\n\n");
    let mut k = 0;
    while s.lines().count() < lines {
        let f = (k * 5) % 200; // a decimal field
        let n = (k * 5 + 1) % 200; // an int field
        let t = (k * 5 + 2) % 200; // a text field
        let d = (k * 5 + 3) % 200; // an optional date field
        writeln!(s, "/// derived value {k}").unwrap();
        writeln!(s, "let v{k} = 字段{f} * 2 + 字段{n} / 3").unwrap();
        writeln!(s, "let recent{k} = 字段{d} within 90d").unwrap();
        writeln!(s, "points p{k} by v{k} {{\n  100 when >= 10_000\n  60  when >= 1_000\n  20  when between 100 and 999\n  0   otherwise\n}}").unwrap();
        writeln!(s, "score s{k} \"评分{k}\" {{\n  p{k} weight 60%\n  字段{n} weight 40%  bonus 1.05 when recent{k} ?? false\n}}").unwrap();
        writeln!(
            s,
            "grade g{k} \"等级{k}\" {{\n  gold   \"金牌\" when s{k} >= 80 and 字段{t} in [\"华东\", \"华南\"]  {{ owner: \"总监\" }}\n  silver \"银牌\" when s{k} >= 50 or cumulative_share(字段{f}) <= 50%  {{ owner: \"经理\" }}\n  other  \"其他\" otherwise  {{ owner: \"\" }}\n}}"
        )
        .unwrap();
        writeln!(s, "let o{k} = if g{k} == gold then g{k}.owner else \"\"\n").unwrap();
        k += 1;
    }
    s
}

fn fixture() -> (Analysis, usize) {
    // a half-typed condition at the end: the last declaration does not parse
    let mut text = scheme(5_000);
    text.push_str("grade typing {\n  a when 字段");
    let at = text.len();
    (Analysis::new(text), at)
}

/// Parse + check + analysis of the whole 5,000-line scheme: the work of every change.
#[divan::bench]
fn full_recheck(b: divan::Bencher) {
    let text = scheme(5_000);
    b.bench(|| Analysis::new(divan::black_box(text.clone())));
}

/// A full re-check and the conversion of its diagnostics to LSP: everything before
/// `publishDiagnostics` goes out.
#[divan::bench]
fn recheck_and_diagnostics(b: divan::Bencher) {
    let text = scheme(5_000);
    let uri: tower_lsp_server::lsp_types::Uri = "file:///bench.rubric".parse().unwrap();
    b.bench(|| {
        let a = Analysis::new(divan::black_box(text.clone()));
        diagnostics::to_lsp(&a, &uri)
    });
}

/// Completion in an expression of a half-typed declaration, with the last clean model.
#[divan::bench]
fn completion_in_expression(b: divan::Bencher) {
    let (a, at) = fixture();
    let clean = Analysis::new(scheme(5_000));
    let models = [&a.model, &clean.model];
    b.bench(|| completion::completion(&a.text, &models, divan::black_box(at)));
}

/// Completion of grade codes after `g7 == `.
#[divan::bench]
fn completion_codes(b: divan::Bencher) {
    let mut text = scheme(5_000);
    text.push_str("grade typing {\n  a when g7 == ");
    let at = text.len();
    let a = Analysis::new(text);
    let models = [&a.model];
    b.bench(|| completion::completion(&a.text, &models, divan::black_box(at)));
}

/// Semantic tokens for the whole document.
#[divan::bench]
fn semantic_tokens_full(b: divan::Bencher) {
    let a = Analysis::new(scheme(5_000));
    b.bench(|| semantic_tokens::encode(&a, &semantic_tokens::tokens(&a)));
}

/// The phases of a re-check, to see where the time goes.
mod phases {
    use super::scheme;

    #[divan::bench]
    fn parse(b: divan::Bencher) {
        let text = scheme(5_000);
        b.bench(|| rubric_syntax::parse(divan::black_box(&text)));
    }

    #[divan::bench]
    fn check(b: divan::Bencher) {
        let file = rubric_syntax::parse(&scheme(5_000)).file;
        b.bench(|| rubric_check::check(divan::black_box(&file)));
    }

    #[divan::bench]
    fn analysis(b: divan::Bencher) {
        let file = rubric_syntax::parse(&scheme(5_000)).file;
        let model = rubric_check::check(&file).model;
        b.bench(|| rubric_check::analysis::analyze(divan::black_box(&model)));
    }
}
