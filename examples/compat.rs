//! Moving a may program onto `may_channel` by changing one import.
//!
//! The program below was written for `may::sync::mpmc`: producer coroutines
//! send jobs, worker coroutines share one receiver and send results back, and
//! the main thread collects them. The only line that changed is the import;
//! the error types it matches on are still `std::sync::mpsc`'s.
//!
//! The last step shows the next move once the program is on `may_channel`:
//! `as_inner()` reaches the full channel, here for a deadline-based receive.
//!
//! Run it with `cargo run --example compat`.

// use may::sync::mpmc;
use may_channel::compat::mpmc;

use std::sync::mpsc::{RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

/// Coroutines that generate jobs.
const PRODUCERS: u64 = 4;
/// Jobs each producer sends.
const JOBS_EACH: u64 = 250;
/// Coroutines sharing the job queue.
const WORKERS: usize = 3;

fn main() {
    let (jobs_tx, jobs_rx) = mpmc::channel::<u64>();
    let (results_tx, results_rx) = mpmc::channel::<(usize, u64)>();

    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let jobs_tx = jobs_tx.clone();
            may::go!(move || {
                for i in 0..JOBS_EACH {
                    jobs_tx
                        .send(p * JOBS_EACH + i)
                        .expect("the workers are gone");
                }
            })
        })
        .collect();
    drop(jobs_tx); // the workers stop once every producer is done

    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let jobs_rx = jobs_rx.clone();
            let results_tx = results_tx.clone();
            may::go!(move || {
                for job in &jobs_rx {
                    results_tx
                        .send((w, job * job))
                        .expect("the collector is gone");
                }
            })
        })
        .collect();
    drop(jobs_rx);
    drop(results_tx);

    // Collect on the main thread, with a timeout per result, as a may program
    // would.
    let mut per_worker = [0u64; WORKERS];
    let mut sum = 0u64;
    loop {
        match results_rx.recv_timeout(Duration::from_secs(10)) {
            Ok((worker, square)) => {
                per_worker[worker] += 1;
                sum += square;
            }
            Err(RecvTimeoutError::Disconnected) => break, // every worker is done
            Err(RecvTimeoutError::Timeout) => panic!("no result for 10 s"),
        }
    }
    for handle in producers.into_iter().chain(workers) {
        handle.join().expect("a coroutine panicked");
    }
    assert_eq!(results_rx.try_recv(), Err(TryRecvError::Disconnected));

    let jobs = PRODUCERS * JOBS_EACH;
    let expected: u64 = (0..jobs).map(|j| j * j).sum();
    assert_eq!(sum, expected, "every job was processed exactly once");
    println!("{jobs} jobs, sum of squares {sum}; jobs per worker: {per_worker:?}");

    // Gradual migration: the may_channel handle underneath offers more, such
    // as a receive with an absolute deadline.
    let (tx, rx) = mpmc::channel::<&str>();
    tx.send("done").unwrap();
    let deadline = Instant::now() + Duration::from_millis(100);
    let msg = rx.as_inner().recv_deadline(deadline);
    println!("via as_inner().recv_deadline: {msg:?}");
}
