//! Operators on receivers: stateless chains match `Iterator`, boundaries,
//! disconnect, time-based operators, and exactly-once merge.

mod common;

use std::time::{Duration, Instant};

use common::{DropLog, Tracked, within};
use may_channel::flavors::{BoundedBlocking, UnboundedMpmc};
use may_channel::ops::{Edge, Source};
use may_channel::{RecvError, RecvTimeoutError, TryRecvError};
use proptest::prelude::*;

/// A channel pre-filled with `items` whose senders are gone.
fn closed_channel(items: &[i32]) -> may_channel::Receiver<i32, UnboundedMpmc> {
    let (tx, rx) = UnboundedMpmc::new();
    assert!(tx.send_batch(items.iter().copied()).is_empty());
    rx
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn stateless_chains_match_iterator(
        items in proptest::collection::vec(-50i32..50, 0..60),
        skip in 0usize..10,
        take in 0usize..40,
        threshold in -50i32..50,
    ) {
        let ours: Vec<i64> = closed_channel(&items)
            .map(|x| i64::from(x) * 3)
            .filter(|x| x % 2 == 0)
            .skip(skip)
            .take(take)
            .filter_map(|x| (x > i64::from(threshold)).then_some(x - 1))
            .into_iter()
            .collect();
        let model: Vec<i64> = items
            .iter()
            .map(|&x| i64::from(x) * 3)
            .filter(|x| x % 2 == 0)
            .skip(skip)
            .take(take)
            .filter_map(|x| (x > i64::from(threshold)).then_some(x - 1))
            .collect();
        prop_assert_eq!(ours, model);
    }

    #[test]
    fn while_operators_match_iterator(
        items in proptest::collection::vec(0i32..20, 0..40),
        limit in 0i32..20,
    ) {
        let ours: Vec<i32> = closed_channel(&items).take_while(|&x| x < limit).into_iter().collect();
        let model: Vec<i32> = items.iter().copied().take_while(|&x| x < limit).collect();
        prop_assert_eq!(ours, model);
        let ours: Vec<i32> = closed_channel(&items).skip_while(|&x| x < limit).into_iter().collect();
        let model: Vec<i32> = items.iter().copied().skip_while(|&x| x < limit).collect();
        prop_assert_eq!(ours, model);
    }

    #[test]
    fn batch_chain_zip_match_iterator(
        a in proptest::collection::vec(any::<i32>(), 0..40),
        b in proptest::collection::vec(any::<i32>(), 0..40),
        size in 1usize..9,
    ) {
        let ours: Vec<Vec<i32>> = closed_channel(&a).batch(size).into_iter().collect();
        let model: Vec<Vec<i32>> = a.chunks(size).map(<[i32]>::to_vec).collect();
        prop_assert_eq!(ours, model);
        let ours: Vec<i32> = closed_channel(&a).chain(closed_channel(&b)).into_iter().collect();
        let model: Vec<i32> = a.iter().chain(&b).copied().collect();
        prop_assert_eq!(ours, model);
        let ours: Vec<(i32, i32)> = closed_channel(&a).zip(closed_channel(&b)).into_iter().collect();
        let model: Vec<(i32, i32)> = a.iter().copied().zip(b.iter().copied()).collect();
        prop_assert_eq!(ours, model);
    }

    #[test]
    fn merge_of_closed_channels_yields_everything_once(
        a in proptest::collection::vec(0i32..1000, 0..50),
        b in proptest::collection::vec(1000i32..2000, 0..50),
    ) {
        let mut ours: Vec<i32> = closed_channel(&a).merge(closed_channel(&b)).into_iter().collect();
        ours.sort_unstable();
        let mut model: Vec<i32> = a.iter().chain(&b).copied().collect();
        model.sort_unstable();
        prop_assert_eq!(ours, model);
    }
}

#[test]
fn take_ends_without_touching_the_channel() {
    let (tx, rx) = UnboundedMpmc::new();
    tx.send_batch(0..10);
    let mut first_three = (&rx).take(3);
    assert_eq!(first_three.iter().collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(first_three.recv(), Err(RecvError));
    assert_eq!(first_three.try_recv(), Err(TryRecvError::Disconnected));
    assert_eq!(rx.len(), 7, "take(3) took exactly three");
}

#[test]
fn operators_keep_timeouts_and_disconnect() {
    let (tx, rx) = UnboundedMpmc::new::<u32>();
    let mut doubled = rx.map(|x| x * 2).filter(|x| *x > 2);
    assert_eq!(doubled.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(
        doubled.recv_timeout(Duration::from_millis(5)),
        Err(RecvTimeoutError::Timeout)
    );
    tx.send(1).unwrap(); // filtered out
    tx.send(2).unwrap();
    assert_eq!(doubled.recv_timeout(Duration::from_millis(5)), Ok(4));
    drop(tx);
    assert_eq!(doubled.recv(), Err(RecvError));
}

#[test]
fn operators_block_and_wake_in_coroutines() {
    within(30, || {
        let (tx, rx) = BoundedBlocking::<2>::new::<u32>();
        let consumer = may::go!(move || rx.map(|x| x + 1).batch(4).into_iter().collect::<Vec<_>>());
        for i in 0..10 {
            tx.send(i).unwrap();
        }
        drop(tx);
        assert_eq!(
            consumer.join().unwrap(),
            vec![vec![1, 2, 3, 4], vec![5, 6, 7, 8], vec![9, 10]]
        );
    });
}

#[test]
fn batch_keeps_what_it_holds_across_a_timeout_and_drops_it_once() {
    let log = DropLog::new(5);
    let (tx, rx) = UnboundedMpmc::new::<Tracked>();
    let mut batches = rx.batch(4);
    for id in 0..3 {
        tx.send(log.item(id)).unwrap();
    }
    assert!(batches.recv_timeout(Duration::from_millis(5)).is_err());
    assert_eq!(batches.pending(), 3, "a timeout keeps the partial batch");
    tx.send(log.item(3)).unwrap();
    let batch = batches.recv().unwrap();
    assert_eq!(batch.iter().map(|m| m.id).collect::<Vec<_>>(), [0, 1, 2, 3]);
    drop(batch);
    tx.send(log.item(4)).unwrap();
    assert!(batches.try_recv().is_err());
    assert_eq!(batches.pending(), 1);
    drop(batches);
    drop(tx);
    log.assert_all_dropped_once();
}

#[test]
fn batch_timeout_emits_when_full_or_when_the_first_item_is_old_enough() {
    within(30, || {
        let (tx, rx) = UnboundedMpmc::new::<u32>();
        let mut batches = rx.batch_timeout(3, Duration::from_millis(30));
        tx.send_batch([1, 2, 3, 4]);
        assert_eq!(batches.recv(), Ok(vec![1, 2, 3]), "full batch at once");
        let start = Instant::now();
        assert_eq!(
            batches.recv(),
            Ok(vec![4]),
            "partial batch once the first item is 30 ms old"
        );
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "it did not wait for more items for ever"
        );
        drop(tx);
        assert_eq!(batches.recv(), Err(RecvError));
    });
}

#[test]
fn debounce_emits_the_last_item_after_a_quiet_period() {
    within(30, || {
        let (tx, rx) = UnboundedMpmc::new::<u32>();
        let producer = std::thread::spawn(move || {
            for burst in 0..3u32 {
                for i in 0..5 {
                    tx.send(burst * 10 + i).unwrap();
                }
                // Quiet for much longer than the debounce period (and the
                // period itself is far longer than a burst takes, even on a
                // loaded machine).
                std::thread::sleep(Duration::from_millis(400));
            }
        });
        let emitted: Vec<u32> = rx
            .debounce(Duration::from_millis(100))
            .into_iter()
            .collect();
        producer.join().unwrap();
        // Each burst settles on its last value; nothing else gets through.
        assert_eq!(emitted, [4, 14, 24]);
    });
}

#[test]
fn debounce_emits_a_pending_item_when_the_source_ends() {
    let rx = closed_channel(&[1, 2, 3]);
    let emitted: Vec<i32> = rx.debounce(Duration::from_secs(60)).into_iter().collect();
    assert_eq!(emitted, [3]);
}

#[test]
fn throttle_leading_lets_the_first_of_each_period_through() {
    let rx = closed_channel(&[1, 2, 3, 4]);
    // Everything arrives at once: only the first item falls outside the
    // period opened by the first.
    let emitted: Vec<i32> = rx
        .throttle(Duration::from_secs(60), Edge::Leading)
        .into_iter()
        .collect();
    assert_eq!(emitted, [1]);
}

#[test]
fn throttle_trailing_lets_the_last_of_each_period_through() {
    within(30, || {
        let (tx, rx) = UnboundedMpmc::new::<u32>();
        let producer = std::thread::spawn(move || {
            for burst in 0..2u32 {
                tx.send_batch((0..5).map(|i| burst * 10 + i));
                std::thread::sleep(Duration::from_millis(400));
            }
        });
        let emitted: Vec<u32> = rx
            .throttle(Duration::from_millis(100), Edge::Trailing)
            .into_iter()
            .collect();
        producer.join().unwrap();
        assert_eq!(emitted, [4, 14]);
    });
}

#[test]
fn merge_hands_over_everything_once_from_concurrent_producers() {
    within(60, || {
        const EACH: usize = 5_000;
        let (tx_a, rx_a) = BoundedBlocking::<8>::new::<usize>();
        let (tx_b, rx_b) = UnboundedMpmc::new::<usize>();
        let a = std::thread::spawn(move || (0..EACH).for_each(|i| tx_a.send(i).unwrap()));
        let b = may::go!(move || (EACH..2 * EACH).for_each(|i| tx_b.send(i).unwrap()));
        let consumer =
            may::go!(move || rx_a.merge(rx_b.map(|x| x)).into_iter().collect::<Vec<_>>());
        a.join().unwrap();
        b.join().unwrap();
        let mut all = consumer.join().unwrap();
        all.sort_unstable();
        assert_eq!(all, (0..2 * EACH).collect::<Vec<_>>());
    });
}

#[test]
fn merge_is_fair_and_waits_on_both() {
    within(30, || {
        let (tx_a, rx_a) = UnboundedMpmc::new::<char>();
        let (tx_b, rx_b) = UnboundedMpmc::new::<char>();
        tx_a.send_batch(std::iter::repeat_n('a', 100));
        tx_b.send_batch(std::iter::repeat_n('b', 100));
        let mut merged = (&rx_a).merge(&rx_b);
        let first: Vec<char> = (0..100).map(|_| merged.recv().unwrap()).collect();
        let a_count = first.iter().filter(|&&c| c == 'a').count();
        assert_eq!(a_count, 50, "strict alternation while both have items");
        // A blocked merge wakes for either side.
        drop((tx_a, first));
        rx_a.try_iter().count();
        rx_b.try_iter().count();
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            tx_b.send('z').unwrap();
        });
        assert_eq!(merged.recv(), Ok('z'));
        sender.join().unwrap();
        assert_eq!(merged.recv(), Err(RecvError), "both ended");
    });
}

#[test]
fn merge_with_a_debounced_source_wakes_when_the_debounce_is_due() {
    within(30, || {
        let (tx_a, rx_a) = UnboundedMpmc::new::<u32>();
        let (_tx_b, rx_b) = UnboundedMpmc::new::<u32>();
        tx_a.send(7).unwrap();
        let mut merged = rx_a.debounce(Duration::from_millis(20)).merge(rx_b);
        // Nothing arrives on either channel: only the debounce's due time can
        // end this wait.
        assert_eq!(merged.recv_timeout(Duration::from_secs(10)), Ok(7));
        drop(tx_a);
    });
}
