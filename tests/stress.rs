//! Stress tests: many producers and many consumers on one channel, from one
//! generic body that runs them on OS threads, on may coroutines, or half and
//! half.
//!
//! Every message has a unique id. The body checks that each id is received
//! exactly once, that each consumer sees every producer's messages in the
//! order they were sent, that nothing is left in the channel, and (through a
//! counting `Drop`) that every message is dropped exactly once, also those
//! still queued when the receivers leave early. A watchdog turns a deadlock
//! into a failure instead of a hang. No timing is asserted.
//!
//! Each test runs in a child process of its own (see [`isolated`]): may's
//! configuration is global to a process, and a deadlocked run can leave
//! coroutines spinning on may's workers, which would starve every later
//! test of the binary.

mod common;

use common::{Handle, Runner, init_may};

use std::ops::Range;
use std::panic;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use may_channel::backpressure::HasSend;
use may_channel::flavors::{
    BoundedBlocking, DynBoundedBlocking, InstrumentedBounded, RendezvousMpmc, UnboundedMpmc,
};
use may_channel::queue::{Bounded, Unbounded};
use may_channel::wait::{Park, Spin, Yield};
use may_channel::{Channel, Flavor, Receiver, RecvTimeoutError, Sender, TryRecvError};

const PRODUCERS: usize = 4;
const CONSUMERS: usize = 4;
const TOTAL: usize = 20_000;
/// How long a stress run may take before the watchdog calls it a deadlock
/// (a run takes well under a second on an idle machine, a few on a loaded
/// one).
const WATCHDOG: Duration = Duration::from_secs(30);

// ------------------------------------------------------------- runners

/// Runs `body` on its own thread and fails the test if it has not finished
/// within `limit`; a panic in `body` is re-raised.
fn watchdog<T: Send + 'static>(
    name: &str,
    limit: Duration,
    body: impl FnOnce() -> T + Send + 'static,
) -> T {
    init_may();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let worker = thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            let result = body();
            // The watchdog may have given up already; nothing to do then.
            let _ = done_tx.send(());
            result
        })
        .expect("spawn the test body");
    match done_rx.recv_timeout(limit) {
        // `Disconnected`: the body panicked; `join` re-raises the panic.
        Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => worker
            .join()
            .unwrap_or_else(|payload| panic::resume_unwind(payload)),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!(
            "{name}: not finished after {limit:?}: the channel deadlocked (a lost wake-up, \
             a wait that parks the may worker thread instead of the coroutine, or coroutines \
             that wait without parking and so starve the coroutines they wait for)"
        ),
    }
}

/// Tells a child process which test to run for real.
const CHILD_ENV: &str = "MAY_CHANNEL_STRESS_CHILD";

/// Runs the calling test's `body` in a child process (see
/// `common::in_child_process`).
fn isolated(limit: Duration, body: impl FnOnce() + Send + 'static) {
    common::in_child_process(CHILD_ENV, limit, |test| watchdog(test, limit, body));
}

// ------------------------------------------------------------ messages

/// What happened to each message id.
struct Book {
    received: Vec<AtomicU8>,
    /// Handed back to the producer by a failed send.
    refused: Vec<AtomicU8>,
    dropped: Vec<AtomicU8>,
}

impl Book {
    fn new(total: usize) -> Arc<Self> {
        let zeros = || (0..total).map(|_| AtomicU8::new(0)).collect();
        Arc::new(Self {
            received: zeros(),
            refused: zeros(),
            dropped: zeros(),
        })
    }

    fn received(&self, msg: &Msg) {
        // Relaxed: the counters are read after every task has been joined,
        // which orders them.
        let before = self.received[msg.id].fetch_add(1, Ordering::Relaxed);
        assert_eq!(before, 0, "message {} received twice", msg.id);
    }

    fn refused(&self, msg: &Msg) {
        // Relaxed: as in `received`.
        let before = self.refused[msg.id].fetch_add(1, Ordering::Relaxed);
        assert_eq!(before, 0, "message {} handed back twice", msg.id);
    }

    fn times_refused(&self, id: usize) -> u8 {
        self.refused[id].load(Ordering::Relaxed)
    }

    fn times_received(&self, id: usize) -> u8 {
        self.received[id].load(Ordering::Relaxed)
    }

    fn times_dropped(&self, id: usize) -> u8 {
        self.dropped[id].load(Ordering::Relaxed)
    }

    fn assert_all_dropped_once(&self) {
        for id in 0..self.dropped.len() {
            let n = self.times_dropped(id);
            assert_eq!(n, 1, "message {id} dropped {n} times");
        }
    }
}

/// A message that counts its drops in the book.
struct Msg {
    id: usize,
    producer: usize,
    book: Arc<Book>,
}

impl Drop for Msg {
    fn drop(&mut self) {
        // Relaxed: as in `Book::received`.
        self.book.dropped[self.id].fetch_add(1, Ordering::Relaxed);
    }
}

// ------------------------------------------------------------ the body

type Pair<F> = (Sender<Msg, F>, Receiver<Msg, F>);

/// How a producer sends.
#[derive(Clone, Copy, Debug)]
enum SendMode {
    /// Blocking `send`, one message at a time.
    Send,
    /// `send_batch` of this many, re-sending the refused suffix with `send`.
    Batch(usize),
}

/// How a consumer receives.
#[derive(Clone, Copy, Debug)]
enum RecvMode {
    /// Blocking `recv` until disconnected.
    Recv,
    /// `recv_timeout` in a loop, going on after each timeout.
    RecvTimeout,
    /// `recv_batch(8)` until disconnected.
    Batch,
}

struct Plan {
    producers: Runner,
    consumers: Runner,
    /// Producer `i` uses `send[i % len]`.
    send: &'static [SendMode],
    /// Consumer `i` uses `recv[i % len]`.
    recv: &'static [RecvMode],
    /// `Some(q)`: each consumer leaves after `q` messages, while producers
    /// still send; `None`: consumers receive until disconnected.
    quota: Option<usize>,
}

impl Plan {
    fn simple(producers: Runner, consumers: Runner) -> Self {
        Self {
            producers,
            consumers,
            send: &[SendMode::Send],
            recv: &[RecvMode::Recv],
            quota: None,
        }
    }
}

/// What a run ended with, for checks the flavour adds (metrics).
struct Outcome<F: Flavor> {
    /// A receiver the body kept (it received nothing); `None` when the
    /// consumers left early, which needs every receiver gone.
    probe: Option<Receiver<Msg, F>>,
    received: usize,
}

fn produce<F>(
    tx: Sender<Msg, F>,
    producer: usize,
    ids: Range<usize>,
    mode: SendMode,
    book: Arc<Book>,
) -> usize
where
    F: Flavor,
    F::Backpressure: HasSend,
{
    let make = |id| Msg {
        id,
        producer,
        book: Arc::clone(&book),
    };
    let mut refused = 0;
    let mut send = |msg: Msg| {
        let id = msg.id;
        if let Err(back) = tx.send(msg) {
            assert_eq!(back.0.id, id, "send hands back its own message");
            book.refused(&back.0);
            refused += 1;
        }
    };
    match mode {
        SendMode::Send => ids.map(make).for_each(send),
        SendMode::Batch(size) => {
            for start in ids.clone().step_by(size) {
                let end = (start + size).min(ids.end);
                let rest = tx.send_batch((start..end).map(make));
                assert!(
                    rest.iter().map(|m| m.id).eq(end - rest.len()..end),
                    "send_batch hands back a suffix of the batch, in order"
                );
                rest.into_iter().for_each(&mut send);
            }
        }
    }
    refused
}

fn consume<F: Flavor>(
    rx: Receiver<Msg, F>,
    mode: RecvMode,
    quota: Option<usize>,
    book: Arc<Book>,
) -> usize {
    let limit = quota.unwrap_or(usize::MAX);
    // Per producer, the last id this consumer saw: a FIFO channel delivers
    // one producer's messages to one consumer in the order they were sent.
    let mut last = [None::<usize>; PRODUCERS];
    let mut take = |msg: Msg| {
        book.received(&msg);
        let prev = last[msg.producer];
        assert!(
            prev.is_none_or(|prev| prev < msg.id),
            "producer {}'s messages out of order: {} after {prev:?}",
            msg.producer,
            msg.id,
        );
        last[msg.producer] = Some(msg.id);
    };
    let mut taken = 0;
    match mode {
        RecvMode::Recv => {
            while taken < limit {
                let Ok(msg) = rx.recv() else { break };
                take(msg);
                taken += 1;
            }
        }
        RecvMode::RecvTimeout => {
            while taken < limit {
                match rx.recv_timeout(Duration::from_millis(1)) {
                    Ok(msg) => {
                        take(msg);
                        taken += 1;
                    }
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
        }
        RecvMode::Batch => {
            while taken < limit {
                let max = 8.min(limit - taken);
                let Ok(batch) = rx.recv_batch(max) else { break };
                assert!(
                    !batch.is_empty() && batch.len() <= max,
                    "recv_batch({max}) returned {} messages",
                    batch.len()
                );
                taken += batch.len();
                batch.into_iter().for_each(&mut take);
            }
        }
    }
    taken
}

/// The one stress body: `PRODUCERS` producers send `TOTAL` messages to
/// `CONSUMERS` consumers, on the runners the plan names.
fn stress<F>(open: fn() -> Pair<F>, plan: Plan) -> Outcome<F>
where
    F: Flavor,
    F::Backpressure: HasSend,
    Sender<Msg, F>: Send,
    Receiver<Msg, F>: Send,
{
    let book = Book::new(TOTAL);
    let (tx, rx) = open();

    let consumers: Vec<Handle<usize>> = (0..CONSUMERS)
        .map(|i| {
            let rx = rx.clone();
            let mode = plan.recv[i % plan.recv.len()];
            let (quota, book) = (plan.quota, Arc::clone(&book));
            plan.consumers.spawn(move || consume(rx, mode, quota, book))
        })
        .collect();
    let per_producer = TOTAL / PRODUCERS;
    let producers: Vec<Handle<usize>> = (0..PRODUCERS)
        .map(|i| {
            let tx = tx.clone();
            let ids = i * per_producer..(i + 1) * per_producer;
            let mode = plan.send[i % plan.send.len()];
            let book = Arc::clone(&book);
            plan.producers
                .spawn(move || produce(tx, i, ids, mode, book))
        })
        .collect();
    drop(tx);
    // Consumers that receive until disconnected need every sender gone, and
    // leave a receiver here to inspect the channel with. Consumers that leave
    // early need every receiver gone.
    let probe = plan.quota.is_none().then_some(rx);

    let refused: usize = producers.into_iter().map(Handle::join).sum();
    let received: usize = consumers.into_iter().map(Handle::join).sum();

    match (plan.quota, &probe) {
        (None, Some(probe)) => {
            assert_eq!(refused, 0, "a send failed while receivers were alive");
            assert_eq!(received, TOTAL, "messages received");
            for id in 0..TOTAL {
                assert_eq!(book.times_received(id), 1, "message {id} not received");
            }
            assert_eq!(probe.len(), 0, "messages left in the channel");
            assert!(probe.is_empty());
            assert_eq!(
                probe.try_recv().map(|m| m.id),
                Err(TryRecvError::Disconnected)
            );
            // Everything was received, and the consumers dropped it.
            book.assert_all_dropped_once();
        }
        (Some(quota), None) => {
            assert_eq!(received, CONSUMERS * quota, "each consumer takes its quota");
            assert!(refused <= TOTAL - received);
            for id in 0..TOTAL {
                let fates = book.times_received(id) + book.times_refused(id);
                assert!(fates <= 1, "message {id} both received and handed back");
            }
            // Every handle is gone, so the channel is freed: every message
            // went to a consumer, back to its producer, or was dropped by the
            // channel (queued when the last receiver left, or stored by a
            // sender racing with that), each exactly once.
            book.assert_all_dropped_once();
        }
        _ => unreachable!("a probe is kept exactly when there is no quota"),
    }
    Outcome { probe, received }
}

// ---------------------------------------------------------------- tests

/// One test per way of placing producers and consumers, for one flavour.
macro_rules! runner_matrix {
    ($module:ident, $open:expr) => {
        mod $module {
            use super::*;

            fn go(producers: Runner, consumers: Runner) {
                isolated(WATCHDOG, move || {
                    stress($open, Plan::simple(producers, consumers));
                });
            }

            #[test]
            fn threads() {
                go(Runner::Threads, Runner::Threads);
            }

            #[test]
            fn coroutines() {
                go(Runner::Coroutines, Runner::Coroutines);
            }

            #[test]
            fn thread_producers_coroutine_consumers() {
                go(Runner::Threads, Runner::Coroutines);
            }

            #[test]
            fn coroutine_producers_thread_consumers() {
                go(Runner::Coroutines, Runner::Threads);
            }
        }
    };
}

runner_matrix!(unbounded, UnboundedMpmc::new);
runner_matrix!(bounded_1, BoundedBlocking::<1>::new);
runner_matrix!(bounded_16, BoundedBlocking::<16>::new);
runner_matrix!(dyn_bounded_7, || DynBoundedBlocking::with_config(7)
    .unwrap());
runner_matrix!(rendezvous, RendezvousMpmc::new);
runner_matrix!(park_bounded_4, Channel::<Bounded<4>, Park>::new);
runner_matrix!(spin_bounded_4, Channel::<Bounded<4>, Spin>::new);
runner_matrix!(yield_bounded_4, Channel::<Bounded<4>, Yield>::new);
runner_matrix!(yield_unbounded, Channel::<Unbounded, Yield>::new);

/// `InstrumentedBounded`'s counters agree with what the body counted.
fn instrumented(runner: Runner) {
    isolated(WATCHDOG, move || {
        let out = stress(InstrumentedBounded::<8>::new, Plan::simple(runner, runner));
        let m = out.probe.expect("kept").metrics();
        assert_eq!(m.sent, TOTAL as u64, "metrics.sent");
        assert_eq!(m.received, TOTAL as u64, "metrics.received");
        assert_eq!(m.dropped, 0, "metrics.dropped");
        assert_eq!(m.len, 0, "metrics.len");
        assert_eq!(m.blocked_senders, 0, "nobody is parked at the end");
        assert_eq!(m.blocked_receivers, 0, "nobody is parked at the end");
    });
}

#[test]
fn instrumented_threads() {
    instrumented(Runner::Threads);
}

#[test]
fn instrumented_coroutines() {
    instrumented(Runner::Coroutines);
}

/// Producers mix `send` and `send_batch` (re-sending the refused suffix with
/// `send`); consumers mix `recv_timeout` in a loop, `recv_batch(8)` and
/// `recv`.
fn mixed_calls<F>(open: fn() -> Pair<F>, producers: Runner, consumers: Runner)
where
    F: Flavor,
    F::Backpressure: HasSend,
    Sender<Msg, F>: Send,
    Receiver<Msg, F>: Send,
{
    let plan = Plan {
        producers,
        consumers,
        send: &[SendMode::Batch(5), SendMode::Send, SendMode::Batch(16)],
        recv: &[
            RecvMode::RecvTimeout,
            RecvMode::Batch,
            RecvMode::Recv,
            RecvMode::Batch,
        ],
        quota: None,
    };
    isolated(WATCHDOG, move || {
        stress(open, plan);
    });
}

macro_rules! mixed_calls_matrix {
    ($module:ident, $open:expr) => {
        mod $module {
            use super::*;

            #[test]
            fn threads() {
                mixed_calls($open, Runner::Threads, Runner::Threads);
            }

            #[test]
            fn coroutines() {
                mixed_calls($open, Runner::Coroutines, Runner::Coroutines);
            }

            #[test]
            fn thread_producers_coroutine_consumers() {
                mixed_calls($open, Runner::Threads, Runner::Coroutines);
            }
        }
    };
}

mixed_calls_matrix!(batches_unbounded, UnboundedMpmc::new);
mixed_calls_matrix!(batches_bounded_1, BoundedBlocking::<1>::new);
mixed_calls_matrix!(batches_bounded_16, BoundedBlocking::<16>::new);
mixed_calls_matrix!(batches_rendezvous, RendezvousMpmc::new);

/// Consumers leave after a quota while producers keep sending: producers
/// blocked on a full channel must be woken with `Disconnected` and get their
/// message back, and what was still queued is dropped exactly once.
fn receivers_leave_early<F>(open: fn() -> Pair<F>, runner: Runner)
where
    F: Flavor,
    F::Backpressure: HasSend,
    Sender<Msg, F>: Send,
    Receiver<Msg, F>: Send,
{
    let plan = Plan {
        producers: runner,
        consumers: runner,
        send: &[SendMode::Send, SendMode::Batch(8)],
        recv: &[RecvMode::Recv, RecvMode::Batch, RecvMode::RecvTimeout],
        quota: Some(TOTAL / CONSUMERS / 4),
    };
    isolated(WATCHDOG, move || {
        let out = stress(open, plan);
        assert!(out.probe.is_none());
        assert_eq!(out.received, TOTAL / 4);
    });
}

macro_rules! leave_early_matrix {
    ($module:ident, $open:expr) => {
        mod $module {
            use super::*;

            #[test]
            fn threads() {
                receivers_leave_early($open, Runner::Threads);
            }

            #[test]
            fn coroutines() {
                receivers_leave_early($open, Runner::Coroutines);
            }
        }
    };
}

leave_early_matrix!(leave_early_unbounded, UnboundedMpmc::new);
leave_early_matrix!(leave_early_bounded_4, BoundedBlocking::<4>::new);
leave_early_matrix!(leave_early_rendezvous, RendezvousMpmc::new);
leave_early_matrix!(leave_early_instrumented_2, InstrumentedBounded::<2>::new);

// ------------------------------------------- waits that never park

/// Consumer coroutines that wait with a strategy that never parks (`Spin`,
/// `Yield`) must still let coroutines that arrive later run: here the
/// producers are spawned from an OS thread only once every consumer is
/// running, so they land in the workers' global queues. (may's worker drains
/// its global queue only when its local queue is empty; a coroutine that
/// waits by yielding keeps its local queue non-empty.)
fn late_producers<F>(open: fn() -> Pair<F>)
where
    F: Flavor,
    F::Backpressure: HasSend,
    Sender<Msg, F>: Send,
    Receiver<Msg, F>: Send,
{
    const PER_PRODUCER: usize = 250;
    isolated(Duration::from_secs(20), move || {
        let book = Book::new(PRODUCERS * PER_PRODUCER);
        let (tx, rx) = open();
        let running = Arc::new(AtomicUsize::new(0));
        let consumers: Vec<Handle<usize>> = (0..CONSUMERS)
            .map(|_| {
                let (rx, running, book) = (rx.clone(), Arc::clone(&running), Arc::clone(&book));
                Runner::Coroutines.spawn(move || {
                    running.fetch_add(1, Ordering::SeqCst);
                    consume(rx, RecvMode::Recv, None, book)
                })
            })
            .collect();
        drop(rx);
        // Every consumer runs (and is about to wait) before any producer
        // exists. If this never ends, the watchdog reports it.
        while running.load(Ordering::SeqCst) < CONSUMERS {
            thread::yield_now();
        }
        let producers: Vec<Handle<usize>> = (0..PRODUCERS)
            .map(|i| {
                let (tx, book) = (tx.clone(), Arc::clone(&book));
                let ids = i * PER_PRODUCER..(i + 1) * PER_PRODUCER;
                Runner::Coroutines.spawn(move || produce(tx, i, ids, SendMode::Send, book))
            })
            .collect();
        drop(tx);
        let refused: usize = producers.into_iter().map(Handle::join).sum();
        let received: usize = consumers.into_iter().map(Handle::join).sum();
        assert_eq!((refused, received), (0, PRODUCERS * PER_PRODUCER));
        book.assert_all_dropped_once();
    });
}

#[test]
fn late_producers_spin() {
    late_producers(Channel::<Bounded<4>, Spin>::new);
}

#[test]
fn late_producers_yield() {
    late_producers(Channel::<Unbounded, Yield>::new);
}

/// The same scenario with waits that park, which must pass: the body above
/// can be satisfied.
#[test]
fn late_producers_park() {
    late_producers(Channel::<Bounded<4>, Park>::new);
}

#[test]
fn late_producers_spin_then_park() {
    late_producers(UnboundedMpmc::new);
}
