use super::{Context, Pause, WaitStrategy};

/// Parks at the first failed attempt: no CPU spent waiting, at the cost of a
/// park/unpark round trip for every wait.
#[derive(Clone, Copy, Debug, Default)]
pub struct Park;

impl WaitStrategy for Park {
    #[inline]
    fn pause(&self, _attempt: u32, _context: Context) -> Pause {
        Pause::Park
    }
}
