//! Named flavours for the common cases.
//!
//! Each alias is a [`Channel`] with one choice per axis; create one with
//! `Alias::new()` and name its handles `Sender<T, Alias>` /
//! `Receiver<T, Alias>`. [`ChannelBuilder`](crate::ChannelBuilder) builds
//! exactly these types, so either spelling can be used anywhere.
//!
//! ```
//! use may_channel::flavors::BoundedBlocking;
//! use may_channel::{Receiver, Sender};
//!
//! type Jobs = BoundedBlocking<256>;
//! let (tx, rx): (Sender<String, Jobs>, Receiver<String, Jobs>) = Jobs::new();
//! tx.send("compile".to_string()).unwrap();
//! assert_eq!(rx.recv().unwrap(), "compile");
//! ```

use crate::Channel;
use crate::backpressure::{Block, DropNewest, DropOldest, Reject, Unlimited};
use crate::metrics::{Counters, NoMetrics};
use crate::placement::{Anywhere, Numa, PerWorker};
use crate::queue::{Bounded, DynBounded, Prioritized, Rendezvous, Unbounded, WorkStealing};
use crate::wait::{Spin, SpinThenPark};

/// Unbounded MPMC: `send` never waits. The default for work queues whose
/// producers must never stall.
pub type UnboundedMpmc = Channel<Unbounded, SpinThenPark, Unlimited, NoMetrics, Anywhere>;

/// Bounded MPMC holding `N` messages; a full channel makes `send` wait.
/// Backpressure keeps a fast producer from running away from its consumers.
pub type BoundedBlocking<const N: usize> =
    Channel<Bounded<N>, SpinThenPark, Block, NoMetrics, Anywhere>;

/// Bounded MPMC whose capacity is chosen at run time
/// (`Channel::with_config(capacity)` or the builder's `.capacity(n)`).
pub type DynBoundedBlocking = Channel<DynBounded, SpinThenPark, Block, NoMetrics, Anywhere>;

/// Bounded MPMC that refuses when full: only `try_send`, which hands the
/// message back. For callers that shed load themselves.
pub type BoundedRejecting<const N: usize> =
    Channel<Bounded<N>, SpinThenPark, Reject, NoMetrics, Anywhere>;

/// Keeps the newest `N` messages: a full channel evicts (and drops) the
/// oldest. For telemetry and state updates where only recent values matter.
pub type LatestN<const N: usize> =
    Channel<Bounded<N>, SpinThenPark, DropOldest, Counters, Anywhere>;

/// Keeps the first `N` messages: a full channel drops the incoming one.
pub type FirstN<const N: usize> = Channel<Bounded<N>, SpinThenPark, DropNewest, Counters, Anywhere>;

/// Zero capacity: a `send` completes when a receiver takes the message. For
/// hand-offs where the producer must know the consumer has it.
pub type RendezvousMpmc = Channel<Rendezvous, SpinThenPark, Block, NoMetrics, Anywhere>;

/// Bounded blocking MPMC with [`Counters`]: throughput, drops, queue length,
/// time blocked. For the stages of a pipeline you want to watch.
pub type InstrumentedBounded<const N: usize> =
    Channel<Bounded<N>, SpinThenPark, Block, Counters, Anywhere>;

/// Unbounded MPMC with [`Counters`].
pub type InstrumentedUnbounded = Channel<Unbounded, SpinThenPark, Unlimited, Counters, Anywhere>;

/// The bare bounded ring: spins instead of parking, refuses when full, records
/// nothing. The baseline for what the framework costs over the bare ring it
/// is built on (`benches/core.rs`, group `zero_cost`): every strategy hook
/// compiles away, and the ring's `SeqCst` claims stand in for the wake-up
/// protocol's fences (a select or a merge may wait on any channel, whatever
/// its wait strategy, so the protocol itself stays).
pub type SpinRing<const N: usize> = Channel<Bounded<N>, Spin, Reject, NoMetrics, Anywhere>;

/// Unbounded MPMC with priorities: `send_with_priority` takes a
/// [`Priority`](crate::priority::Priority), `recv` returns the most urgent
/// message (FIFO within a level); `send` never waits. For job queues where
/// some work must overtake the rest. See [`priority`](crate::priority).
pub type PriorityUnbounded =
    Channel<Prioritized<Unbounded>, SpinThenPark, Unlimited, NoMetrics, Anywhere>;

/// Bounded MPMC with priorities, holding `N` messages in total at any mix of
/// levels; a full channel makes every send wait, whatever its level. See
/// [`priority`](crate::priority).
pub type PriorityBounded<const N: usize> =
    Channel<Prioritized<Bounded<N>>, SpinThenPark, Block, NoMetrics, Anywhere>;

/// Work-stealing MPMC: one unbounded queue per worker, sends go to the
/// caller's own worker queue ([`PerWorker`] placement), receivers pop locally
/// and steal a batch from a random victim when empty. For task pools where
/// producers and consumers share worker threads. Create with
/// `WorkStealingMpmc::with_config(Workers(n))` or the builder's
/// `.with_workers(n)`.
pub type WorkStealingMpmc = Channel<WorkStealing, SpinThenPark, Unlimited, NoMetrics, PerWorker>;

/// [`WorkStealingMpmc`] with [`Counters`] (including how much was stolen).
pub type InstrumentedWorkStealing =
    Channel<WorkStealing, SpinThenPark, Unlimited, Counters, PerWorker>;

/// NUMA-aware work-stealing MPMC: one unbounded queue per NUMA node, sends go
/// to the caller's node, receivers pop on their node and steal from the
/// nearest nodes first ([`Numa`] placement over the topology sysfs reports).
/// On a one-node machine it is one queue. Build it with the builder's
/// `.numa_aware()` (which sizes the queue to the node count), or with
/// `NumaWorkStealing::with_placement(Workers(nodes), numa)`.
///
/// ```
/// use may_channel::{ChannelBuilder, Pair, flavors::NumaWorkStealing};
///
/// let (tx, rx): Pair<u64, NumaWorkStealing> = ChannelBuilder::new().numa_aware().build().unwrap();
/// assert_eq!(tx.workers(), tx.topology().nodes().iter().filter(|n| !n.cpus.is_empty()).count());
/// tx.send(1).unwrap();
/// assert_eq!(rx.recv(), Ok(1));
/// ```
pub type NumaWorkStealing = Channel<WorkStealing, SpinThenPark, Unlimited, NoMetrics, Numa>;

/// [`NumaWorkStealing`] with [`Counters`] (including how much was stolen
/// between nodes).
pub type InstrumentedNumaWorkStealing =
    Channel<WorkStealing, SpinThenPark, Unlimited, Counters, Numa>;
