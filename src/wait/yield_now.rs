use super::{Context, Pause, WaitStrategy};

/// Never parks: yields the thread (or the coroutine) before every retry.
#[derive(Clone, Copy, Debug, Default)]
pub struct Yield;

impl WaitStrategy for Yield {
    #[inline]
    fn pause(&self, _attempt: u32, context: Context) -> Pause {
        context.yield_now();
        Pause::Retry
    }
}
