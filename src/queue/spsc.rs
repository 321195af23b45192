//! The segmented list behind [`Spsc`]: an unbounded FIFO queue for one
//! producer and one consumer, whose exclusive operations use no
//! read-modify-write except the one that publishes a message.
//!
//! # Layout
//! Messages live in segments of [`SPSC_SEGMENT_ITEMS`] slots linked by
//! `next`. The producer owns the tail (a position counter, counting in twos
//! so that bit 0 can carry [`CLOSED`], and the segment it writes into); the
//! consumer owns the head (a position counter and the segment it reads
//! from). Position `p` is slot `p % SPSC_SEGMENT_ITEMS` of its segment, and
//! each side moves to the next segment when it reaches slot 0 of a new one.
//!
//! # Operations (exclusive: one producer, one consumer)
//! - The producer writes the message into its slot (linking a new segment
//!   first at slot 0), then publishes it by moving the tail with one `SeqCst`
//!   CAS. The CAS fails only if a close set [`CLOSED`] meanwhile; the
//!   producer then reads its message back out of the unpublished slot.
//! - The consumer compares its head with the tail (a load, only once it
//!   has taken everything below the tail it last saw; nothing to take when
//!   they are equal), reads the slot (following `next` at slot 0 and
//!   retiring the segment it leaves), and stores the new head.
//!
//! So a message costs the producer one locked instruction and the consumer
//! none, where the MPMC list ([`Unbounded`](super::Unbounded)) needs four
//! (a claim and a publish on each side).
//!
//! # Shared handles
//! A queue must be safe to use from any number of threads
//! ([`RawQueue`]'s contract), so [`RawQueue::push`] and [`RawQueue::pop`]
//! take a per-side spin lock around the exclusive operation: any number of
//! senders and receivers may use a `Channel<Spsc>`, one per side at a time.
//! The handles of [`crate::spsc`] cannot be cloned or shared, so they skip
//! the locks.
//!
//! # Segments
//! A retired segment becomes the queue's one spare (a spare already there
//! is freed), and the producer takes the spare before it allocates: a steady
//! stream allocates nothing, and memory follows the queue's length with at
//! most one spare segment on top.
//!
//! # Orderings
//! - The producer's publishing CAS is `SeqCst`: as a release it publishes
//!   the slot and the link to a new segment (both written before it); it is
//!   also the store's claim in the single total order for the channel's
//!   wake-ups ([`RawQueue::CLAIMS_SEQCST`]: a store's claim and its write
//!   are one, and the write comes first). Acquire on failure: it saw
//!   [`CLOSED`], which the closer set with Release ([`RawQueue::CLOSES`]).
//! - The consumer loads the tail with Acquire (pairing with that CAS), so
//!   the slots below it and the links to their segments are visible. It
//!   keeps what it loaded and loads again only once it has taken everything
//!   below: a pop that runs after the core's `SeqCst` fence (a receiver
//!   about to park) either finds a message below the kept tail or loads
//!   the tail after that fence, which is what the wake-up argument needs.
//! - The head is stored with Release and loaded with Acquire by `len`: a
//!   snapshot; the producer never reads it.
//! - The spare is exchanged with `AcqRel` swaps: the consumer's release
//!   makes its reads of the segment happen before the producer's writes
//!   into it, after the producer's acquire.

#[cfg(not(loom))]
use std::alloc::{Layout, alloc, handle_alloc_error};
use std::mem::MaybeUninit;
use std::ptr;

use crossbeam_utils::CachePadded;

use super::{QueueStrategy, RawQueue, UnboundedKind};
use crate::sync::{AtomicBool, AtomicMut, AtomicPtr, AtomicUsize, Backoff, Ordering, UnsafeCell};

/// An unbounded FIFO queue for one producer and one consumer at a time.
///
/// The [`spsc`](crate::spsc) module's handles, which cannot be cloned or
/// shared between threads, use it without locks: a send costs one atomic
/// read-modify-write, a receive none. A `Channel<Spsc>` with the ordinary
/// (cloneable) [`Sender`](crate::Sender) and [`Receiver`](crate::Receiver)
/// is also sound: each side then takes a spin lock around its operation, so
/// several senders (or receivers) take turns. Use [`Unbounded`](super::Unbounded)
/// for many producers or consumers at once.
///
/// # Memory
/// The first segment ([`spsc_segment_bytes`]) is allocated when the queue is
/// built; from then on one segment per [`SPSC_SEGMENT_ITEMS`] messages, each
/// retired as soon as the consumer has read it. One retired segment is kept
/// as a spare for the producer, so a drained queue holds one or two
/// segments.
///
/// # Non-blocking
/// The exclusive operations never wait. Through the shared handles, an
/// operation waits (spinning, then yielding) for a same-side operation in
/// progress, a few instructions normally; longer only if that thread is
/// preempted in them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Spsc;

/// Messages per segment of an [`Spsc`] queue. (Two under `cfg(loom)`, so
/// that a model reaches the move to the next segment in a few operations.)
pub const SPSC_SEGMENT_ITEMS: usize = if cfg!(loom) { 2 } else { 64 };

/// The bytes one segment of an [`Spsc`] queue of `T` takes: a link and
/// [`SPSC_SEGMENT_ITEMS`] slots. What [`RawQueue::allocated_bytes`] counts per
/// segment.
pub fn spsc_segment_bytes<T>() -> usize {
    std::mem::size_of::<Segment<T>>()
}

/// One position in the tail's word: positions count in twos, bit 0 is
/// [`CLOSED`].
pub(super) const ONE: usize = 2;

/// Tail word flag: the queue is closed for sends ([`RawQueue::close`]); the
/// producer's publishing CAS compares the whole word, so it fails once the
/// flag is set.
pub(super) const CLOSED: usize = 1;

struct Segment<T> {
    next: AtomicPtr<Segment<T>>,
    slots: [UnsafeCell<MaybeUninit<T>>; SPSC_SEGMENT_ITEMS],
}

/// The producer's end.
struct Tail<T> {
    /// Position (in twos) and [`CLOSED`].
    word: AtomicUsize,
    /// The segment the next position is in (at slot 0 of a new segment: the
    /// one before it). Touched only by the producer.
    segment: UnsafeCell<*mut Segment<T>>,
}

/// The consumer's end.
struct Head<T> {
    /// Position (in ones).
    position: AtomicUsize,
    /// As [`Tail::segment`], for the consumer.
    segment: UnsafeCell<*mut Segment<T>>,
    /// The tail's position as the consumer last loaded it (in ones): every
    /// position below it is published. The consumer loads the tail again
    /// only when its head reaches this, so while it drains a batch it
    /// leaves the tail's line to the producer (whose publishing CAS would
    /// otherwise wait for that line after every read of it). Touched only
    /// by the consumer.
    seen_tail: UnsafeCell<usize>,
}

/// The queue [`Spsc`] builds.
pub struct SpscQueue<T> {
    tail: CachePadded<Tail<T>>,
    head: CachePadded<Head<T>>,
    /// One retired segment for the producer to reuse, or null.
    spare: CachePadded<AtomicPtr<Segment<T>>>,
    /// The shared handles' turn-taking, one lock per side (see the module
    /// docs); the exclusive handles never touch them.
    send_lock: CachePadded<AtomicBool>,
    recv_lock: CachePadded<AtomicBool>,
    /// Segments allocated and not yet freed.
    segments: AtomicUsize,
}

// A slot's value is written by the producer before it publishes the slot
// and read by the consumer after it sees the publish; each end's segment
// pointer is touched only by its side.
// SAFETY: each side is one thread at a time (an exclusive handle, or the
// side's lock), so sharing the queue only moves `T`s between threads.
unsafe impl<T: Send> Sync for SpscQueue<T> {}
// SAFETY: the queue owns its `T`s and its segments.
unsafe impl<T: Send> Send for SpscQueue<T> {}

impl QueueStrategy for Spsc {
    type Kind = UnboundedKind;
    type Config = ();
    type Queue<T> = SpscQueue<T>;

    fn new_queue<T>(_: &()) -> Self::Queue<T> {
        SpscQueue::new()
    }
}

/// A side's lock, held until dropped (the shared handles' turn-taking,
/// here and in [`SpscBounded`](super::SpscBounded)'s ring).
pub(super) struct Turn<'a>(&'a AtomicBool);

impl<'a> Turn<'a> {
    pub(super) fn take(lock: &'a AtomicBool) -> Self {
        let backoff = Backoff::new();
        loop {
            // Relaxed load: only spares a contended line the CAS; Acquire on
            // success: the previous holder's operation (its Release store
            // below) happens before ours.
            if !lock.load(Ordering::Relaxed)
                && lock
                    .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return Self(lock);
            }
            backoff.snooze();
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        // Release: see `take`.
        self.0.store(false, Ordering::Release);
    }
}

impl super::SpscStrategy for Spsc {
    unsafe fn push_exclusive<T>(queue: &Self::Queue<T>, item: T) -> Result<(), T> {
        // SAFETY: forwarded from the caller.
        unsafe { queue.push_exclusive(item) }
    }

    unsafe fn pop_exclusive<T>(queue: &Self::Queue<T>) -> Option<T> {
        // SAFETY: forwarded from the caller.
        unsafe { queue.pop_exclusive() }
    }
}

/// Positions claimed by the producer and not yet taken, from the head's
/// position (in ones) and the tail's word (in twos, bit 0 the closed flag):
/// a snapshot.
pub(super) fn queued(head: &AtomicUsize, tail: &AtomicUsize) -> usize {
    // Acquire both; the head first, so that the tail read after it is not
    // behind it (both only grow).
    let head = head.load(Ordering::Acquire);
    let tail = tail.load(Ordering::Acquire) / ONE;
    tail.wrapping_sub(head)
}

/// Sets the closed flag in a tail word (`RawQueue::close`). Idempotent.
pub(super) fn close_tail(tail: &AtomicUsize) {
    // Relaxed: only skips the read-modify-write when the flag is already in
    // the tail's history.
    if tail.load(Ordering::Relaxed) & CLOSED == 0 {
        // Release: a producer that sees the flag (Acquire) sees what the
        // closer did before, the channel's disconnected flag included.
        tail.fetch_or(CLOSED, Ordering::Release);
    }
}

impl<T> SpscQueue<T> {
    fn new() -> Self {
        let queue = Self {
            tail: CachePadded::new(Tail {
                word: AtomicUsize::new(0),
                segment: UnsafeCell::new(ptr::null_mut()),
            }),
            head: CachePadded::new(Head {
                position: AtomicUsize::new(0),
                segment: UnsafeCell::new(ptr::null_mut()),
                seen_tail: UnsafeCell::new(0),
            }),
            spare: CachePadded::new(AtomicPtr::new(ptr::null_mut())),
            send_lock: CachePadded::new(AtomicBool::new(false)),
            recv_lock: CachePadded::new(AtomicBool::new(false)),
            segments: AtomicUsize::new(0),
        };
        let first = queue.allocate();
        // SAFETY: nobody else has the queue yet.
        queue.tail.segment.with_mut(|end| unsafe { *end = first });
        // SAFETY: as above.
        queue.head.segment.with_mut(|end| unsafe { *end = first });
        queue
    }

    /// A fresh segment with no successor (slots uninitialised).
    #[cfg(not(loom))]
    fn allocate(&self) -> *mut Segment<T> {
        // Built on the heap rather than on the stack and moved: 64 large
        // messages would overflow a coroutine's small stack.
        let layout = Layout::new::<Segment<T>>();
        // SAFETY: the layout has a non-zero size (the `next` link).
        let segment = unsafe { alloc(layout) }.cast::<Segment<T>>();
        if segment.is_null() {
            handle_alloc_error(layout);
        }
        // SAFETY: freshly allocated for a `Segment<T>`; the slots are
        // `MaybeUninit` and need no initialisation.
        unsafe { ptr::addr_of_mut!((*segment).next).write(AtomicPtr::new(ptr::null_mut())) };
        // Relaxed: a statistic for `allocated_bytes`.
        self.segments.fetch_add(1, Ordering::Relaxed);
        segment
    }

    /// A fresh segment, for a loom model: loom's cells must be built (their
    /// state is not uninitialised memory), so it is a `Box`.
    #[cfg(loom)]
    fn allocate(&self) -> *mut Segment<T> {
        let segment = Box::new(Segment {
            next: AtomicPtr::new(ptr::null_mut()),
            slots: std::array::from_fn(|_| UnsafeCell::new(MaybeUninit::uninit())),
        });
        // Relaxed: a statistic for `allocated_bytes`.
        self.segments.fetch_add(1, Ordering::Relaxed);
        Box::into_raw(segment)
    }

    /// Frees a segment of a loom model (a `Box`; see `allocate`).
    ///
    /// # Safety
    /// As below.
    #[cfg(loom)]
    unsafe fn free(&self, segment: *mut Segment<T>) {
        // SAFETY: the caller's contract; a `Segment` holds no `T` to drop
        // (its slots are `MaybeUninit`).
        drop(unsafe { Box::from_raw(segment) });
        // Relaxed: as in `allocate`.
        self.segments.fetch_sub(1, Ordering::Relaxed);
    }

    /// Frees a segment nobody uses any more.
    ///
    /// # Safety
    /// `segment` came from [`allocate`](Self::allocate), holds no message,
    /// and nobody will dereference it again.
    #[cfg(not(loom))]
    unsafe fn free(&self, segment: *mut Segment<T>) {
        // SAFETY: the caller's contract; allocated with this layout.
        unsafe { std::alloc::dealloc(segment.cast(), Layout::new::<Segment<T>>()) };
        // Relaxed: as in `allocate`.
        self.segments.fetch_sub(1, Ordering::Relaxed);
    }

    /// The producer's next segment: the spare, or a new one.
    fn fresh_segment(&self) -> *mut Segment<T> {
        // AcqRel (Acquire part): the consumer's reads of the spare happen
        // before our writes into it (see "Orderings").
        let spare = self.spare.swap(ptr::null_mut(), Ordering::AcqRel);
        if spare.is_null() {
            return self.allocate();
        }
        // SAFETY: the spare is ours alone now (the swap took it).
        // Relaxed: nobody else sees it until the Release link below.
        unsafe { (*spare).next.store(ptr::null_mut(), Ordering::Relaxed) };
        spare
    }

    /// Keeps a segment the consumer has left as the spare, freeing the one
    /// that was there.
    ///
    /// # Safety
    /// The consumer is done with `segment`, and the producer has moved past
    /// it.
    unsafe fn retire(&self, segment: *mut Segment<T>) {
        // AcqRel: Release hands our reads of it to the producer that takes
        // it; Acquire on the one we get back, which nobody uses.
        let old = self.spare.swap(segment, Ordering::AcqRel);
        if !old.is_null() {
            // SAFETY: a spare is nobody's; the swap made it ours.
            unsafe { self.free(old) };
        }
    }

    /// Stores `item`, or hands it back once the queue is closed.
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
        // SAFETY: forwarded from the caller; `word` is the tail's.
        unsafe { self.publish_at(word, item) }
    }

    /// Writes `item` at the position in `word` and publishes it, unless the
    /// tail's word is no longer `word` (a close set its flag): then hands it
    /// back.
    ///
    /// # Safety
    /// As [`push_exclusive`](Self::push_exclusive), and `word` was loaded
    /// from the tail by this producer, without the flag.
    unsafe fn publish_at(&self, word: usize, item: T) -> Result<(), T> {
        let position = word / ONE;
        let offset = position % SPSC_SEGMENT_ITEMS;
        // SAFETY: the tail's segment is the producer's, and we are it.
        let mut segment = self.tail.segment.with(|end| unsafe { *end });
        if offset == 0 && position != 0 {
            let fresh = self.fresh_segment();
            // Release: the link before the publishing CAS, which also
            // releases it (the consumer's Acquire load of the link pairs).
            // SAFETY: `segment` is alive: the consumer retires a segment only
            // after reading a position past it, which is not published.
            unsafe { (*segment).next.store(fresh, Ordering::Release) };
            // SAFETY: the producer's, as above.
            self.tail.segment.with_mut(|end| unsafe { *end = fresh });
            segment = fresh;
        }
        // SAFETY: the segment is alive (above).
        let slot = unsafe { &(*segment).slots[offset] };
        // SAFETY: the slot at `position` is unpublished, so only we touch it.
        slot.with_mut(|value| unsafe { value.write(MaybeUninit::new(item)) });
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
            Err(_) => Err(slot.with(|value| unsafe { value.read().assume_init() })),
        }
    }

    /// Takes the oldest message, if one is published.
    ///
    /// # Safety
    /// No other pop on this queue runs at the same time.
    pub(crate) unsafe fn pop_exclusive(&self) -> Option<T> {
        // Relaxed: only this consumer moves the head.
        let position = self.head.position.load(Ordering::Relaxed);
        // SAFETY: the consumer's own field, and we are the consumer.
        let seen_tail = self.head.seen_tail.with(|seen| unsafe { *seen });
        if seen_tail == position {
            // Acquire: see "Orderings". The positions below it stay
            // published, so the next pops can trust the copy.
            let tail = self.tail.word.load(Ordering::Acquire) / ONE;
            // SAFETY: as above.
            self.head.seen_tail.with_mut(|seen| unsafe { *seen = tail });
            if tail == position {
                return None;
            }
        }
        let offset = position % SPSC_SEGMENT_ITEMS;
        // SAFETY: the head's segment is the consumer's, and we are it.
        let mut segment = self.head.segment.with(|end| unsafe { *end });
        if offset == 0 && position != 0 {
            // SAFETY: alive until we retire it below.
            // Acquire: pairs with the producer's Release link (published
            // before the position we saw).
            let next = unsafe { (*segment).next.load(Ordering::Acquire) };
            debug_assert!(!next.is_null(), "a published position's segment is linked");
            // SAFETY: the consumer's, as above.
            self.head.segment.with_mut(|end| unsafe { *end = next });
            // SAFETY: every message in it has been read, and the producer
            // moved past it when it linked `next`.
            unsafe { self.retire(segment) };
            segment = next;
        }
        // SAFETY: published (below the tail we loaded with Acquire) and not
        // yet read: read it exactly once.
        let item = unsafe { &(*segment).slots[offset] }
            .with(|value| unsafe { value.read().assume_init() });
        // Release: see "Orderings".
        self.head
            .position
            .store(position.wrapping_add(1), Ordering::Release);
        Some(item)
    }
}

impl<T> RawQueue<T> for SpscQueue<T> {
    spsc_locked_sides!(tail: tail.word, head: head.position);

    #[inline]
    fn capacity(&self) -> Option<usize> {
        None
    }

    /// The publishing CAS is `SeqCst` and `len` reads its word; takes need
    /// no claim, since senders never wait on an unbounded queue (see
    /// "Orderings").
    const CLAIMS_SEQCST: bool = true;

    fn allocated_bytes(&self) -> Option<usize> {
        // Relaxed: a snapshot of a statistic.
        Some(self.segments.load(Ordering::Relaxed) * spsc_segment_bytes::<T>())
    }
}

impl<T> Drop for SpscQueue<T> {
    fn drop(&mut self) {
        // `&mut self`: no operation is in progress; positions head..tail
        // hold published messages nobody took.
        let tail = self.tail.word.load_mut() / ONE;
        let mut position = self.head.position.load_mut();
        // SAFETY: `&mut self`: nobody else touches the field.
        let mut segment = self.head.segment.with(|end| unsafe { *end });
        while position != tail {
            let offset = position % SPSC_SEGMENT_ITEMS;
            if offset == 0 && position != 0 {
                // SAFETY: alive (the head's chain), no message left in it.
                let next = unsafe { (*segment).next.load_mut() };
                // SAFETY: as above.
                unsafe { self.free(segment) };
                segment = next;
            }
            // SAFETY: a published message nobody took; dropped once.
            unsafe { &(*segment).slots[offset] }
                .with_mut(|value| unsafe { (*value).assume_init_drop() });
            position = position.wrapping_add(1);
        }
        // The head's segment and any linked after it (a close can leave one
        // linked and unpublished), then the spare.
        while !segment.is_null() {
            // SAFETY: alive, holding no message.
            let next = unsafe { (*segment).next.load_mut() };
            // SAFETY: as above.
            unsafe { self.free(segment) };
            segment = next;
        }
        let spare = self.spare.load_mut();
        if !spare.is_null() {
            // SAFETY: the spare holds no message and is nobody's.
            unsafe { self.free(spare) };
        }
    }
}

impl<T> std::fmt::Debug for SpscQueue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpscQueue")
            .field("len", &RawQueue::len(self))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
