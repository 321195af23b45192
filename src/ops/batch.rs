//! Grouping operators.

use std::time::{Duration, Instant};

use super::{Source, earliest, passed};
use crate::error::RecvTimeoutError;
use crate::select::Selectable;

/// See [`Source::batch`]. Holds the items of the batch being filled; a
/// timeout keeps them for the next call, and dropping the operator drops
/// them.
pub struct Batch<S: Source> {
    source: S,
    size: usize,
    filling: Vec<S::Item>,
}

impl<S: Source> Batch<S> {
    pub(super) fn new(source: S, size: usize) -> Self {
        let size = size.max(1);
        Self {
            source,
            size,
            filling: Vec::with_capacity(size),
        }
    }

    /// Items taken from the source and not yet emitted.
    pub fn pending(&self) -> usize {
        self.filling.len()
    }
}

impl<S: Source> Source for Batch<S> {
    type Item = Vec<S::Item>;
    fn recv_until(&mut self, deadline: Option<Instant>) -> Result<Self::Item, RecvTimeoutError> {
        while self.filling.len() < self.size {
            match self.source.recv_until(deadline) {
                Ok(item) => {
                    self.filling.push(item);
                    // Whatever else is ready, in one pass.
                    let room = self.size - self.filling.len();
                    self.source.drain_ready(&mut self.filling, room);
                }
                Err(RecvTimeoutError::Disconnected) if !self.filling.is_empty() => break,
                Err(err) => return Err(err),
            }
        }
        Ok(std::mem::replace(
            &mut self.filling,
            Vec::with_capacity(self.size),
        ))
    }
    fn channels<'a>(&'a self, out: &mut Vec<&'a dyn Selectable>) {
        self.source.channels(out);
    }
    fn due(&self) -> Option<Instant> {
        self.source.due()
    }
}

/// See [`Source::batch_timeout`]. Holds the items of the batch being
/// filled, like [`Batch`].
pub struct BatchTimeout<S: Source> {
    source: S,
    size: usize,
    timeout: Duration,
    filling: Vec<S::Item>,
    /// When the first item of the batch being filled arrived.
    started: Option<Instant>,
}

impl<S: Source> BatchTimeout<S> {
    pub(super) fn new(source: S, size: usize, timeout: Duration) -> Self {
        let size = size.max(1);
        Self {
            source,
            size,
            timeout,
            filling: Vec::with_capacity(size),
            started: None,
        }
    }

    /// Items taken from the source and not yet emitted.
    pub fn pending(&self) -> usize {
        self.filling.len()
    }

    fn emit_at(&self) -> Option<Instant> {
        self.started
            .and_then(|started| started.checked_add(self.timeout))
    }

    fn emit(&mut self) -> Vec<S::Item> {
        self.started = None;
        std::mem::replace(&mut self.filling, Vec::with_capacity(self.size))
    }
}

impl<S: Source> Source for BatchTimeout<S> {
    type Item = Vec<S::Item>;
    fn recv_until(&mut self, deadline: Option<Instant>) -> Result<Self::Item, RecvTimeoutError> {
        loop {
            if self.filling.len() >= self.size
                || (!self.filling.is_empty() && passed(self.emit_at()))
            {
                return Ok(self.emit());
            }
            match self.source.recv_until(earliest(deadline, self.emit_at())) {
                Ok(item) => {
                    if self.filling.is_empty() {
                        self.started = Some(Instant::now());
                    }
                    self.filling.push(item);
                    let room = self.size.saturating_sub(self.filling.len());
                    self.source.drain_ready(&mut self.filling, room);
                }
                Err(RecvTimeoutError::Disconnected) if !self.filling.is_empty() => {
                    return Ok(self.emit());
                }
                Err(RecvTimeoutError::Timeout) if !passed(deadline) => {}
                Err(RecvTimeoutError::Timeout) if passed(self.emit_at()) => {}
                Err(err) => return Err(err),
            }
        }
    }
    fn channels<'a>(&'a self, out: &mut Vec<&'a dyn Selectable>) {
        self.source.channels(out);
    }
    fn due(&self) -> Option<Instant> {
        earliest(self.emit_at(), self.source.due())
    }
}
