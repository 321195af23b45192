use crossbeam_queue::SegQueue;

use super::{QueueStrategy, RawQueue, UnboundedKind};

/// An unbounded FIFO queue: a lock-free linked list of fixed-size segments
/// (`crossbeam_queue::SegQueue`), which allocates one segment per
/// [`SEGMENT_ITEMS`] items and frees each segment once it has been drained.
///
/// # Memory
/// Memory follows the queue's length: after a burst, the segments the
/// receivers have drained are freed at once, so a drained queue holds one
/// segment (its floor, about `31 × (size_of::<T>() + 8)` bytes) until the
/// channel goes. [`RawQueue::allocated_bytes`] reports the segments spanned
/// by the queued messages, counting one segment more than the messages fill
/// (the read and write positions inside their segments are crossbeam's
/// private state), so it is an upper bound, over by at most one segment.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unbounded;

/// The queue [`Unbounded`] builds.
pub struct UnboundedQueue<T>(SegQueue<T>);

impl QueueStrategy for Unbounded {
    type Kind = UnboundedKind;
    type Config = ();
    type Queue<T: Send> = UnboundedQueue<T>;

    fn new_queue<T: Send>(_: &()) -> Self::Queue<T> {
        UnboundedQueue(SegQueue::new())
    }
}

impl<T: Send> RawQueue<T> for UnboundedQueue<T> {
    #[inline]
    fn push(&self, item: T, _home: usize) -> Result<(), T> {
        self.0.push(item);
        Ok(())
    }

    #[inline]
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
        None
    }

    fn allocated_bytes(&self) -> Option<usize> {
        let segments = self.0.len().div_ceil(SEGMENT_ITEMS) + 1;
        Some(segments * segment_bytes::<T>())
    }
}

/// Messages per segment of an [`Unbounded`] queue (crossbeam's `SegQueue`
/// block size).
pub const SEGMENT_ITEMS: usize = 31;

/// The size of one `SegQueue` segment for items of type `T`: a next-segment
/// pointer and [`SEGMENT_ITEMS`] slots.
pub(crate) fn segment_bytes<T>() -> usize {
    let slot = crossbeam_slot_bytes::<T>();
    let align = std::mem::align_of::<T>().max(std::mem::align_of::<usize>());
    (std::mem::size_of::<usize>() + SEGMENT_ITEMS * slot).next_multiple_of(align)
}

impl<T: Send> std::fmt::Debug for UnboundedQueue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnboundedQueue")
            .field("len", &RawQueue::len(self))
            .finish_non_exhaustive()
    }
}

/// The size of one slot of crossbeam's `SegQueue`:
/// an item beside a `usize` stamp, padded to their common alignment.
fn crossbeam_slot_bytes<T>() -> usize {
    let item = std::alloc::Layout::new::<std::mem::MaybeUninit<T>>();
    let stamp = std::alloc::Layout::new::<usize>();
    match item.extend(stamp) {
        Ok((slot, _)) => slot.pad_to_align().size(),
        // Only a type too large to allocate gets here; no queue holds one.
        Err(_) => usize::MAX,
    }
}
