//! Zero-copy slot lending: guards across threads and coroutines, panics
//! inside a guard's scope, recycling, by-value interplay, disconnect, and
//! nothing lost or dropped twice.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{DropLog, Runner, Tracked, await_cond, wait_until, within};
use may_channel::backpressure::{Block, Reject};
use may_channel::metrics::{Counters, NoMetrics};
use may_channel::queue::Slots;
use may_channel::wait::SpinThenPark;
use may_channel::zerocopy::Recycle;
use may_channel::{
    Channel, RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
    select,
};

type Frames = Channel<Slots<4>, SpinThenPark, Block, Counters>;

#[test]
fn buffers_are_reused_without_reallocating() {
    let (tx, rx) = Frames::new::<Vec<u8>>();
    let mut capacities = Vec::new();
    for round in 0..20u8 {
        {
            let mut frame = tx.send_ref().unwrap();
            assert!(frame.is_empty(), "a lent slot arrives recycled");
            frame.extend(std::iter::repeat_n(round, 1000));
        }
        let frame = rx.recv_ref().unwrap();
        assert_eq!(frame.len(), 1000);
        assert!(frame.iter().all(|&b| b == round));
        capacities.push(frame.capacity());
    }
    // After the first lap through the 4 slots, no slot ever grows again.
    assert!(capacities[4..].iter().all(|&c| c == capacities[4]));
    let metrics = tx.metrics();
    assert_eq!((metrics.sent, metrics.received), (20, 20));
}

#[test]
fn by_value_and_by_reference_mix_in_order() {
    let (tx, rx) = Frames::new::<String>();
    tx.send("by value".to_string()).unwrap();
    tx.send_ref().unwrap().push_str("by reference");
    tx.send("again by value".to_string()).unwrap();
    assert_eq!(*rx.recv_ref().unwrap(), "by value");
    assert_eq!(rx.recv().unwrap(), "by reference");
    assert_eq!(*rx.try_recv_ref().unwrap(), "again by value");
    assert!(matches!(rx.try_recv_ref(), Err(TryRecvError::Empty)));
}

/// A slot lent to a live `SendRef` takes room but is not a message yet:
/// `len` and `is_empty` leave it out, `is_full` counts it.
#[test]
fn a_lent_slot_takes_room_but_is_not_queued() {
    type Pair = Channel<Slots<2>, SpinThenPark, Reject>;
    let (tx, rx) = Pair::new::<Vec<u32>>();
    tx.try_send(vec![1]).unwrap();
    let mut lent = tx.try_send_ref().unwrap();
    lent.push(2);
    assert_eq!((tx.len(), rx.len()), (1, 1));
    assert!(tx.is_full());
    assert_eq!(rx.try_recv().unwrap(), [1]);
    assert_eq!(rx.len(), 0);
    assert!(rx.is_empty());
    assert!(!rx.is_full());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    drop(lent);
    assert_eq!(rx.len(), 1);
    assert_eq!(rx.try_recv().unwrap(), [2]);
    assert!(rx.is_empty());
}

#[test]
fn a_full_ring_refuses_or_waits() {
    type Strict = Channel<Slots<2>, SpinThenPark, Reject>;
    let (tx, rx) = Strict::new::<Vec<u32>>();
    tx.try_send_ref().unwrap().push(1);
    tx.try_send_ref().unwrap().push(2);
    assert!(matches!(tx.try_send_ref(), Err(TrySendError::Full(()))));
    assert_eq!(*rx.recv_ref().unwrap(), [1]);
    tx.try_send_ref().unwrap().push(3);
    drop(rx);
    assert!(matches!(
        tx.try_send_ref(),
        Err(TrySendError::Disconnected(()))
    ));

    let (tx, rx) = Frames::new::<Vec<u32>>();
    for i in 0..4 {
        tx.send_ref().unwrap().push(i);
    }
    assert!(matches!(
        tx.send_ref_timeout(Duration::from_millis(5)),
        Err(SendTimeoutError::Timeout(()))
    ));
    drop(rx);
}

#[test]
fn a_blocked_send_ref_is_woken_in_threads_and_coroutines() {
    within(30, || {
        let (tx, rx) = Frames::new::<Vec<u32>>();
        for i in 0..4 {
            tx.send_ref().unwrap().push(i);
        }
        let tx_thread = tx.clone();
        let in_thread =
            std::thread::spawn(move || tx_thread.send_ref().map(|mut slot| slot.push(10)).is_ok());
        let tx_co = tx.clone();
        let in_coroutine = may::go!(move || tx_co.send_ref().map(|mut slot| slot.push(11)).is_ok());
        wait_until(20, "both senders park", || {
            tx.metrics().blocked_senders == 2
        });
        let mut got: Vec<u32> = (0..6).map(|_| rx.recv_ref().unwrap()[0]).collect();
        assert!(in_thread.join().unwrap() && in_coroutine.join().unwrap());
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2, 3, 10, 11]);
    });
}

#[test]
fn guards_travel_to_other_threads_and_coroutines() {
    within(30, || {
        let (tx, rx) = Frames::new::<Vec<u8>>();
        std::thread::scope(|scope| {
            let mut slot = tx.send_ref().unwrap();
            slot.push(1);
            scope.spawn(move || {
                slot.push(2); // finished and published on another thread
            });
        });
        let received = rx.recv_ref().unwrap();
        std::thread::scope(|scope| {
            scope.spawn(move || assert_eq!(*received, [1, 2]));
        });
        // Coroutines: producer and consumer exchange 200 buffers by reference.
        let (tx, rx) = Frames::new::<Vec<u64>>();
        let producer = may::go!(move || {
            for i in 0..200u64 {
                tx.send_ref().unwrap().extend([i, i * 2]);
            }
        });
        let consumer = may::go!(move || {
            let mut sum = 0;
            while let Ok(slot) = rx.recv_ref() {
                sum += slot[0] + slot[1];
            }
            sum
        });
        producer.join().unwrap();
        assert_eq!(
            consumer.join().unwrap(),
            (0..200u64).map(|i| 3 * i).sum::<u64>()
        );
    });
}

#[test]
fn a_panic_inside_a_send_guard_publishes_the_slot() {
    let (tx, rx) = Frames::new::<Vec<u8>>();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut slot = tx.send_ref().unwrap();
        slot.push(7);
        panic!("producer failed halfway");
    }));
    assert!(result.is_err());
    assert_eq!(*rx.recv_ref().unwrap(), [7], "published as written so far");
    // The channel keeps working.
    tx.send_ref().unwrap().push(8);
    assert_eq!(rx.recv().unwrap(), [8]);
}

#[test]
fn a_panic_inside_a_receive_guard_returns_the_slot() {
    let (tx, rx) = Channel::<Slots<1>>::new::<Vec<u8>>();
    tx.send_ref().unwrap().push(1);
    let result = catch_unwind(AssertUnwindSafe(|| {
        let slot = rx.recv_ref().unwrap();
        assert_eq!(*slot, [1]);
        panic!("consumer failed halfway");
    }));
    assert!(result.is_err());
    // The only slot came back recycled, so a sender can use it again.
    let mut slot = tx.try_send_ref().expect("the slot was returned");
    assert!(slot.is_empty());
    slot.push(2);
    drop(slot);
    assert_eq!(rx.recv().unwrap(), [2]);
}

#[test]
fn a_cancelled_coroutine_holding_a_guard_finishes_it() {
    within(30, || {
        let (tx, rx) = Frames::new::<Vec<u8>>();
        let (tx_gate, rx_gate) = may_channel::unbounded::<()>();
        let holder = may::go!(move || {
            let mut slot = tx.send_ref().unwrap();
            slot.push(5);
            let _ = rx_gate.recv(); // parks, holding the slot, until cancelled
        });
        std::thread::sleep(Duration::from_millis(20));
        // SAFETY: the coroutine is parked in `recv`; the guard's drop runs as
        // it unwinds.
        unsafe { holder.coroutine().cancel() };
        assert!(holder.join().is_err());
        drop(tx_gate);
        assert_eq!(*rx.recv_ref().unwrap(), [5]);
        assert_eq!(rx.recv_ref().err(), Some(RecvError));
    });
}

/// Counts live values, to show every value the ring ever held is dropped
/// exactly once.
#[derive(Default)]
struct Live(Option<Arc<AtomicUsize>>);

impl Live {
    fn new(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Live(Some(Arc::clone(counter)))
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        if let Some(counter) = &self.0 {
            counter.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Recycle for Live {
    fn recycle(&mut self) {
        // Recycling releases what the message held.
        *self = Live(None);
    }
}

#[test]
fn every_value_is_dropped_exactly_once() {
    let live = Arc::new(AtomicUsize::new(0));
    {
        let (tx, rx) = Channel::<Slots<3>, SpinThenPark, Block, NoMetrics>::new::<Live>();
        tx.send(Live::new(&live)).unwrap();
        *tx.send_ref().unwrap() = Live::new(&live);
        tx.send(Live::new(&live)).unwrap();
        assert_eq!(live.load(Ordering::SeqCst), 3);
        drop(rx.recv().unwrap()); // by value: dropped by us
        drop(rx.recv_ref().unwrap()); // by reference: recycled in the ring
        assert_eq!(live.load(Ordering::SeqCst), 1);
        // One left queued: dropped with the last receiver.
        drop(rx);
        assert_eq!(live.load(Ordering::SeqCst), 0);
        assert!(tx.send(Live::new(&live)).is_err());
    }
    assert_eq!(live.load(Ordering::SeqCst), 0);
}

#[test]
fn receivers_drain_then_see_disconnected() {
    let (tx, rx) = Frames::new::<Vec<u8>>();
    tx.send_ref().unwrap().push(1);
    drop(tx);
    assert_eq!(*rx.recv_ref().unwrap(), [1]);
    assert!(matches!(rx.try_recv_ref(), Err(TryRecvError::Disconnected)));
    assert!(matches!(
        rx.recv_ref_timeout(Duration::from_millis(5)),
        Err(RecvTimeoutError::Disconnected)
    ));
    let (tx, rx) = Frames::new::<Vec<u8>>();
    drop(rx);
    assert!(matches!(tx.send_ref(), Err(SendError(()))));
}

#[test]
fn many_producers_and_consumers_by_reference() {
    within(60, || {
        const EACH: u64 = 2_000;
        let (tx, rx) = Frames::new::<Vec<u64>>();
        let producers: Vec<_> = (0..3u64)
            .map(|p| {
                let tx = tx.clone();
                may::go!(move || {
                    for i in 0..EACH {
                        tx.send_ref().unwrap().push(p * EACH + i);
                    }
                })
            })
            .collect();
        drop(tx);
        let consumers: Vec<_> = (0..3)
            .map(|c| {
                let rx = rx.clone();
                let body = move || {
                    let mut got = Vec::new();
                    while let Ok(slot) = rx.recv_ref() {
                        got.push(slot[0]);
                    }
                    got
                };
                if c == 0 {
                    let handle = std::thread::spawn(body);
                    Box::new(move || handle.join().unwrap()) as Box<dyn FnOnce() -> Vec<u64> + Send>
                } else {
                    let handle = may::go!(body);
                    Box::new(move || handle.join().unwrap())
                }
            })
            .collect();
        drop(rx);
        for p in producers {
            p.join().unwrap();
        }
        let mut all: Vec<u64> = consumers.into_iter().flat_map(|c| c()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..3 * EACH).collect::<Vec<_>>());
    });
}

#[test]
fn guards_outstanding_when_the_other_side_goes() {
    let live = Arc::new(AtomicUsize::new(0));
    {
        let (tx, rx) = Channel::<Slots<1>, SpinThenPark, Block, NoMetrics>::new::<Live>();
        let mut slot = tx.send_ref().unwrap();
        *slot = Live::new(&live);
        drop(rx); // the receivers go while the sender still holds its slot
        drop(slot); // published into a channel with no receiver left
        assert_eq!(
            live.load(Ordering::SeqCst),
            0,
            "dropped as it lands: nobody can receive it"
        );
        assert!(tx.send(Live::default()).is_err());
    }
    assert_eq!(
        live.load(Ordering::SeqCst),
        0,
        "dropped exactly once with the channel"
    );

    let (tx, rx) = Channel::<Slots<1>, SpinThenPark, Block, NoMetrics>::new::<Live>();
    *tx.send_ref().unwrap() = Live::new(&live);
    let slot = rx.recv_ref().unwrap();
    drop(tx); // the senders go while the receiver holds its slot
    drop(slot);
    assert!(matches!(rx.try_recv_ref(), Err(TryRecvError::Disconnected)));
    assert_eq!(live.load(Ordering::SeqCst), 0, "recycled on return");
}

// ------------------------------------------------ close with a live guard

/// A `SendRef` taken before `close` is a send in flight: while it lives the
/// channel is empty, not disconnected, for every kind of receive; its
/// message is received once the guard drops, and only then is the channel
/// drained. New guards are refused after the close.
#[test]
fn close_waits_for_a_live_send_ref() {
    let log = DropLog::new(2);
    let (tx, rx) = Frames::new::<Option<Tracked>>();
    let mut slot = tx.send_ref().unwrap();
    *slot = Some(log.item(0));
    assert!(rx.close());
    assert!(matches!(
        tx.try_send_ref(),
        Err(TrySendError::Disconnected(()))
    ));
    assert!(matches!(tx.send_ref(), Err(SendError(()))));
    assert!(matches!(
        tx.send_ref_timeout(Duration::from_millis(1)),
        Err(SendTimeoutError::Disconnected(()))
    ));
    assert!(matches!(rx.try_recv(), Err(TryRecvError::Empty)));
    assert!(matches!(rx.try_recv_ref(), Err(TryRecvError::Empty)));
    assert!(matches!(
        rx.recv_timeout(Duration::from_millis(1)),
        Err(RecvTimeoutError::Timeout)
    ));
    assert!(matches!(
        rx.recv_ref_timeout(Duration::from_millis(1)),
        Err(RecvTimeoutError::Timeout)
    ));
    drop(slot); // published now
    let message = rx.recv().unwrap().expect("the guard's message");
    assert_eq!(message.id, 0);
    assert_eq!(log.drops_of(0), 0, "received, not dropped by the channel");
    drop(message);
    assert!(matches!(rx.recv(), Err(RecvError)));
    assert!(matches!(rx.try_recv_ref(), Err(TryRecvError::Disconnected)));

    // The same through the zero-copy receive, closed from the sender side.
    let (tx, rx) = Frames::new::<Option<Tracked>>();
    let mut slot = tx.send_ref().unwrap();
    *slot = Some(log.item(1));
    assert!(tx.close());
    assert!(matches!(rx.try_recv_ref(), Err(TryRecvError::Empty)));
    drop(slot);
    assert_eq!(rx.recv_ref().unwrap().as_ref().map(|m| m.id), Some(1));
    assert!(matches!(rx.recv_ref(), Err(RecvError)));
    assert_eq!(log.drops_of(1), 1, "recycled (set to None) on return");
    drop((tx, rx));
    log.assert_all_dropped_once();
}

/// A receiver blocked in `recv` (or in a select's receive branch) before
/// the close stays blocked across it while a `SendRef` is live, is woken by
/// the guard's drop and receives its message; then the channel reports
/// `Disconnected`. The test waits until the close has woken the receiver
/// and it has parked again (or ended, which fails it) before dropping the
/// guard, so without the fix it fails every time.
fn a_blocked_receiver_gets_a_send_ref_published_after_close(runner: Runner, via_select: bool) {
    let log = DropLog::new(1);
    let (tx, rx) = Frames::new::<Option<Tracked>>();
    let ended = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut slot = tx.send_ref().unwrap();
    *slot = Some(log.item(0));
    let receiver = {
        let rx = rx.clone();
        let ended = Arc::clone(&ended);
        runner.spawn(move || {
            let got = if via_select {
                select! {
                    recv(rx) -> message => message,
                }
            } else {
                rx.recv()
            };
            ended.store(true, Ordering::SeqCst);
            got.map(|message| message.expect("the guard's message").id)
        })
    };
    await_cond("the receiver parks", || tx.metrics().blocked_receivers == 1);
    assert!(rx.close());
    // The first park ended (its time is counted when it ends) and the
    // receiver parked again, or it ended.
    await_cond("the receiver parks again after the close", || {
        let metrics = tx.metrics();
        ended.load(Ordering::SeqCst)
            || (metrics.recv_blocked_time > Duration::ZERO && metrics.blocked_receivers == 1)
    });
    assert!(
        !ended.load(Ordering::SeqCst),
        "the receiver ended while a guard taken before the close was live: {:?}",
        receiver.join()
    );
    drop(slot);
    assert_eq!(receiver.join(), Ok(0));
    assert!(matches!(rx.recv(), Err(RecvError)));
    assert_eq!(tx.metrics().blocked_receivers, 0);
    log.assert_all_dropped_once();
}

/// Two receivers blocked across the close, one guard: the guard's drop wakes
/// both; one receives the message and the other sees the channel drained
/// (a single wake-up would leave it parked for good).
fn every_blocked_receiver_wakes_when_the_last_guard_lands(runner: Runner) {
    let (tx, rx) = Frames::new::<Vec<u8>>();
    let mut slot = tx.send_ref().unwrap();
    slot.push(9);
    let spawn_receiver = || {
        let rx = rx.clone();
        runner.spawn(move || rx.recv().map(|message| message[0]))
    };
    let first = spawn_receiver();
    await_cond("the first receiver parks", || {
        tx.metrics().blocked_receivers == 1
    });
    assert!(tx.close());
    await_cond("the first receiver parks again after the close", || {
        let metrics = tx.metrics();
        metrics.recv_blocked_time > Duration::ZERO && metrics.blocked_receivers == 1
    });
    let second = spawn_receiver(); // finds the channel closed, the slot lent
    await_cond("both receivers park", || {
        tx.metrics().blocked_receivers == 2
    });
    drop(slot);
    match (first.join(), second.join()) {
        (Ok(9), Err(RecvError)) | (Err(RecvError), Ok(9)) => {}
        outcomes => panic!("one message, one disconnect expected: {outcomes:?}"),
    }
}

#[test]
fn close_with_a_live_send_ref_in_threads() {
    within(60, || {
        a_blocked_receiver_gets_a_send_ref_published_after_close(Runner::Threads, false);
        every_blocked_receiver_wakes_when_the_last_guard_lands(Runner::Threads);
    });
}

#[test]
fn close_with_a_live_send_ref_in_coroutines() {
    within(60, || {
        a_blocked_receiver_gets_a_send_ref_published_after_close(Runner::Coroutines, false);
        every_blocked_receiver_wakes_when_the_last_guard_lands(Runner::Coroutines);
    });
}

#[test]
fn close_with_a_live_send_ref_wakes_a_select() {
    within(60, || {
        a_blocked_receiver_gets_a_send_ref_published_after_close(Runner::Threads, true);
        a_blocked_receiver_gets_a_send_ref_published_after_close(Runner::Coroutines, true);
    });
}

/// A select on a `Slots` channel whose head slot is lent parks (no close
/// involved): on one may worker a select that retried instead would hold
/// the worker, and the coroutine that drops the guard would never run.
fn a_select_parks_behind_a_lent_head() {
    let (tx, rx) = Frames::new::<Vec<u8>>();
    let mut slot = tx.send_ref().unwrap();
    let selecting = may::go!(move || {
        select! {
            recv(rx) -> message => message,
        }
    });
    common::keep_alive(selecting.coroutine());
    await_cond("the select parks", || tx.metrics().blocked_receivers == 1);
    slot.push(3);
    drop(slot);
    assert_eq!(selecting.join().unwrap(), Ok(vec![3]));
}

/// Tells a child process which test to run for real.
const CHILD_ENV: &str = "MAY_CHANNEL_ZEROCOPY_ONE_WORKER_CHILD";

#[test]
fn close_with_a_live_send_ref_on_one_worker() {
    // Every coroutine shares the one worker: a receiver or select that
    // waited for the guard by retrying instead of parking would starve the
    // root coroutine, which drops the guard. (`Runner::Coroutines`'
    // `init_may` asks for two workers, but may reads the setting only when
    // its scheduler starts, which the root coroutine did with one.)
    common::on_one_worker(CHILD_ENV, || {
        a_blocked_receiver_gets_a_send_ref_published_after_close(Runner::Coroutines, false);
        a_blocked_receiver_gets_a_send_ref_published_after_close(Runner::Coroutines, true);
        every_blocked_receiver_wakes_when_the_last_guard_lands(Runner::Coroutines);
        a_select_parks_behind_a_lent_head();
    });
}

mod model {
    use std::collections::VecDeque;

    use proptest::prelude::*;

    use super::*;

    #[derive(Clone, Debug)]
    enum Op {
        SendRef(u8),
        SendValue(u8),
        RecvRef,
        RecvValue,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            any::<u8>().prop_map(Op::SendRef),
            any::<u8>().prop_map(Op::SendValue),
            Just(Op::RecvRef),
            Just(Op::RecvValue),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// By-reference and by-value operations on a ring of 3 slots against a
        /// `VecDeque` of capacity 3.
        #[test]
        fn slots_match_a_bounded_fifo(ops in proptest::collection::vec(op(), 1..100)) {
            type Ring = Channel<Slots<3>, SpinThenPark, Reject>;
            let (tx, rx) = Ring::new::<Vec<u8>>();
            let mut model: VecDeque<Vec<u8>> = VecDeque::new();
            for op in ops {
                match op {
                    Op::SendRef(byte) => match tx.try_send_ref() {
                        Ok(mut slot) => {
                            prop_assert!(model.len() < 3);
                            prop_assert!(slot.is_empty());
                            slot.push(byte);
                            model.push_back(vec![byte]);
                        }
                        Err(err) => {
                            prop_assert_eq!(model.len(), 3);
                            prop_assert!(err.is_full());
                        }
                    },
                    Op::SendValue(byte) => match tx.try_send(vec![byte, byte]) {
                        Ok(()) => model.push_back(vec![byte, byte]),
                        Err(err) => {
                            prop_assert_eq!(model.len(), 3);
                            prop_assert_eq!(err.into_inner(), vec![byte, byte]);
                        }
                    },
                    Op::RecvRef => match rx.try_recv_ref() {
                        Ok(slot) => {
                            let expected = model.pop_front();
                            prop_assert_eq!(Some(&*slot), expected.as_ref());
                        }
                        Err(_) => prop_assert!(model.is_empty()),
                    },
                    Op::RecvValue => prop_assert_eq!(rx.try_recv().ok(), model.pop_front()),
                }
                prop_assert_eq!(rx.len(), model.len());
            }
        }
    }
}
