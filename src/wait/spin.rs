use crossbeam_utils::Backoff;

use super::{Context, Pause, WaitStrategy};

/// On a thread: never parks; retries with exponential spinning, then
/// yields the thread between retries. In a coroutine: yields the coroutine
/// between retries and parks after [`COROUTINE_YIELDS`](super::COROUTINE_YIELDS)
/// of them (see the [module docs](super) for why a coroutine cannot wait by
/// yielding alone).
#[derive(Clone, Copy, Debug, Default)]
pub struct Spin;

impl WaitStrategy for Spin {
    #[inline]
    fn pause(&self, attempt: u32, context: Context) -> Pause {
        match context {
            Context::Coroutine => context.yield_or_park(attempt),
            Context::Thread => {
                spin_for(attempt);
                Pause::Retry
            }
        }
    }
}

/// Backs off for failed attempt number `attempt`: spins about
/// `2^(attempt + 1)` pause instructions for the first four attempts (through
/// `crossbeam_utils::Backoff`, 30 pauses in all), then yields the thread.
///
/// Four, not the seven of `Backoff::snooze`: when more threads wait than
/// there are cores (four producers and a consumer on two cores, say), a
/// spinning waiter burns the time slice the thread it waits for needs, and a
/// yield hands it over (`benches/peers.rs`'s thread `mpsc`/`mpmc` at
/// capacity 0 and 1 are the workloads that show it).
pub(super) fn spin_for(attempt: u32) {
    const SPIN_ATTEMPTS: u32 = 4;
    if attempt >= SPIN_ATTEMPTS {
        std::thread::yield_now();
        return;
    }
    let backoff = Backoff::new();
    for _ in 0..=attempt {
        backoff.spin();
    }
}
