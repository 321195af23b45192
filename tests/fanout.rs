//! Fan-out: distribution properties and re-routing on disconnect.

mod common;

use std::collections::HashMap;

use common::{DropLog, Tracked, within};
use may_channel::fanout::{FanOut, KeyHash, LeastLoaded, Random, RoundRobin};
use may_channel::flavors::{BoundedBlocking, InstrumentedBounded, LatestN, UnboundedMpmc};
use may_channel::{Receiver, SendError};

fn unbounded_outputs(
    n: usize,
) -> Vec<(
    may_channel::Sender<u64, UnboundedMpmc>,
    Receiver<u64, UnboundedMpmc>,
)> {
    (0..n).map(|_| UnboundedMpmc::new()).collect()
}

#[test]
fn round_robin_is_exactly_even() {
    let outputs = unbounded_outputs(4);
    let mut fanout = FanOut::new(RoundRobin::default());
    for (tx, _) in &outputs {
        fanout.add(tx.clone());
    }
    for i in 0..4_000 {
        fanout.send(i).unwrap();
    }
    for (_, rx) in &outputs {
        assert_eq!(rx.len(), 1_000);
    }
}

#[test]
fn key_hash_is_stable_and_moves_only_the_keys_of_a_removed_output() {
    let outputs = unbounded_outputs(5);
    let mut fanout = FanOut::new(KeyHash::new(|msg: &u64| msg % 100));
    let ids: Vec<_> = outputs
        .iter()
        .map(|(tx, _)| fanout.add(tx.clone()))
        .collect();
    let mut placement = HashMap::new();
    for msg in 0..1_000u64 {
        let id = fanout.send(msg).unwrap();
        let previous = placement.insert(msg % 100, id);
        assert!(
            previous.is_none_or(|p| p == id),
            "key {} moved between outputs",
            msg % 100
        );
    }
    // Every output got some keys (100 keys over 5 outputs).
    assert!(outputs.iter().all(|(_, rx)| !rx.is_empty()));
    let removed = ids[2];
    fanout.remove(removed);
    for key in 0..100u64 {
        let id = fanout.send(key).unwrap();
        if placement[&key] != removed {
            assert_eq!(
                id, placement[&key],
                "key {key} moved although its output stayed"
            );
        } else {
            assert_ne!(id, removed);
        }
    }
}

#[test]
fn least_loaded_prefers_the_shortest_queue() {
    let outputs = unbounded_outputs(3);
    let mut fanout = FanOut::new(LeastLoaded::default());
    let ids: Vec<_> = outputs
        .iter()
        .map(|(tx, _)| fanout.add(tx.clone()))
        .collect();
    outputs[0].0.send_batch(0..5);
    outputs[1].0.send_batch(0..2);
    outputs[2].0.send_batch(0..7);
    // Output 1 is shortest until it catches up with output 0, then they share.
    let chosen: Vec<_> = (0..6).map(|i| fanout.send(i).unwrap()).collect();
    assert_eq!(&chosen[..3], [ids[1]; 3]);
    assert!(chosen[3..].iter().all(|&id| id == ids[0] || id == ids[1]));
    assert_eq!(outputs[2].1.len(), 7, "the longest queue got nothing");
}

#[test]
fn random_spreads_roughly_evenly() {
    fastrand::seed(3);
    let outputs = unbounded_outputs(4);
    let mut fanout = FanOut::new(Random);
    for (tx, _) in &outputs {
        fanout.add(tx.clone());
    }
    for i in 0..8_000 {
        fanout.send(i).unwrap();
    }
    for (_, rx) in &outputs {
        assert!((1_600..=2_400).contains(&rx.len()), "{} of 8000", rx.len());
    }
}

#[test]
fn a_disconnected_output_is_removed_and_its_message_rerouted() {
    let log = DropLog::new(300);
    let (tx_a, rx_a) = UnboundedMpmc::new::<Tracked>();
    let (tx_b, rx_b) = InstrumentedBounded::<512>::new::<Tracked>();
    let (tx_c, rx_c) = LatestN::<512>::new::<Tracked>();
    let mut fanout = FanOut::new(RoundRobin::default());
    fanout.add(tx_a);
    let b = fanout.add(tx_b);
    fanout.add(tx_c);
    let mut received = Vec::new();
    for id in 0..150 {
        fanout.send(log.item(id)).unwrap();
    }
    received.extend(rx_b.try_iter());
    drop(rx_b);
    for id in 150..300 {
        let output = fanout.send(log.item(id)).unwrap();
        assert_ne!(output, b);
    }
    assert_eq!(fanout.len(), 2);
    assert_eq!(fanout.rerouted(), 1, "one message found output b gone");
    received.extend(rx_a.try_iter());
    received.extend(rx_c.try_iter());
    let mut ids: Vec<usize> = received.iter().map(|m| m.id).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        (0..300).collect::<Vec<_>>(),
        "every message arrived exactly once"
    );
    drop(received);
    log.assert_all_dropped_once();
}

#[test]
fn with_no_output_left_the_message_is_handed_back() {
    let (tx, rx) = BoundedBlocking::<4>::new::<u8>();
    let mut fanout = FanOut::new(RoundRobin::default());
    assert_eq!(fanout.send(1), Err(SendError(1)));
    fanout.add(tx);
    drop(rx);
    assert_eq!(fanout.send(2), Err(SendError(2)));
    assert!(fanout.is_empty());
}

#[test]
fn outputs_come_and_go_while_sending_from_a_coroutine() {
    within(30, || {
        let outputs = unbounded_outputs(3);
        let senders: Vec<_> = outputs.iter().map(|(tx, _)| tx.clone()).collect();
        let producer = may::go!(move || {
            let mut fanout = FanOut::new(RoundRobin::default());
            let first = fanout.add(senders[0].clone());
            for i in 0..100 {
                fanout.send(i).unwrap();
            }
            fanout.add(senders[1].clone());
            fanout.add(senders[2].clone());
            for i in 100..400 {
                fanout.send(i).unwrap();
            }
            assert!(fanout.remove(first).is_some());
            for i in 400..600 {
                fanout.send(i).unwrap();
            }
            fanout.ids().count()
        });
        assert_eq!(producer.join().unwrap(), 2);
        let lens: Vec<usize> = outputs.iter().map(|(_, rx)| rx.len()).collect();
        assert_eq!(lens, [200, 200, 200]);
    });
}
