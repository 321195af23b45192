//! The state every handle of one channel shares, and the one implementation
//! of each operation.

use std::time::Instant;

use crossbeam_utils::{Backoff, CachePadded};

use super::Flavor;
use super::close::InFlight;
use super::peek::{Front, Held, Peekable};
use super::waker::{WaitList, block_on};
use crate::backpressure::{Backpressure, OnFull};
use crate::error::{RecvTimeoutError, SendTimeoutError, TryRecvError, TrySendError};
use crate::metrics::{MetricsSink, Side};
use crate::placement::Placement;
use crate::queue::{QueueStrategy, RawQueue, Reservation};
use crate::sync::{AtomicBool, AtomicUsize, Ordering, fence};

// The rest of the core, one concern per file.
mod batch;
mod blocked;
mod drop_all;
mod peek;
mod routes;
mod select;

use blocked::BlockedGuard;
use drop_all::DropAll;
pub(crate) use select::{RoomHeld, SendRoom};

/// What a channel's queue stores: a message and the stamp its metrics sink
/// keeps beside it (`()` for sinks that keep none, so an envelope is then
/// exactly as large as the message).
pub struct Envelope<T, S> {
    pub(crate) msg: T,
    pub(crate) stamp: S,
}

pub(crate) type Stamp<F> = <<F as Flavor>::Metrics as MetricsSink>::Stamp;
/// What a peek guard holds: the envelope with its age and rank.
type HeldOf<T, F> = Held<Envelope<T, Stamp<F>>>;
/// What an evict-and-store returns: the evicted envelope, or the newcomer
/// handed back by a queue that cannot evict.
type Evicted<T, F> = Result<Option<Envelope<T, Stamp<F>>>, Envelope<T, Stamp<F>>>;
/// What a store returns: `Ok(x)` when stored, its envelope back otherwise.
type Stored<X, T, F> = Result<X, Envelope<T, Stamp<F>>>;
pub(crate) type QueueOf<T, F> =
    <<F as Flavor>::Queue as QueueStrategy>::Queue<Envelope<T, Stamp<F>>>;

pub(crate) struct Shared<T, F: Flavor> {
    queue: QueueOf<T, F>,
    /// Receivers waiting for a message.
    receivers: CachePadded<WaitList>,
    /// Senders waiting for room.
    senders: CachePadded<WaitList>,
    sender_count: AtomicUsize,
    receiver_count: AtomicUsize,
    /// Set once: by `close`, or when the last sender or the last receiver
    /// goes.
    disconnected: AtomicBool,
    /// Sends between their check of `disconnected` and the end of their
    /// store (see `close.rs`).
    in_flight: InFlight,
    /// Messages a peek guard left at the head of the channel; every receive
    /// looks here first (see `peek.rs`).
    front: Front<QueueOf<T, F>, Envelope<T, Stamp<F>>>,
    wait: F::Wait,
    metrics: F::Metrics,
    placement: F::Placement,
}

/// The blocking loop's verdict on one attempt.
enum Attempt<R> {
    Done(R),
    Again,
}

impl<T, F: Flavor> Shared<T, F> {
    /// Whether the queue refuses stores itself once closed
    /// ([`RawQueue::CLOSES`]): then no store is bracketed (see `close.rs`).
    const QUEUE_CLOSES: bool = <QueueOf<T, F> as RawQueue<Envelope<T, Stamp<F>>>>::CLOSES;
    /// Whether the queue's claims are `SeqCst` and counted by `len`
    /// ([`RawQueue::CLAIMS_SEQCST`]): then no fence follows a store or a
    /// take, and a waiter retries while a peer is mid-operation.
    const QUEUE_CLAIMS_SEQCST: bool =
        <QueueOf<T, F> as RawQueue<Envelope<T, Stamp<F>>>>::CLAIMS_SEQCST;

    pub(crate) fn new(
        queue: QueueOf<T, F>,
        wait: F::Wait,
        mut metrics: F::Metrics,
        placement: F::Placement,
    ) -> Self {
        metrics.on_build(queue.capacity());
        Self {
            queue,
            receivers: CachePadded::new(WaitList::new()),
            senders: CachePadded::new(WaitList::new()),
            sender_count: AtomicUsize::new(1),
            receiver_count: AtomicUsize::new(1),
            disconnected: AtomicBool::new(false),
            in_flight: InFlight::new(),
            front: Front::new(),
            wait,
            metrics,
            placement,
        }
    }

    // ---------------------------------------------------------------- state

    pub(crate) fn queue(&self) -> &QueueOf<T, F> {
        &self.queue
    }

    /// The blocking loop on the senders' (`Side::Send`) or receivers' list,
    /// for operations outside this file (zero-copy guards).
    #[inline]
    pub(crate) fn wait_for<R>(
        &self,
        side: Side,
        deadline: Option<Instant>,
        mut attempt: impl FnMut() -> Option<R>,
    ) -> Option<R> {
        let list = match side {
            Side::Send => &*self.senders,
            Side::Recv => &*self.receivers,
        };
        self.block_on(list, side, deadline, || match attempt() {
            Some(result) => Attempt::Done(result),
            None => Attempt::Again,
        })
    }

    /// The channel's wait strategy.
    pub(crate) fn wait_strategy(&self) -> &F::Wait {
        &self.wait
    }

    /// The channel's placement (for its topology, say).
    pub(crate) fn placement(&self) -> &F::Placement {
        &self.placement
    }

    pub(crate) fn metrics(&self) -> &F::Metrics {
        &self.metrics
    }

    /// Messages a receiver could take: queued ones, and the ones a peek
    /// left; not slots lent to a zero-copy sender, which take room
    /// (`occupied`) but hold no message yet.
    pub(crate) fn len(&self) -> usize {
        self.occupied().saturating_sub(self.queue.lent_slots())
    }

    /// The room taken: what `len` counts, and the lent slots.
    fn occupied(&self) -> usize {
        self.queue.len() + self.front.len()
    }

    pub(crate) fn capacity(&self) -> Option<usize> {
        self.queue.capacity()
    }

    pub(crate) fn allocated_bytes(&self) -> Option<usize> {
        self.queue.allocated_bytes()
    }

    pub(crate) fn is_full(&self) -> bool {
        self.capacity().is_some_and(|cap| self.occupied() >= cap)
    }

    pub(crate) fn is_disconnected(&self) -> bool {
        // Acquire: a caller that sees the flag also sees every message pushed
        // before the disconnect (they are published by the queue's own
        // release stores, which precede the SeqCst swap in `disconnect`).
        self.disconnected.load(Ordering::Acquire)
    }

    pub(crate) fn sender_count(&self) -> usize {
        // Relaxed: a snapshot for the caller; nothing is read through it.
        self.sender_count.load(Ordering::Relaxed)
    }

    pub(crate) fn receiver_count(&self) -> usize {
        // Relaxed: as in `sender_count`.
        self.receiver_count.load(Ordering::Relaxed)
    }

    // ------------------------------------------------------------- handles

    pub(crate) fn add_sender(&self) {
        // Relaxed: as for `Arc::clone`, a new handle is made from a live one,
        // so the count cannot be racing towards zero.
        self.sender_count.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_receiver(&self) {
        // Relaxed: as in `add_sender`.
        self.receiver_count.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn remove_sender(&self) {
        // AcqRel: the last handle to leave must see every other handle's
        // operations complete before it disconnects.
        if self.sender_count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.disconnect();
        }
    }

    pub(crate) fn remove_receiver(&self) {
        // AcqRel: as in `remove_sender`.
        if self.receiver_count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.disconnect();
            self.drop_queued();
        }
    }

    /// Nobody can receive any more: drops every message the channel holds,
    /// exactly once, before returning, including the ones that sends which
    /// passed their check before the disconnect are still storing (so a send
    /// that returned `Ok` stored a message that was either received or is
    /// dropped here, never one that waits for the last handle). Messages a
    /// peek left at the head go first: they are the oldest. Called by the
    /// last receiver, and after it by a zero-copy publish (`lent_published`),
    /// whose slot landed after this drain.
    ///
    /// A message whose `Drop` panics does not stop the others (see
    /// [`DropAll`]); the first panic is resumed once all are dropped.
    fn drop_queued(&self) {
        if Self::QUEUE_CLOSES {
            // The thread that set the flag may not have closed the queue yet
            // (a racing `close`, or the last sender): close it here, so that
            // every store still to claim a place is refused.
            self.queue.close();
        } else {
            // Every send that passed its check before the disconnect has
            // stored when this returns (see `close.rs`: the `SeqCst` swap in
            // `disconnect`, which read or set the flag, stands in for the
            // receiver's flag load there).
            self.in_flight.wait_idle();
        }
        // The second half of the pair with `lent_published`'s fence: a slot
        // published before that fence is seen by the pops below, or that
        // publish sees this receiver gone and drains after it. (`disconnect`
        // fences only when it set the flag.)
        fence(Ordering::SeqCst);
        let mut dropping = DropAll::new();
        let backoff = Backoff::new();
        loop {
            let front = self.front.drain();
            for envelope in front.into_iter().chain(self.queue.drain_on_disconnect()) {
                self.metrics.on_evict(envelope.stamp);
                dropping.drop_one(envelope.msg);
            }
            // A closed queue may still hold stores that claimed their place
            // before the close and are writing it (each is one non-blocking
            // call): wait for them as `last_take` does. Bracketed stores have
            // all landed (above).
            // A reservation at the head lands when user code is done with
            // it; its fill drops what is queued then (`lent_published`).
            if !Self::QUEUE_CLOSES || self.queue.is_empty() || self.queue.head_held_by_sender() {
                break;
            }
            backoff.snooze();
        }
        dropping.finish();
    }

    /// `close`: stops sends for good and wakes every waiter; `true` if this
    /// call closed the channel.
    pub(crate) fn close(&self) -> bool {
        self.disconnect()
    }

    /// Sets the flag (once) and wakes every waiter so that it re-checks:
    /// blocked senders take their message back, blocked receivers drain.
    fn disconnect(&self) -> bool {
        // SeqCst: the second half of the store-buffer pair of `close.rs`
        // (a send's mark swap, then its flag load).
        if self.disconnected.swap(true, Ordering::SeqCst) {
            return false;
        }
        if Self::QUEUE_CLOSES {
            // After the flag: a store the queue refuses then finds it set.
            self.queue.close();
        } else if let Some(meeting) = self.queue.meeting() {
            // A zero-capacity channel whose ring does not close itself
            // (32-bit targets): its meeting place still must.
            meeting.close();
        }
        fence(Ordering::SeqCst);
        self.receivers.notify_all();
        self.senders.notify_all();
        true
    }

    /// Runs `store(item)` as one send in flight, unless the channel is
    /// disconnected; then hands `item` back. Every store of a message goes
    /// through here, so that a receiver can tell "closed and drained" apart
    /// from "a send is about to land" (see `close.rs`). `store` must not
    /// block or run user code.
    #[inline]
    pub(crate) fn admit<E, R>(&self, item: E, store: impl FnOnce(E) -> R) -> Result<R, E> {
        if Self::QUEUE_CLOSES {
            // The queue's closed mark decides which stores made it, so
            // nothing is bracketed (see `close.rs`); a store it refuses is
            // classified by `admit_store`. Relaxed: a shortcut that spares a
            // closed queue the attempt, nothing more.
            if self.disconnected.load(Ordering::Relaxed) {
                return Err(item);
            }
            return Ok(store(item));
        }
        let _in_flight = self.in_flight.enter();
        // SeqCst: after the mark swap in the single total order (see
        // `close.rs`).
        if self.disconnected.load(Ordering::SeqCst) {
            return Err(item);
        }
        Ok(store(item))
    }

    /// Whether a receiver that found the channel empty may report it
    /// disconnected: the flag is set, no send is still landing, and no slot
    /// is lent to a sender. Waits out sends in flight (each is one
    /// non-blocking store), but not lent slots: a zero-copy `SendRef` lands
    /// when user code drops it, so the receiver answers "empty" (or parks)
    /// instead, and the guard's drop wakes it (`lent_published`).
    #[inline]
    pub(crate) fn drained_if_disconnected(&self) -> bool {
        // SeqCst: the receiver's half of the argument in `close.rs`.
        if !self.disconnected.load(Ordering::SeqCst) {
            return false;
        }
        if Self::QUEUE_CLOSES {
            // The thread that disconnected may not have closed the queue
            // yet: close it here, so that no store can land unseen after
            // this receiver's last attempt (`last_take`). A reservation (a
            // select's send branch evaluating its value) claimed its place
            // before the close and lands: not drained until it has (the
            // queue's count is exact once the queue is closed; its fill
            // wakes us, `lent_published`).
            self.queue.close();
            return self.queue.lent_slots() == 0;
        }
        self.in_flight.wait_idle();
        // After the wait: a slot lent before the close was counted inside
        // the bracket the wait has seen end (see `close.rs`). Only lending
        // queues count; for the others this is the constant `false`.
        self.queue.lent_slots() == 0
    }

    // ---------------------------------------------------------- wake-ups

    /// The last receive attempt once `drained_if_disconnected` said yes: a
    /// message, or `None` when the channel is drained. A closed queue that
    /// [closes itself](RawQueue::CLOSES) may still hold stores that claimed
    /// their place before the close and are being written: they are waited
    /// for (each is one non-blocking store, so the wait is short, as for the
    /// bracket's `wait_idle`).
    fn last_take<R>(&self, mut take_one: impl FnMut() -> Option<R>) -> Option<R> {
        if !Self::QUEUE_CLOSES {
            return take_one();
        }
        let backoff = Backoff::new();
        loop {
            if let Some(taken) = take_one() {
                return Some(taken);
            }
            if self.queue.is_empty() {
                return None;
            }
            backoff.snooze();
        }
    }

    /// [`admit`](Self::admit) for a store that hands its envelope back when
    /// it does not take it: `Err(envelope)` when the channel is disconnected
    /// (refused by the check, or by a queue that [closes
    /// itself](RawQueue::CLOSES): the flag is set before the queue is
    /// closed, so it is seen here), `Ok(Err(envelope))` when there was no
    /// room, `Ok(Ok(_))` when stored.
    #[inline]
    fn admit_store<X>(
        &self,
        envelope: Envelope<T, Stamp<F>>,
        store: impl FnOnce(Envelope<T, Stamp<F>>) -> Stored<X, T, F>,
    ) -> Result<Stored<X, T, F>, Envelope<T, Stamp<F>>> {
        match self.admit(envelope, store)? {
            Err(envelope) if self.is_disconnected() => Err(envelope),
            outcome => Ok(outcome),
        }
    }

    /// A slot lent to a sender (zero-copy) was published: wake a receiver,
    /// or every receiver once the channel is disconnected. After a close,
    /// receivers that found the channel empty park until no slot is lent
    /// (`drained_if_disconnected`); when the last lent slot lands, one of
    /// them takes the message and the others must wake to see the channel
    /// drained, which no later event would tell them.
    pub(crate) fn lent_published(&self) {
        fence(Ordering::SeqCst);
        // Relaxed is enough. A receiver that parks counting on this wake-up
        // re-checked after linking itself and a `SeqCst` fence without
        // seeing our decrement, so its fence precedes ours. The close's swap
        // and fence came either before the receiver's fence, and so before
        // ours (this load, sequenced after our fence, then reads the flag
        // set), or after it, and then the close's `notify_all` found the
        // receiver linked and woke it (waker invariant 4).
        if self.disconnected.load(Ordering::Relaxed) {
            // Relaxed, by the same fence argument: `remove_receiver`
            // decrements, then fences (`drop_queued`) and drains. If that
            // fence came after ours, its drain sees the slot published; if
            // before, this load reads the decrement, and the slot (with
            // whatever is queued behind it) is dropped here.
            if self.receiver_count.load(Ordering::Relaxed) == 0 {
                self.drop_queued();
                return;
            }
            self.receivers.notify_all();
        } else {
            self.receivers.notify_many(1);
        }
    }

    /// A message was stored: wake a receiver.
    #[inline]
    pub(crate) fn message_stored(&self, count: usize) {
        fence(Ordering::SeqCst);
        self.receivers.notify_many(count);
    }

    /// `count` messages were stored by the queue's own store methods (a
    /// route through `admit`): wake a receiver. When the queue's claims are
    /// `SeqCst` ([`RawQueue::CLAIMS_SEQCST`]), the store's claim is the
    /// sender's half of waker invariant 4 and the fence is skipped.
    #[inline]
    fn queue_stored(&self, count: usize) {
        if Self::QUEUE_CLAIMS_SEQCST {
            self.receivers.notify_many_after_seqcst(count);
        } else {
            self.message_stored(count);
        }
    }

    /// `count` messages were taken: wake senders waiting for room and a
    /// sender waiting for its hand-over.
    #[inline]
    pub(crate) fn messages_taken(&self, count: usize) {
        // Senders wait for room under `Block`, and a select's send branch may
        // wait for room under `Reject` too; the other policies never wait.
        let senders_may_wait = matches!(
            <F::Backpressure as Backpressure>::ON_FULL,
            OnFull::Wait | OnFull::Refuse
        );
        if Self::QUEUE_CLAIMS_SEQCST {
            // The take's `SeqCst` claim stands in for the fence (see
            // `RawQueue::CLAIMS_SEQCST`).
            if senders_may_wait {
                self.senders.notify_many_after_seqcst(count);
            }
        } else if senders_may_wait && !F::Queue::HANDOFF {
            // (A rendezvous channel's senders wait in its meeting place,
            // which a take serves directly.)
            fence(Ordering::SeqCst);
            self.senders.notify_many(count);
        }
    }

    // ------------------------------------------------------ blocking loop

    /// The one blocking path. Runs `attempt` until it is done, parking
    /// between attempts as the wait strategy says, on `list`; returns `None`
    /// if `deadline` passes first. `attempt` runs at least once, so a deadline
    /// already past makes this a single try.
    #[inline]
    fn block_on<R>(
        &self,
        list: &WaitList,
        side: Side,
        deadline: Option<Instant>,
        mut attempt: impl FnMut() -> Attempt<R>,
    ) -> Option<R> {
        block_on(
            list,
            &self.wait,
            deadline,
            || match attempt() {
                Attempt::Done(result) => Some(result),
                Attempt::Again => None,
            },
            || self.peer_mid_operation(side),
            |waiter, context, deadline| {
                let _blocked = BlockedGuard::new(&self.metrics, side);
                waiter.park(context, deadline);
            },
        )
    }

    /// Whether a waiter on `side` that just failed its re-check must retry
    /// rather than park: on a queue whose claims are `SeqCst`
    /// ([`RawQueue::CLAIMS_SEQCST`]), a peer that claimed before the
    /// waiter's fence may not have written (or released) its slot yet, and
    /// it will not look for waiters after it does. Constant `false` for
    /// other queues.
    #[inline]
    fn peer_mid_operation(&self, side: Side) -> bool {
        if !Self::QUEUE_CLAIMS_SEQCST {
            return false;
        }
        match side {
            // A store claimed and not yet written; not a reservation at the
            // head, which waits for user code: its fill wakes us.
            Side::Recv => !self.queue.is_empty() && !self.queue.head_held_by_sender(),
            // A take claimed and its slot not yet released.
            Side::Send => self
                .queue
                .capacity()
                .is_some_and(|capacity| self.queue.len() < capacity),
        }
    }

    // -------------------------------------------------------------- sending

    #[inline]
    pub(crate) fn envelope(&self, msg: T) -> Envelope<T, Stamp<F>> {
        Envelope {
            msg,
            stamp: self.metrics.stamp(),
        }
    }

    /// One non-blocking attempt to store `envelope` (no policy applied; on a
    /// rendezvous channel: a hand-over to a waiting receiver).
    #[inline]
    fn offer(&self, envelope: Envelope<T, Stamp<F>>) -> Result<(), Envelope<T, Stamp<F>>> {
        self.queue.push(envelope, self.placement.home())
    }

    /// `try_send`: never waits, never drops.
    #[inline]
    pub(crate) fn try_send(&self, msg: T) -> Result<(), TrySendError<T>> {
        self.try_send_via(msg, |envelope| self.offer(envelope))
    }

    /// `send` and its timed forms: applies the backpressure policy, waiting
    /// for room (or a taker) until `deadline` under `Block`.
    #[inline]
    pub(crate) fn send_until(
        &self,
        msg: T,
        deadline: Option<Instant>,
    ) -> Result<(), SendTimeoutError<T>> {
        if self.queue.meeting().is_some()
            && matches!(<F::Backpressure as Backpressure>::ON_FULL, OnFull::Wait)
        {
            // A zero-capacity channel under `Block`: wait for a receiver.
            // (The other policies never wait: they hand over or drop.)
            return self.meet_send(msg, deadline);
        }
        let home = self.placement.home();
        self.send_via_until(
            msg,
            deadline,
            |envelope| self.queue.push(envelope, home),
            |envelope| self.queue.push_evicting(envelope, home),
        )
    }

    /// `DropOldest`: stores `msg`, returning the message evicted to make room.
    pub(crate) fn force_send(&self, msg: T) -> Result<Option<T>, T> {
        let home = self.placement.home();
        self.evict_and_store(
            self.envelope(msg),
            |envelope| self.queue.push(envelope, home),
            |envelope| self.queue.push_evicting(envelope, home),
        )
        .map_err(|envelope| envelope.msg)
    }

    /// `DropOldest`: stores `envelope`, evicting the oldest message when the
    /// channel is full; returns the evicted message, or the envelope back
    /// when the channel is disconnected.
    ///
    /// A message a peek left at the head is older than everything in the
    /// queue (at its level, on a priority queue), so it is evicted first
    /// (unless a priority queue holds a lower level); the newcomer then goes
    /// through a plain `store`, and only if the queue is still full through
    /// `store_evicting` (whose victim is dropped and counted, so the channel
    /// never grows).
    fn evict_and_store(
        &self,
        envelope: Envelope<T, Stamp<F>>,
        store: impl FnOnce(Envelope<T, Stamp<F>>) -> Result<(), Envelope<T, Stamp<F>>>,
        store_evicting: impl FnOnce(Envelope<T, Stamp<F>>) -> Evicted<T, F>,
    ) -> Result<Option<T>, Envelope<T, Stamp<F>>> {
        if self.front.is_empty() || !self.is_full() {
            let outcome = self.admit_store(envelope, store_evicting)?;
            return Ok(self.stored_evicting(outcome));
        }
        let outcome = self.admit_store(envelope, |envelope| match store(envelope) {
            Ok(()) => Ok(None),
            Err(envelope) => store_evicting(envelope),
        })?;
        let second = self.stored_evicting(outcome);
        let oldest = self.front.evict(&self.queue).map(|old| {
            self.metrics.on_evict(old.stamp);
            old.msg
        });
        match oldest {
            Some(oldest) => {
                drop(second);
                Ok(Some(oldest))
            }
            None => Ok(second),
        }
    }

    /// Accounts for an evict-and-store: reports the eviction first (so a sink
    /// deriving the queue length never sees capacity + 1), then the store;
    /// returns the evicted message. A queue that could not evict refused the
    /// newcomer instead, which is then dropped and counted as discarded.
    fn stored_evicting(&self, outcome: Evicted<T, F>) -> Option<T> {
        match outcome {
            Ok(evicted) => {
                let evicted = evicted.map(|old| {
                    self.metrics.on_evict(old.stamp);
                    old.msg
                });
                self.stored_one();
                evicted
            }
            Err(envelope) => {
                self.metrics.on_discard();
                drop(envelope);
                None
            }
        }
    }

    // ------------------------------------------------------------ receiving

    /// Pops one envelope, a message a peek left at the head first (on a
    /// priority queue: unless a higher level is queued).
    #[inline]
    fn pop_envelope(&self) -> Option<Envelope<T, Stamp<F>>> {
        match self.pop_left() {
            Some((envelope, _)) => Some(envelope),
            None => self.pop_queued(),
        }
    }

    /// When a peek left messages: the envelope a receive takes, weighed
    /// against the queue, with its rank (its priority level). `None` (after
    /// one relaxed load) when nothing was left.
    #[inline]
    pub(crate) fn pop_left(&self) -> Option<(Envelope<T, Stamp<F>>, usize)> {
        self.front.pop(&self.queue)
    }

    /// Pops one envelope from the queue, reporting a steal to the sink.
    #[inline]
    fn pop_queued(&self) -> Option<Envelope<T, Stamp<F>>> {
        let home = self.placement.home();
        // A placement without a steal order (all but `Numa`) answers a
        // constant `None`, so this match compiles to the plain pop.
        let (envelope, moved) = match self.placement.steal_order(home) {
            Some(order) => self.queue.pop_nearest(home, order),
            None => self.queue.pop_reporting(home),
        };
        if moved != 0 {
            self.metrics.on_steal(moved);
        }
        envelope
    }

    /// Pops one message without waking anyone.
    #[inline]
    fn take(&self) -> Option<T> {
        let envelope = self.pop_envelope()?;
        self.metrics.on_recv(envelope.stamp);
        Some(envelope.msg)
    }

    /// `try_recv`.
    #[inline]
    pub(crate) fn try_recv(&self) -> Result<T, TryRecvError> {
        match self.take_or_disconnected() {
            Attempt::Done(result) => result.map_err(|_| TryRecvError::Disconnected),
            Attempt::Again => Err(TryRecvError::Empty),
        }
    }

    /// One receive attempt: a message, or `Err` once the channel is empty
    /// and disconnected.
    #[inline]
    fn take_or_disconnected(&self) -> Attempt<Result<T, ()>> {
        match self.take_via(&mut || self.pop_envelope().map(|envelope| (envelope, ()))) {
            Some(result) => Attempt::Done(result.map(|(msg, ())| msg)),
            None => Attempt::Again,
        }
    }

    /// `recv` and its timed forms.
    #[inline]
    pub(crate) fn recv_until(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        if self.queue.meeting().is_some() {
            return self.meet_recv(deadline);
        }
        match self.block_on(&self.receivers, Side::Recv, deadline, || {
            self.take_or_disconnected()
        }) {
            Some(Ok(msg)) => Ok(msg),
            Some(Err(())) => Err(RecvTimeoutError::Disconnected),
            None => Err(RecvTimeoutError::Timeout),
        }
    }
}

impl<T, F: Flavor> Drop for Shared<T, F> {
    fn drop(&mut self) {
        // Whatever is still queued (left by a cancelled hand-over, say) is
        // dropped here, reported to the sink first so that its figures
        // balance; a panicking `Drop` does not stop the others (`DropAll`).
        let mut dropping = DropAll::new();
        for envelope in self.front.drain() {
            self.metrics.on_evict(envelope.stamp);
            dropping.drop_one(envelope.msg);
        }
        while let Some(envelope) = self.queue.pop(0) {
            self.metrics.on_evict(envelope.stamp);
            dropping.drop_one(envelope.msg);
        }
        dropping.finish();
    }
}

#[cfg(test)]
mod tests;
