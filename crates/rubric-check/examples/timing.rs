//! Times parse and check over the given files: `cargo run --release -p rubric-check --example timing FILE…`.
fn main() {
    for path in std::env::args().skip(1) {
        let src = std::fs::read_to_string(&path).unwrap_or_default();
        let t = std::time::Instant::now();
        let n: u32 = std::env::var("N")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20);
        for _ in 0..n {
            let p = rubric_syntax::parse(&src);
            std::hint::black_box(&p);
        }
        let parse = t.elapsed() / n;
        let t = std::time::Instant::now();
        for _ in 0..n {
            let c = rubric_check::check_source(&src);
            std::hint::black_box(&c);
        }
        let all = t.elapsed() / n;
        println!(
            "{path}: {} bytes, parse {parse:?}, parse+check+analysis {all:?}",
            src.len()
        );
    }
}
