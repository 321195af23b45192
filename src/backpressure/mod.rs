//! The full-queue axis: what a send does when a bounded queue has no room.
//!
//! | policy | `send` on a full channel | `try_send` on a full channel | queues |
//! |---|---|---|---|
//! | [`Block`] | waits for room (rendezvous: for a taker) | `Full(msg)` | bounded, rendezvous |
//! | [`Reject`] | — (no `send`: use `try_send`) | `Full(msg)` | bounded, rendezvous |
//! | [`DropNewest`] | drops the new message, counts it, returns `Ok` | `Full(msg)` | bounded |
//! | [`DropOldest`] | evicts and drops the oldest queued message, counts it, stores the new one | `Full(msg)` | bounded |
//! | [`Unlimited`] | never full | never full | unbounded |
//!
//! `try_send` never waits and never drops: on a full channel it hands the
//! message back, whatever the policy. `DropOldest` channels also have
//! `force_send`, which returns the evicted message instead of dropping it.
//!
//! The policy is checked against the queue's kind at compile time. A channel
//! that could never be full does not take a blocking policy:
//!
//! ```compile_fail
//! use may_channel::{Channel, backpressure::Block, queue::Unbounded, wait::SpinThenPark};
//! let (tx, rx) = Channel::<Unbounded, SpinThenPark, Block>::new::<u32>();
//! ```
//!
//! and a rendezvous channel holds nothing to evict:
//!
//! ```compile_fail
//! use may_channel::{Channel, backpressure::DropOldest, queue::Rendezvous, wait::SpinThenPark};
//! let (tx, rx) = Channel::<Rendezvous, SpinThenPark, DropOldest>::new::<u32>();
//! ```
//!
//! A `Reject` channel has no `send` (the compiler says to use `try_send`):
//!
//! ```compile_fail
//! use may_channel::{Channel, backpressure::Reject, queue::Bounded, wait::SpinThenPark};
//! let (tx, rx) = Channel::<Bounded<4>, SpinThenPark, Reject>::new::<u32>();
//! tx.send(1);
//! ```
//!
//! while the same channel's `try_send` compiles:
//!
//! ```
//! use may_channel::{Channel, TrySendError, backpressure::Reject, queue::Bounded, wait::SpinThenPark};
//! let (tx, rx) = Channel::<Bounded<1>, SpinThenPark, Reject>::new::<u32>();
//! assert_eq!(tx.try_send(1), Ok(()));
//! assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
//! # drop(rx);
//! ```
//!
//! The set of policies is closed (the trait is sealed): each needs its own
//! path through the channel core.

mod block;
mod drop_newest;
mod drop_oldest;
mod reject;
mod unlimited;

pub use block::Block;
pub use drop_newest::DropNewest;
pub use drop_oldest::DropOldest;
pub use reject::Reject;
pub use unlimited::Unlimited;

use crate::queue::QueueKind;

mod sealed {
    pub trait Sealed {}
}
pub(crate) use sealed::Sealed;

/// What a send does on a full queue; the core branches on this constant, so
/// each channel type keeps only its own branch after monomorphization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnFull {
    /// Wait for room.
    Wait,
    /// Hand the message back.
    Refuse,
    /// Drop the incoming message.
    DiscardIncoming,
    /// Evict the oldest queued message.
    EvictOldest,
    /// The queue is never full.
    NeverFull,
}

/// A backpressure policy. Sealed; see the [module docs](self).
pub trait Backpressure: Sealed + Default + Send + Sync + 'static {
    /// What a send does on a full queue.
    const ON_FULL: OnFull;
}

/// The policy makes sense for queues of kind `K`.
#[diagnostic::on_unimplemented(
    message = "the `{Self}` backpressure policy does not apply to a queue of kind `{K}`",
    label = "this channel combines `{Self}` with a `{K}` queue",
    note = "unbounded queues take `Unlimited`; bounded queues take `Block`, `Reject`, `DropNewest` or `DropOldest`; rendezvous queues take `Block` or `Reject`; slot-lending and single-producer bounded queues take `Block`, `Reject` or `DropNewest`"
)]
pub trait ValidFor<K: QueueKind>: Backpressure {}

/// The policy gives the channel a `send` that does not refuse for lack of
/// room (it waits, drops, or is never full).
#[diagnostic::on_unimplemented(
    message = "a channel with `{Self}` backpressure has no `send`",
    label = "`{Self}` refuses a message when the channel is full instead of waiting",
    note = "use `try_send`, which hands the message back in `TrySendError::Full`"
)]
pub trait HasSend: Backpressure {}

/// The policy may make a send wait, so `send_timeout` and `send_deadline`
/// make sense.
#[diagnostic::on_unimplemented(
    message = "a channel with `{Self}` backpressure never waits to send, so it has no `send_timeout` or `send_deadline`",
    label = "`{Self}` never waits",
    note = "use `send`, which returns at once"
)]
pub trait HasSendTimeout: HasSend {}
