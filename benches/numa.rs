//! NUMA placement against `Anywhere` on the same work-stealing queue, on
//! this machine (one NUMA node: the NUMA channel has one queue, and so is
//! the `Anywhere` one). The question: does NUMA awareness cost anything where
//! there is nothing to be aware of? It must be within noise.
//!
//! Also, for scale, the placement's multi-node path (a synthetic topology of
//! two nodes of one CPU each, so `home` reads the current CPU, cached per
//! thread) on the same workloads.

mod task_pool;

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use may_channel::backpressure::Unlimited;
use may_channel::flavors::NumaWorkStealing;
use may_channel::metrics::NoMetrics;
use may_channel::placement::{Anywhere, Numa, NumaNode, Topology};
use may_channel::queue::{WorkStealing, Workers};
use may_channel::wait::SpinThenPark;
use may_channel::{Channel, ChannelBuilder, Flavor, Pair};
use task_pool::{TASKS_PER_WORKER, pool};

/// The same queue as [`NumaWorkStealing`], placed `Anywhere`.
type AnywhereWorkStealing = Channel<WorkStealing, SpinThenPark, Unlimited, NoMetrics, Anywhere>;

const MESSAGES: usize = 10_000;

fn anywhere() -> Pair<usize, AnywhereWorkStealing> {
    // One queue, as the NUMA channel has on a one-node machine.
    AnywhereWorkStealing::with_config(Workers(1)).unwrap()
}

fn numa() -> Pair<usize, NumaWorkStealing> {
    let detected = Topology::detect();
    let nodes_with_cpus = detected
        .nodes()
        .iter()
        .filter(|n| !n.cpus.is_empty())
        .count();
    if nodes_with_cpus <= 1 {
        ChannelBuilder::new().numa_aware().build().unwrap()
    } else {
        // A multi-node machine: the question is about one node, so fold
        // its CPUs into one (the `home` path is then the one-node path).
        let cpus = detected.nodes().iter().flat_map(|n| n.cpus.clone());
        ChannelBuilder::new()
            .numa_aware_with(Numa::with_topology(Topology::single_node(cpus)))
            .build()
            .unwrap()
    }
}

fn numa_two_nodes() -> Pair<usize, NumaWorkStealing> {
    let topology = Topology::new(
        vec![NumaNode::new(0, [0]), NumaNode::new(1, [1])],
        Some(vec![vec![10, 20], vec![20, 10]]),
    )
    .unwrap();
    ChannelBuilder::new()
        .numa_aware_with(Numa::with_topology(topology))
        .build()
        .unwrap()
}

/// One thread: send `MESSAGES`, receive them all (every push and pop asks
/// the placement for a home). The channel is empty again afterwards, so one
/// channel serves every iteration.
fn seq<F: Flavor>((tx, rx): &Pair<usize, F>)
where
    F::Backpressure: may_channel::backpressure::HasSend,
{
    for i in 0..MESSAGES {
        tx.send(i).unwrap();
    }
    for _ in 0..MESSAGES {
        rx.try_recv().unwrap();
    }
}

fn bench(c: &mut Criterion) {
    let (probe, _) = numa();
    assert_eq!(probe.workers(), 1, "one node, one queue");
    eprintln!("topology of this machine: {:?}", Topology::detect());

    let mut group = c.benchmark_group("numa-one-node/seq");
    group.throughput(Throughput::Elements(MESSAGES as u64));
    let pairs = (anywhere(), numa(), numa_two_nodes());
    group.bench_function("Anywhere", |b| b.iter(|| seq(&pairs.0)));
    group.bench_function("Numa", |b| b.iter(|| seq(&pairs.1)));
    group.bench_function("Numa (synthetic 2 nodes)", |b| b.iter(|| seq(&pairs.2)));
    group.finish();

    let mut group = c.benchmark_group("numa-one-node/task-pool-2-threads");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    group.throughput(Throughput::Elements((2 * TASKS_PER_WORKER) as u64));
    group.bench_function("Anywhere", |b| b.iter(|| pool(2, anywhere())));
    group.bench_function("Numa", |b| b.iter(|| pool(2, numa())));
    group.bench_function("Numa (synthetic 2 nodes)", |b| {
        b.iter(|| pool(2, numa_two_nodes()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
