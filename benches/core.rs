//! How fast are `may_channel`'s flavours against their peers, and what do the
//! zero-cost claims cost in practice?
//!
//! Workloads follow crossbeam-channel's benchmark suite: word-sized messages
//! (`usize`), a fixed number of messages per iteration, handles created and
//! producers/consumers spawned inside the timed closure.
//!
//! | group | question |
//! |---|---|
//! | `threads/{spsc,mpsc,mpmc}/{unbounded,bounded}` | ours against crossbeam-channel, flume, kanal and `may::sync` on OS threads |
//! | `coroutines/{spsc,mpsc,mpmc}/{unbounded,bounded}` | ours against `may::sync` inside may coroutines (2 workers) |
//! | `zero_cost/{ping,burst}` | `SpinRing<1024>` against a bare `crossbeam_queue::ArrayQueue`, one thread |
//! | `metrics_cost/...` | `BoundedBlocking<1024>` against `InstrumentedBounded<1024>` (the `Counters` sink) |
//!
//! Read each group as ratios between its functions; the absolute numbers
//! depend on the machine. `mpsc` is 4 producers and 1 consumer, `mpmc` 4 and 4.
//! crossbeam-channel, flume and kanal block the OS thread, so they are not run
//! inside coroutines (they would park a may worker).
//!
//! Run: `cargo bench --bench core` (a filter such as `-- threads/mpmc` narrows
//! it; `-- --quick` runs a short pass).

use std::hint::black_box;
use std::marker::PhantomData;
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion, Throughput, measurement::WallTime};
use crossbeam_queue::ArrayQueue;
use may_channel::backpressure::{HasSend, ValidFor};
use may_channel::flavors::{BoundedBlocking, InstrumentedBounded, SpinRing, UnboundedMpmc};
use may_channel::metrics::MetricsSink;
use may_channel::placement::Placement;
use may_channel::queue::QueueStrategy;
use may_channel::wait::WaitStrategy;
use may_channel::{Channel, Flavor, Receiver, Sender};

/// Messages per iteration of every workload.
const COUNT: usize = 20_000;
/// Capacity of every bounded channel.
const CAP: usize = 1024;
/// Producers in the `mpsc` and `mpmc` workloads.
const PRODUCERS: usize = 4;
/// Consumers in the `mpmc` workload.
const CONSUMERS: usize = 4;

// ------------------------------------------------------------------ contenders

/// A channel implementation under test, reduced to what the workloads need.
trait Contender: 'static {
    type Tx: Send + 'static;
    type Rx: Send + 'static;

    fn pair() -> (Self::Tx, Self::Rx);
    fn clone_tx(tx: &Self::Tx) -> Self::Tx;
    /// `n` receivers of the channel `rx` belongs to. Single-consumer
    /// channels accept only `n == 1`.
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx>;
    fn send(tx: &Self::Tx, msg: usize);
    /// The next message, or `None` once every sender is gone and the channel
    /// is empty.
    fn recv(rx: &Self::Rx) -> Option<usize>;
}

/// Clones a receiver `n - 1` times.
fn cloned<R: Clone>(rx: R, n: usize) -> Vec<R> {
    let mut all: Vec<R> = (1..n).map(|_| rx.clone()).collect();
    all.push(rx);
    all
}

/// Every valid, `send`-capable flavour of ours built with `new()`.
struct Ours<F>(PhantomData<F>);

impl<Q, W, B, M, P> Contender for Ours<Channel<Q, W, B, M, P>>
where
    Q: QueueStrategy<Config = ()>,
    W: WaitStrategy,
    B: ValidFor<Q::Kind> + HasSend,
    M: MetricsSink,
    P: Placement,
    Channel<Q, W, B, M, P>: Flavor<Backpressure = B>,
{
    type Tx = Sender<usize, Channel<Q, W, B, M, P>>;
    type Rx = Receiver<usize, Channel<Q, W, B, M, P>>;

    fn pair() -> (Self::Tx, Self::Rx) {
        Channel::<Q, W, B, M, P>::new()
    }
    fn clone_tx(tx: &Self::Tx) -> Self::Tx {
        tx.clone()
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        cloned(rx, n)
    }
    fn send(tx: &Self::Tx, msg: usize) {
        tx.send(msg).unwrap();
    }
    fn recv(rx: &Self::Rx) -> Option<usize> {
        rx.recv().ok()
    }
}

struct CrossbeamUnbounded;
struct CrossbeamBounded;

impl Contender for CrossbeamUnbounded {
    type Tx = crossbeam_channel::Sender<usize>;
    type Rx = crossbeam_channel::Receiver<usize>;

    fn pair() -> (Self::Tx, Self::Rx) {
        crossbeam_channel::unbounded()
    }
    fn clone_tx(tx: &Self::Tx) -> Self::Tx {
        tx.clone()
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        cloned(rx, n)
    }
    fn send(tx: &Self::Tx, msg: usize) {
        tx.send(msg).unwrap();
    }
    fn recv(rx: &Self::Rx) -> Option<usize> {
        rx.recv().ok()
    }
}

impl Contender for CrossbeamBounded {
    type Tx = crossbeam_channel::Sender<usize>;
    type Rx = crossbeam_channel::Receiver<usize>;

    fn pair() -> (Self::Tx, Self::Rx) {
        crossbeam_channel::bounded(CAP)
    }
    fn clone_tx(tx: &Self::Tx) -> Self::Tx {
        tx.clone()
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        cloned(rx, n)
    }
    fn send(tx: &Self::Tx, msg: usize) {
        tx.send(msg).unwrap();
    }
    fn recv(rx: &Self::Rx) -> Option<usize> {
        rx.recv().ok()
    }
}

struct FlumeUnbounded;
struct FlumeBounded;

impl Contender for FlumeUnbounded {
    type Tx = flume::Sender<usize>;
    type Rx = flume::Receiver<usize>;

    fn pair() -> (Self::Tx, Self::Rx) {
        flume::unbounded()
    }
    fn clone_tx(tx: &Self::Tx) -> Self::Tx {
        tx.clone()
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        cloned(rx, n)
    }
    fn send(tx: &Self::Tx, msg: usize) {
        tx.send(msg).unwrap();
    }
    fn recv(rx: &Self::Rx) -> Option<usize> {
        rx.recv().ok()
    }
}

impl Contender for FlumeBounded {
    type Tx = flume::Sender<usize>;
    type Rx = flume::Receiver<usize>;

    fn pair() -> (Self::Tx, Self::Rx) {
        flume::bounded(CAP)
    }
    fn clone_tx(tx: &Self::Tx) -> Self::Tx {
        tx.clone()
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        cloned(rx, n)
    }
    fn send(tx: &Self::Tx, msg: usize) {
        tx.send(msg).unwrap();
    }
    fn recv(rx: &Self::Rx) -> Option<usize> {
        rx.recv().ok()
    }
}

struct KanalUnbounded;
struct KanalBounded;

impl Contender for KanalUnbounded {
    type Tx = kanal::Sender<usize>;
    type Rx = kanal::Receiver<usize>;

    fn pair() -> (Self::Tx, Self::Rx) {
        kanal::unbounded()
    }
    fn clone_tx(tx: &Self::Tx) -> Self::Tx {
        tx.clone()
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        cloned(rx, n)
    }
    fn send(tx: &Self::Tx, msg: usize) {
        tx.send(msg).unwrap();
    }
    fn recv(rx: &Self::Rx) -> Option<usize> {
        rx.recv().ok()
    }
}

impl Contender for KanalBounded {
    type Tx = kanal::Sender<usize>;
    type Rx = kanal::Receiver<usize>;

    fn pair() -> (Self::Tx, Self::Rx) {
        kanal::bounded(CAP)
    }
    fn clone_tx(tx: &Self::Tx) -> Self::Tx {
        tx.clone()
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        cloned(rx, n)
    }
    fn send(tx: &Self::Tx, msg: usize) {
        tx.send(msg).unwrap();
    }
    fn recv(rx: &Self::Rx) -> Option<usize> {
        rx.recv().ok()
    }
}

/// `may::sync::mpsc`: unbounded, one consumer.
struct MayMpsc;
/// `may::sync::mpmc`: unbounded.
struct MayMpmc;

impl Contender for MayMpsc {
    type Tx = may::sync::mpsc::Sender<usize>;
    type Rx = may::sync::mpsc::Receiver<usize>;

    fn pair() -> (Self::Tx, Self::Rx) {
        may::sync::mpsc::channel()
    }
    fn clone_tx(tx: &Self::Tx) -> Self::Tx {
        tx.clone()
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        assert_eq!(n, 1, "may::sync::mpsc has a single consumer");
        vec![rx]
    }
    fn send(tx: &Self::Tx, msg: usize) {
        tx.send(msg).unwrap();
    }
    fn recv(rx: &Self::Rx) -> Option<usize> {
        rx.recv().ok()
    }
}

impl Contender for MayMpmc {
    type Tx = may::sync::mpmc::Sender<usize>;
    type Rx = may::sync::mpmc::Receiver<usize>;

    fn pair() -> (Self::Tx, Self::Rx) {
        may::sync::mpmc::channel()
    }
    fn clone_tx(tx: &Self::Tx) -> Self::Tx {
        tx.clone()
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        cloned(rx, n)
    }
    fn send(tx: &Self::Tx, msg: usize) {
        tx.send(msg).unwrap();
    }
    fn recv(rx: &Self::Rx) -> Option<usize> {
        rx.recv().ok()
    }
}

// -------------------------------------------------------------------- runtimes

/// Where producers and consumers run.
#[derive(Clone, Copy, Debug)]
enum Runtime {
    Threads,
    Coroutines,
}

impl Runtime {
    fn name(self) -> &'static str {
        match self {
            Runtime::Threads => "threads",
            Runtime::Coroutines => "coroutines",
        }
    }

    fn spawn<R, F>(self, f: F) -> Task<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        match self {
            Runtime::Threads => Task::Thread(std::thread::spawn(f)),
            Runtime::Coroutines => Task::Coroutine(may::go!(f)),
        }
    }
}

enum Task<R> {
    Thread(std::thread::JoinHandle<R>),
    Coroutine(may::coroutine::JoinHandle<R>),
}

impl<R> Task<R> {
    fn join(self) -> R {
        match self {
            Task::Thread(handle) => handle.join().unwrap(),
            Task::Coroutine(handle) => handle.join().unwrap(),
        }
    }
}

/// One iteration: `producers` send `COUNT` messages in all and each of the
/// `consumers` receives its share (`COUNT / consumers`), as in
/// crossbeam-channel's suite. Consumers count messages rather than wait for
/// the disconnect, so the workloads time the transfer, not the shutdown (and
/// `may::sync::mpmc`, whose disconnect can leave one of several blocked
/// receivers asleep for ever, can take part). The sum of what arrived is
/// checked, so a lost or duplicated message fails the bench.
fn transfer<C: Contender>(runtime: Runtime, producers: usize, consumers: usize) -> usize {
    let (tx, rx) = C::pair();
    let per_producer = COUNT / producers;
    let per_consumer = per_producer * producers / consumers;
    assert_eq!(per_consumer * consumers, per_producer * producers);

    let receivers: Vec<Task<usize>> = C::receivers(rx, consumers)
        .into_iter()
        .map(|rx| {
            runtime.spawn(move || {
                let mut sum = 0usize;
                for _ in 0..per_consumer {
                    let msg = C::recv(&rx).expect("senders outlive the transfer");
                    sum = sum.wrapping_add(msg);
                }
                sum
            })
        })
        .collect();
    let senders: Vec<Task<()>> = (0..producers)
        .map(|_| {
            let tx = C::clone_tx(&tx);
            runtime.spawn(move || {
                for i in 0..per_producer {
                    C::send(&tx, i);
                }
            })
        })
        .collect();

    for sender in senders {
        sender.join();
    }
    let sum = receivers
        .into_iter()
        .map(Task::join)
        .fold(0usize, usize::wrapping_add);
    drop(tx);
    let expected = producers * (per_producer * (per_producer - 1) / 2);
    assert_eq!(sum, expected, "lost or duplicated messages");
    sum
}

// ---------------------------------------------------------------------- groups

fn configure(group: &mut BenchmarkGroup<'_, WallTime>, elements: usize) {
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .throughput(Throughput::Elements(elements as u64));
}

/// The three shapes: name, producers, consumers.
const SHAPES: [(&str, usize, usize); 3] = [
    ("spsc", 1, 1),
    ("mpsc", PRODUCERS, 1),
    ("mpmc", PRODUCERS, CONSUMERS),
];

fn bench_one<C: Contender>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    runtime: Runtime,
    producers: usize,
    consumers: usize,
) {
    group.bench_function(name, |b| {
        b.iter(|| black_box(transfer::<C>(runtime, producers, consumers)));
    });
}

fn transfers(c: &mut Criterion, runtime: Runtime) {
    for (shape, producers, consumers) in SHAPES {
        let single_consumer = consumers == 1;

        let mut group = c.benchmark_group(format!("{}/{shape}/unbounded", runtime.name()));
        configure(&mut group, COUNT);
        bench_one::<Ours<UnboundedMpmc>>(&mut group, "may_channel", runtime, producers, consumers);
        if let Runtime::Threads = runtime {
            bench_one::<CrossbeamUnbounded>(&mut group, "crossbeam", runtime, producers, consumers);
            bench_one::<FlumeUnbounded>(&mut group, "flume", runtime, producers, consumers);
            bench_one::<KanalUnbounded>(&mut group, "kanal", runtime, producers, consumers);
        }
        if single_consumer {
            bench_one::<MayMpsc>(&mut group, "may::sync::mpsc", runtime, producers, consumers);
        }
        bench_one::<MayMpmc>(&mut group, "may::sync::mpmc", runtime, producers, consumers);
        group.finish();

        let mut group = c.benchmark_group(format!("{}/{shape}/bounded", runtime.name()));
        configure(&mut group, COUNT);
        bench_one::<Ours<BoundedBlocking<CAP>>>(
            &mut group,
            "may_channel",
            runtime,
            producers,
            consumers,
        );
        if let Runtime::Threads = runtime {
            bench_one::<CrossbeamBounded>(&mut group, "crossbeam", runtime, producers, consumers);
            bench_one::<FlumeBounded>(&mut group, "flume", runtime, producers, consumers);
            bench_one::<KanalBounded>(&mut group, "kanal", runtime, producers, consumers);
        }
        group.finish();
    }
}

/// `SpinRing<1024>` (Spin, Reject, NoMetrics) against the `ArrayQueue` it is
/// built on, on one thread: the channel layer should add (almost) nothing.
fn zero_cost(c: &mut Criterion) {
    // Ping: one message in, one out.
    let mut group = c.benchmark_group("zero_cost/ping");
    configure(&mut group, COUNT);
    group.bench_function("may_channel::SpinRing", |b| {
        let (tx, rx) = SpinRing::<CAP>::new::<usize>();
        b.iter(|| {
            let mut sum = 0usize;
            for i in 0..COUNT {
                tx.try_send(black_box(i)).unwrap();
                sum = sum.wrapping_add(rx.try_recv().unwrap());
            }
            black_box(sum)
        });
    });
    group.bench_function("crossbeam_queue::ArrayQueue", |b| {
        let queue = ArrayQueue::<usize>::new(CAP);
        b.iter(|| {
            let mut sum = 0usize;
            for i in 0..COUNT {
                queue.push(black_box(i)).unwrap();
                sum = sum.wrapping_add(queue.pop().unwrap());
            }
            black_box(sum)
        });
    });
    group.finish();

    // Burst: fill the ring, then drain it.
    let mut group = c.benchmark_group("zero_cost/burst");
    let rounds = COUNT / CAP;
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
    let mut group = c.benchmark_group("metrics_cost/ping");
    configure(&mut group, COUNT);
    group.bench_function("BoundedBlocking", |b| {
        let (tx, rx) = BoundedBlocking::<CAP>::new::<usize>();
        b.iter(|| {
            let mut sum = 0usize;
            for i in 0..COUNT {
                tx.send(black_box(i)).unwrap();
                sum = sum.wrapping_add(rx.try_recv().unwrap());
            }
            black_box(sum)
        });
    });
    group.bench_function("InstrumentedBounded", |b| {
        let (tx, rx) = InstrumentedBounded::<CAP>::new::<usize>();
        b.iter(|| {
            let mut sum = 0usize;
            for i in 0..COUNT {
                tx.send(black_box(i)).unwrap();
                sum = sum.wrapping_add(rx.try_recv().unwrap());
            }
            black_box(sum)
        });
    });
    group.finish();

    let mut group = c.benchmark_group("metrics_cost/threads/spsc/bounded");
    configure(&mut group, COUNT);
    bench_one::<Ours<BoundedBlocking<CAP>>>(&mut group, "BoundedBlocking", Runtime::Threads, 1, 1);
    bench_one::<Ours<InstrumentedBounded<CAP>>>(
        &mut group,
        "InstrumentedBounded",
        Runtime::Threads,
        1,
        1,
    );
    group.finish();
}

fn main() {
    // Before any coroutine exists: the coroutine groups run on two workers.
    may::config().set_workers(2);

    let mut c = Criterion::default().configure_from_args();
    zero_cost(&mut c);
    metrics_cost(&mut c);
    transfers(&mut c, Runtime::Threads);
    transfers(&mut c, Runtime::Coroutines);
    c.final_summary();
}
