//! The [`History`] sink: a lock-free ring of a channel's last events, the
//! tasks blocked on it and the tasks that hold its handles.

use std::fmt;
use std::sync::OnceLock;
use std::time::Duration;

use crossbeam_utils::CachePadded;

use super::task::{TaskId, TaskState, with_task};
use crate::metrics::{Clock, MetricsSink, Side};
use crate::sync::{AtomicBool, AtomicU64, Ordering, fence, global};

/// Identifies one channel with a [`History`] sink (unique in the process).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelId(pub(crate) u64);

impl ChannelId {
    /// The channel's number (the first History channel made is 1).
    pub fn number(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "channel #{}", self.0)
    }
}

/// Identifies one message sent on a [`History`] channel.
///
/// All History channels share one id space: an id is the number of the
/// channel the message was first sent on and the message's number on that
/// channel, so it names one message in the whole process. Displayed as
/// `msg#3.17` (channel 3, message 17).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(pub(crate) u64);

/// Bits of a message id that number the message within its channel.
const MESSAGE_BITS: u32 = 40;

impl MessageId {
    /// The channel the message was sent on.
    pub fn channel(self) -> ChannelId {
        ChannelId(self.0 >> MESSAGE_BITS)
    }

    /// The message's number on that channel (1 for the first).
    pub fn number(self) -> u64 {
        self.0 & ((1 << MESSAGE_BITS) - 1)
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "msg#{}.{}", self.channel().0, self.number())
    }
}

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A message was stored in the channel.
    Send,
    /// A receiver took a message.
    Recv,
    /// The channel dropped a message: refused by `DropNewest`, evicted by
    /// `DropOldest`, or still queued when the last receiver went.
    Drop,
    /// An operation on this side parked.
    Block(Side),
    /// That operation woke up (or its coroutine was cancelled).
    Wake(Side),
}

/// One entry of a [`History`] ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// The event's place in its channel's history (0 for the first event),
    /// counting events that were overwritten since.
    pub seq: u64,
    /// When, measured from the debugger's epoch (when the process's first
    /// History sink was made), on the CPU's time-stamp counter: events of
    /// all History channels share it.
    pub time: Duration,
    /// On which channel.
    pub channel: ChannelId,
    /// Which coroutine or thread.
    pub task: TaskId,
    /// What.
    pub kind: EventKind,
    /// The message concerned (send, receive, drop); `None` for block and
    /// wake, and for a message whose id was not known.
    pub message: Option<MessageId>,
    /// For a send: the message the sending task received last (on any History
    /// channel), taken as the cause of this one.
    pub parent: Option<MessageId>,
}

/// The tick all event times are measured from (of [`Clock::new`], the same
/// clock in every sink). Set before the first sink records anything, so no
/// event's tick is earlier (but for counters of two cores a few ticks apart,
/// which read as 0).
fn epoch() -> u64 {
    static EPOCH: OnceLock<u64> = OnceLock::new();
    *EPOCH.get_or_init(|| Clock::new().ticks())
}

/// The next channel id.
static NEXT_CHANNEL: global::AtomicU64 = global::AtomicU64::new(1);
/// The next park episode (0: a free slot, 1: a slot being filled).
static NEXT_EPISODE: global::AtomicU64 = global::AtomicU64::new(2);

// ------------------------------------------------------------ event ring

/// Words of an event in a slot: time (clock ticks), task, message, parent,
/// kind.
const WORDS: usize = 5;

/// One ring slot under a sequence lock, a cache line of its own (a sender's
/// and a receiver's events land in neighbouring slots, and would otherwise
/// share lines that both write). `seq` is 0 while the slot never
/// held an event, `2 * (ticket + 1) - 1` while the event with `ticket` is
/// being written and `2 * (ticket + 1)` once it is complete.
#[derive(Default)]
#[repr(align(64))]
struct Slot {
    seq: AtomicU64,
    words: [AtomicU64; WORDS],
}

/// The ring: writers take a ticket with one `fetch_add` and write slot
/// `ticket % N`; readers copy the slots whose sequence did not move while
/// they read them.
struct Ring {
    head: CachePadded<AtomicU64>,
    slots: Box<[Slot]>,
    /// Events not written because their slot was still being written by a
    /// writer one whole lap behind (see `push`).
    skipped: AtomicU64,
}

impl Ring {
    fn new(capacity: usize) -> Self {
        Self {
            head: CachePadded::new(AtomicU64::new(0)),
            slots: (0..capacity).map(|_| Slot::default()).collect(),
            skipped: AtomicU64::new(0),
        }
    }

    /// The slot of `ticket`: a mask when the ring's size is a power of two
    /// (a 64-bit division costs about as much as the rest of a push).
    #[inline]
    fn index(&self, ticket: u64) -> usize {
        let len = self.slots.len() as u64;
        let index = if len.is_power_of_two() {
            ticket & (len - 1)
        } else {
            ticket % len
        };
        index as usize
    }

    /// Appends an event. Wait-free: a writer never waits for another; if the
    /// slot is still being written by the writer of the previous lap (a
    /// writer preempted for `N` whole events), the older of the two events is
    /// dropped and counted in `skipped`.
    fn push(&self, words: [u64; WORDS]) {
        // Relaxed: the ticket only picks a slot and orders events of the
        // ring; the slot's own sequence publishes the event.
        let ticket = self.head.fetch_add(1, Ordering::Relaxed);
        let slot = &self.slots[self.index(ticket)];
        let writing = 2 * (ticket + 1) - 1;
        // Relaxed loads and CAS: the CAS only claims the slot against other
        // writers; what readers see is ordered by the fence below and the
        // Release store at the end.
        let mut seq = slot.seq.load(Ordering::Relaxed);
        loop {
            if seq % 2 == 1 || seq > writing {
                // Being written (by the previous lap's writer, or a later
                // one), or already holding a newer event: give up. (Relaxed:
                // a statistic.)
                self.skipped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            match slot
                .seq
                .compare_exchange_weak(seq, writing, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(now) => seq = now,
            }
        }
        // Release fence: a reader that sees any of the words below also sees
        // `writing` (or a later value) when it re-reads `seq` after its
        // Acquire fence, so it discards a torn copy.
        fence(Ordering::Release);
        for (word, value) in slot.words.iter().zip(words) {
            // Relaxed: published by the Release store of `seq` below.
            word.store(value, Ordering::Relaxed);
        }
        // Release: a reader that loads the even value (Acquire) sees the words.
        slot.seq.store(writing + 1, Ordering::Release);
    }

    /// The complete events in the ring, oldest first, with their tickets.
    fn read(&self) -> Vec<(u64, [u64; WORDS])> {
        let mut out = Vec::with_capacity(self.slots.len());
        for slot in self.slots.iter() {
            // Acquire: pairs with the writer's Release store of the even value.
            let before = slot.seq.load(Ordering::Acquire);
            if before == 0 || before % 2 == 1 {
                continue;
            }
            let mut words = [0; WORDS];
            for (value, word) in words.iter_mut().zip(slot.words.iter()) {
                // Relaxed: validated by the sequence re-read below.
                *value = word.load(Ordering::Relaxed);
            }
            // Acquire fence: pairs with the writer's Release fence, so if any
            // word came from a later writer, the re-read sees its sequence.
            fence(Ordering::Acquire);
            let after = slot.seq.load(Ordering::Relaxed);
            if before == after {
                out.push((before / 2 - 1, words));
            }
        }
        out.sort_unstable_by_key(|(ticket, _)| *ticket);
        out
    }
}

// ----------------------------------------------------- lock-free tables

/// Tasks parked on the channel now, at most this many (more are not seen
/// by the deadlock detector, which can then only miss a deadlock).
const BLOCKED_SLOTS: usize = 64;
/// Tasks known to hold a handle of one side, at most this many (beyond that
/// the side's holders are "unknown" and no deadlock through it is reported).
const HOLDER_SLOTS: usize = 32;

/// A task parked on the channel: `episode` is 0 when the slot is free, 1
/// while it is being filled, otherwise a number unique to this park.
#[derive(Default)]
struct BlockedSlot {
    episode: AtomicU64,
    task: AtomicU64,
    side: AtomicU64,
}

/// A task parked on a channel, as the deadlock detector sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Blocked {
    /// Who.
    pub task: TaskId,
    /// Waiting to send or to receive.
    pub side: Side,
    /// A number unique to this park (a task that wakes and parks again gets
    /// a new one).
    pub episode: u64,
}

/// The tasks known to hold a handle of one side of the channel.
struct Holders {
    slots: [AtomicU64; HOLDER_SLOTS],
    overflowed: AtomicBool,
}

impl Holders {
    fn new() -> Self {
        Self {
            slots: std::array::from_fn(|_| AtomicU64::new(0)),
            overflowed: AtomicBool::new(false),
        }
    }

    /// Adds `task` (only `task` itself adds or removes its entry, so no two
    /// calls race on one task's entry).
    fn add(&self, task: TaskId) {
        // Relaxed throughout: the set is a best-effort record read by the
        // detector, which confirms what it reads by reading twice; it
        // publishes no other data.
        if self
            .slots
            .iter()
            .any(|slot| slot.load(Ordering::Relaxed) == task.raw())
        {
            return;
        }
        for slot in &self.slots {
            if slot
                .compare_exchange(0, task.raw(), Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
        // Relaxed: a flag read on its own by the detector.
        self.overflowed.store(true, Ordering::Relaxed);
    }

    fn remove(&self, task: TaskId) {
        for slot in &self.slots {
            // Relaxed: as in `add`; only `task` stores its own id.
            if slot.load(Ordering::Relaxed) == task.raw() {
                slot.store(0, Ordering::Relaxed);
            }
        }
    }

    fn read(&self) -> HolderSet {
        HolderSet {
            // Relaxed: as in `add`.
            tasks: self
                .slots
                .iter()
                .map(|slot| slot.load(Ordering::Relaxed))
                .filter(|&raw| raw != 0)
                .map(TaskId::from_raw)
                .collect(),
            // Relaxed: as in `add`.
            complete: !self.overflowed.load(Ordering::Relaxed),
        }
    }
}

/// The tasks known to hold a handle of one side of a channel.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HolderSet {
    /// The tasks.
    pub tasks: Vec<TaskId>,
    /// `false` when more tasks used the side than the set can hold: then
    /// some holders are missing from `tasks`.
    pub complete: bool,
}

// ------------------------------------------------------------ the sink

/// The state of a [`History`] sink, whatever its ring size.
pub struct HistoryCore {
    channel: ChannelId,
    /// The process's clock and its epoch ([`epoch`]), copied.
    clock: Clock,
    epoch: u64,
    /// The last message number given out on this channel.
    messages: CachePadded<AtomicU64>,
    ring: Ring,
    blocked: Box<[BlockedSlot]>,
    /// Parks not entered in `blocked` because it was full.
    blocked_overflow: AtomicU64,
    /// `[senders, receivers]`.
    holders: [Holders; 2],
}

fn side_index(side: Side) -> usize {
    match side {
        Side::Send => 0,
        Side::Recv => 1,
    }
}

fn side_word(side: Side) -> u64 {
    side_index(side) as u64
}

fn side_of(word: u64) -> Side {
    if word == 0 { Side::Send } else { Side::Recv }
}

/// Kind words in a ring slot.
const SEND: u64 = 0;
const RECV: u64 = 1;
const DROP: u64 = 2;
const BLOCK: u64 = 3;
const WAKE: u64 = 4;

impl HistoryCore {
    fn new(capacity: usize) -> Self {
        Self {
            // Relaxed: a unique number; it publishes nothing.
            channel: ChannelId(NEXT_CHANNEL.fetch_add(1, Ordering::Relaxed)),
            clock: Clock::new(),
            epoch: epoch(),
            messages: CachePadded::new(AtomicU64::new(0)),
            ring: Ring::new(capacity),
            blocked: (0..BLOCKED_SLOTS).map(|_| BlockedSlot::default()).collect(),
            blocked_overflow: AtomicU64::new(0),
            holders: [Holders::new(), Holders::new()],
        }
    }

    /// This channel's id.
    pub fn channel_id(&self) -> ChannelId {
        self.channel
    }

    /// How many events the ring keeps.
    pub fn capacity(&self) -> usize {
        self.ring.slots.len()
    }

    /// Events recorded since the channel was made (including those the ring
    /// has overwritten since).
    pub fn recorded(&self) -> u64 {
        // Relaxed: a statistic.
        self.ring.head.load(Ordering::Relaxed)
    }

    /// Events lost because their slot was still being written by a writer a
    /// whole lap behind (rare: it needs a writer stalled for a lap).
    pub fn skipped(&self) -> u64 {
        // Relaxed: a statistic.
        self.ring.skipped.load(Ordering::Relaxed)
    }

    /// The events in the ring, oldest first: at most the last `N`.
    pub fn events(&self) -> Vec<Event> {
        self.ring
            .read()
            .into_iter()
            .map(|(seq, [time, task, message, parent, kind])| {
                let id = |raw| (raw != 0).then_some(MessageId(raw));
                Event {
                    seq,
                    time: Duration::from_nanos(self.clock.nanos_between(self.epoch, time)),
                    channel: self.channel,
                    task: TaskId::from_raw(task),
                    kind: match kind & 0xff {
                        SEND => EventKind::Send,
                        RECV => EventKind::Recv,
                        DROP => EventKind::Drop,
                        BLOCK => EventKind::Block(side_of(kind >> 8)),
                        _ => EventKind::Wake(side_of(kind >> 8)),
                    },
                    message: id(message),
                    parent: id(parent),
                }
            })
            .collect()
    }

    /// The tasks parked on the channel now.
    pub fn blocked(&self) -> Vec<Blocked> {
        let mut out = Vec::new();
        for slot in self.blocked.iter() {
            // Acquire: pairs with the Release store that publishes the
            // episode, so `task` and `side` below are the episode's.
            let episode = slot.episode.load(Ordering::Acquire);
            if episode < 2 {
                continue;
            }
            // Relaxed: validated by the re-read below.
            let task = slot.task.load(Ordering::Relaxed);
            let side = slot.side.load(Ordering::Relaxed);
            // Acquire fence: pairs with the Release fence of a later claim of
            // the slot, so if the loads above saw its writes, the re-read
            // sees the slot change (episodes are never reused).
            fence(Ordering::Acquire);
            if slot.episode.load(Ordering::Relaxed) == episode {
                out.push(Blocked {
                    task: TaskId::from_raw(task),
                    side: side_of(side),
                    episode,
                });
            }
        }
        out
    }

    /// Parks that the blocked table could not record (more than 64 at once).
    pub fn blocked_overflow(&self) -> u64 {
        // Relaxed: a statistic.
        self.blocked_overflow.load(Ordering::Relaxed)
    }

    /// The tasks known to hold a handle of `side`: those that sent (or
    /// received, for [`Side::Recv`]) or blocked on that side, and those that
    /// declared one with [`hold`](super::hold), less those that dropped a
    /// handle of that side since.
    pub fn holders(&self, side: Side) -> HolderSet {
        self.holders[side_index(side)].read()
    }

    fn record(&self, task: TaskId, kind: u64, message: u64, parent: u64) {
        // Ticks, not nanoseconds: `events` converts them.
        let time = self.clock.ticks();
        self.ring.push([time, task.raw(), message, parent, kind]);
    }

    /// Records `task` as a holder of `side`, once per task and channel (the
    /// task's one-entry cache skips the scan after the first time).
    fn note_holder(&self, task: &TaskState, side: Side) {
        let cache = match side {
            Side::Send => &task.holds_send,
            Side::Recv => &task.holds_recv,
        };
        if cache.get() != self.channel.0 {
            self.holders[side_index(side)].add(task.id);
            cache.set(self.channel.0);
        }
    }

    /// The id the task stamped last on this channel (0 when unknown).
    fn pending(&self, task: &TaskState) -> u64 {
        match task.pending.get() {
            (channel, id) if channel == self.channel.0 => id,
            _ => 0,
        }
    }

    pub(crate) fn hold(&self, side: Side) {
        with_task(|task| {
            self.holders[side_index(side)].add(task.id);
        });
    }

    fn stamp(&self) -> u64 {
        // Relaxed: a unique number; it publishes nothing.
        let number = self.messages.fetch_add(1, Ordering::Relaxed) + 1;
        // Numbers wrap within their 40 bits after 2^40 messages on one
        // channel (ids are then reused, which only confuses tracing).
        let id = self.channel.0 << MESSAGE_BITS | (number & ((1 << MESSAGE_BITS) - 1));
        with_task(|task| task.pending.set((self.channel.0, id)));
        id
    }

    fn on_send(&self) {
        with_task(|task| {
            self.note_holder(task, Side::Send);
            self.record(task.id, SEND, self.pending(task), task.current.get());
        });
    }

    fn on_recv(&self, id: u64) {
        with_task(|task| {
            task.current.set(id);
            self.note_holder(task, Side::Recv);
            self.record(task.id, RECV, id, 0);
        });
    }

    fn on_discard(&self) {
        with_task(|task| self.record(task.id, DROP, self.pending(task), 0));
    }

    fn on_evict(&self, id: u64) {
        with_task(|task| self.record(task.id, DROP, id, 0));
    }

    fn on_block(&self, side: Side) -> Option<usize> {
        with_task(|task| {
            self.note_holder(task, side);
            self.record(task.id, BLOCK | side_word(side) << 8, 0, 0);
            // Relaxed: a unique number; the slot's Release store publishes it.
            let episode = NEXT_EPISODE.fetch_add(1, Ordering::Relaxed);
            for (index, slot) in self.blocked.iter().enumerate() {
                // Relaxed CAS: claims the free slot against other parkers;
                // readers skip the value 1, and the fence and Release store
                // below publish the filled slot.
                if slot
                    .episode
                    .compare_exchange(0, 1, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
                {
                    // Release fence: a reader whose loads see the writes
                    // below sees the slot's episode change on its re-read.
                    fence(Ordering::Release);
                    // Relaxed: published by the Release store below.
                    slot.task.store(task.id.raw(), Ordering::Relaxed);
                    slot.side.store(side_word(side), Ordering::Relaxed);
                    slot.episode.store(episode, Ordering::Release);
                    return Some(index);
                }
            }
            // Relaxed: a statistic.
            self.blocked_overflow.fetch_add(1, Ordering::Relaxed);
            None
        })
    }

    fn on_unblock(&self, side: Side, slot: Option<usize>) {
        if let Some(index) = slot {
            // Release: the slot's next claimer is ordered after this park
            // (the readers need no more than the episode changing).
            self.blocked[index].episode.store(0, Ordering::Release);
        }
        with_task(|task| self.record(task.id, WAKE | side_word(side) << 8, 0, 0));
    }

    fn on_release(&self, side: Side) {
        with_task(|task| {
            self.holders[side_index(side)].remove(task.id);
            let cache = match side {
                Side::Send => &task.holds_send,
                Side::Recv => &task.holds_recv,
            };
            if cache.get() == self.channel.0 {
                cache.set(0);
            }
        });
    }
}

/// A debug sink: a ring of the channel's last `N` events (send, receive,
/// drop, block, wake), with their time, task (coroutine or thread) and
/// message id, plus who is parked on the channel now and who holds its
/// handles, for the [`Debugger`](super::Debugger)'s flow tracing and
/// deadlock detection.
///
/// # What it records
/// - Every message gets an id ([`MessageId`], the sink's stamp) from a
///   process-wide counter, so ids are unique across channels. A send records
///   as its *parent* the message the sending task received last on any
///   History channel: a stage that receives message 7 and then sends message
///   12 links 12 to 7, which is what
///   [`Debugger::trace_message_flow`](super::Debugger::trace_message_flow)
///   follows.
/// - Block and wake events bracket every park of a blocked operation; the
///   parked tasks are also kept in a table of 64 slots that the deadlock
///   detector reads.
/// - A task becomes a *holder* of a side when it sends, receives or blocks on
///   that side, or declares a handle with [`hold`](super::hold); it stops
///   being one when it drops a handle of that side.
///
/// # Cost and concurrency
/// Every hook is lock-free: a ticket `fetch_add` and a sequence-locked slot
/// write (six stores), a read of the time-stamp counter (the clock of
/// [`Latency`](crate::metrics::Latency)), and one coroutine- or thread-local
/// lookup; a task's first operation on a side also scans a 32-slot holder
/// set. Readers copy the slots whose sequence did not move while they read
/// them, so an event is never seen torn. When the ring wraps, a writer whose
/// slot is still being written by the writer a whole lap behind drops its
/// event and counts it in [`skipped`](HistoryCore::skipped).
///
/// ```
/// use may_channel::debug::{EventKind, History};
/// use may_channel::{Channel, queue::Bounded};
///
/// type Traced = Channel<Bounded<4>, may_channel::wait::SpinThenPark,
///                       may_channel::backpressure::Block, History<16>>;
/// let (tx, rx) = Traced::new();
/// tx.send("a").unwrap();
/// rx.recv().unwrap();
/// let kinds: Vec<_> = tx.sink().events().iter().map(|e| e.kind).collect();
/// assert_eq!(kinds, [EventKind::Send, EventKind::Recv]);
/// ```
pub struct History<const N: usize> {
    core: HistoryCore,
}

impl<const N: usize> Default for History<N> {
    fn default() -> Self {
        const { assert!(N > 0, "a History ring holds at least one event") };
        Self {
            core: HistoryCore::new(N),
        }
    }
}

impl<const N: usize> std::ops::Deref for History<N> {
    type Target = HistoryCore;
    fn deref(&self) -> &HistoryCore {
        &self.core
    }
}

impl<const N: usize> fmt::Debug for History<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("History")
            .field("channel", &self.core.channel)
            .field("capacity", &N)
            .field("recorded", &self.core.recorded())
            .finish_non_exhaustive()
    }
}

impl<const N: usize> MetricsSink for History<N> {
    type Stamp = MessageId;
    type BlockStamp = Option<usize>;

    #[inline]
    fn stamp(&self) -> MessageId {
        MessageId(self.core.stamp())
    }
    #[inline]
    fn on_send(&self) {
        self.core.on_send();
    }
    #[inline]
    fn on_recv(&self, stamp: MessageId) {
        self.core.on_recv(stamp.0);
    }
    #[inline]
    fn on_discard(&self) {
        self.core.on_discard();
    }
    #[inline]
    fn on_evict(&self, stamp: MessageId) {
        self.core.on_evict(stamp.0);
    }
    #[inline]
    fn on_block(&self, side: Side) -> Option<usize> {
        self.core.on_block(side)
    }
    #[inline]
    fn on_unblock(&self, side: Side, slot: Option<usize>) {
        self.core.on_unblock(side, slot);
    }
    #[inline]
    fn on_release(&self, side: Side) {
        self.core.on_release(side);
    }
}

impl<const N: usize> crate::export::PrometheusMetrics for History<N> {
    fn collect(&self, out: &mut crate::export::Collector<'_>) {
        out.counter(
            "history_events",
            "Events recorded in the channel's history ring (including overwritten ones).",
            self.recorded(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_keeps_the_last_n_in_order() {
        let ring = Ring::new(4);
        for i in 0..10u64 {
            ring.push([i, i, i, i, i]);
        }
        let read = ring.read();
        let tickets: Vec<u64> = read.iter().map(|(t, _)| *t).collect();
        assert_eq!(tickets, [6, 7, 8, 9]);
        assert!(read.iter().all(|(t, words)| words.iter().all(|w| w == t)));
    }

    #[test]
    fn blocked_table_and_holders() {
        let core = HistoryCore::new(8);
        let slot = core.on_block(Side::Recv);
        assert!(slot.is_some());
        let blocked = core.blocked();
        assert_eq!(blocked.len(), 1);
        assert_eq!(blocked[0].side, Side::Recv);
        assert!(core.holders(Side::Recv).tasks.contains(&blocked[0].task));
        core.on_unblock(Side::Recv, slot);
        assert!(core.blocked().is_empty());
        core.on_release(Side::Recv);
        assert!(core.holders(Side::Recv).tasks.is_empty());
    }
}
