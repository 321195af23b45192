//! The single-producer queues: the segmented list (`queue/spsc.rs`, two
//! slots per segment under loom: segment links, retiring, the spare) and
//! the ring (`queue/spsc_ring.rs`), each with its close flag, and the
//! shared handles' turn-taking lock.

use loom::sync::Arc;
use loom::thread;

use super::{PREEMPTIONS, model};
use crate::queue::{QueueStrategy, RawQueue, Spsc, SpscBounded, SpscQueue, SpscRingQueue};

/// The producer's results for `items`: the items that landed, in order;
/// every refusal hands its own item back.
fn landed(items: &[usize], results: Vec<Result<(), usize>>) -> Vec<usize> {
    let mut kept = Vec::new();
    for (&item, result) in items.iter().zip(results) {
        match result {
            Ok(()) => kept.push(item),
            Err(back) => assert_eq!(back, item, "a refusal hands the item back"),
        }
    }
    kept
}

/// The list: the producer crosses two segment boundaries (a link, then
/// the spare the consumer retired) while the consumer takes; FIFO, each
/// item once, and a close that races the producer refuses cleanly.
#[test]
fn loom_spsc_list_fifo_and_close() {
    for close in [false, true] {
        model(PREEMPTIONS, move || {
            let queue: Arc<SpscQueue<usize>> = Arc::new(Spsc::new_queue(&()));
            let items = [1, 2, 3, 4, 5];
            let producer = {
                let queue = queue.clone();
                thread::spawn(move || {
                    items
                        .iter()
                        // SAFETY: this thread is the only producer.
                        .map(|&item| unsafe { queue.push_exclusive(item) })
                        .collect::<Vec<_>>()
                })
            };
            if close {
                queue.close();
            }
            // SAFETY: this thread is the only consumer.
            let mut taken: Vec<_> = (0..3)
                .filter_map(|_| unsafe { queue.pop_exclusive() })
                .collect();
            let kept = landed(&items, producer.join().unwrap());
            // SAFETY: as above.
            taken.extend(std::iter::from_fn(|| unsafe { queue.pop_exclusive() }));
            assert_eq!(taken, kept, "FIFO, each item once");
            if !close {
                assert_eq!(kept, items);
            }
            assert!(queue.is_empty());
            // At most the segment in use, its successor and the spare.
            let most = 3 * crate::queue::spsc_segment_bytes::<usize>();
            assert!(queue.allocated_bytes().unwrap() <= most);
        });
    }
}

/// The ring, capacity 1 and 2: the producer's pushes land or are refused
/// (full, or closed) with the item back, and the consumer takes the
/// landed ones in order, each once.
#[test]
fn loom_spsc_ring_fifo_and_close() {
    for (capacity, close) in [(1, false), (2, false), (1, true), (2, true)] {
        model(PREEMPTIONS, move || {
            let queue: Arc<SpscRingQueue<usize>> = Arc::new(match capacity {
                1 => SpscBounded::<1>::new_queue(&()),
                _ => SpscBounded::<2>::new_queue(&()),
            });
            let items = [1, 2, 3];
            let producer = {
                let queue = queue.clone();
                thread::spawn(move || {
                    items
                        .iter()
                        // SAFETY: this thread is the only producer.
                        .map(|&item| unsafe { queue.push_exclusive(item) })
                        .collect::<Vec<_>>()
                })
            };
            if close {
                queue.close();
            }
            // SAFETY: this thread is the only consumer.
            let mut taken: Vec<_> = (0..2)
                .filter_map(|_| unsafe { queue.pop_exclusive() })
                .collect();
            let kept = landed(&items, producer.join().unwrap());
            // SAFETY: as above.
            taken.extend(std::iter::from_fn(|| unsafe { queue.pop_exclusive() }));
            assert_eq!(taken, kept, "FIFO, each item once");
            assert!(!kept.is_empty() || close, "an empty ring takes a push");
            assert!(queue.is_empty());
        });
    }
}

/// The shared handles: two senders take turns through the send lock into
/// the ring while a receiver takes; each item once.
#[test]
fn loom_spsc_shared_handles_take_turns() {
    model(PREEMPTIONS - 1, || {
        let queue: Arc<SpscRingQueue<usize>> = Arc::new(SpscBounded::<2>::new_queue(&()));
        let senders: Vec<_> = [1, 2]
            .into_iter()
            .map(|item| {
                let queue = queue.clone();
                thread::spawn(move || assert_eq!(queue.push(item, 0), Ok(())))
            })
            .collect();
        let mut taken: Vec<_> = queue.pop(0).into_iter().collect();
        for sender in senders {
            sender.join().unwrap();
        }
        taken.extend(std::iter::from_fn(|| queue.pop(0)));
        taken.sort_unstable();
        assert_eq!(taken, [1, 2]);
    });
}
