use crossbeam_utils::Backoff;

use super::{Context, Pause, WaitStrategy};

/// Never parks: retries with exponential spinning on a thread, and yields the
/// coroutine between retries inside may (spinning there would hold the worker
/// thread the peer needs).
#[derive(Clone, Copy, Debug, Default)]
pub struct Spin;

impl WaitStrategy for Spin {
    #[inline]
    fn pause(&self, attempt: u32, context: Context) -> Pause {
        match context {
            Context::Coroutine => context.yield_now(),
            Context::Thread => spin_for(attempt),
        }
        Pause::Retry
    }
}

/// Spins for about `2^min(attempt, 6)` pause instructions, then yields the
/// thread, as `crossbeam_utils::Backoff::snooze` does.
pub(super) fn spin_for(attempt: u32) {
    let backoff = Backoff::new();
    for _ in 0..attempt.min(7) {
        backoff.snooze();
    }
    backoff.snooze();
}
