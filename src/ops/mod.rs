//! Rx-style operators on the receiving side.
//!
//! [`Source`] is the small receiving trait every [`Receiver`] implements and
//! every operator implements again, so operators chain:
//!
//! ```
//! use std::time::Duration;
//! use may_channel::ops::Source;
//!
//! let (tx, rx) = may_channel::unbounded::<u32>();
//! tx.send_batch(0..1000);
//! drop(tx);
//! let batches: Vec<Vec<u32>> = rx
//!     .map(|x| x * 3)
//!     .filter(|x| x % 2 == 0)
//!     .skip(2)
//!     .take(100)
//!     .batch_timeout(64, Duration::from_millis(50))
//!     .into_iter()
//!     .collect();
//! assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), [64, 36]);
//! assert_eq!(batches[0][0], 12);
//! ```
//!
//! Operators keep the channel semantics: [`recv`](Source::recv) waits
//! (parking the coroutine or thread), [`recv_deadline`](Source::recv_deadline)
//! and [`recv_timeout`](Source::recv_timeout) give up in time, and a source
//! ends (`Disconnected`) when its channel is empty and every sender is gone,
//! or when the operator is done (`take`). Time-based operators (`batch_timeout`,
//! `debounce`, `throttle`) wait through the same deadline path as the channel:
//! they park until the next message or their own due time, never spin or sleep
//! in a loop.
//!
//! Operators are plain generic adapters (no boxing); a chain costs what the
//! equivalent hand-written loop costs (see `benches/ops.rs`).
//!
//! # What an operator holds
//!
//! Nothing a caller can lose without being told. `batch`, `batch_timeout`,
//! `debounce`, `throttle(.., Edge::Trailing)` and `zip` may hold messages they
//! took from their channel and not yet emitted; a timeout leaves those inside
//! the operator (the next call continues with them), and dropping the
//! operator drops them exactly once. `filter`, `skip`, `skip_while`,
//! `take_while` (the first failing item), `debounce` (superseded items) and
//! `throttle` (items inside a window) discard items by definition, as their
//! `Iterator` counterparts do. `merge` and `chain` hold nothing.

mod adapters;
mod batch;
mod merge;
mod time;

use std::time::{Duration, Instant};

pub use adapters::{Chain, Filter, FilterMap, Inspect, Map, Skip, SkipWhile, Take, TakeWhile, Zip};
pub use batch::{Batch, BatchTimeout};
pub use merge::Merge;
pub use time::{Debounce, Edge, Throttle};

use crate::channel::{Flavor, Receiver};
use crate::error::{RecvError, RecvTimeoutError, TryRecvError};
use crate::select::Selectable;

/// Something to receive from: a channel [`Receiver`] or an operator over one.
///
/// Implement it for your own sources by providing [`recv_until`] and
/// [`channels`]; every operator then works on them.
///
/// # Contract
/// - `recv_until(None)` waits until an item is ready or the source has ended;
///   `recv_until(Some(deadline))` gives up at `deadline` with `Timeout`, and a
///   deadline already past makes one non-blocking attempt. Waiting must park
///   (through the channel), never spin or sleep.
/// - After returning `Disconnected` once, a source keeps returning it.
/// - `channels` lists the channels whose activity can let the source make
///   progress, and `due` the moment it will have something to emit without
///   new input (time-based operators); [`merge`](Source::merge) waits on
///   those.
///
/// [`recv_until`]: Source::recv_until
/// [`channels`]: Source::channels
pub trait Source {
    /// What the source yields.
    type Item;

    /// Receives the next item, waiting until `deadline` (`None`: for ever).
    fn recv_until(&mut self, deadline: Option<Instant>) -> Result<Self::Item, RecvTimeoutError>;

    /// Adds the channels this source waits on to `out`.
    fn channels<'a>(&'a self, out: &mut Vec<&'a dyn Selectable>);

    /// When this source will have an item to emit without new input.
    fn due(&self) -> Option<Instant> {
        None
    }

    /// Appends up to `max` items that are ready now to `buf`, without
    /// waiting; returns how many. Sources that can do better than a loop of
    /// non-blocking receives (a channel takes them in one pass and wakes
    /// senders once) override it; `batch` uses it after the first item.
    fn drain_ready(&mut self, buf: &mut Vec<Self::Item>, max: usize) -> usize {
        let mut drained = 0;
        while drained < max {
            match self.try_recv() {
                Ok(item) => buf.push(item),
                Err(_) => break,
            }
            drained += 1;
        }
        drained
    }

    /// Waits for the next item; `Err` once the source has ended.
    fn recv(&mut self) -> Result<Self::Item, RecvError> {
        self.recv_until(None).map_err(|_| RecvError)
    }

    /// The next item if one is ready now.
    fn try_recv(&mut self) -> Result<Self::Item, TryRecvError> {
        self.recv_until(Some(Instant::now()))
            .map_err(|err| match err {
                RecvTimeoutError::Timeout => TryRecvError::Empty,
                RecvTimeoutError::Disconnected => TryRecvError::Disconnected,
            })
    }

    /// Waits at most `timeout` for the next item.
    fn recv_timeout(&mut self, timeout: Duration) -> Result<Self::Item, RecvTimeoutError> {
        self.recv_until(Instant::now().checked_add(timeout))
    }

    /// Waits until `deadline` for the next item.
    fn recv_deadline(&mut self, deadline: Instant) -> Result<Self::Item, RecvTimeoutError> {
        self.recv_until(Some(deadline))
    }

    /// A blocking iterator over the items; ends when the source ends.
    fn iter(&mut self) -> SourceIter<'_, Self>
    where
        Self: Sized,
    {
        SourceIter { source: self }
    }

    /// Applies `f` to every item.
    fn map<U, F: FnMut(Self::Item) -> U>(self, f: F) -> Map<Self, F>
    where
        Self: Sized,
    {
        Map::new(self, f)
    }

    /// Keeps the items for which `predicate` holds (the others are dropped).
    fn filter<P: FnMut(&Self::Item) -> bool>(self, predicate: P) -> Filter<Self, P>
    where
        Self: Sized,
    {
        Filter::new(self, predicate)
    }

    /// Maps and keeps the `Some` results.
    fn filter_map<U, F: FnMut(Self::Item) -> Option<U>>(self, f: F) -> FilterMap<Self, F>
    where
        Self: Sized,
    {
        FilterMap::new(self, f)
    }

    /// Yields at most `n` items, then ends (without touching the channel).
    fn take(self, n: usize) -> Take<Self>
    where
        Self: Sized,
    {
        Take::new(self, n)
    }

    /// Drops the first `n` items.
    fn skip(self, n: usize) -> Skip<Self>
    where
        Self: Sized,
    {
        Skip::new(self, n)
    }

    /// Yields items while `predicate` holds; the first item that fails it is
    /// dropped and the source ends.
    fn take_while<P: FnMut(&Self::Item) -> bool>(self, predicate: P) -> TakeWhile<Self, P>
    where
        Self: Sized,
    {
        TakeWhile::new(self, predicate)
    }

    /// Drops items while `predicate` holds, then yields everything.
    fn skip_while<P: FnMut(&Self::Item) -> bool>(self, predicate: P) -> SkipWhile<Self, P>
    where
        Self: Sized,
    {
        SkipWhile::new(self, predicate)
    }

    /// Calls `f` on every item as it passes.
    fn inspect<F: FnMut(&Self::Item)>(self, f: F) -> Inspect<Self, F>
    where
        Self: Sized,
    {
        Inspect::new(self, f)
    }

    /// Groups items into vectors of `n` (the last one may be shorter, when
    /// the source ends). `n` of 0 is taken as 1.
    fn batch(self, n: usize) -> Batch<Self>
    where
        Self: Sized,
    {
        Batch::new(self, n)
    }

    /// Groups items into vectors, emitted when `n` items are ready or
    /// `timeout` has passed since the first item of the vector.
    fn batch_timeout(self, n: usize, timeout: Duration) -> BatchTimeout<Self>
    where
        Self: Sized,
    {
        BatchTimeout::new(self, n, timeout)
    }

    /// Emits the latest item once no new item has arrived for `quiet`;
    /// items superseded within the quiet period are dropped. When the source
    /// ends, a pending item is emitted first.
    fn debounce(self, quiet: Duration) -> Debounce<Self>
    where
        Self: Sized,
    {
        Debounce::new(self, quiet)
    }

    /// At most one item per `period`; see [`Edge`] for which one.
    fn throttle(self, period: Duration, edge: Edge) -> Throttle<Self>
    where
        Self: Sized,
    {
        Throttle::new(self, period, edge)
    }

    /// Items from both sources as they come, fairly (neither starves); ends
    /// when both have ended. Built on the exactly-once select: an item is
    /// taken from one source only when it is returned.
    fn merge<O: Source<Item = Self::Item>>(self, other: O) -> Merge<Self, O>
    where
        Self: Sized,
    {
        Merge::new(self, other)
    }

    /// All items of this source, then all items of `other`.
    fn chain<O: Source<Item = Self::Item>>(self, other: O) -> Chain<Self, O>
    where
        Self: Sized,
    {
        Chain::new(self, other)
    }

    /// Pairs of one item from each source; ends when either ends.
    fn zip<O: Source>(self, other: O) -> Zip<Self, O>
    where
        Self: Sized,
    {
        Zip::new(self, other)
    }
}

/// A blocking iterator over a [`Source`]; see [`Source::iter`].
pub struct SourceIter<'a, S> {
    source: &'a mut S,
}

impl<S: Source> Iterator for SourceIter<'_, S> {
    type Item = S::Item;
    fn next(&mut self) -> Option<S::Item> {
        self.source.recv().ok()
    }
}

/// An owning blocking iterator over a [`Source`]; what `into_iter()` gives
/// for every operator.
pub struct IntoSourceIter<S> {
    source: S,
}

impl<S: Source> Iterator for IntoSourceIter<S> {
    type Item = S::Item;
    fn next(&mut self) -> Option<S::Item> {
        self.source.recv().ok()
    }
}

impl<T, F: Flavor> Source for Receiver<T, F> {
    type Item = T;

    fn recv_until(&mut self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        self.shared().recv_until(deadline)
    }

    fn drain_ready(&mut self, buf: &mut Vec<T>, max: usize) -> usize {
        self.shared().take_ready(buf, max)
    }

    fn channels<'a>(&'a self, out: &mut Vec<&'a dyn Selectable>) {
        out.push(self);
    }
}

impl<T, F: Flavor> Source for &Receiver<T, F> {
    type Item = T;

    fn recv_until(&mut self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        self.shared().recv_until(deadline)
    }

    fn drain_ready(&mut self, buf: &mut Vec<T>, max: usize) -> usize {
        self.shared().take_ready(buf, max)
    }

    fn channels<'a>(&'a self, out: &mut Vec<&'a dyn Selectable>) {
        out.push(*self);
    }
}

/// `IntoIterator` for every operator type, so `for x in rx.map(f) { .. }`
/// works. (Operators do not implement `Iterator` themselves: its methods
/// share names with the operators and would make calls ambiguous.)
macro_rules! into_iterator_for {
    ($([$($generics:tt)*] $ty:ty;)*) => {
        $(
            impl<$($generics)*> IntoIterator for $ty
            where
                $ty: Source,
            {
                type Item = <Self as Source>::Item;
                type IntoIter = IntoSourceIter<Self>;
                fn into_iter(self) -> IntoSourceIter<Self> {
                    IntoSourceIter { source: self }
                }
            }
        )*
    };
}

into_iterator_for! {
    [S, F] Map<S, F>;
    [S, P] Filter<S, P>;
    [S, F] FilterMap<S, F>;
    [S] Take<S>;
    [S] Skip<S>;
    [S, P] TakeWhile<S, P>;
    [S, P] SkipWhile<S, P>;
    [S, F] Inspect<S, F>;
    [S: Source] Batch<S>;
    [S: Source] BatchTimeout<S>;
    [S: Source] Debounce<S>;
    [S: Source] Throttle<S>;
    [A, B] Merge<A, B>;
    [A, B] Chain<A, B>;
    [A: Source, B] Zip<A, B>;
}

/// `Debug` for every operator, without asking the closures or items to be
/// `Debug`: it names the operator (the chain shows as nested names).
macro_rules! debug_by_name {
    ($([$($generics:tt)*] $ty:ty => $name:literal;)*) => {
        $(
            impl<$($generics)*> std::fmt::Debug for $ty {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.debug_struct($name).finish_non_exhaustive()
                }
            }
        )*
    };
}

debug_by_name! {
    [S, F] Map<S, F> => "Map";
    [S, P] Filter<S, P> => "Filter";
    [S, F] FilterMap<S, F> => "FilterMap";
    [S] Take<S> => "Take";
    [S] Skip<S> => "Skip";
    [S, P] TakeWhile<S, P> => "TakeWhile";
    [S, P] SkipWhile<S, P> => "SkipWhile";
    [S, F] Inspect<S, F> => "Inspect";
    [S: Source] Batch<S> => "Batch";
    [S: Source] BatchTimeout<S> => "BatchTimeout";
    [S: Source] Debounce<S> => "Debounce";
    [S: Source] Throttle<S> => "Throttle";
    [A, B] Merge<A, B> => "Merge";
    [A, B] Chain<A, B> => "Chain";
    [A: Source, B] Zip<A, B> => "Zip";
    ['a, S] SourceIter<'a, S> => "SourceIter";
    [S] IntoSourceIter<S> => "IntoSourceIter";
}

/// Whether `deadline` has passed.
fn passed(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|deadline| Instant::now() >= deadline)
}

/// The earlier of two optional deadlines (`None` is "never").
fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}
