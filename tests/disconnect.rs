//! Disconnection in every order, for threads and coroutines.

mod common;

use std::time::Duration;

use common::{DropLog, wait_until, within};
use may_channel::flavors::{BoundedBlocking, InstrumentedBounded, RendezvousMpmc, UnboundedMpmc};
use may_channel::{
    RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
};

#[test]
fn receivers_drain_then_see_disconnected() {
    let (tx, rx) = UnboundedMpmc::new();
    let tx2 = tx.clone();
    tx.send(1).unwrap();
    tx2.send(2).unwrap();
    drop(tx);
    assert!(!rx.is_disconnected(), "one sender is still alive");
    drop(tx2);
    assert!(rx.is_disconnected());
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
fn sends_fail_and_hand_back_once_receivers_are_gone() {
    let (tx, rx) = BoundedBlocking::<4>::new();
    let rx2 = rx.clone();
    drop(rx);
    tx.send(1).unwrap();
    drop(rx2);
    assert!(tx.is_disconnected());
    assert_eq!(tx.send(2), Err(SendError(2)));
    assert_eq!(tx.try_send(3), Err(TrySendError::Disconnected(3)));
    assert_eq!(
        tx.send_timeout(4, Duration::from_millis(1)),
        Err(SendTimeoutError::Disconnected(4))
    );
    assert_eq!(tx.send_batch([5, 6]), vec![5, 6]);
}

#[test]
fn queued_messages_are_dropped_exactly_once_when_the_last_receiver_goes() {
    let log = DropLog::new(10);
    let (tx, rx) = InstrumentedBounded::<16>::new();
    for id in 0..10 {
        tx.send(log.item(id)).unwrap();
    }
    let taken = rx.recv().unwrap();
    assert_eq!(taken.id, 0);
    let rx2 = rx.clone();
    drop(rx);
    assert_eq!(
        log.total(),
        0,
        "a receiver is still alive: nothing may be dropped"
    );
    drop(rx2);
    // Dropped at once, while the sender still holds the channel.
    for id in 1..10 {
        assert_eq!(log.drops_of(id), 1);
    }
    assert_eq!(tx.metrics().dropped, 9);
    assert_eq!(tx.metrics().len, 0);
    drop(tx);
    drop(taken);
    log.assert_all_dropped_once();
}

#[test]
fn queued_messages_are_dropped_once_when_everything_goes() {
    let log = DropLog::new(100);
    let (tx, rx) = UnboundedMpmc::new();
    for id in 0..100 {
        tx.send(log.item(id)).unwrap();
    }
    drop(tx);
    drop(rx);
    log.assert_all_dropped_once();
}

#[test]
fn blocked_receiver_on_a_thread_wakes_when_the_last_sender_goes() {
    within(30, || {
        let (tx, rx) = InstrumentedBounded::<2>::new::<u8>();
        let waiter = std::thread::spawn(move || rx.recv());
        wait_until(20, "the receiver parks", || {
            tx.metrics().blocked_receivers == 1
        });
        drop(tx);
        assert_eq!(waiter.join().unwrap(), Err(RecvError));
    });
}

#[test]
fn blocked_receiver_in_a_coroutine_wakes_when_the_last_sender_goes() {
    within(30, || {
        let (tx, rx) = InstrumentedBounded::<2>::new::<u8>();
        let waiter = may::go!(move || rx.recv());
        wait_until(20, "the receiver parks", || {
            tx.metrics().blocked_receivers == 1
        });
        drop(tx);
        assert_eq!(waiter.join().unwrap(), Err(RecvError));
    });
}

#[test]
fn blocked_sender_gets_its_message_back_when_the_last_receiver_goes() {
    within(30, || {
        let (tx, rx) = InstrumentedBounded::<1>::new::<u32>();
        tx.send(1).unwrap();
        let probe = tx.clone();
        let in_thread = std::thread::spawn({
            let tx = tx.clone();
            move || tx.send(2)
        });
        let in_coroutine = may::go!(move || tx.send(3));
        wait_until(20, "both senders park", || {
            probe.metrics().blocked_senders == 2
        });
        drop(rx);
        assert_eq!(in_thread.join().unwrap(), Err(SendError(2)));
        assert_eq!(in_coroutine.join().unwrap(), Err(SendError(3)));
    });
}

#[test]
fn rendezvous_sender_waiting_for_a_taker_gets_its_message_back_on_disconnect() {
    within(30, || {
        let log = DropLog::new(1);
        let (tx, rx) = RendezvousMpmc::new();
        let item = log.item(0);
        let sender = std::thread::spawn(move || tx.send(item).map_err(|e| e.into_inner().id));
        // The sender waits in the meeting place, where a receive would
        // meet it.
        wait_until(20, "the sender waits", || {
            may_channel::select::Selectable::is_ready(&rx)
        });
        drop(rx);
        assert_eq!(sender.join().unwrap(), Err(0));
        log.assert_all_dropped_once();
    });
}

#[test]
fn counts_follow_clones_and_drops() {
    let (tx, rx) = UnboundedMpmc::new::<()>();
    let tx2 = tx.clone();
    let rx2 = rx.clone();
    let rx3 = rx2.clone();
    assert_eq!((tx.sender_count(), tx.receiver_count()), (2, 3));
    drop(rx3);
    drop(tx2);
    assert_eq!((rx.sender_count(), rx.receiver_count()), (1, 2));
    assert!(tx.same_channel(&tx.clone()));
    assert!(rx.same_channel(&rx2));
    let (other, _orx) = UnboundedMpmc::new::<()>();
    assert!(!tx.same_channel(&other));
}
