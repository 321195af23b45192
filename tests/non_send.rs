//! Channels of messages that are not `Send` (an `Rc`) or not `Sync` (a
//! `Cell`), used on one thread, as crossbeam-channel and std allow: every
//! flavour builds and works for any `T`, and its handles are `Send` and
//! `Sync` exactly when `T: Send`. Every message is dropped exactly once.
//!
//! Nothing here spawns: a handle of an `Rc` channel cannot leave its thread
//! (the assertions at the top prove it), so the blocking operations that
//! need a peer on another thread are tried with `try_*` and timeouts.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use common::{DropLog, Tracked};
use may_channel::backpressure::HasSend;
use may_channel::flavors::*;
use may_channel::priority::Priority;
use may_channel::queue::{Slots, Workers};
use may_channel::select::Select;
use may_channel::{
    Channel, ChannelBuilder, Flavor, Pair, Receiver, RecvError, RecvTimeoutError, SendError,
    SendTimeoutError, Sender, TryRecvError, TrySendError, broadcast, compat, select, spsc,
};
use static_assertions::{assert_impl_all, assert_not_impl_any};

// ------------------------------------------------------- thread safety

/// The handles of every flavour are `Send + Sync` for `u32` (and for the
/// `Send`, non-`Sync` `Cell<u32>`, as in crossbeam-channel), and neither
/// for `Rc<u8>`.
macro_rules! handles_follow_t {
    ($($flavor:ty),+ $(,)?) => {$(
        assert_impl_all!(Sender<u32, $flavor>: Send, Sync);
        assert_impl_all!(Receiver<u32, $flavor>: Send, Sync);
        assert_impl_all!(Sender<Cell<u32>, $flavor>: Send, Sync);
        assert_impl_all!(Receiver<Cell<u32>, $flavor>: Send, Sync);
        assert_not_impl_any!(Sender<Rc<u8>, $flavor>: Send, Sync);
        assert_not_impl_any!(Receiver<Rc<u8>, $flavor>: Send, Sync);
    )+};
}

handles_follow_t!(
    UnboundedMpmc,
    BoundedBlocking<4>,
    DynBoundedBlocking,
    BoundedRejecting<4>,
    LatestN<4>,
    FirstN<4>,
    RendezvousMpmc,
    InstrumentedBounded<4>,
    InstrumentedUnbounded,
    SpinRing<4>,
    PriorityUnbounded,
    PriorityBounded<4>,
    WorkStealingMpmc,
    InstrumentedWorkStealing,
    NumaWorkStealing,
    InstrumentedNumaWorkStealing,
    Channel<Slots<4>>,
);

// The single-producer handles are `Send` but never `Sync`.
assert_impl_all!(spsc::Sender<u32>: Send);
assert_impl_all!(spsc::Receiver<u32>: Send);
assert_not_impl_any!(spsc::Sender<u32>: Sync);
assert_not_impl_any!(spsc::Receiver<u32>: Sync);
assert_not_impl_any!(spsc::Sender<Rc<u8>>: Send, Sync);
assert_not_impl_any!(spsc::Receiver<Rc<u8>>: Send, Sync);

// The compat handles follow `T` as may's do.
assert_impl_all!(compat::mpsc::Sender<u32>: Send, Sync);
assert_impl_all!(compat::mpsc::Receiver<u32>: Send, Sync);
assert_not_impl_any!(compat::mpsc::Sender<Rc<u8>>: Send, Sync);
assert_not_impl_any!(compat::mpsc::Receiver<Rc<u8>>: Send, Sync);

// Broadcast subscribers share each message (`&T` on many threads): they
// cross threads when `T: Send + Sync`.
assert_impl_all!(broadcast::Sender<u32>: Send, Sync);
assert_impl_all!(broadcast::Subscriber<u32>: Send, Sync);
assert_not_impl_any!(broadcast::Sender<Cell<u32>>: Send, Sync);
assert_not_impl_any!(broadcast::Subscriber<Cell<u32>>: Send, Sync);
assert_not_impl_any!(broadcast::Subscriber<Rc<u8>>: Send, Sync);

// --------------------------------------------------------- messages

/// A message type for the tests below: made with an id whose drop the log
/// counts.
trait Message {
    fn new(log: &Arc<DropLog>, id: usize) -> Self;
    fn id(&self) -> usize;
}

/// Neither `Send` nor `Sync`.
impl Message for Rc<Tracked> {
    fn new(log: &Arc<DropLog>, id: usize) -> Self {
        Rc::new(log.item(id))
    }
    fn id(&self) -> usize {
        self.id
    }
}

/// `Send` but not `Sync`.
struct Celled {
    seen: Cell<u32>,
    tracked: Tracked,
}

impl Message for Celled {
    fn new(log: &Arc<DropLog>, id: usize) -> Self {
        Celled {
            seen: Cell::new(0),
            tracked: log.item(id),
        }
    }
    fn id(&self) -> usize {
        self.seen.set(self.seen.get() + 1);
        self.tracked.id
    }
}

/// Runs `body` for both message types.
macro_rules! for_both_messages {
    ($body:ident) => {
        $body::<Rc<Tracked>>();
        $body::<Celled>();
    };
}

// ------------------------------------------------------------ bodies

/// A buffered channel that holds at least four messages: receive with each
/// call, drain after the senders go; then a second channel whose receiver
/// goes first: its queued messages are dropped with it and a later send
/// hands its message back.
fn buffered<M: Message, F: Flavor>(make: impl Fn() -> Pair<M, F>)
where
    F::Backpressure: HasSend,
{
    let log = DropLog::new(9);
    let (tx, rx) = make();
    for id in 0..4 {
        tx.send(M::new(&log, id)).map_err(|_| ()).unwrap();
    }
    assert_eq!(rx.recv().unwrap().id(), 0);
    assert_eq!(rx.try_recv().unwrap().id(), 1);
    assert_eq!(rx.recv_timeout(Duration::from_millis(10)).unwrap().id(), 2);
    drop(tx.clone());
    drop(tx);
    assert_eq!(rx.iter().map(|m| m.id()).collect::<Vec<_>>(), [3]);
    assert!(matches!(rx.recv(), Err(RecvError)));

    let (tx, rx) = make();
    for id in 4..7 {
        tx.try_send(M::new(&log, id)).map_err(|_| ()).unwrap();
    }
    let rx2 = rx.clone();
    assert_eq!(rx2.try_recv().unwrap().id(), 4);
    drop(rx);
    assert_eq!(log.total(), 5, "a clone still receives");
    drop(rx2);
    assert_eq!(log.total(), 7, "the last receiver drops what is queued");
    let Err(SendError(back)) = tx.send(M::new(&log, 7)) else {
        panic!("a send with no receiver is refused");
    };
    assert_eq!(back.id(), 7);
    drop(back);
    let Err(TrySendError::Disconnected(back)) = tx.try_send(M::new(&log, 8)) else {
        panic!("a try_send with no receiver is refused");
    };
    drop(back);
    drop(tx);
    log.assert_all_dropped_once();
}

/// A zero-capacity channel on one thread: nothing can meet, so every send
/// is handed back and every receive finds nothing.
fn zero_capacity<M: Message, F: Flavor>((tx, rx): Pair<M, F>)
where
    F::Backpressure: may_channel::backpressure::HasSendTimeout,
{
    let log = DropLog::new(3);
    let Err(TrySendError::Full(back)) = tx.try_send(M::new(&log, 0)) else {
        panic!("no receiver waits");
    };
    assert_eq!(back.id(), 0);
    drop(back);
    let Err(SendTimeoutError::Timeout(back)) =
        tx.send_timeout(M::new(&log, 1), Duration::from_millis(5))
    else {
        panic!("no receiver comes");
    };
    assert_eq!(back.id(), 1);
    drop(back);
    assert!(matches!(rx.try_recv(), Err(TryRecvError::Empty)));
    assert!(matches!(
        rx.recv_timeout(Duration::from_millis(5)),
        Err(RecvTimeoutError::Timeout)
    ));
    drop(rx);
    let Err(TrySendError::Disconnected(back)) = tx.try_send(M::new(&log, 2)) else {
        panic!("the receiver is gone");
    };
    drop(back);
    log.assert_all_dropped_once();
}

fn main_functions<M: Message>() {
    buffered(may_channel::unbounded::<M>);
    buffered(|| may_channel::bounded::<M>(4));
    zero_capacity(may_channel::rendezvous::<M>());
    zero_capacity(may_channel::bounded::<M>(0));
}

fn aliases<M: Message>() {
    buffered(UnboundedMpmc::new::<M>);
    buffered(BoundedBlocking::<4>::new::<M>);
    buffered(|| DynBoundedBlocking::with_config::<M>(4).unwrap());
    buffered(LatestN::<4>::new::<M>);
    buffered(FirstN::<4>::new::<M>);
    buffered(InstrumentedBounded::<4>::new::<M>);
    buffered(InstrumentedUnbounded::new::<M>);
    buffered(PriorityUnbounded::new::<M>);
    buffered(PriorityBounded::<4>::new::<M>);
    buffered(|| WorkStealingMpmc::with_config::<M>(Workers(2)).unwrap());
    buffered(|| InstrumentedWorkStealing::with_config::<M>(Workers(2)).unwrap());
    buffered(|| ChannelBuilder::new().numa_aware().build::<M>().unwrap());
    buffered(|| {
        ChannelBuilder::new()
            .numa_aware()
            .enable_metrics()
            .build::<M>()
            .unwrap()
    });
    zero_capacity(RendezvousMpmc::new::<M>());
}

/// `Reject` channels have no `send`: `try_send` only.
fn rejecting<M: Message>() {
    fn body<M: Message, F: Flavor>((tx, rx): Pair<M, F>) {
        let log = DropLog::new(6);
        for id in 0..4 {
            tx.try_send(M::new(&log, id)).map_err(|_| ()).unwrap();
        }
        let Err(TrySendError::Full(back)) = tx.try_send(M::new(&log, 4)) else {
            panic!("four fill the ring");
        };
        assert_eq!(back.id(), 4);
        drop(back);
        assert_eq!(rx.try_recv().unwrap().id(), 0);
        drop(rx);
        let Err(TrySendError::Disconnected(back)) = tx.try_send(M::new(&log, 5)) else {
            panic!("the receiver is gone");
        };
        drop(back);
        log.assert_all_dropped_once();
    }
    body(BoundedRejecting::<4>::new::<M>());
    body(SpinRing::<4>::new::<M>());
}

/// `LatestN` evicts (and drops) the oldest; `FirstN` drops the newcomer.
fn dropping<M: Message>() {
    let log = DropLog::new(5);
    let (tx, rx) = LatestN::<4>::new::<M>();
    for id in 0..5 {
        tx.send(M::new(&log, id)).map_err(|_| ()).unwrap();
    }
    assert_eq!(log.drops_of(0), 1, "the oldest was evicted");
    assert_eq!(
        rx.try_iter().map(|m| m.id()).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    log.assert_all_dropped_once();

    let log = DropLog::new(5);
    let (tx, rx) = FirstN::<4>::new::<M>();
    for id in 0..5 {
        tx.send(M::new(&log, id)).map_err(|_| ()).unwrap();
    }
    assert_eq!(log.drops_of(4), 1, "the newcomer was dropped");
    assert_eq!(
        rx.try_iter().map(|m| m.id()).collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );
    log.assert_all_dropped_once();
}

fn priority<M: Message>() {
    let log = DropLog::new(3);
    let (tx, rx) = PriorityBounded::<4>::new::<M>();
    tx.send_with_priority(M::new(&log, 0), Priority::Low)
        .map_err(|_| ())
        .unwrap();
    tx.send_with_priority(M::new(&log, 1), Priority::Critical)
        .map_err(|_| ())
        .unwrap();
    tx.try_send_with_priority(M::new(&log, 2), Priority::Normal)
        .map_err(|_| ())
        .unwrap();
    let (first, level) = rx.recv_with_priority().unwrap();
    assert_eq!((first.id(), level), (1, Priority::Critical));
    drop(first);
    let peeked = rx.try_peek().unwrap();
    assert_eq!(peeked.id(), 2);
    peeked.leave();
    assert_eq!(rx.recv().unwrap().id(), 2);
    drop(rx);
    assert_eq!(log.total(), 3, "the low one went with the receiver");
    drop(tx);
    log.assert_all_dropped_once();
}

fn builder<M: Message>() {
    buffered(|| ChannelBuilder::new().unbounded().build::<M>().unwrap());
    buffered(|| ChannelBuilder::new().bounded::<4>().build::<M>().unwrap());
    buffered(|| ChannelBuilder::new().capacity(4).build::<M>().unwrap());
    buffered(|| {
        ChannelBuilder::new()
            .bounded::<4>()
            .with_priorities()
            .enable_metrics()
            .build::<M>()
            .unwrap()
    });
    buffered(|| ChannelBuilder::new().with_workers(2).build::<M>().unwrap());
    zero_capacity(ChannelBuilder::new().rendezvous().build::<M>().unwrap());
}

/// `select!` with a receive arm and a send arm, each ready in turn; the
/// value of a send arm that is not chosen is never made. A dynamic
/// `Select` over two flavours.
fn selects<M: Message>() {
    let log = DropLog::new(5);
    let (tx_a, rx_a) = may_channel::unbounded::<M>();
    let (tx_b, rx_b) = may_channel::bounded::<M>(1);
    tx_a.send(M::new(&log, 0)).map_err(|_| ()).unwrap();
    tx_b.send(M::new(&log, 1)).map_err(|_| ()).unwrap();
    // `tx_b` is full: only the receive is ready.
    select! {
        recv(rx_a) -> msg => assert_eq!(msg.unwrap().id(), 0),
        send(tx_b, M::new(&log, 9)) -> _ => unreachable!("the channel is full"),
    }
    assert_eq!(rx_b.recv().unwrap().id(), 1);
    // Now only the send is ready.
    select! {
        recv(rx_a) -> _ => unreachable!("nothing was sent on a"),
        send(tx_b, M::new(&log, 2)) -> res => assert!(res.is_ok()),
    }
    let mut select = Select::new();
    let a = select.recv(&rx_a);
    let b = select.recv(&rx_b);
    let (index, msg) = select.select();
    assert_eq!((index, msg.unwrap().id()), (b, 2));
    tx_a.send(M::new(&log, 3)).map_err(|_| ()).unwrap();
    let (index, msg) = select.select();
    assert_eq!((index, msg.unwrap().id()), (a, 3));
    drop(select);
    // spsc handles select too.
    let (tx_c, rx_c) = spsc::channel::<M>();
    tx_c.send(M::new(&log, 4)).map_err(|_| ()).unwrap();
    select! {
        recv(rx_c) -> msg => assert_eq!(msg.unwrap().id(), 4),
        default(Duration::from_secs(5)) => unreachable!("a message is queued"),
    }
    drop((tx_a, rx_a, tx_b, rx_b, tx_c, rx_c));
    // The value 9 was never made, so only ids 0..=4 were.
    for id in 0..5 {
        assert_eq!(log.drops_of(id), 1, "message {id}");
    }
}

fn single_producer<M: Message>() {
    fn body<M: Message, F: spsc::SpscFlavor>((tx, rx): (spsc::Sender<M, F>, spsc::Receiver<M, F>))
    where
        F::Backpressure: HasSend,
    {
        let log = DropLog::new(5);
        for id in 0..4 {
            tx.send(M::new(&log, id)).map_err(|_| ()).unwrap();
        }
        assert_eq!(rx.recv().unwrap().id(), 0);
        assert_eq!(rx.try_recv().unwrap().id(), 1);
        drop(rx);
        assert_eq!(log.total(), 4, "the receiver drops what is queued");
        let Err(SendError(back)) = tx.send(M::new(&log, 4)) else {
            panic!("the receiver is gone");
        };
        drop(back);
        log.assert_all_dropped_once();
    }
    body(spsc::channel::<M>());
    body(spsc::bounded::<M, 4>());
    body(ChannelBuilder::new().spsc().build_spsc::<M>().unwrap());
    body(
        ChannelBuilder::new()
            .spsc_bounded::<4>()
            .build_spsc::<M>()
            .unwrap(),
    );
}

fn compat_mpsc<M: Message>() {
    let log = DropLog::new(3);
    let (tx, rx) = compat::mpsc::channel::<M>();
    tx.send(M::new(&log, 0)).map_err(|_| ()).unwrap();
    tx.clone().send(M::new(&log, 1)).map_err(|_| ()).unwrap();
    assert_eq!(rx.recv().unwrap().id(), 0);
    drop(rx);
    assert_eq!(log.total(), 2);
    assert!(tx.send(M::new(&log, 2)).is_err());
    log.assert_all_dropped_once();
}

#[test]
fn the_main_functions_take_any_message() {
    for_both_messages!(main_functions);
}

#[test]
fn every_alias_takes_any_message() {
    for_both_messages!(aliases);
    for_both_messages!(rejecting);
    for_both_messages!(dropping);
}

#[test]
fn priority_channels_take_any_message() {
    for_both_messages!(priority);
}

#[test]
fn the_builder_takes_any_message() {
    for_both_messages!(builder);
}

#[test]
fn select_takes_any_message() {
    for_both_messages!(selects);
}

#[test]
fn spsc_takes_any_message() {
    for_both_messages!(single_producer);
}

#[test]
fn compat_mpsc_takes_any_message() {
    for_both_messages!(compat_mpsc);
}

/// Lent slots of `Rc`s: the guards hand out the slot in place, and the
/// receive guard's recycle (a `Vec` clear) drops what the slot held.
#[test]
fn zero_copy_slots_take_any_message() {
    let log = DropLog::new(3);
    let (tx, rx) = Channel::<Slots<2>>::new::<Vec<Rc<Tracked>>>();
    {
        let mut slot = tx.send_ref().unwrap();
        slot.push(Rc::new(log.item(0)));
        slot.push(Rc::new(log.item(1)));
    }
    {
        let slot = rx.recv_ref().unwrap();
        assert_eq!(slot.iter().map(|m| m.id).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(log.total(), 0);
    }
    assert_eq!(log.total(), 2, "the recycle dropped the slot's contents");
    tx.try_send(vec![Rc::new(log.item(2))])
        .map_err(|_| ())
        .unwrap();
    drop(rx);
    drop(tx);
    log.assert_all_dropped_once();
}

/// Broadcast clones each message for every subscriber: an `Rc` is cloned
/// (its count goes up), and dropped once all the clones are.
#[test]
fn broadcast_takes_any_message() {
    let log = DropLog::new(2);
    let (tx, mut sub) = may_channel::broadcast::<Rc<Tracked>>(4);
    let mut other = sub.clone();
    tx.send(Rc::new(log.item(0)));
    tx.send(Rc::new(log.item(1)));
    assert_eq!(sub.recv().unwrap().id, 0);
    assert_eq!(other.try_recv().unwrap().id, 0);
    drop(tx);
    drop((sub, other));
    log.assert_all_dropped_once();
}
