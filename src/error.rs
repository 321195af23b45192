//! Errors returned by channel operations.
//!
//! Every error that refuses a message hands it back, so nothing is lost: take it
//! with `into_inner()` (or the public field of [`SendError`]). None of the
//! `Debug` impls require `T: Debug`, so `unwrap()` works for any message type.
//!
//! A channel closed with `close()` reports exactly as a disconnected one:
//! sends fail with the `Disconnected` variants (or [`SendError`]), and
//! receives report `Disconnected` (or [`RecvError`]) once what was queued is
//! drained.

use std::error::Error;
use std::fmt;

/// A `send` failed because every receiver is gone or the channel was
/// closed; the message is handed back.
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<T>(pub T);

/// A `try_send` (or `send_batch`) could not place the message right now.
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum TrySendError<T> {
    /// The channel is full (for a rendezvous channel: no receiver is waiting).
    Full(T),
    /// Every receiver is gone, or the channel was closed.
    Disconnected(T),
}

/// A `send_timeout` / `send_deadline` failed.
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum SendTimeoutError<T> {
    /// The deadline passed while the channel stayed full (for a rendezvous
    /// channel: no receiver took the message in time).
    Timeout(T),
    /// Every receiver is gone, or the channel was closed.
    Disconnected(T),
}

/// A `recv` failed because the channel is empty and every sender is gone (or
/// the channel was closed).
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct RecvError;

/// A `try_recv` found nothing to take.
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum TryRecvError {
    /// The channel is empty, but senders remain.
    Empty,
    /// The channel is empty and every sender is gone (or the channel was
    /// closed).
    Disconnected,
}

/// A `recv_timeout` / `recv_deadline` found nothing to take in time.
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum RecvTimeoutError {
    /// The deadline passed while the channel stayed empty.
    Timeout,
    /// The channel is empty and every sender is gone (or the channel was
    /// closed).
    Disconnected,
}

/// A runtime setting given to the builder (or to a constructor that takes
/// one) was rejected.
#[derive(PartialEq, Eq, Clone, Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// A queue that must store messages (a priority level, a single-producer
    /// ring, a broadcast ring) was asked for a capacity of zero; use a
    /// rendezvous queue (or `DynBounded` with capacity 0) for a channel that
    /// holds nothing.
    ZeroCapacity,
    /// The capacity exceeds what the queue can index.
    CapacityTooLarge {
        /// The capacity asked for.
        requested: usize,
        /// The largest capacity the queue supports.
        max: usize,
    },
    /// A strategy refused its settings; the text says why.
    Invalid(String),
}

impl<T> SendError<T> {
    /// Takes back the message that could not be sent.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> TrySendError<T> {
    /// Takes back the message that could not be sent.
    pub fn into_inner(self) -> T {
        match self {
            Self::Full(msg) | Self::Disconnected(msg) => msg,
        }
    }

    /// Whether the send failed because the channel was full.
    pub fn is_full(&self) -> bool {
        matches!(self, Self::Full(_))
    }

    /// Whether the send failed because every receiver is gone.
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Self::Disconnected(_))
    }
}

impl<T> SendTimeoutError<T> {
    /// Takes back the message that could not be sent.
    pub fn into_inner(self) -> T {
        match self {
            Self::Timeout(msg) | Self::Disconnected(msg) => msg,
        }
    }

    /// Whether the deadline passed.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout(_))
    }

    /// Whether the send failed because every receiver is gone.
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Self::Disconnected(_))
    }
}

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(err: SendError<T>) -> Self {
        Self::Disconnected(err.0)
    }
}

impl<T> From<SendError<T>> for SendTimeoutError<T> {
    fn from(err: SendError<T>) -> Self {
        Self::Disconnected(err.0)
    }
}

impl From<RecvError> for TryRecvError {
    fn from(_: RecvError) -> Self {
        Self::Disconnected
    }
}

impl From<RecvError> for RecvTimeoutError {
    fn from(_: RecvError) -> Self {
        Self::Disconnected
    }
}

impl TryRecvError {
    /// Whether the channel was merely empty.
    pub fn is_empty(&self) -> bool {
        matches!(self, Self::Empty)
    }

    /// Whether every sender is gone.
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Self::Disconnected)
    }
}

impl RecvTimeoutError {
    /// Whether the deadline passed.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout)
    }

    /// Whether every sender is gone.
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Self::Disconnected)
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::Disconnected(_) => f.write_str("Disconnected(..)"),
        }
    }
}

impl<T> fmt::Debug for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout(_) => f.write_str("Timeout(..)"),
            Self::Disconnected(_) => f.write_str("Disconnected(..)"),
        }
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a channel whose receivers are all gone")
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("sending on a full channel"),
            Self::Disconnected(_) => {
                f.write_str("sending on a channel whose receivers are all gone")
            }
        }
    }
}

impl<T> fmt::Display for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout(_) => f.write_str("timed out waiting to send on a full channel"),
            Self::Disconnected(_) => {
                f.write_str("sending on a channel whose receivers are all gone")
            }
        }
    }
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("receiving on an empty channel whose senders are all gone")
    }
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("receiving on an empty channel"),
            Self::Disconnected => {
                f.write_str("receiving on an empty channel whose senders are all gone")
            }
        }
    }
}

impl fmt::Display for RecvTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("timed out waiting to receive on an empty channel"),
            Self::Disconnected => {
                f.write_str("receiving on an empty channel whose senders are all gone")
            }
        }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroCapacity => f.write_str(
                "a bounded channel needs a capacity of at least 1 (use a rendezvous queue for capacity 0)",
            ),
            Self::CapacityTooLarge { requested, max } => {
                write!(f, "capacity {requested} exceeds the largest supported capacity {max}")
            }
            Self::Invalid(why) => write!(f, "invalid channel settings: {why}"),
        }
    }
}

impl<T> Error for SendError<T> {}
impl<T> Error for TrySendError<T> {}
impl<T> Error for SendTimeoutError<T> {}
impl Error for RecvError {}
impl Error for TryRecvError {}
impl Error for RecvTimeoutError {}
impl Error for BuildError {}
