//! A safety net for coroutine timeouts, working around a race in may 0.3.51.
//!
//! `may::coroutine::park_timeout` arms its timer in `Park::subscribe`
//! *before* it stores the parked coroutine where the timer looks for it. If
//! the worker thread is preempted between the two for longer than the
//! timeout (a loaded machine, a 1 ms timeout), the timer fires, finds no
//! coroutine, and does nothing: the coroutine then stays parked for ever
//! unless something unparks it. (`tests/peek_priority.rs` hung about once in
//! fifty runs under load on a 1 ms `peek_timeout`, with the worker idle and
//! the coroutine parked; the race cannot be provoked on demand, so the unit
//! tests below check the safety net itself.)
//!
//! Every coroutine that parks with a deadline registers here for as long as
//! it waits. A watchdog thread, started on first use, looks at the waiters
//! every [`SWEEP`] and unparks those more than [`GRACE`] past their
//! deadline; the waiter's loop then sees its deadline passed and returns.
//! An unpark is only sent while the waiter is still registered (both sides
//! take the entry's lock), so it lands in this wait. The one leftover: an
//! unpark that arrives after the wait's last park returned but before the
//! waiter deregisters leaves may's park token set, so the coroutine's next
//! park returns at once (a spurious wake-up, which every park in this crate
//! absorbs). It can only happen to a waiter already late by [`GRACE`].

use std::sync::{Arc, Condvar, OnceLock};
use std::time::{Duration, Instant};

use crate::sync::{Mutex, lock};

/// How late a timed coroutine wait must be before the watchdog unparks it:
/// may's own timer, when it works, is never this late.
pub(crate) const GRACE: Duration = Duration::from_millis(10);

/// How often the watchdog looks while any timed wait is registered.
pub(crate) const SWEEP: Duration = Duration::from_millis(10);

/// One timed coroutine wait.
struct Timed {
    deadline: Instant,
    /// The parked coroutine while it waits; `None` once it has returned.
    coroutine: Mutex<Option<may::coroutine::Coroutine>>,
}

struct Registry {
    waits: Mutex<Vec<Arc<Timed>>>,
    /// Signalled when the first wait is registered.
    work: Condvar,
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        std::thread::Builder::new()
            .name("may_channel-timeout-watchdog".into())
            .spawn(sweep_forever)
            .expect("spawning the timeout watchdog thread");
        Registry {
            waits: Mutex::new(Vec::new()),
            work: Condvar::new(),
        }
    })
}

/// Registration of the current coroutine's timed wait; deregisters when
/// dropped (also when a cancel unwinds out of the wait).
pub(crate) struct Watch(Arc<Timed>);

/// Registers a timed wait of `coroutine` (the current one) until `deadline`.
pub(crate) fn watch(coroutine: &may::coroutine::Coroutine, deadline: Instant) -> Watch {
    let timed = Arc::new(Timed {
        deadline,
        coroutine: Mutex::new(Some(coroutine.clone())),
    });
    let registry = registry();
    let mut waits = lock(&registry.waits);
    waits.push(Arc::clone(&timed));
    if waits.len() == 1 {
        registry.work.notify_one();
    }
    Watch(timed)
}

impl Drop for Watch {
    fn drop(&mut self) {
        // Under the entry's lock: after this, no unpark is sent for it.
        *lock(&self.0.coroutine) = None;
    }
}

/// The watchdog thread's loop.
fn sweep_forever() {
    // The registry is being initialised by the thread that spawned us; wait
    // for it through the `OnceLock`.
    let registry = registry();
    let mut waits = lock(&registry.waits);
    loop {
        if waits.is_empty() {
            waits = match registry.work.wait(waits) {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            continue;
        }
        waits = match registry.work.wait_timeout(waits, SWEEP) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        };
        let now = Instant::now();
        waits.retain(|timed| {
            let coroutine = lock(&timed.coroutine);
            match coroutine.as_ref() {
                None => false,
                Some(coroutine) => {
                    if now > timed.deadline + GRACE {
                        coroutine.unpark();
                    }
                    true
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    #[test]
    fn an_overdue_registered_wait_is_unparked() {
        // Parked with no timer, as a coroutine whose may timer was lost,
        // and registered with a deadline already passed.
        let (done_tx, done_rx) = mpsc::channel();
        let coroutine = may::go!(move || {
            let me = may::coroutine::current();
            let registered = watch(&me, Instant::now());
            may::coroutine::park();
            drop(registered);
            let _ = done_tx.send(());
        });
        assert_eq!(
            done_rx.recv_timeout(Duration::from_secs(30)),
            Ok(()),
            "the watchdog never unparked an overdue wait"
        );
        coroutine.join().unwrap();
    }

    #[test]
    fn a_wait_that_deregistered_is_left_alone() {
        let (done_tx, done_rx) = mpsc::channel();
        let (handle_tx, handle_rx) = mpsc::channel();
        let coroutine = may::go!(move || {
            let me = may::coroutine::current();
            drop(watch(&me, Instant::now() - Duration::from_secs(1)));
            let _ = handle_tx.send(me);
            may::coroutine::park();
            let _ = done_tx.send(());
        });
        let me = handle_rx.recv().expect("the coroutine runs");
        // Several sweeps: an unpark of a deregistered wait would end the
        // park (this can only pass by luck if the sweeps do not run, never
        // fail by luck).
        assert_eq!(
            done_rx.recv_timeout(SWEEP * 10),
            Err(mpsc::RecvTimeoutError::Timeout),
            "the watchdog unparked a wait that had deregistered"
        );
        me.unpark();
        assert_eq!(done_rx.recv_timeout(Duration::from_secs(30)), Ok(()));
        coroutine.join().unwrap();
    }
}
