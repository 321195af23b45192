use super::spin::spin_for;
use super::{Context, Pause, WaitStrategy};

/// The default: back off briefly, then park. On a thread it spins with
/// exponential backoff and then yields the thread a few times (as
/// `crossbeam_utils::Backoff::snooze` does, about ten steps in all); in a
/// coroutine it yields the coroutine a few times, letting peers on the same
/// worker run. Short waits finish without a park/unpark round trip; long
/// waits cost no CPU.
#[derive(Clone, Copy, Debug, Default)]
pub struct SpinThenPark;

/// Retries before parking on a thread: `spin_for` spins for the first seven
/// and yields the thread for the rest.
const THREAD_RETRIES: u32 = 10;
/// Retries before parking in a coroutine: each yields the coroutine.
const COROUTINE_RETRIES: u32 = 6;

impl WaitStrategy for SpinThenPark {
    #[inline]
    fn pause(&self, attempt: u32, context: Context) -> Pause {
        match context {
            Context::Thread if attempt < THREAD_RETRIES => spin_for(attempt),
            Context::Coroutine if attempt < COROUTINE_RETRIES => context.yield_now(),
            _ => return Pause::Park,
        }
        Pause::Retry
    }
}
