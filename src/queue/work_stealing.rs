//! One queue per worker, with stealing.

use std::marker::PhantomData;

use crossbeam_utils::CachePadded;

use super::{QueueStrategy, RawQueue, Unbounded, UnboundedKind};
use crate::error::BuildError;
use crate::sync::{AtomicU64, Ordering};

/// A work-stealing queue: one `Inner` queue per worker (unbounded ones:
/// `Inner` must be of [`UnboundedKind`]). A send pushes to the caller's own
/// queue (its home, from the channel's placement — use
/// [`PerWorker`](crate::placement::PerWorker)), or to a chosen worker's with
/// `send_to_worker`. A receive pops from its own queue first and, when that
/// is empty, steals up to `BATCH` messages from a victim chosen at random
/// (fastrand), keeping the rest for later local receives. With the
/// [`Numa`](crate::placement::Numa) placement the queues are per NUMA node
/// and the victims are visited nearest node first (the placement's
/// [`steal_order`](crate::placement::Placement::steal_order)).
///
/// Order: FIFO per worker queue; across workers there is no global order
/// (that is the point: no shared head to contend on). A receiver that finds
/// every queue empty parks, and a push to any queue wakes it (the channel's
/// one waiter list covers all shards).
///
/// The worker count is the queue's runtime setting (`Channel::with_config`,
/// the builder's `.with_workers(n)`); 0 is refused. Its default is the
/// machine's available parallelism.
#[derive(Clone, Copy, Debug, Default)]
pub struct WorkStealing<Inner = Unbounded, const BATCH: usize = 16>(PhantomData<fn() -> Inner>);

/// How many worker queues a [`WorkStealing`] queue has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Workers(pub usize);

impl Default for Workers {
    fn default() -> Self {
        Workers(std::thread::available_parallelism().map_or(1, usize::from))
    }
}

/// The queue [`WorkStealing`] builds.
pub struct WorkStealingQueue<Q, const BATCH: usize> {
    locals: Box<[CachePadded<Q>]>,
    stolen: CachePadded<AtomicU64>,
}

impl<Inner, const BATCH: usize> QueueStrategy for WorkStealing<Inner, BATCH>
where
    Inner: QueueStrategy<Kind = UnboundedKind, Config = ()>,
{
    type Kind = UnboundedKind;
    type Config = Workers;
    type Queue<T> = WorkStealingQueue<Inner::Queue<T>, BATCH>;

    fn validate(workers: &Workers) -> Result<(), BuildError> {
        if workers.0 == 0 {
            return Err(BuildError::Invalid(
                "a work-stealing queue needs at least one worker".into(),
            ));
        }
        Ok(())
    }

    fn new_queue<T>(workers: &Workers) -> Self::Queue<T> {
        WorkStealingQueue {
            locals: (0..workers.0)
                .map(|_| CachePadded::new(Inner::new_queue::<T>(&())))
                .collect(),
            stolen: CachePadded::new(AtomicU64::new(0)),
        }
    }
}

impl<Q, const BATCH: usize> WorkStealingQueue<Q, BATCH> {
    /// How many worker queues there are.
    pub fn workers(&self) -> usize {
        self.locals.len()
    }

    /// Messages moved from one worker's queue to another's by stealing.
    pub fn stolen(&self) -> u64 {
        // Relaxed: a statistic; nothing is read through it.
        self.stolen.load(Ordering::Relaxed)
    }

    /// The queue of worker `index % workers`.
    pub(crate) fn local(&self, index: usize) -> &Q {
        &self.locals[self.wrap(index)]
    }

    /// `index % workers`, without the division when `index` is already in
    /// range (a placement's home usually is; `Anywhere`'s 0 always is).
    #[inline]
    fn wrap(&self, index: usize) -> usize {
        let workers = self.locals.len();
        if index < workers {
            index
        } else {
            index % workers
        }
    }

    /// Messages queued at worker `index % workers`.
    pub fn len_at<T>(&self, index: usize) -> usize
    where
        Q: RawQueue<T>,
    {
        self.local(index).len()
    }
}

impl<Q, const BATCH: usize> WorkStealingQueue<Q, BATCH> {
    /// Takes up to `BATCH` messages from another worker's queue, chosen at
    /// random: returns one and moves the rest to `home`'s queue. Also returns
    /// how many were moved between queues.
    fn steal<T>(&self, home: usize) -> (Option<T>, usize)
    where
        Q: RawQueue<T>,
    {
        let workers = self.locals.len();
        let start = fastrand::usize(..workers);
        for offset in 0..workers {
            let victim = (start + offset) % workers;
            if victim == home {
                continue;
            }
            if let Some(stolen) = self.steal_from(victim, home) {
                return stolen;
            }
        }
        (None, 0)
    }

    /// Takes up to `BATCH` messages from `victim`'s queue: returns one and
    /// moves the rest to `home`'s queue, with how many were moved; `None`
    /// when `victim`'s queue is empty.
    fn steal_from<T>(&self, victim: usize, home: usize) -> Option<(Option<T>, usize)>
    where
        Q: RawQueue<T>,
    {
        let first = self.locals[victim].pop(victim)?;
        let mut moved = 1;
        while moved < BATCH.max(1) {
            let Some(item) = self.locals[victim].pop(victim) else {
                break;
            };
            if let Err(item) = self.locals[home].push(item, home) {
                // Unbounded inner queues never refuse; should one, the
                // item goes back where it came from.
                if let Err(item) = self.locals[victim].push(item, victim) {
                    drop(item);
                    unreachable!("an unbounded queue refused a push");
                }
                break;
            }
            moved += 1;
        }
        // Relaxed: a statistic.
        self.stolen.fetch_add(moved as u64, Ordering::Relaxed);
        Some((Some(first), moved))
    }
}

impl<T, Q: RawQueue<T>, const BATCH: usize> RawQueue<T> for WorkStealingQueue<Q, BATCH> {
    fn push(&self, item: T, home: usize) -> Result<(), T> {
        let home = self.wrap(home);
        self.locals[home].push(item, home)
    }

    fn pop(&self, home: usize) -> Option<T> {
        self.pop_reporting(home).0
    }

    fn pop_reporting(&self, home: usize) -> (Option<T>, usize) {
        let home = self.wrap(home);
        match self.locals[home].pop(home) {
            Some(item) => (Some(item), 0),
            None => self.steal(home),
        }
    }

    /// Pops locally, then steals from the workers in `order` (nearest
    /// first, from a NUMA placement), then, when the queue has workers that
    /// `order` does not reach, from a random one of all.
    fn pop_nearest(&self, home: usize, order: &[usize]) -> (Option<T>, usize) {
        let workers = self.locals.len();
        let home = self.wrap(home);
        if let Some(item) = self.locals[home].pop(home) {
            return (Some(item), 0);
        }
        for &victim in order {
            let victim = victim % workers;
            if victim == home {
                continue;
            }
            if let Some(stolen) = self.steal_from(victim, home) {
                return stolen;
            }
        }
        if workers > order.len() + 1 {
            self.steal(home)
        } else {
            (None, 0)
        }
    }

    fn len(&self) -> usize {
        self.locals.iter().map(|local| local.len()).sum()
    }

    fn is_empty(&self) -> bool {
        self.locals.iter().all(|local| local.is_empty())
    }

    fn capacity(&self) -> Option<usize> {
        None
    }

    /// The sum over the worker queues (each keeps its own floor).
    fn allocated_bytes(&self) -> Option<usize> {
        self.locals
            .iter()
            .map(|local| local.allocated_bytes())
            .sum()
    }

    fn drain_on_disconnect(&self) -> Vec<T> {
        let mut items = Vec::new();
        for (index, local) in self.locals.iter().enumerate() {
            while let Some(item) = local.pop(index) {
                items.push(item);
            }
        }
        items
    }
}

impl<Q, const BATCH: usize> std::fmt::Debug for WorkStealingQueue<Q, BATCH> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkStealingQueue")
            .field("workers", &self.locals.len())
            .field("stolen", &self.stolen())
            .finish_non_exhaustive()
    }
}
