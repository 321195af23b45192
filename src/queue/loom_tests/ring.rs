//! The bounded ring (`queue/ring.rs`): claims and sequences, the
//! linearizable waits, close, eviction, and reservations.

use loom::sync::Arc;
use loom::thread;

use super::{PREEMPTIONS, model};
use crate::queue::ring::Ring;

/// Everything left in `ring`, in order.
fn rest(ring: &Ring<usize>) -> Vec<usize> {
    std::iter::from_fn(|| ring.pop()).collect()
}

/// Two pushers and one popper: on a ring with room for both, both pushes
/// succeed, each item is popped exactly once, and one producer's items
/// come out in its order. A pusher that pops right after its own push
/// finds something (the wait for a peer between claim and write).
#[test]
fn loom_ring_two_pushers_one_popper() {
    for capacity in [2, 3] {
        model(PREEMPTIONS, move || {
            let ring = Arc::new(Ring::new(capacity));
            let first = {
                let ring = ring.clone();
                thread::spawn(move || {
                    assert_eq!(ring.push(1), Ok(()));
                    if capacity > 2 {
                        assert_eq!(ring.push(2), Ok(()));
                    }
                })
            };
            let second = {
                let ring = ring.clone();
                thread::spawn(move || {
                    assert_eq!(ring.push(10), Ok(()));
                    // Linearizable: our own push is there (or was taken).
                    ring.pop().expect("a pop after our push finds a message")
                })
            };
            let mut popped = ring.pop().into_iter().collect::<Vec<_>>();
            first.join().unwrap();
            let taken = second.join().unwrap();
            popped.extend(rest(&ring));
            popped.push(taken);
            let mut sorted = popped.clone();
            sorted.sort_unstable();
            let mut expected = vec![1, 10];
            if capacity > 2 {
                expected.insert(1, 2);
            }
            assert_eq!(sorted, expected, "each item exactly once");
            assert!(ring.is_empty());
        });
    }
}

/// Capacity 1: two producers through one slot while a popper takes
/// one: a refused push (full) hands its item back, every item that landed
/// is popped exactly once, and one producer's items come out in its order.
#[test]
fn loom_ring_one_slot_fifo_per_producer() {
    model(PREEMPTIONS, || {
        let ring = Arc::new(Ring::new(1));
        let producer = {
            let ring = ring.clone();
            thread::spawn(move || [ring.push(1), ring.push(2)])
        };
        let other = {
            let ring = ring.clone();
            thread::spawn(move || ring.push(10))
        };
        let mut popped: Vec<_> = ring.pop().into_iter().collect();
        let mut refused = Vec::new();
        for (item, result) in [1, 2].into_iter().zip(producer.join().unwrap()) {
            if let Err(back) = result {
                assert_eq!(back, item, "a refusal hands the item back");
                refused.push(back);
            }
        }
        refused.extend(other.join().unwrap().err());
        popped.extend(rest(&ring));
        let mine: Vec<_> = popped.iter().copied().filter(|&item| item < 10).collect();
        assert!(
            mine.windows(2).all(|pair| pair[0] < pair[1]),
            "FIFO per producer"
        );
        popped.extend(refused);
        popped.sort_unstable();
        assert_eq!(popped, [1, 2, 10], "popped + refused = pushed, once each");
    });
}

/// Push against close: a push either lands (and is popped) or is refused
/// with its item back; a push after the close is refused.
#[test]
fn loom_ring_push_vs_close() {
    model(PREEMPTIONS, || {
        let ring = Arc::new(Ring::new(2));
        let pusher = {
            let ring = ring.clone();
            thread::spawn(move || ring.push(1))
        };
        let closer = {
            let ring = ring.clone();
            thread::spawn(move || {
                ring.close();
                assert_eq!(ring.push(2), Err(2), "refused after the close");
                // A receiver that finds the ring closed drains it: a store
                // that claimed before the close is waited for.
                ring.drain()
            })
        };
        let pushed = pusher.join().unwrap();
        let mut drained = closer.join().unwrap();
        drained.extend(rest(&ring));
        match pushed {
            Ok(()) => assert_eq!(drained, [1], "a landed push is drained"),
            Err(item) => {
                assert_eq!(item, 1);
                assert!(drained.is_empty(), "a refused push is not in the ring");
            }
        }
    });
}

/// Two evicting pushers on a full ring (`DropOldest`): every item is
/// evicted or left in the ring exactly once, and the ring ends up full
/// with the newest items.
#[test]
fn loom_ring_evicting_pushers() {
    for capacity in [1, 2] {
        model(PREEMPTIONS, move || {
            let ring = Arc::new(Ring::new(capacity));
            for item in 0..capacity {
                assert_eq!(ring.push(item), Ok(()));
            }
            let pushers: Vec<_> = [100, 200]
                .into_iter()
                .map(|item| {
                    let ring = ring.clone();
                    thread::spawn(move || ring.push_evicting(item).expect("open"))
                })
                .collect();
            let mut seen = Vec::new();
            for pusher in pushers {
                seen.extend(pusher.join().unwrap());
            }
            let left = rest(&ring);
            assert_eq!(left.len(), capacity, "a full ring stays full");
            assert!(
                left.contains(&100) || left.contains(&200),
                "the newest is kept"
            );
            seen.extend(left);
            seen.sort_unstable();
            let mut expected: Vec<usize> = (0..capacity).collect();
            expected.extend([100, 200]);
            assert_eq!(seen, expected, "evicted + left = pushed, once each");
        });
    }
}

/// An evicting pusher against a popper on a full ring: the popper takes
/// the oldest or the newcomer, never an item twice, and nothing is lost
/// while the evicting store holds the oldest slot as a receiver.
#[test]
fn loom_ring_evicting_vs_pop() {
    for capacity in [1, 2] {
        model(PREEMPTIONS, move || {
            let ring = Arc::new(Ring::new(capacity));
            for item in 0..capacity {
                assert_eq!(ring.push(item), Ok(()));
            }
            let pusher = {
                let ring = ring.clone();
                thread::spawn(move || ring.push_evicting(100).expect("open"))
            };
            let mut seen: Vec<_> = ring.pop().into_iter().collect();
            assert!(!seen.is_empty(), "a full ring is not empty");
            seen.extend(pusher.join().unwrap());
            seen.extend(rest(&ring));
            seen.sort_unstable();
            let mut expected: Vec<usize> = (0..capacity).collect();
            expected.push(100);
            assert_eq!(
                seen, expected,
                "evicted + popped + left = pushed, once each"
            );
        });
    }
}

/// A reservation filled later, against a popper and a plain pusher: the
/// popper finds nothing at a held head (it does not wait for user code)
/// or takes an item once; after the fill every item is there once, and
/// `lent` is back to 0.
#[test]
fn loom_ring_reserve_fill_vs_pop() {
    model(PREEMPTIONS, || {
        let ring = Arc::new(Ring::new(2));
        let reserver = {
            let ring = ring.clone();
            thread::spawn(move || {
                let position = ring.reserve().expect("room for a reservation");
                // SAFETY: reserved just above on this ring, filled once.
                unsafe { ring.fill(position, 1) };
            })
        };
        let pusher = {
            let ring = ring.clone();
            thread::spawn(move || assert_eq!(ring.push(2), Ok(())))
        };
        let mut popped: Vec<_> = ring.pop().into_iter().collect();
        reserver.join().unwrap();
        pusher.join().unwrap();
        popped.extend(rest(&ring));
        popped.sort_unstable();
        assert_eq!(popped, [1, 2]);
        assert_eq!(ring.lent(), 0);
        assert!(ring.is_empty());
    });
}

/// A reservation given up (the select's value expression panicked) while
/// a pusher and a popper run: the hole is skipped by whoever reaches it
/// (the popper's claim, a pusher on a full ring, or the canceller), no
/// item is lost, and the ring's whole capacity comes back.
#[test]
fn loom_ring_reserve_cancel_vs_push_vs_pop() {
    for capacity in [1, 2] {
        model(PREEMPTIONS, move || {
            let ring = Arc::new(Ring::new(capacity));
            // A message ahead of the reservation on the larger ring, so that
            // the hole is not the oldest position when it is made, and the
            // ring is full behind it.
            let ahead = capacity > 1;
            if ahead {
                assert_eq!(ring.push(0), Ok(()));
            }
            let canceller = {
                let ring = ring.clone();
                thread::spawn(move || {
                    if let Some(position) = ring.reserve() {
                        // SAFETY: reserved just above on this ring, once.
                        unsafe { ring.cancel(position) };
                    }
                })
            };
            let pusher = {
                let ring = ring.clone();
                thread::spawn(move || ring.push(7).err())
            };
            let mut seen: Vec<_> = ring.pop().into_iter().collect();
            canceller.join().unwrap();
            let refused = pusher.join().unwrap();
            seen.extend(rest(&ring));
            assert_eq!(refused.unwrap_or(7), 7, "a refusal hands the item back");
            seen.extend(refused);
            seen.sort_unstable();
            let expected: &[usize] = if ahead { &[0, 7] } else { &[7] };
            assert_eq!(seen, expected, "every item once, the hole skipped");
            assert_eq!(ring.lent(), 0);
            assert!(ring.is_empty());
            // The whole capacity is back.
            for item in 0..capacity {
                assert_eq!(ring.push(item), Ok(()), "capacity came back");
            }
            assert_eq!(ring.push(99), Err(99));
            assert_eq!(rest(&ring), (0..capacity).collect::<Vec<_>>());
        });
    }
}

/// A reservation against a close and a receiver's drain: the receiver
/// counts as drained only once `lent()` is 0, and when it reads 0, a
/// reservation that claimed before the close has already landed in what
/// it drains (or was refused).
#[test]
fn loom_ring_reserve_vs_close_lent() {
    model(PREEMPTIONS, || {
        let ring = Arc::new(Ring::new(1));
        let reserver = {
            let ring = ring.clone();
            thread::spawn(move || match ring.reserve() {
                Some(position) => {
                    // SAFETY: reserved just above on this ring, once.
                    unsafe { ring.fill(position, 1) };
                    true
                }
                None => false,
            })
        };
        // The last receiver: closes the ring, then drains it once no
        // reservation is out, as the channel core does.
        ring.close();
        let lent = ring.lent();
        let drained = ring.drain();
        let reserved = reserver.join().unwrap();
        let mut all = drained.clone();
        all.extend(rest(&ring));
        assert_eq!(
            all.len(),
            usize::from(reserved),
            "a filled reservation lands once"
        );
        if lent == 0 && reserved {
            assert_eq!(drained, [1], "no reservation out: its message was drained");
        }
        assert_eq!(ring.lent(), 0);
        assert_eq!(ring.reserve(), None, "refused after the close");
        assert_eq!(ring.lent(), 0, "a refused reservation gives its count back");
    });
}

/// Batches: a batch push of two against a single push, with a batch pop
/// on the main thread, on capacity 2 and 3. A batch claims a run of free
/// (or published) slots with one CAS from where it started; every item is
/// stored or handed back in order, popped exactly once, FIFO within the
/// batch.
#[test]
fn loom_ring_batches_vs_single_operations() {
    for capacity in [2, 3] {
        model(PREEMPTIONS, move || {
            let ring = Arc::new(Ring::new(capacity));
            let batcher = {
                let ring = ring.clone();
                thread::spawn(move || {
                    let mut items = vec![1, 2];
                    let stored = ring.push_batch(&mut items);
                    assert_eq!(items.len(), 2 - stored, "the rest stays");
                    if stored == 1 {
                        assert_eq!(items, vec![2], "stored from the front, in order");
                    }
                    items
                })
            };
            let single = {
                let ring = ring.clone();
                thread::spawn(move || ring.push(10).err())
            };
            let mut popped = Vec::new();
            ring.pop_batch(3, &mut |item| popped.push(item));
            let mut left = batcher.join().unwrap();
            left.extend(single.join().unwrap());
            popped.extend(rest(&ring));
            let mine: Vec<_> = popped.iter().copied().filter(|&item| item < 10).collect();
            assert!(mine.windows(2).all(|w| w[0] < w[1]), "the batch in order");
            popped.extend(left);
            popped.sort_unstable();
            assert_eq!(popped, vec![1, 2, 10], "each item exactly once");
            assert!(ring.is_empty());
        });
    }
}
