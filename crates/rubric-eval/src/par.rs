//! Work spread over the cores: how many there are, and a parallel map.

use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

/// The cores to sort and divide on, read once (`available_parallelism` reads the cgroup's
/// files on every call).
pub(crate) fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Maps `work` over `0..n` on `threads` workers; the results in index order.
pub(crate) fn par_map<T: Send>(
    n: usize,
    threads: usize,
    work: &(dyn Fn(usize) -> T + Sync),
) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let mut parts: Vec<Vec<(usize, T)>> = Vec::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|_| {
                s.spawn(|| {
                    rubric_syntax::stack::guarded(|| {
                        let mut mine = Vec::new();
                        loop {
                            let i = next.fetch_add(1, AtomicOrdering::Relaxed);
                            if i >= n {
                                break;
                            }
                            mine.push((i, work(i)));
                        }
                        mine
                    })
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(mine) => parts.push(mine),
                // a bug, not a result to drop: it goes on to the caller
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    let mut all: Vec<(usize, T)> = parts.into_iter().flatten().collect();
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, t)| t).collect()
}
