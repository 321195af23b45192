//! The single-producer, single-consumer handles (`may_channel::spsc`): FIFO
//! in threads and coroutines (on one may worker too), blocking that parks,
//! timeouts, close and disconnect that lose nothing, drops exactly once, and
//! the same queue behind the ordinary cloneable handles.

mod common;

use std::time::{Duration, Instant};

use common::{DropLog, Runner, on_one_worker, within};
use may_channel::backpressure::Unlimited;
use may_channel::metrics::Counters;
use may_channel::queue::{SPSC_SEGMENT_ITEMS, Spsc, spsc_segment_bytes};
use may_channel::wait::{Park, Spin, SpinThenPark};
use may_channel::{
    Channel, RecvError, RecvTimeoutError, SendError, TryRecvError, TrySendError, spsc,
};
use static_assertions::{assert_impl_all, assert_not_impl_any};

// One producer, one consumer: the handles move, but neither clones nor is
// shared.
assert_impl_all!(spsc::Sender<u32>: Send);
assert_impl_all!(spsc::Receiver<u32>: Send);
assert_not_impl_any!(spsc::Sender<u32>: Sync, Clone);
assert_not_impl_any!(spsc::Receiver<u32>: Sync, Clone);

const COUNT: usize = 100_000;

/// `COUNT` messages from a producer task to a consumer task, in order.
fn stream(producer_on: Runner, consumer_on: Runner) {
    within(60, move || {
        let (tx, rx) = spsc::channel::<usize>();
        let producer = producer_on.spawn(move || {
            for i in 0..COUNT {
                tx.send(i).unwrap();
            }
        });
        let consumer = consumer_on.spawn(move || {
            for i in 0..COUNT {
                assert_eq!(rx.recv(), Ok(i));
            }
            assert_eq!(rx.recv(), Err(RecvError), "the sender is gone");
        });
        producer.join();
        consumer.join();
    });
}

#[test]
fn fifo_between_threads() {
    stream(Runner::Threads, Runner::Threads);
}

#[test]
fn fifo_between_coroutines() {
    stream(Runner::Coroutines, Runner::Coroutines);
}

#[test]
fn fifo_from_a_thread_to_a_coroutine_and_back() {
    stream(Runner::Threads, Runner::Coroutines);
    stream(Runner::Coroutines, Runner::Threads);
}

#[test]
fn other_wait_strategies_and_a_sink() {
    within(60, || {
        type Spinning = Channel<Spsc, Spin>;
        type Counted = Channel<Spsc, Park, Unlimited, Counters>;
        let (tx, rx) = spsc::channel_of::<usize, Spinning>();
        let producer = Runner::Threads.spawn(move || (0..COUNT).for_each(|i| tx.send(i).unwrap()));
        assert_eq!(rx.iter().sum::<usize>(), COUNT * (COUNT - 1) / 2);
        producer.join();

        let (tx, rx) = spsc::channel_of::<usize, Counted>();
        let producer =
            Runner::Coroutines.spawn(move || (0..COUNT).for_each(|i| tx.send(i).unwrap()));
        assert_eq!(rx.into_iter().count(), COUNT);
        producer.join();
    });
    let (tx, rx) = spsc::channel_of::<u8, Channel<Spsc, Park, Unlimited, Counters>>();
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    assert_eq!(rx.try_recv(), Ok(1));
    let metrics = tx.metrics();
    assert_eq!(
        (
            metrics.sent,
            metrics.received,
            metrics.len,
            metrics.peak_len
        ),
        (2, 1, 1, 2)
    );
}

#[test]
fn a_blocked_receiver_is_woken_in_threads_and_coroutines() {
    for runner in [Runner::Threads, Runner::Coroutines] {
        within(30, move || {
            let (tx, rx) = spsc::channel::<u32>();
            let (ready_tx, ready_rx) = spsc::channel::<()>();
            let consumer = runner.spawn(move || {
                ready_tx.send(()).unwrap();
                rx.recv()
            });
            ready_rx.recv().unwrap();
            // Give the consumer time to park (it must be woken, not find
            // the message on its first try).
            std::thread::sleep(Duration::from_millis(20));
            tx.send(7).unwrap();
            assert_eq!(consumer.join(), Ok(7));
        });
    }
}

#[test]
fn timeouts_leave_nothing_behind() {
    let (tx, rx) = spsc::channel::<u32>();
    let start = Instant::now();
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(20)),
        Err(RecvTimeoutError::Timeout)
    );
    assert!(start.elapsed() >= Duration::from_millis(20));
    assert_eq!(
        rx.recv_deadline(Instant::now() - Duration::from_millis(1)),
        Err(RecvTimeoutError::Timeout),
        "a deadline already past makes one attempt"
    );
    tx.send(5).unwrap();
    assert_eq!(
        rx.recv_deadline(Instant::now() - Duration::from_millis(1)),
        Ok(5)
    );
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)),
        Err(RecvTimeoutError::Disconnected)
    );
}

#[test]
fn close_refuses_sends_hands_them_back_and_drains() {
    let (tx, rx) = spsc::channel::<String>();
    tx.send("a".into()).unwrap();
    tx.send("b".into()).unwrap();
    assert!(rx.close());
    assert!(!tx.close());
    assert!(tx.is_closed() && rx.is_disconnected());
    assert_eq!(tx.send("c".into()), Err(SendError("c".to_string())));
    assert_eq!(
        tx.try_send("d".into()),
        Err(TrySendError::Disconnected("d".to_string()))
    );
    assert_eq!(rx.iter().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(rx.recv(), Err(RecvError));
}

#[test]
fn a_receiver_gone_refuses_sends_and_drops_the_queue_once() {
    let log = DropLog::new(3 * SPSC_SEGMENT_ITEMS + 1);
    let (tx, rx) = spsc::channel();
    for id in 0..3 * SPSC_SEGMENT_ITEMS {
        tx.send(log.item(id)).unwrap();
    }
    drop(rx.recv().unwrap());
    drop(rx);
    assert_eq!(
        log.total(),
        3 * SPSC_SEGMENT_ITEMS,
        "the queue dropped at once"
    );
    let refused = tx.send(log.item(3 * SPSC_SEGMENT_ITEMS)).unwrap_err();
    assert_eq!(
        log.total(),
        3 * SPSC_SEGMENT_ITEMS,
        "handed back, not dropped"
    );
    drop(refused);
    drop(tx);
    log.assert_all_dropped_once();
}

/// Both handles of an spsc channel of flavour `F`.
type Ends<F> = (
    spsc::Sender<common::Tracked, F>,
    spsc::Receiver<common::Tracked, F>,
);

/// A close racing a producer: every message is received or handed back,
/// once; the received ones are a prefix, in order.
fn close_race<F: spsc::SpscFlavor>(open: fn() -> Ends<F>)
where
    F::Backpressure: may_channel::backpressure::HasSend,
    spsc::Sender<common::Tracked, F>: Send,
    spsc::Receiver<common::Tracked, F>: Send,
{
    for runner in [Runner::Threads, Runner::Coroutines] {
        within(60, move || {
            let log = DropLog::new(COUNT);
            let (tx, rx) = open();
            let producer = {
                let log = log.clone();
                runner.spawn(move || {
                    let mut refused = Vec::new();
                    for id in 0..COUNT {
                        if let Err(SendError(item)) = tx.send(log.item(id)) {
                            refused.push(item);
                        }
                    }
                    refused
                })
            };
            let mut received: Vec<common::Tracked> = rx.iter().take(COUNT / 10).collect();
            rx.close();
            received.extend(rx.iter());
            let refused = producer.join();
            assert_eq!(
                received.len() + refused.len(),
                COUNT,
                "each message received or refused"
            );
            assert!(
                received.iter().map(|t| t.id).eq(0..received.len()),
                "the received ones are a prefix, in order"
            );
            assert!(refused.iter().map(|t| t.id).eq(received.len()..COUNT));
            drop((received, refused));
            log.assert_all_dropped_once();
        });
    }
}

#[test]
fn a_close_racing_a_stream_loses_nothing() {
    close_race(spsc::channel);
}

#[test]
fn memory_follows_the_length() {
    let (tx, rx) = spsc::channel::<u64>();
    let one = spsc_segment_bytes::<u64>();
    assert_eq!(tx.allocated_bytes(), Some(one));
    for i in 0..100_000 {
        tx.send(i).unwrap();
    }
    assert!(tx.allocated_bytes().unwrap() >= 100_000 * 8);
    while rx.try_recv().is_ok() {}
    assert_eq!(
        rx.allocated_bytes(),
        Some(2 * one),
        "the segment in use and one spare"
    );
    assert_eq!((tx.len(), rx.is_empty(), rx.capacity()), (0, true, None));
}

#[test]
fn the_queue_behind_cloneable_handles_takes_turns() {
    within(60, || {
        let (tx, rx) = Channel::<Spsc>::new::<(usize, usize)>();
        let producers: Vec<_> = (0..3)
            .map(|p| {
                let tx = tx.clone();
                let runner = if p % 2 == 0 {
                    Runner::Threads
                } else {
                    Runner::Coroutines
                };
                runner.spawn(move || (0..COUNT / 10).for_each(|i| tx.send((p, i)).unwrap()))
            })
            .collect();
        drop(tx);
        let consumers: Vec<_> = (0..2)
            .map(|c| {
                let rx = rx.clone();
                let runner = if c == 0 {
                    Runner::Threads
                } else {
                    Runner::Coroutines
                };
                runner.spawn(move || {
                    let mut last = [None; 3];
                    let mut count = 0;
                    for (p, i) in rx.iter() {
                        assert!(
                            last[p].is_none_or(|prev: usize| prev < i),
                            "per-producer order"
                        );
                        last[p] = Some(i);
                        count += 1;
                    }
                    count
                })
            })
            .collect();
        drop(rx);
        producers.into_iter().for_each(|p| p.join());
        let total: usize = consumers.into_iter().map(|c| c.join()).sum();
        assert_eq!(total, 3 * (COUNT / 10));
    });
}

/// `select!` over an spsc receiver and an MPMC one: each message is taken
/// by exactly one branch, the rest stay queued; a send branch on an spsc
/// sender delivers once.
#[test]
fn select_takes_spsc_handles_exactly_once() {
    use may_channel::{select, select_priority};

    let (fast_tx, fast_rx) = spsc::channel::<usize>();
    let (slow_tx, slow_rx) = may_channel::unbounded::<usize>();
    for i in 0..100 {
        fast_tx.send(i).unwrap();
        slow_tx.send(1000 + i).unwrap();
    }
    let mut got = Vec::new();
    for _ in 0..150 {
        select! {
            recv(fast_rx) -> msg => got.push(msg.unwrap()),
            recv(slow_rx) -> msg => got.push(msg.unwrap()),
        }
    }
    assert_eq!(fast_rx.len() + slow_rx.len(), 50, "the others stay queued");
    got.extend(fast_rx.try_iter());
    got.extend(slow_rx.try_iter());
    got.sort_unstable();
    let want: Vec<usize> = (0..100).chain(1000..1100).collect();
    assert_eq!(got, want, "each message exactly once");

    // The run-time select takes them too.
    let (spsc_tx, spsc_rx) = spsc::channel::<usize>();
    let (mpmc_tx, mpmc_rx) = may_channel::unbounded::<usize>();
    spsc_tx.send(1).unwrap();
    mpmc_tx.send(2).unwrap();
    let mut dynamic = may_channel::select::Select::new();
    let from_spsc = dynamic.recv(&spsc_rx);
    let from_mpmc = dynamic.recv(&mpmc_rx);
    let mut taken = [dynamic.select(), dynamic.select()];
    taken.sort_unstable_by_key(|(index, _)| *index);
    assert_eq!(taken, [(from_spsc, Ok(1)), (from_mpmc, Ok(2))]);
    assert!(dynamic.try_select().is_err(), "nothing left, nothing lost");

    // A send branch, and a blocking select woken by the spsc sender.
    let (tx, rx) = spsc::channel::<u32>();
    select_priority! {
        send(tx, 7) -> res => assert_eq!(res, Ok(())),
        default => unreachable!("an unbounded channel has room"),
    }
    assert_eq!(rx.try_recv(), Ok(7));
    for runner in [Runner::Threads, Runner::Coroutines] {
        within(30, move || {
            let (tx, rx) = spsc::channel::<u32>();
            let (_idle_tx, idle_rx) = may_channel::unbounded::<u32>();
            let waiter = runner.spawn(move || {
                select! {
                    recv(rx) -> msg => msg,
                    recv(idle_rx) -> _ => unreachable!("nothing is sent there"),
                }
            });
            std::thread::sleep(Duration::from_millis(20));
            tx.send(9).unwrap();
            assert_eq!(waiter.join(), Ok(9));
        });
    }
}

// ------------------------------------------------------------ bounded

/// `COUNT` messages through a ring of 4 slots: the producer waits for room
/// again and again, in threads and in coroutines.
#[test]
fn bounded_fifo_with_a_blocked_producer() {
    for (producer_on, consumer_on) in [
        (Runner::Threads, Runner::Threads),
        (Runner::Coroutines, Runner::Coroutines),
        (Runner::Threads, Runner::Coroutines),
    ] {
        within(60, move || {
            let (tx, rx) = spsc::bounded::<usize, 4>();
            assert_eq!(tx.capacity(), Some(4));
            let producer = producer_on.spawn(move || {
                for i in 0..COUNT / 4 {
                    tx.send(i).unwrap();
                }
            });
            let consumer = consumer_on.spawn(move || {
                for i in 0..COUNT / 4 {
                    assert_eq!(rx.recv(), Ok(i));
                }
                assert_eq!(rx.recv(), Err(RecvError));
            });
            producer.join();
            consumer.join();
        });
    }
}

#[test]
fn bounded_full_refuses_times_out_and_is_woken() {
    use may_channel::SendTimeoutError;

    let (tx, rx) = spsc::bounded::<u32, 2>();
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    assert!(tx.is_full());
    assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
    assert_eq!(
        tx.send_timeout(3, Duration::from_millis(10)),
        Err(SendTimeoutError::Timeout(3)),
        "a timed-out send hands its message back"
    );
    assert_eq!(
        tx.send_deadline(3, Instant::now() - Duration::from_millis(1)),
        Err(SendTimeoutError::Timeout(3))
    );
    assert_eq!(rx.len(), 2, "nothing extra was stored");
    for runner in [Runner::Threads, Runner::Coroutines] {
        within(30, move || {
            let (tx, rx) = spsc::bounded::<u32, 1>();
            tx.send(1).unwrap();
            let sender = runner.spawn(move || tx.send_timeout(2, Duration::from_secs(20)));
            std::thread::sleep(Duration::from_millis(20));
            assert_eq!(rx.recv(), Ok(1));
            assert_eq!(sender.join(), Ok(()), "woken by the receive");
            assert_eq!(rx.recv(), Ok(2));
        });
    }
    drop((tx, rx));
}

#[test]
fn bounded_close_wakes_a_blocked_sender_with_its_message() {
    for runner in [Runner::Threads, Runner::Coroutines] {
        within(30, move || {
            let (tx, rx) = spsc::bounded::<String, 1>();
            tx.send("queued".into()).unwrap();
            let sender = runner.spawn(move || tx.send("blocked".into()));
            std::thread::sleep(Duration::from_millis(20));
            assert!(rx.close());
            assert_eq!(sender.join(), Err(SendError("blocked".to_string())));
            assert_eq!(rx.iter().collect::<Vec<_>>(), ["queued"]);
        });
    }
}

/// The same race on a ring of 8 slots that the producer keeps full.
#[test]
fn bounded_close_racing_a_stream_loses_nothing() {
    close_race(spsc::bounded::<common::Tracked, 8>);
}

#[test]
fn bounded_policies_reject_and_drop_newest() {
    use may_channel::backpressure::{DropNewest, Reject};
    use may_channel::queue::SpscBounded;

    type Rejecting = Channel<SpscBounded<2>, SpinThenPark, Reject>;
    let (tx, rx) = spsc::channel_of::<u32, Rejecting>();
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2]);

    type Newest = Channel<SpscBounded<2>, SpinThenPark, DropNewest, Counters>;
    let log = DropLog::new(3);
    let (tx, rx) = spsc::channel_of::<common::Tracked, Newest>();
    for id in 0..3 {
        tx.send(log.item(id)).unwrap();
    }
    assert_eq!(log.drops_of(2), 1, "the newest was dropped");
    assert_eq!(tx.metrics().dropped, 1);
    let kept: Vec<usize> = rx.try_iter().map(|t| t.id).collect();
    assert_eq!(kept, [0, 1]);
    drop((tx, rx));
    log.assert_all_dropped_once();
}

#[test]
fn bounded_matches_a_fifo_and_drops_once() {
    // Capacity 1 too: there "published at p" and "free at p + 1" must
    // still be told apart.
    bounded_model::<1>();
    bounded_model::<2>();
    bounded_model::<3>();
}

fn bounded_model<const N: usize>() {
    for seed in 0..100 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let log = DropLog::new(400);
        let (tx, rx) = spsc::bounded::<common::Tracked, N>();
        let mut model = std::collections::VecDeque::new();
        let mut made = 0;
        for _ in 0..400 {
            if rng.bool() {
                let item = log.item(made);
                made += 1;
                match tx.try_send(item) {
                    Ok(()) => {
                        assert!(model.len() < N, "seed {seed}: stored past capacity");
                        model.push_back(made - 1);
                    }
                    Err(TrySendError::Full(back)) => {
                        assert_eq!(model.len(), N, "seed {seed}: refused with room");
                        assert_eq!(back.id, made - 1);
                    }
                    Err(other) => panic!("seed {seed}: {other:?}"),
                }
            } else {
                let got = rx.try_recv().map(|t| t.id).ok();
                assert_eq!(got, model.pop_front(), "seed {seed}");
            }
            assert_eq!(rx.len(), model.len(), "seed {seed}");
        }
        drop((tx, rx));
        for id in 0..made {
            assert_eq!(log.drops_of(id), 1, "seed {seed}: message {id}");
        }
    }
}

/// The builder makes the spsc handles too, and checks the ring's capacity.
#[test]
fn the_builder_builds_spsc_handles() {
    use may_channel::{BuildError, ChannelBuilder};

    let (tx, rx) = ChannelBuilder::new()
        .spsc()
        .wait::<Park>()
        .build_spsc::<u32>()
        .unwrap();
    assert_eq!(tx.capacity(), None);
    tx.send(1).unwrap();
    assert_eq!(rx.recv(), Ok(1));

    let (tx, rx) = ChannelBuilder::new()
        .spsc_bounded::<2>()
        .enable_metrics()
        .build_spsc::<u32>()
        .unwrap();
    assert_eq!(tx.capacity(), Some(2));
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(rx.metrics().received, 2);

    let refused = ChannelBuilder::new()
        .spsc_bounded::<0>()
        .build_spsc::<u32>();
    assert_eq!(refused.err(), Some(BuildError::ZeroCapacity));

    // `build` on the same choice gives the ordinary (cloneable) handles.
    let (tx, rx) = ChannelBuilder::new().spsc().build::<u32>().unwrap();
    let tx2 = tx.clone();
    tx2.send(5).unwrap();
    assert_eq!(rx.recv(), Ok(5));
}

// ------------------------------------------------------------ cancel

/// Cancels a parked coroutine and waits for it to finish unwinding.
fn cancel<T>(handle: may::coroutine::JoinHandle<T>) {
    // SAFETY: the coroutine is parked inside a channel operation, whose
    // registrations are released by drop guards during the unwind; it owns
    // nothing else that a forced unwind could leave broken.
    unsafe { handle.coroutine().cancel() };
    assert!(
        handle.join().is_err(),
        "a cancelled coroutine ends with the cancel panic"
    );
}

/// A coroutine cancelled while its send waits for room on a full ring: its
/// message goes down with it (once), the queued ones stay, no waiter is left
/// behind (the receives that follow wake senders through the list).
#[test]
fn a_cancelled_bounded_sender_drops_only_its_own_message() {
    use may_channel::backpressure::Block;
    use may_channel::queue::SpscBounded;

    type Watched = Channel<SpscBounded<2>, Park, Block, Counters>;
    within(30, || {
        let log = DropLog::new(3);
        let (tx, rx) = spsc::channel_of::<common::Tracked, Watched>();
        tx.send(log.item(0)).unwrap();
        tx.send(log.item(1)).unwrap();
        let third = log.item(2);
        let doomed = may::go!(move || tx.send(third).is_ok());
        common::wait_until(20, "the sender parks", || rx.metrics().blocked_senders == 1);
        cancel(doomed);
        assert_eq!(
            rx.metrics().blocked_senders,
            0,
            "the gauge is released on unwind"
        );
        assert_eq!(log.drops_of(2), 1, "the cancelled send's message, once");
        assert_eq!(
            log.drops_of(0) + log.drops_of(1),
            0,
            "the queued ones untouched"
        );
        let got: Vec<usize> = rx.iter().map(|t| t.id).collect();
        assert_eq!(
            got,
            [0, 1],
            "then the end: the sender went with the coroutine"
        );
        log.assert_all_dropped_once();
    });
}

/// A coroutine cancelled while its receive waits: no waiter is left behind
/// for the sender's wake-up to touch, and the sender learns the receiver is
/// gone and gets its message back.
#[test]
fn a_cancelled_receiver_leaves_nothing_behind() {
    type Watched = Channel<Spsc, Park, Unlimited, Counters>;
    within(30, || {
        let (tx, rx) = spsc::channel_of::<u32, Watched>();
        let doomed = may::go!(move || rx.recv());
        common::wait_until(20, "the receiver parks", || {
            tx.metrics().blocked_receivers == 1
        });
        cancel(doomed);
        assert_eq!(
            tx.metrics().blocked_receivers,
            0,
            "the gauge is released on unwind"
        );
        assert!(tx.is_disconnected());
        assert_eq!(tx.send(7), Err(SendError(7)));
    });
}

const CHILD: &str = "MAY_CHANNEL_SPSC_CHILD";

#[test]
fn blocking_parks_the_coroutine_on_one_worker() {
    on_one_worker(CHILD, || {
        let (tx, rx) = spsc::channel::<usize>();
        let (back_tx, back_rx) = spsc::channel::<usize>();
        // Ping-pong: each side blocks in `recv` until the other, on the same
        // worker, runs; a worker parked by a `recv` would never let it.
        let echo = may::go!(move || {
            for msg in rx.iter() {
                back_tx.send(msg + 1).unwrap();
            }
        });
        common::keep_alive(echo.coroutine());
        for i in 0..1000 {
            tx.send(i).unwrap();
            assert_eq!(back_rx.recv(), Ok(i + 1));
        }
        assert_eq!(
            back_rx.recv_timeout(Duration::from_millis(10)),
            Err(RecvTimeoutError::Timeout)
        );
        drop(tx);
        assert_eq!(back_rx.recv(), Err(RecvError));
        echo.join().unwrap();
    });
}

#[test]
fn a_bounded_sender_parks_the_coroutine_on_one_worker() {
    on_one_worker(CHILD, || {
        let (tx, rx) = spsc::bounded::<usize, 1>();
        // The producer fills the one slot and blocks; only if it parks the
        // coroutine (not the worker) can the consumer, on the same worker,
        // run and make room.
        let producer = may::go!(move || {
            for i in 0..1000 {
                tx.send(i).unwrap();
            }
        });
        common::keep_alive(producer.coroutine());
        for i in 0..1000 {
            assert_eq!(rx.recv(), Ok(i));
        }
        assert_eq!(rx.recv(), Err(RecvError));
        producer.join().unwrap();
    });
}

mod model {
    //! The exclusive handles against a `VecDeque`, with every message's
    //! drops counted and the `Counters` sink checked after each step.

    use std::collections::VecDeque;
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::*;
    use common::Tracked;

    type Counted = Channel<Spsc, SpinThenPark, Unlimited, Counters>;

    #[derive(Clone, Debug)]
    enum Op {
        Send,
        TrySend,
        TryRecv,
        RecvTimeoutZero,
        /// `recv` where it cannot block, `recv_deadline(now)` otherwise.
        Recv,
        TryIterTake(usize),
        /// `iter()` to the end once it ends, `try_iter()` before.
        Drain,
        DropSender,
        DropReceiver,
        /// `close()` from the sender (`true`) or the receiver.
        Close(bool),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            8 => Just(Op::Send),
            4 => Just(Op::TrySend),
            6 => Just(Op::TryRecv),
            2 => Just(Op::RecvTimeoutZero),
            3 => Just(Op::Recv),
            2 => (0..80usize).prop_map(Op::TryIterTake),
            1 => Just(Op::Drain),
            1 => Just(Op::DropSender),
            1 => Just(Op::DropReceiver),
            1 => any::<bool>().prop_map(Op::Close),
        ]
    }

    const MAX_MESSAGES: usize = 300;

    struct Model {
        log: Arc<DropLog>,
        made: usize,
        tx: Option<spsc::Sender<Tracked, Counted>>,
        rx: Option<spsc::Receiver<Tracked, Counted>>,
        queue: VecDeque<usize>,
        closed: bool,
        sent: u64,
        received: u64,
        dropped: u64,
    }

    impl Model {
        fn ends(&self) -> bool {
            self.tx.is_none() || self.closed
        }

        fn refuses(&self) -> bool {
            self.rx.is_none() || self.closed
        }

        fn take(&mut self) -> Result<usize, TryRecvError> {
            match self.queue.pop_front() {
                Some(id) => {
                    self.received += 1;
                    Ok(id)
                }
                None if self.ends() => Err(TryRecvError::Disconnected),
                None => Err(TryRecvError::Empty),
            }
        }

        fn apply(&mut self, op: &Op) {
            match *op {
                Op::Send | Op::TrySend => {
                    let Some(tx) = &self.tx else { return };
                    if self.made == MAX_MESSAGES {
                        return;
                    }
                    let id = self.made;
                    self.made += 1;
                    let back = match op {
                        Op::Send => tx.send(self.log.item(id)).err().map(|SendError(t)| t),
                        _ => tx.try_send(self.log.item(id)).err().map(|err| {
                            assert!(err.is_disconnected(), "an unbounded channel is never full");
                            err.into_inner()
                        }),
                    };
                    match back {
                        Some(item) => {
                            assert!(self.refuses(), "a send refused while open");
                            assert_eq!(item.id, id, "the refused message comes back");
                        }
                        None => {
                            assert!(!self.refuses(), "a send accepted after the end");
                            self.queue.push_back(id);
                            self.sent += 1;
                        }
                    }
                }
                Op::TryRecv => {
                    let Some(rx) = &self.rx else { return };
                    let got = rx.try_recv().map(|t| t.id);
                    assert_eq!(got, self.take(), "try_recv");
                }
                Op::RecvTimeoutZero => {
                    let Some(rx) = &self.rx else { return };
                    let got = rx.recv_timeout(Duration::ZERO).map(|t| t.id);
                    let want = self.take().map_err(|err| match err {
                        TryRecvError::Empty => RecvTimeoutError::Timeout,
                        TryRecvError::Disconnected => RecvTimeoutError::Disconnected,
                    });
                    assert_eq!(got, want, "recv_timeout(ZERO)");
                }
                Op::Recv => {
                    let Some(rx) = &self.rx else { return };
                    if self.queue.is_empty() && !self.ends() {
                        let got = rx.recv_deadline(Instant::now()).map(|t| t.id);
                        assert_eq!(got, Err(RecvTimeoutError::Timeout), "recv_deadline(now)");
                    } else {
                        let got = rx.recv().map(|t| t.id);
                        assert_eq!(got, self.take().map_err(|_| RecvError), "recv");
                    }
                }
                Op::TryIterTake(n) => {
                    let Some(rx) = &self.rx else { return };
                    let got: Vec<usize> = rx.try_iter().take(n).map(|t| t.id).collect();
                    let k = n.min(self.queue.len());
                    self.received += k as u64;
                    let want: Vec<usize> = self.queue.drain(..k).collect();
                    assert_eq!(got, want, "try_iter().take({n})");
                }
                Op::Drain => {
                    let Some(rx) = &self.rx else { return };
                    let got: Vec<usize> = if self.ends() {
                        rx.iter().map(|t| t.id).collect()
                    } else {
                        rx.try_iter().map(|t| t.id).collect()
                    };
                    self.received += self.queue.len() as u64;
                    let want: Vec<usize> = self.queue.drain(..).collect();
                    assert_eq!(got, want, "drain");
                }
                Op::DropSender => self.tx = None,
                Op::DropReceiver => {
                    if self.rx.take().is_some() {
                        // The receiver drops what is queued, at once.
                        for id in self.queue.drain(..) {
                            assert_eq!(self.log.drops_of(id), 1, "queued {id} not dropped");
                            self.dropped += 1;
                        }
                    }
                }
                Op::Close(from_sender) => {
                    let was_open = !(self.tx.is_none() || self.rx.is_none() || self.closed);
                    let closed = if from_sender {
                        self.tx.as_ref().map(spsc::Sender::close)
                    } else {
                        self.rx.as_ref().map(spsc::Receiver::close)
                    };
                    if let Some(closed) = closed {
                        assert_eq!(closed, was_open, "close() says whether it closed");
                        self.closed = true;
                    }
                }
            }
        }

        fn check(&self) {
            let len = self.queue.len();
            let disconnected = self.tx.is_none() || self.rx.is_none() || self.closed;
            if let Some(tx) = &self.tx {
                assert_eq!((tx.len(), tx.is_empty()), (len, len == 0), "tx len");
                assert_eq!(tx.is_disconnected(), disconnected, "tx disconnected");
            }
            if let Some(rx) = &self.rx {
                assert_eq!((rx.len(), rx.is_empty()), (len, len == 0), "rx len");
                assert_eq!(rx.is_disconnected(), disconnected, "rx disconnected");
            }
            let metrics = match (&self.tx, &self.rx) {
                (Some(tx), _) => Some(tx.metrics()),
                (None, Some(rx)) => Some(rx.metrics()),
                (None, None) => None,
            };
            if let Some(m) = metrics {
                assert_eq!(
                    (m.sent, m.received, m.dropped, m.len),
                    (self.sent, self.received, self.dropped, len as u64),
                    "metrics"
                );
            }
            for id in 0..self.made {
                let want = usize::from(!self.queue.contains(&id));
                assert_eq!(self.log.drops_of(id), want, "drops of message {id}");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn exclusive_handles_match_a_fifo(ops in proptest::collection::vec(op(), 0..200)) {
            let (tx, rx) = spsc::channel_of::<Tracked, Counted>();
            let mut model = Model {
                log: DropLog::new(MAX_MESSAGES),
                made: 0,
                tx: Some(tx),
                rx: Some(rx),
                queue: VecDeque::new(),
                closed: false,
                sent: 0,
                received: 0,
                dropped: 0,
            };
            for op in &ops {
                model.apply(op);
                model.check();
            }
            let (log, made) = (Arc::clone(&model.log), model.made);
            drop(model);
            for id in 0..made {
                prop_assert_eq!(log.drops_of(id), 1, "message {} at the end", id);
            }
        }
    }
}
