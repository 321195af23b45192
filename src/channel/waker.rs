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
//! 2. A notifier unlinks a waiter, sets its `notified` flag and unparks it,
//!    all before releasing the lock.
//! 3. A waiter's owner takes the lock (through [`Registration::finish`] or the
//!    registration's `Drop`) before the waiter's stack frame ends. With (2),
//!    no notifier can touch a waiter after its frame is gone.
//! 4. Lost wake-ups are excluded by a store-buffer (Dekker) pair of `SeqCst`
//!    fences: the waiter links itself, issues a fence, then re-checks its
//!    condition; the peer changes the condition, issues a fence, then reads
//!    `waiting`. Whichever fence comes second in the single total order of
//!    `SeqCst` fences sees the other side's write: either the peer sees the
//!    waiter linked and wakes it, or the waiter's re-check sees the change.

use std::collections::VecDeque;
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use crate::sync::{AtomicBool, AtomicUsize, Mutex, Ordering, fence, lock};
use crate::wait::Context;

/// One blocked operation. Lives on the stack of the operation.
pub(crate) struct Waiter {
    notified: AtomicBool,
    unparker: Unparker,
}

enum Unparker {
    Thread(std::thread::Thread),
    Coroutine(may::coroutine::Coroutine),
}

impl Waiter {
    pub(crate) fn new(context: Context) -> Self {
        let unparker = match context {
            Context::Thread => Unparker::Thread(std::thread::current()),
            Context::Coroutine => Unparker::Coroutine(may::coroutine::current()),
        };
        Self {
            notified: AtomicBool::new(false),
            unparker,
        }
    }

    /// Parks until notified or until `deadline` passes. Spurious wake-ups of
    /// the underlying park are absorbed here. In a coroutine, a cancel unwinds
    /// out of this call (may raises it at the park point).
    pub(crate) fn park(&self, context: Context, deadline: Option<Instant>) {
        // Acquire pairs with the Release store in `WaitList::wake_front`, so
        // that what the notifier did before waking us is visible.
        while !self.notified.load(Ordering::Acquire) {
            match deadline {
                None => match context {
                    Context::Thread => std::thread::park(),
                    Context::Coroutine => may::coroutine::park(),
                },
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return;
                    }
                    match context {
                        Context::Thread => std::thread::park_timeout(deadline - now),
                        Context::Coroutine => {
                            may::coroutine::park_timeout(coroutine_timeout(deadline - now))
                        }
                    }
                }
            }
        }
    }

    fn unpark(&self) {
        match &self.unparker {
            Unparker::Thread(thread) => thread.unpark(),
            Unparker::Coroutine(co) => co.unpark(),
        }
    }
}

/// may keeps a coroutine's park timeout in whole milliseconds and reads 0 as
/// "no timeout", so a remainder under a millisecond would park the coroutine
/// for ever. Round up to whole milliseconds instead: the coroutine wakes at or
/// just after its deadline, and the caller's loop re-checks the time.
fn coroutine_timeout(remaining: Duration) -> Duration {
    let whole_ms = remaining.as_nanos().div_ceil(1_000_000).max(1);
    Duration::from_millis(u64::try_from(whole_ms).unwrap_or(u64::MAX))
}

/// The waiters blocked on one condition of one channel.
pub(crate) struct WaitList {
    /// Number of linked waiters, readable without the lock (invariant 1).
    waiting: AtomicUsize,
    entries: Mutex<VecDeque<NonNull<Waiter>>>,
}

// SAFETY: the raw pointers in `entries` are only dereferenced under the lock
// while the waiter is linked or just unlinked by the lock holder, which
// invariants 2 and 3 make valid from any thread; `Waiter` itself holds only
// `Send + Sync` data (an atomic flag and a thread or coroutine handle).
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

    /// Links `waiter`, then issues the waiter-side fence of invariant 4. The
    /// caller must re-check its condition after this returns.
    pub(crate) fn register<'a>(&'a self, waiter: &'a Waiter) -> Registration<'a> {
        {
            let mut entries = lock(&self.entries);
            entries.push_back(NonNull::from(waiter));
            // Relaxed: the count is published by the fence below (invariant 4),
            // and under the lock by the mutex itself.
            self.waiting.store(entries.len(), Ordering::Relaxed);
        }
        fence(Ordering::SeqCst);
        Registration { list: self, waiter }
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
        if n != 0 && self.waiting.load(Ordering::Relaxed) != 0 {
            self.wake(n);
        }
    }

    /// Wakes every waiter; same preconditions as [`notify_one`](Self::notify_one).
    pub(crate) fn notify_all(&self) {
        if self.waiting.load(Ordering::Relaxed) != 0 {
            self.wake(usize::MAX);
        }
    }

    #[cold]
    fn wake(&self, n: usize) {
        let mut entries = lock(&self.entries);
        for _ in 0..n {
            let Some(waiter) = entries.pop_front() else {
                break;
            };
            // SAFETY: the waiter was linked until this moment and its owner
            // cannot leave its frame without taking the lock we hold
            // (invariant 3), so the pointer is valid.
            let waiter = unsafe { waiter.as_ref() };
            // Release: pairs with the Acquire load in `Waiter::park`.
            waiter.notified.store(true, Ordering::Release);
            waiter.unpark();
        }
        self.waiting.store(entries.len(), Ordering::Relaxed);
    }

    /// Unlinks `waiter` if it is still linked; returns whether it was (that
    /// is, whether nobody notified it).
    fn unregister(&self, waiter: &Waiter) -> bool {
        let target = NonNull::from(waiter);
        let mut entries = lock(&self.entries);
        let Some(index) = entries.iter().position(|&entry| entry == target) else {
            return false;
        };
        entries.remove(index);
        self.waiting.store(entries.len(), Ordering::Relaxed);
        true
    }
}

/// A linked waiter. Dropping it without [`finish`](Self::finish) (as
/// happens when a cancelled coroutine unwinds out of its park) unlinks the
/// waiter and, if a notification was already spent on it, passes that
/// notification on, so a message that a cancelled operation will never take
/// still wakes somebody.
pub(crate) struct Registration<'a> {
    list: &'a WaitList,
    waiter: &'a Waiter,
}

impl Registration<'_> {
    /// Unlinks the waiter after it woke (or decided not to park); the caller
    /// goes on to retry its operation, so a notification it received is used.
    pub(crate) fn finish(self) {
        self.list.unregister(self.waiter);
        std::mem::forget(self);
    }
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        if !self.list.unregister(self.waiter) {
            // We were notified but are abandoning the operation: hand the
            // wake-up to the next waiter. The notifier's progress is already
            // visible to us (Acquire in `park`), and our fence orders it
            // before the load of `waiting` as invariant 4 requires.
            fence(Ordering::SeqCst);
            self.list.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coroutine_timeouts_round_up_to_whole_milliseconds() {
        assert_eq!(
            coroutine_timeout(Duration::from_micros(1)),
            Duration::from_millis(1)
        );
        assert_eq!(
            coroutine_timeout(Duration::from_micros(999)),
            Duration::from_millis(1)
        );
        assert_eq!(
            coroutine_timeout(Duration::from_millis(3)),
            Duration::from_millis(3)
        );
        assert_eq!(
            coroutine_timeout(Duration::from_micros(3001)),
            Duration::from_millis(4)
        );
        assert_eq!(coroutine_timeout(Duration::ZERO), Duration::from_millis(1));
    }
}
