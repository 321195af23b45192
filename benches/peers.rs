//! How fast is each workload through `may_channel` against its peers, from OS
//! threads and from may coroutines?
//!
//! The workloads are those of crossbeam-channel's benchmark suite, with
//! word-sized messages (`usize`) and a fixed number of messages per iteration;
//! endpoints are created and producers/consumers spawned inside the timed
//! iteration:
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
//! Every case runs in a child process of this binary (the parent only drives
//! them), so a case that deadlocks cannot take may's workers away from the
//! cases after it. The child first runs one iteration under a watchdog (a
//! thread and `recv_timeout`, 5 s); a case that does not finish prints
//! `STALLED: <bench id>`, is appended to `target/criterion/stalled.txt` and is
//! not measured. Stalls of the peers that park workers are intermittent, so the
//! watchdog stays on during measurement: a case whose iteration then takes
//! longer than 5 s is logged the same way and its child exits (as a last
//! resort, the parent kills a child that runs longer than two minutes).
//!
//! Run: `cargo bench --bench peers` (criterion arguments pass through to every
//! case; a filter is matched as by criterion, e.g. `-- coroutines/mpmc`).
//! `MAY_CHANNEL_BENCH_QUICK=1` shrinks the workloads and the measurement for a
//! fast pass.

mod common;

use std::ffi::OsString;
use std::hint::black_box;
use std::marker::PhantomData;
use std::process::{Command, ExitCode};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

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
/// How long the parent waits for one case (trial and measurement) before it
/// kills the child and logs the case as stalled.
const CHILD_LIMIT: Duration = Duration::from_secs(120);

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

/// Messages per iteration.
fn messages() -> usize {
    if common::quick() { 4_000 } else { 20_000 }
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

    fn spawn<R, F>(self, f: F) -> Task<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        match self {
            Runtime::Threads => Task::Thread(std::thread::spawn(f)),
            // Yields before returning: works around a may worker deadlock
            // (see `common::go_yielding`).
            Runtime::Coroutines => Task::Coroutine(common::go_yielding(f)),
        }
    }
}

enum Task<R> {
    Thread(std::thread::JoinHandle<R>),
    Coroutine(may::coroutine::JoinHandle<R>),
}

impl<R> Task<R> {
    fn join(self) -> R {
        match self {
            Task::Thread(handle) => handle.join().unwrap(),
            Task::Coroutine(handle) => handle.join().unwrap(),
        }
    }
}

/// may workers: one per core.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
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

/// One task sends `batch` messages, then receives them, until all are through.
fn seq<C: Contender>(batch: usize) -> usize {
    let total = messages();
    let (txs, rxs) = C::endpoints(1, 1);
    let (tx, rx) = (&txs[0], &rxs[0]);
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
    assert_eq!(sum, triangle(total), "lost or duplicated messages");
    sum
}

/// Producers send `messages()` in all; each consumer receives its fixed
/// share.
fn transfer<C: Contender>(runtime: Runtime, producers: usize, consumers: usize) -> usize {
    let per_producer = messages() / producers;
    let per_consumer = per_producer * producers / consumers;
    assert_eq!(per_consumer * consumers, per_producer * producers);

    let (txs, rxs) = C::endpoints(producers, consumers);
    let receivers: Vec<Task<usize>> = rxs
        .into_iter()
        .map(|rx| {
            runtime.spawn(move || {
                (0..per_consumer).fold(0usize, |sum, _| sum.wrapping_add(C::recv(&rx)))
            })
        })
        .collect();
    let senders: Vec<Task<()>> = txs
        .into_iter()
        .map(|tx| runtime.spawn(move || (0..per_producer).for_each(|i| C::send(&tx, i))))
        .collect();

    senders.into_iter().for_each(Task::join);
    let sum = receivers
        .into_iter()
        .map(Task::join)
        .fold(0usize, usize::wrapping_add);
    assert_eq!(
        sum,
        producers * triangle(per_producer),
        "lost or duplicated messages"
    );
    sum
}

/// One iteration of `shape` through contender `C`, on `runtime`.
fn workload<C: Contender>(runtime: Runtime, shape: Shape, capacity: Capacity) -> usize {
    match shape {
        Shape::Seq => {
            let batch = capacity.seq_batch();
            runtime.spawn(move || seq::<C>(batch)).join()
        }
        _ => {
            let (producers, consumers) = shape.tasks();
            transfer::<C>(runtime, producers, consumers)
        }
    }
}

// ----------------------------------------------------------------------- cases

type Run = fn(Runtime, Shape, Capacity) -> usize;

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
        run: workload::<C>,
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

    fn run_once(&self) -> usize {
        (self.run)(self.runtime, self.shape, self.capacity)
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

/// The parent: runs every case in a child process, one after another, and
/// kills a child that outlives `CHILD_LIMIT`.
fn drive() -> ExitCode {
    let exe = std::env::current_exe().expect("the path of this bench binary");
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let started = Instant::now();
    let (mut measured, mut stalled, mut failed) = (0, Vec::new(), Vec::new());
    for case in cases() {
        let id = case.id();
        let mut child = Command::new(&exe)
            .args(&args)
            .env(CASE_ENV, &id)
            .spawn()
            .expect("start a bench child process");
        let deadline = Instant::now() + CHILD_LIMIT;
        let status = loop {
            match child.try_wait().expect("poll the bench child") {
                Some(status) => break Some(status),
                None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
                None => {
                    // Only this child, by its own handle.
                    child.kill().expect("kill the stalled bench child");
                    child.wait().expect("reap the stalled bench child");
                    break None;
                }
            }
        };
        match status.map(|s| s.code()) {
            Some(Some(0)) => measured += 1,
            Some(Some(code)) if code == i32::from(EXIT_NOT_RUN) => {}
            Some(Some(code)) if code == i32::from(EXIT_STALLED) => stalled.push(id),
            None => {
                let reason = format!(
                    "no result within {} s during measurement; child killed",
                    CHILD_LIMIT.as_secs()
                );
                common::record_stall(&id, &reason);
                stalled.push(id);
            }
            Some(other) => {
                eprintln!("FAILED: {id} (child exit {other:?})");
                failed.push(id);
            }
        }
    }
    println!(
        "peers: {measured} cases measured, {} stalled, {} failed, in {:.0} s",
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

/// A child: checks the case `id` under the watchdog, then measures it.
fn run_case(id: &str) -> ExitCode {
    let Some(case) = cases().into_iter().find(|case| case.id() == id) else {
        eprintln!("no bench case {id:?}");
        return ExitCode::from(EXIT_FAILED);
    };
    // Before any coroutine exists.
    may::config().set_workers(workers());

    let quick = common::quick();
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(if quick { 100 } else { 300 }))
        .measurement_time(Duration::from_millis(if quick { 300 } else { 1000 }))
        .nresamples(10_000)
        .without_plots()
        .configure_from_args();
    let mut group = criterion.benchmark_group(case.group());
    group
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(messages() as u64));

    // Set once the case has passed its trial run: each measured iteration
    // reports to the watchdog through it.
    let mut heartbeat: Option<std::sync::mpsc::Sender<()>> = None;
    group.bench_function(&case.name, |b| {
        // Criterion calls this once per warm-up step and sample; check once,
        // and only if the filter selected the case.
        let beat = heartbeat.get_or_insert_with(|| {
            check_case(&case, id);
            watch_measurement(id.to_string())
        });
        b.iter(|| {
            let sum = case.run_once();
            let _ = beat.send(());
            black_box(sum)
        });
    });
    let ran = heartbeat.take().is_some();
    group.finish();
    criterion.final_summary();
    if ran {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_NOT_RUN)
    }
}

/// Watches a measured case: every iteration sends a beat; if none comes for
/// `WATCHDOG`, the case stalled after all (these stalls are intermittent), so
/// it is logged and the process exits. Dropping the sender ends the watch.
fn watch_measurement(id: String) -> std::sync::mpsc::Sender<()> {
    let (beat, beats) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut iterations = 0u64;
        loop {
            match beats.recv_timeout(common::WATCHDOG) {
                Ok(()) => iterations += 1,
                Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) => {
                    let reason = format!(
                        "passed its trial run, then an iteration did not finish within {} s \
                         during measurement (after {iterations} iterations)",
                        common::WATCHDOG.as_secs()
                    );
                    common::record_stall(&id, &reason);
                    std::process::exit(i32::from(EXIT_STALLED));
                }
            }
        }
    });
    beat
}

/// Runs the case once on a helper thread; exits the process (leaving the stuck
/// tasks to die with it) if it stalls or fails.
fn check_case(case: &Case, id: &str) {
    common::clear_stall(id);
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let (run, runtime, shape, capacity) = (case.run, case.runtime, case.shape, case.capacity);
    std::thread::spawn(move || {
        let _ = done_tx.send(run(runtime, shape, capacity));
    });
    match done_rx.recv_timeout(common::WATCHDOG) {
        Ok(_) => {}
        Err(RecvTimeoutError::Timeout) => {
            let reason = format!(
                "trial run not finished within {} s",
                common::WATCHDOG.as_secs()
            );
            common::record_stall(id, &reason);
            std::process::exit(i32::from(EXIT_STALLED));
        }
        Err(RecvTimeoutError::Disconnected) => {
            eprintln!("FAILED: {id} (the trial run panicked)");
            std::process::exit(i32::from(EXIT_FAILED));
        }
    }
}
