//! Methods that exist only on work-stealing flavours
//! ([`WorkStealing`](crate::queue::WorkStealing) queues).
//!
//! ```
//! use may_channel::flavors::WorkStealingMpmc;
//! use may_channel::queue::Workers;
//!
//! let (tx, rx) = WorkStealingMpmc::with_config::<u32>(Workers(4)).unwrap();
//! tx.send_to_worker(2, 7).unwrap();
//! assert_eq!(tx.len_at_worker(2), 1);
//! // Whoever receives first finds its own queue empty and steals it.
//! assert_eq!(rx.recv(), Ok(7));
//! ```

use crate::channel::{Channel, Envelope, Flavor, Receiver, Sender};
use crate::error::SendError;
use crate::metrics::MetricsSink;
use crate::queue::{QueueStrategy, RawQueue, UnboundedKind, WorkStealing};

type StealingChannel<Inner, const BATCH: usize, W, B, M, P> =
    Channel<WorkStealing<Inner, BATCH>, W, B, M, P>;

impl<T, Inner, const BATCH: usize, W, B, M, P> Sender<T, StealingChannel<Inner, BATCH, W, B, M, P>>
where
    Inner: QueueStrategy<Kind = UnboundedKind, Config = ()>,
    M: MetricsSink,
    StealingChannel<Inner, BATCH, W, B, M, P>:
        Flavor<Metrics = M, Queue = WorkStealing<Inner, BATCH>>,
{
    /// Sends `msg` to worker `index`'s queue (modulo the worker count)
    /// instead of the caller's own. Never waits (the worker queues are
    /// unbounded); fails only when every receiver is gone.
    pub fn send_to_worker(&self, index: usize, msg: T) -> Result<(), SendError<T>> {
        let shared = self.shared();
        if shared.is_disconnected() {
            return Err(SendError(msg));
        }
        let queue = shared.queue();
        let index = index % queue.workers();
        let envelope = Envelope {
            msg,
            stamp: shared.metrics().stamp(),
        };
        // Through `admit`, like every store: a send racing `close` is either
        // refused here or seen by the receivers before they report
        // `Disconnected`.
        match shared.admit(envelope, |envelope| {
            queue.local(index).push(envelope, index)
        }) {
            Ok(Ok(())) => {}
            Ok(Err(envelope)) | Err(envelope) => return Err(SendError(envelope.msg)),
        }
        shared.metrics().on_send();
        shared.message_stored(1);
        Ok(())
    }

    /// Messages queued at worker `index` (modulo the worker count).
    pub fn len_at_worker(&self, index: usize) -> usize {
        self.shared().queue().local(index % self.workers()).len()
    }

    /// How many worker queues the channel has.
    pub fn workers(&self) -> usize {
        self.shared().queue().workers()
    }

    /// Messages moved between worker queues by stealing so far.
    pub fn stolen(&self) -> u64 {
        self.shared().queue().stolen()
    }
}

impl<T, Inner, const BATCH: usize, W, B, M, P>
    Receiver<T, StealingChannel<Inner, BATCH, W, B, M, P>>
where
    Inner: QueueStrategy<Kind = UnboundedKind, Config = ()>,
    M: MetricsSink,
    StealingChannel<Inner, BATCH, W, B, M, P>:
        Flavor<Metrics = M, Queue = WorkStealing<Inner, BATCH>>,
{
    /// How many worker queues the channel has.
    pub fn workers(&self) -> usize {
        self.shared().queue().workers()
    }

    /// Messages moved between worker queues by stealing so far.
    pub fn stolen(&self) -> u64 {
        self.shared().queue().stolen()
    }
}
