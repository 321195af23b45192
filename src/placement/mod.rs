//! The placement axis: which shard of a sharded queue a caller uses.
//!
//! The core asks the channel's [`Placement`] for the caller's *home* shard on
//! every push and pop and passes it to the queue
//! ([`RawQueue::push`](crate::queue::RawQueue::push)). Queues that keep one
//! store ignore it. [`Anywhere`] is zero-sized and always answers 0, so it
//! costs nothing. [`PerWorker`] gives every worker thread its own home, for
//! sharded queues such as [`WorkStealing`](crate::queue::WorkStealing).
//! NUMA-aware placement is not built yet.
//!
//! # Implementing your own
//!
//! ```
//! use may_channel::placement::Placement;
//!
//! /// Two shards: even and odd OS thread ids (a toy; real placements follow
//! /// workers or NUMA nodes).
//! #[derive(Default)]
//! struct ByThreadParity;
//!
//! impl Placement for ByThreadParity {
//!     fn shards(&self) -> usize { 2 }
//!     fn home(&self) -> usize {
//!         let id = format!("{:?}", std::thread::current().id());
//!         id.bytes().map(usize::from).sum::<usize>() % 2
//!     }
//! }
//!
//! let p = ByThreadParity;
//! assert!(p.home() < p.shards());
//! ```

mod anywhere;
mod per_worker;

pub use anywhere::Anywhere;
pub use per_worker::PerWorker;

/// Maps the calling thread or coroutine to a shard.
///
/// # Contract
/// - `home` is called on every push and pop: it must be wait-free and cheap
///   (a thread-local read), must not block, and must return a value below
///   `shards()`. Queues reduce it modulo their own shard count, so a
///   placement may distinguish more shards than a queue has (`PerWorker`
///   reports `usize::MAX`).
/// - A coroutine may move between worker threads between two calls, so the
///   answer is a hint for locality, never a correctness guarantee.
pub trait Placement: Default + Send + Sync + 'static {
    /// How many shards this placement distinguishes.
    fn shards(&self) -> usize;
    /// The caller's shard, below [`shards`](Self::shards).
    fn home(&self) -> usize;
}
