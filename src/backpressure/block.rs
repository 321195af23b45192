use super::{Backpressure, HasSend, HasSendTimeout, OnFull, Sealed, ValidFor};
use crate::queue::{BoundedKind, LendingKind, NoEvictKind, RendezvousKind};

/// Waits for room: on a full channel `send` waits (parking the coroutine or
/// thread) until a receiver makes room, the deadline passes, or the receivers
/// are gone. On a rendezvous channel it waits until a receiver takes the
/// message. The default for bounded and rendezvous queues.
#[derive(Clone, Copy, Debug, Default)]
pub struct Block;

impl Sealed for Block {}
impl Backpressure for Block {
    const ON_FULL: OnFull = OnFull::Wait;
}
impl ValidFor<BoundedKind> for Block {}
impl ValidFor<LendingKind> for Block {}
impl ValidFor<NoEvictKind> for Block {}
impl ValidFor<RendezvousKind> for Block {}
impl HasSend for Block {}
impl HasSendTimeout for Block {}
