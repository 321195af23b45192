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

#[test]
fn a_receiver_skips_a_slot_whose_sender_is_away_and_the_sender_sends_again() {
    let queue = UnboundedQueue::new();
    let (segment, offset) = queue.claim_tail().expect("open"); // a sender stopped here
    assert_eq!(queue.take_next(), None, "nothing written: empty, at once");
    assert!(queue.send(2).is_ok());
    assert_eq!(queue.take_next(), Some(2), "a later message is not held up");
    // SAFETY: claimed above, published once.
    let back = unsafe { queue.publish(segment, offset, 1) };
    assert_eq!(back, Err(1), "the abandoned slot hands the message back");
    assert!(queue.send(1).is_ok());
    assert_eq!(queue.take_next(), Some(1));
    assert_eq!(queue.take_next(), None);
}

#[test]
fn a_slot_written_in_time_is_taken() {
    let queue = UnboundedQueue::new();
    let (segment, offset) = queue.claim_tail().expect("open");
    // SAFETY: claimed above, published once.
    assert_eq!(unsafe { queue.publish(segment, offset, 7) }, Ok(()));
    assert_eq!(queue.take_next(), Some(7));
}

#[test]
fn abandoning_every_slot_of_a_segment_still_frees_it() {
    for stalled_offset in [0, SEGMENT_ITEMS / 2, SEGMENT_ITEMS - 1] {
        let queue = UnboundedQueue::new();
        let mut held = None;
        for i in 0..SEGMENT_ITEMS {
            if i == stalled_offset {
                held = Some(queue.claim_tail().expect("open"));
            } else {
                assert!(queue.send(i).is_ok());
            }
        }
        let taken: Vec<_> = std::iter::from_fn(|| queue.take_next()).collect();
        let expected: Vec<_> = (0..SEGMENT_ITEMS)
            .filter(|&i| i != stalled_offset)
            .collect();
        assert_eq!(taken, expected, "stalled at {stalled_offset}");
        // The first segment cannot go while the stalled slot is unfinished
        // (the second is the tail's now).
        assert_eq!(live(&queue), 2, "stalled at {stalled_offset}");
        let (segment, offset) = held.unwrap();
        // SAFETY: claimed above, published once.
        let back = unsafe { queue.publish(segment, offset, stalled_offset) };
        assert_eq!(back, Err(stalled_offset));
        assert_eq!(live(&queue), 1, "its sender finished it: freed");
        assert!(queue.send(stalled_offset).is_ok());
        assert_eq!(queue.take_next(), Some(stalled_offset));
    }
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
fn an_abandoned_message_is_dropped_once_after_being_sent_again() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = UnboundedQueue::new();
    let (segment, offset) = queue.claim_tail().expect("open");
    assert!(queue.take_next().is_none());
    // SAFETY: claimed above, published once.
    let back = unsafe { queue.publish(segment, offset, Counted(Arc::clone(&drops))) };
    let message = back.unwrap_err_or_panic();
    assert_eq!(drops.load(Ordering::Relaxed), 0, "handed back, not dropped");
    assert!(queue.send(message).is_ok());
    drop(queue);
    assert_eq!(drops.load(Ordering::Relaxed), 1);
}

trait UnwrapErr<E> {
    fn unwrap_err_or_panic(self) -> E;
}

impl<E> UnwrapErr<E> for Result<(), E> {
    fn unwrap_err_or_panic(self) -> E {
        match self {
            Ok(()) => panic!("expected the message back"),
            Err(e) => e,
        }
    }
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
/// receivers that never wait: many slots are abandoned and re-sent while
/// segments are being freed around them.
#[test]
fn stalling_senders_against_impatient_receivers_lose_nothing() {
    const SENDERS: usize = 3;
    const EACH: usize = 5_000;
    let queue = Arc::new(UnboundedQueue::new());
    let abandoned = Arc::new(AtomicUsize::new(0));
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let queue = Arc::clone(&queue);
            let abandoned = Arc::clone(&abandoned);
            thread::spawn(move || {
                for i in 0..EACH {
                    let mut item = (s, i);
                    loop {
                        let (segment, offset) = queue.claim_tail().expect("open");
                        if i % 3 == 0 {
                            thread::yield_now();
                        }
                        // SAFETY: just claimed, published once.
                        match unsafe { queue.publish(segment, offset, item) } {
                            Ok(()) => break,
                            Err(back) => {
                                abandoned.fetch_add(1, Ordering::Relaxed);
                                item = back;
                            }
                        }
                    }
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
    eprintln!(
        "abandoned and re-sent: {}",
        abandoned.load(Ordering::Relaxed)
    );
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
/// one that claimed before is either written in time and taken, or
/// abandoned by a receiver and then refused when it tries again (its send
/// never completed). At every offset, including the segment's last slot
/// (whose claimant moves the tail on without clearing the flag).
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
        if queued % 2 == 0 {
            // Written in time: delivered.
            // SAFETY: claimed above, published once.
            assert_eq!(unsafe { queue.publish(segment, offset, 500) }, Ok(()));
            assert_eq!(queue.take_next(), Some(500));
        } else {
            // The receiver gives up on it; the sender's retry is refused.
            assert_eq!(queue.take_next(), None);
            assert!(RawQueue::is_empty(&queue));
            // SAFETY: claimed above, published once.
            assert_eq!(unsafe { queue.publish(segment, offset, 500) }, Err(500));
            assert_eq!(queue.send(500), Err(500));
        }
        assert!(RawQueue::is_empty(&queue));
        assert_eq!(queue.queued(), 0);
        assert_eq!(queue.take_next(), None);
    }
}
