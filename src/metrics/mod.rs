//! The observation axis: what a channel records about its traffic.
//!
//! The core calls a [`MetricsSink`]'s hooks at fixed points of every
//! operation. [`NoMetrics`] is zero-sized and its hooks are empty `#[inline]`
//! functions, so a channel without metrics compiles to the same code as one
//! that never heard of them. [`Counters`] keeps cache-padded atomic counters;
//! read them through [`Report::snapshot`].
//!
//! A sink can keep a value beside every queued message
//! ([`MetricsSink::Stamp`], `()` when it needs none): a latency sink stores a
//! send time there and reads it back on receive: that is [`Latency`], whose
//! lock-free [`Histogram`] gives queueing-latency percentiles. It reads the
//! CPU's time-stamp counter, not `Instant::now()`, and times one message in
//! 16 by default (`Latency<1>`: every message), so it costs no more than
//! [`Counters`]. Sinks combine
//! as tuples, `(Counters, Latency)`, and so do their snapshots. The
//! [`export`](crate::export) module renders reporting sinks for Prometheus.
//!
//! # Implementing your own
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use may_channel::metrics::MetricsSink;
//!
//! /// Counts messages that were dropped by the backpressure policy.
//! #[derive(Default)]
//! struct DropCounter(AtomicU64);
//!
//! impl MetricsSink for DropCounter {
//!     type Stamp = ();
//!     type BlockStamp = ();
//!     fn stamp(&self) {}
//!     fn on_send(&self) {}
//!     fn on_recv(&self, _: ()) {}
//!     fn on_discard(&self) {
//!         // Relaxed: a statistic, read on its own; it orders nothing.
//!         self.0.fetch_add(1, Ordering::Relaxed);
//!     }
//!     fn on_evict(&self, _: ()) {
//!         self.0.fetch_add(1, Ordering::Relaxed);
//!     }
//!     fn on_block(&self, _: may_channel::metrics::Side) {}
//!     fn on_unblock(&self, _: may_channel::metrics::Side, _: ()) {}
//! }
//!
//! type Lossy = may_channel::Channel<
//!     may_channel::queue::Bounded<1>,
//!     may_channel::wait::SpinThenPark,
//!     may_channel::backpressure::DropNewest,
//!     DropCounter,
//! >;
//! let (tx, rx) = Lossy::new();
//! tx.send(1).unwrap();
//! tx.send(2).unwrap(); // full: dropped and counted
//! assert_eq!(tx.sink().0.load(Ordering::Relaxed), 1);
//! assert_eq!(rx.recv(), Ok(1));
//! ```

mod clock;
mod counters;
mod histogram;
mod latency;
mod no_metrics;

pub(crate) use clock::Clock;
pub use counters::{Counters, CountersSnapshot};
pub use histogram::{BUCKETS, Histogram, HistogramSnapshot};
pub use latency::{Latency, LatencySnapshot, LatencyStamp};
pub use no_metrics::NoMetrics;

/// Which side of the channel blocked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// A sender waiting for room (or, on a rendezvous channel, for a taker).
    Send,
    /// A receiver waiting for a message.
    Recv,
}

/// Hooks the channel core calls as messages move.
///
/// # Contract
/// - Hooks run on the hot path of every operation, concurrently from every
///   handle: they must be wait-free (an atomic add, a store) and must not
///   block, park or panic.
/// - `stamp` runs before a message is offered to the queue, and the stamp
///   travels with the message; a stamp whose send is refused (full or
///   disconnected) is dropped unused. `on_send` runs once the message is
///   stored. Exactly one of `on_recv` (a receiver took it) or `on_evict` (the
///   channel dropped it: evicted by `DropOldest`, or still queued when the
///   last receiver went) later consumes the stamp. A receiver may run
///   `on_recv` before the sender's `on_send` returns.
/// - `on_discard` counts an incoming message dropped by `DropNewest`.
/// - `on_block`/`on_unblock` bracket every park of a blocked operation (also
///   when a cancelled coroutine unwinds out of the park).
/// - `on_release` runs when a handle is dropped, before the channel reacts
///   to it (a disconnect, the drain of the last receiver).
/// - The core promises no ordering between hooks of different operations;
///   a sink that needs one must make it itself.
pub trait MetricsSink: Default + Send + Sync + 'static {
    /// Kept beside every queued message; `()` when the sink needs nothing.
    type Stamp: Send + 'static;
    /// Kept across one park; `()` when the sink needs nothing.
    type BlockStamp;

    /// Makes the stamp for a message about to be offered to the queue.
    fn stamp(&self) -> Self::Stamp;
    /// A message was stored.
    fn on_send(&self);
    /// A receiver took the message stamped `stamp`.
    fn on_recv(&self, stamp: Self::Stamp);
    /// The incoming message was dropped because the channel was full.
    fn on_discard(&self);
    /// A queued message stamped `stamp` was dropped by the channel.
    fn on_evict(&self, stamp: Self::Stamp);
    /// A receive moved `count` messages between the shards of a work-stealing
    /// queue. Defaults to nothing.
    #[inline]
    fn on_steal(&self, count: usize) {
        let _ = count;
    }
    /// An operation on `side` is about to park.
    fn on_block(&self, side: Side) -> Self::BlockStamp;
    /// That operation woke up (or unwound).
    fn on_unblock(&self, side: Side, stamp: Self::BlockStamp);
    /// The channel was built with room for `capacity` messages (`None`:
    /// unbounded; a rendezvous channel says `Some(0)`). Called once, when the
    /// channel is built, before any other hook. Defaults to nothing;
    /// [`Counters`] stops looking for a new peak length once the peak
    /// reached the capacity.
    #[inline]
    fn on_build(&mut self, capacity: Option<usize>) {
        let _ = capacity;
    }
    /// A handle of `side` (a `Sender` for [`Side::Send`]) is being dropped by
    /// the calling task. Defaults to nothing; the
    /// [`History`](crate::debug::History) sink uses it to forget the task as
    /// a holder of that side.
    #[inline]
    fn on_release(&self, side: Side) {
        let _ = side;
    }
}

/// A sink whose state can be read and reset. Sinks that implement it make
/// the channel's `metrics()` method available.
pub trait Report {
    /// A copy of the sink's figures at one moment.
    type Snapshot;
    /// Reads the figures.
    fn snapshot(&self) -> Self::Snapshot;
    /// Zeroes the cumulative figures (gauges such as the current queue
    /// length keep their value).
    fn reset(&self);
}

/// Two sinks side by side: every hook calls both, each keeps its own stamp.
impl<A: MetricsSink, B: MetricsSink> MetricsSink for (A, B) {
    type Stamp = (A::Stamp, B::Stamp);
    type BlockStamp = (A::BlockStamp, B::BlockStamp);

    #[inline]
    fn stamp(&self) -> Self::Stamp {
        (self.0.stamp(), self.1.stamp())
    }
    #[inline]
    fn on_send(&self) {
        self.0.on_send();
        self.1.on_send();
    }
    #[inline]
    fn on_recv(&self, stamp: Self::Stamp) {
        self.0.on_recv(stamp.0);
        self.1.on_recv(stamp.1);
    }
    #[inline]
    fn on_discard(&self) {
        self.0.on_discard();
        self.1.on_discard();
    }
    #[inline]
    fn on_evict(&self, stamp: Self::Stamp) {
        self.0.on_evict(stamp.0);
        self.1.on_evict(stamp.1);
    }
    #[inline]
    fn on_steal(&self, count: usize) {
        self.0.on_steal(count);
        self.1.on_steal(count);
    }
    #[inline]
    fn on_block(&self, side: Side) -> Self::BlockStamp {
        (self.0.on_block(side), self.1.on_block(side))
    }
    #[inline]
    fn on_unblock(&self, side: Side, stamp: Self::BlockStamp) {
        self.0.on_unblock(side, stamp.0);
        self.1.on_unblock(side, stamp.1);
    }
    #[inline]
    fn on_build(&mut self, capacity: Option<usize>) {
        self.0.on_build(capacity);
        self.1.on_build(capacity);
    }
    #[inline]
    fn on_release(&self, side: Side) {
        self.0.on_release(side);
        self.1.on_release(side);
    }
}

/// Two reporting sinks side by side: the snapshot is the pair of theirs.
impl<A: Report, B: Report> Report for (A, B) {
    type Snapshot = (A::Snapshot, B::Snapshot);

    fn snapshot(&self) -> Self::Snapshot {
        (self.0.snapshot(), self.1.snapshot())
    }

    fn reset(&self) {
        self.0.reset();
        self.1.reset();
    }
}
