//! The documentation a user reads is tested like code, so that no example goes stale silently.
//!
//! Every fenced block whose info string starts with `rubric` in README.md, examples/README.md and
//! docs/*.md is checked with the built `rubric`, according to its fence marker:
//!
//! - ` ```rubric ` is a complete scheme: `rubric check` reports no error and no warning (hints
//!   such as `unused-field` are allowed), and when it holds `test` blocks, `rubric test` passes
//!   every one of them.
//! - ` ```rubric error=CODE[,CODE…] ` is a complete scheme that `rubric check` refuses: the codes
//!   of its errors are exactly the codes listed.
//! - ` ```rubric warning=CODE[,CODE…] ` is a complete scheme that checks without errors, whose
//!   warnings carry exactly the codes listed; its `test` blocks pass.
//! - ` ```rubric fragment ` is deliberately a piece of a scheme (a bad/fixed pair in
//!   docs/diagnostics.md, one rule shown on its own). It is not checked.
//! - `id=NAME` names a block; `with=NAME` puts the block NAME (of the same file) in front of this
//!   one before checking, so a later example can add a declaration to an earlier scheme.
//!   A block may be hidden from readers as an HTML comment, `<!-- rubric id=NAME` up to a line
//!   `-->`: docs/diagnostics.md declares the input its one-line examples read that way.
//! - `sql` asks that `rubric sql --dialect duckdb` compiles the (clean) scheme, and
//!   `sql-error=CODE` that it refuses it with CODE.
//! - `allow=CODE[,CODE…]` lets a block have these warnings besides the expected ones (a fixed
//!   `let` in docs/diagnostics.md that nothing reads is `unused`).
//!
//! Besides: every `rubric SUBCOMMAND --flag` a document names (in a shell block or in inline code)
//! exists in that subcommand's `--help`, and no markdown link of the documents leaves the
//! repository or points at a file or heading that does not exist.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{repo_root, rubric};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

/// The documents whose `rubric` blocks and commands are checked.
fn documents() -> Vec<PathBuf> {
    let root = repo_root();
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    let mut files = vec![root.join("README.md"), root.join("examples/README.md")];
    files.extend(docs);
    files
}

/// The documents whose links are checked: the documents, and the other markdown of the root.
fn linked_documents() -> Vec<PathBuf> {
    let root = repo_root();
    let mut files = documents();
    for extra in ["ARCHITECTURE.md", "CHANGELOG.md", "BENCHMARKS.md"] {
        files.push(root.join(extra));
    }
    files
}

fn rel(path: &Path) -> String {
    path.strip_prefix(repo_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A fenced code block: the line of its opening fence, its info string and its text.
struct Block {
    line: usize,
    lang: String,
    markers: Vec<String>,
    text: String,
}

/// The fenced blocks of a markdown text, and the text outside them (fenced lines blanked, so
/// line numbers stay).
fn split(markdown: &str) -> (Vec<Block>, String) {
    let mut blocks = Vec::new();
    let mut prose = String::new();
    // The open block: its first line, language, markers, text, and the length of its fence
    // (0 for a hidden block, an HTML comment `<!-- rubric …` closed by `-->`).
    let mut open: Option<(usize, String, Vec<String>, String, usize)> = None;
    for (i, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        let fence_len = trimmed.chars().take_while(|&c| c == '`').count();
        match open.take() {
            None if fence_len >= 3 => {
                let mut words = trimmed[fence_len..].split_whitespace().map(str::to_owned);
                let lang = words.next().unwrap_or_default();
                open = Some((i + 1, lang, words.collect(), String::new(), fence_len));
                prose.push('\n');
            }
            None if trimmed.starts_with("<!-- rubric") && !trimmed.contains("-->") => {
                let words = trimmed["<!-- rubric".len()..].split_whitespace();
                let markers = words.map(str::to_owned).collect();
                open = Some((i + 1, "rubric".to_owned(), markers, String::new(), 0));
                prose.push('\n');
            }
            None => {
                prose.push_str(line);
                prose.push('\n');
            }
            Some((start, lang, markers, text, len))
                if (len == 0 && trimmed.trim_end() == "-->")
                    || (len > 0 && fence_len >= len && trimmed[fence_len..].trim().is_empty()) =>
            {
                blocks.push(Block {
                    line: start,
                    lang,
                    markers,
                    text,
                });
                prose.push('\n');
            }
            Some((start, lang, markers, mut text, len)) => {
                text.push_str(line);
                text.push('\n');
                open = Some((start, lang, markers, text, len));
                prose.push('\n');
            }
        }
    }
    assert!(open.is_none(), "a code fence is never closed");
    (blocks, prose)
}

/// What a `rubric` block's fence marker asks of it.
#[derive(Debug, PartialEq)]
enum Expect {
    Clean,
    Errors(BTreeSet<String>),
    Warnings(BTreeSet<String>),
    Fragment,
}

/// The markers of a `rubric` fence.
struct Fence {
    expect: Expect,
    id: Option<String>,
    with: Option<String>,
    /// Warnings the block may have besides those it expects (`allow=unused` for a fixed line
    /// whose `let` nothing reads).
    allow: BTreeSet<String>,
    /// `Some(None)`: `rubric sql` compiles the scheme; `Some(Some(code))`: it refuses it with code.
    sql: Option<Option<String>>,
}

/// Reads the markers of a `rubric` fence.
fn markers(words: &[String]) -> Result<Fence, String> {
    let mut fence = Fence {
        expect: Expect::Clean,
        id: None,
        with: None,
        allow: BTreeSet::new(),
        sql: None,
    };
    let codes = |list: &str| list.split(',').map(str::to_owned).collect::<BTreeSet<_>>();
    for word in words {
        let set = |expect: &mut Expect, new: Expect| {
            if *expect != Expect::Clean {
                return Err(format!("two expectations in one fence: `{word}`"));
            }
            *expect = new;
            Ok(())
        };
        if word == "fragment" {
            set(&mut fence.expect, Expect::Fragment)?;
        } else if let Some(list) = word.strip_prefix("error=") {
            set(&mut fence.expect, Expect::Errors(codes(list)))?;
        } else if let Some(list) = word.strip_prefix("warning=") {
            set(&mut fence.expect, Expect::Warnings(codes(list)))?;
        } else if word == "sql" {
            fence.sql = Some(None);
        } else if let Some(code) = word.strip_prefix("sql-error=") {
            fence.sql = Some(Some(code.to_owned()));
        } else if let Some(list) = word.strip_prefix("allow=") {
            fence.allow = codes(list);
        } else if let Some(name) = word.strip_prefix("id=") {
            fence.id = Some(name.to_owned());
        } else if let Some(name) = word.strip_prefix("with=") {
            fence.with = Some(name.to_owned());
        } else {
            return Err(format!(
                "unknown fence marker `{word}` (fragment, error=CODE, warning=CODE, allow=CODE, sql, sql-error=CODE, id=NAME, with=NAME)"
            ));
        }
    }
    Ok(fence)
}

/// Checks one scheme as its marker asks; the problems found, in words.
fn check_scheme(name: &str, text: &str, fence: &Fence) -> Vec<String> {
    let expect = &fence.expect;
    let dir = std::env::temp_dir().join(format!("rubric-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.rubric"));
    std::fs::write(&file, text).unwrap();
    let path = file.to_str().unwrap();
    let (code, out, err) = rubric(&["check", "--error-format", "json", path]);
    let diagnostics: Vec<serde_json::Value> = match serde_json::from_str(&out) {
        Ok(d) => d,
        Err(e) => return vec![format!("`rubric check` gave no JSON ({e}): {out}{err}")],
    };
    let with = |severity: &str| -> BTreeSet<String> {
        diagnostics
            .iter()
            .filter(|d| d["severity"] == severity)
            .map(|d| d["code"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    let describe = || {
        diagnostics
            .iter()
            .filter(|d| d["severity"] != "hint")
            .filter(|d| !fence.allow.iter().any(|code| d["code"] == code.as_str()))
            .map(|d| {
                format!(
                    "\n    {}:{} {} {}: {}",
                    d["line"], d["column"], d["severity"], d["code"], d["message"]
                )
            })
            .collect::<String>()
    };
    let errors = with("error");
    let warnings: BTreeSet<String> = with("warning")
        .into_iter()
        .filter(|code| !fence.allow.contains(code))
        .collect();
    let mut problems = Vec::new();
    let runs_tests = match expect {
        Expect::Clean => {
            if !errors.is_empty() || !warnings.is_empty() || code != 0 {
                problems.push(format!(
                    "a complete scheme must check clean (mark it `fragment`, `error=` or `warning=` if it is not):{}",
                    describe()
                ));
            }
            true
        }
        Expect::Errors(codes) => {
            if errors != *codes || code != 1 {
                problems.push(format!(
                    "expected the errors {codes:?}, `rubric check` exited {code} with:{}",
                    describe()
                ));
            }
            false
        }
        Expect::Warnings(codes) => {
            if !errors.is_empty() || warnings != *codes || code != 0 {
                problems.push(format!(
                    "expected the warnings {codes:?} and no error, got:{}",
                    describe()
                ));
            }
            true
        }
        Expect::Fragment => false,
    };
    if let (Some(sql), true) = (&fence.sql, problems.is_empty()) {
        let (code, _, err) = rubric(&["sql", path, "--dialect", "duckdb", "--table", "t", "--all"]);
        match sql {
            None if code != 0 => {
                problems.push(format!(
                    "`rubric sql` should compile it, it exited {code}:\n{err}"
                ));
            }
            Some(expected) if code != 1 || !err.lines().any(|l| l.trim() == expected) => {
                problems.push(format!(
                    "`rubric sql` should refuse it with `{expected}`, it exited {code}:\n{err}"
                ));
            }
            _ => {}
        }
    }
    let tests = text
        .lines()
        .filter(|l| l.trim_start().starts_with("test \""))
        .count();
    if runs_tests && tests > 0 && problems.is_empty() {
        let (code, out, err) = rubric(&["test", path]);
        let summary = format!("{tests} passed, 0 failed");
        if code != 0 || !out.contains(&summary) {
            problems.push(format!(
                "`rubric test` should say `{summary}`, it exited {code}:\n{out}{err}"
            ));
        }
    }
    problems
}

/// Checks every `rubric` block of one markdown text; the problems, each with `file:line`.
fn check_blocks(file: &str, markdown: &str) -> (Vec<String>, usize) {
    let (blocks, _) = split(markdown);
    let mut named: BTreeMap<String, String> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut checked = 0;
    for block in blocks.iter().filter(|b| b.lang == "rubric") {
        let at = format!("{file}:{}", block.line);
        let fence = match markers(&block.markers) {
            Ok(fence) => fence,
            Err(e) => {
                problems.push(format!("{at}: {e}"));
                continue;
            }
        };
        let mut text = String::new();
        if let Some(with) = &fence.with {
            match named.get(with) {
                Some(base) => text.push_str(base),
                None => problems.push(format!("{at}: `with={with}` names no earlier block")),
            }
        }
        text.push_str(&block.text);
        if let Some(id) = &fence.id {
            named.insert(id.clone(), text.clone());
        }
        if fence.expect != Expect::Fragment {
            checked += 1;
        }
        let name = format!("{}-{}", file.replace(['/', '.'], "_"), block.line);
        for problem in check_scheme(&name, &text, &fence) {
            problems.push(format!("{at}: {problem}"));
        }
    }
    (problems, checked)
}

#[test]
fn every_rubric_example_in_the_docs_checks_and_its_tests_pass() {
    let mut problems = Vec::new();
    let mut per_file = BTreeMap::new();
    for path in documents() {
        let markdown = std::fs::read_to_string(&path).unwrap();
        let (found, checked) = check_blocks(&rel(&path), &markdown);
        problems.extend(found);
        per_file.insert(rel(&path), checked);
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n\n"));
    // The reference is made of examples: if the collector stopped finding them, this says so.
    assert!(
        per_file["docs/language.md"] >= 15,
        "only {} checked examples in docs/language.md",
        per_file["docs/language.md"]
    );
    assert!(per_file["README.md"] >= 2, "{per_file:?}");
}

#[test]
fn a_stale_example_is_caught() {
    let markdown = "\
```rubric
scheme \"s\"
as_of 2024-06-30
input { id text key, revenue decimal }
grade g { a when revnue > 5, b otherwise }
```

```rubric error=thousands-separator
scheme \"s\"
input { id text key, revenue decimal }
grade g { a when revenue > 5, b otherwise }
```

```rubric
scheme \"s\"
as_of 2024-06-30
input { id text key, revenue decimal }
grade g { a when revenue > 5, b otherwise }
test \"t\" { given { id: \"1\", revenue: 6 } expect g == b }
```

```rubric frgment
let x = 1
```

<!-- rubric id=base
scheme \"s\"
input { id text key, revenue decimal }
-->

```rubric with=base error=unknown-name
let big = revenue >= 5万
```

```rubric with=base
let big = revenue >= 5万
```

```rubric with=base allow=unused
let big = revenue >= 5万
```
";
    let (problems, checked) = check_blocks("stale.md", markdown);
    assert_eq!(checked, 7);
    assert_eq!(problems.len(), 6, "{problems:#?}");
    assert!(problems[0].contains("stale.md:1:") && problems[0].contains("unknown-name"));
    assert!(problems[1].contains("thousands-separator"));
    assert!(problems[2].contains("`rubric test` should say `1 passed, 0 failed`"));
    assert!(problems[3].contains("unknown fence marker `frgment`"));
    assert!(problems[4].starts_with("stale.md:31:") && problems[4].contains("unknown-name"));
    assert!(problems[5].starts_with("stale.md:35:") && problems[5].contains("unused"));
}

/// The subcommands `rubric --help` lists, each with the flags of its own `--help`.
fn commands() -> BTreeMap<String, BTreeSet<String>> {
    let (_, help, _) = rubric(&["--help"]);
    let names: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|n| n != "help")
        .collect();
    assert!(names.len() >= 7, "{help}");
    names
        .into_iter()
        .map(|name| {
            let (_, help, _) = rubric(&[&name, "--help"]);
            let flags = help
                .split(|c: char| c.is_whitespace() || c == ',')
                .filter(|w| w.starts_with("--"))
                .map(|w| w.split(['=', '<', '[']).next().unwrap().to_owned())
                .collect();
            (name, flags)
        })
        .collect()
}

/// The `rubric SUBCOMMAND --flag …` commands in one line of shell or inline code: the subcommand
/// and its flags (up to a pipe, a redirection or a comment).
fn invocations(line: &str) -> Vec<(String, Vec<String>)> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut found = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let is_rubric = *word == "rubric"
            || word.ends_with("/rubric")
            || (*word == "--" && words[..i].windows(2).any(|w| w == ["cargo", "run"]));
        let Some(sub) = words.get(i + 1) else {
            continue;
        };
        if !is_rubric || !sub.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
            continue;
        }
        let flags = words[i + 2..]
            .iter()
            .take_while(|w| !matches!(**w, "|" | ">" | "&&" | ";" | "2>&1") && !w.starts_with('#'))
            .filter(|w| w.starts_with("--") && w.len() > 2)
            .map(|w| w.split('=').next().unwrap().to_owned())
            .collect();
        found.push((sub.to_string(), flags));
    }
    found
}

#[test]
fn every_command_and_flag_the_docs_name_exists() {
    let commands = commands();
    let mut problems = Vec::new();
    let mut seen = 0;
    for path in documents() {
        let markdown = std::fs::read_to_string(&path).unwrap();
        let (blocks, prose) = split(&markdown);
        let mut lines: Vec<(usize, String)> = Vec::new();
        for block in &blocks {
            if !matches!(block.lang.as_str(), "sh" | "console" | "shell" | "bash") {
                continue;
            }
            // Join continued lines; in a console block only the `$ ` lines are commands.
            let joined = block.text.replace("\\\n", " ");
            for (i, line) in joined.lines().enumerate() {
                let command = match block.lang.as_str() {
                    "console" => line.strip_prefix("$ "),
                    _ => Some(line),
                };
                if let Some(command) = command {
                    lines.push((block.line + 1 + i, command.to_owned()));
                }
            }
        }
        for (i, line) in prose.lines().enumerate() {
            for (j, span) in line.split('`').enumerate() {
                if j % 2 == 1 {
                    lines.push((i + 1, span.to_owned()));
                }
            }
        }
        for (line, text) in lines {
            for (sub, flags) in invocations(&text) {
                seen += 1;
                let Some(known) = commands.get(&sub) else {
                    problems.push(format!(
                        "{}:{line}: `rubric {sub}` is no subcommand",
                        rel(&path)
                    ));
                    continue;
                };
                for flag in flags {
                    if !known.contains(&flag) {
                        problems.push(format!(
                            "{}:{line}: `rubric {sub}` has no option `{flag}`",
                            rel(&path)
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
    assert!(seen >= 40, "only {seen} rubric commands found in the docs");
}

/// An option named on its own in the prose (`--keep-all`) is an option of some subcommand.
/// docs/warehouse.md is left out: it also names the options of Spark and of its Python scripts.
#[test]
fn every_option_the_prose_names_exists() {
    let commands = commands();
    let all: BTreeSet<&String> = commands.values().flatten().collect();
    let mut problems = Vec::new();
    let mut seen = 0;
    for path in documents() {
        if path.ends_with("docs/warehouse.md") {
            continue;
        }
        let (_, prose) = split(&std::fs::read_to_string(&path).unwrap());
        for (i, line) in prose.lines().enumerate() {
            for span in line.split('`').skip(1).step_by(2) {
                let Some(first) = span.split_whitespace().next() else {
                    continue;
                };
                // `--5` is a bad cell, not an option.
                let is_option = first
                    .strip_prefix("--")
                    .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_lowercase()));
                if !is_option {
                    continue;
                }
                seen += 1;
                let flag = first.split('=').next().unwrap().to_owned();
                if !all.contains(&flag) {
                    problems.push(format!(
                        "{}:{}: no subcommand has `{flag}`",
                        rel(&path),
                        i + 1
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
    assert!(seen >= 30, "only {seen} options found in the prose");
}

#[test]
fn the_command_check_catches_a_made_up_flag() {
    let commands = commands();
    let (sub, flags) = invocations("$ rubric run s.rubric --data x.csv --colour red | head")
        .pop()
        .unwrap();
    assert_eq!(sub, "run");
    assert_eq!(flags, ["--data", "--colour"]);
    assert!(commands["run"].contains("--data"));
    assert!(!commands["run"].contains("--colour"));
    assert_eq!(
        invocations("cargo run --release -- check --fix a.rubric"),
        [("check".to_owned(), vec!["--fix".to_owned()])]
    );
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a markdown file's headings (`-1`, `-2` … for repeated ones).
fn anchors(markdown: &str) -> BTreeSet<String> {
    let (_, prose) = split(markdown);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut all = BTreeSet::new();
    for line in prose.lines() {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if hashes == 0 || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(&line[hashes..].replace('`', ""));
        let n = seen.entry(base.clone()).or_insert(0);
        all.insert(if *n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        });
        *n += 1;
    }
    all
}

/// The targets of the inline links `[text](target)` of a markdown text, with their lines.
fn links(markdown: &str) -> Vec<(usize, String)> {
    let (_, prose) = split(markdown);
    let mut found = Vec::new();
    for (i, line) in prose.lines().enumerate() {
        // Code spans are not links.
        let text: String = line
            .split('`')
            .enumerate()
            .map(|(j, s)| if j % 2 == 0 { s } else { "" })
            .collect();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let end = after.find(')').unwrap_or(after.len());
            found.push((i + 1, after[..end].trim().to_owned()));
            rest = &after[end..];
        }
    }
    found
}

#[test]
fn no_link_leaves_the_repository_or_points_nowhere() {
    let root = repo_root();
    let mut problems = Vec::new();
    let mut count = 0;
    for path in linked_documents() {
        let markdown = std::fs::read_to_string(&path).unwrap();
        for (line, target) in links(&markdown) {
            count += 1;
            let at = format!("{}:{line}", rel(&path));
            if target.starts_with("https://") || target.starts_with("http://") {
                continue;
            }
            let (file, anchor) = match target.split_once('#') {
                Some((f, a)) => (f, Some(a)),
                None => (target.as_str(), None),
            };
            if file.starts_with('/') || file.contains(':') {
                problems.push(format!("{at}: `{target}` is not a path in the repository"));
                continue;
            }
            let mut resolved = path.parent().unwrap().to_path_buf();
            if !file.is_empty() {
                for part in Path::new(file).components() {
                    match part {
                        Component::ParentDir => {
                            resolved.pop();
                        }
                        Component::Normal(p) => resolved.push(p),
                        _ => {}
                    }
                }
            } else {
                resolved = path.clone();
            }
            if !resolved.starts_with(root) {
                problems.push(format!("{at}: `{target}` leaves the repository"));
            } else if !resolved.exists() {
                problems.push(format!("{at}: `{target}` does not exist"));
            } else if let Some(anchor) = anchor {
                if resolved.extension().is_some_and(|e| e == "md") {
                    let text = std::fs::read_to_string(&resolved).unwrap();
                    if !anchors(&text).contains(anchor) {
                        problems.push(format!("{at}: `{target}` names no heading"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
    assert!(count >= 40, "only {count} links found");
}

#[test]
fn the_link_check_knows_a_way_out_and_a_heading() {
    let found = links("see [a](../shared/X.md) and `[b](c)` and [d](docs/x.md#cells-zh-cn)\n");
    assert_eq!(
        found,
        [
            (1, "../shared/X.md".to_owned()),
            (1, "docs/x.md#cells-zh-cn".to_owned())
        ]
    );
    let heading = anchors("# Cells as Excel shows them (zh-CN)\n## `grade`: first match\n");
    assert!(heading.contains("cells-as-excel-shows-them-zh-cn"));
    assert!(heading.contains("grade-first-match"));
}

/// The text of the `rubric` block of docs/language.md whose fence carries `marker`.
fn language_block(marker: &str) -> (String, Vec<Block>) {
    let markdown = std::fs::read_to_string(repo_root().join("docs/language.md")).unwrap();
    let (blocks, _) = split(&markdown);
    let text = blocks
        .iter()
        .find(|b| b.lang == "rubric" && b.markers.iter().any(|m| m == marker))
        .expect("docs/language.md has a rubric block with this marker")
        .text
        .clone();
    (text, blocks)
}

#[test]
fn check_fix_does_what_the_reference_shows() {
    let (typed, blocks) = language_block("id=typed");
    let (fixed, _) = language_block("id=fixed");
    let dir = std::env::temp_dir().join(format!("rubric-docs-fix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("会员等级.rubric"), &typed).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rubric"))
        .args(["check", "--fix", "会员等级.rubric"])
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The console block that shows `rubric check --fix`: every line it shows is what it says.
    let console = blocks
        .iter()
        .find(|b| b.lang == "console" && b.text.contains("rubric check --fix"))
        .expect("a console block with `rubric check --fix`");
    for line in console.text.lines().filter(|l| !l.starts_with("$ ")) {
        assert!(said.contains(line), "`{line}` is not in:\n{said}");
    }
    // The scheme it rewrites is the fixed one shown (whose test block is an addition).
    let rewritten = std::fs::read_to_string(dir.join("会员等级.rubric")).unwrap();
    let shown = &fixed[..fixed.find("\ntest ").unwrap()];
    assert_eq!(rewritten.trim_end(), shown.trim_end());
}

#[test]
fn the_reference_lists_exactly_the_reserved_keywords() {
    let markdown = std::fs::read_to_string(repo_root().join("docs/language.md")).unwrap();
    let after = markdown
        .split("Keywords are English and reserved:")
        .nth(1)
        .expect("the sentence that lists the keywords");
    let listed: BTreeSet<&str> = after
        .split('`')
        .nth(1)
        .unwrap()
        .split_whitespace()
        .collect();
    let reserved: BTreeSet<&str> = rubric_syntax::KEYWORDS.iter().copied().collect();
    assert_eq!(listed, reserved);
}

/// The console sessions of docs/language.md that run the scheme of its section 1 over the
/// `members.csv` it shows: each command, run in a scratch directory, prints what is shown.
#[test]
fn the_members_sessions_print_what_the_reference_shows() {
    let markdown = std::fs::read_to_string(repo_root().join("docs/language.md")).unwrap();
    let (blocks, _) = split(&markdown);
    let scheme = &blocks
        .iter()
        .find(|b| b.lang == "rubric")
        .expect("the scheme of section 1")
        .text;
    let data = &blocks
        .iter()
        .find(|b| b.lang == "csv" && b.text.starts_with("会员编号,"))
        .expect("members.csv")
        .text;
    let dir = std::env::temp_dir().join(format!("rubric-docs-members-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("members.rubric"), scheme).unwrap();
    std::fs::write(dir.join("members.csv"), data).unwrap();
    let mut sessions = 0;
    for block in blocks
        .iter()
        .filter(|b| b.lang == "console" && b.text.contains("members.rubric"))
    {
        sessions += 1;
        // Each `$ ` line and the lines it shows, up to the next `$ ` line.
        let mut steps: Vec<(String, String)> = Vec::new();
        for line in block.text.lines() {
            match line.strip_prefix("$ ") {
                Some(command) => steps.push((command.to_owned(), String::new())),
                None => {
                    let (_, shown) = steps.last_mut().expect("a session starts with `$ `");
                    shown.push_str(line);
                    shown.push('\n');
                }
            }
        }
        for (command, shown) in steps {
            let words: Vec<&str> = command.split_whitespace().collect();
            let printed = match words.as_slice() {
                ["cat", file] => std::fs::read_to_string(dir.join(file)).unwrap(),
                ["rubric", args @ ..] => {
                    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rubric"))
                        .args(args)
                        .current_dir(&dir)
                        .env("NO_COLOR", "1")
                        .output()
                        .unwrap();
                    format!(
                        "{}{}",
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    )
                }
                _ => format!("(this test runs only `rubric` and `cat`, not `{command}`)"),
            };
            let tidy = |s: &str| {
                s.lines()
                    .map(str::trim_end)
                    .collect::<Vec<_>>()
                    .join("\n")
                    .trim()
                    .to_owned()
            };
            assert_eq!(
                tidy(&printed),
                tidy(&shown),
                "docs/language.md:{}: `{command}`",
                block.line
            );
        }
    }
    assert!(sessions >= 2, "{sessions} sessions with members.rubric");
}
