//! What does each metrics sink cost? One producer thread and one consumer
//! thread move messages through a `Bounded<1024>` blocking channel; the
//! groups differ only in the sink, so `time(sink) / time(NoMetrics)`
//! measured in one run is the sink's price. `ping` (one thread, send then
//! receive) isolates the hooks from the cross-thread traffic.
//!
//! | sink | hooks on the hot path |
//! |---|---|
//! | `NoMetrics` | none |
//! | `Counters` | a `Relaxed` add per send and per receive (+ peak tracking) |
//! | `Latency` (one message in 16 timed) | a counter step per send; for a timed message, a TSC read per side and a histogram record |
//! | `Latency<1>` (every message) | a TSC read per send and per receive, a histogram record |
//! | `(Counters, Latency)` | both |
//! | `History<1024>` | a message id and a task-local lookup per send and receive, a TSC read and a sequence-locked ring write per event |
//! | `FullDebug<1024>` | `(Counters, (Latency, History<1024>))`: everything the debugger reads |
//!
//! Run: `cargo bench --bench metrics`; `MAY_CHANNEL_BENCH_QUICK=1` shortens it.
//!
//! Instructions per message (no hardware counters needed):
//! `MAY_CHANNEL_BENCH_COUNT=<case name>` (e.g. `Latency`) skips criterion and
//! runs that case's `ping` ten times; under
//! `valgrind --tool=callgrind --toggle-collect='metrics::ping*'`, `ping`'s
//! inclusive count (`callgrind_annotate --inclusive=yes`) over
//! `10 * messages` is the figure (200,000 messages with
//! `MAY_CHANNEL_BENCH_QUICK=1`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion, Throughput, measurement::WallTime};
use may_channel::backpressure::Block;
use may_channel::debug::{FullDebug, History};
use may_channel::metrics::{Counters, Latency, MetricsSink, NoMetrics};
use may_channel::queue::Bounded;
use may_channel::wait::SpinThenPark;
use may_channel::{Channel, Pair};

const CAP: usize = 1024;

type With<M> = Channel<Bounded<CAP>, SpinThenPark, Block, M>;

fn quick() -> bool {
    std::env::var("MAY_CHANNEL_BENCH_QUICK").is_ok_and(|v| v == "1")
}

fn messages() -> usize {
    if quick() { 20_000 } else { 100_000 }
}

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    let (warm_up, measurement) = if quick() { (200, 600) } else { (500, 2000) };
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(warm_up))
        .measurement_time(Duration::from_millis(measurement))
        .throughput(Throughput::Elements(messages() as u64));
}

/// One producer thread, one consumer (this thread).
#[inline(never)]
fn spsc<M: MetricsSink>() -> usize {
    let (tx, rx): Pair<usize, With<M>> = With::<M>::new();
    let n = messages();
    let producer = std::thread::spawn(move || {
        for i in 0..n {
            tx.send(black_box(i)).unwrap();
        }
    });
    let sum = rx.iter().fold(0usize, |a, b| a.wrapping_add(b));
    producer.join().unwrap();
    sum
}

/// Send then receive on one thread. Kept out of line, so that callgrind can
/// count its instructions per call (see the module docs).
#[inline(never)]
fn ping<M: MetricsSink>(pair: &Pair<usize, With<M>>) -> usize {
    let (tx, rx) = pair;
    let mut sum = 0usize;
    for i in 0..messages() {
        tx.send(black_box(i)).unwrap();
        sum = sum.wrapping_add(rx.try_recv().unwrap());
    }
    sum
}

fn bench_sink<M: MetricsSink>(c: &mut Criterion, name: &str) {
    if let Ok(only) = std::env::var("MAY_CHANNEL_BENCH_COUNT") {
        if only == name {
            let pair = With::<M>::new();
            for _ in 0..10 {
                black_box(ping::<M>(&pair));
            }
        }
        return;
    }
    let mut group = c.benchmark_group("metrics_cost/threads/spsc/cap1024");
    configure(&mut group);
    group.bench_function(name, |b| b.iter(spsc::<M>));
    group.finish();
    let mut group = c.benchmark_group("metrics_cost/ping");
    configure(&mut group);
    let pair = With::<M>::new();
    group.bench_function(name, |b| b.iter(|| ping::<M>(&pair)));
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_sink::<NoMetrics>(&mut c, "NoMetrics");
    bench_sink::<Counters>(&mut c, "Counters");
    bench_sink::<Latency>(&mut c, "Latency");
    bench_sink::<Latency<1>>(&mut c, "Latency1");
    bench_sink::<(Counters, Latency)>(&mut c, "Counters+Latency");
    bench_sink::<History<1024>>(&mut c, "History1024");
    bench_sink::<FullDebug<1024>>(&mut c, "FullDebug1024");
    c.final_summary();
}
