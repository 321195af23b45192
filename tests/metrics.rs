//! The `Counters` sink and the metrics hooks.

mod common;

use std::time::Duration;

use common::{wait_until, within};
use may_channel::flavors::{InstrumentedBounded, InstrumentedUnbounded};
use may_channel::metrics::{Counters, CountersSnapshot, NoMetrics, Report};
use may_channel::{Channel, queue::Bounded, wait::SpinThenPark};

#[test]
fn counters_track_sent_received_len_and_peak() {
    let (tx, rx) = InstrumentedUnbounded::new();
    for i in 0..10 {
        tx.send(i).unwrap();
    }
    for _ in 0..4 {
        rx.recv().unwrap();
    }
    let snapshot = tx.metrics();
    assert_eq!(
        snapshot,
        CountersSnapshot {
            sent: 10,
            received: 4,
            dropped: 0,
            len: 6,
            peak_len: 10,
            ..snapshot
        }
    );
    assert_eq!(
        (snapshot.blocked_senders, snapshot.blocked_receivers),
        (0, 0)
    );
}

#[test]
fn reset_zeroes_cumulative_figures_and_keeps_the_length() {
    let (tx, rx) = InstrumentedBounded::<8>::new();
    for i in 0..5 {
        tx.send(i).unwrap();
    }
    rx.recv().unwrap();
    rx.reset_metrics();
    let after = rx.metrics();
    assert_eq!(
        (
            after.sent,
            after.received,
            after.dropped,
            after.len,
            after.peak_len
        ),
        (0, 0, 0, 4, 4)
    );
    tx.send(9).unwrap();
    rx.recv().unwrap();
    let later = tx.metrics();
    assert_eq!(
        (later.sent, later.received, later.len, later.peak_len),
        (1, 1, 4, 5)
    );
}

#[test]
fn blocked_time_and_gauges_follow_parked_operations() {
    within(30, || {
        let (tx, rx) = InstrumentedBounded::<1>::new::<u8>();
        let receiver = may::go!(move || rx.recv());
        wait_until(20, "the receiver parks", || {
            tx.metrics().blocked_receivers == 1
        });
        std::thread::sleep(Duration::from_millis(5));
        tx.send(1).unwrap();
        assert_eq!(receiver.join().unwrap(), Ok(1));
        let snapshot = tx.metrics();
        assert_eq!(snapshot.blocked_receivers, 0);
        assert!(snapshot.blocked_time > Duration::ZERO);
    });
}

#[test]
fn tuple_sinks_feed_both_members() {
    type Twice =
        Channel<Bounded<4>, SpinThenPark, may_channel::backpressure::Block, (Counters, Counters)>;
    let (tx, rx) = Twice::new();
    tx.send(1).unwrap();
    rx.recv().unwrap();
    let (a, b) = tx.sink();
    assert_eq!(a.snapshot(), b.snapshot());
    assert_eq!(a.snapshot().received, 1);
}

#[test]
fn no_metrics_adds_nothing_to_a_message() {
    assert_eq!(std::mem::size_of::<NoMetrics>(), 0);
    assert_eq!(
        std::mem::size_of::<may_channel::Envelope<u64, ()>>(),
        std::mem::size_of::<u64>(),
        "an envelope without a stamp is exactly the message"
    );
}
