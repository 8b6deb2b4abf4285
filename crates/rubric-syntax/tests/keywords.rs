//! One keyword table: `rubric_syntax::KEYWORDS` is the list the grammar reserves, and the
//! editors' TextMate grammar highlights every word of it. (Completion and semantic tokens read
//! `KEYWORDS`, `DECL_KEYWORDS` and `is_keyword` directly.)

#![allow(clippy::unwrap_used)]

use rubric_syntax::{DECL_KEYWORDS, KEYWORDS};
use std::collections::BTreeSet;
use std::path::Path;

fn repo(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read_to_string(root.join(path)).unwrap()
}

fn table() -> BTreeSet<String> {
    KEYWORDS.iter().map(|k| k.to_string()).collect()
}

/// The `kw_*` rules and the `keyword` rule of the grammar each name exactly the table's words.
#[test]
fn the_grammar_reserves_exactly_the_keyword_table() {
    let grammar = repo("grammar/rubric.pest");
    let kw_rules: BTreeSet<String> = grammar
        .lines()
        .filter(|l| l.starts_with("kw_"))
        .filter_map(|l| l.split('"').nth(1).map(str::to_string))
        .collect();
    assert_eq!(kw_rules, table(), "kw_* rules of grammar/rubric.pest");

    // keyword = @{ ( "a" ~ ("nd" | "s_of") | … ) ~ !XID_CONTINUE }
    let start = grammar.find("keyword   = @{").unwrap();
    let rule = &grammar[start..start + grammar[start..].find("!XID_CONTINUE }").unwrap()];
    let mut reserved = BTreeSet::new();
    for line in rule.lines().skip(1) {
        let quoted: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
        if let Some((first, rests)) = quoted.split_first() {
            for rest in rests {
                reserved.insert(format!("{first}{rest}"));
            }
        }
    }
    assert_eq!(
        reserved,
        table(),
        "the `keyword` rule of grammar/rubric.pest"
    );

    for d in DECL_KEYWORDS {
        assert!(KEYWORDS.contains(d), "{d}");
    }
}

/// Every keyword is highlighted by the VS Code grammar's `keywords` patterns, and they highlight
/// no other word.
#[test]
fn the_textmate_grammar_highlights_the_keyword_table() {
    let tm: serde_json::Value =
        serde_json::from_str(&repo("editors/vscode/syntaxes/rubric.tmLanguage.json")).unwrap();
    let mut words = BTreeSet::new();
    for p in tm["repository"]["keywords"]["patterns"].as_array().unwrap() {
        let m = p["match"].as_str().unwrap();
        let inner = m
            .strip_prefix("\\b(?:")
            .and_then(|r| r.strip_suffix(")\\b"))
            .unwrap();
        words.extend(inner.split('|').map(str::to_string));
    }
    assert_eq!(words, table());
}
