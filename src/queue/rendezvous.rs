use super::{QueueStrategy, RawQueue, RendezvousKind};
use crate::sync::{AtomicU64, Mutex, Ordering, lock};

/// A zero-capacity queue: a send completes only when a receiver takes the
/// message.
///
/// It has one hand-over slot. A blocking sender puts its message there and
/// waits until a receiver has popped it; if the sender's deadline passes
/// first it takes the message back (so `send_timeout` hands it back in
/// `SendTimeoutError::Timeout`). `try_send` succeeds only while a receiver is
/// blocked waiting. The slot is guarded by a short lock: hand-over is a
/// meeting of two parties, so there is no fast path for a lock-free design to
/// protect, and the lock keeps "take it back unless taken" exact.
///
/// Two cases leave a message in the slot with no sender waiting for it, and
/// the next receiver takes it: a `try_send` whose waiting receiver gave up
/// (timed out) between the check and the pop, and a sender coroutine cancelled
/// while waiting for its message to be taken. The message stays in the
/// channel, as the crate promises, and `len()` shows it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Rendezvous;

/// The queue [`Rendezvous`] builds.
pub struct RendezvousQueue<T> {
    slot: Mutex<Slot<T>>,
    /// Mirrors `Slot::taken` so that a waiting sender can poll it without
    /// the lock.
    taken: AtomicU64,
}

struct Slot<T> {
    item: Option<T>,
    /// Tickets handed out: the item in the slot (if any) has ticket `pushed`.
    pushed: u64,
    /// Items popped; ticket `t` has been taken once `taken >= t`.
    taken: u64,
}

impl QueueStrategy for Rendezvous {
    type Kind = RendezvousKind;
    type Config = ();
    type Queue<T: Send> = RendezvousQueue<T>;
    const HANDOFF: bool = true;

    fn new_queue<T: Send>(_: &()) -> Self::Queue<T> {
        RendezvousQueue {
            slot: Mutex::new(Slot {
                item: None,
                pushed: 0,
                taken: 0,
            }),
            taken: AtomicU64::new(0),
        }
    }
}

impl<T: Send> RawQueue<T> for RendezvousQueue<T> {
    fn push(&self, item: T, home: usize) -> Result<(), T> {
        self.push_handoff(item, home).map(drop)
    }

    fn pop(&self, _home: usize) -> Option<T> {
        let mut slot = lock(&self.slot);
        let item = slot.item.take()?;
        slot.taken += 1;
        // Release: a sender that sees its ticket taken also sees the pop
        // completed (it reads nothing else, so this only orders the count).
        self.taken.store(slot.taken, Ordering::Release);
        Some(item)
    }

    fn len(&self) -> usize {
        usize::from(lock(&self.slot).item.is_some())
    }

    fn capacity(&self) -> Option<usize> {
        Some(0)
    }

    /// The one hand-over slot, kept inside the channel.
    fn allocated_bytes(&self) -> Option<usize> {
        Some(std::mem::size_of::<Mutex<Slot<T>>>())
    }

    fn push_handoff(&self, item: T, _home: usize) -> Result<u64, T> {
        let mut slot = lock(&self.slot);
        if slot.item.is_some() {
            return Err(item);
        }
        slot.item = Some(item);
        slot.pushed += 1;
        Ok(slot.pushed)
    }

    fn is_taken(&self, ticket: u64) -> bool {
        // Acquire pairs with the Release store in `pop`.
        self.taken.load(Ordering::Acquire) >= ticket
    }

    fn retract(&self, ticket: u64) -> Option<T> {
        let mut slot = lock(&self.slot);
        if slot.taken >= ticket {
            return None;
        }
        // Not taken yet, and tickets are handed out one slot-fill at a time,
        // so the slot still holds this ticket's item.
        debug_assert_eq!(slot.pushed, ticket);
        slot.pushed -= 1;
        slot.item.take()
    }

    fn drain_on_disconnect(&self) -> Vec<T> {
        Vec::new()
    }
}

impl<T: Send> std::fmt::Debug for RendezvousQueue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RendezvousQueue")
            .field("len", &RawQueue::len(self))
            .finish_non_exhaustive()
    }
}
