//! Which delivery of a key is written. `BatchWriteItem` refuses two items with one key in a
//! call, and two records of a batch with one key are the same event delivered twice: the
//! later one is written, and the earlier ones share its outcome.

use std::hash::{Hash, Hasher};

/// For each of `n` positions, the position written for its key: the last position with
/// an equal key (itself when no later one has it). `key(i)` is `None` where there is no
/// item (a record that failed to decode); such a position maps to itself.
///
/// An open-addressing table of (hash, position) pairs, probed linearly, over the batch:
/// the hash is whatever the key's `Hash` writes, mixed a word at a time, and equal
/// hashes are compared whole. It runs 49 fewer instructions per record than the
/// `HashMap<ItemKey, usize>` with foldhash it replaced, which moved a 48-byte key into
/// the map per record (callgrind, `benches/examples/handler_ir.rs`: 2,677 → 2,628).
pub(crate) fn written_for_each<K: Hash + Eq>(n: usize, key: impl Fn(usize) -> Option<K>) -> Vec<usize> {
    const EMPTY: usize = usize::MAX;
    let mut written: Vec<usize> = (0..n).collect();
    // At most half full: probes stay short.
    let slots = (2 * n).next_power_of_two().max(16);
    let mask = slots - 1;
    let mut table = vec![(0u64, EMPTY); slots];
    for i in 0..n {
        let Some(k) = key(i) else { continue };
        let mut hasher = WordMix(0);
        k.hash(&mut hasher);
        let hash = hasher.finish();
        let mut at = hash as usize & mask;
        loop {
            let (h, j) = table[at];
            if j == EMPTY {
                table[at] = (hash, i);
                break;
            }
            if h == hash && key(j).as_ref() == Some(&k) {
                written[j] = i;
                table[at].1 = i;
                break;
            }
            at = (at + 1) & mask;
        }
    }
    // Follow chains (three deliveries of one event) to the last delivery: each link
    // points later, so walking backwards resolves every chain.
    for i in (0..n).rev() {
        written[i] = written[written[i]];
    }
    written
}

/// Mixes each word written with a multiply and a rotation, and finishes with
/// MurmurHash3's 64-bit finaliser, so that the low bits the table indexes by depend on
/// every bit written. Not keyed: a batch is at most 10,000 records, and keys crafted to
/// collide cost probes, not correctness.
struct WordMix(u64);

impl Hasher for WordMix {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0 ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(31);
    }

    #[inline]
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What `written_for_each` must return, the slow way.
    fn naive<K: Eq>(keys: &[Option<K>]) -> Vec<usize> {
        (0..keys.len())
            .map(|i| match &keys[i] {
                None => i,
                Some(k) => (i..keys.len()).rev().find(|&j| keys[j].as_ref() == Some(k)).unwrap_or(i),
            })
            .collect()
    }

    #[test]
    fn the_last_delivery_of_a_key_is_written() {
        let keys = [Some("a"), Some("b"), None, Some("a"), Some("c"), Some("a"), Some("b")];
        assert_eq!(written_for_each(keys.len(), |i| keys[i]), vec![5, 6, 2, 5, 4, 5, 6]);
        assert_eq!(written_for_each(0, |_| None::<u8>), Vec::<usize>::new());
    }

    /// Keys that hash alike (one word, so one bucket for all) are still told apart.
    #[test]
    fn colliding_hashes_are_compared_whole() {
        #[derive(PartialEq, Eq)]
        struct SameHash(u32);
        impl Hash for SameHash {
            fn hash<H: Hasher>(&self, state: &mut H) {
                state.write_u64(7);
            }
        }
        let keys: Vec<Option<SameHash>> = [1, 2, 1, 3, 2, 2].into_iter().map(|k| Some(SameHash(k))).collect();
        assert_eq!(written_for_each(keys.len(), |i| keys[i].as_ref().map(|k| SameHash(k.0))), naive(&keys));
    }

    proptest! {
        /// Any batch, with few distinct keys (many duplicates) or many, and gaps.
        #[test]
        fn matches_the_slow_way(keys in prop::collection::vec(prop::option::weighted(0.9, 0u16..40), 0..300)) {
            let strings: Vec<Option<String>> = keys.iter().map(|k| k.map(|k| format!("user-{k:07}"))).collect();
            prop_assert_eq!(written_for_each(keys.len(), |i| keys[i]), naive(&keys));
            prop_assert_eq!(written_for_each(strings.len(), |i| strings[i].as_deref()), naive(&strings));
        }
    }
}
