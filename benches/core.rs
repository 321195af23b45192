//! What do the zero-cost claims cost in practice? Each group compares a
//! channel with the same channel minus one feature, so its ratio is the price
//! of that feature.
//!
//! | group | question |
//! |---|---|
//! | `zero_cost/{ping,burst}` | `SpinRing<1024>` (Spin, Reject, NoMetrics, Anywhere) against the bare ring it is built on (`BoundedQueue`, through `RawQueue`) and against `crossbeam_queue::ArrayQueue`, one thread |
//! | `zero_cost/counters/{ping,threads/spsc/cap1024}` | `BoundedBlocking<1024>` (`NoMetrics`) against `InstrumentedBounded<1024>` (the `Counters` sink) |
//! | `zero_cost/builder/{ping,threads/spsc/cap1024}` | `BoundedBlocking<1024>::new()` against the same type from `ChannelBuilder` |
//!
//! `ping` sends one message and receives it, `burst` fills the ring and drains
//! it, `threads/spsc` is one producer thread and one consumer thread. The
//! comparison against other crates lives in `benches/peers.rs`, the price of
//! every metrics sink in `benches/metrics.rs`.
//!
//! Run: `cargo bench --bench core`; `MAY_CHANNEL_BENCH_QUICK=1` shortens it.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion, Throughput, measurement::WallTime};
use crossbeam_queue::ArrayQueue;
use may_channel::backpressure::Block;
use may_channel::flavors::{BoundedBlocking, InstrumentedBounded, SpinRing};
use may_channel::metrics::MetricsSink;
use may_channel::queue::{Bounded, QueueStrategy, RawQueue};
use may_channel::wait::SpinThenPark;
use may_channel::{Channel, ChannelBuilder, Pair};

/// Capacity of every channel here.
const CAP: usize = 1024;

/// Messages per iteration.
fn messages() -> usize {
    if quick() { 4_000 } else { 20_000 }
}

fn quick() -> bool {
    std::env::var("MAY_CHANNEL_BENCH_QUICK").is_ok_and(|v| v == "1")
}

fn configure(group: &mut BenchmarkGroup<'_, WallTime>, elements: usize) {
    let (warm_up, measurement) = if quick() { (100, 300) } else { (300, 1000) };
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(warm_up))
        .measurement_time(Duration::from_millis(measurement))
        .throughput(Throughput::Elements(elements as u64));
}

/// The bounded blocking channel with metrics sink `M`.
type BlockingWith<M> = Channel<Bounded<CAP>, SpinThenPark, Block, M>;

/// One message in, one out, `messages()` times, on one thread.
fn ping<M: MetricsSink>(pair: &Pair<usize, BlockingWith<M>>) -> usize {
    let (tx, rx) = pair;
    let mut sum = 0usize;
    for i in 0..messages() {
        tx.send(black_box(i)).unwrap();
        sum = sum.wrapping_add(rx.try_recv().unwrap());
    }
    sum
}

/// One producer thread, one consumer thread, a new channel from `make`.
fn spsc_threads<M: MetricsSink>(make: fn() -> Pair<usize, BlockingWith<M>>) -> usize {
    let count = messages();
    let (tx, rx) = make();
    let producer = std::thread::spawn(move || (0..count).for_each(|i| tx.send(i).unwrap()));
    let sum = (0..count).fold(0usize, |sum, _| sum.wrapping_add(rx.recv().unwrap()));
    producer.join().unwrap();
    assert_eq!(sum, count * (count - 1) / 2, "lost or duplicated messages");
    sum
}

/// `SpinRing<1024>` against the raw ring it is built on (`Bounded<1024>`'s
/// queue, used directly through `RawQueue`) and against crossbeam's
/// `ArrayQueue`, which `Bounded` wrapped before it got its own ring: the
/// channel layer should add (almost) nothing.
fn zero_cost(c: &mut Criterion) {
    let count = messages();

    // Ping: one message in, one out.
    let mut group = c.benchmark_group("zero_cost/ping");
    configure(&mut group, count);
    group.bench_function("may_channel::SpinRing", |b| {
        let (tx, rx) = SpinRing::<CAP>::new::<usize>();
        b.iter(|| {
            let mut sum = 0usize;
            for i in 0..count {
                tx.try_send(black_box(i)).unwrap();
                sum = sum.wrapping_add(rx.try_recv().unwrap());
            }
            black_box(sum)
        });
    });
    group.bench_function("may_channel::queue::BoundedQueue", |b| {
        let queue = <Bounded<CAP> as QueueStrategy>::new_queue::<usize>(&());
        b.iter(|| {
            let mut sum = 0usize;
            for i in 0..count {
                queue.push(black_box(i), 0).unwrap();
                sum = sum.wrapping_add(queue.pop(0).unwrap());
            }
            black_box(sum)
        });
    });
    group.bench_function("crossbeam_queue::ArrayQueue", |b| {
        let queue = ArrayQueue::<usize>::new(CAP);
        b.iter(|| {
            let mut sum = 0usize;
            for i in 0..count {
                queue.push(black_box(i)).unwrap();
                sum = sum.wrapping_add(queue.pop().unwrap());
            }
            black_box(sum)
        });
    });
    group.finish();

    // Burst: fill the ring, then drain it.
    let mut group = c.benchmark_group("zero_cost/burst");
    let rounds = count / CAP;
    configure(&mut group, rounds * CAP);
    group.bench_function("may_channel::SpinRing", |b| {
        let (tx, rx) = SpinRing::<CAP>::new::<usize>();
        b.iter(|| {
            let mut sum = 0usize;
            for _ in 0..rounds {
                for i in 0..CAP {
                    tx.try_send(black_box(i)).unwrap();
                }
                for _ in 0..CAP {
                    sum = sum.wrapping_add(rx.try_recv().unwrap());
                }
            }
            black_box(sum)
        });
    });
    group.bench_function("may_channel::queue::BoundedQueue", |b| {
        let queue = <Bounded<CAP> as QueueStrategy>::new_queue::<usize>(&());
        b.iter(|| {
            let mut sum = 0usize;
            for _ in 0..rounds {
                for i in 0..CAP {
                    queue.push(black_box(i), 0).unwrap();
                }
                for _ in 0..CAP {
                    sum = sum.wrapping_add(queue.pop(0).unwrap());
                }
            }
            black_box(sum)
        });
    });
    group.bench_function("crossbeam_queue::ArrayQueue", |b| {
        let queue = ArrayQueue::<usize>::new(CAP);
        b.iter(|| {
            let mut sum = 0usize;
            for _ in 0..rounds {
                for i in 0..CAP {
                    queue.push(black_box(i)).unwrap();
                }
                for _ in 0..CAP {
                    sum = sum.wrapping_add(queue.pop().unwrap());
                }
            }
            black_box(sum)
        });
    });
    group.finish();
}

/// The price of the `Counters` sink: the same bounded channel with and without.
fn metrics_cost(c: &mut Criterion) {
    let count = messages();

    let mut group = c.benchmark_group("zero_cost/counters/ping");
    configure(&mut group, count);
    group.bench_function("BoundedBlocking", |b| {
        let pair: Pair<usize, BoundedBlocking<CAP>> = BoundedBlocking::<CAP>::new();
        b.iter(|| black_box(ping(&pair)));
    });
    group.bench_function("InstrumentedBounded", |b| {
        let pair: Pair<usize, InstrumentedBounded<CAP>> = InstrumentedBounded::<CAP>::new();
        b.iter(|| black_box(ping(&pair)));
    });
    group.finish();

    let mut group = c.benchmark_group("zero_cost/counters/threads/spsc/cap1024");
    configure(&mut group, count);
    group.bench_function("BoundedBlocking", |b| {
        b.iter(|| black_box(spsc_threads(BoundedBlocking::<CAP>::new)));
    });
    group.bench_function("InstrumentedBounded", |b| {
        b.iter(|| black_box(spsc_threads(InstrumentedBounded::<CAP>::new)));
    });
    group.finish();
}

/// `ChannelBuilder::new().bounded::<1024>().build()`, as a typed pair. The
/// annotation is the compile-time proof that the builder builds the alias's
/// type; the bench checks that nothing else differs at run time.
fn built() -> Pair<usize, BoundedBlocking<CAP>> {
    ChannelBuilder::new()
        .bounded::<CAP>()
        .build()
        .expect("a fixed capacity passes the builder's checks")
}

/// A builder-built channel against the alias it builds (the same type).
fn builder_cost(c: &mut Criterion) {
    let count = messages();

    let mut group = c.benchmark_group("zero_cost/builder/ping");
    configure(&mut group, count);
    group.bench_function("BoundedBlocking::new", |b| {
        let pair = BoundedBlocking::<CAP>::new();
        b.iter(|| black_box(ping(&pair)));
    });
    group.bench_function("ChannelBuilder", |b| {
        let pair = built();
        b.iter(|| black_box(ping(&pair)));
    });
    group.finish();

    let mut group = c.benchmark_group("zero_cost/builder/threads/spsc/cap1024");
    configure(&mut group, count);
    group.bench_function("BoundedBlocking::new", |b| {
        b.iter(|| black_box(spsc_threads(BoundedBlocking::<CAP>::new)));
    });
    group.bench_function("ChannelBuilder", |b| {
        b.iter(|| black_box(spsc_threads(built)));
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default()
        .nresamples(10_000)
        .without_plots()
        .configure_from_args();
    zero_cost(&mut c);
    metrics_cost(&mut c);
    builder_cost(&mut c);
    c.final_summary();
}
