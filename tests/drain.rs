//! When the last receiver goes, every message a send stored is dropped at
//! once, also the stores that were landing while it went; and a message
//! whose `Drop` panics does not abort the process.
//!
//! The race tests run three senders flat out (OS threads, then may
//! coroutines) while the last receiver is dropped, then check, with every
//! sender still holding the channel open, that no message is alive: none
//! may wait for the channel's state to be freed.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

use common::{DropLog, Runner, within};
use may_channel::flavors::{
    BoundedBlocking, FirstN, LatestN, PriorityBounded, PriorityUnbounded, RendezvousMpmc,
    UnboundedMpmc, WorkStealingMpmc,
};
use may_channel::queue::{Slots, Workers};
use may_channel::{Channel, ChannelBuilder, SendError, TrySendError, spsc};

/// A message that counts itself alive: +1 when made, -1 when dropped.
struct Counted(Arc<AtomicIsize>);

impl Counted {
    fn new(live: &Arc<AtomicIsize>) -> Self {
        live.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(live))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let before = self.0.fetch_sub(1, Ordering::SeqCst);
        assert!(before > 0, "a message was dropped twice");
    }
}

impl Default for Counted {
    /// Only the zero-copy ring asks for one (to fill a slot it lends); the
    /// count is per test there.
    fn default() -> Self {
        Counted::new(&DEFAULT_LIVE.with(Arc::clone))
    }
}

thread_local! {
    static DEFAULT_LIVE: Arc<AtomicIsize> = Arc::new(AtomicIsize::new(0));
}

impl may_channel::zerocopy::Recycle for Counted {
    fn recycle(&mut self) {}
}

/// What one send attempt did.
enum Sent {
    Stored,
    Full(Counted),
    Gone(Counted),
}

fn sent_by_send(result: Result<(), SendError<Counted>>) -> Sent {
    match result {
        Ok(()) => Sent::Stored,
        Err(SendError(msg)) => Sent::Gone(msg),
    }
}

fn sent_by_try_send(result: Result<(), TrySendError<Counted>>) -> Sent {
    match result {
        Ok(()) => Sent::Stored,
        Err(TrySendError::Full(msg)) => Sent::Full(msg),
        Err(TrySendError::Disconnected(msg)) => Sent::Gone(msg),
    }
}

/// Gives the other tasks a turn in a coroutine, where a busy loop would
/// keep its worker to itself; threads run flat out. A yield is not enough:
/// a coroutine that keeps yielding keeps its worker's local queue non-empty,
/// and may then never takes the coroutines waiting in its global queue.
fn pause() {
    if may::coroutine::is_coroutine() {
        may::coroutine::sleep(std::time::Duration::from_micros(1));
    }
}

/// Runs `f` on a fresh thread or coroutine; returns its joiner.
fn spawn<R: Send + 'static>(
    in_coroutine: bool,
    f: impl FnOnce() -> R + Send + 'static,
) -> impl FnOnce() -> R {
    let runner = if in_coroutine {
        Runner::Coroutines
    } else {
        Runner::Threads
    };
    let handle = runner.spawn(f);
    move || handle.join()
}

/// One flavour's race: `rounds` times, senders flat out, the receiver takes
/// a few messages and is dropped; once every sender has seen the channel
/// disconnected (holding its handle), no message may be alive.
fn race_last_receiver<S, R>(
    name: &str,
    in_coroutine: bool,
    rounds: usize,
    make: impl Fn() -> (Vec<S>, R),
    send: fn(&S, Counted) -> Sent,
    recv: fn(&R) -> bool,
) where
    S: Send + 'static,
    R: 'static,
{
    for round in 0..rounds {
        let live = Arc::new(AtomicIsize::new(0));
        let (senders, rx) = make();
        let started = Arc::new(AtomicUsize::new(0));
        let joins: Vec<_> = senders
            .into_iter()
            .map(|tx| {
                let live = Arc::clone(&live);
                let started = Arc::clone(&started);
                spawn(in_coroutine, move || {
                    started.fetch_add(1, Ordering::SeqCst);
                    let mut msg = Counted::new(&live);
                    for sent in 1usize.. {
                        match send(&tx, msg) {
                            Sent::Stored => {
                                msg = Counted::new(&live);
                                if sent % 32 != 0 {
                                    continue;
                                }
                            }
                            Sent::Full(back) => msg = back,
                            Sent::Gone(back) => {
                                drop(back);
                                // Keeps the channel open for the check.
                                return tx;
                            }
                        }
                        pause();
                    }
                    unreachable!("the loop ends with the channel")
                })
            })
            .collect();
        let senders = joins.len();
        while started.load(Ordering::SeqCst) < senders {
            pause();
            std::hint::spin_loop();
        }
        for _ in 0..20 {
            while !recv(&rx) {
                pause();
                std::hint::spin_loop();
            }
        }
        drop(rx);
        let held: Vec<S> = joins.into_iter().map(|join| join()).collect();
        assert_eq!(
            live.load(Ordering::SeqCst),
            0,
            "{name} (coroutines: {in_coroutine}), round {round}: messages outlived the \
             last receiver"
        );
        drop(held);
    }
}

fn three<S: Clone>(tx: S) -> Vec<S> {
    vec![tx.clone(), tx.clone(), tx]
}

/// Every queue family, in threads or coroutines.
fn every_flavour(in_coroutine: bool, rounds: usize) {
    macro_rules! mpmc {
        ($name:expr, $make:expr, $send:expr) => {
            race_last_receiver(
                $name,
                in_coroutine,
                rounds,
                || {
                    let (tx, rx) = $make;
                    (three(tx), rx)
                },
                $send,
                |rx| rx.try_recv().is_ok(),
            )
        };
    }
    mpmc!("Unbounded", UnboundedMpmc::new(), |tx, m| sent_by_send(
        tx.send(m)
    ));
    mpmc!("Bounded", BoundedBlocking::<4>::new(), |tx, m| {
        sent_by_try_send(tx.try_send(m))
    });
    mpmc!(
        "Bounded, blocking send",
        BoundedBlocking::<4>::new(),
        |tx, m| { sent_by_send(tx.send(m)) }
    );
    mpmc!("DropOldest", LatestN::<2>::new(), |tx, m| sent_by_send(
        tx.send(m)
    ));
    mpmc!("DropNewest", FirstN::<2>::new(), |tx, m| sent_by_send(
        tx.send(m)
    ));
    mpmc!("PriorityUnbounded", PriorityUnbounded::new(), |tx, m| {
        sent_by_send(tx.send(m))
    });
    mpmc!("PriorityBounded", PriorityBounded::<8>::new(), |tx, m| {
        sent_by_try_send(tx.try_send(m))
    });
    mpmc!(
        "WorkStealing",
        WorkStealingMpmc::with_config(Workers(4)).unwrap(),
        |tx, m| { sent_by_send(tx.send(m)) }
    );
    mpmc!(
        "NumaWorkStealing",
        ChannelBuilder::new()
            .numa_aware()
            .build::<Counted>()
            .unwrap(),
        |tx, m| sent_by_send(tx.send(m))
    );
    mpmc!("Slots", Channel::<Slots<4>>::new(), |tx, m| {
        sent_by_try_send(tx.try_send(m))
    });
    race_last_receiver(
        "Rendezvous",
        in_coroutine,
        rounds,
        || {
            let (tx, rx) = RendezvousMpmc::new();
            (three(tx), rx)
        },
        |tx, m| sent_by_send(tx.send(m)),
        |rx| rx.recv().is_ok(),
    );
    race_last_receiver(
        "spsc",
        in_coroutine,
        rounds,
        || {
            let (tx, rx) = spsc::channel();
            (vec![tx], rx)
        },
        |tx, m| sent_by_send(tx.send(m)),
        |rx| rx.try_recv().is_ok(),
    );
    race_last_receiver(
        "spsc bounded",
        in_coroutine,
        rounds,
        || {
            let (tx, rx) = spsc::bounded::<_, 2>();
            (vec![tx], rx)
        },
        |tx, m| sent_by_try_send(tx.try_send(m)),
        |rx| rx.try_recv().is_ok(),
    );
}

/// Rounds per flavour: enough to see the race in most runs before the fix,
/// few enough for a debug build.
const ROUNDS: usize = if cfg!(debug_assertions) { 10 } else { 60 };

#[test]
fn stores_landing_while_the_last_receiver_goes_are_dropped_threads() {
    within(120, || every_flavour(false, ROUNDS));
}

#[test]
fn stores_landing_while_the_last_receiver_goes_are_dropped_coroutines() {
    within(120, || {
        Runner::Coroutines
            .spawn(|| every_flavour(true, ROUNDS))
            .join()
    });
}

/// A zero-copy slot lent before the last receiver goes lands afterwards:
/// its message is dropped when the guard publishes it, and so are the
/// messages queued behind it (FIFO: they could not be taken before).
#[test]
fn a_slot_lent_across_the_last_receiver_is_dropped_when_it_lands() {
    let live = DEFAULT_LIVE.with(Arc::clone);
    let (tx, rx) = Channel::<Slots<4>>::new::<Counted>();
    let guard = tx.send_ref().unwrap();
    tx.send(Counted::new(&live)).unwrap();
    drop(rx);
    assert_eq!(live.load(Ordering::SeqCst), 2, "the lent slot holds both");
    drop(guard);
    assert_eq!(
        live.load(Ordering::SeqCst),
        0,
        "published after the last receiver: dropped at once"
    );
    drop(tx);
}

// ------------------------------------------------------- panicking drops

/// A message whose drop panics (after recording it) when `panics` is set.
struct Bomb {
    id: usize,
    panics: bool,
    log: Arc<DropLog>,
}

impl Drop for Bomb {
    fn drop(&mut self) {
        // Recorded through a `Tracked` so that `DropLog` counts it.
        drop(self.log.item(self.id));
        if self.panics {
            panic!("message {} panics in drop", self.id);
        }
    }
}

/// `panicking` of `total` messages panic when dropped; which ones.
fn bombs(log: &Arc<DropLog>, total: usize, panicking: &[usize]) -> Vec<Bomb> {
    (0..total)
        .map(|id| Bomb {
            id,
            panics: panicking.contains(&id),
            log: Arc::clone(log),
        })
        .collect()
}

/// Drops a handle under `catch_unwind` without `AssertUnwindSafe` (the
/// handles are unwind safe); returns whether it panicked.
fn drop_panics<H: std::panic::UnwindSafe>(handle: H) -> bool {
    catch_unwind(move || drop(handle)).is_err()
}

fn quiet_panics<R>(f: impl FnOnce() -> R) -> R {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    result.unwrap_or_else(|payload| std::panic::resume_unwind(payload))
}

/// The last receiver's drop, with two and three panicking messages among
/// five: the first panic comes out of the drop, every message is dropped
/// exactly once (none leaked, none twice), and the process lives on.
#[test]
fn panicking_messages_do_not_abort_when_the_last_receiver_goes() {
    quiet_panics(|| {
        for panicking in [&[1, 3][..], &[0, 2, 4][..]] {
            let log = DropLog::new(5);
            let (tx, rx) = UnboundedMpmc::new();
            for bomb in bombs(&log, 5, panicking) {
                assert!(tx.send(bomb).is_ok());
            }
            assert!(drop_panics(rx), "the first panic propagates");
            log.assert_all_dropped_once();
            assert!(tx.is_disconnected());
            assert!(!drop_panics(tx), "nothing is left for the last handle");
        }
    });
}

/// The same when the receiver is the last handle of all (the senders went
/// first and left messages for it), for the MPMC and the spsc handles, and
/// for a receiver that is not the last one (nothing is dropped then).
#[test]
fn panicking_messages_do_not_abort_when_the_last_handle_goes() {
    quiet_panics(|| {
        for panicking in [&[1, 3][..], &[0, 2, 4][..]] {
            for case in 0..3 {
                let log = DropLog::new(5);
                match case {
                    0 => {
                        let (tx, rx) = BoundedBlocking::<8>::new();
                        for bomb in bombs(&log, 5, panicking) {
                            assert!(tx.send(bomb).is_ok());
                        }
                        drop(tx);
                        assert!(drop_panics(rx), "the first panic propagates");
                    }
                    1 => {
                        let (tx, rx) = UnboundedMpmc::new();
                        for bomb in bombs(&log, 5, panicking) {
                            assert!(tx.send(bomb).is_ok());
                        }
                        let rx2 = rx.clone();
                        drop(tx);
                        assert!(!drop_panics(rx), "not the last receiver");
                        assert_eq!(log.total(), 0);
                        assert!(drop_panics(rx2));
                    }
                    _ => {
                        let (tx, rx) = spsc::bounded::<_, 8>();
                        for bomb in bombs(&log, 5, panicking) {
                            assert!(tx.send(bomb).is_ok());
                        }
                        drop(tx);
                        assert!(drop_panics(rx));
                    }
                }
                log.assert_all_dropped_once();
            }
        }
    });
}

// ------------------------------------------------------------ unwind safety

/// Every public handle is `UnwindSafe` and `RefUnwindSafe`, as
/// crossbeam-channel's are, whatever the message type: a caught panic
/// leaves the channel consistent, so `catch_unwind(|| drop(rx))` needs no
/// `AssertUnwindSafe`.
mod unwind_safety {
    use std::cell::Cell;
    use std::panic::{RefUnwindSafe, UnwindSafe};

    use may_channel::flavors::{
        BoundedBlocking, LatestN, PriorityBounded, PriorityUnbounded, RendezvousMpmc,
        UnboundedMpmc, WorkStealingMpmc,
    };
    use may_channel::queue::Slots;
    use may_channel::{Channel, Receiver, Sender, broadcast, spsc};
    use static_assertions::assert_impl_all;

    /// Neither `Sync` nor unwind safe itself.
    type M = Cell<u32>;

    macro_rules! handles {
        ($($flavour:ty),* $(,)?) => {$(
            assert_impl_all!(Sender<M, $flavour>: UnwindSafe, RefUnwindSafe);
            assert_impl_all!(Receiver<M, $flavour>: UnwindSafe, RefUnwindSafe);
            assert_impl_all!(may_channel::IntoIter<M, $flavour>: UnwindSafe, RefUnwindSafe);
            assert_impl_all!(may_channel::Iter<'static, M, $flavour>: UnwindSafe, RefUnwindSafe);
        )*};
    }

    handles!(
        UnboundedMpmc,
        BoundedBlocking<4>,
        LatestN<4>,
        RendezvousMpmc,
        PriorityUnbounded,
        PriorityBounded<4>,
        WorkStealingMpmc,
        Channel<Slots<4>>,
    );

    assert_impl_all!(spsc::Sender<M>: UnwindSafe, RefUnwindSafe);
    assert_impl_all!(spsc::Receiver<M>: UnwindSafe, RefUnwindSafe);
    assert_impl_all!(spsc::Sender<M, spsc::Bounded<4>>: UnwindSafe, RefUnwindSafe);
    assert_impl_all!(spsc::Receiver<M, spsc::Bounded<4>>: UnwindSafe, RefUnwindSafe);
    assert_impl_all!(spsc::IntoIter<M, spsc::Bounded<4>>: UnwindSafe, RefUnwindSafe);

    assert_impl_all!(broadcast::Sender<u32>: UnwindSafe, RefUnwindSafe);
    assert_impl_all!(broadcast::Subscriber<u32>: UnwindSafe, RefUnwindSafe);
}
