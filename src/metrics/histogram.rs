//! A lock-free log-linear histogram of `u64` values (HDR-like).

use std::fmt;

use crate::sync::{AtomicU64, Ordering};

/// Bits of sub-bucket resolution: each power of two (octave) is split into
/// `2^SUB_BITS` equal buckets.
const SUB_BITS: u32 = 4;
/// Buckets per octave.
const SUB_BUCKETS: usize = 1 << SUB_BITS;
/// Values at or above `2^TOP_BITS` share the last bucket (as nanoseconds,
/// `2^37` ns is about 137 s).
const TOP_BITS: u32 = 37;
/// The number of buckets: `2^SUB_BITS` exact ones for the smallest values,
/// `2^SUB_BITS` per octave from `2^SUB_BITS` up to `2^TOP_BITS`, and one
/// open-ended bucket for everything above.
pub const BUCKETS: usize = (TOP_BITS - SUB_BITS + 1) as usize * SUB_BUCKETS + 1;

/// A histogram of `u64` values (for [`Latency`](super::Latency):
/// nanoseconds) in a fixed array of atomic buckets.
///
/// # Layout and accuracy
/// Values below 16 have a bucket each (exact). Above that, every power of
/// two `[2^k, 2^(k+1))` is cut into 16 equal buckets, up to `2^37`
/// (about 137 s in nanoseconds); larger values share one last bucket. That
/// is [`BUCKETS`] (545) buckets, about 4.3 KiB, covering 1 ns to 137 s with a
/// bucket width of at most 1/16 of its lower bound.
///
/// [`HistogramSnapshot::quantile`] reports the middle of the bucket that
/// holds the wanted rank, clamped to the exact minimum and maximum, so it is
/// within **1/32 (3.125 %)** of the exact nearest-rank quantile for every
/// value below `2^37`; above that it is the exact maximum or an estimate
/// capped at it. `count`, `sum`, `min` and `max` are exact.
///
/// # Concurrency
/// [`record`](Self::record) is wait-free (a few `Relaxed` read-modify-writes)
/// and may run from any number of threads and coroutines at once. A
/// [`snapshot`](Self::snapshot) taken meanwhile is a best-effort picture:
/// each bucket is read once, so a value recorded during the snapshot may be
/// in it or not, and `sum` may disagree with the buckets by the values in
/// flight. `count` is the sum of the buckets as read, so it always agrees
/// with them.
///
/// ```
/// use may_channel::metrics::Histogram;
///
/// let h = Histogram::new();
/// for v in 1..=1000u64 {
///     h.record(v * 1_000);
/// }
/// let s = h.snapshot();
/// assert_eq!(s.count(), 1000);
/// let p50 = s.quantile(0.5) as f64;
/// assert!((p50 - 500_000.0).abs() <= 500_000.0 / 32.0);
/// ```
pub struct Histogram {
    buckets: Box<[AtomicU64]>,
    sum: AtomicU64,
    min: AtomicU64,
    max: AtomicU64,
}

/// The bucket a value falls in.
fn bucket_of(value: u64) -> usize {
    if value < SUB_BUCKETS as u64 {
        return value as usize;
    }
    let msb = 63 - value.leading_zeros();
    if msb >= TOP_BITS {
        return BUCKETS - 1;
    }
    let shift = msb - SUB_BITS;
    // `mantissa` is in [2^SUB_BITS, 2^(SUB_BITS + 1)): the octave's first
    // bucket index is `shift * 2^SUB_BITS + 2^SUB_BITS`, and the mantissa
    // adds the position within it.
    let mantissa = (value >> shift) as usize;
    ((shift as usize) << SUB_BITS) + mantissa
}

/// The smallest value of bucket `index`.
fn bucket_low(index: usize) -> u64 {
    if index < SUB_BUCKETS {
        return index as u64;
    }
    let shift = (index >> SUB_BITS) - 1;
    let mantissa = (index & (SUB_BUCKETS - 1)) + SUB_BUCKETS;
    (mantissa as u64) << shift
}

/// The number of values bucket `index` holds (`u64::MAX` for the last,
/// open-ended one).
fn bucket_width(index: usize) -> u64 {
    if index == BUCKETS - 1 {
        u64::MAX
    } else if index < SUB_BUCKETS {
        1
    } else {
        1 << ((index >> SUB_BITS) - 1)
    }
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0),
            min: AtomicU64::new(u64::MAX),
            max: AtomicU64::new(0),
        }
    }

    /// Records one value. Wait-free.
    #[inline]
    pub fn record(&self, value: u64) {
        // Relaxed everywhere: each figure is a statistic read on its own;
        // nothing else is published through them.
        self.buckets[bucket_of(value)].fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(value, Ordering::Relaxed);
        // A plain load first: once min and max have settled, almost every
        // value leaves them alone, and a load does not take the line
        // exclusive.
        if value < self.min.load(Ordering::Relaxed) {
            self.min.fetch_min(value, Ordering::Relaxed);
        }
        if value > self.max.load(Ordering::Relaxed) {
            self.max.fetch_max(value, Ordering::Relaxed);
        }
    }

    /// Forgets every value. A value recorded concurrently may survive the
    /// reset in part (its bucket but not its sum, say); the next reset or
    /// the next quiet moment sets that right.
    pub fn reset(&self) {
        // Relaxed: see `record`.
        for bucket in self.buckets.iter() {
            bucket.store(0, Ordering::Relaxed);
        }
        self.sum.store(0, Ordering::Relaxed);
        self.min.store(u64::MAX, Ordering::Relaxed);
        self.max.store(0, Ordering::Relaxed);
    }

    /// A copy of the histogram at one moment (see the type's docs for what
    /// "moment" means under concurrent recording).
    pub fn snapshot(&self) -> HistogramSnapshot {
        // Relaxed: see `record`.
        let buckets: Box<[u64]> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let count = buckets.iter().sum();
        HistogramSnapshot {
            buckets,
            count,
            sum: self.sum.load(Ordering::Relaxed),
            min: self.min.load(Ordering::Relaxed),
            max: self.max.load(Ordering::Relaxed),
        }
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Histogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.snapshot().fmt(f)
    }
}

/// The values of a [`Histogram`] at one moment.
#[derive(Clone, PartialEq, Eq)]
pub struct HistogramSnapshot {
    buckets: Box<[u64]>,
    count: u64,
    sum: u64,
    min: u64,
    max: u64,
}

impl HistogramSnapshot {
    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Their sum (wrapping on overflow, which takes 584 years of
    /// nanoseconds).
    pub fn sum(&self) -> u64 {
        self.sum
    }

    /// The smallest value, `None` when empty.
    pub fn min(&self) -> Option<u64> {
        (self.count > 0).then_some(self.min.min(self.max))
    }

    /// The largest value, `None` when empty.
    pub fn max(&self) -> Option<u64> {
        (self.count > 0).then_some(self.max)
    }

    /// The `q`-quantile (`q` in `[0, 1]`, clamped), nearest-rank: an
    /// estimate of the value at rank `max(1, ceil(q * count))` in sorted
    /// order, within 1/32 of it (see [`Histogram`]); exact for the first and
    /// last ranks (the minimum and maximum). 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let q = if q.is_nan() { 0.0 } else { q.clamp(0.0, 1.0) };
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let (min, max) = (self.min.min(self.max), self.max);
        // The extreme ranks are known exactly.
        if rank == 1 {
            return min;
        }
        if rank == self.count {
            return max;
        }
        let mut seen = 0;
        for (index, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let low = bucket_low(index);
                let mid = low.saturating_add(bucket_width(index) / 2);
                return mid.clamp(min, max);
            }
        }
        max
    }

    /// Values at or below `bound`, exact when `bound + 1` starts a bucket
    /// (see [`bucket_bounds`](Self::bucket_bounds)), otherwise counting the
    /// whole bucket that holds `bound`.
    pub fn count_at_or_below(&self, bound: u64) -> u64 {
        let last = bucket_of(bound);
        self.buckets[..=last].iter().sum()
    }

    /// The non-empty buckets, as `(lowest value, highest value, count)`.
    pub fn bucket_bounds(&self) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        self.buckets
            .iter()
            .enumerate()
            .filter(|&(_, &n)| n > 0)
            .map(|(i, &n)| {
                let low = bucket_low(i);
                (low, low.saturating_add(bucket_width(i) - 1), n)
            })
    }
}

impl fmt::Debug for HistogramSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HistogramSnapshot")
            .field("count", &self.count)
            .field("sum", &self.sum)
            .field("min", &self.min())
            .field("max", &self.max())
            .field("p50", &self.quantile(0.5))
            .field("p99", &self.quantile(0.99))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_bounded() {
        assert_eq!(BUCKETS, 545);
        for index in 0..BUCKETS - 1 {
            let low = bucket_low(index);
            let next = bucket_low(index + 1);
            assert_eq!(low + bucket_width(index), next, "bucket {index}");
            assert_eq!(bucket_of(low), index);
            assert_eq!(bucket_of(next - 1), index);
            // The width bound the docs promise.
            assert!(bucket_width(index) * 16 <= low.max(16), "bucket {index}");
        }
        assert_eq!(bucket_low(BUCKETS - 1), 1 << 37);
        assert_eq!(bucket_of((1 << 37) - 1), BUCKETS - 2);
        assert_eq!(bucket_of(1 << 37), BUCKETS - 1);
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn empty_snapshot() {
        let s = Histogram::new().snapshot();
        assert_eq!((s.count(), s.sum(), s.min(), s.max()), (0, 0, None, None));
        assert_eq!(s.quantile(0.5), 0);
    }

    #[test]
    fn small_values_are_exact() {
        let h = Histogram::new();
        for v in [3, 1, 2, 15] {
            h.record(v);
        }
        let s = h.snapshot();
        assert_eq!(s.quantile(0.0), 1);
        assert_eq!(s.quantile(0.5), 2);
        assert_eq!(s.quantile(0.75), 3);
        assert_eq!(s.quantile(1.0), 15);
        assert_eq!(
            (s.count(), s.sum(), s.min(), s.max()),
            (4, 21, Some(1), Some(15))
        );
    }

    #[test]
    fn huge_values_report_the_max() {
        let h = Histogram::new();
        h.record(500_000_000_000);
        let s = h.snapshot();
        assert_eq!(s.quantile(0.99), 500_000_000_000);
    }

    #[test]
    fn reset_forgets() {
        let h = Histogram::new();
        h.record(1000);
        h.reset();
        let s = h.snapshot();
        assert_eq!((s.count(), s.max()), (0, None));
    }
}
