//! What each backpressure policy does on a full channel, and what it counts.

mod common;

use common::{DropLog, Tracked, wait_until, within};
use may_channel::flavors::{BoundedRejecting, FirstN, InstrumentedBounded, LatestN};
use may_channel::{Channel, SendError, TrySendError, backpressure::DropOldest, queue::DynBounded};

#[test]
fn reject_hands_the_message_back_when_full() {
    let (tx, rx) = BoundedRejecting::<2>::new();
    assert_eq!(tx.try_send(1), Ok(()));
    assert_eq!(tx.try_send(2), Ok(()));
    assert!(tx.is_full());
    assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
    assert_eq!(rx.recv(), Ok(1));
    assert_eq!(tx.try_send(3), Ok(()));
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [2, 3]);
}

#[test]
fn drop_newest_drops_the_incoming_message_and_counts_it() {
    let log = DropLog::new(5);
    let (tx, rx) = FirstN::<2>::new::<Tracked>();
    for id in 0..5 {
        tx.send(log.item(id)).unwrap();
    }
    // 2, 3, 4 were dropped on arrival, each exactly once.
    assert_eq!(
        (log.drops_of(2), log.drops_of(3), log.drops_of(4)),
        (1, 1, 1)
    );
    let metrics = tx.metrics();
    assert_eq!((metrics.sent, metrics.dropped, metrics.len), (2, 3, 2));
    assert_eq!(rx.try_iter().map(|m| m.id).collect::<Vec<_>>(), [0, 1]);
    log.assert_all_dropped_once();
}

#[test]
fn try_send_never_drops_whatever_the_policy() {
    let (tx, rx) = FirstN::<1>::new();
    tx.send(1).unwrap();
    assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    let (tx2, rx2) = LatestN::<1>::new();
    tx2.send(1).unwrap();
    assert_eq!(tx2.try_send(2), Err(TrySendError::Full(2)));
    assert_eq!((tx.metrics().dropped, tx2.metrics().dropped), (0, 0));
    drop((rx, rx2));
}

#[test]
fn drop_oldest_keeps_the_newest_and_drops_each_evicted_message_once() {
    let log = DropLog::new(10);
    let (tx, rx) = LatestN::<3>::new::<Tracked>();
    for id in 0..10 {
        tx.send(log.item(id)).unwrap();
    }
    for id in 0..7 {
        assert_eq!(log.drops_of(id), 1, "evicted message {id}");
    }
    let metrics = rx.metrics();
    assert_eq!(
        (metrics.sent, metrics.dropped, metrics.len, metrics.peak_len),
        (10, 7, 3, 3)
    );
    assert_eq!(rx.try_iter().map(|m| m.id).collect::<Vec<_>>(), [7, 8, 9]);
    log.assert_all_dropped_once();
}

#[test]
fn force_send_hands_the_evicted_message_back() {
    let (tx, rx) = LatestN::<2>::new();
    assert_eq!(tx.force_send(1), Ok(None));
    assert_eq!(tx.force_send(2), Ok(None));
    assert_eq!(tx.force_send(3), Ok(Some(1)));
    assert_eq!(
        tx.metrics().dropped,
        1,
        "an eviction is counted even when handed back"
    );
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [2, 3]);
    drop(rx);
    assert_eq!(tx.force_send(4), Err(SendError(4)));
}

#[test]
fn drop_oldest_with_a_runtime_capacity() {
    type Recent = Channel<DynBounded, may_channel::wait::SpinThenPark, DropOldest>;
    let (tx, rx) = Recent::with_config(2).unwrap();
    for i in 0..5 {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [3, 4]);
}

#[test]
fn block_waits_for_room_in_threads_and_coroutines() {
    within(30, || {
        let (tx, rx) = InstrumentedBounded::<1>::new();
        tx.send(0u32).unwrap();
        let thread_tx = tx.clone();
        let in_thread = std::thread::spawn(move || thread_tx.send(1));
        let co_tx = tx.clone();
        let in_coroutine = may::go!(move || co_tx.send(2));
        wait_until(20, "both senders park", || {
            tx.metrics().blocked_senders == 2
        });
        let mut got = vec![rx.recv().unwrap(), rx.recv().unwrap(), rx.recv().unwrap()];
        in_thread.join().unwrap().unwrap();
        in_coroutine.join().unwrap().unwrap();
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2]);
        assert!(tx.metrics().blocked_time > std::time::Duration::ZERO);
    });
}
