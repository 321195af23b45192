//! The task-pool workload that `benches/work_stealing.rs` and
//! `benches/numa.rs` share: each worker thread pushes its own tasks, works
//! through a few after every eighth push (wherever they came from), then
//! pops until every task is done.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use may_channel::backpressure::HasSend;
use may_channel::{Flavor, Receiver, Sender};

/// Tasks each worker pushes.
pub const TASKS_PER_WORKER: usize = 20_000;

/// Runs the pool on `workers` OS threads over one channel.
pub fn pool<F: Flavor>(workers: usize, (tx, rx): (Sender<usize, F>, Receiver<usize, F>))
where
    F::Backpressure: HasSend,
    Sender<usize, F>: Send,
    Receiver<usize, F>: Send,
{
    let done = Arc::new(AtomicUsize::new(0));
    let total = workers * TASKS_PER_WORKER;
    let threads: Vec<_> = (0..workers)
        .map(|_| {
            let (tx, rx, done) = (tx.clone(), rx.clone(), Arc::clone(&done));
            std::thread::spawn(move || {
                for task in 0..TASKS_PER_WORKER {
                    tx.send(task).unwrap();
                    if task % 8 == 7 {
                        for _ in 0..8 {
                            if rx.try_recv().is_ok() {
                                // Relaxed: a progress count; the join below
                                // orders everything else.
                                done.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                }
                // Relaxed: as above.
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
