use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::iter::{Iter, TryIter};
use super::peek::{Peekable, Peeked};
use super::{Flavor, Shared};
use crate::error::{RecvError, RecvTimeoutError, TryRecvError};

/// The receiving half of a channel of flavour `F`. Clone it for more
/// consumers: each message goes to exactly one of them. When the last clone is
/// dropped, sends fail and the messages still queued are dropped before the
/// drop returns, also the ones a racing send was storing at that moment (a
/// send that returns `Ok` stored a message that is either received or
/// dropped here; none waits for the last handle to go).
///
/// # Panics
///
/// If a queued message's `Drop` panics while the last receiver drops them,
/// the remaining messages are still dropped, each exactly once, and then the
/// first panic is resumed out of the receiver's `drop` (later ones are
/// discarded; if the thread is already unwinding, all are). The process is
/// never aborted by two panicking messages. The same holds when the last
/// handle of the channel drops messages that arrived after the last
/// receiver's drain. The handles are `UnwindSafe`, so
/// `std::panic::catch_unwind(|| drop(rx))` needs no `AssertUnwindSafe`.
///
/// # Threads
///
/// As for the [`Sender`](crate::Sender): `Send` and `Sync` when `T: Send`.
/// The receiver of a channel of `Rc`s stays on its thread:
///
/// ```compile_fail,E0277
/// fn need_send<T: Send>(_: T) {}
/// let (_tx, rx) = may_channel::bounded::<std::rc::Rc<u8>>(4);
/// need_send(rx);
/// ```
///
/// ```
/// fn need_send<T: Send>(_: T) {}
/// let (_tx, rx) = may_channel::bounded::<u8>(4);
/// need_send(rx);
/// ```
pub struct Receiver<T, F: Flavor> {
    shared: Arc<Shared<T, F>>,
}

impl<T, F: Flavor> Receiver<T, F> {
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

    /// Takes the next message, waiting for one (parking the calling coroutine,
    /// or thread outside may). Fails once the channel is empty and every
    /// sender is gone, or it was [closed](Self::close) and is drained.
    #[inline]
    pub fn recv(&self) -> Result<T, RecvError> {
        self.shared.recv_until(None).map_err(|_| RecvError)
    }

    /// Takes the next message if one is queued now.
    #[inline]
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.shared.try_recv()
    }

    /// Like [`recv`](Self::recv), but gives up after `timeout`. A message that
    /// arrives after the timeout stays in the channel.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.recv_deadline(deadline),
            None => self.shared.recv_until(None),
        }
    }

    /// Like [`recv`](Self::recv), but gives up at `deadline`. A deadline
    /// already past makes one attempt.
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        self.shared.recv_until(Some(deadline))
    }

    /// Waits for a message, then takes it and up to `max - 1` more that are
    /// queued, in one pass (senders waiting for room are woken once, not once
    /// per message; on a bounded ring channel the run of messages at the
    /// head is taken with one claim). `max == 0` returns an empty vector at
    /// once.
    pub fn recv_batch(&self, max: usize) -> Result<Vec<T>, RecvError> {
        let mut buf = Vec::new();
        self.recv_batch_into(&mut buf, max)?;
        Ok(buf)
    }

    /// [`recv_batch`](Self::recv_batch) into a vector you reuse; appends, and
    /// returns how many messages it appended.
    pub fn recv_batch_into(&self, buf: &mut Vec<T>, max: usize) -> Result<usize, RecvError> {
        self.shared
            .recv_batch_until(buf, max, None)
            .map_err(|_| RecvError)
    }

    /// [`recv_batch`](Self::recv_batch) that waits at most `timeout` for the
    /// first message.
    pub fn recv_batch_timeout(
        &self,
        max: usize,
        timeout: Duration,
    ) -> Result<Vec<T>, RecvTimeoutError> {
        let mut buf = Vec::new();
        let deadline = Instant::now().checked_add(timeout);
        self.shared.recv_batch_until(&mut buf, max, deadline)?;
        Ok(buf)
    }

    /// A blocking iterator: yields messages until the channel is empty and
    /// every sender is gone.
    pub fn iter(&self) -> Iter<'_, T, F> {
        Iter { receiver: self }
    }

    /// A non-blocking iterator: yields the messages queued now.
    pub fn try_iter(&self) -> TryIter<'_, T, F> {
        TryIter { receiver: self }
    }

    state_accessors!();
}

/// Peek: available where the queue has one head ([`Peekable`]).
impl<T, F: Flavor> Receiver<T, F>
where
    F::Queue: Peekable,
{
    /// Waits for the next message (as [`recv`](Self::recv) does) and lends
    /// it in a guard: [`Peeked::take`] receives it, [`Peeked::leave`] (or
    /// dropping the guard) leaves it at the head of the channel for the next
    /// receive. Fails once the channel is empty and disconnected.
    ///
    /// On a priority channel the guard holds the message `recv` would take
    /// (the most urgent, oldest first within its level; `Peeked::priority`
    /// tells its level), and a left message goes back to the head *of its
    /// level*: a more urgent message, queued or sent later, is received
    /// before it.
    ///
    /// ```
    /// use may_channel::unbounded;
    ///
    /// let (tx, rx) = unbounded::<&str>();
    /// tx.send("ping").unwrap();
    /// tx.send("job").unwrap();
    /// // Skip control messages, leave real work for whoever handles it.
    /// let head = rx.peek().unwrap();
    /// if *head == "ping" {
    ///     head.take();
    /// }
    /// let head = rx.peek().unwrap();
    /// assert_eq!(*head, "job");
    /// drop(head); // left at the head
    /// assert_eq!(rx.recv(), Ok("job"));
    /// ```
    ///
    /// See [`Peeked`] for the order peek keeps with several receivers.
    pub fn peek(&self) -> Result<Peeked<'_, T, F>, RecvError> {
        self.shared
            .peek_until(None)
            .map(|held| Peeked::new(&self.shared, held))
            .map_err(|_| RecvError)
    }

    /// Like [`peek`](Self::peek), if a message is queued now.
    pub fn try_peek(&self) -> Result<Peeked<'_, T, F>, TryRecvError> {
        self.shared
            .try_peek()
            .map(|held| Peeked::new(&self.shared, held))
    }

    /// Like [`peek`](Self::peek), giving up after `timeout`.
    pub fn peek_timeout(&self, timeout: Duration) -> Result<Peeked<'_, T, F>, RecvTimeoutError> {
        let deadline = Instant::now().checked_add(timeout);
        self.shared
            .peek_until(deadline)
            .map(|held| Peeked::new(&self.shared, held))
    }

    /// Like [`peek`](Self::peek), giving up at `deadline`.
    pub fn peek_deadline(&self, deadline: Instant) -> Result<Peeked<'_, T, F>, RecvTimeoutError> {
        self.shared
            .peek_until(Some(deadline))
            .map(|held| Peeked::new(&self.shared, held))
    }
}

impl<T, F: Flavor> Clone for Receiver<T, F> {
    fn clone(&self) -> Self {
        self.shared.add_receiver();
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T, F: Flavor> Drop for Receiver<T, F> {
    fn drop(&mut self) {
        crate::metrics::MetricsSink::on_release(self.shared.metrics(), crate::metrics::Side::Recv);
        self.shared.remove_receiver();
    }
}

// As for `Sender` (see there).
impl<T, F: Flavor> std::panic::UnwindSafe for Receiver<T, F> {}
impl<T, F: Flavor> std::panic::RefUnwindSafe for Receiver<T, F> {}

impl<T, F: Flavor> fmt::Debug for Receiver<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("disconnected", &self.is_disconnected())
            .finish_non_exhaustive()
    }
}
