//! Explicit close: the count of sends in flight that lets a receiver decide
//! "closed and drained" without losing a racing send.
//!
//! # The race
//!
//! `close()` sets the channel's `disconnected` flag while other senders may
//! be sending. A sender that checks the flag and then pushes can pass the
//! check just before `close()`; if a receiver then finds the queue empty and
//! reports `Disconnected`, the push lands after the receivers stopped, and a
//! message the sender was told was sent is never received. The queues are
//! crossbeam's (they cannot be closed atomically with their tail), so the
//! core brackets every store instead.
//!
//! # The protocol
//!
//! - A send *enters* (`fetch_add` on its stripe, `SeqCst`), loads the flag
//!   (`SeqCst`), and stores only if the flag is clear; then it *leaves*
//!   (`fetch_sub`, `Release`), also when it refused.
//! - `close()` sets the flag with a `SeqCst` swap.
//! - A receiver that finds the queue empty and the flag set (`SeqCst` load)
//!   waits until every stripe reads 0 (`SeqCst` loads, so also `Acquire`),
//!   then pops once more; only if that pop is empty does it report
//!   `Disconnected`.
//!
//! Why no message is lost: take a send `S` whose flag load read "open", and a
//! receiver `R` that read the flag set and then read `S`'s stripe. All these
//! operations are `SeqCst`, so they sit in one total order consistent with
//! each location's modification order. `S`'s flag load read "open", so it
//! precedes the swap in that order; the swap precedes `R`'s flag load, which
//! precedes `R`'s stripe load (program order). So `S`'s increment, which
//! precedes its flag load, precedes `R`'s stripe load, and that load sees the
//! increment or a later value of the stripe. `R` waits for 0, so the value it
//! finally reads is written by `S`'s decrement or by an RMW after it; RMWs
//! continue the release sequence headed by `S`'s `Release` decrement, so the
//! decrement synchronizes with `R`'s load and `S`'s push (before the
//! decrement) happens before `R`'s last pop, which therefore finds it (or a
//! receiver already took it). A send whose increment comes after `R`'s stripe
//! load comes after the swap too, so its flag load reads "closed" and it
//! hands its message back.
//!
//! Reading the stripes one after the other is enough: a stripe read as 0
//! before a send incremented it belongs to a send that comes after the
//! swap, as just shown, and that send refuses.
//!
//! A send stays "in flight" only for one non-blocking store attempt (never
//! across a park, and never while user code such as a `Drop` runs), so the
//! receiver's wait is short: it spins, then yields the thread. In a may
//! coroutine an in-flight send cannot be on the receiver's own worker (the
//! store attempt never yields), so the wait cannot deadlock there either.
//!
//! # Cost
//!
//! Two uncontended atomic RMWs per send on a cache line private to the
//! sending thread (stripes are indexed by the thread's dense index), and
//! nothing on the receive path until the channel is disconnected.

use crossbeam_utils::{Backoff, CachePadded};

use crate::placement::{PerWorker, Placement};
use crate::sync::{AtomicUsize, Ordering};

/// The most stripes a channel allocates.
const MAX_STRIPES: usize = 64;

/// A counter of sends between their flag check and the end of their store,
/// striped by thread so that senders on different threads do not share a
/// cache line.
pub(crate) struct InFlight {
    stripes: Box<[CachePadded<AtomicUsize>]>,
    /// `stripes.len() - 1`; the length is a power of two.
    mask: usize,
}

impl InFlight {
    /// One stripe per CPU (rounded up to a power of two, at most
    /// `MAX_STRIPES`).
    pub(crate) fn new() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let count = cpus.next_power_of_two().min(MAX_STRIPES);
        let stripes = (0..count)
            .map(|_| CachePadded::new(AtomicUsize::new(0)))
            .collect::<Box<[_]>>();
        Self {
            mask: count - 1,
            stripes,
        }
    }

    /// Marks a send as in flight until the returned guard drops.
    #[inline]
    pub(crate) fn enter(&self) -> InFlightGuard<'_> {
        // `PerWorker`'s home is the calling thread's dense index.
        let stripe = &self.stripes[PerWorker.home() & self.mask];
        // SeqCst: the first half of the store-buffer pair with `close`'s
        // swap (see the module docs); it must precede the flag load.
        stripe.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(stripe)
    }

    /// Waits until no send is in flight. Called only by receivers that saw
    /// the channel disconnected (with a `SeqCst` load).
    pub(crate) fn wait_idle(&self) {
        let backoff = Backoff::new();
        // SeqCst: ordered after the caller's `SeqCst` flag load (see the
        // module docs); as an acquire it also makes the push of every send
        // whose decrement it reads visible.
        while self
            .stripes
            .iter()
            .any(|stripe| stripe.load(Ordering::SeqCst) != 0)
        {
            backoff.snooze();
        }
    }
}

/// One send in flight; leaves on drop (also on unwind, so a receiver never
/// waits for a send that is gone).
pub(crate) struct InFlightGuard<'a>(&'a AtomicUsize);

impl Drop for InFlightGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // Release: the store this send made happens before the receiver's
        // acquire load that reads this decrement (or a later RMW of the
        // stripe, which continues the release sequence).
        self.0.fetch_sub(1, Ordering::Release);
    }
}
