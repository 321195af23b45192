//! The ring behind [`SpscBounded`]: a bounded FIFO queue for one producer
//! and one consumer, whose exclusive operations use one read-modify-write
//! per side, each on a word the other side never reads.
//!
//! # Operations (exclusive: one producer, one consumer)
//! Every slot has a sequence number, as in the MPMC ring
//! ([`Bounded`](super::Bounded)): slot `p % N` holds `free(p)` while
//! free for position `p`, `published(p)` once position `p` is
//! published, and `free(p + N)` once it has been read (free for the next
//! lap). The two are kept apart by the low bit, so that they differ even
//! for `N = 1` (where `p + 1` would mean both "published at `p`" and "free
//! at `p + 1`").
//! - The producer checks that its slot is free (a load of the slot's
//!   sequence; full otherwise), writes the message, claims the position with
//!   one `SeqCst` CAS on the tail word (which fails only if a close set
//!   [`CLOSED`] meanwhile: the message is then read back out), then
//!   publishes the slot (a store of its sequence).
//! - The consumer checks that its slot is published (a load), reads the
//!   message, frees the slot (a store), then moves the head with one
//!   `SeqCst` add.
//!
//! So in a steady stream the two sides share only the slots' lines: the
//! producer never reads the head and the consumer never reads the tail
//! (shared indices, even with cached copies, make a producer on a full ring
//! reload the consumer's index on every send).
//!
//! # Orderings
//! - A slot's sequence carries its message: the producer's Release store of
//!   "published for `p`" pairs with the consumer's Acquire load, the
//!   consumer's Release store of "free for `p + N`" with the producer's
//!   Acquire load, so each side's use of the value happens before the
//!   other's.
//! - The tail CAS and the head add are `SeqCst` read-modify-writes of the
//!   words `len` and `is_empty` read: the operations' claims for the
//!   channel's wake-ups ([`RawQueue::CLAIMS_SEQCST`]). A claim comes before
//!   the slot store that finishes the operation, so for a moment `len`
//!   counts a message the consumer cannot see yet, or room the producer
//!   cannot see yet; a waiter that finds that retries instead of parking,
//!   as the contract provides. Acquire on the CAS's failure: it saw
//!   [`CLOSED`], set with Release ([`RawQueue::CLOSES`]); a store that
//!   claimed before the close is still published, and `is_empty` counts it
//!   until it is taken.

use std::mem::MaybeUninit;

use crossbeam_utils::CachePadded;

use super::spsc::{CLOSED, ONE};
use super::{NoEvictKind, QueueStrategy, RawQueue, SpscStrategy};
use crate::error::BuildError;
use crate::sync::{AtomicBool, AtomicMut, AtomicUsize, Ordering, UnsafeCell};

/// A bounded FIFO queue of `N` slots for one producer and one consumer at
/// a time: the bounded counterpart of [`Spsc`](super::Spsc).
///
/// Through the [`spsc`](crate::spsc) handles a send costs one atomic
/// read-modify-write and a receive one (the unbounded [`Spsc`](super::Spsc)
/// needs none on receive, but no sender ever waits for room there). With
/// the ordinary cloneable handles each side takes a spin lock, as for
/// `Spsc`. Its kind, [`NoEvictKind`], takes `Block`, `Reject` and
/// `DropNewest`: evicting the oldest message would make the producer a
/// second consumer. The slots are allocated when the channel is built.
///
/// ```compile_fail
/// use may_channel::{Channel, backpressure::DropOldest, queue::SpscBounded, wait::Park};
/// // Does not compile: `DropOldest` does not apply to a `NoEvictKind` queue.
/// let (tx, rx) = Channel::<SpscBounded<4>, Park, DropOldest>::new::<u32>();
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SpscBounded<const N: usize>;

/// A slot's sequence while it is free for position `position`.
#[inline]
fn free(position: usize) -> usize {
    position.wrapping_mul(2)
}

/// A slot's sequence once position `position` is published in it.
#[inline]
fn published(position: usize) -> usize {
    position.wrapping_mul(2) | 1
}

struct Slot<T> {
    /// See the module docs.
    sequence: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

/// The queue [`SpscBounded`] builds.
pub struct SpscRingQueue<T> {
    /// Position (in twos) and [`CLOSED`]; written by the producer only (and
    /// once by a close).
    tail: CachePadded<AtomicUsize>,
    /// Position (in ones); written by the consumer only.
    head: CachePadded<AtomicUsize>,
    slots: Box<[Slot<T>]>,
    /// The shared handles' turn-taking, one lock per side.
    send_lock: CachePadded<AtomicBool>,
    recv_lock: CachePadded<AtomicBool>,
}

// A slot's value is written by the producer while its sequence says free
// and read by the consumer once it says published (Release/Acquire).
// SAFETY: each side is one thread at a time (an exclusive handle, or the
// side's lock), so sharing the queue only moves `T`s between threads.
unsafe impl<T: Send> Sync for SpscRingQueue<T> {}
// SAFETY: the queue owns its `T`s.
unsafe impl<T: Send> Send for SpscRingQueue<T> {}

impl<const N: usize> QueueStrategy for SpscBounded<N> {
    type Kind = NoEvictKind;
    type Config = ();
    type Queue<T> = SpscRingQueue<T>;

    fn validate(_: &()) -> Result<(), BuildError> {
        if N == 0 {
            return Err(BuildError::ZeroCapacity);
        }
        Ok(())
    }

    fn new_queue<T>(_: &()) -> Self::Queue<T> {
        // `new()` on a flavour does not call `validate`: keep the ring
        // usable (one slot) rather than divide by zero.
        SpscRingQueue::new(N.max(1))
    }
}

impl<const N: usize> SpscStrategy for SpscBounded<N> {
    unsafe fn push_exclusive<T>(queue: &Self::Queue<T>, item: T) -> Result<(), T> {
        // SAFETY: forwarded from the caller.
        unsafe { queue.push_exclusive(item) }
    }

    unsafe fn pop_exclusive<T>(queue: &Self::Queue<T>) -> Option<T> {
        // SAFETY: forwarded from the caller.
        unsafe { queue.pop_exclusive() }
    }
}

impl<T> SpscRingQueue<T> {
    fn new(capacity: usize) -> Self {
        Self {
            tail: CachePadded::new(AtomicUsize::new(0)),
            head: CachePadded::new(AtomicUsize::new(0)),
            slots: (0..capacity)
                .map(|position| Slot {
                    sequence: AtomicUsize::new(free(position)),
                    value: UnsafeCell::new(MaybeUninit::uninit()),
                })
                .collect(),
            send_lock: CachePadded::new(AtomicBool::new(false)),
            recv_lock: CachePadded::new(AtomicBool::new(false)),
        }
    }

    fn slot(&self, position: usize) -> &Slot<T> {
        &self.slots[position % self.slots.len()]
    }

    /// Stores `item`, or hands it back when the ring is full or closed.
    ///
    /// # Safety
    /// No other push on this queue runs at the same time.
    pub(crate) unsafe fn push_exclusive(&self, item: T) -> Result<(), T> {
        // Relaxed: only this producer moves the position; a close is
        // checked by the CAS below (this load only spares the write).
        let word = self.tail.load(Ordering::Relaxed);
        if word & CLOSED != 0 {
            return Err(item);
        }
        let position = word / ONE;
        let slot = self.slot(position);
        // Acquire: see "Orderings" (the consumer's read of the last lap's
        // message happens before our write).
        if slot.sequence.load(Ordering::Acquire) != free(position) {
            return Err(item);
        }
        // SAFETY: the slot is free for this position and unpublished, so
        // only we touch its value.
        slot.value
            .with_mut(|value| unsafe { value.write(MaybeUninit::new(item)) });
        // SeqCst on success, Acquire on failure: see "Orderings".
        if self
            .tail
            .compare_exchange(
                word,
                word.wrapping_add(ONE),
                Ordering::SeqCst,
                Ordering::Acquire,
            )
            .is_err()
        {
            // Only `CLOSED` can have changed the word: the slot was never
            // published, so the message is still ours.
            // SAFETY: written just above, and unpublished.
            return Err(slot
                .value
                .with(|value| unsafe { value.read().assume_init() }));
        }
        // Release: see "Orderings".
        slot.sequence.store(published(position), Ordering::Release);
        Ok(())
    }

    /// Takes the oldest message, if one is published.
    ///
    /// # Safety
    /// No other pop on this queue runs at the same time.
    pub(crate) unsafe fn pop_exclusive(&self) -> Option<T> {
        // Relaxed: only this consumer moves the head.
        let position = self.head.load(Ordering::Relaxed);
        let slot = self.slot(position);
        // Acquire: see "Orderings".
        if slot.sequence.load(Ordering::Acquire) != published(position) {
            return None;
        }
        let item = slot.value.with(|value| {
            // SAFETY: published for this position and not yet read: read it
            // exactly once.
            unsafe { value.read().assume_init() }
        });
        // Release: see "Orderings".
        slot.sequence.store(
            free(position.wrapping_add(self.slots.len())),
            Ordering::Release,
        );
        // SeqCst: see "Orderings".
        self.head.fetch_add(1, Ordering::SeqCst);
        Some(item)
    }
}

impl<T> RawQueue<T> for SpscRingQueue<T> {
    spsc_locked_sides!(tail: tail, head: head);

    #[inline]
    fn capacity(&self) -> Option<usize> {
        Some(self.slots.len())
    }

    /// The claiming CAS and add are `SeqCst` on the words `len` reads (see
    /// "Orderings").
    const CLAIMS_SEQCST: bool = true;

    fn allocated_bytes(&self) -> Option<usize> {
        Some(std::mem::size_of_val(&*self.slots))
    }
}

impl<T> Drop for SpscRingQueue<T> {
    fn drop(&mut self) {
        // `&mut self`: no operation is in progress, so positions head..tail
        // hold published messages nobody took.
        let tail = self.tail.load_mut() / ONE;
        let mut position = self.head.load_mut();
        while position != tail {
            let capacity = self.slots.len();
            let slot = &mut self.slots[position % capacity];
            // SAFETY: a published message nobody took; dropped once.
            slot.value
                .with_mut(|value| unsafe { (*value).assume_init_drop() });
            position = position.wrapping_add(1);
        }
    }
}

impl<T> std::fmt::Debug for SpscRingQueue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpscRingQueue")
            .field("len", &RawQueue::len(self))
            .field("capacity", &self.slots.len())
            .finish_non_exhaustive()
    }
}
