//! How fast is exactly-once select against crossbeam-channel's select and
//! may's `select!`? crossbeam-channel's `select_rx` and `select_both`
//! workloads, word-sized messages, in OS threads and in may coroutines.
//!
//! may's `select!` runs one coroutine per branch and cancels the losers, which
//! can take a message and drop it; its runs stop when the channels go quiet
//! and report how many messages were lost (printed, and written to
//! `target/criterion/may_select_lost.txt` for `scripts/bench_report.py`). If
//! its trial run stalls, the case is logged in `target/criterion/stalled.txt`
//! instead of measured.

// Shared with `peers.rs`; this bench uses the stall log and `go_yielding`
// (every coroutine here is spawned through it, see there why), not the rest.
#[allow(dead_code)]
mod common;

use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use may_channel::flavors::{BoundedBlocking, UnboundedMpmc};
use may_channel::{Receiver, Sender, select};

const MESSAGES: usize = 20_000;
const MAY_SELECT_MESSAGES: usize = 2_000;
const THREADS: usize = 4;

/// The bench id of may's select, as the stall log names it.
const MAY_SELECT_ID: &str = "select_rx/coroutines-may-select/may::select!";

// Relaxed is enough for these two counters: each is updated by the thread
// that ran `may_select_rx` and read by the bench thread after it has joined
// that run (directly, or through the trial's done channel), which orders the
// update before the read.
static MAY_LOST: AtomicUsize = AtomicUsize::new(0);
static MAY_SENT: AtomicUsize = AtomicUsize::new(0);

fn setup_may() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        may::config().set_workers(2);
    });
}

/// Receives `total` messages by selecting over four receivers.
fn ours_select_recv<F: may_channel::Flavor>(rxs: &[Receiver<usize, F>; 4], total: usize) {
    let [r0, r1, r2, r3] = rxs;
    for _ in 0..total {
        select! {
            recv(r0) -> m => { m.unwrap(); },
            recv(r1) -> m => { m.unwrap(); },
            recv(r2) -> m => { m.unwrap(); },
            recv(r3) -> m => { m.unwrap(); },
        }
    }
}

/// Sends `count` messages, each through whichever of four senders has room.
fn ours_select_send<F: may_channel::Flavor>(txs: &[Sender<usize, F>; 4], count: usize) {
    let [t0, t1, t2, t3] = txs;
    for i in 0..count {
        select! {
            send(t0, i) -> r => r.unwrap(),
            send(t1, i) -> r => r.unwrap(),
            send(t2, i) -> r => r.unwrap(),
            send(t3, i) -> r => r.unwrap(),
        }
    }
}

fn ours_select_rx_threads() {
    let pairs: Vec<_> = (0..THREADS)
        .map(|_| UnboundedMpmc::new::<usize>())
        .collect();
    let producers: Vec<_> = pairs
        .iter()
        .map(|(tx, _)| {
            let tx = tx.clone();
            std::thread::spawn(move || (0..MESSAGES / THREADS).for_each(|i| tx.send(i).unwrap()))
        })
        .collect();
    let rxs = [0, 1, 2, 3].map(|i| pairs[i].1.clone());
    ours_select_recv(&rxs, MESSAGES);
    producers.into_iter().for_each(|p| p.join().unwrap());
}

fn ours_select_rx_coroutines() {
    let pairs: Vec<_> = (0..THREADS)
        .map(|_| UnboundedMpmc::new::<usize>())
        .collect();
    let producers: Vec<_> = pairs
        .iter()
        .map(|(tx, _)| {
            let tx = tx.clone();
            common::go_yielding(move || (0..MESSAGES / THREADS).for_each(|i| tx.send(i).unwrap()))
        })
        .collect();
    let rxs = [0, 1, 2, 3].map(|i| pairs[i].1.clone());
    common::go_yielding(move || ours_select_recv(&rxs, MESSAGES))
        .join()
        .unwrap();
    producers.into_iter().for_each(|p| p.join().unwrap());
}

fn ours_select_both(in_coroutines: bool) {
    let pairs: Vec<_> = (0..THREADS)
        .map(|_| BoundedBlocking::<1024>::new::<usize>())
        .collect();
    let txs = [0, 1, 2, 3].map(|i| pairs[i].0.clone());
    let rxs = [0, 1, 2, 3].map(|i| pairs[i].1.clone());
    drop(pairs);
    let mut joins: Vec<Box<dyn FnOnce()>> = Vec::new();
    for _ in 0..THREADS {
        let txs = txs.clone();
        let rxs = rxs.clone();
        let send = move || ours_select_send(&txs, MESSAGES / THREADS);
        let recv = move || ours_select_recv(&rxs, MESSAGES / THREADS);
        if in_coroutines {
            let (s, r) = (common::go_yielding(send), common::go_yielding(recv));
            joins.push(Box::new(move || {
                s.join().unwrap();
                r.join().unwrap();
            }));
        } else {
            let (s, r) = (std::thread::spawn(send), std::thread::spawn(recv));
            joins.push(Box::new(move || {
                s.join().unwrap();
                r.join().unwrap();
            }));
        }
    }
    joins.into_iter().for_each(|join| join());
}

fn crossbeam_select_rx() {
    use crossbeam_channel::{select, unbounded};
    let pairs: Vec<_> = (0..THREADS).map(|_| unbounded::<usize>()).collect();
    let producers: Vec<_> = pairs
        .iter()
        .map(|(tx, _)| {
            let tx = tx.clone();
            std::thread::spawn(move || (0..MESSAGES / THREADS).for_each(|i| tx.send(i).unwrap()))
        })
        .collect();
    let (r0, r1, r2, r3) = (&pairs[0].1, &pairs[1].1, &pairs[2].1, &pairs[3].1);
    for _ in 0..MESSAGES {
        select! {
            recv(r0) -> m => { m.unwrap(); },
            recv(r1) -> m => { m.unwrap(); },
            recv(r2) -> m => { m.unwrap(); },
            recv(r3) -> m => { m.unwrap(); },
        }
    }
    producers.into_iter().for_each(|p| p.join().unwrap());
}

fn crossbeam_select_both() {
    use crossbeam_channel::{bounded, select};
    let pairs: Vec<_> = (0..THREADS).map(|_| bounded::<usize>(1024)).collect();
    let mut handles = Vec::new();
    for _ in 0..THREADS {
        let txs: Vec<_> = pairs.iter().map(|(tx, _)| tx.clone()).collect();
        let rxs: Vec<_> = pairs.iter().map(|(_, rx)| rx.clone()).collect();
        handles.push(std::thread::spawn(move || {
            for i in 0..MESSAGES / THREADS {
                select! {
                    send(txs[0], i) -> r => r.unwrap(),
                    send(txs[1], i) -> r => r.unwrap(),
                    send(txs[2], i) -> r => r.unwrap(),
                    send(txs[3], i) -> r => r.unwrap(),
                }
            }
        }));
        handles.push(std::thread::spawn(move || {
            for _ in 0..MESSAGES / THREADS {
                select! {
                    recv(rxs[0]) -> m => { m.unwrap(); },
                    recv(rxs[1]) -> m => { m.unwrap(); },
                    recv(rxs[2]) -> m => { m.unwrap(); },
                    recv(rxs[3]) -> m => { m.unwrap(); },
                }
            }
        }));
    }
    handles.into_iter().for_each(|h| h.join().unwrap());
}

/// may's own select over four `may::sync::mpmc` receivers, pre-filled (its
/// runs with concurrent producers stalled on this machine). Stops when a select
/// waited 50 ms without a message; messages neither received nor left in the
/// channels were lost by cancelled losing branches.
fn may_select_rx() {
    use may::sync::mpmc::channel;
    let pairs: Vec<_> = (0..THREADS).map(|_| channel::<usize>()).collect();
    for (tx, _) in &pairs {
        (0..MAY_SELECT_MESSAGES / THREADS).for_each(|i| tx.send(i).unwrap());
    }
    let rxs: Vec<_> = pairs.iter().map(|(_, rx)| rx.clone()).collect();
    let received = common::go_yielding(move || {
        let mut received = 0;
        loop {
            let (r0, r1, r2, r3) = (&rxs[0], &rxs[1], &rxs[2], &rxs[3]);
            let branch = may::select!(
                _ = r0.recv() => {},
                _ = r1.recv() => {},
                _ = r2.recv() => {},
                _ = r3.recv() => {},
                _ = may::coroutine::sleep(Duration::from_millis(50)) => {}
            );
            if branch == 4 {
                return received;
            }
            received += 1;
        }
    })
    .join()
    .unwrap();
    let left: usize = pairs.iter().map(|(_, rx)| rx.try_iter().count()).sum();
    MAY_LOST.fetch_add(MAY_SELECT_MESSAGES - received - left, Ordering::Relaxed);
    MAY_SENT.fetch_add(MAY_SELECT_MESSAGES, Ordering::Relaxed);
}

/// Runs `may_select_rx` once on a helper thread; false if it has not
/// finished within `limit` (the stuck coroutines are left behind).
fn may_select_finishes_within(limit: Duration) -> bool {
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        may_select_rx();
        let _ = done_tx.send(());
    });
    done_rx.recv_timeout(limit).is_ok()
}

fn bench(c: &mut Criterion) {
    setup_may();
    let mut group = c.benchmark_group("select_rx/threads");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(MESSAGES as u64));
    group.bench_function("may_channel", |b| b.iter(ours_select_rx_threads));
    group.bench_function("crossbeam", |b| b.iter(crossbeam_select_rx));
    group.finish();

    let mut group = c.benchmark_group("select_rx/coroutines");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(MESSAGES as u64));
    group.bench_function("may_channel", |b| b.iter(ours_select_rx_coroutines));
    group.finish();

    // may's select moves far fewer messages per second and ends each run with
    // a 50 ms quiet period, so it gets its own group and message count. It
    // can also stall (a cancelled branch may leave the channel unusable), so
    // one trial run under a watchdog decides whether it is measured at all.
    common::clear_stall(MAY_SELECT_ID);
    if may_select_finishes_within(Duration::from_secs(10)) {
        let mut group = c.benchmark_group("select_rx/coroutines-may-select");
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(3));
        group.throughput(Throughput::Elements(MAY_SELECT_MESSAGES as u64));
        group.bench_function("may::select!", |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    may_select_rx();
                }
                start
                    .elapsed()
                    .saturating_sub(Duration::from_millis(50) * iters as u32)
            })
        });
        group.finish();
        let (lost, sent) = (
            MAY_LOST.load(Ordering::Relaxed),
            MAY_SENT.load(Ordering::Relaxed),
        );
        println!(
            "may::select! lost {lost} of {sent} messages sent in its runs (taken by cancelled losing branches)"
        );
        let path = common::criterion_dir().join("may_select_lost.txt");
        std::fs::write(path, format!("{lost} {sent}\n"))
            .expect("write the may::select! loss count");
    } else {
        common::record_stall(MAY_SELECT_ID, "trial run not finished within 10 s");
    }

    let mut group = c.benchmark_group("select_both/threads");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(MESSAGES as u64));
    group.bench_function("may_channel", |b| b.iter(|| ours_select_both(false)));
    group.bench_function("crossbeam", |b| b.iter(crossbeam_select_both));
    group.finish();

    let mut group = c.benchmark_group("select_both/coroutines");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(MESSAGES as u64));
    group.bench_function("may_channel", |b| b.iter(|| ours_select_both(true)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
