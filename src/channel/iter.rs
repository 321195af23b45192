use super::{Flavor, Receiver};

/// Blocking iterator over received messages; see [`Receiver::iter`].
pub struct Iter<'a, T, F: Flavor> {
    pub(super) receiver: &'a Receiver<T, F>,
}

/// Non-blocking iterator over the messages queued now; see
/// [`Receiver::try_iter`].
pub struct TryIter<'a, T, F: Flavor> {
    pub(super) receiver: &'a Receiver<T, F>,
}

/// Owning blocking iterator; see `impl IntoIterator for Receiver`.
pub struct IntoIter<T, F: Flavor> {
    receiver: Receiver<T, F>,
}

impl<T, F: Flavor> Iterator for Iter<'_, T, F> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.receiver.recv().ok()
    }
}

impl<T, F: Flavor> Iterator for TryIter<'_, T, F> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.receiver.try_recv().ok()
    }
}

impl<T, F: Flavor> Iterator for IntoIter<T, F> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.receiver.recv().ok()
    }
}

impl<'a, T, F: Flavor> IntoIterator for &'a Receiver<T, F> {
    type Item = T;
    type IntoIter = Iter<'a, T, F>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T, F: Flavor> IntoIterator for Receiver<T, F> {
    type Item = T;
    type IntoIter = IntoIter<T, F>;
    fn into_iter(self) -> Self::IntoIter {
        IntoIter { receiver: self }
    }
}

impl<T, F: Flavor> std::fmt::Debug for Iter<'_, T, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iter").finish_non_exhaustive()
    }
}

impl<T, F: Flavor> std::fmt::Debug for TryIter<'_, T, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TryIter").finish_non_exhaustive()
    }
}

impl<T, F: Flavor> std::fmt::Debug for IntoIter<T, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntoIter").finish_non_exhaustive()
    }
}
