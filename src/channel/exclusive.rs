//! The handles of [`crate::spsc`]: one sender and one receiver that cannot
//! be cloned or shared, so that they use the [`Spsc`] queue's exclusive
//! operations (no lock, one atomic read-modify-write per message) through
//! the same core as every other channel.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Channel, Flavor, Shared};
use crate::backpressure::{HasSend, HasSendTimeout};
use crate::error::{
    BuildError, RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError,
    TrySendError,
};
use crate::metrics::{MetricsSink, Side};
use crate::placement::Placement;
use crate::queue::{QueueStrategy, Spsc, SpscBounded, SpscStrategy};
use crate::wait::SpinThenPark;

/// A flavour over one of the single-producer, single-consumer queues
/// ([`Spsc`], [`SpscBounded`]): what the [`spsc`](crate::spsc) handles
/// take. Implemented for every such [`Channel`].
pub trait SpscFlavor: Flavor<Queue: SpscStrategy> {}

impl<F: Flavor<Queue: SpscStrategy>> SpscFlavor for F {}

/// `Send` but not `Sync`: a handle may move to another thread or coroutine,
/// but two threads can never use it at once (that would make two producers,
/// or two consumers, of a queue that has no lock for them).
type NotSync = PhantomData<Cell<()>>;

/// Creates a single-producer, single-consumer channel of the default
/// flavour ([`Channel<Spsc>`](crate::queue::Spsc): `SpinThenPark`,
/// `Unlimited`, `NoMetrics`, `Anywhere`).
///
/// ```
/// let (tx, rx) = may_channel::spsc::channel();
/// let producer = may::go!(move || {
///     for i in 0..1000u64 {
///         tx.send(i).unwrap();
///     }
/// });
/// assert_eq!(rx.iter().sum::<u64>(), 999 * 1000 / 2);
/// producer.join().unwrap();
/// ```
pub fn channel<T>() -> Pair<T, Channel<Spsc>> {
    channel_of::<T, Channel<Spsc>>()
}

/// Both handles of a single-producer, single-consumer channel of flavour
/// `F`.
pub type Pair<T, F> = (Sender<T, F>, Receiver<T, F>);

/// The flavour [`bounded`] builds: `N` slots, `SpinThenPark`, `Block`.
pub type Bounded<const N: usize> = Channel<SpscBounded<N>, SpinThenPark>;

/// Creates a bounded single-producer, single-consumer channel of `N`
/// slots ([`SpscBounded<N>`], `SpinThenPark`, `Block`): `send` waits while
/// it is full.
///
/// ```
/// use may_channel::TrySendError;
///
/// let (tx, rx) = may_channel::spsc::bounded::<u32, 2>();
/// tx.send(1).unwrap();
/// tx.send(2).unwrap();
/// assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
/// assert_eq!(rx.recv(), Ok(1));
/// tx.send(3).unwrap();
/// assert_eq!(rx.iter().take(2).collect::<Vec<_>>(), [2, 3]);
/// ```
pub fn bounded<T, const N: usize>() -> Pair<T, Bounded<N>> {
    const { assert!(N > 0, "a bounded spsc channel needs at least one slot") };
    channel_of()
}

/// Creates a single-producer, single-consumer channel of flavour `F`: any
/// wait strategy, metrics sink and placement over the [`Spsc`] queue, or
/// any capacity and policy (`Block`, `Reject`, `DropNewest`) over
/// [`SpscBounded<N>`].
///
/// ```
/// use may_channel::{Channel, metrics::Counters, queue::Spsc, wait::Park};
///
/// type Counted = Channel<Spsc, Park, may_channel::backpressure::Unlimited, Counters>;
/// let (tx, rx) = may_channel::spsc::channel_of::<u32, Counted>();
/// tx.send(7).unwrap();
/// assert_eq!(rx.recv(), Ok(7));
/// assert_eq!(rx.metrics().received, 1);
/// ```
pub fn channel_of<T, F: SpscFlavor>() -> Pair<T, F>
where
    F::Queue: QueueStrategy<Config = ()>,
{
    // `new_queue` without `validate` (as `Channel::new` does): an
    // `SpscBounded<0>` gets one slot rather than a panic.
    pair(Shared::new(
        <F::Queue as QueueStrategy>::new_queue(&()),
        F::Wait::default(),
        F::Metrics::default(),
        F::Placement::default(),
    ))
}

/// The builder's way in ([`ChannelBuilder::build_spsc`](crate::ChannelBuilder::build_spsc)):
/// checks the queue's settings and the placement, then builds the handles.
pub(crate) fn validated<T, F: SpscFlavor>(
    config: <F::Queue as QueueStrategy>::Config,
    placement: F::Placement,
) -> Result<Pair<T, F>, BuildError> {
    <F::Queue as QueueStrategy>::validate(&config)?;
    placement.validate()?;
    Ok(pair(Shared::new(
        <F::Queue as QueueStrategy>::new_queue(&config),
        F::Wait::default(),
        F::Metrics::default(),
        placement,
    )))
}

/// The two handles over `shared`, the only ones it will ever have.
fn pair<T, F: SpscFlavor>(shared: Shared<T, F>) -> Pair<T, F> {
    let shared = Arc::new(shared);
    (
        Sender {
            shared: Arc::clone(&shared),
            _not_sync: PhantomData,
        },
        Receiver {
            shared,
            _not_sync: PhantomData,
        },
    )
}

/// The one sending half of a [`spsc`](crate::spsc) channel. Not `Clone`,
/// not `Sync`: it can move to another thread or coroutine, but only one
/// task sends at a time. Dropping it disconnects the channel for the
/// receiver, which still drains what is queued.
pub struct Sender<T, F: SpscFlavor = Channel<Spsc>> {
    shared: Arc<Shared<T, F>>,
    _not_sync: NotSync,
}

impl<T, F: SpscFlavor> Sender<T, F> {
    pub(crate) fn shared(&self) -> &Shared<T, F> {
        &self.shared
    }

    /// Sends `msg`. On an unbounded channel this never waits; on a bounded
    /// one ([`SpscBounded`]) a full channel is handled by the backpressure
    /// policy: `Block` waits for room (parking the calling coroutine, or
    /// thread outside may), `DropNewest` drops `msg`. Fails only when the
    /// receiver is gone or the channel was [closed](Self::close), handing
    /// `msg` back.
    #[inline]
    pub fn send(&self, msg: T) -> Result<(), SendError<T>>
    where
        F::Backpressure: HasSend,
    {
        self.send_until(msg, None)
            .map_err(|err| SendError(err.into_inner()))
    }

    /// Like [`send`](Self::send) on a `Block` channel, but gives up after
    /// `timeout`, handing `msg` back in [`SendTimeoutError::Timeout`].
    pub fn send_timeout(&self, msg: T, timeout: Duration) -> Result<(), SendTimeoutError<T>>
    where
        F::Backpressure: HasSendTimeout,
    {
        self.send_until(msg, Instant::now().checked_add(timeout))
    }

    /// Like [`send`](Self::send) on a `Block` channel, but gives up at
    /// `deadline`. A deadline already past makes one attempt.
    pub fn send_deadline(&self, msg: T, deadline: Instant) -> Result<(), SendTimeoutError<T>>
    where
        F::Backpressure: HasSendTimeout,
    {
        self.send_until(msg, Some(deadline))
    }

    #[inline]
    fn send_until(&self, msg: T, deadline: Option<Instant>) -> Result<(), SendTimeoutError<T>> {
        let queue = self.shared.queue();
        self.shared.send_via_until(
            msg,
            deadline,
            |envelope| {
                // SAFETY: this handle is the channel's only sender (neither
                // `Clone` nor `Sync`, and it cannot become an ordinary
                // handle), so no other push runs meanwhile.
                unsafe { <F::Queue as SpscStrategy>::push_exclusive(queue, envelope) }
            },
            // Never called: the spsc queues' kinds exclude `DropOldest`.
            Err,
        )
    }

    /// Stores `msg` if that is possible right now, without waiting and
    /// without dropping anything: on a full bounded channel `msg` comes
    /// back in [`TrySendError::Full`], whatever the policy.
    #[inline]
    pub fn try_send(&self, msg: T) -> Result<(), TrySendError<T>> {
        let queue = self.shared.queue();
        self.shared.try_send_via(msg, |envelope| {
            // SAFETY: as in `send_until`: the only sender.
            unsafe { <F::Queue as SpscStrategy>::push_exclusive(queue, envelope) }
        })
    }

    /// The send a `select!` branch performs once chosen: never waits;
    /// `Ok(Ok(()))` sent, `Ok(Err(msg))` disconnected, `Err(msg)` no room
    /// now.
    #[doc(hidden)]
    pub fn __select_send(&self, msg: T) -> Result<Result<(), T>, T> {
        match self.try_send(msg) {
            Ok(()) => Ok(Ok(())),
            Err(TrySendError::Disconnected(msg)) => Ok(Err(msg)),
            Err(TrySendError::Full(msg)) => Err(msg),
        }
    }

    state_accessors!();
}

impl<T, F: SpscFlavor> Drop for Sender<T, F> {
    fn drop(&mut self) {
        MetricsSink::on_release(self.shared.metrics(), Side::Send);
        self.shared.remove_sender();
    }
}

impl<T, F: SpscFlavor> fmt::Debug for Sender<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("spsc::Sender")
            .field("len", &self.len())
            .field("disconnected", &self.is_disconnected())
            .finish_non_exhaustive()
    }
}

/// The one receiving half of a [`spsc`](crate::spsc) channel. Not `Clone`,
/// not `Sync`, like the [`Sender`]. Dropping it disconnects the channel
/// (sends fail) and drops what is still queued.
pub struct Receiver<T, F: SpscFlavor = Channel<Spsc>> {
    shared: Arc<Shared<T, F>>,
    _not_sync: NotSync,
}

impl<T, F: SpscFlavor> Receiver<T, F> {
    pub(crate) fn shared(&self) -> &Shared<T, F> {
        &self.shared
    }

    /// Takes the next message, waiting for one (parking the calling
    /// coroutine, or thread outside may). Fails once the channel is empty
    /// and the sender is gone, or it was [closed](Self::close) and is
    /// drained.
    #[inline]
    pub fn recv(&self) -> Result<T, RecvError> {
        self.recv_until(None).map_err(|_| RecvError)
    }

    /// Takes the next message if one is queued now.
    #[inline]
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        let queue = self.shared.queue();
        self.shared
            .try_recv_via(|| {
                // (The channel's last-receiver drain runs in this handle's
                // own `Drop`, so it is no second consumer either.)
                // SAFETY: the only receiver (neither `Clone` nor `Sync`, and
                // no way to an ordinary handle): no other pop runs meanwhile.
                unsafe { <F::Queue as SpscStrategy>::pop_exclusive(queue) }
                    .map(|envelope| (envelope, ()))
            })
            .map(|(msg, ())| msg)
    }

    /// Like [`recv`](Self::recv), but gives up after `timeout`. A message
    /// that arrives after the timeout stays in the channel.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_until(Instant::now().checked_add(timeout))
    }

    /// Like [`recv`](Self::recv), but gives up at `deadline`. A deadline
    /// already past makes one attempt.
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        self.recv_until(Some(deadline))
    }

    #[inline]
    fn recv_until(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        let queue = self.shared.queue();
        self.shared
            .recv_via_until(deadline, || {
                // SAFETY: as in `try_recv`: the only receiver.
                unsafe { <F::Queue as SpscStrategy>::pop_exclusive(queue) }
                    .map(|envelope| (envelope, ()))
            })
            .map(|(msg, ())| msg)
    }

    /// A blocking iterator: yields messages until the channel is empty and
    /// the sender is gone.
    pub fn iter(&self) -> Iter<'_, T, F> {
        Iter { receiver: self }
    }

    /// A non-blocking iterator: yields the messages queued now.
    pub fn try_iter(&self) -> TryIter<'_, T, F> {
        TryIter { receiver: self }
    }

    state_accessors!();
}

impl<T, F: SpscFlavor> Drop for Receiver<T, F> {
    fn drop(&mut self) {
        MetricsSink::on_release(self.shared.metrics(), Side::Recv);
        self.shared.remove_receiver();
    }
}

impl<T, F: SpscFlavor> fmt::Debug for Receiver<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("spsc::Receiver")
            .field("len", &self.len())
            .field("disconnected", &self.is_disconnected())
            .finish_non_exhaustive()
    }
}

/// Blocking iterator; see [`Receiver::iter`].
pub struct Iter<'a, T, F: SpscFlavor> {
    receiver: &'a Receiver<T, F>,
}

/// Non-blocking iterator; see [`Receiver::try_iter`].
pub struct TryIter<'a, T, F: SpscFlavor> {
    receiver: &'a Receiver<T, F>,
}

/// Owning blocking iterator; see `impl IntoIterator for Receiver`.
pub struct IntoIter<T, F: SpscFlavor> {
    receiver: Receiver<T, F>,
}

impl<T, F: SpscFlavor> Iterator for Iter<'_, T, F> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.receiver.recv().ok()
    }
}

impl<T, F: SpscFlavor> Iterator for TryIter<'_, T, F> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.receiver.try_recv().ok()
    }
}

impl<T, F: SpscFlavor> Iterator for IntoIter<T, F> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.receiver.recv().ok()
    }
}

impl<'a, T, F: SpscFlavor> IntoIterator for &'a Receiver<T, F> {
    type Item = T;
    type IntoIter = Iter<'a, T, F>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T, F: SpscFlavor> IntoIterator for Receiver<T, F> {
    type Item = T;
    type IntoIter = IntoIter<T, F>;
    fn into_iter(self) -> Self::IntoIter {
        IntoIter { receiver: self }
    }
}

impl<T, F: SpscFlavor> fmt::Debug for Iter<'_, T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("spsc::Iter").finish_non_exhaustive()
    }
}

impl<T, F: SpscFlavor> fmt::Debug for TryIter<'_, T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("spsc::TryIter").finish_non_exhaustive()
    }
}

impl<T, F: SpscFlavor> fmt::Debug for IntoIter<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("spsc::IntoIter").finish_non_exhaustive()
    }
}
