//! NUMA-aware placement: one shard per NUMA node, the caller's node first,
//! then the nearest nodes.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use super::Placement;
use super::per_worker::thread_index;
use super::topology::{NumaNode, Topology};
use crate::error::BuildError;

/// Where a [`Numa`] placement reads the machine's topology when it is built
/// by `Default` (as `Channel::new`, `with_config` and the builder's
/// `.numa_aware()` do).
pub trait NumaSource: Send + Sync + 'static {
    /// The machine's topology (read once per process and shared).
    fn topology() -> Arc<Topology>;
}

/// The topology from sysfs ([`Topology::detect`]); the default.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sysfs;

impl NumaSource for Sysfs {
    fn topology() -> Arc<Topology> {
        Topology::detect()
    }
}

/// The topology from hwloc ([`Topology::from_hwloc`]; feature `hwloc`).
#[cfg(feature = "hwloc")]
#[derive(Clone, Copy, Debug, Default)]
pub struct Hwloc;

#[cfg(feature = "hwloc")]
impl NumaSource for Hwloc {
    fn topology() -> Arc<Topology> {
        Topology::from_hwloc()
    }
}

/// What a worker is tied to, for [`Numa::with_worker_affinity`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Affinity {
    /// A CPU (logical processor) number; the worker's home is that CPU's
    /// node.
    Cpu(usize),
    /// A NUMA node, by its system id ([`NumaNode::id`]).
    Node(usize),
}

/// The largest worker index [`Numa::with_worker_affinity`] accepts (the
/// mapping is a table indexed by worker).
pub const MAX_AFFINITY_WORKERS: usize = 1 << 16;

/// NUMA-aware placement: one shard per NUMA node that has CPUs, so a sharded
/// queue ([`WorkStealing`](crate::queue::WorkStealing)) keeps one queue per
/// node. A caller's home is its node:
///
/// 1. the node [`worker_affinity`](Self::with_worker_affinity) maps the
///    calling worker thread to ([`worker_index`](super::worker_index)), if it
///    has an entry;
/// 2. else the node of the CPU the thread runs on: on x86_64 Linux read with
///    `rdtscp` (Linux stores the CPU number in `TSC_AUX`, which is what the
///    vDSO's `getcpu` reads), cached per thread and re-read every 64 calls;
/// 3. else (other targets, no `rdtscp`, more than 4096 CPUs) the worker
///    index modulo the node count.
///
/// A receive pops from its own node's queue, then steals a batch from the
/// other nodes nearest first (by the topology's distance matrix; without
/// one, in ring order from its own node), then from any queue the placement
/// does not know about. On a machine with one node there is one shard,
/// `home` is a field load and a compare (no CPU lookup at all), and there is
/// no steal order: the queue's plain pop runs, as with
/// [`Anywhere`](super::Anywhere).
///
/// Memory-only nodes (no CPUs) get no shard: no thread can run there.
///
/// **Nothing is pinned.** The affinity only decides placement; a thread may
/// run anywhere the OS puts it. With the `hwloc` feature,
/// `pin_current_thread` binds the calling OS
/// thread to its mapped CPUs through hwloc (reliable for threads you own; may
/// workers are shared by every coroutine, and may's own
/// `config().set_worker_pin(true)` pins them to cores, not nodes).
///
/// ```
/// use may_channel::ChannelBuilder;
/// use may_channel::placement::{Affinity, Numa, NumaNode, Topology, worker_index};
///
/// // Two nodes of four CPUs, as a test would describe them.
/// let topology = Topology::new(
///     vec![NumaNode::new(0, 0..4), NumaNode::new(1, 4..8)],
///     Some(vec![vec![10, 21], vec![21, 10]]),
/// )
/// .unwrap();
/// // This thread works for node 1.
/// let numa = Numa::with_topology(topology)
///     .with_worker_affinity([(worker_index(), Affinity::Node(1))]);
/// let (tx, rx) = ChannelBuilder::new().numa_aware_with(numa).build::<u32>().unwrap();
/// assert_eq!(tx.workers(), 2);
/// tx.send(7).unwrap();
/// assert_eq!(tx.len_at_worker(1), 1);
/// assert_eq!(rx.recv(), Ok(7));
/// assert_eq!(rx.topology().nodes().len(), 2);
/// ```
pub struct Numa<S = Sysfs> {
    /// How many shards (nodes with CPUs): kept beside the map so that the
    /// one-node case answers `home` without following a pointer.
    shards: usize,
    map: Arc<NumaMap>,
    source: PhantomData<fn() -> S>,
}

/// Everything a [`Numa`] placement computed from its topology.
#[derive(Clone)]
struct NumaMap {
    topology: Arc<Topology>,
    /// Shard `i` is the node at position `shard_nodes[i]` of the topology.
    shard_nodes: Box<[usize]>,
    /// CPU number → shard; CPUs on no node map to shard 0.
    cpu_shard: Box<[u32]>,
    /// Worker index → shard, for the workers the affinity names
    /// (`u32::MAX` for the others); empty when there is no affinity.
    worker_shard: Box<[u32]>,
    /// The affinity as given, for pinning and reporting.
    affinity: Vec<(usize, Affinity)>,
    /// Why the affinity is invalid, reported by `validate` at build time.
    affinity_error: Option<String>,
    /// For each shard, the other shards nearest first: `shards - 1` entries
    /// per shard, shard after shard.
    steal_orders: Box<[usize]>,
}

/// Marks a worker without an affinity entry in `worker_shard`.
const NO_SHARD: u32 = u32::MAX;

impl Numa {
    /// Placement over `topology` (a synthetic one, in tests, or one read
    /// with [`Topology::from_sysfs`]).
    pub fn with_topology(topology: impl Into<Arc<Topology>>) -> Self {
        Self::from_topology(topology.into())
    }
}

impl<S: NumaSource> Default for Numa<S> {
    /// Placement over the machine's topology as `S` reads it.
    fn default() -> Self {
        Self::from_topology(S::topology())
    }
}

impl<S> Numa<S> {
    fn from_topology(topology: Arc<Topology>) -> Self {
        let nodes = topology.nodes();
        let mut shard_nodes: Vec<usize> = (0..nodes.len())
            .filter(|&position| !nodes[position].cpus.is_empty())
            .collect();
        if shard_nodes.is_empty() {
            // No node reports a CPU (a broken or partial sysfs): one shard.
            shard_nodes.push(0);
        }
        let max_cpu = nodes.iter().filter_map(|node| node.cpus.last()).max();
        let mut cpu_shard = vec![0u32; max_cpu.map_or(0, |max| max + 1)];
        for (shard, &position) in shard_nodes.iter().enumerate() {
            for &cpu in &nodes[position].cpus {
                cpu_shard[cpu] = shard as u32;
            }
        }
        let shards = shard_nodes.len();
        let mut steal_orders = Vec::with_capacity(shards * shards.saturating_sub(1));
        for home in 0..shards {
            // Ring order from `home` first, so that ties (and topologies
            // without distances) spread stealers over different victims;
            // the sort is stable and keeps it within equal distances.
            let mut others: Vec<usize> =
                (1..shards).map(|offset| (home + offset) % shards).collect();
            others.sort_by_key(|&other| {
                topology
                    .distance(shard_nodes[home], shard_nodes[other])
                    .unwrap_or(0)
            });
            steal_orders.extend(others);
        }
        Numa {
            shards,
            map: Arc::new(NumaMap {
                topology,
                shard_nodes: shard_nodes.into(),
                cpu_shard: cpu_shard.into(),
                worker_shard: Box::new([]),
                affinity: Vec::new(),
                affinity_error: None,
                steal_orders: steal_orders.into(),
            }),
            source: PhantomData,
        }
    }

    /// Ties workers (by [`worker_index`](super::worker_index)) to CPUs or
    /// nodes: a mapped worker's home is that node, whatever CPU it runs on.
    /// Replaces an earlier mapping. An entry naming an unknown CPU or node, a
    /// memory-only node, or a worker index of [`MAX_AFFINITY_WORKERS`] or
    /// more makes the channel's build fail with the reason.
    ///
    /// Nothing is pinned (see the [type docs](Self)).
    pub fn with_worker_affinity(
        mut self,
        affinity: impl IntoIterator<Item = (usize, Affinity)>,
    ) -> Self {
        let mut map = NumaMap::clone(&self.map);
        map.set_affinity(affinity.into_iter().collect());
        self.map = Arc::new(map);
        self
    }

    /// The topology this placement uses.
    pub fn topology(&self) -> &Topology {
        &self.map.topology
    }

    /// The worker-to-CPU-or-node mapping, as given.
    pub fn worker_affinity(&self) -> &[(usize, Affinity)] {
        &self.map.affinity
    }

    /// The node whose queue is shard `shard` (shards are the nodes with
    /// CPUs, in topology order).
    pub fn shard_node(&self, shard: usize) -> Option<&NumaNode> {
        let position = *self.map.shard_nodes.get(shard)?;
        self.map.topology.nodes().get(position)
    }

    /// The shard of the node holding `cpu` (shard 0 for a CPU on no node).
    pub fn shard_of_cpu(&self, cpu: usize) -> usize {
        self.map
            .cpu_shard
            .get(cpu)
            .map_or(0, |&shard| shard as usize)
    }

    /// The order in which a caller at `home` visits the other shards when
    /// its own is empty: nearest first.
    pub fn steal_order_of(&self, home: usize) -> &[usize] {
        let others = self.map.shard_nodes.len() - 1;
        self.map
            .steal_orders
            .get(home * others..(home + 1) * others)
            .unwrap_or(&[])
    }

    /// Binds the calling OS thread to the CPUs its
    /// [`worker_affinity`](Self::with_worker_affinity) entry names (one CPU,
    /// or every CPU of a node) through hwloc. Returns `Ok(false)` and binds
    /// nothing when the calling worker has no entry.
    ///
    /// Only for OS threads the caller owns: a may worker thread runs every
    /// coroutine scheduled on it, and a coroutine moves between workers.
    ///
    /// # Errors
    /// hwloc's refusal (a CPU the machine does not have, as in a synthetic
    /// topology, or an OS without thread binding).
    #[cfg(feature = "hwloc")]
    pub fn pin_current_thread(&self) -> Result<bool, super::PinError> {
        let worker = thread_index();
        let Some(&(_, target)) = self.map.affinity.iter().rev().find(|(w, _)| *w == worker) else {
            return Ok(false);
        };
        let cpus: Vec<usize> = match target {
            Affinity::Cpu(cpu) => vec![cpu],
            Affinity::Node(id) => self
                .map
                .topology
                .position_of_node(id)
                .map(|position| self.map.topology.nodes()[position].cpus.clone())
                .unwrap_or_default(),
        };
        super::hwloc::bind_current_thread(&cpus).map(|()| true)
    }

    /// The calling thread's shard when the placement has more than one.
    fn home_among_many(&self) -> usize {
        let shards = self.shards;
        if !self.map.worker_shard.is_empty() {
            if let Some(&shard) = self.map.worker_shard.get(thread_index()) {
                if shard != NO_SHARD {
                    return shard as usize;
                }
            }
        }
        match current_cpu() {
            // TSC_AUX holds 12 bits of CPU number: beyond 4096 CPUs it is
            // ambiguous, and the worker index is the better guess.
            Some(cpu) if self.map.cpu_shard.len() <= TSC_AUX_CPUS => self.shard_of_cpu(cpu),
            _ => thread_index() % shards,
        }
    }
}

impl NumaMap {
    /// Records `affinity` and its table (or why it is invalid).
    fn set_affinity(&mut self, affinity: Vec<(usize, Affinity)>) {
        self.affinity = affinity;
        self.affinity_error = None;
        let mut table = Vec::new();
        for &(worker, target) in &self.affinity {
            let shard = match self.shard_of(target) {
                Ok(shard) => shard,
                Err(why) => {
                    self.affinity_error = Some(format!("worker {worker}: {why}"));
                    break;
                }
            };
            if worker >= MAX_AFFINITY_WORKERS {
                self.affinity_error = Some(format!(
                    "worker index {worker} is not below {MAX_AFFINITY_WORKERS}"
                ));
                break;
            }
            if table.len() <= worker {
                table.resize(worker + 1, NO_SHARD);
            }
            table[worker] = shard as u32;
        }
        self.worker_shard = if self.affinity_error.is_some() {
            Box::new([])
        } else {
            table.into()
        };
    }

    /// The shard an affinity target belongs to.
    fn shard_of(&self, target: Affinity) -> Result<usize, String> {
        let position = match target {
            Affinity::Cpu(cpu) => self
                .topology
                .node_of_cpu(cpu)
                .ok_or_else(|| format!("CPU {cpu} is on no NUMA node of the topology"))?,
            Affinity::Node(id) => self
                .topology
                .position_of_node(id)
                .ok_or_else(|| format!("the topology has no NUMA node {id}"))?,
        };
        self.shard_nodes
            .iter()
            .position(|&shard_node| shard_node == position)
            .ok_or_else(|| {
                format!(
                    "NUMA node {} has no CPUs, so no worker can run there",
                    self.topology.nodes()[position].id
                )
            })
    }
}

impl<S: NumaSource> Placement for Numa<S> {
    /// One per NUMA node with CPUs (at least one).
    #[inline]
    fn shards(&self) -> usize {
        self.shards
    }

    #[inline]
    fn home(&self) -> usize {
        if self.shards == 1 {
            0
        } else {
            self.home_among_many()
        }
    }

    #[inline]
    fn steal_order(&self, home: usize) -> Option<&[usize]> {
        if self.shards == 1 {
            // One queue per node and one node: nothing to order. `None`
            // keeps the queue's plain pop (measured: the ordered pop's
            // extra call showed in benches/numa.rs).
            None
        } else {
            Some(self.steal_order_of(home))
        }
    }

    fn validate(&self) -> Result<(), BuildError> {
        match &self.map.affinity_error {
            Some(why) => Err(BuildError::Invalid(format!("worker affinity: {why}"))),
            None => Ok(()),
        }
    }
}

impl<S> Clone for Numa<S> {
    fn clone(&self) -> Self {
        Numa {
            shards: self.shards,
            map: Arc::clone(&self.map),
            source: PhantomData,
        }
    }
}

impl<S> fmt::Debug for Numa<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Numa")
            .field("topology", &self.map.topology)
            .field("shard_nodes", &self.map.shard_nodes)
            .field("affinity", &self.map.affinity)
            .finish_non_exhaustive()
    }
}

/// CPU numbers Linux can store in TSC_AUX (12 bits).
const TSC_AUX_CPUS: usize = 1 << 12;

/// How many calls a thread answers from its cached CPU number before it
/// reads the CPU again (threads migrate rarely; `rdtscp` waits for earlier
/// instructions to finish, so it is not free).
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
const CPU_REFRESH: u32 = 64;

/// The CPU the calling thread runs on, when this target can tell cheaply.
///
/// Out of line, with its result through `black_box`, because of the
/// thread-local cache: inlined into a function that parks, the cache's
/// address would be computed once and reused after a may coroutine resumed
/// on another worker (see DESIGN.md, "Thread-local state").
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
#[inline(never)]
fn current_cpu() -> Option<usize> {
    use std::cell::Cell;

    thread_local! {
        /// Calls left before the next read, and the CPU last read.
        static CACHED: Cell<(u32, u32)> = const { Cell::new((0, 0)) };
    }
    if !has_rdtscp() {
        return None;
    }
    std::hint::black_box(CACHED.with(|cached| {
        let (left, cpu) = cached.get();
        if left != 0 {
            cached.set((left - 1, cpu));
            return Some(cpu as usize);
        }
        let mut aux = 0u32;
        // SAFETY: `rdtscp` is present (CPUID said so, checked just above); the intrinsic
        // only reads the time-stamp counter and TSC_AUX into `aux`.
        unsafe { core::arch::x86_64::__rdtscp(&mut aux) };
        // Linux writes `(node << 12) | cpu` to TSC_AUX on every CPU.
        let cpu = aux & 0xfff;
        cached.set((CPU_REFRESH - 1, cpu));
        Some(cpu as usize)
    }))
}

/// Whether the CPU has `rdtscp` (CPUID leaf 0x8000_0001, EDX bit 27); asked
/// once per process (std's `is_x86_feature_detected!` does not know this
/// feature).
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
#[inline]
fn has_rdtscp() -> bool {
    use crate::sync::Ordering;
    use crate::sync::global::AtomicUsize;
    use core::arch::x86_64::__cpuid;

    const UNKNOWN: usize = 0;
    const YES: usize = 1;
    const NO: usize = 2;
    static RDTSCP: AtomicUsize = AtomicUsize::new(UNKNOWN);
    // Relaxed: the value is a pure function of the CPU; racing threads
    // compute and store the same answer.
    match RDTSCP.load(Ordering::Relaxed) {
        YES => true,
        NO => false,
        _ => {
            let present = __cpuid(0x8000_0000).eax >= 0x8000_0001
                && __cpuid(0x8000_0001).edx & (1 << 27) != 0;
            RDTSCP.store(if present { YES } else { NO }, Ordering::Relaxed);
            present
        }
    }
}

/// The CPU the calling thread runs on: unknown on this target, so homes come
/// from the worker affinity or the worker index.
#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
#[inline]
fn current_cpu() -> Option<usize> {
    None
}

/// The CPU the calling thread runs on, as [`Numa`] reads it (`None` where the
/// target gives no cheap way: then homes come from the worker affinity or the
/// worker index). Cached per thread; for inspection and tests.
pub fn current_cpu_hint() -> Option<usize> {
    current_cpu()
}

/// `topology()` on both handles of a NUMA-placed channel.
macro_rules! numa_accessors {
    ($handle:ident) => {
        impl<T, F, S> crate::channel::$handle<T, F>
        where
            F: crate::channel::Flavor<Placement = Numa<S>>,
            S: NumaSource,
        {
            /// The NUMA topology the channel's placement uses: what was
            /// found (and where, [`Topology::source`]), or what was given.
            pub fn topology(&self) -> &Topology {
                self.shared().placement().topology()
            }

            /// The channel's NUMA placement (its shards, steal orders and
            /// worker affinity).
            pub fn numa(&self) -> &Numa<S> {
                self.shared().placement()
            }
        }
    };
}

numa_accessors!(Sender);
numa_accessors!(Receiver);
