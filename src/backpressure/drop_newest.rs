use super::{Backpressure, HasSend, OnFull, Sealed, ValidFor};
use crate::queue::{BoundedKind, LendingKind, NoEvictKind};

/// Drops the newest: on a full channel `send` drops the incoming message,
/// counts it in the metrics sink (`on_discard`) and returns `Ok`, for streams
/// where the oldest data matters most. `try_send` still hands the message back.
#[derive(Clone, Copy, Debug, Default)]
pub struct DropNewest;

impl Sealed for DropNewest {}
impl Backpressure for DropNewest {
    const ON_FULL: OnFull = OnFull::DiscardIncoming;
}
impl ValidFor<BoundedKind> for DropNewest {}
impl ValidFor<LendingKind> for DropNewest {}
impl ValidFor<NoEvictKind> for DropNewest {}
impl HasSend for DropNewest {}
