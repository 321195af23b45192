//! The crate's timed waits leave may's timer working.
//!
//! may 0.3.51's timer thread keeps one list per distinct timeout duration
//! and, past 1,024 of them, frees an emptied list's last node while a
//! timed-out `park_timeout` still holds that node's handle; the timer thread
//! then dies on `assertion failed: old & REF_COUNT_MASK != 0`
//! (`may_queue::mpsc_list_v1`), and no may timer fires again in the process:
//! `may::coroutine::sleep` never returns. Each test here first uses more
//! than 1,024 distinct sleep durations (as any program with jittered sleeps
//! does), then runs a storm of short timed waits in coroutines, some woken
//! by peers, some timing out, some cancelled while they wait, and finally
//! checks that may's timer still works:
//!
//! - a `may::coroutine::sleep` in a coroutine returns (an OS thread waits
//!   for it with a timeout, so a dead timer fails the test instead of
//!   hanging it);
//! - no panic was raised anywhere in may's or may_queue's code (a panic hook
//!   records them: the timer thread's death is otherwise silent).
//!
//! Every message is accounted for: those sent are received or drained at the
//! end, and a sender that timed out or was cancelled kept (and dropped) its
//! own. Each test runs in a child process of its own (a fresh may runtime;
//! `one_worker_` tests on a single worker).

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use may_channel::{
    Channel, Receiver, RecvTimeoutError, SendTimeoutError, Sender, queue::Bounded, wait::Park,
};

/// Tells a child process which test to run for real.
const CHILD_ENV: &str = "MAY_CHANNEL_TIMER_HEALTH_CHILD";

/// Timed waits per coroutine: modest in a debug build, more in release.
const WAITS: usize = if cfg!(debug_assertions) { 150 } else { 600 };

/// Coroutines in each role.
const RECEIVERS: usize = 16;
const SENDERS: usize = 4;

/// Cancels of coroutines parked in timed waits.
const CANCELS: usize = if cfg!(debug_assertions) { 200 } else { 1_000 };

/// Counts messages made and dropped.
#[derive(Default)]
struct Ledger {
    made: AtomicUsize,
    dropped: AtomicUsize,
}

struct Counted(Arc<Ledger>);

impl Counted {
    fn new(ledger: &Arc<Ledger>) -> Self {
        ledger.made.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(ledger))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

type Timed = Channel<Bounded<2>, Park>;

/// Records every panic raised in may's or may_queue's own source files.
fn watch_for_may_panics() -> Arc<Mutex<Vec<String>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(location) = info.location() {
            let file = location.file();
            if file.contains("/may-0.") || file.contains("/may_queue-") {
                let thread = std::thread::current();
                let text = format!("{} in {:?}: {info}", location, thread.name());
                record.lock().unwrap_or_else(|e| e.into_inner()).push(text);
            }
        }
        previous(info);
    }));
    seen
}

/// Spawns a coroutine (`go!` wraps may's unsafe spawn; its conditions hold:
/// the closures keep no reference into thread-local storage across a park,
/// and use far less stack than may's default).
fn spawn<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> may::coroutine::JoinHandle<T> {
    let handle = may::go!(f);
    common::keep_alive(handle.coroutine());
    handle
}

/// Puts more than 1,024 distinct durations into may's timer.
fn use_many_timer_durations() {
    spawn(|| {
        for micros in 1..=1_100u64 {
            may::coroutine::sleep(Duration::from_nanos(micros * 1_000 + 7));
        }
    })
    .join()
    .expect("the sleeper does not panic");
}

/// Timed receives (1 to 12 ms) and timed sends racing each other; no one
/// waits for ever, and every message is accounted for.
fn timed_waits_race_wake_ups() {
    let ledger = Arc::new(Ledger::default());
    let (tx, rx): (Sender<Counted, Timed>, Receiver<Counted, Timed>) = Timed::new();
    let received = Arc::new(AtomicUsize::new(0));
    let receivers: Vec<_> = (0..RECEIVERS as u64)
        .map(|r| {
            let (rx, received) = (rx.clone(), Arc::clone(&received));
            spawn(move || {
                for i in 0..WAITS as u64 {
                    let timeout = Duration::from_millis(1 + (i * 7 + r * 13) % 12);
                    match rx.recv_timeout(timeout) {
                        Ok(message) => {
                            received.fetch_add(1, Ordering::SeqCst);
                            drop(message);
                        }
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => unreachable!("a sender is kept"),
                    }
                }
            })
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let senders: Vec<_> = (0..SENDERS as u64)
        .map(|s| {
            let (tx, ledger, stop) = (tx.clone(), Arc::clone(&ledger), Arc::clone(&stop));
            spawn(move || {
                let mut sent = 0usize;
                let mut i = 0u64;
                while !stop.load(Ordering::SeqCst) {
                    i += 1;
                    let timeout = Duration::from_millis(1 + (i * 5 + s * 3) % 4);
                    match tx.send_timeout(Counted::new(&ledger), timeout) {
                        Ok(()) => sent += 1,
                        // The refused message comes back and is dropped here.
                        Err(SendTimeoutError::Timeout(message)) => drop(message),
                        Err(SendTimeoutError::Disconnected(_)) => unreachable!("rx is kept"),
                    }
                    if i % 3 == 0 {
                        // Pauses let the receivers time out too.
                        may::coroutine::sleep(Duration::from_millis(1));
                    }
                }
                sent
            })
        })
        .collect();
    for receiver in receivers {
        receiver.join().expect("a receiver does not panic");
    }
    stop.store(true, Ordering::SeqCst);
    let sent: usize = senders
        .into_iter()
        .map(|s| s.join().expect("a sender does not panic"))
        .sum();
    let left = rx.try_iter().count();
    assert_eq!(
        received.load(Ordering::SeqCst) + left,
        sent,
        "every sent message is received or still in the channel"
    );
    drop((tx, rx));
    assert_eq!(
        ledger.made.load(Ordering::SeqCst),
        ledger.dropped.load(Ordering::SeqCst),
        "every message is dropped exactly once"
    );
}

/// Coroutines parked in `recv_timeout` or `send_timeout` (long timeouts)
/// cancelled one pair at a time, racing the wake-ups the pair gives each
/// other.
fn cancels_of_timed_waits() {
    let ledger = Arc::new(Ledger::default());
    let (tx, rx): (Sender<Counted, Timed>, Receiver<Counted, Timed>) = Timed::new();
    for _ in 0..CANCELS {
        // Fill the channel so that a timed sender parks, then start one
        // timed receiver and one timed sender; cancel both.
        while tx.try_send(Counted::new(&ledger)).is_ok() {}
        let doomed_tx = tx.clone();
        let message = Counted::new(&ledger);
        let sender = spawn(move || doomed_tx.send_timeout(message, Duration::from_secs(30)));
        let doomed_rx = rx.clone();
        let receiver = spawn(move || {
            // Let a message or two through, then wait on an empty channel.
            loop {
                match doomed_rx.recv_timeout(Duration::from_secs(30)) {
                    Ok(message) => drop(message),
                    Err(error) => return error,
                }
            }
        });
        for handle in [sender.coroutine().clone(), receiver.coroutine().clone()] {
            // SAFETY: they only wait on the channel; drop guards release the
            // waiter and timer registrations as they unwind, the message
            // unwinds with its sender, and nothing else can break.
            unsafe { handle.cancel() };
        }
        // Either finished by the cancel, or (a cancel that landed before the
        // wait began, then a wait that ended) by the operation itself.
        let _ = sender.join();
        let _ = receiver.join();
    }
    drop(tx);
    rx.try_iter().for_each(drop);
    drop(rx);
    assert_eq!(
        ledger.made.load(Ordering::SeqCst),
        ledger.dropped.load(Ordering::SeqCst),
        "every message is dropped exactly once"
    );
}

/// may's timer still fires: a coroutine's 5 ms sleep returns (within a
/// generous bound: only a dead timer takes that long), and no panic was
/// raised in may's code.
fn assert_may_timer_alive(may_panics: &Mutex<Vec<String>>) {
    let (done_tx, done_rx) = mpsc::channel();
    let _sleeper = spawn(move || {
        may::coroutine::sleep(Duration::from_millis(5));
        let _ = done_tx.send(());
    });
    let slept = done_rx.recv_timeout(Duration::from_secs(20));
    let panics = may_panics.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert!(panics.is_empty(), "panics in may's code: {panics:#?}");
    assert_eq!(
        slept,
        Ok(()),
        "may::coroutine::sleep(5 ms) never returned: may's timer thread is dead"
    );
}

/// Timed cancels while the timed waits race beside them.
fn cancels_beside_racing_waits() {
    let race = std::thread::spawn(timed_waits_race_wake_ups);
    cancels_of_timed_waits();
    race.join().expect("the race does not fail");
}

/// Runs `body` in a child process on `workers` may workers, after putting
/// many durations into may's timer, then checks the timer. Fails early with
/// the panic if may's code panics (the timer thread's death would otherwise
/// only show as a body that never finishes, its sleeps never returning).
fn storm(workers: usize, body: fn()) {
    common::in_child_process(CHILD_ENV, Duration::from_secs(90), |_| {
        may::config().set_workers(workers).set_stack_size(0x2_0000);
        let may_panics = watch_for_may_panics();
        let (done_tx, done_rx) = mpsc::channel();
        let runner = std::thread::spawn(move || {
            use_many_timer_durations();
            body();
            let _ = done_tx.send(());
        });
        let give_up = std::time::Instant::now() + Duration::from_secs(90);
        loop {
            let panics = may_panics.lock().unwrap_or_else(|e| e.into_inner()).clone();
            assert!(panics.is_empty(), "panics in may's code: {panics:#?}");
            match done_rx.recv_timeout(Duration::from_millis(100)) {
                Ok(()) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => assert!(
                    std::time::Instant::now() < give_up,
                    "the storm did not finish within 90 s: deadlock or lost wake-up"
                ),
                Err(mpsc::RecvTimeoutError::Disconnected) => match runner.join() {
                    Ok(()) => unreachable!("the runner signals before it returns"),
                    Err(payload) => std::panic::resume_unwind(payload),
                },
            }
        }
        runner.join().expect("the storm does not panic");
        assert_may_timer_alive(&may_panics);
    });
}

#[test]
fn timed_waits_racing_wake_ups_leave_may_timers_working() {
    storm(2, timed_waits_race_wake_ups);
}

#[test]
fn one_worker_timed_waits_racing_wake_ups_leave_may_timers_working() {
    storm(1, timed_waits_race_wake_ups);
}

#[test]
fn cancelling_timed_waits_leaves_may_timers_working() {
    storm(2, cancels_beside_racing_waits);
}

#[test]
fn one_worker_cancelling_timed_waits_leaves_may_timers_working() {
    storm(1, cancels_beside_racing_waits);
}
