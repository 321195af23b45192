use std::fmt;
use std::num::NonZeroU64;
use std::time::Duration;

use crossbeam_utils::CachePadded;

use super::{Clock, Histogram, MetricsSink, Report, Side};
use crate::metrics::HistogramSnapshot;
use crate::sync::{AtomicU64, Ordering};

/// Queueing latency: the time from `send` to `recv` of one message in
/// `SAMPLE` (16 by default), in a lock-free [`Histogram`] of nanoseconds.
///
/// A sampled message's stamp is its send time, read from the CPU's
/// time-stamp counter (calibrated once per process; the OS clock where the
/// counter is not invariant) just before it is offered to the queue, and
/// read back when a receiver takes it. Other messages carry an empty stamp
/// and cost a sender one counter step; their receive costs a test. A
/// message that is never received (evicted, or dropped with the channel)
/// records nothing.
///
/// Which messages are timed: after each timed one the sender skips a
/// pseudo-random number of messages, uniform in `0..=2 * (SAMPLE - 1)`, so
/// one in `SAMPLE` is timed on average and a periodic pattern (every 16th
/// message slow, bursts of 64) cannot line up with the choice. The first
/// message is always timed. `Latency<1>` times every message.
///
/// The figures describe the timed messages: `count` is how many were timed
/// (about one in `SAMPLE` of those received; exact message counts are
/// [`Counters`](super::Counters)'s), and the percentiles are those of the
/// sample, within 1/32 (3.125 %) of the sample's exact values (see
/// [`Histogram`]); the sample's own error is the usual one, a rank off by
/// about `sqrt(q (1 - q) / count)` (the tests bound it on known
/// distributions). `min`, `max` and `sum` are the sample's, exactly.
///
/// Cost: a sender steps a counter per message and reads the clock for a
/// timed one; a receiver of a timed message reads the clock and makes four
/// `Relaxed` atomic updates. Other flavours pay nothing, since their stamp
/// is `()`. Combine it with [`Counters`](super::Counters) as a tuple:
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
/// assert_eq!(latency.count, 1); // the first message is always timed
/// assert!(latency.p50 <= latency.max);
///
/// // Every message, at about twice the price of one in 16:
/// type Exact = Channel<Bounded<16>, may_channel::wait::SpinThenPark,
///                      may_channel::backpressure::Block, Latency<1>>;
/// let (tx, rx) = Exact::new();
/// for i in 0..100 {
///     tx.send(i).unwrap();
///     rx.recv().unwrap();
/// }
/// assert_eq!(rx.metrics().count, 100);
/// ```
///
/// `SAMPLE` must be at least 1; `Latency<0>` fails to build:
///
/// ```compile_fail,E0080
/// use may_channel::{Channel, metrics::Latency, queue::Bounded};
/// type Never = Channel<Bounded<16>, may_channel::wait::SpinThenPark,
///                      may_channel::backpressure::Block, Latency<0>>;
/// let (tx, rx) = Never::new::<u32>();
/// ```
pub struct Latency<const SAMPLE: u32 = 16> {
    /// What the senders touch, apart from what the receivers write.
    sender: CachePadded<Sampler>,
    /// The receivers' copy of the clock (the senders' is in `sender`).
    clock: Clock,
    histogram: Histogram,
}

/// The senders' state: which message to time next, and their clock.
struct Sampler {
    /// Messages still to skip before the next timed one.
    skip: AtomicU64,
    /// The pseudo-random sequence of skips (splitmix64's state).
    draws: AtomicU64,
    clock: Clock,
}

/// splitmix64's increment: an odd constant close to 2^64 / φ.
const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// splitmix64's output function: a well-mixed 64-bit value of `state`.
fn mix(state: u64) -> u64 {
    let mut z = state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Sampler {
    fn new(clock: Clock) -> Self {
        Self {
            skip: AtomicU64::new(0),
            draws: AtomicU64::new(0),
            clock,
        }
    }

    /// Whether to time the message being stamped.
    #[inline]
    fn take<const SAMPLE: u32>(&self) -> bool {
        // Relaxed loads and stores, not read-modify-writes: two senders that
        // race here may both time a message or both skip one, which moves
        // the choice, not the rate's order of magnitude, and no choice
        // depends on a message's latency. The sampler orders nothing.
        let skip = self.skip.load(Ordering::Relaxed);
        if skip > 0 {
            self.skip.store(skip - 1, Ordering::Relaxed);
            return false;
        }
        let state = self.draws.load(Ordering::Relaxed).wrapping_add(GOLDEN);
        self.draws.store(state, Ordering::Relaxed);
        // Uniform in 0..=2 * (SAMPLE - 1) (the high word times the range,
        // Lemire's reduction): one timed message per SAMPLE on average.
        let range = 2 * u128::from(SAMPLE) - 1;
        let skip = (u128::from(mix(state)) * range) >> 64;
        self.skip.store(skip as u64, Ordering::Relaxed);
        true
    }
}

/// The stamp a [`Latency`] sink keeps beside a queued message: the send
/// time in clock ticks when the message is timed, nothing otherwise. Eight
/// bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LatencyStamp(Option<NonZeroU64>);

static_assertions::assert_eq_size!(LatencyStamp, u64);

impl LatencyStamp {
    /// Whether the message is timed.
    pub fn is_timed(self) -> bool {
        self.0.is_some()
    }
}

/// The figures of a [`Latency`] sink at one moment (all zero when nothing
/// was timed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LatencySnapshot {
    /// Messages received and timed (one in the sink's `SAMPLE`).
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
    /// A sink that times one message in 16 (the default rate; name the
    /// type, `Latency::<1>::default()`, for another).
    pub fn new() -> Self {
        Self::default()
    }
}

impl<const SAMPLE: u32> Latency<SAMPLE> {
    /// One message in this many is timed.
    pub const SAMPLE: u32 = SAMPLE;

    fn with_clock(clock: Clock) -> Self {
        const {
            assert!(
                SAMPLE >= 1,
                "Latency<SAMPLE> times one message in SAMPLE: SAMPLE must be at least 1"
            )
        };
        Self {
            sender: CachePadded::new(Sampler::new(clock.clone())),
            clock,
            histogram: Histogram::new(),
        }
    }

    /// The histogram of latencies of the timed messages, in nanoseconds
    /// (for exporters and for figures the snapshot does not carry).
    pub fn histogram(&self) -> &Histogram {
        &self.histogram
    }
}

impl<const SAMPLE: u32> Default for Latency<SAMPLE> {
    fn default() -> Self {
        Self::with_clock(Clock::new())
    }
}

impl<const SAMPLE: u32> fmt::Debug for Latency<SAMPLE> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Latency")
            .field("sample", &SAMPLE)
            .field("timed", &self.snapshot())
            .finish()
    }
}

impl<const SAMPLE: u32> MetricsSink for Latency<SAMPLE> {
    type Stamp = LatencyStamp;
    type BlockStamp = ();

    #[inline]
    fn stamp(&self) -> LatencyStamp {
        if SAMPLE > 1 && !self.sender.take::<SAMPLE>() {
            return LatencyStamp(None);
        }
        // A counter at 0 would read as "not timed": call it 1 (a tick off).
        let ticks = self.sender.clock.ticks();
        LatencyStamp(Some(NonZeroU64::new(ticks).unwrap_or(NonZeroU64::MIN)))
    }
    #[inline]
    fn on_send(&self) {}
    #[inline]
    fn on_recv(&self, stamp: LatencyStamp) {
        if let LatencyStamp(Some(sent)) = stamp {
            let ns = self.clock.nanos_between(sent.get(), self.clock.ticks());
            self.histogram.record(ns);
        }
    }
    #[inline]
    fn on_discard(&self) {}
    #[inline]
    fn on_evict(&self, _: LatencyStamp) {}
    #[inline]
    fn on_block(&self, _: Side) {}
    #[inline]
    fn on_unblock(&self, _: Side, _: ()) {}
}

impl<const SAMPLE: u32> Report for Latency<SAMPLE> {
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
    use std::sync::Arc;

    use super::*;

    /// A sink on a clock the test moves, started well away from zero.
    fn mocked<const SAMPLE: u32>() -> (Latency<SAMPLE>, Arc<quanta::Mock>) {
        let (clock, mock) = Clock::mock();
        mock.increment(1_000_000_000);
        (Latency::with_clock(clock), mock)
    }

    /// Sends and receives one message per delay (each received `delay` ns
    /// after it was stamped); returns the delays of the timed messages.
    fn drive<const SAMPLE: u32>(
        sink: &Latency<SAMPLE>,
        mock: &quanta::Mock,
        delays: &[u64],
    ) -> Vec<u64> {
        let mut timed = Vec::new();
        for &delay in delays {
            let stamp = sink.stamp();
            sink.on_send();
            mock.increment(delay);
            if stamp.is_timed() {
                timed.push(delay);
            }
            sink.on_recv(stamp);
        }
        timed
    }

    /// The exact nearest-rank `q`-quantile of sorted values.
    fn exact(sorted: &[u64], q: f64) -> u64 {
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }

    /// xorshift64: a fixed pseudo-random sequence.
    fn xorshift(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    /// A known distribution with a body and two tails: 95 % uniform in
    /// 1-5 µs, 4.9 % in 10-100 µs, 0.1 % in 1-10 ms, in pseudo-random order.
    fn known_delays(n: usize) -> Vec<u64> {
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        (0..n)
            .map(|_| {
                let pick = xorshift(&mut x) % 1000;
                let within = xorshift(&mut x);
                let (low, high) = match pick {
                    0..950 => (1_000, 5_000),
                    950..999 => (10_000, 100_000),
                    _ => (1_000_000, 10_000_000),
                };
                low + within % (high - low)
            })
            .collect()
    }

    const QUANTILES: [f64; 4] = [0.5, 0.9, 0.99, 0.999];

    fn percentiles(s: &LatencySnapshot) -> [u64; 4] {
        [s.p50, s.p90, s.p99, s.p999].map(|d| d.as_nanos() as u64)
    }

    #[test]
    fn records_on_receive_only() {
        let sink = Latency::new();
        let stamp = sink.stamp();
        assert!(stamp.is_timed(), "the first message is timed");
        sink.on_evict(sink.stamp());
        sink.on_recv(stamp);
        let s = sink.snapshot();
        assert_eq!(s.count, 1);
        assert!(s.min <= s.p50 && s.p50 <= s.max);
        sink.reset();
        assert_eq!(sink.snapshot(), LatencySnapshot::default());
    }

    #[test]
    fn every_message_timed_percentiles_within_the_histogram_error() {
        let (sink, mock) = mocked::<1>();
        let mut delays = known_delays(100_000);
        assert_eq!(drive(&sink, &mock, &delays).len(), delays.len());
        delays.sort_unstable();
        let s = sink.snapshot();
        assert_eq!(s.count, delays.len() as u64);
        assert_eq!(s.sum, Duration::from_nanos(delays.iter().sum()));
        assert_eq!(s.min, Duration::from_nanos(delays[0]));
        assert_eq!(s.max, Duration::from_nanos(delays[delays.len() - 1]));
        for (q, estimate) in QUANTILES.into_iter().zip(percentiles(&s)) {
            let exact = exact(&delays, q);
            assert!(
                estimate.abs_diff(exact) <= exact / 32,
                "q={q}: {estimate} against {exact}"
            );
        }
    }

    #[test]
    fn one_message_in_sample_is_timed() {
        fn timed<const SAMPLE: u32>(n: usize) -> usize {
            let (sink, mock) = mocked::<SAMPLE>();
            drive(&sink, &mock, &vec![1; n]).len()
        }
        assert_eq!(timed::<1>(1_000), 1_000);
        // Skips are uniform in 0..=2 (SAMPLE - 1): a count within 5 % of
        // n / SAMPLE is 8 standard deviations wide (and the sequence is
        // fixed, so the figure is the same on every run).
        for (n, got, sample) in [
            (160_000, timed::<2>(160_000), 2),
            (160_000, timed::<16>(160_000), 16),
            (160_000, timed::<100>(160_000), 100),
        ] {
            let expected = n / sample;
            assert!(
                got.abs_diff(expected) <= expected / 20,
                "1 in {sample}: {got} timed of {n}"
            );
        }
    }

    #[test]
    fn sampled_percentiles_track_the_full_distribution() {
        let (sink, mock) = mocked::<16>();
        let mut delays = known_delays(320_000);
        let mut timed = drive(&sink, &mock, &delays);
        delays.sort_unstable();
        timed.sort_unstable();
        let s = sink.snapshot();
        assert_eq!(s.count, timed.len() as u64);
        let n = timed.len() as f64;
        for (q, estimate) in QUANTILES.into_iter().zip(percentiles(&s)) {
            // Against the sample: the histogram's own error.
            let of_sample = exact(&timed, q);
            assert!(
                estimate.abs_diff(of_sample) <= of_sample / 32,
                "q={q}: {estimate} against the sample's {of_sample}"
            );
            // Against every message: the sample's q-quantile is the full
            // distribution's at q give or take about sqrt(q (1 - q) / n) in
            // rank; allow four of those, and the histogram's 1/32.
            let band = 4.0 * (q * (1.0 - q) / n).sqrt();
            let low = exact(&delays, q - band);
            let high = exact(&delays, (q + band).min(1.0));
            assert!(
                low - low / 32 <= estimate && estimate <= high + high / 32,
                "q={q}: {estimate} outside [{low}, {high}] of all messages"
            );
        }
    }

    #[test]
    fn a_periodic_pattern_does_not_line_up_with_the_sample() {
        // Every `period`-th message is slow. A fixed "every 16th" choice
        // would time only slow ones or none; the random skips must see
        // their true share.
        for period in [2u64, 15, 16, 17, 31, 32] {
            let (sink, mock) = mocked::<16>();
            let delays: Vec<u64> = (0..320_000u64)
                .map(|i| if i % period == 0 { 1_000_000 } else { 1_000 })
                .collect();
            let timed = drive(&sink, &mock, &delays);
            let slow = timed.iter().filter(|&&d| d == 1_000_000).count() as f64;
            let n = timed.len() as f64;
            let share = 1.0 / period as f64;
            let sigma = (share * (1.0 - share) / n).sqrt();
            assert!(
                (slow / n - share).abs() <= 4.0 * sigma,
                "period {period}: {slow} slow of {n} timed"
            );
        }
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
