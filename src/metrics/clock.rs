//! The clock the timing sinks read: [`Latency`](super::Latency) and the
//! debugger's [`History`](crate::debug::History).
//!
//! `std::time::Instant::now()` is a `clock_gettime` call: about 40 ns on a
//! virtual machine, more than a whole send and receive. This clock reads
//! the CPU's time-stamp counter instead (quanta's `Clock`, one `rdtsc` on
//! x86-64, `cntvct_el0` on AArch64), calibrated once per process against
//! the OS monotonic clock; ticks become nanoseconds with one multiply and
//! shift. quanta uses the counter only where the CPU says it is invariant
//! (constant rate, synchronised across cores); elsewhere it falls back to
//! the OS clock, which costs what `Instant` does.

use std::sync::OnceLock;

/// A calibrated tick source. Cheap to copy into each sink (no allocation,
/// no shared state on the hot path).
#[derive(Clone, Debug)]
pub(crate) struct Clock(quanta::Clock);

impl Clock {
    /// The process's clock. The first call calibrates the counter (a busy
    /// loop of about a millisecond, at most 200 ms on a loaded machine);
    /// later calls copy it.
    pub(crate) fn new() -> Self {
        static CLOCK: OnceLock<quanta::Clock> = OnceLock::new();
        Self(CLOCK.get_or_init(quanta::Clock::new).clone())
    }

    /// A clock that moves only when the test moves it.
    #[cfg(test)]
    pub(crate) fn mock() -> (Self, std::sync::Arc<quanta::Mock>) {
        let (clock, mock) = quanta::Clock::mock();
        (Self(clock), mock)
    }

    /// The time now, in ticks (not nanoseconds).
    #[inline]
    pub(crate) fn ticks(&self) -> u64 {
        self.0.raw()
    }

    /// Nanoseconds from `start` to `end` (ticks of this clock); 0 when `end`
    /// is not later (counters of two cores a few ticks apart).
    #[inline]
    pub(crate) fn nanos_between(&self, start: u64, end: u64) -> u64 {
        self.0.delta_as_nanos(start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_convert_to_the_os_clock_s_nanoseconds() {
        let clock = Clock::new();
        let wall = std::time::Instant::now();
        let start = clock.ticks();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let end = clock.ticks();
        let wall = wall.elapsed().as_nanos() as u64;
        let nanos = clock.nanos_between(start, end);
        // The ticks are read inside the OS clock's interval and after a
        // sleep of 5 ms: bounded by both, give or take 10 % of calibration
        // error (no duration is asserted, only the two clocks' agreement).
        assert!(nanos >= 4_500_000, "{nanos} ns");
        assert!(nanos <= wall + wall / 10, "{nanos} ns against {wall} ns");
        assert_eq!(clock.nanos_between(end, start), 0);
    }
}
