//! One semantics (issue 17): `rubric run` and `Plan::evaluate` (what `rubric test`, `rubric
//! explain`, dataset snapshots, the language server's CodeLens and the SQL differential read)
//! give every customer the same value of every item.
//!
//! Every evaluation fixture (`tests/fixtures/{eval,language}/*/`) and every example's dataset
//! snapshot is graded twice: once through the library (read the whole file, `Plan::evaluate`,
//! each value formatted as `rubric run` formats it) and once by the binary (`rubric run --all`,
//! with one thread and with several, so both its streaming and its parallel paths, and with
//! `--explain`, which grades with the row interpreter instead of the block engine and whose
//! trace must name, for every grade, the code the grade has). They must
//! agree on which customers are graded and, cell for cell, on every `let`, `points`, `score`,
//! `grade` and `tags`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::repo_root;
use rubric_eval::io::{self, Format, ReadOptions};
use rubric_eval::{Plan, ValueFormat};
use rubric_syntax::date::Date;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One scheme over one dataset.
struct Case {
    name: String,
    scheme: PathBuf,
    data: Option<PathBuf>,
    events: Vec<(String, PathBuf)>,
    as_of: Option<String>,
    options: ReadOptions,
}

fn fixtures() -> Vec<Case> {
    let mut out = Vec::new();
    for dir in ["tests/fixtures/eval", "tests/fixtures/language"] {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(repo_root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.join("scheme.rubric").is_file())
            .collect();
        dirs.sort();
        for d in dirs {
            let Some(data) = std::fs::read_dir(&d)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.file_stem().is_some_and(|s| s == "data"))
                .min()
            else {
                continue;
            };
            let args = std::fs::read_to_string(d.join("args")).unwrap_or_default();
            let words: Vec<&str> = args.split_whitespace().collect();
            let as_of = words
                .iter()
                .position(|w| *w == "--as-of")
                .and_then(|i| words.get(i + 1))
                .map(|s| s.to_string());
            out.push(Case {
                name: d.strip_prefix(repo_root()).unwrap().display().to_string(),
                scheme: d.join("scheme.rubric"),
                data: Some(data),
                events: Vec::new(),
                as_of,
                options: ReadOptions::default(),
            });
        }
    }
    out
}

fn examples() -> Vec<Case> {
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(repo_root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("rubric.toml").is_file())
        .collect();
    dirs.sort();
    for d in dirs {
        let project = rubric_eval::project::Project::read(&d.join("rubric.toml")).unwrap();
        for s in &project.snapshots {
            out.push(Case {
                name: format!("{} {}", d.display(), s.scheme),
                scheme: d.join(&s.scheme),
                data: s.data.as_ref().map(|p| d.join(p)),
                events: s
                    .events
                    .iter()
                    .map(|(k, v)| (k.clone(), d.join(v)))
                    .collect(),
                // (the snapshot's own date; else the scheme's)
                as_of: s.as_of(None).ok().map(|a| a.to_string()),
                options: ReadOptions {
                    format: s.format.as_deref().map(|f| f.parse::<Format>().unwrap()),
                    encoding: s
                        .encoding
                        .as_deref()
                        .map(|e| io::encoding_for_label(e).unwrap()),
                    sheet: s.sheet.clone(),
                },
            });
        }
    }
    out
}

/// Key → the formatted value of every item, by item name, as the library grades the case.
type Graded = BTreeMap<String, BTreeMap<String, String>>;

/// The library's grading, and the evaluation date it used (given to `rubric run` too): the
/// case's, else the scheme's, else 2024-06-30.
fn library(case: &Case) -> (Graded, Date, Vec<String>) {
    let src = std::fs::read_to_string(&case.scheme).unwrap();
    let project = rubric_check::project::check_project(&case.scheme, &src, &mut |p: &Path| {
        std::fs::read_to_string(p).map_err(|e| e.to_string())
    });
    assert!(!project.checked.has_errors(), "{}", case.name);
    let model = project.checked.model;
    let as_of = case
        .as_of
        .as_deref()
        .and_then(Date::parse)
        .or(model.as_of)
        .or_else(|| Date::parse("2024-06-30"))
        .unwrap();
    let (rows, _) = if model.events.is_empty() {
        io::read_all(case.data.as_deref().unwrap(), &case.options, &model).unwrap()
    } else {
        let files: Vec<(usize, PathBuf, ReadOptions)> = case
            .events
            .iter()
            .map(|(name, path)| {
                let block = model.events.iter().position(|e| &e.name == name).unwrap();
                (block, path.clone(), ReadOptions::default())
            })
            .collect();
        let files: Vec<io::EventsFile<'_>> = files
            .iter()
            .map(|(block, path, options)| io::EventsFile {
                block: *block,
                path,
                options,
            })
            .collect();
        let data = case.data.as_deref().map(|d| (d, &case.options));
        io::read_all_joined(data, &files, &model, as_of).unwrap()
    };
    let model = rubric_eval::events::row_model(&model).into_owned();
    let plan = Plan::compile(&model, as_of);
    let ev = plan.evaluate(rows);
    let formats: Vec<ValueFormat> = model
        .items
        .iter()
        .map(|i| ValueFormat::new(&i.ty, &model))
        .collect();
    let mut out = Graded::new();
    for row in 0..ev.len() {
        let cells = model
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| (item.name.clone(), formats[i].format(ev.value(row, i))))
            .collect();
        out.insert(ev.key(row).to_string(), cells);
    }
    let grades = model
        .items
        .iter()
        .filter(|i| {
            model
                .grade(model.item_named(&i.name).unwrap_or(0))
                .is_some_and(|g| !g.is_tags)
        })
        .map(|i| i.name.clone())
        .collect();
    (out, as_of, grades)
}

/// `rubric run --all` with `--threads N`; `how == "explain"` adds `--explain` (every rule's
/// decision traced, the trace engine's values written).
fn binary(case: &Case, as_of: Date, how: &str) -> Graded {
    let (threads, explain) = match how {
        "explain" => ("0", true),
        n => (n, false),
    };
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let stem = case.name.replace(['/', ' ', '.'], "-");
    let out = tmp.join(format!("differential-{stem}-{how}.csv"));
    let rejects = tmp.join(format!("differential-{stem}-{how}.rejects.csv"));
    let mut args: Vec<String> = vec!["run".into(), case.scheme.display().to_string()];
    if let Some(d) = &case.data {
        args.extend(["--data".into(), d.display().to_string()]);
    }
    for (name, path) in &case.events {
        args.extend(["--events".into(), format!("{name}={}", path.display())]);
    }
    args.extend(["--as-of".into(), as_of.to_string()]);
    if let Some(f) = case.options.format {
        args.extend(["--input-format".into(), f.to_string()]);
    }
    if let Some(e) = case.options.encoding {
        args.extend(["--encoding".into(), e.name().to_string()]);
    }
    if let Some(s) = &case.options.sheet {
        args.extend(["--sheet".into(), s.clone()]);
    }
    if explain {
        args.push("--explain".into());
    }
    args.extend(
        [
            "--all",
            "--threads",
            threads,
            "--out",
            &out.display().to_string(),
            "--rejects",
            &rejects.display().to_string(),
        ]
        .map(String::from),
    );
    let run = Command::new(env!("CARGO_BIN_EXE_rubric"))
        .args(&args)
        .current_dir(repo_root())
        .output()
        .unwrap();
    let code = run.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "{}: rubric {}\n{}",
        case.name,
        args.join(" "),
        String::from_utf8_lossy(&run.stderr)
    );
    // (a CSV read with --encoding is written in it too)
    let bytes = std::fs::read(&out).unwrap();
    let text = match case.options.encoding {
        Some(e) => e.decode(&bytes).0.into_owned(),
        None => String::from_utf8(bytes).unwrap(),
    };
    let mut records = parse_csv(&text).into_iter();
    let header = records.next().unwrap_or_default();
    let mut graded = Graded::new();
    for r in records {
        let cells = header
            .iter()
            .zip(&r)
            .skip(1)
            .map(|(h, c)| (h.clone(), c.clone()))
            .collect();
        graded.insert(r[0].clone(), cells);
    }
    graded
}

/// RFC 4180 records (quoted cells may hold commas, doubled quotes and line breaks).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let (mut record, mut cell) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => cell.push(c),
        }
    }
    if !cell.is_empty() || !record.is_empty() {
        record.push(cell);
        records.push(record);
    }
    records
}

fn compare(case: &Case, lib: &Graded, bin: &Graded, threads: &str) -> Vec<String> {
    let mut out = Vec::new();
    let who = format!("{} ({threads})", case.name);
    for key in lib.keys().filter(|k| !bin.contains_key(*k)) {
        out.push(format!("{who}: `{key}` graded by Plan::evaluate only"));
    }
    for key in bin.keys().filter(|k| !lib.contains_key(*k)) {
        out.push(format!("{who}: `{key}` graded by rubric run only"));
    }
    for (key, cells) in lib {
        let Some(row) = bin.get(key) else { continue };
        for (item, value) in cells {
            match row.get(item) {
                Some(v) if v == value => {}
                other => out.push(format!(
                    "{who}: `{key}`.{item}: Plan::evaluate {value:?}, rubric run {other:?}"
                )),
            }
        }
    }
    out
}

/// The explain trace decides what the engines decided: a grade's `_why` names its code.
fn traced(case: &Case, bin: &Graded, grades: &[String], checked: &mut usize) -> Vec<String> {
    let mut out = Vec::new();
    for (key, row) in bin {
        for g in grades {
            let (Some(code), Some(why)) = (row.get(g), row.get(&format!("{g}_why"))) else {
                continue;
            };
            *checked += 1;
            if !code.is_empty() && !why.starts_with(&format!("{code}:")) && why != code {
                out.push(format!(
                    "{} (explain): `{key}`.{g} is {code:?} but the trace says {why:?}",
                    case.name
                ));
            }
        }
    }
    out
}

#[test]
fn rubric_run_and_plan_evaluate_agree_on_every_fixture_and_example() {
    let cases: Vec<Case> = fixtures().into_iter().chain(examples()).collect();
    assert!(cases.len() >= 50, "only {} cases", cases.len());
    let mut failures = Vec::new();
    let mut cells = 0;
    let mut traces = 0;
    for case in &cases {
        let (lib, as_of, grades) = library(case);
        cells += lib.values().map(BTreeMap::len).sum::<usize>();
        for how in ["1", "0", "explain"] {
            let bin = binary(case, as_of, how);
            failures.extend(compare(case, &lib, &bin, how));
            if how == "explain" {
                failures.extend(traced(case, &bin, &grades, &mut traces));
            }
        }
    }
    assert!(cells > 10_000, "only {cells} cells compared");
    assert!(traces > 1_000, "only {traces} traces checked");
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures[..failures.len().min(40)].join("\n")
    );
}

/// Random schemes and data (the SQL differential's generator, `tests/sql/gen.py`: lets, points,
/// scores, grades, tags, population functions with and without `within`; missing cells, ties,
/// zeros, negative numbers, month-end dates) agree the same way.
#[test]
fn random_schemes_agree_too() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("differential-random");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    const SEEDS: u32 = 120;
    let gen = Command::new("python3")
        .args([
            "-c",
            "import pathlib, sys\nsys.path.insert(0, 'tests/sql')\nimport gen\n\
             for s in range(int(sys.argv[2])): gen.write_case(pathlib.Path(sys.argv[1]), s)",
            &dir.display().to_string(),
            &SEEDS.to_string(),
        ])
        .current_dir(repo_root())
        .output()
        .unwrap();
    assert!(
        gen.status.success(),
        "{}",
        String::from_utf8_lossy(&gen.stderr)
    );
    let mut failures = Vec::new();
    let mut cells = 0;
    for seed in 0..SEEDS {
        let case = Case {
            name: format!("random seed {seed}"),
            scheme: dir.join(format!("random-{seed}.rubric")),
            data: Some(dir.join(format!("random-{seed}.csv"))),
            events: Vec::new(),
            as_of: None,
            options: ReadOptions::default(),
        };
        let (lib, as_of, grades) = library(&case);
        cells += lib.values().map(BTreeMap::len).sum::<usize>();
        let mut traces = 0;
        for how in ["1", "0", "explain"] {
            let bin = binary(&case, as_of, how);
            failures.extend(compare(&case, &lib, &bin, how));
            if how == "explain" {
                failures.extend(traced(&case, &bin, &grades, &mut traces));
            }
        }
    }
    assert!(cells > 10_000, "only {cells} cells compared");
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures[..failures.len().min(40)].join("\n")
    );
}
