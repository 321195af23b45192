//! `try_send` / `try_recv` on the crate's own ring never wait for a peer
//! that is stopped in the middle of its operation. A zero-copy guard is
//! exactly such a peer, frozen on purpose: a `SendRef` holds a claimed slot
//! that is not yet published, a `RecvRef` a slot that is not yet released.

mod common;

use std::sync::mpsc;

use common::{init_may, within};
use may_channel::flavors::BoundedRing;
use may_channel::{TryRecvError, TrySendError};

/// A sender holds the oldest slot unpublished; a later message is ready.
/// `try_recv` answers `Empty` at once (on a queue that waits for the peer it
/// would spin until the guard goes, i.e. for ever here), and both messages
/// arrive in order once the guard is dropped.
#[test]
fn try_recv_does_not_wait_for_a_stalled_sender() {
    within(20, || {
        let (tx, rx) = BoundedRing::<4>::new::<String>();
        let mut stalled = tx.send_ref().unwrap();
        stalled.push_str("first");
        let later = tx.clone();
        std::thread::spawn(move || later.send("second".to_string()).unwrap())
            .join()
            .unwrap();
        let rx2 = rx.clone();
        let seen = std::thread::spawn(move || rx2.try_recv()).join().unwrap();
        assert_eq!(seen, Err(TryRecvError::Empty));
        drop(stalled);
        assert_eq!(rx.try_recv().as_deref(), Ok("first"));
        assert_eq!(rx.try_recv().as_deref(), Ok("second"));
    });
}

/// A receiver holds the oldest slot unreleased on a full ring: `try_send`
/// answers `Full` at once and hands the message back; room appears when the
/// guard goes.
#[test]
fn try_send_does_not_wait_for_a_stalled_receiver() {
    within(20, || {
        let (tx, rx) = BoundedRing::<2>::new::<Vec<u32>>();
        tx.send(vec![1]).unwrap();
        tx.send(vec![2]).unwrap();
        let stalled = rx.recv_ref().unwrap();
        assert_eq!(*stalled, [1]);
        let tx2 = tx.clone();
        let refused = std::thread::spawn(move || tx2.try_send(vec![3]))
            .join()
            .unwrap();
        assert_eq!(refused, Err(TrySendError::Full(vec![3])));
        drop(stalled);
        assert_eq!(tx.try_send(vec![3]), Ok(()));
        assert_eq!(rx.try_recv(), Ok(vec![2]));
        assert_eq!(rx.try_recv(), Ok(vec![3]));
    });
}

/// The same from coroutines: the `try_*` calls return, so the
/// coroutine that holds the guard gets to run and finish.
#[test]
fn stalled_peers_in_coroutines() {
    init_may();
    within(30, || {
        let (tx, rx) = BoundedRing::<4>::new::<u32>();
        let (done_tx, done_rx) = mpsc::channel();
        let holder_tx = tx.clone();
        let (held_tx, held_rx) = BoundedRing::<1>::new::<()>();
        let (release_tx, release_rx) = BoundedRing::<1>::new::<()>();
        // SAFETY: the closures own everything they use and do not rely on
        // thread-local state across the spawn.
        let holder = unsafe {
            may::coroutine::spawn(move || {
                let mut slot = holder_tx.send_ref().unwrap();
                *slot = 10;
                held_tx.send(()).unwrap();
                release_rx.recv().unwrap();
                drop(slot);
            })
        };
        // SAFETY: as above.
        let poller = unsafe {
            may::coroutine::spawn(move || {
                held_rx.recv().unwrap();
                tx.send(11).unwrap();
                let empty = rx.try_recv();
                release_tx.send(()).unwrap();
                let first = rx.recv().unwrap();
                let second = rx.recv().unwrap();
                done_tx.send((empty, first, second)).unwrap();
            })
        };
        let (empty, first, second) = done_rx.recv().unwrap();
        assert_eq!(empty, Err(TryRecvError::Empty));
        assert_eq!((first, second), (10, 11));
        holder.join().unwrap();
        poller.join().unwrap();
    });
}
