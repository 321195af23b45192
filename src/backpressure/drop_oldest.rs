use super::{Backpressure, HasSend, OnFull, Sealed, ValidFor};
use crate::queue::BoundedKind;

/// Drops the oldest: on a full channel `send` evicts the oldest queued
/// message, drops it, counts it in the metrics sink (`on_evict`) and stores
/// the new one, so the channel keeps the newest messages. `force_send` does
/// the same but hands the evicted message back; `try_send` still hands the new
/// message back when full.
#[derive(Clone, Copy, Debug, Default)]
pub struct DropOldest;

impl Sealed for DropOldest {}
impl Backpressure for DropOldest {
    const ON_FULL: OnFull = OnFull::EvictOldest;
}
impl ValidFor<BoundedKind> for DropOldest {}
impl HasSend for DropOldest {}
