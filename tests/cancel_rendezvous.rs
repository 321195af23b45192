//! Cancel storms on rendezvous channels: coroutines blocked in `recv`, in a
//! `select!` receive, or in a `select!` send (a lazy sender that a receiver
//! may have met and be waiting on) are cancelled over and over while peers
//! keep the channel busy. Nothing hangs, no waiter is left behind, and every
//! message is dropped exactly once: received, or unwound with a cancelled
//! coroutine that owned it.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{DropLog, init_may, keep_alive, within};
use may_channel::{RecvTimeoutError, rendezvous, select};

fn rounds() -> usize {
    if cfg!(debug_assertions) { 150 } else { 1_000 }
}

/// Cancels a coroutine that may be parked or may have finished, and waits
/// for it.
fn cancel_and_join<T>(handle: may::coroutine::JoinHandle<T>) {
    // SAFETY: the coroutine's channel operations release their
    // registrations in drop guards during the unwind, and it owns nothing
    // else that a forced unwind could leave broken.
    unsafe { handle.coroutine().cancel() };
    let _ = handle.join();
}

/// `go!` wraps may's unsafe spawn; its conditions hold: the bodies keep no
/// reference into thread-local storage across a park, and `init_may` gives
/// them a large stack.
fn go<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> may::coroutine::JoinHandle<T> {
    init_may();
    let handle = may::go!(f);
    keep_alive(handle.coroutine());
    handle
}

#[test]
fn cancelled_receivers_lose_nothing() {
    within(120, || {
        let total = rounds() * 8;
        let log = DropLog::new(total);
        let (tx, rx) = rendezvous::<common::Tracked>();
        let received = Arc::new(AtomicUsize::new(0));
        let producer = {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for id in 0..total {
                    // `Ok` means a receiver has it: received, or dropped by
                    // a receiver cancelled right after.
                    tx.send(log.item(id)).expect("a receiver comes back");
                }
            })
        };
        let mut round = 0usize;
        while !producer.is_finished() {
            let consumers: Vec<_> = (0..4)
                .map(|k| {
                    let rx = rx.clone();
                    let received = Arc::clone(&received);
                    go(move || {
                        loop {
                            let got = if (round + k) % 2 == 0 {
                                rx.recv().ok()
                            } else {
                                select! { recv(rx) -> msg => msg.ok() }
                            };
                            if got.is_none() {
                                return;
                            }
                            received.fetch_add(1, Ordering::Relaxed);
                        }
                    })
                })
                .collect();
            std::thread::sleep(Duration::from_micros(200));
            for consumer in consumers {
                cancel_and_join(consumer);
            }
            round += 1;
        }
        producer.join().unwrap();
        assert!(received.load(Ordering::Relaxed) <= total);
        log.assert_all_dropped_once();
    });
}

#[test]
fn cancelled_select_senders_lose_nothing() {
    within(120, || {
        let made = Arc::new(AtomicUsize::new(0));
        let capacity = rounds() * 4 * 1_000;
        let log = DropLog::new(capacity);
        let (tx, rx) = rendezvous::<common::Tracked>();
        let (_idle_tx, idle_rx) = rendezvous::<common::Tracked>();
        let stop = Arc::new(AtomicBool::new(false));
        let consumer = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut got = 0usize;
                loop {
                    match rx.recv_timeout(Duration::from_millis(1)) {
                        Ok(msg) => {
                            drop(msg);
                            got += 1;
                        }
                        Err(RecvTimeoutError::Timeout) if stop.load(Ordering::SeqCst) => {
                            return got;
                        }
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => unreachable!("tx is alive"),
                    }
                }
            })
        };
        for _ in 0..rounds() {
            let producers: Vec<_> = (0..4)
                .map(|_| {
                    let tx = tx.clone();
                    let idle_rx = idle_rx.clone();
                    let log = Arc::clone(&log);
                    let made = Arc::clone(&made);
                    go(move || {
                        loop {
                            select! {
                                send(tx, log.item(made.fetch_add(1, Ordering::SeqCst))) -> res => {
                                    res.expect("the consumer is alive");
                                }
                                recv(idle_rx) -> _ => unreachable!("nobody sends there"),
                            }
                        }
                    })
                })
                .collect();
            std::thread::sleep(Duration::from_micros(200));
            for producer in producers {
                cancel_and_join(producer);
            }
        }
        stop.store(true, Ordering::SeqCst);
        let got = consumer.join().unwrap();
        let made = made.load(Ordering::SeqCst);
        assert!(made <= capacity, "the log is large enough");
        assert_eq!(got, made, "every value made was sent and received");
        for id in 0..made {
            assert_eq!(log.drops_of(id), 1, "message {id}");
        }
    });
}
