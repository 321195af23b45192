use std::cell::Cell;

use super::Placement;
use crate::sync::Ordering;
use crate::sync::global::AtomicUsize;

/// Shards by the current worker: every OS thread (a may worker, or a plain
/// thread) gets a dense index the first time it asks, and a sharded queue
/// uses `index % its_shards` as the caller's home. A coroutine runs on some
/// may worker thread, so it shares that worker's home while it runs there
/// (it may move between calls; the home is a locality hint).
///
/// may keeps its scheduler's worker id private, so the index is assigned
/// lazily per thread rather than read from the scheduler.
#[derive(Clone, Copy, Debug, Default)]
pub struct PerWorker;

/// The next index to hand out.
static NEXT_INDEX: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's index, once assigned.
    static INDEX: Cell<Option<usize>> = const { Cell::new(None) };
}

/// The calling thread's worker index, as [`PerWorker`] and the worker
/// affinity of [`Numa`](super::Numa) use it: every OS thread (a may worker
/// or a plain thread) gets the next free index the first time it asks, and
/// keeps it. A coroutine gets the index of the worker thread it runs on now.
pub fn worker_index() -> usize {
    thread_index()
}

/// The calling thread's dense index (assigned on first use).
///
/// Out of line, with its result through `black_box`: inlined into a function
/// that parks, the thread-local's address would be computed once and reused
/// after a may coroutine resumed on another worker, giving it the old
/// worker's index (see DESIGN.md, "Thread-local state").
#[inline(never)]
pub(crate) fn thread_index() -> usize {
    std::hint::black_box(INDEX.with(|index| match index.get() {
        Some(assigned) => assigned,
        None => {
            // Relaxed: only uniqueness matters, which the RMW gives.
            let assigned = NEXT_INDEX.fetch_add(1, Ordering::Relaxed);
            index.set(Some(assigned));
            assigned
        }
    }))
}

impl Placement for PerWorker {
    /// Unbounded: indices keep growing with new threads; queues reduce them
    /// modulo their own shard count.
    #[inline]
    fn shards(&self) -> usize {
        usize::MAX
    }

    #[inline]
    fn home(&self) -> usize {
        thread_index()
    }
}
