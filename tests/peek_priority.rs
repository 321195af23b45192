//! Peek on priority channels: a guard holds the message `recv` would return
//! and tells its level; a left message goes back to the head of its level
//! (never ahead of a more urgent one, queued or sent later; ahead of the
//! messages behind it at its level), against a model, with `AGING`, shared
//! capacity, `DropOldest`, close, exactly-once drops, threads, coroutines
//! and one may worker.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{DropLog, Runner, Tracked, within};
use may_channel::backpressure::{Block, DropOldest, HasSend, Reject, Unlimited};
use may_channel::flavors::{PriorityBounded, PriorityUnbounded};
use may_channel::metrics::{Counters, NoMetrics};
use may_channel::priority::Priority::{self, Critical, High, Low, Normal};
use may_channel::queue::{Bounded, DynBounded, Prioritizable, Prioritized, Unbounded};
use may_channel::wait::SpinThenPark;
use may_channel::{
    Channel, Flavor, Pair, Receiver, RecvError, RecvTimeoutError, Sender, TryRecvError,
    TrySendError, select,
};
use proptest::prelude::*;

type LatestPriority<const N: usize> =
    Channel<Prioritized<Bounded<N>>, SpinThenPark, DropOldest, Counters>;
type RejectingPriority<const N: usize> = Channel<Prioritized<Bounded<N>>, SpinThenPark, Reject>;

// ------------------------------------------------------------ order

#[test]
fn a_left_message_does_not_overtake_a_later_more_urgent_one() {
    let (tx, rx) = PriorityUnbounded::new();
    tx.send_with_priority("sweep", Low).unwrap();
    let head = rx.peek().unwrap();
    assert_eq!((*head, head.priority()), ("sweep", Low));
    head.leave();
    tx.send_with_priority("page", Critical).unwrap();
    tx.send_with_priority("sweep too", Low).unwrap();
    let head = rx.try_peek().unwrap();
    assert_eq!(
        (*head, head.priority()),
        ("page", Critical),
        "peek sees what recv would take"
    );
    drop(head);
    assert_eq!(rx.recv_with_priority(), Ok(("page", Critical)));
    assert_eq!(
        rx.recv(),
        Ok("sweep"),
        "the left Low is ahead of the Low behind it"
    );
    assert_eq!(rx.recv(), Ok("sweep too"));
}

#[test]
fn a_left_message_is_received_before_lower_levels_and_after_higher_ones() {
    let (tx, rx) = PriorityUnbounded::new();
    tx.send_with_priority(1, Normal).unwrap();
    tx.send_with_priority(2, Normal).unwrap();
    tx.send_with_priority(3, Low).unwrap();
    rx.peek().unwrap().leave(); // 1 goes back to the head of Normal
    tx.send_with_priority(4, High).unwrap();
    tx.send_with_priority(5, Normal).unwrap();
    let order: Vec<_> = std::iter::from_fn(|| rx.try_recv_with_priority().ok()).collect();
    assert_eq!(
        order,
        [(4, High), (1, Normal), (2, Normal), (5, Normal), (3, Low)]
    );
}

#[test]
fn guards_left_out_of_order_keep_fifo_within_a_level() {
    let (tx, rx) = PriorityUnbounded::new();
    for i in 0..4 {
        tx.send_with_priority(i, High).unwrap();
    }
    tx.send_with_priority(10, Critical).unwrap();
    let first = rx.peek().unwrap();
    let second = rx.peek().unwrap();
    let third = rx.peek().unwrap();
    assert_eq!((*first, first.priority()), (10, Critical));
    assert_eq!((*second, *third), (0, 1));
    // Left newest first: each goes back to its place, not to the very head.
    third.leave();
    second.leave();
    first.leave();
    assert_eq!(rx.len(), 5);
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [10, 0, 1, 2, 3]);
}

/// Every receive route weighs a left message against the queue.
#[test]
fn every_receive_route_ranks_left_messages() {
    let setup = || {
        let (tx, rx) = PriorityUnbounded::new();
        tx.send_with_priority(1, Low).unwrap();
        rx.peek().unwrap().leave();
        tx.send_with_priority(2, High).unwrap();
        (tx, rx)
    };
    let (_tx, rx) = setup();
    assert_eq!((rx.try_recv(), rx.try_recv()), (Ok(2), Ok(1)));
    let (_tx, rx) = setup();
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(2));
    assert_eq!(
        rx.recv_with_priority_timeout(Duration::from_secs(10)),
        Ok((1, Low))
    );
    let (_tx, rx) = setup();
    assert_eq!(rx.recv_batch(10), Ok(vec![2, 1]));
    let (tx, rx) = setup();
    drop(tx);
    assert_eq!(rx.iter().collect::<Vec<_>>(), [2, 1]);
    let (_tx, rx) = setup();
    let got = select! {
        recv(rx) -> message => message,
        default(Duration::from_secs(10)) => panic!("a left message makes the receive ready"),
    };
    assert_eq!(got, Ok(2));
    assert_eq!(rx.peek().unwrap().take(), 1);
}

// ----------------------------------------------------- model (proptest)

#[derive(Clone, Debug)]
enum Op {
    Send(Priority),
    Recv,
    PeekTake,
    PeekLeave,
    /// Peek, peek again while the first guard lives, leave both (in the
    /// order the flag says).
    TwoGuards(bool),
}

fn op() -> impl Strategy<Value = Op> {
    let level = (0usize..4).prop_map(|i| Priority::from_index(i).unwrap());
    prop_oneof![
        3 => level.prop_map(Op::Send),
        2 => Just(Op::Recv),
        2 => Just(Op::PeekTake),
        2 => Just(Op::PeekLeave),
        1 => any::<bool>().prop_map(Op::TwoGuards),
    ]
}

/// The model: the messages queued as (level, sequence number), and the
/// receives so far (for `AGING`). A left message never moved, so it is just
/// still in the list.
struct Model {
    queued: Vec<(Priority, u32)>,
    received: usize,
    aging: usize,
}

impl Model {
    /// Where the message a receive would take is.
    fn next(&self) -> Option<usize> {
        let aged = self.aging > 0 && self.received % self.aging == self.aging - 1;
        let best = |&(_, &(level, seq)): &(usize, &(Priority, u32))| {
            let rank = level.index() as i64;
            (if aged { -rank } else { rank }, std::cmp::Reverse(seq))
        };
        self.queued
            .iter()
            .enumerate()
            .max_by_key(best)
            .map(|(i, _)| i)
    }

    fn take(&mut self) -> Option<(u32, Priority)> {
        let at = self.next()?;
        self.received += 1;
        let (level, seq) = self.queued.remove(at);
        Some((seq, level))
    }

    fn peek(&self) -> Option<(u32, Priority)> {
        self.next().map(|at| (self.queued[at].1, self.queued[at].0))
    }
}

fn check_against_model<Q, const A: usize, B>(
    (tx, rx): Pair<u32, Channel<Prioritized<Q, A>, SpinThenPark, B>>,
    ops: &[Op],
) -> Result<(), TestCaseError>
where
    Q: Prioritizable,
    B: HasSend,
    Channel<Prioritized<Q, A>, SpinThenPark, B>:
        Flavor<Queue = Prioritized<Q, A>, Metrics = NoMetrics>,
{
    let mut model = Model {
        queued: Vec::new(),
        received: 0,
        aging: A,
    };
    for (n, op) in ops.iter().enumerate() {
        match op {
            Op::Send(level) => {
                tx.send_with_priority(n as u32, *level).unwrap();
                model.queued.push((*level, n as u32));
            }
            Op::Recv => prop_assert_eq!(rx.try_recv_with_priority().ok(), model.take()),
            Op::PeekTake => {
                let seen = rx.try_peek().ok().map(|head| {
                    let seen = (*head, head.priority());
                    prop_assert_eq!(head.take(), seen.0);
                    Ok(seen)
                });
                prop_assert_eq!(seen.transpose()?, model.take());
            }
            Op::PeekLeave => {
                let seen = rx.try_peek().ok().map(|head| (*head, head.priority()));
                prop_assert_eq!(seen, model.peek());
            }
            Op::TwoGuards(first_back_first) => {
                let Ok(first) = rx.try_peek() else {
                    prop_assert!(model.queued.is_empty());
                    continue;
                };
                prop_assert_eq!(Some((*first, first.priority())), model.peek());
                let second = rx.try_peek().ok();
                if *first_back_first {
                    drop(first);
                    drop(second);
                } else {
                    drop(second);
                    drop(first);
                }
            }
        }
        prop_assert_eq!(rx.len(), model.queued.len());
    }
    drop(tx);
    while let Some(expected) = model.take() {
        prop_assert_eq!(rx.recv_with_priority(), Ok(expected));
    }
    prop_assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn peeks_match_the_model(ops in proptest::collection::vec(op(), 1..150)) {
        check_against_model(Channel::<Prioritized<Unbounded>, SpinThenPark, Unlimited>::new(), &ops)?;
        check_against_model(PriorityBounded::<256>::new(), &ops)?;
    }

    #[test]
    fn peeks_match_the_model_with_aging(ops in proptest::collection::vec(op(), 1..150)) {
        check_against_model(Channel::<Prioritized<Unbounded, 2>, SpinThenPark, Unlimited>::new(), &ops)?;
        check_against_model(Channel::<Prioritized<Unbounded, 3>, SpinThenPark, Unlimited>::new(), &ops)?;
        check_against_model(
            Channel::<Prioritized<DynBounded, 4>, SpinThenPark, Block>::with_config(256).unwrap(),
            &ops,
        )?;
    }
}

#[test]
fn aging_turns_weigh_left_messages_and_peeks_do_not_count() {
    let (tx, rx) = Channel::<Prioritized<Unbounded, 2>>::new();
    tx.send_with_priority("low a", Low).unwrap();
    tx.send_with_priority("low b", Low).unwrap();
    for name in ["high x", "high y", "high z"] {
        tx.send_with_priority(name, High).unwrap();
    }
    // Looks do not count: the first receive is still an ordinary turn.
    for _ in 0..3 {
        rx.peek().unwrap().leave();
    }
    assert_eq!(rx.peek().unwrap().take(), "high x");
    // The second receive is an aging turn: the peek sees the oldest Low.
    let head = rx.peek().unwrap();
    assert_eq!((*head, head.priority()), ("low a", Low));
    head.leave();
    // The left Low ties with the queued Low and is older: it goes first.
    assert_eq!(rx.recv_with_priority(), Ok(("low a", Low)));
    assert_eq!(rx.recv(), Ok("high y"));
    assert_eq!(rx.recv(), Ok("low b"));
    assert_eq!(rx.recv(), Ok("high z"));
}

#[test]
fn an_aging_turn_takes_a_queued_level_below_the_left_one() {
    let (tx, rx) = Channel::<Prioritized<Unbounded, 2>>::new();
    tx.send_with_priority(1, High).unwrap();
    tx.send_with_priority(2, Normal).unwrap();
    assert_eq!(rx.recv(), Ok(1)); // ordinary turn
    let head = rx.peek().unwrap(); // aging turn: the lowest, Normal 2
    assert_eq!((*head, head.priority()), (2, Normal));
    head.leave();
    tx.send_with_priority(3, Low).unwrap();
    // Still the aging turn: the queued Low is below the left Normal.
    assert_eq!(rx.recv_with_priority(), Ok((3, Low)));
    assert_eq!(rx.recv_with_priority(), Ok((2, Normal)));
}

// ------------------------------------------- capacity and DropOldest

#[test]
fn capacity_is_shared_with_a_guard_alive() {
    let (tx, rx) = RejectingPriority::<2>::new();
    tx.try_send_with_priority(1, Low).unwrap();
    tx.try_send_with_priority(2, Low).unwrap();
    assert!(matches!(
        tx.try_send_with_priority(3, Critical),
        Err(TrySendError::Full(3))
    ));
    let head = rx.peek().unwrap();
    assert_eq!(*head, 1);
    // The held message's room is free while the guard lives.
    tx.try_send_with_priority(3, Critical).unwrap();
    assert!(matches!(
        tx.try_send_with_priority(4, Critical),
        Err(TrySendError::Full(4))
    ));
    head.leave();
    assert_eq!(rx.len(), 3, "one over the capacity until a receive");
    assert!(matches!(
        tx.try_send_with_priority(4, Critical),
        Err(TrySendError::Full(4))
    ));
    assert_eq!(rx.recv_with_priority(), Ok((3, Critical)));
    assert_eq!(rx.recv_with_priority(), Ok((1, Low)));
    tx.try_send_with_priority(4, Critical).unwrap();
    assert!(matches!(
        tx.try_send_with_priority(5, Low),
        Err(TrySendError::Full(5))
    ));
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [4, 2]);
}

#[test]
fn a_blocked_sender_is_woken_by_a_peek() {
    within(30, || {
        let (tx, rx) = PriorityBounded::<1>::new();
        tx.send_with_priority(1, Low).unwrap();
        let sender = {
            let tx = tx.clone();
            std::thread::spawn(move || tx.send_with_priority(2, High))
        };
        let head = rx.peek().unwrap();
        assert_eq!(sender.join().unwrap(), Ok(()));
        head.leave();
        assert_eq!(rx.recv_with_priority(), Ok((2, High)));
        assert_eq!(rx.recv_with_priority(), Ok((1, Low)));
    });
}

#[test]
fn drop_oldest_evicts_a_left_message_when_it_is_the_lowest() {
    let (tx, rx) = LatestPriority::<2>::new();
    tx.send_with_priority("a", Low).unwrap();
    tx.send_with_priority("b", Low).unwrap();
    rx.peek().unwrap().leave(); // "a" is left: the oldest Low
    tx.send_with_priority("c", High).unwrap();
    assert_eq!(rx.len(), 2);
    assert_eq!(tx.metrics().dropped, 1);
    // The newcomer kept its level (it went through a plain store).
    assert_eq!(rx.try_recv_with_priority(), Ok(("c", High)));
    assert_eq!(rx.try_recv_with_priority(), Ok(("b", Low)));
    // force_send hands the left message back.
    tx.send_with_priority("d", Low).unwrap();
    tx.send_with_priority("e", Low).unwrap();
    rx.peek().unwrap().leave();
    assert_eq!(tx.force_send("f"), Ok(Some("d")));
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), ["f", "e"]);
}

#[test]
fn drop_oldest_keeps_a_left_message_above_the_lowest_level() {
    let (tx, rx) = LatestPriority::<2>::new();
    tx.send_with_priority("low", Low).unwrap();
    tx.send_with_priority("high", High).unwrap();
    let head = rx.peek().unwrap();
    assert_eq!((*head, head.priority()), ("high", High));
    tx.send_with_priority("normal", Normal).unwrap();
    head.leave(); // three in a channel of two
    tx.send_with_priority("normal too", Normal).unwrap();
    // The Low went for the newcomer, then the oldest Normal to get back to
    // two; the left High stays.
    assert_eq!(rx.len(), 2);
    assert_eq!(tx.metrics().dropped, 2);
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), ["high", "normal too"]);
}

#[test]
fn drop_oldest_with_a_left_low_and_a_queue_of_more_urgent_messages() {
    let (tx, rx) = LatestPriority::<2>::new();
    tx.send_with_priority("low", Low).unwrap();
    let head = rx.peek().unwrap();
    tx.send_with_priority("high 1", High).unwrap();
    tx.send_with_priority("high 2", High).unwrap();
    head.leave(); // three in a channel of two
    // The queue sees only Highs above the Normal newcomer and refuses it;
    // then the left Low (the lowest, oldest) goes to get back to two. Both
    // are counted, nothing is lost silently.
    tx.send_with_priority("normal", Normal).unwrap();
    assert_eq!(tx.metrics().dropped, 2);
    assert_eq!(rx.len(), 2);
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), ["high 1", "high 2"]);
}

// ------------------------------------------------ drops and close

#[test]
fn left_messages_are_dropped_exactly_once() {
    let log = DropLog::new(5);
    let (tx, rx) = Channel::<Prioritized<Bounded<8>>, SpinThenPark, Reject, Counters>::new();
    for (id, level) in [Low, High, Normal, Critical, Low].into_iter().enumerate() {
        tx.try_send_with_priority(log.item(id), level).unwrap();
    }
    let head = rx.peek().unwrap();
    assert_eq!((head.id, head.priority()), (3, Critical));
    drop(head.take());
    rx.peek().unwrap().leave();
    // A guard dropped by a panic leaves its message too.
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let first = rx.peek().unwrap();
        let _second = rx.peek().unwrap();
        assert_eq!(first.id, 1);
        panic!("while looking");
    }));
    assert!(unwound.is_err());
    assert_eq!(rx.len(), 4);
    assert_eq!(log.total(), 1);
    assert_eq!(rx.metrics().received, 1);
    drop(rx);
    assert_eq!(log.total(), 5);
    assert_eq!(tx.metrics().dropped, 4);
    drop(tx);
    log.assert_all_dropped_once();
}

#[test]
fn a_left_message_goes_with_the_channel() {
    let log = DropLog::new(3);
    let (tx, rx) = PriorityUnbounded::new();
    tx.send_with_priority(log.item(0), Low).unwrap();
    tx.send_with_priority(log.item(1), High).unwrap();
    tx.send_with_priority(log.item(2), Normal).unwrap();
    let first = rx.peek().unwrap();
    rx.peek().unwrap().leave();
    first.leave();
    let rx2 = rx.clone();
    drop(rx);
    drop(rx2);
    assert_eq!(log.total(), 3);
    drop(tx);
    log.assert_all_dropped_once();
}

#[test]
fn close_drains_left_messages_in_priority_order() {
    let (tx, rx) = PriorityUnbounded::new();
    tx.send_with_priority(1, Low).unwrap();
    rx.peek().unwrap().leave();
    tx.send_with_priority(2, High).unwrap();
    assert!(rx.close());
    assert!(tx.send_with_priority(3, Critical).is_err());
    let head = rx.peek().unwrap();
    assert_eq!((*head, head.priority()), (2, High));
    drop(head);
    assert_eq!(rx.recv_with_priority(), Ok((2, High)));
    assert_eq!(rx.try_peek().unwrap().take(), 1);
    assert!(matches!(rx.try_peek(), Err(TryRecvError::Disconnected)));
    assert!(matches!(rx.peek(), Err(RecvError)));
    assert_eq!(rx.recv_with_priority(), Err(RecvError));
    // A message left after the last sender went is still received.
    let (tx, rx) = PriorityUnbounded::new();
    tx.send_with_priority(4, Normal).unwrap();
    let head = rx.peek().unwrap();
    drop(tx);
    head.leave();
    assert_eq!(rx.try_recv_with_priority(), Ok((4, Normal)));
    assert_eq!(rx.try_recv_with_priority(), Err(TryRecvError::Disconnected));
}

// ------------------------------------------- waiting, concurrency

/// A blocked peek wakes for a send, and for a message another guard leaves;
/// a blocked priority receive wakes for a left message.
fn blocked_peek_wakes(runner: Runner) {
    let (tx, rx) = PriorityUnbounded::new::<u32>();
    let looker = {
        let rx = rx.clone();
        runner.spawn(move || rx.peek().map(|head| (head.priority(), head.take())))
    };
    tx.send_with_priority(9, High).unwrap();
    assert_eq!(looker.join(), Ok((High, 9)));
    tx.send_with_priority(10, Low).unwrap();
    let head = rx.peek().unwrap();
    let waiter = {
        let rx = rx.clone();
        runner.spawn(move || rx.peek().map(|head| head.take()))
    };
    head.leave();
    assert_eq!(waiter.join(), Ok(10));
    tx.send_with_priority(11, Critical).unwrap();
    let head = rx.peek().unwrap();
    let receiver = {
        let rx = rx.clone();
        runner.spawn(move || rx.recv_with_priority_timeout(Duration::from_secs(60)))
    };
    head.leave();
    assert_eq!(receiver.join(), Ok((11, Critical)));
    assert!(matches!(
        rx.peek_timeout(Duration::from_millis(1)),
        Err(RecvTimeoutError::Timeout)
    ));
}

#[test]
fn blocked_peek_wakes_threads() {
    within(30, || blocked_peek_wakes(Runner::Threads));
}

#[test]
fn blocked_peek_wakes_coroutines() {
    within(30, || blocked_peek_wakes(Runner::Coroutines));
}

/// Producers send at random levels; receivers peek (leaving or taking),
/// receive with and without levels: every message is received exactly once
/// and dropped once, and a peeked message's level is the one it was sent at.
fn concurrent_receivers<Q, const A: usize, B>(
    runner: Runner,
    (tx, rx): Pair<Tracked, Channel<Prioritized<Q, A>, SpinThenPark, B>>,
) where
    Q: Prioritizable,
    B: HasSend,
    Channel<Prioritized<Q, A>, SpinThenPark, B>:
        Flavor<Queue = Prioritized<Q, A>, Metrics = NoMetrics>,
    Sender<Tracked, Channel<Prioritized<Q, A>, SpinThenPark, B>>: Send,
    Receiver<Tracked, Channel<Prioritized<Q, A>, SpinThenPark, B>>: Send,
{
    const PRODUCERS: usize = 2;
    const PER_PRODUCER: usize = 4_000;
    const RECEIVERS: usize = 4;
    let ids = PRODUCERS * PER_PRODUCER;
    let level_of = |id: usize| Priority::from_index(id.wrapping_mul(2_654_435_761) % 4).unwrap();
    let log = DropLog::new(ids);
    let received: Arc<Vec<AtomicUsize>> = Arc::new((0..ids).map(|_| AtomicUsize::new(0)).collect());
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let (tx, log) = (tx.clone(), Arc::clone(&log));
            runner.spawn(move || {
                for id in p * PER_PRODUCER..(p + 1) * PER_PRODUCER {
                    tx.send_with_priority(log.item(id), level_of(id))
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
                    let (message, level) = match r {
                        0 | 2 => match rx.peek() {
                            Ok(head) if rng.bool() => {
                                let level = head.priority();
                                (head.take(), level)
                            }
                            Ok(head) => {
                                assert_eq!(head.priority(), level_of(head.id));
                                head.leave();
                                continue;
                            }
                            Err(RecvError) => break,
                        },
                        1 => match rx.recv_with_priority() {
                            Ok(taken) => taken,
                            Err(RecvError) => break,
                        },
                        _ => match rx.recv() {
                            Ok(message) => {
                                let level = level_of(message.id);
                                (message, level)
                            }
                            Err(RecvError) => break,
                        },
                    };
                    assert_eq!(level, level_of(message.id));
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
    concurrent_receivers(
        runner,
        Channel::<Prioritized<Unbounded>, SpinThenPark, Unlimited>::new(),
    );
    concurrent_receivers(runner, PriorityBounded::<4>::new());
    concurrent_receivers(
        runner,
        Channel::<Prioritized<DynBounded, 3>, SpinThenPark, Block>::with_config(16).unwrap(),
    );
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
const CHILD_ENV: &str = "MAY_CHANNEL_PEEK_PRIORITY_ONE_WORKER_CHILD";

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
        concurrent_receivers(Runner::Coroutines, PriorityBounded::<4>::new());
    });
}
