//! Single-producer, single-consumer channels: one [`Sender`] and one
//! [`Receiver`], neither `Clone` nor `Sync`, over the unbounded [`Spsc`]
//! queue ([`channel`]) or the ring of [`SpscBounded<N>`] ([`bounded`]:
//! `send` waits for room under `Block`; `Reject` and `DropNewest` too
//! through [`channel_of`]; not `DropOldest`, which would make the producer
//! a second consumer).
//!
//! Because each side has exactly one handle and a handle is used by one
//! task at a time, the queue needs no synchronisation between senders or
//! between receivers: a send costs one atomic read-modify-write (the CAS
//! that publishes the message and that a close can refuse), a receive none
//! (on the ring, one: freeing the slot, since a sender may wait for it).
//! The MPMC channels ([`Unbounded`](crate::queue::Unbounded)) pay four: a
//! claim and a publish on each side. Everything else is the crate's core:
//! blocking that parks the coroutine (or the thread outside may), timeouts,
//! close and disconnect that lose nothing, any wait strategy, metrics sink
//! and placement ([`channel_of`]).
//!
//! ```
//! use std::time::Duration;
//! use may_channel::{RecvTimeoutError, spsc};
//!
//! let (tx, rx) = spsc::channel::<String>();
//! let producer = may::go!(move || {
//!     for word in ["one", "two", "three"] {
//!         tx.send(word.to_string()).unwrap();
//!     }
//!     // `tx` dropped here: the receiver drains, then sees the end.
//! });
//! assert_eq!(rx.iter().collect::<Vec<_>>(), ["one", "two", "three"]);
//! assert_eq!(rx.recv_timeout(Duration::from_millis(1)), Err(RecvTimeoutError::Disconnected));
//! producer.join().unwrap();
//! ```
//!
//! What the handles do not have, and why:
//! - `Clone`, and `Sync` (sharing `&Sender` between threads): a second
//!   producer or consumer would race on the queue's unsynchronised ends.
//!   For more than one, use an MPMC flavour; a `Channel<Spsc>` with the
//!   ordinary cloneable handles is also sound (each side then takes a lock).
//! - Peek, batches, the zero-copy and operator APIs and the debugger's
//!   `register`: they take the cloneable handles. A handle cannot turn into
//!   one (that would make a second producer or consumer). The `select!`
//!   macros and the run-time [`Select`](crate::select::Select) do take these
//!   handles (a select runs on the task that holds them), and the builder
//!   makes them: `ChannelBuilder::new().spsc_bounded::<64>().build_spsc()`.
//!
//! Like the MPMC handles, both are `UnwindSafe` and `RefUnwindSafe`, and a
//! panicking message `Drop` during the receiver's drop is resumed after every
//! queued message was dropped (see [`crate::Receiver`]).
//!
//! A message still costs the core's checks around the queue (the closed
//! flag, one load of the waiting receivers' count); `benches/peers.rs`
//! measures the flavour as `may_channel spsc` on the single-producer,
//! single-consumer workloads.

pub use crate::channel::exclusive::{
    Bounded, IntoIter, Iter, Pair, Receiver, Sender, SpscFlavor, TryIter, bounded, channel,
    channel_of,
};
pub use crate::queue::{Spsc, SpscBounded};

// As for the MPMC handles (`channel/sender.rs`): a caught panic leaves the
// channel consistent. (`NotSync`, a `PhantomData<Cell<()>>`, and the queue's
// `UnsafeCell`s would otherwise keep them from being unwind safe.)
impl<T, F: SpscFlavor> std::panic::UnwindSafe for Sender<T, F> {}
impl<T, F: SpscFlavor> std::panic::RefUnwindSafe for Sender<T, F> {}
impl<T, F: SpscFlavor> std::panic::UnwindSafe for Receiver<T, F> {}
impl<T, F: SpscFlavor> std::panic::RefUnwindSafe for Receiver<T, F> {}
