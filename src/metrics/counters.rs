use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

use super::{MetricsSink, Report, Side};
use crate::sync::{AtomicU64, AtomicUsize, Ordering};

/// Atomic counters on cache lines grouped by who writes them (what senders
/// count on one, each receiver-side or rarer counter on its own), so that
/// senders and receivers do not contend on one line.
///
/// Every counter uses `Relaxed` ordering: each is a statistic read on its
/// own, nothing else is published through it, and a snapshot taken while the
/// channel is busy is a best-effort picture anyway. The current length is
/// derived as `sent - received - evicted` (saturating at zero, since a
/// receiver may count a message before its sender does).
#[derive(Default)]
pub struct Counters {
    send_side: CachePadded<SendSide>,
    received: CachePadded<AtomicU64>,
    discarded: CachePadded<AtomicU64>,
    evicted: CachePadded<AtomicU64>,
    stolen: CachePadded<AtomicU64>,
    /// Nanoseconds parked, per side: `[Side::Send, Side::Recv]`.
    blocked_ns: CachePadded<[AtomicU64; 2]>,
    blocked_senders: CachePadded<AtomicUsize>,
    blocked_receivers: CachePadded<AtomicUsize>,
    /// Values of the cumulative counters at the last `reset`, subtracted in
    /// snapshots (the raw counters are never rewound, so the derived length
    /// stays right across a reset).
    base: CachePadded<Baseline>,
}

/// What senders write, on one line: the count itself, the peak length, and
/// the last `gone` (received plus evicted) a sender read.
///
/// Tracking the peak needs the length at every send, which needs the
/// receivers' counter; reading that counter on every send pulled its line
/// away from the receivers each time (`benches/core.rs`'s two-thread `spsc`
/// group shows the cost). `gone` only grows,
/// so `sent - gone_seen`, with an older reading, is an *upper* bound on the
/// length: while that bound is not above the peak, the length is not either,
/// and the receivers' line is left alone. A sender reads it again only when
/// the bound passes the peak (about once per `peak` sends in a steady
/// stream), so the recorded peak is exactly what reading it every time gives.
struct SendSide {
    sent: AtomicU64,
    peak_len: AtomicU64,
    /// The queue's capacity (`u64::MAX` when unbounded or not told): a peak
    /// that reached it cannot grow, so the check stops there. A full bounded
    /// queue, the usual state behind a fast producer, otherwise has its
    /// length at the peak and the bound past it on every send.
    limit: u64,
    /// A value `received + evicted` had at some point: never more than it
    /// is now. Relaxed stores from several senders may leave an older value
    /// than the newest read; that only loosens the bound.
    gone_seen: AtomicU64,
}

impl Default for SendSide {
    fn default() -> Self {
        Self {
            sent: AtomicU64::new(0),
            peak_len: AtomicU64::new(0),
            limit: u64::MAX,
            gone_seen: AtomicU64::new(0),
        }
    }
}

#[derive(Default)]
struct Baseline {
    sent: AtomicU64,
    stolen: AtomicU64,
    received: AtomicU64,
    dropped: AtomicU64,
    blocked_ns: [AtomicU64; 2],
}

/// The figures of a [`Counters`] sink at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CountersSnapshot {
    /// Messages stored in the channel.
    pub sent: u64,
    /// Messages taken by receivers.
    pub received: u64,
    /// Messages the channel dropped: incoming ones refused by `DropNewest`,
    /// queued ones evicted by `DropOldest`, and those still queued when the
    /// last receiver went.
    pub dropped: u64,
    /// Messages queued now.
    pub len: u64,
    /// The most messages queued at once since creation or the last reset,
    /// as the senders saw it: a receiver that has taken a message but not yet
    /// counted it makes the figure run ahead by one per such receiver, so it
    /// can exceed the capacity by the number of concurrent receivers.
    pub peak_len: u64,
    /// Messages moved between worker queues by stealing (work-stealing
    /// queues only; 0 otherwise).
    pub stolen: u64,
    /// Time spent parked by senders and receivers together
    /// (`send_blocked_time + recv_blocked_time`).
    pub blocked_time: Duration,
    /// Time spent parked by senders (waiting for room or for a taker),
    /// summed over all of them.
    pub send_blocked_time: Duration,
    /// Time spent parked by receivers (waiting for a message), summed over
    /// all of them.
    pub recv_blocked_time: Duration,
    /// Senders parked now.
    pub blocked_senders: usize,
    /// Receivers parked now.
    pub blocked_receivers: usize,
}

impl Counters {
    /// Messages that left the queue: received or evicted.
    #[inline]
    fn gone(&self) -> u64 {
        self.received.load(Ordering::Relaxed) + self.evicted.load(Ordering::Relaxed)
    }

    fn current_len(&self) -> u64 {
        let gone = self.gone();
        self.send_side
            .sent
            .load(Ordering::Relaxed)
            .saturating_sub(gone)
    }

    fn dropped_raw(&self) -> u64 {
        self.discarded.load(Ordering::Relaxed) + self.evicted.load(Ordering::Relaxed)
    }

    fn blocked_ns(&self, side: Side) -> &AtomicU64 {
        &self.blocked_ns[side_index(side)]
    }

    fn gauge(&self, side: Side) -> &AtomicUsize {
        match side {
            Side::Send => &self.blocked_senders,
            Side::Recv => &self.blocked_receivers,
        }
    }
}

/// The index of a side in per-side arrays.
fn side_index(side: Side) -> usize {
    match side {
        Side::Send => 0,
        Side::Recv => 1,
    }
}

impl MetricsSink for Counters {
    type Stamp = ();
    type BlockStamp = Instant;

    #[inline]
    fn stamp(&self) {}

    #[inline]
    fn on_send(&self) {
        let side = &self.send_side;
        let sent = side.sent.fetch_add(1, Ordering::Relaxed) + 1;
        let peak = side.peak_len.load(Ordering::Relaxed);
        // See `SendSide`: an upper bound first, the receivers' line only when
        // the bound says the length may be a new peak.
        if peak < side.limit && sent.saturating_sub(side.gone_seen.load(Ordering::Relaxed)) > peak {
            let gone = self.gone();
            side.gone_seen.store(gone, Ordering::Relaxed);
            // At most the capacity: a receive counted late (its pop done,
            // its `on_recv` not yet) can make the count one more.
            let len = sent.saturating_sub(gone).min(side.limit);
            if len > peak {
                side.peak_len.fetch_max(len, Ordering::Relaxed);
            }
        }
    }

    fn on_build(&mut self, capacity: Option<usize>) {
        // A rendezvous channel (capacity 0) counts a message handed over
        // as queued for a moment: no limit there.
        self.send_side.limit = match capacity {
            Some(capacity) if capacity > 0 => capacity as u64,
            _ => u64::MAX,
        };
    }

    #[inline]
    fn on_recv(&self, _: ()) {
        self.received.fetch_add(1, Ordering::Relaxed);
    }

    #[inline]
    fn on_discard(&self) {
        self.discarded.fetch_add(1, Ordering::Relaxed);
    }

    #[inline]
    fn on_evict(&self, _: ()) {
        self.evicted.fetch_add(1, Ordering::Relaxed);
    }

    #[inline]
    fn on_steal(&self, count: usize) {
        self.stolen.fetch_add(count as u64, Ordering::Relaxed);
    }

    #[inline]
    fn on_block(&self, side: Side) -> Instant {
        self.gauge(side).fetch_add(1, Ordering::Relaxed);
        Instant::now()
    }

    #[inline]
    fn on_unblock(&self, side: Side, since: Instant) {
        let ns = u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.blocked_ns(side).fetch_add(ns, Ordering::Relaxed);
        self.gauge(side).fetch_sub(1, Ordering::Relaxed);
    }
}

impl Report for Counters {
    type Snapshot = CountersSnapshot;

    fn snapshot(&self) -> CountersSnapshot {
        let since = |raw: u64, base: &AtomicU64| raw.saturating_sub(base.load(Ordering::Relaxed));
        let blocked = |side: Side| {
            let i = side_index(side);
            Duration::from_nanos(since(
                self.blocked_ns[i].load(Ordering::Relaxed),
                &self.base.blocked_ns[i],
            ))
        };
        let send_blocked_time = blocked(Side::Send);
        let recv_blocked_time = blocked(Side::Recv);
        CountersSnapshot {
            sent: since(self.send_side.sent.load(Ordering::Relaxed), &self.base.sent),
            received: since(self.received.load(Ordering::Relaxed), &self.base.received),
            dropped: since(self.dropped_raw(), &self.base.dropped),
            len: self.current_len(),
            peak_len: self.send_side.peak_len.load(Ordering::Relaxed),
            stolen: since(self.stolen.load(Ordering::Relaxed), &self.base.stolen),
            blocked_time: send_blocked_time + recv_blocked_time,
            send_blocked_time,
            recv_blocked_time,
            blocked_senders: self.blocked_senders.load(Ordering::Relaxed),
            blocked_receivers: self.blocked_receivers.load(Ordering::Relaxed),
        }
    }

    fn reset(&self) {
        self.base.sent.store(
            self.send_side.sent.load(Ordering::Relaxed),
            Ordering::Relaxed,
        );
        self.base
            .received
            .store(self.received.load(Ordering::Relaxed), Ordering::Relaxed);
        self.base
            .dropped
            .store(self.dropped_raw(), Ordering::Relaxed);
        for (base, raw) in self.base.blocked_ns.iter().zip(self.blocked_ns.iter()) {
            base.store(raw.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        self.send_side
            .peak_len
            .store(self.current_len(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The peak equals the largest length a model sees, whatever the mix of
    /// sends, receives, evictions and resets (the upper-bound shortcut in
    /// `on_send` must never skip a new peak).
    #[test]
    fn the_peak_is_exact_under_the_upper_bound_shortcut() {
        for seed in 0..400 {
            let mut rng = fastrand::Rng::with_seed(seed);
            let mut counters = Counters::default();
            // Half the runs on a bounded queue, whose capacity ends the
            // search for a new peak.
            let capacity = (seed % 2 == 1).then_some(8);
            counters.on_build(capacity);
            let (mut len, mut peak) = (0u64, 0u64);
            for _ in 0..400 {
                match rng.u8(0..10) {
                    0..=4 if capacity.is_none_or(|cap| len < cap as u64) => {
                        counters.on_send();
                        len += 1;
                        peak = peak.max(len);
                    }
                    5..=7 if len > 0 => {
                        counters.on_recv(());
                        len -= 1;
                    }
                    8 if len > 0 => {
                        counters.on_evict(());
                        len -= 1;
                    }
                    9 if rng.u8(0..8) == 0 => {
                        counters.reset();
                        peak = len;
                    }
                    _ => {}
                }
                let snapshot = counters.snapshot();
                assert_eq!(
                    (snapshot.len, snapshot.peak_len),
                    (len, peak),
                    "seed {seed}"
                );
            }
        }
    }
}
