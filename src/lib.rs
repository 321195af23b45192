//! Channels for the [`may`] coroutine runtime and plain OS threads, assembled
//! at compile time from five strategies.
//!
//! ```text
//! Channel<Q: QueueStrategy, W: WaitStrategy, B: Backpressure, M: MetricsSink, P: Placement>
//! ```
//!
//! [`Channel`] is a zero-sized name for one combination (a *flavour*); the
//! handles [`Sender<T, F>`] and [`Receiver<T, F>`] are generic over the
//! message type and the flavour. Every choice is resolved by
//! monomorphization: no `dyn`, no runtime branch on the flavour, and a strategy
//! that is off is a zero-sized type whose hooks compile to nothing.
//!
//! # A first channel
//!
//! ```
//! use may_channel::flavors::BoundedBlocking;
//!
//! let (tx, rx) = BoundedBlocking::<16>::new();
//! let producer = may::go!(move || {
//!     for i in 0..100u32 {
//!         tx.send(i).unwrap(); // parks this coroutine while the channel is full
//!     }
//! });
//! let sum: u32 = rx.iter().sum(); // ends when the sender is dropped
//! producer.join().unwrap();
//! assert_eq!(sum, 4950);
//! ```
//!
//! Blocking calls park the *coroutine* when made inside a may coroutine and
//! the *thread* otherwise, so the same channel connects both worlds.
//!
//! # Choosing a flavour
//!
//! Name the combination your program needs once, as a type alias:
//!
//! ```
//! use may_channel::{Channel, backpressure::DropOldest, metrics::Counters, queue::Bounded};
//! use may_channel::wait::SpinThenPark;
//!
//! /// The newest 1024 samples; older ones are evicted and counted.
//! type Samples = Channel<Bounded<1024>, SpinThenPark, DropOldest, Counters>;
//!
//! let (tx, rx) = Samples::new();
//! for i in 0..2000u32 {
//!     tx.send(i).unwrap();
//! }
//! assert_eq!(rx.try_recv(), Ok(976));
//! assert_eq!(tx.metrics().dropped, 976);
//! ```
//!
//! or build it step by step; the builder returns the very same types:
//!
//! ```
//! use may_channel::{ChannelBuilder, Receiver, Sender};
//! use may_channel::flavors::InstrumentedBounded;
//!
//! let (tx, rx): (Sender<u64, InstrumentedBounded<64>>, Receiver<u64, InstrumentedBounded<64>>) =
//!     ChannelBuilder::new().bounded::<64>().enable_metrics().build().unwrap();
//! tx.send(7).unwrap();
//! assert_eq!(rx.recv(), Ok(7));
//! ```
//!
//! Ready-made aliases live in [`flavors`]; the axes are the modules [`queue`],
//! [`wait`], [`backpressure`], [`metrics`] and [`placement`]. Queue, wait,
//! metrics and placement strategies are yours to implement; each module shows
//! how. When a pipeline stalls, [`debug`] follows a message through it, finds
//! tasks that wait for each other, and reports how each channel performs.
//!
//! # Promises
//! - Nothing is lost: a refused send hands the message back; a timed-out or
//!   cancelled operation leaves the message in the channel; when the last
//!   receiver goes, queued messages are dropped exactly once.
//! - Blocking parks the coroutine inside may and the thread outside it;
//!   cancelling a parked coroutine (`Coroutine::cancel`) leaves no waiter
//!   behind.
//! - Invalid combinations (a blocking policy on an unbounded queue, a
//!   builder axis chosen twice) do not compile, and the compiler says why.

pub mod backpressure;
pub mod broadcast;
pub mod builder;
mod channel;
pub mod compat;
pub mod debug;
mod error;
pub mod export;
pub mod fanout;
pub mod flavors;
pub mod metrics;
pub mod ops;
pub mod placement;
pub mod priority;
pub mod queue;
pub mod select;
pub mod spsc;
mod stealing;
mod sync;
pub mod wait;
pub mod zerocopy;

pub use builder::ChannelBuilder;
pub use channel::{
    Channel, Envelope, Flavor, IntoIter, Iter, Pair, Peekable, Peeked, Receiver, Sender, TryIter,
};
pub use error::{
    BuildError, RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError,
    TrySendError,
};

/// An unbounded MPMC channel ([`flavors::UnboundedMpmc`]).
pub fn unbounded<T>() -> Pair<T, flavors::UnboundedMpmc> {
    flavors::UnboundedMpmc::new()
}

/// A bounded blocking MPMC channel of run-time `capacity`
/// ([`flavors::DynBoundedBlocking`]). A capacity of 0 makes a zero-capacity
/// channel, as in crossbeam-channel and std: `Ok` from a send on it means a
/// receiver has the value (see [`queue::DynBounded`]).
///
/// # Panics
/// If `capacity` is too large to index ([`Channel::with_config`] returns
/// the error instead).
pub fn bounded<T>(capacity: usize) -> Pair<T, flavors::DynBoundedBlocking> {
    match flavors::DynBoundedBlocking::with_config(capacity) {
        Ok(pair) => pair,
        Err(err) => panic!("may_channel::bounded({capacity}): {err}"),
    }
}

/// A broadcast channel holding the last `capacity` messages, and its first
/// subscriber; see [`broadcast`](mod@broadcast).
///
/// # Panics
/// If `capacity` is 0; [`broadcast::Builder::build`] returns the error instead.
pub fn broadcast<T: Clone>(capacity: usize) -> (broadcast::Sender<T>, broadcast::Subscriber<T>) {
    broadcast::channel(capacity)
}

/// A zero-capacity MPMC channel ([`flavors::RendezvousMpmc`]).
pub fn rendezvous<T>() -> Pair<T, flavors::RendezvousMpmc> {
    flavors::RendezvousMpmc::new()
}
