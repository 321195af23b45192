//! Exporting channel metrics: a [`MetricsExporter`] renders the figures of
//! registered channels for a monitoring system; [`PrometheusExporter`]
//! writes the Prometheus text exposition format (version 0.0.4), and
//! [`MetricsServer`] serves it on `GET /metrics` over may's own networking.
//!
//! ```
//! use std::sync::Arc;
//! use may_channel::export::{MetricsExporter, PrometheusExporter};
//! use may_channel::flavors::InstrumentedBounded;
//!
//! let exporter = Arc::new(PrometheusExporter::new());
//! let (tx, rx) = InstrumentedBounded::<64>::new();
//! exporter.register_with_labels("orders", &[("stage", "ingest")], &tx).unwrap();
//! tx.send(1u32).unwrap();
//! let text = exporter.render();
//! assert!(text.contains("# TYPE may_channel_sent_total counter"));
//! assert!(text.contains(r#"may_channel_sent_total{channel="orders",stage="ingest"} 1"#));
//! assert!(text.contains(r#"may_channel_queue_length{channel="orders",stage="ingest"} 1"#));
//! drop((tx, rx));
//! assert_eq!(exporter.render(), ""); // a dropped channel disappears
//! ```
//!
//! # What a channel exports
//!
//! Every registered channel exports `may_channel_queue_length`,
//! `may_channel_allocated_bytes` (its queue's message storage) and, when
//! bounded, `may_channel_capacity` (gauges read from the channel itself).
//! Its sink adds what it knows through [`PrometheusMetrics`]:
//!
//! | sink | families |
//! |---|---|
//! | [`NoMetrics`](crate::metrics::NoMetrics) | none |
//! | [`Counters`](crate::metrics::Counters) | `may_channel_{sent,received,dropped}_total`, `may_channel_blocked_seconds_total` (counters); `may_channel_queue_peak_length`, `may_channel_blocked_senders`, `may_channel_blocked_receivers` (gauges) |
//! | [`Latency`](crate::metrics::Latency) | `may_channel_queue_latency_seconds` (histogram of the timed messages: one in the sink's `SAMPLE`) |
//! | [`History<N>`](crate::debug::History) | `may_channel_history_events_total` (counter) |
//! | `(A, B)` | both |
//!
//! A channel's sink may be [reset](crate::Sender::reset_metrics); its
//! counters then restart from zero, which Prometheus reads as a counter
//! reset (as after a process restart).
//!
//! # Your own sink
//!
//! Implement [`PrometheusMetrics`] and describe each figure to the
//! [`Collector`], which adds the `may_channel_` prefix, the `_total` suffix
//! of counters, the channel's labels, and groups the samples of all channels
//! by family:
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use may_channel::export::{Collector, MetricsExporter, PrometheusExporter, PrometheusMetrics};
//! use may_channel::metrics::{MetricsSink, Side};
//!
//! #[derive(Default)]
//! struct Bytes(AtomicU64);
//!
//! impl MetricsSink for Bytes {
//!     type Stamp = ();
//!     type BlockStamp = ();
//!     fn stamp(&self) {}
//!     fn on_send(&self) {
//!         // Relaxed: a statistic, read on its own.
//!         self.0.fetch_add(64, Ordering::Relaxed);
//!     }
//!     fn on_recv(&self, _: ()) {}
//!     fn on_discard(&self) {}
//!     fn on_evict(&self, _: ()) {}
//!     fn on_block(&self, _: Side) {}
//!     fn on_unblock(&self, _: Side, _: ()) {}
//! }
//!
//! impl PrometheusMetrics for Bytes {
//!     fn collect(&self, out: &mut Collector<'_>) {
//!         out.counter("sent_bytes", "Bytes sent.", self.0.load(Ordering::Relaxed));
//!     }
//! }
//!
//! type Framed = may_channel::Channel<may_channel::queue::Unbounded,
//!     may_channel::wait::SpinThenPark, may_channel::backpressure::Unlimited, Bytes>;
//! let (tx, _rx) = Framed::new();
//! tx.send([0u8; 64]).unwrap();
//! let exporter = PrometheusExporter::new();
//! exporter.register("frames", &tx).unwrap();
//! assert!(exporter.render().contains(r#"may_channel_sent_bytes_total{channel="frames"} 64"#));
//! ```

mod collector;
mod http;
mod prometheus;

use std::any::Any;
use std::sync::{Arc, Weak};

pub use collector::{Collector, PrometheusMetrics};
pub use http::MetricsServer;
pub use prometheus::{PrometheusExporter, RegisterError};

use crate::channel::{Flavor, QueueOf, Shared};
use crate::{Receiver, Sender};

/// Something that renders metrics for a monitoring system.
pub trait MetricsExporter: Send + Sync {
    /// The media type of the rendered text, for an HTTP `Content-Type`.
    fn content_type(&self) -> &str;

    /// Appends the current figures to `out`.
    fn render_into(&self, out: &mut String);

    /// The current figures.
    fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }
}

/// A channel handle an exporter can register: a [`Sender`] or a
/// [`Receiver`]. Sealed; the exporter keeps only a weak reference to the
/// channel, so registering never keeps a channel alive.
pub trait ChannelHandle: sealed::Sealed {
    #[doc(hidden)]
    fn probe(&self) -> Box<dyn Probe>;
}

mod sealed {
    pub trait Sealed {}
    impl<T, F: crate::Flavor> Sealed for crate::Sender<T, F> {}
    impl<T, F: crate::Flavor> Sealed for crate::Receiver<T, F> {}
}

/// A registered channel, seen through a weak reference.
#[doc(hidden)]
pub trait Probe: Send + Sync {
    /// Whether the channel is still alive.
    fn alive(&self) -> bool;
    /// Collects the channel's figures; `None` when the channel is gone,
    /// otherwise a strong reference to it, for the caller to drop once it
    /// holds no lock (the channel may be torn down in that drop).
    fn collect(&self, out: &mut Collector<'_>) -> Option<Box<dyn Any + Send>>;
}

struct WeakProbe<T, F: Flavor>(Weak<Shared<T, F>>);

impl<T, F> Probe for WeakProbe<T, F>
where
    T: Send + 'static,
    QueueOf<T, F>: Send + Sync,
    F: Flavor,
    F::Metrics: PrometheusMetrics,
{
    fn alive(&self) -> bool {
        self.0.strong_count() > 0
    }

    fn collect(&self, out: &mut Collector<'_>) -> Option<Box<dyn Any + Send>> {
        // If every handle goes while this strong reference is held, the
        // channel is torn down where the caller drops it, on the exporter's
        // thread: the same teardown the last handle would have run.
        let shared = self.0.upgrade()?;
        out.gauge(
            "queue_length",
            "Messages queued in the channel.",
            shared.len() as f64,
        );
        if let Some(capacity) = shared.capacity() {
            out.gauge(
                "capacity",
                "The most messages the channel holds.",
                capacity as f64,
            );
        }
        if let Some(bytes) = shared.allocated_bytes() {
            out.gauge(
                "allocated_bytes",
                "Bytes of message storage the channel's queue holds.",
                bytes as f64,
            );
        }
        shared.metrics().collect(out);
        Some(Box::new(shared))
    }
}

// The exporter reads its channels on its own thread (an HTTP server's
// coroutine, say) and may drop the last strong reference there, so only
// channels whose handles may cross threads register: `T: Send` and a
// thread-safe queue, as for a `Send` handle.
impl<T, F> ChannelHandle for Sender<T, F>
where
    T: Send + 'static,
    QueueOf<T, F>: Send + Sync,
    F: Flavor,
    F::Metrics: PrometheusMetrics,
{
    fn probe(&self) -> Box<dyn Probe> {
        Box::new(WeakProbe(Arc::downgrade(self.shared_arc())))
    }
}

impl<T, F> ChannelHandle for Receiver<T, F>
where
    T: Send + 'static,
    QueueOf<T, F>: Send + Sync,
    F: Flavor,
    F::Metrics: PrometheusMetrics,
{
    fn probe(&self) -> Box<dyn Probe> {
        Box::new(WeakProbe(Arc::downgrade(self.shared_arc())))
    }
}
