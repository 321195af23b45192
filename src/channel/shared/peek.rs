//! Peeking: a receive that holds the head message in a guard, and the
//! guard's take or leave.

use super::*;

impl<T, F: Flavor> Shared<T, F>
where
    F::Queue: Peekable,
{
    // ---------------------------------------------------------------- peek

    /// One peek attempt: the head message (left ones first), or `Err` once
    /// the channel is empty and disconnected; `None` while empty.
    fn peek_once(&self) -> Option<Result<HeldOf<T, F>, ()>> {
        let take_one = || {
            self.front
                .take_for_peek(
                    &self.queue,
                    <F::Queue as Peekable>::RANKED,
                    <F::Queue as Peekable>::pick_against_left,
                    || self.pop_queued(),
                )
                .map(|(held, from_queue)| {
                    if from_queue {
                        // Its room in the queue is free now.
                        self.messages_taken(1);
                    }
                    held
                })
        };
        if let Some(held) = take_one() {
            return Some(Ok(held));
        }
        if self.drained_if_disconnected() {
            return Some(self.last_take(take_one).ok_or(()));
        }
        None
    }

    /// `try_peek`.
    pub(crate) fn try_peek(&self) -> Result<HeldOf<T, F>, TryRecvError> {
        match self.peek_once() {
            Some(result) => result.map_err(|()| TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }

    /// `peek` and its timed forms.
    pub(crate) fn peek_until(
        &self,
        deadline: Option<Instant>,
    ) -> Result<HeldOf<T, F>, RecvTimeoutError> {
        match self.wait_for(Side::Recv, deadline, || self.peek_once()) {
            Some(Ok(held)) => Ok(held),
            Some(Err(())) => Err(RecvTimeoutError::Disconnected),
            None => Err(RecvTimeoutError::Timeout),
        }
    }

    /// A peek guard keeps its message: it is received now.
    pub(crate) fn take_peeked(&self, envelope: Envelope<T, Stamp<F>>) -> T {
        <F::Queue as Peekable>::count_take(&self.queue);
        self.metrics.on_recv(envelope.stamp);
        envelope.msg
    }
}

impl<T, F: Flavor> Shared<T, F> {
    /// A peek guard leaves its message at the head (of its level); a
    /// waiting receiver is woken for it. (No `Peekable` bound: a guard's
    /// `Drop` cannot have one; a guard exists only for a peekable queue.)
    pub(crate) fn leave_peeked(&self, held: HeldOf<T, F>) {
        self.front.put_back(held);
        self.message_stored(1);
    }
}
