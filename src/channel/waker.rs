//! Waiter lists: how a blocked operation is found and woken.
//!
//! A blocked operation puts a [`Waiter`] on its own stack, links it into a
//! [`WaitList`] and parks. A peer that makes progress (a push, a pop, a
//! disconnect) unlinks one waiter (or all) and unparks it. No allocation
//! happens per wait: the thread or coroutine handle in the waiter is a
//! reference-counted clone.
//!
//! # Invariants
//! 1. A waiter is linked into or unlinked from a list only under the list's
//!    lock, and `waiting` equals the number of linked waiters whenever the
//!    lock is free.
//! 2. A waiter's `state` leaves `WAITING` exactly once, by compare-and-swap:
//!    either a notifier *selects* it (storing the token it was linked with)
//!    or its owner *claims* it (`CLAIMED`, "I no longer want a wake-up").
//!    Whoever wins the CAS owns the outcome: a notifier that loses skips the
//!    waiter and wakes the next one, so a wake-up is never spent on a waiter
//!    that does not need it.
//! 3. A notifier selects and unparks a waiter before releasing the lock, and a
//!    waiter's owner takes the lock (through [`Registration::finish`],
//!    [`Registration::abandon`] or the registration's `Drop`) before the
//!    waiter's stack frame ends. So no notifier touches a dead frame.
//! 4. Lost wake-ups are excluded by a store-buffer (Dekker) pair of `SeqCst`
//!    fences: the waiter links itself, issues a fence, then re-checks its
//!    condition; the peer changes the condition, issues a fence, then reads
//!    `waiting`. Whichever fence comes second in the single total order of
//!    `SeqCst` fences sees the other side's write: either the peer sees the
//!    waiter linked and wakes it, or the waiter's re-check sees the change.
//!    A peer whose change began with a `SeqCst` read-modify-write that the
//!    waiter's re-check reads (a queue with `RawQueue::CLAIMS_SEQCST`: the
//!    claim) skips its fence and reads `waiting` with `SeqCst`
//!    ([`WaitList::notify_many_after_seqcst`]): the same argument, with the
//!    claim in the fence's place.
//! 5. A waiter whose re-check succeeds *abandons* its registration: it claims
//!    itself, and if a notifier had selected it first, it passes that wake-up
//!    on. Otherwise this interleaving would lose a wake-up: A pushes X and sees
//!    no waiter; R links and its re-check takes X; W links and parks; B pushes
//!    Y and selects R (the front), which no longer needs it; W sleeps with Y
//!    queued.

use std::collections::VecDeque;
use std::ptr::NonNull;
use std::sync::Arc;
use std::time::Instant;

use super::parker::{self, CoroutinePark};
use super::timer;
use crate::sync::{AtomicUsize, Mutex, Ordering, fence, lock};
use crate::wait::{Context, Pause, WaitStrategy};

/// One blocked operation. Lives on the stack of the operation.
pub struct Waiter {
    /// `WAITING`, `CLAIMED`, or the token of the list that selected it.
    state: AtomicUsize,
    unparker: Unparker,
}

/// The waiter still wants a wake-up.
const WAITING: usize = 0;
/// The owner gave up waiting (invariant 2).
const CLAIMED: usize = usize::MAX;
/// The token of a waiter linked into one list only.
pub(crate) const ONLY: usize = 1;

enum Unparker {
    Thread(std::thread::Thread),
    Coroutine(Arc<CoroutinePark>),
}

impl Waiter {
    pub(crate) fn new(context: Context) -> Self {
        let unparker = match context {
            Context::Thread => Unparker::Thread(std::thread::current()),
            Context::Coroutine => Unparker::Coroutine(parker::current()),
        };
        Self {
            state: AtomicUsize::new(WAITING),
            unparker,
        }
    }

    /// The token of the list that selected this waiter, if one did.
    pub(crate) fn selected(&self) -> Option<usize> {
        // Acquire pairs with the AcqRel CAS in `WaitList::wake`, so that what
        // the notifier did before selecting us is visible.
        match self.state.load(Ordering::Acquire) {
            WAITING | CLAIMED => None,
            token => Some(token),
        }
    }

    /// Claims the waiter for its owner; returns the selecting token instead
    /// if a notifier got there first.
    pub(crate) fn claim(&self) -> Result<(), usize> {
        // AcqRel: on failure we read the selecting notifier's token (Acquire,
        // as in `selected`); on success notifiers that come later fail.
        match self
            .state
            .compare_exchange(WAITING, CLAIMED, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) | Err(CLAIMED) => Ok(()),
            Err(token) => Err(token),
        }
    }

    /// Parks until selected or until `deadline` passes. Spurious wake-ups of
    /// the underlying park are absorbed here. In a coroutine, a cancel unwinds
    /// out of this call (may raises it at the park point).
    pub(crate) fn park(&self, context: Context, deadline: Option<Instant>) {
        debug_assert_eq!(
            context == Context::Coroutine,
            matches!(self.unparker, Unparker::Coroutine(_)),
            "a waiter parks in the context it was made in"
        );
        match &self.unparker {
            Unparker::Thread(_) => self.park_thread(deadline),
            Unparker::Coroutine(park) => self.park_coroutine(park, deadline),
        }
    }

    fn park_thread(&self, deadline: Option<Instant>) {
        while self.selected().is_none() {
            match deadline {
                None => std::thread::park(),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        break;
                    }
                    std::thread::park_timeout(deadline - now);
                }
            }
        }
    }

    /// A coroutine parks on its own park (`parker`), with only the fixed
    /// rescue timeouts that resume it should may lose its wake-up; the
    /// crate's timer unparks it at the deadline (`timer`). Neither may's
    /// timeouts for deadlines nor the coroutine's built-in park is used: see
    /// those modules for the may 0.3.51 faults this avoids.
    fn park_coroutine(&self, park: &Arc<CoroutinePark>, deadline: Option<Instant>) {
        let watch = deadline.map(|deadline| timer::watch(park, deadline));
        let mut rounds = 0u32;
        let mut last = None;
        while self.selected().is_none() {
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                break;
            }
            last = Some(parker::park(park, rounds));
            rounds = rounds.saturating_add(1);
        }
        // Deregistered first, so that the timer cannot unpark the yield below.
        drop(watch);
        if let Some(last) = last {
            // may may have resumed us nested inside the park's registration;
            // one yield leaves that frame before the coroutine runs on (and
            // a cancel raised here unwinds with the park marked, see
            // `parker`). A coroutine that may's timer resumed has no such
            // frame and does not yield.
            parker::leave_nested(park, last);
        }
    }

    /// Waits for a notifier while linked, as `wait` says: pauses (spins or
    /// yields) between checks, then parks until selected or `deadline`.
    /// For parties that a counterpart can only find while they are linked
    /// (rendezvous), so that most meetings need no park and unpark. A
    /// notifier that selects the waiter during the pauses still unparks it;
    /// that token makes a later park return early, which every park here
    /// absorbs.
    pub(crate) fn pause_then_park(
        &self,
        wait: &impl WaitStrategy,
        context: Context,
        deadline: Option<Instant>,
        park: &mut dyn FnMut(),
    ) {
        let mut failed = 0u32;
        loop {
            if self.selected().is_some()
                || deadline.is_some_and(|deadline| Instant::now() >= deadline)
            {
                return;
            }
            if wait.pause(failed, context) == Pause::Park {
                return park();
            }
            failed = failed.saturating_add(1);
        }
    }

    /// Selects this waiter with `token` unless it was selected or claimed
    /// already (invariant 2); the caller then owns the wake-up and must
    /// unpark it before releasing the lock its owner unlinks under.
    pub(crate) fn try_select(&self, token: usize) -> bool {
        // AcqRel: as in `WaitList::wake`.
        self.state
            .compare_exchange(WAITING, token, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Whether the waiter still wants a wake-up.
    pub(crate) fn is_waiting(&self) -> bool {
        // Relaxed: a hint for readiness checks; the selecting CAS decides.
        self.state.load(Ordering::Relaxed) == WAITING
    }

    pub(crate) fn unpark(&self) {
        match &self.unparker {
            Unparker::Thread(thread) => thread.unpark(),
            Unparker::Coroutine(park) => park.unpark(),
        }
    }
}

/// The waiters blocked on one condition of one channel.
pub struct WaitList {
    /// Number of linked waiters, readable without the lock (invariant 1).
    waiting: AtomicUsize,
    entries: Mutex<VecDeque<(NonNull<Waiter>, usize)>>,
}

// SAFETY: the pointers are dereferenced only under the lock, while valid by
// invariants 2 and 3, from any thread; `Waiter` holds only `Send + Sync` data.
unsafe impl Send for WaitList {}
// SAFETY: as for `Send`: all access to the pointers is serialised by the lock.
unsafe impl Sync for WaitList {}

impl WaitList {
    pub(crate) fn new() -> Self {
        Self {
            waiting: AtomicUsize::new(0),
            entries: Mutex::new(VecDeque::new()),
        }
    }

    /// Links `waiter` with `token` (the value it is selected with), then
    /// issues the waiter-side fence of invariant 4. The caller must re-check
    /// its condition after this returns.
    pub(crate) fn register<'a>(&'a self, waiter: &'a Waiter, token: usize) -> Registration<'a> {
        self.link(waiter, token);
        fence(Ordering::SeqCst);
        Registration { list: self, waiter }
    }

    /// Links `waiter` without the fence (for a waiter linked into several
    /// lists, which fences once after the last).
    pub(crate) fn link(&self, waiter: &Waiter, token: usize) {
        debug_assert!(token != WAITING && token != CLAIMED);
        let mut entries = lock(&self.entries);
        entries.push_back((NonNull::from(waiter), token));
        // Relaxed: the count is published by the SeqCst fence that follows
        // linking (invariant 4), and to lock holders by the mutex itself.
        self.waiting.store(entries.len(), Ordering::Relaxed);
    }

    /// Wakes the longest-waiting waiter, if any. The caller must have made its
    /// progress visible and issued `fence(SeqCst)` first (invariant 4).
    #[inline]
    pub(crate) fn notify_one(&self) {
        // Relaxed: ordered by the caller's SeqCst fence (invariant 4).
        if self.waiting.load(Ordering::Relaxed) != 0 {
            self.wake(1);
        }
    }

    /// Wakes up to `n` waiters; same preconditions as [`notify_one`](Self::notify_one).
    #[inline]
    pub(crate) fn notify_many(&self, n: usize) {
        // Relaxed: as in `notify_one`.
        if n != 0 && self.waiting.load(Ordering::Relaxed) != 0 {
            self.wake(n);
        }
    }

    /// [`notify_many`](Self::notify_many) for a caller whose progress was a
    /// `SeqCst` write instead of a write and a fence: the count is read
    /// `SeqCst`, so whichever of that write and the waiter's fence comes
    /// second in the total order sees the other side (invariant 4 with the
    /// write in place of the notifier's fence).
    #[inline]
    pub(crate) fn notify_many_after_seqcst(&self, n: usize) {
        // SeqCst: see above (a plain load on x86).
        if n != 0 && self.waiting.load(Ordering::SeqCst) != 0 {
            self.wake(n);
        }
    }

    /// Wakes every waiter; same preconditions as [`notify_one`](Self::notify_one).
    pub(crate) fn notify_all(&self) {
        // Relaxed: as in `notify_one`.
        if self.waiting.load(Ordering::Relaxed) != 0 {
            self.wake(usize::MAX);
        }
    }

    #[cold]
    fn wake(&self, n: usize) {
        let mut entries = lock(&self.entries);
        let mut woken = 0;
        while woken < n {
            let Some((waiter, token)) = entries.pop_front() else {
                break;
            };
            // SAFETY: the waiter was linked until this moment and its owner
            // cannot leave its frame without taking the lock we hold
            // (invariant 3), so the pointer is valid.
            let waiter = unsafe { waiter.as_ref() };
            // AcqRel: Release publishes our progress to the woken waiter
            // (paired with its Acquire load); Acquire orders a failed CAS
            // after the owner's claim (invariant 2).
            if waiter
                .state
                .compare_exchange(WAITING, token, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                waiter.unpark();
                woken += 1;
            }
        }
        // Relaxed: written under the lock; readers outside it are ordered by
        // the fences of invariant 4.
        self.waiting.store(entries.len(), Ordering::Relaxed);
    }

    /// Unlinks `waiter` if it is still linked (a notifier may have unlinked
    /// it already).
    pub(crate) fn unregister(&self, waiter: &Waiter) {
        let target = NonNull::from(waiter);
        let mut entries = lock(&self.entries);
        if let Some(index) = entries.iter().position(|&(entry, _)| entry == target) {
            entries.remove(index);
            // Relaxed: as in `wake`.
            self.waiting.store(entries.len(), Ordering::Relaxed);
        }
    }
}

/// The one blocking loop, shared by every operation that waits on a single
/// list (channel sends and receives, broadcast receives). Runs `attempt` until
/// it returns `Some`, asking `wait` between failures whether to retry or to
/// park; parking links a stack waiter into `list`, re-checks, and calls `park`
/// (which lets the caller bracket the park, for metrics). If the re-check
/// fails while `mid_operation` says a peer has started the operation that
/// would satisfy it but not finished it (a peer that will not look for
/// waiters when it does; see `RawQueue::CLAIMS_SEQCST`), the waiter unlinks
/// and yields instead of parking, then retries. Returns `None` once
/// `deadline` has passed. `attempt` runs at least once, so a deadline
/// already past makes this a single try.
#[inline]
pub(crate) fn block_on<R>(
    list: &WaitList,
    wait: &impl WaitStrategy,
    deadline: Option<Instant>,
    mut attempt: impl FnMut() -> Option<R>,
    mid_operation: impl Fn() -> bool,
    mut park: impl FnMut(&Waiter, Context, Option<Instant>),
) -> Option<R> {
    // The fast path, inlined into the caller: most operations complete on
    // the first attempt and never look at the clock or the calling context.
    if let Some(result) = attempt() {
        return Some(result);
    }
    wait_and_retry(
        list,
        wait,
        deadline,
        &mut attempt,
        &mid_operation,
        &mut park,
    )
}

/// [`block_on`] after its first attempt failed: kept out of line, so that
/// the fast path stays small where it is inlined.
#[inline(never)]
fn wait_and_retry<R>(
    list: &WaitList,
    wait: &impl WaitStrategy,
    deadline: Option<Instant>,
    attempt: &mut impl FnMut() -> Option<R>,
    mid_operation: &impl Fn() -> bool,
    park: &mut impl FnMut(&Waiter, Context, Option<Instant>),
) -> Option<R> {
    let context = Context::current();
    let mut failed = 0u32;
    loop {
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return None;
        }
        if wait.pause(failed, context) == Pause::Park {
            let waiter = Waiter::new(context);
            let registration = list.register(&waiter, ONLY);
            if let Some(result) = attempt() {
                registration.abandon();
                return Some(result);
            }
            if mid_operation() {
                // The peer finishes within its call, without a wake-up.
                registration.abandon();
                context.yield_now();
            } else {
                park(&waiter, context, deadline);
                registration.finish();
            }
        } else {
            failed = failed.saturating_add(1);
        }
        if let Some(result) = attempt() {
            return Some(result);
        }
    }
}

/// A waiter linked into one list. Dropping it without [`finish`] (as happens
/// when a cancelled coroutine unwinds out of its park) is an
/// [`abandon`](Self::abandon).
///
/// [`finish`]: Self::finish
pub(crate) struct Registration<'a> {
    list: &'a WaitList,
    waiter: &'a Waiter,
}

impl Registration<'_> {
    /// Unlinks the waiter after its park returned; the caller goes on to
    /// retry its operation, which is what a wake-up is for.
    pub(crate) fn finish(self) {
        self.list.unregister(self.waiter);
        std::mem::forget(self);
    }

    /// Unlinks a waiter that no longer wants a wake-up (its re-check
    /// succeeded, or it is unwinding); a wake-up already spent on it is
    /// passed to the next waiter (invariant 5).
    pub(crate) fn abandon(self) {
        drop(self);
    }
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        let passed = self.waiter.claim();
        self.list.unregister(self.waiter);
        if passed.is_err() {
            // Our Acquire in `claim` saw the notifier's progress; this fence
            // orders it before the load of `waiting` (invariant 4).
            fence(Ordering::SeqCst);
            self.list.notify_one();
        }
    }
}
