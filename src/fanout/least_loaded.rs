use super::{Distribution, Outputs};

/// The output with the fewest queued messages now; ties go round-robin, so
/// equally idle outputs share the work.
#[derive(Clone, Debug, Default)]
pub struct LeastLoaded {
    tie_break: usize,
}

impl<T> Distribution<T> for LeastLoaded {
    fn choose(&mut self, _msg: &T, outputs: &Outputs<'_, T>) -> usize {
        let start = self.tie_break % outputs.len();
        self.tie_break = start + 1;
        (0..outputs.len())
            .map(|offset| (start + offset) % outputs.len())
            .min_by_key(|&index| outputs.get(index).len())
            .expect("a fan-out asks only with at least one output")
    }
}
