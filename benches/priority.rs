//! What do priorities cost? A priority channel against the plain channel of
//! the same queue kind, one and four producer threads to one consumer thread:
//! every message at `Normal` (the pure cost of the level bitmask and, when
//! bounded, of the shared-capacity counter), and at mixed levels (the
//! consumer moving between levels).

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use may_channel::flavors::{BoundedBlocking, PriorityBounded, PriorityUnbounded, UnboundedMpmc};
use may_channel::priority::Priority;
use may_channel::{Flavor, Pair, Sender};

const MESSAGES: u64 = 20_000;
const CAPACITY: usize = 256;

/// `producers` threads send `MESSAGES` in all with `send`; this thread
/// receives them all. Returns their sum (checked against the plain channel).
fn run<F: Flavor>((tx, rx): Pair<u64, F>, producers: u64, send: fn(&Sender<u64, F>, u64)) -> u64
where
    Sender<u64, F>: Send,
{
    let per_producer = MESSAGES / producers;
    let handles: Vec<_> = (0..producers)
        .map(|p| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for i in p * per_producer..(p + 1) * per_producer {
                    send(&tx, i);
                }
            })
        })
        .collect();
    drop(tx);
    let sum = rx.iter().sum();
    for handle in handles {
        handle.join().unwrap();
    }
    sum
}

fn mixed(i: u64) -> Priority {
    Priority::ALL[(i % 4) as usize]
}

fn bench(c: &mut Criterion) {
    for producers in [1, 4] {
        let shape = if producers == 1 { "spsc" } else { "mpsc" };
        let expected = (0..MESSAGES).sum::<u64>();
        let mut group = c.benchmark_group(format!("priority/{shape}"));
        group
            .sample_size(20)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3))
            .throughput(Throughput::Elements(MESSAGES));

        group.bench_function("unbounded plain", |b| {
            b.iter(|| {
                let sum = run(UnboundedMpmc::new(), producers, |tx, i| tx.send(i).unwrap());
                assert_eq!(sum, expected);
            })
        });
        group.bench_function("unbounded priority, Normal", |b| {
            b.iter(|| {
                let sum = run(PriorityUnbounded::new(), producers, |tx, i| {
                    tx.send(i).unwrap()
                });
                assert_eq!(sum, expected);
            })
        });
        group.bench_function("unbounded priority, mixed", |b| {
            b.iter(|| {
                let sum = run(PriorityUnbounded::new(), producers, |tx, i| {
                    tx.send_with_priority(i, mixed(i)).unwrap()
                });
                assert_eq!(sum, expected);
            })
        });
        group.bench_function("bounded plain", |b| {
            b.iter(|| {
                let sum = run(BoundedBlocking::<CAPACITY>::new(), producers, |tx, i| {
                    tx.send(i).unwrap()
                });
                assert_eq!(sum, expected);
            })
        });
        group.bench_function("bounded priority, Normal", |b| {
            b.iter(|| {
                let sum = run(PriorityBounded::<CAPACITY>::new(), producers, |tx, i| {
                    tx.send(i).unwrap()
                });
                assert_eq!(sum, expected);
            })
        });
        group.bench_function("bounded priority, mixed", |b| {
            b.iter(|| {
                let sum = run(PriorityBounded::<CAPACITY>::new(), producers, |tx, i| {
                    tx.send_with_priority(i, mixed(i)).unwrap()
                });
                assert_eq!(sum, expected);
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
