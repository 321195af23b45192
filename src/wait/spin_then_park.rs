use super::spin::spin_for;
use super::{Context, Pause, WaitStrategy};

/// The default: back off briefly, then park. On a thread it spins with
/// exponential backoff for four steps, then yields the thread twelve times
/// before it parks (a yield returns at once when nothing else wants the
/// core, and hands the core over when something does — the peer it waits
/// for, on a busy machine); in a coroutine it yields the coroutine a few
/// times, letting peers on the same worker run. Short waits finish without a
/// park/unpark round trip; long waits cost no CPU.
#[derive(Clone, Copy, Debug, Default)]
pub struct SpinThenPark;

/// Retries before parking on a thread: `spin_for` spins for the first four
/// and yields the thread for the rest. Sixteen rather than ten: with the
/// shorter spin, the extra yields keep a two-thread hand-off (one producer,
/// one consumer, capacity 0 or 1) from parking on every message
/// (`benches/peers.rs`'s thread `spsc`/cap1 shows it).
const THREAD_RETRIES: u32 = 16;
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
