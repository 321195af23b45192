//! A ring of reusable slots that can lend `&mut T` to a sender or a
//! receiver for as long as a guard lives (see [`crate::zerocopy`]).
//!
//! The algorithm is Dmitry Vyukov's bounded MPMC queue, with each operation
//! split in two: *claim* (win the position by a CAS on `tail` or `head`) and
//! *finish* (publish the slot to the other side by storing its sequence
//! number). Between the two, the claimant owns the slot exclusively, which is
//! what lets a guard hand out `&mut T`.
//!
//! The sequence numbers are those of the bounded ring (`ring.rs`): for
//! position `p` (slot `p % capacity`):
//! - a sender may claim it when the sequence is `free(p) = 4p`, and
//!   publishes it by storing `published(p) = 4p + 1`;
//! - a receiver may claim it when the sequence is `4p + 1`, and releases it
//!   by storing `free(p + capacity)` (what a sender of the next lap expects).
//!
//! The spacing keeps the two apart for a ring of one slot (the bounded
//! ring's reserved and given-up states, which this ring does not use, take
//! the values between).
//!
//! A slot keeps its value after a receive by reference (recycled, so a `Vec`
//! keeps its capacity); a receive by value moves the value out and marks the
//! slot empty, and the next sender by reference fills it with `T::default()`.

use std::cell::UnsafeCell;

use super::ring::{Sequenced, claim, free, published};
use std::mem::MaybeUninit;

use crossbeam_utils::CachePadded;

use super::{LendingKind, QueueStrategy, RawQueue};
use crate::sync::{AtomicUsize, Ordering};

/// A bounded FIFO ring of `N` reusable slots that can lend its slots out:
/// the queue behind zero-copy `send_ref` / `recv_ref`. By-value `send` and
/// `recv` work on it too. `Slots<0>` does not compile.
#[derive(Clone, Copy, Debug, Default)]
pub struct Slots<const N: usize>;

/// The queue [`Slots`] builds.
pub struct SlotQueue<T> {
    head: CachePadded<AtomicUsize>,
    tail: CachePadded<AtomicUsize>,
    /// Cache-padded: a sender filling one slot and a receiver reading its
    /// neighbour must not share a cache line (the slots hold buffers that both
    /// sides write: a `Vec`'s length changes on fill and on recycle).
    slots: Box<[CachePadded<Slot<T>>]>,
    /// Slots lent to senders and not yet published (zero-copy `send_ref`),
    /// so that a closed channel is not reported drained while one is out.
    /// Only the lending operations touch it; by-value sends never do.
    lent: CachePadded<AtomicUsize>,
}

struct Slot<T> {
    sequence: AtomicUsize,
    /// Whether `value` holds a `T`. Read and written only by the slot's
    /// current claimant (or by `drop`, which has `&mut self`).
    filled: UnsafeCell<bool>,
    value: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: only a slot's claimant touches its `filled` and `value` (module
// docs), so sharing the queue only moves `T`s between threads: `T: Send`.
unsafe impl<T: Send> Sync for SlotQueue<T> {}
// SAFETY: as above; the queue owns its `T`s.
unsafe impl<T: Send> Send for SlotQueue<T> {}

impl<const N: usize> Slots<N> {
    const NONZERO: () = assert!(
        N > 0,
        "Slots<0> holds nothing: use the Rendezvous queue for a zero-capacity channel"
    );
}

impl<const N: usize> QueueStrategy for Slots<N> {
    type Kind = LendingKind;
    type Config = ();
    type Queue<T> = SlotQueue<T>;

    fn new_queue<T>(_: &()) -> Self::Queue<T> {
        let () = Self::NONZERO;
        SlotQueue {
            head: CachePadded::new(AtomicUsize::new(0)),
            tail: CachePadded::new(AtomicUsize::new(0)),
            slots: (0..N)
                .map(|i| {
                    CachePadded::new(Slot {
                        sequence: AtomicUsize::new(free(i)),
                        filled: UnsafeCell::new(false),
                        value: UnsafeCell::new(MaybeUninit::uninit()),
                    })
                })
                .collect(),
            lent: CachePadded::new(AtomicUsize::new(0)),
        }
    }
}

impl<T> Sequenced for Slot<T> {
    #[inline(always)]
    fn sequence(&self) -> &AtomicUsize {
        &self.sequence
    }
}

/// A slot won by a sender or a receiver, not yet finished. Owning one means
/// owning the slot's contents.
pub struct Claim<'a, T> {
    slot: &'a Slot<T>,
    position: usize,
}

impl<T> SlotQueue<T> {
    fn capacity(&self) -> usize {
        self.slots.len()
    }

    fn slot(&self, position: usize) -> &Slot<T> {
        &self.slots[position % self.capacity()]
    }

    /// Claims the next position for a sender, if its slot is free.
    pub(crate) fn claim_send(&self) -> Option<Claim<'_, T>> {
        let (position, slot) = claim(&self.tail, |p| self.slot(p), free, None)?;
        Some(Claim { slot, position })
    }

    /// Claims the oldest published position for a receiver, if any.
    pub(crate) fn claim_recv(&self) -> Option<Claim<'_, T>> {
        let (position, slot) = claim(&self.head, |p| self.slot(p), published, None)?;
        Some(Claim { slot, position })
    }

    /// Makes a sender's claimed slot visible to receivers.
    pub(crate) fn publish(&self, claim: Claim<'_, T>) {
        // Release: the slot's contents written under the claim happen before
        // the receiver's Acquire load of the sequence.
        claim
            .slot
            .sequence
            .store(published(claim.position), Ordering::Release);
    }

    /// Claims the next position to lend to a sender (zero-copy `send_ref`),
    /// if its slot is free, and counts it as lent until
    /// [`publish_lent`](Self::publish_lent). The channel calls this inside
    /// its in-flight bracket (`Shared::admit`), so that a receiver that
    /// waited the bracket out after a close sees the count (see
    /// `channel/close.rs`).
    pub(crate) fn claim_lent(&self) -> Option<Claim<'_, T>> {
        let claim = self.claim_send()?;
        // Relaxed: the increment is sequenced before the bracket's Release
        // store that the closing receiver acquires; that, not this
        // ordering, is what makes the receiver see it.
        self.lent.fetch_add(1, Ordering::Relaxed);
        Some(claim)
    }

    /// Publishes a slot claimed with [`claim_lent`](Self::claim_lent) and
    /// stops counting it as lent. The caller wakes receivers afterwards.
    pub(crate) fn publish_lent(&self, claim: Claim<'_, T>) {
        self.publish(claim);
        // Release: the publish (and the message written under the claim)
        // happens before the Acquire load in `lent_slots` that reads
        // this decrement, so a receiver that reads no slot lent finds the
        // message. The caller's `SeqCst` fence follows (`lent_published`),
        // for the wake-up pair with a parked receiver.
        self.lent.fetch_sub(1, Ordering::Release);
    }

    /// Returns a receiver's claimed slot to the senders of the next lap.
    pub(crate) fn release(&self, claim: Claim<'_, T>) {
        // Release: our use of the slot happens before the next sender's
        // Acquire load of the sequence.
        claim.slot.sequence.store(
            free(claim.position.wrapping_add(self.capacity())),
            Ordering::Release,
        );
    }
}

impl<T> Claim<'_, T> {
    /// The slot's value, if it holds one.
    pub(crate) fn get_mut(&mut self) -> Option<&mut T> {
        // SAFETY: the claim owns the slot (module docs), so nobody else reads
        // or writes `filled` or `value` while it lives; `filled` says whether
        // `value` is initialised.
        unsafe {
            if *self.slot.filled.get() {
                Some((*self.slot.value.get()).assume_init_mut())
            } else {
                None
            }
        }
    }

    /// Shared access to the slot's value, if it holds one.
    pub(crate) fn get(&self) -> Option<&T> {
        // SAFETY: as in `get_mut`: the claim owns the slot.
        unsafe {
            if *self.slot.filled.get() {
                Some((*self.slot.value.get()).assume_init_ref())
            } else {
                None
            }
        }
    }

    /// The slot's value, filled with `fill()` first if it was empty.
    pub(crate) fn get_or_fill(&mut self, fill: impl FnOnce() -> T) -> &mut T {
        // SAFETY: as in `get_mut`; we initialise `value` before marking it
        // filled, and only read it when filled.
        unsafe {
            if !*self.slot.filled.get() {
                (*self.slot.value.get()).write(fill());
                *self.slot.filled.get() = true;
            }
            (*self.slot.value.get()).assume_init_mut()
        }
    }

    /// Stores `value`, dropping what the slot held.
    pub(crate) fn put(&mut self, value: T) {
        match self.get_mut() {
            Some(current) => *current = value,
            None => {
                self.get_or_fill(|| value);
            }
        }
    }

    /// Moves the value out, leaving the slot empty.
    pub(crate) fn take(&mut self) -> Option<T> {
        // SAFETY: as in `get_mut`; after reading the value out we mark the
        // slot empty, so it is never read or dropped again.
        unsafe {
            if !*self.slot.filled.get() {
                return None;
            }
            *self.slot.filled.get() = false;
            Some((*self.slot.value.get()).assume_init_read())
        }
    }
}

impl<T> RawQueue<T> for SlotQueue<T> {
    fn push(&self, item: T, _home: usize) -> Result<(), T> {
        let Some(mut claim) = self.claim_send() else {
            return Err(item);
        };
        claim.put(item);
        self.publish(claim);
        Ok(())
    }

    fn pop(&self, _home: usize) -> Option<T> {
        let mut claim = self.claim_recv()?;
        let item = claim.take();
        self.release(claim);
        // A published slot always holds a value: senders fill it first.
        debug_assert!(item.is_some());
        item
    }

    /// Slots published or lent: the room taken (the channel's `len()`
    /// leaves out the lent ones, `lent_slots`).
    fn len(&self) -> usize {
        // Relaxed: a snapshot, as documented on `RawQueue::len`.
        let head = self.head.load(Ordering::Relaxed);
        let tail = self.tail.load(Ordering::Relaxed);
        tail.wrapping_sub(head).min(self.capacity())
    }

    fn capacity(&self) -> Option<usize> {
        Some(self.slots.len())
    }

    fn head_held_by_sender(&self) -> bool {
        // Relaxed, all three: a hint, which a select reads after linking its
        // waiter and a `SeqCst` fence; every publish is followed by its
        // sender's `SeqCst` fence and wake-up (`message_stored`,
        // `lent_published`). So a
        // sequence read here as `free(head)`, for the current `head` or a
        // stale one, is unpublished, or its sender's fence comes after the
        // select's and that sender finds the select linked and wakes it
        // (waker invariant 4). A stale `tail` reads as "not held", which
        // costs the select one more try at most.
        let head = self.head.load(Ordering::Relaxed);
        let tail = self.tail.load(Ordering::Relaxed);
        // `tail` past `head`: a sender won the CAS for `head`; the sequence
        // still `free(head)`: it has not published. (After its publish the
        // sequence is `published(head)` and later `free(head + capacity)`;
        // it never reads `free(head)` again.)
        tail != head && self.slot(head).sequence.load(Ordering::Relaxed) == free(head)
    }

    fn lent_slots(&self) -> usize {
        // Acquire: pairs with the Release decrement in `publish_lent` (every
        // later change is an RMW, which continues its release sequence), so
        // a receiver that reads 0 sees every lent slot's publish and finds
        // its message. That this load sees every increment made before the
        // close is the caller's side of the argument (`channel/close.rs`).
        // (`len` reads it too, as a snapshot.)
        self.lent.load(Ordering::Acquire)
    }

    /// The ring of cache-padded slots, allocated in full when the channel is
    /// built (buffers a message owns, such as a `Vec`'s heap, not counted).
    fn allocated_bytes(&self) -> Option<usize> {
        Some(std::mem::size_of_val(&*self.slots))
    }
}

impl<T> Drop for SlotQueue<T> {
    fn drop(&mut self) {
        for slot in self.slots.iter_mut() {
            if *slot.filled.get_mut() {
                // SAFETY: `filled` says the value is initialised, and `&mut
                // self` means no claim is alive.
                unsafe { slot.value.get_mut().assume_init_drop() };
            }
        }
    }
}

impl<T> std::fmt::Debug for SlotQueue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlotQueue")
            .field("len", &RawQueue::len(self))
            .finish_non_exhaustive()
    }
}

impl<T> std::fmt::Debug for Claim<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claim")
            .field("position", &self.position)
            .finish_non_exhaustive()
    }
}
