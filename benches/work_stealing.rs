//! Work stealing against one shared MPMC queue, at 2 and 4 workers: each
//! worker thread pushes its own tasks and pops tasks until all are done (a
//! task pool). With one shared queue every push and pop contends on the same
//! head and tail; with work stealing each worker mostly touches its own.

mod task_pool;

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use may_channel::flavors::{UnboundedMpmc, WorkStealingMpmc};
use may_channel::queue::Workers;
use task_pool::{TASKS_PER_WORKER, pool};

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
