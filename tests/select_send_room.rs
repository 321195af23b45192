//! A `select!` send branch on a bounded channel holds room for its message
//! before it evaluates the value, so a value that was evaluated is always
//! sent (or handed back as disconnected), never dropped unsent because a
//! competitor took the room first; a value expression that panics gives the
//! room back; and a reservation held while the value expression runs (even
//! one that parks) delays nothing but the messages behind it.
//!
//! Every blocking case runs in OS threads and in may coroutines (two
//! workers), and the parking ones on one worker too.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use common::{DropLog, Runner, Tracked, on_one_worker, select_send_storm, within};
use may_channel::flavors::{
    BoundedBlocking, BoundedRejecting, DynBoundedBlocking, PriorityBounded,
};
use may_channel::{Flavor, Pair, Receiver, Sender, TryRecvError, bounded, select};

/// Selects per producer in the four-by-four storms.
const PER: usize = if cfg!(debug_assertions) {
    1_000
} else {
    20_000
};

fn both_runners(test: impl Fn(Runner) + Send + Sync + 'static) {
    within(240, move || {
        test(Runner::Threads);
        test(Runner::Coroutines);
    });
}

#[test]
fn no_value_is_evaluated_and_dropped_on_capacity_one() {
    both_runners(|runner| select_send_storm(runner, PER, || bounded::<Tracked>(1)));
}

#[test]
fn no_value_is_evaluated_and_dropped_on_a_const_capacity_ring() {
    both_runners(|runner| select_send_storm(runner, PER, BoundedBlocking::<2>::new));
}

#[test]
fn no_value_is_evaluated_and_dropped_on_a_rejecting_ring() {
    both_runners(|runner| select_send_storm(runner, PER, BoundedRejecting::<1>::new));
}

#[test]
fn no_value_is_evaluated_and_dropped_on_a_dyn_capacity_ring() {
    both_runners(|runner| {
        select_send_storm(runner, PER, || {
            DynBoundedBlocking::with_config(3).expect("a valid capacity")
        })
    });
}

#[test]
fn no_value_is_evaluated_and_dropped_on_a_priority_channel() {
    both_runners(|runner| select_send_storm(runner, PER, PriorityBounded::<1>::new));
}

/// Runs a `select!` whose only branch sends on `tx` with a value
/// expression that panics; the panic reaches the caller.
fn panicking_select_send<F: Flavor>(tx: &Sender<u32, F>) {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        select! {
            send(tx, panic!("the value expression fails")) -> _ => {},
        }
    }));
    assert!(outcome.is_err(), "the panic unwound out of the select");
}

#[test]
fn a_panicking_value_gives_the_only_slot_back() {
    let (tx, rx) = bounded::<u32>(1);
    panicking_select_send(&tx);
    assert_eq!(rx.len(), 0);
    assert!(!tx.is_full(), "the slot is free again");
    tx.try_send(1).expect("room for a message");
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn a_panicking_value_behind_others_is_skipped_in_order() {
    let (tx, rx) = bounded::<u32>(3);
    tx.send(1).unwrap();
    panicking_select_send(&tx);
    tx.send(3).unwrap();
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Ok(3), "the given-up slot is skipped");
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    // The skipped slot is free again: three more fit.
    for i in 0..3 {
        tx.try_send(10 + i).expect("room");
    }
    assert!(tx.is_full());
    assert_eq!(rx.iter().take(3).collect::<Vec<_>>(), vec![10, 11, 12]);
}

#[test]
fn a_panicking_value_gives_a_priority_unit_back() {
    let (tx, rx) = PriorityBounded::<1>::new::<u32>();
    panicking_select_send(&tx);
    assert_eq!(rx.len(), 0);
    assert!(!tx.is_full(), "the unit is free again");
    tx.try_send(1).expect("room for a message");
    assert_eq!(rx.try_recv(), Ok(1));
}

#[test]
fn a_full_ring_whose_oldest_slot_was_given_up_takes_a_send() {
    let (tx, rx) = bounded::<u32>(2);
    panicking_select_send(&tx); // the oldest slot: given up at once
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    assert!(tx.is_full());
    assert_eq!(rx.recv(), Ok(1));
    // A hole between messages: the slot after 2 is given up while 2 waits.
    panicking_select_send(&tx);
    assert!(tx.is_full(), "the given-up slot still takes room");
    assert_eq!(rx.recv(), Ok(2));
    // The given-up slot is now the oldest: a blocking send takes it over
    // without waiting for a receiver.
    tx.send(3).unwrap();
    tx.send(4).unwrap();
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(rx.try_recv(), Ok(4));
}

/// While a select's value expression runs with room reserved, the
/// channel's receivers see nothing (the reservation is not a message),
/// and a blocked `recv` gets the value once it is there.
fn a_reservation_held_across_a_park(runner: Runner) {
    let (tx, rx) = bounded::<u32>(1);
    let (value_tx, value_rx) = bounded::<u32>(1);
    let (started_tx, started_rx) = bounded::<()>(1);
    let sender = runner.spawn(move || {
        select! {
            send(tx, {
                started_tx.send(()).unwrap();
                value_rx.recv().unwrap()
            }) -> res => res.unwrap(),
        }
    });
    started_rx.recv().unwrap();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert!(rx.is_empty(), "a reservation is not a message");
    assert_eq!(rx.len(), 0);
    let receiver = runner.spawn(move || rx.recv());
    if runner == Runner::Threads {
        std::thread::sleep(Duration::from_millis(20));
    } else {
        may::coroutine::sleep(Duration::from_millis(20));
    }
    value_tx.send(7).unwrap();
    sender.join();
    assert_eq!(receiver.join(), Ok(7));
}

#[test]
fn a_reservation_held_across_a_park_delays_only_its_receivers() {
    both_runners(a_reservation_held_across_a_park);
}

#[test]
fn a_reservation_held_across_a_park_on_one_worker() {
    on_one_worker("MAY_CHANNEL_SEND_ROOM_ONE_WORKER", || {
        a_reservation_held_across_a_park(Runner::Coroutines)
    });
}

/// `close()` while a select holds room: the reservation claimed its place
/// before the close, so its message lands and is received before the
/// receivers see `Disconnected`.
fn close_while_reserved<F>(runner: Runner, (tx, rx): Pair<u32, F>)
where
    F: Flavor + 'static,
    Sender<u32, F>: Send,
    Receiver<u32, F>: Send,
{
    let (value_tx, value_rx) = bounded::<u32>(1);
    let (started_tx, started_rx) = bounded::<()>(1);
    let sender = {
        let tx = tx.clone();
        runner.spawn(move || {
            select! {
                send(tx, {
                    started_tx.send(()).unwrap();
                    value_rx.recv().unwrap()
                }) -> res => res,
            }
        })
    };
    started_rx.recv().unwrap();
    assert!(tx.close());
    assert_eq!(
        tx.try_send(1),
        Err(may_channel::TrySendError::Disconnected(1))
    );
    assert_eq!(
        rx.try_recv(),
        Err(TryRecvError::Empty),
        "not drained while a reservation is out"
    );
    let receiver = runner.spawn(move || (rx.recv(), rx.recv()));
    value_tx.send(5).unwrap();
    assert_eq!(sender.join(), Ok(()), "the reserved send landed");
    let (first, second) = receiver.join();
    assert_eq!(first, Ok(5));
    assert_eq!(second, Err(may_channel::RecvError));
}

#[test]
fn close_while_a_select_holds_room_then_drain() {
    both_runners(|runner| close_while_reserved(runner, bounded::<u32>(2)));
}

#[test]
fn close_while_a_select_holds_a_priority_unit_then_drain() {
    both_runners(|runner| close_while_reserved(runner, PriorityBounded::<2>::new()));
}

/// The last receiver goes while a select holds room: the message that
/// lands afterwards is dropped at once (nobody can take it), exactly once.
fn last_receiver_goes_while_reserved<F>(runner: Runner, (tx, rx): Pair<Tracked, F>)
where
    F: Flavor + 'static,
    F::Backpressure: may_channel::backpressure::HasSend,
    Sender<Tracked, F>: Send,
{
    {
        let log = DropLog::new(2);
        tx.send(log.item(0)).unwrap();
        let (value_tx, value_rx) = bounded::<()>(1);
        let (started_tx, started_rx) = bounded::<()>(1);
        let sender = {
            let log = Arc::clone(&log);
            runner.spawn(move || {
                select! {
                    send(tx, {
                        started_tx.send(()).unwrap();
                        value_rx.recv().unwrap();
                        log.item(1)
                    }) -> res => res.is_ok(),
                }
            })
        };
        started_rx.recv().unwrap();
        drop(rx);
        assert_eq!(log.drops_of(0), 1, "the queued message dropped at once");
        value_tx.send(()).unwrap();
        // The reservation was made before the receiver went, so the send
        // completes; the message is dropped as it lands.
        assert!(sender.join());
        assert_eq!(log.drops_of(1), 1, "the landed message dropped once");
        log.assert_all_dropped_once();
    }
}

#[test]
fn the_last_receiver_goes_while_a_select_holds_room() {
    both_runners(|runner| last_receiver_goes_while_reserved(runner, bounded::<Tracked>(2)));
}

#[test]
fn the_last_receiver_goes_while_a_select_holds_a_priority_unit() {
    both_runners(|runner| last_receiver_goes_while_reserved(runner, PriorityBounded::<2>::new()));
}

/// A coroutine cancelled while its select's value expression is parked
/// (room reserved) gives the room back as it unwinds: a receiver already
/// waiting keeps waiting and gets the next message, capacity comes back,
/// and nothing is queued that was not sent. Many rounds, on a ring and on
/// a priority channel.
fn cancel_while_reserved<F>(make: impl Fn() -> Pair<u32, F>)
where
    F: Flavor + 'static,
    F::Backpressure: may_channel::backpressure::HasSend,
    Sender<u32, F>: Send,
    Receiver<u32, F>: Send,
{
    common::init_may();
    let rounds = if cfg!(debug_assertions) { 50 } else { 500 };
    for round in 0..rounds {
        let (tx, rx) = make();
        let (gate_tx, gate_rx) = bounded::<u32>(1);
        let (started_tx, started_rx) = bounded::<()>(1);
        let selecting = {
            let tx = tx.clone();
            may::go!(move || {
                select! {
                    send(tx, {
                        started_tx.send(()).unwrap();
                        gate_rx.recv().unwrap()
                    }) -> res => res.unwrap(),
                }
            })
        };
        common::keep_alive(selecting.coroutine());
        started_rx.recv().unwrap();
        let receiver = may::go!(move || rx.recv());
        common::keep_alive(receiver.coroutine());
        // SAFETY: the coroutine is parked in a channel receive inside the
        // select's value expression; its reservation and registrations are
        // released by drop guards during the unwind.
        unsafe { selecting.coroutine().cancel() };
        assert!(selecting.join().is_err(), "round {round}: cancelled");
        drop(gate_tx);
        tx.send(round).unwrap();
        assert_eq!(receiver.join().unwrap(), Ok(round), "round {round}");
    }
}

#[test]
fn a_cancelled_select_gives_its_reserved_slot_back() {
    within(240, || cancel_while_reserved(|| bounded::<u32>(1)));
}

#[test]
fn a_cancelled_select_gives_its_reserved_priority_unit_back() {
    within(240, || cancel_while_reserved(PriorityBounded::<1>::new));
}
