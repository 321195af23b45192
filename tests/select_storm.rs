//! The select storm: four producer coroutines send every message through a
//! `select!` over four senders; four consumer coroutines receive through a
//! dynamic `Select` over the four receivers, rebuilding it without a
//! receiver once that receiver reports disconnection. Every message is a
//! distinct number, received exactly once.
//!
//! This workload once crashed the process about one run in eight: a store
//! into a channel whose queue does not close itself (rendezvous, priority,
//! ...) looked up its thread's in-flight mark through a thread-local
//! address that the compiler had computed before a park, and used it after
//! the coroutine resumed on another worker (DESIGN.md, "Thread-local
//! state"). Each case runs in a fresh process (a fresh may runtime), on two
//! workers and on one; CI also runs this file built with thin LTO and one
//! codegen unit, where inlining decides whether that bug shows.
//!
//! The capacity-one cases also caught a lost wake-up inside may 0.3.51's
//! park about one run in five (a selected waiter whose coroutine was never
//! resumed; `channel/parker.rs`, "Lost unparks"); they hung at the end of a
//! round, every message received, one consumer never seeing the disconnect.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use common::{in_child_process, keep_alive, on_one_worker};
use may_channel::select::Select;
use may_channel::{Flavor, Pair, Receiver, Sender};

/// The message: a `Copy` newtype, as in the original report.
#[derive(Clone, Copy, Debug)]
struct Msg(usize);

const PRODUCERS: usize = 4;
const CONSUMERS: usize = 4;
const CHILD: &str = "MAY_CHANNEL_SELECT_STORM_CHILD";

/// Messages per producer in one round.
fn per_producer() -> usize {
    if cfg!(debug_assertions) {
        2_000
    } else {
        250_000
    }
}

/// Rounds per case: `MAY_CHANNEL_STORM_ROUNDS`, or a few.
fn rounds() -> usize {
    std::env::var("MAY_CHANNEL_STORM_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) { 2 } else { 4 })
}

/// How long a case's child process may take: generous for the default
/// rounds, and growing with `MAY_CHANNEL_STORM_ROUNDS` for long soak runs.
fn child_limit() -> Duration {
    Duration::from_secs(240.max(30 * rounds() as u64))
}

/// Spawns a coroutine (`go!` wraps may's unsafe spawn; its conditions hold:
/// the bodies keep no reference into thread-local storage across a park,
/// and the stack is the size the runner set, far more than they use).
fn go<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> may::coroutine::JoinHandle<T> {
    let handle = may::go!(f);
    keep_alive(handle.coroutine());
    handle
}

/// One round over four channels made by `make`.
fn round<F: Flavor + 'static>(make: &dyn Fn() -> Pair<Msg, F>)
where
    Sender<Msg, F>: Send + Sync,
    Receiver<Msg, F>: Send + Sync,
{
    let per = per_producer();
    let total = PRODUCERS * per;
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..4).map(|_| make()).unzip();
    let receivers = Arc::new(receivers);
    let seen: Arc<Vec<AtomicU8>> = Arc::new((0..total).map(|_| AtomicU8::new(0)).collect());

    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let receivers = Arc::clone(&receivers);
            let seen = Arc::clone(&seen);
            go(move || {
                let mut live: Vec<usize> = (0..receivers.len()).collect();
                let mut got = 0usize;
                while !live.is_empty() {
                    let mut sel = Select::new();
                    let indices: Vec<usize> =
                        live.iter().map(|&i| sel.recv(&receivers[i])).collect();
                    let (index, result) = sel.select();
                    let pos = indices
                        .iter()
                        .position(|&j| j == index)
                        .expect("select returns one of its indices");
                    match result {
                        Ok(Msg(n)) => {
                            let before = seen[n].fetch_add(1, Ordering::Relaxed);
                            assert_eq!(before, 0, "message {n} received twice");
                            got += 1;
                        }
                        Err(_) => {
                            live.remove(pos);
                        }
                    }
                }
                got
            })
        })
        .collect();

    let senders = Arc::new(senders);
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let senders = Arc::clone(&senders);
            go(move || {
                let [s0, s1, s2, s3] = &senders[..] else {
                    unreachable!("four senders")
                };
                for i in 0..per {
                    let msg = Msg(p * per + i);
                    may_channel::select! {
                        send(s0, msg) -> res => res.expect("the receivers are alive"),
                        send(s1, msg) -> res => res.expect("the receivers are alive"),
                        send(s2, msg) -> res => res.expect("the receivers are alive"),
                        send(s3, msg) -> res => res.expect("the receivers are alive"),
                    }
                }
            })
        })
        .collect();
    for producer in producers {
        producer.join().expect("a producer panicked");
    }
    // The last senders go: each receiver reports disconnection once drained.
    assert_eq!(Arc::strong_count(&senders), 1, "the producers are done");
    drop(senders);
    let received: usize = consumers
        .into_iter()
        .map(|consumer| consumer.join().expect("a consumer panicked"))
        .sum();
    assert_eq!(received, total, "every message is received");
    for (n, count) in seen.iter().enumerate() {
        assert_eq!(count.load(Ordering::Relaxed), 1, "message {n}");
    }
}

/// Runs `rounds()` rounds in a fresh process with two workers, the caller
/// being an OS thread (the coroutines do all channel work).
fn on_two_workers<F: Flavor + 'static>(make: fn() -> Pair<Msg, F>)
where
    Sender<Msg, F>: Send + Sync,
    Receiver<Msg, F>: Send + Sync,
{
    in_child_process(CHILD, child_limit(), move |_| {
        may::config().set_workers(2).set_stack_size(0x2_0000);
        for _ in 0..rounds() {
            round(&make);
        }
    });
}

/// The same on one worker, the rounds run from a coroutine.
fn one_worker<F: Flavor + 'static>(make: fn() -> Pair<Msg, F>)
where
    Sender<Msg, F>: Send + Sync,
    Receiver<Msg, F>: Send + Sync,
{
    on_one_worker(CHILD, move || {
        for _ in 0..rounds() {
            round(&make);
        }
    });
}

#[test]
fn rendezvous_two_workers() {
    on_two_workers(may_channel::rendezvous::<Msg>);
}

#[test]
fn rendezvous_one_worker() {
    one_worker(may_channel::rendezvous::<Msg>);
}

#[test]
fn capacity_one_two_workers() {
    on_two_workers(|| may_channel::bounded::<Msg>(1));
}

#[test]
fn capacity_one_one_worker() {
    one_worker(|| may_channel::bounded::<Msg>(1));
}

#[test]
fn unbounded_two_workers() {
    on_two_workers(may_channel::unbounded::<Msg>);
}

#[test]
fn unbounded_one_worker() {
    one_worker(may_channel::unbounded::<Msg>);
}

#[test]
fn priority_capacity_one_two_workers() {
    on_two_workers(may_channel::flavors::PriorityBounded::<1>::new);
}
