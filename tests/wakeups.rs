//! No lost wake-ups: parked receivers and senders are always woken when there
//! is work for them. Uses the `Park` strategy, which parks at the first miss,
//! so that every exchange goes through the waiter lists.

mod common;

use common::within;
use may_channel::backpressure::Block;
use may_channel::queue::{Bounded, Unbounded};
use may_channel::wait::Park;
use may_channel::{Channel, Flavor, Receiver, Sender};

const MESSAGES: usize = 20_000;

/// `receivers` parked-prone consumers race for the messages one producer
/// sends with pauses in between, so that consumers keep re-checking,
/// succeeding on the re-check and parking again: the interleavings in which a
/// wake-up could be spent on a waiter that no longer needs it.
fn many_parked_receivers<F: Flavor>(pair: (Sender<usize, F>, Receiver<usize, F>), receivers: usize)
where
    F::Backpressure: may_channel::backpressure::HasSend,
    Receiver<usize, F>: Send,
{
    let (tx, rx) = pair;
    let consumers: Vec<_> = (0..receivers)
        .map(|_| {
            let rx = rx.clone();
            std::thread::spawn(move || rx.iter().count())
        })
        .collect();
    drop(rx);
    for i in 0..MESSAGES {
        tx.send(i).unwrap();
        if i % 64 == 0 {
            std::thread::yield_now();
        }
    }
    drop(tx);
    let received: usize = consumers.into_iter().map(|c| c.join().unwrap()).sum();
    assert_eq!(received, MESSAGES);
}

#[test]
fn parked_receivers_on_an_unbounded_channel_are_always_woken() {
    within(120, || {
        many_parked_receivers(Channel::<Unbounded, Park>::new(), 4)
    });
}

#[test]
fn parked_receivers_and_senders_on_a_bounded_channel_are_always_woken() {
    within(120, || {
        many_parked_receivers(Channel::<Bounded<2>, Park, Block>::new(), 3)
    });
}

#[test]
fn parked_coroutines_are_always_woken() {
    within(120, || {
        let (tx, rx) = Channel::<Bounded<1>, Park>::new::<usize>();
        let consumers: Vec<_> = (0..4)
            .map(|_| {
                let rx = rx.clone();
                may::go!(move || rx.iter().count())
            })
            .collect();
        drop(rx);
        let producers: Vec<_> = (0..3)
            .map(|_| {
                let tx = tx.clone();
                may::go!(move || {
                    for i in 0..MESSAGES / 4 {
                        tx.send(i).unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        for p in producers {
            p.join().unwrap();
        }
        let received: usize = consumers.into_iter().map(|c| c.join().unwrap()).sum();
        assert_eq!(received, 3 * (MESSAGES / 4));
    });
}

/// Two producers each wait for an acknowledgement of every message before
/// sending the next, so nothing but the wake-up protocol can move a message to
/// a parked consumer: a single lost wake-up stalls the test (and the watchdog
/// fails it).
#[test]
fn acknowledged_hand_offs_never_stall() {
    within(120, || {
        let (tx, rx) = Channel::<Unbounded, Park>::new::<(usize, usize)>();
        let acks: Vec<_> = (0..2)
            .map(|_| Channel::<Unbounded, Park>::new::<usize>())
            .collect();
        let ack_senders: Vec<_> = acks.iter().map(|(ack_tx, _)| ack_tx.clone()).collect();
        let consumers: Vec<_> = (0..4)
            .map(|_| {
                let rx = rx.clone();
                let ack_senders = ack_senders.clone();
                std::thread::spawn(move || {
                    let mut count = 0;
                    for (producer, i) in rx.iter() {
                        ack_senders[producer].send(i).unwrap();
                        count += 1;
                    }
                    count
                })
            })
            .collect();
        drop((rx, ack_senders));
        let producers: Vec<_> = acks
            .into_iter()
            .enumerate()
            .map(|(producer, (_, ack_rx))| {
                let tx = tx.clone();
                std::thread::spawn(move || {
                    for i in 0..2_000 {
                        tx.send((producer, i)).unwrap();
                        assert_eq!(ack_rx.recv(), Ok(i));
                    }
                })
            })
            .collect();
        drop(tx);
        for p in producers {
            p.join().unwrap();
        }
        let received: usize = consumers.into_iter().map(|c| c.join().unwrap()).sum();
        assert_eq!(received, 4_000);
    });
}

/// Detached coroutines that park and finish right after being woken: with
/// may 0.3.51 an unpark that lands while the park is being registered could
/// leave the finishing coroutine spinning its worker for ever (see
/// `src/channel/parker.rs`). A hung worker shows up as coroutines that never
/// finish.
#[test]
fn detached_coroutines_that_park_never_hang_a_worker() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    const ROUNDS: usize = 100_000;
    let done = Arc::new(AtomicUsize::new(0));
    for round in 0..ROUNDS {
        let (tx, rx) = Channel::<Bounded<1>, Park>::new::<u32>();
        let finished = Arc::clone(&done);
        drop(may::go!(move || {
            for _ in 0..4 {
                let _ = rx.recv();
            }
            finished.fetch_add(1, Ordering::Relaxed);
        }));
        drop(may::go!(move || {
            for _ in 0..4 {
                tx.send(1).unwrap();
            }
        }));
        if round % 1_000 == 999 {
            let since = Instant::now();
            while done.load(Ordering::Relaxed) <= round {
                assert!(
                    since.elapsed() < Duration::from_secs(30),
                    "after {} rounds only {} receivers finished: a worker hung",
                    round + 1,
                    done.load(Ordering::Relaxed)
                );
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }
}
