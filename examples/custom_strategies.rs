//! Your own strategy on every axis a user can implement, combined into one
//! flavour and used from OS threads and may coroutines.
//!
//! | axis | here | what it does |
//! |---|---|---|
//! | queue | [`ShardedStack`] | bounded LIFO stacks, one per shard, behind mutexes; pops steal from other shards |
//! | wait | [`TallyingWait`] | spins (threads) or yields (coroutines) a few times, then parks; tallies both |
//! | metrics | [`LatencySink`] | time each message spent queued (max) and a histogram of time spent blocked |
//! | placement | [`RoundRobinThreads`] | gives each OS thread a home shard, round robin |
//!
//! The backpressure axis is closed (each policy needs its own path through
//! the channel core), so the flavour picks the shipped `Block`.
//!
//! Run it with `cargo run --release --example custom_strategies`.

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use may_channel::backpressure::Block;
use may_channel::flavors::UnboundedMpmc;
use may_channel::metrics::{MetricsSink, Report, Side};
use may_channel::placement::Placement;
use may_channel::queue::{BoundedKind, QueueStrategy, RawQueue};
use may_channel::wait::{Context, Pause, WaitStrategy};
use may_channel::{Channel, Flavor, Receiver, Sender};

// ======================================================================= queue

/// `SHARDS` LIFO stacks of `PER_SHARD` slots each. A push goes to the
/// caller's home shard (or the next one with room); a pop takes from the home
/// shard first and steals from the others when it is empty. Newest first:
/// useful when the freshest work is the most valuable (a cache refill, an
/// undo log).
pub struct ShardedStack<const SHARDS: usize, const PER_SHARD: usize>;

/// The queue [`ShardedStack`] builds for items of type `T`.
pub struct ShardedStackQueue<T, const SHARDS: usize, const PER_SHARD: usize> {
    shards: [Mutex<Vec<T>>; SHARDS],
}

impl<T, const SHARDS: usize, const PER_SHARD: usize> ShardedStackQueue<T, SHARDS, PER_SHARD> {
    /// Shards in the order a caller whose home is `home` visits them.
    fn visiting_from(&self, home: usize) -> impl Iterator<Item = &Mutex<Vec<T>>> {
        (0..SHARDS).map(move |i| &self.shards[(home + i) % SHARDS])
    }
}

/// Locks a shard. A panic while holding the lock cannot leave a `Vec` half
/// pushed or popped, so a poisoned lock is still a valid stack.
fn lock<T>(shard: &Mutex<Vec<T>>) -> std::sync::MutexGuard<'_, Vec<T>> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<T, const SHARDS: usize, const PER_SHARD: usize> RawQueue<T>
    for ShardedStackQueue<T, SHARDS, PER_SHARD>
{
    fn push(&self, item: T, home: usize) -> Result<(), T> {
        // The mutex both protects the stack and provides the happens-before
        // edge from this push to the pop that returns `item`.
        for shard in self.visiting_from(home) {
            let mut stack = lock(shard);
            if stack.len() < PER_SHARD {
                stack.push(item);
                return Ok(());
            }
        }
        Err(item)
    }

    fn pop(&self, home: usize) -> Option<T> {
        self.visiting_from(home).find_map(|shard| lock(shard).pop())
    }

    fn len(&self) -> usize {
        self.shards.iter().map(|shard| lock(shard).len()).sum()
    }

    fn capacity(&self) -> Option<usize> {
        Some(SHARDS * PER_SHARD)
    }
}

impl<const SHARDS: usize, const PER_SHARD: usize> QueueStrategy
    for ShardedStack<SHARDS, PER_SHARD>
{
    // Bounded: it fills up, so Block, Reject, DropNewest and DropOldest apply
    // (DropOldest would use `push_evicting`'s default, which cannot evict
    // and drops the incoming message instead).
    type Kind = BoundedKind;
    type Config = ();
    type Queue<T> = ShardedStackQueue<T, SHARDS, PER_SHARD>;

    fn new_queue<T>(_: &()) -> Self::Queue<T> {
        ShardedStackQueue {
            shards: std::array::from_fn(|_| Mutex::new(Vec::with_capacity(PER_SHARD))),
        }
    }
}

// ======================================================================== wait

/// Tries `spins` more times before parking, and tallies what it did. The
/// tallies live behind an `Arc` so the program can keep a handle on them
/// (the channel owns its wait strategy; build it with `Channel::from_parts`).
#[derive(Clone)]
pub struct TallyingWait {
    spins: u32,
    tally: Arc<WaitTally>,
}

/// What a [`TallyingWait`] did.
#[derive(Default)]
pub struct WaitTally {
    retries: AtomicU64,
    parks: AtomicU64,
}

impl WaitTally {
    fn retries(&self) -> u64 {
        // Relaxed: a statistic read on its own.
        self.retries.load(Ordering::Relaxed)
    }
    fn parks(&self) -> u64 {
        // Relaxed: as above.
        self.parks.load(Ordering::Relaxed)
    }
}

impl Default for TallyingWait {
    fn default() -> Self {
        TallyingWait {
            spins: 8,
            tally: Arc::default(),
        }
    }
}

impl WaitStrategy for TallyingWait {
    fn pause(&self, attempt: u32, context: Context) -> Pause {
        if attempt >= self.spins {
            // Relaxed: a statistic; the core orders the park itself.
            self.tally.parks.fetch_add(1, Ordering::Relaxed);
            return Pause::Park;
        }
        // Relaxed: as above.
        self.tally.retries.fetch_add(1, Ordering::Relaxed);
        match context {
            // Never spin in a coroutine: it would hold the worker thread the
            // peer we wait for may need.
            Context::Coroutine => context.yield_now(),
            Context::Thread => {
                for _ in 0..(1u32 << attempt.min(6)) {
                    std::hint::spin_loop();
                }
            }
        }
        Pause::Retry
    }
}

// ===================================================================== metrics

/// Upper bounds of the blocked-time histogram's buckets; the last bucket
/// takes everything above.
const BUCKETS: [Duration; 4] = [
    Duration::from_micros(10),
    Duration::from_micros(100),
    Duration::from_millis(1),
    Duration::from_millis(10),
];

/// Records how long each message waited in the queue (the maximum) and how
/// long each park lasted (a histogram), besides plain counts.
#[derive(Default)]
pub struct LatencySink {
    sent: AtomicU64,
    received: AtomicU64,
    max_queued_ns: AtomicU64,
    blocked: [AtomicU64; BUCKETS.len() + 1],
}

/// A copy of a [`LatencySink`]'s figures.
#[derive(Clone, Copy, Debug)]
pub struct LatencySnapshot {
    pub sent: u64,
    pub received: u64,
    pub max_queued: Duration,
    pub blocked_histogram: [u64; BUCKETS.len() + 1],
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl MetricsSink for LatencySink {
    /// When the message was offered; travels with it through the queue.
    type Stamp = Instant;
    /// When the park began.
    type BlockStamp = Instant;

    fn stamp(&self) -> Instant {
        Instant::now()
    }

    fn on_send(&self) {
        // Relaxed (all counters here): statistics read on their own; nothing
        // is published through them.
        self.sent.fetch_add(1, Ordering::Relaxed);
    }

    fn on_recv(&self, sent_at: Instant) {
        self.received.fetch_add(1, Ordering::Relaxed);
        self.max_queued_ns
            .fetch_max(nanos(sent_at.elapsed()), Ordering::Relaxed);
    }

    fn on_discard(&self) {}

    fn on_evict(&self, _: Instant) {}

    fn on_block(&self, _: Side) -> Instant {
        Instant::now()
    }

    fn on_unblock(&self, _: Side, since: Instant) {
        let waited = since.elapsed();
        let bucket = BUCKETS
            .iter()
            .position(|bound| waited < *bound)
            .unwrap_or(BUCKETS.len());
        self.blocked[bucket].fetch_add(1, Ordering::Relaxed);
    }
}

// With `Report`, the handles' `metrics()` method works for this sink too.
impl Report for LatencySink {
    type Snapshot = LatencySnapshot;

    fn snapshot(&self) -> LatencySnapshot {
        LatencySnapshot {
            // Relaxed: a best-effort picture, as for the shipped `Counters`.
            sent: self.sent.load(Ordering::Relaxed),
            received: self.received.load(Ordering::Relaxed),
            max_queued: Duration::from_nanos(self.max_queued_ns.load(Ordering::Relaxed)),
            blocked_histogram: std::array::from_fn(|i| self.blocked[i].load(Ordering::Relaxed)),
        }
    }

    fn reset(&self) {
        // Relaxed: as in `snapshot`.
        self.sent.store(0, Ordering::Relaxed);
        self.received.store(0, Ordering::Relaxed);
        self.max_queued_ns.store(0, Ordering::Relaxed);
        for bucket in &self.blocked {
            bucket.store(0, Ordering::Relaxed);
        }
    }
}

impl fmt::Display for LatencySnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e] = self.blocked_histogram;
        write!(
            f,
            "sent {}, received {}, longest queued {:?}; parks by length: <10µs {a}, <100µs {b}, <1ms {c}, <10ms {d}, longer {e}",
            self.sent, self.received, self.max_queued
        )
    }
}

// =================================================================== placement

/// Gives each OS thread a home shard, round robin over `SHARDS`. Inside may,
/// a coroutine gets the home of the worker thread it runs on at the moment:
/// a locality hint, as the `Placement` contract says.
#[derive(Default)]
pub struct RoundRobinThreads<const SHARDS: usize>;

/// Next home to hand out.
static NEXT_HOME: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's home, or `usize::MAX` before its first call.
    static HOME: Cell<usize> = const { Cell::new(usize::MAX) };
}

impl<const SHARDS: usize> Placement for RoundRobinThreads<SHARDS> {
    fn shards(&self) -> usize {
        SHARDS
    }

    fn home(&self) -> usize {
        let ticket = HOME.with(|home| {
            if home.get() == usize::MAX {
                // Relaxed: only uniqueness of the ticket matters; it guards
                // no other memory.
                home.set(NEXT_HOME.fetch_add(1, Ordering::Relaxed));
            }
            home.get()
        });
        ticket % SHARDS
    }
}

// ===================================================================== flavour

/// Two shards of 32 slots, tallying wait, latency metrics, round-robin homes.
type MyFlavor =
    Channel<ShardedStack<2, 32>, TallyingWait, Block, LatencySink, RoundRobinThreads<2>>;

/// Takes what is queued now from a channel of any flavour.
fn drain<T, F: Flavor>(rx: &Receiver<T, F>) -> Vec<T> {
    rx.try_iter().collect()
}

/// Builds a `MyFlavor` channel whose wait tallies the caller can read.
fn my_channel<T>() -> (Sender<T, MyFlavor>, Receiver<T, MyFlavor>, Arc<WaitTally>) {
    let wait = TallyingWait::default();
    let tally = Arc::clone(&wait.tally);
    let (tx, rx) = MyFlavor::from_parts(
        ShardedStack::<2, 32>::new_queue(&()),
        wait,
        LatencySink::default(),
        RoundRobinThreads,
    );
    (tx, rx, tally)
}

const PRODUCERS: u64 = 2;
const CONSUMERS: usize = 2;
const PER_PRODUCER: u64 = 20_000;

/// Runs `PRODUCERS` x `PER_PRODUCER` messages through a `MyFlavor` channel on
/// `CONSUMERS` consumers, spawned by `spawn`; checks each arrives once.
fn exchange(label: &str, spawn: impl Fn(Box<dyn FnOnce() -> Vec<u64> + Send>) -> Joiner) {
    let (tx, rx, tally) = my_channel::<u64>();
    let started = Instant::now();

    let consumers: Vec<Joiner> = (0..CONSUMERS)
        .map(|_| {
            let rx = rx.clone();
            spawn(Box::new(move || rx.iter().collect()))
        })
        .collect();
    let producers: Vec<Joiner> = (0..PRODUCERS)
        .map(|p| {
            let tx = tx.clone();
            spawn(Box::new(move || {
                for i in 0..PER_PRODUCER {
                    tx.send(p * PER_PRODUCER + i).unwrap();
                }
                Vec::new()
            }))
        })
        .collect();
    drop(tx);
    for producer in producers {
        producer.join();
    }
    let mut all: Vec<u64> = consumers.into_iter().flat_map(Joiner::join).collect();
    let elapsed = started.elapsed();

    all.sort_unstable();
    let expected: Vec<u64> = (0..PRODUCERS * PER_PRODUCER).collect();
    assert!(all == expected, "{label}: a message was lost or duplicated");

    let metrics = rx.metrics();
    assert_eq!(metrics.sent, PRODUCERS * PER_PRODUCER);
    assert_eq!(metrics.received, PRODUCERS * PER_PRODUCER);
    println!(
        "{label}: {} messages, {PRODUCERS} producers -> {CONSUMERS} consumers, in {elapsed:?}",
        all.len()
    );
    println!("  metrics: {metrics}");
    println!(
        "  wait:    {} retries, {} parks",
        tally.retries(),
        tally.parks()
    );
}

/// A thread or a coroutine to wait for.
enum Joiner {
    Thread(std::thread::JoinHandle<Vec<u64>>),
    Coroutine(may::coroutine::JoinHandle<Vec<u64>>),
}

impl Joiner {
    fn join(self) -> Vec<u64> {
        match self {
            Joiner::Thread(handle) => handle.join().unwrap(),
            Joiner::Coroutine(handle) => handle.join().unwrap(),
        }
    }
}

fn main() {
    may::config().set_workers(2);

    // LIFO order, and `drain` working on two unrelated flavours.
    let (tx, rx, _) = my_channel::<&str>();
    for word in ["first", "second", "third"] {
        tx.send(word).unwrap();
    }
    let stacked = drain(&rx);
    let (fifo_tx, fifo_rx) = UnboundedMpmc::new();
    for word in ["first", "second", "third"] {
        fifo_tx.send(word).unwrap();
    }
    let queued = drain(&fifo_rx);
    println!("drain(MyFlavor):      {stacked:?}");
    println!("drain(UnboundedMpmc): {queued:?}");
    assert_eq!(stacked, ["third", "second", "first"]);
    assert_eq!(queued, ["first", "second", "third"]);
    assert_eq!(tx.capacity(), Some(64));
    println!();

    exchange("OS threads", |f| Joiner::Thread(std::thread::spawn(f)));
    exchange("coroutines", |f| Joiner::Coroutine(may::go!(f)));
}
