//! The segmented list's own tests. A sender "preempted" between its claim
//! and its write is played by calling `claim_tail` and holding the claim.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use super::{SEGMENT_ITEMS, UnboundedQueue};
use crate::queue::RawQueue;
use crate::queue::test_support::Counted;

fn live(queue: &UnboundedQueue<impl Sized>) -> usize {
    queue.segments.load(Ordering::Relaxed)
}

#[test]
fn fifo_across_many_segments_and_memory_back_to_the_floor() {
    let queue = UnboundedQueue::new();
    assert_eq!(live(&queue), 0, "nothing before the first send");
    for i in 0..1000 {
        assert!(queue.send(i).is_ok());
    }
    assert_eq!(queue.queued(), 1000);
    assert!(live(&queue) >= 1000 / SEGMENT_ITEMS);
    for i in 0..1000 {
        assert_eq!(queue.take_next(), Some(i));
        assert_eq!(queue.queued(), 999 - i);
    }
    assert_eq!(queue.take_next(), None);
    // 1000 = 32 × 31 + 8: the tail's segment has taken messages, so its
    // successor is linked.
    assert_eq!(live(&queue), 2, "the segment in use and its successor");
}

/// A receiver whose claimed slot's sender is between its claim and its
/// write waits for the write instead of answering "empty" or skipping it
/// (the queue counts the claim, so "empty" would contradict `len`). The
/// stopped sender is held open on purpose.
#[test]
fn a_receiver_waits_for_a_slot_whose_sender_is_away() {
    let queue = UnboundedQueue::new();
    assert_eq!(queue.take_next(), None, "nothing claimed: empty, at once");
    let (segment, offset) = queue.claim_tail().expect("open"); // a sender stopped here
    assert!(queue.send(2).is_ok());
    assert_eq!(queue.queued(), 2);
    thread::scope(|scope| {
        let receiver = scope.spawn(|| (queue.take_next(), queue.take_next()));
        // Not a timing assertion: the receiver must wait however long the
        // sender is away; this only makes it likely to be waiting.
        thread::sleep(std::time::Duration::from_millis(20));
        let waited = !receiver.is_finished();
        // SAFETY: claimed above, published once.
        unsafe { queue.publish(segment, offset, 1) };
        assert_eq!(receiver.join().unwrap(), (Some(1), Some(2)), "in order");
        assert!(waited, "the receiver did not wait for the claimed slot");
    });
    assert_eq!(queue.take_next(), None);
}

#[test]
fn a_slot_written_in_time_is_taken() {
    let queue = UnboundedQueue::new();
    let (segment, offset) = queue.claim_tail().expect("open");
    // SAFETY: claimed above, published once.
    unsafe { queue.publish(segment, offset, 7) };
    assert_eq!(queue.take_next(), Some(7));
}

#[test]
fn drop_drops_each_queued_message_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = UnboundedQueue::new();
    for _ in 0..100 {
        assert!(queue.send(Counted(Arc::clone(&drops))).is_ok());
    }
    for _ in 0..40 {
        drop(queue.take_next());
    }
    assert_eq!(drops.load(Ordering::Relaxed), 40);
    drop(queue);
    assert_eq!(drops.load(Ordering::Relaxed), 100);
}

#[test]
fn many_senders_and_receivers_each_message_once_in_sender_order() {
    const SENDERS: usize = 4;
    const RECEIVERS: usize = 4;
    const EACH: usize = 20_000;
    let queue = Arc::new(UnboundedQueue::new());
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                for i in 0..EACH {
                    assert!(queue.send((s, i)).is_ok());
                }
            })
        })
        .collect();
    let taken = Arc::new(AtomicUsize::new(0));
    let receivers: Vec<_> = (0..RECEIVERS)
        .map(|_| {
            let queue = Arc::clone(&queue);
            let taken = Arc::clone(&taken);
            thread::spawn(move || {
                let mut last: HashMap<usize, usize> = HashMap::new();
                let mut got = Vec::new();
                while taken.load(Ordering::Relaxed) < SENDERS * EACH {
                    match queue.take_next() {
                        Some((s, i)) => {
                            taken.fetch_add(1, Ordering::Relaxed);
                            if let Some(&before) = last.get(&s) {
                                assert!(i > before, "sender {s}: {i} after {before}");
                            }
                            last.insert(s, i);
                            got.push((s, i));
                        }
                        None => thread::yield_now(),
                    }
                }
                got
            })
        })
        .collect();
    for sender in senders {
        sender.join().unwrap();
    }
    let all: Vec<_> = receivers
        .into_iter()
        .flat_map(|r| r.join().unwrap())
        .collect();
    assert_drained_exactly_once(&queue, all, SENDERS, EACH);
}

/// Senders that stop between claim and write on purpose (a yield), against
/// a receiver that polls: it waits for each stopped sender, while segments
/// are being freed around them.
#[test]
fn stalling_senders_against_a_polling_receiver_lose_nothing() {
    const SENDERS: usize = 3;
    const EACH: usize = 5_000;
    let queue = Arc::new(UnboundedQueue::new());
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                for i in 0..EACH {
                    let (segment, offset) = queue.claim_tail().expect("open");
                    if i % 3 == 0 {
                        thread::yield_now();
                    }
                    // SAFETY: just claimed, published once.
                    unsafe { queue.publish(segment, offset, (s, i)) };
                }
            })
        })
        .collect();
    let mut got = Vec::new();
    while got.len() < SENDERS * EACH {
        if let Some(item) = queue.take_next() {
            got.push(item);
        }
    }
    for sender in senders {
        sender.join().unwrap();
    }
    assert_drained_exactly_once(&queue, got, SENDERS, EACH);
}

/// `got` holds message `(s, i)` once for every sender `s` and index `i`,
/// the queue is empty and its drained segments are freed.
fn assert_drained_exactly_once(
    queue: &UnboundedQueue<(usize, usize)>,
    mut got: Vec<(usize, usize)>,
    senders: usize,
    each: usize,
) {
    got.sort_unstable();
    let expected: Vec<_> = (0..senders)
        .flat_map(|s| (0..each).map(move |i| (s, i)))
        .collect();
    assert_eq!(got, expected, "every message exactly once");
    assert!(queue.take_next().is_none());
    assert!(live(queue) <= 2, "every drained segment freed");
}

/// After `close`, sends that had not claimed are refused with their message;
/// one that claimed before lands, and receivers wait for it. At every
/// offset, including the segment's last slot (whose claimant moves the tail
/// on without clearing the flag).
#[test]
fn a_closed_queue_refuses_sends_and_drains_what_was_sent() {
    for queued in 0..2 * SEGMENT_ITEMS + 2 {
        let queue = UnboundedQueue::new();
        for i in 0..queued {
            assert!(queue.send(i).is_ok());
        }
        let (segment, offset) = queue.claim_tail().expect("open");
        queue.close_tail();
        queue.close_tail(); // idempotent
        assert_eq!(queue.send(1000), Err(1000), "{queued} queued: refused");
        assert!(queue.claim_tail().is_none());
        for i in 0..queued {
            assert_eq!(queue.take_next(), Some(i), "{queued} queued");
        }
        assert!(
            !RawQueue::is_empty(&queue),
            "the claimed store still counts"
        );
        // SAFETY: claimed above, published once.
        unsafe { queue.publish(segment, offset, 500) };
        assert_eq!(queue.take_next(), Some(500));
        assert!(RawQueue::is_empty(&queue));
        assert_eq!(queue.queued(), 0);
        assert_eq!(queue.take_next(), None);
        assert_eq!(queue.send(500), Err(500));
    }
}
