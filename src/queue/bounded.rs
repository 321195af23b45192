use super::ring::Ring;
use super::{BoundedKind, QueueStrategy, RawQueue, Reservation};
use crate::channel::{Meeting, NotMet};
use crate::error::BuildError;
use crate::wait::Context;

/// A bounded FIFO queue whose capacity `N` is fixed at compile time: a
/// lock-free ring of `N` slots, allocated once when the channel is built.
/// The ring is the crate's own (Vyukov's sequence-numbered slots):
/// `try_send` and `try_recv` are linearizable (they wait out a peer caught
/// between its claim of a slot and its write or read, rather than answer
/// `Full` or `Empty` for a channel that is not; see
/// [the module docs](super#non-blocking-operations-and-preempted-peers)),
/// and `DropOldest` evicts with an atomic hand-over of the oldest slot.
///
/// `Bounded<0>` does not compile; a channel that holds nothing is a
/// [`Rendezvous`](super::Rendezvous) channel. The check fires when the
/// queue is created, so it is seen by every build that uses the type.
///
/// ```compile_fail
/// use may_channel::{Channel, queue::Bounded};
/// let (tx, rx) = Channel::<Bounded<0>>::new::<u32>();
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Bounded<const N: usize>;

/// A bounded FIFO queue whose capacity is chosen at run time (by the
/// builder's `.capacity(n)`, [`Channel::with_config`](crate::Channel::with_config)
/// or [`bounded(n)`](crate::bounded)). Same ring as [`Bounded`].
///
/// A capacity of 0 makes a zero-capacity channel, as in crossbeam-channel
/// and std: it stores nothing and works as a [`Rendezvous`](super::Rendezvous)
/// channel (a send completes when a receiver has the message; `try_send`
/// succeeds only while a receiver waits). The policies keep their meaning:
/// `Block` waits for a receiver, `Reject` only hands over, `DropNewest` and
/// `DropOldest` drop the message when no receiver waits.
///
/// ```
/// let (tx, rx) = may_channel::bounded::<u32>(0);
/// assert_eq!(tx.capacity(), Some(0));
/// assert!(tx.try_send(1).is_err()); // nobody waits
/// let receiver = std::thread::spawn(move || rx.recv());
/// tx.send(2).unwrap(); // returns once the receiver has it
/// assert_eq!(receiver.join().unwrap(), Ok(2));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct DynBounded;

/// The queue [`Bounded`] and [`DynBounded`] build.
pub struct BoundedQueue<T>(Ring<T>);

impl<const N: usize> Bounded<N> {
    const NONZERO: () = assert!(
        N > 0,
        "Bounded<0> holds nothing: use the Rendezvous queue for a zero-capacity channel"
    );
}

impl<const N: usize> QueueStrategy for Bounded<N> {
    type Kind = BoundedKind;
    type Config = ();
    type Queue<T> = BoundedQueue<T>;

    fn new_queue<T>(_: &()) -> Self::Queue<T> {
        let () = Self::NONZERO;
        BoundedQueue(Ring::new(N))
    }
}

impl QueueStrategy for DynBounded {
    type Kind = BoundedKind;
    /// The capacity.
    type Config = usize;
    type Queue<T> = DynBoundedQueue<T>;

    fn validate(capacity: &usize) -> Result<(), BuildError> {
        // The ring compares positions as signed differences, so the capacity
        // must stay far below isize::MAX; isize::MAX / 2 is beyond any memory.
        let max = (isize::MAX as usize) / 2;
        match *capacity {
            n if n > max => Err(BuildError::CapacityTooLarge { requested: n, max }),
            _ => Ok(()),
        }
    }

    fn new_queue<T>(capacity: &usize) -> Self::Queue<T> {
        match *capacity {
            // The ring is not used; one slot keeps it well formed.
            0 => DynBoundedQueue {
                ring: Ring::new(1),
                meeting: Some(Box::new(Meeting::new())),
            },
            n => DynBoundedQueue {
                ring: Ring::new(n),
                meeting: None,
            },
        }
    }
}

/// The queue [`DynBounded`] builds: the ring, or for capacity 0 a
/// rendezvous channel's meeting place.
pub struct DynBoundedQueue<T> {
    ring: Ring<T>,
    meeting: Option<Box<Meeting<T>>>,
}

impl<T> RawQueue<T> for DynBoundedQueue<T> {
    #[inline(always)]
    fn push(&self, item: T, _home: usize) -> Result<(), T> {
        match &self.meeting {
            None => self.ring.push(item),
            Some(meeting) => meeting.give(item, None).map_err(NotMet::into_inner),
        }
    }

    #[inline(always)]
    fn pop(&self, _home: usize) -> Option<T> {
        match &self.meeting {
            None => self.ring.pop(),
            Some(meeting) => meeting.take(None, Context::current()).into_msg(),
        }
    }

    #[inline]
    fn len(&self) -> usize {
        match &self.meeting {
            None => self.ring.len(),
            Some(_) => 0,
        }
    }

    #[inline]
    fn is_empty(&self) -> bool {
        match &self.meeting {
            None => self.ring.is_empty(),
            Some(_) => true,
        }
    }

    #[inline]
    fn capacity(&self) -> Option<usize> {
        match &self.meeting {
            None => Some(self.ring.capacity()),
            Some(_) => Some(0),
        }
    }

    #[inline]
    fn push_evicting(&self, item: T, home: usize) -> Result<Option<T>, T> {
        match &self.meeting {
            None => self.ring.push_evicting(item),
            // Nothing is stored, so nothing can be evicted.
            Some(_) => self.push(item, home).map(|()| None),
        }
    }

    /// On 64-bit targets: the ring's tail carries a closed bit; the meeting
    /// place closes itself.
    const CLOSES: bool = super::ring::CLOSES;

    #[inline]
    fn close(&self) {
        self.ring.close();
        if let Some(meeting) = &self.meeting {
            meeting.close();
        }
    }

    /// Both ends of the ring claim with a `SeqCst` CAS on the counters `len`
    /// reads. (At capacity 0 nobody waits in the channel's lists but those
    /// who only watch readiness, whom the meeting place wakes itself.)
    const CLAIMS_SEQCST: bool = true;

    /// The ring's drain (see `Ring::drain`); a meeting place stores nothing
    /// (each waiting sender still holds its message and takes it back).
    fn drain_on_disconnect(&self) -> Vec<T> {
        match &self.meeting {
            None => self.ring.drain(),
            Some(_) => Vec::new(),
        }
    }

    fn push_batch(&self, items: &mut Vec<T>, home: usize) -> usize {
        match &self.meeting {
            None => self.ring.push_batch(items),
            // A meeting place hands over one message at a time.
            Some(_) => super::push_each(self, items, home),
        }
    }

    fn pop_batch(&self, max: usize, home: usize, sink: &mut impl FnMut(T)) -> (usize, usize) {
        match &self.meeting {
            None => (self.ring.pop_batch(max, sink), 0),
            Some(_) => super::pop_each(self, max, home, sink),
        }
    }

    #[inline]
    fn reserve(&self) -> Reservation {
        match &self.meeting {
            None => self.ring.reservation(),
            Some(_) => Reservation::Unsupported,
        }
    }

    unsafe fn fill_reserved(&self, token: usize, item: T) {
        // SAFETY: the caller's contract; only the ring reserves.
        unsafe { self.ring.fill(token, item) }
    }

    unsafe fn cancel_reserved(&self, token: usize) {
        // SAFETY: as in `fill_reserved`.
        unsafe { self.ring.cancel(token) }
    }

    fn head_held_by_sender(&self) -> bool {
        self.meeting.is_none() && self.ring.head_held()
    }

    fn lent_slots(&self) -> usize {
        match &self.meeting {
            None => self.ring.lent(),
            Some(_) => 0,
        }
    }

    fn allocated_bytes(&self) -> Option<usize> {
        Some(match &self.meeting {
            None => self.ring.slot_bytes(),
            Some(_) => std::mem::size_of::<Meeting<T>>(),
        })
    }

    #[inline]
    fn meeting(&self) -> Option<&Meeting<T>> {
        self.meeting.as_deref()
    }
}

impl<T> std::fmt::Debug for DynBoundedQueue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynBoundedQueue")
            .field("len", &RawQueue::len(self))
            .field("capacity", &RawQueue::capacity(self))
            .finish_non_exhaustive()
    }
}

impl<T> BoundedQueue<T> {
    /// The ring, for the channel core's tests.
    #[cfg(test)]
    pub(crate) fn ring(&self) -> &Ring<T> {
        &self.0
    }
}

impl<T> RawQueue<T> for BoundedQueue<T> {
    #[inline(always)]
    fn push(&self, item: T, _home: usize) -> Result<(), T> {
        self.0.push(item)
    }

    #[inline(always)]
    fn pop(&self, _home: usize) -> Option<T> {
        self.0.pop()
    }

    #[inline]
    fn len(&self) -> usize {
        self.0.len()
    }

    #[inline]
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    #[inline]
    fn capacity(&self) -> Option<usize> {
        Some(self.0.capacity())
    }

    #[inline]
    fn push_evicting(&self, item: T, _home: usize) -> Result<Option<T>, T> {
        self.0.push_evicting(item)
    }

    /// On 64-bit targets: the ring's tail carries a closed bit.
    const CLOSES: bool = super::ring::CLOSES;

    #[inline]
    fn close(&self) {
        self.0.close();
    }

    /// Both ends claim with a `SeqCst` CAS on the counters `len` reads.
    const CLAIMS_SEQCST: bool = true;

    /// Waits for the stores still landing in the closed ring, evicting ones
    /// included (see `Ring::drain`).
    fn drain_on_disconnect(&self) -> Vec<T> {
        self.0.drain()
    }

    fn push_batch(&self, items: &mut Vec<T>, _home: usize) -> usize {
        self.0.push_batch(items)
    }

    fn pop_batch(&self, max: usize, _home: usize, sink: &mut impl FnMut(T)) -> (usize, usize) {
        (self.0.pop_batch(max, sink), 0)
    }

    #[inline]
    fn reserve(&self) -> Reservation {
        self.0.reservation()
    }

    unsafe fn fill_reserved(&self, token: usize, item: T) {
        // SAFETY: the caller's contract.
        unsafe { self.0.fill(token, item) }
    }

    unsafe fn cancel_reserved(&self, token: usize) {
        // SAFETY: the caller's contract.
        unsafe { self.0.cancel(token) }
    }

    fn head_held_by_sender(&self) -> bool {
        self.0.head_held()
    }

    fn lent_slots(&self) -> usize {
        self.0.lent()
    }

    /// The ring, allocated in full when the channel is built.
    fn allocated_bytes(&self) -> Option<usize> {
        Some(self.0.slot_bytes())
    }
}

impl<T> std::fmt::Debug for BoundedQueue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundedQueue")
            .field("len", &RawQueue::len(self))
            .finish_non_exhaustive()
    }
}
