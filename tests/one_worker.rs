//! Every producer and consumer is a coroutine on a single may worker thread.
//!
//! On one worker a blocking operation that parks the worker *thread* instead
//! of the *coroutine* stops every other coroutine, including the peer that
//! would wake it: these tests then deadlock, and a watchdog (an OS thread
//! waiting with a timeout) turns that into a failure. The timed operations
//! are checked the same way: while one coroutine waits for its deadline,
//! another must run, and the wait must still end with `Timeout`.
//!
//! may's worker count is global to the process and read once, so this binary
//! sets it (to 1) before its first coroutine, and runs each test in a child
//! process of its own: a deadlocked test cannot starve the next one.

mod common;

use std::panic;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;

use may_channel::backpressure::HasSend;
use may_channel::queue::{Bounded, Rendezvous, Unbounded};
use may_channel::wait::{Park, Spin, SpinThenPark, Yield};
use may_channel::{
    Channel, Flavor, Receiver, RecvTimeoutError, SendTimeoutError, Sender, TryRecvError,
};

/// Messages per producer in the round trips.
const PER_PRODUCER: usize = 1_000;
const PRODUCERS: usize = 2;
const CONSUMERS: usize = 2;

// ------------------------------------------------------------- harness

/// Spawns a coroutine. Called from inside a coroutine, so the new one is
/// queued on the (single) worker's local queue. (Coroutines spawned from an
/// OS thread land in the worker's global queue instead, which may drains
/// only when the local queue is empty; `tests/stress.rs`'s `late_producers`
/// tests cover that case.)
fn spawn<T, F>(f: F) -> may::coroutine::JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    // `go!` wraps may's unsafe spawn. Its conditions hold: the closures here
    // keep no reference into thread-local storage across a park, and
    // `init_may` gives every coroutine a stack far larger than they use.
    let handle = may::go!(f);
    common::keep_alive(handle.coroutine());
    handle
}

/// Waits for a coroutine (parking the caller, itself a coroutine); a panic
/// in it is re-raised here.
fn join<T>(handle: may::coroutine::JoinHandle<T>) -> T {
    handle
        .join()
        .unwrap_or_else(|payload| panic::resume_unwind(payload))
}

/// Tells a child process which test to run for real.
const CHILD_ENV: &str = "MAY_CHANNEL_ONE_WORKER_CHILD";

/// Runs the calling test's `body` as a coroutine on one may worker, in a
/// child process under a watchdog (`common::on_one_worker`): a blocking call
/// that parked the worker thread instead of the coroutine, a waiting
/// coroutine that never let its peer run, or a lost wake-up fails the test.
fn isolated(body: impl FnOnce() + Send + 'static) {
    common::on_one_worker(CHILD_ENV, body);
}

// --------------------------------------------------------- round trips

type Pair<F> = (Sender<usize, F>, Receiver<usize, F>);

/// How the round trip moves messages.
#[derive(Clone, Copy, Debug)]
enum Calls {
    /// `send` and `recv`.
    Blocking,
    /// `send_batch` (re-sending the refused suffix with `send`) and
    /// `recv_batch(8)`.
    Batches,
}

/// `PRODUCERS` producer and `CONSUMERS` consumer coroutines move
/// `PRODUCERS * PER_PRODUCER` messages; each must arrive exactly once, and
/// nothing may be left.
fn round_trip<F>(open: fn() -> Pair<F>, calls: Calls)
where
    F: Flavor,
    F::Backpressure: HasSend,
    Sender<usize, F>: Send,
    Receiver<usize, F>: Send,
{
    isolated(move || {
        let total = PRODUCERS * PER_PRODUCER;
        let seen: Arc<Vec<AtomicU8>> = Arc::new((0..total).map(|_| AtomicU8::new(0)).collect());
        let (tx, rx) = open();
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|_| {
                let (rx, seen) = (rx.clone(), Arc::clone(&seen));
                spawn(move || {
                    let mut count = 0;
                    let mut mark = |id: usize| {
                        // Relaxed: read after every coroutine is joined.
                        let before = seen[id].fetch_add(1, Ordering::Relaxed);
                        assert_eq!(before, 0, "message {id} received twice");
                        count += 1;
                    };
                    match calls {
                        Calls::Blocking => rx.iter().for_each(&mut mark),
                        Calls::Batches => {
                            while let Ok(batch) = rx.recv_batch(8) {
                                assert!((1..=8).contains(&batch.len()), "recv_batch(8) size");
                                batch.into_iter().for_each(&mut mark);
                            }
                        }
                    }
                    count
                })
            })
            .collect();
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let tx = tx.clone();
                spawn(move || {
                    let ids = p * PER_PRODUCER..(p + 1) * PER_PRODUCER;
                    match calls {
                        Calls::Blocking => ids.for_each(|id| tx.send(id).unwrap()),
                        Calls::Batches => {
                            for start in ids.clone().step_by(5) {
                                let end = (start + 5).min(ids.end);
                                let rest = tx.send_batch(start..end);
                                assert!(
                                    rest.iter().copied().eq(end - rest.len()..end),
                                    "send_batch hands back a suffix: {rest:?}"
                                );
                                rest.into_iter().for_each(|id| tx.send(id).unwrap());
                            }
                        }
                    }
                })
            })
            .collect();
        drop(tx);
        producers.into_iter().for_each(join);
        let received: usize = consumers.into_iter().map(join).sum();
        assert_eq!(received, total);
        for (id, n) in seen.iter().enumerate() {
            assert_eq!(n.load(Ordering::Relaxed), 1, "message {id}");
        }
        assert!(rx.is_empty());
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    });
}

// ------------------------------------------------------------ timeouts

/// How far the ticker counts at most.
const TICKS_MAX: usize = 10_000;

/// A coroutine that counts until told to stop, yielding after each step: it
/// advances only while other coroutines let the worker go. It also stops at
/// [`TICKS_MAX`]: may's worker takes coroutines woken from other threads
/// (the crate's timer thread ends timed waits so) only once its local queue
/// is empty, which a coroutine that yields for ever never lets happen.
fn ticker(stop: Arc<AtomicBool>, ticks: Arc<AtomicUsize>) -> may::coroutine::JoinHandle<()> {
    spawn(move || {
        while !stop.load(Ordering::SeqCst) && ticks.load(Ordering::SeqCst) < TICKS_MAX {
            ticks.fetch_add(1, Ordering::SeqCst);
            may::coroutine::yield_now();
        }
    })
}

/// Runs `wait` (a timed operation that must time out) in a coroutine while a
/// ticker runs beside it: the ticker must advance during the wait.
fn times_out_while_others_run(wait: impl FnOnce() + Send + 'static) {
    isolated(move || {
        let stop = Arc::new(AtomicBool::new(false));
        let ticks = Arc::new(AtomicUsize::new(0));
        let ticking = ticker(Arc::clone(&stop), Arc::clone(&ticks));
        let (ticks_at_waiter, stop_at_waiter) = (Arc::clone(&ticks), Arc::clone(&stop));
        let waiter = spawn(move || {
            let before = ticks_at_waiter.load(Ordering::SeqCst);
            wait();
            let after = ticks_at_waiter.load(Ordering::SeqCst);
            stop_at_waiter.store(true, Ordering::SeqCst);
            assert!(
                after > before,
                "no other coroutine ran while this one waited for its deadline"
            );
        });
        join(waiter);
        join(ticking);
    });
}

fn recv_times_out<W: may_channel::wait::WaitStrategy>() {
    times_out_while_others_run(|| {
        let (tx, rx) = Channel::<Unbounded, W>::new::<u32>();
        assert_eq!(
            rx.recv_timeout(Duration::from_millis(50)),
            Err(RecvTimeoutError::Timeout)
        );
        drop(tx);
    });
}

fn send_times_out<W: may_channel::wait::WaitStrategy>() {
    times_out_while_others_run(|| {
        let (tx, rx) = Channel::<Bounded<1>, W>::new::<u32>();
        tx.send(1).unwrap();
        assert_eq!(
            tx.send_timeout(2, Duration::from_millis(50)),
            Err(SendTimeoutError::Timeout(2))
        );
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    });
}

fn rendezvous_send_times_out<W: may_channel::wait::WaitStrategy>() {
    times_out_while_others_run(|| {
        let (tx, rx) = Channel::<Rendezvous, W>::new::<u32>();
        assert_eq!(
            tx.send_timeout(7, Duration::from_millis(50)),
            Err(SendTimeoutError::Timeout(7))
        );
        // The message was taken back: nothing is left for a receiver.
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    });
}

/// A long timed wait that another coroutine satisfies: the waiter must get
/// the other's action (which can only run if the wait lets the worker go),
/// not a timeout. `wait` runs first and sets `waiting` just before its timed
/// call; `act` runs once `waiting` is set.
fn woken_before_deadline(
    wait: impl FnOnce(&AtomicBool) + Send + 'static,
    act: impl FnOnce() + Send + 'static,
) {
    isolated(move || {
        let waiting = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&waiting);
        let waiter = spawn(move || wait(&flag));
        let actor = spawn(move || {
            while !waiting.load(Ordering::SeqCst) {
                may::coroutine::yield_now();
            }
            act();
        });
        join(actor);
        join(waiter);
    });
}

/// Long enough that a waiter that blocks the worker thread returns
/// `Timeout` (or trips the watchdog) instead of the message.
const LONG: Duration = Duration::from_secs(10);

fn recv_woken<W: may_channel::wait::WaitStrategy>() {
    let (tx, rx) = Channel::<Unbounded, W>::new::<u32>();
    woken_before_deadline(
        move |waiting| {
            waiting.store(true, Ordering::SeqCst);
            assert_eq!(rx.recv_timeout(LONG), Ok(42));
        },
        move || tx.send(42).unwrap(),
    );
}

fn send_woken<W: may_channel::wait::WaitStrategy>() {
    let (tx, rx) = Channel::<Bounded<1>, W>::new::<u32>();
    tx.send(1).unwrap();
    woken_before_deadline(
        move |waiting| {
            waiting.store(true, Ordering::SeqCst);
            assert_eq!(tx.send_timeout(2, LONG), Ok(()));
        },
        move || {
            assert_eq!(rx.recv(), Ok(1));
            assert_eq!(rx.recv(), Ok(2));
        },
    );
}

fn rendezvous_send_woken<W: may_channel::wait::WaitStrategy>() {
    let (tx, rx) = Channel::<Rendezvous, W>::new::<u32>();
    woken_before_deadline(
        move |waiting| {
            waiting.store(true, Ordering::SeqCst);
            assert_eq!(tx.send_timeout(9, LONG), Ok(()));
        },
        move || assert_eq!(rx.recv(), Ok(9)),
    );
}

// ---------------------------------------------------------------- tests

/// Every test, for one wait strategy.
macro_rules! wait_strategy_tests {
    ($module:ident, $wait:ty) => {
        mod $module {
            use super::*;

            type W = $wait;

            #[test]
            fn bounded_1_send_recv() {
                round_trip(Channel::<Bounded<1>, W>::new, Calls::Blocking);
            }

            #[test]
            fn rendezvous_send_recv() {
                round_trip(Channel::<Rendezvous, W>::new, Calls::Blocking);
            }

            #[test]
            fn unbounded_send_recv() {
                round_trip(Channel::<Unbounded, W>::new, Calls::Blocking);
            }

            #[test]
            fn bounded_1_batches() {
                round_trip(Channel::<Bounded<1>, W>::new, Calls::Batches);
            }

            #[test]
            fn rendezvous_batches() {
                round_trip(Channel::<Rendezvous, W>::new, Calls::Batches);
            }

            #[test]
            fn unbounded_batches() {
                round_trip(Channel::<Unbounded, W>::new, Calls::Batches);
            }

            #[test]
            fn recv_timeout_lets_others_run() {
                recv_times_out::<W>();
            }

            #[test]
            fn send_timeout_lets_others_run() {
                send_times_out::<W>();
            }

            #[test]
            fn rendezvous_send_timeout_lets_others_run() {
                rendezvous_send_times_out::<W>();
            }

            #[test]
            fn recv_timeout_woken_by_a_sender() {
                recv_woken::<W>();
            }

            #[test]
            fn send_timeout_woken_by_a_receiver() {
                send_woken::<W>();
            }

            #[test]
            fn rendezvous_send_timeout_taken_by_a_receiver() {
                rendezvous_send_woken::<W>();
            }
        }
    };
}

wait_strategy_tests!(spin, Spin);
wait_strategy_tests!(yield_now, Yield);
wait_strategy_tests!(park, Park);
wait_strategy_tests!(spin_then_park, SpinThenPark);
