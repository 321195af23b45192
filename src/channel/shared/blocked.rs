//! The metrics sink's bracket around one park.

use super::*;

/// Brackets one park for the metrics sink, also when a cancel unwinds
/// through it.
pub(super) struct BlockedGuard<'a, M: MetricsSink> {
    metrics: &'a M,
    side: Side,
    stamp: Option<M::BlockStamp>,
}

impl<'a, M: MetricsSink> BlockedGuard<'a, M> {
    pub(super) fn new(metrics: &'a M, side: Side) -> Self {
        Self {
            metrics,
            side,
            stamp: Some(metrics.on_block(side)),
        }
    }
}

impl<M: MetricsSink> Drop for BlockedGuard<'_, M> {
    fn drop(&mut self) {
        if let Some(stamp) = self.stamp.take() {
            self.metrics.on_unblock(self.side, stamp);
        }
    }
}
