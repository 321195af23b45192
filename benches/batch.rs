//! What do batches buy? `send_batch` and `recv_batch_into` at batch size 64
//! against `send` and `recv` one message at a time, on the same channel, in
//! the same run.
//!
//! | group | workload |
//! |---|---|
//! | `batch/burst/<channel>` | one thread stores 64 messages, then takes them, over and over |
//! | `batch/threads/spsc/<channel>` | one producer thread, one consumer thread |
//!
//! Each group has the ids `one_at_a_time` and `batch64`; a timed run moves
//! 1,048,576 messages (131,072 with `MAY_CHANNEL_BENCH_QUICK=1`). The threads
//! are started before the clock starts, at a barrier. Channels:
//! `bounded(1024)` (the ring, which claims a run of slots with one CAS) and
//! `unbounded()` (the list, which stores and takes a batch one message at a
//! time and wakes once).
//!
//! Run: `cargo bench --bench batch`.

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use may_channel::{Flavor, Pair, Receiver, Sender};

const BATCH: usize = 64;

fn quick() -> bool {
    std::env::var("MAY_CHANNEL_BENCH_QUICK").is_ok_and(|v| v == "1")
}

/// Messages per timed run.
fn messages() -> usize {
    if quick() { 1 << 17 } else { 1 << 20 }
}

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    let (warm_up, measurement) = if quick() { (200, 600) } else { (500, 3000) };
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(warm_up))
        .measurement_time(Duration::from_millis(measurement))
        .throughput(Throughput::Elements(messages() as u64));
}

/// Sends every message of `0..n`, in batches or one by one; a batch that
/// does not fit waits for room with a blocking send of its first message.
fn produce<F: Flavor>(tx: &Sender<usize, F>, n: usize, batched: bool)
where
    F::Backpressure: may_channel::backpressure::HasSend,
{
    if !batched {
        for i in 0..n {
            tx.send(i).unwrap();
        }
        return;
    }
    let mut next = 0;
    while next < n {
        let end = (next + BATCH).min(n);
        let mut refused = tx.send_batch(next..end);
        next = end;
        while !refused.is_empty() {
            let rest = refused.split_off(1);
            tx.send(refused[0]).unwrap();
            refused = tx.send_batch(rest);
        }
    }
}

/// Receives `n` messages, in batches or one by one; their sum.
fn consume<F: Flavor>(rx: &Receiver<usize, F>, n: usize, batched: bool) -> usize {
    let mut sum = 0usize;
    if !batched {
        for _ in 0..n {
            sum = sum.wrapping_add(rx.recv().unwrap());
        }
        return sum;
    }
    let mut buf = Vec::with_capacity(BATCH);
    let mut received = 0;
    while received < n {
        received += rx.recv_batch_into(&mut buf, BATCH).unwrap();
        sum = buf.drain(..).fold(sum, usize::wrapping_add);
    }
    sum
}

/// One thread: `BATCH` messages in, then out, until `messages()` moved.
fn burst<F: Flavor>(pair: &Pair<usize, F>, batched: bool) -> usize
where
    F::Backpressure: may_channel::backpressure::HasSend,
{
    let (tx, rx) = pair;
    let mut sum = 0;
    for _ in 0..messages() / BATCH {
        produce(tx, BATCH, batched);
        sum = consume(rx, BATCH, batched).wrapping_add(sum);
    }
    sum
}

/// One producer thread and one consumer thread, started before the clock
/// at a barrier; the time from the barrier to the last receive.
fn threads<F: Flavor + 'static>(make: &impl Fn() -> Pair<usize, F>, batched: bool) -> Duration
where
    F::Backpressure: may_channel::backpressure::HasSend,
    Sender<usize, F>: Send,
    Receiver<usize, F>: Send,
{
    let (tx, rx) = make();
    let n = messages();
    let start = Arc::new(Barrier::new(3));
    let producer = {
        let start = Arc::clone(&start);
        thread::spawn(move || {
            start.wait();
            produce(&tx, n, batched);
        })
    };
    let consumer = {
        let start = Arc::clone(&start);
        thread::spawn(move || {
            start.wait();
            black_box(consume(&rx, n, batched));
        })
    };
    start.wait();
    let began = Instant::now();
    consumer.join().unwrap();
    let elapsed = began.elapsed();
    producer.join().unwrap();
    elapsed
}

fn channel_cases<F: Flavor + 'static>(
    c: &mut Criterion,
    name: &str,
    make: impl Fn() -> Pair<usize, F>,
) where
    F::Backpressure: may_channel::backpressure::HasSend,
    Sender<usize, F>: Send,
    Receiver<usize, F>: Send,
{
    let mut group = c.benchmark_group(format!("batch/burst/{name}"));
    configure(&mut group);
    let pair = make();
    for (id, batched) in [("one_at_a_time", false), ("batch64", true)] {
        group.bench_function(id, |b| b.iter(|| black_box(burst(&pair, batched))));
    }
    group.finish();

    let mut group = c.benchmark_group(format!("batch/threads/spsc/{name}"));
    configure(&mut group);
    for (id, batched) in [("one_at_a_time", false), ("batch64", true)] {
        group.bench_function(id, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| threads(&make, batched)).sum())
        });
    }
    group.finish();
}

fn batches(c: &mut Criterion) {
    channel_cases(c, "bounded1024", || may_channel::bounded::<usize>(1024));
    channel_cases(c, "unbounded", may_channel::unbounded::<usize>);
}

criterion_group!(benches, batches);
criterion_main!(benches);
