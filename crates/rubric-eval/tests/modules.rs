//! rubric-eval's modules depend one way (ARCHITECTURE.md, "rubric-eval's module order"): no
//! file reaches, through `crate::`, `super::` or `self::` paths or `use` of its child modules,
//! back to itself. A cycle is reported with the files on it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path (`run::held`) → its source, test modules and comments cut off.
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                parts.pop();
            }
            if parts
                .last()
                .is_some_and(|p| p == "tests" || p.ends_with("_tests"))
            {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            let code: String = code
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            out.insert(parts.join("::"), code);
        }
    }
    out
}

/// The longest module that `path` (segments after `crate`, `super` or `self`, resolved from
/// `base`) names.
fn resolve(mods: &BTreeMap<String, String>, base: &[&str], segs: &[&str]) -> Option<String> {
    (0..=segs.len()).rev().find_map(|k| {
        let name = base
            .iter()
            .chain(&segs[..k])
            .copied()
            .collect::<Vec<_>>()
            .join("::");
        mods.contains_key(&name).then_some(name)
    })
}

/// The paths a source names: `crate::a::b`, `super::x`, `self::y`, with `{…}` groups expanded
/// one level.
fn paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_');
        let rest: String = bytes[i..bytes.len().min(i + 8)].iter().collect();
        let root = ["crate::", "super::", "self::"]
            .into_iter()
            .find(|r| rest.starts_with(r));
        let Some(root) = root.filter(|_| starts_word) else {
            i += 1;
            continue;
        };
        let mut j = i;
        while j < bytes.len() && (bytes[j].is_alphanumeric() || bytes[j] == '_' || bytes[j] == ':')
        {
            j += 1;
        }
        let head: String = bytes[i..j].iter().collect();
        let head: Vec<String> = head
            .trim_end_matches(':')
            .split("::")
            .map(String::from)
            .collect();
        if bytes.get(j) == Some(&'{') {
            let end = (j..bytes.len()).find(|&k| bytes[k] == '}').unwrap_or(j);
            let group: String = bytes[j + 1..end].iter().collect();
            for part in group.split(',') {
                let first = part.trim().split("::").next().unwrap_or("").trim();
                let first = first.split_whitespace().next().unwrap_or("");
                if !first.is_empty() && first != "self" {
                    let mut p = head.clone();
                    p.push(first.to_string());
                    out.push(p);
                }
            }
        }
        out.push(head);
        i = j.max(i + root.len());
    }
    out
}

fn edges(mods: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, code) in mods {
        let here: Vec<&str> = if m.is_empty() {
            Vec::new()
        } else {
            m.split("::").collect()
        };
        let mut to = BTreeSet::new();
        for p in paths(code) {
            let segs: Vec<&str> = p.iter().map(String::as_str).collect();
            let (base, rest): (Vec<&str>, &[&str]) = match segs.first().copied() {
                Some("crate") => (Vec::new(), &segs[1..]),
                Some("self") => (here.clone(), &segs[1..]),
                Some("super") => {
                    let mut base = here[..here.len().saturating_sub(1)].to_vec();
                    let mut rest = &segs[1..];
                    while rest.first() == Some(&"super") {
                        base.pop();
                        rest = &rest[1..];
                    }
                    (base, rest)
                }
                _ => continue,
            };
            if let Some(target) = resolve(mods, &base, rest) {
                to.insert(target);
            }
        }
        // `use child::…` / `pub use child::…` in a module file
        for line in code.lines() {
            let l = line.trim_start();
            let l = l.strip_prefix("pub(crate) ").unwrap_or(l);
            let l = l.strip_prefix("pub ").unwrap_or(l);
            if let Some(rest) = l.strip_prefix("use ") {
                let first = rest.split("::").next().unwrap_or("");
                let child = if m.is_empty() {
                    first.to_string()
                } else {
                    format!("{m}::{first}")
                };
                if mods.contains_key(&child) {
                    to.insert(child);
                }
            }
        }
        to.remove(m);
        to.remove("");
        edges.insert(m.clone(), to);
    }
    edges
}

/// A cycle through `start`, if any (depth-first search).
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == m) {
            let mut c = path[at..].to_vec();
            c.push(m.to_string());
            return Some(c);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for next in edges.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|m| visit(m, edges, &mut Vec::new(), &mut done))
}

#[test]
fn rubric_eval_modules_depend_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mods = modules(&src);
    assert!(mods.len() > 30, "found only {} modules", mods.len());
    let edges = edges(&mods);
    // the reader must see real dependencies, or a cycle could hide
    assert!(
        edges["run::held"].contains("stages"),
        "{:?}",
        edges["run::held"]
    );
    assert!(edges["stages"].contains("pop"), "{:?}", edges["stages"]);
    if let Some(c) = cycle(&edges) {
        panic!("module cycle: {}", c.join(" -> "));
    }
}

#[test]
fn the_cycle_finder_finds_a_planted_cycle() {
    let mut mods = BTreeMap::new();
    mods.insert("a".to_string(), "use crate::b::thing;".to_string());
    mods.insert("b".to_string(), "fn f() { crate::c::g() }".to_string());
    mods.insert("c".to_string(), "use crate::{a::x, value};".to_string());
    mods.insert("value".to_string(), String::new());
    let c = cycle(&edges(&mods)).expect("a cycle");
    assert_eq!(c, ["a", "b", "c", "a"]);
}
