//! A typestate builder for channel flavours.
//!
//! Each method sets one axis and changes one type parameter of the builder;
//! [`build`](ChannelBuilder::build) resolves the axes left unset to their
//! defaults (unbounded queue, [`SpinThenPark`], the queue kind's default
//! backpressure, [`NoMetrics`], [`Anywhere`]) and returns handles of exactly
//! the type `Channel<Q, W, B, M, P>` that an alias would name:
//!
//! ```
//! use may_channel::{Channel, ChannelBuilder, Receiver, Sender};
//! use may_channel::{backpressure::DropOldest, metrics::Counters, queue::Bounded, wait::Park};
//!
//! type Latest = Channel<Bounded<8>, Park, DropOldest, Counters>;
//!
//! let (tx, rx): (Sender<u8, Latest>, Receiver<u8, Latest>) = ChannelBuilder::new()
//!     .bounded::<8>()
//!     .wait::<Park>()
//!     .backpressure::<DropOldest>()
//!     .enable_metrics()
//!     .build()
//!     .unwrap();
//! # drop((tx, rx));
//! ```
//!
//! Runtime values are checked by `build`:
//!
//! ```
//! use may_channel::{BuildError, ChannelBuilder};
//! let err = ChannelBuilder::new().capacity(usize::MAX).build::<u32>().unwrap_err();
//! assert!(matches!(err, BuildError::CapacityTooLarge { .. }));
//! ```
//!
//! Choosing an axis twice does not compile:
//!
//! ```compile_fail
//! use may_channel::ChannelBuilder;
//! let pair = ChannelBuilder::new().bounded::<8>().capacity(16).build::<u32>();
//! ```
//!
//! ```compile_fail
//! use may_channel::{ChannelBuilder, wait::{Park, Spin}};
//! let pair = ChannelBuilder::new().wait::<Park>().wait::<Spin>().build::<u32>();
//! ```
//!
//! nor does a combination that makes no sense (here a blocking policy on an
//! unbounded queue):
//!
//! ```compile_fail
//! use may_channel::{ChannelBuilder, backpressure::Block};
//! let pair = ChannelBuilder::new().backpressure::<Block>().build::<u32>();
//! ```

use std::marker::PhantomData;

use crate::backpressure::{Backpressure, ValidFor};
use crate::channel::{Channel, Pair};
use crate::error::BuildError;
use crate::metrics::{Counters, MetricsSink, NoMetrics};
use crate::placement::{Affinity, Anywhere, Numa, NumaSource, Placement};
use crate::queue::{
    Bounded, DynBounded, Prioritizable, Prioritized, QueueKind, QueueStrategy, Rendezvous, Spsc,
    SpscBounded, SpscStrategy, Unbounded, WorkStealing, Workers,
};
use crate::wait::{SpinThenPark, WaitStrategy};

/// An axis the builder has not set yet.
pub enum Unset {}

/// An axis the builder has set to `S`.
pub struct Chosen<S>(PhantomData<fn() -> S>);

/// Resolves a builder slot: [`Unset`] becomes the default `D`, [`Chosen<S>`]
/// becomes `S`.
pub trait Resolve<D> {
    /// The resolved strategy.
    type Out;
}

impl<D> Resolve<D> for Unset {
    type Out = D;
}

impl<D, S> Resolve<D> for Chosen<S> {
    type Out = S;
}

/// A builder slot for the queue axis: [`Unset`] (the unbounded queue) or a
/// chosen queue strategy.
pub trait QueueSlot {
    /// The queue strategy this slot resolves to.
    type Strategy: QueueStrategy;
}

impl QueueSlot for Unset {
    type Strategy = Unbounded;
}

impl<Q: QueueStrategy> QueueSlot for Chosen<Q> {
    type Strategy = Q;
}

/// A builder slot for the placement axis: [`Unset`] ([`Anywhere`]) or a
/// chosen placement, which the builder holds as a value (a [`Numa`]
/// placement carries a topology and a worker affinity).
pub trait PlacementSlot {
    /// The placement this slot resolves to.
    type Strategy: Placement;
    /// What the builder keeps for this slot until `build`.
    type Value;
    /// The placement `build` gives the channel.
    fn into_placement(value: Self::Value) -> Self::Strategy;
}

impl PlacementSlot for Unset {
    type Strategy = Anywhere;
    type Value = ();
    fn into_placement((): ()) -> Anywhere {
        Anywhere
    }
}

impl<X: Placement> PlacementSlot for Chosen<X> {
    type Strategy = X;
    type Value = X;
    fn into_placement(value: X) -> X {
        value
    }
}

/// The placement axis of the builder is NUMA-aware.
#[diagnostic::on_unimplemented(
    message = "`worker_affinity` needs the NUMA-aware placement",
    label = "this builder's placement is `{Self}`",
    note = "call `.numa_aware()` or `.numa_aware_with(..)` before `.worker_affinity(..)`"
)]
pub trait NumaChosen: PlacementSlot {
    /// Sets the worker affinity of the NUMA placement the builder holds.
    fn set_worker_affinity(value: Self::Value, affinity: Vec<(usize, Affinity)>) -> Self::Value;
}

impl<S: NumaSource> NumaChosen for Chosen<Numa<S>> {
    fn set_worker_affinity(value: Numa<S>, affinity: Vec<(usize, Affinity)>) -> Numa<S> {
        value.with_worker_affinity(affinity)
    }
}

/// The queue axis of the builder is still unset.
#[diagnostic::on_unimplemented(
    message = "the queue of this channel is already chosen",
    label = "`bounded`, `capacity`, `unbounded`, `rendezvous`, `queue`, `with_priorities`, `with_workers` or `numa_aware` was already called on this builder (it holds `{Self}`)",
    note = "each builder method sets one axis, once: remove one of the two calls"
)]
pub trait QueueUnset {}
impl QueueUnset for Unset {}

/// The wait axis of the builder is still unset.
#[diagnostic::on_unimplemented(
    message = "the wait strategy of this channel is already chosen",
    label = "`wait` was already called on this builder (it holds `{Self}`)",
    note = "each builder method sets one axis, once: remove one of the two calls"
)]
pub trait WaitUnset {}
impl WaitUnset for Unset {}

/// The backpressure axis of the builder is still unset.
#[diagnostic::on_unimplemented(
    message = "the backpressure policy of this channel is already chosen",
    label = "`backpressure` was already called on this builder (it holds `{Self}`)",
    note = "each builder method sets one axis, once: remove one of the two calls"
)]
pub trait BackpressureUnset {}
impl BackpressureUnset for Unset {}

/// The metrics axis of the builder is still unset.
#[diagnostic::on_unimplemented(
    message = "the metrics sink of this channel is already chosen",
    label = "`metrics` or `enable_metrics` was already called on this builder (it holds `{Self}`)",
    note = "each builder method sets one axis, once: remove one of the two calls"
)]
pub trait MetricsUnset {}
impl MetricsUnset for Unset {}

/// The placement axis of the builder is still unset.
#[diagnostic::on_unimplemented(
    message = "the placement of this channel is already chosen",
    label = "`placement`, `numa_aware` or `numa_aware_with` was already called on this builder (it holds `{Self}`)",
    note = "each builder method sets one axis, once: remove one of the two calls"
)]
pub trait PlacementUnset {}
impl PlacementUnset for Unset {}

type QueueOf<Q> = <Q as QueueSlot>::Strategy;
type DefaultBackpressure<Q> =
    <<QueueOf<Q> as QueueStrategy>::Kind as QueueKind>::DefaultBackpressure;

/// The flavour a builder in state `<Q, W, B, M, P>` builds.
pub type Built<Q, W, B, M, P> = Channel<
    QueueOf<Q>,
    <W as Resolve<SpinThenPark>>::Out,
    <B as Resolve<DefaultBackpressure<Q>>>::Out,
    <M as Resolve<NoMetrics>>::Out,
    <P as PlacementSlot>::Strategy,
>;

/// The builder's phantom over the four strategy slots besides the queue.
type Axes<W, B, M, P> = fn() -> (W, B, M, P);

/// The typestate builder; see the [module docs](self).
pub struct ChannelBuilder<
    Q: QueueSlot = Unset,
    W = Unset,
    B = Unset,
    M = Unset,
    P: PlacementSlot = Unset,
> {
    queue_config: <QueueOf<Q> as QueueStrategy>::Config,
    placement: P::Value,
    axes: PhantomData<Axes<W, B, M, P>>,
}

impl ChannelBuilder {
    /// A builder with every axis unset.
    pub fn new() -> Self {
        ChannelBuilder {
            queue_config: (),
            placement: (),
            axes: PhantomData,
        }
    }
}

impl Default for ChannelBuilder {
    fn default() -> Self {
        Self::new()
    }
}

// The guards sit on each method (not on the impl) so that a wrong call is
// reported through the guard trait's `on_unimplemented` message rather than
// as "method not found".
impl<Q: QueueSlot, W, B, M, P: PlacementSlot> ChannelBuilder<Q, W, B, M, P> {
    /// Uses the queue strategy `X` with its runtime settings `config`.
    pub fn queue_with<X: QueueStrategy>(
        self,
        config: X::Config,
    ) -> ChannelBuilder<Chosen<X>, W, B, M, P>
    where
        Q: QueueUnset,
    {
        ChannelBuilder {
            queue_config: config,
            placement: self.placement,
            axes: PhantomData,
        }
    }

    /// Uses the queue strategy `X`, whose settings have a default (`()` for
    /// every shipped queue but [`DynBounded`]).
    pub fn queue<X: QueueStrategy>(self) -> ChannelBuilder<Chosen<X>, W, B, M, P>
    where
        Q: QueueUnset,
        X::Config: Default,
    {
        self.queue_with::<X>(X::Config::default())
    }

    /// An unbounded queue ([`Unbounded`]), the default.
    pub fn unbounded(self) -> ChannelBuilder<Chosen<Unbounded>, W, B, M, P>
    where
        Q: QueueUnset,
    {
        self.queue::<Unbounded>()
    }

    /// A bounded queue of compile-time capacity `N` ([`Bounded<N>`]).
    pub fn bounded<const N: usize>(self) -> ChannelBuilder<Chosen<Bounded<N>>, W, B, M, P>
    where
        Q: QueueUnset,
    {
        self.queue::<Bounded<N>>()
    }

    /// A bounded queue of run-time capacity `capacity` ([`DynBounded`]);
    /// `build` refuses 0.
    pub fn capacity(self, capacity: usize) -> ChannelBuilder<Chosen<DynBounded>, W, B, M, P>
    where
        Q: QueueUnset,
    {
        self.queue_with::<DynBounded>(capacity)
    }

    /// A zero-capacity queue ([`Rendezvous`]).
    pub fn rendezvous(self) -> ChannelBuilder<Chosen<Rendezvous>, W, B, M, P>
    where
        Q: QueueUnset,
    {
        self.queue::<Rendezvous>()
    }

    /// An unbounded queue for one producer and one consumer ([`Spsc`]);
    /// finish with [`build_spsc`](Self::build_spsc) for the
    /// [`spsc`](crate::spsc) handles.
    pub fn spsc(self) -> ChannelBuilder<Chosen<Spsc>, W, B, M, P>
    where
        Q: QueueUnset,
    {
        self.queue::<Spsc>()
    }

    /// A ring of `N` slots for one producer and one consumer
    /// ([`SpscBounded<N>`]); finish with [`build_spsc`](Self::build_spsc).
    pub fn spsc_bounded<const N: usize>(self) -> ChannelBuilder<Chosen<SpscBounded<N>>, W, B, M, P>
    where
        Q: QueueUnset,
    {
        self.queue::<SpscBounded<N>>()
    }

    /// Gives the queue priorities: the queue chosen so far (or the default
    /// unbounded one) becomes one FIFO queue per [`Priority`](crate::priority::Priority)
    /// level, with the same settings and a capacity shared by all levels
    /// ([`Prioritized`]; see [`priority`](crate::priority)).
    ///
    /// ```
    /// use may_channel::{ChannelBuilder, Receiver, Sender, flavors::PriorityBounded};
    /// use may_channel::priority::Priority;
    ///
    /// let (tx, rx): (Sender<u32, PriorityBounded<16>>, Receiver<u32, PriorityBounded<16>>) =
    ///     ChannelBuilder::new().bounded::<16>().with_priorities().build().unwrap();
    /// tx.send_with_priority(7, Priority::High).unwrap();
    /// assert_eq!(rx.recv_with_priority(), Ok((7, Priority::High)));
    /// ```
    ///
    /// Priorities cannot be given twice, nor to a rendezvous queue:
    ///
    /// ```compile_fail
    /// use may_channel::ChannelBuilder;
    /// let pair = ChannelBuilder::new().with_priorities().with_priorities().build::<u32>();
    /// ```
    ///
    /// ```compile_fail
    /// use may_channel::ChannelBuilder;
    /// let pair = ChannelBuilder::new().rendezvous().with_priorities().build::<u32>();
    /// ```
    pub fn with_priorities(self) -> ChannelBuilder<Chosen<Prioritized<QueueOf<Q>>>, W, B, M, P>
    where
        QueueOf<Q>: Prioritizable,
    {
        ChannelBuilder {
            // Each level takes the settings of the queue chosen so far.
            queue_config: self.queue_config,
            placement: self.placement,
            axes: PhantomData,
        }
    }

    /// A work-stealing queue with `workers` unbounded worker queues
    /// ([`WorkStealing`]); `build` refuses 0. Pair it with the
    /// [`PerWorker`](crate::placement::PerWorker) placement so each worker
    /// sends to its own queue.
    ///
    /// ```
    /// use may_channel::{ChannelBuilder, placement::PerWorker};
    /// use may_channel::flavors::WorkStealingMpmc;
    ///
    /// let (tx, rx): may_channel::Pair<u8, WorkStealingMpmc> =
    ///     ChannelBuilder::new().with_workers(4).placement::<PerWorker>().build().unwrap();
    /// assert_eq!(tx.workers(), 4);
    /// # drop(rx);
    /// ```
    pub fn with_workers(self, workers: usize) -> ChannelBuilder<Chosen<WorkStealing>, W, B, M, P>
    where
        Q: QueueUnset,
    {
        self.queue_with::<WorkStealing>(Workers(workers))
    }

    /// Uses the wait strategy `X`.
    pub fn wait<X: WaitStrategy>(self) -> ChannelBuilder<Q, Chosen<X>, B, M, P>
    where
        W: WaitUnset,
    {
        ChannelBuilder {
            queue_config: self.queue_config,
            placement: self.placement,
            axes: PhantomData,
        }
    }

    /// Uses the backpressure policy `X`; `build` checks that it suits the
    /// queue.
    pub fn backpressure<X: Backpressure>(self) -> ChannelBuilder<Q, W, Chosen<X>, M, P>
    where
        B: BackpressureUnset,
    {
        ChannelBuilder {
            queue_config: self.queue_config,
            placement: self.placement,
            axes: PhantomData,
        }
    }

    /// Uses the metrics sink `X`.
    pub fn metrics<X: MetricsSink>(self) -> ChannelBuilder<Q, W, B, Chosen<X>, P>
    where
        M: MetricsUnset,
    {
        ChannelBuilder {
            queue_config: self.queue_config,
            placement: self.placement,
            axes: PhantomData,
        }
    }

    /// Uses the [`Counters`] sink.
    pub fn enable_metrics(self) -> ChannelBuilder<Q, W, B, Chosen<Counters>, P>
    where
        M: MetricsUnset,
    {
        self.metrics::<Counters>()
    }

    /// Uses the placement `X`.
    pub fn placement<X: Placement>(self) -> ChannelBuilder<Q, W, B, M, Chosen<X>>
    where
        P: PlacementUnset,
    {
        ChannelBuilder {
            queue_config: self.queue_config,
            placement: X::default(),
            axes: PhantomData,
        }
    }

    /// NUMA-aware work stealing over this machine's topology (read from
    /// sysfs): a [`WorkStealing`] queue with one queue per NUMA node and the
    /// [`Numa`] placement, so sends go to the caller's node and receivers
    /// steal from the nearest nodes first. On a one-node machine it is one
    /// queue. Builds the [`NumaWorkStealing`](crate::flavors::NumaWorkStealing)
    /// flavour (with the other axes at their defaults).
    ///
    /// ```
    /// use may_channel::ChannelBuilder;
    ///
    /// let (tx, rx) = ChannelBuilder::new().numa_aware().build::<u32>().unwrap();
    /// println!("{:?}", tx.topology());
    /// tx.send(3).unwrap();
    /// assert_eq!(rx.recv(), Ok(3));
    /// ```
    ///
    /// It chooses the queue, so it cannot follow another queue choice:
    ///
    /// ```compile_fail
    /// use may_channel::ChannelBuilder;
    /// let pair = ChannelBuilder::new().with_workers(4).numa_aware().build::<u32>();
    /// ```
    pub fn numa_aware(self) -> ChannelBuilder<Chosen<WorkStealing>, W, B, M, Chosen<Numa>>
    where
        Q: QueueUnset,
        P: PlacementUnset,
    {
        self.numa_aware_with(Numa::default())
    }

    /// Like [`numa_aware`](Self::numa_aware), with a [`Numa`] placement
    /// the caller built: over a given [`Topology`](crate::placement::Topology)
    /// (synthetic, or read through hwloc), or with a worker affinity. The
    /// queue gets one worker queue per node with CPUs.
    pub fn numa_aware_with<S: NumaSource>(
        self,
        numa: Numa<S>,
    ) -> ChannelBuilder<Chosen<WorkStealing>, W, B, M, Chosen<Numa<S>>>
    where
        Q: QueueUnset,
        P: PlacementUnset,
    {
        ChannelBuilder {
            queue_config: Workers(numa.shards()),
            placement: numa,
            axes: PhantomData,
        }
    }

    /// Ties workers (by [`worker_index`](crate::placement::worker_index)) to
    /// CPUs or NUMA nodes for placement: a mapped worker's home is that node
    /// ([`Numa::with_worker_affinity`]). `build` refuses an unknown CPU or
    /// node, and a node without CPUs. Nothing is pinned.
    ///
    /// ```
    /// use may_channel::ChannelBuilder;
    /// use may_channel::placement::{Affinity, worker_index};
    ///
    /// let (tx, rx) = ChannelBuilder::new()
    ///     .numa_aware()
    ///     .worker_affinity([(worker_index(), Affinity::Cpu(0))])
    ///     .build::<u32>()
    ///     .unwrap();
    /// # drop((tx, rx));
    /// let err = ChannelBuilder::new()
    ///     .numa_aware()
    ///     .worker_affinity([(0, Affinity::Node(1 << 20))])
    ///     .build::<u32>();
    /// assert!(err.is_err());
    /// ```
    ///
    /// Only a NUMA-aware builder has a worker affinity:
    ///
    /// ```compile_fail
    /// use may_channel::ChannelBuilder;
    /// use may_channel::placement::Affinity;
    /// let pair = ChannelBuilder::new().with_workers(2).worker_affinity([(0, Affinity::Cpu(0))]).build::<u32>();
    /// ```
    pub fn worker_affinity(self, affinity: impl IntoIterator<Item = (usize, Affinity)>) -> Self
    where
        P: NumaChosen,
    {
        ChannelBuilder {
            queue_config: self.queue_config,
            placement: P::set_worker_affinity(self.placement, affinity.into_iter().collect()),
            axes: PhantomData,
        }
    }

    /// Checks the runtime settings and creates the channel.
    // The five-slot `Built` alias is the point of this signature; hiding it
    // behind another alias would only obscure it.
    #[allow(clippy::type_complexity)]
    pub fn build<T>(self) -> Result<Pair<T, Built<Q, W, B, M, P>>, BuildError>
    where
        W: Resolve<SpinThenPark>,
        W::Out: WaitStrategy,
        B: Resolve<DefaultBackpressure<Q>>,
        B::Out: ValidFor<<QueueOf<Q> as QueueStrategy>::Kind>,
        M: Resolve<NoMetrics>,
        M::Out: MetricsSink,
    {
        Built::<Q, W, B, M, P>::with_placement(self.queue_config, P::into_placement(self.placement))
    }

    /// Checks the runtime settings and creates a single-producer,
    /// single-consumer channel over the queue chosen with
    /// [`spsc`](Self::spsc) or [`spsc_bounded`](Self::spsc_bounded): the
    /// [`spsc`](crate::spsc) handles, neither `Clone` nor `Sync`.
    /// ([`build`](Self::build) on the same builder gives the ordinary
    /// cloneable handles, whose sides take turns through a lock.)
    ///
    /// ```
    /// use may_channel::ChannelBuilder;
    ///
    /// let (tx, rx) = ChannelBuilder::new().spsc_bounded::<64>().enable_metrics().build_spsc::<u32>()?;
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.recv(), Ok(1));
    /// assert_eq!(rx.metrics().received, 1);
    /// # Ok::<(), may_channel::BuildError>(())
    /// ```
    // As for `build`: the five-slot `Built` alias is the point.
    #[allow(clippy::type_complexity)]
    pub fn build_spsc<T>(self) -> Result<crate::spsc::Pair<T, Built<Q, W, B, M, P>>, BuildError>
    where
        QueueOf<Q>: SpscStrategy,
        W: Resolve<SpinThenPark>,
        W::Out: WaitStrategy,
        B: Resolve<DefaultBackpressure<Q>>,
        B::Out: ValidFor<<QueueOf<Q> as QueueStrategy>::Kind>,
        M: Resolve<NoMetrics>,
        M::Out: MetricsSink,
    {
        crate::channel::exclusive::validated(self.queue_config, P::into_placement(self.placement))
    }
}
