use super::{Backpressure, OnFull, Sealed, ValidFor};
use crate::queue::{BoundedKind, LendingKind, NoEvictKind, RendezvousKind};

/// Refuses: a full channel hands the message back at once in
/// `TrySendError::Full`. Such channels have `try_send` and no `send`, so a
/// refusal is never mistaken for a disconnect.
#[derive(Clone, Copy, Debug, Default)]
pub struct Reject;

impl Sealed for Reject {}
impl Backpressure for Reject {
    const ON_FULL: OnFull = OnFull::Refuse;
}
impl ValidFor<BoundedKind> for Reject {}
impl ValidFor<LendingKind> for Reject {}
impl ValidFor<NoEvictKind> for Reject {}
impl ValidFor<RendezvousKind> for Reject {}
