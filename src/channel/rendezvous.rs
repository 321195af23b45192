//! The blocking send and receive of rendezvous channels, over the meeting
//! place of `meeting.rs`. (`try_send` and `try_recv` go through the core's
//! ordinary routes: the queue's `push` meets a waiting receiver, its `pop`
//! a waiting sender.)

use std::time::Instant;

use super::Flavor;
use super::meeting::{Meeting, Packet, Took};
use super::shared::{Envelope, Shared, Stamp};
use super::waker::{ONLY, Waiter};
use crate::error::{RecvTimeoutError, SendTimeoutError};
use crate::metrics::{MetricsSink, Side};
use crate::queue::RawQueue;
use crate::sync::{Ordering, fence};
use crate::wait::Context;

type Meet<T, F> = Meeting<Envelope<T, Stamp<F>>>;

/// Unlinks a waiting party from the meeting when it leaves, also when a
/// cancel unwinds it out of its park; claims its waiter first, so that
/// nobody meets it afterwards.
struct Linked<'a, E> {
    meeting: &'a Meeting<E>,
    waiter: &'a Waiter,
}

impl<E> Drop for Linked<'_, E> {
    fn drop(&mut self) {
        // Whether or not the claim wins, the packet says what happened
        // (`meeting.rs`, invariant 3); a wake-up on a rendezvous channel is
        // never a hint to pass on.
        let _ = self.waiter.claim();
        self.meeting.unlink(self.waiter);
    }
}

impl<T, F: Flavor> Shared<T, F> {
    fn meeting(&self) -> &Meet<T, F> {
        self.queue()
            .meeting()
            .expect("a hand-over queue is a meeting place")
    }

    /// A party on `side` now waits in the meeting place: wake those who
    /// watch the other side's readiness (a `merge` of operator sources waits
    /// in the handles' lists, not in the meeting). The waker's invariant 4:
    /// the link (under the meeting's lock), a fence, then the watchers'
    /// count; a watcher links, fences, then checks readiness (which takes
    /// the meeting's lock).
    pub(crate) fn now_waiting(&self, side: Side) {
        fence(Ordering::SeqCst);
        match side {
            Side::Send => self.receivers().notify_all(),
            Side::Recv => self.senders().notify_all(),
        }
    }

    fn sent(&self) -> Result<(), SendTimeoutError<T>> {
        self.metrics().on_send();
        Ok(())
    }

    /// `send` and its timed forms on a rendezvous channel: returns once a
    /// receiver has the message.
    pub(crate) fn meet_send(
        &self,
        msg: T,
        deadline: Option<Instant>,
    ) -> Result<(), SendTimeoutError<T>> {
        let meeting = self.meeting();
        let mut envelope = match meeting.give(self.envelope(msg), None) {
            Ok(()) => return self.sent(),
            Err(super::meeting::NotMet::Closed(envelope)) => {
                return Err(SendTimeoutError::Disconnected(envelope.msg));
            }
            Err(super::meeting::NotMet::Nobody(envelope)) => envelope,
        };
        let context = Context::current();
        loop {
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                return Err(SendTimeoutError::Timeout(envelope.msg));
            }
            // Waits linked from the start (spinning first, as the wait
            // strategy says), so that a receiver arriving meanwhile meets it.
            let waiter = Waiter::new(context);
            let mut packet = Packet::holding(envelope);
            match meeting.give_or_wait(&waiter, ONLY, &packet, false) {
                Ok(true) => return self.sent(),
                Ok(false) => self.now_waiting(Side::Send),
                Err(()) => {
                    let envelope = packet.take_back().expect("not handed over");
                    return Err(SendTimeoutError::Disconnected(envelope.msg));
                }
            }
            {
                let _linked = Linked {
                    meeting,
                    waiter: &waiter,
                };
                waiter.pause_then_park(self.wait_strategy(), context, deadline, &mut || {
                    self.park_blocked(Side::Send, &mut || waiter.park(context, deadline));
                });
            }
            if packet.taken() {
                return self.sent();
            }
            envelope = packet.take_back().expect("not taken");
            if self.is_disconnected() {
                return Err(SendTimeoutError::Disconnected(envelope.msg));
            }
        }
    }

    /// `recv` and its timed forms on a rendezvous channel.
    pub(crate) fn meet_recv(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        let meeting = self.meeting();
        let context = Context::current();
        let received = |envelope: Envelope<T, Stamp<F>>| {
            self.metrics().on_recv(envelope.stamp);
            Ok(envelope.msg)
        };
        match meeting.take(None, context) {
            Took::Msg(envelope) => return received(envelope),
            Took::Closed => return Err(RecvTimeoutError::Disconnected),
            Took::Nobody => {}
        }
        loop {
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                return Err(RecvTimeoutError::Timeout);
            }
            // Linked from the start, as for sends.
            let waiter = Waiter::new(context);
            let packet = Packet::empty();
            match meeting.take_or_wait(&waiter, ONLY, &packet, context) {
                Took::Msg(envelope) => return received(envelope),
                Took::Closed => return Err(RecvTimeoutError::Disconnected),
                Took::Nobody => self.now_waiting(Side::Recv),
            }
            {
                // A cancel unwinds from here: `linked` (dropped first) claims
                // and unlinks, then a sender that met us before that is
                // waited out (`MetGuard`).
                let met = MetGuard {
                    packet: &packet,
                    context,
                };
                let linked = Linked {
                    meeting,
                    waiter: &waiter,
                };
                waiter.pause_then_park(self.wait_strategy(), context, deadline, &mut || {
                    self.park_blocked(Side::Recv, &mut || waiter.park(context, deadline));
                });
                drop(linked);
                std::mem::forget(met);
            }
            if packet.met() {
                // Met: the message is ours even if the deadline passed
                // meanwhile (`meeting.rs`, invariant 4).
                if let Some(envelope) = packet.wait_filled(context) {
                    return received(envelope);
                }
            }
        }
    }
}

/// While a receiver unwinds out of its park (a cancel), a sender that met
/// it may still be filling its packet: wait for that to end before the
/// packet leaves the stack (`meeting.rs`, invariant 4). The message, if one
/// came, is dropped with the cancelled receiver, as one it had received.
struct MetGuard<'a, E> {
    packet: &'a Packet<E>,
    context: Context,
}

impl<E> Drop for MetGuard<'_, E> {
    fn drop(&mut self) {
        if self.packet.met() {
            drop(self.packet.wait_filled(self.context));
        }
    }
}
