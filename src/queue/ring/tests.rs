//! The ring's unit tests.
use super::Ring;

#[test]
fn one_slot_holds_one_message() {
    let ring = Ring::new(1);
    for lap in 0..4 {
        assert_eq!(ring.push(lap), Ok(()));
        assert_eq!(ring.push(100), Err(100), "lap {lap}: a full slot refuses");
        assert_eq!(ring.len(), 1);
        assert_eq!(ring.pop(), Some(lap));
        assert_eq!(ring.pop(), None);
    }
}

#[test]
fn batches_claim_runs_and_stop_where_the_ring_does() {
    let ring = Ring::new(4);
    let mut items = vec![1, 2, 3, 4, 5, 6];
    assert_eq!(ring.push_batch(&mut items), 4, "one claim of the free run");
    assert_eq!(items, vec![5, 6], "the rest stays, in order");
    assert_eq!(ring.push_batch(&mut items), 0, "full");
    let mut out = Vec::new();
    assert_eq!(ring.pop_batch(3, &mut |item| out.push(item)), 3);
    assert_eq!(out, vec![1, 2, 3]);
    assert_eq!(ring.push_batch(&mut items), 2, "across the wrap");
    assert!(items.is_empty());
    assert_eq!(ring.pop_batch(10, &mut |item| out.push(item)), 3);
    assert_eq!(out, vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(ring.pop_batch(10, &mut |item| out.push(item)), 0, "empty");
}

#[test]
fn a_batch_receive_stops_at_a_reservation_and_skips_a_hole() {
    if !super::CLOSES {
        return;
    }
    let ring = Ring::new(4);
    ring.push(1).unwrap();
    let given_up = ring.reserve().expect("room");
    ring.push(3).unwrap();
    let held = ring.reserve().expect("room");
    // SAFETY: reserved above, cancelled once.
    unsafe { ring.cancel(given_up) };
    let mut out = Vec::new();
    assert_eq!(ring.pop_batch(10, &mut |item| out.push(item)), 1);
    assert_eq!(out, vec![1], "the run ends at the hole");
    assert_eq!(ring.pop_batch(10, &mut |item| out.push(item)), 1);
    assert_eq!(out, vec![1, 3], "the hole is skipped");
    assert_eq!(ring.pop_batch(10, &mut |item| out.push(item)), 0, "held");
    // SAFETY: reserved above, filled once.
    unsafe { ring.fill(held, 4) };
    assert_eq!(ring.pop_batch(10, &mut |item| out.push(item)), 1);
    assert_eq!(out, vec![1, 3, 4]);
    assert_eq!(ring.lent(), 0);
}

#[test]
fn a_closed_ring_refuses_a_batch() {
    if !super::CLOSES {
        return;
    }
    let ring = Ring::new(4);
    ring.close();
    let mut items = vec![1, 2];
    assert_eq!(ring.push_batch(&mut items), 0);
    assert_eq!(items, vec![1, 2]);
}

#[test]
fn a_batch_receive_whose_sink_unwinds_frees_its_run() {
    let ring = Ring::new(4);
    let mut items: Vec<_> = (0..4).map(std::rc::Rc::new).collect();
    let watch = std::rc::Rc::clone(&items[3]);
    ring.push_batch(&mut items);
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ring.pop_batch(4, &mut |item| {
            if *item == 1 {
                panic!("the sink fails");
            }
        })
    }));
    assert!(unwound.is_err());
    assert_eq!(std::rc::Rc::strong_count(&watch), 1, "the rest was dropped");
    assert!(ring.is_empty());
    assert_eq!(ring.push(std::rc::Rc::new(9)), Ok(()), "the slots are free");
}

#[test]
fn evicting_replaces_the_oldest_in_fifo_order() {
    for capacity in [1, 2, 3] {
        let ring = Ring::new(capacity);
        let mut evicted = Vec::new();
        for i in 0..10 {
            evicted.extend(ring.push_evicting(i).unwrap());
        }
        let kept: Vec<_> = std::iter::from_fn(|| ring.pop()).collect();
        let expected: Vec<_> = (10 - capacity..10).collect();
        assert_eq!(kept, expected, "capacity {capacity}");
        assert_eq!(evicted, (0..10 - capacity).collect::<Vec<_>>());
    }
}

#[test]
fn a_closed_ring_refuses_stores_that_had_not_claimed() {
    if !super::CLOSES {
        return;
    }
    let ring = Ring::new(2);
    assert_eq!(ring.push(1), Ok(()));
    let held = ring.claim_tail().expect("room for a second");
    ring.close();
    ring.close(); // idempotent
    assert_eq!(ring.push(3), Err(3), "closed: refused");
    assert_eq!(
        ring.push_evicting(4),
        Err(4),
        "closed: refused, nothing evicted"
    );
    assert_eq!(ring.len(), 2, "the claimed slot still counts");
    assert_eq!(ring.pop(), Some(1));
    assert!(!ring.is_empty(), "a claimed store is still on its way");
    std::thread::scope(|scope| {
        let ring = &ring;
        // The stopped sender finishes on another thread; the pop waits
        // for it instead of answering "empty" for a non-empty ring.
        scope.spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            ring.write_claimed(held, 2);
        });
        assert_eq!(ring.pop(), Some(2), "waited for the claimed store");
    });
    assert!(ring.is_empty());
    assert_eq!(ring.pop(), None);
    assert_eq!(ring.push(5), Err(5));
}

/// An evicting store that took the oldest slot before a close still
/// lands: the close keeps the tail's position, so the ring's count and
/// drop stay exact.
#[test]
fn a_close_keeps_the_position_of_the_tail() {
    if !super::CLOSES {
        return;
    }
    let ring = Ring::new(1);
    assert_eq!(ring.push(1), Ok(()));
    assert_eq!(ring.push_evicting(2), Ok(Some(1)));
    ring.close();
    assert_eq!(ring.len(), 1);
    assert_eq!(ring.pop(), Some(2));
    assert_eq!(ring.len(), 0);
}

#[test]
fn drop_drops_what_is_queued_once() {
    let counter = std::rc::Rc::new(());
    let ring = Ring::new(3);
    for _ in 0..5 {
        let _ = ring.push_evicting(std::rc::Rc::clone(&counter));
    }
    assert_eq!(std::rc::Rc::strong_count(&counter), 4);
    drop(ring);
    assert_eq!(std::rc::Rc::strong_count(&counter), 1);
}
