//! Cancelling a coroutine blocked in `send` or `recv` leaves no waiter
//! registered and loses no message.

mod common;

use common::{DropLog, Tracked, wait_until, within};
use may_channel::flavors::InstrumentedBounded;
use may_channel::{
    Channel, TryRecvError, metrics::Counters, queue::Bounded, queue::Rendezvous, wait::Park,
};

type Watched<const N: usize> =
    Channel<Bounded<N>, Park, may_channel::backpressure::Block, Counters>;
type WatchedRendezvous = Channel<Rendezvous, Park, may_channel::backpressure::Block, Counters>;

/// Cancels a parked coroutine and waits for it to finish unwinding.
fn cancel<T>(handle: may::coroutine::JoinHandle<T>) {
    // SAFETY: the coroutine is parked inside a channel operation, whose
    // registrations are released by drop guards during the unwind; the
    // coroutine owns nothing else that a forced unwind could leave broken.
    unsafe { handle.coroutine().cancel() };
    assert!(
        handle.join().is_err(),
        "a cancelled coroutine ends with the cancel panic"
    );
}

#[test]
fn cancelled_receiver_leaves_no_waiter_and_the_next_message_reaches_a_live_one() {
    within(30, || {
        let (tx, rx) = Watched::<4>::new::<u32>();
        let doomed_rx = rx.clone();
        let doomed = may::go!(move || doomed_rx.recv());
        wait_until(20, "the coroutine parks", || {
            tx.metrics().blocked_receivers == 1
        });
        cancel(doomed);
        assert_eq!(
            tx.metrics().blocked_receivers,
            0,
            "the block gauge is released on unwind"
        );

        // A live receiver parks behind where the cancelled one was; if the
        // cancelled waiter were still linked, this send's wake-up would be
        // spent on it.
        let live = std::thread::spawn(move || rx.recv());
        wait_until(20, "the live receiver parks", || {
            tx.metrics().blocked_receivers == 1
        });
        tx.send(42).unwrap();
        assert_eq!(live.join().unwrap(), Ok(42));
    });
}

#[test]
fn cancelled_sender_on_a_full_channel_drops_only_its_own_message() {
    within(30, || {
        let log = DropLog::new(3);
        let (tx, rx) = Watched::<2>::new::<Tracked>();
        tx.send(log.item(0)).unwrap();
        tx.send(log.item(1)).unwrap();
        let doomed_tx = tx.clone();
        let third = log.item(2);
        let doomed = may::go!(move || doomed_tx.send(third).is_ok());
        wait_until(20, "the sender parks", || tx.metrics().blocked_senders == 1);
        cancel(doomed);
        // The cancelled send never entered the channel: its message went down
        // with the coroutine, the queued ones are untouched.
        assert_eq!(log.drops_of(2), 1);
        assert_eq!(log.drops_of(0) + log.drops_of(1), 0);
        assert_eq!(rx.len(), 2);
        let (n0, n1) = (rx.recv().unwrap(), rx.recv().unwrap());
        assert_eq!((n0.id, n1.id), (0, 1));
        drop((n0, n1));
        log.assert_all_dropped_once();
    });
}

#[test]
fn cancelled_sender_blocked_behind_others_does_not_eat_a_wake_up() {
    within(30, || {
        let (tx, rx) = Watched::<1>::new::<u32>();
        tx.send(0).unwrap();
        let doomed_tx = tx.clone();
        let doomed = may::go!(move || doomed_tx.send(1));
        wait_until(20, "the first sender parks", || {
            tx.metrics().blocked_senders == 1
        });
        cancel(doomed);
        let live_tx = tx.clone();
        let live = std::thread::spawn(move || live_tx.send(2));
        wait_until(20, "the live sender parks", || {
            tx.metrics().blocked_senders == 1
        });
        assert_eq!(rx.recv(), Ok(0));
        assert_eq!(live.join().unwrap(), Ok(()));
        assert_eq!(rx.recv(), Ok(2));
    });
}

/// A rendezvous channel stores nothing: a sender cancelled while it waits
/// for a receiver still owns its message, which unwinds with it (dropped
/// once), and leaves nothing in the channel (a `try_recv` finds no one, a
/// later send meets the next receiver).
#[test]
fn cancelled_rendezvous_sender_takes_its_message_with_it() {
    within(30, || {
        let log = DropLog::new(2);
        let (tx, rx) = WatchedRendezvous::new::<Tracked>();
        let item = log.item(0);
        let sender_tx = tx.clone();
        let doomed = may::go!(move || sender_tx.send(item).is_ok());
        wait_until(20, "the sender waits for a taker", || {
            tx.metrics().blocked_senders == 1
        });
        cancel(doomed);
        assert_eq!(
            log.drops_of(0),
            1,
            "the unsent message unwound with its sender"
        );
        assert!(matches!(rx.try_recv(), Err(TryRecvError::Empty)));
        let receiver = std::thread::spawn(move || rx.recv().map(|got| got.id));
        common::try_send_until_taken(log.item(1), |msg| tx.try_send(msg));
        assert_eq!(receiver.join().unwrap(), Ok(1));
        log.assert_all_dropped_once();
    });
}

#[test]
fn cancelling_many_parked_coroutines_keeps_the_channel_consistent() {
    within(60, || {
        let (tx, rx) = InstrumentedBounded::<8>::new::<usize>();
        let doomed: Vec<_> = (0..16)
            .map(|_| {
                let rx = rx.clone();
                may::go!(move || rx.recv())
            })
            .collect();
        wait_until(20, "all receivers park", || {
            tx.metrics().blocked_receivers == 16
        });
        for handle in doomed {
            cancel(handle);
        }
        assert_eq!(tx.metrics().blocked_receivers, 0);
        for i in 0..8 {
            tx.send(i).unwrap();
        }
        assert_eq!(
            rx.try_iter().collect::<Vec<_>>(),
            (0..8).collect::<Vec<_>>()
        );
    });
}

/// A coroutine cancelled in a *timed* receive (which also registers with
/// the crate's timer) unwinds out cleanly: no waiter or gauge is left,
/// nothing queued is lost, and the next timed receiver is woken by a send.
#[test]
fn cancelled_timed_receiver_leaves_nothing_behind() {
    use std::time::Duration;

    within(30, || {
        let log = DropLog::new(1);
        let (tx, rx) = Watched::<4>::new::<Tracked>();
        let doomed_rx = rx.clone();
        let doomed = may::go!(move || doomed_rx.recv_timeout(Duration::from_secs(60)).is_ok());
        wait_until(20, "the coroutine parks", || {
            tx.metrics().blocked_receivers == 1
        });
        cancel(doomed);
        assert_eq!(tx.metrics().blocked_receivers, 0);

        let live = may::go!(move || rx.recv_timeout(Duration::from_secs(60)).map(|m| m.id));
        wait_until(20, "the live receiver parks", || {
            tx.metrics().blocked_receivers == 1
        });
        tx.send(log.item(0)).unwrap();
        assert_eq!(live.join().unwrap(), Ok(0));
        log.assert_all_dropped_once();
    });
}
