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
//! # Priority channels
//!
//! On a [`Prioritized`] queue a peek looks at the message `recv` would
//! return (highest level first, oldest first within a level) and the guard
//! tells its level (`Peeked::priority`). A left message keeps its level: the
//! front is ordered by level, then age, and every receive (plain or
//! `recv_with_priority`, blocking or not, batches, iterators, `select!`)
//! compares the highest left level with the highest queued one under the
//! front's lock; the left message wins a tie (it is older than everything
//! queued at its level). So a left message never overtakes a more urgent one,
//! queued or sent later, and stays ahead of the messages behind it at its
//! level. An `AGING` turn compares the lowest levels the same way (the left
//! message wins a tie again). Peeks do not count towards `AGING`; taking a
//! peeked message counts as the receive it is.
//!
//! # Which queues
//!
//! Only queues where "the head" means one message and a message may step out
//! of the queue and back without breaking a promise: [`Unbounded`],
//! [`Bounded`], [`DynBounded`] and [`Prioritized`] over them (the bound
//! [`Peekable`]). Not:
//! - [`Rendezvous`](crate::queue::Rendezvous): popping the message releases
//!   its sender, which would be told "taken" by a look;
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
//! `DropOldest` a left message is the oldest one, so it is the first evicted
//! (on a priority channel: the oldest of the lowest level, left or queued,
//! the left one first on a tie).
//!
//! Plain channels pay nothing new for priorities: a receive still checks
//! the front with one relaxed load, and only a non-empty front (a message
//! was left) takes its lock.

use std::collections::VecDeque;
use std::fmt;
use std::ops::Deref;

use super::shared::{Envelope, Stamp};
use super::{Flavor, Shared};
use crate::queue::{
    Bounded, DynBounded, Prioritizable, Prioritized, Priority, QueueStrategy, Unbounded,
};
use crate::sync::{AtomicUsize, Mutex, Ordering, lock};

/// A queue whose channels have [`Receiver::peek`](crate::Receiver::peek):
/// a queue with one head (the message `recv` would return), whose items can
/// step out and back without a promise breaking.
///
/// Implemented for [`Unbounded`], [`Bounded`], [`DynBounded`] and
/// [`Prioritized`] over any of them (any `AGING`). Not for:
/// - [`Rendezvous`](crate::queue::Rendezvous): popping the message releases
///   its sender, which would be told "taken" by a mere look;
/// - [`WorkStealing`](crate::queue::WorkStealing): there is no single head,
///   each worker has its own;
/// - [`Slots`](crate::queue::Slots): its zero-copy receive lends the slot in
///   place and would not see a message left at the head.
///
/// Implement it for a queue of your own whose `pop` is FIFO and which is
/// not a hand-over queue (the hidden items keep their defaults: a left
/// message is older than everything queued, so it goes first).
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
/// while the same call on a bounded or a priority channel does:
///
/// ```
/// use may_channel::{Channel, TryRecvError, queue::Bounded};
/// use may_channel::flavors::PriorityUnbounded;
/// let (tx, rx) = Channel::<Bounded<4>>::new::<u32>();
/// assert!(matches!(rx.try_peek(), Err(TryRecvError::Empty)));
/// # drop(tx);
/// let (tx, rx) = PriorityUnbounded::new::<u32>();
/// assert!(matches!(rx.try_peek(), Err(TryRecvError::Empty)));
/// # drop(tx);
/// ```
#[diagnostic::on_unimplemented(
    message = "a channel on `{Self}` cannot peek",
    label = "peek needs a queue with one head",
    note = "`Unbounded`, `Bounded<N>`, `DynBounded` and `Prioritized<..>` over them peek; `Rendezvous` (a look would release the sender), `WorkStealing` (no single head) and `Slots` (lends in place) do not"
)]
pub trait Peekable: QueueStrategy {
    /// Whether messages have levels (ranks) that order receives before age.
    /// Off: a left message is older than everything queued and goes first.
    #[doc(hidden)]
    const RANKED: bool = false;

    /// How a receive (`take`), a peek (neither flag) or an eviction
    /// (`evict`) chooses between the queue and the messages left outside it,
    /// whose highest and lowest ranks are `left` (`None`: nothing is left).
    /// `Ok` pops the queued item that goes first, with its rank; `Err(true)`
    /// says the oldest left message of the lowest left rank goes, `Err(false)`
    /// the oldest of the highest (or, with `left == None`, that the queue is
    /// empty). Only `RANKED` queues are asked with `left == None`.
    #[doc(hidden)]
    fn pick_against_left<T>(
        queue: &Self::Queue<T>,
        left: Option<(usize, usize)>,
        take: bool,
        evict: bool,
    ) -> Result<(T, usize), bool> {
        let _ = (queue, left, take, evict);
        Err(false)
    }

    /// A peeked message was taken: it counts as a receive.
    #[doc(hidden)]
    fn count_take<T>(queue: &Self::Queue<T>) {
        let _ = queue;
    }
}

impl Peekable for Unbounded {}
impl<const N: usize> Peekable for Bounded<N> {}
impl Peekable for DynBounded {}

/// Priority channels peek at the message `recv` would return. A left
/// message keeps its level (its rank): a receive compares the highest left
/// level with the highest queued one, and the left message goes first on a
/// tie (it is older than everything queued at its level). An `AGING` turn
/// compares the lowest levels the same way. Peeks do not count towards
/// `AGING`; taking a peeked message counts as the receive it is.
impl<Q: Prioritizable, const AGING: usize> Peekable for Prioritized<Q, AGING> {
    const RANKED: bool = true;

    fn pick_against_left<T>(
        queue: &Self::Queue<T>,
        left: Option<(usize, usize)>,
        take: bool,
        evict: bool,
    ) -> Result<(T, usize), bool> {
        let level = |index: usize| Priority::from_index(index).expect("ranks are level indices");
        let left = left.map(|(highest, lowest)| (level(highest), level(lowest)));
        queue
            .pick(left, take, evict)
            .map(|(item, level)| (item, level.index()))
    }

    fn count_take<T>(queue: &Self::Queue<T>) {
        queue.count_receive();
    }
}

/// How a front asks its queue which goes first (see
/// [`Peekable::pick_against_left`]); installed by the first peek.
type Route<Q, E> = fn(&Q, Option<(usize, usize)>, bool, bool) -> Result<(E, usize), bool>;

/// The messages guards left at the head of a channel, in receive order:
/// highest rank first, oldest first within a rank (ranks are priority
/// levels; 0 for every message of a queue without levels).
pub(crate) struct Front<Q, E> {
    /// How many messages `left` holds: a hint read without the lock, so
    /// that a receive pays one load when nothing was left.
    len: AtomicUsize,
    left: Mutex<Left<Q, E>>,
}

struct Left<Q, E> {
    /// Left messages, highest rank first, ascending sequence numbers within
    /// a rank.
    items: VecDeque<Held<E>>,
    /// The number the next message a peek pops from the queue gets.
    next_seq: u64,
    /// The queue's ordering against left messages: set by the first peek
    /// (the only code that knows the queue is [`Peekable`]), so it is set
    /// whenever `items` is not empty.
    route: Option<Route<Q, E>>,
}

/// What a peek holds: the message's envelope, its sequence number (its age)
/// and its rank.
pub(crate) struct Held<E> {
    seq: u64,
    rank: usize,
    envelope: E,
}

impl<E> Held<E> {
    /// The held message's rank (its priority level's index).
    pub(crate) fn rank(&self) -> usize {
        self.rank
    }
}

impl<Q, E> Front<Q, E> {
    pub(crate) fn new() -> Self {
        Self {
            len: AtomicUsize::new(0),
            left: Mutex::new(Left {
                items: VecDeque::new(),
                next_seq: 0,
                route: None,
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

    fn set_len(&self, left: &Left<Q, E>) {
        // Relaxed: written under the lock; see `len`.
        self.len.store(left.items.len(), Ordering::Relaxed);
    }

    /// For a receive: the message that goes first among the left ones and
    /// those in `queue` that outrank them, with its rank; `None` when
    /// nothing was left (the caller then pops the queue as usual).
    #[inline]
    pub(crate) fn pop(&self, queue: &Q) -> Option<(E, usize)> {
        if self.is_empty() {
            return None;
        }
        self.pop_locked(queue, false)
    }

    /// For a `DropOldest` eviction while messages are left: the oldest
    /// message of the lowest rank among the left ones and the queue.
    pub(crate) fn evict(&self, queue: &Q) -> Option<E> {
        if self.is_empty() {
            return None;
        }
        self.pop_locked(queue, true).map(|(envelope, _)| envelope)
    }

    #[cold]
    fn pop_locked(&self, queue: &Q, evict: bool) -> Option<(E, usize)> {
        let mut left = lock(&self.left);
        let bounds = left.bounds()?;
        let lowest = match left.route {
            Some(route) => match route(queue, Some(bounds), !evict, evict) {
                Ok(picked) => return Some(picked),
                Err(lowest) => lowest || evict,
            },
            None => evict,
        };
        let held = left.remove(lowest);
        self.set_len(&left);
        held.map(|held| (held.envelope, held.rank))
    }

    /// For a peek: what a receive would take (see [`Front::pop`]), a queued
    /// message numbered under the lock so that numbers follow pop order.
    /// `pop_queued` pops a queue without ranks. The flag says whether the
    /// message came from the queue.
    pub(crate) fn take_for_peek(
        &self,
        queue: &Q,
        ranked: bool,
        route: Route<Q, E>,
        pop_queued: impl FnOnce() -> Option<E>,
    ) -> Option<(Held<E>, bool)> {
        let mut left = lock(&self.left);
        left.route = Some(route);
        let picked = match left.bounds() {
            Some(bounds) => match route(queue, Some(bounds), false, false) {
                Ok(picked) => Some(picked),
                Err(lowest) => {
                    let held = left.remove(lowest);
                    self.set_len(&left);
                    return held.map(|held| (held, false));
                }
            },
            None if ranked => route(queue, None, false, false).ok(),
            None => pop_queued().map(|envelope| (envelope, 0)),
        };
        let (envelope, rank) = picked?;
        let seq = left.next_seq;
        left.next_seq += 1;
        Some((
            Held {
                seq,
                rank,
                envelope,
            },
            true,
        ))
    }

    /// Puts a peeked message back at its place among the left ones.
    pub(crate) fn put_back(&self, held: Held<E>) {
        let mut left = lock(&self.left);
        let at = left
            .items
            .partition_point(|other| (other.rank, held.seq) > (held.rank, other.seq));
        left.items.insert(at, held);
        self.set_len(&left);
    }

    /// Removes every left message.
    pub(crate) fn drain(&self) -> Vec<E> {
        let mut left = lock(&self.left);
        let items = left.items.drain(..).map(|held| held.envelope).collect();
        self.set_len(&left);
        items
    }
}

impl<Q, E> Left<Q, E> {
    /// The highest and the lowest rank left, if anything is.
    fn bounds(&self) -> Option<(usize, usize)> {
        Some((self.items.front()?.rank, self.items.back()?.rank))
    }

    /// Removes the oldest message of the highest rank, or (`lowest`) of the
    /// lowest rank.
    fn remove(&mut self, lowest: bool) -> Option<Held<E>> {
        if !lowest {
            return self.items.pop_front();
        }
        let rank = self.items.back()?.rank;
        let at = self.items.partition_point(|held| held.rank > rank);
        self.items.remove(at)
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
/// receive the messages behind it. On a priority channel the guard holds
/// the message `recv` would return and `priority()` tells its level.
/// [`Peekable`] lists the queues that peek and why the others (rendezvous,
/// work stealing, slot lending) do not.
#[must_use = "dropping the guard leaves the message in the channel; call `take` to keep it"]
pub struct Peeked<'a, T, F: Flavor> {
    shared: &'a Shared<T, F>,
    held: Option<Held<Envelope<T, Stamp<F>>>>,
}

impl<'a, T, F: Flavor> Peeked<'a, T, F>
where
    F::Queue: Peekable,
{
    pub(crate) fn new(shared: &'a Shared<T, F>, held: Held<Envelope<T, Stamp<F>>>) -> Self {
        Self {
            shared,
            held: Some(held),
        }
    }

    /// Takes the message out of the channel: it counts as received.
    pub fn take(mut self) -> T {
        let held = self
            .held
            .take()
            .expect("a guard holds its message until it ends");
        self.shared.take_peeked(held.envelope)
    }

    /// The held message's rank: its priority level's index on a priority
    /// channel (see `Peeked::priority`), 0 elsewhere.
    pub(crate) fn rank(&self) -> usize {
        self.held
            .as_ref()
            .expect("a guard holds its message until it ends")
            .rank()
    }

    /// Leaves the message at the head of the channel, for the next receive
    /// (or peek). The same as dropping the guard.
    pub fn leave(self) {
        drop(self);
    }
}

impl<T, F: Flavor> Deref for Peeked<'_, T, F> {
    type Target = T;

    fn deref(&self) -> &T {
        &self
            .held
            .as_ref()
            .expect("a guard holds its message until it ends")
            .envelope
            .msg
    }
}

impl<T, F: Flavor> Drop for Peeked<'_, T, F> {
    fn drop(&mut self) {
        if let Some(held) = self.held.take() {
            self.shared.leave_peeked(held);
        }
    }
}

impl<T: fmt::Debug, F: Flavor> fmt::Debug for Peeked<'_, T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Peeked").field(&**self).finish()
    }
}
