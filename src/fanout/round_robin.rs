use super::{Distribution, Outputs};

/// Each output in turn.
#[derive(Clone, Debug, Default)]
pub struct RoundRobin {
    next: usize,
}

impl<T> Distribution<T> for RoundRobin {
    fn choose(&mut self, _msg: &T, outputs: &Outputs<'_, T>) -> usize {
        let index = self.next % outputs.len();
        self.next = index + 1;
        index
    }
}
