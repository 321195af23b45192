//! Unit tests of the channel core that reach into its queue (claims held
//! open, stores written late) to play the races the core must survive.

use std::sync::mpsc;
use std::time::Duration;

use crate::Channel;
use crate::error::{TryRecvError, TrySendError};
use crate::queue::{Bounded, Prioritized, RawQueue, Unbounded};

/// A send that passed its check before `close` and stores after it, on
/// a queue that does not close itself (the core brackets its stores): a
/// receiver that finds the channel closed and empty meanwhile must wait
/// for that store and receive the message, not report `Disconnected`.
/// The store is held open on purpose (the real window is a few
/// instructions wide), so without the in-flight count this fails every
/// time.
#[test]
fn a_receiver_waits_for_a_send_in_flight_across_close() {
    let (tx, rx) = Channel::<Prioritized<Unbounded>>::new::<u32>();
    // The bracket, not the queue, decides here.
    const { assert!(!<Prioritized<Unbounded> as crate::queue::QueueStrategy>::Queue::<u32>::CLOSES) };
    let (checked_tx, checked_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        let tx = &tx;
        let sender = scope.spawn(move || {
            let shared = tx.shared();
            let envelope = shared.envelope(7);
            shared.admit(envelope, |envelope| {
                checked_tx.send(()).unwrap();
                release_rx.recv().unwrap();
                shared.queue.push(envelope, 0)
            })
        });
        checked_rx.recv().unwrap();
        assert!(rx.close());
        let receiver = scope.spawn(|| rx.try_recv());
        // Not a timing assertion: the receiver must wait however long
        // the store takes; this only makes it likely to be waiting.
        std::thread::sleep(Duration::from_millis(20));
        let waited = !receiver.is_finished();
        release_tx.send(()).unwrap();
        assert!(matches!(sender.join().unwrap(), Ok(Ok(()))));
        assert_eq!(receiver.join().unwrap(), Ok(7));
        assert!(waited, "the receiver did not wait for the send in flight");
    });
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

/// The same race on a ring, which closes itself (`RawQueue::CLOSES`,
/// no bracket): a sender that claimed its slot before `close` and
/// writes after it. The receiver must wait for the write and receive
/// the message; a send that had not claimed is refused with its message.
#[test]
fn a_receiver_waits_for_a_claimed_slot_across_close() {
    if !<Bounded<4> as crate::queue::QueueStrategy>::Queue::<u32>::CLOSES {
        return; // 32-bit targets bracket the ring's stores instead.
    }
    let (tx, rx) = Channel::<Bounded<4>>::new::<u32>();
    let (claimed_tx, claimed_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        let tx = &tx;
        let sender = scope.spawn(move || {
            let shared = tx.shared();
            let ring = shared.queue.ring();
            let position = ring.claim_tail().expect("open and empty");
            claimed_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            ring.write_claimed(position, shared.envelope(7));
        });
        claimed_rx.recv().unwrap();
        assert!(rx.close());
        assert!(matches!(tx.try_send(8), Err(TrySendError::Disconnected(8))));
        let receiver = scope.spawn(|| rx.try_recv());
        // Not a timing assertion, as above.
        std::thread::sleep(Duration::from_millis(20));
        let waited = !receiver.is_finished();
        release_tx.send(()).unwrap();
        sender.join().unwrap();
        assert_eq!(receiver.join().unwrap(), Ok(7));
        assert!(waited, "the receiver did not wait for the claimed slot");
    });
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

/// Counts itself alive: +1 when made, -1 when dropped; panics in drop
/// when `bomb` is set (after counting).
struct Live {
    live: std::sync::Arc<std::sync::atomic::AtomicIsize>,
    bomb: bool,
}

impl Live {
    fn new(live: &std::sync::Arc<std::sync::atomic::AtomicIsize>, bomb: bool) -> Self {
        live.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Self {
            live: std::sync::Arc::clone(live),
            bomb,
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.live.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        if self.bomb {
            panic!("a message that panics in drop");
        }
    }
}

/// A store that claimed its ring slot before the last receiver went and
/// writes it afterwards: the receiver's drop must wait for it and drop
/// the message, not leave it for the channel's last handle. Held open on
/// purpose, so without the wait this fails every time.
#[test]
fn the_last_receiver_waits_for_a_claimed_slot_and_drops_it() {
    if !<Bounded<4> as crate::queue::QueueStrategy>::Queue::<u32>::CLOSES {
        return; // 32-bit targets bracket the ring's stores instead.
    }
    let live = std::sync::Arc::new(std::sync::atomic::AtomicIsize::new(0));
    let (tx, rx) = Channel::<Bounded<4>>::new::<Live>();
    tx.send(Live::new(&live, false)).unwrap();
    let ring = tx.shared().queue.ring();
    let position = ring.claim_tail().expect("room");
    std::thread::scope(|scope| {
        let dropper = scope.spawn(move || drop(rx));
        // Not a timing assertion: the drop must wait however long the
        // store takes; this only makes it likely to be waiting.
        std::thread::sleep(Duration::from_millis(20));
        let waited = !dropper.is_finished();
        ring.write_claimed(position, tx.shared().envelope(Live::new(&live, false)));
        dropper.join().unwrap();
        assert!(waited, "the drop did not wait for the claimed slot");
    });
    assert_eq!(live.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert!(matches!(
        tx.try_send(Live::new(&live, false)),
        Err(TrySendError::Disconnected(_))
    ));
    assert_eq!(live.load(std::sync::atomic::Ordering::SeqCst), 0);
}

/// An evicting store (`DropOldest`) that took the oldest slot before the
/// last receiver went and stores the newcomer afterwards: for that
/// moment the ring's counters say "empty", and the drain must still wait
/// for it (`Ring::drain`).
#[test]
fn the_last_receiver_waits_for_an_evicting_store() {
    if !<Bounded<4> as crate::queue::QueueStrategy>::Queue::<u32>::CLOSES {
        return;
    }
    let live = std::sync::Arc::new(std::sync::atomic::AtomicIsize::new(0));
    let (tx, rx) =
        Channel::<Bounded<1>, crate::wait::SpinThenPark, crate::backpressure::DropOldest>::new::<
            Live,
        >();
    tx.send(Live::new(&live, false)).unwrap();
    let ring = tx.shared().queue.ring();
    // The evicting store's first half: the oldest slot, claimed as a
    // receiver and read, not released.
    let (oldest, position) = ring.evict_oldest().expect("full");
    drop(oldest);
    std::thread::scope(|scope| {
        let dropper = scope.spawn(move || drop(rx));
        std::thread::sleep(Duration::from_millis(20));
        let waited = !dropper.is_finished();
        ring.land_evicted(position, tx.shared().envelope(Live::new(&live, false)));
        dropper.join().unwrap();
        assert!(waited, "the drop did not wait for the evicting store");
    });
    assert_eq!(live.load(std::sync::atomic::Ordering::SeqCst), 0);
}

/// The channel's own drop, with messages pushed after the last
/// receiver's drain (straight into the queue here, as a cancelled
/// hand-over leaves one): two and three of them panic in drop; all are
/// dropped once, the first panic comes out, nothing aborts.
#[test]
fn panicking_messages_do_not_abort_the_channels_drop() {
    for bombs in [&[1, 3][..], &[0, 2, 4][..]] {
        let live = std::sync::Arc::new(std::sync::atomic::AtomicIsize::new(0));
        // A queue that does not close itself, so that it still takes
        // the pushes below.
        let (tx, rx) = Channel::<Prioritized<Unbounded>>::new::<Live>();
        drop(rx);
        for id in 0..5 {
            let envelope = tx.shared().envelope(Live::new(&live, bombs.contains(&id)));
            assert!(tx.shared().queue.push(envelope, 0).is_ok());
        }
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let unwound = std::panic::catch_unwind(move || drop(tx));
        std::panic::set_hook(hook);
        assert!(unwound.is_err(), "the first panic propagates");
        assert_eq!(live.load(std::sync::atomic::Ordering::SeqCst), 0);
    }
}

/// Runs `f` on a fresh thread, inside a may coroutine when asked;
/// fails the test if it has not returned within `secs` seconds.
fn within<R: Send + 'static>(
    secs: u64,
    in_coroutine: bool,
    f: impl FnOnce() -> R + Send + 'static,
) -> R {
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let result = if in_coroutine {
            // `go!` wraps may's unsafe spawn: the closure keeps no
            // reference into thread-local storage across a park.
            may::go!(f).join().expect("the coroutine panicked")
        } else {
            f()
        };
        let _ = done_tx.send(result);
    });
    done_rx
        .recv_timeout(Duration::from_secs(secs))
        .expect("hung (or panicked)")
}

/// On a ring (`RawQueue::CLAIMS_SEQCST`) a store does not fence before
/// it looks for parked receivers, so a receiver whose last check before
/// parking finds a store claimed but not written must not park: the
/// store will not wake it. Played here with a claim held open and then
/// written without any wake-up; a receiver that parked would never
/// return.
#[test]
fn a_receiver_retries_while_a_store_is_mid_way() {
    for in_coroutine in [false, true] {
        let (tx, rx) = Channel::<Bounded<2>>::new::<u32>();
        let ring = tx.shared().queue.ring();
        let position = ring.claim_tail().expect("empty");
        let (started_tx, started_rx) = mpsc::channel();
        let (result_tx, result_rx) = mpsc::channel();
        std::thread::spawn(move || {
            result_tx.send(within(30, in_coroutine, move || {
                started_tx.send(()).unwrap();
                rx.recv()
            }))
        });
        started_rx.recv().unwrap();
        // Not a timing assertion: the receiver only has to be likely to
        // have reached its last check before parking.
        std::thread::sleep(Duration::from_millis(20));
        ring.write_claimed(position, tx.shared().envelope(7));
        assert_eq!(
            result_rx.recv().unwrap(),
            Ok(7),
            "in a coroutine: {in_coroutine}"
        );
    }
}

/// The senders' side: a full ring whose oldest slot a receiver has
/// claimed and not yet released. A blocked sender must retry, not park:
/// the release wakes nobody.
#[test]
fn a_sender_retries_while_a_take_is_mid_way() {
    for in_coroutine in [false, true] {
        let (tx, rx) = Channel::<Bounded<1>>::new::<u32>();
        tx.send(1).unwrap();
        let ring = rx.shared().queue.ring();
        let position = ring.claim_head().expect("full");
        let (started_tx, started_rx) = mpsc::channel();
        let (result_tx, result_rx) = mpsc::channel();
        let sender = tx.clone();
        std::thread::spawn(move || {
            result_tx.send(within(30, in_coroutine, move || {
                started_tx.send(()).unwrap();
                sender.send(2)
            }))
        });
        started_rx.recv().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(ring.read_claimed(position).msg, 1);
        assert!(
            result_rx.recv().unwrap().is_ok(),
            "in a coroutine: {in_coroutine}"
        );
        assert_eq!(rx.try_recv(), Ok(2));
    }
}
