//! Explicit close: the marks of sends in flight that let a receiver decide
//! "closed and drained" without losing a racing send.
//!
//! # The race
//!
//! `close()` sets the channel's `disconnected` flag while other senders may
//! be sending. A sender that checks the flag and then pushes can pass the
//! check just before `close()`; if a receiver then finds the queue empty and
//! reports `Disconnected`, the push lands after the receivers stopped, and a
//! message the sender was told was sent is never received. The crate's ring
//! and list close atomically with their tail ("Queues that close
//! themselves", below), and the rendezvous meeting place closes itself too;
//! for every other queue (a custom one, the priority and work-stealing
//! compositions, the lending ring) the core brackets every store instead.
//!
//! # The protocol (the bracket)
//!
//! Every OS thread owns a *mark* (a cache-padded word, leased from a global
//! registry for the thread's life): the address of the channel it is
//! storing into, or 0.
//!
//! - A send *enters* by swapping its channel's address into its thread's mark
//!   (`SeqCst`), loads the flag (`SeqCst`), and stores only if the flag is
//!   clear; then it *leaves* by storing 0 into the mark (`Release`), also
//!   when it refused.
//! - `close()` sets the flag with a `SeqCst` swap.
//! - A receiver that finds the queue empty and the flag set (`SeqCst` load)
//!   waits until no registered mark holds this channel (`SeqCst` loads, so
//!   also `Acquire`), then pops once more; only if that pop is empty does it
//!   report `Disconnected`.
//!
//! Why no message is lost: take a send `S` whose flag load read "open", and a
//! receiver `R` that read the flag set and then read `S`'s mark. All these
//! operations are `SeqCst`, so they sit in one total order consistent with
//! each location's modification order. `S`'s flag load read "open", so it
//! precedes the swap in that order; the swap precedes `R`'s flag load, which
//! precedes `R`'s mark load (program order). So `S`'s mark swap, which
//! precedes its flag load, precedes `R`'s mark load, and that load sees the
//! swap or a later value of the mark. `R` waits until the mark holds
//! something else, which only `S`'s thread writes after `S` left: its
//! `Release` store of 0, or a later store or swap, all sequenced after `S`'s
//! push and all releases (a swap also continues the release sequence). So
//! `S`'s push happens before `R`'s last pop, which therefore finds it (or a
//! receiver already took it). A send whose swap comes after `R`'s mark load
//! comes after the flag swap too, so its flag load reads "closed" and it
//! hands its message back.
//!
//! `R` reads the marks one after the other, walking the list of every mark
//! ever made (`ALL_MARKS`, to which marks are only ever added, never
//! removed, so the walk takes no lock and allocates nothing). A mark read
//! before its send swapped it in belongs to a send that comes after the flag
//! swap, as just shown. A mark added after `R` loaded the list's first node
//! is missed, but that is harmless: the list's store and `R`'s load are both
//! `SeqCst`, so `R`'s load, which read an older node, precedes the store in
//! the single total order; the store precedes the new thread's first mark
//! swap and flag load (program order); and `R`'s flag load, which read
//! "closed", precedes `R`'s list load. So the new thread's flag load comes
//! after a load that read "closed" and reads it too.
//!
//! A send stays "in flight" only for one non-blocking store attempt (never
//! across a park, and never while user code such as a `Drop` runs), so the
//! receiver's wait is short: it spins, then yields the thread. In a may
//! coroutine an in-flight send cannot be on the receiver's own worker (the
//! store attempt never yields), so the wait cannot deadlock there either.
//! For the same reason a thread is never in flight on two channels at once,
//! so one mark per thread is enough. A send made while its thread's
//! thread-local storage is being torn down (from another thread-local's
//! destructor) falls back to a per-channel counter (`fetch_add` /
//! `fetch_sub`, the same argument with the counter in place of the mark).
//!
//! The mark is the thread's, not the coroutine's, and a may coroutine may
//! resume on another worker thread after any park. So a send looks its mark
//! up anew each time it enters, through a function the compiler cannot
//! inline (`current_mark`), and keeps it only until it leaves, with no park
//! in between. (Inlined, the thread-local's address was computed once per
//! function and reused after a park on another worker: a send then swapped
//! and cleared another thread's mark, racing that thread's own sends, or
//! dereferenced a mark never made. DESIGN.md, "Thread-local state".)
//!
//! # Queues that close themselves
//!
//! A queue whose [`RawQueue::CLOSES`](crate::queue::RawQueue::CLOSES) is
//! `true` (the bounded ring on 64-bit targets, the unbounded list) keeps a
//! closed mark in its tail word, and its senders claim their place with a
//! CAS on that word. Such a channel brackets nothing (`Shared::admit` only
//! checks the flag, `Relaxed`, as a shortcut):
//!
//! - `close()` sets the flag (`SeqCst` swap), then closes the queue; from
//!   then on every store that has not claimed its place is refused, and the
//!   sender reads the flag to report "disconnected" (the queue's `Release`
//!   mark and the sender's `Acquire` read of it make the flag visible).
//! - A receiver that finds the channel empty and the flag set closes the
//!   queue itself (idempotent: the closing thread may not have got there),
//!   then pops until the queue has nothing left, waiting (spinning, then
//!   yielding) while a store that claimed its place before the mark is still
//!   writing (`Shared::last_take`). Only then does it report `Disconnected`.
//!
//! Why no message is lost: a store that claimed its place did so before the
//! mark in the tail's modification order, so the receiver, which reads the
//! tail after its own close (or one it saw), counts that place, and waits
//! until it was written and popped; a store that had not claimed its place
//! is refused and hands its message back. Why the wait is short: a store
//! claims and writes inside one non-blocking call, never across a park or
//! user code, as for the bracket below. (A ring slot *reserved* by a
//! select's send branch does span user code: it is counted as lent, see
//! below, and a receiver parks for it instead of waiting.)
//!
//! # Lent slots (zero-copy)
//!
//! A [`SendRef`](crate::zerocopy::SendRef) is a store in two steps: its slot
//! is claimed when the guard is made and published when user code drops it,
//! which may be after `close()`. The claim goes through the bracket like
//! every store (`Shared::admit`), and inside it the slot queue counts the
//! slot as lent (`SlotQueue::claim_lent`, a `Relaxed` increment). The
//! guard's drop publishes the slot, decrements the count (`Release`), then
//! issues a `SeqCst` fence and wakes the receivers, all of them once the
//! channel is disconnected (`Shared::lent_published`). A receiver that found
//! the channel closed and empty and waited the marks out then loads the count
//! (`Acquire`); only if it reads 0 does it pop once more and report
//! `Disconnected`. Otherwise it reports `Empty`, or parks.
//!
//! Why no lent message is lost: take a claim `C` whose flag load read
//! "open", and a receiver `R` that reports `Disconnected`. As above, `C`'s
//! increment, sequenced before its mark is cleared, happens before `R`'s
//! load of the count, so that load reads the increment or a later value. A
//! slot's decrement comes after its increment in the count's modification
//! order (the increment happens before it), so a value of 0 at or after
//! `C`'s increment means `C`'s decrement came before it. That decrement is a
//! release sequenced after `C`'s publish, and every later change of the count
//! is an RMW (which continues its release sequence), so `R`'s acquire load
//! synchronises with it: `C`'s publish happens before `R`'s last pop, which
//! finds the message (or a receiver already took it). A claim whose flag
//! load read "closed" is refused before it claims, as any send is.
//!
//! Why a receiver that read a non-zero count is not stranded: a blocking
//! receiver links its waiter, issues a `SeqCst` fence and retries before it
//! parks; the guard decrements, then issues its fence and looks for waiters.
//! Whichever fence comes second sees the other side (waker invariant 4):
//! the retry reads the decrement, or the guard finds the receiver linked.
//! The guard wakes *every* receiver once the channel is disconnected: after
//! the last lent slot lands, one receiver takes its message and each other
//! one must retry to see the channel drained, and no later event would wake
//! them. (That load of the flag reads "closed" whenever a receiver parked on
//! the slot: see `lent_published`.) A select treats a head slot that a
//! sender still holds as "not ready" (`RawQueue::head_held_by_sender`;
//! after a close, while a slot is lent), so it parks on the same wake-up
//! instead of retrying.
//!
//! The receiver never *waits* for a lent slot inside the bracket's wait:
//! the guard lands when user code drops it, so the receiver parks (or answers
//! `Empty`) like one waiting for any message. Only lending queues count lent
//! slots; for the others `lent_slots` is the constant 0.
//!
//! # Cost
//!
//! Queues that close themselves: nothing per send beyond a relaxed load of
//! the flag. The bracket, for all other queues:
//!
//! One atomic swap on a cache line owned by the sending thread and one plain
//! release store per send (rather than a shared in-flight counter, which
//! would take two read-modify-writes on a line every sender shares), and
//! nothing on the receive path until the channel is disconnected. The receiver's wait reads every thread's mark, but only
//! once the channel is disconnected and empty.

use crossbeam_utils::{Backoff, CachePadded};

use crate::sync::global::{self, Mutex};
use crate::sync::{AtomicUsize, Ordering};

/// One thread's mark: the address of the channel it is storing into, or 0;
/// and the mark made before it, for the walk over all of them.
pub(crate) struct MarkNode {
    mark: AtomicUsize,
    /// Set before the node is published, never changed.
    older: *const Mark,
}

type Mark = CachePadded<MarkNode>;

// SAFETY: `older` is written once, before the node is published (a `SeqCst`
// store of `ALL_MARKS`, which releases it), and only read afterwards; it
// points to another leaked, immortal node (or is null).
unsafe impl Sync for MarkNode {}
// SAFETY: as above; the node owns nothing.
unsafe impl Send for MarkNode {}

/// The newest mark ever made; each links to the one made before it. Marks
/// are leaked on purpose (a receiver may read one at any time) and reused by
/// later threads, so there are at most as many as threads alive at once.
/// Only `Lease::take`, under `REGISTRY`'s lock, stores here. A plain `std`
/// atomic, like the mutex: it is a `static`.
static ALL_MARKS: std::sync::atomic::AtomicPtr<Mark> =
    std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());

/// The marks whose thread has ended, for the next thread to lease. A plain
/// `std` mutex (not the `sync` shim): it is a `static`, and only thread
/// start and thread end take it.
static REGISTRY: Mutex<Vec<&'static Mark>> = Mutex::new(Vec::new());

/// Every mark ever made, newest first.
fn all_marks() -> impl Iterator<Item = &'static Mark> {
    // SeqCst: see the module docs (a mark added after this load belongs to
    // a thread whose first send sees the channel closed).
    let newest = ALL_MARKS.load(std::sync::atomic::Ordering::SeqCst);
    // SAFETY: every node in the list is leaked, never freed, and was
    // initialised before it was published (the load above acquires it).
    let first = unsafe { newest.as_ref() };
    std::iter::successors(first, |node| {
        // SAFETY: as above; `older` was set before its node was published.
        unsafe { node.older.as_ref() }
    })
}

/// The calling thread's lease on a mark; returns it when the thread ends.
struct Lease(&'static Mark);

impl Lease {
    fn take() -> Self {
        let mut free = global::lock(&REGISTRY);
        let mark = free.pop().unwrap_or_else(|| {
            // Under the lock, so no other node is being added meanwhile.
            let older = ALL_MARKS.load(std::sync::atomic::Ordering::Relaxed);
            let mark: &'static Mark = Box::leak(Box::new(CachePadded::new(MarkNode {
                mark: AtomicUsize::new(0),
                older,
            })));
            // SeqCst: see the module docs; it also releases the node.
            ALL_MARKS.store(
                std::ptr::from_ref(mark).cast_mut(),
                std::sync::atomic::Ordering::SeqCst,
            );
            mark
        });
        Self(mark)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        global::lock(&REGISTRY).push(self.0);
    }
}

thread_local! {
    static LEASE: Lease = Lease::take();
}

/// The calling thread's mark, or `None` while its thread-local storage is
/// being torn down.
///
/// Out of line on purpose, and the only place that touches `LEASE`: the
/// compiler treats a thread-local's address as fixed for the length of a
/// function, so where this lookup is inlined into a function that also
/// parks (a blocking send loop, a user's coroutine body into which
/// `select!`'s send path is inlined), it computes the address once and
/// reuses it after `park` returns, when a may coroutine may be running on
/// another worker thread: the send would then use (and clear) another
/// thread's mark. A call that the caller cannot see into, whose result
/// passes through `black_box`, is looked up anew every time.
#[inline(never)]
fn current_mark() -> Option<&'static Mark> {
    std::hint::black_box(LEASE.try_with(|lease| lease.0).ok())
}

/// A channel's side of the protocol: its address names it in the marks, and
/// a counter serves sends made while thread-local storage is gone.
pub(crate) struct InFlight {
    fallback: AtomicUsize,
}

impl InFlight {
    pub(crate) fn new() -> Self {
        Self {
            fallback: AtomicUsize::new(0),
        }
    }

    /// This channel's name in the marks: its (non-zero) address, stable
    /// since the state lives in an `Arc`.
    fn id(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// Marks a send as in flight until the returned guard drops.
    #[inline]
    pub(crate) fn enter(&self) -> InFlightGuard<'_> {
        match current_mark() {
            Some(mark) => {
                // SeqCst: the first half of the store-buffer pair with
                // `close`'s swap (see the module docs); it must precede the
                // flag load.
                let before = mark.mark.swap(self.id(), Ordering::SeqCst);
                let guard = InFlightGuard::Marked(mark);
                if before != 0 {
                    // Checked in every build (one compare of a value the
                    // swap already returned): a second send in flight on
                    // this thread would mean a mark used from the wrong
                    // thread, and receivers would stop waiting for it.
                    mark_in_use(before);
                }
                guard
            }
            None => {
                // SeqCst: as the swap above.
                self.fallback.fetch_add(1, Ordering::SeqCst);
                InFlightGuard::Counted(&self.fallback)
            }
        }
    }

    /// Waits until no send is in flight on this channel. Called only by
    /// receivers that saw the channel disconnected (with a `SeqCst` load).
    pub(crate) fn wait_idle(&self) {
        let id = self.id();
        let backoff = Backoff::new();
        // SeqCst: ordered after the caller's `SeqCst` flag load (see the
        // module docs); as an acquire it also makes the push of every send
        // whose leaving it reads visible.
        while self.fallback.load(Ordering::SeqCst) != 0
            || all_marks().any(|node| node.mark.load(Ordering::SeqCst) == id)
        {
            backoff.snooze();
        }
    }
}

#[cold]
#[inline(never)]
fn mark_in_use(channel: usize) -> ! {
    panic!(
        "may_channel bug: this thread's in-flight mark already names channel {channel:#x} \
         (a thread is in flight on one channel at a time)"
    )
}

/// One send in flight; leaves on drop (also on unwind, so a receiver never
/// waits for a send that is gone).
pub(crate) enum InFlightGuard<'a> {
    Marked(&'static Mark),
    Counted(&'a AtomicUsize),
}

impl Drop for InFlightGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        match self {
            // Release: the store this send made happens before the
            // receiver's acquire load that reads this (or any later) value
            // of the mark; every later write to it is a release too.
            InFlightGuard::Marked(mark) => mark.mark.store(0, Ordering::Release),
            // Release: as above; later RMWs continue the release sequence.
            InFlightGuard::Counted(count) => {
                count.fetch_sub(1, Ordering::Release);
            }
        }
    }
}
