//! The registration-based engine behind every select.
//!
//! A select never takes a message on a branch it did not choose. It waits
//! until some enabled branch is *ready* (a receive would get a message or see
//! the disconnect; a send would find room), picks one ready branch by its
//! rule, and only then performs that branch's operation, without waiting. If a
//! competitor took the message (or the room) in between, the operation fails
//! harmlessly and the select waits again. So every message is handed over by
//! exactly one branch, or stays in its channel.
//!
//! Waiting reuses the channel core's waiter lists: the select links one
//! stack-resident [`Waiter`] into the list of every enabled branch, each with
//! its own token (branch index + 1). A peer that makes progress selects the
//! waiter by one compare-and-swap on its state, which records the branch, so
//! exactly one branch wins each wake-up; the select then unlinks from every
//! list. A wake-up the select does not use (it chose another branch, or a
//! cancel unwinds it) is passed on to the next waiter of that branch's list.

use std::time::Instant;

use crate::channel::Waiter;
use crate::sync::{Ordering, fence};
use crate::wait::{Context, Pause, SpinThenPark, WaitStrategy};

use super::ops::SelectOp;

/// How a select picks among ready branches.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Uniformly at random, so no ready branch starves (`select!`).
    Random,
    /// At random, in proportion to the branch weights (`select_weighted!`).
    Weighted,
    /// The first ready branch in written order (`select_priority!`).
    Priority,
}

/// One branch as the engine sees it.
#[doc(hidden)]
pub struct Branch<'a> {
    op: &'a dyn SelectOp,
    weight: u32,
}

impl<'a> Branch<'a> {
    /// A branch running `op`; a weight of 0 (or a false guard, which the
    /// macros turn into weight 0) disables it for this select.
    pub fn new(op: &'a dyn SelectOp, weight: u32, enabled: bool) -> Self {
        Self {
            op,
            weight: if enabled { weight } else { 0 },
        }
    }

    fn enabled(&self) -> bool {
        self.weight > 0
    }

    fn ready(&self, me: Option<&Waiter>) -> bool {
        self.enabled() && self.op.ready(me)
    }
}

/// Picks a ready branch by `rule` in one pass over the branches, without
/// allocating (reservoir sampling for the weighted rule; for the uniform
/// rule, the first ready branch of a random order, drawn lazily).
fn choose(branches: &[Branch<'_>], rule: Rule, me: Option<&Waiter>) -> Option<usize> {
    if rule == Rule::Random && branches.len() <= MAX_SHUFFLED {
        return first_ready_in_random_order(branches, me);
    }
    let mut chosen = None;
    let mut total: u64 = 0;
    for (index, branch) in branches.iter().enumerate() {
        if !branch.ready(me) {
            continue;
        }
        let weight = match rule {
            Rule::Priority => return Some(index),
            Rule::Random => 1,
            Rule::Weighted => u64::from(branch.weight),
        };
        total += weight;
        // Keep this branch with probability weight / total: after the pass,
        // each ready branch is kept with probability weight / sum(weights).
        if fastrand::u64(0..total) < weight {
            chosen = Some(index);
        }
    }
    chosen
}

/// Branch counts up to which the uniform rule draws a random order on the
/// stack; beyond it, reservoir sampling.
const MAX_SHUFFLED: usize = 64;

/// The uniform rule: draws a random order of the branches one step at a time
/// (Fisher–Yates) and returns the first ready branch in it. The first ready
/// branch of a uniformly random order is uniform among the ready ones, as
/// with reservoir sampling, but when most branches are ready the draw stops
/// after about one readiness check instead of checking all of them: each
/// check reads the channel's ends, cache lines its senders keep busy
/// (`benches/select.rs`).
fn first_ready_in_random_order(branches: &[Branch<'_>], me: Option<&Waiter>) -> Option<usize> {
    let count = branches.len();
    let mut order = [0u8; MAX_SHUFFLED];
    for (slot, index) in order.iter_mut().zip(0u8..) {
        *slot = index;
    }
    for step in 0..count {
        let pick = fastrand::usize(step..count);
        order.swap(step, pick);
        let index = usize::from(order[step]);
        let branch = &branches[index];
        if branch.ready(me) {
            return Some(index);
        }
    }
    None
}

/// Waits until a branch is ready and returns its index, or `None` once
/// `deadline` has passed with none ready. A deadline already past makes one
/// pass (the `default` branch of the macros).
#[doc(hidden)]
pub fn ready_index(
    branches: &[Branch<'_>],
    rule: Rule,
    deadline: Option<Instant>,
) -> Option<usize> {
    if let Some(index) = choose(branches, rule, None) {
        return Some(index);
    }
    let context = Context::current();
    // A rendezvous counterpart can only meet a select that waits: such a
    // select waits at once, as a plain `send` or `recv` there does.
    let at_once = branches
        .iter()
        .any(|branch| branch.enabled() && branch.op.waits_at_once());
    let mut failed = 0u32;
    loop {
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return None;
        }
        if !at_once && SpinThenPark.pause(failed, context) == Pause::Retry {
            failed = failed.saturating_add(1);
        } else {
            let waiter = Waiter::new(context);
            let registration = Registration::link(branches, &waiter);
            if let Some(index) = choose(branches, rule, Some(&waiter)) {
                return Some(registration.abandon(index));
            }
            if at_once {
                // Linked from the start: spin first while a counterpart can
                // already meet us.
                waiter.pause_then_park(&SpinThenPark, context, deadline, &mut || {
                    park_blocked(branches, &mut || waiter.park(context, deadline));
                });
            } else {
                park_blocked(branches, &mut || waiter.park(context, deadline));
            }
            let woken_by = registration.finish();
            if let Some(branch) = woken_by.filter(|&branch| branches[branch].op.met()) {
                // A rendezvous counterpart met this branch: it is the one.
                return Some(branch);
            }
            let choice = choose(branches, rule, None);
            if let Some(branch) = woken_by.filter(|&branch| Some(branch) != choice) {
                branches[branch].op.pass_on();
            }
            if choice.is_some() {
                return choice;
            }
            continue;
        }
        if let Some(index) = choose(branches, rule, None) {
            return Some(index);
        }
    }
}

/// Runs `park` with the channel of every enabled branch told that an
/// operation is blocked on it (metrics sinks bracket the park, so `Counters`
/// counts a parked select and the debugger sees it in its wait-for graph).
/// One guard per branch, nested on the stack: no allocation, and a cancel
/// that unwinds out of the park closes every bracket.
fn park_blocked(branches: &[Branch<'_>], park: &mut dyn FnMut()) {
    match branches.split_first() {
        None => park(),
        Some((first, rest)) if first.enabled() => {
            first.op.park_blocked(&mut || park_blocked(rest, park));
        }
        Some((_, rest)) => park_blocked(rest, park),
    }
}

/// The select's waiter, linked into every enabled branch's list. Dropping it
/// (a cancelled coroutine unwinding out of the park) abandons it.
struct Registration<'a, 'b> {
    branches: &'a [Branch<'b>],
    waiter: &'a Waiter,
}

impl<'a, 'b> Registration<'a, 'b> {
    fn link(branches: &'a [Branch<'b>], waiter: &'a Waiter) -> Self {
        for (index, branch) in branches.iter().enumerate() {
            if branch.enabled() {
                branch.op.link(waiter, index + 1);
            }
        }
        // The waiter side of the waker's invariant 4, once for all lists.
        fence(Ordering::SeqCst);
        Self { branches, waiter }
    }

    fn unlink(&self) {
        for branch in self.branches.iter().filter(|branch| branch.enabled()) {
            branch.op.unlink(self.waiter);
        }
    }

    /// Unlinks after the park returned; returns the branch whose wake-up
    /// ended it, if one did.
    fn finish(self) -> Option<usize> {
        self.unlink();
        let woken_by = self.waiter.selected().map(|token| token - 1);
        std::mem::forget(self);
        woken_by
    }

    /// Unlinks a waiter that no longer wants a wake-up, having found branch
    /// `taking` ready; returns the branch the select takes: `taking`, unless
    /// a rendezvous counterpart met another branch meanwhile (that branch
    /// must then complete). A wake-up already spent on the waiter for
    /// another branch is passed on.
    fn abandon(self, taking: usize) -> usize {
        let claimed = self.waiter.claim();
        self.unlink();
        let branches = self.branches;
        std::mem::forget(self);
        match claimed {
            Err(token) if branches[token - 1].op.met() => token - 1,
            Err(token) if token - 1 != taking => {
                branches[token - 1].op.pass_on();
                taking
            }
            _ => taking,
        }
    }
}

impl Drop for Registration<'_, '_> {
    fn drop(&mut self) {
        let claimed = self.waiter.claim();
        self.unlink();
        if let Err(token) = claimed {
            let branch = &self.branches[token - 1];
            if branch.op.met() {
                branch.op.let_go();
            } else {
                branch.op.pass_on();
            }
        }
    }
}
