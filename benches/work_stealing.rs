//! Work stealing against one shared MPMC queue, at 2 and 4 workers: each
//! worker thread pushes its own tasks and pops tasks until all are done (a
//! task pool). With one shared queue every push and pop contends on the same
//! head and tail; with work stealing each worker mostly touches its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use may_channel::flavors::{UnboundedMpmc, WorkStealingMpmc};
use may_channel::queue::Workers;
use may_channel::{Flavor, Receiver, Sender};

const TASKS_PER_WORKER: usize = 20_000;

fn pool<F: Flavor>(workers: usize, pair: (Sender<usize, F>, Receiver<usize, F>))
where
    F::Backpressure: may_channel::backpressure::HasSend,
{
    let (tx, rx) = pair;
    let done = Arc::new(AtomicUsize::new(0));
    let total = workers * TASKS_PER_WORKER;
    let threads: Vec<_> = (0..workers)
        .map(|_| {
            let (tx, rx, done) = (tx.clone(), rx.clone(), Arc::clone(&done));
            std::thread::spawn(move || {
                for task in 0..TASKS_PER_WORKER {
                    tx.send(task).unwrap();
                    if task % 8 == 7 {
                        // Work through a few tasks, wherever they came from.
                        for _ in 0..8 {
                            if rx.try_recv().is_ok() {
                                done.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                }
                while done.load(Ordering::Relaxed) < total {
                    if rx.recv_timeout(Duration::from_millis(1)).is_ok() {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
}

fn bench(c: &mut Criterion) {
    for workers in [2, 4] {
        let mut group = c.benchmark_group(format!("task-pool/{workers}-workers"));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(2));
        group.throughput(Throughput::Elements((workers * TASKS_PER_WORKER) as u64));
        group.bench_function("shared UnboundedMpmc", |b| {
            b.iter(|| pool(workers, UnboundedMpmc::new()))
        });
        group.bench_function("WorkStealingMpmc", |b| {
            b.iter(|| {
                pool(
                    workers,
                    WorkStealingMpmc::with_config(Workers(workers)).unwrap(),
                )
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
