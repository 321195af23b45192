//! The ring's batch operations: one claim per run of slots (DESIGN.md,
//! "Queues").

use super::*;

impl<T> Ring<T> {
    /// Stores items from the front of `items` with one claim of as many
    /// consecutive free slots at the tail as there are items (at most), and
    /// removes them from `items`; returns how many. When the slot at the
    /// tail is not free, stores one item as [`push`](Self::push) does
    /// (waiting for a receiver still reading it); 0 when the ring is full
    /// or closed.
    pub(crate) fn push_batch(&self, items: &mut Vec<T>) -> usize {
        if items.is_empty() {
            return 0;
        }
        let backoff = Backoff::new();
        // Relaxed: a guess, checked by the slots' sequences and the CAS.
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if tail & CLOSED != 0 {
                // Acquire: as in `claim`.
                fence(Ordering::Acquire);
                return 0;
            }
            // Acquire, each: as in `claim` (the receiver's release of a slot
            // happens before our write). Only a claim of `tail` changes a
            // slot free for `tail + i`, so the run seen free stays ours if
            // the CAS below finds `tail` unchanged.
            let run = (0..items.len())
                .take_while(|&i| {
                    let position = tail.wrapping_add(i);
                    self.slot(position).sequence.load(Ordering::Acquire) == free(position)
                })
                .count();
            if run == 0 {
                let item = items.remove(0);
                return match self.push(item) {
                    Ok(()) => 1,
                    Err(item) => {
                        items.insert(0, item);
                        0
                    }
                };
            }
            match self.tail.compare_exchange_weak(
                tail,
                tail.wrapping_add(run),
                // SeqCst: a claim, as in `claim` (`RawQueue::CLAIMS_SEQCST`).
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    for (i, item) in items.drain(..run).enumerate() {
                        let position = tail.wrapping_add(i);
                        self.write(self.slot(position), position, item);
                    }
                    return run;
                }
                Err(current) => {
                    tail = current;
                    backoff.spin();
                }
            }
        }
    }

    /// Takes up to `max` messages, oldest first, with one claim of the run
    /// of published slots at the head, handing each to `sink`; returns how
    /// many. When the head slot is not published, takes one message as
    /// [`pop`](Self::pop) does (waiting for a sender still writing it,
    /// skipping a given-up reservation).
    pub(crate) fn pop_batch(&self, max: usize, sink: &mut impl FnMut(T)) -> usize {
        if max == 0 {
            return 0;
        }
        let backoff = Backoff::new();
        // Relaxed: as in `push_batch`.
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            // Acquire, each: as in `claim` (the sender's publish happens
            // before our read); only a claim of `head` takes a published
            // slot, so the run stays ours if the CAS finds `head` unchanged.
            let run = (0..max)
                .take_while(|&i| {
                    let position = head.wrapping_add(i);
                    self.slot(position).sequence.load(Ordering::Acquire) == published(position)
                })
                .count();
            if run == 0 {
                return match self.pop() {
                    Some(item) => {
                        sink(item);
                        1
                    }
                    None => 0,
                };
            }
            match self.head.compare_exchange_weak(
                head,
                head.wrapping_add(run),
                // SeqCst: a claim, as in `claim`.
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    let mut claimed = ClaimedRun {
                        ring: self,
                        next: head,
                        end: head.wrapping_add(run),
                    };
                    while claimed.next != claimed.end {
                        let position = claimed.next;
                        claimed.next = position.wrapping_add(1);
                        sink(self.read(self.slot(position), position));
                    }
                    return run;
                }
                Err(current) => {
                    head = current;
                    backoff.spin();
                }
            }
        }
    }
}

/// The positions a batch receive claimed and has not read yet: should the
/// caller's sink unwind, they are read and dropped, so that their slots go
/// back to the senders instead of blocking the ring for good.
struct ClaimedRun<'a, T> {
    ring: &'a Ring<T>,
    next: usize,
    end: usize,
}

impl<T> Drop for ClaimedRun<'_, T> {
    fn drop(&mut self) {
        while self.next != self.end {
            let position = self.next;
            self.next = position.wrapping_add(1);
            drop(self.ring.read(self.ring.slot(position), position));
        }
    }
}
