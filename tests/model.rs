//! Model-based tests: random sequences of operations, issued from several
//! handles in one thread, checked step by step against a `VecDeque` model of
//! the channel.
//!
//! Every message is a [`Tracked`] value with a unique id whose drops a
//! [`Ledger`] counts, so besides the values and errors each operation
//! returns, the tests check that the channel drops exactly the messages the
//! model says it drops (evicted, discarded, left queued when the last receiver
//! goes), each exactly once, and nothing else.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use may_channel::flavors::{
    BoundedBlocking, BoundedRejecting, DynBoundedBlocking, FirstN, LatestN, RendezvousMpmc,
    UnboundedMpmc,
};
use may_channel::metrics::CountersSnapshot;
use may_channel::queue::{Spsc, SpscBounded};
use may_channel::{
    Channel, Flavor, Receiver, RecvError, RecvTimeoutError, SendError, SendTimeoutError, Sender,
    TryRecvError, TrySendError,
};
use proptest::prelude::*;

// ------------------------------------------------------------ drop ledger

/// How many times each value made by [`Ledger::make`] was dropped.
#[derive(Default)]
struct Ledger {
    drops: Mutex<Vec<u8>>,
}

impl Ledger {
    fn drops_guard(&self) -> MutexGuard<'_, Vec<u8>> {
        // A panicking assertion must not hide behind a poisoned lock.
        self.drops.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new value with the next id.
    fn make(self: &Arc<Self>) -> Tracked {
        let mut drops = self.drops_guard();
        let id = drops.len();
        drops.push(0);
        Tracked {
            id,
            ledger: Arc::clone(self),
        }
    }

    fn drops_of(&self, id: usize) -> u8 {
        self.drops_guard()[id]
    }

    fn snapshot(&self) -> Vec<u8> {
        self.drops_guard().clone()
    }
}

/// A message that reports its drop to its ledger.
struct Tracked {
    id: usize,
    ledger: Arc<Ledger>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        let mut drops = self.ledger.drops_guard();
        drops[self.id] = drops[self.id].saturating_add(1);
    }
}

// ------------------------------------------------------ normalised results

/// The outcome of any send-like call, reduced to message ids so that it can
/// be compared with the model's expectation. (The crate's error types print
/// no payload, and `Tracked` has no useful equality.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sent {
    Stored,
    Full(usize),
    Timeout(usize),
    Disconnected(usize),
}

fn from_try(result: Result<(), TrySendError<Tracked>>) -> Sent {
    match result {
        Ok(()) => Sent::Stored,
        Err(TrySendError::Full(v)) => Sent::Full(v.id),
        Err(TrySendError::Disconnected(v)) => Sent::Disconnected(v.id),
    }
}

fn from_send(result: Result<(), SendError<Tracked>>) -> Sent {
    match result {
        Ok(()) => Sent::Stored,
        Err(SendError(v)) => Sent::Disconnected(v.id),
    }
}

fn from_timeout(result: Result<(), SendTimeoutError<Tracked>>) -> Sent {
    match result {
        Ok(()) => Sent::Stored,
        Err(SendTimeoutError::Timeout(v)) => Sent::Timeout(v.id),
        Err(SendTimeoutError::Disconnected(v)) => Sent::Disconnected(v.id),
    }
}

fn ids(values: Vec<Tracked>) -> Vec<usize> {
    values.into_iter().map(|v| v.id).collect()
}

// ---------------------------------------------------------- the subjects

/// What a full channel does on `send`, as the model sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Policy {
    Unlimited,
    Block,
    Reject,
    DropNewest,
    DropOldest,
}

type Pair<F> = (Sender<Tracked, F>, Receiver<Tracked, F>);

/// One flavour under test: how to build it, and its flavour-specific calls
/// (the methods a flavour has depend on its backpressure policy).
trait Subject {
    type F: Flavor;
    const POLICY: Policy;
    /// `None`: unbounded; `Some(0)`: rendezvous.
    const CAPACITY: Option<usize>;

    fn open() -> Pair<Self::F>;

    /// The flavour's `send`. `Block` flavours call `send` only where the
    /// model says it cannot block (not full) and `send_timeout(ZERO)`
    /// otherwise; `Reject` flavours have no `send` and call `try_send`.
    fn send(tx: &Sender<Tracked, Self::F>, msg: Tracked, model_full: bool) -> Sent;

    /// `send_timeout(msg, ZERO)` where the flavour has it, `send` otherwise.
    fn send_timeout_zero(tx: &Sender<Tracked, Self::F>, msg: Tracked, model_full: bool) -> Sent {
        Self::send(tx, msg, model_full)
    }

    /// `force_send`; only called when `POLICY` is `DropOldest`.
    fn force_send(
        tx: &Sender<Tracked, Self::F>,
        msg: Tracked,
    ) -> Result<Option<Tracked>, SendError<Tracked>> {
        let _ = (tx, msg);
        unreachable!("only DropOldest channels have force_send")
    }

    fn metrics_tx(tx: &Sender<Tracked, Self::F>) -> Option<CountersSnapshot> {
        let _ = tx;
        None
    }

    fn metrics_rx(rx: &Receiver<Tracked, Self::F>) -> Option<CountersSnapshot> {
        let _ = rx;
        None
    }
}

fn send_blocking<F>(tx: &Sender<Tracked, F>, msg: Tracked, model_full: bool) -> Sent
where
    F: Flavor<Backpressure = may_channel::backpressure::Block>,
{
    if model_full {
        from_timeout(tx.send_timeout(msg, Duration::ZERO))
    } else {
        from_send(tx.send(msg))
    }
}

struct UnboundedCase;
impl Subject for UnboundedCase {
    type F = UnboundedMpmc;
    const POLICY: Policy = Policy::Unlimited;
    const CAPACITY: Option<usize> = None;
    fn open() -> Pair<Self::F> {
        UnboundedMpmc::new()
    }
    fn send(tx: &Sender<Tracked, Self::F>, msg: Tracked, _: bool) -> Sent {
        from_send(tx.send(msg))
    }
    fn send_timeout_zero(tx: &Sender<Tracked, Self::F>, msg: Tracked, _: bool) -> Sent {
        from_timeout(tx.send_timeout(msg, Duration::ZERO))
    }
}

/// The single-producer, single-consumer queue behind the ordinary
/// (cloneable) handles, which take turns on each side.
struct SpscSharedCase;
impl Subject for SpscSharedCase {
    type F = Channel<Spsc>;
    const POLICY: Policy = Policy::Unlimited;
    const CAPACITY: Option<usize> = None;
    fn open() -> Pair<Self::F> {
        Channel::<Spsc>::new()
    }
    fn send(tx: &Sender<Tracked, Self::F>, msg: Tracked, _: bool) -> Sent {
        from_send(tx.send(msg))
    }
    fn send_timeout_zero(tx: &Sender<Tracked, Self::F>, msg: Tracked, _: bool) -> Sent {
        from_send(tx.send(msg))
    }
}

/// The bounded single-producer, single-consumer ring behind the ordinary
/// handles.
struct SpscBoundedSharedCase;
impl Subject for SpscBoundedSharedCase {
    type F = Channel<SpscBounded<4>>;
    const POLICY: Policy = Policy::Block;
    const CAPACITY: Option<usize> = Some(4);
    fn open() -> Pair<Self::F> {
        Channel::<SpscBounded<4>>::new()
    }
    fn send(tx: &Sender<Tracked, Self::F>, msg: Tracked, model_full: bool) -> Sent {
        send_blocking(tx, msg, model_full)
    }
    fn send_timeout_zero(tx: &Sender<Tracked, Self::F>, msg: Tracked, _: bool) -> Sent {
        from_timeout(tx.send_timeout(msg, Duration::ZERO))
    }
}

struct BlockingCase;
impl Subject for BlockingCase {
    type F = BoundedBlocking<4>;
    const POLICY: Policy = Policy::Block;
    const CAPACITY: Option<usize> = Some(4);
    fn open() -> Pair<Self::F> {
        BoundedBlocking::<4>::new()
    }
    fn send(tx: &Sender<Tracked, Self::F>, msg: Tracked, model_full: bool) -> Sent {
        send_blocking(tx, msg, model_full)
    }
    fn send_timeout_zero(tx: &Sender<Tracked, Self::F>, msg: Tracked, _: bool) -> Sent {
        from_timeout(tx.send_timeout(msg, Duration::ZERO))
    }
}

struct DynBlockingCase;
impl Subject for DynBlockingCase {
    type F = DynBoundedBlocking;
    const POLICY: Policy = Policy::Block;
    const CAPACITY: Option<usize> = Some(3);
    fn open() -> Pair<Self::F> {
        DynBoundedBlocking::with_config(3).expect("capacity 3 is valid")
    }
    fn send(tx: &Sender<Tracked, Self::F>, msg: Tracked, model_full: bool) -> Sent {
        send_blocking(tx, msg, model_full)
    }
    fn send_timeout_zero(tx: &Sender<Tracked, Self::F>, msg: Tracked, _: bool) -> Sent {
        // The deadline form, with a deadline already past: one attempt.
        from_timeout(tx.send_deadline(msg, Instant::now()))
    }
}

struct RejectingCase;
impl Subject for RejectingCase {
    type F = BoundedRejecting<4>;
    const POLICY: Policy = Policy::Reject;
    const CAPACITY: Option<usize> = Some(4);
    fn open() -> Pair<Self::F> {
        BoundedRejecting::<4>::new()
    }
    fn send(tx: &Sender<Tracked, Self::F>, msg: Tracked, _: bool) -> Sent {
        from_try(tx.try_send(msg))
    }
}

struct FirstNCase;
impl Subject for FirstNCase {
    type F = FirstN<4>;
    const POLICY: Policy = Policy::DropNewest;
    const CAPACITY: Option<usize> = Some(4);
    fn open() -> Pair<Self::F> {
        FirstN::<4>::new()
    }
    fn send(tx: &Sender<Tracked, Self::F>, msg: Tracked, _: bool) -> Sent {
        from_send(tx.send(msg))
    }
    fn metrics_tx(tx: &Sender<Tracked, Self::F>) -> Option<CountersSnapshot> {
        Some(tx.metrics())
    }
    fn metrics_rx(rx: &Receiver<Tracked, Self::F>) -> Option<CountersSnapshot> {
        Some(rx.metrics())
    }
}

struct LatestNCase;
impl Subject for LatestNCase {
    type F = LatestN<4>;
    const POLICY: Policy = Policy::DropOldest;
    const CAPACITY: Option<usize> = Some(4);
    fn open() -> Pair<Self::F> {
        LatestN::<4>::new()
    }
    fn send(tx: &Sender<Tracked, Self::F>, msg: Tracked, _: bool) -> Sent {
        from_send(tx.send(msg))
    }
    fn force_send(
        tx: &Sender<Tracked, Self::F>,
        msg: Tracked,
    ) -> Result<Option<Tracked>, SendError<Tracked>> {
        tx.force_send(msg)
    }
    fn metrics_tx(tx: &Sender<Tracked, Self::F>) -> Option<CountersSnapshot> {
        Some(tx.metrics())
    }
    fn metrics_rx(rx: &Receiver<Tracked, Self::F>) -> Option<CountersSnapshot> {
        Some(rx.metrics())
    }
}

struct RendezvousCase;
impl Subject for RendezvousCase {
    type F = RendezvousMpmc;
    const POLICY: Policy = Policy::Block;
    const CAPACITY: Option<usize> = Some(0);
    fn open() -> Pair<Self::F> {
        RendezvousMpmc::new()
    }
    fn send(tx: &Sender<Tracked, Self::F>, msg: Tracked, model_full: bool) -> Sent {
        send_blocking(tx, msg, model_full)
    }
    fn send_timeout_zero(tx: &Sender<Tracked, Self::F>, msg: Tracked, _: bool) -> Sent {
        from_timeout(tx.send_timeout(msg, Duration::ZERO))
    }
}

// ------------------------------------------------------------ operations

/// One step of a test case. Handle indices are taken modulo the number of
/// live handles on that side; a step on a side with no handle left is
/// skipped.
#[derive(Clone, Debug)]
enum Op {
    TrySend(usize),
    Send(usize),
    SendTimeoutZero(usize),
    ForceSend(usize),
    SendBatch(usize, usize),
    TryRecv(usize),
    RecvTimeoutZero(usize),
    /// `recv` where it cannot block, `recv_deadline(now)` otherwise.
    Recv(usize),
    /// `recv_batch(max)` where it cannot block, `recv_batch_timeout(max,
    /// ZERO)` otherwise.
    RecvBatch(usize, usize),
    TryIterTake(usize, usize),
    /// `iter()` to the end once the senders are gone, `try_iter()` before.
    Drain(usize),
    CloneSender(usize),
    CloneReceiver(usize),
    DropSender(usize),
    DropReceiver(usize),
    /// `close()` from a sender (even index) or a receiver (odd).
    Close(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let handle = 0..4usize;
    prop_oneof![
        6 => handle.clone().prop_map(Op::TrySend),
        6 => handle.clone().prop_map(Op::Send),
        2 => handle.clone().prop_map(Op::SendTimeoutZero),
        3 => handle.clone().prop_map(Op::ForceSend),
        3 => (handle.clone(), 0..7usize).prop_map(|(h, n)| Op::SendBatch(h, n)),
        6 => handle.clone().prop_map(Op::TryRecv),
        2 => handle.clone().prop_map(Op::RecvTimeoutZero),
        3 => handle.clone().prop_map(Op::Recv),
        3 => (handle.clone(), 0..6usize).prop_map(|(h, n)| Op::RecvBatch(h, n)),
        2 => (handle.clone(), 0..6usize).prop_map(|(h, n)| Op::TryIterTake(h, n)),
        1 => handle.clone().prop_map(Op::Drain),
        2 => handle.clone().prop_map(Op::CloneSender),
        2 => handle.clone().prop_map(Op::CloneReceiver),
        1 => handle.clone().prop_map(Op::DropSender),
        1 => handle.clone().prop_map(Op::DropReceiver),
        1 => handle.prop_map(Op::Close),
    ]
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), 0..80)
}

/// Clones stop at this many handles per side.
const MAX_HANDLES: usize = 4;

// ------------------------------------------------------------- the model

/// The channel under test, its handles, and what it should hold.
struct Model<S: Subject> {
    ledger: Arc<Ledger>,
    senders: Vec<Sender<Tracked, S::F>>,
    receivers: Vec<Receiver<Tracked, S::F>>,
    /// Ids of the queued messages, oldest first.
    queue: VecDeque<usize>,
    /// What a `Counters` sink should report.
    sent: u64,
    received: u64,
    dropped: u64,
    /// `close()` was called: sends are refused, receivers drain.
    closed: bool,
}

impl<S: Subject> Model<S> {
    fn new() -> Self {
        let (tx, rx) = S::open();
        let senders = vec![tx.clone(), tx];
        let receivers = vec![rx.clone(), rx];
        Self {
            ledger: Arc::new(Ledger::default()),
            senders,
            receivers,
            queue: VecDeque::new(),
            sent: 0,
            received: 0,
            dropped: 0,
            closed: false,
        }
    }

    fn full(&self) -> bool {
        S::CAPACITY.is_some_and(|cap| self.queue.len() >= cap)
    }

    fn disconnected(&self) -> bool {
        self.senders.is_empty() || self.receivers.is_empty() || self.closed
    }

    /// Whether a send is refused as disconnected: no receiver, or closed.
    fn sends_refused(&self) -> bool {
        self.receivers.is_empty() || self.closed
    }

    /// Whether an empty channel reports `Disconnected` to a receiver: no
    /// sender, or closed.
    fn receives_end(&self) -> bool {
        self.senders.is_empty() || self.closed
    }

    fn sender(&self, index: usize) -> Option<&Sender<Tracked, S::F>> {
        let n = self.senders.len();
        (n != 0).then(|| &self.senders[index % n])
    }

    fn receiver(&self, index: usize) -> Option<&Receiver<Tracked, S::F>> {
        let n = self.receivers.len();
        (n != 0).then(|| &self.receivers[index % n])
    }

    fn store(&mut self, id: usize) {
        self.queue.push_back(id);
        self.sent += 1;
    }

    /// The model's verdict on a send of message `id` through the policy's
    /// `send` path; updates the model.
    fn expect_send(&mut self, id: usize) -> Sent {
        if self.sends_refused() {
            return Sent::Disconnected(id);
        }
        if !self.full() {
            self.store(id);
            return Sent::Stored;
        }
        match S::POLICY {
            Policy::Unlimited => unreachable!("an unbounded channel is never full"),
            Policy::Block => Sent::Timeout(id),
            Policy::Reject => Sent::Full(id),
            Policy::DropNewest => {
                self.dropped += 1;
                assert_eq!(
                    self.ledger.drops_of(id),
                    1,
                    "DropNewest drops the new message"
                );
                Sent::Stored
            }
            Policy::DropOldest => {
                let oldest = self.queue.pop_front().expect("full, so not empty");
                self.dropped += 1;
                assert_eq!(
                    self.ledger.drops_of(oldest),
                    1,
                    "DropOldest drops the oldest"
                );
                self.store(id);
                Sent::Stored
            }
        }
    }

    /// The model's verdict on a `try_send` of message `id`.
    fn expect_try_send(&mut self, id: usize) -> Sent {
        if self.sends_refused() {
            Sent::Disconnected(id)
        } else if self.full() {
            // A rendezvous channel is always "full" here: no receiver waits
            // in a single-threaded test.
            Sent::Full(id)
        } else {
            self.store(id);
            Sent::Stored
        }
    }

    /// What a receive finds when the channel is empty.
    fn empty_verdict(&self) -> Result<usize, TryRecvError> {
        if self.receives_end() {
            Err(TryRecvError::Disconnected)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    fn expect_recv(&mut self) -> Result<usize, TryRecvError> {
        match self.queue.pop_front() {
            Some(id) => {
                self.received += 1;
                Ok(id)
            }
            None => self.empty_verdict(),
        }
    }

    fn expect_recv_many(&mut self, max: usize) -> Vec<usize> {
        let n = max.min(self.queue.len());
        self.received += n as u64;
        self.queue.drain(..n).collect()
    }

    /// Whether a blocking receive would wait.
    fn recv_would_block(&self) -> bool {
        self.queue.is_empty() && !self.receives_end()
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::TrySend(h) => {
                let Some(tx) = self.sender(h) else { return };
                let msg = self.ledger.make();
                let id = msg.id;
                let got = from_try(tx.try_send(msg));
                assert_eq!(got, self.expect_try_send(id), "try_send");
            }
            Op::Send(h) => {
                let Some(tx) = self.sender(h) else { return };
                let msg = self.ledger.make();
                let id = msg.id;
                let got = S::send(tx, msg, self.full());
                assert_eq!(got, self.expect_send(id), "send");
            }
            Op::SendTimeoutZero(h) => {
                let Some(tx) = self.sender(h) else { return };
                let msg = self.ledger.make();
                let id = msg.id;
                let got = S::send_timeout_zero(tx, msg, self.full());
                assert_eq!(got, self.expect_send(id), "send_timeout(ZERO)");
            }
            Op::ForceSend(h) => {
                if S::POLICY != Policy::DropOldest {
                    return self.apply(&Op::Send(h));
                }
                let Some(tx) = self.sender(h) else { return };
                let msg = self.ledger.make();
                let id = msg.id;
                match S::force_send(tx, msg) {
                    Err(SendError(back)) => {
                        assert!(self.sends_refused(), "force_send refused {}", back.id);
                        assert_eq!(back.id, id, "force_send hands back the message");
                    }
                    Ok(evicted) => {
                        assert!(!self.sends_refused(), "force_send after disconnect");
                        let want = if self.full() {
                            self.dropped += 1;
                            self.queue.pop_front()
                        } else {
                            None
                        };
                        let evicted = evicted.map(|old| {
                            assert_eq!(self.ledger.drops_of(old.id), 0, "evicted value is live");
                            old.id
                        });
                        assert_eq!(evicted, want, "force_send returns the oldest");
                        self.store(id);
                    }
                }
            }
            Op::SendBatch(h, n) => {
                let Some(tx) = self.sender(h) else { return };
                let batch: Vec<Tracked> = (0..n).map(|_| self.ledger.make()).collect();
                let batch_ids: Vec<usize> = batch.iter().map(|v| v.id).collect();
                let refused = ids(tx.send_batch(batch));
                let room = if self.sends_refused() {
                    0
                } else {
                    match S::CAPACITY {
                        None => n,
                        Some(cap) => cap.saturating_sub(self.queue.len()),
                    }
                };
                let stored = room.min(n);
                for &id in &batch_ids[..stored] {
                    self.store(id);
                }
                assert_eq!(
                    refused,
                    batch_ids[stored..],
                    "send_batch refuses the suffix"
                );
            }
            Op::TryRecv(h) => {
                let Some(rx) = self.receiver(h) else { return };
                let got = rx.try_recv().map(|v| v.id);
                assert_eq!(got, self.expect_recv(), "try_recv");
            }
            Op::RecvTimeoutZero(h) => {
                let Some(rx) = self.receiver(h) else { return };
                let got = rx.recv_timeout(Duration::ZERO).map(|v| v.id);
                let want = self.expect_recv().map_err(|err| match err {
                    TryRecvError::Empty => RecvTimeoutError::Timeout,
                    TryRecvError::Disconnected => RecvTimeoutError::Disconnected,
                });
                assert_eq!(got, want, "recv_timeout(ZERO)");
            }
            Op::Recv(h) => {
                let Some(rx) = self.receiver(h) else { return };
                if self.recv_would_block() {
                    let got = rx.recv_deadline(Instant::now()).map(|v| v.id);
                    assert_eq!(got, Err(RecvTimeoutError::Timeout), "recv_deadline(now)");
                } else {
                    let got = rx.recv().map(|v| v.id);
                    let want = self.expect_recv().map_err(|_| RecvError);
                    assert_eq!(got, want, "recv");
                }
            }
            Op::RecvBatch(h, max) => {
                let Some(rx) = self.receiver(h) else { return };
                if max == 0 {
                    assert_eq!(rx.recv_batch(0).map(ids), Ok(vec![]), "recv_batch(0)");
                } else if self.recv_would_block() {
                    let got = rx.recv_batch_timeout(max, Duration::ZERO).map(ids);
                    assert_eq!(got, Err(RecvTimeoutError::Timeout), "recv_batch_timeout");
                } else {
                    let got = rx.recv_batch(max).map(ids);
                    let want = if self.queue.is_empty() {
                        Err(RecvError)
                    } else {
                        Ok(self.expect_recv_many(max))
                    };
                    assert_eq!(got, want, "recv_batch({max})");
                }
            }
            Op::TryIterTake(h, n) => {
                let Some(rx) = self.receiver(h) else { return };
                let got = ids(rx.try_iter().take(n).collect());
                assert_eq!(got, self.expect_recv_many(n), "try_iter().take({n})");
            }
            Op::Drain(h) => {
                let Some(rx) = self.receiver(h) else { return };
                let got = if self.receives_end() {
                    ids(rx.iter().collect())
                } else {
                    ids(rx.try_iter().collect())
                };
                assert_eq!(got, self.expect_recv_many(usize::MAX), "drain");
            }
            Op::CloneSender(h) => {
                if self.senders.len() >= MAX_HANDLES {
                    return;
                }
                if let Some(tx) = self.sender(h) {
                    let clone = tx.clone();
                    assert!(clone.same_channel(tx));
                    self.senders.push(clone);
                }
            }
            Op::CloneReceiver(h) => {
                if self.receivers.len() >= MAX_HANDLES {
                    return;
                }
                if let Some(rx) = self.receiver(h) {
                    let clone = rx.clone();
                    assert!(clone.same_channel(rx));
                    self.receivers.push(clone);
                }
            }
            Op::DropSender(h) => {
                if !self.senders.is_empty() {
                    let n = self.senders.len();
                    drop(self.senders.swap_remove(h % n));
                }
            }
            Op::Close(h) => {
                let closed = if h % 2 == 0 {
                    self.sender(h / 2).map(Sender::close)
                } else {
                    self.receiver(h / 2).map(Receiver::close)
                };
                if let Some(closed) = closed {
                    assert_eq!(
                        closed,
                        !self.disconnected(),
                        "close() says whether it closed"
                    );
                    self.closed = true;
                    assert!(
                        self.senders.iter().all(Sender::is_closed),
                        "closed from every handle"
                    );
                }
            }
            Op::DropReceiver(h) => {
                if !self.receivers.is_empty() {
                    let n = self.receivers.len();
                    drop(self.receivers.swap_remove(h % n));
                    if self.receivers.is_empty() {
                        // The last receiver drops whatever is queued.
                        for id in self.queue.drain(..) {
                            assert_eq!(self.ledger.drops_of(id), 1, "queued {id} not dropped");
                            self.dropped += 1;
                        }
                    }
                }
            }
        }
    }

    /// Checks everything observable against the model.
    fn check(&self) {
        let len = self.queue.len();
        let disconnected = self.disconnected();
        macro_rules! check_handle {
            ($h:expr) => {{
                let h = $h;
                assert_eq!(h.len(), len, "len");
                assert_eq!(h.is_empty(), len == 0, "is_empty");
                assert_eq!(h.is_full(), self.full(), "is_full");
                assert_eq!(h.capacity(), S::CAPACITY, "capacity");
                assert_eq!(h.is_disconnected(), disconnected, "is_disconnected");
                assert_eq!(h.sender_count(), self.senders.len(), "sender_count");
                assert_eq!(h.receiver_count(), self.receivers.len(), "receiver_count");
            }};
        }
        for tx in &self.senders {
            check_handle!(tx);
        }
        for rx in &self.receivers {
            check_handle!(rx);
        }

        let metrics = match (self.senders.first(), self.receivers.first()) {
            (Some(tx), _) => S::metrics_tx(tx),
            (None, Some(rx)) => S::metrics_rx(rx),
            (None, None) => None,
        };
        if let Some(m) = metrics {
            assert_eq!(m.sent, self.sent, "metrics.sent");
            assert_eq!(m.received, self.received, "metrics.received");
            assert_eq!(m.dropped, self.dropped, "metrics.dropped");
            assert_eq!(m.len, len as u64, "metrics.len");
        }

        // Every value made is either queued (not dropped yet) or was dropped
        // exactly once: the test drops what it receives or gets back at once.
        let drops = self.ledger.snapshot();
        for &id in &self.queue {
            assert_eq!(drops[id], 0, "queued message {id} was dropped");
        }
        let dropped = drops.iter().filter(|&&d| d == 1).count();
        assert!(drops.iter().all(|&d| d <= 1), "a message dropped twice");
        assert_eq!(
            dropped + len,
            drops.len(),
            "a message neither queued nor dropped"
        );
    }

    /// Drops every handle; afterwards every message ever made must have been
    /// dropped exactly once.
    fn finish(mut self) {
        self.senders.clear();
        self.receivers.clear();
        let drops = self.ledger.snapshot();
        for (id, &count) in drops.iter().enumerate() {
            assert_eq!(count, 1, "message {id} dropped {count} times");
        }
    }
}

fn run<S: Subject>(ops: &[Op]) {
    let mut model = Model::<S>::new();
    model.check();
    for op in ops {
        model.apply(op);
        model.check();
    }
    model.finish();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn unbounded_matches_model(ops in ops()) {
        run::<UnboundedCase>(&ops);
    }

    #[test]
    fn spsc_queue_with_shared_handles_matches_model(ops in ops()) {
        run::<SpscSharedCase>(&ops);
    }

    #[test]
    fn spsc_ring_with_shared_handles_matches_model(ops in ops()) {
        run::<SpscBoundedSharedCase>(&ops);
    }

    #[test]
    fn bounded_blocking_matches_model(ops in ops()) {
        run::<BlockingCase>(&ops);
    }

    #[test]
    fn dyn_bounded_blocking_matches_model(ops in ops()) {
        run::<DynBlockingCase>(&ops);
    }

    #[test]
    fn bounded_rejecting_matches_model(ops in ops()) {
        run::<RejectingCase>(&ops);
    }

    #[test]
    fn first_n_matches_model(ops in ops()) {
        run::<FirstNCase>(&ops);
    }

    #[test]
    fn latest_n_matches_model(ops in ops()) {
        run::<LatestNCase>(&ops);
    }

    #[test]
    fn rendezvous_matches_model(ops in ops()) {
        run::<RendezvousCase>(&ops);
    }
}

/// The model's own premises, checked once by hand so that a wrong model
/// cannot pass silently: a full `LatestN` evicts, `force_send` hands back the
/// oldest, and the last receiver drops what is left.
#[test]
fn model_premises_hold() {
    let ledger = Arc::new(Ledger::default());
    let (tx, rx) = LatestN::<2>::new();
    for _ in 0..3 {
        tx.send(ledger.make()).unwrap();
    }
    assert_eq!(ledger.drops_of(0), 1);
    let evicted = tx.force_send(ledger.make()).unwrap().expect("full");
    assert_eq!(evicted.id, 1);
    drop(evicted);
    assert_eq!(rx.try_recv().map(|v| v.id), Ok(2));
    drop(rx);
    assert_eq!(ledger.snapshot(), vec![1, 1, 1, 1]);
    let m = tx.metrics();
    assert_eq!((m.sent, m.received, m.dropped, m.len), (4, 1, 3, 0));
}
