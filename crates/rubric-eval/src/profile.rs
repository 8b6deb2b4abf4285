//! `RUBRIC_PHASES=1`: the time of each phase, for profiling.

use std::sync::OnceLock;
use std::time::Instant;

/// With `RUBRIC_PHASES=1` in the environment, prints the time since the run started at the end
/// of each phase to stderr (for profiling; see BENCHMARKS.md).
pub(crate) fn phase(name: &str) {
    static START: OnceLock<(Instant, bool)> = OnceLock::new();
    let (t0, on) =
        START.get_or_init(|| (Instant::now(), std::env::var_os("RUBRIC_PHASES").is_some()));
    if *on && !name.is_empty() {
        // resident memory now and at its peak (Linux), from /proc/self/status
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let mb = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
                .map_or(0, |kb| kb / 1024)
        };
        eprintln!(
            "phase {name}: {:.3} s, rss {} MB, peak {} MB",
            t0.elapsed().as_secs_f64(),
            mb("VmRSS:"),
            mb("VmHWM:")
        );
    }
}
