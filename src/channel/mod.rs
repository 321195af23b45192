//! The channel core: the flavour type, the shared state, the handles.
//!
//! [`Channel<Q, W, B, M, P>`](Channel) names a flavour; it holds no data.
//! [`Channel::new`] creates the shared state (one queue, waiter lists, handle
//! counts, the metrics sink and the placement) behind an `Arc` and returns a
//! [`Sender`] and a [`Receiver`] for it. Every operation of every flavour goes
//! through the same few functions in `shared.rs`, with the strategies' hooks
//! resolved at compile time.

/// The accessors both handles share, written once.
macro_rules! state_accessors {
    () => {
        /// Messages queued now.
        pub fn len(&self) -> usize {
            self.shared().len()
        }

        /// Whether nothing is queued now.
        pub fn is_empty(&self) -> bool {
            self.shared().len() == 0
        }

        /// Whether the channel has no room now (a rendezvous channel always
        /// reports full: it never has room to store a message).
        pub fn is_full(&self) -> bool {
            self.shared().is_full()
        }

        /// The most messages the channel holds; `None` when unbounded,
        /// `Some(0)` for a rendezvous channel.
        pub fn capacity(&self) -> Option<usize> {
            self.shared().capacity()
        }

        /// The bytes of message storage the channel's queue holds now (see
        /// [`RawQueue::allocated_bytes`](crate::queue::RawQueue::allocated_bytes)
        /// for what each queue counts); `None` for a queue that does not say.
        /// An unbounded channel allocates nothing before its first send and
        /// falls back to its floor of one or two segments once a burst has
        /// been drained.
        ///
        /// ```
        /// use may_channel::queue::segment_bytes;
        ///
        /// let (tx, rx) = may_channel::flavors::UnboundedMpmc::new::<u64>();
        /// assert_eq!(tx.allocated_bytes(), Some(0));
        /// for i in 0..10_000 {
        ///     tx.send(i).unwrap();
        /// }
        /// assert!(tx.allocated_bytes().unwrap() > 10_000 * 8);
        /// while rx.try_recv().is_ok() {}
        /// assert_eq!(tx.allocated_bytes(), Some(2 * segment_bytes::<u64>()));
        /// ```
        pub fn allocated_bytes(&self) -> Option<usize> {
            self.shared().allocated_bytes()
        }

        /// Whether the channel is disconnected: every receiver or every sender
        /// is gone, or [`close`](Self::close) was called. Messages still
        /// queued can be received.
        pub fn is_disconnected(&self) -> bool {
            self.shared().is_disconnected()
        }

        /// Closes the channel for sending, from any sender or receiver;
        /// returns `true` if this call closed it (`false` if it was closed or
        /// disconnected already).
        ///
        /// After `close`, every send fails and hands its message back
        /// (`Disconnected`), senders blocked for room wake and get their
        /// message back, and receivers receive what is queued and then see
        /// `Disconnected`, exactly as when the last sender is dropped. A send
        /// racing with `close` is either refused or received, never lost: a
        /// receiver reports `Disconnected` only after every send that got
        /// past the check has landed. A zero-copy
        /// [`SendRef`](crate::zerocopy::SendRef) taken before `close` is such
        /// a send until the guard drops: while it lives, receivers find the
        /// channel empty (`try_recv` says `Empty`, `recv` keeps waiting)
        /// rather than disconnected, and its message is received once the
        /// guard publishes it. A closed channel reports as disconnected
        /// everywhere (there is no separate error).
        ///
        /// Graceful shutdown is close, then drain:
        ///
        /// ```
        /// use may_channel::{bounded, TrySendError};
        ///
        /// let (tx, rx) = bounded::<u32>(8);
        /// tx.send(1).unwrap();
        /// tx.send(2).unwrap();
        /// assert!(rx.close()); // any handle can close
        /// assert!(!tx.close()); // already closed
        /// assert!(tx.is_closed());
        /// assert_eq!(tx.try_send(3), Err(TrySendError::Disconnected(3)));
        /// let drained: Vec<u32> = rx.iter().collect(); // stops at the end
        /// assert_eq!(drained, [1, 2]);
        /// ```
        pub fn close(&self) -> bool {
            self.shared().close()
        }

        /// Whether the channel is closed for sending: [`close`](Self::close)
        /// was called or it is disconnected. The same as
        /// [`is_disconnected`](Self::is_disconnected), under the name that
        /// goes with `close`.
        pub fn is_closed(&self) -> bool {
            self.shared().is_disconnected()
        }

        /// Live senders of this channel.
        pub fn sender_count(&self) -> usize {
            self.shared().sender_count()
        }

        /// Live receivers of this channel.
        pub fn receiver_count(&self) -> usize {
            self.shared().receiver_count()
        }

        /// Whether `other` belongs to the same channel.
        pub fn same_channel(&self, other: &Self) -> bool {
            std::ptr::eq(self.shared(), other.shared())
        }

        /// The channel's metrics sink, for sinks with their own API.
        pub fn sink(&self) -> &F::Metrics {
            self.shared().metrics()
        }

        /// A snapshot of the channel's metrics; only for sinks that report
        /// (such as [`Counters`](crate::metrics::Counters)).
        pub fn metrics(&self) -> <F::Metrics as crate::metrics::Report>::Snapshot
        where
            F::Metrics: crate::metrics::Report,
        {
            crate::metrics::Report::snapshot(self.shared().metrics())
        }

        /// Zeroes the channel's cumulative metrics.
        pub fn reset_metrics(&self)
        where
            F::Metrics: crate::metrics::Report,
        {
            crate::metrics::Report::reset(self.shared().metrics());
        }
    };
}

mod close;
pub(crate) mod exclusive;
mod iter;
mod meeting;
mod parker;
mod peek;
mod receiver;
mod rendezvous;
mod sender;
mod shared;
mod timer;
mod waker;

use std::marker::PhantomData;
use std::sync::Arc;

pub use iter::{IntoIter, Iter, TryIter};
pub use meeting::Meeting;
pub(crate) use meeting::{NotMet, Packet, Reserved};
pub use peek::{Peekable, Peeked};
pub use receiver::Receiver;
pub use sender::Sender;
pub(crate) use shared::{QueueOf, RoomHeld, SendRoom, Shared, Stamp};
pub(crate) use waker::{WaitList, Waiter, block_on};

use crate::backpressure::{Backpressure, ValidFor};
use crate::error::BuildError;
use crate::metrics::{MetricsSink, NoMetrics};
use crate::placement::{Anywhere, Placement};
use crate::queue::{QueueKind, QueueStrategy};
use crate::wait::{SpinThenPark, WaitStrategy};

/// A channel flavour: one choice on each of the five axes.
///
/// - `Q`: the [queue](crate::queue) (storage),
/// - `W`: the [wait strategy](crate::wait), [`SpinThenPark`] by default,
/// - `B`: the [backpressure policy](crate::backpressure), by default the one
///   the queue's kind names ([`Block`](crate::backpressure::Block) for
///   bounded and rendezvous queues,
///   [`Unlimited`](crate::backpressure::Unlimited) for unbounded ones),
/// - `M`: the [metrics sink](crate::metrics), [`NoMetrics`] by default,
/// - `P`: the [placement](crate::placement), [`Anywhere`] by default.
///
/// The type is never instantiated; it is a name for the combination, used as
/// the second parameter of [`Sender`] and [`Receiver`]. Name the flavours your
/// program uses with type aliases (the crate ships common ones in
/// [`flavors`](crate::flavors)):
///
/// ```
/// use may_channel::{Channel, Receiver, Sender};
/// use may_channel::{backpressure::DropOldest, metrics::Counters, queue::Bounded, wait::Park};
///
/// /// The latest 128 readings, with counters.
/// type Readings = Channel<Bounded<128>, Park, DropOldest, Counters>;
///
/// let (tx, rx): (Sender<f64, Readings>, Receiver<f64, Readings>) = Readings::new();
/// tx.send(21.5).unwrap();
/// assert_eq!(rx.recv(), Ok(21.5));
/// assert_eq!(rx.metrics().received, 1);
/// ```
pub struct Channel<
    Q: QueueStrategy,
    W = SpinThenPark,
    B = <<Q as QueueStrategy>::Kind as QueueKind>::DefaultBackpressure,
    M = NoMetrics,
    P = Anywhere,
>(PhantomData<Marker<Q, W, B, M, P>>);

/// The phantom of [`Channel`]: a function pointer type, so that `Channel`
/// is `Send + Sync + Copy`-neutral whatever its strategies are.
type Marker<Q, W, B, M, P> = fn() -> (Q, W, B, M, P);

/// Both handles of a new channel of flavour `F`.
pub type Pair<T, F> = (Sender<T, F>, Receiver<T, F>);

impl<Q: QueueStrategy, W, B, M, P> std::fmt::Debug for Channel<Q, W, B, M, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(std::any::type_name::<Self>())
    }
}

mod sealed {
    pub trait Sealed {}
}

/// The strategies of a valid [`Channel`] combination. Implemented only by
/// `Channel<..>` (sealed): the bounds of that impl are where an invalid
/// combination is rejected, with the message of the failing bound.
pub trait Flavor: sealed::Sealed + 'static {
    /// The queue strategy.
    type Queue: QueueStrategy;
    /// The wait strategy.
    type Wait: WaitStrategy;
    /// The backpressure policy.
    type Backpressure: Backpressure + ValidFor<<Self::Queue as QueueStrategy>::Kind>;
    /// The metrics sink.
    type Metrics: MetricsSink;
    /// The placement.
    type Placement: Placement;
}

impl<Q, W, B, M, P> sealed::Sealed for Channel<Q, W, B, M, P> where Q: QueueStrategy {}

impl<Q, W, B, M, P> Flavor for Channel<Q, W, B, M, P>
where
    Q: QueueStrategy,
    W: WaitStrategy,
    B: ValidFor<Q::Kind>,
    M: MetricsSink,
    P: Placement,
{
    type Queue = Q;
    type Wait = W;
    type Backpressure = B;
    type Metrics = M;
    type Placement = P;
}

// The bounds sit on each constructor (not on the impl) so that an invalid
// combination is reported with the failing bound's `on_unimplemented`
// message rather than as "function not found".
impl<Q, W, B, M, P> Channel<Q, W, B, M, P>
where
    Q: QueueStrategy,
{
    /// Creates a channel of this flavour, for a queue that needs no runtime
    /// settings.
    pub fn new<T>() -> Pair<T, Self>
    where
        Q: QueueStrategy<Config = ()>,
        W: WaitStrategy,
        B: ValidFor<Q::Kind>,
        M: MetricsSink,
        P: Placement,
    {
        Self::from_parts(Q::new_queue(&()), W::default(), M::default(), P::default())
    }

    /// Creates a channel of this flavour with the queue's runtime settings
    /// (for [`DynBounded`](crate::queue::DynBounded), the capacity), checked
    /// first.
    ///
    /// ```
    /// use may_channel::{BuildError, Channel, queue::DynBounded};
    ///
    /// let (tx, rx) = Channel::<DynBounded>::with_config::<u32>(2).unwrap();
    /// assert_eq!(tx.capacity(), Some(2));
    /// # drop(rx);
    /// let too_large = Channel::<DynBounded>::with_config::<u32>(usize::MAX).unwrap_err();
    /// assert!(matches!(too_large, BuildError::CapacityTooLarge { .. }));
    /// ```
    pub fn with_config<T>(config: Q::Config) -> Result<Pair<T, Self>, BuildError>
    where
        W: WaitStrategy,
        B: ValidFor<Q::Kind>,
        M: MetricsSink,
        P: Placement,
    {
        Self::with_placement(config, P::default())
    }

    /// Creates a channel of this flavour with the queue's runtime settings
    /// and a placement value (a [`Numa`](crate::placement::Numa) placement
    /// over a given topology, say), both checked first.
    ///
    /// ```
    /// use may_channel::flavors::NumaWorkStealing;
    /// use may_channel::placement::{Numa, NumaNode, Topology};
    /// use may_channel::queue::Workers;
    ///
    /// let topology = Topology::new(vec![NumaNode::new(0, 0..2), NumaNode::new(1, 2..4)], None).unwrap();
    /// let (tx, rx) =
    ///     NumaWorkStealing::with_placement::<u32>(Workers(2), Numa::with_topology(topology)).unwrap();
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.recv(), Ok(1));
    /// ```
    pub fn with_placement<T>(config: Q::Config, placement: P) -> Result<Pair<T, Self>, BuildError>
    where
        W: WaitStrategy,
        B: ValidFor<Q::Kind>,
        M: MetricsSink,
        P: Placement,
    {
        Q::validate(&config)?;
        placement.validate()?;
        Ok(Self::from_parts(
            Q::new_queue(&config),
            W::default(),
            M::default(),
            placement,
        ))
    }

    /// Creates a channel from strategy values the caller built (a wait
    /// strategy with settings, a sink shared elsewhere, a placement with a
    /// topology). The queue must come from `Q::new_queue`.
    pub fn from_parts<T>(
        queue: <Q as QueueStrategy>::Queue<shared::Envelope<T, M::Stamp>>,
        wait: W,
        metrics: M,
        placement: P,
    ) -> Pair<T, Self>
    where
        W: WaitStrategy,
        B: ValidFor<Q::Kind>,
        M: MetricsSink,
        P: Placement,
    {
        let shared = Arc::new(Shared::new(queue, wait, metrics, placement));
        (Sender::new(Arc::clone(&shared)), Receiver::new(shared))
    }
}

pub use shared::Envelope;
