//! The storage axis: where queued messages live.
//!
//! A [`QueueStrategy`] is a zero-sized *family* of queues: its generic
//! associated type [`QueueStrategy::Queue`] is the concrete queue for a given
//! item type. The channel core stores an envelope (the message plus whatever
//! stamp the metrics sink keeps beside it) in that queue.
//!
//! Shipped strategies:
//!
//! | strategy | kind | storage |
//! |---|---|---|
//! | [`Unbounded`] | [`UnboundedKind`] | lock-free list of segments (our own) |
//! | [`Spsc`] | [`UnboundedKind`] | list of segments for one producer and one consumer (one atomic read-modify-write per message through the [`spsc`](crate::spsc) handles) |
//! | [`SpscBounded<N>`] | [`NoEvictKind`] | ring of `N` slots for one producer and one consumer (one atomic read-modify-write per side through the [`spsc`](crate::spsc) handles) |
//! | [`Bounded<N>`] | [`BoundedKind`] | lock-free ring of `N` slots (our own, Vyukov-style) |
//! | [`DynBounded`] | [`BoundedKind`] | the same ring, capacity chosen at run time |
//! | [`Rendezvous`] | [`RendezvousKind`] | no storage: a send completes when a receiver takes it |
//! | [`Slots<N>`] | [`LendingKind`] | ring of `N` reusable slots that lend `&mut T` (zero-copy) |
//! | [`WorkStealing`] | [`UnboundedKind`] | one unbounded queue per worker; empty receivers steal a batch |
//! | [`Prioritized<Q>`] | `Q`'s | one `Q` per [`Priority`] level and a bitmask of non-empty levels |
//!
//! # Memory
//!
//! [`RawQueue::allocated_bytes`] reports the message storage a queue holds;
//! every handle has `allocated_bytes()` and the Prometheus exporter a gauge.
//! Rings ([`Bounded`], [`DynBounded`], [`Slots`]) allocate their slots once,
//! when the channel is built. [`Unbounded`] allocates nothing until its
//! first send, grows by one segment ([`segment_bytes`]) per
//! [`SEGMENT_ITEMS`] messages and frees each segment as soon as receivers
//! have drained it, so after a burst its memory falls back to its floor of
//! one or two segments (the one in use and, once that one has taken a
//! message, its successor, linked ahead of time),
//! unlike queues built on a `VecDeque` that keep their largest buffer;
//! [`WorkStealing`] keeps that floor per worker queue used and
//! [`Prioritized`] per level used. `tests/memory.rs` checks this
//! against a counting global allocator after a million-message burst.
//!
//! # Non-blocking operations and preempted peers
//!
//! `try_send` and `try_recv` never park, and on the crate's own queues they
//! are *linearizable*: each takes effect at one instant between its call and
//! its return, so a `try_recv` never answers `Empty` while the channel holds
//! a message whose send has returned (a thread's own `send` then `try_recv`
//! always finds a message), and a channel that reports `!is_empty()` has a
//! message for the next `try_recv` of its only receiver. `len` and
//! `is_empty` count *claims* (a sender that has reserved a slot), so this
//! needs a `try_recv` that meets a claimed but not yet written slot to wait
//! for its sender rather than answer `Empty`, and a `try_send` that meets a
//! slot still being read (with the ring not full by its counters) to wait
//! for its receiver rather than answer `Full`. What each queue does:
//!
//! | queue | a `try_*` that meets a half-done slot |
//! |---|---|
//! | [`Bounded`], [`DynBounded`] (the crate's own ring) | waits (spinning, then yielding) for the peer between its claim and its write or read |
//! | [`Unbounded`] (the crate's own segmented list) | `try_recv` waits for the sender of the claimed slot; once per [`SEGMENT_ITEMS`] messages an operation also waits for a same-side thread moving the queue's end to the next segment |
//! | [`Slots`] (zero-copy) | answers `Empty` / `Full` at once: a lent slot is held by user code (a `SendRef` being filled, a `RecvRef` being read), which no call may wait for; the lent slot's send or receive is not complete until the guard is published or dropped |
//! | [`Rendezvous`] | a short lock held only for a few instructions |
//!
//! The wait is for a peer's few instructions between its claim and its
//! write (never across a park or user code), so it is long only when the
//! kernel preempted the peer there; crossbeam-channel's queues make the
//! same choice (crossbeam#997 is about that cost). Answering at once
//! instead would need `len` to count only completed slots, which no
//! lock-free counter gives. `DropOldest`'s `send` waits for the slot it
//! evicts for the same reason. The *blocking* operations wait too, and a
//! blocked `recv` (or `send`) whose last check before parking finds a slot
//! claimed and not yet finished yields and retries instead of parking,
//! because the peer's claim, not a fence after its write, is what tells
//! waiters to look again ([`RawQueue::CLAIMS_SEQCST`]).
//!
//! `benches/nonblocking.rs` measures the slowest `try_*` call beside twice
//! as many busy threads as cores, against the peers
//! (`cargo bench --bench nonblocking`).
//!
//! # Implementing your own queue
//!
//! A queue must not block (the channel core does all waiting) and must hand
//! back an item it refuses. It asks nothing of `T`: the channel's handles
//! are `Send` and `Sync` exactly when the queue is `Send + Sync`, which the
//! compiler works out (a `Mutex<VecDeque<T>>` is, for `T: Send`), so a
//! channel of `Rc`s over the same queue works on one thread. Here is a
//! bounded queue built on a mutex-protected `VecDeque`, which is slower than
//! [`Bounded`] but shows the whole contract:
//!
//! ```
//! use std::collections::VecDeque;
//! use std::sync::Mutex;
//! use may_channel::queue::{BoundedKind, QueueStrategy, RawQueue};
//! use may_channel::{BuildError, Channel};
//!
//! /// A bounded queue of 64 slots behind a lock.
//! struct LockedDeque;
//!
//! struct LockedDequeQueue<T>(Mutex<VecDeque<T>>);
//!
//! impl<T> RawQueue<T> for LockedDequeQueue<T> {
//!     fn push(&self, item: T, _home: usize) -> Result<(), T> {
//!         let mut q = self.0.lock().unwrap();
//!         if q.len() == 64 { return Err(item) }
//!         q.push_back(item);
//!         Ok(())
//!     }
//!     fn pop(&self, _home: usize) -> Option<T> {
//!         self.0.lock().unwrap().pop_front()
//!     }
//!     fn len(&self) -> usize {
//!         self.0.lock().unwrap().len()
//!     }
//!     fn capacity(&self) -> Option<usize> {
//!         Some(64)
//!     }
//! }
//!
//! impl QueueStrategy for LockedDeque {
//!     type Kind = BoundedKind;
//!     type Config = ();
//!     type Queue<T> = LockedDequeQueue<T>;
//!     fn new_queue<T>(_: &()) -> Self::Queue<T> {
//!         LockedDequeQueue(Mutex::new(VecDeque::with_capacity(64)))
//!     }
//! }
//!
//! type Locked = Channel<LockedDeque>;
//! let (tx, rx) = Locked::new();
//! tx.send("hello").unwrap();
//! assert_eq!(rx.recv(), Ok("hello"));
//! ```
//!
//! A complete example with a custom strategy on every axis is in
//! `examples/custom_strategies.rs`.

/// The `RawQueue` methods the two single-producer queues ([`Spsc`],
/// [`SpscBounded`]) write alike: each side's lock-free operation under that
/// side's lock (`send_lock`, `recv_lock` fields), the length from the two
/// ends' words (the tail's counts in twos), and the closed flag in bit 0 of
/// the tail's word. `tail` and `head` are the field paths of those words.
macro_rules! spsc_locked_sides {
    (tail: $($tail:ident).+, head: $($head:ident).+) => {
        #[inline]
        fn push(&self, item: T, _home: usize) -> Result<(), T> {
            let _turn = $crate::queue::spsc::Turn::take(&self.send_lock);
            // SAFETY: the send lock makes us the only producer.
            unsafe { self.push_exclusive(item) }
        }

        #[inline]
        fn pop(&self, _home: usize) -> Option<T> {
            let _turn = $crate::queue::spsc::Turn::take(&self.recv_lock);
            // SAFETY: the receive lock makes us the only consumer.
            unsafe { self.pop_exclusive() }
        }

        #[inline]
        fn len(&self) -> usize {
            $crate::queue::spsc::queued(&self.$($head).+, &self.$($tail).+)
        }

        #[inline]
        fn is_empty(&self) -> bool {
            self.len() == 0
        }

        /// The tail word carries a closed flag.
        const CLOSES: bool = true;

        fn close(&self) {
            $crate::queue::spsc::close_tail(&self.$($tail).+);
        }
    };
}

mod bounded;
#[cfg(all(test, loom))]
mod loom_tests;
mod priority;
mod rendezvous;
mod ring;
mod slots;
mod spsc;
mod spsc_ring;
#[cfg(test)]
mod test_support;
mod unbounded;
mod work_stealing;

pub use bounded::{Bounded, BoundedQueue, DynBounded, DynBoundedQueue};
pub use priority::{Prioritizable, Prioritized, Priority, PriorityQueue};
pub use rendezvous::{Rendezvous, RendezvousQueue};
pub use slots::{Claim, SlotQueue, Slots};
pub use spsc::{SPSC_SEGMENT_ITEMS, Spsc, SpscQueue, spsc_segment_bytes};
pub use spsc_ring::{SpscBounded, SpscRingQueue};
pub use unbounded::{SEGMENT_ITEMS, Unbounded, UnboundedQueue, segment_bytes};
pub use work_stealing::{WorkStealing, WorkStealingQueue, Workers};

use crate::backpressure::Backpressure;
use crate::error::BuildError;

/// A family of queues, one per item type. See the [module docs](self).
pub trait QueueStrategy: Send + Sync + 'static {
    /// What kind of storage this is. The kind decides which backpressure
    /// policies make sense (an unbounded queue is never full, a rendezvous
    /// queue holds nothing to evict) and which one the builder picks by
    /// default.
    type Kind: QueueKind;

    /// Runtime settings the queue needs (a capacity, say); `()` when none.
    type Config: Clone + Send + Sync + 'static;

    /// The queue for items of type `T`.
    type Queue<T>: RawQueue<T>;

    /// Whether this is the crate's zero-capacity [`Rendezvous`] queue, a
    /// meeting place of senders and receivers rather than a store: the
    /// channel core then waits through the queue's meeting
    /// ([`RawQueue::meeting`]). Leave it `false`: a queue of your own stores
    /// what it takes.
    #[doc(hidden)]
    const HANDOFF: bool = false;

    /// Checks runtime settings before a channel is built.
    fn validate(config: &Self::Config) -> Result<(), BuildError> {
        let _ = config;
        Ok(())
    }

    /// Creates an empty queue. Called once per channel, after
    /// [`validate`](Self::validate) accepted `config`.
    fn new_queue<T>(config: &Self::Config) -> Self::Queue<T>;
}

/// One queue instance, shared by every handle of a channel.
///
/// # Contract
/// - Every method is called concurrently from many threads and coroutines
///   when the queue is `Sync` (only then are the handles `Send` and `Sync`),
///   and none may block or park: the channel core owns all waiting.
/// - `push` must hand back an item it does not store; `pop` returns items
///   in the order the queue promises (FIFO for the shipped queues).
/// - A successful `push` must *happen before* the `pop` that returns the
///   item (release/acquire on the slot, as every lock-free queue does); the
///   core adds the `SeqCst` fences its wake-up protocol needs, so a queue
///   need not use `SeqCst` itself. A queue whose own atomics can stand in
///   for those fences, or that can close itself, says so with the opt-in
///   constants [`CLAIMS_SEQCST`](RawQueue::CLAIMS_SEQCST) and
///   [`CLOSES`](RawQueue::CLOSES), each with its own promise; the defaults
///   promise nothing.
/// - `home` is the caller's shard as the channel's
///   [`Placement`](crate::placement::Placement) computes it (always 0 for
///   [`Anywhere`](crate::placement::Anywhere)); queues that do not shard
///   ignore it.
pub trait RawQueue<T> {
    /// Stores `item`, or hands it back when the queue is full (or closed:
    /// [`CLOSES`](Self::CLOSES)).
    fn push(&self, item: T, home: usize) -> Result<(), T>;

    /// Takes the oldest item, if any.
    fn pop(&self, home: usize) -> Option<T>;

    /// How many items are stored now (a snapshot under concurrency).
    fn len(&self) -> usize;

    /// Whether nothing is stored now.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most items the queue stores; `None` when unbounded.
    fn capacity(&self) -> Option<usize>;

    /// Stores `item`, evicting and returning the oldest item when the queue
    /// is full. Used by the [`DropOldest`](crate::backpressure::DropOldest)
    /// policy, which only bounded-kind queues accept.
    ///
    /// The default cannot evict: it behaves as `push` and hands `item` back
    /// when full, and the channel then discards the *incoming* message (and
    /// counts it as dropped). Bounded queues should override it with an
    /// atomic evict-and-push.
    fn push_evicting(&self, item: T, home: usize) -> Result<Option<T>, T> {
        self.push(item, home).map(|()| None)
    }

    // Plumbing for the crate's own rendezvous queue, hidden from the
    // documented contract: a custom queue keeps the default.
    #[doc(hidden)]
    fn meeting(&self) -> Option<&crate::channel::Meeting<T>> {
        None
    }

    /// Like [`pop`](Self::pop), also saying how many items the pop moved
    /// between the queue's internal shards (work stealing), for the metrics
    /// sink's `on_steal`. Queues without shards keep the default.
    #[inline]
    fn pop_reporting(&self, home: usize) -> (Option<T>, usize) {
        (self.pop(home), 0)
    }

    /// Like [`pop_reporting`](Self::pop_reporting), for a placement that
    /// names the order in which to visit the other shards when `home`'s is
    /// empty ([`Placement::steal_order`](crate::placement::Placement::steal_order):
    /// nearest NUMA nodes first). Queues without shards keep the default,
    /// which ignores `order`.
    #[inline]
    fn pop_nearest(&self, home: usize, order: &[usize]) -> (Option<T>, usize) {
        let _ = order;
        self.pop_reporting(home)
    }

    /// The bytes of message storage the queue holds now: its slots and
    /// segments, whether allocated up front (a ring) or as messages arrive (a
    /// segmented list), for memory reporting
    /// ([`Sender::allocated_bytes`](crate::Sender::allocated_bytes), the
    /// Prometheus gauge `may_channel_allocated_bytes`). The channel's fixed
    /// bookkeeping (counters, waiter lists) is not counted. A snapshot under
    /// concurrency, like [`len`](Self::len). The default, `None`, means the
    /// queue does not say.
    fn allocated_bytes(&self) -> Option<usize> {
        None
    }

    /// Lending queues only ([`Slots`]): whether the oldest position is held
    /// by a sender that claimed it and has not published it yet (a live
    /// zero-copy [`SendRef`](crate::zerocopy::SendRef)), so that a `pop`
    /// finds nothing although the queue is not empty. A select then waits
    /// for the sender's wake-up instead of retrying. A hint, asked after the
    /// caller linked its waiter and issued a `SeqCst` fence: it may say
    /// `false` when unsure (the select retries), and may say `true` only
    /// when the publish it missed is followed by a wake-up that will find
    /// the waiter (the sender's own fence and wake-up). Other queues keep
    /// the default, `false`: their stores finish inside `push`.
    // Plumbing for the crate's own lending queue (`Slots`), hidden from the
    // documented contract: a custom queue keeps the default.
    #[doc(hidden)]
    fn head_held_by_sender(&self) -> bool {
        false
    }

    /// Lending queues only ([`Slots`]): how many slots are lent to senders
    /// now (claimed through the zero-copy `send_ref` and not yet
    /// published). [`len`](Self::len) counts them, since they take room;
    /// the channel's `len()` does not, since no receiver can take them yet.
    /// A closed channel counts as drained only once this is 0, so that a
    /// slot lent before `close` is received before receivers see
    /// `Disconnected` (see `channel/close.rs`, which also says what ordering
    /// the answer needs: a 0 must be read with `Acquire`). Other queues keep
    /// the default, 0: every store they accept finishes inside the
    /// channel's in-flight bracket.
    // Plumbing for the crate's own lending queue (`Slots`), hidden from the
    // documented contract: a custom queue keeps the default.
    #[doc(hidden)]
    fn lent_slots(&self) -> usize {
        0
    }

    /// Stores items from the front of `items`, in order, as many as fit
    /// now, and removes them from `items`; returns how many. A queue that can
    /// claim several places at once publishes a batch with one claim (the
    /// ring does); the default stores them one by one. Never waits for room:
    /// stops at the first item refused (full or closed), which stays in
    /// `items` with everything after it.
    // Plumbing for the batch sends, hidden from the documented contract: a
    // custom queue keeps the default.
    #[doc(hidden)]
    fn push_batch(&self, items: &mut Vec<T>, home: usize) -> usize
    where
        Self: Sized,
    {
        push_each(self, items, home)
    }

    /// Takes up to `max` items, oldest first, handing each to `sink`;
    /// returns how many, and how many items the pops moved between shards
    /// (as [`pop_reporting`](Self::pop_reporting)). The default pops them
    /// one by one; the ring claims the published run at its head with one
    /// claim (should `sink` unwind, the items of the run not yet handed
    /// over are dropped, so that their slots go back to the senders).
    // Plumbing for the batch receives, hidden as `push_batch` is.
    #[doc(hidden)]
    fn pop_batch(&self, max: usize, home: usize, sink: &mut impl FnMut(T)) -> (usize, usize)
    where
        Self: Sized,
    {
        pop_each(self, max, home, sink)
    }

    /// Reserves room for one item to come, for a select's send branch,
    /// which must not evaluate its value unless it can store it: the
    /// reservation is then [filled](Self::fill_reserved) or
    /// [cancelled](Self::cancel_reserved), exactly once. While one is out,
    /// [`len`](Self::len) counts it and [`lent_slots`](Self::lent_slots)
    /// does too (so the channel's `len()` does not), and a reservation at
    /// the oldest position answers [`head_held_by_sender`](Self::head_held_by_sender).
    /// The default, [`Reservation::Unsupported`], makes the select store
    /// after it evaluated the value, and keep the value for its next round
    /// if the room went to a competitor meanwhile.
    // Plumbing for the crate's own ring and priority queue, hidden from
    // the documented contract: a custom queue keeps the default.
    #[doc(hidden)]
    fn reserve(&self) -> Reservation {
        Reservation::Unsupported
    }

    /// Stores `item` in the room reserved by `token`.
    ///
    /// # Safety
    /// `token` came from [`reserve`](Self::reserve) on this queue, and is
    /// filled or cancelled once.
    #[doc(hidden)]
    unsafe fn fill_reserved(&self, token: usize, item: T) {
        let _ = (token, item);
        unreachable!("a queue that reserves nothing fills nothing")
    }

    /// Gives up the room reserved by `token`.
    ///
    /// # Safety
    /// As for [`fill_reserved`](Self::fill_reserved).
    #[doc(hidden)]
    unsafe fn cancel_reserved(&self, token: usize) {
        let _ = token;
        unreachable!("a queue that reserves nothing cancels nothing")
    }

    /// Whether the queue closes itself for stores ([`close`](Self::close)).
    /// A channel over such a queue drops the bracket it otherwise puts
    /// around every store (an atomic swap on a per-thread mark and a store,
    /// so that a receiver can tell "closed and drained" from "a send is
    /// about to land"; see `channel/close.rs`): the queue's own closed mark
    /// decides which stores made it.
    ///
    /// A queue that says `true` promises:
    /// - once [`close`](Self::close) has returned (on any thread), every
    ///   [`push`](Self::push) and [`push_evicting`](Self::push_evicting) that
    ///   had not yet claimed its place hands its item back;
    /// - a store that finds the queue closed observes the closed mark with
    ///   `Acquire` (pairing with `close`'s `Release`): the core calls `close`
    ///   after it set its own disconnected flag and classifies a refused
    ///   store as "disconnected" by reading that flag;
    /// - [`is_empty`](Self::is_empty) counts stores that claimed a place and
    ///   are still writing their item: after a close, it turns `true` only
    ///   once each of them has landed and been popped (or handed back).
    ///   Stores never block, so a receiver that finds a closed queue not yet
    ///   empty but with nothing to pop waits for them (spinning, then
    ///   yielding), as it waits out the bracket otherwise.
    ///
    /// The default, `false`, keeps the bracket: nothing is asked of the queue.
    const CLOSES: bool = false;

    /// Whether every store and every take claims its place with a `SeqCst`
    /// read-modify-write of a word that [`len`](Self::len) and
    /// [`is_empty`](Self::is_empty) read, and finishes its write (or read)
    /// in the same call, without blocking. `len` then counts a store from
    /// its claim, before its item is visible, and a take frees room only
    /// when it releases its slot; so the core lets a receiver whose `pop`
    /// failed while `is_empty()` is `false` (a sender is mid-store), or a
    /// sender whose `push` failed while `len() < capacity` (a receiver is
    /// mid-take), retry instead of parking, and the claims are the
    /// operations' halves of waker invariant 4: the core issues no fence
    /// after a store or a take. A queue that is never full (its kind is
    /// [`UnboundedKind`]) need not claim its takes: no sender ever waits
    /// for room there, so the core consults only the stores' claims (the
    /// crate's [`Spsc`] queue publishes each store with its one `SeqCst`
    /// CAS, after the write, and takes with a plain store). The default,
    /// `false`, keeps the fences.
    const CLAIMS_SEQCST: bool = false;

    /// [`CLOSES`](Self::CLOSES) queues: refuses every store that has not
    /// claimed its place yet, for good. Idempotent and called concurrently:
    /// by the channel's `close` (or its last sender or receiver), and by each
    /// receiver that finds the channel disconnected before it decides the
    /// channel is drained (the closing thread may not have got here yet).
    /// Must not block. The default does nothing.
    fn close(&self) {}

    /// Removes everything still stored, for the channel to drop when its
    /// last receiver goes. Handoff queues keep their item (its sender takes
    /// it back), so they return nothing here.
    ///
    /// Called with no receiver left and no store able to start: the core
    /// first waits out every store in flight (or, for a queue that
    /// [closes itself](Self::CLOSES), closes it; it then calls this again
    /// until [`is_empty`](Self::is_empty), so stores that claimed their
    /// place before the close are taken as they land). It may be called
    /// again later (a zero-copy slot that lands after the drain).
    fn drain_on_disconnect(&self) -> Vec<T> {
        let mut items = Vec::new();
        while let Some(item) = self.pop(0) {
            items.push(item);
        }
        items
    }
}

/// [`RawQueue::push_batch`] one item at a time.
pub(crate) fn push_each<T>(queue: &impl RawQueue<T>, items: &mut Vec<T>, home: usize) -> usize {
    let mut pending = std::mem::take(items).into_iter();
    let mut stored = 0;
    for item in pending.by_ref() {
        if let Err(item) = queue.push(item, home) {
            items.push(item);
            break;
        }
        stored += 1;
    }
    items.extend(pending);
    stored
}

/// [`RawQueue::pop_batch`] one item at a time.
pub(crate) fn pop_each<T>(
    queue: &impl RawQueue<T>,
    max: usize,
    home: usize,
    sink: &mut impl FnMut(T),
) -> (usize, usize) {
    let (mut taken, mut moved) = (0, 0);
    while taken < max {
        let (Some(item), shifted) = queue.pop_reporting(home) else {
            break;
        };
        moved += shifted;
        sink(item);
        taken += 1;
    }
    (taken, moved)
}

/// What [`RawQueue::reserve`] did. Plumbing, not part of the API.
#[doc(hidden)]
#[derive(Debug)]
pub enum Reservation {
    /// Room is held; the token identifies it.
    Held(usize),
    /// No room now, or the queue is closed.
    Refused,
    /// The queue does not reserve.
    Unsupported,
}

mod sealed {
    pub trait Sealed {}
    pub trait SealedSpsc {}
}

/// The queues of the [`spsc`](crate::spsc) handles: [`Spsc`] and
/// [`SpscBounded`]. Besides their `RawQueue` methods (sound from any number
/// of threads: each side takes a lock), they have lock-free operations
/// that are only sound for one producer and one consumer, which is what the
/// `spsc` handles guarantee by being neither `Clone` nor `Sync`. Sealed.
pub trait SpscStrategy: QueueStrategy + sealed::SealedSpsc {
    /// Stores `item` (or hands it back: full or closed) without the send
    /// lock.
    ///
    /// # Safety
    /// No other push on `queue` runs at the same time.
    #[doc(hidden)]
    unsafe fn push_exclusive<T>(queue: &Self::Queue<T>, item: T) -> Result<(), T>;

    /// Takes the oldest item without the receive lock.
    ///
    /// # Safety
    /// No other pop on `queue` runs at the same time.
    #[doc(hidden)]
    unsafe fn pop_exclusive<T>(queue: &Self::Queue<T>) -> Option<T>;
}

impl sealed::SealedSpsc for Spsc {}
impl<const N: usize> sealed::SealedSpsc for SpscBounded<N> {}

/// The kinds of storage; a sealed set, since each kind fixes which
/// backpressure policies apply. Your queue picks one as its
/// [`QueueStrategy::Kind`].
pub trait QueueKind: sealed::Sealed + Send + Sync + 'static {
    /// The policy the builder uses when none is chosen.
    type DefaultBackpressure: Backpressure;
}

/// A queue that is never full. Accepts only
/// [`Unlimited`](crate::backpressure::Unlimited).
pub enum UnboundedKind {}
/// A queue that fills up. Accepts [`Block`](crate::backpressure::Block)
/// (the default), [`Reject`](crate::backpressure::Reject),
/// [`DropNewest`](crate::backpressure::DropNewest) and
/// [`DropOldest`](crate::backpressure::DropOldest).
pub enum BoundedKind {}
/// A queue of capacity zero. Accepts [`Block`](crate::backpressure::Block)
/// (the default) and [`Reject`](crate::backpressure::Reject).
pub enum RendezvousKind {}
/// A bounded queue that lends its slots ([`Slots`]). Accepts
/// [`Block`](crate::backpressure::Block) (the default),
/// [`Reject`](crate::backpressure::Reject) and
/// [`DropNewest`](crate::backpressure::DropNewest); not `DropOldest`, since a
/// lent slot cannot be evicted.
pub enum LendingKind {}
/// A bounded queue that cannot evict its oldest message ([`SpscBounded`]:
/// evicting would make the producer a second consumer). Accepts
/// [`Block`](crate::backpressure::Block) (the default),
/// [`Reject`](crate::backpressure::Reject) and
/// [`DropNewest`](crate::backpressure::DropNewest).
pub enum NoEvictKind {}

impl sealed::Sealed for UnboundedKind {}
impl sealed::Sealed for BoundedKind {}
impl sealed::Sealed for RendezvousKind {}
impl sealed::Sealed for LendingKind {}
impl sealed::Sealed for NoEvictKind {}

impl QueueKind for UnboundedKind {
    type DefaultBackpressure = crate::backpressure::Unlimited;
}
impl QueueKind for BoundedKind {
    type DefaultBackpressure = crate::backpressure::Block;
}
impl QueueKind for RendezvousKind {
    type DefaultBackpressure = crate::backpressure::Block;
}
impl QueueKind for LendingKind {
    type DefaultBackpressure = crate::backpressure::Block;
}
impl QueueKind for NoEvictKind {
    type DefaultBackpressure = crate::backpressure::Block;
}
