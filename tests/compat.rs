//! `may_channel::compat::{mpsc, mpmc, spsc}` behave as `may::sync::{mpsc,
//! mpmc, spsc}` do.
//!
//! Every scenario is written once, against may's API, with `chan` naming the
//! channel module. `scenarios!` compiles each body twice — once with
//! `use may::sync::$m as chan`, once with `use may_channel::compat::$m as
//! chan` — so the compat layer must accept the same code, and records what the
//! body observes (values, error variants, `Debug` output) in a transcript.
//! Each test runs both versions on an OS thread and in a may coroutine and
//! requires the four transcripts to agree. The bodies also assert the
//! expected results, so the two cannot agree on a wrong answer.
//!
//! All coroutines run on one may worker: a `recv` that parked the worker
//! thread instead of the coroutine would stop the peer that must wake it, and
//! the watchdog in `within` would fail the test.

mod common;

use std::fmt::Debug;
use std::sync::Once;
use std::time::{Duration, Instant};

use common::within;

/// How long the `recv_timeout` scenarios wait for nothing.
const SHORT: Duration = Duration::from_millis(20);
/// How long a test may run before the watchdog calls it a deadlock.
const WATCHDOG_SECS: u64 = 30;

static MAY_CONFIG: Once = Once::new();

/// One may worker (set before the first coroutine of this binary), and a
/// stack large enough for a failing assertion's panic message.
fn init_may() {
    MAY_CONFIG.call_once(|| {
        may::config().set_workers(1).set_stack_size(0x2_0000);
    });
}

/// What a scenario observed, one `label: value` line per observation.
#[derive(Default, PartialEq, Eq, Debug)]
pub struct Transcript(Vec<String>);

impl Transcript {
    /// Records `value` (by its `Debug` output) under `label`.
    pub fn note(&mut self, label: &str, value: impl Debug) {
        self.0.push(format!("{label}: {value:?}"));
    }
}

/// Runs both versions of a scenario on an OS thread and in a coroutine, and
/// requires the same transcript from all four runs.
fn same_everywhere(name: &str, on_may: fn() -> Transcript, on_compat: fn() -> Transcript) {
    init_may();
    let in_coroutine = |body: fn() -> Transcript| {
        // `go!` wraps may's unsafe spawn; its conditions hold: the scenarios
        // keep no reference into thread-local storage across a park, and
        // `init_may` gives coroutines a stack far larger than they use.
        within(WATCHDOG_SECS, move || {
            may::go!(body).join().expect("scenario panicked")
        })
    };
    eprintln!("{name}: may, on a thread");
    let may_thread = within(WATCHDOG_SECS, on_may);
    eprintln!("{name}: compat, on a thread");
    let compat_thread = within(WATCHDOG_SECS, on_compat);
    eprintln!("{name}: may, in a coroutine");
    let may_coroutine = in_coroutine(on_may);
    eprintln!("{name}: compat, in a coroutine");
    let compat_coroutine = in_coroutine(on_compat);
    assert_eq!(compat_thread, may_thread, "{name} on a thread");
    assert_eq!(compat_coroutine, may_coroutine, "{name} in a coroutine");
    assert_eq!(
        compat_thread, compat_coroutine,
        "{name}: thread vs coroutine"
    );
}

/// `scenarios!(m / group |t| { fn name() { body } ... })` compiles each body
/// against `may::sync::m` and `may_channel::compat::m` (as `chan`) in
/// `mod group`, with `t` the transcript the body fills, and makes a test of
/// each. (`t` is passed in so that the body, written at the call site, can
/// name the local.)
macro_rules! scenarios {
    ($m:ident / $group:ident |$t:ident| { $(fn $name:ident() $body:block)* }) => {
        mod $group {
            #[allow(unused_imports)]
            use super::super::*;

            scenarios!(@side on_may, may::sync::$m, $t, { $(fn $name() $body)* });
            scenarios!(@side on_compat, may_channel::compat::$m, $t, { $(fn $name() $body)* });

            $(
                #[test]
                fn $name() {
                    same_everywhere(
                        concat!(stringify!($m), "::", stringify!($name)),
                        on_may::$name,
                        on_compat::$name,
                    );
                }
            )*
        }
    };

    // One side: the bodies, with `chan` naming that side's module.
    (@side $side:ident, $module:path, $t:ident, { $(fn $name:ident() $body:block)* }) => {
        mod $side {
            #[allow(unused_imports)]
            use super::*;
            use $module as chan;
            $(
                pub fn $name() -> Transcript {
                    let mut $t = Transcript::default();
                    $body
                    $t
                }
            )*
        }
    };
}

/// Scenarios every module supports (spsc has only these).
macro_rules! common_scenarios {
    ($m:ident) => {
        scenarios!(
            $m / common | t | {
                fn fifo_then_empty() {
                    let (tx, rx) = chan::channel::<u32>();
                    for i in 1..=5 {
                        tx.send(i).unwrap();
                    }
                    let got: Vec<_> = (0..5).map(|_| rx.recv()).collect();
                    assert_eq!(got, [Ok(1), Ok(2), Ok(3), Ok(4), Ok(5)]);
                    t.note("received", got);
                    let empty = rx.try_recv();
                    assert_eq!(empty, Err(std::sync::mpsc::TryRecvError::Empty));
                    t.note("try_recv on empty", empty);
                }

                fn queued_messages_outlive_the_sender() {
                    let (tx, rx) = chan::channel::<&str>();
                    tx.send("a").unwrap();
                    tx.send("b").unwrap();
                    drop(tx);
                    t.note("recv", rx.recv());
                    t.note("try_recv", rx.try_recv());
                    let after = rx.try_recv();
                    assert_eq!(after, Err(std::sync::mpsc::TryRecvError::Disconnected));
                    t.note("try_recv after drain", after);
                    let recv = rx.recv();
                    assert_eq!(recv, Err(std::sync::mpsc::RecvError));
                    t.note("recv after drain", recv);
                    t.note("iter after drain", rx.iter().count());
                }

                fn send_fails_once_the_receiver_is_gone() {
                    let (tx, rx) = chan::channel::<String>();
                    tx.send("kept".to_string()).unwrap();
                    drop(rx);
                    let err = tx.send("refused".to_string()).unwrap_err();
                    t.note("error", &err);
                    assert_eq!(err.0, "refused", "the message comes back");
                    t.note("handed back", err.0);
                }

                fn dropping_the_receiver_drops_queued_messages() {
                    let probe = std::sync::Arc::new(());
                    let (tx, rx) = chan::channel();
                    for _ in 0..3 {
                        tx.send(std::sync::Arc::clone(&probe)).unwrap();
                    }
                    t.note(
                        "references while queued",
                        std::sync::Arc::strong_count(&probe),
                    );
                    drop(rx);
                    assert_eq!(std::sync::Arc::strong_count(&probe), 1);
                    t.note(
                        "references after drop",
                        std::sync::Arc::strong_count(&probe),
                    );
                    drop(tx);
                }

                fn iterators() {
                    let (tx, rx) = chan::channel::<u32>();
                    for i in 0..4 {
                        tx.send(i).unwrap();
                    }
                    t.note("try_iter", rx.try_iter().collect::<Vec<_>>());
                    t.note("try_iter on empty", rx.try_iter().count());
                    tx.send(10).unwrap();
                    t.note("iter().next()", rx.iter().next());
                    tx.send(11).unwrap();
                    tx.send(12).unwrap();
                    drop(tx);
                    let mut by_ref = Vec::new();
                    for x in &rx {
                        by_ref.push(x);
                    }
                    assert_eq!(by_ref, [11, 12]);
                    t.note("for x in &rx", by_ref);
                    let (tx, rx) = chan::channel::<u32>();
                    tx.send(20).unwrap();
                    drop(tx);
                    let mut owned = Vec::new();
                    for x in rx {
                        owned.push(x);
                    }
                    t.note("for x in rx", owned);
                }

                fn iter_ends_when_a_producer_thread_finishes() {
                    let (tx, rx) = chan::channel::<u32>();
                    let producer = std::thread::spawn(move || {
                        for i in 0..1000 {
                            tx.send(i).unwrap();
                        }
                    });
                    let got: Vec<u32> = rx.iter().collect();
                    producer.join().unwrap();
                    assert_eq!(got, (0..1000).collect::<Vec<_>>());
                    t.note("received in order", got.len());
                }

                fn a_coroutine_producer_wakes_a_blocked_receiver() {
                    let (tx, rx) = chan::channel::<u32>();
                    let producer = may::go!(move || {
                        may::coroutine::sleep(Duration::from_millis(5));
                        tx.send(1).unwrap();
                        may::coroutine::sleep(Duration::from_millis(5));
                        // dropping `tx` wakes the receiver blocked in its second recv
                    });
                    t.note("first recv", rx.recv());
                    let second = rx.recv();
                    assert_eq!(second, Err(std::sync::mpsc::RecvError));
                    t.note("second recv", second);
                    producer.join().unwrap();
                }

                fn debug_output() {
                    let (tx, rx) = chan::channel::<Vec<u8>>();
                    t.note("sender", format!("{tx:?}"));
                    t.note("receiver", format!("{rx:?}"));
                }
            }
        );
    };
}

/// `Receiver::recv_timeout` (mpsc and mpmc).
macro_rules! timeout_scenarios {
    ($m:ident) => {
        scenarios!(
            $m / timeout | t | {
                fn recv_timeout_times_out_then_receives_then_disconnects() {
                    let (tx, rx) = chan::channel::<u32>();
                    let start = Instant::now();
                    let timed_out = rx.recv_timeout(SHORT);
                    assert!(start.elapsed() >= SHORT, "recv_timeout returned early");
                    assert_eq!(timed_out, Err(std::sync::mpsc::RecvTimeoutError::Timeout));
                    t.note("on empty", timed_out);
                    tx.send(3).unwrap();
                    t.note("with a message queued", rx.recv_timeout(SHORT));
                    drop(tx);
                    let gone = rx.recv_timeout(SHORT);
                    assert_eq!(gone, Err(std::sync::mpsc::RecvTimeoutError::Disconnected));
                    t.note("after the sender went", gone);
                }

                fn recv_timeout_is_woken_by_a_send() {
                    let (tx, rx) = chan::channel::<u32>();
                    let producer = std::thread::spawn(move || {
                        std::thread::sleep(Duration::from_millis(5));
                        tx.send(9).unwrap();
                        tx
                    });
                    let got = rx.recv_timeout(Duration::from_secs(20));
                    assert_eq!(got, Ok(9));
                    t.note("recv_timeout", got);
                    drop(producer.join().unwrap());
                }
            }
        );
    };
}

/// `Sender: Clone` (mpsc and mpmc).
macro_rules! sender_clone_scenarios {
    ($m:ident) => {
        scenarios!(
            $m / sender_clone | t | {
                fn disconnects_after_the_last_sender_clone() {
                    let (tx, rx) = chan::channel::<u32>();
                    let tx2 = tx.clone();
                    drop(tx);
                    t.note("one clone left", rx.try_recv());
                    tx2.send(5).unwrap();
                    drop(tx2);
                    t.note("queued", rx.try_recv());
                    t.note("all gone", rx.try_recv());
                }

                fn producers_in_threads_and_coroutines_keep_their_order() {
                    const EACH: u32 = 500;
                    let (tx, rx) = chan::channel::<(u32, u32)>();
                    let threads: Vec<_> = (0..2)
                        .map(|p| {
                            let tx = tx.clone();
                            std::thread::spawn(move || {
                                (0..EACH).for_each(|i| tx.send((p, i)).unwrap())
                            })
                        })
                        .collect();
                    let coroutines: Vec<_> = (2..4)
                        .map(|p| {
                            let tx = tx.clone();
                            may::go!(move || (0..EACH).for_each(|i| tx.send((p, i)).unwrap()))
                        })
                        .collect();
                    drop(tx);
                    let mut next = [0u32; 4];
                    for (p, i) in rx.iter() {
                        assert_eq!(i, next[p as usize], "producer {p} out of order");
                        next[p as usize] += 1;
                    }
                    threads.into_iter().for_each(|h| h.join().unwrap());
                    coroutines.into_iter().for_each(|h| h.join().unwrap());
                    t.note("received per producer", next);
                }
            }
        );
    };
}

/// `Receiver: Clone` and `Sender::pressure` (mpmc only).
macro_rules! mpmc_scenarios {
    ($m:ident) => {
        scenarios!(
            $m / mpmc_only | t | {
                fn each_message_goes_to_exactly_one_receiver() {
                    const TOTAL: u64 = 2000;
                    let (tx, rx) = chan::channel::<u64>();
                    let on_thread = {
                        let rx = rx.clone();
                        std::thread::spawn(move || rx.iter().collect::<Vec<_>>())
                    };
                    let in_coroutines: Vec<_> = (0..2)
                        .map(|_| {
                            let rx = rx.clone();
                            may::go!(move || rx.iter().collect::<Vec<_>>())
                        })
                        .collect();
                    drop(rx);
                    for i in 0..TOTAL {
                        tx.send(i).unwrap();
                    }
                    drop(tx);
                    // The coroutines first: joining a thread blocks this worker.
                    let mut all: Vec<u64> = in_coroutines
                        .into_iter()
                        .flat_map(|h| h.join().unwrap())
                        .collect();
                    all.extend(on_thread.join().unwrap());
                    all.sort_unstable();
                    assert_eq!(all, (0..TOTAL).collect::<Vec<_>>());
                    t.note("received once each", all.len());
                }

                fn receiver_clones_disconnect_together() {
                    let (tx, rx) = chan::channel::<u32>();
                    let rx2 = rx.clone();
                    drop(rx);
                    t.note("one receiver left", tx.send(1));
                    t.note("the clone receives", rx2.try_recv());
                    drop(rx2);
                    t.note("all gone", tx.send(2).map_err(|e| e.0));
                }

                fn pressure_counts_what_is_not_taken() {
                    let (tx, rx) = chan::channel::<u32>();
                    t.note("empty", tx.pressure());
                    tx.send(1).unwrap();
                    tx.send(2).unwrap();
                    t.note("two sent", tx.pressure());
                    rx.recv().unwrap();
                    t.note("one taken", tx.pressure());
                }
            }
        );
    };
}

mod mpsc {
    common_scenarios!(mpsc);
    timeout_scenarios!(mpsc);
    sender_clone_scenarios!(mpsc);
}

mod mpmc {
    common_scenarios!(mpmc);
    timeout_scenarios!(mpmc);
    sender_clone_scenarios!(mpmc);
    mpmc_scenarios!(mpmc);
}

mod spsc {
    common_scenarios!(spsc);
}

// ---------------------------------------------------- the API, at compile time

/// Pins, for may's module and its compat twin alike, the signature of every
/// function both must have, with std's error types spelled out: the compat
/// module compiles only if it returns the very same types.
macro_rules! same_signatures {
    ($m:ident, $($timeout:ident)?) => {{
        use std::sync::mpsc::{RecvError, SendError, TryRecvError};
        use $m::{IntoIter, Iter, Receiver, Sender, TryIter};

        let _: fn() -> (Sender<u8>, Receiver<u8>) = $m::channel::<u8>;
        let _: fn(&Sender<u8>, u8) -> Result<(), SendError<u8>> = Sender::send;
        let _: fn(&Receiver<u8>) -> Result<u8, RecvError> = Receiver::recv;
        let _: fn(&Receiver<u8>) -> Result<u8, TryRecvError> = Receiver::try_recv;
        let _: for<'a> fn(&'a Receiver<u8>) -> Iter<'a, u8> = Receiver::iter;
        let _: for<'a> fn(&'a Receiver<u8>) -> TryIter<'a, u8> = Receiver::try_iter;
        let _: fn(Receiver<u8>) -> IntoIter<u8> = <Receiver<u8> as IntoIterator>::into_iter;
        let _: fn(&'static Receiver<u8>) -> Iter<'static, u8> =
            <&'static Receiver<u8> as IntoIterator>::into_iter;
        $(
            let _: fn(&Receiver<u8>, Duration) -> Result<u8, std::sync::mpsc::RecvTimeoutError> =
                Receiver::$timeout;
        )?
    }};
}

#[test]
fn signatures_and_error_types_match_may() {
    fn takes_std_errors(
        _: std::sync::mpsc::SendError<u8>,
        _: std::sync::mpsc::RecvError,
        _: std::sync::mpsc::TryRecvError,
        _: std::sync::mpsc::RecvTimeoutError,
    ) {
    }

    {
        use may::sync::mpsc;
        same_signatures!(mpsc, recv_timeout);
    }
    {
        use may_channel::compat::mpsc;
        same_signatures!(mpsc, recv_timeout);
    }
    {
        use may::sync::mpmc;
        same_signatures!(mpmc, recv_timeout);
        let _: fn(&mpmc::Sender<u8>) -> usize = mpmc::Sender::pressure;
    }
    {
        use may_channel::compat::mpmc;
        same_signatures!(mpmc, recv_timeout);
        let _: fn(&mpmc::Sender<u8>) -> usize = mpmc::Sender::pressure;
    }
    {
        use may::sync::spsc;
        same_signatures!(spsc,);
    }
    {
        use may_channel::compat::spsc;
        same_signatures!(spsc,);
    }

    // The errors the compat layer returns go where std's are expected.
    let (tx, rx) = may_channel::compat::mpsc::channel::<u8>();
    let empty = rx.try_recv().unwrap_err();
    let timeout = rx.recv_timeout(Duration::ZERO).unwrap_err();
    drop(tx);
    let recv = rx.recv().unwrap_err();
    let (tx, rx) = may_channel::compat::spsc::channel::<u8>();
    drop(rx);
    let send = tx.send(1).unwrap_err();
    takes_std_errors(send, recv, empty, timeout);
}

/// `Clone` exactly where may has it, and the thread-safety and unwind-safety
/// traits may's types have (the compat types have them all).
mod traits {
    use std::fmt::Debug;
    use std::panic::{RefUnwindSafe, UnwindSafe};

    use static_assertions::{assert_impl_all, assert_not_impl_any};

    macro_rules! same_traits {
        ($($m:ident: sender $($sc:ident)?, receiver $($rc:ident)?;)*) => {$(
            mod $m {
                use super::*;
                use may::sync::$m as may_chan;
                use may_channel::compat::$m as compat;

                assert_impl_all!(may_chan::Sender<u8>: Send, Sync, Debug $(, $sc)?);
                assert_impl_all!(may_chan::Receiver<u8>: Send, Sync, Debug $(, $rc)?);
                assert_impl_all!(compat::Sender<u8>:
                    Send, Sync, Debug, UnwindSafe, RefUnwindSafe $(, $sc)?);
                assert_impl_all!(compat::Receiver<u8>:
                    Send, Sync, Debug, UnwindSafe, RefUnwindSafe $(, $rc)?);
                assert_impl_all!(compat::Iter<'static, u8>: Iterator, Send, Sync);
                assert_impl_all!(compat::TryIter<'static, u8>: Iterator, Send, Sync);
                assert_impl_all!(compat::IntoIter<u8>: Iterator, Send, Sync);
            }
        )*};
    }

    same_traits! {
        mpsc: sender Clone, receiver;
        mpmc: sender Clone, receiver Clone;
        spsc: sender, receiver;
    }

    // may's senders in mpsc and spsc are unwind safe (it says so explicitly).
    assert_impl_all!(may::sync::mpsc::Sender<u8>: UnwindSafe, RefUnwindSafe);
    assert_impl_all!(may::sync::spsc::Sender<u8>: UnwindSafe, RefUnwindSafe);

    // Not cloneable where may's are not.
    assert_not_impl_any!(may::sync::mpsc::Receiver<u8>: Clone);
    assert_not_impl_any!(may_channel::compat::mpsc::Receiver<u8>: Clone);
    assert_not_impl_any!(may::sync::spsc::Sender<u8>: Clone);
    assert_not_impl_any!(may::sync::spsc::Receiver<u8>: Clone);
    assert_not_impl_any!(may_channel::compat::spsc::Sender<u8>: Clone);
    assert_not_impl_any!(may_channel::compat::spsc::Receiver<u8>: Clone);
}

#[test]
fn as_inner_and_into_inner_reach_the_same_channel() {
    use may_channel::compat::mpsc;

    let (tx, rx) = mpsc::channel::<u32>();
    tx.as_inner().send(1).unwrap();
    assert_eq!(rx.as_inner().len(), 1);
    let inner_rx = rx.into_inner();
    tx.send(2).unwrap();
    let inner_tx = tx.into_inner();
    assert!(inner_tx.same_channel(&inner_tx.clone()));
    drop(inner_tx);
    assert_eq!(inner_rx.iter().collect::<Vec<_>>(), [1, 2]);
}
