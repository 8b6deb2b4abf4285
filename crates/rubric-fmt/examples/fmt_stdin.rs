//! Formats stdin to stdout with the library alone (handy while the CLI is being built).
use std::io::Read;

fn main() {
    let mut src = String::new();
    if std::io::stdin().read_to_string(&mut src).is_err() {
        std::process::exit(2);
    }
    match rubric_fmt::format_source(&src) {
        Ok(out) => print!("{out}"),
        Err(e) => {
            eprintln!("{e:?}");
            std::process::exit(1);
        }
    }
}
