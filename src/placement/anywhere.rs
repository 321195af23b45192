use super::Placement;

/// No placement: one shard, and every caller's home is 0. Zero-sized.
#[derive(Clone, Copy, Debug, Default)]
pub struct Anywhere;

static_assertions::assert_eq_size!(Anywhere, ());

impl Placement for Anywhere {
    #[inline(always)]
    fn shards(&self) -> usize {
        1
    }

    #[inline(always)]
    fn home(&self) -> usize {
        0
    }
}
