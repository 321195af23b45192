use super::{QueueStrategy, RawQueue, RendezvousKind};
use crate::wait::Context;

/// A zero-capacity queue: a send completes only when a receiver has the
/// message.
///
/// It stores nothing. Senders and receivers that cannot meet a counterpart
/// at once wait in the channel's meeting place (one lock over a list of
/// waiting senders and one of waiting receivers); a message passes from a
/// sender's stack to a receiver's. So `Ok` from any send (`send`,
/// `try_send`, a `select!` branch) means a receiver has the value, and
/// every waiting party is visible to the other side at once: `try_send`
/// succeeds exactly when some receiver (in `recv` or in a select) is
/// waiting, `try_recv` exactly when some sender (in `send` or in a select)
/// is. A select's send branch that meets a receiver evaluates its message
/// only then, so nothing is evaluated and dropped unsent. `len()` is always
/// 0; a sender that gives up (a timeout, a cancel) keeps its message.
#[derive(Clone, Copy, Debug, Default)]
pub struct Rendezvous;

/// The queue [`Rendezvous`] builds: the meeting place of one channel.
pub use crate::channel::Meeting as RendezvousQueue;

impl QueueStrategy for Rendezvous {
    type Kind = RendezvousKind;
    type Config = ();
    type Queue<T> = RendezvousQueue<T>;
    const HANDOFF: bool = true;

    fn new_queue<T>(_: &()) -> Self::Queue<T> {
        RendezvousQueue::new()
    }
}

impl<T> RawQueue<T> for RendezvousQueue<T> {
    /// Hands `item` to a waiting receiver, if one waits.
    fn push(&self, item: T, _home: usize) -> Result<(), T> {
        self.give(item, None)
            .map_err(crate::channel::NotMet::into_inner)
    }

    /// Takes the message of a waiting sender, if one waits.
    fn pop(&self, _home: usize) -> Option<T> {
        self.take(None, Context::current()).into_msg()
    }

    fn len(&self) -> usize {
        0
    }

    fn capacity(&self) -> Option<usize> {
        Some(0)
    }

    /// The meeting place's lists, kept inside the channel (they hold
    /// pointers to waiting parties, not messages).
    fn allocated_bytes(&self) -> Option<usize> {
        Some(std::mem::size_of::<Self>())
    }

    /// Closing stops every meeting and wakes every waiting party.
    const CLOSES: bool = true;

    fn close(&self) {
        RendezvousQueue::close(self);
    }

    fn drain_on_disconnect(&self) -> Vec<T> {
        Vec::new()
    }

    fn meeting(&self) -> Option<&RendezvousQueue<T>> {
        Some(self)
    }
}
