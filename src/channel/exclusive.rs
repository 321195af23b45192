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
use crate::error::{RecvError, RecvTimeoutError, SendError, TryRecvError, TrySendError};
use crate::metrics::{MetricsSink, Side};
use crate::queue::{QueueStrategy, Spsc};

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
pub fn channel<T: Send>() -> (Sender<T>, Receiver<T>) {
    channel_of::<T, Channel<Spsc>>()
}

/// Creates a single-producer, single-consumer channel of flavour `F`: any
/// wait strategy, metrics sink and placement over the [`Spsc`] queue.
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
pub fn channel_of<T: Send, F: Flavor<Queue = Spsc>>() -> (Sender<T, F>, Receiver<T, F>) {
    let shared = Arc::new(Shared::new(
        <Spsc as QueueStrategy>::new_queue(&()),
        F::Wait::default(),
        F::Metrics::default(),
        F::Placement::default(),
    ));
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
pub struct Sender<T: Send, F: Flavor<Queue = Spsc> = Channel<Spsc>> {
    shared: Arc<Shared<T, F>>,
    _not_sync: NotSync,
}

impl<T: Send, F: Flavor<Queue = Spsc>> Sender<T, F> {
    pub(crate) fn shared(&self) -> &Shared<T, F> {
        &self.shared
    }

    /// Sends `msg`. The channel is unbounded, so this never waits. Fails
    /// only when the receiver is gone or the channel was
    /// [closed](Self::close), handing `msg` back.
    #[inline]
    pub fn send(&self, msg: T) -> Result<(), SendError<T>> {
        let queue = self.shared.queue();
        self.shared
            .send_via_until(
                msg,
                None,
                |envelope| {
                    // SAFETY: this handle is the channel's only sender
                    // (neither `Clone` nor `Sync`, and it cannot become an
                    // ordinary handle), so no other push runs meanwhile.
                    unsafe { queue.push_exclusive(envelope) }
                },
                // `Unlimited` never evicts.
                Err,
            )
            .map_err(|err| SendError(err.into_inner()))
    }

    /// The same as [`send`](Self::send) (an unbounded channel is never
    /// full), with the error type of the other channels' `try_send`.
    #[inline]
    pub fn try_send(&self, msg: T) -> Result<(), TrySendError<T>> {
        let queue = self.shared.queue();
        self.shared.try_send_via(msg, |envelope| {
            // SAFETY: as in `send`: the only sender.
            unsafe { queue.push_exclusive(envelope) }
        })
    }

    /// The send a `select!` branch performs once chosen: never waits;
    /// `Ok(Ok(()))` sent, `Ok(Err(msg))` disconnected (an unbounded channel
    /// has no "no room now").
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

impl<T: Send, F: Flavor<Queue = Spsc>> Drop for Sender<T, F> {
    fn drop(&mut self) {
        MetricsSink::on_release(self.shared.metrics(), Side::Send);
        self.shared.remove_sender();
    }
}

impl<T: Send, F: Flavor<Queue = Spsc>> fmt::Debug for Sender<T, F> {
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
pub struct Receiver<T: Send, F: Flavor<Queue = Spsc> = Channel<Spsc>> {
    shared: Arc<Shared<T, F>>,
    _not_sync: NotSync,
}

impl<T: Send, F: Flavor<Queue = Spsc>> Receiver<T, F> {
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
                // SAFETY: this handle is the channel's only receiver
                // (neither `Clone` nor `Sync`, and it cannot become an
                // ordinary handle; the last receiver's drain runs in its
                // `Drop`), so no other pop runs meanwhile.
                unsafe { queue.pop_exclusive() }.map(|envelope| (envelope, ()))
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
                unsafe { queue.pop_exclusive() }.map(|envelope| (envelope, ()))
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

impl<T: Send, F: Flavor<Queue = Spsc>> Drop for Receiver<T, F> {
    fn drop(&mut self) {
        MetricsSink::on_release(self.shared.metrics(), Side::Recv);
        self.shared.remove_receiver();
    }
}

impl<T: Send, F: Flavor<Queue = Spsc>> fmt::Debug for Receiver<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("spsc::Receiver")
            .field("len", &self.len())
            .field("disconnected", &self.is_disconnected())
            .finish_non_exhaustive()
    }
}

/// Blocking iterator; see [`Receiver::iter`].
pub struct Iter<'a, T: Send, F: Flavor<Queue = Spsc>> {
    receiver: &'a Receiver<T, F>,
}

/// Non-blocking iterator; see [`Receiver::try_iter`].
pub struct TryIter<'a, T: Send, F: Flavor<Queue = Spsc>> {
    receiver: &'a Receiver<T, F>,
}

/// Owning blocking iterator; see `impl IntoIterator for Receiver`.
pub struct IntoIter<T: Send, F: Flavor<Queue = Spsc>> {
    receiver: Receiver<T, F>,
}

impl<T: Send, F: Flavor<Queue = Spsc>> Iterator for Iter<'_, T, F> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.receiver.recv().ok()
    }
}

impl<T: Send, F: Flavor<Queue = Spsc>> Iterator for TryIter<'_, T, F> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.receiver.try_recv().ok()
    }
}

impl<T: Send, F: Flavor<Queue = Spsc>> Iterator for IntoIter<T, F> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.receiver.recv().ok()
    }
}

impl<'a, T: Send, F: Flavor<Queue = Spsc>> IntoIterator for &'a Receiver<T, F> {
    type Item = T;
    type IntoIter = Iter<'a, T, F>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T: Send, F: Flavor<Queue = Spsc>> IntoIterator for Receiver<T, F> {
    type Item = T;
    type IntoIter = IntoIter<T, F>;
    fn into_iter(self) -> Self::IntoIter {
        IntoIter { receiver: self }
    }
}

impl<T: Send, F: Flavor<Queue = Spsc>> fmt::Debug for Iter<'_, T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("spsc::Iter").finish_non_exhaustive()
    }
}

impl<T: Send, F: Flavor<Queue = Spsc>> fmt::Debug for TryIter<'_, T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("spsc::TryIter").finish_non_exhaustive()
    }
}

impl<T: Send, F: Flavor<Queue = Spsc>> fmt::Debug for IntoIter<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("spsc::IntoIter").finish_non_exhaustive()
    }
}
