//! What do operators cost? `rx.map(f)` against the hand-written loop over the
//! same channel (should be within noise), a longer chain against its
//! hand-written equivalent, and batched receives against single ones.

use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use may_channel::flavors::UnboundedMpmc;
use may_channel::ops::Source;
use may_channel::{Receiver, unbounded};

const MESSAGES: usize = 50_000;

/// A channel holding `MESSAGES` words whose sender is gone.
fn filled() -> Receiver<usize, UnboundedMpmc> {
    let (tx, rx) = unbounded();
    assert!(tx.send_batch(0..MESSAGES).is_empty());
    rx
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("ops/map");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    group.throughput(Throughput::Elements(MESSAGES as u64));
    group.bench_function("hand-written loop", |b| {
        b.iter_batched(
            filled,
            |rx| {
                let mut sum = 0usize;
                while let Ok(x) = rx.recv() {
                    sum = sum.wrapping_add(x.wrapping_mul(3));
                }
                sum
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("rx.map(f)", |b| {
        b.iter_batched(
            filled,
            |rx| {
                let mut mapped = rx.map(|x| x.wrapping_mul(3));
                let mut sum = 0usize;
                while let Ok(x) = mapped.recv() {
                    sum = sum.wrapping_add(x);
                }
                sum
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("ops/chain");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    group.throughput(Throughput::Elements(MESSAGES as u64));
    group.bench_function("hand-written loop", |b| {
        b.iter_batched(
            filled,
            |rx| {
                let mut out = Vec::new();
                let mut skipped = 0;
                while let Ok(x) = rx.recv() {
                    let x = x * 3;
                    if x % 2 != 0 {
                        continue;
                    }
                    if skipped < 10 {
                        skipped += 1;
                        continue;
                    }
                    out.push(x);
                }
                out.len()
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("map.filter.skip", |b| {
        b.iter_batched(
            filled,
            |rx| {
                rx.map(|x| x * 3)
                    .filter(|x| x % 2 == 0)
                    .skip(10)
                    .into_iter()
                    .count()
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("ops/batch");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    group.throughput(Throughput::Elements(MESSAGES as u64));
    group.bench_function("single recv", |b| {
        b.iter_batched(filled, |rx| rx.iter().count(), BatchSize::LargeInput)
    });
    group.bench_function("recv_batch(64)", |b| {
        b.iter_batched(
            filled,
            |rx| {
                let mut buf = Vec::with_capacity(64);
                let mut count = 0;
                while let Ok(n) = rx.recv_batch_into(&mut buf, 64) {
                    count += n;
                    buf.clear();
                }
                count
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("rx.batch(64)", |b| {
        b.iter_batched(
            filled,
            |rx| rx.batch(64).into_iter().map(|v| v.len()).sum::<usize>(),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
