//! Exactly-once select: every message is handed over by one branch or stays
//! in its channel; weights, priority, guards and fairness behave as documented.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{DropLog, Tracked, wait_until, within};
use may_channel::flavors::{
    BoundedBlocking, InstrumentedBounded, LatestN, RendezvousMpmc, UnboundedMpmc,
};
use may_channel::select::{Select, SelectTimeoutError, TrySelectError};
use may_channel::{
    Flavor, Pair, Receiver, RecvError, SendError, select, select_if, select_priority,
    select_weighted,
};

const ROUNDS: usize = 2_000;

#[test]
fn with_every_branch_ready_exactly_one_message_moves_per_round() {
    let (tx_a, rx_a) = UnboundedMpmc::new();
    let (tx_b, rx_b) = BoundedBlocking::<4>::new();
    let (tx_c, rx_c) = LatestN::<4>::new();
    for round in 0..ROUNDS {
        let mut handed_over = 0;
        let mut sent = 0;
        tx_a.send(round).unwrap();
        tx_b.send(round).unwrap();
        tx_c.send(round).unwrap();
        sent += 3;
        select! {
            recv(rx_a) -> msg => { msg.unwrap(); handed_over += 1; },
            recv(rx_b) -> msg => { msg.unwrap(); handed_over += 1; },
            recv(rx_c) -> msg => { msg.unwrap(); handed_over += 1; },
        }
        assert_eq!(handed_over, 1);
        // Drain what the round left so every branch is ready again.
        let left = rx_a.try_iter().count() + rx_b.try_iter().count() + rx_c.try_iter().count();
        assert_eq!(
            left, 2,
            "exactly the two losing branches kept their message"
        );
        assert_eq!(
            handed_over + left,
            3,
            "handed over + left = sent, this round"
        );
        assert_eq!(sent, 3);
    }
}

#[test]
fn no_message_is_lost_with_counting_drops() {
    let log = DropLog::new(3 * ROUNDS);
    let (tx_a, rx_a) = UnboundedMpmc::new::<Tracked>();
    let (tx_b, rx_b) = InstrumentedBounded::<8>::new::<Tracked>();
    let (tx_c, rx_c) = BoundedBlocking::<2>::new::<Tracked>();
    let mut received = Vec::new();
    for round in 0..ROUNDS {
        tx_a.send(log.item(3 * round)).unwrap();
        tx_b.send(log.item(3 * round + 1)).unwrap();
        tx_c.send(log.item(3 * round + 2)).unwrap();
        let got = select_priority! {
            recv(rx_c) -> msg => msg.unwrap(),
            recv(rx_a) -> msg => msg.unwrap(),
            recv(rx_b) -> msg => msg.unwrap(),
        };
        assert_eq!(got.id % 3, 2, "priority: the first ready branch wins");
        received.push(got);
        // The losers' messages are still queued: take them the ordinary way.
        received.push(rx_a.try_recv().unwrap());
        received.push(rx_b.try_recv().unwrap());
    }
    assert_eq!(log.total(), 0, "nothing was dropped on the way");
    let mut ids: Vec<usize> = received.iter().map(|m| m.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..3 * ROUNDS).collect::<Vec<_>>());
    drop(received);
    log.assert_all_dropped_once();
}

#[test]
fn send_branches_send_exactly_once() {
    let (tx_a, rx_a) = BoundedBlocking::<1>::new();
    let (tx_b, rx_b) = BoundedBlocking::<1>::new();
    for round in 0..ROUNDS {
        let res = select! {
            send(tx_a, round) -> res => res,
            send(tx_b, round) -> res => res,
        };
        assert_eq!(res, Ok(()));
        let moved: Vec<usize> = rx_a.try_iter().chain(rx_b.try_iter()).collect();
        assert_eq!(moved, [round]);
    }
}

#[test]
fn mixed_send_and_recv_branches() {
    let (tx_in, rx_in) = UnboundedMpmc::new();
    let (tx_out, rx_out) = BoundedBlocking::<1>::new();
    tx_in.send(1).unwrap();
    let mut recvs = 0;
    let mut sends = 0;
    for _ in 0..2 {
        select! {
            recv(rx_in) -> msg => { assert_eq!(msg, Ok(1)); recvs += 1; },
            send(tx_out, 9) -> res => { assert_eq!(res, Ok(())); sends += 1; },
        }
    }
    // Two rounds, at most one of each could complete, and every completion
    // is visible in the channels.
    assert_eq!(recvs + sends, 2);
    assert_eq!(rx_in.len(), 1 - recvs);
    assert_eq!(rx_out.len(), sends);
}

#[test]
fn default_runs_when_nothing_is_ready_and_timeout_waits() {
    let (_tx, rx) = UnboundedMpmc::new::<u8>();
    let ran_default = select! {
        recv(rx) -> _ => false,
        default => true,
    };
    assert!(ran_default);
    let start = Instant::now();
    let timed_out = select! {
        recv(rx) -> _ => false,
        default(Duration::from_millis(20)) => true,
    };
    assert!(timed_out && start.elapsed() >= Duration::from_millis(20));
}

#[test]
fn disconnected_channels_are_ready_and_report_it() {
    let (tx, rx) = UnboundedMpmc::new::<u8>();
    drop(tx);
    select! {
        recv(rx) -> msg => assert_eq!(msg, Err(RecvError)),
    }
    let (tx, rx) = BoundedBlocking::<1>::new::<u8>();
    drop(rx);
    select! {
        send(tx, 5) -> res => assert_eq!(res, Err(SendError(5))),
    }
}

#[test]
fn a_blocked_select_is_woken_by_a_send_on_any_branch() {
    within(30, || {
        for target in 0..3 {
            let (tx_a, rx_a) = UnboundedMpmc::new();
            let (tx_b, rx_b) = BoundedBlocking::<2>::new();
            let (tx_c, rx_c) = InstrumentedBounded::<2>::new();
            let waiter = std::thread::spawn(move || {
                select! {
                    recv(rx_a) -> msg => (0, msg.unwrap()),
                    recv(rx_b) -> msg => (1, msg.unwrap()),
                    recv(rx_c) -> msg => (2, msg.unwrap()),
                }
            });
            std::thread::sleep(Duration::from_millis(10));
            match target {
                0 => tx_a.send(10).unwrap(),
                1 => tx_b.send(11).unwrap(),
                _ => tx_c.send(12).unwrap(),
            }
            assert_eq!(waiter.join().unwrap(), (target, 10 + target));
        }
    });
}

#[test]
fn a_blocked_select_in_a_coroutine_is_woken_and_leaves_no_waiter() {
    within(30, || {
        let (tx_a, rx_a) = InstrumentedBounded::<2>::new::<u32>();
        let (tx_b, rx_b) = InstrumentedBounded::<2>::new::<u32>();
        let rx_a2 = rx_a.clone();
        let selecting = may::go!(move || {
            select! {
                recv(rx_a2) -> msg => msg,
                recv(rx_b) -> msg => msg,
            }
        });
        std::thread::sleep(Duration::from_millis(10));
        tx_b.send(2).unwrap();
        assert_eq!(selecting.join().unwrap(), Ok(2));
        // The select unlinked from rx_a's list: a plain receiver parked there
        // now gets the next message.
        let live = std::thread::spawn(move || rx_a.recv());
        wait_until(20, "the receiver parks", || {
            tx_a.metrics().blocked_receivers == 1
        });
        tx_a.send(1).unwrap();
        assert_eq!(live.join().unwrap(), Ok(1));
    });
}

#[test]
fn a_cancelled_select_leaves_no_registration_and_loses_nothing() {
    within(30, || {
        let (tx_a, rx_a) = InstrumentedBounded::<2>::new::<u32>();
        let (tx_b, rx_b) = InstrumentedBounded::<2>::new::<u32>();
        let (rx_a2, rx_b2) = (rx_a.clone(), rx_b.clone());
        let doomed = may::go!(move || {
            select! {
                recv(rx_a2) -> msg => msg,
                recv(rx_b2) -> msg => msg,
            }
        });
        std::thread::sleep(Duration::from_millis(20));
        // SAFETY: the coroutine is parked in the select; its registrations are
        // undone by drop guards as it unwinds.
        unsafe { doomed.coroutine().cancel() };
        assert!(doomed.join().is_err());
        tx_a.send(1).unwrap();
        tx_b.send(2).unwrap();
        assert_eq!((rx_a.try_recv(), rx_b.try_recv()), (Ok(1), Ok(2)));
    });
}

#[test]
fn concurrent_producers_and_selecting_consumers_hand_over_everything_once() {
    within(60, || {
        const PER_PRODUCER: usize = 5_000;
        let (tx_a, rx_a) = BoundedBlocking::<4>::new::<usize>();
        let (tx_b, rx_b) = UnboundedMpmc::new::<usize>();
        let producers: Vec<_> = (0..2)
            .map(|p| {
                let (tx_a, tx_b) = (tx_a.clone(), tx_b.clone());
                std::thread::spawn(move || {
                    for i in 0..PER_PRODUCER {
                        let id = p * PER_PRODUCER + i;
                        if i % 2 == 0 {
                            tx_a.send(id).unwrap()
                        } else {
                            tx_b.send(id).unwrap()
                        }
                    }
                })
            })
            .collect();
        drop((tx_a, tx_b));
        let consumers: Vec<_> = (0..3)
            .map(|c| {
                let (rx_a, rx_b) = (rx_a.clone(), rx_b.clone());
                let body = move || {
                    let mut got = Vec::new();
                    let (mut a_open, mut b_open) = (true, true);
                    while a_open || b_open {
                        select_if! {
                            recv(rx_a) -> msg if a_open => match msg {
                                Ok(id) => got.push(id),
                                Err(_) => a_open = false,
                            },
                            recv(rx_b) -> msg if b_open => match msg {
                                Ok(id) => got.push(id),
                                Err(_) => b_open = false,
                            },
                        }
                    }
                    got
                };
                if c == 0 {
                    let handle = std::thread::spawn(body);
                    Box::new(move || handle.join().unwrap())
                        as Box<dyn FnOnce() -> Vec<usize> + Send>
                } else {
                    let handle = may::go!(body);
                    Box::new(move || handle.join().unwrap())
                }
            })
            .collect::<Vec<_>>();
        for p in producers {
            p.join().unwrap();
        }
        drop((rx_a, rx_b));
        let mut all: Vec<usize> = consumers.into_iter().flat_map(|c| c()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..2 * PER_PRODUCER).collect::<Vec<_>>());
    });
}

#[test]
fn weighted_selection_follows_the_weights() {
    fastrand::seed(7);
    let (tx_a, rx_a) = UnboundedMpmc::new();
    let (tx_b, rx_b) = UnboundedMpmc::new();
    let (mut a, mut b) = (0u32, 0u32);
    for _ in 0..4_000 {
        tx_a.send(()).unwrap();
        tx_b.send(()).unwrap();
        select_weighted! {
            recv(rx_a, 3) -> _ => a += 1,
            recv(rx_b, 1) -> _ => b += 1,
        }
        let _ = (rx_a.try_iter().count(), rx_b.try_iter().count());
    }
    // Expected 3000 : 1000; loose bounds.
    assert!((2_700..=3_300).contains(&a), "a = {a}, b = {b}");
    assert_eq!(a + b, 4_000);
}

#[test]
fn a_zero_weight_or_false_guard_removes_the_branch() {
    let (tx_a, rx_a) = UnboundedMpmc::new();
    let (tx_b, rx_b) = UnboundedMpmc::new();
    for _ in 0..200 {
        tx_a.send(1).unwrap();
        tx_b.send(2).unwrap();
        let got = select_weighted! {
            recv(rx_a, 0) -> msg => msg,
            recv(rx_b, 5) -> msg => msg,
        };
        assert_eq!(got, Ok(2));
        tx_b.send(3).unwrap();
        let got = select_if! {
            recv(rx_a) -> msg if false => msg,
            recv(rx_b) -> msg if true => msg,
        };
        assert_eq!(got, Ok(3));
    }
    assert_eq!(rx_a.len(), 200, "the disabled branch never took a message");
}

/// Uniform among the *ready* branches, whatever lies between them: with
/// branches 0 and 3 never ready, 1, 2 and 4 win a third each (a rule that
/// started at a random branch and took the next ready one would give 2 and
/// 4 a share for each empty branch before them, and 1 only its own).
#[test]
fn select_is_uniform_among_the_ready_branches() {
    fastrand::seed(23);
    let channels: Vec<_> = (0..5).map(|_| UnboundedMpmc::new::<usize>()).collect();
    let mut wins = [0usize; 5];
    for _ in 0..6_000 {
        for &ready in &[1, 2, 4] {
            let tx = &channels[ready].0;
            if tx.is_empty() {
                tx.send(0).unwrap();
            }
        }
        let (r0, r1, r2, r3, r4) = (
            &channels[0].1,
            &channels[1].1,
            &channels[2].1,
            &channels[3].1,
            &channels[4].1,
        );
        let winner = select! {
            recv(r0) -> _ => 0,
            recv(r1) -> _ => 1,
            recv(r2) -> _ => 2,
            recv(r3) -> _ => 3,
            recv(r4) -> _ => 4,
        };
        wins[winner] += 1;
    }
    assert_eq!((wins[0], wins[3]), (0, 0), "{wins:?}");
    for branch in [1, 2, 4] {
        assert!(
            (1_700..=2_300).contains(&wins[branch]),
            "branch {branch} won {} of 6000: {wins:?}",
            wins[branch]
        );
    }
}

#[test]
fn select_is_fair_no_ready_branch_starves() {
    fastrand::seed(11);
    let channels: Vec<_> = (0..4).map(|_| UnboundedMpmc::new::<usize>()).collect();
    let mut wins = [0usize; 4];
    for _ in 0..4_000 {
        for (tx, _) in &channels {
            if tx.is_empty() {
                tx.send(0).unwrap();
            }
        }
        let (r0, r1, r2, r3) = (
            &channels[0].1,
            &channels[1].1,
            &channels[2].1,
            &channels[3].1,
        );
        let winner = select! {
            recv(r0) -> _ => 0,
            recv(r1) -> _ => 1,
            recv(r2) -> _ => 2,
            recv(r3) -> _ => 3,
        };
        wins[winner] += 1;
    }
    for (branch, &count) in wins.iter().enumerate() {
        assert!(
            (700..=1_300).contains(&count),
            "branch {branch} won {count} of 4000: {wins:?}"
        );
    }
}

#[test]
fn rendezvous_branches_meet_a_waiting_partner() {
    within(30, || {
        let (tx, rx) = RendezvousMpmc::new::<u32>();
        // A select sending on a rendezvous channel completes once a receiver
        // waits...
        let rx2 = rx.clone();
        let receiver = std::thread::spawn(move || rx2.recv());
        select! {
            send(tx, 5) -> res => assert_eq!(res, Ok(())),
        }
        assert_eq!(receiver.join().unwrap(), Ok(5));
        // ...and a selecting receiver meets a blocking sender.
        let sender = std::thread::spawn(move || tx.send(6));
        select! {
            recv(rx) -> msg => assert_eq!(msg, Ok(6)),
        }
        assert_eq!(sender.join().unwrap(), Ok(()));
    });
}

#[test]
fn select_on_both_sides_of_a_rendezvous_channel() {
    within(30, || {
        let (tx, rx) = RendezvousMpmc::new::<u32>();
        let (_never_tx, never) = UnboundedMpmc::new::<u32>();
        let receiving = may::go!(move || {
            select! {
                recv(rx) -> msg => msg,
                recv(never) -> _ => unreachable!(),
            }
        });
        select! {
            send(tx, 8) -> res => assert_eq!(res, Ok(())),
        }
        assert_eq!(receiving.join().unwrap(), Ok(8));
    });
}

#[test]
fn dynamic_select_over_a_vec_of_receivers() {
    within(30, || {
        let channels: Vec<_> = (0..5)
            .map(|_| BoundedBlocking::<4>::new::<usize>())
            .collect();
        let receivers: Vec<_> = channels.iter().map(|(_, rx)| rx.clone()).collect();
        let mut select = Select::new();
        let indices: Vec<usize> = receivers.iter().map(|rx| select.recv(rx)).collect();
        assert_eq!(select.len(), 5);
        assert_eq!(select.try_select().unwrap_err(), TrySelectError);
        assert_eq!(select.try_ready(), Err(TrySelectError));
        assert_eq!(
            select.select_timeout(Duration::from_millis(5)).unwrap_err(),
            SelectTimeoutError
        );
        for (i, (tx, _)) in channels.iter().enumerate() {
            tx.send(i * 100).unwrap();
        }
        let mut got = Vec::new();
        for _ in 0..5 {
            let (index, msg) = select.select();
            assert_eq!(msg, Ok(indices[index] * 100));
            got.push(index);
        }
        got.sort_unstable();
        assert_eq!(got, indices);
        // A blocked dynamic select is woken by a send from another thread.
        let tx3 = channels[3].0.clone();
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            tx3.send(7).unwrap();
        });
        assert_eq!(select.select(), (3, Ok(7)));
        sender.join().unwrap();
        // Removing a branch keeps the other indices.
        select.remove(3);
        channels[4].0.send(44).unwrap();
        assert_eq!(select.ready(), 4);
        assert_eq!(select.select(), (4, Ok(44)));
        let biased_hits = Arc::new(AtomicUsize::new(0));
        let mut biased = Select::new_biased();
        let first = biased.recv(&receivers[0]);
        biased.recv(&receivers[1]);
        channels[0].0.send(1).unwrap();
        channels[1].0.send(2).unwrap();
        if biased.select().0 == first {
            biased_hits.fetch_add(1, Ordering::SeqCst);
        }
        assert_eq!(biased_hits.load(Ordering::SeqCst), 1);
    });
}

/// Rounds in which both channels hold a message when the select runs:
/// exactly one message is handed over, the other stays queued.
fn exactly_once_rounds<A: Flavor, B: Flavor>(
    (tx_a, rx_a): Pair<usize, A>,
    (tx_b, rx_b): Pair<usize, B>,
    choose: impl Fn(&Receiver<usize, A>, &Receiver<usize, B>) -> Result<usize, RecvError>,
) {
    let (mut handed_over, mut left) = (0, 0);
    for round in 0..200 {
        tx_a.try_send(2 * round).unwrap();
        tx_b.try_send(2 * round + 1).unwrap();
        let got = choose(&rx_a, &rx_b).unwrap();
        assert!(got == 2 * round || got == 2 * round + 1);
        handed_over += 1;
        let rest: Vec<usize> = rx_a.try_iter().chain(rx_b.try_iter()).collect();
        assert_eq!(rest.len(), 1);
        assert_eq!(
            rest[0] + got,
            4 * round + 1,
            "the other message of this round stayed"
        );
        left += rest.len();
    }
    assert_eq!(handed_over + left, 400, "handed over + left = sent");
}

macro_rules! every_macro_over {
    ($a:expr, $b:expr) => {
        exactly_once_rounds(
            $a,
            $b,
            |ra, rb| select! { recv(ra) -> m => m, recv(rb) -> m => m },
        );
        exactly_once_rounds($a, $b, |ra, rb| {
            select_weighted! { recv(ra, 2) -> m => m, recv(rb, 5) -> m => m }
        });
        exactly_once_rounds($a, $b, |ra, rb| {
            select_priority! { recv(ra) -> m => m, recv(rb) -> m => m }
        });
        exactly_once_rounds($a, $b, |ra, rb| {
            select_if! { recv(ra) -> m if true => m, recv(rb) -> m if true => m }
        });
        exactly_once_rounds($a, $b, |ra, rb| {
            let mut select = Select::new();
            select.recv(ra);
            select.recv(rb);
            select.select().1
        });
    };
}

#[test]
fn every_flavour_and_every_macro_hands_over_exactly_once() {
    use may_channel::flavors::{
        BoundedRejecting, DynBoundedBlocking, FirstN, InstrumentedUnbounded, SpinRing,
    };
    every_macro_over!(UnboundedMpmc::new(), BoundedBlocking::<4>::new());
    every_macro_over!(
        DynBoundedBlocking::with_config(4).unwrap(),
        LatestN::<4>::new()
    );
    every_macro_over!(FirstN::<4>::new(), BoundedRejecting::<4>::new());
    every_macro_over!(InstrumentedBounded::<4>::new(), SpinRing::<4>::new());
    every_macro_over!(
        InstrumentedUnbounded::new(),
        may_channel::Channel::<may_channel::queue::Bounded<2>, may_channel::wait::Park>::new()
    );
}

/// A select parked on two channels counts as a blocked receiver of each
/// (its park is bracketed like a plain `recv`'s), and the brackets close when
/// a message wakes it and when a cancel unwinds it, so the gauges go back to
/// zero. Runs from a coroutine on one may worker: the select must park the
/// coroutine, or the sender below never runs.
fn a_parked_select_is_counted_then_released(cancel: bool) {
    let (tx_a, rx_a) = InstrumentedBounded::<2>::new::<u32>();
    let (tx_b, rx_b) = InstrumentedBounded::<2>::new::<u32>();
    let (probe_a, probe_b) = (tx_a.clone(), tx_b.clone());
    let selecting = may::go!(move || {
        select! {
            recv(rx_a) -> msg => msg,
            recv(rx_b) -> msg => msg,
        }
    });
    common::keep_alive(selecting.coroutine());
    // Waits as a coroutine (a thread sleep would hold the only worker); the
    // one-worker harness's watchdog bounds it.
    while probe_a.metrics().blocked_receivers != 1 || probe_b.metrics().blocked_receivers != 1 {
        may::coroutine::sleep(Duration::from_millis(1));
    }
    if cancel {
        // SAFETY: the coroutine is parked in the select, whose registrations
        // and block brackets are released by drop guards during the unwind.
        unsafe { selecting.coroutine().cancel() };
        assert!(
            selecting.join().is_err(),
            "a cancelled coroutine ends with the cancel panic"
        );
    } else {
        tx_b.send(7).unwrap();
        assert_eq!(selecting.join().unwrap(), Ok(7));
    }
    for (name, probe) in [("a", &probe_a), ("b", &probe_b)] {
        let metrics = probe.metrics();
        assert_eq!(metrics.blocked_receivers, 0, "channel {name}");
        assert!(metrics.recv_blocked_time > Duration::ZERO, "channel {name}");
    }
    drop(tx_a);
}

#[test]
fn a_parked_select_is_counted_on_one_worker() {
    common::on_one_worker("MAY_CHANNEL_SELECT_COUNTED_CHILD", || {
        a_parked_select_is_counted_then_released(false);
        a_parked_select_is_counted_then_released(true);
    });
}
