//! Zero-copy channels: lend a slot instead of moving a message.
//!
//! A channel over the [`Slots<N>`](crate::queue::Slots) queue owns `N`
//! reusable values of `T` for as long as it lives. A sender borrows an empty
//! one with [`send_ref`](crate::Sender::send_ref), writes into it through the
//! guard, and publishes it by dropping the guard; a receiver borrows the
//! oldest published one with [`recv_ref`](crate::Receiver::recv_ref), reads
//! (or edits) it in place, and returns it by dropping the guard, which
//! [recycles](Recycle) it: a `Vec` is cleared but keeps its capacity, so a
//! steady stream of buffers allocates nothing after warm-up.
//!
//! ```
//! use may_channel::Channel;
//! use may_channel::queue::Slots;
//!
//! type Frames = Channel<Slots<4>>;
//! let (tx, rx) = Frames::new::<Vec<u8>>();
//!
//! {
//!     let mut frame = tx.send_ref().unwrap(); // an empty, recycled Vec
//!     frame.extend_from_slice(b"hello");
//! } // published here
//!
//! {
//!     let frame = rx.recv_ref().unwrap();
//!     assert_eq!(&frame[..], b"hello");
//! } // cleared and handed back to the senders here, capacity kept
//!
//! // By-value sends and receives work on the same channel.
//! tx.send(b"bye".to_vec()).unwrap();
//! assert_eq!(rx.recv().unwrap(), b"bye");
//! ```
//!
//! The guards make misuse impossible in safe code: the `&mut T` they hand out
//! cannot outlive them,
//!
//! ```compile_fail
//! # use may_channel::{Channel, queue::Slots};
//! let (tx, rx) = Channel::<Slots<2>>::new::<Vec<u8>>();
//! let escaped: &mut Vec<u8> = {
//!     let mut slot = tx.send_ref().unwrap();
//!     &mut *slot
//! };
//! ```
//!
//! and a guard can go to another thread only if `T` can.
//!
//! # Guards, panics and cancellation
//! A guard dropped during a panic (or the unwinding of a cancelled
//! coroutine) still finishes its job: a [`SendRef`] **publishes** the slot
//! with whatever was written into it so far, a [`RecvRef`] recycles the slot
//! and returns it. The channel stays usable and every slot stays accounted
//! for. (A half-written message is published rather than withheld because
//! the ring is FIFO: a withheld slot would stall every message behind it.)
//!
//! While a sender holds a slot, messages behind it cannot be received (FIFO),
//! so keep guards short-lived.
//!
//! # Close
//! A [`SendRef`] taken before [`close`](crate::Sender::close) is a send in
//! flight that completes when the guard drops: until then receivers find the
//! channel empty, not disconnected (`try_recv` and `try_recv_ref` say
//! `Empty`; `recv`, `recv_ref`, their timed forms and select branches keep
//! waiting, parked), and they receive its message once it is published; only
//! then, with nothing else queued, do they see `Disconnected`. A guard
//! requested after `close` is refused (`Disconnected`). A [`RecvRef`] holds a
//! message already received, so it does not hold up a close.
//!
//! ```
//! use may_channel::{Channel, TryRecvError};
//! use may_channel::queue::Slots;
//!
//! let (tx, rx) = Channel::<Slots<2>>::new::<Vec<u8>>();
//! let mut frame = tx.send_ref().unwrap();
//! frame.extend_from_slice(b"last");
//! assert!(rx.close());
//! assert!(tx.send_ref().is_err()); // closed for new guards
//! assert_eq!(rx.try_recv(), Err(TryRecvError::Empty)); // `frame` is on its way
//! drop(frame); // published
//! assert_eq!(rx.recv().unwrap(), b"last");
//! assert!(rx.recv().is_err()); // closed and drained
//! ```

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use crate::backpressure::HasSendTimeout;
use crate::channel::{Channel, Envelope, Flavor, Receiver, Sender, Shared};
use crate::error::{
    RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
};
use crate::metrics::{MetricsSink, Side};
use crate::queue::{Claim, SlotQueue, Slots};

/// Clears a value for reuse when a receiver returns its slot.
///
/// Implemented for the usual buffers (they keep their capacity) and for
/// `Option`; implement it for your own message types, typically by clearing
/// their buffers.
pub trait Recycle {
    /// Makes the value ready to be filled again.
    fn recycle(&mut self);
}

impl<T> Recycle for Vec<T> {
    fn recycle(&mut self) {
        self.clear();
    }
}

impl Recycle for String {
    fn recycle(&mut self) {
        self.clear();
    }
}

impl<T> Recycle for std::collections::VecDeque<T> {
    fn recycle(&mut self) {
        self.clear();
    }
}

impl<T> Recycle for Option<T> {
    fn recycle(&mut self) {
        *self = None;
    }
}

/// What a guard needs from its channel when it is dropped: the wake-ups.
/// Not `Sync` itself: a lending channel's state is `Sync` exactly when
/// `T: Send` (`lending_state_is_sync`), which the guards' `Send` impls ask.
pub(crate) trait Wake {
    fn stored(&self);
    fn taken(&self);
}

impl<T, F: Flavor> Wake for Shared<T, F> {
    fn stored(&self) {
        self.lent_published();
    }
    fn taken(&self) {
        self.messages_taken(1);
    }
}

/// A slot lent to a sender; see the [module docs](self). Dereferences to the
/// message being written; dropping it publishes the message.
pub struct SendRef<'a, T, M: MetricsSink> {
    queue: &'a SlotQueue<Envelope<T, M::Stamp>>,
    metrics: &'a M,
    wake: &'a dyn Wake,
    claim: Option<Claim<'a, Envelope<T, M::Stamp>>>,
}

/// A slot lent to a receiver; see the [module docs](self). Dereferences to
/// the message; dropping it recycles the slot and returns it to the senders.
pub struct RecvRef<'a, T: Recycle, M: MetricsSink> {
    queue: &'a SlotQueue<Envelope<T, M::Stamp>>,
    wake: &'a dyn Wake,
    claim: Option<Claim<'a, Envelope<T, M::Stamp>>>,
}

// A guard owns its claimed slot exclusively (see `queue::slots`); moving it
// to another thread moves access to one `T`, which `T: Send` allows. Its
// other fields are shared references to channel state that is `Sync` when
// `T: Send`: the `SlotQueue` (its own impl), the sink (`Sync` by its trait)
// and, behind `wake`, the lending channel's `Shared` (proved by
// `lending_state_is_sync`; guards are made only by the lending impls below).
// SAFETY: as just argued.
unsafe impl<T: Send, M: MetricsSink> Send for SendRef<'_, T, M> {}
// SAFETY: `&SendRef` only gives `&T` (through `Deref`), which `T: Sync`
// allows sharing.
unsafe impl<T: Sync, M: MetricsSink> Sync for SendRef<'_, T, M> {}
// SAFETY: as for `SendRef`.
unsafe impl<T: Send + Recycle, M: MetricsSink> Send for RecvRef<'_, T, M> {}
// SAFETY: as for `SendRef`.
unsafe impl<T: Sync + Recycle, M: MetricsSink> Sync for RecvRef<'_, T, M> {}

impl<T, M: MetricsSink> SendRef<'_, T, M> {
    fn envelope(&self) -> &Envelope<T, M::Stamp> {
        let claim = self.claim.as_ref().expect("a live guard holds its claim");
        // The sender filled the slot when it claimed it.
        claim_value(claim)
    }
}

impl<T, M: MetricsSink> Deref for SendRef<'_, T, M> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.envelope().msg
    }
}

impl<T, M: MetricsSink> DerefMut for SendRef<'_, T, M> {
    fn deref_mut(&mut self) -> &mut T {
        let claim = self.claim.as_mut().expect("a live guard holds its claim");
        &mut claim.get_mut().expect("a lent slot holds a value").msg
    }
}

impl<T, M: MetricsSink> Drop for SendRef<'_, T, M> {
    fn drop(&mut self) {
        if let Some(claim) = self.claim.take() {
            // Publishes, then stops counting the slot as lent: from here a
            // closed channel may be reported drained once this message is
            // taken. The wake-up comes last (its fence orders both).
            self.queue.publish_lent(claim);
            self.metrics.on_send();
            self.wake.stored();
        }
    }
}

impl<T: Recycle, M: MetricsSink> Deref for RecvRef<'_, T, M> {
    type Target = T;
    fn deref(&self) -> &T {
        let claim = self.claim.as_ref().expect("a live guard holds its claim");
        &claim_value(claim).msg
    }
}

impl<T: Recycle, M: MetricsSink> DerefMut for RecvRef<'_, T, M> {
    fn deref_mut(&mut self) -> &mut T {
        let claim = self.claim.as_mut().expect("a live guard holds its claim");
        &mut claim.get_mut().expect("a published slot holds a value").msg
    }
}

impl<T: Recycle, M: MetricsSink> Drop for RecvRef<'_, T, M> {
    fn drop(&mut self) {
        if let Some(mut claim) = self.claim.take() {
            if let Some(envelope) = claim.get_mut() {
                envelope.msg.recycle();
            }
            self.queue.release(claim);
            self.wake.taken();
        }
    }
}

/// Shared access to a claimed, filled slot.
fn claim_value<'c, E>(claim: &'c Claim<'_, E>) -> &'c E {
    claim.get().expect("a lent slot holds a value")
}

impl<T: fmt::Debug, M: MetricsSink> fmt::Debug for SendRef<'_, T, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SendRef").field(&**self).finish()
    }
}

impl<T: fmt::Debug + Recycle, M: MetricsSink> fmt::Debug for RecvRef<'_, T, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RecvRef").field(&**self).finish()
    }
}

type LendingChannel<const N: usize, W, B, M, P> = Channel<Slots<N>, W, B, M, P>;

/// A proof for the guards' `Send` impls, checked by the compiler although
/// never called: whatever its strategies, a lending channel's shared state
/// (what a guard's `wake` points to) is `Sync` whenever `T: Send`.
#[allow(dead_code)]
fn lending_state_is_sync<T: Send, const N: usize, W, B, M, P>()
where
    M: MetricsSink,
    LendingChannel<N, W, B, M, P>: Flavor<Metrics = M, Queue = Slots<N>>,
{
    fn is_sync<S: Sync>() {}
    is_sync::<Shared<T, LendingChannel<N, W, B, M, P>>>();
}

impl<T, const N: usize, W, B, M, P> Sender<T, LendingChannel<N, W, B, M, P>>
where
    T: Default,
    M: MetricsSink,
    LendingChannel<N, W, B, M, P>: Flavor<Metrics = M, Queue = Slots<N>>,
{
    fn lend<'a>(&'a self, claim: Claim<'a, Envelope<T, M::Stamp>>) -> SendRef<'a, T, M> {
        let shared = self.shared();
        let mut claim = claim;
        let stamp = shared.metrics().stamp();
        match claim.get_mut() {
            Some(envelope) => envelope.stamp = stamp,
            None => {
                claim.get_or_fill(|| Envelope {
                    msg: T::default(),
                    stamp,
                });
            }
        }
        SendRef {
            queue: shared.queue(),
            metrics: shared.metrics(),
            wake: shared,
            claim: Some(claim),
        }
    }

    /// Borrows an empty slot to write a message into, if one is free now.
    /// The slot holds a recycled value (or `T::default()` the first time).
    pub fn try_send_ref(&self) -> Result<SendRef<'_, T, M>, TrySendError<()>> {
        let shared = self.shared();
        // The claim is a store in flight (see `channel/close.rs`): `admit`
        // refuses it once the channel is closed, and a receiver that saw the
        // close waits until it is counted as lent.
        match shared.admit((), |()| shared.queue().claim_lent()) {
            Ok(Some(claim)) => Ok(self.lend(claim)),
            Ok(None) => Err(TrySendError::Full(())),
            Err(()) => Err(TrySendError::Disconnected(())),
        }
    }

    /// Borrows an empty slot, waiting for one (parking the coroutine or
    /// thread) while the channel is full.
    pub fn send_ref(&self) -> Result<SendRef<'_, T, M>, SendError<()>>
    where
        B: HasSendTimeout,
    {
        self.send_ref_until(None).map_err(|_| SendError(()))
    }

    /// Like [`send_ref`](Self::send_ref), giving up after `timeout`.
    pub fn send_ref_timeout(
        &self,
        timeout: Duration,
    ) -> Result<SendRef<'_, T, M>, SendTimeoutError<()>>
    where
        B: HasSendTimeout,
    {
        self.send_ref_until(Instant::now().checked_add(timeout))
    }

    /// Like [`send_ref`](Self::send_ref), giving up at `deadline`.
    pub fn send_ref_deadline(
        &self,
        deadline: Instant,
    ) -> Result<SendRef<'_, T, M>, SendTimeoutError<()>>
    where
        B: HasSendTimeout,
    {
        self.send_ref_until(Some(deadline))
    }

    fn send_ref_until(
        &self,
        deadline: Option<Instant>,
    ) -> Result<SendRef<'_, T, M>, SendTimeoutError<()>> {
        let shared = self.shared();
        // As in `try_send_ref`: the claim goes through `admit`.
        let claimed = shared.wait_for(Side::Send, deadline, || {
            match shared.admit((), |()| shared.queue().claim_lent()) {
                Ok(Some(claim)) => Some(Some(claim)),
                Ok(None) => None,
                Err(()) => Some(None),
            }
        });
        match claimed {
            Some(Some(claim)) => Ok(self.lend(claim)),
            Some(None) => Err(SendTimeoutError::Disconnected(())),
            None => Err(SendTimeoutError::Timeout(())),
        }
    }
}

impl<T, const N: usize, W, B, M, P> Receiver<T, LendingChannel<N, W, B, M, P>>
where
    T: Recycle,
    M: MetricsSink,
    LendingChannel<N, W, B, M, P>: Flavor<Metrics = M, Queue = Slots<N>>,
{
    fn borrow_slot<'a>(&'a self, mut claim: Claim<'a, Envelope<T, M::Stamp>>) -> RecvRef<'a, T, M> {
        let shared = self.shared();
        let fresh = shared.metrics().stamp();
        let envelope = claim.get_mut().expect("a published slot holds a value");
        shared
            .metrics()
            .on_recv(std::mem::replace(&mut envelope.stamp, fresh));
        RecvRef {
            queue: shared.queue(),
            wake: shared,
            claim: Some(claim),
        }
    }

    /// Borrows the oldest published message, if there is one now.
    pub fn try_recv_ref(&self) -> Result<RecvRef<'_, T, M>, TryRecvError> {
        let shared = self.shared();
        if let Some(claim) = shared.queue().claim_recv() {
            return Ok(self.borrow_slot(claim));
        }
        if shared.drained_if_disconnected() {
            // Every store admitted before the disconnect has landed, and no
            // slot is lent (see `channel/close.rs`): one more attempt finds
            // what is left.
            return shared
                .queue()
                .claim_recv()
                .map(|claim| self.borrow_slot(claim))
                .ok_or(TryRecvError::Disconnected);
        }
        Err(TryRecvError::Empty)
    }

    /// Borrows the oldest published message, waiting for one (parking the
    /// coroutine or thread). Fails once the channel is empty and every sender
    /// is gone.
    pub fn recv_ref(&self) -> Result<RecvRef<'_, T, M>, RecvError> {
        self.recv_ref_until(None).map_err(|_| RecvError)
    }

    /// Like [`recv_ref`](Self::recv_ref), giving up after `timeout`.
    pub fn recv_ref_timeout(
        &self,
        timeout: Duration,
    ) -> Result<RecvRef<'_, T, M>, RecvTimeoutError> {
        self.recv_ref_until(Instant::now().checked_add(timeout))
    }

    /// Like [`recv_ref`](Self::recv_ref), giving up at `deadline`.
    pub fn recv_ref_deadline(
        &self,
        deadline: Instant,
    ) -> Result<RecvRef<'_, T, M>, RecvTimeoutError> {
        self.recv_ref_until(Some(deadline))
    }

    fn recv_ref_until(
        &self,
        deadline: Option<Instant>,
    ) -> Result<RecvRef<'_, T, M>, RecvTimeoutError> {
        let shared = self.shared();
        let claimed = shared.wait_for(Side::Recv, deadline, || {
            if let Some(claim) = shared.queue().claim_recv() {
                return Some(Some(claim));
            }
            // As in `try_recv_ref`.
            shared
                .drained_if_disconnected()
                .then(|| shared.queue().claim_recv())
        });
        match claimed {
            Some(Some(claim)) => Ok(self.borrow_slot(claim)),
            Some(None) => Err(RecvTimeoutError::Disconnected),
            None => Err(RecvTimeoutError::Timeout),
        }
    }
}
