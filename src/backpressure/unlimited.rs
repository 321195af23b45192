use super::{Backpressure, HasSend, HasSendTimeout, OnFull, Sealed, ValidFor};
use crate::queue::UnboundedKind;

/// No limit: the only policy for an unbounded queue, which is never full;
/// `send` never waits.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unlimited;

impl Sealed for Unlimited {}
impl Backpressure for Unlimited {
    const ON_FULL: OnFull = OnFull::NeverFull;
}
impl ValidFor<UnboundedKind> for Unlimited {}
impl HasSend for Unlimited {}
impl HasSendTimeout for Unlimited {}
