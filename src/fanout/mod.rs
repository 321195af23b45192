//! Fan-out: one sender spreading messages over a set of channels.
//!
//! A [`FanOut`] holds outputs (senders of any flavour, mixed freely) and a
//! [`Distribution`] that picks the output for each message:
//! [`RoundRobin`], [`LeastLoaded`] (shortest queue now), [`KeyHash`] (by a
//! key of the message, stably) or [`Random`]; or your own.
//!
//! Outputs can be added and removed while it runs. When an output turns out
//! to be disconnected (its receivers are gone), it is removed, its share goes
//! to the others, and the message that found it gone is re-routed; when no
//! output is left, [`FanOut::send`] hands the message back. Nothing is lost.
//!
//! ```
//! use may_channel::fanout::{FanOut, RoundRobin};
//! use may_channel::flavors::BoundedBlocking;
//!
//! let workers: Vec<_> = (0..3).map(|_| BoundedBlocking::<16>::new::<u32>()).collect();
//! let mut fanout = FanOut::new(RoundRobin::default());
//! for (tx, _) in &workers {
//!     fanout.add(tx.clone());
//! }
//! for job in 0..9 {
//!     fanout.send(job).unwrap();
//! }
//! let per_worker: Vec<Vec<u32>> = workers.iter().map(|(_, rx)| rx.try_iter().collect()).collect();
//! assert_eq!(per_worker, [vec![0, 3, 6], vec![1, 4, 7], vec![2, 5, 8]]);
//! ```
//!
//! # Your own distribution
//!
//! ```
//! use may_channel::fanout::{Distribution, FanOut, Outputs};
//!
//! /// Everything to the first output, as long as it has fewer than 8 queued.
//! struct Overflowing;
//!
//! impl<T> Distribution<T> for Overflowing {
//!     fn choose(&mut self, _msg: &T, outputs: &Outputs<'_, T>) -> usize {
//!         outputs.iter().position(|out| out.len() < 8).unwrap_or(outputs.len() - 1)
//!     }
//! }
//!
//! let (tx_a, rx_a) = may_channel::unbounded::<u8>();
//! let (tx_b, rx_b) = may_channel::unbounded::<u8>();
//! let mut fanout = FanOut::new(Overflowing);
//! fanout.add(tx_a);
//! fanout.add(tx_b);
//! for i in 0..10 {
//!     fanout.send(i).unwrap();
//! }
//! assert_eq!((rx_a.len(), rx_b.len()), (8, 2));
//! ```

mod hash;
mod least_loaded;
mod random;
mod round_robin;

use std::fmt;

pub use hash::KeyHash;
pub use least_loaded::LeastLoaded;
pub use random::Random;
pub use round_robin::RoundRobin;

use crate::backpressure::HasSend;
use crate::channel::{Flavor, Sender};
use crate::error::SendError;

/// Something a [`FanOut`] can deliver to: every [`Sender`] whose policy has
/// a `send` (so not `Reject` channels), or your own.
pub trait Output<T>: Send {
    /// Delivers `msg`, waiting as the output's policy says; hands it back if
    /// the output is gone for good.
    fn send(&self, msg: T) -> Result<(), SendError<T>>;
    /// Messages queued at the output now.
    fn len(&self) -> usize;
    /// Whether the output is empty now.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

// `Output` is `Send` so that a fan-out can move to the coroutine that
// drives it: a sender is an output where it may cross threads.
impl<T, F: Flavor> Output<T> for Sender<T, F>
where
    Self: Send,
    F::Backpressure: HasSend,
{
    fn send(&self, msg: T) -> Result<(), SendError<T>> {
        Sender::send(self, msg)
    }
    fn len(&self) -> usize {
        Sender::len(self)
    }
}

/// Names an output of a [`FanOut`]; stays the same while other outputs come
/// and go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutputId(u64);

impl OutputId {
    /// The id as a number (unique within its fan-out).
    pub fn get(self) -> u64 {
        self.0
    }
}

/// The outputs of a fan-out, as a [`Distribution`] sees them (a view; no
/// allocation per message).
pub struct Outputs<'a, T> {
    entries: &'a [(OutputId, Box<dyn Output<T>>)],
}

impl<'a, T> Outputs<'a, T> {
    /// How many outputs there are (at least one when a distribution is asked).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no output.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The output at `index`.
    ///
    /// # Panics
    /// If `index >= self.len()`.
    pub fn get(&self, index: usize) -> OutputRef<'a, T> {
        let (id, output) = &self.entries[index];
        OutputRef {
            id: *id,
            output: output.as_ref(),
        }
    }

    /// The outputs in order.
    pub fn iter(&self) -> impl Iterator<Item = OutputRef<'a, T>> + '_ {
        (0..self.len()).map(|index| self.get(index))
    }
}

/// An output as a [`Distribution`] sees it.
pub struct OutputRef<'a, T> {
    id: OutputId,
    output: &'a dyn Output<T>,
}

impl<T> OutputRef<'_, T> {
    /// The output's id.
    pub fn id(&self) -> OutputId {
        self.id
    }
    /// Messages queued at the output now.
    pub fn len(&self) -> usize {
        self.output.len()
    }
    /// Whether the output is empty now.
    pub fn is_empty(&self) -> bool {
        self.output.is_empty()
    }
}

/// Picks an output for each message.
///
/// # Contract
/// `choose` is called with at least one output and must return an index
/// below `outputs.len()` (a larger one is reduced modulo the length). It runs
/// on the sender's path for every message, so it should be cheap.
pub trait Distribution<T> {
    /// The index in `outputs` of the output for `msg`.
    fn choose(&mut self, msg: &T, outputs: &Outputs<'_, T>) -> usize;
}

/// A sender over a set of outputs; see the [module docs](self).
pub struct FanOut<T, D> {
    outputs: Vec<(OutputId, Box<dyn Output<T>>)>,
    next_id: u64,
    distribution: D,
    rerouted: u64,
}

impl<T, D: Distribution<T>> FanOut<T, D> {
    /// A fan-out with no outputs yet.
    pub fn new(distribution: D) -> Self {
        Self {
            outputs: Vec::new(),
            next_id: 0,
            distribution,
            rerouted: 0,
        }
    }

    /// Adds an output; returns its id.
    pub fn add(&mut self, output: impl Output<T> + 'static) -> OutputId {
        let id = OutputId(self.next_id);
        self.next_id += 1;
        self.outputs.push((id, Box::new(output)));
        id
    }

    /// Removes an output and returns it (`None` if no such output is left).
    pub fn remove(&mut self, id: OutputId) -> Option<Box<dyn Output<T>>> {
        let index = self.outputs.iter().position(|(other, _)| *other == id)?;
        Some(self.outputs.remove(index).1)
    }

    /// The ids of the outputs, in the order the distribution sees them.
    pub fn ids(&self) -> impl Iterator<Item = OutputId> + '_ {
        self.outputs.iter().map(|(id, _)| *id)
    }

    /// How many outputs there are.
    pub fn len(&self) -> usize {
        self.outputs.len()
    }

    /// Whether there is no output.
    pub fn is_empty(&self) -> bool {
        self.outputs.is_empty()
    }

    /// Messages that found their output gone and were sent elsewhere.
    pub fn rerouted(&self) -> u64 {
        self.rerouted
    }

    /// Sends `msg` to the output the distribution picks (waiting as that
    /// output's policy says); returns the id of the output that took it.
    /// Outputs found disconnected are removed and the message re-routed;
    /// with no output left, the message is handed back.
    pub fn send(&mut self, mut msg: T) -> Result<OutputId, SendError<T>> {
        loop {
            if self.outputs.is_empty() {
                return Err(SendError(msg));
            }
            let outputs = Outputs {
                entries: &self.outputs,
            };
            let index = self.distribution.choose(&msg, &outputs) % self.outputs.len();
            let (id, output) = &self.outputs[index];
            match output.send(msg) {
                Ok(()) => return Ok(*id),
                Err(SendError(back)) => {
                    msg = back;
                    self.outputs.remove(index);
                    self.rerouted += 1;
                }
            }
        }
    }
}

impl<T, D> fmt::Debug for FanOut<T, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FanOut")
            .field(
                "outputs",
                &self.outputs.iter().map(|(id, _)| id.0).collect::<Vec<_>>(),
            )
            .field("rerouted", &self.rerouted)
            .finish_non_exhaustive()
    }
}
