//! The non-blocking operations are linearizable: a `try_recv` never says
//! `Empty` while the channel holds a message whose send has returned, and a
//! channel that says it is not empty has a message for `try_recv`.
//!
//! The checks are crossbeam-channel's: each task sends, then receives with
//! `try_recv`, so that the channel always holds at least the task's own
//! message when it asks; and a single consumer that sees `!is_empty()`
//! must get a message. Both in OS threads and in may coroutines (two
//! workers); no timing is asserted.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::{Runner, pause, within};
use may_channel::flavors::{BoundedBlocking, UnboundedMpmc};
use may_channel::{Receiver, Sender, TryRecvError};

/// Sends per task: enough that the race shows in every run before the fix
/// (about one call in 200 on a loaded two-core machine), few enough for a
/// debug build.
const ROUNDS: usize = if cfg!(debug_assertions) {
    20_000
} else {
    200_000
};

/// `tasks` tasks each send a message and then `try_recv`: the channel held
/// at least their own message since their send returned, so `Empty` is
/// never a right answer (another task may have taken theirs, but then that
/// task's message, or another's, is there: sends and receives alternate).
fn send_then_try_recv<F>(
    runner: Runner,
    tasks: usize,
    channel: (Sender<usize, F>, Receiver<usize, F>),
) where
    F: may_channel::Flavor + 'static,
    F::Backpressure: may_channel::backpressure::HasSend,
    Sender<usize, F>: Send,
    Receiver<usize, F>: Send,
{
    let (tx, rx) = channel;
    let handles: Vec<_> = (0..tasks)
        .map(|task| {
            let (tx, rx) = (tx.clone(), rx.clone());
            runner.spawn(move || {
                for round in 0..ROUNDS {
                    tx.send(round).unwrap();
                    match rx.try_recv() {
                        Ok(_) => {}
                        Err(TryRecvError::Empty) => {
                            panic!("task {task}, round {round}: Empty after its own send")
                        }
                        Err(TryRecvError::Disconnected) => unreachable!("all handles live"),
                    }
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join();
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

/// Producers send flat out; the one consumer, whenever the channel says it
/// is not empty, must get a message from `try_recv` (nobody else takes).
fn not_empty_then_try_recv<F>(
    runner: Runner,
    producers: usize,
    channel: (Sender<usize, F>, Receiver<usize, F>),
) where
    F: may_channel::Flavor + 'static,
    Sender<usize, F>: Send,
    Receiver<usize, F>: Send,
{
    let (tx, rx) = channel;
    let done = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = (0..producers)
        .map(|_| {
            let tx = tx.clone();
            let done = Arc::clone(&done);
            runner.spawn(move || {
                let mut sent = 0;
                for tries in 1usize.. {
                    if done.load(Ordering::Relaxed) {
                        break;
                    }
                    if tx.len() < 4 && tx.try_send(sent).is_ok() {
                        sent += 1;
                    }
                    if tries % 64 == 0 {
                        pause();
                    }
                }
            })
        })
        .collect();
    let consumer = runner.spawn(move || {
        let mut checked = 0;
        let mut polls = 0usize;
        while checked < ROUNDS {
            polls += 1;
            if polls % 64 == 0 {
                pause();
            }
            if rx.is_empty() {
                continue;
            }
            checked += 1;
            if let Err(err) = rx.try_recv() {
                return Err(format!(
                    "check {checked}: not empty, then try_recv said {err:?}"
                ));
            }
        }
        Ok(())
    });
    let outcome = consumer.join();
    done.store(true, Ordering::Relaxed);
    for handle in handles {
        handle.join();
    }
    outcome.unwrap();
}

/// One check at a time: the four share may's two workers, and the busy
/// polling loops of one starve the others' coroutines, which only slows the
/// file down on a loaded two-core machine.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn each_runner(test: impl Fn(Runner) + Send + Sync + 'static) {
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    within(120, move || {
        test(Runner::Threads);
        test(Runner::Coroutines);
    });
}

#[test]
fn try_recv_after_an_own_send_is_never_empty_bounded() {
    each_runner(|runner| send_then_try_recv(runner, 4, BoundedBlocking::<4>::new()));
}

#[test]
fn try_recv_after_an_own_send_is_never_empty_unbounded() {
    each_runner(|runner| send_then_try_recv(runner, 4, UnboundedMpmc::new()));
}

#[test]
fn a_channel_that_is_not_empty_has_a_message_for_try_recv_bounded() {
    each_runner(|runner| not_empty_then_try_recv(runner, 3, BoundedBlocking::<4>::new()));
}

#[test]
fn a_channel_that_is_not_empty_has_a_message_for_try_recv_unbounded() {
    each_runner(|runner| not_empty_then_try_recv(runner, 3, UnboundedMpmc::new()));
}
