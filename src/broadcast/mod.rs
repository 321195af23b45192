//! Broadcast: every subscriber sees every message.
//!
//! A broadcast channel keeps the last `capacity` messages in a ring. Each
//! [`Subscriber`] has its own cursor and receives, in order, every message
//! sent after it subscribed ([`Sender::subscribe`]) or, from
//! [`Sender::subscribe_from_oldest`], every message still in the ring, so a
//! late subscriber catches up. A message is cloned once per subscriber that
//! receives it; the ring reuses its slots.
//!
//! What happens when a subscriber falls behind is the channel's [`Overflow`]:
//! - [`Overflow::Lag`] (the default): the sender never waits; it overwrites the
//!   oldest message, and a subscriber that was more than `capacity` behind is
//!   told how many messages it missed ([`RecvError::Lagged`]) and then goes on
//!   from the oldest message still in the ring. Nothing is skipped silently.
//! - [`Overflow::Block`]: the sender waits until the slowest subscriber has
//!   read the message it would overwrite; dropping that subscriber releases
//!   the sender at once.
//!
//! ```
//! use may_channel::broadcast::{self, RecvError};
//!
//! let (tx, mut early) = may_channel::broadcast::<String>(4);
//! tx.send("boot".to_string());
//! let mut late = tx.subscribe_from_oldest();
//! tx.send("ready".to_string());
//! assert_eq!(early.recv().unwrap(), "boot");
//! assert_eq!(late.recv().unwrap(), "boot"); // caught up from the ring
//! assert_eq!(late.recv().unwrap(), "ready");
//!
//! for i in 0..10 {
//!     tx.send(i.to_string());
//! }
//! // `early` is 11 messages behind a ring of 4: told, not hidden.
//! assert_eq!(early.recv(), Err(RecvError::Lagged(7)));
//! assert_eq!(early.recv().unwrap(), "6");
//! drop(tx);
//! assert_eq!(late.iter().count(), 4); // the 4 still in the ring, then the end
//! # let _ = broadcast::Overflow::Lag;
//! ```
//!
//! Blocking receives park the coroutine (or the thread outside may), with
//! timeouts and deadlines as on channels; when every sender is gone,
//! subscribers drain what they have not read and then get
//! [`RecvError::Closed`].

mod ring;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{BuildError, SendTimeoutError};
use ring::Ring;

/// What a send does when the slowest subscriber is `capacity` messages behind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Overflow {
    /// Overwrite the oldest message; lagging subscribers are told how many
    /// messages they missed.
    #[default]
    Lag,
    /// Wait until the slowest subscriber has read the oldest message.
    Block,
}

/// Where a new subscriber starts reading; see [`Sender::subscribe_from`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartAt {
    /// With the next message sent (what [`Sender::subscribe`] does).
    Latest,
    /// With the oldest message still in the ring (what
    /// [`Sender::subscribe_from_oldest`] does).
    Oldest,
    /// With the last `n` messages sent (fewer if the ring holds fewer).
    Replay(u64),
}

/// A broadcast receive failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecvError {
    /// This subscriber fell more than the capacity behind and missed this many
    /// messages; the next receive returns the oldest message still held.
    Lagged(u64),
    /// Every sender is gone and this subscriber has read everything.
    Closed,
}

/// A non-blocking broadcast receive found nothing to take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryRecvError {
    /// No new message yet.
    Empty,
    /// As [`RecvError::Lagged`].
    Lagged(u64),
    /// As [`RecvError::Closed`].
    Closed,
}

/// A timed broadcast receive failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecvTimeoutError {
    /// No new message before the deadline.
    Timeout,
    /// As [`RecvError::Lagged`].
    Lagged(u64),
    /// As [`RecvError::Closed`].
    Closed,
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Lagged(n) => write!(f, "subscriber lagged behind and missed {n} messages"),
            Self::Closed => f.write_str("broadcast channel closed"),
        }
    }
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("no new broadcast message"),
            Self::Lagged(n) => write!(f, "subscriber lagged behind and missed {n} messages"),
            Self::Closed => f.write_str("broadcast channel closed"),
        }
    }
}

impl fmt::Display for RecvTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("timed out waiting for a broadcast message"),
            Self::Lagged(n) => write!(f, "subscriber lagged behind and missed {n} messages"),
            Self::Closed => f.write_str("broadcast channel closed"),
        }
    }
}

impl std::error::Error for RecvError {}
impl std::error::Error for TryRecvError {}
impl std::error::Error for RecvTimeoutError {}

/// Settings of a broadcast channel; [`build`](Builder::build) checks them.
#[derive(Clone, Copy, Debug)]
pub struct Builder {
    capacity: usize,
    overflow: Overflow,
}

impl Builder {
    /// A channel that holds the last `capacity` messages.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            overflow: Overflow::Lag,
        }
    }

    /// What a send does when the slowest subscriber is `capacity` behind.
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// Creates the channel and its first subscriber.
    pub fn build<T: Clone>(self) -> Result<(Sender<T>, Subscriber<T>), BuildError> {
        if self.capacity == 0 {
            return Err(BuildError::ZeroCapacity);
        }
        let ring = Arc::new(Ring::new(self.capacity, self.overflow));
        let subscriber = Subscriber::new(Arc::clone(&ring), ring.subscribe_back(0));
        Ok((Sender { ring }, subscriber))
    }
}

/// Creates a broadcast channel holding the last `capacity` messages, with
/// [`Overflow::Lag`], and its first subscriber.
///
/// # Panics
/// If `capacity` is 0; [`Builder::build`] returns the error instead.
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Subscriber<T>) {
    match Builder::new(capacity).build() {
        Ok(pair) => pair,
        Err(err) => panic!("may_channel::broadcast({capacity}): {err}"),
    }
}

/// The sending half of a broadcast channel. Clone it for more publishers;
/// subscribers see `Closed` once every clone is dropped and they have read
/// everything.
pub struct Sender<T: Clone> {
    ring: Arc<Ring<T>>,
}

impl<T: Clone> Sender<T> {
    /// Publishes `msg` to every subscriber; returns how many subscribers
    /// there are now. The message is kept in the ring for late subscribers
    /// (`subscribe_from_oldest`) even when there are none, so a send never
    /// fails. Under [`Overflow::Block`] this waits (parking the coroutine or
    /// thread) while the slowest subscriber has not read the message it would
    /// overwrite.
    pub fn send(&self, msg: T) -> usize {
        match self.ring.send(msg, None) {
            Ok(subscribers) => subscribers,
            Err(_) => unreachable!("a send without deadline only returns once stored"),
        }
    }

    /// Like [`send`](Self::send), but under [`Overflow::Block`] gives up at
    /// `deadline`, handing the message back in `SendTimeoutError::Timeout`.
    pub fn send_deadline(&self, msg: T, deadline: Instant) -> Result<usize, SendTimeoutError<T>> {
        self.ring
            .send(msg, Some(deadline))
            .map_err(SendTimeoutError::Timeout)
    }

    /// Like [`send_deadline`](Self::send_deadline), with a timeout.
    pub fn send_timeout(&self, msg: T, timeout: Duration) -> Result<usize, SendTimeoutError<T>> {
        self.ring
            .send(msg, Instant::now().checked_add(timeout))
            .map_err(SendTimeoutError::Timeout)
    }

    /// A new subscriber that receives every message sent from now on.
    pub fn subscribe(&self) -> Subscriber<T> {
        self.subscribe_from(StartAt::Latest)
    }

    /// A new subscriber that starts at the oldest message still in the ring.
    pub fn subscribe_from_oldest(&self) -> Subscriber<T> {
        self.subscribe_from(StartAt::Oldest)
    }

    /// A new subscriber that starts where `start` says: unlike a `Clone` of
    /// an existing subscriber, the position is explicit.
    ///
    /// ```
    /// use may_channel::broadcast::StartAt;
    ///
    /// let (tx, _first) = may_channel::broadcast::<u32>(8);
    /// for i in 0..5 {
    ///     tx.send(i);
    /// }
    /// let mut last_two = tx.subscribe_from(StartAt::Replay(2));
    /// assert_eq!((last_two.recv(), last_two.recv()), (Ok(3), Ok(4)));
    /// ```
    pub fn subscribe_from(&self, start: StartAt) -> Subscriber<T> {
        let back = match start {
            StartAt::Latest => 0,
            StartAt::Oldest => u64::MAX,
            StartAt::Replay(n) => n,
        };
        Subscriber::new(Arc::clone(&self.ring), self.ring.subscribe_back(back))
    }

    /// Live subscribers.
    pub fn subscriber_count(&self) -> usize {
        self.ring.subscriber_count()
    }

    /// How many messages the ring holds.
    pub fn capacity(&self) -> usize {
        self.ring.capacity()
    }

    /// Messages sent so far.
    pub fn sent(&self) -> u64 {
        self.ring.tail()
    }
}

impl<T: Clone> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.ring.add_sender();
        Self {
            ring: Arc::clone(&self.ring),
        }
    }
}

impl<T: Clone> Drop for Sender<T> {
    fn drop(&mut self) {
        self.ring.remove_sender();
    }
}

impl<T: Clone> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Sender")
            .field("capacity", &self.capacity())
            .field("subscribers", &self.subscriber_count())
            .finish_non_exhaustive()
    }
}

/// One subscriber: a cursor into the ring. Cloning it makes a new subscriber
/// at the same position. Dropping it releases its hold on the ring at once.
pub struct Subscriber<T: Clone> {
    ring: Arc<Ring<T>>,
    cursor: ring::Cursor,
}

impl<T: Clone> Subscriber<T> {
    fn new(ring: Arc<Ring<T>>, cursor: ring::Cursor) -> Self {
        Self { ring, cursor }
    }

    /// Waits for the next message.
    pub fn recv(&mut self) -> Result<T, RecvError> {
        self.ring
            .recv(&mut self.cursor, None)
            .map_err(|err| match err {
                RecvTimeoutError::Lagged(n) => RecvError::Lagged(n),
                RecvTimeoutError::Closed | RecvTimeoutError::Timeout => RecvError::Closed,
            })
    }

    /// The next message if there is one now.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.ring.try_recv(&mut self.cursor)
    }

    /// Waits at most `timeout` for the next message.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.ring
            .recv(&mut self.cursor, Instant::now().checked_add(timeout))
    }

    /// Waits until `deadline` for the next message.
    pub fn recv_deadline(&mut self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        self.ring.recv(&mut self.cursor, Some(deadline))
    }

    /// A blocking iterator over the messages; a lag is skipped over (its
    /// count is lost to the iterator — use `recv` to see it), and it ends
    /// when the channel closes.
    pub fn iter(&mut self) -> impl Iterator<Item = T> + '_ {
        std::iter::from_fn(move || {
            loop {
                match self.recv() {
                    Ok(msg) => return Some(msg),
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                }
            }
        })
    }

    /// Messages sent and not yet read by this subscriber (at most the
    /// capacity are still held; the rest will be reported as lagged).
    pub fn len(&self) -> u64 {
        self.ring.pending(&self.cursor)
    }

    /// Whether this subscriber has read everything sent so far.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every sender is gone.
    pub fn is_closed(&self) -> bool {
        self.ring.is_closed()
    }
}

impl<T: Clone> Clone for Subscriber<T> {
    fn clone(&self) -> Self {
        let cursor = self.ring.register(self.cursor.position());
        Self::new(Arc::clone(&self.ring), cursor)
    }
}

impl<T: Clone> Drop for Subscriber<T> {
    fn drop(&mut self) {
        self.ring.unregister(&self.cursor);
    }
}

impl<T: Clone> fmt::Debug for Subscriber<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Subscriber")
            .field("position", &self.cursor.position())
            .field("pending", &self.len())
            .finish_non_exhaustive()
    }
}
