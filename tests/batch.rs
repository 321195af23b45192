//! Batch send and receive.

mod common;

use std::time::Duration;

use common::{DropLog, Tracked, wait_until, within};
use may_channel::flavors::{BoundedBlocking, InstrumentedBounded, RendezvousMpmc, UnboundedMpmc};
use may_channel::{RecvError, RecvTimeoutError};

#[test]
fn send_batch_stores_what_fits_and_hands_back_the_rest_in_order() {
    let (tx, rx) = BoundedBlocking::<3>::new();
    let refused = tx.send_batch(0..6);
    assert_eq!(refused, [3, 4, 5]);
    assert_eq!(rx.recv_batch(10), Ok(vec![0, 1, 2]));
    assert!(tx.send_batch(refused).is_empty());
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [3, 4, 5]);
}

#[test]
fn recv_batch_takes_at_most_max() {
    let (tx, rx) = UnboundedMpmc::new();
    assert!(tx.send_batch(0..10).is_empty());
    assert_eq!(rx.recv_batch(4), Ok(vec![0, 1, 2, 3]));
    let mut buf = vec![99];
    assert_eq!(rx.recv_batch_into(&mut buf, 3), Ok(3));
    assert_eq!(buf, [99, 4, 5, 6]);
    assert_eq!(rx.recv_batch(0), Ok(vec![]));
    assert_eq!(rx.recv_batch(100), Ok(vec![7, 8, 9]));
    drop(tx);
    assert_eq!(rx.recv_batch(5), Err(RecvError));
}

#[test]
fn recv_batch_timeout_times_out_on_an_empty_channel() {
    let (tx, rx) = UnboundedMpmc::new::<u8>();
    assert_eq!(
        rx.recv_batch_timeout(8, Duration::from_millis(10)),
        Err(RecvTimeoutError::Timeout)
    );
    tx.send(1).unwrap();
    assert_eq!(
        rx.recv_batch_timeout(8, Duration::from_millis(10)),
        Ok(vec![1])
    );
}

#[test]
fn recv_batch_waits_for_the_first_message() {
    within(30, || {
        let (tx, rx) = UnboundedMpmc::new();
        let receiver = may::go!(move || rx.recv_batch(16));
        std::thread::sleep(Duration::from_millis(10));
        assert!(tx.send_batch([1, 2, 3]).is_empty());
        let got = receiver.join().unwrap().unwrap();
        // At least the first message; the rest may arrive in this batch or
        // not, but in order.
        assert!(!got.is_empty() && got.windows(2).all(|w| w[0] < w[1]) && got[0] == 1);
    });
}

#[test]
fn a_batch_receive_wakes_every_sender_it_made_room_for() {
    within(30, || {
        let (tx, rx) = InstrumentedBounded::<4>::new();
        assert!(tx.send_batch(0..4).is_empty());
        let senders: Vec<_> = (4..8)
            .map(|i| {
                let tx = tx.clone();
                std::thread::spawn(move || tx.send(i))
            })
            .collect();
        wait_until(20, "all four senders park", || {
            tx.metrics().blocked_senders == 4
        });
        assert_eq!(rx.recv_batch(4), Ok(vec![0, 1, 2, 3]));
        for sender in senders {
            sender.join().unwrap().unwrap();
        }
        let mut rest = rx.try_iter().collect::<Vec<_>>();
        rest.sort_unstable();
        assert_eq!(rest, [4, 5, 6, 7]);
    });
}

#[test]
fn send_batch_wakes_parked_receivers() {
    within(30, || {
        let (tx, rx) = InstrumentedBounded::<8>::new();
        let receivers: Vec<_> = (0..3)
            .map(|_| {
                let rx = rx.clone();
                may::go!(move || rx.recv())
            })
            .collect();
        wait_until(20, "all receivers park", || {
            tx.metrics().blocked_receivers == 3
        });
        assert!(tx.send_batch([10, 11, 12]).is_empty());
        let mut got: Vec<u32> = receivers
            .into_iter()
            .map(|r| r.join().unwrap().unwrap())
            .collect();
        got.sort_unstable();
        assert_eq!(got, [10, 11, 12]);
    });
}

#[test]
fn send_batch_on_rendezvous_needs_waiting_receivers() {
    let (tx, rx) = RendezvousMpmc::new();
    assert_eq!(tx.send_batch([1, 2]), vec![1, 2]);
    drop(rx);
}

/// Producers store with `send_batch` (retrying what did not fit), consumers
/// take with `recv_batch_into`, on rings of several capacities and on the
/// list: every message arrives once, in each producer's order, and is
/// dropped once. In OS threads and in may coroutines.
fn batches_under_contention<F>(runner: common::Runner, pair: may_channel::Pair<Tracked, F>)
where
    F: may_channel::Flavor + 'static,
    may_channel::Sender<Tracked, F>: Send,
    may_channel::Receiver<Tracked, F>: Send,
{
    const PRODUCERS: usize = 3;
    const CONSUMERS: usize = 2;
    let per = if cfg!(debug_assertions) {
        3_000
    } else {
        50_000
    };
    let log = DropLog::new(PRODUCERS * per);
    let (tx, rx) = pair;
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let tx = tx.clone();
            let log = std::sync::Arc::clone(&log);
            runner.spawn(move || {
                let mut next = 0;
                let mut pending: Vec<Tracked> = Vec::new();
                while next < per || !pending.is_empty() {
                    if pending.is_empty() {
                        let end = (next + 50).min(per);
                        pending.extend((next..end).map(|i| log.item(p * per + i)));
                        next = end;
                    }
                    // What did not fit comes back, in order, to be sent again.
                    pending = tx.send_batch(pending);
                    if !pending.is_empty() {
                        common::pause();
                    }
                }
            })
        })
        .collect();
    drop(tx);
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let rx = rx.clone();
            runner.spawn(move || {
                let mut seen = Vec::new();
                let mut buf = Vec::new();
                while rx.recv_batch_into(&mut buf, 64).is_ok() {
                    seen.extend(buf.drain(..).map(|msg| msg.id));
                }
                seen
            })
        })
        .collect();
    drop(rx);
    for producer in producers {
        producer.join();
    }
    let mut all = Vec::new();
    for consumer in consumers {
        let seen = consumer.join();
        // Each producer's messages reach one consumer in the order sent.
        for p in 0..PRODUCERS {
            let mine: Vec<_> = seen.iter().filter(|&&id| id / per == p).collect();
            assert!(
                mine.windows(2).all(|w| w[0] < w[1]),
                "producer {p} out of order"
            );
        }
        all.extend(seen);
    }
    all.sort_unstable();
    assert_eq!(all, (0..PRODUCERS * per).collect::<Vec<_>>());
    log.assert_all_dropped_once();
}

#[test]
fn batches_under_contention_on_rings_and_the_list() {
    common::within(240, || {
        for runner in [common::Runner::Threads, common::Runner::Coroutines] {
            for capacity in [1, 7, 64, 1024] {
                batches_under_contention(runner, may_channel::bounded::<Tracked>(capacity));
            }
            batches_under_contention(runner, may_channel::unbounded::<Tracked>());
        }
    });
}
