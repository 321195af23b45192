use std::fmt;
use std::time::{Duration, Instant};

use super::{Histogram, MetricsSink, Report, Side};
use crate::metrics::HistogramSnapshot;

/// Queueing latency: the time from `send` to `recv` of every message, in a
/// lock-free [`Histogram`] of nanoseconds.
///
/// Its stamp is the send time (an [`Instant`], taken just before the message
/// is offered to the queue), kept beside the message and read back when a
/// receiver takes it; a message that is never received (evicted, or dropped
/// with the channel) records nothing. Percentiles are within 1/32 (3.125 %)
/// of the exact value (see [`Histogram`]); count, sum, min and max are exact.
///
/// The cost is two clock reads per message (one per side) and four
/// `Relaxed` atomic updates on receive; other flavours pay nothing, since
/// their stamp is `()`. Combine it with [`Counters`](super::Counters) as a
/// tuple:
///
/// ```
/// use may_channel::{Channel, metrics::{Counters, Latency}, queue::Bounded};
///
/// type Timed = Channel<Bounded<16>, may_channel::wait::SpinThenPark,
///                      may_channel::backpressure::Block, (Counters, Latency)>;
/// let (tx, rx) = Timed::new();
/// tx.send(1).unwrap();
/// rx.recv().unwrap();
/// let (counters, latency) = rx.metrics();
/// assert_eq!(counters.received, 1);
/// assert_eq!(latency.count, 1);
/// assert!(latency.p50 <= latency.max);
/// ```
#[derive(Default)]
pub struct Latency {
    histogram: Histogram,
}

/// The figures of a [`Latency`] sink at one moment (all zero when nothing
/// was received).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LatencySnapshot {
    /// Messages received (and timed).
    pub count: u64,
    /// Their total queueing time.
    pub sum: Duration,
    /// The shortest.
    pub min: Duration,
    /// The longest.
    pub max: Duration,
    /// Median.
    pub p50: Duration,
    /// 90th percentile.
    pub p90: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// 99.9th percentile.
    pub p999: Duration,
}

impl LatencySnapshot {
    /// The summary of a histogram of nanoseconds.
    pub fn from_histogram(h: &HistogramSnapshot) -> Self {
        let q = |q| Duration::from_nanos(h.quantile(q));
        Self {
            count: h.count(),
            sum: Duration::from_nanos(h.sum()),
            min: Duration::from_nanos(h.min().unwrap_or(0)),
            max: Duration::from_nanos(h.max().unwrap_or(0)),
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            p999: q(0.999),
        }
    }

    /// The mean, zero when nothing was received.
    pub fn mean(&self) -> Duration {
        match u32::try_from(self.count) {
            Ok(0) => Duration::ZERO,
            Ok(n) => self.sum / n,
            Err(_) => Duration::from_secs_f64(self.sum.as_secs_f64() / self.count as f64),
        }
    }
}

impl Latency {
    /// The histogram of latencies, in nanoseconds (for exporters and for
    /// figures the snapshot does not carry).
    pub fn histogram(&self) -> &Histogram {
        &self.histogram
    }
}

impl fmt::Debug for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Latency").field(&self.snapshot()).finish()
    }
}

impl MetricsSink for Latency {
    type Stamp = Instant;
    type BlockStamp = ();

    #[inline]
    fn stamp(&self) -> Instant {
        Instant::now()
    }
    #[inline]
    fn on_send(&self) {}
    #[inline]
    fn on_recv(&self, sent: Instant) {
        let ns = u64::try_from(sent.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.histogram.record(ns);
    }
    #[inline]
    fn on_discard(&self) {}
    #[inline]
    fn on_evict(&self, _: Instant) {}
    #[inline]
    fn on_block(&self, _: Side) {}
    #[inline]
    fn on_unblock(&self, _: Side, _: ()) {}
}

impl Report for Latency {
    type Snapshot = LatencySnapshot;

    fn snapshot(&self) -> LatencySnapshot {
        LatencySnapshot::from_histogram(&self.histogram.snapshot())
    }

    fn reset(&self) {
        self.histogram.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_on_receive_only() {
        let sink = Latency::default();
        let stamp = sink.stamp();
        sink.on_evict(sink.stamp());
        sink.on_recv(stamp);
        let s = sink.snapshot();
        assert_eq!(s.count, 1);
        assert!(s.min <= s.p50 && s.p50 <= s.max);
        sink.reset();
        assert_eq!(sink.snapshot(), LatencySnapshot::default());
    }

    #[test]
    fn mean() {
        let h = Histogram::new();
        h.record(1_000);
        h.record(3_000);
        let s = LatencySnapshot::from_histogram(&h.snapshot());
        assert_eq!(s.mean(), Duration::from_nanos(2_000));
        assert_eq!(LatencySnapshot::default().mean(), Duration::ZERO);
    }
}
