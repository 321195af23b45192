//! The timer for coroutine waits with a deadline: one OS thread that unparks
//! each timed waiter when its deadline comes.
//!
//! A timed coroutine wait parks with no timeout of its own (only the fixed
//! rescue timeout of [`parker::park`]) and registers here for as long as it
//! waits ([`watch`]). The timer thread sleeps until the earliest registered
//! deadline, then unparks every wait whose deadline has passed; the
//! waiter's loop sees its deadline passed and returns. An unpark is sent only while the wait is registered (both sides
//! hold the timer's lock), so it lands in that wait. The one leftover: an
//! unpark sent after the wait's last park returned (it was woken by a peer
//! at its deadline) but before it deregistered leaves the park's token set,
//! so the coroutine's next park returns at once: a spurious wake-up, which
//! every park in this crate absorbs. (may can lose this unpark as it can
//! lose any; the park's rescue timeout then ends the wait late, by at most
//! one rescue period.)
//!
//! # Why not may's `park_timeout` for deadlines
//! may 0.3.51's timer thread keeps one list per distinct timeout duration
//! and, once it holds more than 1,024 of them (`HASH_CAP` in may's
//! `timeout_list.rs`), drops each list that a timer expiry leaves empty
//! (`TimeOutList::schedule_timer`). Dropping the list frees its last node
//! (`may_queue::mpsc_list_v1::Queue::drop`) although the timed-out park
//! still holds that node's handle and has just queued it for removal
//! (`Park::remove_timeout_handle`); the removal then works on freed memory,
//! which by then is usually a new timer node, and corrupts its reference
//! count. may's timer thread dies on `assertion failed: old &
//! REF_COUNT_MASK != 0`, and from then on no may timer fires in the process
//! (`may::coroutine::sleep` never returns). A process reaches 1,024
//! durations easily: waits re-park with the time that remains, in whole
//! milliseconds. So the crate owns its timer for deadlines, and gives may
//! only the parker's seven fixed rescue durations.
//! (may's timer also arms a park's timeout before storing the coroutine it
//! wakes, so a worker preempted in between for longer than the timeout loses
//! it altogether. A rescue is lost that way only when such a preemption
//! outlasts the rescue period *and* may lost the unpark of that very park.)
//!
//! The thread also drops the coroutine parks that a cancelled coroutine left
//! behind ([`release`]; see `parker`).

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, OnceLock};
use std::time::Instant;

use super::parker::CoroutinePark;
use crate::sync::global::{Mutex, MutexGuard, lock};

/// A registered wait: its deadline, then a number that tells apart waits
/// with the same deadline.
type Key = (Instant, u64);

#[derive(Default)]
struct State {
    /// The registered waits, earliest deadline first.
    waits: BTreeMap<Key, Arc<CoroutinePark>>,
    /// The number the next registration gets.
    next: u64,
    /// Parks to drop on this thread (see [`release`]).
    releases: Vec<Arc<CoroutinePark>>,
}

struct Timer {
    state: Mutex<State>,
    /// Signalled when a registration becomes the earliest, and on a release.
    work: Condvar,
}

fn timer() -> &'static Timer {
    static TIMER: OnceLock<Timer> = OnceLock::new();
    TIMER.get_or_init(|| {
        std::thread::Builder::new()
            .name("may_channel-timer".into())
            .spawn(run)
            .expect("spawning the coroutine timer thread");
        Timer {
            state: Mutex::new(State::default()),
            work: Condvar::new(),
        }
    })
}

/// Registration of a timed coroutine wait; deregisters when dropped (also
/// when a cancel unwinds out of the wait).
pub(crate) struct Watch(Key);

/// Registers a timed wait on `park` (the current coroutine's) until
/// `deadline`: from then on the timer unparks it once the deadline passes.
pub(crate) fn watch(park: &Arc<CoroutinePark>, deadline: Instant) -> Watch {
    let timer = timer();
    let mut state = lock(&timer.state);
    let key = (deadline, state.next);
    state.next = state.next.wrapping_add(1);
    state.waits.insert(key, Arc::clone(park));
    if state.waits.keys().next() == Some(&key) {
        // The new earliest deadline: the thread may be asleep until a later one.
        timer.work.notify_one();
    }
    Watch(key)
}

impl Drop for Watch {
    fn drop(&mut self) {
        // Under the lock: after this, no unpark is sent for this wait. (The
        // timer may have removed it already, when it unparked it.)
        let removed = lock(&timer().state).waits.remove(&self.0);
        // Dropped outside the lock; never the last reference (the waiter
        // holds one).
        drop(removed);
    }
}

/// Drops `park` on the timer thread. For a park that may be the frame below
/// the caller (see `parker`): on this thread, may's `Park::drop` waits until
/// the worker has left that frame.
pub(crate) fn release(park: Arc<CoroutinePark>) {
    let timer = timer();
    lock(&timer.state).releases.push(park);
    timer.work.notify_one();
}

fn wait<'a>(
    timer: &Timer,
    state: MutexGuard<'a, State>,
    until: Option<Instant>,
) -> MutexGuard<'a, State> {
    match until {
        None => match timer.work.wait(state) {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        },
        Some(until) => {
            let timeout = until.saturating_duration_since(Instant::now());
            match timer.work.wait_timeout(state, timeout) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            }
        }
    }
}

/// The timer thread's loop.
fn run() {
    // The timer is being initialised by the thread that spawned us; wait for
    // it through the `OnceLock`.
    let timer = timer();
    let mut state = lock(&timer.state);
    loop {
        if !state.releases.is_empty() {
            let releases = std::mem::take(&mut state.releases);
            // Outside the lock: a drop may wait for a worker (see `release`).
            drop(state);
            drop(releases);
            state = lock(&timer.state);
            continue;
        }
        let now = Instant::now();
        let mut due = Vec::new();
        while let Some(entry) = state.waits.first_entry() {
            if entry.key().0 > now {
                break;
            }
            // Under the lock: the wait is still registered (see the module
            // docs).
            let park = entry.remove();
            park.unpark();
            due.push(park);
        }
        if !due.is_empty() {
            // Dropped outside the lock, as in `release`: one of them may be
            // the last reference.
            drop(state);
            drop(due);
            state = lock(&timer.state);
            continue;
        }
        let next = state.waits.keys().next().map(|&(deadline, _)| deadline);
        state = wait(timer, state, next);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::super::parker;
    use super::*;

    #[test]
    fn a_registered_wait_is_unparked_at_its_deadline() {
        // Parked with no timeout, and registered with a deadline already
        // passed: only the timer can end the park.
        let (done_tx, done_rx) = mpsc::channel();
        let coroutine = may::go!(move || {
            let park = parker::current();
            let registered = watch(&park, Instant::now());
            // The longest rescue period (64 s) is beyond the test's 30 s
            // patience, so only the timer ends this park in time.
            let last = parker::park(&park, u32::MAX);
            parker::leave_nested(&park, last);
            drop(registered);
            let _ = done_tx.send(());
        });
        assert_eq!(
            done_rx.recv_timeout(Duration::from_secs(30)),
            Ok(()),
            "the timer never unparked a wait past its deadline"
        );
        coroutine.join().unwrap();
    }

    #[test]
    fn a_wait_that_deregistered_is_left_alone() {
        let (done_tx, done_rx) = mpsc::channel();
        let (park_tx, park_rx) = mpsc::channel();
        let coroutine = may::go!(move || {
            let park = parker::current();
            drop(watch(&park, Instant::now() + Duration::from_millis(1)));
            let _ = park_tx.send(Arc::clone(&park));
            // As above: a rescue would come after the test's 100 ms check.
            let last = parker::park(&park, u32::MAX);
            parker::leave_nested(&park, last);
            let _ = done_tx.send(());
        });
        let park = park_rx.recv().expect("the coroutine runs");
        // Well past the deadline: an unpark of a deregistered wait would end
        // the park (this can only pass by luck if the timer is slow, never
        // fail by luck).
        assert_eq!(
            done_rx.recv_timeout(Duration::from_millis(100)),
            Err(mpsc::RecvTimeoutError::Timeout),
            "the timer unparked a wait that had deregistered"
        );
        park.unpark();
        assert_eq!(done_rx.recv_timeout(Duration::from_secs(30)), Ok(()));
        coroutine.join().unwrap();
    }
}
