//! What does lending slots save? 4 KiB and 64 KiB messages from one thread to
//! another: filled in place through `send_ref` / read in place through
//! `recv_ref`, against `Vec<u8>` sent by value through our bounded channel
//! and through crossbeam-channel (a fresh buffer per message, as by-value
//! code must do).

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use may_channel::Channel;
use may_channel::flavors::BoundedBlocking;
use may_channel::queue::Slots;

const MESSAGES: usize = 2_000;

fn checksum(frame: &[u8]) -> u64 {
    u64::from(frame[0]) + u64::from(frame[frame.len() - 1])
}

fn lending(size: usize) -> u64 {
    let (tx, rx) = Channel::<Slots<16>>::new::<Vec<u8>>();
    let producer = std::thread::spawn(move || {
        for i in 0..MESSAGES {
            let mut frame = tx.send_ref().unwrap();
            frame.resize(size, i as u8);
        }
    });
    let mut sum = 0;
    while let Ok(frame) = rx.recv_ref() {
        sum += checksum(&frame);
    }
    producer.join().unwrap();
    sum
}

fn ours_by_value(size: usize) -> u64 {
    let (tx, rx) = BoundedBlocking::<16>::new::<Vec<u8>>();
    let producer = std::thread::spawn(move || {
        for i in 0..MESSAGES {
            tx.send(vec![i as u8; size]).unwrap();
        }
    });
    let sum = rx.iter().map(|frame| checksum(&frame)).sum();
    producer.join().unwrap();
    sum
}

fn crossbeam_by_value(size: usize) -> u64 {
    let (tx, rx) = crossbeam_channel::bounded::<Vec<u8>>(16);
    let producer = std::thread::spawn(move || {
        for i in 0..MESSAGES {
            tx.send(vec![i as u8; size]).unwrap();
        }
    });
    let sum = rx.iter().map(|frame| checksum(&frame)).sum();
    producer.join().unwrap();
    sum
}

fn bench(c: &mut Criterion) {
    for size in [4 * 1024, 64 * 1024] {
        let expected = lending(size);
        assert_eq!(ours_by_value(size), expected);
        assert_eq!(crossbeam_by_value(size), expected);
        let mut group = c.benchmark_group(format!("zerocopy/{}KiB", size / 1024));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(2));
        group.throughput(Throughput::Bytes((size * MESSAGES) as u64));
        group.bench_function("send_ref/recv_ref", |b| b.iter(|| lending(size)));
        group.bench_function("may_channel by value", |b| b.iter(|| ours_by_value(size)));
        group.bench_function("crossbeam by value", |b| {
            b.iter(|| crossbeam_by_value(size))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
