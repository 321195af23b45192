//! Timeouts and deadlines: they return the right error, hand the message
//! back, and leave late messages in the channel.

mod common;

use std::time::{Duration, Instant};

use common::within;
use may_channel::flavors::{BoundedBlocking, DynBoundedBlocking, RendezvousMpmc, UnboundedMpmc};
use may_channel::{Channel, RecvTimeoutError, SendTimeoutError, queue::Bounded, wait::Park};

const SHORT: Duration = Duration::from_millis(20);

#[test]
fn recv_timeout_on_an_empty_channel_times_out_and_the_late_message_stays() {
    let (tx, rx) = UnboundedMpmc::new();
    let start = Instant::now();
    assert_eq!(rx.recv_timeout(SHORT), Err(RecvTimeoutError::Timeout));
    assert!(start.elapsed() >= SHORT, "returned before the timeout");
    tx.send(5).unwrap();
    assert_eq!(rx.recv_timeout(SHORT), Ok(5));
}

#[test]
fn a_past_deadline_makes_exactly_one_attempt() {
    let (tx, rx) = BoundedBlocking::<1>::new();
    let past = Instant::now();
    assert_eq!(rx.recv_deadline(past), Err(RecvTimeoutError::Timeout));
    assert_eq!(tx.send_deadline(1, past), Ok(()));
    assert_eq!(tx.send_deadline(2, past), Err(SendTimeoutError::Timeout(2)));
    assert_eq!(rx.recv_deadline(past), Ok(1));
}

#[test]
fn send_timeout_on_a_full_channel_hands_the_message_back() {
    let (tx, rx) = Channel::<Bounded<2>, Park>::new();
    tx.send("a").unwrap();
    tx.send("b").unwrap();
    assert_eq!(
        tx.send_timeout("c", SHORT),
        Err(SendTimeoutError::Timeout("c"))
    );
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), ["a", "b"]);
}

#[test]
fn rendezvous_send_timeout_takes_the_message_back() {
    let (tx, rx) = RendezvousMpmc::new();
    assert_eq!(tx.send_timeout(7, SHORT), Err(SendTimeoutError::Timeout(7)));
    assert_eq!(
        rx.len(),
        0,
        "the timed-out message must not stay in the slot"
    );
    assert!(rx.try_recv().is_err());
}

#[test]
fn huge_timeouts_mean_no_deadline() {
    within(30, || {
        let (tx, rx) = DynBoundedBlocking::with_config(1).unwrap();
        let sender = std::thread::spawn(move || tx.send_timeout(1u8, Duration::MAX));
        assert_eq!(rx.recv_timeout(Duration::MAX), Ok(1));
        assert_eq!(sender.join().unwrap(), Ok(()));
    });
}

#[test]
fn timed_receive_in_a_coroutine_is_woken_by_a_message() {
    within(30, || {
        let (tx, rx) = UnboundedMpmc::new();
        let receiver = may::go!(move || rx.recv_timeout(Duration::from_secs(20)));
        std::thread::sleep(SHORT);
        tx.send(9u64).unwrap();
        assert_eq!(receiver.join().unwrap(), Ok(9));
    });
}

#[test]
fn timeouts_in_coroutines_return_timeout_and_keep_the_channel_usable() {
    within(30, || {
        let (tx, rx) = BoundedBlocking::<1>::new();
        tx.send(0u32).unwrap();
        let (tx2, rx2) = (tx.clone(), rx.clone());
        let timed_out = may::go!(move || {
            let send = tx2.send_timeout(1, SHORT);
            let _ = rx2.recv(); // frees the slot
            let recv = rx2.recv_timeout(SHORT);
            (send, recv)
        });
        let (send, recv) = timed_out.join().unwrap();
        assert_eq!(send, Err(SendTimeoutError::Timeout(1)));
        assert_eq!(recv, Err(RecvTimeoutError::Timeout));
        tx.send(2).unwrap();
        assert_eq!(rx.recv(), Ok(2));
    });
}

#[test]
fn a_timed_out_receiver_leaves_no_waiter_behind() {
    // If the timed-out receiver stayed registered, the send below could spend
    // its one wake-up on it and leave the parked receiver asleep.
    within(30, || {
        let (tx, rx) = Channel::<Bounded<4>, Park>::new();
        assert_eq!(rx.recv_timeout(SHORT), Err(RecvTimeoutError::Timeout));
        let rx2 = rx.clone();
        let parked = std::thread::spawn(move || rx2.recv());
        std::thread::sleep(SHORT);
        tx.send(1u8).unwrap();
        assert_eq!(parked.join().unwrap(), Ok(1));
    });
}

/// Many short timed waits in coroutines while busy threads compete with the
/// workers: every wait ends in `Timeout`. (may 0.3.51 can lose a park's
/// timeout when a worker is preempted at the wrong instant; the crate's own
/// timer, `src/channel/timer.rs`, ends coroutine timed waits instead, and has
/// its own unit tests.)
#[test]
fn coroutine_timeouts_are_not_lost_when_workers_are_preempted() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    const COROUTINES: usize = 8;
    const WAITS: usize = 150;
    within(120, || {
        common::init_may();
        let stop = Arc::new(AtomicBool::new(false));
        let busy: Vec<_> = (0..4)
            .map(|_| {
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                })
            })
            .collect();
        let (_tx, rx) = UnboundedMpmc::new::<u32>();
        let waiters: Vec<_> = (0..COROUTINES)
            .map(|_| {
                let rx = rx.clone();
                may::go!(move || {
                    for _ in 0..WAITS {
                        assert_eq!(
                            rx.recv_timeout(Duration::from_millis(1)),
                            Err(RecvTimeoutError::Timeout)
                        );
                    }
                })
            })
            .collect();
        for waiter in waiters {
            waiter.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        for thread in busy {
            thread.join().unwrap();
        }
    });
}
