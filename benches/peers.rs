//! How fast is each workload through `may_channel` against its peers, from OS
//! threads and from may coroutines?
//!
//! The workloads are those of crossbeam-channel's benchmark suite, with
//! word-sized messages (`usize`):
//!
//! | shape | what runs |
//! |---|---|
//! | `seq` | one task sends a batch, then receives it (batch = capacity, or every message when unbounded; no `cap0`: a task cannot meet itself) |
//! | `spsc` | one producer, one consumer |
//! | `mpsc` | four producers, one consumer |
//! | `mpmc` | four producers, four consumers |
//!
//! each on four capacities: `unbounded`, `cap0` (rendezvous), `cap1` and
//! `cap1024`. Every consumer receives a fixed share of the messages rather
//! than waiting for the disconnect (as crossbeam's suite does; it also keeps
//! `may::sync::mpmc` out of its disconnect race, where one of several blocked
//! receivers can sleep for ever). The sum of what arrived is checked, so a lost
//! or duplicated message fails the run.
//!
//! # What is timed
//!
//! Only the channel traffic. A case's producers and consumers (threads or
//! coroutines) are spawned once per process, before anything is measured,
//! and wait for work (see [`Pool`]). For every timed run the driver creates
//! fresh endpoints, hands one to each task and waits until every task has
//! arrived at a start gate; the clock starts when the gate opens and stops
//! at the last receive (the latest of the consumers' own timestamps, taken
//! before they drop their endpoints). Creating and dropping endpoints,
//! spawning and joining are outside the clock.
//!
//! Messages per timed run ([`messages`]): 1,000,000 on every `seq` case and
//! on `unbounded` and `cap1024`; 100,000 on `cap0` and `cap1` with two or
//! more tasks (`spsc`, `mpsc`, `mpmc`), where every message is a hand-over
//! between tasks and the slowest contenders (thread-parking ones: std, flume,
//! our `Park`) move 50,000 to 250,000 messages a second on a 2-core VM, so
//! that one run takes up to two seconds and a process up to half a minute.
//!
//! `MAY_CHANNEL_BENCH_QUICK=1` uses 20,000 messages everywhere, two
//! processes per case and a shorter warm-up and measurement: a smoke pass of
//! about five minutes, not a measurement (the report says so).
//!
//! # Processes, median and spread
//!
//! Every case runs in a child process of this binary (the parent only drives
//! them), `MAY_CHANNEL_BENCH_PROCESSES` times (default 3), each time a fresh
//! process. The parent goes round-robin: process 1 of every case, then
//! process 2 of every case, and so on, so that the processes of one case lie
//! minutes apart and a slow spell of the machine hits every contender of a
//! group alike instead of one contender's every process. Within a process,
//! criterion drives the runs (`iter_custom`, flat sampling, 10 samples after
//! a warm-up); the process's figure is the median of its 10 samples' time
//! per run. `scripts/bench_report.py` reports, per case, the median of the
//! processes' figures and their spread (min and max; relative spread =
//! (max - min) / median).
//!
//! Criterion's own files cannot carry that: a case measured in several
//! processes would have to be several baselines, and which baselines belong
//! to the latest run is not recorded. So each child also appends its
//! samples, as one JSON line, to `<criterion dir>/peers-runs.jsonl`, tagged
//! with the run (the parent's start time), the process number and whether the
//! run was quick; the report script reads that file and, per case, only the
//! latest run that measured it. criterion still prints and saves its usual
//! analysis of each process.
//!
//! Contenders: our default flavour for the capacity (`may_channel`:
//! `UnboundedMpmc`, `RendezvousMpmc`, `BoundedBlocking<N>`) and the same queue
//! with the `Spin` and the `Park` wait strategies; on the single-producer,
//! single-consumer workloads (`seq`, `spsc`) also our `spsc` handles
//! (`may_channel spsc`: unbounded, default and `Park`; capacity 1 and 1024
//! over `SpscBounded`); `std::sync::mpsc`,
//! crossbeam-channel, flume, kanal; `may::sync::{spsc, mpsc, mpmc}` (unbounded
//! only). Single-consumer channels skip `mpmc`; `may::sync::spsc` and ours
//! also skip `mpsc`.
//!
//! Group ids read `<runtime>/<shape>/<capacity>`, function ids name the
//! contender. In coroutines (may workers = cores), peers whose blocking parks
//! the OS thread rather than the coroutine — std, crossbeam-channel, flume,
//! kanal — carry the suffix ` (parks worker)`: a parked worker runs no other
//! coroutine, so these can deadlock.
//!
//! # Stalls
//!
//! Because every process runs one case, a case that deadlocks cannot take
//! may's workers away from the cases after it. Every timed run reports to a
//! watchdog; a run that does not finish in time (the trial within 5 s, 2 s
//! in a quick pass; a later one within that or four times the trial's
//! time, whichever is longer:
//! stalls of the peers that park workers are intermittent)
//! prints `STALLED: <bench id>`, is appended to `target/criterion/stalled.txt`
//! and to the JSON lines, and its process exits. A case that stalled is not
//! run again in the later rounds, and the report shows it as stalled. As a
//! last resort, the parent kills a child that runs longer than two minutes.
//!
//! In coroutines the peers that park the worker stall on `spsc` too, not
//! only with several producers: a coroutine woken from a thread that is not
//! a may worker (the driver, handing out jobs and opening the gate) goes to
//! a worker's global queue, round-robin, and a worker looks at that queue
//! only when it has nothing else to run, never while a peer's `recv` holds
//! its thread. Whether producer and consumer share a worker changes from
//! run to run, so over a case's many timed runs it happens. (The earlier
//! form of this bench spawned the two fresh for each iteration, which put
//! them on different workers every time.)
//!
//! Run: `cargo bench --bench peers` (criterion arguments pass through to every
//! case; a filter is matched as by criterion, e.g. `-- coroutines/mpmc`), then
//! `python3 scripts/bench_report.py`. A full run takes 30 to 40 minutes on
//! two cores (236 cases, three processes each; a process of a fast case
//! takes about 2 s, one of the slowest, thread-parking `cap1` cases about
//! 6 s).

mod common;

use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use criterion::{Criterion, SamplingMode, Throughput};
use may_channel::backpressure::{Block, HasSend, Unlimited, ValidFor};
use may_channel::flavors::{BoundedBlocking, RendezvousMpmc, UnboundedMpmc};
use may_channel::metrics::MetricsSink;
use may_channel::placement::Placement;
use may_channel::queue::{Bounded, QueueStrategy, Rendezvous, Spsc, Unbounded};
use may_channel::spsc::SpscFlavor;
use may_channel::wait::{Park, Spin, WaitStrategy};
use may_channel::{Channel, Flavor, Receiver, Sender};

/// The environment variable that tells a child process which case to run.
const CASE_ENV: &str = "MAY_CHANNEL_BENCH_CASE";
/// Tells a child which run it belongs to (the parent's start, in ms since
/// the epoch) and which of how many processes of its case it is (`k/n`).
const RUN_ENV: &str = "MAY_CHANNEL_BENCH_RUN";
const PROCESS_ENV: &str = "MAY_CHANNEL_BENCH_PROCESS";
/// How many fresh processes measure each case (default [`PROCESSES`], or
/// [`QUICK_PROCESSES`] in a quick pass).
const PROCESSES_ENV: &str = "MAY_CHANNEL_BENCH_PROCESSES";
const PROCESSES: usize = 3;
const QUICK_PROCESSES: usize = 2;
/// How long the parent waits for one process of a case (trial and
/// measurement) before it kills the child and logs the case as stalled.
const CHILD_LIMIT: Duration = Duration::from_secs(120);
/// Criterion samples per process; the process's figure is their median.
const SAMPLES: usize = 10;
/// A timed run after the trial counts as stalled only past this many times
/// the trial's time (and past [`watchdog`]): the slowest contenders take
/// seconds per run on `cap0` and `cap1`.
const STALL_FACTOR: u32 = 4;

/// How long the trial run may take: `common::WATCHDOG`, or 2 s in a quick
/// pass, whose runs take well under half a second (a stall costs the whole
/// limit, and a quick pass meets some forty of them).
fn watchdog() -> Duration {
    if common::quick() {
        Duration::from_secs(2)
    } else {
        common::WATCHDOG
    }
}
/// The JSON-lines file, in the criterion directory, that the children append
/// their samples to.
const RUNS_FILE: &str = "peers-runs.jsonl";

/// Child exit codes besides success.
const EXIT_STALLED: u8 = 3;
const EXIT_FAILED: u8 = 4;
/// The case was filtered out (or only listed): nothing ran.
const EXIT_NOT_RUN: u8 = 5;

/// Producers in `mpsc` and `mpmc`; consumers in `mpmc`.
const FOUR: usize = 4;
/// The capacity of the large bounded channels.
const LARGE: usize = 1024;
/// Capacity marker of the peers' unbounded channels.
const UNBOUNDED: usize = usize::MAX;

/// Messages per timed run: a million where messages stream, 100,000 where
/// every message is a hand-over between tasks (`cap0`, and `cap1` outside
/// `seq`); 20,000 in a quick pass. Divisible by `FOUR * FOUR`.
fn messages(shape: Shape, capacity: Capacity) -> usize {
    if common::quick() {
        return 20_000;
    }
    match (shape, capacity) {
        (Shape::Seq, _) | (_, Capacity::Unbounded | Capacity::Large) => 1_000_000,
        (_, Capacity::Zero | Capacity::One) => 100_000,
    }
}

// ------------------------------------------------------------------ contenders

/// A channel implementation under test, reduced to what the workloads need.
trait Contender: 'static {
    type Tx: Send + 'static;
    type Rx: Send + 'static;

    /// Whether a blocked `send`/`recv` parks the may coroutine (true) or the
    /// OS thread under it (false).
    const PARKS_COROUTINE: bool;
    /// Whether the channel takes several producers, and several consumers.
    const MULTI_PRODUCER: bool = true;
    const MULTI_CONSUMER: bool = true;

    /// `producers` senders and `consumers` receivers of one new channel.
    fn endpoints(producers: usize, consumers: usize) -> (Vec<Self::Tx>, Vec<Self::Rx>);
    fn send(tx: &Self::Tx, msg: usize);
    /// The next message; panics if every sender is gone.
    fn recv(rx: &Self::Rx) -> usize;
}

/// `first` and `n - 1` clones of it.
fn cloned<E: Clone>(first: E, n: usize) -> Vec<E> {
    let mut all: Vec<E> = (1..n).map(|_| first.clone()).collect();
    all.push(first);
    all
}

/// Any `send`-capable flavour of ours that `new()` builds.
struct Ours<F>(PhantomData<F>);

impl<Q, W, B, M, P> Contender for Ours<Channel<Q, W, B, M, P>>
where
    Q: QueueStrategy<Config = ()>,
    W: WaitStrategy,
    B: ValidFor<Q::Kind> + HasSend,
    M: MetricsSink,
    P: Placement,
    Channel<Q, W, B, M, P>: Flavor<Backpressure = B>,
    Sender<usize, Channel<Q, W, B, M, P>>: Send,
    Receiver<usize, Channel<Q, W, B, M, P>>: Send,
{
    type Tx = Sender<usize, Channel<Q, W, B, M, P>>;
    type Rx = Receiver<usize, Channel<Q, W, B, M, P>>;
    const PARKS_COROUTINE: bool = true;

    fn endpoints(producers: usize, consumers: usize) -> (Vec<Self::Tx>, Vec<Self::Rx>) {
        let (tx, rx) = Channel::<Q, W, B, M, P>::new();
        (cloned(tx, producers), cloned(rx, consumers))
    }
    fn send(tx: &Self::Tx, msg: usize) {
        tx.send(msg).unwrap();
    }
    fn recv(rx: &Self::Rx) -> usize {
        rx.recv().unwrap()
    }
}

type UnboundedSpin = Channel<Unbounded, Spin, Unlimited>;
type UnboundedPark = Channel<Unbounded, Park, Unlimited>;
type RendezvousSpin = Channel<Rendezvous, Spin, Block>;
type RendezvousPark = Channel<Rendezvous, Park, Block>;
type BoundedSpin<const N: usize> = Channel<Bounded<N>, Spin, Block>;
type BoundedPark<const N: usize> = Channel<Bounded<N>, Park, Block>;

/// `std::sync::mpsc::channel`.
struct StdUnbounded;
/// `std::sync::mpsc::sync_channel(N)`.
struct StdSync<const N: usize>;

impl Contender for StdUnbounded {
    type Tx = std::sync::mpsc::Sender<usize>;
    type Rx = std::sync::mpsc::Receiver<usize>;
    const PARKS_COROUTINE: bool = false;
    const MULTI_CONSUMER: bool = false;

    fn endpoints(producers: usize, consumers: usize) -> (Vec<Self::Tx>, Vec<Self::Rx>) {
        assert_eq!(consumers, 1, "std::sync::mpsc has one consumer");
        let (tx, rx) = std::sync::mpsc::channel();
        (cloned(tx, producers), vec![rx])
    }
    fn send(tx: &Self::Tx, msg: usize) {
        tx.send(msg).unwrap();
    }
    fn recv(rx: &Self::Rx) -> usize {
        rx.recv().unwrap()
    }
}

impl<const N: usize> Contender for StdSync<N> {
    type Tx = std::sync::mpsc::SyncSender<usize>;
    type Rx = std::sync::mpsc::Receiver<usize>;
    const PARKS_COROUTINE: bool = false;
    const MULTI_CONSUMER: bool = false;

    fn endpoints(producers: usize, consumers: usize) -> (Vec<Self::Tx>, Vec<Self::Rx>) {
        assert_eq!(consumers, 1, "std::sync::mpsc has one consumer");
        let (tx, rx) = std::sync::mpsc::sync_channel(N);
        (cloned(tx, producers), vec![rx])
    }
    fn send(tx: &Self::Tx, msg: usize) {
        tx.send(msg).unwrap();
    }
    fn recv(rx: &Self::Rx) -> usize {
        rx.recv().unwrap()
    }
}

/// Peers with one `unbounded()`/`bounded(n)` pair of constructors and
/// cloneable handles on both sides.
macro_rules! mpmc_peer {
    ($(#[$doc:meta])* $name:ident, $krate:ident) => {
        $(#[$doc])*
        struct $name<const N: usize>;

        impl<const N: usize> Contender for $name<N> {
            type Tx = $krate::Sender<usize>;
            type Rx = $krate::Receiver<usize>;
            const PARKS_COROUTINE: bool = false;

            fn endpoints(producers: usize, consumers: usize) -> (Vec<Self::Tx>, Vec<Self::Rx>) {
                let (tx, rx) = if N == UNBOUNDED {
                    $krate::unbounded()
                } else {
                    $krate::bounded(N)
                };
                (cloned(tx, producers), cloned(rx, consumers))
            }
            fn send(tx: &Self::Tx, msg: usize) {
                tx.send(msg).unwrap();
            }
            fn recv(rx: &Self::Rx) -> usize {
                rx.recv().unwrap()
            }
        }
    };
}

mpmc_peer!(
    /// crossbeam-channel with capacity `N` (`UNBOUNDED`: unbounded).
    Crossbeam,
    crossbeam_channel
);
mpmc_peer!(
    /// flume with capacity `N` (`UNBOUNDED`: unbounded).
    Flume,
    flume
);
mpmc_peer!(
    /// kanal with capacity `N` (`UNBOUNDED`: unbounded).
    Kanal,
    kanal
);

/// `may::sync::spsc`: unbounded, one producer, one consumer.
struct MaySpsc;
/// `may::sync::mpsc`: unbounded, one consumer.
struct MayMpsc;
/// `may::sync::mpmc`: unbounded.
struct MayMpmc;

impl Contender for MaySpsc {
    type Tx = may::sync::spsc::Sender<usize>;
    type Rx = may::sync::spsc::Receiver<usize>;
    const PARKS_COROUTINE: bool = true;
    const MULTI_PRODUCER: bool = false;
    const MULTI_CONSUMER: bool = false;

    fn endpoints(producers: usize, consumers: usize) -> (Vec<Self::Tx>, Vec<Self::Rx>) {
        assert_eq!((producers, consumers), (1, 1), "may::sync::spsc is 1:1");
        let (tx, rx) = may::sync::spsc::channel();
        (vec![tx], vec![rx])
    }
    fn send(tx: &Self::Tx, msg: usize) {
        tx.send(msg).unwrap();
    }
    fn recv(rx: &Self::Rx) -> usize {
        rx.recv().unwrap()
    }
}

/// Our single-producer, single-consumer handles (`may_channel::spsc`), of
/// the default flavour or `F`.
struct OursSpsc<F = Channel<Spsc>>(PhantomData<F>);

type SpscPark = Channel<Spsc, Park>;

impl<F> Contender for OursSpsc<F>
where
    F: SpscFlavor,
    F::Queue: QueueStrategy<Config = ()>,
    F::Backpressure: HasSend,
    may_channel::spsc::Sender<usize, F>: Send,
    may_channel::spsc::Receiver<usize, F>: Send,
{
    type Tx = may_channel::spsc::Sender<usize, F>;
    type Rx = may_channel::spsc::Receiver<usize, F>;
    const PARKS_COROUTINE: bool = true;
    const MULTI_PRODUCER: bool = false;
    const MULTI_CONSUMER: bool = false;

    fn endpoints(producers: usize, consumers: usize) -> (Vec<Self::Tx>, Vec<Self::Rx>) {
        assert_eq!((producers, consumers), (1, 1), "may_channel::spsc is 1:1");
        let (tx, rx) = may_channel::spsc::channel_of::<usize, F>();
        (vec![tx], vec![rx])
    }
    fn send(tx: &Self::Tx, msg: usize) {
        tx.send(msg).unwrap();
    }
    fn recv(rx: &Self::Rx) -> usize {
        rx.recv().unwrap()
    }
}

impl Contender for MayMpsc {
    type Tx = may::sync::mpsc::Sender<usize>;
    type Rx = may::sync::mpsc::Receiver<usize>;
    const PARKS_COROUTINE: bool = true;
    const MULTI_CONSUMER: bool = false;

    fn endpoints(producers: usize, consumers: usize) -> (Vec<Self::Tx>, Vec<Self::Rx>) {
        assert_eq!(consumers, 1, "may::sync::mpsc has one consumer");
        let (tx, rx) = may::sync::mpsc::channel();
        (cloned(tx, producers), vec![rx])
    }
    fn send(tx: &Self::Tx, msg: usize) {
        tx.send(msg).unwrap();
    }
    fn recv(rx: &Self::Rx) -> usize {
        rx.recv().unwrap()
    }
}

impl Contender for MayMpmc {
    type Tx = may::sync::mpmc::Sender<usize>;
    type Rx = may::sync::mpmc::Receiver<usize>;
    const PARKS_COROUTINE: bool = true;

    fn endpoints(producers: usize, consumers: usize) -> (Vec<Self::Tx>, Vec<Self::Rx>) {
        let (tx, rx) = may::sync::mpmc::channel();
        (cloned(tx, producers), cloned(rx, consumers))
    }
    fn send(tx: &Self::Tx, msg: usize) {
        tx.send(msg).unwrap();
    }
    fn recv(rx: &Self::Rx) -> usize {
        rx.recv().unwrap()
    }
}

// -------------------------------------------------------------------- runtimes

/// Where producers and consumers run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Runtime {
    Threads,
    Coroutines,
}

impl Runtime {
    const ALL: [Runtime; 2] = [Runtime::Threads, Runtime::Coroutines];

    fn name(self) -> &'static str {
        match self {
            Runtime::Threads => "threads",
            Runtime::Coroutines => "coroutines",
        }
    }

    /// Starts `f` as a detached thread or coroutine.
    fn spawn<F: FnOnce() + Send + 'static>(self, f: F) {
        match self {
            Runtime::Threads => drop(std::thread::spawn(f)),
            // Yields before returning: works around a may worker deadlock
            // (see `common::go_yielding`); pool coroutines only return when
            // the pool goes, but the workaround costs nothing.
            Runtime::Coroutines => drop(common::go_yielding(f)),
        }
    }
}

/// may workers: one per core.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Work handed to a pooled task.
type Job = Box<dyn FnOnce() + Send>;

/// A case's tasks, spawned once per process: each runs the jobs it is handed,
/// one after another, so that spawning stays out of every timed run. The job
/// queues are `may::sync::mpsc` channels, whose `recv` parks a coroutine as a
/// coroutine and a thread as a thread.
struct Pool {
    tasks: Vec<may::sync::mpsc::Sender<Job>>,
}

impl Pool {
    fn new(runtime: Runtime, tasks: usize) -> Pool {
        let tasks = (0..tasks)
            .map(|_| {
                let (tx, rx) = may::sync::mpsc::channel::<Job>();
                runtime.spawn(move || {
                    while let Ok(job) = rx.recv() {
                        job();
                    }
                });
                tx
            })
            .collect();
        Pool { tasks }
    }

    fn hand(&self, task: usize, job: Job) {
        self.tasks[task]
            .send(job)
            .expect("pooled tasks live as long as the pool");
    }
}

/// The start line of one timed run. Tasks park at it (a may `SyncFlag`
/// parks a coroutine as a coroutine, a thread as a thread) until the driver
/// opens it. Not a yielding spin: a may worker that always finds a spinning
/// coroutine in its local queue never looks at its global queue, where the
/// coroutines woken by the driver's thread wait, and the gate never fills.
#[derive(Default)]
struct Gate {
    arrived: AtomicUsize,
    open: may::sync::SyncFlag,
}

impl Gate {
    fn arrive_and_wait(&self) {
        // Relaxed: a count the driver only waits on; the task's endpoint
        // came to it through its job queue, which orders everything else.
        self.arrived.fetch_add(1, Ordering::Relaxed);
        self.open.wait();
    }

    /// Opens the gate once `tasks` have arrived; returns the start of the
    /// clock.
    fn open_when_all(&self, tasks: usize) -> Instant {
        while self.arrived.load(Ordering::Relaxed) < tasks {
            std::thread::yield_now();
        }
        let start = Instant::now();
        self.open.fire();
        start
    }
}

/// What a task reports after a run: the sum it received (0 for a producer)
/// and, for a consumer, when its last receive returned; or why it panicked.
type Report = Result<(usize, Option<Instant>), String>;

/// A job that waits at `gate`, runs `work` and reports to `done`.
fn job<F>(gate: &Arc<Gate>, done: &std::sync::mpsc::Sender<Report>, work: F) -> Job
where
    F: FnOnce() -> (usize, Option<Instant>) + Send + 'static,
{
    let (gate, done) = (Arc::clone(gate), done.clone());
    Box::new(move || {
        gate.arrive_and_wait();
        let report = catch_unwind(AssertUnwindSafe(work)).map_err(|panic| {
            panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string())
        });
        let _ = done.send(report);
    })
}

// ------------------------------------------------------------------- workloads

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Seq,
    Spsc,
    Mpsc,
    Mpmc,
}

impl Shape {
    const ALL: [Shape; 4] = [Shape::Seq, Shape::Spsc, Shape::Mpsc, Shape::Mpmc];

    fn name(self) -> &'static str {
        match self {
            Shape::Seq => "seq",
            Shape::Spsc => "spsc",
            Shape::Mpsc => "mpsc",
            Shape::Mpmc => "mpmc",
        }
    }

    /// Producers and consumers (`seq`: one task is both).
    fn tasks(self) -> (usize, usize) {
        match self {
            Shape::Seq | Shape::Spsc => (1, 1),
            Shape::Mpsc => (FOUR, 1),
            Shape::Mpmc => (FOUR, FOUR),
        }
    }

    /// The tasks a pool needs for this shape.
    fn pool_size(self) -> usize {
        match self {
            Shape::Seq => 1,
            _ => {
                let (producers, consumers) = self.tasks();
                producers + consumers
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Capacity {
    Unbounded,
    Zero,
    One,
    Large,
}

impl Capacity {
    const ALL: [Capacity; 4] = [
        Capacity::Unbounded,
        Capacity::Zero,
        Capacity::One,
        Capacity::Large,
    ];

    fn name(self) -> &'static str {
        match self {
            Capacity::Unbounded => "unbounded",
            Capacity::Zero => "cap0",
            Capacity::One => "cap1",
            Capacity::Large => "cap1024",
        }
    }

    /// How many messages `seq` sends before it receives them.
    fn seq_batch(self) -> usize {
        match self {
            Capacity::Unbounded => usize::MAX,
            Capacity::Zero => unreachable!("seq does not run on a rendezvous channel"),
            Capacity::One => 1,
            Capacity::Large => LARGE,
        }
    }
}

/// The sum of `0..n`, what a run that loses nothing receives.
fn triangle(n: usize) -> usize {
    n * n.saturating_sub(1) / 2
}

/// One task sends `batch` messages, then receives them, until `total` are
/// through; returns the sum received.
fn seq<C: Contender>(tx: &C::Tx, rx: &C::Rx, total: usize, batch: usize) -> usize {
    let (mut sent, mut sum) = (0, 0usize);
    while sent < total {
        let end = total.min(sent.saturating_add(batch));
        for i in sent..end {
            C::send(tx, i);
        }
        for _ in sent..end {
            sum = sum.wrapping_add(C::recv(rx));
        }
        sent = end;
    }
    sum
}

/// One timed run of `shape` through contender `C` on the pool's tasks: the
/// time from the opening of the start gate to the last receive.
fn timed_run<C: Contender>(pool: &Pool, shape: Shape, capacity: Capacity) -> Duration {
    let total = messages(shape, capacity);
    let gate = Arc::new(Gate::default());
    let (done, reports) = std::sync::mpsc::channel::<Report>();
    let (producers, consumers) = shape.tasks();
    let (mut txs, mut rxs) = C::endpoints(producers, consumers);
    let expected = if shape == Shape::Seq {
        let (tx, rx) = (
            txs.pop().expect("one sender"),
            rxs.pop().expect("one receiver"),
        );
        let batch = capacity.seq_batch();
        // The endpoints drop when the closure returns, after the timestamp.
        let work = move || (seq::<C>(&tx, &rx, total, batch), Some(Instant::now()));
        pool.hand(0, job(&gate, &done, work));
        triangle(total)
    } else {
        let per_producer = total / producers;
        let per_consumer = per_producer * producers / consumers;
        assert_eq!(per_consumer * consumers, per_producer * producers);
        for (task, rx) in rxs.into_iter().enumerate() {
            let work = move || {
                let sum = (0..per_consumer).fold(0usize, |sum, _| sum.wrapping_add(C::recv(&rx)));
                (sum, Some(Instant::now()))
            };
            pool.hand(task, job(&gate, &done, work));
        }
        for (task, tx) in txs.into_iter().enumerate() {
            let work = move || {
                (0..per_producer).for_each(|i| C::send(&tx, i));
                (0, None)
            };
            pool.hand(consumers + task, job(&gate, &done, work));
        }
        producers * triangle(per_producer)
    };
    drop(done);

    let tasks = shape.pool_size();
    let start = gate.open_when_all(tasks);
    let (mut sum, mut last) = (0usize, start);
    for _ in 0..tasks {
        match reports.recv().expect("every task reports") {
            Ok((received, end)) => {
                sum = sum.wrapping_add(received);
                last = last.max(end.unwrap_or(start));
            }
            Err(panic) => panic!("a task panicked: {panic}"),
        }
    }
    assert_eq!(sum, expected, "lost or duplicated messages");
    last - start
}

// ----------------------------------------------------------------------- cases

type Run = fn(&Pool, Shape, Capacity) -> Duration;

/// A contender as the case list sees it.
struct Entry {
    name: &'static str,
    parks_coroutine: bool,
    multi_producer: bool,
    multi_consumer: bool,
    run: Run,
}

fn entry<C: Contender>(name: &'static str) -> Entry {
    Entry {
        name,
        parks_coroutine: C::PARKS_COROUTINE,
        multi_producer: C::MULTI_PRODUCER,
        multi_consumer: C::MULTI_CONSUMER,
        run: timed_run::<C>,
    }
}

/// Ours (default, `Spin`, `Park`) and the bounded peers for capacity `$n`.
macro_rules! bounded_entries {
    ($default:ty, $spin:ty, $park:ty, $n:expr) => {
        vec![
            entry::<Ours<$default>>("may_channel"),
            entry::<Ours<$spin>>("may_channel Spin"),
            entry::<Ours<$park>>("may_channel Park"),
            entry::<StdSync<$n>>("std::sync::mpsc"),
            entry::<Crossbeam<$n>>("crossbeam-channel"),
            entry::<Flume<$n>>("flume"),
            entry::<Kanal<$n>>("kanal"),
        ]
    };
    // With our spsc handles over a ring of `$n` slots, after our others.
    ($default:ty, $spin:ty, $park:ty, $n:expr, spsc) => {{
        let mut entries = bounded_entries!($default, $spin, $park, $n);
        entries.insert(
            3,
            entry::<OursSpsc<may_channel::spsc::Bounded<$n>>>("may_channel spsc"),
        );
        entries
    }};
}

fn contenders(capacity: Capacity) -> Vec<Entry> {
    match capacity {
        Capacity::Unbounded => vec![
            entry::<Ours<UnboundedMpmc>>("may_channel"),
            entry::<Ours<UnboundedSpin>>("may_channel Spin"),
            entry::<Ours<UnboundedPark>>("may_channel Park"),
            entry::<OursSpsc>("may_channel spsc"),
            entry::<OursSpsc<SpscPark>>("may_channel spsc Park"),
            entry::<StdUnbounded>("std::sync::mpsc"),
            entry::<Crossbeam<UNBOUNDED>>("crossbeam-channel"),
            entry::<Flume<UNBOUNDED>>("flume"),
            entry::<Kanal<UNBOUNDED>>("kanal"),
            entry::<MaySpsc>("may::sync::spsc"),
            entry::<MayMpsc>("may::sync::mpsc"),
            entry::<MayMpmc>("may::sync::mpmc"),
        ],
        Capacity::Zero => bounded_entries!(RendezvousMpmc, RendezvousSpin, RendezvousPark, 0),
        Capacity::One => {
            bounded_entries!(BoundedBlocking<1>, BoundedSpin<1>, BoundedPark<1>, 1, spsc)
        }
        Capacity::Large => bounded_entries!(
            BoundedBlocking<LARGE>,
            BoundedSpin<LARGE>,
            BoundedPark<LARGE>,
            LARGE,
            spsc
        ),
    }
}

/// One benchmark: a contender on a workload in a runtime.
struct Case {
    runtime: Runtime,
    shape: Shape,
    capacity: Capacity,
    /// The criterion function id.
    name: String,
    run: Run,
}

impl Case {
    fn group(&self) -> String {
        format!(
            "{}/{}/{}",
            self.runtime.name(),
            self.shape.name(),
            self.capacity.name()
        )
    }

    fn id(&self) -> String {
        format!("{}/{}", self.group(), self.name)
    }

    fn timed_run(&self, pool: &Pool) -> Duration {
        (self.run)(pool, self.shape, self.capacity)
    }
}

/// Every case, in the order they run.
fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for runtime in Runtime::ALL {
        for shape in Shape::ALL {
            for capacity in Capacity::ALL {
                if shape == Shape::Seq && capacity == Capacity::Zero {
                    continue;
                }
                let (producers, consumers) = shape.tasks();
                for entry in contenders(capacity) {
                    if (producers > 1 && !entry.multi_producer)
                        || (consumers > 1 && !entry.multi_consumer)
                    {
                        continue;
                    }
                    let name = if runtime == Runtime::Coroutines && !entry.parks_coroutine {
                        format!("{} (parks worker)", entry.name)
                    } else {
                        entry.name.to_string()
                    };
                    cases.push(Case {
                        runtime,
                        shape,
                        capacity,
                        name,
                        run: entry.run,
                    });
                }
            }
        }
    }
    cases
}

// ---------------------------------------------------------------------- driver

fn main() -> ExitCode {
    match std::env::var(CASE_ENV) {
        Ok(id) => run_case(&id),
        Err(_) => drive(),
    }
}

/// What one child process of a case came to.
enum Outcome {
    Measured,
    NotRun,
    Stalled,
    Failed(String),
}

/// The parent: runs every case in `MAY_CHANNEL_BENCH_PROCESSES` child
/// processes, round-robin (process 1 of every case, then process 2 of every
/// case that measured, ...), and kills a child that outlives `CHILD_LIMIT`.
fn drive() -> ExitCode {
    let exe = std::env::current_exe().expect("the path of this bench binary");
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let processes = std::env::var(PROCESSES_ENV)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n >= 1)
        .unwrap_or(if common::quick() {
            QUICK_PROCESSES
        } else {
            PROCESSES
        });
    let run = epoch_ms().to_string();
    let started = Instant::now();
    let (mut stalled, mut failed) = (Vec::new(), Vec::new());
    let mut active = cases();
    for process in 1..=processes {
        let mut next = Vec::new();
        for case in active {
            let tag = Tag::new(&case, &run, process, processes);
            match run_child(&exe, &args, &tag) {
                Outcome::Measured => next.push(case),
                Outcome::NotRun => {}
                Outcome::Stalled => stalled.push(format!("{} (process {process})", tag.id)),
                Outcome::Failed(why) => {
                    eprintln!("FAILED: {} ({why})", tag.id);
                    failed.push(format!("{} ({why})", tag.id));
                }
            }
        }
        active = next;
    }
    println!(
        "peers: {} cases measured in {processes} processes each, {} stalled, {} failed, \
         in {:.0} s (run {run})",
        active.len(),
        stalled.len(),
        failed.len(),
        started.elapsed().as_secs_f64()
    );
    for id in &stalled {
        println!("  stalled: {id}");
    }
    for id in &failed {
        println!("  failed: {id}");
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs one process of a case and waits for it, up to `CHILD_LIMIT`.
fn run_child(exe: &std::path::Path, args: &[OsString], tag: &Tag) -> Outcome {
    let mut child = Command::new(exe)
        .args(args)
        // Criterion would otherwise run `cargo metadata` in every child
        // started under cargo to find this directory (0.1 s each).
        .env("CRITERION_HOME", common::criterion_dir())
        .env(CASE_ENV, &tag.id)
        .env(RUN_ENV, &tag.run)
        .env(PROCESS_ENV, format!("{}/{}", tag.process, tag.processes))
        .spawn()
        .expect("start a bench child process");
    let deadline = Instant::now() + CHILD_LIMIT;
    let status = loop {
        match child.try_wait().expect("poll the bench child") {
            Some(status) => break status,
            None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            None => {
                // Only this child, by its own handle.
                child.kill().expect("kill the stalled bench child");
                child.wait().expect("reap the stalled bench child");
                let reason = format!(
                    "no result within {} s (process {} of {}); child killed",
                    CHILD_LIMIT.as_secs(),
                    tag.process,
                    tag.processes
                );
                tag.record_stall(&reason);
                return Outcome::Stalled;
            }
        }
    };
    match status.code() {
        Some(0) => Outcome::Measured,
        Some(code) if code == i32::from(EXIT_NOT_RUN) => Outcome::NotRun,
        Some(code) if code == i32::from(EXIT_STALLED) => Outcome::Stalled,
        other => Outcome::Failed(format!("child exit {other:?}, process {}", tag.process)),
    }
}

/// Which measurement a record belongs to: the run, the case, the process.
#[derive(Clone)]
struct Tag {
    run: String,
    id: String,
    group: String,
    function: String,
    process: usize,
    processes: usize,
}

impl Tag {
    fn new(case: &Case, run: &str, process: usize, processes: usize) -> Tag {
        Tag {
            run: run.to_string(),
            id: case.id(),
            group: case.group(),
            function: case.name.clone(),
            process,
            processes,
        }
    }

    /// The tag of the child this process is, from its environment.
    fn from_env(case: &Case) -> Tag {
        let run = std::env::var(RUN_ENV).unwrap_or_else(|_| "0".to_string());
        let (process, processes) = std::env::var(PROCESS_ENV)
            .ok()
            .and_then(|v| {
                let (k, n) = v.split_once('/')?;
                Some((k.parse().ok()?, n.parse().ok()?))
            })
            .unwrap_or((1, 1));
        Tag::new(case, &run, process, processes)
    }

    /// Appends one JSON line, this tag's fields and `fields` (a JSON
    /// object's members, without braces), to the runs file.
    fn append(&self, fields: &str) {
        let line = format!(
            "{{\"run\":{},\"written\":{},\"id\":{},\"group\":{},\"function\":{},\
             \"process\":{},\"processes\":{},\"quick\":{},{fields}}}\n",
            json(&self.run),
            epoch_ms(),
            json(&self.id),
            json(&self.group),
            json(&self.function),
            self.process,
            self.processes,
            common::quick(),
        );
        let path = common::criterion_dir().join(RUNS_FILE);
        fs::create_dir_all(path.parent().expect("the file sits in a directory"))
            .expect("create the criterion directory");
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut file| file.write_all(line.as_bytes()))
            .expect("append to the runs file");
    }

    /// Logs a stall in the stall log and in the runs file.
    fn record_stall(&self, reason: &str) {
        common::record_stall(&self.id, reason);
        self.append(&format!("\"stalled\":{}", json(reason)));
    }
}

/// Now, in milliseconds since the epoch.
fn epoch_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is past 1970")
        .as_millis()
}

/// `s` as a JSON string.
fn json(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// What a measuring child keeps between criterion's calls.
struct Measuring {
    pool: Pool,
    watch: std::sync::mpsc::Sender<Option<Duration>>,
    /// How long a run may take before it counts as stalled: [`watchdog`] for
    /// the trial, then also at least `STALL_FACTOR` times the trial's time.
    limit: Duration,
    /// `(iterations, elapsed)` of every call criterion made, warm-up first.
    calls: Vec<(u64, Duration)>,
}

impl Measuring {
    /// One timed run, under the watchdog.
    fn run(&self, case: &Case) -> Duration {
        let _ = self.watch.send(Some(self.limit));
        let elapsed = case.timed_run(&self.pool);
        let _ = self.watch.send(None);
        elapsed
    }
}

/// A child: spawns the case's tasks, runs it once as a trial, then measures
/// it, all under the watchdog, and appends its samples to the runs file.
fn run_case(id: &str) -> ExitCode {
    let Some(case) = cases().into_iter().find(|case| case.id() == id) else {
        eprintln!("no bench case {id:?}");
        return ExitCode::from(EXIT_FAILED);
    };
    // Before any coroutine exists.
    may::config().set_workers(workers());
    let tag = Tag::from_env(&case);
    let messages = messages(case.shape, case.capacity);

    let quick = common::quick();
    let mut criterion = Criterion::default()
        .sample_size(SAMPLES)
        .warm_up_time(Duration::from_millis(if quick { 20 } else { 300 }))
        .measurement_time(Duration::from_millis(if quick { 100 } else { 1000 }))
        .nresamples(10_000)
        .without_plots()
        .configure_from_args();
    let mut group = criterion.benchmark_group(case.group());
    group
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(messages as u64));

    // Set up on criterion's first call, which only comes if the filter
    // selected the case.
    let mut measuring: Option<Measuring> = None;
    group.bench_function(&case.name, |b| {
        let measuring = measuring.get_or_insert_with(|| {
            // The stall log describes the latest run: a stall in any of its
            // processes stays.
            if tag.process == 1 {
                common::clear_stall(id);
            }
            let mut measuring = Measuring {
                pool: Pool::new(case.runtime, case.shape.pool_size()),
                watch: watch(&tag),
                limit: watchdog(),
                calls: Vec::new(),
            };
            let trial = measuring.run(&case);
            measuring.limit = watchdog().max(trial * STALL_FACTOR);
            measuring
        });
        b.iter_custom(|iters| {
            let elapsed = (0..iters).map(|_| measuring.run(&case)).sum();
            measuring.calls.push((iters, elapsed));
            elapsed
        });
    });
    group.finish();
    criterion.final_summary();
    let Some(measuring) = measuring else {
        return ExitCode::from(EXIT_NOT_RUN);
    };
    // Criterion's flat sampling calls the routine once per sample after
    // its warm-up: the last calls are the samples.
    let Some(samples) = measuring.calls.len().checked_sub(SAMPLES) else {
        eprintln!("{id}: criterion took fewer than {SAMPLES} samples; nothing recorded");
        return ExitCode::SUCCESS;
    };
    let samples = &measuring.calls[samples..];
    let list = |f: &dyn Fn(&(u64, Duration)) -> String| {
        samples.iter().map(f).collect::<Vec<_>>().join(",")
    };
    tag.append(&format!(
        "\"messages\":{messages},\"iters\":[{}],\"ns\":[{}]",
        list(&|(iters, _)| iters.to_string()),
        list(&|(_, elapsed)| elapsed.as_nanos().to_string()),
    ));
    ExitCode::SUCCESS
}

/// Watches the timed runs: `Some(limit)` says a run started, `None` that it
/// ended. A run that takes longer than its limit stalled (these stalls are
/// intermittent, so every run is watched): it is logged and the process
/// exits, leaving the stuck tasks to die with it. Dropping the sender ends
/// the watch.
fn watch(tag: &Tag) -> std::sync::mpsc::Sender<Option<Duration>> {
    let (watch, events) = std::sync::mpsc::channel::<Option<Duration>>();
    let tag = tag.clone();
    std::thread::spawn(move || {
        let mut runs = 0u64;
        loop {
            // Idle between runs: criterion's analysis is not watched.
            let limit = match events.recv() {
                Ok(Some(limit)) => limit,
                Ok(None) => continue,
                Err(_) => return,
            };
            match events.recv_timeout(limit) {
                Ok(_) => runs += 1,
                Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) => {
                    let limit = limit.as_secs_f64();
                    let (k, n) = (tag.process, tag.processes);
                    let reason = if runs == 0 {
                        format!("trial run not finished within {limit:.0} s (process {k} of {n})")
                    } else {
                        format!(
                            "passed its trial run, then a timed run did not finish within \
                             {limit:.0} s (after {runs} runs; process {k} of {n})"
                        )
                    };
                    tag.record_stall(&reason);
                    std::process::exit(i32::from(EXIT_STALLED));
                }
            }
        }
    });
    watch
}
