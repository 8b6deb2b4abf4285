//! The fuzz suite in CI: a short campaign with a fixed seed and budget, and a replay of every
//! regression fixture in `tests/fixtures/fuzz/<target>/`. Either fails on any panic, property
//! violation or hang, printing the input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rubric_fuzz::campaign::{self, Config};
use rubric_fuzz::seeds::repo_root;
use rubric_fuzz::targets::{Target, ALL};
use std::time::Duration;

/// Runs `f` on a thread with the stack of a main thread, as the campaign's jobs have.
fn on_main_sized_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        match std::thread::Builder::new()
            .name("replay".into())
            .stack_size(8 << 20)
            .spawn_scoped(s, f)
        {
            Ok(h) => match h.join() {
                Ok(v) => v,
                Err(p) => std::panic::resume_unwind(p),
            },
            Err(e) => std::panic::resume_unwind(Box::new(e.to_string())),
        }
    })
}

/// Executions per target: a debug build runs a scheme through every phase in a few hundred
/// milliseconds, so this keeps the campaign around half a minute on two cores.
const EXECS: u64 = 60;

#[test]
fn a_short_campaign_finds_nothing() {
    let root = repo_root();
    let cfg = Config {
        seeds: rubric_fuzz::all_seeds(&ALL, &root),
        targets: ALL.to_vec(),
        execs: EXECS,
        seed: 16,
        jobs: 2,
        // a debug build is many times slower than the release build the long campaign uses
        hang: Duration::from_secs(60),
        max_len: 20_000,
        crash_dir: Some(root.join("fuzz/crashes")),
        write_last: false,
        progress: 0,
        // the seeds themselves are checked, formatted and run by the other suites
        seeds_first: false,
        time_limit: None,
    };
    for t in ALL {
        assert!(
            cfg.seeds.get(&t).is_some_and(|s| s.len() >= 20),
            "{}: too few seeds",
            t.name()
        );
    }
    let report = campaign::run(&cfg);
    println!("{}", report.summary(cfg.seed));
    for t in ALL {
        assert_eq!(
            report.stats.get(&t).map(|s| s.execs),
            Some(EXECS),
            "{}",
            t.name()
        );
    }
    assert!(report.findings.is_empty(), "{}", report.summary(cfg.seed));
}

#[test]
fn every_regression_fixture_replays_cleanly() {
    let dir = repo_root().join("tests/fixtures/fuzz");
    let mut replayed = 0;
    for t in ALL {
        let mut inputs = Vec::new();
        if let Ok(entries) = std::fs::read_dir(dir.join(t.name())) {
            for e in entries.flatten() {
                let p = e.path();
                if p.is_file() && p.extension().is_none_or(|x| x != "md") {
                    let bytes = std::fs::read(&p).unwrap_or_default();
                    inputs.push((p, bytes));
                }
            }
        }
        inputs.sort();
        replayed += inputs.len();
        let findings =
            on_main_sized_stack(|| campaign::replay(t, &inputs, Duration::from_secs(60)));
        let text: String = findings.iter().map(|f| f.describe()).collect();
        assert!(findings.is_empty(), "{text}");
    }
    assert!(replayed >= 6, "only {replayed} regression fixtures");
}

/// The data envelope round-trips, so a saved data input replays the same run.
#[test]
fn a_data_case_reads_back_as_written() {
    let case = rubric_fuzz::targets::DataCase {
        scheme: "scheme \"x\"\ninput {\n  id text key\n}\n".into(),
        format: rubric_eval::io::Format::Jsonl,
        gb18030: true,
        options: "threads=2 strict out=json".into(),
        data: b"{\"id\": \"\xff\"}\nscheme-bytes: 3\n".to_vec(),
    };
    let back = rubric_fuzz::targets::DataCase::parse(&case.to_bytes());
    assert!(back.is_some());
    let back = back.unwrap();
    assert_eq!(back.scheme, case.scheme);
    assert_eq!(back.format, case.format);
    assert!(back.gb18030);
    assert_eq!(back.options, case.options);
    assert_eq!(back.data, case.data);
    let _ = Target::Data;
}

/// The `data` target reads events files (`events=NAME`): example 28's `orders.csv` and a
/// generated file for every block of every clean scheme with `events`, each running cleanly.
#[test]
fn events_files_are_seeds_of_the_data_target() {
    let seeds = rubric_fuzz::seeds::seeds(Target::Data, &repo_root());
    let events: Vec<_> = seeds
        .iter()
        .filter_map(|s| rubric_fuzz::targets::DataCase::parse(s))
        .filter(|c| c.options.contains("events="))
        .collect();
    assert!(events.len() >= 5, "{} events seeds", events.len());
    for case in &events {
        let r = Target::Data.run(&case.to_bytes());
        assert!(r.is_ok(), "{r:?}\n{}", case.options);
    }
}
