//! Bulk drops that contain panicking messages.

use std::panic::AssertUnwindSafe;

/// Drops the messages a channel discards in bulk (its last receiver's drain,
/// its own drop), one by one, so that a message whose `Drop` panics neither
/// leaks the rest nor, by a second panic while the first unwinds, aborts the
/// process: each drop runs under `catch_unwind`, and the first panic is
/// resumed once every message is dropped (later ones are discarded). On a
/// thread that is already unwinding, nothing is resumed (that would abort).
pub(super) struct DropAll {
    first_panic: Option<Box<dyn std::any::Any + Send>>,
}

impl DropAll {
    pub(super) fn new() -> Self {
        Self { first_panic: None }
    }

    pub(super) fn drop_one<M>(&mut self, msg: M) {
        // `AssertUnwindSafe`: the closure owns the message and touches
        // nothing else, so nothing is left half-updated if it unwinds.
        let Err(payload) = std::panic::catch_unwind(AssertUnwindSafe(move || drop(msg))) else {
            return;
        };
        if self.first_panic.is_none() {
            self.first_panic = Some(payload);
        } else {
            // A payload's own drop may panic too: contained the same way.
            let _ = std::panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
        }
    }

    pub(super) fn finish(self) {
        if let Some(payload) = self.first_panic {
            if !std::thread::panicking() {
                std::panic::resume_unwind(payload);
            }
        }
    }
}
