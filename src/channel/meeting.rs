//! The rendezvous engine: senders and receivers meet, and a message passes
//! from one to the other only when both are there.
//!
//! A zero-capacity channel stores nothing. Every party that cannot meet a
//! counterpart at once waits in one of two lists, both under **one lock**
//! (so that a sender and a receiver arriving together cannot both decide to
//! wait: whoever takes the lock second finds the first). Each entry names a
//! [`Waiter`] (on the waiting party's stack), the token it is selected with,
//! and a [`Packet`] (also on its stack):
//!
//! - a waiting **receiver**'s packet is empty; a sender that meets it puts
//!   its message there;
//! - a waiting **sender**'s packet holds its message, which a receiver that
//!   meets it takes out; or, for a select's send branch, which evaluates its
//!   message only once it is sure to send it (*lazy*), the packet is empty
//!   and the receiver that meets it leaves the address of its own packet
//!   there, for the select to fill.
//!
//! # Invariants
//! 1. Entries are added and removed only under the lock. A party removes its
//!    own entries (under the lock) before its waiter and packet leave its
//!    stack, so an entry found under the lock points to live memory.
//! 2. A meeting *selects* the counterpart's waiter by the waiter's
//!    compare-and-swap (`Waiter::try_select`): one waiter is met at most once
//!    (a select linked into several lists included), and a waiter that
//!    claimed itself (timed out, cancelled, or chose another branch) is never
//!    met. Only the party that won the CAS touches the packet.
//! 3. The packet says what happened: `TAKEN` (a sender's message was taken),
//!    `PAIRED` (a counterpart is committed to fill it), `FILLED` (it holds
//!    the message), `ABANDONED` (the committed filler gave up: its value
//!    expression panicked or its coroutine was cancelled). A waiter woken
//!    with an `EMPTY` packet (by a close, or a wake-up passed on) simply
//!    tries again. Every state change that the lock does not order is a
//!    `Release` store read with `Acquire`.
//! 4. A receiving packet in state `PAIRED` stays alive until it is `FILLED`
//!    or `ABANDONED`: its owner waits (spinning, then yielding the coroutine
//!    or thread) and does not return, unwind or give up on a deadline
//!    meanwhile. The filler writes it after releasing the lock, so this wait
//!    is what keeps that write in bounds.
//! 5. Once closed (`close`), nobody meets anybody: every waiter is woken,
//!    senders take their messages back, receivers see the disconnect.
//!
//! So `Ok` from a send means a receiver has the message (in its packet, or
//! returned), and a receiver that waits is visible to every sender from the
//! moment it waits, as is a waiting sender (a select's too) to every
//! receiver.

use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::ptr::NonNull;

use crossbeam_utils::Backoff;

use super::waker::Waiter;
use crate::sync::{AtomicMut, AtomicUsize, Mutex, Ordering, lock};
use crate::wait::Context;

/// Nothing happened to the packet yet.
const EMPTY: usize = 0;
/// A waiting sender's message was taken.
const TAKEN: usize = 1;
/// A counterpart is committed to fill this receiving packet.
const PAIRED: usize = 2;
/// The receiving packet holds its message.
const FILLED: usize = 3;
/// The committed filler gave up; the receiver tries again.
const ABANDONED: usize = 4;

/// What a waiting or meeting party keeps on its stack for one exchange.
pub(crate) struct Packet<E> {
    state: AtomicUsize,
    /// The message: a waiting sender's (until taken), or a receiver's (once
    /// filled).
    slot: UnsafeCell<Option<E>>,
    /// A lazy sender's: the receiving packet it is to fill once met.
    dest: UnsafeCell<Option<NonNull<Packet<E>>>>,
}

impl<E> Packet<E> {
    /// An empty packet (a receiver's, or a lazy sender's).
    pub(crate) fn empty() -> Self {
        Self::with(None)
    }

    /// A sender's packet holding its message.
    pub(crate) fn holding(msg: E) -> Self {
        Self::with(Some(msg))
    }

    fn with(slot: Option<E>) -> Self {
        Self {
            state: AtomicUsize::new(EMPTY),
            slot: UnsafeCell::new(slot),
            dest: UnsafeCell::new(None),
        }
    }

    /// Whether a counterpart met this packet while it was linked: its message
    /// was taken, or someone is committed to fill it (or did).
    pub(crate) fn met(&self) -> bool {
        // Acquire: pairs with the `Release` stores of the state.
        self.state.load(Ordering::Acquire) != EMPTY
    }

    /// Whether this sender's message was taken.
    pub(crate) fn taken(&self) -> bool {
        // Acquire: as in `met`.
        self.state.load(Ordering::Acquire) == TAKEN
    }

    /// The message back out of a packet that nobody is touching any more
    /// (unlinked, or never linked), and the packet reset for reuse.
    pub(crate) fn take_back(&mut self) -> Option<E> {
        self.state.store_mut(EMPTY);
        *self.dest.get_mut() = None;
        self.slot.get_mut().take()
    }

    /// Makes a lazy sender's packet empty again once its owner has taken
    /// the reservation out (`Meeting::reserved_by`): it is unlinked, so
    /// nobody else reads it any more.
    pub(crate) fn reset(&self) {
        // Relaxed: only the owner reads the packet once it is unlinked.
        self.state.store(EMPTY, Ordering::Relaxed);
        // SAFETY: as above: no other party can reach the packet.
        unsafe { *self.dest.get() = None };
    }

    /// For a receiving packet that was met: waits until it is filled and
    /// returns the message, or `None` if the filler gave up (the packet is
    /// then empty again). Keeps invariant 4: does not return before the
    /// filler is done, even when a may cancel is raised meanwhile (it is
    /// raised again afterwards).
    pub(crate) fn wait_filled(&self, context: Context) -> Option<E> {
        let mut cancelled = None;
        let backoff = Backoff::new();
        let state = loop {
            // Acquire: pairs with the filler's `Release` store, so its write
            // of the slot is visible.
            match self.state.load(Ordering::Acquire) {
                PAIRED => {}
                other => break other,
            }
            if !backoff.is_completed() {
                backoff.snooze();
            } else if context == Context::Coroutine {
                // may raises a cancel as a panic at a yield; hold it until
                // the packet is settled (the filler writes into this frame).
                if let Err(payload) = std::panic::catch_unwind(may::coroutine::yield_now) {
                    cancelled.get_or_insert(payload);
                }
            } else {
                std::thread::yield_now();
            }
        };
        let msg = match state {
            // SAFETY: FILLED was stored (Release, read Acquire above) after
            // the filler's last write; nobody touches the slot afterwards
            // but this packet's owner, who is calling.
            FILLED => unsafe { (*self.slot.get()).take() },
            _ => None,
        };
        // Relaxed: the packet is settled; only its owner reads it now.
        self.state.store(EMPTY, Ordering::Relaxed);
        if let Some(payload) = cancelled {
            drop(msg);
            std::panic::resume_unwind(payload);
        }
        msg
    }
}

/// A receiver met and committed to: the sender fills it with
/// [`fill`](Self::fill); dropping it unfilled abandons the exchange (the
/// receiver tries again).
pub(crate) struct Reserved<E> {
    packet: NonNull<Packet<E>>,
}

impl<E> Reserved<E> {
    /// Hands `msg` to the receiver met.
    pub(crate) fn fill(self, msg: E) {
        // SAFETY: the receiving packet stays alive while PAIRED (invariant
        // 4), and only this reservation writes it meanwhile (invariant 2).
        unsafe {
            let packet = self.packet.as_ref();
            *packet.slot.get() = Some(msg);
            // Release: the slot's write happens before the receiver's
            // Acquire load that reads FILLED.
            packet.state.store(FILLED, Ordering::Release);
        }
        std::mem::forget(self);
    }
}

impl<E> Drop for Reserved<E> {
    fn drop(&mut self) {
        // SAFETY: as in `fill`.
        let packet = unsafe { self.packet.as_ref() };
        // Release: the receiver's Acquire load sees the exchange is off.
        packet.state.store(ABANDONED, Ordering::Release);
    }
}

/// One waiting party.
struct Entry<E> {
    waiter: NonNull<Waiter>,
    token: usize,
    packet: NonNull<Packet<E>>,
    /// A select's send branch, whose message does not exist yet.
    lazy: bool,
}

struct Lists<E> {
    senders: VecDeque<Entry<E>>,
    receivers: VecDeque<Entry<E>>,
    closed: bool,
}

/// The meeting place of one rendezvous channel.
pub struct Meeting<E> {
    lists: Mutex<Lists<E>>,
}

// SAFETY: entries are dereferenced under the lock while valid (invariant 1),
// a reserved packet while its owner waits (invariant 4); waiters and packets
// of `E` may be used from any thread when `E` is `Send`.
unsafe impl<E: Send> Send for Meeting<E> {}
// SAFETY: as for `Send`.
unsafe impl<E: Send> Sync for Meeting<E> {}

/// Why nobody was met.
pub(crate) enum NotMet<E> {
    /// Nobody waits on the other side now; the message comes back.
    Nobody(E),
    /// The channel is closed; the message comes back.
    Closed(E),
}

impl<E> NotMet<E> {
    /// The message that was not handed over.
    pub(crate) fn into_inner(self) -> E {
        match self {
            Self::Nobody(msg) | Self::Closed(msg) => msg,
        }
    }
}

/// What a receive attempt got.
pub(crate) enum Took<E> {
    Msg(E),
    Nobody,
    Closed,
}

impl<E> Took<E> {
    /// The message, if one was taken.
    pub(crate) fn into_msg(self) -> Option<E> {
        match self {
            Self::Msg(msg) => Some(msg),
            Self::Nobody | Self::Closed => None,
        }
    }
}

impl<E> Default for Meeting<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Meeting<E> {
    pub(crate) fn new() -> Self {
        Self {
            lists: Mutex::new(Lists {
                senders: VecDeque::new(),
                receivers: VecDeque::new(),
                closed: false,
            }),
        }
    }

    /// Meets the first waiting receiver other than `me` (a select's own
    /// waiter), committing to fill its packet. `Err(true)` once closed,
    /// `Err(false)` when no receiver waits.
    pub(crate) fn reserve(&self, me: Option<&Waiter>) -> Result<Reserved<E>, bool> {
        let mut lists = lock(&self.lists);
        if lists.closed {
            return Err(true);
        }
        Self::reserve_locked(&mut lists, me).ok_or(false)
    }

    fn reserve_locked(lists: &mut Lists<E>, me: Option<&Waiter>) -> Option<Reserved<E>> {
        let mut index = 0;
        while index < lists.receivers.len() {
            let entry = &lists.receivers[index];
            // SAFETY: linked entries point to live waiters (invariant 1).
            let waiter = unsafe { entry.waiter.as_ref() };
            if me.is_some_and(|me| std::ptr::eq(me, waiter)) {
                index += 1;
                continue;
            }
            let entry = lists.receivers.remove(index).expect("index is in bounds");
            if waiter.try_select(entry.token) {
                // SAFETY: as above; we won the waiter (invariant 2), so the
                // packet is ours to mark.
                let packet = unsafe { entry.packet.as_ref() };
                // Release: a receiver that sees PAIRED without the lock
                // (after being woken) waits for the fill.
                packet.state.store(PAIRED, Ordering::Release);
                waiter.unpark();
                return Some(Reserved {
                    packet: entry.packet,
                });
            }
            // A waiter that claimed itself or was selected elsewhere: its
            // owner unlinks nothing more of it here (it is gone already).
        }
        None
    }

    /// Hands `msg` to a waiting receiver, if one waits.
    pub(crate) fn give(&self, msg: E, me: Option<&Waiter>) -> Result<(), NotMet<E>> {
        match self.reserve(me) {
            Ok(reserved) => {
                reserved.fill(msg);
                Ok(())
            }
            Err(true) => Err(NotMet::Closed(msg)),
            Err(false) => Err(NotMet::Nobody(msg)),
        }
    }

    /// A blocking sender: hands the message in `packet` to a waiting
    /// receiver, or links `waiter` to wait with it (`Ok(false)`). `Ok(true)`:
    /// handed over; `Err(())`: closed (the message stays in the packet).
    pub(crate) fn give_or_wait(
        &self,
        waiter: &Waiter,
        token: usize,
        packet: &Packet<E>,
        lazy: bool,
    ) -> Result<bool, ()> {
        let mut lists = lock(&self.lists);
        if lists.closed {
            return Err(());
        }
        if !lazy {
            if let Some(reserved) = Self::reserve_locked(&mut lists, Some(waiter)) {
                // SAFETY: the packet is ours and not linked: nobody else
                // touches it.
                let msg = unsafe { (*packet.slot.get()).take() }.expect("a full packet");
                reserved.fill(msg);
                return Ok(true);
            }
        }
        lists.senders.push_back(Entry {
            waiter: NonNull::from(waiter),
            token,
            packet: NonNull::from(packet),
            lazy,
        });
        Ok(false)
    }

    /// Takes a message from the first waiting sender other than `me`; for
    /// a select's lazy sender, waits (in `scratch`) for it to be filled.
    pub(crate) fn take(&self, me: Option<&Waiter>, context: Context) -> Took<E> {
        loop {
            let scratch = Packet::empty();
            let lazy = {
                let mut lists = lock(&self.lists);
                if lists.closed {
                    return Took::Closed;
                }
                match Self::meet_sender(&mut lists, me, &scratch) {
                    Some(Some(msg)) => return Took::Msg(msg),
                    Some(None) => true,
                    None => return Took::Nobody,
                }
            };
            debug_assert!(lazy);
            if let Some(msg) = scratch.wait_filled(context) {
                return Took::Msg(msg);
            }
            // The select gave up; look again.
        }
    }

    /// Under the lock: meets the first waiting sender other than `me`.
    /// `Some(Some(msg))`: its message; `Some(None)`: a lazy sender, which
    /// will fill `scratch` (the caller waits for it after releasing the
    /// lock); `None`: nobody.
    fn meet_sender(
        lists: &mut Lists<E>,
        me: Option<&Waiter>,
        scratch: &Packet<E>,
    ) -> Option<Option<E>> {
        let mut index = 0;
        while index < lists.senders.len() {
            let entry = &lists.senders[index];
            // SAFETY: linked entries point to live waiters (invariant 1).
            let waiter = unsafe { entry.waiter.as_ref() };
            if me.is_some_and(|me| std::ptr::eq(me, waiter)) {
                index += 1;
                continue;
            }
            let entry = lists.senders.remove(index).expect("index is in bounds");
            if !waiter.try_select(entry.token) {
                continue;
            }
            // SAFETY: we won the waiter (invariant 2); its packet is live
            // while linked, and we hold the lock its owner needs to unlink.
            let packet = unsafe { entry.packet.as_ref() };
            if entry.lazy {
                // SAFETY: as above; the lazy sender reads `dest` only after
                // seeing PAIRED (Release below, Acquire there).
                unsafe { *packet.dest.get() = Some(NonNull::from(scratch)) };
                // Relaxed: the scratch packet is ours; the filler only
                // stores to it.
                scratch.state.store(PAIRED, Ordering::Relaxed);
                // Release: publishes `dest` with the state.
                packet.state.store(PAIRED, Ordering::Release);
                waiter.unpark();
                return Some(None);
            }
            // SAFETY: as above.
            let msg = unsafe { (*packet.slot.get()).take() }.expect("a waiting sender's message");
            // Release: the sender, after unlinking under the lock, sees it.
            packet.state.store(TAKEN, Ordering::Release);
            waiter.unpark();
            return Some(Some(msg));
        }
        None
    }

    /// A blocking receiver: takes from a waiting sender, or links `waiter`
    /// with its empty `packet`. A lazy sender met here is waited for before
    /// returning.
    pub(crate) fn take_or_wait(
        &self,
        waiter: &Waiter,
        token: usize,
        packet: &Packet<E>,
        context: Context,
    ) -> Took<E> {
        loop {
            let scratch = Packet::empty();
            {
                let mut lists = lock(&self.lists);
                if lists.closed {
                    return Took::Closed;
                }
                match Self::meet_sender(&mut lists, Some(waiter), &scratch) {
                    Some(Some(msg)) => return Took::Msg(msg),
                    Some(None) => {}
                    None => {
                        Self::link_receiver(&mut lists, waiter, token, packet);
                        return Took::Nobody;
                    }
                }
            }
            if let Some(msg) = scratch.wait_filled(context) {
                return Took::Msg(msg);
            }
        }
    }

    fn link_receiver(lists: &mut Lists<E>, waiter: &Waiter, token: usize, packet: &Packet<E>) {
        lists.receivers.push_back(Entry {
            waiter: NonNull::from(waiter),
            token,
            packet: NonNull::from(packet),
            lazy: false,
        });
    }

    /// A select's receive branch starts waiting.
    pub(crate) fn link_select_receiver(&self, waiter: &Waiter, token: usize, packet: &Packet<E>) {
        let mut lists = lock(&self.lists);
        if !lists.closed {
            Self::link_receiver(&mut lists, waiter, token, packet);
        }
    }

    /// Removes every entry of `waiter` (a select may be in both lists).
    pub(crate) fn unlink(&self, waiter: &Waiter) {
        let target = NonNull::from(waiter);
        let mut lists = lock(&self.lists);
        lists.senders.retain(|entry| entry.waiter != target);
        lists.receivers.retain(|entry| entry.waiter != target);
    }

    /// The lazy sender's side once met: the receiving packet to fill.
    /// Call only after [`Packet::met`] said yes for its own packet.
    pub(crate) fn reserved_by(packet: &Packet<E>) -> Reserved<E> {
        // SAFETY: the receiver wrote `dest` before its Release store of
        // PAIRED, which `met` read with Acquire; nobody writes it again.
        let dest = unsafe { *packet.dest.get() }.expect("a met lazy sender has a destination");
        Reserved { packet: dest }
    }

    /// Whether a receive would meet a sender now (other than `me`), or see
    /// the close.
    pub(crate) fn recv_ready(&self, me: Option<&Waiter>) -> bool {
        let lists = lock(&self.lists);
        lists.closed || Self::anyone(&lists.senders, me)
    }

    /// Whether a send would meet a receiver now (other than `me`), or see
    /// the close.
    pub(crate) fn send_ready(&self, me: Option<&Waiter>) -> bool {
        let lists = lock(&self.lists);
        lists.closed || Self::anyone(&lists.receivers, me)
    }

    fn anyone(entries: &VecDeque<Entry<E>>, me: Option<&Waiter>) -> bool {
        entries.iter().any(|entry| {
            // SAFETY: linked entries point to live waiters (invariant 1).
            let waiter = unsafe { entry.waiter.as_ref() };
            !me.is_some_and(|me| std::ptr::eq(me, waiter)) && waiter.is_waiting()
        })
    }

    /// Closes the meeting: nobody meets anybody any more, and every waiter
    /// is woken to see it (invariant 5).
    pub(crate) fn close(&self) {
        let mut lists = lock(&self.lists);
        if lists.closed {
            return;
        }
        lists.closed = true;
        let senders = std::mem::take(&mut lists.senders);
        let receivers = std::mem::take(&mut lists.receivers);
        for entry in senders.into_iter().chain(receivers) {
            // SAFETY: linked entries point to live waiters (invariant 1);
            // we hold the lock their owners need to leave.
            let waiter = unsafe { entry.waiter.as_ref() };
            if waiter.try_select(entry.token) {
                waiter.unpark();
            }
        }
    }
}

impl<E> std::fmt::Debug for Meeting<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lists = lock(&self.lists);
        f.debug_struct("Meeting")
            .field("waiting_senders", &lists.senders.len())
            .field("waiting_receivers", &lists.receivers.len())
            .field("closed", &lists.closed)
            .finish()
    }
}
