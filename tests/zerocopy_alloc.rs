//! After warm-up, buffers sent and received through `send_ref` / `recv_ref`
//! allocate nothing: a counting global allocator checks it. (A test binary of
//! its own, since the allocator is process-wide.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use may_channel::Channel;
use may_channel::queue::Slots;

struct Counting;

thread_local! {
    /// Allocations made by this thread (tests run on parallel threads, so a
    /// process-wide count would mix them up).
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: allocations during thread teardown are not counted.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: every method forwards to `System` unchanged; the counter (a const
// thread-local, which never allocates) does not touch the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded as received (see the impl's comment).
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: forwarded as received.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn lending_buffers_allocates_nothing_after_warm_up() {
    const FRAME: usize = 4096;
    let (tx, rx) = Channel::<Slots<4>>::new::<Vec<u8>>();
    let exchange = |round: usize| {
        for i in 0..4 {
            let mut frame = tx.send_ref().unwrap();
            frame.resize(FRAME, (round + i) as u8);
        }
        for i in 0..4 {
            let frame = rx.recv_ref().unwrap();
            assert_eq!(frame.len(), FRAME);
            assert_eq!(frame[FRAME - 1], (round + i) as u8);
        }
    };
    exchange(0); // warm-up: each of the 4 slots grows its buffer once
    let before = allocations();
    for round in 1..200 {
        exchange(round);
    }
    let after = allocations();
    assert_eq!(
        after - before,
        0,
        "800 buffers moved with {} allocations",
        after - before
    );
}

#[test]
fn the_same_by_value_allocates_every_time() {
    // The contrast that makes the zero above meaningful: by value, each
    // buffer is a fresh allocation.
    let (tx, rx) = Channel::<Slots<4>>::new::<Vec<u8>>();
    let before = allocations();
    for round in 0..100u8 {
        tx.send(vec![round; 4096]).unwrap();
        assert_eq!(rx.recv().unwrap()[0], round);
    }
    assert!(allocations() - before >= 100);
}
