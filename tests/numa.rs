//! NUMA-aware placement: topologies from a fake sysfs tree and synthetic
//! ones (2 nodes x 4 CPUs, 4 nodes with a distance matrix, a CPU-less node,
//! one node); routing picks the caller's node and receivers fall back in
//! distance order; every message exactly once with many producers and
//! consumers in threads and coroutines; the real (one-node) machine gets one
//! shard.

mod common;

use std::path::{Path, PathBuf};

use common::{DropLog, Runner, Tracked, wait_until, within};
use may_channel::flavors::{InstrumentedNumaWorkStealing, NumaWorkStealing};
use may_channel::placement::{
    Affinity, MAX_AFFINITY_WORKERS, Numa, NumaNode, Placement, Topology, TopologySource,
    worker_index,
};
use may_channel::queue::Workers;
use may_channel::{BuildError, ChannelBuilder, Pair, RecvError};

// ------------------------------------------------------------ topologies

fn two_by_four() -> Topology {
    Topology::new(
        vec![NumaNode::new(0, 0..4), NumaNode::new(1, 4..8)],
        Some(vec![vec![10, 21], vec![21, 10]]),
    )
    .unwrap()
}

/// Four nodes of two CPUs; node 0 is near 1, then 2, then 3; node 3 is
/// near 2, then 1, then 0 (so no order is the ring order).
fn four_with_distances() -> Topology {
    Topology::new(
        (0..4)
            .map(|n| NumaNode::new(n, [2 * n, 2 * n + 1]))
            .collect(),
        Some(vec![
            vec![10, 20, 30, 40],
            vec![20, 10, 40, 30],
            vec![30, 40, 10, 20],
            vec![40, 30, 20, 10],
        ]),
    )
    .unwrap()
}

/// Node 1 holds memory only; it is the nearest to node 0 but has no queue.
fn with_cpu_less_node() -> Topology {
    Topology::new(
        vec![
            NumaNode::new(0, 0..4),
            NumaNode::new(1, []),
            NumaNode::new(2, 4..8),
            NumaNode::new(3, 8..12),
        ],
        Some(vec![
            vec![10, 11, 30, 20],
            vec![11, 10, 20, 20],
            vec![30, 20, 10, 25],
            vec![20, 20, 25, 10],
        ]),
    )
    .unwrap()
}

/// A NUMA channel over `topology` where this thread's home is node `home`
/// (by worker affinity).
fn homed_channel<T: Send>(
    topology: Topology,
    home: Affinity,
) -> Pair<T, InstrumentedNumaWorkStealing> {
    ChannelBuilder::new()
        .enable_metrics()
        .numa_aware_with(Numa::with_topology(topology))
        .worker_affinity([(worker_index(), home)])
        .build()
        .unwrap()
}

// ------------------------------------------------------ topology shapes

#[test]
fn two_nodes_of_four_cpus_give_two_shards() {
    let numa = Numa::with_topology(two_by_four());
    assert_eq!(numa.shards(), 2);
    for cpu in 0..4 {
        assert_eq!(numa.shard_of_cpu(cpu), 0);
    }
    for cpu in 4..8 {
        assert_eq!(numa.shard_of_cpu(cpu), 1);
    }
    assert_eq!(numa.steal_order_of(0), &[1]);
    assert_eq!(numa.steal_order_of(1), &[0]);
    assert_eq!(numa.topology().source(), &TopologySource::Synthetic);

    let (tx, rx): Pair<u8, NumaWorkStealing> =
        ChannelBuilder::new().numa_aware_with(numa).build().unwrap();
    assert_eq!(tx.workers(), 2, "one queue per node");
    assert_eq!(rx.topology(), &two_by_four());
}

#[test]
fn four_nodes_order_their_victims_by_distance() {
    let numa = Numa::with_topology(four_with_distances());
    assert_eq!(numa.shards(), 4);
    assert_eq!(numa.steal_order_of(0), &[1, 2, 3]);
    assert_eq!(numa.steal_order_of(1), &[0, 3, 2]);
    assert_eq!(numa.steal_order_of(2), &[3, 0, 1]);
    assert_eq!(numa.steal_order_of(3), &[2, 1, 0]);
}

#[test]
fn without_distances_victims_follow_the_ring_from_home() {
    let topology = Topology::new((0..3).map(|n| NumaNode::new(n, [n])).collect(), None).unwrap();
    let numa = Numa::with_topology(topology);
    assert_eq!(numa.steal_order_of(0), &[1, 2]);
    assert_eq!(numa.steal_order_of(1), &[2, 0]);
    assert_eq!(numa.steal_order_of(2), &[0, 1]);
}

#[test]
fn a_cpu_less_node_is_reported_but_gets_no_queue() {
    let numa = Numa::with_topology(with_cpu_less_node());
    assert_eq!(
        numa.topology().nodes().len(),
        4,
        "topology() shows every node"
    );
    assert_eq!(numa.shards(), 3, "only nodes with CPUs get a queue");
    let ids: Vec<usize> = (0..3).map(|s| numa.shard_node(s).unwrap().id).collect();
    assert_eq!(ids, [0, 2, 3]);
    assert_eq!(numa.shard_of_cpu(5), 1, "CPU 5 is on node 2, shard 1");
    // From node 0: node 3 (20) before node 2 (30); node 1 (11) is skipped.
    assert_eq!(numa.steal_order_of(0), &[2, 1]);
    // From node 2: node 3 (25) before node 0 (30).
    assert_eq!(numa.steal_order_of(1), &[2, 0]);

    let err = ChannelBuilder::new()
        .numa_aware_with(Numa::with_topology(with_cpu_less_node()))
        .worker_affinity([(0, Affinity::Node(1))])
        .build::<u8>()
        .unwrap_err();
    assert!(
        matches!(&err, BuildError::Invalid(why) if why.contains("no CPUs")),
        "{err}"
    );
}

#[test]
fn one_node_has_one_shard_and_every_home_is_zero() {
    let numa = Numa::with_topology(Topology::single_node(0..8));
    assert_eq!(numa.shards(), 1);
    assert_eq!(numa.home(), 0);
    assert_eq!(numa.steal_order_of(0), &[] as &[usize]);
    let (tx, rx): Pair<u32, NumaWorkStealing> =
        ChannelBuilder::new().numa_aware_with(numa).build().unwrap();
    assert_eq!(tx.workers(), 1);
    let homes = std::thread::spawn(move || {
        tx.send(1).unwrap();
        tx.numa().home()
    })
    .join()
    .unwrap();
    assert_eq!(homes, 0);
    assert_eq!(rx.recv(), Ok(1));
}

#[test]
fn this_machine_gets_one_shard_per_node_with_cpus() {
    let (tx, rx) = ChannelBuilder::new().numa_aware().build::<u32>().unwrap();
    let topology = tx.topology();
    assert!(
        matches!(
            topology.source(),
            TopologySource::Sysfs(_) | TopologySource::Fallback(_)
        ),
        "{topology:?}"
    );
    let with_cpus = topology
        .nodes()
        .iter()
        .filter(|n| !n.cpus.is_empty())
        .count();
    assert_eq!(tx.workers(), with_cpus.max(1));
    assert!(tx.numa().home() < tx.workers());
    tx.send(5).unwrap();
    assert_eq!(rx.recv(), Ok(5));
}

// ------------------------------------------------------------ sysfs

/// A fresh directory under the target's temp dir, removed on drop.
struct TempTree(PathBuf);

impl TempTree {
    fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("may_channel_numa_{name}_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempTree(path)
    }

    fn node(&self, id: usize, cpulist: &str, distance: Option<&str>) -> &Self {
        let dir = self.0.join(format!("node{id}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("cpulist"), format!("{cpulist}\n")).unwrap();
        if let Some(distance) = distance {
            std::fs::write(dir.join("distance"), format!("{distance}\n")).unwrap();
        }
        self
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn sysfs_tree_with_ranges_and_a_distance_matrix() {
    let tree = TempTree::new("two");
    tree.node(1, "4-7,12-15", Some("21 10"))
        .node(0, "0-3,8-11", Some("10 21"));
    // Entries sysfs has beside the node directories.
    std::fs::write(tree.path().join("possible"), "0-1\n").unwrap();
    std::fs::write(tree.path().join("online"), "0-1\n").unwrap();
    std::fs::create_dir_all(tree.path().join("power")).unwrap();

    let topology = Topology::from_sysfs(tree.path()).unwrap();
    assert!(matches!(topology.source(), TopologySource::Sysfs(_)));
    let nodes = topology.nodes();
    assert_eq!(nodes.len(), 2);
    assert_eq!(nodes[0].id, 0);
    assert_eq!(nodes[0].cpus, [0, 1, 2, 3, 8, 9, 10, 11]);
    assert_eq!(nodes[1].cpus, [4, 5, 6, 7, 12, 13, 14, 15]);
    assert_eq!(topology.distance(0, 1), Some(21));
    assert_eq!(topology.distance(1, 1), Some(10));
    assert_eq!(topology.node_of_cpu(12), Some(1));

    let numa = Numa::with_topology(topology);
    assert_eq!(numa.shard_of_cpu(9), 0);
    assert_eq!(numa.shard_of_cpu(13), 1);
}

#[test]
fn sysfs_tree_with_sparse_ids_a_memory_node_and_no_distances() {
    let tree = TempTree::new("sparse");
    tree.node(0, "0-1", None)
        .node(2, "", None)
        .node(5, "2,3", Some("10 20 30"));
    let topology = Topology::from_sysfs(tree.path()).unwrap();
    let ids: Vec<usize> = topology.nodes().iter().map(|n| n.id).collect();
    assert_eq!(ids, [0, 2, 5]);
    assert!(topology.nodes()[1].cpus.is_empty());
    assert_eq!(topology.nodes()[2].cpus, [2, 3]);
    assert!(
        !topology.has_distances(),
        "rows missing for some nodes: no matrix"
    );
    assert_eq!(Numa::with_topology(topology).shards(), 2);
}

#[test]
fn sysfs_errors_are_reported() {
    let missing = TempTree::new("missing");
    let gone = missing.path().join("nothing-here");
    assert!(Topology::from_sysfs(&gone).is_err());
    let empty = TempTree::new("empty");
    assert!(Topology::from_sysfs(empty.path()).is_err(), "no nodeN");
    let bad = TempTree::new("bad");
    bad.node(0, "0-x", None);
    let err = Topology::from_sysfs(bad.path()).unwrap_err();
    assert!(err.to_string().contains("cpulist"), "{err}");
}

// ------------------------------------------------------------ routing

#[test]
fn a_send_goes_to_the_callers_node() {
    let (tx, rx) = homed_channel::<u32>(two_by_four(), Affinity::Node(1));
    tx.send(1).unwrap();
    assert_eq!(tx.len_at_worker(1), 1);
    assert_eq!(tx.len_at_worker(0), 0);
    assert_eq!(rx.recv(), Ok(1));
    assert_eq!(rx.metrics().stolen, 0, "it was local: nothing stolen");

    // By CPU: CPU 2 is on node 0.
    let (tx, rx) = homed_channel::<u32>(two_by_four(), Affinity::Cpu(2));
    tx.send(2).unwrap();
    assert_eq!(tx.len_at_worker(0), 1);
    assert_eq!(rx.recv(), Ok(2));
}

#[test]
fn a_receive_takes_its_own_node_first() {
    let (tx, rx) = homed_channel::<u32>(two_by_four(), Affinity::Node(0));
    tx.send_to_worker(1, 10).unwrap();
    tx.send_to_worker(0, 20).unwrap();
    assert_eq!(rx.recv(), Ok(20), "the local message first");
    assert_eq!(rx.recv(), Ok(10), "then the other node's");
    assert_eq!(rx.metrics().stolen, 1);
}

#[test]
fn an_empty_node_falls_back_in_distance_order() {
    for home in 0..4 {
        let (tx, rx) = homed_channel::<usize>(four_with_distances(), Affinity::Node(home));
        let expected = rx.numa().steal_order_of(home).to_vec();
        for shard in (0..4).filter(|&s| s != home) {
            tx.send_to_worker(shard, shard).unwrap();
        }
        let got: Vec<usize> = (0..3).map(|_| rx.recv().unwrap()).collect();
        assert_eq!(got, expected, "from node {home}");
        assert_eq!(rx.metrics().stolen, 3);
    }
}

#[test]
fn distance_order_skips_the_cpu_less_node_and_batches_are_stolen_whole() {
    // This thread works on node 0; node 3 (distance 20) is nearer than
    // node 2 (30); node 1 holds memory only.
    let (tx, rx) = homed_channel::<(usize, usize)>(with_cpu_less_node(), Affinity::Node(0));
    for i in 0..3 {
        tx.send_to_worker(1, (2, i)).unwrap(); // shard 1 = node 2
        tx.send_to_worker(2, (3, i)).unwrap(); // shard 2 = node 3
    }
    let got: Vec<(usize, usize)> = (0..6).map(|_| rx.recv().unwrap()).collect();
    assert_eq!(got, [(3, 0), (3, 1), (3, 2), (2, 0), (2, 1), (2, 2)]);
}

#[test]
fn unknown_affinity_targets_are_refused_at_build() {
    let cases = [
        (0, Affinity::Cpu(99), "CPU 99"),
        (0, Affinity::Node(7), "node 7"),
        (MAX_AFFINITY_WORKERS, Affinity::Cpu(0), "worker index"),
    ];
    for (worker, target, says) in cases {
        let err = ChannelBuilder::new()
            .numa_aware_with(Numa::with_topology(two_by_four()))
            .worker_affinity([(worker, target)])
            .build::<u8>()
            .unwrap_err();
        assert!(err.to_string().contains(says), "{err}");
        // The same through the alias's constructor.
        let numa = Numa::with_topology(two_by_four()).with_worker_affinity([(worker, target)]);
        assert!(NumaWorkStealing::with_placement::<u8>(Workers(2), numa).is_err());
    }
}

#[test]
fn a_parked_receiver_wakes_for_a_push_to_any_node() {
    within(30, || {
        let (tx, rx) = homed_channel::<usize>(four_with_distances(), Affinity::Node(0));
        for target in 0..4 {
            let rx2 = rx.clone();
            let waiter = Runner::Coroutines.spawn(move || rx2.recv());
            wait_until(20, "the receiver parks", || {
                tx.metrics().blocked_receivers == 1
            });
            tx.send_to_worker(target, target).unwrap();
            assert_eq!(waiter.join(), Ok(target));
        }
        drop(tx);
        assert_eq!(rx.recv(), Err(RecvError));
    });
}

#[test]
fn the_numa_flavours_are_ordinary_flavours_with_the_core_api() {
    // The builder yields exactly the aliases' types.
    let _: Pair<u32, NumaWorkStealing> = ChannelBuilder::new().numa_aware().build().unwrap();
    let _: Pair<u32, InstrumentedNumaWorkStealing> = ChannelBuilder::new()
        .numa_aware()
        .enable_metrics()
        .build()
        .unwrap();

    let (tx, rx) = homed_channel::<u32>(four_with_distances(), Affinity::Node(1));
    assert_eq!(tx.capacity(), None);
    assert!(rx.is_empty());
    assert_eq!(
        rx.recv_timeout(std::time::Duration::from_millis(2)),
        Err(may_channel::RecvTimeoutError::Timeout)
    );
    assert!(tx.send_batch(0..6).is_empty(), "nothing refused");
    tx.send_to_worker(3, 6).unwrap();
    assert_eq!(rx.len(), 7);
    assert_eq!(
        tx.len_at_worker(1),
        6,
        "the batch went to this thread's node"
    );
    assert_eq!(rx.recv_batch(4), Ok(vec![0, 1, 2, 3]));
    let got = may_channel::select! {
        recv(rx) -> msg => msg,
        default(std::time::Duration::from_secs(5)) => Err(RecvError),
    };
    assert_eq!(got, Ok(4));
    let tx2 = tx.clone();
    assert_eq!(tx.sender_count(), 2);
    drop(tx);
    tx2.send(7).unwrap();
    drop(tx2);
    assert_eq!(rx.iter().collect::<Vec<_>>(), [5, 7, 6]);
    assert_eq!(rx.recv(), Err(RecvError));
    assert_eq!(rx.metrics().received, 8);
}

// ---------------------------------------------------- exactly once

/// Two nodes of one CPU each, so that on a two-CPU machine the threads that
/// are not mapped really do land on both nodes by the CPU they run on.
fn one_cpu_per_node() -> Topology {
    Topology::new(
        vec![NumaNode::new(0, [0]), NumaNode::new(1, [1])],
        Some(vec![vec![10, 20], vec![20, 10]]),
    )
    .unwrap()
}

fn each_message_once(runner: Runner) {
    within(60, move || {
        const PRODUCERS: usize = 4;
        const EACH: usize = 3_000;
        let log = DropLog::new(PRODUCERS * EACH);
        let (tx, rx): Pair<Tracked, InstrumentedNumaWorkStealing> = ChannelBuilder::new()
            .enable_metrics()
            .numa_aware_with(Numa::with_topology(one_cpu_per_node()))
            // This thread on node 1; the others by the CPU they run on.
            .worker_affinity([(worker_index(), Affinity::Node(1))])
            .build()
            .unwrap();
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let tx = tx.clone();
                let log = log.clone();
                runner.spawn(move || {
                    for i in 0..EACH {
                        let id = p * EACH + i;
                        if i % 3 == 0 {
                            tx.send_to_worker(i, log.item(id)).unwrap();
                        } else {
                            tx.send(log.item(id)).unwrap();
                        }
                    }
                })
            })
            .collect();
        drop(tx);
        let consumers: Vec<_> = (0..3)
            .map(|_| {
                let rx = rx.clone();
                runner.spawn(move || rx.iter().map(|m| m.id).collect::<Vec<_>>())
            })
            .collect();
        for producer in producers {
            producer.join();
        }
        let mut all: Vec<usize> = consumers.into_iter().flat_map(|c| c.join()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..PRODUCERS * EACH).collect::<Vec<_>>());
        assert_eq!(rx.metrics().received, (PRODUCERS * EACH) as u64);
        drop(rx);
        log.assert_all_dropped_once();
    });
}

#[test]
fn many_producers_and_consumers_each_message_once_in_threads() {
    each_message_once(Runner::Threads);
}

#[test]
fn many_producers_and_consumers_each_message_once_in_coroutines() {
    each_message_once(Runner::Coroutines);
}

#[test]
fn messages_queued_on_every_node_are_dropped_once_with_the_last_receiver() {
    let log = DropLog::new(40);
    let (tx, rx) = homed_channel::<Tracked>(four_with_distances(), Affinity::Node(2));
    for id in 0..40 {
        tx.send_to_worker(id, log.item(id)).unwrap();
    }
    assert_eq!(rx.len(), 40);
    drop(rx);
    log.assert_all_dropped_once();
    assert!(tx.send(log.item(0)).is_err());
}

#[test]
fn a_queue_with_more_workers_than_nodes_still_reaches_them_all() {
    // Built by hand with 5 worker queues over 2 nodes: the placement's
    // steal order covers 2, the rest are reached by the fallback.
    let numa = Numa::with_topology(two_by_four())
        .with_worker_affinity([(worker_index(), Affinity::Node(0))]);
    let (tx, rx) = NumaWorkStealing::with_placement::<usize>(Workers(5), numa).unwrap();
    for worker in 0..5 {
        tx.send_to_worker(worker, worker).unwrap();
    }
    let mut got: Vec<usize> = (0..5).map(|_| rx.recv().unwrap()).collect();
    got.sort_unstable();
    assert_eq!(got, [0, 1, 2, 3, 4]);
    assert!(rx.try_recv().is_err());
}

/// On one may worker, receivers that park (coroutines) are woken by sends
/// to every node's queue, and producers and consumers interleave: a wait
/// that parked the worker thread instead would hang here (watchdog).
#[test]
fn coroutines_on_one_may_worker_park_and_wake_across_nodes() {
    common::on_one_worker("MAY_CHANNEL_NUMA_ONE_WORKER_CHILD", || {
        const EACH: usize = 500;
        let log = DropLog::new(4 * EACH);
        let (tx, rx) = homed_channel::<Tracked>(four_with_distances(), Affinity::Node(3));
        // Consumers first, so they park on an empty channel.
        let consumers: Vec<_> = (0..3)
            .map(|_| {
                let rx = rx.clone();
                let handle = may::go!(move || rx.iter().map(|m| m.id).collect::<Vec<_>>());
                common::keep_alive(handle.coroutine());
                handle
            })
            .collect();
        drop(rx);
        let producers: Vec<_> = (0..4)
            .map(|node| {
                let (tx, log) = (tx.clone(), log.clone());
                let handle = may::go!(move || {
                    for i in 0..EACH {
                        tx.send_to_worker(node, log.item(node * EACH + i)).unwrap();
                        if i % 50 == 0 {
                            may::coroutine::yield_now();
                        }
                    }
                });
                common::keep_alive(handle.coroutine());
                handle
            })
            .collect();
        drop(tx);
        for producer in producers {
            producer.join().unwrap();
        }
        let mut all: Vec<usize> = consumers
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..4 * EACH).collect::<Vec<_>>());
        log.assert_all_dropped_once();
    });
}

// ------------------------------------------------------------ hwloc

#[cfg(feature = "hwloc")]
mod hwloc {
    use super::*;
    use may_channel::placement::Hwloc;

    #[test]
    fn hwloc_finds_the_nodes_sysfs_finds() {
        let hwloc = Topology::from_hwloc();
        assert_eq!(hwloc.source(), &TopologySource::Hwloc, "{hwloc:?}");
        let sysfs = Topology::detect();
        if matches!(sysfs.source(), TopologySource::Sysfs(_)) {
            let ids = |t: &Topology| t.nodes().iter().map(|n| n.id).collect::<Vec<_>>();
            assert_eq!(ids(&hwloc), ids(&sysfs));
            // hwloc may see fewer CPUs (a cgroup's cpuset), never others.
            for (h, s) in hwloc.nodes().iter().zip(sysfs.nodes()) {
                assert!(
                    h.cpus.iter().all(|cpu| s.cpus.contains(cpu)),
                    "{h:?} vs {s:?}"
                );
            }
        }
        let (tx, rx) = ChannelBuilder::new()
            .numa_aware_with(Numa::<Hwloc>::default())
            .build::<u8>()
            .unwrap();
        assert_eq!(tx.topology().source(), &TopologySource::Hwloc);
        tx.send(1).unwrap();
        assert_eq!(rx.recv(), Ok(1));
    }

    #[test]
    fn pinning_binds_a_mapped_thread_and_leaves_others_alone() {
        let topology = Topology::from_hwloc();
        let cpu = topology.nodes()[0].cpus[0];
        std::thread::spawn(move || {
            let numa = Numa::<Hwloc>::default()
                .with_worker_affinity([(worker_index(), Affinity::Cpu(cpu))]);
            assert_eq!(numa.pin_current_thread(), Ok(true));
            // The OS agrees: this thread may run on `cpu` only.
            let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
            let allowed = status
                .lines()
                .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))
                .unwrap()
                .trim()
                .to_string();
            assert_eq!(allowed, cpu.to_string());
            let unmapped = Numa::<Hwloc>::default();
            assert_eq!(unmapped.pin_current_thread(), Ok(false));
        })
        .join()
        .unwrap();
    }

    /// A thread pinned to each CPU in turn reads that CPU as its current
    /// one (rdtscp's TSC_AUX on x86_64 Linux), so homes follow real CPUs.
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    #[test]
    fn the_current_cpu_is_the_pinned_one() {
        use may_channel::placement::current_cpu_hint;

        let topology = Topology::from_hwloc();
        let cpus: Vec<usize> = topology
            .nodes()
            .iter()
            .flat_map(|n| n.cpus.clone())
            .collect();
        for cpu in cpus {
            let seen = std::thread::spawn(move || {
                let numa = Numa::<Hwloc>::default()
                    .with_worker_affinity([(worker_index(), Affinity::Cpu(cpu))]);
                assert_eq!(numa.pin_current_thread(), Ok(true));
                // A fresh thread has no cached CPU: this reads it.
                current_cpu_hint()
            })
            .join()
            .unwrap();
            assert_eq!(seen, Some(cpu));
        }
    }
}
