//! Time-based operators. They wait through the deadline path of the channel
//! (parking until the next message or their own due time).

use std::time::{Duration, Instant};

use super::{Source, earliest, passed};
use crate::error::RecvTimeoutError;
use crate::select::Selectable;

/// See [`Source::debounce`]. Holds the latest item until the quiet period
/// ends; a timeout keeps it, dropping the operator drops it.
pub struct Debounce<S: Source> {
    source: S,
    quiet: Duration,
    pending: Option<S::Item>,
    last_arrival: Option<Instant>,
    ended: bool,
}

impl<S: Source> Debounce<S> {
    pub(super) fn new(source: S, quiet: Duration) -> Self {
        Self {
            source,
            quiet,
            pending: None,
            last_arrival: None,
            ended: false,
        }
    }

    fn emit_at(&self) -> Option<Instant> {
        self.pending.as_ref()?;
        self.last_arrival
            .and_then(|last| last.checked_add(self.quiet))
    }
}

impl<S: Source> Source for Debounce<S> {
    type Item = S::Item;
    fn recv_until(&mut self, deadline: Option<Instant>) -> Result<S::Item, RecvTimeoutError> {
        loop {
            if self.ended {
                return self.pending.take().ok_or(RecvTimeoutError::Disconnected);
            }
            if self.pending.is_some() && passed(self.emit_at()) {
                return Ok(self.pending.take().expect("checked above"));
            }
            match self.source.recv_until(earliest(deadline, self.emit_at())) {
                Ok(item) => {
                    // A newer item supersedes the pending one.
                    self.pending = Some(item);
                    self.last_arrival = Some(Instant::now());
                }
                Err(RecvTimeoutError::Disconnected) => self.ended = true,
                Err(RecvTimeoutError::Timeout) if !passed(deadline) || passed(self.emit_at()) => {}
                Err(RecvTimeoutError::Timeout) => return Err(RecvTimeoutError::Timeout),
            }
        }
    }
    fn channels<'a>(&'a self, out: &mut Vec<&'a dyn Selectable>) {
        if !self.ended {
            self.source.channels(out);
        }
    }
    fn due(&self) -> Option<Instant> {
        if self.ended && self.pending.is_some() {
            return Some(Instant::now());
        }
        earliest(self.emit_at(), self.source.due())
    }
}

/// Which item a [`Throttle`] lets through in each period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// The first item of a period, at once; later items in the period are
    /// dropped. A period starts with the first item after the previous one
    /// ended.
    Leading,
    /// The last item of a period, when the period ends; earlier items in it
    /// are dropped. A period starts with its first item. When the source
    /// ends, a pending item is emitted at once.
    Trailing,
}

/// See [`Source::throttle`]. With [`Edge::Trailing`] it holds the latest
/// item until the period ends; a timeout keeps it, dropping the operator
/// drops it.
pub struct Throttle<S: Source> {
    source: S,
    period: Duration,
    edge: Edge,
    period_ends: Option<Instant>,
    pending: Option<S::Item>,
    ended: bool,
}

impl<S: Source> Throttle<S> {
    pub(super) fn new(source: S, period: Duration, edge: Edge) -> Self {
        Self {
            source,
            period,
            edge,
            period_ends: None,
            pending: None,
            ended: false,
        }
    }

    fn leading(&mut self, deadline: Option<Instant>) -> Result<S::Item, RecvTimeoutError> {
        loop {
            let item = self.source.recv_until(deadline)?;
            let now = Instant::now();
            if self.period_ends.is_none_or(|ends| now >= ends) {
                self.period_ends = now.checked_add(self.period);
                return Ok(item);
            }
            // Inside the current period: dropped.
        }
    }

    fn trailing(&mut self, deadline: Option<Instant>) -> Result<S::Item, RecvTimeoutError> {
        loop {
            if self.ended {
                return self.pending.take().ok_or(RecvTimeoutError::Disconnected);
            }
            if self.pending.is_some() && passed(self.period_ends) {
                self.period_ends = None;
                return Ok(self.pending.take().expect("checked above"));
            }
            match self.source.recv_until(earliest(deadline, self.period_ends)) {
                Ok(item) => {
                    if self.period_ends.is_none() {
                        self.period_ends = Instant::now().checked_add(self.period);
                    }
                    self.pending = Some(item);
                }
                Err(RecvTimeoutError::Disconnected) => self.ended = true,
                Err(RecvTimeoutError::Timeout) if !passed(deadline) || passed(self.period_ends) => {
                }
                Err(RecvTimeoutError::Timeout) => return Err(RecvTimeoutError::Timeout),
            }
        }
    }
}

impl<S: Source> Source for Throttle<S> {
    type Item = S::Item;
    fn recv_until(&mut self, deadline: Option<Instant>) -> Result<S::Item, RecvTimeoutError> {
        match self.edge {
            Edge::Leading => self.leading(deadline),
            Edge::Trailing => self.trailing(deadline),
        }
    }
    fn channels<'a>(&'a self, out: &mut Vec<&'a dyn Selectable>) {
        if !self.ended {
            self.source.channels(out);
        }
    }
    fn due(&self) -> Option<Instant> {
        if self.edge == Edge::Trailing && self.pending.is_some() {
            return if self.ended {
                Some(Instant::now())
            } else {
                self.period_ends
            };
        }
        self.source.due()
    }
}
