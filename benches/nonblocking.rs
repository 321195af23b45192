//! Does "non-blocking" stay non-blocking when a peer is descheduled in the
//! middle of an operation (crossbeam-channel#997)?
//!
//! Each case runs `churn` OS threads — twice as many as the machine has
//! cores, so the kernel preempts them at arbitrary points, some of them in
//! the middle of a `try_send` or `try_recv` — that loop `try_send` then
//! `try_recv` on one channel kept half full. A measuring thread times single
//! `try_recv` and `try_send` calls on the same channel.
//!
//! | id | what one iteration's time is |
//! |---|---|
//! | `nonblocking/worst_of_256/<channel>` | the slowest of 256 timed calls (alternating `try_recv`, `try_send`) |
//! | `nonblocking/mean/<channel>` | the average of 256 timed calls |
//!
//! `control` times an empty call under the same load: it is the share of the
//! figure that comes from the measuring thread's own preemption, which every
//! channel pays alike. What a channel adds above `control` is time spent
//! waiting for a preempted peer (spinning on a half-written slot, or on a
//! lock its holder still holds). After each case the bench prints the
//! latency quantiles of its calls (p50, p99, p99.9, max) from a separate
//! pass.
//!
//! Channels: `Slots<1024>` (the crate's zero-copy ring, whose try
//! operations never wait for a peer), `Bounded<1024>` and `Unbounded` (the
//! crate's own ring and segmented list, whose linearizable try operations
//! wait for a peer between its claim and its write, as crossbeam's queues
//! do), crossbeam-channel, flume and kanal (bounded, 1024).
//!
//! Run: `cargo bench --bench nonblocking`; `MAY_CHANNEL_BENCH_QUICK=1`
//! shortens it.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use may_channel::Channel;
use may_channel::backpressure::{Reject, Unlimited};
use may_channel::metrics::NoMetrics;
use may_channel::placement::Anywhere;
use may_channel::queue::{Bounded, Slots, Unbounded};
use may_channel::wait::SpinThenPark;

const CAP: usize = 1024;
/// Timed calls per iteration.
const CALLS: usize = 256;

fn quick() -> bool {
    std::env::var("MAY_CHANNEL_BENCH_QUICK").is_ok_and(|v| v == "1")
}

/// The two operations under test, for every channel alike.
trait TryChannel: Clone + Send + 'static {
    /// `try_send`; whether it stored the message.
    fn offer(&self, value: u64) -> bool;
    /// `try_recv`; whether it took a message.
    fn take(&self) -> bool;
}

/// A pair of handles as one cloneable value.
#[derive(Clone)]
struct Ends<S, R>(S, R);

type OurRing = Channel<Slots<CAP>, SpinThenPark, Reject, NoMetrics, Anywhere>;
type OurBounded = Channel<Bounded<CAP>, SpinThenPark, Reject, NoMetrics, Anywhere>;
type OurUnbounded = Channel<Unbounded, SpinThenPark, Unlimited, NoMetrics, Anywhere>;

/// `TryChannel` for a channel whose handles have `try_send` / `try_recv`.
macro_rules! try_channel {
    ($sender:ty, $receiver:ty) => {
        impl TryChannel for Ends<$sender, $receiver> {
            #[inline]
            fn offer(&self, value: u64) -> bool {
                self.0.try_send(value).is_ok()
            }
            #[inline]
            fn take(&self) -> bool {
                self.1.try_recv().is_ok()
            }
        }
    };
}

try_channel!(may_channel::Sender<u64, OurRing>, may_channel::Receiver<u64, OurRing>);
try_channel!(may_channel::Sender<u64, OurBounded>, may_channel::Receiver<u64, OurBounded>);
try_channel!(may_channel::Sender<u64, OurUnbounded>, may_channel::Receiver<u64, OurUnbounded>);
try_channel!(
    crossbeam_channel::Sender<u64>,
    crossbeam_channel::Receiver<u64>
);
try_channel!(flume::Sender<u64>, flume::Receiver<u64>);

impl TryChannel for Ends<kanal::Sender<u64>, kanal::Receiver<u64>> {
    #[inline]
    fn offer(&self, value: u64) -> bool {
        self.0.try_send(value).unwrap_or(false)
    }
    #[inline]
    fn take(&self) -> bool {
        matches!(self.1.try_recv(), Ok(Some(_)))
    }
}

/// The empty call of the `control` case.
#[derive(Clone)]
struct Control;

impl TryChannel for Control {
    #[inline]
    fn offer(&self, value: u64) -> bool {
        black_box(value);
        true
    }
    #[inline]
    fn take(&self) -> bool {
        black_box(true)
    }
}

/// Background threads that keep the channel busy until dropped.
struct Churn {
    stop: Arc<AtomicBool>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl Churn {
    fn start<C: TryChannel>(channel: &C) -> Self {
        // Half full, so that both operations usually succeed.
        for i in 0..CAP as u64 / 2 {
            channel.offer(i);
        }
        let cores = thread::available_parallelism().map_or(2, usize::from);
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..2 * cores)
            .map(|_| {
                let channel = channel.clone();
                let stop = Arc::clone(&stop);
                thread::spawn(move || {
                    let mut i = 0u64;
                    // Relaxed: a stop request; nothing is read through it.
                    while !stop.load(Ordering::Relaxed) {
                        channel.offer(i);
                        channel.take();
                        i += 1;
                    }
                })
            })
            .collect();
        Self { stop, threads }
    }
}

impl Drop for Churn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            thread.join().unwrap();
        }
    }
}

/// Times `CALLS` calls, alternating `take` and `offer`; returns each time.
fn timed_calls<C: TryChannel>(channel: &C, out: &mut Vec<Duration>) {
    for i in 0..CALLS {
        let start = Instant::now();
        if i % 2 == 0 {
            black_box(channel.take());
        } else {
            black_box(channel.offer(i as u64));
        }
        out.push(start.elapsed());
    }
}

/// One channel: the two criterion figures, then a quantile pass.
fn case<C: TryChannel>(c: &mut Criterion, name: &str, channel: C) {
    let churn = Churn::start(&channel);
    let (warm_up, measurement) = if quick() { (200, 500) } else { (500, 2000) };
    let mut times = Vec::with_capacity(CALLS);
    for (figure, worst) in [("worst_of_256", true), ("mean", false)] {
        let mut group = c.benchmark_group(format!("nonblocking/{figure}"));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(warm_up))
            .measurement_time(Duration::from_millis(measurement));
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    times.clear();
                    timed_calls(&channel, &mut times);
                    total += if worst {
                        times.iter().copied().max().unwrap_or_default()
                    } else {
                        times.iter().sum::<Duration>() / CALLS as u32
                    };
                }
                total
            });
        });
        group.finish();
    }
    let rounds = if quick() { 200 } else { 2000 };
    let mut all = Vec::with_capacity(rounds * CALLS);
    for _ in 0..rounds {
        timed_calls(&channel, &mut all);
    }
    drop(churn);
    all.sort_unstable();
    let at = |q: f64| all[((all.len() - 1) as f64 * q) as usize];
    println!(
        "nonblocking/quantiles/{name}: p50 {:?}  p99 {:?}  p99.9 {:?}  max {:?}  ({} calls)",
        at(0.5),
        at(0.99),
        at(0.999),
        all[all.len() - 1],
        all.len()
    );
}

fn bench(c: &mut Criterion) {
    case(c, "control", Control);
    let (tx, rx) = OurRing::new::<u64>();
    case(c, "ours_slots_ring", Ends(tx, rx));
    let (tx, rx) = OurBounded::new::<u64>();
    case(c, "ours_bounded_ring", Ends(tx, rx));
    let (tx, rx) = OurUnbounded::new::<u64>();
    case(c, "ours_unbounded", Ends(tx, rx));
    let (tx, rx) = crossbeam_channel::bounded::<u64>(CAP);
    case(c, "crossbeam_channel", Ends(tx, rx));
    let (tx, rx) = flume::bounded::<u64>(CAP);
    case(c, "flume", Ends(tx, rx));
    let (tx, rx) = kanal::bounded::<u64>(CAP);
    case(c, "kanal", Ends(tx, rx));
}

criterion_group!(benches, bench);
criterion_main!(benches);
