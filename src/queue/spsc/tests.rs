//! The SPSC list's own tests: its exclusive operations from one producer
//! and one consumer, and the locked ones from many.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use super::{SPSC_SEGMENT_ITEMS, SpscQueue};
use crate::queue::RawQueue;
use crate::queue::test_support::Counted;

fn live(queue: &SpscQueue<impl Sized>) -> usize {
    queue.segments.load(Ordering::Relaxed)
}

#[test]
fn fifo_across_many_segments_and_memory_back_to_the_floor() {
    let queue = SpscQueue::new();
    assert_eq!(live(&queue), 1, "the first segment comes with the queue");
    let count = 10 * SPSC_SEGMENT_ITEMS + 7;
    for i in 0..count {
        assert!(queue.push(i, 0).is_ok());
    }
    assert_eq!(queue.len(), count);
    assert_eq!(live(&queue), count.div_ceil(SPSC_SEGMENT_ITEMS));
    for i in 0..count {
        assert_eq!(queue.pop(0), Some(i));
    }
    assert_eq!(queue.pop(0), None);
    assert!(queue.is_empty());
    assert_eq!(live(&queue), 2, "the segment in use and one spare");
}

#[test]
fn a_steady_stream_reuses_the_spare() {
    let queue = SpscQueue::new();
    for i in 0..100 * SPSC_SEGMENT_ITEMS {
        // SAFETY: this thread is the only producer and the only consumer.
        unsafe {
            assert!(queue.push_exclusive(i).is_ok());
            assert_eq!(queue.pop_exclusive(), Some(i));
        }
        assert!(
            live(&queue) <= 2,
            "at most the segment in use and the spare"
        );
    }
}

#[test]
fn close_refuses_new_messages_and_keeps_the_queued_ones() {
    let queue = SpscQueue::new();
    for i in 0..SPSC_SEGMENT_ITEMS {
        assert!(queue.push(i, 0).is_ok());
    }
    queue.close();
    queue.close();
    // The next push would start a segment: refused before it links one.
    assert_eq!(queue.push(999, 0), Err(999));
    for i in 0..SPSC_SEGMENT_ITEMS {
        assert_eq!(queue.pop(0), Some(i));
    }
    assert_eq!(queue.pop(0), None);
}

#[test]
fn a_close_between_write_and_publish_hands_the_message_back() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = SpscQueue::new();
    for _ in 0..SPSC_SEGMENT_ITEMS {
        assert!(queue.push(Counted(Arc::clone(&drops)), 0).is_ok());
    }
    // The race, played in order: the producer loads the tail word, a close
    // sets the flag, the producer links a new segment, writes its slot and
    // fails its CAS.
    let word = queue.tail.word.load(Ordering::Relaxed);
    queue.close();
    // SAFETY: this thread is the only producer; `word` is the tail's, loaded
    // before the close.
    let refused = unsafe { queue.publish_at(word, Counted(Arc::clone(&drops))) };
    assert!(refused.is_err(), "the CAS sees the flag");
    assert_eq!(live(&queue), 2, "the new segment stays linked");
    drop(refused);
    assert_eq!(
        drops.load(Ordering::Relaxed),
        1,
        "the refused message, once"
    );
    assert_eq!(queue.len(), SPSC_SEGMENT_ITEMS);
    drop(queue.pop(0));
    drop(queue);
    assert_eq!(
        drops.load(Ordering::Relaxed),
        SPSC_SEGMENT_ITEMS + 1,
        "every queued message dropped once with the queue"
    );
}

#[test]
fn dropping_the_queue_drops_each_message_once_and_frees_every_segment() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = SpscQueue::new();
    let count = 3 * SPSC_SEGMENT_ITEMS + 5;
    for _ in 0..count {
        assert!(queue.push(Counted(Arc::clone(&drops)), 0).is_ok());
    }
    for _ in 0..SPSC_SEGMENT_ITEMS + 2 {
        drop(queue.pop(0));
    }
    assert_eq!(drops.load(Ordering::Relaxed), SPSC_SEGMENT_ITEMS + 2);
    drop(queue);
    assert_eq!(drops.load(Ordering::Relaxed), count);
}

#[test]
fn one_producer_thread_and_one_consumer_thread_keep_fifo() {
    const COUNT: usize = 200_000;
    let queue = Arc::new(SpscQueue::new());
    let producer = {
        let queue = Arc::clone(&queue);
        thread::spawn(move || {
            for i in 0..COUNT {
                // SAFETY: the only producer.
                assert!(unsafe { queue.push_exclusive(i) }.is_ok());
            }
        })
    };
    let mut expected = 0;
    while expected < COUNT {
        // SAFETY: the only consumer.
        match unsafe { queue.pop_exclusive() } {
            Some(i) => {
                assert_eq!(i, expected);
                expected += 1;
            }
            None => std::hint::spin_loop(),
        }
    }
    producer.join().unwrap();
    assert!(queue.is_empty());
    assert!(live(&queue) <= 2);
}

#[test]
fn shared_handles_take_turns_and_lose_nothing() {
    const PRODUCERS: usize = 3;
    const CONSUMERS: usize = 3;
    const EACH: usize = 20_000;
    let queue = Arc::new(SpscQueue::new());
    let taken = Arc::new(AtomicUsize::new(0));
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                for i in 0..EACH {
                    assert!(queue.push((p, i), 0).is_ok());
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let queue = Arc::clone(&queue);
            let taken = Arc::clone(&taken);
            thread::spawn(move || {
                let mut last = [None; PRODUCERS];
                let mut got = Vec::new();
                while taken.load(Ordering::Relaxed) < PRODUCERS * EACH {
                    if let Some((p, i)) = queue.pop(0) {
                        // Per-producer order holds for each consumer.
                        assert!(last[p].is_none_or(|prev| prev < i));
                        last[p] = Some(i);
                        got.push((p, i));
                        taken.fetch_add(1, Ordering::Relaxed);
                    } else {
                        thread::yield_now();
                    }
                }
                got
            })
        })
        .collect();
    for producer in producers {
        producer.join().unwrap();
    }
    let mut all: Vec<(usize, usize)> = consumers
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    all.sort_unstable();
    let expected: Vec<(usize, usize)> = (0..PRODUCERS)
        .flat_map(|p| (0..EACH).map(move |i| (p, i)))
        .collect();
    assert_eq!(all, expected, "every message exactly once");
}
