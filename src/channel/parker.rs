//! How a coroutine parks: on a may park of the crate's own, one per
//! coroutine, that is never dropped where may 0.3.51 would hang on it, and
//! with a rescue timeout that resumes a coroutine whose wake-up may lost.
//!
//! # The may hazards
//! *Nested resumption.* may resumes a coroutine *nested* inside
//! `Park::subscribe` when an unpark lands while that call is still
//! registering the park (its "fast wake-up"); `subscribe` holds the park's
//! "kernel busy" flag until it returns, and `Park::drop` spins (`yield_now`)
//! until the flag is clear. A coroutine that finishes inside that nested
//! resumption, and so drops the park there, spins for ever: it never returns
//! to the frame that would clear the flag, and the worker thread hangs. A
//! coroutine leaves the nested frame by yielding once (`subscribe` returns,
//! the flag clears), but a *cancelled* coroutine cannot yield: may's
//! `yield_now` sees the cancel flag and unwinds in place.
//!
//! *Lost unparks.* `Park::subscribe` stores the suspended coroutine
//! (`wait_co`, a Release store) and then loads the park's `state`; `unpark`
//! swaps `state` and then takes `wait_co`. That is a store-buffer pair
//! without `SeqCst` on the subscriber's side, and x86 lets a load pass an
//! earlier store: the subscriber reads the old `state` (no unpark yet) while
//! its store still sits in the store buffer, and the unparker's take finds no
//! coroutine. Both sides then conclude that the other will act; the
//! coroutine stays suspended with its park's token set, so every later
//! unpark is a no-op. The select storm (`tests/select_storm.rs`) hit this
//! about one run in five on a 2-core machine; the waiter was selected and
//! its coroutine never resumed. Only may's timer can resume such a coroutine
//! (it holds `wait_co` too), so every park here carries a *rescue timeout*
//! ([`rescue_after`]): the park returns when it fires, and the caller's
//! loop, which re-checks its own condition after every return, finds the
//! wake-up it was sent. A lost unpark thus costs at most one rescue period
//! instead of the coroutine.
//!
//! The rescue periods are few and fixed (1 s, doubled up to six times): may
//! 0.3.51's timer keeps one list per distinct duration and misbehaves once
//! it holds more than 1,024 of them (`timer`), so the crate never hands may
//! a duration computed from a deadline; deadlines are the crate timer's
//! business. A wait that has parked `round` times before parks with the
//! period of that round, so an idle waiter's rescues grow rare (one a
//! minute) while a wait that is woken soon, the one exposed to the race, is
//! rescued within a second. Every park arms and removes a may timer, and
//! every expiry resumes a coroutine on may's timer thread, so the periods
//! are long: rescues are for faults, not for pacing.
//!
//! # What the crate does
//! Parking uses a `may::sync::Blocker` of the crate's own ([`CoroutinePark`]),
//! not the coroutine's built-in park, made on the coroutine's first wait and
//! kept in coroutine-local storage. The crate is the only party that parks on
//! it, so only the crate's parks can leave a coroutine nested in its
//! `subscribe`. [`park`] marks the park *possibly nested* before it parks;
//! the wait then yields once ([`leave_nested`]), which clears the mark. Only
//! a coroutine that unwinds between the two (a cancel raised at the park or
//! at that yield) ends with the mark set, and then the coroutine-local
//! storage, dropped by may when the coroutine finishes (possibly inside the
//! nested frame), hands its reference to the crate's timer thread
//! ([`timer::release`]) instead of dropping it in place. On that OS thread
//! may's `Park::drop` waits for the worker to leave the nested frame, which
//! it does as soon as the finished coroutine's resumption returns.
//!
//! The coroutine's built-in park (`may::coroutine::park`) is untouched, so
//! the coroutine's own handles can be dropped anywhere.

use std::sync::Arc;
use std::time::Duration;

use super::timer;
use crate::sync::{AtomicBool, Ordering};

/// The park a coroutine's blocking operations use, shared by its waiters
/// (and the timer, for a timed wait) while they wait.
pub(crate) struct CoroutinePark {
    blocker: may::sync::Blocker,
    /// Set from just before a park until the wait has yielded once after it:
    /// while set, may may be running the coroutine nested inside this park's
    /// `subscribe`, so the park must not be dropped on this worker.
    possibly_nested: AtomicBool,
}

impl CoroutinePark {
    /// Makes the waiting coroutine runnable again (or lets its next park
    /// return at once). Callable from any thread.
    pub(crate) fn unpark(&self) {
        self.blocker.unpark();
    }
}

/// Owns the coroutine's park in coroutine-local storage; dropped by may when
/// the coroutine finishes. `None` only while it is being dropped.
struct Slot(Option<Arc<CoroutinePark>>);

impl Drop for Slot {
    fn drop(&mut self) {
        let Some(park) = self.0.take() else { return };
        // Relaxed: only the coroutine itself writes the mark, and may's
        // scheduling orders its writes before this drop (run by the worker
        // that resumed it last, after it finished).
        if park.possibly_nested.load(Ordering::Relaxed) {
            // Moved, not cloned: the reference dropped here could otherwise
            // be the last one.
            timer::release(park);
        }
    }
}

may::coroutine_local! {
    static PARK: Slot = Slot(Some(Arc::new(CoroutinePark {
        // Cancellation is checked at the park (may raises the cancel panic
        // there), as with `may::coroutine::park`.
        blocker: may::sync::Blocker::new(false),
        possibly_nested: AtomicBool::new(false),
    })))
}

/// The current coroutine's park (made on its first call). Call only in a
/// coroutine.
pub(crate) fn current() -> Arc<CoroutinePark> {
    PARK.with(|slot| Arc::clone(slot.0.as_ref().expect("set until the slot is dropped")))
}

/// Parks the current coroutine, `park` being its own (from [`current`]),
/// until it is unparked or its rescue period for `round` (the number of
/// times this wait parked before) has passed; may also returns early (a
/// spurious wake-up), and a cancel unwinds out of it. The caller re-checks
/// its condition after every return, and must call [`leave_nested`] once it
/// has stopped parking.
pub(crate) fn park(park: &CoroutinePark, round: u32) -> Resumed {
    // Relaxed: read only by this coroutine (and its slot's drop; see `Slot`).
    park.possibly_nested.store(true, Ordering::Relaxed);
    // A timeout is the rescue, or a rescue timer of an earlier park of this
    // park that may had not removed yet; a cancel seen while already
    // unwinding returns at once. To the caller's loop, all are spurious
    // wake-ups.
    match park.blocker.park(Some(rescue_after(round))) {
        Err(may::coroutine::ParkError::Timeout) => Resumed::ByTimer,
        Ok(()) | Err(may::coroutine::ParkError::Canceled) => Resumed::InPlace,
    }
}

/// How a [`park`] returned, which tells [`leave_nested`] whether the
/// coroutine may be running nested inside the park's registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Resumed {
    /// Unparked (or cancelled): possibly nested.
    InPlace,
    /// Resumed by may's timer thread, from its expiry handler: not nested.
    ByTimer,
}

/// The most doublings of the rescue period: 1 s doubled six times is 64 s.
const MAX_RESCUE_ROUND: u32 = 6;

/// The rescue timeout of a park that its wait has parked `round` times before
/// (see "Lost unparks" in the module docs): 1 s, doubling each round, at most
/// [`MAX_RESCUE_ROUND`] doublings. Seven distinct durations in all.
pub(crate) fn rescue_after(round: u32) -> Duration {
    Duration::from_secs(1 << round.min(MAX_RESCUE_ROUND))
}

/// Leaves a nested resumption of the coroutine's park by yielding once, then
/// clears the mark (see the module docs); `last` is how the wait's last park
/// returned. A cancel raised by the yield unwinds from here with the mark
/// still set, as it must.
///
/// A coroutine that may's timer resumed runs on may's timer thread, called
/// from its expiry handler rather than from inside the park's `subscribe`,
/// so it has no nested frame to leave; it does not yield, because a yield
/// off a worker thread puts the coroutine on may's global queue, which a
/// worker serves only once its local queue is empty. (With that yield, one
/// rescued coroutine stalled a one-worker select storm for over a minute
/// while its peers kept the local queue busy.)
pub(crate) fn leave_nested(park: &CoroutinePark, last: Resumed) {
    if last == Resumed::InPlace {
        may::coroutine::yield_now();
    }
    // Relaxed: as in `park`.
    park.possibly_nested.store(false, Ordering::Relaxed);
}
