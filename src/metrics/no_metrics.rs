use super::{MetricsSink, Side};

/// Records nothing. Zero-sized; every hook is an empty `#[inline]` function,
/// and its stamps are `()`, so queued messages carry no extra bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoMetrics;

static_assertions::assert_eq_size!(NoMetrics, ());

impl MetricsSink for NoMetrics {
    type Stamp = ();
    type BlockStamp = ();

    #[inline(always)]
    fn stamp(&self) {}
    #[inline(always)]
    fn on_send(&self) {}
    #[inline(always)]
    fn on_recv(&self, _: ()) {}
    #[inline(always)]
    fn on_discard(&self) {}
    #[inline(always)]
    fn on_evict(&self, _: ()) {}
    #[inline(always)]
    fn on_block(&self, _: Side) {}
    #[inline(always)]
    fn on_unblock(&self, _: Side, _: ()) {}
}
