//! Helpers shared by the behaviour tests.
#![allow(dead_code)]

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts drops per message id, to prove every message is dropped exactly once.
pub struct DropLog {
    drops: Vec<AtomicUsize>,
}

/// A message whose drop is recorded in a [`DropLog`].
pub struct Tracked {
    pub id: usize,
    log: Arc<DropLog>,
}

impl DropLog {
    pub fn new(ids: usize) -> Arc<Self> {
        Arc::new(Self {
            drops: (0..ids).map(|_| AtomicUsize::new(0)).collect(),
        })
    }

    pub fn item(self: &Arc<Self>, id: usize) -> Tracked {
        Tracked {
            id,
            log: Arc::clone(self),
        }
    }

    pub fn drops_of(&self, id: usize) -> usize {
        self.drops[id].load(Ordering::SeqCst)
    }

    pub fn total(&self) -> usize {
        self.drops.iter().map(|d| d.load(Ordering::SeqCst)).sum()
    }

    /// Every id was dropped exactly once.
    pub fn assert_all_dropped_once(&self) {
        for (id, d) in self.drops.iter().enumerate() {
            assert_eq!(
                d.load(Ordering::SeqCst),
                1,
                "message {id} dropped a wrong number of times"
            );
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.log.drops[self.id].fetch_add(1, Ordering::SeqCst);
    }
}

/// Runs `f` on a thread and fails the test if it does not finish within
/// `secs` seconds (a deadlock fails instead of hanging the suite).
pub fn within<R: Send + 'static>(secs: u64, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        let result = f();
        let _ = done_tx.send(());
        result
    });
    match done_rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(()) => worker.join().expect("test body panicked"),
        // The body panicked (its sender was dropped while unwinding):
        // surface its own panic, not a timeout.
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Ok(_) => unreachable!("the body returns only after signalling"),
            Err(payload) => std::panic::resume_unwind(payload),
        },
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("test body did not finish within {secs}s: deadlock or lost wake-up")
        }
    }
}

/// Waits (polling, yielding) until `cond` holds; panics after `secs`.
pub fn wait_until(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "gave up waiting until {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Waits until `cond` holds, sleeping the coroutine (on one may worker the
/// peers run only while the caller is parked) or, outside a coroutine, the
/// thread ([`wait_until`]); panics after 30 s.
pub fn await_cond(what: &str, mut cond: impl FnMut() -> bool) {
    if !may::coroutine::is_coroutine() {
        return wait_until(30, what, cond);
    }
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "gave up waiting until {what}"
        );
        may::coroutine::sleep(Duration::from_millis(1));
    }
}

/// Runs the calling test in a child process (this test binary, filtered to
/// this one test, with `child_env` set to its name) and fails if the child
/// fails, runs no test, or is still running after `limit` plus a margin.
/// In the child, `run` is called with the test's name instead.
///
/// A deadlocked run can leave coroutines that keep may's workers busy for
/// good; in a process of its own it cannot starve the tests that follow, and
/// each child gets a fresh may runtime (so it can also pick its own worker
/// count).
pub fn in_child_process(child_env: &str, limit: Duration, run: impl FnOnce(&str)) {
    let current = std::thread::current();
    let test = current.name().expect("libtest names the test's thread");
    assert_ne!(
        test, "main",
        "run the tests with libtest, which names their threads"
    );
    if std::env::var(child_env).as_deref() == Ok(test) {
        return run(test);
    }
    let mut child = Command::new(std::env::current_exe().expect("the test binary"))
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(child_env, test)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the child process");
    let read_all = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().expect("piped")));
    let stderr = read_all(Box::new(child.stderr.take().expect("piped")));
    // The child's own watchdog reports a hang after `limit`; this backstop
    // only catches a child that cannot even do that.
    let backstop = Instant::now() + limit + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break Some(status);
        }
        if Instant::now() >= backstop {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = format!(
        "{}{}",
        stdout.join().unwrap_or_default(),
        stderr.join().unwrap_or_default()
    );
    match status {
        Some(status) if status.success() => assert!(
            output.contains("test result: ok. 1 passed"),
            "{test}: the child process did not run exactly this test:\n{output}"
        ),
        Some(status) => panic!("{test} failed in its child process ({status}):\n{output}"),
        None => panic!("{test}: child process killed, still running:\n{output}"),
    }
}

/// Keeps a coroutine's handle alive for the rest of the process, working
/// around a may 0.3.51 hang: when a coroutine finishes inside
/// `Park::subscribe`'s fast wake-up and its last handle is dropped there,
/// `Park::drop` spins on a flag that the frame below it still holds. The
/// leak is a few hundred bytes per coroutine.
pub fn keep_alive(coroutine: &may::coroutine::Coroutine) {
    std::mem::forget(coroutine.clone());
}

/// may's configuration is global and only read when the scheduler starts:
/// two workers and a stack large enough for a failing assertion's panic
/// message in a debug build, set once before the first coroutine.
pub fn init_may() {
    static MAY_CONFIG: std::sync::Once = std::sync::Once::new();
    MAY_CONFIG.call_once(|| {
        may::config().set_workers(2).set_stack_size(0x2_0000);
    });
}

/// Where a test task runs: one generic test body, run on OS threads and on
/// may coroutines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runner {
    Threads,
    Coroutines,
}

/// A task started by a [`Runner`].
pub enum Handle<T> {
    Thread(std::thread::JoinHandle<T>),
    Coroutine(may::coroutine::JoinHandle<T>),
}

impl Runner {
    pub fn spawn<T, F>(self, f: F) -> Handle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        match self {
            Runner::Threads => Handle::Thread(std::thread::spawn(f)),
            Runner::Coroutines => {
                init_may();
                // `go!` wraps may's unsafe spawn. Its conditions hold: the
                // test closures keep no reference into thread-local storage
                // across a park, and `init_may` gives every coroutine a stack
                // far larger than they use.
                let handle = may::go!(f);
                keep_alive(handle.coroutine());
                Handle::Coroutine(handle)
            }
        }
    }
}

impl<T> Handle<T> {
    /// Waits for the task; a panic in it is re-raised here.
    pub fn join(self) -> T {
        let result = match self {
            Handle::Thread(handle) => handle.join(),
            Handle::Coroutine(handle) => handle.join(),
        };
        result.unwrap_or_else(|payload| std::panic::resume_unwind(payload))
    }
}

/// Runs `body` as a coroutine on a single may worker, in a child process of
/// its own (may's worker count is global and read once), under a watchdog:
/// a body that parks the worker thread instead of a coroutine, or loses a
/// wake-up, never finishes and the test fails. `child_env` names the
/// variable that tells the child which test to run for real.
pub fn on_one_worker(child_env: &str, body: impl FnOnce() + Send + 'static) {
    in_child_process(child_env, Duration::from_secs(60), |test| {
        may::config().set_workers(1).set_stack_size(0x2_0000);
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let failure = Arc::new(std::sync::Mutex::new(None::<String>));
        let root = {
            let failure = Arc::clone(&failure);
            // `go!` wraps may's unsafe spawn. Its conditions hold: the body
            // keeps no reference into thread-local storage across a park, and
            // the stack set above is far larger than it uses.
            may::go!(move || {
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
                if let Err(payload) = outcome {
                    let text = payload
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default();
                    *failure.lock().unwrap() = Some(text);
                }
                let _ = done_tx.send(());
            })
        };
        keep_alive(root.coroutine());
        match done_rx.recv_timeout(Duration::from_secs(60)) {
            Ok(()) => {
                if let Some(text) = failure.lock().unwrap().take() {
                    panic!("{test} failed on one may worker: {text}");
                }
            }
            Err(_) => panic!("{test}: not finished on one may worker (deadlock or lost wake-up)"),
        }
    });
}

/// Retries `try_send` (yielding the thread between tries) until it takes
/// `msg`: on a rendezvous channel, until a receiver waits. Panics if the
/// channel is disconnected.
pub fn try_send_until_taken<T>(
    mut msg: T,
    mut try_send: impl FnMut(T) -> Result<(), may_channel::TrySendError<T>>,
) {
    loop {
        match try_send(msg) {
            Ok(()) => return,
            Err(may_channel::TrySendError::Full(back)) => {
                msg = back;
                std::thread::yield_now();
            }
            Err(may_channel::TrySendError::Disconnected(_)) => panic!("the receivers are gone"),
        }
    }
}

/// Four producers send counting messages, each through a `select!` over
/// four senders whose value expressions make a new message; four consumers
/// receive. Every message made is received and dropped exactly once.
pub fn select_send_storm<F>(
    runner: Runner,
    per: usize,
    make_pair: impl Fn() -> may_channel::Pair<Tracked, F>,
) where
    F: may_channel::Flavor + 'static,
    may_channel::Sender<Tracked, F>: Send + Sync,
    may_channel::Receiver<Tracked, F>: Send,
{
    let producers = 4;
    let log = DropLog::new(producers * per * 4);
    let made = Arc::new(AtomicUsize::new(0));
    let pairs: Vec<_> = (0..4).map(|_| make_pair()).collect();
    let senders: Arc<Vec<may_channel::Sender<Tracked, F>>> =
        Arc::new(pairs.iter().map(|(tx, _)| tx.clone()).collect());
    let receivers: Vec<may_channel::Receiver<Tracked, F>> =
        pairs.into_iter().map(|(_, rx)| rx).collect();
    let consumers: Vec<_> = receivers
        .into_iter()
        .map(|rx| runner.spawn(move || rx.iter().count()))
        .collect();
    let producer_handles: Vec<_> = (0..producers)
        .map(|_| {
            let senders = Arc::clone(&senders);
            let log = Arc::clone(&log);
            let made = Arc::clone(&made);
            runner.spawn(move || {
                let make = || log.item(made.fetch_add(1, Ordering::SeqCst));
                let [s0, s1, s2, s3] = &senders[..] else {
                    unreachable!("four senders")
                };
                for _ in 0..per {
                    may_channel::select! {
                        send(s0, make()) -> res => res.expect("receivers alive"),
                        send(s1, make()) -> res => res.expect("receivers alive"),
                        send(s2, make()) -> res => res.expect("receivers alive"),
                        send(s3, make()) -> res => res.expect("receivers alive"),
                    }
                }
            })
        })
        .collect();
    for producer in producer_handles {
        producer.join();
    }
    drop(senders);
    let received: usize = consumers.into_iter().map(|c| c.join()).sum();
    let made = made.load(Ordering::SeqCst);
    assert_eq!(
        made,
        producers * per,
        "a value was evaluated for a send not made"
    );
    assert_eq!(received, made);
    for id in 0..made {
        assert_eq!(log.drops_of(id), 1, "message {id}");
    }
}

/// Lets the others run, from a thread or a coroutine. A coroutine sleeps
/// for a microsecond rather than yields: one that only yields keeps its
/// worker's local queue non-empty, and may then never starts the
/// coroutines waiting in its global queue.
pub fn pause() {
    if may::coroutine::is_coroutine() {
        may::coroutine::sleep(Duration::from_micros(1));
    } else {
        std::thread::yield_now();
    }
}
