//! Kinesis routing: MD5 of the partition key as an unsigned 128-bit integer, and the even
//! hash-key ranges of a new stream.
//!
//! A stream created with N shards splits `0..=2¹²⁸-1` into N ranges of
//! `⌊2¹²⁸ / N⌋` keys, the last one taking the remainder (what AWS and kinesalite do).
//! A record goes to the shard whose range holds its explicit hash key, or else the MD5 of
//! its partition key.

use md5::{Digest, Md5};

/// The 128-bit hash key Kinesis derives from a partition key.
pub fn hash_key(partition_key: &str) -> u128 {
    u128::from_be_bytes(Md5::digest(partition_key.as_bytes()).into())
}

/// The `[start, end]` hash-key ranges of a new stream with `shards` shards.
pub fn even_ranges(shards: usize) -> Vec<(u128, u128)> {
    let n = shards.max(1) as u128;
    if n == 1 {
        return vec![(0, u128::MAX)];
    }
    // ⌊2¹²⁸/n⌋ without representing 2¹²⁸: one more than ⌊(2¹²⁸-1)/n⌋ exactly when n
    // divides 2¹²⁸, i.e. when n is a power of two.
    let size = u128::MAX / n + u128::from(n.is_power_of_two());
    (0..n)
        .map(|i| {
            let start = size * i;
            let end = if i == n - 1 { u128::MAX } else { size * (i + 1) - 1 };
            (start, end)
        })
        .collect()
}

/// The index of the range in `ranges` (sorted, contiguous) that holds `hash`.
pub fn shard_for(hash: u128, ranges: &[(u128, u128)]) -> usize {
    ranges.partition_point(|&(_, end)| end < hash).min(ranges.len().saturating_sub(1))
}

/// The middle of shard `index`'s range: an explicit hash key that always lands there.
pub fn midpoint(ranges: &[(u128, u128)], index: usize) -> u128 {
    let (start, end) = ranges[index % ranges.len()];
    start + (end - start) / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_matches_known_values() {
        // md5("") = d41d8cd98f00b204e9800998ecf8427e
        assert_eq!(hash_key(""), 0xd41d8cd98f00b204e9800998ecf8427e);
        assert_eq!(hash_key("user-1"), u128::from_str_radix(&format!("{:x}", Md5::digest(b"user-1")), 16).unwrap());
    }

    #[test]
    fn ranges_cover_the_key_space() {
        for n in [1, 2, 3, 4, 5, 7, 8, 10, 64, 100, 1000] {
            let r = even_ranges(n);
            assert_eq!(r.len(), n);
            assert_eq!(r[0].0, 0);
            assert_eq!(r[n - 1].1, u128::MAX);
            for w in r.windows(2) {
                assert_eq!(w[0].1 + 1, w[1].0);
            }
        }
        // The values AWS documents for two shards.
        let two = even_ranges(2);
        assert_eq!(two[0].1, 170141183460469231731687303715884105727);
        assert_eq!(two[1].0, 170141183460469231731687303715884105728);
        // Four shards: kinesalite's ranges.
        assert_eq!(even_ranges(4)[1].0, 85070591730234615865843651857942052864);
    }

    #[test]
    fn routing_finds_the_range() {
        let r = even_ranges(4);
        assert_eq!(shard_for(0, &r), 0);
        assert_eq!(shard_for(u128::MAX, &r), 3);
        for (i, range) in r.iter().enumerate() {
            assert_eq!(shard_for(range.0, &r), i);
            assert_eq!(shard_for(range.1, &r), i);
            assert_eq!(shard_for(midpoint(&r, i), &r), i);
        }
    }
}
