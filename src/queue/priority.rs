//! Priority queues: one FIFO queue per [`Priority`] level, and a bitmask of
//! the levels that may hold messages, so that the highest non-empty level is
//! found with one `leading_zeros` and no lock.
//!
//! # The bitmask
//!
//! Bit `l` of `occupied` is a *hint* that level `l` holds a message; the
//! level queues themselves order the data (a successful push happens before
//! the pop that returns its item, as every [`RawQueue`] promises). The hint
//! keeps one invariant:
//!
//! > **(I)** If a push into level `l` has returned, then until its item is
//! > popped, bit `l` is set, or a pop that cleared bit `l` has not yet
//! > finished re-checking level `l` (and that re-check sets it again).
//!
//! It holds because every write to `occupied` is a read-modify-write:
//! - a push stores its item, *then* sets the bit (`fetch_or`, `Release`);
//! - a pop that finds a level empty clears the bit (`fetch_and`, `AcqRel`),
//!   *then* re-checks the level and sets the bit again if it holds anything.
//!
//! Take a push of item `x` with its `fetch_or` `S`, and a clear `C`. All
//! writes to `occupied` are RMWs, so they are totally ordered (the mask's
//! modification order) and each one continues the release sequence of the
//! ones before it. If `S` comes after `C`, the bit is set after the clear.
//! If `S` comes before `C`, then `C` reads `S`'s release sequence, so (with
//! `C`'s `Acquire`) the push of `x` happens before `C`'s re-check, which
//! therefore sees `x` (unless `x` was popped already) and restores the bit.
//!
//! (I) is what a *single* receiver needs for exact priority order: a message
//! whose send returned is visible in the mask to the next receive. With
//! several receivers, a receive may see a bit that another receiver is
//! clearing and re-setting; so a receive that finds the mask empty scans the
//! levels directly before it reports the queue empty. The channel core's
//! wake-up protocol (a receiver re-checks the queue after linking its waiter)
//! thus never misses a message because of the hint.

use std::marker::PhantomData;

use crossbeam_utils::{Backoff, CachePadded};

use super::{Bounded, DynBounded, QueueStrategy, RawQueue, Reservation, Unbounded};
use crate::error::BuildError;
use crate::sync::{AtomicUsize, Ordering};

/// The priority of a message: `Low < Normal < High < Critical`.
///
/// A receive takes a message of the highest level queued, oldest first
/// within a level. [`send`](crate::Sender::send) uses [`Priority::Normal`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Priority {
    /// Taken only when nothing more urgent is queued.
    Low = 0,
    /// The level of a plain `send`.
    #[default]
    Normal = 1,
    /// Taken before `Normal` and `Low`.
    High = 2,
    /// Taken before everything else.
    Critical = 3,
}

impl Priority {
    /// Every level, lowest first.
    pub const ALL: [Priority; LEVELS] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Critical,
    ];

    /// The level's index: 0 for `Low` up to 3 for `Critical`.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The level with index `index`, if there is one.
    pub const fn from_index(index: usize) -> Option<Priority> {
        if index < LEVELS {
            Some(Self::ALL[index])
        } else {
            None
        }
    }

    const fn bit(self) -> usize {
        1 << self.index()
    }
}

/// How many levels a priority queue has.
const LEVELS: usize = 4;

/// The bits of every level in the `occupied` mask.
const ALL_LEVELS: usize = (1 << LEVELS) - 1;

/// A queue that can serve as one level of a [`Prioritized`] queue: a FIFO
/// queue that is not a hand-over queue.
///
/// Implemented for [`Unbounded`], [`Bounded<N>`] and [`DynBounded`]; not for
/// [`Rendezvous`](super::Rendezvous) (it stores nothing to order),
/// [`Slots`](super::Slots) (a lent slot cannot move between levels) or
/// [`Prioritized`] itself.
///
/// To use your own queue as a level, implement this marker for it. Its
/// contract: `pop` is FIFO, and a bounded queue's `push` succeeds whenever
/// fewer than `capacity()` items are stored in it (each level gets the whole
/// capacity; the priority queue caps the total).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a level of a priority queue",
    label = "priorities need a plain FIFO queue for each level",
    note = "use `Unbounded`, `Bounded<N>` or `DynBounded` (or a FIFO queue of yours that implements `Prioritizable`); a queue cannot be given priorities twice"
)]
pub trait Prioritizable: QueueStrategy {
    /// Checks the settings of a level beyond the queue's own `validate`
    /// (default: nothing more). A level must store messages, so
    /// `DynBounded` refuses capacity 0 here, which on its own would make a
    /// zero-capacity channel.
    fn validate_level(config: &Self::Config) -> Result<(), BuildError> {
        let _ = config;
        Ok(())
    }
}

impl Prioritizable for Unbounded {}
impl<const N: usize> Prioritizable for Bounded<N> {}
impl Prioritizable for DynBounded {
    fn validate_level(capacity: &usize) -> Result<(), BuildError> {
        if *capacity == 0 {
            return Err(BuildError::ZeroCapacity);
        }
        Ok(())
    }
}

/// A priority queue: one `Q` queue per [`Priority`] level.
///
/// - `recv` takes the oldest message of the highest level queued.
/// - **Capacity is shared:** `Prioritized<Bounded<N>>` holds at most `N`
///   messages in total, at any mix of levels (each level has its own ring of
///   `N` slots, so any one level can fill the channel; memory is 4 × `N`
///   slots). `Prioritized<DynBounded>` takes its capacity at run time the
///   same way. `Prioritized<Unbounded>` is never full.
/// - `AGING` (0, the default, turns it off) is anti-starvation: when it is
///   `K >= 2`, every `K`-th receive takes the oldest message of the *lowest*
///   level queued instead of the highest, so a steady stream of urgent
///   messages cannot starve the others for ever. Under several racing
///   receivers the count is shared, so "every `K`-th" is approximate.
///
/// The queue keeps the kind of `Q`, so the backpressure policies of `Q`
/// apply (see [`crate::priority`] for what each one does with levels).
///
/// ```
/// use may_channel::Channel;
/// use may_channel::queue::{Bounded, Prioritized};
/// use may_channel::priority::Priority;
///
/// let (tx, rx) = Channel::<Prioritized<Bounded<8>>>::new();
/// tx.send_with_priority("later", Priority::Low).unwrap();
/// tx.send("normal").unwrap();
/// tx.send_with_priority("now", Priority::Critical).unwrap();
/// assert_eq!(rx.recv(), Ok("now"));
/// assert_eq!(rx.recv_with_priority(), Ok(("normal", Priority::Normal)));
/// assert_eq!(rx.recv(), Ok("later"));
/// ```
///
/// A queue that stores nothing cannot be given priorities:
///
/// ```compile_fail
/// use may_channel::Channel;
/// use may_channel::queue::{Prioritized, Rendezvous};
/// let (tx, rx) = Channel::<Prioritized<Rendezvous>>::new::<u32>();
/// ```
pub struct Prioritized<Q, const AGING: usize = 0>(PhantomData<fn() -> Q>);

impl<Q: Prioritizable, const AGING: usize> Prioritized<Q, AGING> {
    const VALID: () = {
        assert!(
            !Q::HANDOFF,
            "a hand-over queue cannot be a level of a priority queue"
        );
        assert!(
            AGING != 1,
            "AGING = 1 would take the lowest level on every receive: use 0 (off) or at least 2"
        );
    };
}

impl<Q: Prioritizable, const AGING: usize> QueueStrategy for Prioritized<Q, AGING> {
    type Kind = Q::Kind;
    /// The settings of each level's queue (the shared capacity, for
    /// [`DynBounded`]).
    type Config = Q::Config;
    type Queue<T> = PriorityQueue<T, Q, AGING>;

    fn validate(config: &Q::Config) -> Result<(), BuildError> {
        Q::validate(config)?;
        Q::validate_level(config)
    }

    fn new_queue<T>(config: &Q::Config) -> Self::Queue<T> {
        let () = Self::VALID;
        let levels: [Q::Queue<T>; LEVELS] = std::array::from_fn(|_| Q::new_queue(config));
        let capacity = levels[0].capacity();
        PriorityQueue {
            levels,
            occupied: CachePadded::new(AtomicUsize::new(0)),
            stored: CachePadded::new(AtomicUsize::new(0)),
            capacity,
            received: AtomicUsize::new(0),
            reserved: AtomicUsize::new(0),
        }
    }
}

/// The queue [`Prioritized`] builds. Besides the [`RawQueue`] methods (which
/// push at [`Priority::Normal`] and pop the highest level), it pushes at a
/// chosen level and tells the level of what it pops.
pub struct PriorityQueue<T, Q: QueueStrategy, const AGING: usize> {
    /// One FIFO queue per level, `Low` first.
    levels: [Q::Queue<T>; LEVELS],
    /// Bit `l` set: level `l` may hold items (module docs, invariant (I)).
    occupied: CachePadded<AtomicUsize>,
    /// Bounded queues only: items stored or being stored, at all levels; a
    /// push reserves a unit before it stores, a pop returns it after.
    stored: CachePadded<AtomicUsize>,
    /// The shared capacity; `None` when the levels are unbounded.
    capacity: Option<usize>,
    /// `AGING > 0` only: receives so far, to pick every `AGING`-th (a
    /// peek does not count; taking a peeked message does).
    received: AtomicUsize,
    /// Bounded queues only: units reserved for a select's send branch whose
    /// message is not stored yet (`RawQueue::reserve`), which `stored`
    /// counts and the channel's `len()` leaves out. Only reservations
    /// touch it.
    reserved: AtomicUsize,
}

impl<T, Q: QueueStrategy, const AGING: usize> PriorityQueue<T, Q, AGING> {
    /// Stores `item` at `level`, or hands it back when the queue is full.
    pub fn push_at(&self, level: Priority, item: T) -> Result<(), T> {
        if !self.reserve_unit() {
            return Err(item);
        }
        self.store_reserved(level, item)
    }

    /// Stores `item` at `level`; when the queue is full, evicts and returns
    /// the oldest item of the lowest non-empty level, if that level is not
    /// above `level`. Hands `item` back when everything queued is more
    /// urgent than it (the lowest non-empty level is above `level`).
    pub fn push_evicting_at(&self, level: Priority, mut item: T) -> Result<Option<T>, T> {
        let backoff = Backoff::new();
        loop {
            match self.push_at(level, item) {
                Ok(()) => return Ok(None),
                Err(refused) => item = refused,
            }
            // Full: look for a victim from the lowest level up to `level`.
            for victim_level in &Priority::ALL[..=level.index()] {
                if let Some(victim) = self.levels[victim_level.index()].pop(0) {
                    // The victim's unit of capacity passes to `item`, so the
                    // total never exceeds the capacity, even for a moment.
                    // A level ring can refuse for a moment although the unit
                    // is reserved: a receiver that took the message of the
                    // slot we need has not handed the slot back yet. Wait
                    // for it (this is `DropOldest`'s `send`, which must
                    // store the newcomer).
                    let mut pending = item;
                    let store_backoff = Backoff::new();
                    while let Err(refused) = self.store_reserved_unit(level, pending) {
                        pending = refused;
                        store_backoff.snooze();
                    }
                    return Ok(Some(victim));
                }
            }
            if Priority::ALL[level.index() + 1..]
                .iter()
                .any(|higher| !self.levels[higher.index()].is_empty())
            {
                return Err(item);
            }
            // Everything looked empty although the capacity was taken: other
            // pushes have reserved but not stored yet, or pops have taken but
            // not released yet. Both finish in a few steps.
            backoff.snooze();
        }
    }

    /// Takes the oldest item of the highest non-empty level (every
    /// `AGING`-th receive: of the lowest), with its level.
    pub fn pop_with_level(&self) -> Option<(T, Priority)> {
        self.pick(None, true, false).ok()
    }

    /// The pick of a receive (`count`: it counts towards `AGING`), a peek
    /// (neither flag) or a `DropOldest` eviction (`evict`) against messages
    /// held outside the queue (a channel's peek front) whose highest and
    /// lowest levels are `left`.
    ///
    /// Pops the item that goes first if it is queued: on an ordinary turn
    /// the oldest of the highest level *above* every left level, on an
    /// `AGING` turn or an eviction the oldest of the lowest level *below*
    /// every left level (on a tie the left message goes first: it is older).
    /// Otherwise says which left message goes: `Err(true)` the oldest of the
    /// lowest left level (an `AGING` turn or an eviction), `Err(false)` the
    /// oldest of the highest. With `left == None` an `Err` means empty.
    /// A receive served from the left messages counts towards `AGING` too.
    pub(crate) fn pick(
        &self,
        left: Option<(Priority, Priority)>,
        count: bool,
        evict: bool,
    ) -> Result<(T, Priority), bool> {
        let lowest_first = evict || self.aged_turn();
        let allowed = match left {
            None => ALL_LEVELS,
            // Strictly below the lowest left level.
            Some((_, lowest)) if lowest_first => lowest.bit() - 1,
            // Strictly above the highest left level.
            Some((highest, _)) => ALL_LEVELS & !((highest.bit() << 1) - 1),
        };
        match self.pop_among(allowed, lowest_first) {
            Some(popped) => {
                if count {
                    self.count_receive();
                }
                Ok(popped)
            }
            None => {
                if count && left.is_some() {
                    self.count_receive();
                }
                Err(lowest_first)
            }
        }
    }

    /// Whether the next receive is an `AGING` turn (takes the lowest level).
    #[inline]
    fn aged_turn(&self) -> bool {
        // Relaxed: a statistic that picks a level; it orders nothing.
        AGING > 0 && self.received.load(Ordering::Relaxed) % AGING == AGING - 1
    }

    /// One receive happened (for `AGING`).
    #[inline]
    pub(crate) fn count_receive(&self) {
        if AGING > 0 {
            // Relaxed: as in `aged_turn`.
            self.received.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Pops the oldest item of the highest (or, `lowest_first`, the lowest)
    /// non-empty level among the `allowed` bits.
    fn pop_among(&self, allowed: usize, lowest_first: bool) -> Option<(T, Priority)> {
        // Fast path: the mask names the level. Each failed round clears one
        // stale bit, so this ends after at most a few rounds unless other
        // receivers keep re-setting bits, which the bound cuts short.
        for _ in 0..2 * LEVELS {
            // Acquire: pairs with the `Release` of a push's `fetch_or`, so a
            // set bit means the push that set it is visible to the pop below.
            let mask = self.occupied.load(Ordering::Acquire) & allowed;
            if mask == 0 {
                break;
            }
            let index = if lowest_first {
                mask.trailing_zeros() as usize
            } else {
                (usize::BITS - 1 - mask.leading_zeros()) as usize
            };
            let level = Priority::ALL[index];
            if let Some(item) = self.levels[index].pop(0) {
                return Some(self.popped(item, level));
            }
            self.clear_if_empty(level);
        }
        // Slow path: the mask may be empty only because another receiver is
        // between clearing a bit and re-setting it; look at the levels
        // themselves before reporting empty.
        let order: &mut dyn Iterator<Item = &Priority> = if lowest_first {
            &mut Priority::ALL.iter()
        } else {
            &mut Priority::ALL.iter().rev()
        };
        for &level in order {
            if allowed & level.bit() == 0 {
                continue;
            }
            if let Some(item) = self.levels[level.index()].pop(0) {
                return Some(self.popped(item, level));
            }
        }
        None
    }

    /// Items queued at `level` now (a snapshot under concurrency).
    pub fn len_at(&self, level: Priority) -> usize {
        self.levels[level.index()].len()
    }

    /// Reserves one unit of capacity; always succeeds when unbounded.
    #[inline]
    fn reserve_unit(&self) -> bool {
        let Some(capacity) = self.capacity else {
            return true;
        };
        self.stored
            .fetch_update(
                // Acquire: pairs with the `Release` in `popped`, so the pop
                // that freed this unit has emptied its slot before we store.
                Ordering::Acquire,
                // Relaxed: a failed read only decides "full".
                Ordering::Relaxed,
                |stored| (stored < capacity).then_some(stored + 1),
            )
            .is_ok()
    }

    /// Stores `item` at `level` with a unit of capacity already reserved;
    /// gives the unit back if the level refuses.
    #[inline]
    fn store_reserved(&self, level: Priority, item: T) -> Result<(), T> {
        self.store_reserved_unit(level, item).inspect_err(|_| {
            // A level ring refuses for a moment while a receiver finishes
            // with the slot it needs (or a user queue breaks the
            // `Prioritizable` contract); give the unit back.
            if self.capacity.is_some() {
                // Release: as in `popped`.
                self.stored.fetch_sub(1, Ordering::Release);
            }
        })
    }

    /// Stores `item` at `level` with a unit of capacity already reserved;
    /// keeps the unit if the level refuses.
    #[inline]
    fn store_reserved_unit(&self, level: Priority, item: T) -> Result<(), T> {
        self.levels[level.index()].push(item, 0)?;
        // Release: a receive whose `Acquire` load sees the bit also sees the
        // item; and the RMW puts the set in the mask's modification order,
        // which invariant (I) relies on (module docs).
        self.occupied.fetch_or(level.bit(), Ordering::Release);
        Ok(())
    }

    /// Bookkeeping after a successful pop.
    #[inline]
    fn popped(&self, item: T, level: Priority) -> (T, Priority) {
        if self.capacity.is_some() {
            // Release: pairs with the `Acquire` in `reserve` (the slot is
            // free before its unit is reused).
            self.stored.fetch_sub(1, Ordering::Release);
        }
        (item, level)
    }

    /// Clears the bit of a level found empty, then re-checks the level and
    /// sets the bit again if a push got in (invariant (I)).
    #[cold]
    fn clear_if_empty(&self, level: Priority) {
        // AcqRel: Acquire so that every push whose `fetch_or` precedes this
        // clear in the mask's modification order happens before the re-check
        // below (module docs); Release so that a later clear that reads this
        // one still continues the release sequences of those pushes.
        self.occupied.fetch_and(!level.bit(), Ordering::AcqRel);
        if !self.levels[level.index()].is_empty() {
            // Release: as in `store_reserved`.
            self.occupied.fetch_or(level.bit(), Ordering::Release);
        }
    }
}

impl<T, Q: QueueStrategy, const AGING: usize> RawQueue<T> for PriorityQueue<T, Q, AGING> {
    /// Stores `item` at [`Priority::Normal`].
    #[inline]
    fn push(&self, item: T, _home: usize) -> Result<(), T> {
        self.push_at(Priority::Normal, item)
    }

    /// Takes the oldest item of the highest non-empty level.
    #[inline]
    fn pop(&self, _home: usize) -> Option<T> {
        self.pop_with_level().map(|(item, _)| item)
    }

    fn len(&self) -> usize {
        match self.capacity {
            // Relaxed: a snapshot; it counts pushes in progress too.
            Some(_) => self.stored.load(Ordering::Relaxed),
            None => self.levels.iter().map(RawQueue::len).sum(),
        }
    }

    fn is_empty(&self) -> bool {
        self.levels.iter().all(RawQueue::is_empty)
    }

    fn capacity(&self) -> Option<usize> {
        self.capacity
    }

    /// The sum over the levels' queues.
    fn allocated_bytes(&self) -> Option<usize> {
        self.levels.iter().map(RawQueue::allocated_bytes).sum()
    }

    /// Stores `item` at [`Priority::Normal`], evicting as
    /// [`push_evicting_at`](PriorityQueue::push_evicting_at) does.
    fn push_evicting(&self, item: T, _home: usize) -> Result<Option<T>, T> {
        self.push_evicting_at(Priority::Normal, item)
    }

    /// A unit of the shared capacity, for a message to be stored at
    /// [`Priority::Normal`] (a select's send branch). Unbounded levels never
    /// refuse a push, so they do not reserve.
    fn reserve(&self) -> Reservation {
        if self.capacity.is_none() {
            return Reservation::Unsupported;
        }
        // SeqCst, before the unit: the channel core then reads its
        // disconnected flag (SeqCst); a receiver that reads the flag set
        // and then this count (SeqCst) either sees the reservation, or the
        // reservation sees the flag and is given up (a store-buffer pair).
        self.reserved.fetch_add(1, Ordering::SeqCst);
        if self.reserve_unit() {
            Reservation::Held(0)
        } else {
            // SeqCst: as above.
            self.reserved.fetch_sub(1, Ordering::SeqCst);
            Reservation::Refused
        }
    }

    unsafe fn fill_reserved(&self, _token: usize, item: T) {
        // The unit is ours, so the level has room by its counters; it can
        // refuse only while a receiver finishes with the slot it needs.
        let backoff = Backoff::new();
        let mut pending = item;
        while let Err(refused) = self.store_reserved_unit(Priority::Normal, pending) {
            pending = refused;
            backoff.snooze();
        }
        // SeqCst: after the store; a receiver that reads the decrement then
        // finds the message.
        self.reserved.fetch_sub(1, Ordering::SeqCst);
    }

    unsafe fn cancel_reserved(&self, _token: usize) {
        // Release: as in `popped` (the unit goes back).
        self.stored.fetch_sub(1, Ordering::Release);
        // SeqCst: as in `fill_reserved`.
        self.reserved.fetch_sub(1, Ordering::SeqCst);
    }

    fn lent_slots(&self) -> usize {
        // SeqCst: the receiver's half of the pair described in `reserve`.
        self.reserved.load(Ordering::SeqCst)
    }
}
