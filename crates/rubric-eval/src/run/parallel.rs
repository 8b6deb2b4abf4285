//! Work spread over cores: the streaming pipeline (reader thread, workers, in-order sink) and
//! parallel maps over blocks.

use super::ctx::BATCH;
use super::options::RunError;
use super::tally::BatchOut;
use crate::io::{Batch, DataError, Reader};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Condvar, Mutex};

/// Maps `work` over blocks `0..n` on `threads` workers and hands the results to `sink` in
/// block order, a few blocks ahead at most. The outputs' buffers are reused (fresh memory costs
/// a page fault per page). Stops at the first error of the sink.
pub(super) fn par_blocks(
    n: usize,
    threads: usize,
    work: &(dyn Fn(usize, &mut BatchOut) + Sync),
    sink: &mut dyn FnMut(&mut BatchOut) -> Result<(), RunError>,
) -> Result<(), RunError> {
    let threads = threads.max(1);
    let next = AtomicUsize::new(0);
    let (tx, rx) = sync_channel::<(usize, BatchOut)>(2 * threads);
    // Workers do not run more than `window` blocks ahead of the sink.
    let window = 4 * threads;
    // How many blocks the sink has taken, or `usize::MAX` once it stopped.
    let written = (Mutex::new(0usize), Condvar::new());
    let pool: Mutex<Vec<BatchOut>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, written, pool) = (&next, &written, &pool);
            s.spawn(move || {
                rubric_syntax::stack::guarded(|| loop {
                    let i = next.fetch_add(1, AtomicOrdering::Relaxed);
                    if i >= n {
                        return;
                    }
                    {
                        let Ok(mut done) = written.0.lock() else {
                            return;
                        };
                        while *done != usize::MAX && i >= *done + window {
                            match written.1.wait(done) {
                                Ok(d) => done = d,
                                Err(_) => return,
                            }
                        }
                        if *done == usize::MAX {
                            return;
                        }
                    }
                    let mut out = pool
                        .lock()
                        .ok()
                        .and_then(|mut p| p.pop())
                        .unwrap_or_default();
                    work(i, &mut out);
                    if tx.send((i, out)).is_err() {
                        return;
                    }
                })
            });
        }
        drop(tx);
        let mut pending: BTreeMap<usize, BatchOut> = BTreeMap::new();
        let mut want = 0usize;
        let mut result = Ok(());
        for (i, out) in rx.iter() {
            pending.insert(i, out);
            while let Some(mut out) = pending.remove(&want) {
                want += 1;
                if let Ok(mut done) = written.0.lock() {
                    *done = want;
                    written.1.notify_all();
                }
                if let Err(e) = sink(&mut out) {
                    result = Err(e);
                    break;
                }
                out.clear();
                if let Ok(mut p) = pool.lock() {
                    p.push(out);
                }
            }
            if result.is_err() {
                break;
            }
        }
        if let Ok(mut done) = written.0.lock() {
            *done = usize::MAX;
            written.1.notify_all();
        }
        drop(rx);
        result
    })
}

/// Reads batches on one thread, maps them on `threads` workers, and hands the results to
/// `sink` in input order. Stops at the first error of the reader or the sink. The reader
/// thread only reads: a batch of plain CSV lines is split into records by its worker.
pub(super) fn pipeline(
    mut reader: Reader,
    threads: usize,
    work: &(dyn Fn(&mut Batch) -> BatchOut + Sync),
    sink: &mut dyn FnMut(BatchOut) -> Result<(), RunError>,
) -> Result<(), RunError> {
    let threads = threads.max(1);
    let buffers = 2 * threads + 2;
    let (work_tx, work_rx) = sync_channel::<(u64, Batch)>(buffers);
    let (done_tx, done_rx) = sync_channel::<(u64, BatchOut, Batch)>(buffers);
    let (pool_tx, pool_rx): (SyncSender<Batch>, Receiver<Batch>) = sync_channel(buffers);
    for _ in 0..buffers {
        let _ = pool_tx.send(Batch::default());
    }
    let work_rx = Mutex::new(work_rx);
    std::thread::scope(|s| {
        let read = s.spawn(move || -> Result<(), DataError> {
            let mut seq = 0u64;
            while let Ok(mut batch) = pool_rx.recv() {
                if reader.fill(&mut batch, BATCH)? == 0 {
                    break;
                }
                if work_tx.send((seq, batch)).is_err() {
                    break;
                }
                seq += 1;
            }
            Ok(())
        });
        let work_rx = &work_rx;
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            s.spawn(move || {
                rubric_syntax::stack::guarded(|| loop {
                    let next = match work_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((seq, mut batch)) = next else { return };
                    let out = work(&mut batch);
                    if done_tx.send((seq, out, batch)).is_err() {
                        return;
                    }
                })
            });
        }
        drop(done_tx);
        let mut pending: BTreeMap<u64, BatchOut> = BTreeMap::new();
        let mut next = 0u64;
        let mut result = Ok(());
        for (seq, out, batch) in done_rx.iter() {
            let _ = pool_tx.send(batch);
            pending.insert(seq, out);
            while let Some(out) = pending.remove(&next) {
                next += 1;
                if let Err(e) = sink(out) {
                    result = Err(e);
                    break;
                }
            }
            if result.is_err() {
                break;
            }
        }
        drop(pool_tx);
        drop(done_rx);
        let read_result = read.join();
        result?;
        match read_result {
            Ok(r) => r.map_err(RunError::Data),
            // a bug in the reader, never a short file: it goes on to the caller
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}
