//! The depth guard: every construct the parser recurses on (brackets, `if`, `not`, `-`, calls,
//! lists, indexes) nests up to `rubric_syntax::scan::MAX_NESTING` levels, and every phase
//! (parser, checker, analysis, formatter, SQL, language server, both evaluators) handles a
//! scheme at the limit on a 2 MiB stack: the stack of a `rubric run` worker, of the language
//! server's threads, of a test thread. One level more is one `too-deep` error, never an
//! overflow. Debug builds (these tests) use far more stack per level than release builds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{repo_root, rubric};
use rubric_syntax::scan::MAX_NESTING;
use rubric_syntax::MAX_DEPTH;

/// Each construct nested `k` deep, as the right-hand side of a `let` over the field `x`.
fn nested(construct: &str, k: usize) -> String {
    match construct {
        "parens" => format!("{}x{}", "(".repeat(k), ")".repeat(k)),
        "ifs" => "if x > 1 then x else ".repeat(k) + "0",
        "nots" => format!(
            "if {}x > 1 then 1 else 0",
            "not ".repeat(k.saturating_sub(1))
        ),
        "negs" => "- ".repeat(k) + "x",
        "calls" => format!("{}x{}", "abs(".repeat(k), ")".repeat(k)),
        "min" => format!("{}x{}", "min(1, ".repeat(k), ")".repeat(k)),
        "mixed" => format!(
            "{}x{}",
            "-(if x > 0 then (".repeat(k / 4),
            ") else 0)".repeat(k / 4)
        ),
        // chains inside brackets: the tree is as deep as the chain is long
        "chains" => {
            // two chains of 120 values in brackets: a tree 243 deep, just under MAX_DEPTH
            let chain = |inner: &str| format!("({inner}{})", " + x".repeat(119));
            chain(&chain("x"))
        }
        _ => unreachable!(),
    }
}

const CONSTRUCTS: &[&str] = &[
    "parens", "ifs", "nots", "negs", "calls", "min", "mixed", "chains",
];

fn scheme(expr: &str) -> String {
    format!(
        "scheme \"deep\"\nas_of 2024-06-30\ninput {{\n  id text key\n  x decimal\n}}\n\
         let deep = {expr}\n\
         grade g {{\n  hi when deep > 5 and rank(x) <= 2\n  lo otherwise\n}}\n\
         test \"deep\" {{\n  given {{ id: \"a\", x: 7 }}\n  expect deep is present or deep is missing\n}}\n"
    )
}

/// Runs `f` on a thread with a 2 MiB stack, as a worker of `rubric run` or of the language
/// server has.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

fn codes(src: &str) -> Vec<&'static str> {
    let (_, checked) = rubric_check::check_source(src);
    checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code)
        .collect()
}

#[test]
fn every_phase_handles_the_deepest_accepted_scheme_on_a_small_stack() {
    for construct in CONSTRUCTS {
        let src = scheme(&nested(construct, MAX_NESTING));
        let errors = on_small_stack({
            let src = src.clone();
            move || {
                let errors = codes(&src);
                let (_, checked) = rubric_check::check_source(&src);
                let formatted = rubric_fmt::format_source(&src);
                for dialect in [
                    rubric_sql::Dialect::DuckDb,
                    rubric_sql::Dialect::Postgres,
                    rubric_sql::Dialect::Spark,
                ] {
                    let opts = rubric_sql::Options::new(dialect, "customers");
                    assert!(rubric_sql::compile(&checked.model, &opts).is_ok());
                }
                let analysis = rubric_lsp::analysis::Analysis::new(src.clone());
                let _ = rubric_lsp::semantic_tokens::tokens(&analysis);
                let plan = rubric_eval::Plan::compile(
                    &checked.model,
                    rubric_syntax::date::Date::from_ymd(2024, 6, 30).unwrap(),
                );
                let rows = (0..3)
                    .map(|i| rubric_eval::InputRow {
                        line: i + 2,
                        values: vec![
                            rubric_eval::Value::Text(format!("c{i}").into()),
                            rubric_eval::Value::Num(rubric_syntax::Decimal::from(i as i64 * 3)),
                        ],
                    })
                    .collect();
                let _ = plan.evaluate(rows);
                (errors, formatted.is_ok())
            }
        });
        assert_eq!(errors.0, Vec::<&str>::new(), "{construct} at the limit");
        assert!(errors.1, "{construct}: fmt keeps it");
    }
}

#[test]
fn one_level_more_is_one_too_deep_error() {
    for construct in CONSTRUCTS
        .iter()
        .filter(|c| **c != "chains" && **c != "mixed")
    {
        let src = scheme(&nested(construct, MAX_NESTING + 1));
        let errors = on_small_stack(move || codes(&src));
        assert_eq!(errors, vec!["too-deep"], "{construct}");
    }
    // chains nested beyond the tree limit
    let chain = |inner: &str| format!("({inner}{})", " + x".repeat(127));
    let deep = (0..MAX_DEPTH / 128 + 1).fold("x".to_string(), |acc, _| chain(&acc));
    let errors = on_small_stack(move || codes(&scheme(&deep)));
    assert_eq!(errors, vec!["too-deep"]);
    // the reproduction, and far deeper
    for n in [245, 10_000] {
        let chain: String = (0..n)
            .map(|i| format!("if x == {i} then {i} else "))
            .collect();
        let errors = on_small_stack(move || codes(&scheme(&(chain + "0"))));
        assert_eq!(errors, vec!["too-deep"], "{n}");
    }
}

/// `rubric run` evaluates on worker threads of the default 2 MiB stack, held (population
/// functions) and row by row (`--explain`); `rubric test` and `rubric sql` in the binary.
#[test]
fn the_binary_runs_tests_and_compiles_the_deepest_scheme() {
    let dir = std::env::temp_dir().join(format!("rubric-depth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("data.csv");
    let rows: String = (0..50).map(|i| format!("c{i},{}\n", i % 9)).collect();
    std::fs::write(&data, format!("id,x\n{rows}")).unwrap();
    for construct in CONSTRUCTS {
        let path = dir.join(format!("{construct}.rubric"));
        std::fs::write(&path, scheme(&nested(construct, MAX_NESTING))).unwrap();
        let p = path.to_str().unwrap();
        for extra in [&["--threads", "2"][..], &["--explain"][..]] {
            let out = dir.join("out.csv");
            let mut args = vec!["run", p, "--data", data.to_str().unwrap()];
            args.extend_from_slice(&["--out", out.to_str().unwrap()]);
            args.extend_from_slice(extra);
            let (code, _, stderr) = rubric(&args);
            assert_eq!(code, 0, "{construct} {extra:?}: {stderr}");
        }
        let (code, stdout, stderr) = rubric(&["test", p]);
        assert_eq!(code, 0, "{construct}: {stdout}{stderr}");
        let (code, _, stderr) = rubric(&["sql", p, "--dialect", "duckdb", "--table", "t"]);
        assert_eq!(code, 0, "{construct}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    let _ = repo_root();
}
