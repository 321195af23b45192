//! Helpers shared by the behaviour tests.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Counts drops per message id, to prove every message is dropped exactly once.
pub struct DropLog {
    drops: Vec<AtomicUsize>,
}

/// A message whose drop is recorded in a [`DropLog`].
pub struct Tracked {
    pub id: usize,
    log: Arc<DropLog>,
}

impl DropLog {
    pub fn new(ids: usize) -> Arc<Self> {
        Arc::new(Self {
            drops: (0..ids).map(|_| AtomicUsize::new(0)).collect(),
        })
    }

    pub fn item(self: &Arc<Self>, id: usize) -> Tracked {
        Tracked {
            id,
            log: Arc::clone(self),
        }
    }

    pub fn drops_of(&self, id: usize) -> usize {
        self.drops[id].load(Ordering::SeqCst)
    }

    pub fn total(&self) -> usize {
        self.drops.iter().map(|d| d.load(Ordering::SeqCst)).sum()
    }

    /// Every id was dropped exactly once.
    pub fn assert_all_dropped_once(&self) {
        for (id, d) in self.drops.iter().enumerate() {
            assert_eq!(
                d.load(Ordering::SeqCst),
                1,
                "message {id} dropped a wrong number of times"
            );
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.log.drops[self.id].fetch_add(1, Ordering::SeqCst);
    }
}

/// Runs `f` on a thread and fails the test if it does not finish within
/// `secs` seconds (a deadlock fails instead of hanging the suite).
pub fn within<R: Send + 'static>(secs: u64, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        let result = f();
        let _ = done_tx.send(());
        result
    });
    match done_rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(()) => worker.join().expect("test body panicked"),
        Err(_) => {
            if worker.is_finished() {
                // The body panicked before signalling: surface its panic.
                worker.join().expect("test body panicked");
                unreachable!()
            }
            panic!("test body did not finish within {secs}s: deadlock or lost wake-up")
        }
    }
}

/// Waits (polling, yielding) until `cond` holds; panics after `secs`.
pub fn wait_until(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "gave up waiting until {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}
