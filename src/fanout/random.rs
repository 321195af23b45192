use super::{Distribution, Outputs};

/// A uniformly random output (fastrand).
#[derive(Clone, Debug, Default)]
pub struct Random;

impl<T> Distribution<T> for Random {
    fn choose(&mut self, _msg: &T, outputs: &Outputs<'_, T>) -> usize {
        fastrand::usize(..outputs.len())
    }
}
