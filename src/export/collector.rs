use std::fmt::Write as _;
use std::time::Duration;

use crate::metrics::{Counters, HistogramSnapshot, Latency, NoMetrics, Report};

/// A sink that can describe its figures to a
/// [`PrometheusExporter`](super::PrometheusExporter).
///
/// Implemented for the crate's sinks and for pairs of sinks that implement
/// it; implement it for your own sink to take part (see the
/// [module docs](super)). `collect` runs when the exporter renders, not on
/// the channel's hot path; it reads the sink and calls the [`Collector`]
/// once per figure.
pub trait PrometheusMetrics {
    /// Describes the sink's figures to `out`.
    fn collect(&self, out: &mut Collector<'_>);
}

impl PrometheusMetrics for NoMetrics {
    fn collect(&self, _: &mut Collector<'_>) {}
}

impl PrometheusMetrics for Counters {
    fn collect(&self, out: &mut Collector<'_>) {
        let s = self.snapshot();
        out.counter("sent", "Messages stored in the channel.", s.sent);
        out.counter("received", "Messages taken by receivers.", s.received);
        out.counter(
            "dropped",
            "Messages the channel dropped: refused by DropNewest, evicted by DropOldest, or queued when the last receiver went.",
            s.dropped,
        );
        out.counter_seconds(
            "blocked_seconds",
            "Time senders and receivers of the channel spent parked.",
            s.blocked_time,
        );
        out.gauge(
            "queue_peak_length",
            "The most messages queued at once since creation or the last reset.",
            s.peak_len as f64,
        );
        out.gauge(
            "blocked_senders",
            "Senders parked on the channel now.",
            s.blocked_senders as f64,
        );
        out.gauge(
            "blocked_receivers",
            "Receivers parked on the channel now.",
            s.blocked_receivers as f64,
        );
    }
}

impl<const SAMPLE: u32> PrometheusMetrics for Latency<SAMPLE> {
    fn collect(&self, out: &mut Collector<'_>) {
        // One help text for every rate: a family has one `# HELP` line for
        // all the channels in it.
        out.histogram_seconds(
            "queue_latency_seconds",
            "Time messages spent queued, from send to receive, of the messages the sink timed.",
            &self.histogram().snapshot(),
        );
    }
}

impl<A: PrometheusMetrics, B: PrometheusMetrics> PrometheusMetrics for (A, B) {
    fn collect(&self, out: &mut Collector<'_>) {
        self.0.collect(out);
        self.1.collect(out);
    }
}

/// The prefix of every metric name.
const PREFIX: &str = "may_channel_";

/// The kind of a metric family, as the `# TYPE` line names it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// One metric family: its `# HELP`/`# TYPE` header and the sample lines of
/// every channel.
pub(crate) struct Family {
    name: String,
    help: String,
    kind: Kind,
    samples: String,
}

/// The families of one rendering, in order of first appearance.
#[derive(Default)]
pub(crate) struct Families(Vec<Family>);

impl Families {
    /// Writes every family in the text exposition format.
    pub(crate) fn write(&self, out: &mut String) {
        for family in &self.0 {
            out.push_str("# HELP ");
            out.push_str(&family.name);
            out.push(' ');
            escape_help(&family.help, out);
            out.push_str("\n# TYPE ");
            out.push_str(&family.name);
            out.push(' ');
            out.push_str(family.kind.as_str());
            out.push('\n');
            out.push_str(&family.samples);
        }
    }
}

/// Receives the figures of one channel's sink, labels them with the
/// channel's labels and files them under their metric family.
///
/// Names are given without the `may_channel_` prefix, in `snake_case`, with
/// the unit spelled out in base units (`_seconds`, `_bytes`); counters get
/// `_total` appended when they lack it. A name that is not a valid
/// Prometheus name, or that an earlier channel or figure used with another
/// type, is skipped (and trips a debug assertion), so one faulty sink cannot
/// make the whole output invalid.
pub struct Collector<'a> {
    families: &'a mut Families,
    /// The channel's labels, rendered and escaped: `channel="x",k="v"`.
    labels: &'a str,
}

impl<'a> Collector<'a> {
    pub(crate) fn new(families: &'a mut Families, labels: &'a str) -> Self {
        Self { families, labels }
    }

    /// A monotonic count (`name` gets `_total` appended if it lacks it).
    pub fn counter(&mut self, name: &str, help: &str, value: u64) {
        let name = counter_name(name);
        let labels = self.labels;
        if let Some(samples) = self.family(&name, help, Kind::Counter) {
            write_sample(samples, &name, "", labels, None, |s| {
                let _ = write!(s, "{value}");
            });
        }
    }

    /// A monotonic total of time, exported in seconds (`name` should end in
    /// `_seconds`; `_total` is appended).
    pub fn counter_seconds(&mut self, name: &str, help: &str, value: Duration) {
        let name = counter_name(name);
        let labels = self.labels;
        if let Some(samples) = self.family(&name, help, Kind::Counter) {
            write_sample(samples, &name, "", labels, None, |s| {
                write_f64(s, value.as_secs_f64());
            });
        }
    }

    /// A value that goes up and down.
    pub fn gauge(&mut self, name: &str, help: &str, value: f64) {
        let name = format!("{PREFIX}{name}");
        let labels = self.labels;
        if let Some(samples) = self.family(&name, help, Kind::Gauge) {
            write_sample(samples, &name, "", labels, None, |s| {
                write_f64(s, value);
            });
        }
    }

    /// A histogram of nanoseconds, exported in seconds (`name` should end in
    /// `_seconds`) with one bucket per power of two of nanoseconds, from
    /// `le="0.000000127"` (below 128 ns) to `le="137.438953471"` (below
    /// 2^37 ns), then `+Inf`. The bounds are the largest whole nanosecond
    /// below each power of two, so every cumulative count is exact.
    pub fn histogram_seconds(&mut self, name: &str, help: &str, histogram: &HistogramSnapshot) {
        let name = format!("{PREFIX}{name}");
        let labels = self.labels;
        let Some(samples) = self.family(&name, help, Kind::Histogram) else {
            return;
        };
        for bits in 7..=37u32 {
            let bound = (1u64 << bits) - 1;
            let le = nanos_as_seconds(bound);
            let count = histogram.count_at_or_below(bound);
            write_sample(samples, &name, "_bucket", labels, Some(&le), |s| {
                let _ = write!(s, "{count}");
            });
        }
        let count = histogram.count();
        write_sample(samples, &name, "_bucket", labels, Some("+Inf"), |s| {
            let _ = write!(s, "{count}");
        });
        write_sample(samples, &name, "_sum", labels, None, |s| {
            write_f64(s, histogram.sum() as f64 / 1e9);
        });
        write_sample(samples, &name, "_count", labels, None, |s| {
            let _ = write!(s, "{count}");
        });
    }

    /// The sample buffer of family `name`, created on first use; `None` if
    /// the name is invalid or taken by another type.
    fn family(&mut self, name: &str, help: &str, kind: Kind) -> Option<&mut String> {
        if !valid_metric_name(name) {
            debug_assert!(false, "invalid Prometheus metric name {name:?}");
            return None;
        }
        let index = match self.families.0.iter().position(|f| f.name == name) {
            Some(index) => index,
            None => {
                self.families.0.push(Family {
                    name: name.to_owned(),
                    help: help.to_owned(),
                    kind,
                    samples: String::new(),
                });
                self.families.0.len() - 1
            }
        };
        let family = &mut self.families.0[index];
        if family.kind != kind {
            debug_assert!(
                false,
                "metric {name:?} used as {kind:?} and {:?}",
                family.kind
            );
            return None;
        }
        Some(&mut family.samples)
    }
}

fn counter_name(name: &str) -> String {
    if name.ends_with("_total") {
        format!("{PREFIX}{name}")
    } else {
        format!("{PREFIX}{name}_total")
    }
}

/// One sample line: `name{labels,le="..."} value`.
fn write_sample(
    out: &mut String,
    name: &str,
    suffix: &str,
    labels: &str,
    le: Option<&str>,
    value: impl FnOnce(&mut String),
) {
    out.push_str(name);
    out.push_str(suffix);
    if !labels.is_empty() || le.is_some() {
        out.push('{');
        out.push_str(labels);
        if let Some(le) = le {
            if !labels.is_empty() {
                out.push(',');
            }
            out.push_str("le=\"");
            out.push_str(le);
            out.push('"');
        }
        out.push('}');
    }
    out.push(' ');
    value(out);
    out.push('\n');
}

/// A float as the format wants it: `+Inf`, `-Inf`, `NaN`, or a plain
/// decimal (Rust's `Display` for `f64` never uses an exponent and prints the
/// shortest text that reads back to the same value).
fn write_f64(out: &mut String, value: f64) {
    if value.is_nan() {
        out.push_str("NaN");
    } else if value.is_infinite() {
        out.push_str(if value > 0.0 { "+Inf" } else { "-Inf" });
    } else {
        let _ = write!(out, "{value}");
    }
}

/// Whole nanoseconds as an exact decimal number of seconds.
fn nanos_as_seconds(ns: u64) -> String {
    let (secs, frac) = (ns / 1_000_000_000, ns % 1_000_000_000);
    if frac == 0 {
        return secs.to_string();
    }
    let digits = format!("{frac:09}");
    format!("{secs}.{}", digits.trim_end_matches('0'))
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
fn valid_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, and not reserved (`__` prefix).
pub(crate) fn valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__")
}

/// A label value: `\` → `\\`, `"` → `\"`, newline → `\n`.
pub(crate) fn escape_label_value(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A `# HELP` text: `\` → `\\`, newline → `\n`.
fn escape_help(help: &str, out: &mut String) {
    for c in help.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Histogram;

    #[test]
    fn seconds_are_exact() {
        assert_eq!(nanos_as_seconds(127), "0.000000127");
        assert_eq!(nanos_as_seconds(1_000_000_000), "1");
        assert_eq!(nanos_as_seconds((1 << 37) - 1), "137.438953471");
        assert_eq!(nanos_as_seconds(1_500_000_000), "1.5");
    }

    #[test]
    fn escaping() {
        let mut s = String::new();
        escape_label_value("a\\b\"c\nd", &mut s);
        assert_eq!(s, r#"a\\b\"c\nd"#);
        let mut s = String::new();
        escape_help("x\\y\nz\"", &mut s);
        assert_eq!(s, r#"x\\y\nz""#);
    }

    #[test]
    fn names() {
        assert!(valid_metric_name("may_channel_x:y_total"));
        assert!(!valid_metric_name("1x"));
        assert!(!valid_metric_name("a-b"));
        assert!(valid_label_name("stage"));
        assert!(!valid_label_name("__name__"));
        assert!(!valid_label_name("a.b"));
        assert_eq!(counter_name("sent"), "may_channel_sent_total");
        assert_eq!(counter_name("sent_total"), "may_channel_sent_total");
    }

    #[test]
    fn histogram_lines() {
        let h = Histogram::new();
        h.record(100); // below 128 ns
        h.record(128); // exactly 2^7: the next bucket
        h.record(1 << 40); // above every finite bound
        let mut families = Families::default();
        Collector::new(&mut families, "channel=\"c\"").histogram_seconds(
            "lat_seconds",
            "Latency.",
            &h.snapshot(),
        );
        let mut out = String::new();
        families.write(&mut out);
        assert!(out.starts_with(
            "# HELP may_channel_lat_seconds Latency.\n# TYPE may_channel_lat_seconds histogram\n"
        ));
        assert!(
            out.contains("may_channel_lat_seconds_bucket{channel=\"c\",le=\"0.000000127\"} 1\n")
        );
        assert!(
            out.contains("may_channel_lat_seconds_bucket{channel=\"c\",le=\"0.000000255\"} 2\n")
        );
        assert!(
            out.contains("may_channel_lat_seconds_bucket{channel=\"c\",le=\"137.438953471\"} 2\n")
        );
        assert!(out.contains("may_channel_lat_seconds_bucket{channel=\"c\",le=\"+Inf\"} 3\n"));
        assert!(out.contains("may_channel_lat_seconds_count{channel=\"c\"} 3\n"));
    }
}
