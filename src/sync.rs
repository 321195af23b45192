//! The synchronisation primitives the lock-free parts use, behind one module
//! so that a `loom` model can swap them in (`cfg(loom)`) the way tokio and
//! kanal do: atomics, locks, [`UnsafeCell`] and [`Backoff`]. The models are
//! in `queue/loom_tests.rs` (DESIGN.md, "Model checking and sanitizers").

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

#[cfg(loom)]
pub(crate) use self::loom_shim::Backoff;
#[cfg(not(loom))]
pub(crate) use crossbeam_utils::Backoff;

#[cfg(not(loom))]
pub(crate) use self::std_cell::UnsafeCell;
#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

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

/// Marks a retry that waits for another thread's store without a
/// [`Backoff`] pause (a stale counter re-read, say): nothing in a normal
/// build; under loom, a yield, since loom lets a thread's loads keep
/// reading an old value until it yields, and the model would spin forever.
#[inline(always)]
pub(crate) fn loom_yield() {
    #[cfg(loom)]
    loom::thread::yield_now();
}

/// Process-wide state (statics, the timer thread): always std's. A static
/// outlives every loom execution and loom's constructors are not `const`,
/// so no model goes through these, and none needs to.
pub(crate) mod global {
    pub(crate) use std::sync::atomic::{AtomicU64, AtomicUsize};
    pub(crate) use std::sync::{Mutex, MutexGuard};

    /// [`lock`](super::lock) for a process-wide mutex.
    pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
        match mutex.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

/// The value of an atomic its owner holds exclusively (`&mut`, as in a
/// `Drop`): std's `get_mut`, loom's `with_mut`.
pub(crate) trait AtomicMut {
    type Value;
    /// The value, read without synchronisation (`&mut self` excludes
    /// every other access).
    fn load_mut(&mut self) -> Self::Value;
    /// Sets the value without synchronisation.
    fn store_mut(&mut self, value: Self::Value);
}

macro_rules! atomic_mut {
    ($(impl$(<$t:ident>)? for $atomic:ty => $value:ty;)*) => {$(
        impl$(<$t>)? AtomicMut for $atomic {
            type Value = $value;
            #[inline]
            fn load_mut(&mut self) -> $value {
                #[cfg(not(loom))]
                return *self.get_mut();
                #[cfg(loom)]
                return self.with_mut(|value| *value);
            }
            #[inline]
            fn store_mut(&mut self, value: $value) {
                #[cfg(not(loom))]
                {
                    *self.get_mut() = value;
                }
                #[cfg(loom)]
                self.with_mut(|slot| *slot = value);
            }
        }
    )*};
}

atomic_mut! {
    impl for AtomicUsize => usize;
    impl for AtomicU64 => u64;
    impl<T> for AtomicPtr<T> => *mut T;
}

#[cfg(not(loom))]
mod std_cell {
    /// `std::cell::UnsafeCell` with loom's interface: access goes through
    /// closures, so that loom's cell (under `cfg(loom)`) can check that no
    /// two threads touch the value at once without ordering.
    #[derive(Debug, Default)]
    #[repr(transparent)]
    pub(crate) struct UnsafeCell<T: ?Sized>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        #[inline(always)]
        pub(crate) const fn new(value: T) -> Self {
            Self(std::cell::UnsafeCell::new(value))
        }
    }

    impl<T: ?Sized> UnsafeCell<T> {
        /// Calls `f` with a pointer to read the value through.
        #[inline(always)]
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        /// Calls `f` with a pointer to write the value through.
        #[inline(always)]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

#[cfg(loom)]
mod loom_shim {
    /// `crossbeam_utils::Backoff` for loom: every pause yields to loom's
    /// scheduler, which otherwise runs a spinning thread forever (it cannot
    /// tell a spin from work) and never lets the peer it waits for finish.
    #[derive(Debug, Default)]
    pub(crate) struct Backoff(());

    impl Backoff {
        pub(crate) fn new() -> Self {
            Self(())
        }

        pub(crate) fn spin(&self) {
            loom::thread::yield_now();
        }

        pub(crate) fn snooze(&self) {
            loom::thread::yield_now();
        }
    }
}
