//! The ring's reservations for a select's send branch (see
//! "Reservations" in the module docs).

use super::*;

impl<T> Ring<T> {
    /// Reserves the slot at the tail for a message to come ([`fill`] or
    /// [`cancel`] it; see "Reservations"), waiting as [`push`](Self::push)
    /// does for a receiver still reading it; `None` when the ring is full
    /// or closed. A channel whose receivers drop messages on a full ring
    /// (`DropOldest`) never reserves.
    ///
    /// [`fill`]: Self::fill
    /// [`cancel`]: Self::cancel
    pub(crate) fn reserve(&self) -> Option<usize> {
        // SeqCst, before the claim: a receiver that finds the ring closed
        // and reads no reservation out (`lent`) must be right, and this
        // increment precedes the claim CAS (SeqCst), which precedes the
        // close in the tail's modification order, which precedes the
        // receiver's SeqCst tail load in `lent`, in the single total order.
        self.lent.fetch_add(1, Ordering::SeqCst);
        let claimed = claim(&self.tail, |p| self.slot(p), free, None)
            .map(|(position, _)| position)
            .or_else(|| self.claim_room());
        match claimed {
            Some(position) => {
                // Release: orders our claim's Acquire of the slot before any
                // receiver that reads this state (nothing else rides on it:
                // the slot carries no message yet).
                self.slot(position)
                    .sequence
                    .store(held(position), Ordering::Release);
                Some(position)
            }
            None => {
                // SeqCst: as above; the caller wakes the receivers that may
                // have read the increment (`Shared::lent_published`).
                self.lent.fetch_sub(1, Ordering::SeqCst);
                None
            }
        }
    }

    /// [`reserve`](Self::reserve) as the queue trait reports it. A ring
    /// that does not close itself (32-bit targets) does not reserve: its
    /// channel brackets each store instead, and a reservation spans user
    /// code, which no bracket may.
    pub(crate) fn reservation(&self) -> Reservation {
        if !CLOSES {
            return Reservation::Unsupported;
        }
        match self.reserve() {
            Some(position) => Reservation::Held(position),
            None => Reservation::Refused,
        }
    }

    /// Stores `item` in the slot reserved at `position` and publishes it.
    /// The caller wakes receivers afterwards (`Shared::lent_published`).
    ///
    /// # Safety
    /// `position` came from [`reserve`](Self::reserve) on this ring and is
    /// filled or cancelled once.
    pub(crate) unsafe fn fill(&self, position: usize, item: T) {
        self.write(self.slot(position), position, item);
        // SeqCst: after the publish; a receiver that reads the decrement
        // (`lent`, SeqCst) then finds the message.
        self.lent.fetch_sub(1, Ordering::SeqCst);
    }

    /// Gives up the slot reserved at `position`: marks it a [`hole`], and
    /// takes the hole at once if it is the oldest position. The caller
    /// wakes receivers (who skip the hole) and senders (room may be free).
    ///
    /// # Safety
    /// As for [`fill`](Self::fill).
    pub(crate) unsafe fn cancel(&self, position: usize) {
        let sequence = &self.slot(position).sequence;
        // Release: the end of our use of the slot, before whoever takes the
        // hole releases it to the next lap.
        sequence.store(hole(position), Ordering::Release);
        // Relaxed: a guess; `take_hole`'s CAS decides.
        if self.head.load(Ordering::Relaxed) == position {
            take_hole(&self.head, sequence, position, self.holes_lap());
        }
        // SeqCst: as in `fill`.
        self.lent.fetch_sub(1, Ordering::SeqCst);
    }

    /// Whether the oldest position is reserved and has no message yet, so
    /// that receivers find nothing although the ring is not empty. A hint
    /// for the channel core (`RawQueue::head_held_by_sender`): a sequence
    /// read as `held(head)`, for the current head or a stale one, is a
    /// reservation whose fill (a publish, then the channel's fence and
    /// wake-up) has not happened before this load; a stale head reads as
    /// "not held" at worst, which costs one more try.
    pub(crate) fn head_held(&self) -> bool {
        // Relaxed: a hint (above).
        let head = self.head.load(Ordering::Relaxed);
        // Relaxed: a hint (above).
        self.slot(head).sequence.load(Ordering::Relaxed) == held(head)
    }

    /// Reservations out (see "Reservations"): a closed channel counts as
    /// drained only once this is 0.
    pub(crate) fn lent(&self) -> usize {
        // SeqCst, both: the caller found the channel disconnected and the
        // ring closed, so this tail load reads the closed word, which comes
        // after every successful claim in the tail's modification order;
        // with `reserve`'s increment before its claim, the single total
        // order puts every reservation that claimed before the close ahead
        // of the second load, which therefore counts it. A decrement read
        // here (SeqCst, after the fill's publish) comes with the message.
        let _ = self.tail.load(Ordering::SeqCst);
        self.lent.load(Ordering::SeqCst)
    }
}
