use crossbeam_queue::SegQueue;

use super::{QueueStrategy, RawQueue, UnboundedKind};

/// An unbounded FIFO queue: a lock-free linked list of fixed-size segments
/// (`crossbeam_queue::SegQueue`), which allocates one segment per 31 items
/// and frees each segment once it has been drained.
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
}

impl<T: Send> std::fmt::Debug for UnboundedQueue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnboundedQueue")
            .field("len", &RawQueue::len(self))
            .finish_non_exhaustive()
    }
}
