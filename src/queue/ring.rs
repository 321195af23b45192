//! The ring behind [`Bounded`](super::Bounded) and
//! [`DynBounded`](super::DynBounded): a bounded MPMC array queue in the
//! style of Dmitry Vyukov's, with linearizable non-blocking operations.
//!
//! Every slot carries a `sequence`. For position `p` (a counter that only
//! grows; the slot is `p % capacity`):
//! - `sequence == 4p` ([`free`]): the slot is free for the sender of `p`;
//! - `sequence == 4p + 1` ([`published`]): it holds the message of `p`;
//! - `sequence == 4p + 3` ([`held`]): the sender of `p` *reserved* it and
//!   has no message yet (a select's send branch evaluating its value; see
//!   "Reservations");
//! - `sequence == 4p + 2` ([`hole`]): the reservation of `p` was given up;
//!   the slot holds nothing, and whoever reaches it skips it;
//! - `sequence == 4(p + capacity)`: the receiver of `p` has released it to
//!   the sender of position `p + capacity`.
//!
//! (Spacing by four keeps every state of `p` apart from "free for
//! `p + capacity`" when the capacity is 1, where Vyukov's `p + 1` and
//! `p + capacity` meet.)
//!
//! A sender claims position `tail` with a CAS when the slot's sequence says
//! it is free, writes, then publishes (Release). A receiver claims `head`
//! when the slot is published, reads, then releases (Release). Between
//! claim and publish (or release) the slot belongs to its claimant alone.
//!
//! # Waiting for a peer
//! A peer stopped between its claim and its publish/release leaves a slot
//! that reads as "not yet". A receiver that finds the head slot unpublished
//! while the head position is claimed (`tail > head`) waits for its sender
//! (spinning, then yielding) instead of reporting "empty", and a sender
//! that finds the tail slot unreleased while the ring is not full by its
//! counters (`tail < head + capacity`) waits for its receiver instead of
//! reporting "full", as crossbeam's `ArrayQueue` does. Answering at once
//! would not be linearizable: a later slot may hold a message whose send
//! has returned (a thread's own `send` then `try_recv` could say `Empty`),
//! and `len`/`is_empty`, which count claims, would contradict the answer.
//! The wait is for one peer's few instructions between its claim and its
//! write (or read), never across a park or user code; a peer preempted
//! there is waited for (crossbeam#997's cost, accepted for correctness).
//!
//! `DropOldest` needs a store that evicts the oldest message when the ring
//! is full, without losing it when evicting senders race:
//! [`Ring::push_evicting`] claims the oldest position as a receiver *only if
//! the ring is full at that position* (`tail == head + capacity`), which
//! stops every other sender (the slot for `tail` is the one it now holds,
//! and it is not released), so it can then claim `tail` for itself and
//! write the newcomer into the very slot it emptied.
//!
//! # Reservations
//! A select's send branch must not evaluate its value unless the value can
//! be stored (a value evaluated and then refused would be lost), so it
//! first reserves a slot: [`Ring::reserve`] claims the tail as a store
//! does and marks the slot [`held`]; [`Ring::fill`] later writes and
//! publishes it, and [`Ring::cancel`] (the value expression panicked)
//! marks it a [`hole`]. While the oldest position is held, receivers find
//! nothing (FIFO: nothing behind it can be taken either) and do *not* wait
//! for it, since its sender runs user code: `head_held` tells the channel
//! core, which parks receivers until the fill's wake-up, as for a
//! zero-copy slot lent to a sender. Reservations are counted in `lent`
//! (incremented before the claim, so that a receiver that closed the ring
//! sees it; see [`Ring::lent`]): a closed channel is not drained while one
//! is out, because a reservation claimed its place before the close and
//! lands. A hole is taken and released by the receiver that reaches it
//! (inside its claim, which moves on to the next position), by a sender
//! that finds the ring full with a hole at the head, or at once by its
//! canceller when it is the oldest position, so a hole never keeps a
//! sender waiting.
//!
//! # Claims and the channel's wake-ups
//! Both claims are `SeqCst` CASes on the counters that `len` reads
//! ([`RawQueue::CLAIMS_SEQCST`](crate::queue::RawQueue::CLAIMS_SEQCST)). A
//! receiver about to park has linked its waiter and issued a `SeqCst` fence;
//! if a sender's claim came before that fence in the single total order, the
//! receiver's re-check reads the claimed tail (`len() > 0`) and retries
//! instead of parking, whether or not the message is written yet; if the
//! fence came first, the sender's `SeqCst` load of the waiter count, after
//! its claim, sees the receiver linked. Senders waiting for room and
//! receivers' claims of the head pair up the same way. So the channel core
//! issues no fence of its own after a ring operation.
//!
//! # Closing
//! [`Ring::close`] sets [`CLOSED`], the top bit of the tail counter, with a
//! `fetch_or`. A sender's claim CAS compares the whole word, so it fails
//! once the bit is set, and the retry sees the bit and refuses: a store
//! either claimed its position before the close or is handed back. The
//! counter's positions would reach the top bit after 2^63 stores (centuries
//! at a billion a second), so only 64-bit targets close this way; on others
//! [`CLOSES`](crate::queue::RawQueue::CLOSES) is `false` and the channel
//! core brackets each store instead.

use std::mem::MaybeUninit;

use crossbeam_utils::CachePadded;

use super::Reservation;
use crate::sync::{AtomicMut, AtomicUsize, Backoff, Ordering, UnsafeCell, fence};

/// Whether a ring can close itself (see "Closing" in the module docs).
pub(crate) const CLOSES: bool = cfg!(target_pointer_width = "64");

/// Tail flag: the ring refuses stores ([`Ring::close`]). 0 where rings do
/// not close, so that every test of it is false and every mask a no-op.
pub(crate) const CLOSED: usize = if CLOSES { 1 << (usize::BITS - 1) } else { 0 };

/// The sequence of a slot free for the sender of `position`.
#[inline]
pub(crate) fn free(position: usize) -> usize {
    position.wrapping_mul(4)
}

/// The sequence of a slot holding the published message of `position`.
#[inline]
pub(crate) fn published(position: usize) -> usize {
    position.wrapping_mul(4).wrapping_add(1)
}

/// The sequence of a slot whose reservation for `position` was given up.
#[inline]
fn hole(position: usize) -> usize {
    position.wrapping_mul(4).wrapping_add(2)
}

/// The sequence of a slot reserved by the sender of `position`, without its
/// message yet.
#[inline]
fn held(position: usize) -> usize {
    position.wrapping_mul(4).wrapping_add(3)
}

/// A receiver's claim meets a [`hole`]: `hole(p) - published(p)`.
const HOLE_LAG: isize = 1;
/// A receiver's claim meets a [`held`] slot: `held(p) - published(p)`.
const HELD_LAG: isize = 2;

/// Claims the next position of `counter` (a ring's `tail` for a sender, its
/// `head` for a receiver) whose slot's sequence is `ready(position)`
/// ([`free`] for a sender, [`published`] for a receiver); `sequence_at`
/// finds a position's slot sequence. Returns `None` at once when that slot
/// is not ready yet (full, or empty, or a peer is still in the middle of
/// its operation on it), or when the counter is [`CLOSED`]: the ring never
/// waits for another thread ([`Ring`]'s operations add the waiting
/// themselves). Shared by [`Ring`] and the zero-copy
/// [`Slots`](super::Slots) ring, whose lent slots user code holds and which
/// therefore never waits.
///
/// `holes_lap`: `Some(capacity)` for a [`Ring`] receiver, which takes and
/// releases every [`hole`] it meets and moves on, and answers `None` at a
/// [`held`] slot; `None` for senders and for rings without reservations.
#[inline]
pub(crate) fn claim<'a, S: Sequenced>(
    counter: &AtomicUsize,
    slot_at: impl Fn(usize) -> &'a S,
    ready: fn(usize) -> usize,
    holes_lap: Option<usize>,
) -> Option<(usize, &'a S)> {
    let backoff = Backoff::new();
    // Relaxed: a guess until the CAS below wins it; the slot's contents are
    // ordered by its sequence (Acquire/Release).
    let mut position = counter.load(Ordering::Relaxed);
    loop {
        if position & CLOSED != 0 {
            // Acquire: pairs with the Release `fetch_or` in `close`, so the
            // channel's disconnected flag, set before it, is seen.
            fence(Ordering::Acquire);
            return None;
        }
        // Acquire: pairs with the Release store that made the slot ready
        // (a receiver's release for a sender, a sender's publish for a
        // receiver), so the peer's use of the slot happened before ours.
        let slot = slot_at(position);
        let sequence = slot.sequence().load(Ordering::Acquire);
        match sequence.wrapping_sub(ready(position)) as isize {
            0 => match counter.compare_exchange_weak(
                position,
                position.wrapping_add(1),
                // SeqCst on success: the claim is the operation's half of
                // the channel's wake-up protocol (`RawQueue::CLAIMS_SEQCST`;
                // on x86 the same locked instruction). Relaxed on failure:
                // the CAS only arbitrates between claimants of the same
                // side; the slot is ordered by its sequence.
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some((position, slot)),
                Err(current) => {
                    // Another claimant won: pause before retrying from
                    // what the CAS saw, so the winner keeps the line for
                    // its next operation instead of every claimant pulling
                    // it back at once.
                    position = current;
                    backoff.spin();
                }
            },
            // Not ready: the previous lap's message is still there (full),
            // nothing is published (empty), or a peer holds the slot.
            lag if lag < 0 => return None,
            HOLE_LAG if holes_lap.is_some() => {
                position = take_hole(counter, slot.sequence(), position, holes_lap);
            }
            // Reserved, no message yet: nothing to take now.
            HELD_LAG if holes_lap.is_some() => return None,
            // Another claimant took this position: catch up.
            _ => {
                crate::sync::loom_yield();
                position = counter.load(Ordering::Relaxed);
            }
        }
    }
}

/// A ring slot: what [`claim`] reads of it.
pub(crate) trait Sequenced {
    /// The slot's sequence (module docs).
    fn sequence(&self) -> &AtomicUsize;
}

/// Takes the [`hole`] at `position` of `counter` (a ring's head) and
/// releases its slot to the next lap (`holes_lap`: the capacity), if no one
/// else took it first; returns the position to try next.
#[cold]
fn take_hole(
    counter: &AtomicUsize,
    sequence: &AtomicUsize,
    position: usize,
    holes_lap: Option<usize>,
) -> usize {
    let lap = holes_lap.expect("only ring receivers take holes");
    match counter.compare_exchange(
        position,
        position.wrapping_add(1),
        // SeqCst: a claim, as in `claim` (the head moves, so room appears
        // for senders, whose wake-up pairing reads it).
        Ordering::SeqCst,
        Ordering::Relaxed,
    ) {
        Ok(_) => {
            // Release: as a receiver's release of a slot it read.
            sequence.store(free(position.wrapping_add(lap)), Ordering::Release);
            position.wrapping_add(1)
        }
        Err(current) => current,
    }
}

/// The bounded ring. `T` is the stored item.
pub(crate) struct Ring<T> {
    head: CachePadded<AtomicUsize>,
    tail: CachePadded<AtomicUsize>,
    slots: Box<[Slot<T>]>,
    /// `capacity - 1` when the capacity is a power of two (the slot of a
    /// position is then a mask away, not a division).
    mask: Option<usize>,
    /// Reservations out ([`Ring::reserve`] to [`Ring::fill`] or
    /// [`Ring::cancel`]). Only reservations touch it.
    lent: AtomicUsize,
}

struct Slot<T> {
    sequence: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

impl<T> Sequenced for Slot<T> {
    #[inline(always)]
    fn sequence(&self) -> &AtomicUsize {
        &self.sequence
    }
}

// SAFETY: a slot's `value` is touched only by the claimant of its position
// (module docs), so sharing the ring only moves `T`s between threads.
unsafe impl<T: Send> Sync for Ring<T> {}
// SAFETY: the ring owns its `T`s.
unsafe impl<T: Send> Send for Ring<T> {}

impl<T> Ring<T> {
    /// An empty ring of `capacity` slots (`capacity > 0`).
    pub(crate) fn new(capacity: usize) -> Self {
        assert!(capacity > 0, "a ring needs at least one slot");
        Self {
            head: CachePadded::new(AtomicUsize::new(0)),
            tail: CachePadded::new(AtomicUsize::new(0)),
            slots: (0..capacity)
                .map(|position| Slot {
                    sequence: AtomicUsize::new(free(position)),
                    value: UnsafeCell::new(MaybeUninit::uninit()),
                })
                .collect(),
            mask: capacity.is_power_of_two().then(|| capacity - 1),
            lent: AtomicUsize::new(0),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    #[inline(always)]
    fn slot(&self, position: usize) -> &Slot<T> {
        let index = match self.mask {
            Some(mask) => position & mask,
            None => position % self.slots.len(),
        };
        debug_assert!(index < self.slots.len());
        // SAFETY: `mask` is `len - 1` for a power-of-two length, so both
        // arms give an index below the length.
        unsafe { self.slots.get_unchecked(index) }
    }

    /// Stores `item` at the tail, or hands it back when the ring is full or
    /// closed. Waits while the slot at the tail is still being read by a
    /// receiver that claimed it (see "Waiting for a peer").
    #[inline(always)]
    pub(crate) fn push(&self, item: T) -> Result<(), T> {
        match claim(&self.tail, |p| self.slot(p), free, None) {
            Some((position, slot)) => {
                self.write(slot, position, item);
                Ok(())
            }
            None => self.push_after_take(item),
        }
    }

    /// `push` found the slot at the tail not free: hands `item` back if the
    /// ring is full (or closed), and otherwise waits for the receiver that
    /// is still reading that slot, then claims again.
    #[cold]
    #[inline(never)]
    fn push_after_take(&self, item: T) -> Result<(), T> {
        match self.claim_room() {
            Some(position) => {
                self.write(self.slot(position), position, item);
                Ok(())
            }
            None => Err(item),
        }
    }

    /// The slow part of a claim of the tail: waits for a receiver that is
    /// still reading the slot there, and takes a [`hole`] at the head of a
    /// full ring; `None` when the ring is full (or closed).
    #[cold]
    #[inline(never)]
    fn claim_room(&self) -> Option<usize> {
        let backoff = Backoff::new();
        loop {
            if !self.take_under_way() && !self.take_hole_at_head() {
                return None;
            }
            backoff.snooze();
            if let Some((position, _)) = claim(&self.tail, |p| self.slot(p), free, None) {
                return Some(position);
            }
        }
    }

    /// Takes a [`hole`] at the head, if there is one there; whether it did
    /// (or another thread did first: either way there is room to try for).
    fn take_hole_at_head(&self) -> bool {
        // Relaxed: a guess; the CAS in `take_hole` decides.
        let head = self.head.load(Ordering::Relaxed);
        // Acquire: as in `claim` (a hole carries nothing, but the release
        // of its slot to the next lap must come after the canceller's use).
        if self.slot(head).sequence.load(Ordering::Acquire) != hole(head) {
            return false;
        }
        take_hole(
            &self.head,
            &self.slot(head).sequence,
            head,
            self.holes_lap(),
        );
        true
    }

    /// What a receiver's [`claim`] is told: this ring's holes are taken by
    /// its receivers.
    #[inline(always)]
    fn holes_lap(&self) -> Option<usize> {
        Some(self.capacity())
    }

    /// Takes the message at the head, if there is one. Waits while the head
    /// position is claimed by a sender that is still writing it (see
    /// "Waiting for a peer").
    #[inline(always)]
    pub(crate) fn pop(&self) -> Option<T> {
        match claim(&self.head, |p| self.slot(p), published, self.holes_lap()) {
            Some((position, slot)) => Some(self.read(slot, position)),
            None => self.pop_after_store(),
        }
    }

    /// `pop` found the head slot not published: `None` if the ring is
    /// empty, and otherwise waits for the sender that is still writing
    /// that slot, then claims again.
    #[cold]
    #[inline(never)]
    fn pop_after_store(&self) -> Option<T> {
        let backoff = Backoff::new();
        loop {
            // A reserved head holds user code up: the channel core parks
            // instead (`head_held`), and the fill wakes it.
            if !self.store_under_way() || self.head_held() {
                return None;
            }
            backoff.snooze();
            if let Some((position, slot)) =
                claim(&self.head, |p| self.slot(p), published, self.holes_lap())
            {
                return Some(self.read(slot, position));
            }
        }
    }

    /// Whether a sender has claimed the head position (the ring is not
    /// empty by its counters), so that a receive that found the head slot
    /// unpublished must wait for that sender rather than report "empty".
    fn store_under_way(&self) -> bool {
        // The head first: both counters only grow and the head never
        // passes the tail, so a tail read after the head that equals it was
        // the tail when the head was read: the ring was empty then, which
        // makes "empty" a right answer. (Read the other way round, a head
        // moved on by other threads could pass a stale tail.)
        // Relaxed: a hint whether to claim again; the claim orders the slot
        // (Acquire on its sequence). Read-read coherence is what matters: a
        // tail this thread moved, or saw, is seen (so a send this thread
        // made, or an `is_empty() == false` it read, counts).
        let head = self.head.load(Ordering::Relaxed);
        // Relaxed: as above.
        let tail = self.tail.load(Ordering::Relaxed) & !CLOSED;
        tail.wrapping_sub(head) as isize > 0
    }

    /// Whether a receiver has claimed the oldest position and not released
    /// its slot yet (the ring is not full by its counters), so that a store
    /// that found the tail slot not free must wait for that receiver rather
    /// than report "full". A closed ring is never waited for: the store is
    /// refused.
    fn take_under_way(&self) -> bool {
        // The tail first, so that "full" (`tail >= head + capacity` with
        // the head read after) held when the tail was read (the mirror of
        // `store_under_way`). Relaxed: as in `store_under_way`.
        let tail = self.tail.load(Ordering::Relaxed);
        if tail & CLOSED != 0 {
            // Acquire: as in `claim`, so the caller reads the channel's
            // disconnected flag set.
            fence(Ordering::Acquire);
            return false;
        }
        // Relaxed: as in `store_under_way`.
        let head = self.head.load(Ordering::Relaxed);
        tail.wrapping_sub(head) < self.capacity()
    }

    /// Stores `item`; when the ring is full, evicts and returns the oldest
    /// message and stores `item` in its place. Unlike the `try` operations,
    /// this one waits (spinning, then yielding) while the slot it needs is
    /// held by a peer in the middle of its operation: the oldest message not
    /// yet published, or a receiver not yet done with the slot at the tail.
    /// It is `DropOldest`'s `send`, which must store the newcomer.
    ///
    /// Hands `item` back once the ring is closed.
    pub(crate) fn push_evicting(&self, mut item: T) -> Result<Option<T>, T> {
        let backoff = Backoff::new();
        loop {
            match self.push(item) {
                Ok(()) => return Ok(None),
                Err(refused) => item = refused,
            }
            // Relaxed loads: a guess checked by the sequence and the CAS.
            let tail = self.tail.load(Ordering::Relaxed);
            if tail & CLOSED != 0 {
                // Acquire: as in `claim`.
                fence(Ordering::Acquire);
                return Err(item);
            }
            if self.take_hole_at_head() {
                continue;
            }
            let head = self.head.load(Ordering::Relaxed);
            let slot = self.slot(head);
            // Acquire: as in `pop`.
            let ready = slot.sequence.load(Ordering::Acquire) == published(head);
            let full_at_head = tail == head.wrapping_add(self.capacity());
            if ready && full_at_head {
                if let Some((oldest, position)) = self.take_oldest_at(head) {
                    self.store_evicted(position, item);
                    return Ok(Some(oldest));
                }
            }
            backoff.snooze();
        }
    }

    /// `push_evicting`'s first half: claims position `head` as a receiver,
    /// if the head is still there, and reads its message without releasing
    /// the slot; returns it with the position the newcomer takes. The caller
    /// saw the slot published and the ring full at `head`
    /// (`tail == head + capacity`), and must then call
    /// [`store_evicted`](Self::store_evicted).
    fn take_oldest_at(&self, head: usize) -> Option<(T, usize)> {
        self.head
            .compare_exchange(
                head,
                head.wrapping_add(1),
                // SeqCst: a claim, as in `pop` (see "Claims and the
                // channel's wake-ups"); the slot is ordered by its
                // sequence, read by the caller with Acquire.
                Ordering::SeqCst,
                Ordering::Relaxed,
            )
            .ok()?;
        // We own position `head`. The tail cannot pass `head + capacity`
        // while that slot is unreleased, and it was there already, so it is
        // there now, and no other sender can claim it (the slot's sequence is
        // not `free(head + capacity)`).
        let slot = self.slot(head);
        let oldest = slot.value.with(|value| {
            // SAFETY: we claimed `head`, whose slot was published, so it
            // holds an initialised value that only we may read.
            unsafe { (*value).assume_init_read() }
        });
        Some((oldest, head.wrapping_add(self.capacity())))
    }

    /// `push_evicting`'s second half: moves the tail past `position` (the
    /// one [`take_oldest_at`](Self::take_oldest_at) returned) and stores
    /// `item` in the slot it emptied.
    fn store_evicted(&self, position: usize, item: T) {
        // No other sender moves the tail from here (above), but a close may
        // set `CLOSED` meanwhile: an add keeps the bit. This store claimed its
        // place (the slot it emptied) before that close, so it lands. SeqCst:
        // a claim, as in `push`; receivers learn of the new message from its
        // sequence.
        let before = self.tail.fetch_add(1, Ordering::SeqCst);
        debug_assert_eq!(
            before & !CLOSED,
            position,
            "the tail moved past a held slot"
        );
        self.write(self.slot(position), position, item);
    }

    /// Writes `item` into the slot of `position` (claimed by the caller) and
    /// publishes it.
    #[inline]
    fn write(&self, slot: &Slot<T>, position: usize, item: T) {
        // SAFETY: the caller claimed `position`, so the slot is ours until
        // the store below, and its previous value was read out by its
        // receiver (or never existed).
        slot.value.with_mut(|value| unsafe { (*value).write(item) });
        // Release: our write happens before the receiver's Acquire load.
        slot.sequence.store(published(position), Ordering::Release);
    }

    /// Reads the value of `position` (claimed by the caller) and releases
    /// the slot to the next lap's sender.
    #[inline]
    fn read(&self, slot: &Slot<T>, position: usize) -> T {
        let item = slot.value.with(|value| {
            // SAFETY: the caller claimed the published `position`: the slot
            // holds an initialised value that only the caller reads, once.
            unsafe { (*value).assume_init_read() }
        });
        // Release: our read happens before the next sender's Acquire load.
        slot.sequence.store(
            free(position.wrapping_add(self.capacity())),
            Ordering::Release,
        );
        item
    }

    /// Messages stored or being stored now (a snapshot).
    pub(crate) fn len(&self) -> usize {
        loop {
            // Acquire: a consistent pair is all that matters (nothing is read
            // through it); the tail is read twice so that the head read in
            // between is not ahead of it.
            let tail = self.tail.load(Ordering::Acquire);
            let head = self.head.load(Ordering::Acquire);
            if self.tail.load(Ordering::Acquire) == tail {
                return (tail & !CLOSED).wrapping_sub(head).min(self.capacity());
            }
        }
    }

    /// Refuses every store that has not claimed its position yet (see
    /// "Closing" in the module docs). Idempotent.
    pub(crate) fn close(&self) {
        // Relaxed: only skips the read-modify-write when a close is already
        // in the tail's history; the caller's later loads of the tail see it.
        if self.tail.load(Ordering::Relaxed) & CLOSED == 0 {
            // Release: a sender that sees the bit (Acquire, in `claim`) sees
            // what the closer did before, the channel's flag included.
            self.tail.fetch_or(CLOSED, Ordering::Release);
        }
    }

    /// Takes every message, for a channel whose last receiver went, once no
    /// store can claim a new position: the ring is [closed](Self::close), or
    /// the caller waited out every store (the channel's bracket). Waits
    /// (spinning, then yielding) for the stores still under way, each inside
    /// one non-blocking call: a store that claimed its position and is
    /// writing it, and an evicting store ([`push_evicting`](Self::push_evicting))
    /// that took the oldest slot as a receiver and has not yet stored the
    /// newcomer there. The latter leaves the counters saying "empty" for a
    /// moment (it claims the head before it moves the tail), so only the
    /// slots tell.
    pub(crate) fn drain(&self) -> Vec<T> {
        let backoff = Backoff::new();
        let mut items = Vec::new();
        loop {
            while let Some(item) = self.pop() {
                items.push(item);
            }
            if self.is_empty() && !self.take_in_progress() {
                return items;
            }
            // A reservation at the head lands when user code is done; its
            // fill drains again (`Shared::lent_published`).
            if self.head_held() {
                return items;
            }
            backoff.snooze();
        }
    }

    /// Whether a slot is held by a taker between its claim and its release:
    /// its sequence says "published" for a position the head has passed.
    /// With no receiver left, only an evicting store does that, and it then
    /// stores into that very slot. (Positions stay below 2^61 for centuries,
    /// so the quartered sequence compares with the head without wrapping.)
    fn take_in_progress(&self) -> bool {
        // Acquire: pairs with an evicting store's `SeqCst` claim of the head,
        // which it made after reading the slot published (Acquire): a head
        // that counts the claim comes with that slot's sequence, or a later
        // one (its publish of the newcomer, also odd).
        let head = self.head.load(Ordering::Acquire);
        self.slots.iter().any(|slot| {
            // Acquire: as above.
            let sequence = slot.sequence.load(Ordering::Acquire);
            sequence & 3 == 1 && head.wrapping_sub(sequence >> 2) as isize > 0
        })
    }

    /// Whether nothing is stored (a snapshot).
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes of the slots.
    pub(crate) fn slot_bytes(&self) -> usize {
        std::mem::size_of_val(&*self.slots)
    }
}

#[cfg(test)]
impl<T> Ring<T> {
    /// Claims the tail position as `push` does, without writing: a sender
    /// stopped between its claim and its write, for tests.
    pub(crate) fn claim_tail(&self) -> Option<usize> {
        claim(&self.tail, |p| self.slot(p), free, None).map(|(position, _)| position)
    }

    /// Finishes a store claimed with [`claim_tail`](Self::claim_tail).
    pub(crate) fn write_claimed(&self, position: usize, item: T) {
        self.write(self.slot(position), position, item);
    }

    /// Claims the head position as `pop` does, without reading: a receiver
    /// stopped between its claim and its release, for tests.
    pub(crate) fn claim_head(&self) -> Option<usize> {
        claim(&self.head, |p| self.slot(p), published, self.holes_lap())
            .map(|(position, _)| position)
    }

    /// The first half of an evicting store on a full ring, as
    /// `push_evicting` plays it: the oldest message and the newcomer's
    /// position. Finish with [`store_evicted`](Self::store_evicted).
    pub(crate) fn evict_oldest(&self) -> Option<(T, usize)> {
        let head = self.head.load(Ordering::Relaxed);
        self.take_oldest_at(head)
    }

    /// Finishes an evicting store begun with
    /// [`evict_oldest`](Self::evict_oldest).
    pub(crate) fn land_evicted(&self, position: usize, item: T) {
        self.store_evicted(position, item);
    }

    /// Finishes a take claimed with [`claim_head`](Self::claim_head).
    pub(crate) fn read_claimed(&self, position: usize) -> T {
        self.read(self.slot(position), position)
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        let head = self.head.load_mut();
        let tail = self.tail.load_mut() & !CLOSED;
        let mut position = head;
        while position != tail {
            let capacity = self.slots.len();
            let slot = &mut self.slots[position % capacity];
            // A hole holds nothing (no reservation is alive: it borrows the
            // ring).
            if slot.sequence.load_mut() == published(position) {
                slot.value.with_mut(|value| {
                    // SAFETY: `&mut self` means no claim is alive, so a
                    // position in `head..tail` whose slot says published was
                    // not read: its value is initialised.
                    unsafe { (*value).assume_init_drop() }
                });
            }
            position = position.wrapping_add(1);
        }
    }
}

mod batch;
mod reserve;
#[cfg(test)]
mod tests;
