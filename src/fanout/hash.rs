use super::{Distribution, Outputs};

/// By a key of the message: messages with the same key always go to the same
/// output while it exists.
///
/// The mapping is rendezvous (highest-random-weight) hashing over the output
/// ids: each message goes to the output whose id scores highest with its key.
/// Removing an output moves only the keys that went to it; adding one takes
/// over only the keys it now wins. (A plain `key % outputs` would reshuffle
/// nearly every key on any change.)
#[derive(Clone, Debug)]
pub struct KeyHash<K> {
    key: K,
}

impl<K> KeyHash<K> {
    /// Routes by `key(msg)`.
    pub fn new(key: K) -> Self {
        Self { key }
    }
}

/// SplitMix64's finaliser: a fast, well-spread 64-bit mix.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl<T, K: FnMut(&T) -> u64> Distribution<T> for KeyHash<K> {
    fn choose(&mut self, msg: &T, outputs: &Outputs<'_, T>) -> usize {
        let key = mix((self.key)(msg));
        (0..outputs.len())
            .max_by_key(|&index| mix(key ^ mix(outputs.get(index).id().get())))
            .expect("a fan-out asks only with at least one output")
    }
}
