//! Exercises a may 0.3.51 hang that the crate's coroutine parking avoids
//! (`src/channel/parker.rs`): detached coroutines that park and finish right
//! after a peer's unpark. may can resume such a coroutine nested inside the
//! call that registers its park; a coroutine that finishes there and drops
//! that park makes may's `Park::drop` spin for ever, and the coroutines
//! queued on that worker never run ("STALL"). With the crate's parking the
//! run ends with "ok". (`tests/cancel_storm.rs` covers the cancelled
//! coroutine, which cannot yield its way out.) Run with
//! `cargo run --release --example park_repro`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
fn main() {
    may::config().set_workers(2);
    let done = Arc::new(AtomicUsize::new(0));
    let n = 100_000;
    let start = Instant::now();
    for i in 0..n {
        let (tx, rx) = may_channel::Channel::<
            may_channel::queue::Bounded<1>,
            may_channel::wait::Park,
        >::new::<u32>();
        let d = Arc::clone(&done);
        // Detached coroutines: their handles are dropped at once.
        drop(may::go!(move || {
            for _ in 0..4 {
                let _ = rx.recv();
            }
            d.fetch_add(1, Ordering::Relaxed);
        }));
        drop(may::go!(move || {
            for _ in 0..4 {
                tx.send(1).unwrap();
            }
        }));
        if i % 1000 == 999 {
            let target = i + 1;
            let t = Instant::now();
            while done.load(Ordering::Relaxed) < target {
                if t.elapsed() > Duration::from_secs(10) {
                    println!(
                        "STALL after {} iterations ({} done)",
                        target,
                        done.load(Ordering::Relaxed)
                    );
                    std::process::exit(1);
                }
                std::thread::sleep(Duration::from_micros(100));
            }
        }
    }
    println!("ok: {n} iterations in {:?}", start.elapsed());
}
