//! One select branch's operation: how it is checked, how it waits, and how
//! it completes.
//!
//! A branch over an ordinary channel waits in the channel's waiter list and,
//! once chosen, tries its operation (a receive that finds the message gone
//! waits again). A chosen send first reserves room on a bounded channel
//! whose queue can (the crate's ring), so that its value, evaluated only
//! then, is always stored; with no room left it waits again, nothing
//! evaluated. On queues that cannot reserve, a send that finds the room
//! gone after its value was evaluated keeps the value for the next round.
//! A branch over a rendezvous channel takes part in the channel's
//! meeting place (`channel/meeting.rs`): while the select waits, its receive
//! branch is a waiting receiver that senders hand messages to, and its send
//! branch a waiting sender that receivers meet. A send branch's value is
//! evaluated only once a receiver is met and committed to it, so it is
//! always sent; a receive branch that was handed a message returns it.

use super::Selectable;
use crate::channel::{
    Envelope, Flavor, Meeting, Packet, Reserved, RoomHeld, SendRoom, Shared, WaitList, Waiter,
};
use crate::error::TryRecvError;
use crate::metrics::{MetricsSink, Side};
use crate::queue::RawQueue;
use crate::sync::{Ordering, fence};
use crate::wait::Context;

type Env<T, F> = Envelope<T, crate::channel::Stamp<F>>;

/// What the engine asks of a branch. Object-safe: a select holds its
/// branches as `&dyn SelectOp`.
#[doc(hidden)]
pub trait SelectOp {
    /// Whether the operation would complete now (`me`: the select's own
    /// waiter, which does not count as a counterpart).
    fn ready(&self, me: Option<&Waiter>) -> bool;
    /// Starts waiting with `waiter`, selected with `token`.
    fn link(&self, waiter: &Waiter, token: usize);
    /// Stops waiting (the waiter claimed or selected already).
    fn unlink(&self, waiter: &Waiter);
    /// Whether a counterpart met this branch while it waited: the select
    /// must then complete this branch (rendezvous only).
    fn met(&self) -> bool {
        false
    }
    /// A cancel unwinds a select whose branch was met: release the
    /// counterpart (a receiver met by a send branch tries again; a message
    /// handed to a receive branch is dropped with the cancelled select, as
    /// one it had received).
    fn let_go(&self) {}
    /// Hands a wake-up the select will not use to the next waiter.
    fn pass_on(&self);
    /// Whether the select should wait here at once instead of spinning
    /// first (a rendezvous counterpart can only meet a waiting party).
    fn waits_at_once(&self) -> bool {
        false
    }
    /// Runs the select's park with the channel's metrics told of it.
    fn park_blocked(&self, park: &mut dyn FnMut());
}

/// A handle a select branch runs on: the ordinary and the spsc ones.
#[doc(hidden)]
#[allow(private_interfaces, private_bounds)]
pub trait End {
    type Msg;
    type Flavor: Flavor;
    #[doc(hidden)]
    fn __shared(&self) -> &Shared<Self::Msg, Self::Flavor>;
    /// The handle's own `try_recv` (receivers only).
    #[doc(hidden)]
    fn __try_recv(&self) -> Result<Self::Msg, TryRecvError> {
        unreachable!("only receivers receive")
    }
    /// The handle's own select send: `Ok(Ok(()))` sent, `Ok(Err(msg))`
    /// disconnected, `Err(msg)` no room now (senders only).
    #[doc(hidden)]
    fn __try_send(&self, msg: Self::Msg) -> Result<Result<(), Self::Msg>, Self::Msg> {
        Err(msg)
    }
}

#[allow(private_interfaces)]
fn meeting_of<H: End>(handle: &H) -> Option<&Meeting<Env<H::Msg, H::Flavor>>> {
    handle.__shared().queue().meeting()
}

/// A receive branch.
#[doc(hidden)]
pub struct RecvOp<'a, H: End> {
    handle: &'a H,
    /// Rendezvous: where a sender that meets this branch puts its message.
    packet: Packet<Env<H::Msg, H::Flavor>>,
}

impl<'a, H: End> RecvOp<'a, H> {
    pub(crate) fn new(handle: &'a H) -> Self {
        Self {
            handle,
            packet: Packet::empty(),
        }
    }

    /// The chosen branch's receive: the message handed over while it waited,
    /// or one taken now; `Empty` when a competitor was faster (the select
    /// waits again).
    pub fn try_recv(&self) -> Result<H::Msg, TryRecvError> {
        if self.packet.met() {
            let shared = self.handle.__shared();
            return match self.packet.wait_filled(Context::current()) {
                Some(envelope) => {
                    shared.metrics().on_recv(envelope.stamp);
                    Ok(envelope.msg)
                }
                // The sender gave up before sending: wait again.
                None => Err(TryRecvError::Empty),
            };
        }
        self.handle.__try_recv()
    }

    fn list(&self) -> &WaitList {
        self.handle.__shared().receivers()
    }
}

impl<H: End> SelectOp for RecvOp<'_, H> {
    fn ready(&self, me: Option<&Waiter>) -> bool {
        match meeting_of(self.handle) {
            Some(meeting) => meeting.recv_ready(me),
            None => self.handle.__shared().recv_ready(),
        }
    }

    fn link(&self, waiter: &Waiter, token: usize) {
        match meeting_of(self.handle) {
            Some(meeting) => {
                meeting.link_select_receiver(waiter, token, &self.packet);
                self.handle.__shared().now_waiting(Side::Recv);
            }
            None => self.list().link(waiter, token),
        }
    }

    fn unlink(&self, waiter: &Waiter) {
        match meeting_of(self.handle) {
            Some(meeting) => meeting.unlink(waiter),
            None => self.list().unregister(waiter),
        }
    }

    fn met(&self) -> bool {
        self.packet.met()
    }

    fn let_go(&self) {
        if self.packet.met() {
            drop(self.packet.wait_filled(Context::current()));
        }
    }

    fn pass_on(&self) {
        if meeting_of(self.handle).is_none() {
            // The wake-up's progress is visible to us (Acquire in
            // `Waiter::selected`); the fence orders it before the list's
            // count, as the waker's invariant 4 requires of any notifier.
            fence(Ordering::SeqCst);
            self.list().notify_one();
        }
    }

    fn waits_at_once(&self) -> bool {
        meeting_of(self.handle).is_some()
    }

    fn park_blocked(&self, park: &mut dyn FnMut()) {
        self.handle.__shared().park_blocked(Side::Recv, park);
    }
}

/// A send branch.
#[doc(hidden)]
pub struct SendOp<'a, H: End> {
    handle: &'a H,
    /// Rendezvous: the select's entry as a waiting (lazy) sender; a receiver
    /// that meets it leaves here the packet to fill.
    packet: Packet<Env<H::Msg, H::Flavor>>,
}

/// A send branch committed to send: [`send`](Self::send) completes it.
#[doc(hidden)]
pub struct SendCommit<'a, H: End> {
    handle: &'a H,
    how: Commit<'a, H>,
}

enum Commit<'a, H: End> {
    /// A rendezvous receiver met and waiting for the value.
    Met(Reserved<Env<H::Msg, H::Flavor>>),
    /// Room held in a bounded queue; given back if the value never comes.
    Room(RoomHeld<'a, H::Msg, H::Flavor>),
    /// The channel is closed: the value comes back.
    Closed,
    /// A channel that cannot reserve: try the send when the value is there.
    Try,
}

impl<'a, H: End> SendOp<'a, H> {
    pub(crate) fn new(handle: &'a H) -> Self {
        Self {
            handle,
            packet: Packet::empty(),
        }
    }

    /// Commits the chosen branch to send, before its value is evaluated:
    /// `None` when a rendezvous channel has no receiver to meet any more, or
    /// a bounded one no room (a competitor was faster; the select waits
    /// again, nothing evaluated).
    pub fn commit(&self) -> Option<SendCommit<'a, H>> {
        let how = if self.packet.met() {
            let reserved = Meeting::reserved_by(&self.packet);
            self.packet.reset();
            Commit::Met(reserved)
        } else {
            match meeting_of(self.handle) {
                Some(meeting) => match meeting.reserve(None) {
                    Ok(reserved) => Commit::Met(reserved),
                    Err(true) => Commit::Closed,
                    Err(false) => return None,
                },
                None => match self.handle.__shared().reserve_send() {
                    SendRoom::Held(room) => Commit::Room(room),
                    SendRoom::Full => return None,
                    SendRoom::Disconnected => Commit::Closed,
                    SendRoom::Unsupported => Commit::Try,
                },
            }
        };
        Some(SendCommit {
            handle: self.handle,
            how,
        })
    }
}

impl<H: End> SendCommit<'_, H> {
    /// Sends `msg`: `Ok(Ok(()))` sent (a rendezvous receiver has it),
    /// `Ok(Err(msg))` disconnected, `Err(msg)` no room now (ordinary
    /// channels whose queue cannot reserve room: the value is kept for the
    /// next round).
    pub fn send(self, msg: H::Msg) -> Result<Result<(), H::Msg>, H::Msg> {
        match self.how {
            Commit::Met(reserved) => {
                let shared = self.handle.__shared();
                reserved.fill(shared.envelope(msg));
                shared.metrics().on_send();
                Ok(Ok(()))
            }
            Commit::Room(room) => {
                room.fill(msg);
                Ok(Ok(()))
            }
            Commit::Closed => Ok(Err(msg)),
            Commit::Try => self.handle.__try_send(msg),
        }
    }
}

impl<H: End> SelectOp for SendOp<'_, H> {
    fn ready(&self, me: Option<&Waiter>) -> bool {
        match meeting_of(self.handle) {
            Some(meeting) => meeting.send_ready(me),
            None => self.handle.__shared().send_ready(),
        }
    }

    fn link(&self, waiter: &Waiter, token: usize) {
        match meeting_of(self.handle) {
            Some(meeting) => {
                // Lazy: never hands over here; a closed meeting links nothing
                // and the re-check sees the close.
                let _ = meeting.give_or_wait(waiter, token, &self.packet, true);
                self.handle.__shared().now_waiting(Side::Send);
            }
            None => self.handle.__shared().senders().link(waiter, token),
        }
    }

    fn unlink(&self, waiter: &Waiter) {
        match meeting_of(self.handle) {
            Some(meeting) => meeting.unlink(waiter),
            None => self.handle.__shared().senders().unregister(waiter),
        }
    }

    fn met(&self) -> bool {
        self.packet.met()
    }

    fn let_go(&self) {
        if self.packet.met() {
            // Dropped unfilled: the receiver met tries again.
            drop(Meeting::reserved_by(&self.packet));
            self.packet.reset();
        }
    }

    fn pass_on(&self) {
        if meeting_of(self.handle).is_none() {
            // As in `RecvOp::pass_on`.
            fence(Ordering::SeqCst);
            self.handle.__shared().senders().notify_one();
        }
    }

    fn waits_at_once(&self) -> bool {
        meeting_of(self.handle).is_some()
    }

    fn park_blocked(&self, park: &mut dyn FnMut()) {
        self.handle.__shared().park_blocked(Side::Send, park);
    }
}

/// Waits for a handle to be ready without taking part in an exchange: a
/// `merge` of operator sources watches its channels this way, and then
/// receives through the sources themselves. A rendezvous channel's meeting
/// place wakes these watchers when a party starts waiting in it.
pub(crate) struct Watch<'a>(pub(crate) &'a dyn Selectable);

impl SelectOp for Watch<'_> {
    fn ready(&self, _me: Option<&Waiter>) -> bool {
        self.0.is_ready()
    }
    fn link(&self, waiter: &Waiter, token: usize) {
        self.0.__wait_list().link(waiter, token);
    }
    fn unlink(&self, waiter: &Waiter) {
        self.0.__wait_list().unregister(waiter);
    }
    fn pass_on(&self) {
        // As in `RecvOp::pass_on`.
        fence(Ordering::SeqCst);
        self.0.__wait_list().notify_one();
    }
    fn park_blocked(&self, park: &mut dyn FnMut()) {
        self.0.__park_blocked(park);
    }
}

/// Stands in for a removed branch of a dynamic select (disabled, so never
/// asked).
pub(crate) struct NeverReady;

impl SelectOp for NeverReady {
    fn ready(&self, _me: Option<&Waiter>) -> bool {
        false
    }
    fn link(&self, _waiter: &Waiter, _token: usize) {
        unreachable!("a removed branch is disabled and never waited on")
    }
    fn unlink(&self, _waiter: &Waiter) {}
    fn pass_on(&self) {}
    fn park_blocked(&self, park: &mut dyn FnMut()) {
        park();
    }
}
