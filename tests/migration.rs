//! A may coroutine may resume on another worker thread after any park. Every
//! store that the core brackets (queues that do not close themselves:
//! rendezvous, priority, work stealing, zero-copy slots) looks up its
//! thread's in-flight mark; these tests park a coroutine inside or right
//! before such a store, over and over, until it has resumed on the other
//! worker many times, and check that nothing is lost or received twice and
//! that a close after the last send still drains every message. Each case
//! runs in a fresh process with two workers.
//!
//! They guard the rule of DESIGN.md's "Thread-local state": no thread-local
//! is relied on across a park. (Run in CI also with thin LTO and one codegen
//! unit, where inlining hoists thread-local addresses.)

mod common;

use std::hint::black_box;
use std::thread::ThreadId;
use std::time::Duration;

use common::{in_child_process, keep_alive};
use may_channel::backpressure::HasSend;
use may_channel::flavors::{PriorityBounded, PriorityUnbounded, RendezvousMpmc, WorkStealingMpmc};
use may_channel::queue::{Slots, Unbounded, Workers};
use may_channel::wait::Park;
use may_channel::{Channel, Flavor, Receiver, Sender};

const CHILD: &str = "MAY_CHANNEL_MIGRATION_CHILD";

/// Migrations each case must see before it stops.
const MIGRATIONS: usize = 50;
/// Sends after which a case gives up looking for migrations (and fails).
const MAX_SENDS: usize = 200_000;

/// The OS thread running the caller, read anew each call (out of line, and
/// through `black_box`, so the test itself caches no thread-local).
#[inline(never)]
fn current_thread() -> ThreadId {
    black_box(std::thread::current().id())
}

/// An OS thread that answers each request, so that the coroutine asking
/// parks (the `Park` strategy never spins) and is woken from outside may's
/// workers, which lets either worker resume it.
struct Pacer {
    ask: Sender<(), Channel<Unbounded, Park>>,
    answer: Receiver<(), Channel<Unbounded, Park>>,
    thread: std::thread::JoinHandle<()>,
}

impl Pacer {
    fn start() -> Self {
        let (ask, asked) = Channel::<Unbounded, Park>::new::<()>();
        let (answered, answer) = Channel::<Unbounded, Park>::new::<()>();
        let thread = std::thread::spawn(move || {
            while asked.recv().is_ok() {
                if answered.send(()).is_err() {
                    return;
                }
            }
        });
        Self {
            ask,
            answer,
            thread,
        }
    }

    /// Parks the calling coroutine until the pacer answers.
    fn pace(&self) {
        self.ask.send(()).expect("the pacer runs");
        self.answer.recv().expect("the pacer runs");
    }

    fn stop(self) {
        drop(self.ask);
        self.thread.join().expect("the pacer panicked");
    }
}

fn in_fresh_runtime(body: impl FnOnce() + Send + 'static) {
    in_child_process(CHILD, Duration::from_secs(120), move |_| {
        may::config().set_workers(2).set_stack_size(0x2_0000);
        body();
    });
}

/// Spawns a coroutine (`go!` wraps may's unsafe spawn; its conditions hold:
/// the bodies keep no reference into thread-local storage across a park,
/// and the stack set above is far more than they use).
fn go<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> may::coroutine::JoinHandle<T> {
    let handle = may::go!(f);
    keep_alive(handle.coroutine());
    handle
}

/// A coroutine sends 0, 1, 2, ... with `send` (which may park inside the
/// store, or `select!` around it) until it has resumed on another worker
/// `MIGRATIONS` times; between sends it parks on `pace`, which an OS
/// thread feeds, so that it migrates there too. A receiving OS thread takes
/// every message in order; after the last send the channel is closed, and
/// the receiver must still drain everything that was sent.
fn sends_survive_migration<F: Flavor + 'static>(
    (tx, rx): (Sender<u64, F>, Receiver<u64, F>),
    send: fn(&Sender<u64, F>, u64),
    in_order: bool,
) where
    Sender<u64, F>: Send,
    Receiver<u64, F>: Send,
{
    let closer = tx.clone();
    let sender = go(move || send_while_migrating(|n| send(&tx, n)));
    let receiver = std::thread::spawn(move || rx.iter().collect::<Vec<u64>>());
    let sent = sender.join().expect("the sender panicked");
    closer.close();
    let mut received = receiver.join().expect("the receiver panicked");
    if !in_order {
        // Work stealing keeps one queue per worker: a migrated sender's
        // messages may overtake each other.
        received.sort_unstable();
    }
    assert!(
        received.iter().copied().eq(0..sent),
        "every message sent before the close is received once{}",
        if in_order { ", in order" } else { "" }
    );
}

/// In a coroutine: sends 0, 1, 2, ... through `send_one`, parking on a
/// pacer before each, until the coroutine has resumed on another worker
/// `MIGRATIONS` times (counted before and after each park and each send);
/// returns how many it sent.
fn send_while_migrating(mut send_one: impl FnMut(u64)) -> u64 {
    let pacer = Pacer::start();
    let mut migrations = 0;
    let mut sent = 0u64;
    while migrations < MIGRATIONS {
        assert!(
            (sent as usize) < MAX_SENDS,
            "only {migrations} migrations in {MAX_SENDS} sends"
        );
        let before = current_thread();
        pacer.pace();
        if current_thread() != before {
            migrations += 1;
        }
        let before = current_thread();
        send_one(sent);
        if current_thread() != before {
            migrations += 1;
        }
        sent += 1;
    }
    pacer.stop();
    sent
}

fn plain_send<F: Flavor>(tx: &Sender<u64, F>, n: u64)
where
    F::Backpressure: HasSend,
{
    tx.send(n).expect("the receiver is alive");
}

fn select_send<F: Flavor>(tx: &Sender<u64, F>, n: u64) {
    may_channel::select! {
        send(tx, n) -> res => res.expect("the receiver is alive"),
    }
}

#[test]
fn rendezvous_send() {
    in_fresh_runtime(|| sends_survive_migration(RendezvousMpmc::new(), plain_send, true));
}

#[test]
fn rendezvous_select_send() {
    in_fresh_runtime(|| sends_survive_migration(RendezvousMpmc::new(), select_send, true));
}

#[test]
fn priority_capacity_one_send() {
    in_fresh_runtime(|| sends_survive_migration(PriorityBounded::<1>::new(), plain_send, true));
}

#[test]
fn priority_capacity_one_select_send() {
    in_fresh_runtime(|| sends_survive_migration(PriorityBounded::<1>::new(), select_send, true));
}

#[test]
fn priority_unbounded_send() {
    in_fresh_runtime(|| sends_survive_migration(PriorityUnbounded::new(), plain_send, true));
}

#[test]
fn work_stealing_send() {
    in_fresh_runtime(|| {
        let pair = WorkStealingMpmc::with_config::<u64>(Workers(2)).expect("two workers");
        sends_survive_migration(pair, plain_send, false)
    });
}

/// Zero-copy: the claim of a slot is the bracketed store; a full ring
/// parks the coroutine inside `send_ref`.
#[test]
fn zero_copy_send_ref() {
    in_fresh_runtime(|| {
        let (tx, rx) = Channel::<Slots<1>>::new::<Option<u64>>();
        let closer = tx.clone();
        let sender = go(move || {
            send_while_migrating(|n| *tx.send_ref().expect("the receiver is alive") = Some(n))
        });
        let receiver = std::thread::spawn(move || {
            let mut next = 0u64;
            loop {
                match rx.recv_ref() {
                    Ok(slot) => {
                        assert_eq!(*slot, Some(next), "messages arrive once, in order");
                        next += 1;
                    }
                    Err(_) => return next,
                }
            }
        });
        let sent = sender.join().expect("the sender panicked");
        closer.close();
        assert_eq!(receiver.join().expect("the receiver panicked"), sent);
    });
}

/// The placement index names the worker a coroutine runs on now: after a
/// park on one worker and a resume on the other, it is the new worker's.
#[test]
fn worker_index_follows_the_coroutine() {
    in_fresh_runtime(|| {
        let checker = go(move || {
            let pacer = Pacer::start();
            let mut index_of = std::collections::HashMap::new();
            let mut migrations = 0;
            let mut last = current_thread();
            for _ in 0..MAX_SENDS {
                if migrations >= MIGRATIONS {
                    break;
                }
                pacer.pace();
                let thread = current_thread();
                if thread != last {
                    migrations += 1;
                    last = thread;
                }
                let index = may_channel::placement::worker_index();
                let known = *index_of.entry(thread).or_insert(index);
                assert_eq!(known, index, "a worker keeps its index");
            }
            pacer.stop();
            assert!(migrations >= MIGRATIONS, "only {migrations} migrations");
            index_of.len()
        });
        assert!(checker.join().expect("the checker panicked") >= 2);
    });
}
