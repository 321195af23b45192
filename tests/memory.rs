//! Memory comes back after a burst: a counting global allocator watches
//! every byte this test binary allocates, and the channel's own
//! `allocated_bytes()` is checked against it.
//!
//! The whole binary is one `#[test]`, so that no other test allocates while
//! the live-byte figure is read.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::thread;

use may_channel::Channel;
use may_channel::backpressure::Block;
use may_channel::flavors::UnboundedMpmc;
use may_channel::metrics::{Counters, NoMetrics};
use may_channel::placement::{Anywhere, PerWorker};
use may_channel::queue::{
    Bounded, Prioritized, Priority, SEGMENT_ITEMS, Unbounded, WorkStealing, Workers,
};
use may_channel::wait::SpinThenPark;

/// Passes every request to the system allocator and keeps the live total.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments, so
// `System`'s guarantees carry over; the counter only observes sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // Relaxed: a running total read by this test's one thread between
        // phases; the threads that allocated were joined (a happens-before).
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's layout is valid for `System` as for us.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` above, i.e. from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: as in `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: `ptr` and `layout` came from this allocator, i.e. `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// Slack for allocations outside the queue between two readings (the test
/// harness's own bookkeeping, thread handles).
const SLACK: isize = 16 * 1024;

/// One segment of an unbounded queue of `u64`s, as the channel reports it
/// (`measure_segment` sets it; the allocator checks below hold it to it).
static SEGMENT: AtomicIsize = AtomicIsize::new(0);

fn segment() -> isize {
    SEGMENT.load(Ordering::Relaxed)
}

/// A fresh queue allocates nothing; its first send (into slot 0) allocates
/// two segments, the one in use and the successor that slot 0's sender
/// links ahead, which the allocator must see too.
fn measure_segment() {
    let (tx, rx) = UnboundedMpmc::new::<u64>();
    assert_eq!(
        tx.allocated_bytes(),
        Some(0),
        "nothing before the first send"
    );
    tx.send(0).unwrap();
    assert_eq!(rx.recv(), Ok(0));
    let floor = tx.allocated_bytes().unwrap() as isize;
    SEGMENT.store(floor / 2, Ordering::Relaxed);
    let before = live();
    let (tx2, rx2) = UnboundedMpmc::new::<u64>();
    let empty = live();
    tx2.send(1).unwrap();
    assert_eq!(
        live() - empty,
        floor,
        "the first send allocates the two-segment floor"
    );
    drop((tx2, rx2));
    assert!(live() - before <= 0);
    drop((tx, rx));
}

const BURST: u64 = 1_000_000;

#[test]
fn memory_comes_back_after_a_burst() {
    the_allocator_sees_retained_memory();
    measure_segment();
    unbounded_single_thread();
    unbounded_many_threads();
    instrumented_unbounded();
    work_stealing_keeps_its_floor_per_worker();
    priority_levels_shrink();
    bounded_ring_is_allocated_once();
}

/// The instrument itself: a `VecDeque` (what flume and kanal queue into)
/// keeps its buffer after a drain, and the counter shows it, so the checks
/// below can fail.
fn the_allocator_sees_retained_memory() {
    let idle = live();
    let mut deque = std::collections::VecDeque::new();
    for i in 0..BURST {
        deque.push_back(i);
    }
    while deque.pop_front().is_some() {}
    let left = live() - idle;
    assert!(
        left >= BURST as isize * 8,
        "a drained VecDeque still holds its buffer, but the counter saw {left} bytes"
    );
    drop(deque);
    assert!(live() - idle <= SLACK);
}

/// A million messages, then a full drain: the queue's memory falls back to
/// its two-segment floor, and `allocated_bytes` agrees with the allocator.
fn unbounded_single_thread() {
    let (tx, rx) = UnboundedMpmc::new::<u64>();
    tx.send(0).unwrap();
    assert_eq!(rx.recv(), Ok(0));
    let floor = tx.allocated_bytes().unwrap() as isize;
    assert_eq!(floor, 2 * segment(), "a drained queue holds two segments");
    let idle = live();

    for i in 0..BURST {
        tx.send(i).unwrap();
    }
    let grown = live() - idle;
    let reported = tx.allocated_bytes().unwrap() as isize - floor;
    let expected = BURST as isize / SEGMENT_ITEMS as isize * segment();
    assert!(
        grown >= expected - segment() && grown <= expected + segment() + SLACK,
        "a burst of {BURST} grew the heap by {grown} bytes, expected about {expected}"
    );
    assert!(
        (reported - grown).abs() <= segment() + SLACK,
        "allocated_bytes says {reported} more bytes, the allocator {grown}"
    );

    for i in 0..BURST {
        assert_eq!(rx.try_recv(), Ok(i));
    }
    let left = live() - idle;
    assert!(
        left <= segment() + SLACK,
        "{left} bytes still held after the drain"
    );
    assert_eq!(tx.allocated_bytes().unwrap() as isize, floor);
    drop((tx, rx));
}

/// The same with four producers and two consumers racing.
fn unbounded_many_threads() {
    let (tx, rx) = UnboundedMpmc::new::<u64>();
    let idle = live();
    let producers: Vec<_> = (0..4)
        .map(|_| {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in 0..BURST / 4 {
                    tx.send(i).unwrap();
                }
            })
        })
        .collect();
    for producer in producers {
        producer.join().unwrap();
    }
    assert!(live() - idle >= (BURST / SEGMENT_ITEMS as u64) as isize * segment() - SLACK);
    let consumers: Vec<_> = (0..2)
        .map(|_| {
            let rx = rx.clone();
            thread::spawn(move || {
                let mut taken = 0u64;
                while rx.try_recv().is_ok() {
                    taken += 1;
                }
                taken
            })
        })
        .collect();
    let taken: u64 = consumers.into_iter().map(|c| c.join().unwrap()).sum();
    assert_eq!(taken, BURST);
    let left = live() - idle;
    assert!(
        left <= 2 * segment() + SLACK,
        "{left} bytes still held after the drain"
    );
    drop((tx, rx));
}

/// A sink that keeps nothing beside messages does not change the figure;
/// `Counters` keeps none either.
fn instrumented_unbounded() {
    type Instrumented =
        Channel<Unbounded, SpinThenPark, may_channel::backpressure::Unlimited, Counters>;
    let (tx, rx) = Instrumented::new::<u64>();
    let idle = live();
    for i in 0..BURST {
        tx.send(i).unwrap();
    }
    assert_eq!(tx.metrics().peak_len, BURST);
    while rx.try_recv().is_ok() {}
    assert!(live() - idle <= 2 * segment() + SLACK);
    assert_eq!(tx.allocated_bytes().unwrap() as isize, 2 * segment());
}

/// Each worker queue shrinks to its own two-segment floor.
fn work_stealing_keeps_its_floor_per_worker() {
    type Stealing = Channel<
        WorkStealing,
        SpinThenPark,
        may_channel::backpressure::Unlimited,
        NoMetrics,
        PerWorker,
    >;
    let (tx, rx) = Stealing::with_config::<u64>(Workers(3)).unwrap();
    let idle = live();
    for i in 0..BURST {
        tx.send_to_worker((i % 3) as usize, i).unwrap();
    }
    assert!(live() - idle >= (BURST / SEGMENT_ITEMS as u64) as isize * segment() - SLACK);
    while rx.try_recv().is_ok() {}
    assert!(live() - idle <= 6 * segment() + SLACK);
    assert_eq!(tx.allocated_bytes().unwrap() as isize, 6 * segment());
}

/// Every level of a priority channel shrinks.
fn priority_levels_shrink() {
    type Ranked = Channel<Prioritized<Unbounded>>;
    let (tx, rx) = Ranked::new::<u64>();
    let idle = live();
    for i in 0..BURST {
        let level = Priority::ALL[(i % 4) as usize];
        tx.send_with_priority(i, level).unwrap();
    }
    while rx.try_recv().is_ok() {}
    assert!(live() - idle <= 8 * segment() + SLACK);
    assert_eq!(tx.allocated_bytes().unwrap() as isize, 8 * segment());
}

/// A bounded ring is allocated in full when the channel is built and
/// neither grows nor shrinks; `allocated_bytes` is its size.
fn bounded_ring_is_allocated_once() {
    type Ring = Channel<Bounded<4096>, SpinThenPark, Block, NoMetrics, Anywhere>;
    let before = live();
    let (tx, rx) = Ring::new::<u64>();
    let built = live() - before;
    let ring = tx.allocated_bytes().unwrap() as isize;
    assert_eq!(ring, 4096 * 16);
    assert!(
        built >= ring && built <= ring + SLACK,
        "building the channel took {built} bytes for a {ring}-byte ring"
    );
    for i in 0..4096 {
        tx.send(i).unwrap();
    }
    assert!(live() - before <= built + SLACK);
    while rx.try_recv().is_ok() {}
    assert_eq!(tx.allocated_bytes().unwrap() as isize, ring);
}
