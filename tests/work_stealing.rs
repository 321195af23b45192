//! Work stealing: every message exactly once with many producers and
//! consumers in threads and coroutines; starved workers steal; messages sent
//! to a worker land in its queue; a parked receiver wakes for a push to any
//! worker's queue.

mod common;

use std::time::Duration;

use common::{DropLog, Tracked, wait_until, within};
use may_channel::flavors::{InstrumentedWorkStealing, WorkStealingMpmc};
use may_channel::queue::Workers;
use may_channel::{BuildError, ChannelBuilder, RecvError};
use proptest::prelude::*;

#[test]
fn zero_workers_is_refused() {
    assert!(matches!(
        WorkStealingMpmc::with_config::<u8>(Workers(0)),
        Err(BuildError::Invalid(_))
    ));
    assert!(ChannelBuilder::new().with_workers(0).build::<u8>().is_err());
}

#[test]
fn send_to_worker_lands_in_that_queue_and_a_starved_receiver_steals_it() {
    let (tx, rx) = InstrumentedWorkStealing::with_config::<u32>(Workers(4)).unwrap();
    // This thread's home is some worker; target a different one.
    let home = (0..4).find(|&w| {
        tx.send(0).unwrap();
        let here = tx.len_at_worker(w) == 1;
        assert_eq!(rx.recv(), Ok(0));
        here
    });
    let target = (home.unwrap() + 1) % 4;
    for i in 1..=20 {
        tx.send_to_worker(target, i).unwrap();
    }
    assert_eq!(tx.len_at_worker(target), 20);
    let before = tx.stolen();
    let mut got: Vec<u32> = (0..20).map(|_| rx.recv().unwrap()).collect();
    assert!(
        tx.stolen() > before,
        "the receiver's own queue was empty: it had to steal"
    );
    assert_eq!(
        rx.metrics().stolen,
        tx.stolen(),
        "Counters sees the same figure"
    );
    got.sort_unstable();
    assert_eq!(got, (1..=20).collect::<Vec<_>>());
}

#[test]
fn a_parked_receiver_wakes_for_a_push_to_any_worker() {
    within(30, || {
        let (tx, rx) = InstrumentedWorkStealing::with_config::<u32>(Workers(3)).unwrap();
        for target in 0..3 {
            let rx2 = rx.clone();
            let waiter = may::go!(move || rx2.recv());
            wait_until(20, "the receiver parks", || {
                tx.metrics().blocked_receivers == 1
            });
            tx.send_to_worker(target, target as u32).unwrap();
            assert_eq!(waiter.join().unwrap(), Ok(target as u32));
        }
        drop(tx);
        assert_eq!(rx.recv(), Err(RecvError));
    });
}

#[test]
fn many_producers_and_consumers_each_message_once_in_threads_and_coroutines() {
    within(60, || {
        const EACH: usize = 5_000;
        let log = DropLog::new(4 * EACH);
        let (tx, rx) = InstrumentedWorkStealing::with_config::<Tracked>(Workers(4)).unwrap();
        let producers: Vec<Box<dyn FnOnce() + Send>> = (0..4)
            .map(|p| {
                let tx = tx.clone();
                let log = log.clone();
                let body = move || {
                    for i in 0..EACH {
                        let id = p * EACH + i;
                        // Half the messages go to a chosen worker.
                        if i % 2 == 0 {
                            tx.send(log.item(id)).unwrap();
                        } else {
                            tx.send_to_worker(i, log.item(id)).unwrap();
                        }
                    }
                };
                if p % 2 == 0 {
                    let handle = std::thread::spawn(body);
                    Box::new(move || handle.join().unwrap()) as Box<dyn FnOnce() + Send>
                } else {
                    let handle = may::go!(body);
                    Box::new(move || handle.join().unwrap())
                }
            })
            .collect();
        drop(tx);
        let consumers: Vec<Box<dyn FnOnce() -> Vec<usize> + Send>> = (0..3)
            .map(|c| {
                let rx = rx.clone();
                let body = move || rx.iter().map(|m| m.id).collect::<Vec<_>>();
                if c == 0 {
                    let handle = std::thread::spawn(body);
                    Box::new(move || handle.join().unwrap())
                        as Box<dyn FnOnce() -> Vec<usize> + Send>
                } else {
                    let handle = may::go!(body);
                    Box::new(move || handle.join().unwrap())
                }
            })
            .collect();
        for p in producers {
            p();
        }
        let mut all: Vec<usize> = consumers.into_iter().flat_map(|c| c()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..4 * EACH).collect::<Vec<_>>());
        assert_eq!(rx.metrics().received, (4 * EACH) as u64);
        drop(rx);
        log.assert_all_dropped_once();
    });
}

#[test]
fn queued_messages_in_every_worker_queue_are_dropped_once_with_the_last_receiver() {
    let log = DropLog::new(40);
    let (tx, rx) = WorkStealingMpmc::with_config::<Tracked>(Workers(4)).unwrap();
    for id in 0..40 {
        tx.send_to_worker(id, log.item(id)).unwrap();
    }
    assert_eq!(rx.len(), 40);
    drop(rx);
    log.assert_all_dropped_once();
    assert!(tx.send(log.item(0)).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// Single-threaded: whatever the targets, every message comes out once
    /// and each worker's messages in FIFO order.
    #[test]
    fn every_message_once_and_fifo_per_worker(targets in proptest::collection::vec(0usize..5, 0..200)) {
        let (tx, rx) = WorkStealingMpmc::with_config::<(usize, usize)>(Workers(5)).unwrap();
        for (seq, &target) in targets.iter().enumerate() {
            tx.send_to_worker(target, (target, seq)).unwrap();
        }
        let got: Vec<(usize, usize)> = rx.try_iter().collect();
        prop_assert_eq!(got.len(), targets.len());
        for worker in 0..5 {
            let seqs: Vec<usize> = got.iter().filter(|(w, _)| *w == worker).map(|&(_, s)| s).collect();
            prop_assert!(seqs.windows(2).all(|w| w[0] < w[1]), "worker {} out of order: {:?}", worker, seqs);
        }
    }
}

#[test]
fn timeouts_and_select_work_on_work_stealing_receivers() {
    let (tx, rx) = WorkStealingMpmc::with_config::<u8>(Workers(2)).unwrap();
    assert!(rx.recv_timeout(Duration::from_millis(5)).is_err());
    tx.send_to_worker(1, 9).unwrap();
    let got = may_channel::select! {
        recv(rx) -> msg => msg,
        default(Duration::from_secs(5)) => Err(RecvError),
    };
    assert_eq!(got, Ok(9));
}
