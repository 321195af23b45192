//! Peek: look at the head, then take it or leave it there; FIFO kept, every
//! message received or dropped exactly once, for every flavour that peeks.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{DropLog, Runner, Tracked, within};
use may_channel::backpressure::HasSend;
use may_channel::flavors::{
    BoundedBlocking, FirstN, InstrumentedBounded, InstrumentedUnbounded, LatestN, UnboundedMpmc,
};
use may_channel::queue::DynBounded;
use may_channel::{
    Channel, Flavor, Peekable, Receiver, RecvError, RecvTimeoutError, Sender, TryRecvError, select,
};

// --------------------------------------------------------------- basics

#[test]
fn take_and_leave() {
    let (tx, rx) = UnboundedMpmc::new();
    for i in 0..3 {
        tx.send(i).unwrap();
    }
    let head = rx.try_peek().unwrap();
    assert_eq!(*head, 0);
    head.leave();
    assert_eq!(rx.len(), 3, "a left message is still in the channel");
    let head = rx.peek().unwrap();
    assert_eq!(*head, 0, "a left message stays the head");
    drop(head);
    assert_eq!(rx.peek().unwrap().take(), 0);
    assert_eq!(rx.len(), 2);
    let head = rx.peek_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(format!("{head:?}"), "Peeked(1)");
    drop(head);
    assert_eq!(rx.recv(), Ok(1), "recv takes the left head");
    let head = rx.peek_deadline(Instant::now()).unwrap();
    assert_eq!(head.take(), 2);
    assert!(matches!(rx.try_peek(), Err(TryRecvError::Empty)));
    assert!(matches!(
        rx.peek_timeout(Duration::from_millis(1)),
        Err(RecvTimeoutError::Timeout)
    ));
}

/// A single receiver that mixes peeks (left or taken) with receives gets
/// the messages in order.
fn fifo_is_kept<F>(pair: (Sender<usize, F>, Receiver<usize, F>), capacity: usize)
where
    F: Flavor,
    F::Queue: Peekable,
{
    let (tx, rx) = pair;
    let mut rng = fastrand::Rng::with_seed(11);
    let mut next_sent = 0;
    let mut got = Vec::new();
    while got.len() < 1_000 {
        while next_sent < 1_000 && rx.len() < capacity && rng.bool() {
            tx.try_send(next_sent).unwrap();
            next_sent += 1;
        }
        let Ok(head) = rx.try_peek() else {
            if next_sent < 1_000 {
                tx.try_send(next_sent).unwrap();
                next_sent += 1;
            }
            continue;
        };
        match rng.u8(0..3) {
            0 => head.leave(),
            1 => got.push(head.take()),
            _ => {
                let seen = *head;
                drop(head);
                let received = rx.try_recv().unwrap();
                assert_eq!(
                    received, seen,
                    "recv after a leave takes the peeked message"
                );
                got.push(received);
            }
        }
    }
    assert_eq!(got, (0..1_000).collect::<Vec<_>>());
}

#[test]
fn fifo_is_kept_in_every_flavour_that_peeks() {
    fifo_is_kept(UnboundedMpmc::new(), usize::MAX);
    fifo_is_kept(BoundedBlocking::<8>::new(), 8);
    fifo_is_kept(Channel::<DynBounded>::with_config(5).unwrap(), 5);
    fifo_is_kept(FirstN::<4>::new(), 4);
    fifo_is_kept(LatestN::<4>::new(), 4);
    fifo_is_kept(InstrumentedUnbounded::new(), usize::MAX);
}

#[test]
fn metrics_count_a_take_not_a_look() {
    let (tx, rx) = InstrumentedBounded::<4>::new();
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    rx.peek().unwrap().leave();
    drop(rx.peek().unwrap());
    assert_eq!(rx.metrics().received, 0);
    assert_eq!(rx.metrics().len, 2);
    assert_eq!(rx.peek().unwrap().take(), 1);
    assert_eq!(rx.metrics().received, 1);
    assert_eq!(rx.metrics().len, 1);
}

// ------------------------------------------------- drops, close, select

#[test]
fn left_messages_are_dropped_exactly_once() {
    let log = DropLog::new(4);
    let (tx, rx) = InstrumentedBounded::<8>::new();
    for id in 0..4 {
        tx.send(log.item(id)).unwrap();
    }
    rx.peek().unwrap().leave();
    let taken = rx.peek().unwrap().take();
    assert_eq!(taken.id, 0);
    drop(taken);
    rx.peek().unwrap().leave();
    // A guard dropped by a panic leaves its message too.
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _head = rx.peek().unwrap();
        panic!("while looking");
    }));
    assert!(unwound.is_err());
    assert_eq!(rx.len(), 3);
    assert_eq!(log.total(), 1);
    // The last receiver drops what is queued, the left message first.
    drop(rx);
    assert_eq!(log.total(), 4);
    assert_eq!(tx.metrics().dropped, 3);
    drop(tx);
    log.assert_all_dropped_once();
}

#[test]
fn a_left_message_goes_with_the_channel() {
    let log = DropLog::new(2);
    let (tx, rx) = UnboundedMpmc::new();
    tx.send(log.item(0)).unwrap();
    tx.send(log.item(1)).unwrap();
    rx.peek().unwrap().leave();
    // Receivers first, then the sender: the channel goes with the sender.
    let rx2 = rx.clone();
    drop(rx);
    drop(rx2);
    assert_eq!(log.total(), 2);
    drop(tx);
    log.assert_all_dropped_once();
}

#[test]
fn peek_drains_a_closed_channel_then_reports_disconnected() {
    let (tx, rx) = UnboundedMpmc::new();
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    rx.peek().unwrap().leave();
    assert!(tx.close());
    assert_eq!(*rx.peek().unwrap(), 1);
    assert_eq!(rx.recv(), Ok(1));
    assert_eq!(rx.try_peek().unwrap().take(), 2);
    assert!(matches!(rx.try_peek(), Err(TryRecvError::Disconnected)));
    assert!(matches!(rx.peek(), Err(RecvError)));
    // A message left after close is still received.
    let (tx, rx) = UnboundedMpmc::new();
    tx.send(3).unwrap();
    let head = rx.peek().unwrap();
    drop(tx);
    head.leave();
    assert!(rx.recv_ready_for_test());
    assert_eq!(rx.recv(), Ok(3));
    assert_eq!(rx.recv(), Err(RecvError));
}

trait ReadyForTest {
    fn recv_ready_for_test(&self) -> bool;
}

impl<T: Send, F: Flavor> ReadyForTest for Receiver<T, F> {
    fn recv_ready_for_test(&self) -> bool {
        may_channel::select::Selectable::is_ready(self)
    }
}

#[test]
fn select_sees_a_left_message() {
    let (tx, rx) = BoundedBlocking::<2>::new();
    tx.send(5).unwrap();
    rx.peek().unwrap().leave();
    let got = select! {
        recv(rx) -> message => message,
        default(Duration::from_secs(10)) => panic!("a left message makes the receive ready"),
    };
    assert_eq!(got, Ok(5));
}

#[test]
fn drop_oldest_evicts_a_left_message_first() {
    let (tx, rx) = LatestN::<2>::new();
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    rx.peek().unwrap().leave();
    // The left message 1 is the oldest: it goes first.
    assert_eq!(tx.force_send(3), Ok(Some(1)));
    assert_eq!(rx.recv(), Ok(2));
    assert_eq!(rx.recv(), Ok(3));
    // A message left while the ring refilled: the channel holds one more
    // than its capacity until the next evicting send puts it back at two.
    tx.send(4).unwrap();
    tx.send(5).unwrap();
    let head = rx.peek().unwrap();
    assert_eq!(*head, 4);
    tx.send(6).unwrap();
    head.leave();
    assert_eq!(rx.len(), 3);
    assert_eq!(tx.force_send(7), Ok(Some(4)));
    assert_eq!(rx.len(), 2);
    assert_eq!(rx.recv(), Ok(6));
    assert_eq!(rx.recv(), Ok(7));
}

#[test]
fn a_peek_frees_room_for_a_blocked_sender() {
    within(30, || {
        let (tx, rx) = BoundedBlocking::<1>::new();
        tx.send(1).unwrap();
        let sender = {
            let tx = tx.clone();
            std::thread::spawn(move || tx.send(2))
        };
        let head = rx.peek().unwrap();
        assert_eq!(sender.join().unwrap(), Ok(()));
        head.leave();
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(rx.recv(), Ok(2));
    });
}

// ------------------------------------------------- waiting, concurrency

/// A blocked peek wakes for a send, and for a message another guard leaves.
fn blocked_peek_wakes(runner: Runner) {
    let (tx, rx) = UnboundedMpmc::new::<u32>();
    let looker = {
        let rx = rx.clone();
        runner.spawn(move || rx.peek().map(|head| head.take()))
    };
    tx.send(9).unwrap();
    assert_eq!(looker.join(), Ok(9));
    tx.send(10).unwrap();
    let head = rx.peek().unwrap();
    let waiter = {
        let rx = rx.clone();
        runner.spawn(move || rx.peek().map(|head| head.take()))
    };
    head.leave();
    assert_eq!(waiter.join(), Ok(10));
}

#[test]
fn blocked_peek_wakes_threads() {
    within(30, || blocked_peek_wakes(Runner::Threads));
}

#[test]
fn blocked_peek_wakes_coroutines() {
    within(30, || blocked_peek_wakes(Runner::Coroutines));
}

/// Receivers that peek (leaving or taking) race with receivers that
/// receive: every message is received exactly once and dropped once.
fn concurrent_receivers<F>(runner: Runner, pair: (Sender<Tracked, F>, Receiver<Tracked, F>))
where
    F: Flavor,
    F::Queue: Peekable,
    F::Backpressure: HasSend,
    Sender<Tracked, F>: Send,
    Receiver<Tracked, F>: Send,
{
    const PRODUCERS: usize = 2;
    const PER_PRODUCER: usize = 5_000;
    const RECEIVERS: usize = 4;
    let ids = PRODUCERS * PER_PRODUCER;
    let log = DropLog::new(ids);
    let received: Arc<Vec<AtomicUsize>> = Arc::new((0..ids).map(|_| AtomicUsize::new(0)).collect());
    let (tx, rx) = pair;
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let (tx, log) = (tx.clone(), Arc::clone(&log));
            runner.spawn(move || {
                for id in p * PER_PRODUCER..(p + 1) * PER_PRODUCER {
                    tx.send(log.item(id))
                        .map_err(|_| ())
                        .expect("receivers are alive");
                }
            })
        })
        .collect();
    drop(tx);
    let receivers: Vec<_> = (0..RECEIVERS)
        .map(|r| {
            let (rx, received) = (rx.clone(), Arc::clone(&received));
            runner.spawn(move || {
                let mut rng = fastrand::Rng::with_seed(r as u64);
                loop {
                    let message = if r % 2 == 0 {
                        match rx.peek() {
                            Ok(head) if rng.bool() => head.take(),
                            Ok(head) => {
                                head.leave();
                                continue;
                            }
                            Err(RecvError) => break,
                        }
                    } else {
                        match rx.recv() {
                            Ok(message) => message,
                            Err(RecvError) => break,
                        }
                    };
                    received[message.id].fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for producer in producers {
        producer.join();
    }
    for receiver in receivers {
        receiver.join();
    }
    for (id, count) in received.iter().enumerate() {
        assert_eq!(count.load(Ordering::SeqCst), 1, "message {id}");
    }
    drop(rx);
    log.assert_all_dropped_once();
}

fn concurrent_receivers_every_flavour(runner: Runner) {
    concurrent_receivers(runner, UnboundedMpmc::new());
    concurrent_receivers(runner, BoundedBlocking::<4>::new());
    concurrent_receivers(runner, Channel::<DynBounded>::with_config(16).unwrap());
}

#[test]
fn concurrent_receivers_threads() {
    within(120, || concurrent_receivers_every_flavour(Runner::Threads));
}

#[test]
fn concurrent_receivers_coroutines() {
    within(120, || {
        concurrent_receivers_every_flavour(Runner::Coroutines)
    });
}

// ---------------------------------------------------- one may worker

/// Tells a child process which test to run for real.
const CHILD_ENV: &str = "MAY_CHANNEL_PEEK_ONE_WORKER_CHILD";

/// Runs `body` as a coroutine on a single may worker (see `common`).
fn on_one_worker(body: impl FnOnce() + Send + 'static) {
    common::on_one_worker(CHILD_ENV, body);
}

#[test]
fn peek_on_one_worker() {
    // Every coroutine shares the one worker: a peek that parked the worker
    // thread instead of the coroutine would never be woken.
    on_one_worker(|| {
        blocked_peek_wakes(Runner::Coroutines);
        concurrent_receivers(Runner::Coroutines, BoundedBlocking::<4>::new());
    });
}
