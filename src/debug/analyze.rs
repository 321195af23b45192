//! The performance report: figures per channel and plain-language hints.

use std::fmt;
use std::time::Duration;

use crate::metrics::{CountersSnapshot, LatencySnapshot};

/// What the report knows about one channel: read from the channel and its
/// sink by [`Debugger::analyze_performance`](super::Debugger::analyze_performance),
/// or filled in by hand (the hints are a pure function of these figures).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChannelStats {
    /// The channel's name in the debugger.
    pub name: String,
    /// The time the figures cover (since the channel was registered).
    pub elapsed: Duration,
    /// The channel's capacity (`None`: unbounded).
    pub capacity: Option<usize>,
    /// Messages queued now.
    pub len: usize,
    /// Live senders.
    pub senders: usize,
    /// Live receivers.
    pub receivers: usize,
    /// The [`Counters`](crate::metrics::Counters) figures, if the sink has
    /// them.
    pub counters: Option<CountersSnapshot>,
    /// The [`Latency`](crate::metrics::Latency) figures, if the sink has
    /// them.
    pub latency: Option<LatencySnapshot>,
}

/// The thresholds of the hints.
pub mod thresholds {
    /// Senders parked at least this share of their time: the channel is too
    /// small or its consumers too slow.
    pub const SENDERS_BLOCKED: f64 = 0.20;
    /// Receivers parked at least this share of their time: the producers are
    /// the bottleneck.
    pub const RECEIVERS_IDLE: f64 = 0.80;
    /// A p99 latency at least this many times the median is a tail.
    pub const TAIL_RATIO: u32 = 10;
    /// ... and only counts when it is at least this long (in microseconds).
    pub const TAIL_MIN_MICROS: u64 = 1_000;
    /// A peak below this share of the capacity (after at least a capacity's
    /// worth of traffic) means the channel is larger than it needs.
    pub const OVERSIZED: f64 = 0.10;
}

/// The report for one channel.
#[derive(Clone, Debug, PartialEq)]
pub struct ChannelReport {
    /// The figures the report was made from.
    pub stats: ChannelStats,
    /// Messages received per second over `elapsed` (`None` without counters
    /// or elapsed time).
    pub throughput: Option<f64>,
    /// The share of time senders spent parked: their total parked time over
    /// `elapsed` times the number of live senders (at least one), at most 1.
    pub senders_blocked: Option<f64>,
    /// As `senders_blocked`, for receivers.
    pub receivers_blocked: Option<f64>,
    /// Advice, in plain language, most important first.
    pub hints: Vec<String>,
}

/// The share of `handles` handles' time that `blocked` covers.
fn share(blocked: Duration, elapsed: Duration, handles: usize) -> Option<f64> {
    let total = elapsed.as_secs_f64() * handles.max(1) as f64;
    (total > 0.0).then(|| (blocked.as_secs_f64() / total).min(1.0))
}

fn percent(share: f64) -> u32 {
    (share * 100.0).round() as u32
}

impl ChannelReport {
    /// Computes the figures and the hints.
    pub fn new(stats: ChannelStats) -> Self {
        let mut hints = Vec::new();
        let counters = stats.counters;
        let throughput = counters
            .filter(|_| !stats.elapsed.is_zero())
            .map(|c| c.received as f64 / stats.elapsed.as_secs_f64());
        let senders_blocked =
            counters.and_then(|c| share(c.send_blocked_time, stats.elapsed, stats.senders));
        let receivers_blocked =
            counters.and_then(|c| share(c.recv_blocked_time, stats.elapsed, stats.receivers));
        match counters {
            None => hints.push(
                "no Counters in this channel's sink: add Counters to see throughput, blocking and drops"
                    .to_owned(),
            ),
            Some(c) => {
                if let Some(blocked) =
                    senders_blocked.filter(|&s| s >= thresholds::SENDERS_BLOCKED)
                {
                    hints.push(format!(
                        "senders blocked {}% of the time: raise the capacity or add consumers",
                        percent(blocked)
                    ));
                }
                if c.dropped > 0 {
                    hints.push(format!(
                        "{} message(s) dropped by the backpressure policy: raise the capacity or add consumers, or use Block if every message matters",
                        c.dropped
                    ));
                }
                if c.received == 0 && stats.len > 0 {
                    hints.push(format!(
                        "{} message(s) queued and none received: is a consumer running?",
                        stats.len
                    ));
                }
                if let Some(idle) = receivers_blocked
                    .filter(|&s| s >= thresholds::RECEIVERS_IDLE && c.received > 0)
                {
                    hints.push(format!(
                        "receivers waited for messages {}% of the time: the producers are the bottleneck (fewer consumers would do)",
                        percent(idle)
                    ));
                }
                if let Some(cap) = stats.capacity.filter(|&cap| cap > 0) {
                    let cap_u64 = cap as u64;
                    if c.peak_len >= cap_u64 && senders_blocked.is_none_or(|s| s < thresholds::SENDERS_BLOCKED) && c.dropped == 0 {
                        hints.push(format!(
                            "the queue filled up (peak {} of {cap}): bursts reach the capacity",
                            c.peak_len
                        ));
                    } else if c.sent >= cap_u64
                        && cap > 1
                        && (c.peak_len as f64) < cap as f64 * thresholds::OVERSIZED
                    {
                        hints.push(format!(
                            "the queue never held more than {} of {cap}: a smaller capacity would save memory",
                            c.peak_len
                        ));
                    }
                }
            }
        }
        if let Some(l) = stats.latency.filter(|l| l.count > 0) {
            if l.p99 >= Duration::from_micros(thresholds::TAIL_MIN_MICROS)
                && l.p99 >= l.p50 * thresholds::TAIL_RATIO
            {
                hints.push(format!(
                    "latency tail: p99 ({:.1?}) is {}x the median ({:.1?}): a consumer stalls now and then",
                    l.p99,
                    (l.p99.as_secs_f64() / l.p50.as_secs_f64().max(1e-9)).round(),
                    l.p50
                ));
            }
        }
        Self {
            stats,
            throughput,
            senders_blocked,
            receivers_blocked,
            hints,
        }
    }
}

/// The performance report of every channel registered with a
/// [`Debugger`](super::Debugger); `Display` prints it as a table followed by
/// the hints.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PerformanceReport {
    /// One report per channel, in registration order.
    pub channels: Vec<ChannelReport>,
}

impl PerformanceReport {
    /// Every hint, prefixed with its channel's name.
    pub fn hints(&self) -> Vec<String> {
        self.channels
            .iter()
            .flat_map(|c| {
                c.hints
                    .iter()
                    .map(move |h| format!("{}: {h}", c.stats.name))
            })
            .collect()
    }
}

fn or_dash<T: fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

impl fmt::Display for PerformanceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name_width = self
            .channels
            .iter()
            .map(|c| c.stats.name.len())
            .max()
            .unwrap_or(0)
            .max(7);
        writeln!(
            f,
            "{:<name_width$} {:>10} {:>8} {:>8} {:>7} {:>11} {:>7} {:>7} {:>9} {:>9}",
            "channel",
            "msg/s",
            "sent",
            "received",
            "dropped",
            "peak/cap",
            "tx blk",
            "rx blk",
            "p50",
            "p99"
        )?;
        for c in &self.channels {
            let counters = c.stats.counters;
            let latency = c.stats.latency.filter(|l| l.count > 0);
            let peak = match (counters, c.stats.capacity) {
                (Some(k), Some(cap)) => format!("{}/{cap}", k.peak_len),
                (Some(k), None) => format!("{}/inf", k.peak_len),
                (None, _) => "-".to_owned(),
            };
            writeln!(
                f,
                "{:<name_width$} {:>10} {:>8} {:>8} {:>7} {:>11} {:>7} {:>7} {:>9} {:>9}",
                c.stats.name,
                or_dash(c.throughput.map(|t| format!("{t:.0}"))),
                or_dash(counters.map(|k| k.sent)),
                or_dash(counters.map(|k| k.received)),
                or_dash(counters.map(|k| k.dropped)),
                peak,
                or_dash(c.senders_blocked.map(|s| format!("{}%", percent(s)))),
                or_dash(c.receivers_blocked.map(|s| format!("{}%", percent(s)))),
                or_dash(latency.map(|l| format!("{:.1?}", l.p50))),
                or_dash(latency.map(|l| format!("{:.1?}", l.p99))),
            )?;
        }
        let hints = self.hints();
        if !hints.is_empty() {
            writeln!(f, "hints:")?;
            for hint in hints {
                writeln!(f, "  - {hint}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(counters: CountersSnapshot) -> ChannelStats {
        ChannelStats {
            name: "jobs".into(),
            elapsed: Duration::from_secs(10),
            capacity: Some(100),
            len: 0,
            senders: 2,
            receivers: 1,
            counters: Some(counters),
            latency: None,
        }
    }

    #[test]
    fn senders_blocked_share_is_per_sender() {
        // Two senders, 8 s parked together over 10 s: 40 % each.
        let report = ChannelReport::new(stats(CountersSnapshot {
            sent: 1000,
            received: 1000,
            peak_len: 100,
            send_blocked_time: Duration::from_secs(8),
            ..CountersSnapshot::default()
        }));
        assert_eq!(report.throughput, Some(100.0));
        assert_eq!(report.senders_blocked.map(percent), Some(40));
        assert_eq!(
            report.hints,
            ["senders blocked 40% of the time: raise the capacity or add consumers"]
        );
    }

    #[test]
    fn latency_tail_oversized_queue_and_idle_receivers() {
        let mut input = stats(CountersSnapshot {
            sent: 1000,
            received: 1000,
            peak_len: 5,
            recv_blocked_time: Duration::from_secs(9),
            ..CountersSnapshot::default()
        });
        input.latency = Some(LatencySnapshot {
            count: 1000,
            p50: Duration::from_micros(200),
            p99: Duration::from_millis(4),
            ..LatencySnapshot::default()
        });
        let report = ChannelReport::new(input);
        assert_eq!(report.receivers_blocked.map(percent), Some(90));
        assert_eq!(
            report.hints,
            [
                "receivers waited for messages 90% of the time: the producers are the bottleneck (fewer consumers would do)",
                "the queue never held more than 5 of 100: a smaller capacity would save memory",
                "latency tail: p99 (4.0ms) is 20x the median (200.0µs): a consumer stalls now and then",
            ]
        );
        let table = PerformanceReport {
            channels: vec![report],
        }
        .to_string();
        assert!(
            table.contains("200.0µs") && table.contains("4.0ms") && table.contains("5/100"),
            "{table}"
        );
    }

    #[test]
    fn a_short_tail_or_a_busy_queue_gives_no_hint() {
        let mut input = stats(CountersSnapshot {
            sent: 1000,
            received: 1000,
            peak_len: 50,
            ..CountersSnapshot::default()
        });
        // 20x the median, but under a millisecond: not worth a hint.
        input.latency = Some(LatencySnapshot {
            count: 1000,
            p50: Duration::from_micros(10),
            p99: Duration::from_micros(200),
            ..LatencySnapshot::default()
        });
        assert!(ChannelReport::new(input).hints.is_empty());
    }

    #[test]
    fn without_counters_the_report_says_so() {
        let mut input = stats(CountersSnapshot::default());
        input.counters = None;
        let report = ChannelReport::new(input);
        assert_eq!(report.throughput, None);
        assert_eq!(report.hints.len(), 1);
        assert!(report.hints[0].starts_with("no Counters"));
    }

    #[test]
    fn no_hint_for_a_healthy_channel() {
        let report = ChannelReport::new(stats(CountersSnapshot {
            sent: 1000,
            received: 1000,
            peak_len: 40,
            send_blocked_time: Duration::from_secs(1),
            recv_blocked_time: Duration::from_secs(2),
            ..CountersSnapshot::default()
        }));
        assert!(report.hints.is_empty(), "{:?}", report.hints);
    }
}
