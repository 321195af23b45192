//! The segmented list behind [`Unbounded`]: an unbounded MPMC FIFO queue
//! whose receivers never wait for a sender to allocate a segment.
//!
//! # Layout
//! Messages live in segments of [`SEGMENT_ITEMS`] slots linked by `next`.
//! Each end (`head` for receivers, `tail` for senders) is a position
//! counter (counting in twos: bit 0 of the head's is a flag, below) and a
//! pointer to the segment that position is in. A position `p` names offset
//! `p % LAP` of its segment; `LAP` is one more than the
//! slots, and the extra offset ([`SWITCHING`]) means "the claimant of the
//! segment's last slot is moving this end to the next segment".
//!
//! # Operations
//! - A sender claims the tail position with a CAS, writes its message into
//!   the slot, then sets the slot's `WRITTEN` bit.
//! - A receiver first compares the ends (empty: nothing to claim), then
//!   claims the head position with a CAS and takes the message, waiting
//!   (spinning, then yielding) if its sender has claimed the slot but not
//!   written it yet (preempted between the two). As crossbeam's `SegQueue`
//!   does: answering "empty" or skipping the slot instead would not be
//!   linearizable against `len`/`is_empty`, which count claims (a channel
//!   that says it is not empty must have a message for `try_recv`).
//! - Whoever claims a segment's last slot moves that end to the next
//!   segment.
//!
//! # Linking
//! The sender of slot 0 of a segment links the segment's successor (a
//! fresh segment, CAS on `next`) before it writes its message, long before
//! anyone needs it. A sender or receiver that claims a segment's last slot
//! and still finds no link (the slot-0 sender is slow) allocates and links
//! one itself; the CAS makes exactly one link win. Everyone involved owns a
//! slot of the segment, which keeps it alive. So no receiver ever waits for
//! a sender to install a segment (crossbeam's `SegQueue` makes the receiver
//! of a block's last slot wait for the sender of that slot).
//!
//! The one wait left: between claiming a segment's last slot and storing
//! the new end (a load and two stores, normally), the claimant owns the
//! end, and a same-side operation that arrives then spins, then yields,
//! until it stores. It happens once per [`SEGMENT_ITEMS`] messages, in a
//! window of a few instructions.
//!
//! # Freeing segments
//! A segment is freed as soon as every slot of it is *finished*: taken by
//! its receiver. A thread
//! dereferences a segment only while it owns an unfinished slot of it (it
//! claimed the slot and has not finished it), so nobody can be looking at
//! a segment when it is freed. The finisher of the last slot starts a pass
//! over the others; at the first unfinished one it sets `RETIRING` and
//! stops, and that slot's finisher, seeing `RETIRING`, carries the pass on
//! from the next slot. The pass that reaches the end frees the segment.
//! (The same per-slot hand-off as crossbeam's `SegQueue`, which this queue
//! replaced; the pre-linked segments are new.)
//!
//! # Setting state bits
//! Each state bit is set at most once per slot (`WRITTEN` by its sender,
//! `DONE` by its finisher, `RETIRING` by the one pass that stops there), so
//! setting one with `fetch_add` is the same as with `fetch_or`. The add is
//! what the code uses: x86 returns the old word of an add in one
//! instruction (`lock xadd`), while an `or` whose result is read becomes a
//! load and a CAS loop, a large share of a send with a receiver polling the
//! slot.
//!
//! # Orderings
//! - A slot's `state` carries its message: a sender sets `WRITTEN` with
//!   Release after writing; a receiver reads the message after an Acquire
//!   that saw `WRITTEN`, which also passes the sender's use of the segment
//!   on to whoever frees it (through the receiver's `DONE`).
//! - `DONE`/`RETIRING` are AcqRel read-modify-writes (and Acquire loads) so
//!   that the thread that frees a segment has seen every use of it.
//! - An end's `segment` is stored (Release) before its position moves onto
//!   the new segment (Release), and read (Acquire) after the position
//!   (Acquire), so a claimant whose CAS confirms the position it read also
//!   holds that position's segment. A failed claim CAS hands back the
//!   position it saw with Acquire, standing in for the load.
//! - Both claim CASes are `SeqCst` ([`RawQueue::CLAIMS_SEQCST`]): the
//!   channel core then needs no fence of its own between a send and its
//!   look for parked receivers. A receiver that re-checks after its
//!   `SeqCst` fence reads the tail after that fence, so if the sender's
//!   claim came first in the total order it sees the claim (and then takes
//!   the message, or retries rather than parks); if the fence came first,
//!   the sender's `SeqCst` load of the waiter count, after its claim, sees
//!   the receiver linked. On x86 the claims are the locked instructions
//!   they would be anyway.
//! - A receiver's emptiness check loads the tail with Acquire: a position it
//!   then claims was claimed by a sender, whose segment (and that segment's
//!   link to its successor) was stored before the tail moved onto it.
//! - A receiver that finds the tail past its segment's last slot sets the
//!   head's `TAIL_AHEAD` flag, and receivers that see it skip the tail load
//!   (the tail's line is the senders' busiest; crossbeam's `SegQueue` has
//!   the same shortcut). What the first learnt from its tail load reaches
//!   them through the head: its claim CAS is AcqRel and theirs too (a
//!   release sequence of read-modify-writes), and the head is loaded with
//!   Acquire.

#[cfg(not(loom))]
use std::alloc::{Layout, alloc_zeroed, handle_alloc_error};
use std::mem::MaybeUninit;
use std::ptr;

use crossbeam_utils::CachePadded;

use super::{QueueStrategy, RawQueue, UnboundedKind};
use crate::sync::{AtomicMut, AtomicPtr, AtomicUsize, Backoff, Ordering, UnsafeCell};

/// An unbounded FIFO queue: a lock-free linked list of fixed-size segments,
/// which allocates one segment per [`SEGMENT_ITEMS`] items and frees each
/// segment as soon as it has been drained.
///
/// # Memory
/// Memory follows the queue's length: after a burst, the segments the
/// receivers have drained are freed at once. Nothing is allocated before
/// the first send; from then on a drained queue holds one or two segments
/// (its floor: the one in use and, once that one has taken a message, its
/// successor, linked ahead of time so that a receiver never waits for a
/// sender to allocate), each [`segment_bytes::<T>()`](segment_bytes) bytes.
/// [`RawQueue::allocated_bytes`] counts the live segments exactly.
///
/// # Non-blocking
/// `try_recv` is linearizable: it answers `Empty` only when no send has
/// claimed a slot it has not taken, and otherwise takes the oldest message,
/// waiting for its sender if that sender claimed its slot and has not
/// written it yet (a few instructions, unless it was preempted there). See
/// the [`queue` module docs](crate::queue#non-blocking-operations-and-preempted-peers).
#[derive(Clone, Copy, Debug, Default)]
pub struct Unbounded;

/// Messages per segment of an [`Unbounded`] queue. (Two under `cfg(loom)`,
/// the fewest with a first and a last slot apart, so that a model reaches
/// the hand-off to the next segment in a few operations.)
pub const SEGMENT_ITEMS: usize = if cfg!(loom) { 2 } else { 31 };

/// Positions per segment: its slots, then the switching position.
const LAP: usize = SEGMENT_ITEMS + 1;

/// The offset of a position whose end is being moved to the next segment.
const SWITCHING: usize = SEGMENT_ITEMS;

/// One position in an end's word: the words count in twos, so that bit 0
/// is free for a flag ([`TAIL_AHEAD`] in the head's, [`CLOSED`] in the
/// tail's), and both ends wrap alike.
const ONE: usize = 2;

/// Tail word flag: the queue is closed for sends ([`RawQueue::close`]). A
/// sender's claim CAS compares the whole word, so it fails once the flag is
/// set, and the retry refuses. Whoever moves the tail onto a new segment
/// adds to the word rather than storing it, so the flag survives.
const CLOSED: usize = 1;

/// Head word flag: the tail is known to be in a later segment, so every
/// slot of the head's segment has been claimed by a sender and receivers
/// need not read the tail (whose line the senders keep busy) to know there
/// is something to take. Cleared when the head moves to the next segment.
const TAIL_AHEAD: usize = 1;

/// The offset within its segment of the position in an end's word.
#[inline]
fn offset_of(word: usize) -> usize {
    (word >> 1) % LAP
}

/// Slot state: the sender has written its message.
const WRITTEN: usize = 1;
/// Slot state: the slot's last user is done with it.
const DONE: usize = 1 << 1;
/// Slot state: a freeing pass stopped here; the slot's finisher continues it.
const RETIRING: usize = 1 << 2;

/// The bytes one segment of an [`Unbounded`] queue of `T` takes: a link to
/// the next segment and [`SEGMENT_ITEMS`] slots (a message and a state
/// word each). What [`RawQueue::allocated_bytes`] counts per segment.
pub fn segment_bytes<T>() -> usize {
    std::mem::size_of::<Segment<T>>()
}

struct Slot<T> {
    state: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

struct Segment<T> {
    next: AtomicPtr<Segment<T>>,
    slots: [Slot<T>; SEGMENT_ITEMS],
}

/// One end of the queue.
struct End<T> {
    position: AtomicUsize,
    segment: AtomicPtr<Segment<T>>,
}

impl<T> End<T> {
    fn new() -> Self {
        Self {
            position: AtomicUsize::new(0),
            segment: AtomicPtr::new(ptr::null_mut()),
        }
    }
}

/// The queue [`Unbounded`] builds.
pub struct UnboundedQueue<T> {
    head: CachePadded<End<T>>,
    tail: CachePadded<End<T>>,
    /// Segments allocated and not yet freed.
    segments: AtomicUsize,
}

// SAFETY: a slot's value is touched only by the thread that owns the slot
// (its sender, then its receiver; see
// the module docs), so sharing the queue only moves `T`s between threads.
unsafe impl<T: Send> Sync for UnboundedQueue<T> {}
// SAFETY: the queue owns its `T`s and its segments.
unsafe impl<T: Send> Send for UnboundedQueue<T> {}

impl QueueStrategy for Unbounded {
    type Kind = UnboundedKind;
    type Config = ();
    type Queue<T> = UnboundedQueue<T>;

    fn new_queue<T>(_: &()) -> Self::Queue<T> {
        UnboundedQueue::new()
    }
}

impl<T> UnboundedQueue<T> {
    fn new() -> Self {
        Self {
            head: CachePadded::new(End::new()),
            tail: CachePadded::new(End::new()),
            segments: AtomicUsize::new(0),
        }
    }

    /// A fresh segment: every slot empty, no successor.
    #[cfg(not(loom))]
    fn allocate(&self) -> *mut Segment<T> {
        // Zeroed straight on the heap rather than built on the stack and
        // moved: 31 large messages would overflow a coroutine's small stack.
        let layout = Layout::new::<Segment<T>>();
        // SAFETY: the layout has a non-zero size (the `next` link).
        let segment = unsafe { alloc_zeroed(layout) }.cast::<Segment<T>>();
        if segment.is_null() {
            handle_alloc_error(layout);
        }
        // Relaxed: a statistic for `allocated_bytes`; nothing is read
        // through it.
        self.segments.fetch_add(1, Ordering::Relaxed);
        // All-zero bytes are a valid `Segment`: a null `next`, every state
        // 0 (std's atomics have their integer's representation), and values
        // that are `MaybeUninit`.
        segment
    }

    /// A fresh segment, for a loom model: loom's atomics and cells are not
    /// valid as zero bytes, so it is built field by field (and freed as a
    /// `Box`, as the zeroed one is).
    #[cfg(loom)]
    fn allocate(&self) -> *mut Segment<T> {
        let segment = Box::new(Segment {
            next: AtomicPtr::new(ptr::null_mut()),
            slots: std::array::from_fn(|_| Slot {
                state: AtomicUsize::new(0),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            }),
        });
        // Relaxed: as above.
        self.segments.fetch_add(1, Ordering::Relaxed);
        Box::into_raw(segment)
    }

    /// Frees a segment nobody can reach any more.
    ///
    /// # Safety
    /// `segment` came from [`allocate`](Self::allocate), every message in
    /// it has been moved out, and no thread will dereference it again.
    unsafe fn free(&self, segment: *mut Segment<T>) {
        // SAFETY: the caller's contract; the memory was allocated (zeroed)
        // with `Segment<T>`'s layout, and a `Segment` needs no drop.
        drop(unsafe { Box::from_raw(segment) });
        // Relaxed: as in `allocate`.
        self.segments.fetch_sub(1, Ordering::Relaxed);
    }

    /// The first send: gives the head the first segment, then the tail the
    /// head's. Any sender that finds the tail without a segment does the
    /// same, so none waits for another.
    #[cold]
    fn install_first(&self) {
        // Acquire: pairs with the AcqRel CAS below (another sender's), so
        // the segment is seen initialised.
        let mut first = self.head.segment.load(Ordering::Acquire);
        if first.is_null() {
            let fresh = self.allocate();
            // AcqRel: Release publishes the zeroed segment; Acquire on
            // failure sees the winner's.
            match self.head.segment.compare_exchange(
                ptr::null_mut(),
                fresh,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => first = fresh,
                Err(winner) => {
                    // SAFETY: never published: nobody else saw it.
                    unsafe { self.free(fresh) };
                    first = winner;
                }
            }
        }
        // The tail has no segment only while no send has claimed a position,
        // so the head has not moved off its first segment: `first` is it.
        // AcqRel: Release passes on what this thread saw of the head's
        // segment to the senders that load the tail's (Acquire).
        let _ = self.tail.segment.compare_exchange(
            ptr::null_mut(),
            first,
            Ordering::AcqRel,
            Ordering::Relaxed,
        );
    }

    /// The segment after `segment`, linking a fresh one if there is none
    /// yet (see "Linking" in the module docs).
    ///
    /// # Safety
    /// The caller owns an unfinished slot of `segment`, so it is alive.
    unsafe fn successor(&self, segment: *mut Segment<T>) -> *mut Segment<T> {
        // SAFETY: the caller's contract.
        let next = unsafe { &(*segment).next };
        // Acquire: pairs with the AcqRel CAS below, so the linked segment is
        // seen initialised.
        let linked = next.load(Ordering::Acquire);
        if !linked.is_null() {
            return linked;
        }
        let fresh = self.allocate();
        // AcqRel: Release publishes the zeroed segment; Acquire on failure
        // sees the one linked first.
        match next.compare_exchange(ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => fresh,
            Err(linked) => {
                // SAFETY: never published: nobody else saw it.
                unsafe { self.free(fresh) };
                linked
            }
        }
    }

    /// Claims the next slot for a sender, or `None` once the queue is
    /// closed. The slot is the caller's until it publishes its message (or
    /// takes it back), and its segment stays allocated until then.
    fn claim_tail(&self) -> Option<(*mut Segment<T>, usize)> {
        let backoff = Backoff::new();
        // Acquire: see "Orderings" in the module docs (and it makes what the
        // closer did before closing visible to a sender that sees `CLOSED`).
        let mut position = self.tail.position.load(Ordering::Acquire);
        loop {
            if position & CLOSED != 0 {
                return None;
            }
            let offset = offset_of(position);
            if offset == SWITCHING {
                // The claimant of the last slot is two stores from done.
                backoff.snooze();
                // Acquire: as above.
                position = self.tail.position.load(Ordering::Acquire);
                continue;
            }
            // Acquire: as above.
            let segment = self.tail.segment.load(Ordering::Acquire);
            if segment.is_null() {
                self.install_first();
                // Acquire: as above.
                position = self.tail.position.load(Ordering::Acquire);
                continue;
            }
            // SeqCst on success, Acquire on failure: see "Orderings".
            if let Err(current) = self.tail.position.compare_exchange_weak(
                position,
                position.wrapping_add(ONE),
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                // Retry from the position the CAS saw, after a pause: the
                // sender that won keeps the line meanwhile (a reload here
                // would pull it back on every operation).
                position = current;
                backoff.spin();
                continue;
            }
            if offset == 0 {
                // Link the successor now, long before anyone needs it.
                // SAFETY: we own slot 0, unfinished until we publish.
                unsafe { self.successor(segment) };
            } else if offset + 1 == SEGMENT_ITEMS {
                // SAFETY: we own the segment's last slot.
                let following = unsafe { self.successor(segment) };
                // Release (both): the segment before the position that lets
                // claimants onto it. An add, not a store: a close may have
                // set `CLOSED` in the word meanwhile.
                self.tail.segment.store(following, Ordering::Release);
                self.tail.position.fetch_add(ONE, Ordering::Release);
            }
            return Some((segment, offset));
        }
    }

    /// Writes `item` into a claimed slot and publishes it.
    ///
    /// # Safety
    /// `(segment, offset)` came from [`claim_tail`](Self::claim_tail) and is
    /// published at most once.
    unsafe fn publish(&self, segment: *mut Segment<T>, offset: usize, item: T) {
        // SAFETY: we own the slot, which keeps the segment alive.
        let slot = unsafe { &(*segment).slots[offset] };
        // SAFETY: the slot is ours alone until `WRITTEN` is set.
        slot.value
            .with_mut(|value| unsafe { value.write(MaybeUninit::new(item)) });
        // Release: see "Orderings". An add, not a store: a freeing pass may
        // set `RETIRING` in the word meanwhile.
        slot.state.fetch_add(WRITTEN, Ordering::Release);
    }

    /// Takes the next message, or `None` if there is none that is written.
    fn take_next(&self) -> Option<T> {
        let backoff = Backoff::new();
        // Acquire: see "Orderings".
        let mut word = self.head.position.load(Ordering::Acquire);
        loop {
            let position = word & !TAIL_AHEAD;
            let offset = offset_of(position);
            if offset == SWITCHING {
                // The claimant of the last slot is two stores from done.
                backoff.snooze();
                // Acquire: as above.
                word = self.head.position.load(Ordering::Acquire);
                continue;
            }
            let mut next = word.wrapping_add(ONE);
            if word & TAIL_AHEAD == 0 {
                // Acquire: see "Orderings".
                let tail = self.tail.position.load(Ordering::Acquire) & !CLOSED;
                let waiting = tail.wrapping_sub(position) as isize;
                if waiting <= 0 {
                    return None;
                }
                // The tail is past this segment's last slot: say so.
                if waiting as usize / ONE >= SEGMENT_ITEMS - offset {
                    next |= TAIL_AHEAD;
                }
            }
            // Acquire: as for the position.
            let segment = self.head.segment.load(Ordering::Acquire);
            // SeqCst (AcqRel and in the total order), Acquire on failure:
            // see "Orderings" (what `TAIL_AHEAD` vouches for, and the
            // claims' part in the channel's wake-ups).
            if let Err(current) = self.head.position.compare_exchange_weak(
                word,
                next,
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                // As in `claim_tail`: retry from what the CAS saw.
                word = current;
                backoff.spin();
                continue;
            }
            if offset + 1 == SEGMENT_ITEMS {
                // SAFETY: we own the segment's last slot.
                let following = unsafe { self.successor(segment) };
                // Release (both): as in `claim_tail`.
                self.head.segment.store(following, Ordering::Release);
                self.head
                    .position
                    .store(position.wrapping_add(2 * ONE), Ordering::Release);
            }
            // SAFETY: we own the slot just claimed.
            return Some(unsafe { self.take(segment, offset) });
        }
    }

    /// Takes the message of a claimed slot, waiting (spinning, then
    /// yielding) for its sender to write it: the sender claimed the slot and
    /// writes it in the same call, never across a park or user code.
    ///
    /// # Safety
    /// `(segment, offset)` was claimed by this receiver, once.
    unsafe fn take(&self, segment: *mut Segment<T>, offset: usize) -> T {
        // SAFETY: we own the slot, which keeps the segment alive.
        let slot = unsafe { &(*segment).slots[offset] };
        // Acquire: pairs with the sender's Release of `WRITTEN`.
        if slot.state.load(Ordering::Acquire) & WRITTEN == 0 {
            Self::wait_written(slot);
        }
        let item = slot.value.with(|value| {
            // SAFETY: `WRITTEN` was seen (Acquire), so the message is there,
            // and the slot is ours: read it exactly once.
            unsafe { value.read().assume_init() }
        });
        // SAFETY: we were the slot's last user.
        unsafe { self.finish(segment, offset) };
        item
    }

    /// The slow part of [`take`](Self::take): its sender is between its
    /// claim and its write.
    #[cold]
    #[inline(never)]
    fn wait_written(slot: &Slot<T>) {
        let backoff = Backoff::new();
        // Acquire: as in `take`.
        while slot.state.load(Ordering::Acquire) & WRITTEN == 0 {
            backoff.snooze();
        }
    }

    /// Marks a slot finished by its last user, freeing the segment when it
    /// was the last unfinished slot.
    ///
    /// # Safety
    /// The caller owned the slot and is done with it and with the segment.
    unsafe fn finish(&self, segment: *mut Segment<T>, offset: usize) {
        if offset + 1 == SEGMENT_ITEMS {
            // The last slot: every other slot has been claimed by both
            // sides (positions are claimed in order), so a pass can start.
            // SAFETY: forwarded from the caller.
            unsafe { self.retire(segment, 0) };
            return;
        }
        // SAFETY: we still own the slot, so the segment is alive.
        let state = unsafe { &(*segment).slots[offset].state };
        // AcqRel: see "Orderings".
        if state.fetch_add(DONE, Ordering::AcqRel) & RETIRING != 0 {
            // SAFETY: a pass stopped at our slot and handed the rest to us.
            unsafe { self.retire(segment, offset + 1) };
        }
    }

    /// The freeing pass, from slot `start` (see the module docs).
    ///
    /// # Safety
    /// The segment's last slot is finished and every slot before `start` is.
    unsafe fn retire(&self, segment: *mut Segment<T>, start: usize) {
        for offset in start..SEGMENT_ITEMS - 1 {
            // SAFETY: the segment is alive until this pass frees it: the slot
            // at `offset` is not known finished yet.
            let state = unsafe { &(*segment).slots[offset].state };
            // Acquire / AcqRel: see "Orderings".
            if state.load(Ordering::Acquire) & DONE == 0
                && state.fetch_add(RETIRING, Ordering::AcqRel) & DONE == 0
            {
                // Its finisher carries the pass on.
                return;
            }
        }
        // SAFETY: every slot is finished: no message is left in it and no
        // thread owns a slot of it, so none can dereference it again.
        unsafe { self.free(segment) };
    }

    /// Sends `item`, or hands it back once the queue is closed.
    fn send(&self, item: T) -> Result<(), T> {
        let Some((segment, offset)) = self.claim_tail() else {
            return Err(item);
        };
        // SAFETY: just claimed, published once.
        unsafe { self.publish(segment, offset, item) };
        Ok(())
    }

    /// Refuses every send that has not claimed its slot yet. Idempotent.
    fn close_tail(&self) {
        // Relaxed: only skips the read-modify-write when a close is already
        // in the tail's history; the caller's later loads of the tail see it.
        if self.tail.position.load(Ordering::Relaxed) & CLOSED == 0 {
            // Release: a sender that sees the flag (Acquire) sees what the
            // closer did before, the channel's disconnected flag included.
            self.tail.position.fetch_or(CLOSED, Ordering::Release);
        }
    }

    /// Messages queued or being sent (a snapshot).
    fn queued(&self) -> usize {
        loop {
            // Acquire: a consistent pair is all that matters; the tail is
            // read twice so that the head read between is not ahead of it.
            let tail = self.tail.position.load(Ordering::Acquire);
            let head = self.head.position.load(Ordering::Acquire) & !TAIL_AHEAD;
            if self.tail.position.load(Ordering::Acquire) != tail {
                continue;
            }
            let tail = tail & !CLOSED;
            let span = tail.wrapping_sub(head) as isize;
            if span <= 0 {
                return 0;
            }
            // Positions in head..tail, less the switching ones among them.
            let span = span as usize / ONE;
            return span - (offset_of(head) + span) / LAP;
        }
    }
}

impl<T> RawQueue<T> for UnboundedQueue<T> {
    #[inline]
    fn push(&self, item: T, _home: usize) -> Result<(), T> {
        self.send(item)
    }

    #[inline]
    fn pop(&self, _home: usize) -> Option<T> {
        self.take_next()
    }

    #[inline]
    fn len(&self) -> usize {
        self.queued()
    }

    #[inline]
    fn is_empty(&self) -> bool {
        // Acquire: as in `queued`.
        let head = self.head.position.load(Ordering::Acquire) & !TAIL_AHEAD;
        let tail = self.tail.position.load(Ordering::Acquire) & !CLOSED;
        tail.wrapping_sub(head) as isize <= 0
    }

    #[inline]
    fn capacity(&self) -> Option<usize> {
        None
    }

    /// The tail word carries a closed flag.
    const CLOSES: bool = true;

    /// Both ends claim with a `SeqCst` CAS on the positions `len` reads
    /// (see "Orderings").
    const CLAIMS_SEQCST: bool = true;

    #[inline]
    fn close(&self) {
        self.close_tail();
    }

    fn allocated_bytes(&self) -> Option<usize> {
        // Relaxed: a snapshot of a statistic.
        Some(self.segments.load(Ordering::Relaxed) * segment_bytes::<T>())
    }
}

impl<T> Drop for UnboundedQueue<T> {
    fn drop(&mut self) {
        // `&mut self`: no operation is in progress, so every position in
        // head..tail holds a written, unclaimed message, neither end is
        // switching, and every segment behind the head's was freed by its
        // finishers.
        let tail = self.tail.position.load_mut() & !CLOSED;
        let mut position = self.head.position.load_mut() & !TAIL_AHEAD;
        let mut segment = self.head.segment.load_mut();
        while position != tail {
            let offset = offset_of(position);
            // SAFETY: `segment` is the head's, alive (see above); the slot
            // holds a written message nobody took.
            unsafe { &(*segment).slots[offset].value }
                .with_mut(|value| unsafe { (*value).assume_init_drop() });
            position = position.wrapping_add(ONE);
            if offset + 1 == SEGMENT_ITEMS {
                // SAFETY: alive, as above.
                let following = unsafe { (*segment).next.load_mut() };
                // SAFETY: every message in it was dropped or taken.
                unsafe { self.free(segment) };
                segment = following;
                position = position.wrapping_add(ONE);
            }
        }
        // The head's segment and the ones linked after it, taken or not.
        while !segment.is_null() {
            // SAFETY: alive and holding no message (the loop above emptied
            // the head's; the ones after it were never written).
            let following = unsafe { (*segment).next.load_mut() };
            // SAFETY: as above.
            unsafe { self.free(segment) };
            segment = following;
        }
    }
}

impl<T> std::fmt::Debug for UnboundedQueue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnboundedQueue")
            .field("len", &RawQueue::len(self))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
