//! The stateless and counting operators, and the ones that combine two
//! sources in sequence (`chain`) or in lock-step (`zip`).

use std::time::Instant;

use super::Source;
use crate::error::RecvTimeoutError;
use crate::select::Selectable;

/// Forwards `channels` and `due` to the wrapped source.
macro_rules! forward_waiting {
    () => {
        fn channels<'a>(&'a self, out: &mut Vec<&'a dyn Selectable>) {
            self.source.channels(out);
        }
        fn due(&self) -> Option<Instant> {
            self.source.due()
        }
    };
}

/// See [`Source::map`].
pub struct Map<S, F> {
    source: S,
    f: F,
}

impl<S, F> Map<S, F> {
    pub(super) fn new(source: S, f: F) -> Self {
        Self { source, f }
    }
}

impl<S: Source, U, F: FnMut(S::Item) -> U> Source for Map<S, F> {
    type Item = U;
    fn recv_until(&mut self, deadline: Option<Instant>) -> Result<U, RecvTimeoutError> {
        self.source.recv_until(deadline).map(&mut self.f)
    }
    forward_waiting!();
}

/// See [`Source::filter`].
pub struct Filter<S, P> {
    source: S,
    predicate: P,
}

impl<S, P> Filter<S, P> {
    pub(super) fn new(source: S, predicate: P) -> Self {
        Self { source, predicate }
    }
}

impl<S: Source, P: FnMut(&S::Item) -> bool> Source for Filter<S, P> {
    type Item = S::Item;
    fn recv_until(&mut self, deadline: Option<Instant>) -> Result<S::Item, RecvTimeoutError> {
        loop {
            let item = self.source.recv_until(deadline)?;
            if (self.predicate)(&item) {
                return Ok(item);
            }
        }
    }
    forward_waiting!();
}

/// See [`Source::filter_map`].
pub struct FilterMap<S, F> {
    source: S,
    f: F,
}

impl<S, F> FilterMap<S, F> {
    pub(super) fn new(source: S, f: F) -> Self {
        Self { source, f }
    }
}

impl<S: Source, U, F: FnMut(S::Item) -> Option<U>> Source for FilterMap<S, F> {
    type Item = U;
    fn recv_until(&mut self, deadline: Option<Instant>) -> Result<U, RecvTimeoutError> {
        loop {
            if let Some(mapped) = (self.f)(self.source.recv_until(deadline)?) {
                return Ok(mapped);
            }
        }
    }
    forward_waiting!();
}

/// See [`Source::take`].
pub struct Take<S> {
    source: S,
    remaining: usize,
}

impl<S> Take<S> {
    pub(super) fn new(source: S, remaining: usize) -> Self {
        Self { source, remaining }
    }
}

impl<S: Source> Source for Take<S> {
    type Item = S::Item;
    fn recv_until(&mut self, deadline: Option<Instant>) -> Result<S::Item, RecvTimeoutError> {
        if self.remaining == 0 {
            return Err(RecvTimeoutError::Disconnected);
        }
        let item = self.source.recv_until(deadline)?;
        self.remaining -= 1;
        Ok(item)
    }
    fn channels<'a>(&'a self, out: &mut Vec<&'a dyn Selectable>) {
        if self.remaining > 0 {
            self.source.channels(out);
        }
    }
    fn due(&self) -> Option<Instant> {
        if self.remaining > 0 {
            self.source.due()
        } else {
            None
        }
    }
}

/// See [`Source::skip`].
pub struct Skip<S> {
    source: S,
    to_skip: usize,
}

impl<S> Skip<S> {
    pub(super) fn new(source: S, to_skip: usize) -> Self {
        Self { source, to_skip }
    }
}

impl<S: Source> Source for Skip<S> {
    type Item = S::Item;
    fn recv_until(&mut self, deadline: Option<Instant>) -> Result<S::Item, RecvTimeoutError> {
        while self.to_skip > 0 {
            drop(self.source.recv_until(deadline)?);
            self.to_skip -= 1;
        }
        self.source.recv_until(deadline)
    }
    forward_waiting!();
}

/// See [`Source::take_while`].
pub struct TakeWhile<S, P> {
    source: S,
    predicate: P,
    done: bool,
}

impl<S, P> TakeWhile<S, P> {
    pub(super) fn new(source: S, predicate: P) -> Self {
        Self {
            source,
            predicate,
            done: false,
        }
    }
}

impl<S: Source, P: FnMut(&S::Item) -> bool> Source for TakeWhile<S, P> {
    type Item = S::Item;
    fn recv_until(&mut self, deadline: Option<Instant>) -> Result<S::Item, RecvTimeoutError> {
        if self.done {
            return Err(RecvTimeoutError::Disconnected);
        }
        let item = self.source.recv_until(deadline)?;
        if (self.predicate)(&item) {
            Ok(item)
        } else {
            self.done = true;
            Err(RecvTimeoutError::Disconnected)
        }
    }
    fn channels<'a>(&'a self, out: &mut Vec<&'a dyn Selectable>) {
        if !self.done {
            self.source.channels(out);
        }
    }
    fn due(&self) -> Option<Instant> {
        if self.done { None } else { self.source.due() }
    }
}

/// See [`Source::skip_while`].
pub struct SkipWhile<S, P> {
    source: S,
    predicate: P,
    skipping: bool,
}

impl<S, P> SkipWhile<S, P> {
    pub(super) fn new(source: S, predicate: P) -> Self {
        Self {
            source,
            predicate,
            skipping: true,
        }
    }
}

impl<S: Source, P: FnMut(&S::Item) -> bool> Source for SkipWhile<S, P> {
    type Item = S::Item;
    fn recv_until(&mut self, deadline: Option<Instant>) -> Result<S::Item, RecvTimeoutError> {
        while self.skipping {
            let item = self.source.recv_until(deadline)?;
            if !(self.predicate)(&item) {
                self.skipping = false;
                return Ok(item);
            }
        }
        self.source.recv_until(deadline)
    }
    forward_waiting!();
}

/// See [`Source::inspect`].
pub struct Inspect<S, F> {
    source: S,
    f: F,
}

impl<S, F> Inspect<S, F> {
    pub(super) fn new(source: S, f: F) -> Self {
        Self { source, f }
    }
}

impl<S: Source, F: FnMut(&S::Item)> Source for Inspect<S, F> {
    type Item = S::Item;
    fn recv_until(&mut self, deadline: Option<Instant>) -> Result<S::Item, RecvTimeoutError> {
        let item = self.source.recv_until(deadline)?;
        (self.f)(&item);
        Ok(item)
    }
    forward_waiting!();
}

/// See [`Source::chain`].
pub struct Chain<A, B> {
    first: A,
    second: B,
    first_done: bool,
}

impl<A, B> Chain<A, B> {
    pub(super) fn new(first: A, second: B) -> Self {
        Self {
            first,
            second,
            first_done: false,
        }
    }
}

impl<A: Source, B: Source<Item = A::Item>> Source for Chain<A, B> {
    type Item = A::Item;
    fn recv_until(&mut self, deadline: Option<Instant>) -> Result<A::Item, RecvTimeoutError> {
        if !self.first_done {
            match self.first.recv_until(deadline) {
                Err(RecvTimeoutError::Disconnected) => self.first_done = true,
                other => return other,
            }
        }
        self.second.recv_until(deadline)
    }
    fn channels<'a>(&'a self, out: &mut Vec<&'a dyn Selectable>) {
        if self.first_done {
            self.second.channels(out);
        } else {
            self.first.channels(out);
        }
    }
    fn due(&self) -> Option<Instant> {
        if self.first_done {
            self.second.due()
        } else {
            self.first.due()
        }
    }
}

/// See [`Source::zip`]. Holds the first source's item while it waits for
/// the second's; a timeout keeps it for the next call, and it is dropped with
/// the operator if the second source ends.
pub struct Zip<A: Source, B> {
    first: A,
    second: B,
    held: Option<A::Item>,
}

impl<A: Source, B> Zip<A, B> {
    pub(super) fn new(first: A, second: B) -> Self {
        Self {
            first,
            second,
            held: None,
        }
    }
}

impl<A: Source, B: Source> Source for Zip<A, B> {
    type Item = (A::Item, B::Item);
    fn recv_until(&mut self, deadline: Option<Instant>) -> Result<Self::Item, RecvTimeoutError> {
        let first = match self.held.take() {
            Some(item) => item,
            None => self.first.recv_until(deadline)?,
        };
        match self.second.recv_until(deadline) {
            Ok(second) => Ok((first, second)),
            Err(err) => {
                self.held = Some(first);
                Err(err)
            }
        }
    }
    fn channels<'a>(&'a self, out: &mut Vec<&'a dyn Selectable>) {
        if self.held.is_some() {
            self.second.channels(out);
        } else {
            self.first.channels(out);
        }
    }
    fn due(&self) -> Option<Instant> {
        if self.held.is_some() {
            self.second.due()
        } else {
            self.first.due()
        }
    }
}
