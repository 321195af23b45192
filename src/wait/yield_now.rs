use super::{Context, Pause, WaitStrategy};

/// On a thread: never parks; yields the thread before every retry. In a
/// coroutine: yields the coroutine before every retry and parks after
/// [`COROUTINE_YIELDS`](super::COROUTINE_YIELDS) of them (see the
/// [module docs](super) for why).
#[derive(Clone, Copy, Debug, Default)]
pub struct Yield;

impl WaitStrategy for Yield {
    #[inline]
    fn pause(&self, attempt: u32, context: Context) -> Pause {
        match context {
            Context::Coroutine => context.yield_or_park(attempt),
            Context::Thread => {
                context.yield_now();
                Pause::Retry
            }
        }
    }
}
