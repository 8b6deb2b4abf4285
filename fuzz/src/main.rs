//! `rubric-fuzz`: the long campaign.
//!
//! ```text
//! cargo run --release -p rubric-fuzz -- --target all --execs 1000000 --seed 1 --jobs 2
//! ```
//!
//! Crashes, property violations and hangs are saved in `fuzz/crashes/` and listed in the summary;
//! the input being run is in `fuzz/crashes/last-<target>` (so an abort leaves it behind). Exit
//! status 1 when anything was found.

use rubric_fuzz::campaign::{self, Config};
use rubric_fuzz::seeds::repo_root;
use rubric_fuzz::targets::{Target, ALL};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: rubric-fuzz --replay scheme|data|lsp FILE...\n       rubric-fuzz [--target all|scheme|data|lsp[,..]] [--execs N (in all)] \
[--seed N] [--jobs N] [--hang SECONDS] [--max-len BYTES] [--crashes DIR] [--progress N] [--time SECONDS (then stop)]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--replay") {
        return replay(&args[1..]);
    }
    match parse(std::env::args().skip(1).collect()) {
        Ok(cfg) => {
            eprintln!(
                "rubric-fuzz: targets {:?}, {} executions per target, seed {}, {} jobs, seeds: {}",
                cfg.targets.iter().map(|t| t.name()).collect::<Vec<_>>(),
                cfg.execs,
                cfg.seed,
                cfg.jobs,
                cfg.seeds
                    .iter()
                    .map(|(t, s)| format!("{} {}", t.name(), s.len()))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let report = campaign::run(&cfg);
            print!("{}", report.summary(cfg.seed));
            if report.findings.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(msg) => {
            eprintln!("error: {msg}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// `--replay TARGET FILE...`: runs saved inputs (a crash, a regression fixture) and prints the
/// time and outcome of each.
fn replay(args: &[String]) -> ExitCode {
    let Some(target) = args.first().and_then(|t| Target::from_name(t)) else {
        eprintln!("usage: rubric-fuzz --replay scheme|data|lsp FILE...");
        return ExitCode::from(2);
    };
    let mut failed = false;
    for file in &args[1..] {
        let Ok(input) = std::fs::read(file) else {
            eprintln!("error: cannot read `{file}`");
            return ExitCode::from(2);
        };
        let (time, outcome) = campaign::execute(target, &input);
        match outcome {
            Ok(()) => println!("{file}: ok in {:.3} s", time.as_secs_f64()),
            Err((kind, msg)) => {
                failed = true;
                println!("{file}: {kind:?} after {:.3} s\n{msg}", time.as_secs_f64());
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn parse(args: Vec<String>) -> Result<Config, String> {
    let root = repo_root();
    let mut targets: Vec<Target> = ALL.to_vec();
    let mut execs: u64 = 30_000;
    let mut seed: u64 = 1;
    let mut jobs: usize = 1;
    let mut hang = Duration::from_secs(5);
    let mut max_len: usize = 200_000;
    let mut crash_dir = root.join("fuzz/crashes");
    let mut progress: u64 = 10_000;
    let mut time_limit = None;
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Err("help".into());
        }
        let value = it.next().ok_or_else(|| format!("`{flag}` needs a value"))?;
        let num = |v: &str| -> Result<u64, String> {
            v.replace('_', "")
                .parse::<u64>()
                .map_err(|_| format!("`{v}` is not a number"))
        };
        match flag.as_str() {
            "--target" => {
                targets = if value == "all" {
                    ALL.to_vec()
                } else {
                    value
                        .split(',')
                        .map(|t| {
                            Target::from_name(t).ok_or_else(|| format!("unknown target `{t}`"))
                        })
                        .collect::<Result<_, _>>()?
                }
            }
            "--execs" => execs = num(&value)?,
            "--seed" => seed = num(&value)?,
            "--jobs" => jobs = num(&value)? as usize,
            "--hang" => hang = Duration::from_secs(num(&value)?),
            "--max-len" => max_len = num(&value)? as usize,
            "--crashes" => crash_dir = PathBuf::from(value),
            "--progress" => progress = num(&value)?,
            "--time" => time_limit = Some(Duration::from_secs(num(&value)?)),
            _ => return Err(format!("unknown option `{flag}`")),
        }
    }
    let per_target = execs.div_ceil(targets.len() as u64);
    Ok(Config {
        seeds: rubric_fuzz::all_seeds(&targets, &root),
        targets,
        execs: per_target,
        seed,
        jobs,
        hang,
        max_len,
        crash_dir: Some(crash_dir),
        write_last: true,
        progress,
        seeds_first: true,
        time_limit,
    })
}
