//! One snapshot of the formatted text per fixture in `tests/fixtures/fmt/` (a fixture with
//! syntax errors snapshots the errors instead: it is never rewritten).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rubric_fmt::{format_source, FmtError};

#[test]
fn formatted_fixtures() {
    insta::glob!("../../../tests/fixtures/fmt", "*.rubric", |path| {
        let src = std::fs::read_to_string(path).unwrap();
        let shown = match format_source(&src) {
            Ok(out) => out,
            Err(FmtError::Syntax(errors)) => {
                let mut s = String::from("not formatted: syntax errors\n");
                for e in errors {
                    s.push_str(&format!("{} at {:?}: {}\n", e.code, e.span, e.message));
                }
                s
            }
            Err(FmtError::Unstable) => {
                panic!("{}: formatting would change the meaning", path.display())
            }
        };
        insta::assert_snapshot!(shown);
    });
}
