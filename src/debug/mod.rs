//! The channel debugger: a [`History`] sink that keeps each channel's last
//! events, and a [`Debugger`] that reads the channels registered with it to
//! follow a message through a pipeline ([`trace_message_flow`]), find tasks
//! that wait for each other for good ([`detect_deadlocks`]) and report how
//! each channel performs ([`analyze_performance`]).
//!
//! [`trace_message_flow`]: Debugger::trace_message_flow
//! [`detect_deadlocks`]: Debugger::detect_deadlocks
//! [`analyze_performance`]: Debugger::analyze_performance
//!
//! ```
//! use may_channel::debug::{Debugger, FullDebug};
//! use may_channel::{Channel, queue::Bounded};
//!
//! type Stage = Channel<Bounded<16>, may_channel::wait::SpinThenPark,
//!                      may_channel::backpressure::Block, FullDebug<256>>;
//! let debugger = Debugger::new();
//! let (orders_tx, orders_rx) = Stage::new();
//! let (invoices_tx, invoices_rx) = Stage::new();
//! debugger.register("orders", &orders_tx);
//! debugger.register("invoices", &invoices_tx);
//!
//! orders_tx.send(7u32).unwrap();
//! let order = orders_rx.recv().unwrap(); // this thread now works on that order...
//! invoices_tx.send(order * 100).unwrap(); // ...so the invoice is its child
//! invoices_rx.recv().unwrap();
//!
//! let first = orders_tx.sink().1.1.events()[0].message.unwrap();
//! let flow = debugger.trace_message_flow(first);
//! assert_eq!(flow.channels(), ["orders", "invoices"]);
//! assert!(debugger.detect_deadlocks().is_empty());
//! println!("{}", debugger.analyze_performance());
//! ```
//!
//! # Which sinks the debugger reads
//! A channel registers with [`Debugger::register`] when its sink implements
//! [`Inspect`]: [`History`] gives events, blocked tasks and handle holders;
//! [`Counters`] gives throughput, time blocked, drops and the high-water mark;
//! [`Latency`] gives percentiles (of one message in 16, by default);
//! tuples give what their parts give. [`FullDebug<N>`] is all three.
//!
//! # Cost
//! [`History`] records every event: per message two ring writes (a shared
//! ticket `fetch_add` and a slot CAS each), two reads of the CPU's
//! time-stamp counter and three task-local lookups. That makes it, and so
//! [`FullDebug<N>`], a debugging sink, several times the cost of a channel
//! without metrics (`benches/metrics.rs` measures it); [`Counters`] and the
//! sampled [`Latency`] are the ones to leave on in production.

mod analyze;
mod deadlock;
mod history;
mod task;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

pub use analyze::{ChannelReport, ChannelStats, PerformanceReport, thresholds};
pub use deadlock::{Deadlock, StuckTask, Wait};
pub use history::{
    Blocked, ChannelId, Event, EventKind, History, HistoryCore, HolderSet, MessageId,
};
pub use task::{TaskId, current_task, name_task};

use crate::channel::{Flavor, QueueOf, Shared};
use crate::metrics::{
    Counters, CountersSnapshot, Latency, LatencySnapshot, NoMetrics, Report, Side,
};
use crate::sync::{Mutex, lock};
use crate::{Receiver, Sender};
use deadlock::WaitView;

/// Every debugging sink at once: counters, latency (one message in 16
/// timed) and a history ring of `N` events.
pub type FullDebug<const N: usize> = (Counters, (Latency, History<N>));

/// A sink the [`Debugger`] can read. Implemented by the crate's sinks and
/// by pairs of sinks; each method defaults to "not here", so your own sink
/// implements it with an empty `impl`, or overrides what it has.
pub trait Inspect {
    /// The history ring, blocked tasks and handle holders.
    fn history(&self) -> Option<&HistoryCore> {
        None
    }
    /// Counter figures.
    fn counters(&self) -> Option<CountersSnapshot> {
        None
    }
    /// Latency figures.
    fn latency(&self) -> Option<LatencySnapshot> {
        None
    }
}

impl Inspect for NoMetrics {}

impl Inspect for Counters {
    fn counters(&self) -> Option<CountersSnapshot> {
        Some(self.snapshot())
    }
}

impl<const SAMPLE: u32> Inspect for Latency<SAMPLE> {
    fn latency(&self) -> Option<LatencySnapshot> {
        Some(self.snapshot())
    }
}

impl<const N: usize> Inspect for History<N> {
    fn history(&self) -> Option<&HistoryCore> {
        Some(self)
    }
}

impl<A: Inspect, B: Inspect> Inspect for (A, B) {
    fn history(&self) -> Option<&HistoryCore> {
        self.0.history().or_else(|| self.1.history())
    }
    fn counters(&self) -> Option<CountersSnapshot> {
        self.0.counters().or_else(|| self.1.counters())
    }
    fn latency(&self) -> Option<LatencySnapshot> {
        self.0.latency().or_else(|| self.1.latency())
    }
}

// ------------------------------------------------------------- handles

mod sealed {
    pub trait Sealed {}
    impl<T, F: crate::Flavor> Sealed for crate::Sender<T, F> {}
    impl<T, F: crate::Flavor> Sealed for crate::Receiver<T, F> {}
}

/// A channel handle the debugger can register: a [`Sender`] or a
/// [`Receiver`] whose sink implements [`Inspect`]. Sealed.
pub trait Debuggable: sealed::Sealed {
    #[doc(hidden)]
    fn probe(&self) -> Box<dyn Probe>;
    #[doc(hidden)]
    fn side(&self) -> Side;
    #[doc(hidden)]
    fn history(&self) -> Option<&HistoryCore>;
}

// A debugger may be read, and its probes dropped, on any thread (`Probe`
// is `Send + Sync`), so only channels whose handles may cross threads
// register: `T: Send` and a thread-safe queue, as for a `Send` handle.
impl<T, F> Debuggable for Sender<T, F>
where
    T: Send + 'static,
    QueueOf<T, F>: Send + Sync,
    F: Flavor,
    F::Metrics: Inspect,
{
    fn probe(&self) -> Box<dyn Probe> {
        Box::new(ChannelProbe(Arc::clone(self.shared_arc())))
    }
    fn side(&self) -> Side {
        Side::Send
    }
    fn history(&self) -> Option<&HistoryCore> {
        Inspect::history(self.sink())
    }
}

impl<T, F> Debuggable for Receiver<T, F>
where
    T: Send + 'static,
    QueueOf<T, F>: Send + Sync,
    F: Flavor,
    F::Metrics: Inspect,
{
    fn probe(&self) -> Box<dyn Probe> {
        Box::new(ChannelProbe(Arc::clone(self.shared_arc())))
    }
    fn side(&self) -> Side {
        Side::Recv
    }
    fn history(&self) -> Option<&HistoryCore> {
        Inspect::history(self.sink())
    }
}

/// Declares that the calling coroutine or thread holds `handle`, so the
/// deadlock detector counts it among the tasks that could serve the other
/// side, before it has used the handle. A task that sends, receives or
/// blocks on a side is counted without this; one that only keeps a handle
/// (to send later, or to keep the channel open) must declare it, or the
/// detector cannot know about it. Dropping a handle of that side undoes it.
/// Does nothing for a channel without a [`History`] sink.
pub fn hold<H: Debuggable>(handle: &H) {
    if let Some(history) = handle.history() {
        history.hold(handle.side());
    }
}

/// A registered channel's shared state.
#[doc(hidden)]
pub trait Probe: Send + Sync {
    fn blocked(&self) -> Vec<Blocked>;
    fn state(&self) -> ProbeState;
    fn events(&self) -> Vec<Event>;
}

/// What a probe reads from a live channel.
#[doc(hidden)]
pub struct ProbeState {
    len: usize,
    capacity: Option<usize>,
    full: bool,
    disconnected: bool,
    senders: usize,
    receivers: usize,
    counters: Option<CountersSnapshot>,
    latency: Option<LatencySnapshot>,
    holders: Option<[HolderSet; 2]>,
}

/// A strong reference to the channel's shared state: it keeps the sink
/// readable after the handles are gone, and counts as no handle (the
/// channel disconnects when its last sender or receiver goes, as always).
struct ChannelProbe<T, F: Flavor>(Arc<Shared<T, F>>);

impl<T, F> Probe for ChannelProbe<T, F>
where
    T: Send + 'static,
    QueueOf<T, F>: Send + Sync,
    F: Flavor,
    F::Metrics: Inspect,
{
    fn blocked(&self) -> Vec<Blocked> {
        let sink = self.0.metrics();
        sink.history().map(HistoryCore::blocked).unwrap_or_default()
    }

    fn state(&self) -> ProbeState {
        let shared = &self.0;
        let sink = shared.metrics();
        ProbeState {
            len: shared.len(),
            capacity: shared.capacity(),
            full: shared.is_full(),
            disconnected: shared.is_disconnected(),
            senders: shared.sender_count(),
            receivers: shared.receiver_count(),
            counters: sink.counters(),
            latency: sink.latency(),
            holders: sink
                .history()
                .map(|h| [h.holders(Side::Send), h.holders(Side::Recv)]),
        }
    }

    fn events(&self) -> Vec<Event> {
        let sink = self.0.metrics();
        sink.history().map(HistoryCore::events).unwrap_or_default()
    }
}

// ------------------------------------------------------------ debugger

struct Registered {
    name: String,
    since: Instant,
    probe: Box<dyn Probe>,
}

/// Reads the channels registered with it: their merged history, the flow
/// of one message, deadlocks, and a performance report.
///
/// The debugger keeps each registered channel's shared state (not a
/// handle) until it is dropped or [`unregister`](Self::unregister)s the
/// channel, so a pipeline can be traced and reported on after it finished:
/// the channel still disconnects when its last sender or receiver goes and
/// drops the messages queued then; what it keeps is the sink, the queue's
/// memory and any message a racing sender pushed after that drain (dropped
/// with the debugger's reference, still exactly once). All methods may be
/// called from any thread or coroutine while the channels are in use; none
/// blocks a channel operation.
pub struct Debugger {
    channels: Mutex<Vec<Arc<Registered>>>,
}

impl Default for Debugger {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Debugger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Debugger")
            .field("channels", &self.names())
            .finish()
    }
}

/// One event and the name of its channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The channel's name in the debugger.
    pub channel: String,
    /// The event.
    pub event: Event,
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.event;
        write!(f, "{:>12.3?}  {:<12} ", e.time, self.channel)?;
        match e.kind {
            EventKind::Send => f.write_str("send   ")?,
            EventKind::Recv => f.write_str("recv   ")?,
            EventKind::Drop => f.write_str("drop   ")?,
            EventKind::Block(Side::Send) => f.write_str("block (send)")?,
            EventKind::Block(Side::Recv) => f.write_str("block (recv)")?,
            EventKind::Wake(Side::Send) => f.write_str("wake (send)")?,
            EventKind::Wake(Side::Recv) => f.write_str("wake (recv)")?,
        }
        if let Some(message) = e.message {
            write!(f, " {message}")?;
        }
        if let Some(parent) = e.parent {
            write!(f, " (after {parent})")?;
        }
        write!(f, " by {}", e.task)
    }
}

/// The path of one message and of the messages it caused, as
/// [`Debugger::trace_message_flow`] found it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flow {
    /// The message traced.
    pub root: Option<MessageId>,
    /// It and its descendants, breadth first (a message sent by a task right
    /// after it received the parent is its child).
    pub messages: Vec<MessageId>,
    /// Their events, in time order.
    pub records: Vec<Record>,
}

impl Flow {
    /// The channels the flow went through, in order of first appearance.
    pub fn channels(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for record in &self.records {
            if !out.contains(&record.channel.as_str()) {
                out.push(&record.channel);
            }
        }
        out
    }
}

impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.root {
            Some(root) => writeln!(
                f,
                "flow of {root}: {} message(s) through {:?}",
                self.messages.len(),
                self.channels()
            )?,
            None => writeln!(f, "empty flow")?,
        }
        for record in &self.records {
            writeln!(f, "  {record}")?;
        }
        Ok(())
    }
}

impl Debugger {
    /// A debugger with no channels.
    pub fn new() -> Self {
        Self {
            channels: Mutex::new(Vec::new()),
        }
    }

    /// Registers the channel of `handle` under `name` (names need not be
    /// unique, but reports are easier to read when they are). The time
    /// figures of [`analyze_performance`](Self::analyze_performance) count
    /// from now.
    pub fn register<H: Debuggable>(&self, name: &str, handle: &H) {
        let entry = Arc::new(Registered {
            name: name.to_owned(),
            since: Instant::now(),
            probe: handle.probe(),
        });
        lock(&self.channels).push(entry);
    }

    /// Forgets the channels registered under `name`; returns how many.
    pub fn unregister(&self, name: &str) -> usize {
        // Dropped after the lock is released: this may be the channel's last
        // reference, whose teardown drops messages (user code).
        let removed: Vec<Arc<Registered>>;
        {
            let mut channels = lock(&self.channels);
            let (gone, kept) = channels.drain(..).partition(|c| c.name == name);
            *channels = kept;
            removed = gone;
        }
        removed.len()
    }

    /// The names of the registered channels, in registration order.
    pub fn names(&self) -> Vec<String> {
        self.live().iter().map(|c| c.name.clone()).collect()
    }

    /// The registered channels; the lock is released before any is read.
    fn live(&self) -> Vec<Arc<Registered>> {
        lock(&self.channels).clone()
    }

    /// Every event in the rings of the registered channels, in time order.
    pub fn history(&self) -> Vec<Record> {
        let mut records: Vec<Record> = self
            .live()
            .iter()
            .flat_map(|c| {
                c.probe.events().into_iter().map(|event| Record {
                    channel: c.name.clone(),
                    event,
                })
            })
            .collect();
        records.sort_by_key(|r| (r.event.time, r.event.seq));
        records
    }

    /// Follows message `id` through the registered channels: its send,
    /// receive or drop, then the messages the receiving task sent next (its
    /// children, by the parent link of [`History`]), and theirs, breadth
    /// first. Only events still in the rings are found: a ring that wrapped
    /// has forgotten the oldest ones.
    pub fn trace_message_flow(&self, id: MessageId) -> Flow {
        let history = self.history();
        let mut by_message: HashMap<MessageId, Vec<usize>> = HashMap::new();
        let mut children: BTreeMap<MessageId, Vec<MessageId>> = BTreeMap::new();
        for (i, record) in history.iter().enumerate() {
            if let Some(message) = record.event.message {
                by_message.entry(message).or_default().push(i);
                if let (EventKind::Send, Some(parent)) = (record.event.kind, record.event.parent) {
                    children.entry(parent).or_default().push(message);
                }
            }
        }
        let mut messages = Vec::new();
        let mut queue = VecDeque::from([id]);
        while let Some(message) = queue.pop_front() {
            if messages.contains(&message) {
                continue;
            }
            messages.push(message);
            if let Some(kids) = children.get(&message) {
                queue.extend(kids.iter().copied());
            }
        }
        let mut indices: Vec<usize> = messages
            .iter()
            .filter_map(|m| by_message.get(m))
            .flatten()
            .copied()
            .collect();
        indices.sort_unstable();
        Flow {
            root: Some(id),
            messages,
            records: indices.into_iter().map(|i| history[i].clone()).collect(),
        }
    }

    /// Finds sets of tasks that wait for each other on the registered
    /// channels and can never be woken.
    ///
    /// The wait-for graph has an edge from each parked task to every task
    /// that could serve it: the known holders of the other side of the
    /// channel it waits on (see [`hold`] and [`History`]). A deadlock is a
    /// set of parked tasks whose servers are all in the set; each cycle of
    /// it is reported with its channels and tasks. The channels are read
    /// three times (parked tasks, channel states, parked tasks again) and
    /// only parks seen both times, on channels that agree (a receiver on an
    /// empty channel, a sender on a full one, not disconnected), count: a
    /// task about to be woken is not reported.
    ///
    /// A task parked in a select waits on each of its enabled branches: it
    /// counts as stuck only when every branch is, and any holder of any
    /// branch's other side could serve it.
    ///
    /// Never reported: tasks parked on unregistered channels, on a channel
    /// without a [`History`] sink, or waiting for a
    /// side whose holders are not all known (a holder that never used its
    /// handle and did not declare it with [`hold`]). A task in a timed wait
    /// is reported like any other while it waits.
    pub fn detect_deadlocks(&self) -> Vec<Deadlock> {
        let channels = self.live();
        let parked = |channels: &[Arc<Registered>]| -> Vec<Vec<Blocked>> {
            channels.iter().map(|c| c.probe.blocked()).collect()
        };
        let first = parked(&channels);
        if first.iter().all(Vec::is_empty) {
            return Vec::new();
        }
        let states: Vec<ProbeState> = channels.iter().map(|c| c.probe.state()).collect();
        let second = parked(&channels);
        let to_views = |blocked: Vec<Vec<Blocked>>| -> Vec<WaitView> {
            channels
                .iter()
                .zip(&states)
                .zip(blocked)
                .filter_map(|((c, state), blocked)| {
                    Some(WaitView {
                        name: c.name.clone(),
                        empty: state.len == 0,
                        full: state.full,
                        disconnected: state.disconnected,
                        blocked,
                        holders: state.holders.clone()?,
                    })
                })
                .collect()
        };
        let first = to_views(first);
        let mut second = to_views(second);
        deadlock::lasting(&first, &mut second);
        deadlock::find(&second)
    }

    /// A report per registered channel: throughput, share of time senders
    /// and receivers spent parked, queue high-water mark, latency
    /// percentiles, drops, and hints ([`ChannelReport`]). Its `Display` is a
    /// table.
    pub fn analyze_performance(&self) -> PerformanceReport {
        let channels = self
            .live()
            .iter()
            .map(|c| {
                let state = c.probe.state();
                ChannelReport::new(ChannelStats {
                    name: c.name.clone(),
                    elapsed: c.since.elapsed(),
                    capacity: state.capacity,
                    len: state.len,
                    senders: state.senders,
                    receivers: state.receivers,
                    counters: state.counters,
                    latency: state.latency,
                })
            })
            .collect();
        PerformanceReport { channels }
    }
}
