//! Loom models of the queues' lock-free protocols, one small model per
//! protocol (DESIGN.md, "Model checking and sanitizers"). Built only with
//! `--cfg loom`:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test --release --lib loom_
//! ```
//!
//! Every model runs every interleaving of its threads up to a bound of
//! preemptions ([`PREEMPTIONS`], or `LOOM_MAX_PREEMPTIONS`), with loom's
//! weak-memory simulation of each atomic's ordering, and checks the
//! queue's promise at the end: nothing lost, nothing duplicated, FIFO per
//! producer, and the claimed state (counts, capacity) back where it should
//! be.

mod ring;
mod spsc;
mod unbounded;

/// The preemption bound of every model unless `LOOM_MAX_PREEMPTIONS` says
/// otherwise: 3 finds the bugs that need a thread stopped at two points
/// and a third thread in between, and keeps the whole set to minutes.
const PREEMPTIONS: usize = 3;

/// Runs `body` under loom with the given preemption bound (the
/// environment's `LOOM_MAX_PREEMPTIONS` wins, so that a run can go deeper).
fn model(preemptions: usize, body: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(preemptions);
    }
    builder.check(body);
}
