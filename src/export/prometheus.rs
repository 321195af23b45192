use std::error::Error;
use std::fmt;

use super::collector::{Collector, Families, escape_label_value, valid_label_name};
use super::{ChannelHandle, MetricsExporter, Probe};
use crate::sync::{Mutex, lock};

/// A registry of named channels, rendered in the Prometheus text exposition
/// format, version 0.0.4 (see the [module docs](super) for the families).
///
/// Each channel is registered through one of its handles under a name (the
/// `channel` label) and optional extra labels. The registry holds a *weak*
/// reference: registering never keeps a channel alive, and a channel whose
/// handles are all dropped disappears from the next rendering (its series
/// go stale in Prometheus, as a finished process's do). Registering takes a
/// lock; rendering takes it too and reads every live channel's sink, so
/// neither touches the channels' hot paths.
#[derive(Default)]
pub struct PrometheusExporter {
    channels: Mutex<Vec<Registered>>,
}

struct Registered {
    /// `channel="name",k="v"`, escaped; also the channel's identity.
    labels: String,
    probe: Box<dyn Probe>,
}

/// Why a channel was not registered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegisterError {
    /// A label name is not `[a-zA-Z_][a-zA-Z0-9_]*`, starts with `__`, or is
    /// one of the names the exporter sets itself (`channel`, `le`).
    InvalidLabelName(String),
    /// A label name appears twice.
    DuplicateLabel(String),
    /// A live channel is registered with exactly these labels already.
    AlreadyRegistered(String),
}

impl fmt::Display for RegisterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidLabelName(name) => write!(f, "invalid label name {name:?}"),
            Self::DuplicateLabel(name) => write!(f, "label {name:?} given twice"),
            Self::AlreadyRegistered(labels) => {
                write!(f, "a live channel is registered as {{{labels}}} already")
            }
        }
    }
}

impl Error for RegisterError {}

impl PrometheusExporter {
    /// The content type of version 0.0.4 of the text format.
    pub const CONTENT_TYPE: &'static str = "text/plain; version=0.0.4; charset=utf-8";

    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the channel of `handle` (a [`Sender`](crate::Sender) or a
    /// [`Receiver`](crate::Receiver)) under the label `channel="name"`.
    pub fn register(&self, name: &str, handle: &impl ChannelHandle) -> Result<(), RegisterError> {
        self.register_with_labels(name, &[], handle)
    }

    /// Registers the channel of `handle` under `channel="name"` and the
    /// extra `labels` (values are escaped; names must be valid label names).
    pub fn register_with_labels(
        &self,
        name: &str,
        labels: &[(&str, &str)],
        handle: &impl ChannelHandle,
    ) -> Result<(), RegisterError> {
        let mut rendered = String::from("channel=\"");
        escape_label_value(name, &mut rendered);
        rendered.push('"');
        for (i, &(key, value)) in labels.iter().enumerate() {
            if !valid_label_name(key) || key == "channel" || key == "le" {
                return Err(RegisterError::InvalidLabelName(key.to_owned()));
            }
            if labels[..i].iter().any(|&(k, _)| k == key) {
                return Err(RegisterError::DuplicateLabel(key.to_owned()));
            }
            rendered.push(',');
            rendered.push_str(key);
            rendered.push_str("=\"");
            escape_label_value(value, &mut rendered);
            rendered.push('"');
        }
        let probe = handle.probe();
        let mut channels = lock(&self.channels);
        // A channel that went away gives its labels back.
        channels.retain(|c| c.probe.alive());
        if channels.iter().any(|c| c.labels == rendered) {
            return Err(RegisterError::AlreadyRegistered(rendered));
        }
        channels.push(Registered {
            labels: rendered,
            probe,
        });
        Ok(())
    }

    /// Removes every channel registered under `channel="name"`; returns how
    /// many there were (dropped channels included).
    pub fn unregister(&self, name: &str) -> usize {
        let mut prefix = String::from("channel=\"");
        escape_label_value(name, &mut prefix);
        prefix.push('"');
        let mut channels = lock(&self.channels);
        let before = channels.len();
        channels.retain(|c| {
            !(c.labels == prefix
                || c.labels
                    .strip_prefix(&prefix)
                    .is_some_and(|rest| rest.starts_with(',')))
        });
        before - channels.len()
    }

    /// Registered channels that are still alive.
    pub fn len(&self) -> usize {
        lock(&self.channels)
            .iter()
            .filter(|c| c.probe.alive())
            .count()
    }

    /// Whether no live channel is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl MetricsExporter for PrometheusExporter {
    fn content_type(&self) -> &str {
        Self::CONTENT_TYPE
    }

    fn render_into(&self, out: &mut String) {
        let mut families = Families::default();
        let mut alive = Vec::new();
        {
            let mut channels = lock(&self.channels);
            channels.retain(|c| {
                let guard = c
                    .probe
                    .collect(&mut Collector::new(&mut families, &c.labels));
                let keep = guard.is_some();
                alive.extend(guard);
                keep
            });
        }
        // Channels whose last handle went during the rendering are torn
        // down here, outside the lock.
        drop(alive);
        families.write(out);
    }
}

impl fmt::Debug for PrometheusExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let channels = lock(&self.channels);
        f.debug_list()
            .entries(channels.iter().map(|c| &c.labels))
            .finish()
    }
}
