//! The campaign: mutate seeds, run each input under `catch_unwind` with its time measured, and
//! keep every panic, property violation and hang with its input.

use crate::mutate::{dictionary, mutate};
use crate::rng::{hash, Rng};
use crate::targets::{random_options, DataCase, Target};
use rubric_eval::io::Format;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct Config {
    pub targets: Vec<Target>,
    /// Executions per target, over all jobs.
    pub execs: u64,
    pub seed: u64,
    pub jobs: usize,
    /// An execution slower than this is a hang.
    pub hang: Duration,
    /// Mutated inputs are cut to this many bytes.
    pub max_len: usize,
    /// Where crashes are saved (`<target>-<hash>`, `hang-<target>-<hash>`); `None`: nowhere.
    pub crash_dir: Option<PathBuf>,
    /// Write each input to `<crash_dir>/last-<target>` before running it, so that an abort
    /// (a stack overflow) leaves its input behind.
    pub write_last: bool,
    /// Print progress every this many executions per job (0: never).
    pub progress: u64,
    /// Stop when this much time has passed, whatever the executions left.
    pub time_limit: Option<Duration>,
    /// Job 0 first runs every seed as it is (the long campaign); else every input is mutated.
    pub seeds_first: bool,
    /// The seeds of each target.
    pub seeds: BTreeMap<Target, Vec<Vec<u8>>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Panic,
    Violation,
    Hang,
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub target: Target,
    pub kind: Kind,
    pub message: String,
    pub input: Vec<u8>,
    pub saved: Option<PathBuf>,
    pub time: Duration,
}

impl Finding {
    /// The finding with its input, escaped and cut to a few thousand characters.
    pub fn describe(&self) -> String {
        let text = String::from_utf8_lossy(&self.input);
        let shown: String = text.chars().take(3000).collect();
        format!(
            "{} {:?} after {:.3} s ({} bytes{}):\n{}\n--- input:\n{:?}{}\n",
            self.target.name(),
            self.kind,
            self.time.as_secs_f64(),
            self.input.len(),
            self.saved
                .as_ref()
                .map_or(String::new(), |p| format!(", saved as {}", p.display())),
            self.message,
            shown,
            if shown.len() < text.len() { " …" } else { "" }
        )
    }
}

#[derive(Clone, Debug, Default)]
pub struct TargetStats {
    pub execs: u64,
    pub time: Duration,
    pub slowest: Duration,
    pub slowest_len: usize,
    pub slowest_hash: u64,
}

#[derive(Debug, Default)]
pub struct Report {
    pub stats: BTreeMap<Target, TargetStats>,
    pub findings: Vec<Finding>,
    pub wall: Duration,
}

impl Report {
    pub fn summary(&self, seed: u64) -> String {
        let mut s = String::new();
        let total: u64 = self.stats.values().map(|t| t.execs).sum();
        let _ = writeln!(
            s,
            "rubric-fuzz: {total} executions in {:.1} s (seed {seed})",
            self.wall.as_secs_f64()
        );
        for (t, st) in &self.stats {
            let per = if st.execs > 0 {
                st.time.as_secs_f64() * 1e3 / st.execs as f64
            } else {
                0.0
            };
            let _ = writeln!(
                s,
                "  {:<6} {:>9} execs  {:>8.1} s  {:>7.3} ms/exec  slowest {:.3} s ({} bytes, {:016x})",
                t.name(),
                st.execs,
                st.time.as_secs_f64(),
                per,
                st.slowest.as_secs_f64(),
                st.slowest_len,
                st.slowest_hash
            );
        }
        let count = |k: Kind| self.findings.iter().filter(|f| f.kind == k).count();
        let _ = writeln!(
            s,
            "  crashes: {}  property violations: {}  hangs: {}",
            count(Kind::Panic),
            count(Kind::Violation),
            count(Kind::Hang)
        );
        for f in &self.findings {
            let _ = writeln!(s, "{}", f.describe());
        }
        s
    }
}

/// Panic messages (with a backtrace) since the last execution started.
static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

thread_local! {
    static IN_TARGET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Installs a panic hook that records the message and a backtrace of panics on fuzzing threads
/// (and on the threads they start, which have no name) instead of printing them; other threads
/// (a test's assertion) keep the default hook.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let here = std::thread::current();
            if IN_TARGET.with(|c| c.get()) || here.name().is_none() {
                let bt = std::backtrace::Backtrace::force_capture();
                let msg = format!(
                    "panic on thread {}: {info}\n{bt}",
                    here.name().unwrap_or("(worker)")
                );
                if let Ok(mut p) = PANICS.lock() {
                    p.push(msg);
                }
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs one input; a panic or a property violation comes back as an error.
pub fn execute(target: Target, input: &[u8]) -> (Duration, Result<(), (Kind, String)>) {
    install_hook();
    if let Ok(mut p) = PANICS.lock() {
        p.clear();
    }
    IN_TARGET.with(|c| c.set(true));
    let start = Instant::now();
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| target.run(input)));
    let time = start.elapsed();
    IN_TARGET.with(|c| c.set(false));
    let outcome = match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(msg)) => Err((Kind::Violation, msg)),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let recorded = PANICS.lock().map(|p| p.join("\n")).unwrap_or_default();
            Err((Kind::Panic, format!("{what}\n{recorded}")))
        }
    };
    (time, outcome)
}

/// Mutates one input of `target`.
fn mutate_for(
    target: Target,
    rng: &mut Rng,
    input: &[u8],
    other: &[u8],
    dict: &[&str],
    max_len: usize,
) -> Vec<u8> {
    if target != Target::Data {
        return mutate(rng, input, other, dict, max_len);
    }
    let Some(mut case) = DataCase::parse(input) else {
        return input.to_vec();
    };
    let other = DataCase::parse(other).map(|o| o.data).unwrap_or_default();
    let utf8 = !case.gb18030 && std::str::from_utf8(&case.data).is_ok();
    match rng.below(24) {
        0 => {
            // new options, the same events file (`events=NAME`), if any
            let events: Vec<String> = case
                .options
                .split_whitespace()
                .filter(|w| w.starts_with("events="))
                .map(str::to_string)
                .collect();
            case.options = random_options(rng);
            for w in events {
                case.options.push(' ');
                case.options.push_str(&w);
            }
        }
        1 => {
            let mut d = vec![0xEF, 0xBB, 0xBF];
            d.extend_from_slice(&case.data);
            case.data = d;
        }
        2 if utf8 && case.format == Format::Csv => {
            // UTF-16 with its BOM, little or big endian
            let text = String::from_utf8_lossy(&case.data).into_owned();
            let le = rng.one_in(2);
            let mut d = if le {
                vec![0xFF, 0xFE]
            } else {
                vec![0xFE, 0xFF]
            };
            for u in text.encode_utf16() {
                d.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
            }
            case.data = d;
        }
        3 if utf8 && case.format == Format::Csv => {
            let text = String::from_utf8_lossy(&case.data).into_owned();
            let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
            case.data = bytes.into_owned();
            case.gb18030 = true;
        }
        4 if case.format != Format::Xlsx => {
            case.format = [Format::Csv, Format::Json, Format::Jsonl][rng.below(3)];
        }
        _ => case.data = mutate(rng, &case.data, &other, dict, max_len),
    }
    case.to_bytes()
}

fn save(dir: &Path, name: &str, input: &[u8]) -> Option<PathBuf> {
    std::fs::create_dir_all(dir).ok()?;
    let path = dir.join(name);
    std::fs::write(&path, input).ok()?;
    Some(path)
}

/// One job: `execs` executions per target, round robin.
fn job(cfg: &Config, index: usize, execs: u64) -> Report {
    let mut rng = Rng::new(cfg.seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let dict = dictionary();
    let mut report = Report::default();
    let mut pools: BTreeMap<Target, Vec<Vec<u8>>> = BTreeMap::new();
    let empty: Vec<Vec<u8>> = Vec::new();
    let start = Instant::now();
    for i in 0..execs * cfg.targets.len() as u64 {
        if cfg.time_limit.is_some_and(|t| start.elapsed() > t) {
            break;
        }
        let target = cfg.targets[(i % cfg.targets.len() as u64) as usize];
        let round = i / cfg.targets.len() as u64;
        let seeds = cfg.seeds.get(&target).unwrap_or(&empty);
        let pool = pools.entry(target).or_default();
        // job 0 runs every seed once as it is, then everything is mutated
        let input = if cfg.seeds_first && index == 0 && (round as usize) < seeds.len() {
            seeds[round as usize].clone()
        } else {
            let base = if !pool.is_empty() && rng.one_in(3) {
                &pool[rng.below(pool.len())]
            } else {
                match rng.pick(seeds) {
                    Some(s) => s,
                    None => continue,
                }
            };
            let other = rng.pick(seeds).map_or(&[][..], Vec::as_slice);
            mutate_for(target, &mut rng, base, other, &dict, cfg.max_len)
        };
        if cfg.write_last {
            if let Some(dir) = &cfg.crash_dir {
                let name = if index == 0 {
                    format!("last-{}", target.name())
                } else {
                    format!("last-{}-{index}", target.name())
                };
                let _ = save(dir, &name, &input);
            }
        }
        let (time, outcome) = execute(target, &input);
        let st = report.stats.entry(target).or_default();
        st.execs += 1;
        st.time += time;
        if time > st.slowest {
            st.slowest = time;
            st.slowest_len = input.len();
            st.slowest_hash = hash(&input);
        }
        let name = format!("{}-{:016x}", target.name(), hash(&input));
        let found = match outcome {
            Err((kind, message)) => Some((kind, message, name)),
            Ok(()) if time > cfg.hang => Some((
                Kind::Hang,
                format!("took {:.2} s", time.as_secs_f64()),
                format!("hang-{name}"),
            )),
            Ok(()) => None,
        };
        if let Some((kind, message, name)) = found {
            let saved = cfg.crash_dir.as_ref().and_then(|d| save(d, &name, &input));
            if cfg.progress > 0 {
                eprintln!("[job {index}] found {kind:?} in {}: {name}", target.name());
            }
            report.findings.push(Finding {
                target,
                kind,
                message,
                input,
                saved,
                time,
            });
        } else if input.len() <= cfg.max_len / 4 && rng.one_in(4) {
            if pool.len() < 256 {
                pool.push(input);
            } else {
                let k = rng.below(pool.len());
                pool[k] = input;
            }
        }
        if cfg.progress > 0 && (i + 1) % cfg.progress == 0 {
            eprintln!(
                "[job {index}] {} executions, {:.0} s",
                i + 1,
                start.elapsed().as_secs_f64()
            );
        }
    }
    report
}

/// Runs the campaign on `cfg.jobs` threads (8 MiB stacks, a main thread's).
pub fn run(cfg: &Config) -> Report {
    let start = Instant::now();
    let jobs = cfg.jobs.max(1);
    let reports: Vec<Report> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..jobs)
            .map(|j| {
                let execs =
                    cfg.execs / jobs as u64 + u64::from((j as u64) < cfg.execs % jobs as u64);
                std::thread::Builder::new()
                    .name(format!("fuzz-job-{j}"))
                    .stack_size(8 << 20)
                    .spawn_scoped(s, move || job(cfg, j, execs))
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.ok().and_then(|h| h.join().ok()))
            .collect()
    });
    let mut report = Report::default();
    for r in reports {
        for (t, st) in r.stats {
            let all = report.stats.entry(t).or_default();
            all.execs += st.execs;
            all.time += st.time;
            if st.slowest > all.slowest {
                all.slowest = st.slowest;
                all.slowest_len = st.slowest_len;
                all.slowest_hash = st.slowest_hash;
            }
        }
        report.findings.extend(r.findings);
    }
    report.wall = start.elapsed();
    report
}

/// Replays saved inputs (regression fixtures); a file replays under the target named by its
/// folder.
pub fn replay(target: Target, inputs: &[(PathBuf, Vec<u8>)], hang: Duration) -> Vec<Finding> {
    let mut out = Vec::new();
    for (path, input) in inputs {
        let (time, outcome) = execute(target, input);
        let found = match outcome {
            Err((kind, message)) => Some((kind, message)),
            Ok(()) if time > hang => {
                Some((Kind::Hang, format!("took {:.2} s", time.as_secs_f64())))
            }
            Ok(()) => None,
        };
        if let Some((kind, message)) = found {
            out.push(Finding {
                target,
                kind,
                message,
                input: input.clone(),
                saved: Some(path.clone()),
                time,
            });
        }
    }
    out
}
