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
        // A closed channel with a slot still lent (or reserved) is not
        // drained yet: the receive would find nothing, and the slot's
        // publish wakes every receiver (`lent_published`).
        let drained = || self.is_disconnected() && self.queue.lent_slots() == 0;
        if !self.queue.head_held_by_sender() {
            return !self.queue.is_empty() || drained();
        }
        drained()
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

/// What [`Shared::reserve_send`] found.
pub(crate) enum SendRoom<'a, T, F: Flavor> {
    /// Room is held for one message: [`fill`](RoomHeld::fill) it, or drop
    /// it to give the room up.
    Held(RoomHeld<'a, T, F>),
    /// No room now.
    Full,
    /// Every receiver is gone (or the channel was closed).
    Disconnected,
    /// The channel does not reserve: store once the value is there
    /// ([`Shared::send_now`]).
    Unsupported,
}

/// Room for one message, held in the queue until it is filled or dropped.
pub(crate) struct RoomHeld<'a, T, F: Flavor> {
    shared: &'a Shared<T, F>,
    token: usize,
    filled: bool,
}

impl<T, F: Flavor> Shared<T, F> {
    /// For a select's send branch, before its value is evaluated: holds
    /// room for the message, so that the value, once evaluated, is always
    /// stored (or handed back as disconnected), never refused for room.
    /// Only channels that can refuse for room (`Block`, `Reject`) over a
    /// queue that reserves (the ring) do; the others answer `Unsupported`.
    pub(crate) fn reserve_send(&self) -> SendRoom<'_, T, F> {
        if !matches!(
            <F::Backpressure as Backpressure>::ON_FULL,
            OnFull::Wait | OnFull::Refuse
        ) {
            return SendRoom::Unsupported;
        }
        if self.is_disconnected() {
            return SendRoom::Disconnected;
        }
        match self.queue.reserve() {
            Reservation::Held(token) => {
                let room = RoomHeld {
                    shared: self,
                    token,
                    filled: false,
                };
                // A bracketed queue's reservation holds no place in the
                // queue, so a close does not order it: read the flag after
                // the reservation was counted (SeqCst, in the queue), the
                // store-buffer pair with a receiver that reads the flag,
                // then the count (`drained_if_disconnected`). Set: give the
                // room back (the drop wakes whoever read the count).
                if !Self::QUEUE_CLOSES && self.disconnected.load(Ordering::SeqCst) {
                    drop(room);
                    return SendRoom::Disconnected;
                }
                SendRoom::Held(room)
            }
            Reservation::Unsupported => SendRoom::Unsupported,
            // SeqCst: after the queue's SeqCst withdrawal of its count, so
            // that a receiver that read the count (after it read the flag
            // set, SeqCst) is woken here: the flag is seen.
            Reservation::Refused if self.disconnected.load(Ordering::SeqCst) => {
                self.lent_published();
                SendRoom::Disconnected
            }
            Reservation::Refused => SendRoom::Full,
        }
    }
}

impl<T, F: Flavor> RoomHeld<'_, T, F> {
    /// Stores `msg` in the held room and wakes a receiver (every receiver
    /// after a close, which then may see the channel drained).
    pub(crate) fn fill(mut self, msg: T) {
        let shared = self.shared;
        let envelope = shared.envelope(msg);
        self.filled = true;
        // SAFETY: the token came from this queue's `reserve`, and `filled`
        // keeps the drop from cancelling it: used once.
        unsafe { shared.queue.fill_reserved(self.token, envelope) };
        shared.metrics.on_send();
        shared.lent_published();
    }
}

impl<T, F: Flavor> Drop for RoomHeld<'_, T, F> {
    /// The value was never stored (its expression panicked, or the select
    /// was cancelled): gives the room back, and wakes receivers (they skip
    /// the room, or see the channel drained) and a sender (room may be
    /// free).
    fn drop(&mut self) {
        if self.filled {
            return;
        }
        // SAFETY: as in `fill`; not filled, so used here once.
        unsafe { self.shared.queue.cancel_reserved(self.token) };
        self.shared.lent_published();
        self.shared.messages_taken(1);
    }
}
