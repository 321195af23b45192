//! Broadcast: every subscriber sees every message in order, exactly once; lag
//! is reported with its exact count; late subscribers catch up; `Block` waits
//! for the slowest subscriber.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{wait_until, within};
use may_channel::broadcast::{Builder, Overflow, RecvError, RecvTimeoutError, TryRecvError};
use proptest::prelude::*;

#[test]
fn every_subscriber_gets_every_message_in_order_in_threads_and_coroutines() {
    within(60, || {
        const MESSAGES: u64 = 5_000;
        let (tx, first) = Builder::new(64)
            .overflow(Overflow::Block)
            .build::<u64>()
            .unwrap();
        let mut subscribers = vec![first];
        for _ in 0..3 {
            subscribers.push(tx.subscribe());
        }
        let handles: Vec<Box<dyn FnOnce() -> Vec<u64> + Send>> = subscribers
            .into_iter()
            .enumerate()
            .map(|(i, mut sub)| {
                let body = move || {
                    let mut got = Vec::new();
                    loop {
                        match sub.recv() {
                            Ok(v) => got.push(v),
                            Err(RecvError::Closed) => return got,
                            Err(RecvError::Lagged(n)) => panic!("Block never lags, lost {n}"),
                        }
                    }
                };
                if i % 2 == 0 {
                    let handle = std::thread::spawn(body);
                    Box::new(move || handle.join().unwrap()) as Box<dyn FnOnce() -> Vec<u64> + Send>
                } else {
                    let handle = may::go!(body);
                    Box::new(move || handle.join().unwrap())
                }
            })
            .collect();
        for i in 0..MESSAGES {
            tx.send(i);
        }
        drop(tx);
        for handle in handles {
            assert_eq!(handle(), (0..MESSAGES).collect::<Vec<_>>());
        }
    });
}

#[test]
fn a_lagging_subscriber_is_told_exactly_how_many_it_missed() {
    let (tx, mut slow) = may_channel::broadcast::<u32>(8);
    for i in 0..20 {
        tx.send(i);
    }
    assert_eq!(slow.len(), 20);
    assert_eq!(slow.recv(), Err(RecvError::Lagged(12)));
    let rest: Vec<u32> = (0..8).map(|_| slow.recv().unwrap()).collect();
    assert_eq!(rest, (12..20).collect::<Vec<_>>());
    assert_eq!(slow.try_recv(), Err(TryRecvError::Empty));
    // Lagging again later is reported again, with its own count.
    for i in 20..40 {
        tx.send(i);
    }
    assert_eq!(slow.try_recv(), Err(TryRecvError::Lagged(12)));
    assert_eq!(slow.try_recv(), Ok(32));
}

#[test]
fn late_subscribers_catch_up_from_the_oldest_retained_message() {
    let (tx, _keep) = may_channel::broadcast::<u32>(8);
    for i in 0..3 {
        tx.send(i);
    }
    let mut from_oldest = tx.subscribe_from_oldest();
    let mut from_now = tx.subscribe();
    tx.send(3);
    tx.send(4);
    assert_eq!(
        from_oldest.iter().take(5).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4]
    );
    assert_eq!(from_now.iter().take(2).collect::<Vec<_>>(), [3, 4]);
    // More than the capacity sent before subscribing: the oldest retained.
    for i in 5..20 {
        tx.send(i);
    }
    let mut very_late = tx.subscribe_from_oldest();
    assert_eq!(
        very_late.try_recv(),
        Ok(12),
        "the oldest of the 8 still held"
    );
}

#[test]
fn closed_after_draining_and_timeouts() {
    let (tx, mut sub) = may_channel::broadcast::<u8>(4);
    assert_eq!(
        sub.recv_timeout(Duration::from_millis(5)),
        Err(RecvTimeoutError::Timeout)
    );
    tx.send(1);
    let tx2 = tx.clone();
    drop(tx);
    assert!(!sub.is_closed());
    tx2.send(2);
    drop(tx2);
    assert!(sub.is_closed());
    assert_eq!(sub.recv(), Ok(1));
    assert_eq!(sub.recv(), Ok(2));
    assert_eq!(sub.recv(), Err(RecvError::Closed));
    assert_eq!(sub.try_recv(), Err(TryRecvError::Closed));
    assert_eq!(
        sub.recv_timeout(Duration::from_secs(5)),
        Err(RecvTimeoutError::Closed)
    );
}

#[test]
fn a_blocked_subscriber_wakes_for_a_send_and_for_the_close() {
    within(30, || {
        let (tx, mut sub) = may_channel::broadcast::<u8>(4);
        let mut sub2 = tx.subscribe();
        let in_coroutine = may::go!(move || (sub.recv(), sub.recv()));
        let in_thread = std::thread::spawn(move || (sub2.recv(), sub2.recv()));
        std::thread::sleep(Duration::from_millis(10));
        tx.send(7);
        drop(tx);
        assert_eq!(
            in_coroutine.join().unwrap(),
            (Ok(7), Err(RecvError::Closed))
        );
        assert_eq!(in_thread.join().unwrap(), (Ok(7), Err(RecvError::Closed)));
    });
}

#[test]
fn block_waits_for_the_slowest_and_dropping_it_releases_the_sender() {
    within(30, || {
        let (tx, slow) = Builder::new(2)
            .overflow(Overflow::Block)
            .build::<u32>()
            .unwrap();
        let mut fast = tx.subscribe();
        tx.send(0);
        tx.send(1);
        assert_eq!(
            tx.send_timeout(2, Duration::from_millis(10))
                .unwrap_err()
                .into_inner(),
            2
        );
        let sent = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&sent);
        let tx2 = tx.clone();
        let sender = may::go!(move || {
            tx2.send(2);
            counter.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(fast.recv(), Ok(0));
        assert_eq!(fast.recv(), Ok(1));
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(
            sent.load(Ordering::SeqCst),
            0,
            "the slow subscriber still holds message 0"
        );
        drop(slow);
        sender.join().unwrap();
        assert_eq!(sent.load(Ordering::SeqCst), 1);
        assert_eq!(fast.recv(), Ok(2));
    });
}

#[test]
fn concurrent_subscribe_and_unsubscribe_see_contiguous_runs() {
    within(60, || {
        const MESSAGES: u64 = 20_000;
        let (tx, keep) = Builder::new(256)
            .overflow(Overflow::Block)
            .build::<u64>()
            .unwrap();
        let sender = tx.clone();
        let producer = std::thread::spawn(move || {
            for i in 0..MESSAGES {
                sender.send(i);
            }
        });
        let mut joiners = Vec::new();
        for round in 0..8 {
            let sub = tx.subscribe();
            joiners.push(std::thread::spawn(move || {
                let mut sub = sub;
                let mut got = Vec::new();
                // Read a while, then leave early (every other one).
                while got.len() < 500 * (round % 2 + 1) {
                    match sub.recv() {
                        Ok(v) => got.push(v),
                        Err(RecvError::Closed) => break,
                        Err(RecvError::Lagged(n)) => panic!("Block never lags, lost {n}"),
                    }
                }
                got
            }));
            std::thread::sleep(Duration::from_millis(1));
        }
        drop(keep);
        for joiner in joiners {
            let got = joiner.join().unwrap();
            // A contiguous, in-order run: exactly once each.
            assert!(
                got.windows(2).all(|w| w[1] == w[0] + 1),
                "gap or repeat in {got:?}"
            );
        }
        producer.join().unwrap();
        drop(tx);
    });
}

/// Counts clones, to check a message is cloned at most once per subscriber.
#[derive(Debug)]
struct Counted(u32, Arc<AtomicUsize>);

impl Clone for Counted {
    fn clone(&self) -> Self {
        self.1.fetch_add(1, Ordering::SeqCst);
        Counted(self.0, Arc::clone(&self.1))
    }
}

#[test]
fn each_message_is_cloned_at_most_once_per_subscriber() {
    let clones = Arc::new(AtomicUsize::new(0));
    let (tx, mut a) = may_channel::broadcast::<Counted>(16);
    let mut b = tx.subscribe();
    let _idle = tx.subscribe(); // never reads: costs no clone
    for i in 0..10 {
        tx.send(Counted(i, Arc::clone(&clones)));
    }
    for i in 0..10 {
        assert_eq!(a.recv().unwrap().0, i);
        assert_eq!(b.recv().unwrap().0, i);
    }
    assert_eq!(clones.load(Ordering::SeqCst), 20);
}

#[derive(Clone, Debug)]
enum Op {
    Send,
    Recv(usize),
    Subscribe,
    SubscribeOldest,
    Drop(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Send),
        4 => (0usize..4).prop_map(Op::Recv),
        1 => Just(Op::Subscribe),
        1 => Just(Op::SubscribeOldest),
        1 => (0usize..4).prop_map(Op::Drop),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Lag mode against a model: the log of every message and a cursor per
    /// subscriber.
    #[test]
    fn lag_mode_matches_the_model(ops in proptest::collection::vec(op(), 1..120), capacity in 1usize..6) {
        let (tx, first) = may_channel::broadcast::<u64>(capacity);
        let mut subs = vec![(first, 0u64)];
        let mut sent = 0u64;
        for op in ops {
            match op {
                Op::Send => {
                    prop_assert_eq!(tx.send(sent), subs.len());
                    sent += 1;
                }
                Op::Recv(i) if !subs.is_empty() => {
                    let index = i % subs.len();
                    let (sub, cursor) = &mut subs[index];
                    let oldest = sent.saturating_sub(capacity as u64);
                    let expected = if *cursor >= sent {
                        Err(TryRecvError::Empty)
                    } else if *cursor < oldest {
                        let missed = oldest - *cursor;
                        *cursor = oldest;
                        Err(TryRecvError::Lagged(missed))
                    } else {
                        *cursor += 1;
                        Ok(*cursor - 1)
                    };
                    prop_assert_eq!(sub.try_recv(), expected);
                }
                Op::Subscribe => subs.push((tx.subscribe(), sent)),
                Op::SubscribeOldest => subs.push((tx.subscribe_from_oldest(), sent.saturating_sub(capacity as u64))),
                Op::Drop(i) if !subs.is_empty() => {
                    subs.remove(i % subs.len());
                }
                _ => {}
            }
            prop_assert_eq!(tx.subscriber_count(), subs.len());
        }
    }
}

#[test]
fn one_subscriber_per_coroutine_on_a_loaded_runtime() {
    within(60, || {
        let (tx, first) = Builder::new(8)
            .overflow(Overflow::Block)
            .build::<u32>()
            .unwrap();
        let subs: Vec<_> = (0..16).map(|_| tx.subscribe()).collect();
        drop(first);
        let readers: Vec<_> = subs
            .into_iter()
            .map(|mut sub| may::go!(move || sub.iter().map(u64::from).sum::<u64>()))
            .collect();
        wait_until(20, "all subscribed", || tx.subscriber_count() == 16);
        let producer = may::go!(move || (0..1_000u32).for_each(|i| {
            tx.send(i);
        }));
        producer.join().unwrap();
        for reader in readers {
            assert_eq!(reader.join().unwrap(), (0..1_000u64).sum::<u64>());
        }
    });
}

#[test]
fn subscribe_from_each_start_position() {
    use may_channel::broadcast::StartAt;
    let (tx, _first) = may_channel::broadcast::<u32>(4);
    for i in 0..10 {
        tx.send(i);
    }
    let mut latest = tx.subscribe_from(StartAt::Latest);
    let mut oldest = tx.subscribe_from(StartAt::Oldest);
    let mut replay_two = tx.subscribe_from(StartAt::Replay(2));
    let mut replay_many = tx.subscribe_from(StartAt::Replay(100));
    assert_eq!(oldest.try_recv(), Ok(6), "the oldest of the 4 held");
    assert_eq!(replay_two.try_recv(), Ok(8));
    assert_eq!(
        replay_many.try_recv(),
        Ok(6),
        "capped at what the ring holds"
    );
    assert_eq!(latest.try_recv(), Err(TryRecvError::Empty));
    tx.send(10);
    assert_eq!(latest.try_recv(), Ok(10));
}
