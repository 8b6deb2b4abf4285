//! Mutations of an input's bytes: flips, dictionary inserts, deletes, repeats of a range (deep
//! nesting, long lines), splices of two seeds, truncation.

use crate::rng::Rng;

/// Tokens worth inserting besides the keywords: operators, brackets, quotes, comments, numbers,
/// dates, durations, full-width punctuation (a Chinese keyboard), Chinese text, emoji, control
/// characters, and pieces of data files.
const TOKENS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    ".",
    "..",
    "+",
    "-",
    "*",
    "/",
    "%",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "=",
    "??",
    "\"",
    "'",
    "\"\"",
    "//",
    "///",
    "\n",
    "\r",
    "\r\n",
    "\t",
    " ",
    "\0",
    "0",
    "1",
    "-1",
    "0.5",
    "100",
    "1e5",
    "99999999999999999999999999999999999999",
    "0.00000000000000000000000000000000000001",
    "2024-06-30",
    "2024-02-29",
    "0001-01-01",
    "9999-12-31",
    "2024/05/16",
    "30d",
    "12m",
    "1y",
    "4w",
    "-90d",
    "today",
    "int",
    "decimal",
    "text",
    "bool",
    "date",
    "duration",
    "?",
    "true",
    "false",
    "是",
    "否",
    "rank(",
    "abs(",
    "min(1, ",
    "max(",
    "round(",
    "if x > 1 then ",
    " else ",
    "，",
    "：",
    "（",
    "）",
    "％",
    "＞",
    "＝",
    "＜",
    "。",
    "“",
    "”",
    "营业额",
    "金牌客户",
    "甲公司",
    "𝒳",
    "😀",
    "👨‍👩‍👧",
    "\u{feff}",
    "\u{200b}",
    "é",
    "\u{301}",
    "\\",
    "\\n",
    "\"\"\"",
    "key",
    "id",
    "revenue",
    ",,",
    "\"a,b\"",
    "\"a\"\"b\"",
    "{\"id\": \"1\"}",
    "[]",
    "null",
    "NaN",
    "-0",
    "1_000",
    "１２３",
    "\u{3000}",
];

/// The mutation dictionary: every keyword of the language, then [`TOKENS`].
pub fn dictionary() -> Vec<&'static str> {
    let mut d: Vec<&'static str> = rubric_syntax::KEYWORDS.to_vec();
    d.extend_from_slice(TOKENS);
    d
}

/// Applies one to four mutations to `input`. `other` is a second seed for splicing. The result
/// is at most `max_len` bytes.
pub fn mutate(rng: &mut Rng, input: &[u8], other: &[u8], dict: &[&str], max_len: usize) -> Vec<u8> {
    let mut v = input.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        one(rng, &mut v, other, dict);
        if v.len() > max_len {
            v.truncate(max_len);
        }
    }
    v
}

fn one(rng: &mut Rng, v: &mut Vec<u8>, other: &[u8], dict: &[&str]) {
    let len = v.len();
    match rng.below(11) {
        // flip a bit, or set a byte
        0 => {
            if len > 0 {
                let i = rng.below(len);
                if rng.one_in(2) {
                    v[i] ^= 1 << rng.below(8);
                } else {
                    v[i] = rng.next_u64() as u8;
                }
            }
        }
        // insert a dictionary token (three times as likely as the rest)
        1..=3 => {
            let at = rng.below(len + 1);
            let tok = rng.pick(dict).copied().unwrap_or("(");
            v.splice(at..at, tok.bytes());
        }
        // delete a range
        4 => {
            if len > 0 {
                let at = rng.below(len);
                let n = 1 + rng.below((len - at).min(64));
                v.drain(at..at + n);
            }
        }
        // repeat a range many times: deep nesting, long lines, many rules or rows
        5 => {
            if len > 0 {
                let at = rng.below(len);
                let n = 1 + rng.below((len - at).min(80));
                let times = match rng.below(4) {
                    0 => 2 + rng.below(10),
                    1 => 10 + rng.below(100),
                    2 => 100 + rng.below(1000),
                    _ => 40 + rng.below(20),
                };
                let piece = v[at..at + n].to_vec();
                let mut rep = Vec::with_capacity(piece.len() * times);
                for _ in 0..times {
                    rep.extend_from_slice(&piece);
                }
                v.splice(at..at, rep);
            }
        }
        // a run of one byte (a long line of spaces, of digits, of brackets)
        6 => {
            let at = rng.below(len + 1);
            let b = *rng.pick(b" (0a\"-,\n9[").unwrap_or(&b' ');
            let n = match rng.below(3) {
                0 => 1 + rng.below(100),
                1 => 100 + rng.below(5_000),
                _ => 60_000 + rng.below(10_000),
            };
            v.splice(at..at, std::iter::repeat_n(b, n));
        }
        // splice: the head of this input, the tail of the other
        7 => {
            if !other.is_empty() {
                let cut = rng.below(len + 1);
                let from = rng.below(other.len());
                v.truncate(cut);
                v.extend_from_slice(&other[from..]);
            }
        }
        // copy a range of this input elsewhere
        8 => {
            if len > 0 {
                let at = rng.below(len);
                let n = 1 + rng.below((len - at).min(200));
                let piece = v[at..at + n].to_vec();
                let to = rng.below(len + 1);
                v.splice(to..to, piece);
            }
        }
        // truncate
        9 => {
            if len > 0 {
                v.truncate(rng.below(len));
            }
        }
        // swap a digit or a letter for a neighbour: numbers change, names almost match
        _ => {
            if len > 0 {
                let i = rng.below(len);
                v[i] = match v[i] {
                    b'0'..=b'8' | b'a'..=b'y' | b'A'..=b'Y' => v[i] + 1,
                    b'9' => b'0',
                    b'z' => b'a',
                    other => other.wrapping_add(1),
                };
            }
        }
    }
}
