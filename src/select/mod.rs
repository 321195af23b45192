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
//! On a rendezvous channel a send branch is ready while a receiver waits (in
//! `recv` or in a select). If that receiver is a select that then takes another
//! branch, the message stays in the channel's hand-over slot for the next
//! receiver: it is never dropped.
//!
//! For a set of receivers known only at run time, use [`Select`].

mod dynamic;
mod engine;
mod macros;

pub use dynamic::{Select, SelectReceiver, SelectTimeoutError, TrySelectError};

use crate::channel::exclusive::SpscFlavor;
use crate::channel::{Flavor, Receiver, Sender, WaitList};
use crate::metrics::Side;
use crate::spsc::{Receiver as SpscReceiver, Sender as SpscSender};

/// Internals the macros expand to; not part of the API.
#[doc(hidden)]
pub mod __private {
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

    #[doc(hidden)]
    fn __is_ready(&self) -> bool {
        self.is_ready()
    }

    #[doc(hidden)]
    fn __wait_list(&self) -> &WaitList;

    /// The select starts waiting on this handle.
    #[doc(hidden)]
    fn __enter(&self) {}

    /// The select stops waiting on this handle.
    #[doc(hidden)]
    fn __leave(&self) {}

    /// Runs `park` (the select's park) with the channel's metrics sink
    /// told that an operation of this handle's side is blocked on it, as a
    /// plain `send`/`recv` park would tell it.
    #[doc(hidden)]
    fn __park_blocked(&self, park: &mut dyn FnMut()) {
        park();
    }
}

/// `Selectable` for a receiving and a sending handle type over the same
/// channel core, written once: the ordinary handles and the
/// [`spsc`](crate::spsc) ones (a select runs on the task that holds the
/// handle, so an spsc handle stays the one consumer or producer).
macro_rules! selectable_handles {
    ($receiver:ident, $sender:ident, $($bound:tt)+) => {
        impl<T: Send, F: $($bound)+> sealed::Sealed for $receiver<T, F> {}
        impl<T: Send, F: $($bound)+> sealed::Sealed for $sender<T, F> {}

        impl<T: Send, F: $($bound)+> Selectable for $receiver<T, F> {
            fn is_ready(&self) -> bool {
                self.shared().recv_ready()
            }
            fn __wait_list(&self) -> &WaitList {
                self.shared().receivers()
            }
            fn __enter(&self) {
                self.shared().select_recv_enter();
            }
            fn __leave(&self) {
                self.shared().select_recv_leave();
            }
            fn __park_blocked(&self, park: &mut dyn FnMut()) {
                self.shared().park_blocked(Side::Recv, park);
            }
        }

        impl<T: Send, F: $($bound)+> Selectable for $sender<T, F> {
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
    fn __enter(&self) {
        (**self).__enter();
    }
    fn __leave(&self) {
        (**self).__leave();
    }
    fn __park_blocked(&self, park: &mut dyn FnMut()) {
        (**self).__park_blocked(park);
    }
}
