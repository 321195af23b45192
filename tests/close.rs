//! Explicit close: `close()` from any handle stops sends, hands blocked
//! senders their messages back, lets receivers drain, and loses nothing to a
//! send racing with it; in OS threads, in coroutines, and on one may worker.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{DropLog, Runner, Tracked, await_cond, within};
use may_channel::backpressure::{Block, HasSend};
use may_channel::flavors::{
    BoundedBlocking, BoundedRejecting, InstrumentedBounded, InstrumentedUnbounded, LatestN,
    PriorityBounded, RendezvousMpmc, UnboundedMpmc, WorkStealingMpmc,
};
use may_channel::metrics::Counters;
use may_channel::queue::{DynBounded, Rendezvous, Workers};
use may_channel::wait::SpinThenPark;
use may_channel::{
    Channel, Flavor, Receiver, RecvError, RecvTimeoutError, SendError, SendTimeoutError, Sender,
    TryRecvError, TrySendError, select,
};

// --------------------------------------------------------------- basics

#[test]
fn close_from_a_sender_drains_then_disconnects() {
    let (tx, rx) = UnboundedMpmc::new();
    let tx2 = tx.clone();
    tx.send(1).unwrap();
    tx2.send(2).unwrap();
    assert!(!rx.is_closed());
    assert!(tx2.close(), "the first close closes");
    assert!(!tx.close(), "a second close reports it was closed already");
    assert!(!rx.close());
    for handle_closed in [tx.is_closed(), tx2.is_closed(), rx.is_closed()] {
        assert!(handle_closed);
    }
    assert!(
        rx.is_disconnected(),
        "a closed channel reports as disconnected"
    );
    assert_eq!(tx.send(3), Err(SendError(3)));
    assert_eq!(tx2.try_send(4), Err(TrySendError::Disconnected(4)));
    assert_eq!(tx.send_batch([5, 6]), vec![5, 6]);
    assert_eq!(rx.len(), 2);
    assert_eq!(rx.recv(), Ok(1));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    assert_eq!(rx.recv(), Err(RecvError));
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(1)),
        Err(RecvTimeoutError::Disconnected)
    );
}

#[test]
fn close_from_a_receiver_refuses_every_kind_of_send() {
    let (tx, rx) = BoundedBlocking::<4>::new();
    tx.send(1).unwrap();
    assert!(rx.close());
    assert!(tx.is_closed());
    assert_eq!(tx.send(2), Err(SendError(2)));
    assert_eq!(tx.try_send(3), Err(TrySendError::Disconnected(3)));
    assert_eq!(
        tx.send_timeout(4, Duration::from_millis(1)),
        Err(SendTimeoutError::Disconnected(4))
    );
    assert_eq!(tx.send_batch([5, 6]), vec![5, 6]);
    // The receivers are all alive: what was queued is still there.
    assert_eq!(rx.iter().collect::<Vec<_>>(), [1]);

    let (tx, rx) = LatestN::<2>::new();
    tx.send(1).unwrap();
    rx.close();
    assert_eq!(tx.force_send(2), Err(SendError(2)));
    assert_eq!(tx.send(3), Err(SendError(3)));
    assert_eq!(rx.recv(), Ok(1));
    assert_eq!(rx.recv(), Err(RecvError));

    let (tx, rx) = BoundedRejecting::<1>::new();
    rx.close();
    assert_eq!(tx.try_send(1), Err(TrySendError::Disconnected(1)));
}

#[test]
fn close_after_disconnect_reports_false_and_disconnect_still_works() {
    let (tx, rx) = UnboundedMpmc::new::<u32>();
    drop(rx);
    assert!(tx.is_closed());
    assert!(!tx.close());

    let (tx, rx) = UnboundedMpmc::new::<u32>();
    tx.send(7).unwrap();
    drop(tx);
    assert!(rx.is_closed());
    assert!(!rx.close());
    assert_eq!(rx.recv(), Ok(7));
    assert_eq!(rx.recv(), Err(RecvError));
}

#[test]
fn every_flavour_closes() {
    fn check<F: Flavor>(pair: (Sender<u32, F>, Receiver<u32, F>)) {
        let (tx, rx) = pair;
        assert!(tx.close());
        assert!(matches!(tx.try_send(1), Err(TrySendError::Disconnected(1))));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    }
    check(UnboundedMpmc::new());
    check(BoundedBlocking::<2>::new());
    check(Channel::<DynBounded>::with_config(3).unwrap());
    check(RendezvousMpmc::new());
    check(PriorityBounded::<4>::new());
    check(WorkStealingMpmc::with_config(Workers(4)).unwrap());
    check(InstrumentedUnbounded::new());
}

#[test]
fn queued_messages_are_dropped_once_after_close() {
    let log = DropLog::new(6);
    let (tx, rx) = InstrumentedBounded::<8>::new();
    for id in 0..4 {
        tx.send(log.item(id)).unwrap();
    }
    rx.close();
    let refused = tx.send(log.item(4)).unwrap_err().0;
    assert_eq!(refused.id, 4, "the refused message comes back");
    drop(refused);
    let first = rx.recv().unwrap();
    assert_eq!(first.id, 0);
    drop(first);
    drop(tx);
    drop(rx);
    // Messages 1..4 went with the channel; 5 was never made.
    for id in 0..5 {
        assert_eq!(log.drops_of(id), 1, "message {id}");
    }
    assert_eq!(log.drops_of(5), 0);
}

// ------------------------------------------------------ blocked waiters

/// Senders blocked on a full channel wake on close with their own message.
fn blocked_senders_get_their_messages_back(runner: Runner) {
    const SENDERS: usize = 4;
    let log = DropLog::new(1 + SENDERS);
    let (tx, rx) = InstrumentedBounded::<1>::new();
    tx.send(log.item(0)).unwrap();
    let handles: Vec<_> = (1..=SENDERS)
        .map(|id| {
            let tx = tx.clone();
            let message = log.item(id);
            runner.spawn(move || tx.send(message).map_err(|err| err.0.id))
        })
        .collect();
    await_cond("every sender is blocked", || {
        rx.metrics().blocked_senders == SENDERS
    });
    assert!(tx.close());
    let mut handed_back: Vec<usize> = handles
        .into_iter()
        .map(|handle| handle.join().expect_err("a blocked send fails on close"))
        .collect();
    handed_back.sort_unstable();
    assert_eq!(handed_back, (1..=SENDERS).collect::<Vec<_>>());
    assert_eq!(rx.recv().map(|message| message.id), Ok(0));
    assert!(matches!(rx.recv(), Err(RecvError)));
    drop((tx, rx));
    log.assert_all_dropped_once();
}

#[test]
fn blocked_senders_get_their_messages_back_threads() {
    within(30, || {
        blocked_senders_get_their_messages_back(Runner::Threads)
    });
}

#[test]
fn blocked_senders_get_their_messages_back_coroutines() {
    within(30, || {
        blocked_senders_get_their_messages_back(Runner::Coroutines)
    });
}

/// A rendezvous sender waiting for a taker: close hands the message back.
fn rendezvous_sender_gets_its_message_back(runner: Runner) {
    type Instrumented = Channel<Rendezvous, SpinThenPark, Block, Counters>;
    let log = DropLog::new(1);
    let (tx, rx) = Instrumented::new();
    let message = log.item(0);
    let sender = {
        let tx = tx.clone();
        runner.spawn(move || tx.send(message).map_err(|err| err.0.id))
    };
    await_cond("the sender waits for a taker", || {
        rx.metrics().blocked_senders == 1
    });
    rx.close();
    // Either the sender takes its message back or a receiver got it first:
    // never both, never neither.
    match sender.join() {
        Err(id) => {
            assert_eq!(id, 0);
            assert!(matches!(rx.try_recv(), Err(TryRecvError::Disconnected)));
        }
        Ok(()) => unreachable!("no receiver ran, so nobody took the message"),
    }
    drop((tx, rx));
    log.assert_all_dropped_once();
}

#[test]
fn rendezvous_sender_gets_its_message_back_threads() {
    within(30, || {
        rendezvous_sender_gets_its_message_back(Runner::Threads)
    });
}

#[test]
fn rendezvous_sender_gets_its_message_back_coroutines() {
    within(30, || {
        rendezvous_sender_gets_its_message_back(Runner::Coroutines);
    });
}

/// Receivers blocked on an empty channel wake on close and drain.
fn blocked_receivers_drain_then_disconnect(runner: Runner) {
    const RECEIVERS: usize = 3;
    let (tx, rx) = InstrumentedUnbounded::new();
    let handles: Vec<_> = (0..RECEIVERS)
        .map(|_| {
            let rx = rx.clone();
            runner.spawn(move || rx.iter().collect::<Vec<usize>>())
        })
        .collect();
    await_cond("every receiver is blocked", || {
        rx.metrics().blocked_receivers == RECEIVERS
    });
    for i in 0..10 {
        tx.send(i).unwrap();
    }
    assert!(tx.close());
    let mut all: Vec<usize> = handles.into_iter().flat_map(|h| h.join()).collect();
    all.sort_unstable();
    assert_eq!(all, (0..10).collect::<Vec<_>>());
}

#[test]
fn blocked_receivers_drain_then_disconnect_threads() {
    within(30, || {
        blocked_receivers_drain_then_disconnect(Runner::Threads)
    });
}

#[test]
fn blocked_receivers_drain_then_disconnect_coroutines() {
    within(30, || {
        blocked_receivers_drain_then_disconnect(Runner::Coroutines);
    });
}

// ------------------------------------------------- shutdown under load

/// What happened to every message of a shutdown run.
struct Ledger {
    /// Per id: 1 if a send returned `Ok`.
    sent: Vec<AtomicUsize>,
    /// Per id: 1 if a send handed it back.
    refused: Vec<AtomicUsize>,
    /// Per id: how many times a receiver got it.
    received: Vec<AtomicUsize>,
    received_total: AtomicUsize,
}

impl Ledger {
    fn new(ids: usize) -> Arc<Self> {
        let zeros = || (0..ids).map(|_| AtomicUsize::new(0)).collect();
        Arc::new(Self {
            sent: zeros(),
            refused: zeros(),
            received: zeros(),
            received_total: AtomicUsize::new(0),
        })
    }

    /// Every message sent `Ok` was received exactly once, every refused one
    /// was handed back and never received, and nothing else was received.
    fn check(&self) -> (usize, usize) {
        let (mut sent, mut refused) = (0, 0);
        for id in 0..self.sent.len() {
            let s = self.sent[id].load(Ordering::SeqCst);
            let r = self.refused[id].load(Ordering::SeqCst);
            let got = self.received[id].load(Ordering::SeqCst);
            assert!(s + r <= 1, "message {id} both sent and refused");
            assert_eq!(
                got, s,
                "message {id}: sent {s}, refused {r}, received {got}"
            );
            sent += s;
            refused += r;
        }
        (sent, refused)
    }
}

const PRODUCERS: usize = 4;
const CONSUMERS: usize = 3;
const PER_PRODUCER: usize = 20_000;

/// Producers send as fast as they can (half with `send`, half with
/// `try_send`), consumers receive until they see `Disconnected`, and the
/// test closes the channel in the middle (from a receiver). Every message a
/// send reported sent must be received exactly once, and every refused one
/// must come back to its producer.
fn shutdown_under_load<F>(runner: Runner, pair: (Sender<Tracked, F>, Receiver<Tracked, F>))
where
    F: Flavor,
    F::Backpressure: HasSend,
    Sender<Tracked, F>: Send,
    Receiver<Tracked, F>: Send,
{
    let ids = PRODUCERS * PER_PRODUCER;
    let log = DropLog::new(ids);
    let ledger = Ledger::new(ids);
    let (tx, rx) = pair;
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let (tx, log, ledger) = (tx.clone(), Arc::clone(&log), Arc::clone(&ledger));
            runner.spawn(move || {
                for id in p * PER_PRODUCER..(p + 1) * PER_PRODUCER {
                    let mut message = log.item(id);
                    let back = loop {
                        if p % 2 == 0 {
                            match tx.send(message) {
                                Ok(()) => break None,
                                Err(SendError(back)) => break Some(back),
                            }
                        }
                        match tx.try_send(message) {
                            Ok(()) => break None,
                            Err(TrySendError::Full(back)) => {
                                message = back;
                                if may::coroutine::is_coroutine() {
                                    // Park, not yield: a coroutine that keeps
                                    // yielding keeps its worker's local queue
                                    // busy, and may then never runs the
                                    // consumers woken into its global queue.
                                    may::coroutine::sleep(Duration::from_millis(1));
                                } else {
                                    std::thread::yield_now();
                                }
                            }
                            Err(TrySendError::Disconnected(back)) => break Some(back),
                        }
                    };
                    match back {
                        None => ledger.sent[id].store(1, Ordering::SeqCst),
                        Some(back) => {
                            assert_eq!(back.id, id, "the refused message is the one sent");
                            ledger.refused[id].store(1, Ordering::SeqCst);
                            return;
                        }
                    }
                }
            })
        })
        .collect();
    drop(tx);
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let (rx, ledger) = (rx.clone(), Arc::clone(&ledger));
            runner.spawn(move || {
                while let Ok(message) = rx.recv() {
                    ledger.received[message.id].fetch_add(1, Ordering::SeqCst);
                    ledger.received_total.fetch_add(1, Ordering::SeqCst);
                }
                // After `Disconnected`, nothing may arrive any more.
                assert!(matches!(rx.try_recv(), Err(TryRecvError::Disconnected)));
            })
        })
        .collect();
    await_cond("some messages went through", || {
        ledger.received_total.load(Ordering::SeqCst) >= 500
    });
    rx.close();
    for consumer in consumers {
        consumer.join();
    }
    for producer in producers {
        producer.join();
    }
    // Every consumer saw `Disconnected`; a send that had reported `Ok` after
    // that would show up here.
    assert_eq!(rx.len(), 0, "a message landed after the receivers stopped");
    assert!(matches!(rx.try_recv(), Err(TryRecvError::Disconnected)));
    let (sent, _refused) = ledger.check();
    assert_eq!(sent, ledger.received_total.load(Ordering::SeqCst));
    drop(rx);
    // A producer stops at its first refused message, so later ids were
    // never made; every message that was made is dropped exactly once.
    for id in 0..ids {
        let made =
            ledger.sent[id].load(Ordering::SeqCst) + ledger.refused[id].load(Ordering::SeqCst);
        assert_eq!(log.drops_of(id), made, "message {id}");
    }
}

fn shutdown_every_flavour(runner: Runner) {
    shutdown_under_load(runner, UnboundedMpmc::new());
    shutdown_under_load(runner, BoundedBlocking::<16>::new());
    shutdown_under_load(runner, RendezvousMpmc::new());
    shutdown_under_load(runner, PriorityBounded::<16>::new());
    shutdown_under_load(runner, WorkStealingMpmc::with_config(Workers(4)).unwrap());
    shutdown_under_load(runner, Channel::<DynBounded>::with_config(8).unwrap());
}

#[test]
fn close_then_drain_under_load_threads() {
    within(120, || shutdown_every_flavour(Runner::Threads));
}

#[test]
fn close_then_drain_under_load_coroutines() {
    within(120, || shutdown_every_flavour(Runner::Coroutines));
}

/// The race itself, many times over: senders spin on `try_send` (into a
/// one-slot channel, the receiver is always caught up, and a late push would
/// land in an empty channel) while another thread closes; the receiver must
/// get every message reported sent before it sees `Disconnected`, and no
/// message may land after it. The bounded ring and the unbounded list close
/// themselves (their tail carries the mark); the priority queue is bracketed
/// by the core.
fn racing_close<F: Flavor>(rounds: usize, make: impl Fn() -> (Sender<usize, F>, Receiver<usize, F>))
where
    Sender<usize, F>: Send,
    Receiver<usize, F>: Send,
{
    for _ in 0..rounds {
        let (tx, rx) = make();
        let go = Arc::new(AtomicBool::new(false));
        let senders: Vec<_> = (0..3)
            .map(|_| {
                let (tx, go) = (tx.clone(), Arc::clone(&go));
                std::thread::spawn(move || {
                    while !go.load(Ordering::SeqCst) {
                        std::hint::spin_loop();
                    }
                    let mut sent = 0usize;
                    loop {
                        match tx.try_send(sent) {
                            Ok(()) => sent += 1,
                            Err(TrySendError::Full(_)) => std::hint::spin_loop(),
                            Err(TrySendError::Disconnected(_)) => return sent,
                        }
                    }
                })
            })
            .collect();
        let closer = {
            let (tx, go) = (tx.clone(), Arc::clone(&go));
            std::thread::spawn(move || {
                go.store(true, Ordering::SeqCst);
                for _ in 0..200 {
                    std::hint::spin_loop();
                }
                tx.close();
            })
        };
        drop(tx);
        let received = rx.iter().count();
        let landed_late = rx.len();
        closer.join().unwrap();
        let sent: usize = senders.into_iter().map(|s| s.join().unwrap()).sum();
        assert_eq!(landed_late, 0, "a send landed after Disconnected");
        assert_eq!(received, sent);
    }
}

#[test]
fn a_send_racing_close_is_refused_or_received() {
    within(120, || racing_close(200, BoundedBlocking::<1>::new));
}

#[test]
fn a_send_racing_close_is_refused_or_received_unbounded() {
    within(120, || racing_close(200, UnboundedMpmc::new));
}

#[test]
fn a_send_racing_close_is_refused_or_received_bracketed() {
    within(120, || racing_close(200, PriorityBounded::<1>::new));
}

// --------------------------------------------------------------- select

#[test]
fn select_on_a_closed_channel() {
    let (tx, rx) = BoundedBlocking::<2>::new();
    tx.send(1).unwrap();
    rx.close();
    // A send branch completes at once, as disconnected, with the value back.
    let outcome = select! {
        send(tx, 2) -> result => result,
        default(Duration::from_secs(10)) => panic!("a send on a closed channel must be ready"),
    };
    assert_eq!(outcome, Err(SendError(2)));
    // A receive branch drains, then reports the disconnect.
    let mut got = Vec::new();
    loop {
        select! {
            recv(rx) -> message => match message {
                Ok(message) => got.push(message),
                Err(RecvError) => break,
            },
            default(Duration::from_secs(10)) => panic!("a closed channel's receive must be ready"),
        }
    }
    assert_eq!(got, [1]);
}

#[test]
fn close_wakes_a_blocked_select() {
    within(30, || {
        let (tx, rx) = UnboundedMpmc::new::<u32>();
        let (_other_tx, other) = UnboundedMpmc::new::<u32>();
        let waiter = std::thread::spawn(move || {
            select! {
                recv(rx) -> message => message,
                recv(other) -> message => message,
            }
        });
        // Not a timing assertion: whether the select waits already or not,
        // it must end with the disconnect.
        std::thread::sleep(Duration::from_millis(20));
        tx.close();
        assert_eq!(waiter.join().unwrap(), Err(RecvError));
    });
}

#[test]
fn close_wakes_a_select_blocked_on_a_full_channel() {
    within(30, || {
        let (tx, rx) = BoundedBlocking::<1>::new();
        tx.send(1).unwrap();
        let waiter = {
            let tx = tx.clone();
            std::thread::spawn(move || {
                select! {
                    send(tx, 2) -> result => result,
                }
            })
        };
        // Not a timing assertion: waiting or not, the select must end with
        // the value handed back.
        std::thread::sleep(Duration::from_millis(20));
        rx.close();
        assert_eq!(waiter.join().unwrap(), Err(SendError(2)));
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(rx.recv(), Err(RecvError));
    });
}

// ---------------------------------------------------- one may worker

/// Tells a child process which test to run for real.
const CHILD_ENV: &str = "MAY_CHANNEL_CLOSE_ONE_WORKER_CHILD";

/// Runs `body` as a coroutine on a single may worker (see `common`).
fn on_one_worker(body: impl FnOnce() + Send + 'static) {
    common::on_one_worker(CHILD_ENV, body);
}

#[test]
fn close_then_drain_on_one_worker() {
    // `Runner::Coroutines` spawns from inside the root coroutine, so every
    // producer, consumer and the closer share the one worker. (Its
    // `init_may` asks for two workers, but may reads the setting only when
    // its scheduler starts, which the root coroutine did with one.)
    on_one_worker(|| {
        shutdown_under_load(Runner::Coroutines, BoundedBlocking::<4>::new());
        shutdown_under_load(Runner::Coroutines, UnboundedMpmc::new());
        shutdown_under_load(Runner::Coroutines, RendezvousMpmc::new());
        blocked_senders_get_their_messages_back(Runner::Coroutines);
        blocked_receivers_drain_then_disconnect(Runner::Coroutines);
    });
}
