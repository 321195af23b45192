use super::ring::Ring;
use super::{BoundedKind, QueueStrategy, RawQueue};
use crate::error::BuildError;

/// A bounded FIFO queue whose capacity `N` is fixed at compile time: a
/// lock-free ring of `N` slots, allocated once when the channel is built.
/// The ring is the crate's own (Vyukov's sequence-numbered slots), so that
/// `try_send` and `try_recv` never wait for a peer that was preempted in
/// the middle of its operation (its slot reads as taken; see
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
/// builder's `.capacity(n)` or [`Channel::with_config`](crate::Channel::with_config)).
/// Same ring as [`Bounded`]; a capacity of 0 is refused with
/// [`BuildError::ZeroCapacity`].
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
    type Queue<T: Send> = BoundedQueue<T>;

    fn new_queue<T: Send>(_: &()) -> Self::Queue<T> {
        let () = Self::NONZERO;
        BoundedQueue(Ring::new(N))
    }
}

impl QueueStrategy for DynBounded {
    type Kind = BoundedKind;
    /// The capacity.
    type Config = usize;
    type Queue<T: Send> = BoundedQueue<T>;

    fn validate(capacity: &usize) -> Result<(), BuildError> {
        // The ring compares positions as signed differences, so the capacity
        // must stay far below isize::MAX; isize::MAX / 2 is beyond any memory.
        let max = (isize::MAX as usize) / 2;
        match *capacity {
            0 => Err(BuildError::ZeroCapacity),
            n if n > max => Err(BuildError::CapacityTooLarge { requested: n, max }),
            _ => Ok(()),
        }
    }

    fn new_queue<T: Send>(capacity: &usize) -> Self::Queue<T> {
        BoundedQueue(Ring::new(*capacity))
    }
}

impl<T> BoundedQueue<T> {
    /// The ring, for the channel core's tests.
    #[cfg(test)]
    pub(crate) fn ring(&self) -> &Ring<T> {
        &self.0
    }
}

impl<T: Send> RawQueue<T> for BoundedQueue<T> {
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

    /// The ring, allocated in full when the channel is built.
    fn allocated_bytes(&self) -> Option<usize> {
        Some(self.0.slot_bytes())
    }
}

impl<T: Send> std::fmt::Debug for BoundedQueue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundedQueue")
            .field("len", &RawQueue::len(self))
            .finish_non_exhaustive()
    }
}
