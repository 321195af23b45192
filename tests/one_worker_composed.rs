//! Select, broadcast and operators on a single may worker: anything that
//! parked the worker thread instead of the coroutine would deadlock here (the
//! watchdog fails it).

mod common;

use std::sync::Once;
use std::time::Duration;

use common::within;
use may_channel::flavors::{BoundedBlocking, RendezvousMpmc, UnboundedMpmc};
use may_channel::{select, select_priority, select_weighted};

fn one_worker() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        may::config().set_workers(1);
    });
}

#[test]
fn selecting_consumers_and_producers_share_one_worker() {
    one_worker();
    within(60, || {
        const PER_PRODUCER: usize = 2_000;
        let (tx_a, rx_a) = BoundedBlocking::<1>::new::<usize>();
        let (tx_b, rx_b) = RendezvousMpmc::new::<usize>();
        let producers: Vec<_> = (0..2)
            .map(|p| {
                let (tx_a, tx_b) = (tx_a.clone(), tx_b.clone());
                may::go!(move || {
                    for i in 0..PER_PRODUCER {
                        let id = p * PER_PRODUCER + i;
                        // Each producer itself selects where to send.
                        select! {
                            send(tx_a, id) -> res => res.unwrap(),
                            send(tx_b, id) -> res => res.unwrap(),
                        }
                    }
                })
            })
            .collect();
        drop((tx_a, tx_b));
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let (rx_a, rx_b) = (rx_a.clone(), rx_b.clone());
                may::go!(move || {
                    let mut got = Vec::new();
                    let (mut a_open, mut b_open) = (true, true);
                    while a_open || b_open {
                        may_channel::select_if! {
                            recv(rx_a) -> msg if a_open => match msg {
                                Ok(id) => got.push(id),
                                Err(_) => a_open = false,
                            },
                            recv(rx_b) -> msg if b_open => match msg {
                                Ok(id) => got.push(id),
                                Err(_) => b_open = false,
                            },
                        }
                    }
                    got
                })
            })
            .collect();
        drop((rx_a, rx_b));
        for p in producers {
            p.join().unwrap();
        }
        let mut all: Vec<usize> = consumers
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..2 * PER_PRODUCER).collect::<Vec<_>>());
    });
}

#[test]
fn select_timeouts_yield_the_worker() {
    one_worker();
    within(60, || {
        let (tx, rx) = UnboundedMpmc::new::<u32>();
        let (_idle_tx, idle) = UnboundedMpmc::new::<u32>();
        // One coroutine waits with timeouts; another, on the same worker,
        // sends only once it has seen the first time out. If a select's
        // timed wait held the worker, the sender could never run.
        let timeouts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = std::sync::Arc::clone(&timeouts);
        let waiting = may::go!(move || {
            loop {
                select_priority! {
                    recv(rx) -> msg => return msg,
                    recv(idle) -> _ => unreachable!(),
                    default(Duration::from_millis(5)) => {
                        seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    },
                }
            }
        });
        let counter = std::sync::Arc::clone(&timeouts);
        let sending = may::go!(move || {
            while counter.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                may::coroutine::sleep(Duration::from_millis(1));
            }
            tx.send(3).unwrap();
        });
        sending.join().unwrap();
        assert_eq!(waiting.join().unwrap(), Ok(3));
        assert!(timeouts.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    });
}

#[test]
fn weighted_select_in_coroutines_on_one_worker() {
    one_worker();
    within(60, || {
        let (tx_a, rx_a) = UnboundedMpmc::new::<u8>();
        let (tx_b, rx_b) = UnboundedMpmc::new::<u8>();
        let consumer = may::go!(move || {
            let (mut a, mut b) = (0, 0);
            for _ in 0..1_000 {
                select_weighted! {
                    recv(rx_a, 2) -> m => { m.unwrap(); a += 1; },
                    recv(rx_b, 2) -> m => { m.unwrap(); b += 1; },
                }
            }
            (a, b, rx_a, rx_b)
        });
        let producer = may::go!(move || {
            for _ in 0..1_000 {
                tx_a.send(1).unwrap();
                tx_b.send(2).unwrap();
                may::coroutine::yield_now();
            }
        });
        producer.join().unwrap();
        let (a, b, rx_a, rx_b) = consumer.join().unwrap();
        let left = rx_a.len() + rx_b.len();
        assert_eq!(a + b, 1_000);
        assert_eq!(left, 1_000, "received + left = sent");
    });
}

#[test]
fn broadcast_subscribers_and_a_blocking_publisher_share_one_worker() {
    one_worker();
    within(60, || {
        use may_channel::broadcast::{Builder, Overflow};
        let (tx, first) = Builder::new(2)
            .overflow(Overflow::Block)
            .build::<u32>()
            .unwrap();
        let mut subs = vec![first];
        subs.extend((0..3).map(|_| tx.subscribe()));
        let readers: Vec<_> = subs
            .into_iter()
            .map(|mut sub| may::go!(move || sub.iter().map(u64::from).sum::<u64>()))
            .collect();
        // The ring holds 2: the publisher parks behind the slowest reader
        // again and again, on the same worker as all of them.
        let publisher = may::go!(move || (0..500u32).for_each(|i| {
            tx.send(i);
        }));
        publisher.join().unwrap();
        for reader in readers {
            assert_eq!(reader.join().unwrap(), (0..500u64).sum::<u64>());
        }
    });
}

#[test]
fn operators_and_merge_on_one_worker() {
    one_worker();
    within(60, || {
        use may_channel::ops::Source;
        let (tx_a, rx_a) = BoundedBlocking::<1>::new::<u32>();
        let (tx_b, rx_b) = UnboundedMpmc::new::<u32>();
        let consumer = may::go!(move || {
            rx_a.map(|x| x * 2)
                .merge(rx_b.filter(|x| x % 2 == 1))
                .batch_timeout(8, Duration::from_millis(5))
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
        });
        let a = may::go!(move || (0..200).for_each(|i| tx_a.send(i).unwrap()));
        let b = may::go!(move || (0..200).for_each(|i| tx_b.send(i).unwrap()));
        a.join().unwrap();
        b.join().unwrap();
        let mut got = consumer.join().unwrap();
        got.sort_unstable();
        let mut expected: Vec<u32> = (0..200)
            .map(|x| x * 2)
            .chain((0..200).filter(|x| x % 2 == 1))
            .collect();
        expected.sort_unstable();
        assert_eq!(got, expected);
    });
}

#[test]
fn priority_and_work_stealing_channels_on_one_worker() {
    one_worker();
    within(60, || {
        use may_channel::flavors::{PriorityBounded, WorkStealingMpmc};
        use may_channel::queue::{Priority, Workers};
        // A bounded priority channel: the producer parks on a full channel,
        // the consumer on an empty one, all on the one worker.
        let (tx, rx) = PriorityBounded::<2>::new::<u32>();
        let producer = may::go!(move || {
            for i in 0..300u32 {
                let level = if i % 3 == 0 {
                    Priority::High
                } else {
                    Priority::Low
                };
                tx.send_with_priority(i, level).unwrap();
            }
        });
        let consumer = may::go!(move || rx.iter().map(u64::from).sum::<u64>());
        producer.join().unwrap();
        assert_eq!(consumer.join().unwrap(), (0..300u64).sum::<u64>());

        let (tx, rx) = WorkStealingMpmc::with_config::<u32>(Workers(3)).unwrap();
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let rx = rx.clone();
                may::go!(move || rx.iter().count())
            })
            .collect();
        drop(rx);
        let producer = may::go!(move || {
            for i in 0..600u32 {
                tx.send_to_worker(i as usize, i).unwrap();
            }
        });
        producer.join().unwrap();
        let received: usize = consumers.into_iter().map(|c| c.join().unwrap()).sum();
        assert_eq!(received, 600);
    });
}
