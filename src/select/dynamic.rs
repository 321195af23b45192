use std::fmt;
use std::time::{Duration, Instant};

use super::Selectable;
use super::engine::{Branch, Rule, ready_index};
use super::ops::{End, NeverReady, RecvOp, SelectOp};
use crate::channel::exclusive::SpscFlavor;
use crate::channel::{Flavor, Receiver};
use crate::error::{RecvError, TryRecvError};
use crate::spsc;

/// A select over a set of receivers known only at run time, all carrying
/// messages of type `T` (their flavours may differ).
///
/// ```
/// use may_channel::select::Select;
/// use may_channel::{bounded, unbounded};
///
/// let (tx_a, rx_a) = unbounded::<String>();
/// let (tx_b, rx_b) = bounded::<String>(4);
/// tx_b.send("from b".into()).unwrap();
///
/// let mut select = Select::new();
/// let a = select.recv(&rx_a);
/// let b = select.recv(&rx_b);
/// let (index, msg) = select.select();
/// assert_eq!((index, msg.unwrap().as_str()), (b, "from b"));
/// # let _ = (a, tx_a);
/// ```
///
/// Each call receives exactly one message (or reports one disconnected
/// channel): a message is only ever taken from the branch that was chosen.
/// Indices stay valid when other branches are removed.
pub struct Select<'a, T> {
    branches: Vec<Option<Entry<'a, T>>>,
    rule: Rule,
}

struct Entry<'a, T> {
    op: Box<dyn RecvBranch<T> + 'a>,
    weight: u32,
}

/// A receiving handle a [`Select`] takes, seen through its message type
/// only: the ordinary [`Receiver`] of any flavour, and the
/// [`spsc::Receiver`](crate::spsc::Receiver). Sealed.
pub trait SelectReceiver<T>: Selectable {
    /// The branch a select runs on this receiver.
    #[doc(hidden)]
    fn __branch(&self) -> Box<dyn RecvBranch<T> + '_>;
}

/// A receive branch seen through its message type.
#[doc(hidden)]
pub trait RecvBranch<T>: SelectOp {
    fn try_recv(&self) -> Result<T, TryRecvError>;
}

impl<H: End> RecvBranch<H::Msg> for RecvOp<'_, H> {
    fn try_recv(&self) -> Result<H::Msg, TryRecvError> {
        RecvOp::try_recv(self)
    }
}

impl<T, F: Flavor> SelectReceiver<T> for Receiver<T, F> {
    fn __branch(&self) -> Box<dyn RecvBranch<T> + '_> {
        Box::new(RecvOp::new(self))
    }
}

/// A select runs on the task that holds the receiver, so an spsc receiver
/// stays the one consumer.
impl<T, F: SpscFlavor> SelectReceiver<T> for spsc::Receiver<T, F> {
    fn __branch(&self) -> Box<dyn RecvBranch<T> + '_> {
        Box::new(RecvOp::new(self))
    }
}

/// [`Select::try_select`] / [`Select::try_ready`] found no ready branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrySelectError;

/// [`Select::select_timeout`] / [`Select::ready_timeout`] found no ready
/// branch in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SelectTimeoutError;

impl fmt::Display for TrySelectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no branch of the select is ready")
    }
}

impl fmt::Display for SelectTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("timed out waiting for a branch of the select")
    }
}

impl std::error::Error for TrySelectError {}
impl std::error::Error for SelectTimeoutError {}

impl<T> Default for Select<'_, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a, T> Select<'a, T> {
    /// An empty select that picks uniformly among ready branches.
    pub fn new() -> Self {
        Self {
            branches: Vec::new(),
            rule: Rule::Random,
        }
    }

    /// An empty select that picks the ready branch added first.
    pub fn new_biased() -> Self {
        Self {
            branches: Vec::new(),
            rule: Rule::Priority,
        }
    }

    /// Adds a receive branch; returns its index.
    pub fn recv(&mut self, receiver: &'a impl SelectReceiver<T>) -> usize {
        self.recv_weighted(receiver, 1)
    }

    /// Adds a receive branch with a weight: once any branch has a weight
    /// other than 1, ready branches are chosen in proportion to their weights
    /// (unless the select is biased). A weight of 0 disables the branch.
    pub fn recv_weighted(&mut self, receiver: &'a impl SelectReceiver<T>, weight: u32) -> usize {
        if weight != 1 && self.rule == Rule::Random {
            self.rule = Rule::Weighted;
        }
        self.branches.push(Some(Entry {
            op: receiver.__branch(),
            weight,
        }));
        self.branches.len() - 1
    }

    /// Removes the branch at `index` (for example once its channel reported
    /// the disconnect). Other indices are unchanged.
    ///
    /// # Panics
    /// If `index` was never returned by this select or was removed already.
    pub fn remove(&mut self, index: usize) {
        let entry = self.branches.get_mut(index).and_then(Option::take);
        assert!(entry.is_some(), "Select::remove: no branch {index}");
    }

    /// How many branches are in the select.
    pub fn len(&self) -> usize {
        self.branches.iter().flatten().count()
    }

    /// Whether the select has no branch.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits for a branch to be ready and receives from it: the message, or
    /// `Err(RecvError)` if that channel is empty and disconnected.
    pub fn select(&mut self) -> (usize, Result<T, RecvError>) {
        self.select_until(None)
            .expect("a select without deadline only returns with a result")
    }

    /// Receives from a branch that is ready now, if any.
    pub fn try_select(&mut self) -> Result<(usize, Result<T, RecvError>), TrySelectError> {
        self.select_until(Some(Instant::now()))
            .ok_or(TrySelectError)
    }

    /// Like [`select`](Self::select), giving up after `timeout`.
    pub fn select_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<(usize, Result<T, RecvError>), SelectTimeoutError> {
        self.select_until(Instant::now().checked_add(timeout))
            .ok_or(SelectTimeoutError)
    }

    /// Like [`select`](Self::select), giving up at `deadline`.
    pub fn select_deadline(
        &mut self,
        deadline: Instant,
    ) -> Result<(usize, Result<T, RecvError>), SelectTimeoutError> {
        self.select_until(Some(deadline)).ok_or(SelectTimeoutError)
    }

    /// Waits until a branch is ready and returns its index, taking nothing.
    /// By the time the caller acts, a competitor may have taken the message;
    /// [`select`](Self::select) handles that race itself.
    pub fn ready(&mut self) -> usize {
        self.ready_until(None)
            .expect("a wait without deadline only returns with a branch")
    }

    /// The index of a branch that is ready now, if any.
    pub fn try_ready(&mut self) -> Result<usize, TrySelectError> {
        self.ready_until(Some(Instant::now())).ok_or(TrySelectError)
    }

    /// Like [`ready`](Self::ready), giving up after `timeout`.
    pub fn ready_timeout(&mut self, timeout: Duration) -> Result<usize, SelectTimeoutError> {
        self.ready_until(Instant::now().checked_add(timeout))
            .ok_or(SelectTimeoutError)
    }

    fn engine_branches(&self) -> Vec<Branch<'_>> {
        self.branches
            .iter()
            .map(|entry| match entry {
                Some(entry) => Branch::new(&*entry.op, entry.weight, true),
                None => Branch::new(&NeverReady, 0, false),
            })
            .collect()
    }

    fn ready_until(&self, deadline: Option<Instant>) -> Option<usize> {
        let branches = self.engine_branches();
        ready_index(&branches, self.rule, deadline)
    }

    fn select_until(&self, deadline: Option<Instant>) -> Option<(usize, Result<T, RecvError>)> {
        let branches = self.engine_branches();
        loop {
            let index = ready_index(&branches, self.rule, deadline)?;
            let entry = self.branches[index]
                .as_ref()
                .expect("the engine only picks enabled branches");
            match entry.op.try_recv() {
                Ok(msg) => return Some((index, Ok(msg))),
                Err(TryRecvError::Disconnected) => return Some((index, Err(RecvError))),
                // A competitor took the message between the readiness check
                // and our receive; nothing was taken here, wait again.
                Err(TryRecvError::Empty) => {}
            }
        }
    }
}

impl<T> fmt::Debug for Select<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Select")
            .field("branches", &self.len())
            .field("rule", &self.rule)
            .finish()
    }
}
