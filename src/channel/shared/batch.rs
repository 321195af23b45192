//! Batch sends and receives: many messages per claim and one wake-up
//! (DESIGN.md, "Batches").

use super::*;

/// Messages a batch send pulls from its iterator before it stores them.
const SEND_BATCH: usize = 64;

/// The most room a batch receive reserves in its buffer up front (a
/// caller's `max` can be far larger than what is queued).
const RECV_BATCH_RESERVE: usize = 1024;

impl<T, F: Flavor> Shared<T, F> {
    /// `send_batch`: stores messages until one is refused, with one wake-up
    /// pass at the end; returns the messages not stored, in order.
    pub(crate) fn send_batch(&self, msgs: impl IntoIterator<Item = T>) -> Vec<T> {
        let mut msgs = msgs.into_iter();
        let home = self.placement.home();
        let mut batch = Vec::new();
        let mut stored = 0;
        loop {
            // The iterator's `next` runs user code, so a batch is pulled
            // before any store: a store is one send in flight.
            batch.extend(msgs.by_ref().take(SEND_BATCH).map(|msg| self.envelope(msg)));
            if batch.is_empty() {
                break;
            }
            let outcome = self.admit(&mut batch, |batch| {
                let mut pushed = 0;
                loop {
                    let now = self.queue.push_batch(batch, home);
                    pushed += now;
                    if now == 0 || batch.is_empty() {
                        return pushed;
                    }
                }
            });
            let Ok(pushed) = outcome else { break };
            for _ in 0..pushed {
                self.metrics.on_send();
            }
            stored += pushed;
            if !batch.is_empty() {
                break;
            }
        }
        if stored != 0 {
            self.queue_stored(stored);
        }
        let mut refused: Vec<T> = batch.into_iter().map(|envelope| envelope.msg).collect();
        refused.extend(msgs);
        refused
    }

    /// The batch receives: waits (until `deadline`) for one message, then
    /// takes up to `max - 1` more that are ready, waking senders once.
    pub(crate) fn recv_batch_until(
        &self,
        buf: &mut Vec<T>,
        max: usize,
        deadline: Option<Instant>,
    ) -> Result<usize, RecvTimeoutError> {
        if max == 0 {
            return Ok(0);
        }
        let first = self.recv_until(deadline)?;
        buf.push(first);
        Ok(1 + self.take_ready(buf, max - 1))
    }

    /// Appends up to `max` messages that are queued now to `buf`, without
    /// waiting, and wakes senders once for all of them.
    pub(crate) fn take_ready(&self, buf: &mut Vec<T>, max: usize) -> usize {
        let mut taken = 0;
        let home = self.placement.home();
        if self.front.is_empty() && self.placement.steal_order(home).is_none() {
            // The queue's own batch (one claim of the run at the ring's
            // head). Room first, so that the pushes do not reallocate.
            buf.reserve(max.min(RECV_BATCH_RESERVE));
            let (popped, moved) = self.queue.pop_batch(max, home, &mut |envelope| {
                self.metrics.on_recv(envelope.stamp);
                buf.push(envelope.msg);
            });
            if moved != 0 {
                self.metrics.on_steal(moved);
            }
            taken = popped;
        }
        while taken < max {
            let Some(msg) = self.take() else { break };
            buf.push(msg);
            taken += 1;
        }
        if taken > 0 {
            self.messages_taken(taken);
        }
        taken
    }
}
