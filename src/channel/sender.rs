use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Flavor, Shared};
use crate::backpressure::{DropOldest, HasSend, HasSendTimeout};
use crate::error::{SendError, SendTimeoutError, TrySendError};

/// The sending half of a channel of flavour `F`. Clone it for more
/// producers; the channel disconnects for receivers when the last clone is
/// dropped (they still drain what is queued).
///
/// # Threads
///
/// Any `T` makes a channel; the handles are `Send` and `Sync` when
/// `T: Send`, as in crossbeam-channel and std (for a queue of your own:
/// when it is `Send + Sync`). A channel of `Rc`s works on its own thread:
///
/// ```
/// use std::rc::Rc;
///
/// let (tx, rx) = may_channel::unbounded();
/// tx.send(Rc::new(5)).unwrap();
/// assert_eq!(*rx.recv().unwrap(), 5);
/// ```
///
/// but its sender cannot go to another thread or coroutine:
///
/// ```compile_fail,E0277
/// fn need_send<T: Send>(_: T) {}
/// let (tx, _rx) = may_channel::unbounded::<std::rc::Rc<u8>>();
/// need_send(tx);
/// ```
///
/// while one of `u8`s can:
///
/// ```
/// fn need_send<T: Send>(_: T) {}
/// let (tx, _rx) = may_channel::unbounded::<u8>();
/// need_send(tx);
/// ```
pub struct Sender<T, F: Flavor> {
    shared: Arc<Shared<T, F>>,
}

impl<T, F: Flavor> Sender<T, F> {
    pub(crate) fn new(shared: Arc<Shared<T, F>>) -> Self {
        Self { shared }
    }

    pub(crate) fn shared(&self) -> &Shared<T, F> {
        &self.shared
    }

    /// The shared state's `Arc`, for exporters that keep a `Weak` to it.
    pub(crate) fn shared_arc(&self) -> &Arc<Shared<T, F>> {
        &self.shared
    }

    /// Sends `msg`, applying the channel's backpressure policy when it is
    /// full: `Block` waits for room (on a rendezvous channel, for a receiver
    /// to take the message), `DropNewest` drops `msg`, `DropOldest` evicts
    /// the oldest queued message. Waiting parks the calling coroutine (or
    /// thread, outside may).
    ///
    /// Fails only when every receiver is gone or the channel was
    /// [closed](Self::close), handing `msg` back. Channels
    /// with the `Reject` policy have no `send`: use [`try_send`](Self::try_send).
    #[inline]
    pub fn send(&self, msg: T) -> Result<(), SendError<T>>
    where
        F::Backpressure: HasSend,
    {
        self.shared
            .send_until(msg, None)
            .map_err(|err| SendError(err.into_inner()))
    }

    /// Stores `msg` if that is possible right now, without waiting and
    /// without dropping anything: on a full channel (on a rendezvous channel:
    /// when no receiver is waiting) `msg` comes back in
    /// [`TrySendError::Full`], whatever the backpressure policy.
    #[inline]
    pub fn try_send(&self, msg: T) -> Result<(), TrySendError<T>> {
        self.shared.try_send(msg)
    }

    /// Like [`send`](Self::send), but gives up after `timeout`, handing `msg`
    /// back in [`SendTimeoutError::Timeout`].
    pub fn send_timeout(&self, msg: T, timeout: Duration) -> Result<(), SendTimeoutError<T>>
    where
        F::Backpressure: HasSendTimeout,
    {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.send_deadline(msg, deadline),
            None => self.shared.send_until(msg, None),
        }
    }

    /// Like [`send`](Self::send), but gives up at `deadline`, handing `msg`
    /// back in [`SendTimeoutError::Timeout`]. A deadline already past makes
    /// one attempt.
    pub fn send_deadline(&self, msg: T, deadline: Instant) -> Result<(), SendTimeoutError<T>>
    where
        F::Backpressure: HasSendTimeout,
    {
        self.shared.send_until(msg, Some(deadline))
    }

    /// Stores as many of `msgs` as fit right now, in order, and wakes
    /// receivers once at the end. Never waits and never drops: returns the
    /// messages that were not stored (the first refused one and everything
    /// after it; all of them if the receivers are gone), so an empty vector
    /// means everything was sent. The iterator is consumed to the end.
    ///
    /// The messages are pulled from the iterator 64 at a time before any is
    /// stored; on a bounded ring channel each such batch takes its run of
    /// slots with one claim (`benches/batch.rs` measures what it buys).
    pub fn send_batch(&self, msgs: impl IntoIterator<Item = T>) -> Vec<T> {
        self.shared.send_batch(msgs)
    }

    /// The send a `select!` branch performs once chosen: never waits;
    /// `Ok(Ok(()))` sent, `Ok(Err(msg))` disconnected, `Err(msg)` no room now.
    #[doc(hidden)]
    pub fn __select_send(&self, msg: T) -> Result<Result<(), T>, T> {
        self.shared.send_now(msg)
    }

    state_accessors!();
}

impl<T, Q, W, M, P> Sender<T, super::Channel<Q, W, DropOldest, M, P>>
where
    super::Channel<Q, W, DropOldest, M, P>: Flavor,
    Q: crate::queue::QueueStrategy,
{
    /// Stores `msg`, evicting the oldest queued message when the channel is
    /// full and handing it back (where [`send`](Self::send) drops it). The
    /// eviction is counted by the metrics sink. Fails only when every
    /// receiver is gone.
    pub fn force_send(&self, msg: T) -> Result<Option<T>, SendError<T>> {
        self.shared.force_send(msg).map_err(SendError)
    }
}

impl<T, F: Flavor> Clone for Sender<T, F> {
    fn clone(&self) -> Self {
        self.shared.add_sender();
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T, F: Flavor> Drop for Sender<T, F> {
    fn drop(&mut self) {
        crate::metrics::MetricsSink::on_release(self.shared.metrics(), crate::metrics::Side::Send);
        self.shared.remove_sender();
    }
}

// Like crossbeam-channel's handles: a panic caught around a channel
// operation leaves the channel consistent (every operation's cleanup runs in
// `Drop` guards, and a message whose `Drop` panicked is gone, not half
// there), so observing it after the panic is sound. The channel's interior
// mutability (slots in `UnsafeCell`s) would otherwise keep `Arc<Shared>`
// from being unwind safe.
impl<T, F: Flavor> std::panic::UnwindSafe for Sender<T, F> {}
impl<T, F: Flavor> std::panic::RefUnwindSafe for Sender<T, F> {}

impl<T, F: Flavor> fmt::Debug for Sender<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("disconnected", &self.is_disconnected())
            .finish_non_exhaustive()
    }
}
