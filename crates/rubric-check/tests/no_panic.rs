//! Parsing, checking and analysing never panic, whatever the text: every fixture and example is
//! cut, spliced and sprinkled with random bytes, and each variant goes through `check_source`.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

fn sources() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files: Vec<PathBuf> = Vec::new();
    let mut stack = vec![root.join("tests/fixtures"), root.join("examples")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rubric") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

/// xorshift: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const PIECES: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "when",
    "otherwise",
    " and ",
    " or ",
    "not ",
    ">=",
    "==",
    "%",
    "_",
    "1_0",
    "2024-02-30",
    "30d",
    "3mo",
    "营业额",
    "??",
    ".",
    ",",
    "\n",
    "//",
    "///",
    "let x = ",
    "grade g {",
    "by",
    "within",
    "rank(",
    "top_share(revenue) within ",
    "is missing",
    "between 1 and",
    "\\",
    "\u{0}",
    "é",
    "𝔘",
];

#[test]
fn mangled_sources_never_panic() {
    let sources = sources();
    assert!(sources.len() >= 10, "found the fixtures");
    let mut rng = Rng(0x5eed_cafe_f00d_1234);
    let mut checked = 0;
    for src in &sources {
        let chars: Vec<char> = src.chars().collect();
        for _ in 0..12 {
            let mut v = chars.clone();
            match rng.below(4) {
                0 => {
                    let cut = rng.below(v.len() + 1);
                    v.truncate(cut);
                }
                1 => {
                    let at = rng.below(v.len() + 1);
                    let piece = PIECES[rng.below(PIECES.len())];
                    for (i, c) in piece.chars().enumerate() {
                        v.insert(at + i, c);
                    }
                }
                2 => {
                    if !v.is_empty() {
                        let a = rng.below(v.len());
                        let b = (a + rng.below(20)).min(v.len());
                        v.drain(a..b);
                    }
                }
                _ => {
                    for _ in 0..5 {
                        if !v.is_empty() {
                            let at = rng.below(v.len());
                            v[at] = char::from_u32(rng.below(0x3000) as u32).unwrap_or('x');
                        }
                    }
                }
            }
            let text: String = v.into_iter().collect();
            let (_, result) = rubric_check::check_source(&text);
            for d in &result.diagnostics {
                assert!(
                    d.span.start <= d.span.end && d.span.end <= text.len(),
                    "span inside the text"
                );
                assert!(
                    text.is_char_boundary(d.span.start) && text.is_char_boundary(d.span.end),
                    "span on char boundaries"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 120);
}
