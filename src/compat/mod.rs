//! Drop-in replacements for may's channel modules, `may::sync::{mpsc, mpmc,
//! spsc}`, built on this crate.
//!
//! Each module here has the same public items as its may namesake: a
//! `channel()` function, `Sender<T>` and `Receiver<T>` with the same methods,
//! the iterators `Iter`, `TryIter` and `IntoIter`, `Clone` exactly where may
//! has it, and the *same* error types — may's channels return
//! `std::sync::mpsc`'s [`SendError`](std::sync::mpsc::SendError),
//! [`RecvError`](std::sync::mpsc::RecvError),
//! [`TryRecvError`](std::sync::mpsc::TryRecvError) and
//! [`RecvTimeoutError`](std::sync::mpsc::RecvTimeoutError), and so do these.
//!
//! | module | may | `Sender: Clone` | `Receiver: Clone` | `recv_timeout` |
//! |---|---|---|---|---|
//! | [`mpsc`] | `may::sync::mpsc` | yes | no | yes |
//! | [`mpmc`] | `may::sync::mpmc` | yes | yes | yes |
//! | [`spsc`] | `may::sync::spsc` | no | no | no |
//!
//! # Migrating
//!
//! Change the import; the rest of the program, error handling included,
//! compiles unchanged:
//!
//! ```
//! // use may::sync::mpsc;
//! use may_channel::compat::mpsc;
//! use std::sync::mpsc::{RecvTimeoutError, TryRecvError};
//! use std::time::Duration;
//!
//! let (tx, rx) = mpsc::channel();
//! let producers: Vec<_> = (0..4u32)
//!     .map(|id| {
//!         let tx = tx.clone();
//!         may::go!(move || tx.send(id).unwrap())
//!     })
//!     .collect();
//! drop(tx);
//! for p in producers {
//!     p.join().unwrap();
//! }
//! let mut got: Vec<u32> = rx.try_iter().collect();
//! got.sort();
//! assert_eq!(got, [0, 1, 2, 3]);
//! assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
//! assert_eq!(
//!     rx.recv_timeout(Duration::from_millis(1)),
//!     Err(RecvTimeoutError::Disconnected)
//! );
//! ```
//!
//! Migrate the rest gradually: [`as_inner`](mpsc::Receiver::as_inner) and
//! [`into_inner`](mpsc::Receiver::into_inner) reach the full
//! [`may_channel`](crate) handle underneath (a
//! [`flavors::UnboundedMpmc`](crate::flavors::UnboundedMpmc) channel), for
//! deadlines, batches, `len()` or [`select!`](crate::select!):
//!
//! ```
//! use may_channel::compat::mpmc;
//! use may_channel::select_priority;
//!
//! let (jobs_tx, jobs) = mpmc::channel::<u32>();
//! let (stop_tx, stop) = mpmc::channel::<()>();
//! jobs_tx.send(7).unwrap();
//! stop_tx.send(()).unwrap();
//! select_priority! {
//!     recv(stop.as_inner()) -> msg => assert_eq!(msg, Ok(())),
//!     recv(jobs.as_inner()) -> _ => unreachable!("stop is ready and comes first"),
//! }
//! assert_eq!(jobs.as_inner().len(), 1, "the job is still queued");
//! ```
//!
//! `compat::spsc` keeps may's `Sync` handles, so it runs on the MPMC queue
//! like the others. Code that uses each end from one task at a time gains
//! most by moving on to [`may_channel::spsc`](crate::spsc): the same
//! `channel()`, `send`, `recv`, `try_recv`, iterators and errors shaped
//! like this crate's, handles that are neither `Clone` nor `Sync`, and one
//! atomic read-modify-write per message instead of four (`benches/peers.rs`
//! measures both as `may_channel` and `may_channel spsc`).
//!
//! # What is kept
//!
//! - Every channel is unbounded: `send` never waits, and fails only once
//!   every receiver is gone, handing the message back in `SendError`.
//! - Messages queued when the last receiver is dropped are dropped with it.
//! - Messages sent before the last sender went are still delivered; after
//!   that `recv` returns `RecvError`, `try_recv`
//!   `TryRecvError::Disconnected`, `recv_timeout`
//!   `RecvTimeoutError::Disconnected`, and the iterators end.
//! - The single-consumer / single-producer modules restrict exactly what may
//!   restricts: which handles can be cloned.
//! - `Debug` prints `Sender { .. }` and `Receiver { .. }`, as may does.
//! - Any message type builds a channel (`channel::<T>()`, as in may); the
//!   handles are `Send` and `Sync` when `T: Send`, so a channel of
//!   non-`Send` messages (`Rc`, say) works on the one thread that has it.
//! - The handles are `UnwindSafe` and `RefUnwindSafe` (may's are too, except
//!   that its `spsc::Receiver` and iterators are not unwind safe; here they
//!   are).
//!
//! # What differs
//!
//! - All three modules share one implementation, an MPMC queue. Blocking
//!   (`recv`, `recv_timeout`, the blocking iterators) goes through this
//!   crate's single wait path: it parks the coroutine inside may and the
//!   thread outside it, and a cancelled coroutine leaves no waiter behind.
//!   Because the queue is MPMC, sharing a `&Receiver` (or an `spsc`
//!   `&Sender`) between threads, which the `Sync` handles allow in may as
//!   here, is sound here whatever the module.
//! - `recv_timeout` with a timeout too large to add to `Instant::now()` waits
//!   without limit; may's `mpsc` panics on the overflow.
//! - `spsc` has no `DropGuard`. may's `spsc` makes that type public, but it
//!   belongs to may's parking internals: user code can neither create one
//!   nor get one from any function.
//! - Additions: `as_inner` / `into_inner` on every handle, and `Debug` on the
//!   iterators.

/// Defines the items shared by the compat modules in the module that invokes
/// it: `channel`, `Sender`, `Receiver`, `Iter`, `TryIter`, `IntoIter`, their
/// trait impls, `Clone` for the handles listed in `clone`, and
/// `recv_timeout` when `recv_timeout` is `yes`.
macro_rules! compat_channel {
    (
        may: $may:literal,
        kind: $kind:literal,
        clone: [$($cloned:ident),*],
        recv_timeout: $timeout:ident $(,)?
    ) => {
        #[doc = concat!(
            "Creates an unbounded ", $kind, " channel, as `", $may, "::channel` does.\n\n",
            "`send` never waits; the channel disconnects when every `Sender` or every ",
            "`Receiver` is gone."
        )]
        pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
            let (tx, rx) = $crate::flavors::UnboundedMpmc::new();
            (Sender(tx), Receiver(rx))
        }

        #[doc = concat!(
            "The sending half of a ", $kind, " channel (`", $may, "::Sender`); ",
            "made by [`channel`]."
        )]
        pub struct Sender<T>($crate::Sender<T, $crate::flavors::UnboundedMpmc>);

        #[doc = concat!(
            "The receiving half of a ", $kind, " channel (`", $may, "::Receiver`); ",
            "made by [`channel`]."
        )]
        pub struct Receiver<T>($crate::Receiver<T, $crate::flavors::UnboundedMpmc>);

        /// Blocking iterator over received messages; see [`Receiver::iter`].
        pub struct Iter<'a, T: 'a>($crate::Iter<'a, T, $crate::flavors::UnboundedMpmc>);

        /// Non-blocking iterator over the messages queued now; see
        /// [`Receiver::try_iter`].
        pub struct TryIter<'a, T: 'a>(
            $crate::TryIter<'a, T, $crate::flavors::UnboundedMpmc>,
        );

        /// Owning blocking iterator over received messages; made by
        /// `Receiver::into_iter`.
        pub struct IntoIter<T>($crate::IntoIter<T, $crate::flavors::UnboundedMpmc>);

        impl<T> Sender<T> {
            /// Sends `t`; never waits. Fails only when every receiver is gone,
            /// handing `t` back.
            pub fn send(&self, t: T) -> Result<(), std::sync::mpsc::SendError<T>> {
                self.0.send(t).map_err($crate::compat::send_error)
            }

            /// The [`may_channel::Sender`](crate::Sender) underneath, for
            /// the operations this API lacks.
            pub fn as_inner(&self) -> &$crate::Sender<T, $crate::flavors::UnboundedMpmc> {
                &self.0
            }

            /// Unwraps the [`may_channel::Sender`](crate::Sender)
            /// underneath; the channel stays connected.
            pub fn into_inner(self) -> $crate::Sender<T, $crate::flavors::UnboundedMpmc> {
                self.0
            }
        }

        impl<T> Receiver<T> {
            /// Takes the next message, waiting for one (parking the calling
            /// coroutine, or the thread outside may). Fails once the channel is
            /// empty and every sender is gone.
            pub fn recv(&self) -> Result<T, std::sync::mpsc::RecvError> {
                self.0.recv().map_err($crate::compat::recv_error)
            }

            /// Takes the next message if one is queued now: `Empty` if none is
            /// and senders remain, `Disconnected` if every sender is gone too.
            pub fn try_recv(&self) -> Result<T, std::sync::mpsc::TryRecvError> {
                self.0.try_recv().map_err($crate::compat::try_recv_error)
            }

            /// A blocking iterator: yields messages until the channel is empty
            /// and every sender is gone.
            pub fn iter(&self) -> Iter<'_, T> {
                Iter(self.0.iter())
            }

            /// A non-blocking iterator: yields the messages queued now.
            pub fn try_iter(&self) -> TryIter<'_, T> {
                TryIter(self.0.try_iter())
            }

            /// The [`may_channel::Receiver`](crate::Receiver) underneath,
            /// for the operations this API lacks (deadlines, batches,
            /// `select!`).
            pub fn as_inner(&self) -> &$crate::Receiver<T, $crate::flavors::UnboundedMpmc> {
                &self.0
            }

            /// Unwraps the [`may_channel::Receiver`](crate::Receiver)
            /// underneath; the channel stays connected.
            pub fn into_inner(self) -> $crate::Receiver<T, $crate::flavors::UnboundedMpmc> {
                self.0
            }

            compat_channel!(@recv_timeout $timeout);
        }

        $(
            impl<T> Clone for $cloned<T> {
                fn clone(&self) -> Self {
                    Self(self.0.clone())
                }
            }
        )*

        impl<T> Iterator for Iter<'_, T> {
            type Item = T;
            fn next(&mut self) -> Option<T> {
                self.0.next()
            }
        }

        impl<T> Iterator for TryIter<'_, T> {
            type Item = T;
            fn next(&mut self) -> Option<T> {
                self.0.next()
            }
        }

        impl<T> Iterator for IntoIter<T> {
            type Item = T;
            fn next(&mut self) -> Option<T> {
                self.0.next()
            }
        }

        impl<'a, T> IntoIterator for &'a Receiver<T> {
            type Item = T;
            type IntoIter = Iter<'a, T>;
            fn into_iter(self) -> Iter<'a, T> {
                self.iter()
            }
        }

        impl<T> IntoIterator for Receiver<T> {
            type Item = T;
            type IntoIter = IntoIter<T>;
            fn into_iter(self) -> IntoIter<T> {
                IntoIter(self.0.into_iter())
            }
        }

        compat_channel!(@debug Sender<T>, Receiver<T>, IntoIter<T>, Iter<'_, T>, TryIter<'_, T>);
    };

    (@recv_timeout yes) => {
        /// Like [`recv`](Self::recv), but gives up after `timeout` with
        /// `RecvTimeoutError::Timeout`. A message that arrives later stays in
        /// the channel.
        pub fn recv_timeout(
            &self,
            timeout: std::time::Duration,
        ) -> Result<T, std::sync::mpsc::RecvTimeoutError> {
            self.0
                .recv_timeout(timeout)
                .map_err($crate::compat::recv_timeout_error)
        }
    };
    (@recv_timeout no) => {};

    // `Name { .. }`, as may prints its handles; no `T: Debug` needed.
    (@debug $($name:ident<$($param:tt),+>),+) => {
        $(
            impl<T> std::fmt::Debug for $name<$($param),+> {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.debug_struct(stringify!($name)).finish_non_exhaustive()
                }
            }
        )+
    };
}

pub mod mpmc;
pub mod mpsc;
pub mod spsc;

use std::sync::mpsc as std_mpsc;

use crate::error::{RecvError, RecvTimeoutError, SendError, TryRecvError};

/// This crate's `SendError` as std's, with the message.
fn send_error<T>(err: SendError<T>) -> std_mpsc::SendError<T> {
    std_mpsc::SendError(err.into_inner())
}

/// This crate's `RecvError` as std's.
fn recv_error(_: RecvError) -> std_mpsc::RecvError {
    std_mpsc::RecvError
}

/// This crate's `TryRecvError` as std's, variant for variant.
fn try_recv_error(err: TryRecvError) -> std_mpsc::TryRecvError {
    match err {
        TryRecvError::Empty => std_mpsc::TryRecvError::Empty,
        TryRecvError::Disconnected => std_mpsc::TryRecvError::Disconnected,
    }
}

/// This crate's `RecvTimeoutError` as std's, variant for variant (for the
/// modules that have `recv_timeout`: mpsc and mpmc).
fn recv_timeout_error(err: RecvTimeoutError) -> std_mpsc::RecvTimeoutError {
    match err {
        RecvTimeoutError::Timeout => std_mpsc::RecvTimeoutError::Timeout,
        RecvTimeoutError::Disconnected => std_mpsc::RecvTimeoutError::Disconnected,
    }
}
