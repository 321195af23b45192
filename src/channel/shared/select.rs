//! What a select asks of the channel core: its waiter lists, readiness,
//! and a send that never waits.

use super::*;

impl<T, F: Flavor> Shared<T, F> {
    // -------------------------------------------------------------- select

    pub(crate) fn receivers(&self) -> &WaitList {
        &self.receivers
    }

    pub(crate) fn senders(&self) -> &WaitList {
        &self.senders
    }

    /// A select parks with an operation on `side` of this channel: the
    /// metrics sink brackets the park as it brackets a plain operation's.
    pub(crate) fn park_blocked(&self, side: Side, park: &mut dyn FnMut()) {
        let _blocked = BlockedGuard::new(&self.metrics, side);
        park();
    }

    /// Whether a receive would complete now: a message is queued, or the
    /// channel is disconnected (the receive then reports it).
    ///
    /// A head slot a sender still holds (zero-copy queues) is neither: the
    /// receive would find nothing. The select then parks, and the sender's
    /// publish wakes it. After a close it parks only while a slot is lent
    /// (`lent_slots`): the guard's drop then wakes every receiver
    /// (`lent_published`), whereas a by-value store in flight wakes only
    /// one, so for that short window the receive waits it out instead
    /// (`drained_if_disconnected`).
    pub(crate) fn recv_ready(&self) -> bool {
        if let Some(meeting) = self.queue.meeting() {
            return meeting.recv_ready(None);
        }
        if !self.front.is_empty() {
            return true;
        }
        if !self.queue.head_held_by_sender() {
            return !self.queue.is_empty() || self.is_disconnected();
        }
        self.is_disconnected() && self.queue.lent_slots() == 0
    }

    /// Whether a send would complete now without waiting.
    pub(crate) fn send_ready(&self) -> bool {
        if self.is_disconnected() {
            return true;
        }
        if let Some(meeting) = self.queue.meeting() {
            return meeting.send_ready(None);
        }
        match <F::Backpressure as Backpressure>::ON_FULL {
            OnFull::Wait | OnFull::Refuse => !self.is_full(),
            OnFull::NeverFull | OnFull::DiscardIncoming | OnFull::EvictOldest => true,
        }
    }

    /// One send for a select branch: never waits. `Ok(Ok(()))` when sent
    /// (or dropped by the policy, as `send` would), `Ok(Err(msg))` when every
    /// receiver is gone, `Err(msg)` when there is no room now.
    pub(crate) fn send_now(&self, msg: T) -> Result<Result<(), T>, T> {
        match <F::Backpressure as Backpressure>::ON_FULL {
            OnFull::Wait | OnFull::Refuse => match self.try_send(msg) {
                Ok(()) => Ok(Ok(())),
                Err(TrySendError::Disconnected(msg)) => Ok(Err(msg)),
                Err(TrySendError::Full(msg)) => Err(msg),
            },
            // These policies never wait, so `send_until` returns at once.
            OnFull::NeverFull | OnFull::DiscardIncoming | OnFull::EvictOldest => Ok(self
                .send_until(msg, None)
                .map_err(SendTimeoutError::into_inner)),
        }
    }
}
