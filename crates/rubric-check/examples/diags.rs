//! Prints the diagnostics of scheme files, one per line: `file:line:col severity code message`.
fn main() {
    for path in std::env::args().skip(1) {
        let Ok(src) = std::fs::read_to_string(&path) else {
            eprintln!("cannot read {path}");
            continue;
        };
        let (_, checked) = rubric_check::check_source(&src);
        for d in &checked.diagnostics {
            let (l, c) = rubric_syntax::span::line_col(&src, d.span.start);
            let help = d
                .help
                .as_deref()
                .map(|h| format!(" [help: {h}]"))
                .unwrap_or_default();
            let label = d
                .label
                .as_deref()
                .map(|h| format!(" [label: {h}]"))
                .unwrap_or_default();
            println!(
                "{path}:{l}:{c} {} {} {}{label}{help}",
                d.severity.as_str(),
                d.code,
                d.message
            );
        }
    }
}
