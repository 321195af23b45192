//! What `Ok` means on a rendezvous channel, as crossbeam-channel users rely
//! on it: a send succeeds only when a receiver takes the value; a select's
//! send branch evaluates its value only once a receiver is committed to it;
//! a waiting select is a waiting sender or receiver to everyone else.
//! Each test failed on the hand-over-slot design this crate had before.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{Runner, Tracked, select_send_storm, try_send_until_taken, within};
use may_channel::{TryRecvError, TrySendError, rendezvous, select};

/// One receiver takes one message; a `try_send` loop beside it must succeed
/// exactly once, and nothing may be left in the channel. (The old design
/// counted a blocking `recv` as waiting until it returned, so a second
/// `try_send` could land in the slot with no receiver.)
#[test]
fn try_send_succeeds_only_for_a_waiting_receiver() {
    for runner in [Runner::Threads, Runner::Coroutines] {
        within(60, move || {
            let rounds = if cfg!(debug_assertions) { 300 } else { 2_000 };
            for _ in 0..rounds {
                let (tx, rx) = rendezvous::<u32>();
                let rx2 = rx.clone();
                let receiver = runner.spawn(move || rx2.recv());
                try_send_until_taken(1, |msg| tx.try_send(msg));
                // The receiver has its message and is on its way out of
                // `recv`: nobody waits any more, so every further try fails.
                let mut sent = 1;
                for extra in 2..50 {
                    if tx.try_send(extra).is_ok() {
                        sent += 1;
                    }
                }
                assert_eq!(receiver.join(), Ok(1));
                assert_eq!(sent, 1, "a try_send succeeded with no receiver waiting");
                assert_eq!(rx.len(), 0);
                assert!(matches!(rx.try_recv(), Err(TryRecvError::Empty)));
            }
        });
    }
}

/// Numbered `try_send`s, each retried until it succeeds, against numbered
/// blocking receives: every receive gets the number due.
#[test]
fn numbered_try_sends_pair_with_receives_in_order() {
    for runner in [Runner::Threads, Runner::Coroutines] {
        within(60, move || {
            let count = if cfg!(debug_assertions) {
                5_000
            } else {
                50_000
            };
            let (tx, rx) = rendezvous::<u32>();
            let receiver = runner.spawn(move || {
                for expected in 0..count {
                    assert_eq!(rx.recv(), Ok(expected), "a receive got the wrong message");
                }
            });
            for n in 0..count {
                try_send_until_taken(n, |msg| tx.try_send(msg));
            }
            receiver.join();
        });
    }
}

/// `select! { send(s, r.recv().unwrap()) }` over one rendezvous channel
/// `(s, r)`: a thread receives after 100 ms, another sends after 500 ms.
/// The select must commit to the first receiver before it evaluates the
/// value; otherwise the late sender's message can go to that receiver and
/// the select's own `r.recv()` waits for ever.
#[test]
fn a_send_branch_value_may_use_the_same_channel() {
    for _ in 0..3 {
        within(30, || {
            let (s, r) = rendezvous::<u32>();
            let (late_tx, early_rx) = (s.clone(), r.clone());
            let receiver = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(100));
                early_rx.recv()
            });
            let sender = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(500));
                late_tx.send(42)
            });
            select! {
                send(s, r.recv().unwrap()) -> res => assert_eq!(res, Ok(())),
            }
            assert_eq!(receiver.join().unwrap(), Ok(42));
            assert_eq!(sender.join().unwrap(), Ok(()));
        });
    }
}

/// A sender blocked in a `select!` send branch is a waiting sender: a
/// polling `try_recv` takes its value.
#[test]
fn a_waiting_select_sender_is_seen_by_try_recv() {
    for runner in [Runner::Threads, Runner::Coroutines] {
        within(30, move || {
            let (tx, rx) = rendezvous::<u32>();
            let (_other_tx, other_rx) = rendezvous::<u32>();
            let sender = runner.spawn(move || {
                select! {
                    send(tx, 7) -> res => res.map_err(|_| ()),
                    recv(other_rx) -> _ => Err(()),
                }
            });
            let got = loop {
                match rx.try_recv() {
                    Ok(n) => break n,
                    Err(TryRecvError::Empty) => std::thread::yield_now(),
                    Err(TryRecvError::Disconnected) => unreachable!("tx is alive"),
                }
            };
            assert_eq!(got, 7);
            assert_eq!(sender.join(), Ok(()));
        });
    }
}

/// A receiver blocked in a `select!` is a waiting receiver: a polling
/// `try_send` hands it the value.
#[test]
fn a_waiting_select_receiver_is_seen_by_try_send() {
    for runner in [Runner::Threads, Runner::Coroutines] {
        within(30, move || {
            let (tx, rx) = rendezvous::<u32>();
            let (_other_tx, other_rx) = rendezvous::<u32>();
            let receiver = runner.spawn(move || {
                select! {
                    recv(rx) -> msg => msg.ok(),
                    recv(other_rx) -> _ => None,
                }
            });
            try_send_until_taken(9, |msg| tx.try_send(msg));
            assert_eq!(receiver.join(), Some(9));
        });
    }
}

/// Four producers send counting messages, each through a `select!` over
/// four rendezvous senders whose value expressions make a new message;
/// four consumers receive them. Every message made is received, and
/// dropped exactly once: no value is evaluated and dropped unsent.
#[test]
fn select_send_values_are_never_dropped_unsent() {
    for runner in [Runner::Threads, Runner::Coroutines] {
        within(120, move || {
            let per = if cfg!(debug_assertions) { 500 } else { 5_000 };
            select_send_storm(runner, per, rendezvous::<Tracked>);
        });
    }
}

/// `bounded(0)` is a zero-capacity channel, as in crossbeam-channel and
/// std: a send returns once a receiver has the value, `try_send` needs a
/// waiting receiver, a timed send hands its message back, a close wakes a
/// waiting sender with its message, and a select sends through it.
#[test]
fn bounded_zero_is_a_rendezvous_channel() {
    for runner in [Runner::Threads, Runner::Coroutines] {
        within(30, move || {
            let (tx, rx) = may_channel::bounded::<u32>(0);
            assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
            assert_eq!(
                tx.send_timeout(2, Duration::from_millis(20)),
                Err(may_channel::SendTimeoutError::Timeout(2))
            );
            let rx2 = rx.clone();
            let receiver = runner.spawn(move || (rx2.recv(), rx2.recv()));
            tx.send(3).unwrap();
            select! {
                send(tx, 4) -> res => res.unwrap(),
            }
            assert_eq!(receiver.join(), (Ok(3), Ok(4)));
            assert_eq!(rx.len(), 0);

            let tx2 = tx.clone();
            let sender = runner.spawn(move || tx2.send(5));
            // Wait until the sender waits, then close: it gets 5 back.
            while !may_channel::select::Selectable::is_ready(&rx) {
                std::thread::yield_now();
            }
            tx.close();
            assert_eq!(sender.join(), Err(may_channel::SendError(5)));
            assert!(matches!(rx.try_recv(), Err(TryRecvError::Disconnected)));
        });
    }
}

/// The other policies at capacity 0 never wait: they hand over to a
/// waiting receiver or drop the message (counted).
#[test]
fn bounded_zero_with_drop_newest_drops_when_nobody_waits() {
    use may_channel::{ChannelBuilder, backpressure::DropNewest, metrics::Counters};
    within(30, || {
        let (tx, rx) = ChannelBuilder::new()
            .capacity(0)
            .backpressure::<DropNewest>()
            .metrics::<Counters>()
            .build::<u32>()
            .unwrap();
        tx.send(1).unwrap();
        assert_eq!(tx.metrics().dropped, 1);
        let receiver = std::thread::spawn(move || rx.recv());
        loop {
            tx.send(2).unwrap();
            if tx.metrics().sent == 1 {
                break;
            }
            std::thread::yield_now();
        }
        assert_eq!(receiver.join().unwrap(), Ok(2));
    });
}

/// crossbeam-channel's `loop_try`, beside busy threads: a select that
/// waits (with a timeout) to receive on one zero-capacity channel and to
/// send on another is, from the moment it waits, a waiting receiver to a
/// polling `select!` send and a waiting sender to a polling `try_recv`.
#[test]
fn a_waiting_select_is_met_by_polling_peers_under_load() {
    within(120, || {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let busy: Vec<_> = (0..8)
            .map(|_| {
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::hint::spin_loop();
                        std::thread::yield_now();
                    }
                })
            })
            .collect();
        for _ in 0..5 {
            let (s1, r1) = may_channel::bounded::<i32>(0);
            let (s2, r2) = may_channel::bounded::<i32>(0);
            let (s_end, r_end) = may_channel::bounded::<()>(0);
            std::thread::scope(|scope| {
                scope.spawn(|| {
                    loop {
                        select! { send(s1, 1) -> _ => break, default => {} }
                        select! { recv(r_end) -> _ => break, default => {} }
                    }
                });
                scope.spawn(|| {
                    loop {
                        if let Ok(x) = r2.try_recv() {
                            assert_eq!(x, 2);
                            break;
                        }
                        select! { recv(r_end) -> _ => break, default => {} }
                    }
                });
                scope.spawn(|| {
                    std::thread::sleep(Duration::from_millis(50));
                    select! {
                        recv(r1) -> v => assert_eq!(v, Ok(1)),
                        send(s2, 2) -> _ => {},
                        default(Duration::from_secs(5)) => panic!("no peer met the waiting select"),
                    }
                    drop(s_end);
                });
            });
        }
        stop.store(true, Ordering::Relaxed);
        for thread in busy {
            thread.join().unwrap();
        }
    });
}
