//! The waiting axis: what a blocked `send` or `recv` does between attempts.
//!
//! The channel core runs one blocking loop for every operation: try the
//! operation; if it cannot complete, ask the [`WaitStrategy`] what to do next.
//! [`Pause::Retry`] tries again at once (after the strategy has spun or
//! yielded as it likes); [`Pause::Park`] registers the caller as a waiter and
//! parks it until a peer wakes it or the deadline passes. Parking suspends the
//! *coroutine* when called inside a may coroutine and the OS thread otherwise,
//! so the same strategy is right in both worlds.
//!
//! | strategy | behaviour | use when |
//! |---|---|---|
//! | [`Spin`] | on a thread never parks, spins with backoff; in a coroutine yields, then parks | latency matters more than a core |
//! | [`Yield`] | on a thread never parks, yields each time; in a coroutine yields, then parks | many more tasks than cores, short waits |
//! | [`Park`] | parks at once | waits are long, CPU is precious |
//! | [`SpinThenPark`] | spins briefly, then parks (the default) | almost always |
//!
//! A strategy that never parks burns its CPU until the deadline; it also never
//! registers, so peers skip the wake-up for it.
//!
//! **Inside a coroutine no strategy may wait by yielding alone.** may 0.3.51
//! runs a worker's *global* run queue (where coroutines spawned or woken from
//! OS threads land) only when the worker's *local* queue is empty, and a
//! yielded coroutine goes back to the local queue. A coroutine that keeps
//! yielding while it waits for a peer in the global queue therefore waits for
//! ever. So `Spin` and `Yield` yield at most [`COROUTINE_YIELDS`] times in a
//! coroutine and then park, and a custom strategy must also return
//! [`Pause::Park`] eventually ([`Context::yield_or_park`] does both).
//!
//! # Implementing your own
//!
//! ```
//! use may_channel::wait::{Context, Pause, WaitStrategy};
//!
//! /// Tries three times, yielding in between, then parks.
//! #[derive(Default)]
//! struct YieldThrice;
//!
//! impl WaitStrategy for YieldThrice {
//!     fn pause(&self, attempt: u32, context: Context) -> Pause {
//!         if attempt < 3 {
//!             context.yield_now();
//!             Pause::Retry
//!         } else {
//!             Pause::Park
//!         }
//!     }
//! }
//!
//! type Polite = may_channel::Channel<may_channel::queue::Unbounded, YieldThrice>;
//! let (tx, rx) = Polite::new();
//! tx.send(1u8).unwrap();
//! assert_eq!(rx.recv(), Ok(1));
//! ```

mod park;
mod spin;
mod spin_then_park;
mod yield_now;

pub use park::Park;
pub use spin::Spin;
pub use spin_then_park::SpinThenPark;
pub use yield_now::Yield;

/// What the blocking loop does after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pause {
    /// Try the operation again now.
    Retry,
    /// Register as a waiter and park until woken or the deadline passes.
    Park,
}

/// Where the blocked caller runs, so a strategy can yield the right thing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// A plain OS thread.
    Thread,
    /// A may coroutine: spinning here holds a may worker thread that other
    /// coroutines could use, so strategies should yield the coroutine instead.
    Coroutine,
}

/// How many times `Spin` and `Yield` yield a coroutine before parking it.
pub const COROUTINE_YIELDS: u32 = 32;

impl Context {
    /// The context of the caller.
    #[inline]
    pub fn current() -> Self {
        if may::coroutine::is_coroutine() {
            Self::Coroutine
        } else {
            Self::Thread
        }
    }

    /// Yields for the first [`COROUTINE_YIELDS`] attempts, then says
    /// [`Pause::Park`]; the right answer for any strategy in a coroutine
    /// (see the module docs).
    #[inline]
    pub fn yield_or_park(self, attempt: u32) -> Pause {
        if attempt < COROUTINE_YIELDS {
            self.yield_now();
            Pause::Retry
        } else {
            Pause::Park
        }
    }

    /// Gives up the processor once: `may::coroutine::yield_now` in a
    /// coroutine, `std::thread::yield_now` on a thread.
    #[inline]
    pub fn yield_now(self) {
        match self {
            Self::Coroutine => may::coroutine::yield_now(),
            Self::Thread => std::thread::yield_now(),
        }
    }
}

/// Decides, after each failed attempt, whether to retry or park.
///
/// # Contract
/// - `pause` is called with `attempt` = 0, 1, 2, … for the failed attempts of
///   one blocking operation; the core checks the deadline before each call.
/// - It may spin or yield before returning, but must not park or sleep: the
///   core parks, because only the core knows how to be woken.
/// - Inside a coroutine it must eventually return [`Pause::Park`]: spinning
///   there starves every other coroutine on that worker (try it with
///   `may::config().set_workers(1)`), and even yielding cannot let a peer
///   in may's global run queue run (see the module docs).
/// - It is stored in the channel, so it may hold settings; the shipped
///   strategies are zero-sized.
pub trait WaitStrategy: Default + Send + Sync + 'static {
    /// Called after failed attempt number `attempt`.
    fn pause(&self, attempt: u32, context: Context) -> Pause;
}
