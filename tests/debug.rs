//! The channel debugger: the History ring under concurrent writers, message
//! flow across a pipeline, deadlock detection on a real deadlock and on a
//! healthy pipeline, and the performance report.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{Runner, init_may, keep_alive, wait_until, within};
use may_channel::backpressure::{Block, DropNewest};
use may_channel::debug::{
    self, Debugger, EventKind, FullDebug, History, MessageId, TaskId, current_task,
};
use may_channel::metrics::{Counters, MetricsSink, Side};
use may_channel::queue::{Bounded, Unbounded};
use may_channel::wait::SpinThenPark;
use may_channel::{Channel, RecvError};

type Traced<const CAP: usize> = Channel<Bounded<CAP>, SpinThenPark, Block, FullDebug<4096>>;
type TracedUnbounded =
    Channel<Unbounded, SpinThenPark, may_channel::backpressure::Unlimited, History<256>>;

// --------------------------------------------------------------- the ring

/// Writers hammer one ring far past its size while a reader copies it: no
/// copy ever holds a torn event, and at the end the ring is full, in order,
/// and holds the last `N` events, each whole, but for an older event kept
/// wherever a writer found its slot still being written a lap behind and
/// skipped (counted).
#[test]
fn history_ring_wraps_correctly_under_concurrent_writers() {
    const N: usize = 64;
    const WRITERS: usize = 4;
    const PER_WRITER: usize = 20_000;
    within(60, || {
        let sink = Arc::new(History::<N>::default());
        let done = Arc::new(AtomicBool::new(false));
        let reader = {
            let (sink, done) = (Arc::clone(&sink), Arc::clone(&done));
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                while !done.load(Ordering::SeqCst) {
                    seen.extend(sink.events());
                }
                seen
            })
        };
        let writers: Vec<_> = (0..WRITERS)
            .map(|_| {
                let sink = Arc::clone(&sink);
                std::thread::spawn(move || {
                    let mut ids = Vec::with_capacity(PER_WRITER);
                    for _ in 0..PER_WRITER {
                        // What the core does for a send: stamp, then store.
                        ids.push(sink.stamp());
                        sink.on_send();
                    }
                    (current_task(), ids)
                })
            })
            .collect();
        let owners: HashMap<MessageId, TaskId> = writers
            .into_iter()
            .flat_map(|w| {
                let (task, ids) = w.join().unwrap();
                ids.into_iter().map(move |id| (id, task))
            })
            .collect();
        done.store(true, Ordering::SeqCst);
        let seen = reader.join().unwrap();

        let whole = |e: &may_channel::debug::Event| {
            e.kind == EventKind::Send && e.message.is_some_and(|m| owners.get(&m) == Some(&e.task))
        };
        assert!(seen.iter().all(whole), "a reader saw a torn event");

        let total = (WRITERS * PER_WRITER) as u64;
        assert_eq!(sink.recorded(), total);
        let last = sink.events();
        assert!(last.iter().all(whole));
        // Every slot was written and completed: the ring is full.
        assert_eq!(last.len(), N);
        let seqs: Vec<u64> = last.iter().map(|e| e.seq).collect();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "oldest first, no duplicates"
        );
        assert!(seqs.iter().all(|&s| s < total));
        // The ring holds the last N events, except where a writer found its
        // slot still being written by the writer a lap behind and skipped:
        // then that older event stays, and only then.
        let stale = seqs.iter().filter(|&&s| s < total - N as u64).count() as u64;
        assert!(
            stale <= sink.skipped(),
            "{stale} events older than the last {N}, {} skipped: {seqs:?}",
            sink.skipped()
        );
        // Each writer's events keep its own order (its ids rise with its seqs).
        let mut per_task: HashMap<TaskId, Vec<MessageId>> = HashMap::new();
        for e in &last {
            per_task.entry(e.task).or_default().push(e.message.unwrap());
        }
        assert!(
            per_task
                .values()
                .all(|ids| ids.windows(2).all(|w| w[0] < w[1]))
        );
    });
}

#[test]
fn events_name_task_message_and_kind() {
    let (tx, rx) = TracedUnbounded::new();
    tx.send(1u8).unwrap();
    rx.recv().unwrap();
    drop(rx);
    tx.send(2).unwrap_err();
    let events = tx.sink().events();
    let me = current_task();
    assert!(!me.is_coroutine());
    assert_eq!(events.len(), 2);
    assert_eq!(
        (
            events[0].kind,
            events[0].task,
            events[1].kind,
            events[1].task
        ),
        (EventKind::Send, me, EventKind::Recv, me)
    );
    assert_eq!(events[0].message, events[1].message);
    assert!(events[0].time <= events[1].time);
}

#[test]
fn dropped_messages_are_recorded_with_their_ids() {
    type Lossy = Channel<Bounded<1>, SpinThenPark, DropNewest, (Counters, History<16>)>;
    let (tx, rx) = Lossy::new();
    tx.send(1).unwrap();
    tx.send(2).unwrap(); // full: dropped
    drop(rx); // 1 is still queued: dropped with the receiver
    let events = tx.sink().1.events();
    let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::Send, EventKind::Drop, EventKind::Drop]);
    assert_ne!(events[1].message, events[0].message, "the refused newcomer");
    assert_eq!(events[2].message, events[0].message, "the queued one");
}

// ----------------------------------------------------------- message flow

/// source -> "ingest" -> double -> "doubled" -> split in two -> "out" -> sink:
/// each source message's flow goes through the three channels, with one
/// child in "doubled" and two grandchildren in "out".
fn flow_through_a_pipeline(runner: Runner) {
    const MESSAGES: u64 = 50;
    let debugger = Debugger::new();
    let (ingest_tx, ingest_rx) = Traced::<4>::new::<u64>();
    let (doubled_tx, doubled_rx) = Traced::<4>::new::<u64>();
    let (out_tx, out_rx) = Traced::<4>::new::<u64>();
    debugger.register("ingest", &ingest_tx);
    debugger.register("doubled", &doubled_rx);
    debugger.register("out", &out_tx);

    let source = runner.spawn(move || {
        for i in 0..MESSAGES {
            ingest_tx.send(i).unwrap();
        }
    });
    let double = runner.spawn(move || {
        for i in ingest_rx.iter() {
            doubled_tx.send(i * 2).unwrap();
        }
    });
    let split = runner.spawn(move || {
        for i in doubled_rx.iter() {
            out_tx.send(i).unwrap();
            out_tx.send(i + 1).unwrap();
        }
    });
    let sink = runner.spawn(move || out_rx.iter().count());
    source.join();
    double.join();
    split.join();
    assert_eq!(sink.join(), 2 * MESSAGES as usize);

    let roots: Vec<MessageId> = debugger
        .history()
        .iter()
        .filter(|r| r.channel == "ingest" && r.event.kind == EventKind::Send)
        .map(|r| r.event.message.unwrap())
        .collect();
    assert_eq!(roots.len(), MESSAGES as usize);
    for root in roots {
        let flow = debugger.trace_message_flow(root);
        assert_eq!(flow.channels(), ["ingest", "doubled", "out"], "{flow}");
        assert_eq!(flow.messages.len(), 4, "{flow}");
        let kinds: Vec<_> = flow
            .records
            .iter()
            .map(|r| (r.channel.as_str(), r.event.kind))
            .filter(|(_, k)| matches!(k, EventKind::Send | EventKind::Recv))
            .collect();
        assert_eq!(kinds.len(), 8, "a send and a receive per message: {flow}");
        // A message is received by the task that sends its children.
        for record in flow
            .records
            .iter()
            .filter(|r| r.event.kind == EventKind::Send)
        {
            if let Some(parent) = record.event.parent {
                let receiver = flow
                    .records
                    .iter()
                    .find(|r| r.event.kind == EventKind::Recv && r.event.message == Some(parent))
                    .expect("the parent's receive is in the flow");
                assert_eq!(receiver.event.task, record.event.task);
            }
        }
    }
}

#[test]
fn message_flow_across_a_pipeline_in_threads() {
    flow_through_a_pipeline(Runner::Threads);
}

#[test]
fn message_flow_across_a_pipeline_in_coroutines() {
    within(60, || flow_through_a_pipeline(Runner::Coroutines));
}

// --------------------------------------------------------------- deadlock

type Link = Traced<4>;

/// Two coroutines, each parked in `recv` on a channel whose only sender the
/// other holds (declared with `debug::hold`, since neither has sent yet).
#[test]
fn deadlock_between_two_coroutines_is_found() {
    init_may();
    within(60, || {
        let debugger = Debugger::new();
        let (a_to_b, b_from_a) = Link::new::<u32>();
        let (b_to_a, a_from_b) = Link::new::<u32>();
        debugger.register("a-to-b", &a_to_b);
        debugger.register("b-to-a", &b_to_a);
        let (ids_tx, ids_rx) = std::sync::mpsc::channel();

        let ids = ids_tx.clone();
        let a = may::go!(move || {
            debug::hold(&a_to_b);
            ids.send(current_task()).unwrap();
            let got = a_from_b.recv(); // only b sends on b-to-a
            drop(a_to_b);
            got
        });
        keep_alive(a.coroutine());
        let b = may::go!(move || {
            debug::hold(&b_to_a);
            ids_tx.send(current_task()).unwrap();
            let got = b_from_a.recv(); // only a sends on a-to-b
            drop(b_to_a);
            got
        });
        keep_alive(b.coroutine());
        let tasks: BTreeSet<TaskId> = [ids_rx.recv().unwrap(), ids_rx.recv().unwrap()].into();
        assert!(tasks.iter().all(|t| t.is_coroutine()));

        let mut found = Vec::new();
        wait_until(50, "the detector finds the deadlock", || {
            found = debugger.detect_deadlocks();
            !found.is_empty()
        });
        assert_eq!(found.len(), 1, "{found:?}");
        let deadlock = &found[0];
        assert_eq!(deadlock.tasks().into_iter().collect::<BTreeSet<_>>(), tasks);
        assert_eq!(deadlock.channels(), BTreeSet::from(["a-to-b", "b-to-a"]));
        assert!(
            deadlock
                .cycle
                .iter()
                .all(|t| t.waits.len() == 1 && t.waits[0].side == Side::Recv)
        );
        assert!(deadlock.stuck_behind.is_empty());
        let text = deadlock.to_string();
        assert!(
            text.contains("receive from `a-to-b`") && text.contains("receive from `b-to-a`"),
            "{text}"
        );

        // Break it: cancel a; its sender goes, b sees the disconnect.
        // SAFETY: a is parked in `recv`, whose registration and block guard
        // are released by drop guards during the unwind; it owns nothing else.
        unsafe { a.coroutine().cancel() };
        assert!(
            a.join().is_err(),
            "a cancelled coroutine ends with the cancel panic"
        );
        assert_eq!(b.join().unwrap(), Err(RecvError));
        assert!(debugger.detect_deadlocks().is_empty());
    });
}

/// A task parked in a `select!` waits on every branch: it is stuck only
/// when no branch can complete and every holder of every branch's other side
/// is stuck too. Coroutine a selects over two channels whose senders b
/// holds; b waits to receive from a.
#[test]
fn deadlock_through_a_select_is_found() {
    init_may();
    within(60, || {
        let debugger = Debugger::new();
        let (a_to_b, b_from_a) = Link::new::<u32>();
        let (b_to_a, a_from_b) = Link::new::<u32>();
        let (b_to_a_too, a_from_b_too) = Link::new::<u32>();
        debugger.register("a-to-b", &a_to_b);
        debugger.register("b-to-a", &b_to_a);
        debugger.register("b-to-a-too", &b_to_a_too);
        let (ids_tx, ids_rx) = std::sync::mpsc::channel();

        let ids = ids_tx.clone();
        let a = may::go!(move || {
            debug::hold(&a_to_b);
            ids.send(current_task()).unwrap();
            let got = may_channel::select! {
                recv(a_from_b) -> msg => msg,
                recv(a_from_b_too) -> msg => msg,
            };
            drop(a_to_b);
            got
        });
        keep_alive(a.coroutine());
        let b = may::go!(move || {
            debug::hold(&b_to_a);
            debug::hold(&b_to_a_too);
            ids_tx.send(current_task()).unwrap();
            let got = b_from_a.recv();
            drop((b_to_a, b_to_a_too));
            got
        });
        keep_alive(b.coroutine());
        let tasks: BTreeSet<TaskId> = [ids_rx.recv().unwrap(), ids_rx.recv().unwrap()].into();

        // The select marks itself blocked on its channels one at a time, so
        // a detection can come while only some are marked: the tasks are
        // already the deadlocked pair, and the channels fill in once the
        // select is parked on all of them.
        let all = BTreeSet::from(["a-to-b", "b-to-a", "b-to-a-too"]);
        let mut found = Vec::new();
        wait_until(50, "the detector finds the whole deadlock", || {
            found = debugger.detect_deadlocks();
            if let [deadlock] = &found[..] {
                assert_eq!(deadlock.tasks().into_iter().collect::<BTreeSet<_>>(), tasks);
                assert!(deadlock.channels().is_subset(&all), "{found:?}");
            }
            found.len() == 1 && found[0].channels() == all
        });
        assert_eq!(found.len(), 1, "{found:?}");
        let deadlock = &found[0];
        let selecting = deadlock
            .cycle
            .iter()
            .find(|t| t.waits.len() == 2)
            .expect("the selecting task waits on both branches");
        assert!(selecting.waits.iter().all(|w| w.side == Side::Recv));
        assert!(
            deadlock.to_string().contains(" or receive from "),
            "{deadlock}"
        );

        // Break it: cancel b; its senders go, a's select sees the disconnect.
        // SAFETY: b is parked in `recv`, whose registration and block guard
        // are released by drop guards during the unwind; it owns nothing else.
        unsafe { b.coroutine().cancel() };
        assert!(
            b.join().is_err(),
            "a cancelled coroutine ends with the cancel panic"
        );
        assert_eq!(a.join().unwrap(), Err(RecvError));
        assert!(debugger.detect_deadlocks().is_empty());
    });
}

/// The same cycle between two OS threads. Threads cannot be cancelled, so
/// this test keeps a spare sender that no task ever uses or declares: the
/// detector cannot know about it (the documented limit), and the test uses
/// it to break the deadlock once it is found.
#[test]
fn deadlock_between_two_threads_is_found() {
    within(60, || {
        let debugger = Debugger::new();
        let (a_to_b, b_from_a) = Link::new::<u32>();
        let (b_to_a, a_from_b) = Link::new::<u32>();
        debugger.register("a-to-b", &a_to_b);
        debugger.register("b-to-a", &b_to_a);
        let spare = b_to_a.clone();
        let a = std::thread::spawn(move || {
            debug::name_task("a");
            debug::hold(&a_to_b);
            let got = a_from_b.recv().unwrap();
            a_to_b.send(got + 1).unwrap();
            current_task()
        });
        let b = std::thread::spawn(move || {
            debug::name_task("b");
            debug::hold(&b_to_a);
            let got = b_from_a.recv().unwrap();
            current_task().name().map(|name| (name, got))
        });
        let mut found = Vec::new();
        wait_until(50, "the detector finds the deadlock", || {
            found = debugger.detect_deadlocks();
            !found.is_empty()
        });
        assert_eq!(found.len(), 1);
        let names: BTreeSet<_> = found[0].tasks().iter().filter_map(|t| t.name()).collect();
        assert_eq!(names, BTreeSet::from(["a".to_owned(), "b".to_owned()]));
        assert!(found[0].to_string().contains("(a)"));

        spare.send(41).unwrap();
        let a_task = a.join().unwrap();
        assert_eq!(b.join().unwrap(), Some(("b".to_owned(), 42)));
        assert!(!a_task.is_coroutine());
        assert!(debugger.detect_deadlocks().is_empty());
    });
}

/// A task that dropped its handle no longer counts as a holder, and one
/// that never declared or used its handle is not one.
#[test]
fn holders_follow_use_declaration_and_drop() {
    let (tx, rx) = Link::new::<u32>();
    let history = |tx: &may_channel::Sender<u32, Link>| tx.sink().1.1.holders(Side::Send);
    assert!(history(&tx).tasks.is_empty());
    let spare = tx.clone();
    let worker = std::thread::spawn(move || {
        spare.send(1).unwrap();
        let me = current_task();
        drop(spare);
        me
    })
    .join()
    .unwrap();
    assert!(!history(&tx).tasks.contains(&worker), "dropped its sender");
    debug::hold(&tx);
    assert_eq!(history(&tx).tasks, [current_task()]);
    assert!(history(&tx).complete);
    drop(rx);
}

/// A pipeline with small channels, where tasks park all the time: the
/// detector, polled throughout the run, never reports a deadlock.
fn healthy_pipeline(runner: Runner) {
    const MESSAGES: u64 = 3_000;
    let debugger = Arc::new(Debugger::new());
    let (first_tx, first_rx) = Traced::<1>::new::<u64>();
    let (second_tx, second_rx) = Traced::<2>::new::<u64>();
    debugger.register("first", &first_tx);
    debugger.register("second", &second_tx);
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (debugger, done) = (Arc::clone(&debugger), Arc::clone(&done));
        std::thread::spawn(move || {
            let mut checks = 0u64;
            while !done.load(Ordering::SeqCst) {
                let found = debugger.detect_deadlocks();
                assert!(found.is_empty(), "false deadlock: {found:?}");
                checks += 1;
            }
            checks
        })
    };
    let producers: Vec<_> = (0..2)
        .map(|_| {
            let tx = first_tx.clone();
            runner.spawn(move || {
                for i in 0..MESSAGES {
                    tx.send(i).unwrap();
                }
            })
        })
        .collect();
    drop(first_tx);
    let stages: Vec<_> = (0..2)
        .map(|_| {
            let (rx, tx) = (first_rx.clone(), second_tx.clone());
            runner.spawn(move || {
                for i in rx.iter() {
                    tx.send(i).unwrap();
                }
            })
        })
        .collect();
    drop((first_rx, second_tx));
    let consumer = runner.spawn(move || second_rx.iter().count());
    for handle in producers.into_iter().chain(stages) {
        handle.join();
    }
    assert_eq!(consumer.join(), 2 * MESSAGES as usize);
    done.store(true, Ordering::SeqCst);
    assert!(watcher.join().unwrap() > 0);
    assert!(debugger.detect_deadlocks().is_empty());
}

#[test]
fn healthy_pipeline_in_threads_has_no_deadlock() {
    within(120, || healthy_pipeline(Runner::Threads));
}

#[test]
fn healthy_pipeline_in_coroutines_has_no_deadlock() {
    within(120, || healthy_pipeline(Runner::Coroutines));
}

// ------------------------------------------------------------ performance

#[test]
fn performance_report_reads_counters_and_gives_hints() {
    type Lossy = Channel<Bounded<2>, SpinThenPark, DropNewest, FullDebug<64>>;
    let debugger = Debugger::new();
    let (lossy_tx, lossy_rx) = Lossy::new();
    let (idle_tx, _idle_rx) = Traced::<8>::new();
    debugger.register("lossy", &lossy_rx);
    debugger.register("unread", &idle_tx);
    for i in 0..5 {
        lossy_tx.send(i).unwrap(); // 2 stored, 3 dropped
    }
    assert_eq!(lossy_rx.recv(), Ok(0));
    idle_tx.send("queued").unwrap();

    let report = debugger.analyze_performance();
    assert_eq!(report.channels.len(), 2);
    let lossy = &report.channels[0];
    let counters = lossy.stats.counters.unwrap();
    assert_eq!(
        (counters.sent, counters.received, counters.dropped),
        (2, 1, 3)
    );
    assert_eq!(counters.peak_len, 2);
    assert_eq!(lossy.stats.capacity, Some(2));
    assert_eq!(lossy.stats.latency.unwrap().count, 1);
    assert!(
        lossy
            .hints
            .iter()
            .any(|h| h.starts_with("3 message(s) dropped")),
        "{:?}",
        lossy.hints
    );
    let unread = &report.channels[1];
    assert!(
        unread
            .hints
            .iter()
            .any(|h| h.contains("none received: is a consumer running?")),
        "{:?}",
        unread.hints
    );
    let table = report.to_string();
    assert!(table.starts_with("channel"), "{table}");
    assert!(
        table.contains("lossy") && table.contains("2/2") && table.contains("hints:"),
        "{table}"
    );
}

#[test]
fn a_finished_channel_stays_readable_until_unregistered() {
    let debugger = Debugger::new();
    let log = common::DropLog::new(2);
    let (tx, rx) = Traced::<2>::new();
    debugger.register("gone", &tx);
    tx.send(log.item(0)).unwrap();
    tx.send(log.item(1)).unwrap();
    drop(rx.recv().unwrap());
    drop((tx, rx)); // the queued message is dropped with the last receiver
    log.assert_all_dropped_once();
    assert_eq!(debugger.names(), ["gone"]);
    let kinds: Vec<_> = debugger.history().iter().map(|r| r.event.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Send,
            EventKind::Send,
            EventKind::Recv,
            EventKind::Drop
        ]
    );
    let report = debugger.analyze_performance();
    assert_eq!(report.channels[0].stats.counters.unwrap().received, 1);
    assert_eq!(
        (
            report.channels[0].stats.senders,
            report.channels[0].stats.receivers
        ),
        (0, 0)
    );
    assert_eq!(debugger.unregister("gone"), 1);
    assert!(debugger.names().is_empty());
    log.assert_all_dropped_once();
}

#[test]
fn sinks_without_history_register_for_the_report_only() {
    type Plain = Channel<Bounded<4>, SpinThenPark, Block, Counters>;
    let debugger = Debugger::new();
    let (tx, rx) = Plain::new();
    debugger.register("plain", &tx);
    tx.send(1).unwrap();
    rx.recv().unwrap();
    assert!(debugger.history().is_empty());
    assert!(debugger.detect_deadlocks().is_empty());
    assert_eq!(
        debugger.analyze_performance().channels[0]
            .stats
            .counters
            .unwrap()
            .received,
        1
    );
}

#[test]
fn a_debugged_channel_exports_to_prometheus() {
    use may_channel::export::{MetricsExporter, PrometheusExporter};
    let exporter = PrometheusExporter::new();
    let (tx, rx) = Traced::<4>::new::<u8>();
    exporter.register("traced", &tx).unwrap();
    tx.send(1).unwrap();
    rx.recv().unwrap();
    let text = exporter.render();
    assert!(
        text.contains(r#"may_channel_history_events_total{channel="traced"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"may_channel_received_total{channel="traced"} 1"#),
        "{text}"
    );
}

// ------------------------------------------------------------- one worker

/// On a single may worker, the History hooks run inside coroutines without
/// ever blocking the worker: a healthy coroutine pipeline completes with no
/// deadlock reported, and a real one is found and broken. Runs in a child
/// process, since may's worker count is global and read once.
#[test]
fn one_worker_pipeline_and_deadlock() {
    common::in_child_process(
        "MAY_CHANNEL_DEBUG_CHILD",
        std::time::Duration::from_secs(60),
        |_| {
            may::config().set_workers(1).set_stack_size(0x2_0000);
            within(60, || {
                let debugger = Debugger::new();
                let (tx, rx) = Traced::<1>::new::<u64>();
                debugger.register("tiny", &tx);
                let producer = may::go!(move || {
                    for i in 0..2_000u64 {
                        tx.send(i).unwrap();
                    }
                });
                keep_alive(producer.coroutine());
                let consumer = may::go!(move || rx.iter().sum::<u64>());
                keep_alive(consumer.coroutine());
                while !producer.is_done() {
                    assert!(debugger.detect_deadlocks().is_empty());
                    std::thread::yield_now();
                }
                assert_eq!(consumer.join().unwrap(), (0..2_000u64).sum());
                producer.join().unwrap();

                let (a_to_b, b_from_a) = Link::new::<u32>();
                let (b_to_a, a_from_b) = Link::new::<u32>();
                debugger.register("a-to-b", &a_to_b);
                debugger.register("b-to-a", &b_to_a);
                let a = may::go!(move || {
                    debug::hold(&a_to_b);
                    a_from_b.recv()
                });
                keep_alive(a.coroutine());
                let b = may::go!(move || {
                    debug::hold(&b_to_a);
                    b_from_a.recv()
                });
                keep_alive(b.coroutine());
                wait_until(50, "the detector finds the deadlock", || {
                    debugger.detect_deadlocks().len() == 1
                });
                // SAFETY: a is parked in `recv`, whose registration and block
                // guard are released by drop guards during the unwind.
                unsafe { a.coroutine().cancel() };
                assert!(a.join().is_err());
                assert_eq!(b.join().unwrap(), Err(RecvError));
            });
        },
    );
}
