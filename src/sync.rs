//! The atomics the lock-free parts use, behind one module so that a `loom`
//! model can swap them in (`cfg(loom)`) the way tokio and kanal do.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering, fence,
};
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard, RwLock};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering, fence,
};
#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard, RwLock};

/// Locks `mutex`, ignoring poisoning.
///
/// The critical sections in this crate only move plain data (pointers, an
/// `Option<T>`), and none of them can leave that data half-updated when a
/// panic unwinds through them (a cancelled may coroutine unwinds as a panic),
/// so a poisoned lock still guards consistent state.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}
