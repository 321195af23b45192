//! The placement axis: which shard of a sharded queue a caller uses.
//!
//! The core asks the channel's [`Placement`] for the caller's *home* shard on
//! every push and pop and passes it to the queue
//! ([`RawQueue::push`](crate::queue::RawQueue::push)). Queues that keep one
//! store ignore it. [`Anywhere`] is zero-sized and always answers 0, so it
//! costs nothing. [`PerWorker`] gives every worker thread its own home, for
//! sharded queues such as [`WorkStealing`](crate::queue::WorkStealing).
//! [`Numa`] gives every NUMA node its own shard, sends to the caller's node
//! and has receivers steal from the nearest nodes first; its [`Topology`]
//! comes from sysfs by default, from hwloc with the `hwloc` feature, or from
//! the caller (synthetic topologies, for tests).
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
#[cfg(feature = "hwloc")]
mod hwloc;
mod numa;
mod per_worker;
mod topology;

pub use anywhere::Anywhere;
#[cfg(feature = "hwloc")]
pub use hwloc::PinError;
#[cfg(feature = "hwloc")]
pub use numa::Hwloc;
pub use numa::{Affinity, MAX_AFFINITY_WORKERS, Numa, NumaSource, Sysfs, current_cpu_hint};
pub use per_worker::{PerWorker, worker_index};
pub use topology::{MAX_CPUS, NumaNode, Topology, TopologySource};

use crate::error::BuildError;

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

    /// The order in which a receive at `home` visits the other shards when
    /// its own is empty (nearest first), or `None` to let the queue choose
    /// (a random victim, for [`WorkStealing`](crate::queue::WorkStealing)).
    /// Called on every pop, so it must be as cheap as `home`; the default
    /// (`None`) compiles away.
    #[inline(always)]
    fn steal_order(&self, home: usize) -> Option<&[usize]> {
        let _ = home;
        None
    }

    /// Checks the placement's runtime settings (a worker affinity, say) when
    /// a channel is built; the default accepts.
    fn validate(&self) -> Result<(), BuildError> {
        Ok(())
    }
}
