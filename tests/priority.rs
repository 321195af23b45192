//! Priority channels: order (priority, then FIFO) against a model, what each
//! backpressure policy does with levels, timeouts, disconnection,
//! exactly-once delivery under concurrency (threads and coroutines), select,
//! and the builder.

mod common;

use std::collections::VecDeque;
use std::thread;
use std::time::{Duration, Instant};

use common::{DropLog, Handle, Runner, Tracked, within};
use may_channel::backpressure::{Block, DropNewest, DropOldest, HasSend, Reject};
use may_channel::flavors::{PriorityBounded, PriorityUnbounded};
use may_channel::metrics::{Counters, NoMetrics};
use may_channel::priority::Priority::{self, Critical, High, Low, Normal};
use may_channel::queue::{Bounded, DynBounded, Prioritizable, Prioritized, Unbounded};
use may_channel::wait::SpinThenPark;
use may_channel::{
    Channel, ChannelBuilder, Flavor, Pair, Receiver, RecvTimeoutError, SendTimeoutError, Sender,
    TryRecvError, TrySendError, select,
};
use proptest::prelude::*;

type RejectingPriority<const N: usize> = Channel<Prioritized<Bounded<N>>, SpinThenPark, Reject>;
type LatestPriority<const N: usize> =
    Channel<Prioritized<Bounded<N>>, SpinThenPark, DropOldest, Counters>;
type FirstPriority<const N: usize> =
    Channel<Prioritized<Bounded<N>>, SpinThenPark, DropNewest, Counters>;

// ------------------------------------------------------------------ model

/// The reference: one `VecDeque` per level; a receive takes the front of the
/// highest non-empty level, or (aging every `k`-th receive) of the lowest.
struct Model {
    levels: [VecDeque<u32>; 4],
    capacity: Option<usize>,
    aging: usize,
    received: usize,
}

impl Model {
    fn new(capacity: Option<usize>, aging: usize) -> Self {
        Self {
            levels: Default::default(),
            capacity,
            aging,
            received: 0,
        }
    }

    fn len(&self) -> usize {
        self.levels.iter().map(VecDeque::len).sum()
    }

    fn try_send(&mut self, msg: u32, level: Priority) -> bool {
        if self.capacity.is_some_and(|cap| self.len() >= cap) {
            return false;
        }
        self.levels[level.index()].push_back(msg);
        true
    }

    fn recv(&mut self) -> Option<(u32, Priority)> {
        let lowest_first = self.aging > 0 && self.received % self.aging == self.aging - 1;
        let mut order: Vec<usize> = (0..4).collect();
        if !lowest_first {
            order.reverse();
        }
        let index = order.into_iter().find(|&l| !self.levels[l].is_empty())?;
        self.received += 1;
        let msg = self.levels[index].pop_front()?;
        Some((msg, Priority::from_index(index).unwrap()))
    }
}

#[derive(Clone, Debug)]
enum Op {
    Send(Priority),
    PlainSend,
    Recv,
}

fn level() -> impl Strategy<Value = Priority> {
    (0usize..4).prop_map(|i| Priority::from_index(i).unwrap())
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            3 => level().prop_map(Op::Send),
            1 => Just(Op::PlainSend),
            3 => Just(Op::Recv),
        ],
        0..200,
    )
}

/// Runs `ops` against the channel and the model with one consumer; every
/// send is `try_send` so that a bounded channel refuses where the model does.
fn check_against_model<F: Flavor>(
    (tx, rx): (Sender<u32, F>, Receiver<u32, F>),
    mut model: Model,
    ops: &[Op],
    send: impl Fn(&Sender<u32, F>, u32, Priority) -> Result<(), TrySendError<u32>>,
    recv: impl Fn(&Receiver<u32, F>) -> Result<(u32, Priority), TryRecvError>,
) -> Result<(), TestCaseError> {
    for (n, op) in ops.iter().enumerate() {
        let msg = n as u32;
        match op {
            Op::Send(level) => {
                let stored = model.try_send(msg, *level);
                let sent = send(&tx, msg, *level);
                prop_assert_eq!(sent.is_ok(), stored, "send {} at {:?}", msg, level);
            }
            Op::PlainSend => {
                let stored = model.try_send(msg, Normal);
                prop_assert_eq!(tx.try_send(msg).is_ok(), stored);
            }
            Op::Recv => {
                prop_assert_eq!(recv(&rx).ok(), model.recv());
            }
        }
        prop_assert_eq!(rx.len(), model.len());
    }
    drop(tx);
    while let Some(expected) = model.recv() {
        prop_assert_eq!(recv(&rx), Ok(expected));
    }
    prop_assert_eq!(recv(&rx), Err(TryRecvError::Disconnected));
    Ok(())
}

proptest! {
    #[test]
    fn unbounded_receives_in_priority_then_fifo_order(ops in ops()) {
        check_against_model(
            PriorityUnbounded::new(),
            Model::new(None, 0),
            &ops,
            |tx, msg, level| tx.try_send_with_priority(msg, level),
            |rx| rx.try_recv_with_priority(),
        )?;
    }

    #[test]
    fn bounded_shares_its_capacity_between_levels(ops in ops()) {
        check_against_model(
            RejectingPriority::<8>::new(),
            Model::new(Some(8), 0),
            &ops,
            |tx, msg, level| tx.try_send_with_priority(msg, level),
            |rx| rx.try_recv_with_priority(),
        )?;
    }

    #[test]
    fn plain_recv_takes_the_most_urgent_message(ops in ops()) {
        // `recv`/`try_recv` (no level) must agree with the model too; the
        // level is checked through `len_at` before each receive.
        check_against_model(
            PriorityBounded::<16>::new(),
            Model::new(Some(16), 0),
            &ops,
            |tx, msg, level| tx.try_send_with_priority(msg, level),
            |rx| {
                let level = Priority::ALL
                    .into_iter()
                    .rev()
                    .find(|&l| rx.len_at(l) > 0)
                    .unwrap_or(Low);
                rx.try_recv().map(|msg| (msg, level))
            },
        )?;
    }

    #[test]
    fn aging_takes_the_lowest_level_every_kth_receive(ops in ops()) {
        check_against_model(
            Channel::<Prioritized<Unbounded, 3>>::new(),
            Model::new(None, 3),
            &ops,
            |tx, msg, level| tx.try_send_with_priority(msg, level),
            |rx| rx.try_recv_with_priority(),
        )?;
    }

    #[test]
    fn drop_oldest_matches_its_definition(ops in ops()) {
        // The model of DropOldest: when full, evict the front of the lowest
        // non-empty level if it is not above the newcomer's; else drop the
        // newcomer.
        let (tx, rx) = LatestPriority::<4>::new();
        let mut model = Model::new(None, 0);
        let mut dropped = 0;
        for (n, op) in ops.iter().enumerate() {
            let msg = n as u32;
            match op {
                Op::Send(_) | Op::PlainSend => {
                    let level = match op {
                        Op::Send(level) => *level,
                        _ => Normal,
                    };
                    if model.len() == 4 {
                        let lowest = (0..4).find(|&l| !model.levels[l].is_empty()).unwrap();
                        dropped += 1;
                        if lowest <= level.index() {
                            model.levels[lowest].pop_front();
                            model.levels[level.index()].push_back(msg);
                        }
                    } else {
                        model.levels[level.index()].push_back(msg);
                    }
                    prop_assert!(tx.send_with_priority(msg, level).is_ok());
                }
                Op::Recv => prop_assert_eq!(rx.try_recv_with_priority().ok(), model.recv()),
            }
            prop_assert_eq!(tx.metrics().dropped, dropped);
            prop_assert_eq!(rx.len(), model.len());
        }
    }
}

// ------------------------------------------------------ policies when full

#[test]
fn drop_oldest_evicts_the_oldest_of_the_lowest_level() {
    let log = DropLog::new(5);
    let (tx, rx) = LatestPriority::<3>::new::<Tracked>();
    tx.send_with_priority(log.item(0), Normal).unwrap();
    tx.send_with_priority(log.item(1), Low).unwrap();
    tx.send_with_priority(log.item(2), Low).unwrap();
    // Full: a High newcomer evicts the oldest Low message (1), not the
    // oldest message overall (0).
    tx.send_with_priority(log.item(3), High).unwrap();
    assert_eq!(log.drops_of(1), 1);
    // A Low newcomer evicts the oldest Low message too (same level).
    tx.send_with_priority(log.item(4), Low).unwrap();
    assert_eq!(log.drops_of(2), 1);
    let ids: Vec<_> = rx.try_iter().map(|m| m.id).collect();
    assert_eq!(ids, [3, 0, 4]);
    assert_eq!(tx.metrics().dropped, 2);
    log.assert_all_dropped_once();
}

#[test]
fn drop_oldest_refuses_a_newcomer_below_everything_queued() {
    let log = DropLog::new(3);
    let (tx, rx) = LatestPriority::<2>::new::<Tracked>();
    tx.send_with_priority(log.item(0), High).unwrap();
    tx.send_with_priority(log.item(1), Normal).unwrap();
    // Everything queued is above Low: the newcomer is dropped and counted,
    // and `send` still reports success (the policy dropped it).
    tx.send_with_priority(log.item(2), Low).unwrap();
    assert_eq!(log.drops_of(2), 1);
    let metrics = tx.metrics();
    assert_eq!((metrics.sent, metrics.dropped, metrics.len), (2, 1, 2));
    let ids: Vec<_> = rx.try_iter().map(|m| m.id).collect();
    assert_eq!(ids, [0, 1]);
    log.assert_all_dropped_once();
}

#[test]
fn force_send_hands_the_evicted_message_back() {
    let (tx, rx) = LatestPriority::<2>::new();
    tx.send_with_priority("low", Low).unwrap();
    tx.send_with_priority("high", High).unwrap();
    assert_eq!(tx.force_send("normal"), Ok(Some("low")));
    // Nothing below Normal left: a Normal force_send evicts nothing it can
    // and is refused (dropped, counted), so it returns Ok(None).
    tx.send_with_priority("critical", Critical).unwrap(); // evicts "normal"
    assert_eq!(tx.force_send("refused"), Ok(None));
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), ["critical", "high"]);
    assert_eq!(tx.metrics().dropped, 3);
}

#[test]
fn reject_refuses_every_level_when_full() {
    let (tx, rx) = RejectingPriority::<2>::new();
    tx.try_send_with_priority(1, Low).unwrap();
    tx.try_send_with_priority(2, Low).unwrap();
    assert!(tx.is_full());
    for level in Priority::ALL {
        assert_eq!(
            tx.try_send_with_priority(3, level),
            Err(TrySendError::Full(3))
        );
    }
    assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
    assert_eq!(rx.recv_with_priority(), Ok((1, Low)));
    tx.try_send_with_priority(4, Critical).unwrap();
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [4, 2]);
}

#[test]
fn drop_newest_drops_the_newcomer_whatever_its_level() {
    let (tx, rx) = FirstPriority::<1>::new();
    tx.send_with_priority(1, Low).unwrap();
    tx.send_with_priority(2, Critical).unwrap();
    assert_eq!(tx.metrics().dropped, 1);
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1]);
}

#[test]
fn block_makes_every_level_wait_for_room_and_never_evicts() {
    let (tx, rx) = PriorityBounded::<2>::new();
    tx.send_with_priority(1, Low).unwrap();
    tx.send_with_priority(2, Low).unwrap();
    // Full: even a Critical send waits, and gives the message back at its
    // deadline.
    assert_eq!(
        tx.send_with_priority_timeout(3, Critical, Duration::from_millis(20)),
        Err(SendTimeoutError::Timeout(3))
    );
    assert_eq!(
        tx.send_with_priority_deadline(3, Critical, Instant::now()),
        Err(SendTimeoutError::Timeout(3))
    );
    assert_eq!(
        tx.try_send_with_priority(3, Critical),
        Err(TrySendError::Full(3))
    );
    // A blocked sender completes once a receive makes room, and its message
    // overtakes the older Low one.
    let sender = tx.clone();
    let blocked = thread::spawn(move || sender.send_with_priority(3, Critical));
    // Give it a moment to block; the test holds either way (a send that
    // has not blocked yet finds the room later).
    thread::sleep(Duration::from_millis(10));
    assert_eq!(rx.recv(), Ok(1));
    blocked.join().unwrap().unwrap();
    assert_eq!(rx.recv_with_priority(), Ok((3, Critical)));
    assert_eq!(rx.recv_with_priority(), Ok((2, Low)));
}

// ------------------------------------------------ timeouts and disconnect

#[test]
fn receive_timeouts_and_deadlines() {
    let (tx, rx) = PriorityUnbounded::new::<u8>();
    assert_eq!(
        rx.recv_with_priority_timeout(Duration::from_millis(10)),
        Err(RecvTimeoutError::Timeout)
    );
    assert_eq!(
        rx.recv_with_priority_deadline(Instant::now()),
        Err(RecvTimeoutError::Timeout)
    );
    assert_eq!(rx.try_recv_with_priority(), Err(TryRecvError::Empty));
    let late = tx.clone();
    let sender = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        late.send_with_priority(9, High).unwrap();
    });
    assert_eq!(
        rx.recv_with_priority_timeout(Duration::from_secs(30)),
        Ok((9, High))
    );
    sender.join().unwrap();
    // A huge timeout means no deadline.
    tx.send_with_priority(1, Low).unwrap();
    assert_eq!(rx.recv_with_priority_timeout(Duration::MAX), Ok((1, Low)));
}

#[test]
fn receivers_drain_then_see_the_disconnect() {
    let (tx, rx) = PriorityUnbounded::new();
    tx.send_with_priority(1, Low).unwrap();
    tx.send_with_priority(2, Critical).unwrap();
    drop(tx);
    assert_eq!(rx.recv_with_priority(), Ok((2, Critical)));
    assert_eq!(rx.recv(), Ok(1));
    assert_eq!(rx.recv_with_priority(), Err(may_channel::RecvError));
    assert_eq!(rx.try_recv_with_priority(), Err(TryRecvError::Disconnected));
    assert_eq!(
        rx.recv_with_priority_timeout(Duration::from_secs(1)),
        Err(RecvTimeoutError::Disconnected)
    );
}

#[test]
fn a_blocked_receiver_wakes_on_disconnect() {
    within(30, || {
        let (tx, rx) = PriorityBounded::<4>::new::<u8>();
        let waiting = thread::spawn(move || rx.recv_with_priority());
        thread::sleep(Duration::from_millis(10));
        drop(tx);
        assert_eq!(waiting.join().unwrap(), Err(may_channel::RecvError));
    });
}

#[test]
fn sends_fail_once_the_receivers_are_gone_and_queued_messages_drop_once() {
    let log = DropLog::new(6);
    let (tx, rx) = PriorityBounded::<8>::new::<Tracked>();
    for (id, level) in Priority::ALL.into_iter().enumerate() {
        tx.send_with_priority(log.item(id), level).unwrap();
    }
    drop(rx);
    assert_eq!(log.total(), 4);
    let refused = tx.send_with_priority(log.item(4), High).unwrap_err().0;
    assert_eq!(refused.id, 4);
    drop(refused);
    match tx.try_send_with_priority(log.item(5), Low) {
        Err(TrySendError::Disconnected(msg)) => assert_eq!(msg.id, 5),
        other => panic!(
            "expected Disconnected, got {:?}",
            other.map_err(|e| e.to_string())
        ),
    }
    log.assert_all_dropped_once();
}

#[test]
fn a_blocked_sender_wakes_on_disconnect() {
    within(30, || {
        let (tx, rx) = PriorityBounded::<1>::new::<u8>();
        tx.send_with_priority(1, Low).unwrap();
        let waiting = thread::spawn(move || tx.send_with_priority(2, High));
        thread::sleep(Duration::from_millis(10));
        drop(rx);
        assert_eq!(waiting.join().unwrap().unwrap_err().0, 2);
    });
}

// ------------------------------------------------------------ concurrency

/// `producers` send `per_producer` tracked messages each at pseudo-random
/// levels; `consumers` receive until disconnected. Every message must be
/// received exactly once, and each consumer must see each producer's
/// messages of one level in the order they were sent.
fn exactly_once<Q, const A: usize, B>(
    (tx, rx): Pair<Tracked, Channel<Prioritized<Q, A>, SpinThenPark, B>>,
    producers: usize,
    consumers: usize,
    per_producer: usize,
    runner: Runner,
) where
    Q: Prioritizable,
    B: HasSend,
    Channel<Prioritized<Q, A>, SpinThenPark, B>:
        Flavor<Queue = Prioritized<Q, A>, Metrics = NoMetrics>,
    Sender<Tracked, Channel<Prioritized<Q, A>, SpinThenPark, B>>: Send,
    Receiver<Tracked, Channel<Prioritized<Q, A>, SpinThenPark, B>>: Send,
{
    let total = producers * per_producer;
    let log = DropLog::new(total);
    let senders: Vec<_> = (0..producers)
        .map(|p| {
            let tx = tx.clone();
            let log = log.clone();
            runner.spawn(move || {
                let mut rng = fastrand::Rng::with_seed(p as u64);
                for i in 0..per_producer {
                    let level = Priority::from_index(rng.usize(0..4)).unwrap();
                    tx.send_with_priority(log.item(p * per_producer + i), level)
                        .unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let receivers: Vec<_> = (0..consumers)
        .map(|_| {
            let rx = rx.clone();
            runner.spawn(move || {
                let mut seen = Vec::new();
                // Last id seen per (producer, level): FIFO within a level.
                let mut last = vec![[None::<usize>; 4]; producers];
                while let Ok((msg, level)) = rx.recv_with_priority() {
                    let producer = msg.id / per_producer;
                    let slot = &mut last[producer][level.index()];
                    assert!(slot.is_none_or(|prev| prev < msg.id), "FIFO broken");
                    *slot = Some(msg.id);
                    seen.push(msg.id);
                }
                seen
            })
        })
        .collect();
    drop(rx);
    for sender in senders {
        sender.join();
    }
    let mut seen: Vec<usize> = receivers.into_iter().flat_map(Handle::join).collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..total).collect::<Vec<_>>());
    log.assert_all_dropped_once();
}

#[test]
fn unbounded_mpmc_threads_deliver_exactly_once() {
    within(60, || {
        exactly_once(PriorityUnbounded::new(), 4, 3, 2_000, Runner::Threads);
    });
}

#[test]
fn bounded_mpmc_threads_deliver_exactly_once() {
    within(60, || {
        exactly_once(PriorityBounded::<8>::new(), 4, 3, 2_000, Runner::Threads);
    });
}

#[test]
fn unbounded_mpmc_coroutines_deliver_exactly_once() {
    within(60, || {
        exactly_once(PriorityUnbounded::new(), 4, 3, 2_000, Runner::Coroutines);
    });
}

#[test]
fn bounded_mpmc_coroutines_deliver_exactly_once() {
    within(60, || {
        exactly_once(PriorityBounded::<4>::new(), 4, 3, 2_000, Runner::Coroutines);
    });
}

#[test]
fn aging_channel_delivers_exactly_once() {
    within(60, || {
        exactly_once(
            Channel::<Prioritized<Bounded<16>, 4>>::new(),
            3,
            2,
            2_000,
            Runner::Threads,
        );
    });
}

#[test]
fn drop_oldest_under_concurrency_drops_or_delivers_each_message_once() {
    within(60, || {
        let log = DropLog::new(8_000);
        let (tx, rx) = LatestPriority::<4>::new::<Tracked>();
        let senders: Vec<_> = (0..4)
            .map(|p| {
                let (tx, log) = (tx.clone(), log.clone());
                thread::spawn(move || {
                    for i in 0..2_000 {
                        let level = Priority::from_index((i + p) % 4).unwrap();
                        tx.send_with_priority(log.item(p * 2_000 + i), level)
                            .unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        let consumer = thread::spawn(move || rx.iter().count());
        for sender in senders {
            sender.join().unwrap();
        }
        let received = consumer.join().unwrap();
        assert!(received <= 8_000);
        log.assert_all_dropped_once();
    });
}

// ----------------------------------------------------------------- select

#[test]
fn select_receives_from_a_priority_channel_in_priority_order() {
    within(30, || {
        let (tx, rx) = PriorityBounded::<8>::new();
        let (_other_tx, other) = may_channel::unbounded::<u32>();
        tx.send_with_priority(1, Low).unwrap();
        tx.send_with_priority(2, Critical).unwrap();
        tx.send(3).unwrap();
        let mut got = Vec::new();
        for _ in 0..3 {
            select! {
                recv(rx) -> msg => got.push(msg.unwrap()),
                recv(other) -> _ => unreachable!("nothing was sent there"),
            }
        }
        assert_eq!(got, [2, 3, 1]);
        // A select waiting on the priority receiver is woken by a send.
        let late = tx.clone();
        let sender = thread::spawn(move || {
            thread::sleep(Duration::from_millis(10));
            late.send_with_priority(4, High).unwrap();
        });
        select! {
            recv(rx) -> msg => assert_eq!(msg, Ok(4)),
            recv(other) -> _ => unreachable!("nothing was sent there"),
        }
        sender.join().unwrap();
        // A send branch on a full priority channel waits for room.
        for i in 0..8 {
            tx.send(i).unwrap();
        }
        let ready = select! {
            send(tx, 99) -> _ => true,
            default => false,
        };
        assert!(!ready);
        assert_eq!(rx.recv(), Ok(0));
        select! {
            send(tx, 99) -> sent => sent.unwrap(),
        }
    });
}

// ---------------------------------------------------------------- builder

#[test]
fn the_builder_builds_the_aliases() {
    let (tx, rx): (
        Sender<u8, PriorityUnbounded>,
        Receiver<u8, PriorityUnbounded>,
    ) = ChannelBuilder::new().with_priorities().build().unwrap();
    tx.send_with_priority(1, High).unwrap();
    assert_eq!(rx.recv_with_priority(), Ok((1, High)));

    let (tx, rx): (
        Sender<u8, PriorityBounded<4>>,
        Receiver<u8, PriorityBounded<4>>,
    ) = ChannelBuilder::new()
        .bounded::<4>()
        .with_priorities()
        .build()
        .unwrap();
    assert_eq!(tx.capacity(), Some(4));
    drop(rx);

    type Dyn = Channel<Prioritized<DynBounded>, SpinThenPark, Block>;
    let (tx, rx): (Sender<u8, Dyn>, Receiver<u8, Dyn>) = ChannelBuilder::new()
        .capacity(3)
        .with_priorities()
        .build()
        .unwrap();
    assert_eq!(tx.capacity(), Some(3));
    for level in [Low, Normal, Critical] {
        tx.try_send_with_priority(level as u8, level).unwrap();
    }
    assert!(tx.is_full());
    assert_eq!(rx.try_recv_with_priority(), Ok((3, Critical)));
    assert_eq!(
        ChannelBuilder::new()
            .capacity(0)
            .with_priorities()
            .build::<u8>()
            .unwrap_err(),
        may_channel::BuildError::ZeroCapacity
    );
}

#[test]
fn len_counts_every_level() {
    let (tx, rx) = PriorityUnbounded::new();
    for (i, level) in Priority::ALL.into_iter().enumerate() {
        for _ in 0..=i {
            tx.send_with_priority(level, level).unwrap();
        }
    }
    assert_eq!(tx.len(), 10);
    assert_eq!(Priority::ALL.map(|level| rx.len_at(level)), [1, 2, 3, 4]);
    assert_eq!(rx.recv(), Ok(Critical));
    assert_eq!(rx.len_at(Critical), 3);
}

#[test]
fn levels_are_ordered_and_indexed() {
    assert!(Low < Normal && Normal < High && High < Critical);
    assert_eq!(Priority::default(), Normal);
    for (i, level) in Priority::ALL.into_iter().enumerate() {
        assert_eq!(level.index(), i);
        assert_eq!(Priority::from_index(i), Some(level));
    }
    assert_eq!(Priority::from_index(4), None);
}
