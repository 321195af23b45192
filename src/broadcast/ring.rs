//! The ring behind a broadcast channel.
//!
//! Slots are `RwLock`s: a sender takes the write lock of the one slot it
//! fills (senders are serialised by `write`), subscribers take read locks to
//! clone. `tail` (the next position to fill) is published with `Release`
//! after the slot is written, so a subscriber that reads `tail` with
//! `Acquire` and sees position `p < tail` finds slot `p % capacity` holding
//! message `p` or a newer one (then it lagged).

use std::sync::Arc;
use std::time::Instant;

use crossbeam_utils::CachePadded;

use super::{Overflow, RecvTimeoutError, TryRecvError};
use crate::channel::{WaitList, block_on};
use crate::sync::{AtomicBool, AtomicU64, AtomicUsize, Mutex, Ordering, RwLock, fence, lock};
use crate::wait::SpinThenPark;

struct Slot<T> {
    /// The position of the message held, if any.
    position: u64,
    value: Option<T>,
}

/// A subscriber's position: the next message it will read. Under
/// [`Overflow::Block`] the position is also published to the senders.
pub(crate) struct Cursor {
    position: u64,
    published: Option<Arc<CachePadded<AtomicU64>>>,
}

impl Cursor {
    pub(crate) fn position(&self) -> u64 {
        self.position
    }
}

pub(crate) struct Ring<T> {
    slots: Box<[RwLock<Slot<T>>]>,
    tail: CachePadded<AtomicU64>,
    /// Serialises senders, and cursor registration under `Block`.
    write: Mutex<()>,
    closed: AtomicBool,
    senders: AtomicUsize,
    subscribers: AtomicUsize,
    overflow: Overflow,
    /// Subscribers waiting for a message.
    readers: WaitList,
    /// `Block` only: senders waiting for the slowest subscriber.
    writers: WaitList,
    /// `Block` only: every subscriber's published position.
    cursors: Mutex<Vec<Arc<CachePadded<AtomicU64>>>>,
}

impl<T: Clone> Ring<T> {
    pub(crate) fn new(capacity: usize, overflow: Overflow) -> Self {
        Self {
            slots: (0..capacity)
                .map(|_| {
                    RwLock::new(Slot {
                        position: 0,
                        value: None,
                    })
                })
                .collect(),
            tail: CachePadded::new(AtomicU64::new(0)),
            write: Mutex::new(()),
            closed: AtomicBool::new(false),
            senders: AtomicUsize::new(1),
            subscribers: AtomicUsize::new(0),
            overflow,
            readers: WaitList::new(),
            writers: WaitList::new(),
            cursors: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    fn capacity_u64(&self) -> u64 {
        self.slots.len() as u64
    }

    pub(crate) fn tail(&self) -> u64 {
        // Acquire: pairs with the Release store in `store`, so the slots
        // below the tail are seen written.
        self.tail.load(Ordering::Acquire)
    }

    pub(crate) fn is_closed(&self) -> bool {
        // Acquire: pairs with the Release store in `remove_sender`, after
        // every send of every sender.
        self.closed.load(Ordering::Acquire)
    }

    pub(crate) fn subscriber_count(&self) -> usize {
        // Relaxed: a snapshot for the caller.
        self.subscribers.load(Ordering::Relaxed)
    }

    fn slot(&self, position: u64) -> &RwLock<Slot<T>> {
        &self.slots[(position % self.capacity_u64()) as usize]
    }

    // --------------------------------------------------------- handles

    pub(crate) fn add_sender(&self) {
        // Relaxed: a new handle is made from a live one (as `Arc::clone`).
        self.senders.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn remove_sender(&self) {
        // AcqRel: the last sender sees every other sender's sends complete.
        if self.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.closed.store(true, Ordering::Release);
            fence(Ordering::SeqCst);
            self.readers.notify_all();
        }
    }

    /// A subscriber `back` messages before the newest position, but not
    /// before the oldest message still held.
    pub(crate) fn subscribe_back(&self, back: u64) -> Cursor {
        let _write = lock(&self.write);
        let tail = self.tail();
        let oldest = tail.saturating_sub(self.capacity_u64());
        self.register(tail.saturating_sub(back).max(oldest))
    }

    /// Counts a new subscriber at `position` (and publishes its position
    /// under `Block`).
    pub(crate) fn register(&self, position: u64) -> Cursor {
        // Relaxed: a count for callers; registration itself is ordered by the
        // `cursors` lock.
        self.subscribers.fetch_add(1, Ordering::Relaxed);
        let published = (self.overflow == Overflow::Block).then(|| {
            let published = Arc::new(CachePadded::new(AtomicU64::new(position)));
            lock(&self.cursors).push(Arc::clone(&published));
            published
        });
        Cursor {
            position,
            published,
        }
    }

    /// A subscriber leaves: under `Block` its hold on the ring is released at
    /// once and waiting senders are woken.
    pub(crate) fn unregister(&self, cursor: &Cursor) {
        // Relaxed: as in `register`.
        self.subscribers.fetch_sub(1, Ordering::Relaxed);
        if let Some(published) = &cursor.published {
            lock(&self.cursors).retain(|other| !Arc::ptr_eq(other, published));
            fence(Ordering::SeqCst);
            self.writers.notify_all();
        }
    }

    // --------------------------------------------------------- sending

    /// The position of the slowest subscriber (`u64::MAX` when none).
    fn slowest(&self) -> u64 {
        // Acquire: pairs with the Release store in `advance`, so a
        // subscriber's read of a slot happened before we refill that slot.
        lock(&self.cursors)
            .iter()
            .map(|c| c.load(Ordering::Acquire))
            .min()
            .unwrap_or(u64::MAX)
    }

    /// Fills the next slot; returns the message it replaced.
    fn store(&self, msg: T) -> Option<T> {
        // Relaxed: only senders write `tail`, and they hold `write`.
        let position = self.tail.load(Ordering::Relaxed);
        let replaced = {
            let mut slot = self
                .slot(position)
                .write()
                .unwrap_or_else(|e| e.into_inner());
            slot.position = position;
            slot.value.replace(msg)
        };
        // Release: publishes the slot write to subscribers that Acquire-load
        // the tail.
        self.tail.store(position + 1, Ordering::Release);
        replaced
    }

    /// Publishes `msg`; under `Block` waits until `deadline` for the slowest
    /// subscriber, handing `msg` back if it passes.
    pub(crate) fn send(&self, msg: T, deadline: Option<Instant>) -> Result<usize, T> {
        let replaced = match self.overflow {
            Overflow::Lag => {
                let _write = lock(&self.write);
                self.store(msg)
            }
            Overflow::Block => {
                let mut pending = Some(msg);
                let stored = block_on(
                    &self.writers,
                    &SpinThenPark,
                    deadline,
                    || {
                        let _write = lock(&self.write);
                        let position = self.tail.load(Ordering::Relaxed);
                        // The slot to fill holds message `position - capacity`;
                        // wait while a subscriber has not read it.
                        if position >= self.capacity_u64()
                            && self.slowest() <= position - self.capacity_u64()
                        {
                            return None;
                        }
                        Some(self.store(pending.take().expect("kept until stored")))
                    },
                    || false,
                    |waiter, context, deadline| waiter.park(context, deadline),
                );
                match stored {
                    Some(replaced) => replaced,
                    None => return Err(pending.take().expect("not stored")),
                }
            }
        };
        // Dropped outside every lock: a subscriber's clone of it is its own.
        drop(replaced);
        fence(Ordering::SeqCst);
        self.readers.notify_all();
        Ok(self.subscriber_count())
    }

    // ------------------------------------------------------- receiving

    /// Moves `cursor` to `position` (publishing it under `Block`).
    fn advance(&self, cursor: &mut Cursor, position: u64) {
        cursor.position = position;
        if let Some(published) = &cursor.published {
            // Release: pairs with the Acquire in `slowest`; the read of the
            // slot happened before.
            published.store(position, Ordering::Release);
            fence(Ordering::SeqCst);
            self.writers.notify_all();
        }
    }

    pub(crate) fn try_recv(&self, cursor: &mut Cursor) -> Result<T, TryRecvError> {
        loop {
            let tail = self.tail();
            if cursor.position >= tail {
                if !self.is_closed() {
                    return Err(TryRecvError::Empty);
                }
                // Closed: every send happened before; look once more.
                if cursor.position >= self.tail() {
                    return Err(TryRecvError::Closed);
                }
                continue;
            }
            let oldest = tail.saturating_sub(self.capacity_u64());
            if cursor.position < oldest {
                let missed = oldest - cursor.position;
                self.advance(cursor, oldest);
                return Err(TryRecvError::Lagged(missed));
            }
            let value = {
                let slot = self
                    .slot(cursor.position)
                    .read()
                    .unwrap_or_else(|e| e.into_inner());
                if slot.position != cursor.position {
                    // Overwritten since we read the tail: we lagged; the next
                    // pass reports by how much.
                    None
                } else {
                    Some(slot.value.clone().expect("a filled slot holds its message"))
                }
            };
            if let Some(value) = value {
                self.advance(cursor, cursor.position + 1);
                return Ok(value);
            }
        }
    }

    pub(crate) fn recv(
        &self,
        cursor: &mut Cursor,
        deadline: Option<Instant>,
    ) -> Result<T, RecvTimeoutError> {
        let outcome = block_on(
            &self.readers,
            &SpinThenPark,
            deadline,
            || match self.try_recv(cursor) {
                Err(TryRecvError::Empty) => None,
                other => Some(other),
            },
            || false,
            |waiter, context, deadline| waiter.park(context, deadline),
        );
        match outcome {
            None => Err(RecvTimeoutError::Timeout),
            Some(Ok(value)) => Ok(value),
            Some(Err(TryRecvError::Lagged(n))) => Err(RecvTimeoutError::Lagged(n)),
            Some(Err(TryRecvError::Closed | TryRecvError::Empty)) => Err(RecvTimeoutError::Closed),
        }
    }

    pub(crate) fn pending(&self, cursor: &Cursor) -> u64 {
        self.tail().saturating_sub(cursor.position)
    }
}
