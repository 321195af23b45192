//! Merging two sources, on the exactly-once select engine.

use std::time::Instant;

use super::{Source, earliest, passed};
use crate::error::RecvTimeoutError;
use crate::select::__private::{Branch, Rule, ready_index};
use crate::select::{Selectable, Watch};

/// See [`Source::merge`]. Holds nothing: an item is taken from a source only
/// when it is returned.
pub struct Merge<A, B> {
    first: A,
    second: B,
    first_done: bool,
    second_done: bool,
    /// Which source is polled first next time, alternating for fairness.
    second_first: bool,
}

impl<A, B> Merge<A, B> {
    pub(super) fn new(first: A, second: B) -> Self {
        Self {
            first,
            second,
            first_done: false,
            second_done: false,
            second_first: false,
        }
    }
}

/// One non-blocking attempt on a source that has not ended.
fn poll<S: Source>(source: &mut S, done: &mut bool) -> Option<S::Item> {
    if *done {
        return None;
    }
    match source.recv_until(Some(Instant::now())) {
        Ok(item) => Some(item),
        Err(RecvTimeoutError::Disconnected) => {
            *done = true;
            None
        }
        Err(RecvTimeoutError::Timeout) => None,
    }
}

impl<A: Source, B: Source<Item = A::Item>> Merge<A, B> {
    fn poll_both(&mut self) -> Option<A::Item> {
        self.second_first = !self.second_first;
        if self.second_first {
            poll(&mut self.second, &mut self.second_done)
                .or_else(|| poll(&mut self.first, &mut self.first_done))
        } else {
            poll(&mut self.first, &mut self.first_done)
                .or_else(|| poll(&mut self.second, &mut self.second_done))
        }
    }
}

impl<A: Source, B: Source<Item = A::Item>> Source for Merge<A, B> {
    type Item = A::Item;
    fn recv_until(&mut self, deadline: Option<Instant>) -> Result<A::Item, RecvTimeoutError> {
        loop {
            if let Some(item) = self.poll_both() {
                return Ok(item);
            }
            if self.first_done && self.second_done {
                return Err(RecvTimeoutError::Disconnected);
            }
            if passed(deadline) {
                return Err(RecvTimeoutError::Timeout);
            }
            // Wait until a channel of either source is ready, either source
            // is due, or the deadline: the select engine's registration-based
            // wait, which takes nothing itself.
            let mut channels = Vec::new();
            self.channels(&mut channels);
            let watches: Vec<Watch<'_>> = channels.iter().map(|&channel| Watch(channel)).collect();
            let branches: Vec<Branch<'_>> = watches
                .iter()
                .map(|watch| Branch::new(watch, 1, true))
                .collect();
            let _ready = ready_index(&branches, Rule::Random, earliest(deadline, self.due()));
        }
    }
    fn channels<'a>(&'a self, out: &mut Vec<&'a dyn Selectable>) {
        if !self.first_done {
            self.first.channels(out);
        }
        if !self.second_done {
            self.second.channels(out);
        }
    }
    fn due(&self) -> Option<Instant> {
        let first = if self.first_done {
            None
        } else {
            self.first.due()
        };
        let second = if self.second_done {
            None
        } else {
            self.second.due()
        };
        earliest(first, second)
    }
}
