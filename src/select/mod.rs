//! Exactly-once selection over channels of any flavour.
//!
//! may's own `select!` runs one coroutine per branch and cancels the losers,
//! so with two ready channels it can take a message in a losing branch and
//! drop it. The selects here never do: they wait until a branch is *ready*,
//! choose one ready branch, and perform only that branch's operation (see
//! `engine.rs` for how waiting works). A message is therefore handed over by
//! exactly one branch or stays in its channel.
//!
//! | macro | which ready branch wins |
//! |---|---|
//! | [`select!`](crate::select!) | uniformly at random, so no branch starves |
//! | [`select_weighted!`](crate::select_weighted!) | at random, in proportion to each branch's weight |
//! | [`select_priority!`](crate::select_priority!) | the first in written order |
//! | [`select_if!`](crate::select_if!) | as `select!`, among branches whose guard is true |
//!
//! Branches are `recv(receiver) -> result => body` (result:
//! `Result<T, RecvError>`; `Err` once the channel is empty and disconnected)
//! and `send(sender, value) -> result => body` (result:
//! `Result<(), SendError<T>>`; `Err` hands the value back when the receivers
//! are gone). An optional last branch `default => body` runs when no branch is
//! ready now, and `default(timeout) => body` when none becomes ready within
//! `timeout`. Without a default the select blocks, parking the coroutine or
//! thread.
//!
//! ```
//! use may_channel::{select, unbounded};
//! use std::time::Duration;
//!
//! let (jobs_tx, jobs) = unbounded::<u32>();
//! let (stop_tx, stop) = unbounded::<()>();
//! jobs_tx.send(7).unwrap();
//! stop_tx.send(()).unwrap();
//!
//! let mut handled = 0;
//! loop {
//!     select! {
//!         recv(jobs) -> job => { handled += job.unwrap(); },
//!         recv(stop) -> _ => break,
//!         default(Duration::from_millis(10)) => break,
//!     }
//! }
//! // Either branch may have won first; nothing was lost either way.
//! assert_eq!(handled + jobs.len() as u32 * 7, 7);
//! ```
//!
//! A send branch's value expression is evaluated only for the branch that
//! was chosen. On a rendezvous channel the branch first commits to a
//! waiting receiver, so the value is always sent and `Ok` means that
//! receiver has it; while a select waits, its branches are waiting senders
//! and receivers that the other side meets (a `try_recv` takes from a
//! waiting select's send branch, a `try_send` hands to its receive branch).
//! On a bounded channel over the crate's ring (`bounded(n)`, `Bounded<N>`,
//! `DynBounded`) the branch first reserves a slot, and on a bounded
//! priority channel a unit of its capacity, so its value is always
//! stored; while the value expression runs, the reserved room is taken but
//! not a message (`len()` leaves it out; on a ring, receivers wait for the
//! reserved slot rather than take the messages behind it). A value
//! expression that panics gives the room back. Unbounded channels never
//! refuse a send. On the remaining bounded queues (zero-copy `Slots`, work
//! stealing over bounded queues, custom ones) a chosen send evaluates its
//! value and then tries to store it; if a competitor took the room first,
//! the select keeps the value and waits again, and should the select then
//! complete through another branch, that value is dropped unsent.
//!
//! For a set of receivers known only at run time, use [`Select`].

mod dynamic;
mod engine;
mod macros;
mod ops;

pub use dynamic::{Select, SelectReceiver, SelectTimeoutError, TrySelectError};

use crate::channel::exclusive::SpscFlavor;
use crate::channel::{Flavor, Receiver, Sender, Shared, WaitList};
use crate::error::TryRecvError;
use crate::metrics::Side;
use crate::spsc::{Receiver as SpscReceiver, Sender as SpscSender};
pub(crate) use ops::Watch;
use ops::{End, RecvOp, SelectOp, SendOp};

/// Internals the macros expand to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use super::SelectHandle;
    pub use super::engine::{Branch, Rule, ready_index};
    pub use std::time::{Duration, Instant};
}

mod sealed {
    pub trait Sealed {}
}

/// A handle that can take part in a select: a [`Receiver`] stands for a
/// receive, a [`Sender`] for a send. Sealed.
pub trait Selectable: sealed::Sealed {
    /// Whether the operation would complete now without waiting.
    fn is_ready(&self) -> bool;

    /// The list where those who only watch for readiness wait (a `merge`
    /// of operator sources, say).
    #[doc(hidden)]
    fn __wait_list(&self) -> &WaitList;

    /// Runs `park` with the channel's metrics sink told that an operation
    /// of this handle's side is blocked on it.
    #[doc(hidden)]
    fn __park_blocked(&self, park: &mut dyn FnMut()) {
        park();
    }
}

/// The branch operation a select runs on a handle. Sealed, hidden.
#[doc(hidden)]
pub trait SelectHandle: Selectable {
    type __Op<'a>: SelectOp
    where
        Self: 'a;

    fn __op(&self) -> Self::__Op<'_>;
}

/// `Selectable` for a receiving and a sending handle type over the same
/// channel core, written once: the ordinary handles and the
/// [`spsc`](crate::spsc) ones (a select runs on the task that holds the
/// handle, so an spsc handle stays the one consumer or producer).
macro_rules! selectable_handles {
    ($receiver:ident, $sender:ident, $($bound:tt)+) => {
        impl<T, F: $($bound)+> sealed::Sealed for $receiver<T, F> {}
        impl<T, F: $($bound)+> sealed::Sealed for $sender<T, F> {}

        #[allow(private_interfaces)]
        impl<T, F: $($bound)+> End for $receiver<T, F> {
            type Msg = T;
            type Flavor = F;
            fn __shared(&self) -> &Shared<T, F> {
                self.shared()
            }
            fn __try_recv(&self) -> Result<T, TryRecvError> {
                self.try_recv()
            }
        }

        #[allow(private_interfaces)]
        impl<T, F: $($bound)+> End for $sender<T, F> {
            type Msg = T;
            type Flavor = F;
            fn __shared(&self) -> &Shared<T, F> {
                self.shared()
            }
            fn __try_send(&self, msg: T) -> Result<Result<(), T>, T> {
                self.__select_send(msg)
            }
        }

        impl<T, F: $($bound)+> Selectable for $receiver<T, F> {
            fn is_ready(&self) -> bool {
                self.shared().recv_ready()
            }
            fn __wait_list(&self) -> &WaitList {
                self.shared().receivers()
            }
            fn __park_blocked(&self, park: &mut dyn FnMut()) {
                self.shared().park_blocked(Side::Recv, park);
            }
        }

        impl<T, F: $($bound)+> SelectHandle for $receiver<T, F> {
            type __Op<'a> = RecvOp<'a, Self> where Self: 'a;
            fn __op(&self) -> RecvOp<'_, Self> {
                RecvOp::new(self)
            }
        }

        impl<T, F: $($bound)+> Selectable for $sender<T, F> {
            fn is_ready(&self) -> bool {
                self.shared().send_ready()
            }
            fn __wait_list(&self) -> &WaitList {
                self.shared().senders()
            }
            fn __park_blocked(&self, park: &mut dyn FnMut()) {
                self.shared().park_blocked(Side::Send, park);
            }
        }

        impl<T, F: $($bound)+> SelectHandle for $sender<T, F> {
            type __Op<'a> = SendOp<'a, Self> where Self: 'a;
            fn __op(&self) -> SendOp<'_, Self> {
                SendOp::new(self)
            }
        }
    };
}

selectable_handles!(Receiver, Sender, Flavor);
selectable_handles!(SpscReceiver, SpscSender, SpscFlavor);

impl<S: Selectable + ?Sized> sealed::Sealed for &S {}

impl<S: Selectable + ?Sized> Selectable for &S {
    fn is_ready(&self) -> bool {
        (**self).is_ready()
    }
    fn __wait_list(&self) -> &WaitList {
        (**self).__wait_list()
    }
    fn __park_blocked(&self, park: &mut dyn FnMut()) {
        (**self).__park_blocked(park);
    }
}

impl<S: SelectHandle + ?Sized> SelectHandle for &S {
    type __Op<'a>
        = S::__Op<'a>
    where
        Self: 'a;
    fn __op(&self) -> S::__Op<'_> {
        (**self).__op()
    }
}
