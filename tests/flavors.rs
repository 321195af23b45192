//! Every alias builds, and the builder yields exactly the alias types.

use may_channel::backpressure::{Block, DropNewest, DropOldest, Reject, Unlimited};
use may_channel::flavors::*;
use may_channel::metrics::{Counters, NoMetrics};
use may_channel::placement::Anywhere;
use may_channel::queue::{Bounded, DynBounded, Rendezvous, Unbounded};
use may_channel::wait::{Park, Spin, SpinThenPark, Yield};
use may_channel::{BuildError, Channel, ChannelBuilder, Flavor, Receiver, Sender};

/// Sends one value through any flavour whose policy has a `send`.
fn round_trip<F: Flavor>(pair: (Sender<u32, F>, Receiver<u32, F>)) -> u32
where
    F::Backpressure: may_channel::backpressure::HasSend,
{
    let (tx, rx) = pair;
    tx.send(7).unwrap();
    rx.recv().unwrap()
}

#[test]
fn every_alias_builds_and_moves_a_message() {
    assert_eq!(round_trip(UnboundedMpmc::new()), 7);
    assert_eq!(round_trip(BoundedBlocking::<4>::new()), 7);
    assert_eq!(round_trip(DynBoundedBlocking::with_config(4).unwrap()), 7);
    assert_eq!(round_trip(LatestN::<4>::new()), 7);
    assert_eq!(round_trip(FirstN::<4>::new()), 7);
    assert_eq!(round_trip(InstrumentedBounded::<4>::new()), 7);
    assert_eq!(round_trip(InstrumentedUnbounded::new()), 7);
    let (tx, rx) = BoundedRejecting::<4>::new();
    tx.try_send(7u32).unwrap();
    assert_eq!(rx.recv(), Ok(7));
    let (tx, rx) = SpinRing::<4>::new();
    tx.try_send(7u32).unwrap();
    assert_eq!(rx.recv(), Ok(7));
    let (tx, rx) = RendezvousMpmc::new::<u32>();
    assert_eq!(tx.capacity(), Some(0));
    drop(rx);
    let (tx, rx) = may_channel::unbounded::<u8>();
    tx.send(1).unwrap();
    assert_eq!(rx.recv(), Ok(1));
    let (tx, _rx) = may_channel::bounded::<u8>(3);
    assert_eq!(tx.capacity(), Some(3));
    let (tx, _rx) = may_channel::rendezvous::<u8>();
    assert_eq!(tx.capacity(), Some(0));
}

#[test]
fn every_wait_strategy_builds() {
    assert_eq!(round_trip(Channel::<Bounded<2>, Spin>::new()), 7);
    assert_eq!(round_trip(Channel::<Bounded<2>, Yield>::new()), 7);
    assert_eq!(round_trip(Channel::<Bounded<2>, Park>::new()), 7);
    assert_eq!(round_trip(Channel::<Unbounded, SpinThenPark>::new()), 7);
}

/// Compiles only if both expressions have the same type.
fn same<T>(_: &T, _: &T) {}

#[test]
fn the_builder_yields_the_alias_types() {
    let built = ChannelBuilder::new().build::<u32>().unwrap();
    same(&built, &UnboundedMpmc::new::<u32>());

    let built = ChannelBuilder::new().bounded::<8>().build::<u32>().unwrap();
    same(&built, &BoundedBlocking::<8>::new::<u32>());

    let built = ChannelBuilder::new().capacity(8).build::<u32>().unwrap();
    same(&built, &DynBoundedBlocking::with_config::<u32>(8).unwrap());

    let built = ChannelBuilder::new()
        .bounded::<8>()
        .backpressure::<DropOldest>()
        .enable_metrics()
        .build::<u32>()
        .unwrap();
    same(&built, &LatestN::<8>::new::<u32>());

    let built = ChannelBuilder::new()
        .backpressure::<DropNewest>()
        .enable_metrics()
        .bounded::<8>()
        .build::<u32>()
        .unwrap();
    same(&built, &FirstN::<8>::new::<u32>());

    let built = ChannelBuilder::new().rendezvous().build::<u32>().unwrap();
    same(&built, &RendezvousMpmc::new::<u32>());

    let built = ChannelBuilder::new()
        .wait::<Spin>()
        .bounded::<8>()
        .backpressure::<Reject>()
        .build::<u32>()
        .unwrap();
    same(&built, &SpinRing::<8>::new::<u32>());

    let built = ChannelBuilder::new()
        .unbounded()
        .wait::<SpinThenPark>()
        .backpressure::<Unlimited>()
        .metrics::<Counters>()
        .placement::<Anywhere>()
        .build::<u32>()
        .unwrap();
    same(&built, &InstrumentedUnbounded::new::<u32>());

    let built = ChannelBuilder::new()
        .queue_with::<DynBounded>(3)
        .metrics::<NoMetrics>()
        .build::<u32>()
        .unwrap();
    same(
        &built,
        &Channel::<DynBounded, SpinThenPark, Block>::with_config::<u32>(3).unwrap(),
    );

    let built = ChannelBuilder::new()
        .queue::<Rendezvous>()
        .wait::<Park>()
        .build::<u32>()
        .unwrap();
    same(
        &built,
        &Channel::<Rendezvous, Park, Block, NoMetrics, Anywhere>::new::<u32>(),
    );
}

#[test]
fn runtime_settings_are_validated_at_build() {
    // Capacity 0 is a zero-capacity channel, as in crossbeam-channel.
    let (tx, rx) = ChannelBuilder::new().capacity(0).build::<u8>().unwrap();
    assert_eq!(tx.capacity(), Some(0));
    assert!(tx.try_send(1).is_err() && rx.try_recv().is_err());
    let huge = ChannelBuilder::new()
        .capacity(usize::MAX)
        .build::<u8>()
        .unwrap_err();
    assert!(matches!(
        huge,
        BuildError::CapacityTooLarge {
            requested: usize::MAX,
            ..
        }
    ));
    assert!(huge.to_string().contains("exceeds"));
    assert!(BuildError::ZeroCapacity.to_string().contains("rendezvous"));
}

#[test]
fn the_bounded_shortcut_makes_a_zero_capacity_channel_at_zero() {
    let (tx, rx) = may_channel::bounded::<u8>(0);
    assert_eq!((tx.capacity(), rx.len()), (Some(0), 0));
}

#[test]
fn errors_display_and_debug_without_t_debug() {
    struct Opaque;
    let err = may_channel::SendError(Opaque);
    assert_eq!(format!("{err:?}"), "SendError(..)");
    assert!(err.to_string().contains("receivers"));
    let err = may_channel::TrySendError::Full(Opaque);
    assert_eq!(format!("{err:?}"), "Full(..)");
    assert!(err.is_full() && !err.is_disconnected());
    let err = may_channel::SendTimeoutError::Timeout(Opaque);
    assert!(err.is_timeout());
    let boxed: Box<dyn std::error::Error> = Box::new(may_channel::RecvTimeoutError::Timeout);
    assert!(boxed.to_string().contains("timed out"));
}
