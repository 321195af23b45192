//! Peek: look at the next message, then take it or leave it at the head.
//!
//! crossbeam's queues cannot show an item without removing it, so a peek
//! *pops* the next message into a guard ([`Peeked`]). [`Peeked::take`] keeps
//! it; [`Peeked::leave`] (or dropping the guard) puts it back in the
//! channel's *front*: a short list, outside the queue, that every receive
//! looks at first. The front is empty unless a guard left something, and a
//! receive checks it with one relaxed load of a counter, so plain receives
//! pay one read of a read-mostly line for the feature.
//!
//! # Order
//!
//! Messages left by guards are older than everything still in the queue, and
//! among themselves they keep the order in which they were popped (each
//! popped message gets a sequence number under the front's lock, and a left
//! message is put back at its place). With one receiver, peek therefore keeps
//! the channel exactly FIFO. With several receivers, a peeked message is
//! *reserved* for the guard while it lives: the other receivers go on with
//! the messages behind it, and a left message is the next one any of them
//! receives.
//!
//! # Which queues
//!
//! Only queues where "the head" means one message and a message may step out
//! of the queue and back without breaking a promise: [`Unbounded`],
//! [`Bounded`] and [`DynBounded`] (the bound [`Peekable`]). Not:
//! - [`Rendezvous`](crate::queue::Rendezvous): popping the message releases
//!   its sender, which would be told "taken" by a look;
//! - [`Prioritized`](crate::queue::Prioritized): a left message would sit
//!   ahead of a more urgent one that arrives later;
//! - [`WorkStealing`](crate::queue::WorkStealing): there is no single head,
//!   each worker has its own;
//! - [`Slots`](crate::queue::Slots): its zero-copy receive lends the slot in
//!   place and would not see a message left in the front.
//!
//! # Capacity and `DropOldest`
//!
//! While a guard holds a message, its room in a bounded queue is free, so a
//! sender may fill it; when the guard then leaves its message, the channel
//! holds one message more than its capacity until a receive takes one. Under
//! `DropOldest` a left message is the oldest one, so it is the first evicted.

use std::collections::VecDeque;
use std::fmt;
use std::ops::Deref;

use super::shared::{Envelope, Stamp};
use super::{Flavor, Shared};
use crate::queue::{Bounded, DynBounded, QueueStrategy, Unbounded};
use crate::sync::{AtomicUsize, Mutex, Ordering, lock};

/// A queue whose channels have [`Receiver::peek`](crate::Receiver::peek):
/// a FIFO queue with one head, whose items can step out and back without a
/// promise breaking.
///
/// Implemented for [`Unbounded`], [`Bounded`] and [`DynBounded`]. Not for:
/// - [`Rendezvous`](crate::queue::Rendezvous): popping the message releases
///   its sender, which would be told "taken" by a mere look;
/// - [`Prioritized`](crate::queue::Prioritized): a left message would sit
///   ahead of a more urgent one that arrives later;
/// - [`WorkStealing`](crate::queue::WorkStealing): there is no single head,
///   each worker has its own;
/// - [`Slots`](crate::queue::Slots): its zero-copy receive lends the slot in
///   place and would not see a message left at the head.
///
/// Implement it for a queue of your own whose `pop` is FIFO and which is
/// not a hand-over queue.
///
/// The others do not compile:
///
/// ```compile_fail
/// use may_channel::{Channel, queue::{WorkStealing, Workers}};
/// let (tx, rx) = Channel::<WorkStealing>::with_config::<u32>(Workers(2)).unwrap();
/// let _ = rx.try_peek();
/// ```
///
/// ```compile_fail
/// use may_channel::{Channel, queue::Rendezvous};
/// let (tx, rx) = Channel::<Rendezvous>::new::<u32>();
/// let _ = rx.try_peek();
/// ```
///
/// ```compile_fail
/// use may_channel::flavors::PriorityUnbounded;
/// let (tx, rx) = PriorityUnbounded::new::<u32>();
/// let _ = rx.try_peek();
/// ```
///
/// while the same call on a bounded channel does:
///
/// ```
/// use may_channel::{Channel, TryRecvError, queue::Bounded};
/// let (tx, rx) = Channel::<Bounded<4>>::new::<u32>();
/// assert!(matches!(rx.try_peek(), Err(TryRecvError::Empty)));
/// # drop(tx);
/// ```
#[diagnostic::on_unimplemented(
    message = "a channel on `{Self}` cannot peek",
    label = "peek needs a plain FIFO queue with one head",
    note = "`Unbounded`, `Bounded<N>` and `DynBounded` peek; `Rendezvous` (a look would release the sender), `Prioritized` (a left message would overtake a later urgent one), `WorkStealing` (no single head) and `Slots` (lends in place) do not"
)]
pub trait Peekable: QueueStrategy {}

impl Peekable for Unbounded {}
impl<const N: usize> Peekable for Bounded<N> {}
impl Peekable for DynBounded {}

/// The messages guards left at the head of a channel, oldest first.
pub(crate) struct Front<E> {
    /// How many messages `left` holds: a hint read without the lock, so
    /// that a receive pays one load when nothing was left.
    len: AtomicUsize,
    left: Mutex<Left<E>>,
}

struct Left<E> {
    /// Left messages with their sequence numbers, ascending.
    items: VecDeque<(u64, E)>,
    /// The number the next message a peek pops from the queue gets.
    next_seq: u64,
}

/// What a peek holds: the message's sequence number and its envelope.
pub(crate) type Held<E> = (u64, E);

impl<E> Front<E> {
    pub(crate) fn new() -> Self {
        Self {
            len: AtomicUsize::new(0),
            left: Mutex::new(Left {
                items: VecDeque::new(),
                next_seq: 0,
            }),
        }
    }

    /// Whether nothing was left (a hint under concurrency).
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many messages were left (a snapshot).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        // Relaxed: a hint; the messages themselves are handed over under the
        // lock, and a waiting receiver's re-check is ordered by the waker's
        // fence pair (the leaving guard fences before it notifies).
        self.len.load(Ordering::Relaxed)
    }

    fn set_len(&self, left: &Left<E>) {
        // Relaxed: written under the lock; see `len`.
        self.len.store(left.items.len(), Ordering::Relaxed);
    }

    /// Takes the oldest left message, if any.
    #[inline]
    pub(crate) fn pop(&self) -> Option<E> {
        if self.is_empty() {
            return None;
        }
        self.pop_locked()
    }

    #[cold]
    fn pop_locked(&self) -> Option<E> {
        let mut left = lock(&self.left);
        let item = left.items.pop_front();
        self.set_len(&left);
        item.map(|(_, envelope)| envelope)
    }

    /// For a peek: the oldest left message, or else one popped from the
    /// queue by `pop_queued` (numbered under the lock, so that numbers follow
    /// pop order). The flag says whether it came from the queue.
    pub(crate) fn take_for_peek(
        &self,
        pop_queued: impl FnOnce() -> Option<E>,
    ) -> Option<(Held<E>, bool)> {
        let mut left = lock(&self.left);
        if let Some(held) = left.items.pop_front() {
            self.set_len(&left);
            return Some((held, false));
        }
        let envelope = pop_queued()?;
        let seq = left.next_seq;
        left.next_seq += 1;
        Some(((seq, envelope), true))
    }

    /// Puts a peeked message back at its place among the left ones.
    pub(crate) fn put_back(&self, (seq, envelope): Held<E>) {
        let mut left = lock(&self.left);
        let at = left.items.partition_point(|(other, _)| *other < seq);
        left.items.insert(at, (seq, envelope));
        self.set_len(&left);
    }

    /// Removes every left message, oldest first.
    pub(crate) fn drain(&self) -> Vec<E> {
        let mut left = lock(&self.left);
        let items = left.items.drain(..).map(|(_, envelope)| envelope).collect();
        self.set_len(&left);
        items
    }
}

/// The next message of a channel, held by a [`Receiver::peek`](crate::Receiver::peek)
/// (or `try_peek`, `peek_timeout`, `peek_deadline`) until you
/// [`take`](Self::take) it or [`leave`](Self::leave) it at the head of the
/// channel. Dropping the guard leaves the message (also when a panic or a
/// coroutine cancel unwinds through it), so it is never lost.
///
/// ```
/// use may_channel::unbounded;
///
/// let (tx, rx) = unbounded::<u32>();
/// tx.send(1).unwrap();
/// tx.send(2).unwrap();
///
/// let next = rx.peek().unwrap();
/// assert_eq!(*next, 1);
/// next.leave(); // still the head
/// assert_eq!(rx.try_peek().map(|m| *m), Ok(1));
///
/// // Take the head only if it is the one we want.
/// let next = rx.peek().unwrap();
/// let first = if *next == 1 { next.take() } else { unreachable!() };
/// assert_eq!(first, 1);
/// assert_eq!(rx.recv(), Ok(2));
/// ```
///
/// While the guard lives, the message is reserved for it: other receivers
/// receive the messages behind it. [`Peekable`] lists the queues that peek
/// and why the others (rendezvous, priority, work stealing, slot lending)
/// do not.
#[must_use = "dropping the guard leaves the message in the channel; call `take` to keep it"]
pub struct Peeked<'a, T: Send, F: Flavor> {
    shared: &'a Shared<T, F>,
    held: Option<Held<Envelope<T, Stamp<F>>>>,
}

impl<'a, T: Send, F: Flavor> Peeked<'a, T, F> {
    pub(crate) fn new(shared: &'a Shared<T, F>, held: Held<Envelope<T, Stamp<F>>>) -> Self {
        Self {
            shared,
            held: Some(held),
        }
    }

    /// Takes the message out of the channel: it counts as received.
    pub fn take(mut self) -> T {
        let (_, envelope) = self
            .held
            .take()
            .expect("a guard holds its message until it ends");
        self.shared.take_peeked(envelope)
    }

    /// Leaves the message at the head of the channel, for the next receive
    /// (or peek). The same as dropping the guard.
    pub fn leave(self) {
        drop(self);
    }
}

impl<T: Send, F: Flavor> Deref for Peeked<'_, T, F> {
    type Target = T;

    fn deref(&self) -> &T {
        &self
            .held
            .as_ref()
            .expect("a guard holds its message until it ends")
            .1
            .msg
    }
}

impl<T: Send, F: Flavor> Drop for Peeked<'_, T, F> {
    fn drop(&mut self) {
        if let Some(held) = self.held.take() {
            self.shared.leave_peeked(held);
        }
    }
}

impl<T: Send + fmt::Debug, F: Flavor> fmt::Debug for Peeked<'_, T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Peeked").field(&**self).finish()
    }
}
