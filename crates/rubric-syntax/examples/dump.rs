fn main() {
    for path in std::env::args().skip(1) {
        let src = std::fs::read_to_string(&path).unwrap_or_default();
        let p = rubric_syntax::parse(&src);
        println!("== {path}: {} decls", p.file.decls.len());
        for e in &p.errors {
            let (l, c) = rubric_syntax::span::line_col(&src, e.span.start);
            println!("  {l}:{c} {} {:?}", e.message, e.help);
        }
        if std::env::var("AST").is_ok() {
            println!("{:#?}", p.file);
        }
    }
}
