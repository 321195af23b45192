//! A storm of cancels aimed at coroutines blocked in channel operations.
//!
//! Senders loop on `send` into a one-slot channel that one coroutine drains,
//! so each of them parks and is woken again and again; the test cancels them
//! one at a time and spawns a replacement for each. A cancel that lands while
//! may resumes a just-woken coroutine inside the frame that is still
//! registering its park (may 0.3.51's `Park::subscribe` fast wake-up) makes
//! the coroutine unwind and finish there; before the crate parked on a park
//! of its own, dropping the coroutine's last handle at that point left the
//! worker spinning in may's `Park::drop` for good, and the test hung (caught
//! by the watchdog below).
//!
//! Nothing may be lost: every message is dropped exactly once, whether it was
//! received, drained at the end, or still in the hands of a sender that was
//! cancelled, and no message is received twice.
//!
//! Each test runs in a child process of its own (a fresh may runtime with
//! two workers; a hung worker cannot starve the next test).

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use may_channel::{Channel, Receiver, Sender, queue::Bounded, wait::Park};

/// Tells a child process which test to run for real.
const CHILD_ENV: &str = "MAY_CHANNEL_CANCEL_STORM_CHILD";

/// Cancels per test: modest in a debug build, the full storm in release.
const CANCELS: usize = if cfg!(debug_assertions) {
    2_000
} else {
    20_000
};

/// Senders alive at any time.
const SENDERS: usize = 8;

/// Counts how many messages were made and how many were dropped.
#[derive(Default)]
struct Ledger {
    made: AtomicUsize,
    dropped: AtomicUsize,
}

/// A message that records its drop in a [`Ledger`].
struct Counted {
    id: u64,
    ledger: Arc<Ledger>,
}

impl Counted {
    fn new(id: u64, ledger: &Arc<Ledger>) -> Self {
        ledger.made.fetch_add(1, Ordering::SeqCst);
        Self {
            id,
            ledger: Arc::clone(ledger),
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.ledger.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

type Storm = Channel<Bounded<1>, Park>;

/// A sender that sends until it is cancelled (or the channel closes). Its
/// ids are `index << 32 | sequence`, so no two messages share one.
fn sender(
    index: u64,
    tx: Sender<Counted, Storm>,
    ledger: Arc<Ledger>,
) -> may::coroutine::JoinHandle<()> {
    // `go!` wraps may's unsafe spawn. Its conditions hold: the closure keeps
    // no reference into thread-local storage across a park, and its stack
    // use is far below may's default stack size.
    may::go!(move || {
        for sequence in 0.. {
            if tx
                .send(Counted::new(index << 32 | sequence, &ledger))
                .is_err()
            {
                return;
            }
        }
    })
}

/// Runs one storm: `SENDERS` senders at a time, each cancelled and replaced
/// in turn, `CANCELS` times in all; then checks the ledger.
fn storm() {
    may::config().set_workers(2);
    let ledger = Arc::new(Ledger::default());
    let (tx, rx): (Sender<Counted, Storm>, Receiver<Counted, Storm>) = Storm::new();
    let drainer = {
        let rx = rx.clone();
        // `go!`: as in `sender`.
        may::go!(move || {
            let mut seen = HashSet::new();
            // Until the last sender is gone.
            while let Ok(message) = rx.recv() {
                assert!(
                    seen.insert(message.id),
                    "message {} received twice",
                    message.id
                );
            }
            seen
        })
    };
    let mut next = 0u64;
    let mut senders: std::collections::VecDeque<_> = (0..SENDERS)
        .map(|_| {
            next += 1;
            sender(next, tx.clone(), Arc::clone(&ledger))
        })
        .collect();
    for _ in 0..CANCELS {
        let handle = senders.pop_front().expect("SENDERS > 0");
        // SAFETY: the coroutine only sends; drop guards release its waiter
        // registration as it unwinds, its message unwinds with it, and it
        // holds nothing else a forced unwind could leave broken.
        unsafe { handle.coroutine().cancel() };
        // The sender never returns on its own while the channel is open, so
        // its join reports the cancel panic; either way it has finished.
        let _ = handle.join();
        next += 1;
        senders.push_back(sender(next, tx.clone(), Arc::clone(&ledger)));
    }
    for handle in senders {
        // SAFETY: as above.
        unsafe { handle.coroutine().cancel() };
        let _ = handle.join();
    }
    drop(tx);
    let received = drainer.join().expect("the drainer does not panic");
    assert_eq!(rx.try_iter().count(), 0, "the drainer took everything");
    drop(rx);
    assert!(!received.is_empty(), "the drainer received nothing");
    assert_eq!(
        ledger.made.load(Ordering::SeqCst),
        ledger.dropped.load(Ordering::SeqCst),
        "every message is dropped exactly once"
    );
}

/// The storm with `send`: senders parked on a full one-slot channel.
#[test]
fn cancelling_blocked_senders_one_at_a_time_never_hangs_a_worker() {
    common::in_child_process(CHILD_ENV, Duration::from_secs(60), |_| {
        common::within(60, storm);
    });
}
