//! A tour of `may_channel`: an order-processing pipeline in may coroutines.
//!
//! ```text
//!                     orders                      invoices                 status
//! producer ──▶ InstrumentedBounded<64> ──▶ 4 workers ──▶ InstrumentedUnbounded ──▶ collector ──▶ LatestN<8> ──▶ slow monitor
//!                 (Block + Counters)                        (Counters)                 │      (DropOldest + Counters)
//!                                                                                      └──▶ rendezvous ──▶ main thread (summary)
//! ```
//!
//! - the bounded stage holds at most 64 orders: when the workers fall behind,
//!   the producer coroutine is parked (backpressure), not the worker thread;
//! - the collector publishes its progress on a `LatestN<8>` channel that a
//!   deliberately slow monitor samples: old updates are evicted and counted;
//! - the collector hands its summary to the main thread through a rendezvous
//!   channel, so it knows the summary was taken when `send` returns.
//!
//! Before that, a few one-liners show `try_send` on a full rejecting channel,
//! `send_timeout` and `recv_timeout`; then a graceful shutdown (`close()`
//! while producers run, then drain: nothing lost), `peek`, memory that
//! shrinks after a burst, and the NUMA topology the crate found. The program checks that every order was
//! processed exactly once and panics (exit code 101) if not.
//!
//! It ends with the debugger: the pipeline's channels are registered with a
//! [`Debugger`], whose performance report (a table with hints) is printed
//! last, after a small traced pipeline shows a message's flow through two
//! channels and a deadlock check.
//!
//! Run it with `cargo run --release --example tour`.

use std::time::{Duration, Instant};

use may_channel::debug::{Debugger, EventKind, FullDebug};
use may_channel::flavors::{
    BoundedBlocking, BoundedRejecting, InstrumentedBounded, InstrumentedUnbounded, LatestN,
    UnboundedMpmc,
};
use may_channel::metrics::CountersSnapshot;
use may_channel::{
    ChannelBuilder, Receiver, RecvTimeoutError, SendTimeoutError, Sender, TrySendError,
};

/// Orders the producer generates.
const ORDERS: u64 = 10_000;
/// Worker coroutines in the processing stage.
const WORKERS: usize = 4;

/// An incoming order.
#[derive(Clone, Copy, Debug)]
struct Order {
    id: u64,
    amount_cents: u64,
}

impl Order {
    /// A deterministic, varied order.
    fn generate(id: u64) -> Self {
        Order {
            id,
            amount_cents: 100 + id.wrapping_mul(7_919) % 50_000,
        }
    }
}

/// What a worker makes of an order.
#[derive(Debug)]
struct Invoice {
    order_id: u64,
    worker: usize,
    total_cents: u64,
    risk_score: u32,
}

/// The "processing": VAT on top of the amount, plus a made-up risk score that
/// costs a little CPU (a couple of thousand rounds of an integer hash).
fn process(order: Order, worker: usize) -> Invoice {
    let mut h = order.id ^ 0x9e37_79b9_7f4a_7c15;
    for _ in 0..2_000 {
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    }
    Invoice {
        order_id: order.id,
        worker,
        total_cents: vat_inclusive(order.amount_cents),
        risk_score: (h % 100) as u32,
    }
}

/// 20 % VAT, rounded down.
fn vat_inclusive(amount_cents: u64) -> u64 {
    amount_cents * 120 / 100
}

/// Progress the collector publishes.
#[derive(Clone, Copy, Debug)]
struct Progress {
    collected: u64,
}

/// What the collector found, handed to `main` through a rendezvous channel.
#[derive(Debug)]
struct Summary {
    invoices: u64,
    duplicates: u64,
    missing: u64,
    revenue_cents: u64,
    risky: u64,
    per_worker: [u64; WORKERS],
}

/// What the monitor saw.
#[derive(Debug)]
struct MonitorReport {
    samples: u64,
    quiet_periods: u64,
    last_seen: u64,
}

fn main() {
    // Two worker threads run all coroutines; set before any coroutine exists.
    may::config().set_workers(2);

    println!("== may_channel tour ==\n");
    small_things();
    one_to_one();
    shutdown_peek_memory();
    let debugger = Debugger::new();
    pipeline(&debugger);
    debugging(&debugger);
}

/// `try_send` on a full channel, `send_timeout`, `recv_timeout`.
fn small_things() {
    // A channel that refuses when full hands the message back.
    let (tx, rx) = BoundedRejecting::<2>::new::<&str>();
    tx.try_send("first").unwrap();
    tx.try_send("second").unwrap();
    let refused = match tx.try_send("third") {
        Err(TrySendError::Full(msg)) => msg,
        other => panic!("expected Full, got {other:?}"),
    };
    assert_eq!(refused, "third");
    println!(
        "try_send on a full BoundedRejecting<2>: refused {refused:?}, handed back to the caller"
    );
    assert_eq!(rx.try_recv(), Ok("first"));

    // Timeouts run inside a coroutine: the coroutine is parked until the
    // deadline, the worker thread keeps running others.
    may::go!(|| {
        let (tx, rx) = BoundedBlocking::<1>::new::<u32>();
        tx.send(1).unwrap();
        let started = Instant::now();
        match tx.send_timeout(2, Duration::from_millis(20)) {
            Err(SendTimeoutError::Timeout(msg)) => {
                assert_eq!(msg, 2);
                println!(
                    "send_timeout on a full BoundedBlocking<1>: gave up after {:?}, message {msg} handed back",
                    started.elapsed()
                );
            }
            other => panic!("expected Timeout, got {other:?}"),
        }
        assert_eq!(rx.recv(), Ok(1));
        let started = Instant::now();
        assert_eq!(
            rx.recv_timeout(Duration::from_millis(20)),
            Err(RecvTimeoutError::Timeout)
        );
        println!(
            "recv_timeout on an empty channel: Timeout after {:?}",
            started.elapsed()
        );
        drop(tx);
        assert_eq!(
            rx.recv_timeout(Duration::from_millis(20)),
            Err(RecvTimeoutError::Disconnected)
        );
        println!("recv_timeout once every sender is gone: Disconnected at once");
    })
    .join()
    .unwrap();
    println!();
}

/// One producer, one consumer: `spsc::channel()`'s handles are neither
/// `Clone` nor `Sync`, so their queue needs one atomic read-modify-write per
/// message (an MPMC queue needs four).
fn one_to_one() {
    const COUNT: u64 = 1_000_000;
    let (tx, rx) = may_channel::spsc::channel::<u64>();
    let started = Instant::now();
    let producer = may::go!(move || {
        for i in 0..COUNT {
            tx.send(i).unwrap();
        }
    });
    let consumer = may::go!(move || {
        let mut expected = 0;
        for i in rx.iter() {
            assert_eq!(i, expected, "FIFO");
            expected += 1;
        }
        (expected, rx)
    });
    producer.join().unwrap();
    let (received, rx) = consumer.join().unwrap();
    assert_eq!(received, COUNT);
    let held = rx.allocated_bytes().unwrap();
    // The segment in use and at most one spare.
    assert!(held <= 2 * may_channel::queue::spsc_segment_bytes::<u64>());
    println!(
        "spsc::channel(): {received} messages between two coroutines, in order, in {:?}; \
         drained, the channel holds {held} bytes\n",
        started.elapsed()
    );
}

/// `close()` under load, `peek`, `allocated_bytes`, `topology()`.
fn shutdown_peek_memory() {
    // Graceful shutdown: two producer coroutines send until the channel is
    // closed; every send either succeeded (and the message is received) or
    // was refused with the message handed back.
    let (tx, rx) = BoundedBlocking::<16>::new::<u64>();
    let producers: Vec<_> = (0..2)
        .map(|_| {
            let tx = tx.clone();
            may::go!(move || {
                let (mut sent, mut refused) = (0u64, 0u64);
                for i in 0.. {
                    match tx.send(i) {
                        Ok(()) => sent += 1,
                        Err(back) => {
                            assert_eq!(back.0, i, "the refused message comes back");
                            refused += 1;
                            break;
                        }
                    }
                }
                (sent, refused)
            })
        })
        .collect();
    let mut received = 0u64;
    while received < 1_000 {
        rx.recv().unwrap();
        received += 1;
    }
    assert!(rx.close(), "this call closed the channel");
    while rx.recv().is_ok() {
        received += 1; // drain what was queued before the close
    }
    let (sent, refused) = producers
        .into_iter()
        .map(|p| p.join().unwrap())
        .fold((0, 0), |(s, r), (ps, pr)| (s + ps, r + pr));
    assert_eq!(sent, received, "every accepted message was received");
    println!(
        "close() under load: {sent} sent = {received} received, {refused} refused sends got their message back"
    );

    // Peek: look at the head, leave it, then take it.
    let (tx, rx) = BoundedBlocking::<4>::new::<&str>();
    tx.send("first").unwrap();
    tx.send("second").unwrap();
    let head = rx.peek().unwrap();
    println!("peek saw {:?} and left it at the head", *head);
    head.leave();
    assert_eq!(rx.peek().unwrap().take(), "first");
    assert_eq!(rx.recv(), Ok("second"));

    // Memory: an unbounded channel frees its segments once drained.
    let (tx, rx) = UnboundedMpmc::new::<u64>();
    let idle = tx.allocated_bytes().unwrap_or(0);
    for i in 0..100_000 {
        tx.send(i).unwrap();
    }
    let burst = tx.allocated_bytes().unwrap_or(0);
    while rx.try_recv().is_ok() {}
    let drained = tx.allocated_bytes().unwrap_or(0);
    // Drained, the queue keeps its floor: the segment in use and the one
    // linked after it ahead of time.
    let floor = 2 * may_channel::queue::segment_bytes::<u64>();
    assert!(drained <= floor, "{drained} B left after the drain");
    println!(
        "unbounded channel memory: {idle} B before the first send, {burst} B holding 100000 messages, {drained} B after the drain (floor: two segments)"
    );

    // Placement: what the NUMA-aware flavour found on this machine.
    let (tx, _rx) = ChannelBuilder::new()
        .numa_aware()
        .build::<u64>()
        .expect("the detected topology has a node with CPUs");
    let topology = tx.topology();
    println!(
        "NUMA topology: {} node(s), from {:?}",
        topology.nodes().len(),
        topology.source()
    );
    println!();
}

fn pipeline(debugger: &Debugger) {
    let started = Instant::now();

    // The builder returns exactly the named flavour: this annotation compiles
    // only because `bounded::<64>().enable_metrics()` *is*
    // `InstrumentedBounded<64>`.
    let (order_tx, order_rx): (
        Sender<Order, InstrumentedBounded<64>>,
        Receiver<Order, InstrumentedBounded<64>>,
    ) = ChannelBuilder::new()
        .bounded::<64>()
        .enable_metrics()
        .build::<Order>()
        .expect("a capacity of 64 is valid");
    let (invoice_tx, invoice_rx) = InstrumentedUnbounded::new::<Invoice>();
    let (status_tx, status_rx) = LatestN::<8>::new::<Progress>();
    let (summary_tx, summary_rx) = may_channel::rendezvous::<Summary>();
    // The debugger reads each channel's sink (here `Counters`) for its report.
    debugger.register("orders", &order_tx);
    debugger.register("invoices", &invoice_tx);
    debugger.register("status", &status_tx);

    // Producer: 10 000 orders into a 64-slot stage; parked whenever it is full.
    let producer = may::go!(move || {
        for id in 0..ORDERS {
            order_tx
                .send(Order::generate(id))
                .expect("workers are alive");
        }
        // Dropping `order_tx` here disconnects the stage: workers drain it
        // and stop.
    });

    // Workers: compete for orders, send invoices on.
    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| {
            let orders = order_rx.clone();
            let invoices = invoice_tx.clone();
            may::go!(move || {
                let mut done = 0u64;
                for order in orders.iter() {
                    invoices
                        .send(process(order, worker))
                        .expect("collector is alive");
                    done += 1;
                    if done % 64 == 0 {
                        // Be fair to the other coroutines on this worker thread.
                        may::coroutine::yield_now();
                    }
                }
                done
            })
        })
        .collect();
    drop(invoice_tx);

    // Collector: checks every order arrives exactly once, publishes progress.
    let invoices = invoice_rx.clone();
    let collector = may::go!(move || {
        let mut seen = vec![false; ORDERS as usize];
        let mut summary = Summary {
            invoices: 0,
            duplicates: 0,
            missing: 0,
            revenue_cents: 0,
            risky: 0,
            per_worker: [0; WORKERS],
        };
        for invoice in invoices.iter() {
            let slot = &mut seen[invoice.order_id as usize];
            if *slot {
                summary.duplicates += 1;
            }
            *slot = true;
            summary.invoices += 1;
            summary.revenue_cents += invoice.total_cents;
            summary.risky += u64::from(invoice.risk_score >= 95);
            summary.per_worker[invoice.worker] += 1;
            // Never waits: a full LatestN evicts its oldest update.
            status_tx
                .send(Progress {
                    collected: summary.invoices,
                })
                .expect("monitor is alive");
        }
        drop(status_tx);
        summary.missing = seen.iter().filter(|seen| !**seen).count() as u64;
        // Rendezvous: returns once `main` has taken the summary.
        summary_tx.send(summary).expect("main is waiting");
    });

    // Monitor: slow on purpose; it sees a sample of the updates.
    let status = status_rx.clone();
    let monitor = may::go!(move || {
        let mut report = MonitorReport {
            samples: 0,
            quiet_periods: 0,
            last_seen: 0,
        };
        loop {
            match status.recv_timeout(Duration::from_millis(50)) {
                Ok(progress) => {
                    assert!(
                        progress.collected > report.last_seen,
                        "progress went backwards"
                    );
                    report.last_seen = progress.collected;
                    report.samples += 1;
                    may::coroutine::sleep(Duration::from_millis(1));
                }
                Err(RecvTimeoutError::Timeout) => report.quiet_periods += 1,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        report
    });

    // The main thread (not a coroutine) takes the hand-off: it is parked as a
    // thread, the collector as a coroutine, on the same channel.
    let summary = summary_rx.recv().expect("collector sends a summary");
    producer.join().unwrap();
    let per_worker: Vec<u64> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    collector.join().unwrap();
    let report = monitor.join().unwrap();
    let elapsed = started.elapsed();

    // ------------------------------------------------------------ report
    let expected_revenue: u64 = (0..ORDERS)
        .map(|id| vat_inclusive(Order::generate(id).amount_cents))
        .sum();
    println!(
        "pipeline: {} orders processed in {elapsed:?} by {WORKERS} worker coroutines on 2 threads",
        summary.invoices
    );
    println!(
        "  per worker (worker's count / collector's count): {}",
        per_worker
            .iter()
            .zip(summary.per_worker)
            .map(|(done, seen)| format!("{done}/{seen}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  duplicates: {}, missing: {}, revenue: {}.{:02} (expected {}.{:02}), risky orders: {}",
        summary.duplicates,
        summary.missing,
        summary.revenue_cents / 100,
        summary.revenue_cents % 100,
        expected_revenue / 100,
        expected_revenue % 100,
        summary.risky
    );
    println!(
        "  monitor: {} samples of {} updates (last saw {}), {} quiet periods",
        report.samples, summary.invoices, report.last_seen, report.quiet_periods
    );
    println!();

    let orders = order_rx.metrics();
    let invoices = invoice_rx.metrics();
    let status = status_rx.metrics();
    print_table(&[
        ("orders   InstrumentedBounded<64>", orders),
        ("invoices InstrumentedUnbounded", invoices),
        ("status   LatestN<8>", status),
    ]);

    // ------------------------------------------------------------ checks
    assert_eq!(summary.invoices, ORDERS, "every order yields one invoice");
    assert_eq!(summary.duplicates, 0, "no order processed twice");
    assert_eq!(summary.missing, 0, "no order lost");
    assert_eq!(summary.revenue_cents, expected_revenue);
    assert_eq!(summary.per_worker.to_vec(), per_worker);
    assert_eq!(per_worker.iter().sum::<u64>(), ORDERS);

    assert_eq!(
        (orders.sent, orders.received, orders.dropped),
        (ORDERS, ORDERS, 0)
    );
    assert_eq!(orders.len, 0);
    assert_eq!(
        (invoices.sent, invoices.received, invoices.dropped),
        (ORDERS, ORDERS, 0)
    );
    // Every update was stored; each was either sampled or evicted.
    assert_eq!(status.sent, ORDERS);
    assert_eq!(status.received, report.samples);
    assert_eq!(status.received + status.dropped, status.sent);
    assert_eq!(
        report.last_seen, ORDERS,
        "the final update is never evicted"
    );
    for snapshot in [orders, invoices, status] {
        assert_eq!(
            (snapshot.blocked_senders, snapshot.blocked_receivers),
            (0, 0)
        );
    }
    println!("\nall checks passed");
}

/// The debugger: a small pipeline whose channels keep a `History` ring (with
/// counters and latency: `FullDebug`) shows the flow of one message, a
/// deadlock check, and then the performance report of every channel of the
/// tour.
fn debugging(debugger: &Debugger) {
    type Traced = may_channel::Channel<
        may_channel::queue::Bounded<16>,
        may_channel::wait::SpinThenPark,
        may_channel::backpressure::Block,
        FullDebug<1024>,
    >;
    println!("\n== debugger ==\n");
    let (raw_tx, raw_rx) = Traced::new::<u64>();
    let (cooked_tx, cooked_rx) = Traced::new::<u64>();
    debugger.register("raw", &raw_tx);
    debugger.register("cooked", &cooked_tx);
    let source = may::go!(move || {
        for i in 0..100 {
            raw_tx.send(i).unwrap();
        }
    });
    let stage = may::go!(move || {
        // Each message this coroutine sends is recorded as the child of the
        // one it received just before.
        for i in raw_rx.iter() {
            cooked_tx.send(i * i).unwrap();
        }
    });
    let total: u64 = cooked_rx.iter().sum();
    source.join().unwrap();
    stage.join().unwrap();
    assert_eq!(total, (0..100u64).map(|i| i * i).sum());

    let first = debugger
        .history()
        .into_iter()
        .find(|r| r.channel == "raw" && r.event.kind == EventKind::Send)
        .and_then(|r| r.event.message)
        .expect("the raw channel recorded its sends");
    let flow = debugger.trace_message_flow(first);
    print!("{flow}");
    assert_eq!(flow.channels(), ["raw", "cooked"]);
    let deadlocks = debugger.detect_deadlocks();
    println!("deadlocks found: {}", deadlocks.len());
    assert!(deadlocks.is_empty());

    println!("\nperformance report:\n{}", debugger.analyze_performance());
}

fn print_table(rows: &[(&str, CountersSnapshot)]) {
    println!(
        "{:<32} {:>8} {:>9} {:>8} {:>5} {:>9} {:>13} {:>11} {:>11}",
        "channel",
        "sent",
        "received",
        "dropped",
        "len",
        "peak_len",
        "blocked_time",
        "blocked_tx",
        "blocked_rx"
    );
    for (name, m) in rows {
        println!(
            "{:<32} {:>8} {:>9} {:>8} {:>5} {:>9} {:>13} {:>11} {:>11}",
            name,
            m.sent,
            m.received,
            m.dropped,
            m.len,
            m.peak_len,
            format!("{:.2?}", m.blocked_time),
            m.blocked_senders,
            m.blocked_receivers
        );
    }
}
