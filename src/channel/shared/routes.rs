//! The operations with a route: every send and receive goes through these,
//! with its backpressure rules, wake-ups, metrics and blocking loop.

use super::*;

impl<T, F: Flavor> Shared<T, F> {
    // ------------------------------------------------ operations with a route
    //
    // Every send and receive goes through these: the plain operations above
    // pass `RawQueue::push` / `pop` as the route, a queue with a richer
    // interface (a priority level) passes its own, and all get the same
    // backpressure rules, wake-ups, metrics and blocking loop. Blocking sends
    // on hand-over queues use the ticket protocol of `send_handoff` instead.

    /// `try_send` through `store`: never waits, never drops.
    #[inline]
    pub(crate) fn try_send_via(
        &self,
        msg: T,
        store: impl FnOnce(Envelope<T, Stamp<F>>) -> Result<(), Envelope<T, Stamp<F>>>,
    ) -> Result<(), TrySendError<T>> {
        match self.admit_store(self.envelope(msg), store) {
            Ok(Ok(())) => {
                self.stored_one();
                Ok(())
            }
            Ok(Err(envelope)) => Err(TrySendError::Full(envelope.msg)),
            Err(envelope) => Err(TrySendError::Disconnected(envelope.msg)),
        }
    }

    /// `send_via_until`'s wait for room under `Block`: the first attempt
    /// found the channel full.
    #[cold]
    #[inline(never)]
    fn send_blocking(
        &self,
        envelope: Envelope<T, Stamp<F>>,
        deadline: Option<Instant>,
        store: impl Fn(Envelope<T, Stamp<F>>) -> Result<(), Envelope<T, Stamp<F>>> + Copy,
    ) -> Result<(), SendTimeoutError<T>> {
        let mut pending = Some(envelope);
        let stored = self.wait_for(Side::Send, deadline, || {
            let envelope = pending
                .take()
                .expect("the envelope is put back after every failed store");
            match self.admit_store(envelope, store) {
                Ok(Ok(())) => Some(true),
                Ok(Err(envelope)) => {
                    pending = Some(envelope);
                    None
                }
                Err(envelope) => {
                    pending = Some(envelope);
                    Some(false)
                }
            }
        });
        match stored {
            Some(true) => {
                self.stored_one();
                Ok(())
            }
            Some(false) => Err(SendTimeoutError::Disconnected(
                pending.take().expect("not stored").msg,
            )),
            None => Err(SendTimeoutError::Timeout(
                pending.take().expect("not stored").msg,
            )),
        }
    }

    /// `send` and its timed forms through `store` (and `store_evicting` for
    /// `DropOldest`), with the policy rules of `send_until`.
    #[inline]
    pub(crate) fn send_via_until(
        &self,
        msg: T,
        deadline: Option<Instant>,
        store: impl Fn(Envelope<T, Stamp<F>>) -> Result<(), Envelope<T, Stamp<F>>> + Copy,
        store_evicting: impl FnOnce(Envelope<T, Stamp<F>>) -> Evicted<T, F>,
    ) -> Result<(), SendTimeoutError<T>> {
        if self.is_disconnected() {
            return Err(SendTimeoutError::Disconnected(msg));
        }
        let envelope = self.envelope(msg);
        match <F::Backpressure as Backpressure>::ON_FULL {
            OnFull::Wait => {
                // The first attempt outside the blocking loop, which is a
                // cold function of its own: most sends find room, and this
                // keeps their path short (the store inlined here once).
                match self.admit_store(envelope, store) {
                    Ok(Ok(())) => {
                        self.stored_one();
                        Ok(())
                    }
                    Ok(Err(envelope)) => self.send_blocking(envelope, deadline, store),
                    Err(envelope) => Err(SendTimeoutError::Disconnected(envelope.msg)),
                }
            }
            OnFull::NeverFull | OnFull::Refuse => match self.admit_store(envelope, store) {
                Ok(Ok(())) => {
                    self.stored_one();
                    Ok(())
                }
                // As in `send_until`: unreachable for `NeverFull` (refused
                // only when closed, reported above), and `Refuse` channels
                // have no `send`.
                Ok(Err(envelope)) => Err(SendTimeoutError::Timeout(envelope.msg)),
                Err(envelope) => Err(SendTimeoutError::Disconnected(envelope.msg)),
            },
            OnFull::DiscardIncoming => {
                match self.admit_store(envelope, store) {
                    Ok(Ok(())) => self.stored_one(),
                    Ok(Err(envelope)) => {
                        self.metrics.on_discard();
                        drop(envelope);
                    }
                    Err(envelope) => return Err(SendTimeoutError::Disconnected(envelope.msg)),
                }
                Ok(())
            }
            OnFull::EvictOldest => match self.evict_and_store(envelope, store, store_evicting) {
                Ok(evicted) => {
                    drop(evicted);
                    Ok(())
                }
                Err(envelope) => Err(SendTimeoutError::Disconnected(envelope.msg)),
            },
        }
    }

    #[inline]
    pub(super) fn stored_one(&self) {
        self.metrics.on_send();
        self.queue_stored(1);
    }

    /// `try_recv` through `take`, which returns an envelope and what the
    /// queue says about it (its level).
    #[inline]
    pub(crate) fn try_recv_via<R>(
        &self,
        mut take: impl FnMut() -> Option<(Envelope<T, Stamp<F>>, R)>,
    ) -> Result<(T, R), TryRecvError> {
        match self.take_via(&mut take) {
            Some(result) => result.map_err(|()| TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }

    /// `recv` and its timed forms through `take`.
    #[inline]
    pub(crate) fn recv_via_until<R>(
        &self,
        deadline: Option<Instant>,
        mut take: impl FnMut() -> Option<(Envelope<T, Stamp<F>>, R)>,
    ) -> Result<(T, R), RecvTimeoutError> {
        match self.wait_for(Side::Recv, deadline, || self.take_via(&mut take)) {
            Some(Ok(taken)) => Ok(taken),
            Some(Err(())) => Err(RecvTimeoutError::Disconnected),
            None => Err(RecvTimeoutError::Timeout),
        }
    }

    /// One receive attempt through `take`, as `take_or_disconnected`:
    /// `None` while empty and connected.
    #[inline]
    pub(super) fn take_via<R>(
        &self,
        take: &mut impl FnMut() -> Option<(Envelope<T, Stamp<F>>, R)>,
    ) -> Option<Result<(T, R), ()>> {
        let mut take_one = || {
            take().map(|(envelope, extra)| {
                self.metrics.on_recv(envelope.stamp);
                self.messages_taken(1);
                (envelope.msg, extra)
            })
        };
        if let Some(taken) = take_one() {
            return Some(Ok(taken));
        }
        if self.drained_if_disconnected() {
            // Every send that passed its check before the disconnect has
            // landed (see `close.rs`): one more attempt finds what is left.
            return Some(self.last_take(take_one).ok_or(()));
        }
        None
    }
}
