//! What `Ok` means on a rendezvous channel, as crossbeam-channel users rely
//! on it: a send succeeds only when a receiver takes the value; a select's
//! send branch evaluates its value only once a receiver is committed to it;
//! a waiting select is a waiting sender or receiver to everyone else.
//! Each test failed on the hand-over-slot design this crate had before.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{DropLog, Runner, Tracked, within};
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
                let mut msg = 1;
                loop {
                    match tx.try_send(msg) {
                        Ok(()) => break,
                        Err(TrySendError::Full(back)) => {
                            msg = back;
                            std::thread::yield_now();
                        }
                        Err(TrySendError::Disconnected(_)) => unreachable!("rx is alive"),
                    }
                }
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
                let mut msg = n;
                loop {
                    match tx.try_send(msg) {
                        Ok(()) => break,
                        Err(TrySendError::Full(back)) => {
                            msg = back;
                            std::thread::yield_now();
                        }
                        Err(TrySendError::Disconnected(_)) => unreachable!("rx is alive"),
                    }
                }
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
            let mut msg = 9;
            loop {
                match tx.try_send(msg) {
                    Ok(()) => break,
                    Err(TrySendError::Full(back)) => {
                        msg = back;
                        std::thread::yield_now();
                    }
                    Err(TrySendError::Disconnected(_)) => unreachable!("rx is alive"),
                }
            }
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
            let producers = 4;
            let log = DropLog::new(producers * per * 4);
            let made = Arc::new(AtomicUsize::new(0));
            let pairs: Vec<_> = (0..4).map(|_| rendezvous::<Tracked>()).collect();
            let senders: Arc<Vec<_>> = Arc::new(pairs.iter().map(|(tx, _)| tx.clone()).collect());
            let receivers: Vec<_> = pairs.into_iter().map(|(_, rx)| rx).collect();
            let consumers: Vec<_> = receivers
                .into_iter()
                .map(|rx| runner.spawn(move || rx.iter().count()))
                .collect();
            let producer_handles: Vec<_> = (0..producers)
                .map(|_| {
                    let senders = Arc::clone(&senders);
                    let log = Arc::clone(&log);
                    let made = Arc::clone(&made);
                    runner.spawn(move || {
                        let make = || log.item(made.fetch_add(1, Ordering::SeqCst));
                        let [s0, s1, s2, s3] = &senders[..] else {
                            unreachable!("four senders")
                        };
                        for _ in 0..per {
                            select! {
                                send(s0, make()) -> res => res.expect("receivers alive"),
                                send(s1, make()) -> res => res.expect("receivers alive"),
                                send(s2, make()) -> res => res.expect("receivers alive"),
                                send(s3, make()) -> res => res.expect("receivers alive"),
                            }
                        }
                    })
                })
                .collect();
            for producer in producer_handles {
                producer.join();
            }
            drop(senders);
            let received: usize = consumers.into_iter().map(|c| c.join()).sum();
            let made = made.load(Ordering::SeqCst);
            assert_eq!(
                made,
                producers * per,
                "a value was evaluated for a send not made"
            );
            assert_eq!(received, made);
            for id in 0..made {
                assert_eq!(log.drops_of(id), 1, "message {id}");
            }
        });
    }
}
