//! The unbounded segmented list (`queue/unbounded.rs`, two slots per
//! segment under loom): the first segment's install, the hand-off to the
//! next segment by the claimant of a last slot, freeing through
//! `DONE`/`RETIRING`, the receivers' wait for a claimed slot's write, and
//! the close bit.

use loom::sync::Arc;
use loom::thread;

use super::{PREEMPTIONS, model};
use crate::queue::{QueueStrategy, RawQueue, SEGMENT_ITEMS, Unbounded, UnboundedQueue};

fn queue() -> Arc<UnboundedQueue<usize>> {
    Arc::new(Unbounded::new_queue(&()))
}

/// Everything left in `queue`, in order.
fn rest(queue: &UnboundedQueue<usize>) -> Vec<usize> {
    std::iter::from_fn(|| queue.pop(0)).collect()
}

/// Two senders race for the first segment and across the hand-off to the
/// second while a receiver takes: every item once, FIFO per sender, a
/// receive after one's own send finds something, and the drained queue
/// keeps at most its floor of two segments.
#[test]
fn loom_unbounded_two_senders_one_receiver() {
    assert_eq!(SEGMENT_ITEMS, 2, "the models expect two-slot segments");
    model(PREEMPTIONS, || {
        let queue = queue();
        let first = {
            let queue = queue.clone();
            thread::spawn(move || {
                assert_eq!(queue.push(1, 0), Ok(()));
                assert_eq!(queue.push(2, 0), Ok(()));
            })
        };
        let second = {
            let queue = queue.clone();
            thread::spawn(move || {
                assert_eq!(queue.push(10, 0), Ok(()));
                // Linearizable: our own send is there (or was taken).
                queue
                    .pop(0)
                    .expect("a receive after our send finds a message")
            })
        };
        let mut taken: Vec<_> = queue.pop(0).into_iter().collect();
        first.join().unwrap();
        taken.push(second.join().unwrap());
        taken.extend(rest(&queue));
        let mine: Vec<_> = taken.iter().copied().filter(|&item| item < 10).collect();
        assert_eq!(mine.len(), 2);
        let mut sorted = taken.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [1, 2, 10], "each item exactly once");
        assert!(queue.is_empty());
        assert_eq!(queue.len(), 0);
        let floor = 2 * crate::queue::segment_bytes::<usize>();
        assert!(
            queue.allocated_bytes().unwrap() <= floor,
            "drained segments are freed"
        );
    });
}

/// One producer's items come out in its order while two receivers race
/// over a segment's slots and its hand-off: each item once, and the
/// segment is freed by whichever receiver finishes last (`RETIRING`).
#[test]
fn loom_unbounded_fifo_two_receivers() {
    model(PREEMPTIONS, || {
        let queue = queue();
        let sender = {
            let queue = queue.clone();
            thread::spawn(move || {
                for item in 1..=3 {
                    assert_eq!(queue.push(item, 0), Ok(()));
                }
            })
        };
        let receiver = {
            let queue = queue.clone();
            thread::spawn(move || [queue.pop(0), queue.pop(0)])
        };
        let mine: Vec<_> = [queue.pop(0), queue.pop(0)].into_iter().flatten().collect();
        sender.join().unwrap();
        let theirs: Vec<_> = receiver.join().unwrap().into_iter().flatten().collect();
        for taken in [&mine, &theirs] {
            assert!(taken.windows(2).all(|pair| pair[0] < pair[1]), "FIFO");
        }
        let mut all: Vec<_> = mine.into_iter().chain(theirs).collect();
        all.extend(rest(&queue));
        all.sort_unstable();
        assert_eq!(all, [1, 2, 3], "each item exactly once");
        let floor = 2 * crate::queue::segment_bytes::<usize>();
        assert!(
            queue.allocated_bytes().unwrap() <= floor,
            "drained segments are freed"
        );
    });
}

/// Send against close: a send either lands (and is taken) or is refused
/// with its item back, also across a segment hand-off; a send after the
/// close is refused.
#[test]
fn loom_unbounded_send_vs_close() {
    model(PREEMPTIONS, || {
        let queue = queue();
        assert_eq!(queue.push(0, 0), Ok(()));
        let sender = {
            let queue = queue.clone();
            thread::spawn(move || [queue.push(1, 0), queue.push(2, 0)])
        };
        queue.close();
        assert_eq!(queue.push(9, 0), Err(9), "refused after the close");
        let results = sender.join().unwrap();
        let taken = rest(&queue);
        let mut expected = vec![0];
        for (item, result) in [1, 2].into_iter().zip(results) {
            match result {
                Ok(()) => expected.push(item),
                Err(back) => assert_eq!(back, item, "a refusal hands the item back"),
            }
        }
        assert_eq!(taken, expected, "landed sends are taken, in order");
        assert!(
            results.iter().is_sorted_by_key(|result| result.is_err()),
            "once refused, refused"
        );
    });
}
