//! Parses the given files many times, for profiling: `cargo run --release -p rubric-syntax --example parse_many FILE…`.
fn main() {
    let files: Vec<String> = std::env::args()
        .skip(1)
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    for _ in 0..200 {
        for src in &files {
            std::hint::black_box(rubric_syntax::parse(src));
        }
    }
}
