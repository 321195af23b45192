//! How fast is broadcast to 1, 4 and 16 subscribers, against the usual way to
//! do it without a broadcast channel (one crossbeam channel per subscriber,
//! the sender cloning each message into each)? And what does a fan-out cost
//! over sending to the chosen channel directly?

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use may_channel::broadcast::{Builder, Overflow};
use may_channel::fanout::{FanOut, RoundRobin};
use may_channel::flavors::UnboundedMpmc;

const MESSAGES: u64 = 10_000;

fn ours(subscribers: usize) {
    let (tx, first) = Builder::new(1024)
        .overflow(Overflow::Block)
        .build::<u64>()
        .unwrap();
    let mut subs = vec![first];
    subs.extend((1..subscribers).map(|_| tx.subscribe()));
    let readers: Vec<_> = subs
        .into_iter()
        .map(|mut sub| std::thread::spawn(move || sub.iter().fold(0u64, u64::wrapping_add)))
        .collect();
    for i in 0..MESSAGES {
        tx.send(i);
    }
    drop(tx);
    for reader in readers {
        assert_eq!(reader.join().unwrap(), (0..MESSAGES).sum::<u64>());
    }
}

fn crossbeam_per_subscriber(subscribers: usize) {
    let channels: Vec<_> = (0..subscribers)
        .map(|_| crossbeam_channel::bounded::<u64>(1024))
        .collect();
    let readers: Vec<_> = channels
        .iter()
        .map(|(_, rx)| {
            let rx = rx.clone();
            std::thread::spawn(move || rx.iter().fold(0u64, u64::wrapping_add))
        })
        .collect();
    let senders: Vec<_> = channels.into_iter().map(|(tx, _)| tx).collect();
    for i in 0..MESSAGES {
        for tx in &senders {
            tx.send(i).unwrap();
        }
    }
    drop(senders);
    for reader in readers {
        assert_eq!(reader.join().unwrap(), (0..MESSAGES).sum::<u64>());
    }
}

fn bench(c: &mut Criterion) {
    for subscribers in [1, 4, 16] {
        let mut group = c.benchmark_group(format!("broadcast/{subscribers}-subscribers"));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(2));
        group.throughput(Throughput::Elements(MESSAGES));
        group.bench_function("may_channel broadcast", |b| b.iter(|| ours(subscribers)));
        group.bench_function("crossbeam channel per subscriber", |b| {
            b.iter(|| crossbeam_per_subscriber(subscribers))
        });
        group.finish();
    }

    let mut group = c.benchmark_group("fanout/round-robin-4");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    group.throughput(Throughput::Elements(MESSAGES));
    group.bench_function("direct sends", |b| {
        b.iter(|| {
            let outputs: Vec<_> = (0..4).map(|_| UnboundedMpmc::new::<u64>()).collect();
            for i in 0..MESSAGES {
                outputs[(i % 4) as usize].0.send(i).unwrap();
            }
            outputs.iter().map(|(_, rx)| rx.len()).sum::<usize>()
        })
    });
    group.bench_function("FanOut<RoundRobin>", |b| {
        b.iter(|| {
            let outputs: Vec<_> = (0..4).map(|_| UnboundedMpmc::new::<u64>()).collect();
            let mut fanout = FanOut::new(RoundRobin::default());
            for (tx, _) in &outputs {
                fanout.add(tx.clone());
            }
            for i in 0..MESSAGES {
                fanout.send(i).unwrap();
            }
            outputs.iter().map(|(_, rx)| rx.len()).sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
