//! The ring behind [`SpscBounded`]: a bounded FIFO queue for one producer
//! and one consumer, whose exclusive operations use one read-modify-write
//! per side.
//!
//! # Operations (exclusive: one producer, one consumer)
//! - The producer keeps the head it last loaded; only when the ring looks
//!   full by that copy does it load the head again (and, still full, hands
//!   the message back). It writes the slot and publishes it with one
//!   `SeqCst` CAS on the tail word, which fails only if a close set
//!   [`CLOSED`] meanwhile (the message is then read back out).
//! - The consumer keeps the tail it last loaded; only when it has taken
//!   everything below does it load the tail again. It reads the slot and
//!   frees it with one `SeqCst` add on the head.
//!
//! # Orderings
//! - The tail CAS is `SeqCst`: as a release it publishes the slot written
//!   before it; it is the store's claim for the channel's wake-ups
//!   ([`RawQueue::CLAIMS_SEQCST`]: receivers re-check after their fence by
//!   loading the tail). Acquire on failure: it saw [`CLOSED`], set with
//!   Release ([`RawQueue::CLOSES`]).
//! - The head add is `SeqCst` for the same reason on the other side:
//!   senders may wait for room, and a sender that re-checks after its fence
//!   loads the head. As a release it also orders the consumer's read of the
//!   slot before the producer's next write into it (the producer loads the
//!   head with Acquire).
//! - The consumer loads the tail with Acquire (pairing with the CAS), so the
//!   slots below it are written.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;

use crossbeam_utils::CachePadded;

use super::spsc::Turn;
use super::{NoEvictKind, QueueStrategy, RawQueue, SpscStrategy};
use crate::error::BuildError;
use crate::sync::{AtomicBool, AtomicUsize, Ordering};

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

/// One position in the tail's word: positions count in twos, bit 0 is
/// [`CLOSED`].
const ONE: usize = 2;

/// Tail word flag: closed for sends ([`RawQueue::close`]).
const CLOSED: usize = 1;

/// The producer's end.
struct Tail {
    /// Position (in twos) and [`CLOSED`].
    word: AtomicUsize,
    /// The head as the producer last loaded it. Producer only.
    seen_head: UnsafeCell<usize>,
}

/// The consumer's end.
struct Head {
    /// Position (in ones).
    position: AtomicUsize,
    /// The tail's position (in ones) as the consumer last loaded it.
    /// Consumer only.
    seen_tail: UnsafeCell<usize>,
}

/// The queue [`SpscBounded`] builds.
pub struct SpscRingQueue<T> {
    tail: CachePadded<Tail>,
    head: CachePadded<Head>,
    slots: Box<[UnsafeCell<MaybeUninit<T>>]>,
    /// The shared handles' turn-taking, one lock per side.
    send_lock: CachePadded<AtomicBool>,
    recv_lock: CachePadded<AtomicBool>,
}

// SAFETY: a slot is written by the producer while it is free (below head +
// capacity, at or above the tail) and read by the consumer once published
// (below the tail); each end's copy is touched only by its side, and each
// side is one thread at a time (an exclusive handle, or the side's lock).
unsafe impl<T: Send> Sync for SpscRingQueue<T> {}
// SAFETY: the queue owns its `T`s.
unsafe impl<T: Send> Send for SpscRingQueue<T> {}

impl<const N: usize> QueueStrategy for SpscBounded<N> {
    type Kind = NoEvictKind;
    type Config = ();
    type Queue<T: Send> = SpscRingQueue<T>;

    fn validate(_: &()) -> Result<(), BuildError> {
        if N == 0 {
            return Err(BuildError::ZeroCapacity);
        }
        Ok(())
    }

    fn new_queue<T: Send>(_: &()) -> Self::Queue<T> {
        // `new()` on a flavour does not call `validate`: keep the ring
        // usable (one slot) rather than divide by zero.
        SpscRingQueue::new(N.max(1))
    }
}

impl<const N: usize> SpscStrategy for SpscBounded<N> {
    unsafe fn push_exclusive<T: Send>(queue: &Self::Queue<T>, item: T) -> Result<(), T> {
        // SAFETY: forwarded from the caller.
        unsafe { queue.push_exclusive(item) }
    }

    unsafe fn pop_exclusive<T: Send>(queue: &Self::Queue<T>) -> Option<T> {
        // SAFETY: forwarded from the caller.
        unsafe { queue.pop_exclusive() }
    }
}

impl<T> SpscRingQueue<T> {
    fn new(capacity: usize) -> Self {
        Self {
            tail: CachePadded::new(Tail {
                word: AtomicUsize::new(0),
                seen_head: UnsafeCell::new(0),
            }),
            head: CachePadded::new(Head {
                position: AtomicUsize::new(0),
                seen_tail: UnsafeCell::new(0),
            }),
            slots: (0..capacity)
                .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
                .collect(),
            send_lock: CachePadded::new(AtomicBool::new(false)),
            recv_lock: CachePadded::new(AtomicBool::new(false)),
        }
    }

    fn slot(&self, position: usize) -> *mut MaybeUninit<T> {
        self.slots[position % self.slots.len()].get()
    }

    /// Stores `item`, or hands it back when the ring is full or closed.
    ///
    /// # Safety
    /// No other push on this queue runs at the same time.
    pub(crate) unsafe fn push_exclusive(&self, item: T) -> Result<(), T> {
        // Relaxed: only this producer moves the position; a close is
        // checked by the CAS below (this load only spares the write).
        let word = self.tail.word.load(Ordering::Relaxed);
        if word & CLOSED != 0 {
            return Err(item);
        }
        let position = word / ONE;
        // SAFETY: the producer's own copy, and we are the producer.
        let seen_head = unsafe { &mut *self.tail.seen_head.get() };
        if position.wrapping_sub(*seen_head) >= self.slots.len() {
            // Acquire: pairs with the consumer's release of the slot (its
            // `SeqCst` add), so its read happens before our write.
            *seen_head = self.head.position.load(Ordering::Acquire);
            if position.wrapping_sub(*seen_head) >= self.slots.len() {
                return Err(item);
            }
        }
        let slot = self.slot(position);
        // SAFETY: the slot is free (below head + capacity) and unpublished,
        // so only we touch it.
        unsafe { slot.write(MaybeUninit::new(item)) };
        // SeqCst on success, Acquire on failure: see "Orderings".
        match self.tail.word.compare_exchange(
            word,
            word.wrapping_add(ONE),
            Ordering::SeqCst,
            Ordering::Acquire,
        ) {
            Ok(_) => Ok(()),
            // Only `CLOSED` can have changed the word: the slot was never
            // published, so the message is still ours.
            // SAFETY: written just above, and unpublished.
            Err(_) => Err(unsafe { slot.read().assume_init() }),
        }
    }

    /// Takes the oldest message, if one is published.
    ///
    /// # Safety
    /// No other pop on this queue runs at the same time.
    pub(crate) unsafe fn pop_exclusive(&self) -> Option<T> {
        // Relaxed: only this consumer moves the head.
        let position = self.head.position.load(Ordering::Relaxed);
        // SAFETY: the consumer's own copy, and we are the consumer.
        let seen_tail = unsafe { &mut *self.head.seen_tail.get() };
        if *seen_tail == position {
            // Acquire: see "Orderings".
            *seen_tail = self.tail.word.load(Ordering::Acquire) / ONE;
            if *seen_tail == position {
                return None;
            }
        }
        // SAFETY: published (below the tail we loaded with Acquire) and not
        // yet read: read it exactly once.
        let item = unsafe { self.slot(position).read().assume_init() };
        // SeqCst: see "Orderings".
        self.head.position.fetch_add(1, Ordering::SeqCst);
        Some(item)
    }

    /// Messages published and not yet taken (a snapshot).
    fn queued(&self) -> usize {
        // Acquire both; the head first, so that the tail read after it is
        // not behind it (both only grow).
        let head = self.head.position.load(Ordering::Acquire);
        let tail = self.tail.word.load(Ordering::Acquire) / ONE;
        tail.wrapping_sub(head)
    }
}

impl<T: Send> RawQueue<T> for SpscRingQueue<T> {
    #[inline]
    fn push(&self, item: T, _home: usize) -> Result<(), T> {
        let _turn = Turn::take(&self.send_lock);
        // SAFETY: the send lock makes us the only producer.
        unsafe { self.push_exclusive(item) }
    }

    #[inline]
    fn pop(&self, _home: usize) -> Option<T> {
        let _turn = Turn::take(&self.recv_lock);
        // SAFETY: the receive lock makes us the only consumer.
        unsafe { self.pop_exclusive() }
    }

    #[inline]
    fn len(&self) -> usize {
        self.queued()
    }

    #[inline]
    fn is_empty(&self) -> bool {
        self.queued() == 0
    }

    #[inline]
    fn capacity(&self) -> Option<usize> {
        Some(self.slots.len())
    }

    /// The tail word carries a closed flag.
    const CLOSES: bool = true;

    /// The publishing CAS and the freeing add are `SeqCst` on the words
    /// `len` reads (see "Orderings").
    const CLAIMS_SEQCST: bool = true;

    fn close(&self) {
        // Relaxed: only skips the read-modify-write when the flag is
        // already in the tail's history.
        if self.tail.word.load(Ordering::Relaxed) & CLOSED == 0 {
            // Release: a producer that sees the flag (Acquire) sees what the
            // closer did before, the channel's disconnected flag included.
            self.tail.word.fetch_or(CLOSED, Ordering::Release);
        }
    }

    fn allocated_bytes(&self) -> Option<usize> {
        Some(std::mem::size_of_val(&*self.slots))
    }
}

impl<T> Drop for SpscRingQueue<T> {
    fn drop(&mut self) {
        // `&mut self`: positions head..tail hold published messages nobody
        // took.
        let tail = *self.tail.word.get_mut() / ONE;
        let mut position = *self.head.position.get_mut();
        while position != tail {
            // SAFETY: a published message nobody took; dropped once.
            unsafe { (*self.slot(position)).assume_init_drop() };
            position = position.wrapping_add(1);
        }
    }
}

impl<T: Send> std::fmt::Debug for SpscRingQueue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpscRingQueue")
            .field("len", &RawQueue::len(self))
            .field("capacity", &self.slots.len())
            .finish_non_exhaustive()
    }
}
