//! Priority channels: messages carry a [`Priority`], and a receive takes the
//! most urgent one queued, oldest first within a level.
//!
//! A priority channel is an ordinary flavour whose queue is
//! [`Prioritized<Q>`](crate::queue::Prioritized): one `Q` queue per level
//! plus a bitmask of the levels that hold messages, so finding the highest
//! level is one `leading_zeros`, with no lock. Name one with an alias
//! ([`PriorityUnbounded`](crate::flavors::PriorityUnbounded),
//! [`PriorityBounded<N>`](crate::flavors::PriorityBounded)), with
//! `Channel<Prioritized<Q>, ..>`, or with the builder's
//! [`with_priorities`](crate::ChannelBuilder::with_priorities).
//!
//! ```
//! use may_channel::flavors::PriorityUnbounded;
//! use may_channel::priority::Priority;
//!
//! let (tx, rx) = PriorityUnbounded::new();
//! tx.send("routine").unwrap(); // Priority::Normal
//! tx.send_with_priority("page the on-call", Priority::Critical).unwrap();
//! tx.send_with_priority("tidy up", Priority::Low).unwrap();
//!
//! assert_eq!(rx.recv_with_priority(), Ok(("page the on-call", Priority::Critical)));
//! assert_eq!(rx.recv(), Ok("routine"));
//! assert_eq!(rx.recv(), Ok("tidy up"));
//! ```
//!
//! The methods that name a level exist only on priority flavours:
//!
//! ```compile_fail
//! use may_channel::flavors::UnboundedMpmc;
//! use may_channel::priority::Priority;
//! let (tx, rx) = UnboundedMpmc::new::<u32>();
//! tx.send_with_priority(1, Priority::High);
//! ```
//!
//! Everything else is the channel you know: `send` (at
//! [`Priority::Normal`]), `recv` (the most urgent message), timeouts,
//! disconnection, batches, iterators, `select!`, metrics, and
//! [`peek`](crate::Receiver::peek): the guard holds the message `recv` would
//! take and [`Peeked::priority`] tells its level; a left message goes back
//! to the head of its level, never ahead of a more urgent one. Under
//! `AGING` a peek does not count as a receive (taking a peeked message
//! does), so looking never shifts the aging turns.
//!
//! # Capacity and backpressure
//!
//! The capacity of a bounded priority channel is **shared by all levels**:
//! `PriorityBounded<N>` holds at most `N` messages, whatever their levels
//! (each level has its own ring of `N` slots, so any level can fill the
//! channel). When it is full, each policy does this, at every level:
//!
//! | policy | `send_with_priority(msg, level)` on a full channel |
//! |---|---|
//! | `Block` | waits until a receive frees room; waiting senders are not ordered by level (priority orders the queue, not the senders waiting to enter it) |
//! | `Reject` | no `send`; `try_send_with_priority` hands `msg` back in `Full`, whatever its level |
//! | `DropNewest` | drops `msg`, counted as discarded |
//! | `DropOldest` | evicts the oldest message of the *lowest* non-empty level if that level is not above `level`, and stores `msg`; if everything queued is more urgent than `msg`, drops `msg` instead (counted as discarded) |
//!
//! `try_send_with_priority` never waits and never drops, as `try_send`.
//! `force_send` (on `DropOldest` channels) sends at `Normal` and hands the
//! evicted message back; a newcomer refused because everything queued is
//! more urgent is dropped and counted, and `force_send` returns `Ok(None)`.
//!
//! ```
//! use may_channel::{Channel, backpressure::DropOldest, metrics::Counters};
//! use may_channel::{queue::{Bounded, Prioritized}, wait::SpinThenPark};
//! use may_channel::priority::Priority::{High, Low, Normal};
//!
//! type Alerts = Channel<Prioritized<Bounded<2>>, SpinThenPark, DropOldest, Counters>;
//! let (tx, rx) = Alerts::new();
//! tx.send_with_priority("disk 80%", Low).unwrap();
//! tx.send_with_priority("disk 90%", Normal).unwrap();
//! tx.send_with_priority("disk 99%", High).unwrap(); // evicts the Low one
//! tx.send_with_priority("disk 70%", Low).unwrap();  // lower than everything queued: dropped
//! assert_eq!(rx.try_iter().collect::<Vec<_>>(), ["disk 99%", "disk 90%"]);
//! assert_eq!(tx.metrics().dropped, 2);
//! ```
//!
//! # Ordering under concurrency
//!
//! With one receiver, a receive returns the most urgent message among those
//! whose send has returned, oldest first within a level. With several
//! receivers racing, each level stays FIFO and each message is received
//! exactly once, but a receive may return a slightly less urgent message
//! than one being sent at that very moment: a concurrent priority queue
//! cannot do better without a lock.
//!
//! # Starvation
//!
//! Off by default. `Prioritized<Q, K>` with `K >= 2` makes every `K`-th
//! receive take the oldest message of the lowest level queued:
//!
//! ```
//! use may_channel::Channel;
//! use may_channel::priority::Priority::{High, Low};
//! use may_channel::queue::{Prioritized, Unbounded};
//!
//! let (tx, rx) = Channel::<Prioritized<Unbounded, 3>>::new();
//! tx.send_with_priority("low", Low).unwrap();
//! for i in 0..4 {
//!     tx.send_with_priority(if i < 2 { "high" } else { "high too" }, High).unwrap();
//! }
//! let order: Vec<_> = rx.try_iter().collect();
//! assert_eq!(order, ["high", "high", "low", "high too", "high too"]);
//! ```

use std::time::{Duration, Instant};

use crate::backpressure::{HasSend, HasSendTimeout};
use crate::channel::{Channel, Envelope, Flavor, Peeked, Receiver, Sender};
use crate::error::{
    RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
};
use crate::metrics::MetricsSink;
pub use crate::queue::{Prioritizable, Prioritized, Priority, PriorityQueue};

type PriorityChannel<Q, const A: usize, W, B, M, P> = Channel<Prioritized<Q, A>, W, B, M, P>;

impl<T, Q, const A: usize, W, B, M, P> Sender<T, PriorityChannel<Q, A, W, B, M, P>>
where
    Q: Prioritizable,
    M: MetricsSink,
    PriorityChannel<Q, A, W, B, M, P>: Flavor<Queue = Prioritized<Q, A>, Metrics = M>,
{
    /// Sends `msg` at `level`, applying the backpressure policy when the
    /// channel is full (see the [module docs](self)). Fails only when every
    /// receiver is gone, handing `msg` back.
    pub fn send_with_priority(&self, msg: T, level: Priority) -> Result<(), SendError<T>>
    where
        B: HasSend,
    {
        self.send_with_priority_until(msg, level, None)
            .map_err(|err| SendError(err.into_inner()))
    }

    /// Stores `msg` at `level` if there is room now; never waits, never
    /// drops: on a full channel `msg` comes back in [`TrySendError::Full`].
    pub fn try_send_with_priority(&self, msg: T, level: Priority) -> Result<(), TrySendError<T>> {
        let shared = self.shared();
        shared.try_send_via(msg, |envelope| shared.queue().push_at(level, envelope))
    }

    /// Like [`send_with_priority`](Self::send_with_priority), giving up after
    /// `timeout`.
    pub fn send_with_priority_timeout(
        &self,
        msg: T,
        level: Priority,
        timeout: Duration,
    ) -> Result<(), SendTimeoutError<T>>
    where
        B: HasSendTimeout,
    {
        self.send_with_priority_until(msg, level, Instant::now().checked_add(timeout))
    }

    /// Like [`send_with_priority`](Self::send_with_priority), giving up at
    /// `deadline` (a deadline already past makes one attempt).
    pub fn send_with_priority_deadline(
        &self,
        msg: T,
        level: Priority,
        deadline: Instant,
    ) -> Result<(), SendTimeoutError<T>>
    where
        B: HasSendTimeout,
    {
        self.send_with_priority_until(msg, level, Some(deadline))
    }

    /// Messages queued at `level` now.
    pub fn len_at(&self, level: Priority) -> usize {
        self.shared().queue().len_at(level)
    }

    fn send_with_priority_until(
        &self,
        msg: T,
        level: Priority,
        deadline: Option<Instant>,
    ) -> Result<(), SendTimeoutError<T>> {
        let shared = self.shared();
        let queue = shared.queue();
        shared.send_via_until(
            msg,
            deadline,
            |envelope| queue.push_at(level, envelope),
            |envelope| queue.push_evicting_at(level, envelope),
        )
    }
}

impl<T, Q, const A: usize, W, B, M, P> Receiver<T, PriorityChannel<Q, A, W, B, M, P>>
where
    Q: Prioritizable,
    M: MetricsSink,
    PriorityChannel<Q, A, W, B, M, P>: Flavor<Queue = Prioritized<Q, A>, Metrics = M>,
{
    /// Takes the most urgent message (oldest first within its level) with
    /// its level, waiting for one. Fails once the channel is empty and every
    /// sender is gone.
    pub fn recv_with_priority(&self) -> Result<(T, Priority), RecvError> {
        self.recv_with_priority_until(None).map_err(|_| RecvError)
    }

    /// Takes the most urgent message with its level, if one is queued now.
    pub fn try_recv_with_priority(&self) -> Result<(T, Priority), TryRecvError> {
        self.shared().try_recv_via(|| self.pop_with_level())
    }

    /// Like [`recv_with_priority`](Self::recv_with_priority), giving up after
    /// `timeout`.
    pub fn recv_with_priority_timeout(
        &self,
        timeout: Duration,
    ) -> Result<(T, Priority), RecvTimeoutError> {
        self.recv_with_priority_until(Instant::now().checked_add(timeout))
    }

    /// Like [`recv_with_priority`](Self::recv_with_priority), giving up at
    /// `deadline` (a deadline already past makes one attempt).
    pub fn recv_with_priority_deadline(
        &self,
        deadline: Instant,
    ) -> Result<(T, Priority), RecvTimeoutError> {
        self.recv_with_priority_until(Some(deadline))
    }

    /// Messages queued at `level` now.
    pub fn len_at(&self, level: Priority) -> usize {
        self.shared().queue().len_at(level)
    }

    fn recv_with_priority_until(
        &self,
        deadline: Option<Instant>,
    ) -> Result<(T, Priority), RecvTimeoutError> {
        self.shared()
            .recv_via_until(deadline, || self.pop_with_level())
    }

    /// The receive route: a message a peek left goes first when its level
    /// is at least the highest queued (see [`Peeked::priority`]).
    fn pop_with_level(&self) -> Option<(Envelope<T, M::Stamp>, Priority)> {
        let shared = self.shared();
        match shared.pop_left() {
            Some((envelope, rank)) => Some((envelope, level_of(rank))),
            None => shared.queue().pop_with_level(),
        }
    }
}

/// The level of a rank kept by the peek front (its index).
fn level_of(rank: usize) -> Priority {
    Priority::from_index(rank).expect("a priority channel ranks messages by level")
}

impl<T, Q, const A: usize, W, B, M, P> Peeked<'_, T, PriorityChannel<Q, A, W, B, M, P>>
where
    Q: Prioritizable,
    M: MetricsSink,
    PriorityChannel<Q, A, W, B, M, P>: Flavor<Queue = Prioritized<Q, A>, Metrics = M>,
{
    /// The level the held message was sent at. A left message goes back to
    /// the head *of its level*: a receive takes it before the messages
    /// behind it at that level, and after any more urgent message, queued
    /// or sent later. On an `AGING` turn the left message is weighed the
    /// same way against the lowest queued level (it goes first on a tie).
    /// Peeks do not count towards `AGING`; [`take`](Peeked::take) counts
    /// as the receive it is.
    ///
    /// ```
    /// use may_channel::flavors::PriorityUnbounded;
    /// use may_channel::priority::Priority::{Critical, Low};
    ///
    /// let (tx, rx) = PriorityUnbounded::new();
    /// tx.send_with_priority("sweep", Low).unwrap();
    /// let head = rx.peek().unwrap();
    /// assert_eq!((*head, head.priority()), ("sweep", Low));
    /// head.leave();
    /// tx.send_with_priority("page", Critical).unwrap();
    /// assert_eq!(rx.recv_with_priority(), Ok(("page", Critical)));
    /// assert_eq!(rx.recv_with_priority(), Ok(("sweep", Low)));
    /// ```
    pub fn priority(&self) -> Priority {
        level_of(self.rank())
    }
}
