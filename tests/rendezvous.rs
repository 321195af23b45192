//! Zero-capacity hand-off.

mod common;

use std::time::Duration;

use common::{wait_until, within};
use may_channel::flavors::RendezvousMpmc;
use may_channel::{
    Channel, TrySendError, backpressure::Reject, queue::Rendezvous, wait::SpinThenPark,
};

#[test]
fn capacity_is_zero_and_try_send_needs_a_waiting_receiver() {
    let (tx, rx) = RendezvousMpmc::new();
    assert_eq!(tx.capacity(), Some(0));
    assert!(tx.is_full() && rx.is_empty());
    assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
    assert!(rx.try_recv().is_err());
}

#[test]
fn send_completes_only_when_a_receiver_takes_the_message() {
    within(30, || {
        let (tx, rx) = RendezvousMpmc::new();
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let sender = std::thread::spawn(move || {
            tx.send("hello").unwrap();
            done_tx.send(()).unwrap();
        });
        wait_until(20, "the sender waits", || {
            may_channel::select::Selectable::is_ready(&rx)
        });
        // Nothing is stored, and the send has not completed.
        assert_eq!(rx.len(), 0);
        std::thread::sleep(Duration::from_millis(20));
        assert!(
            done_rx.try_recv().is_err(),
            "send returned before a receiver took the message"
        );
        assert_eq!(rx.recv(), Ok("hello"));
        sender.join().unwrap();
        assert!(done_rx.try_recv().is_ok());
    });
}

#[test]
fn try_send_hands_over_to_a_parked_receiver() {
    within(30, || {
        let (tx, rx) = RendezvousMpmc::new();
        let receiver = std::thread::spawn(move || rx.recv());
        // Retry until the receiver is inside `recv`; every refusal hands the
        // message back.
        let mut msg = 5u32;
        loop {
            match tx.try_send(msg) {
                Ok(()) => break,
                Err(TrySendError::Full(back)) => {
                    msg = back;
                    std::thread::yield_now();
                }
                Err(TrySendError::Disconnected(_)) => panic!("receiver vanished"),
            }
        }
        assert_eq!(receiver.join().unwrap(), Ok(5));
    });
}

#[test]
fn rejecting_rendezvous_only_has_try_send() {
    within(30, || {
        type Offer = Channel<Rendezvous, SpinThenPark, Reject>;
        let (tx, rx) = Offer::new();
        assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
        let receiver = may::go!(move || rx.recv());
        let mut msg = 2u8;
        while let Err(TrySendError::Full(back)) = tx.try_send(msg) {
            msg = back;
            std::thread::yield_now();
        }
        assert_eq!(receiver.join().unwrap(), Ok(2));
    });
}

#[test]
fn many_senders_and_receivers_in_coroutines_exchange_everything_once() {
    within(60, || {
        let (tx, rx) = RendezvousMpmc::new();
        let senders: Vec<_> = (0..4)
            .map(|s| {
                let tx = tx.clone();
                may::go!(move || {
                    for i in 0..250 {
                        tx.send(s * 1000 + i).unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        let receivers: Vec<_> = (0..3)
            .map(|_| {
                let rx = rx.clone();
                may::go!(move || rx.iter().collect::<Vec<usize>>())
            })
            .collect();
        drop(rx);
        for s in senders {
            s.join().unwrap();
        }
        let mut all: Vec<usize> = receivers
            .into_iter()
            .flat_map(|r| r.join().unwrap())
            .collect();
        all.sort_unstable();
        let expected: Vec<usize> = (0..4)
            .flat_map(|s| (0..250).map(move |i| s * 1000 + i))
            .collect();
        assert_eq!(all, expected);
    });
}
