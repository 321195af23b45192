use super::spin::spin_for;
use super::{Context, Pause, WaitStrategy};

/// The default: a few short spins (on a thread) or yields (in a coroutine),
/// then park. Short waits finish without a park/unpark round trip; long waits
/// cost no CPU.
#[derive(Clone, Copy, Debug, Default)]
pub struct SpinThenPark;

/// Retries before parking: on a thread, spins growing to a few microseconds in
/// all; in a coroutine, yields that let peers on the same worker run.
const RETRIES: u32 = 6;

impl WaitStrategy for SpinThenPark {
    #[inline]
    fn pause(&self, attempt: u32, context: Context) -> Pause {
        if attempt >= RETRIES {
            return Pause::Park;
        }
        match context {
            Context::Coroutine => context.yield_now(),
            Context::Thread => spin_for(attempt),
        }
        Pause::Retry
    }
}
