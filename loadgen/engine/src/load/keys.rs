//! Who sends each event and which partition key it carries.
//!
//! User popularity decides which user an event belongs to: uniform, Zipf (a long tail of
//! occasional users), or a few hot users taking a fixed share. The key model decides the
//! partition key: the user (the default, as the pipeline's producers do), a random key
//! per record, or explicit hash keys that spread records evenly over the shards whatever
//! the keys are.

use rand::Rng;
use rand_distr::{Distribution, Zipf};

use crate::sink::hash_ranges::{even_ranges, midpoint};
use crate::sink::PartitionKey;

/// How often each user appears.
#[derive(Debug, Clone, PartialEq)]
pub enum Popularity {
    /// Every user equally often.
    Uniform,
    /// User `k` with weight `1/k^s`.
    Zipf(f64),
    /// `keys` hot users share `share` (0–1) of all events; the rest are uniform.
    Hot {
        /// Number of hot users.
        keys: usize,
        /// Their share of events.
        share: f64,
    },
}

impl Popularity {
    /// The share of events the most frequent of `users` users sends (what sizes the
    /// hottest key's shard and its DynamoDB partition).
    pub fn hottest_share(&self, users: usize) -> f64 {
        let n = users.max(1);
        match *self {
            Popularity::Uniform => 1.0 / n as f64,
            // Weight 1 over the harmonic number H(n, s).
            Popularity::Zipf(s) => 1.0 / (1..=n).map(|k| (k as f64).powf(-s.max(0.0))).sum::<f64>(),
            Popularity::Hot { keys, share } => {
                let (keys, share) = (keys.clamp(1, n), share.clamp(0.0, 1.0));
                share / keys as f64 + (1.0 - share) / n as f64
            }
        }
    }
}

/// Draws users according to a [`Popularity`].
#[derive(Debug, Clone)]
pub struct UserPicker {
    users: usize,
    zipf: Option<Zipf<f64>>,
    hot: Option<(usize, f64)>,
}

impl UserPicker {
    /// A picker over `users` users.
    pub fn new(users: usize, popularity: &Popularity) -> Self {
        let users = users.max(1);
        match *popularity {
            Popularity::Uniform => Self { users, zipf: None, hot: None },
            Popularity::Zipf(s) => Self { users, zipf: Zipf::new(users as f64, s.max(0.0)).ok(), hot: None },
            Popularity::Hot { keys, share } => {
                Self { users, zipf: None, hot: Some((keys.clamp(1, users), share.clamp(0.0, 1.0))) }
            }
        }
    }

    /// The index of the next event's user.
    pub fn pick(&self, rng: &mut impl Rng) -> usize {
        if let Some(z) = &self.zipf {
            return (z.sample(rng) as usize).saturating_sub(1).min(self.users - 1);
        }
        if let Some((keys, share)) = self.hot {
            if rng.random::<f64>() < share {
                return rng.random_range(0..keys);
            }
        }
        rng.random_range(0..self.users)
    }
}

/// How a record's partition key is chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyModel {
    /// The event's `userId` (order per user kept, skew follows user popularity).
    User,
    /// A random key per record (no ordering, no skew).
    Random,
    /// The user as partition key, plus an explicit hash key cycling through the middles of
    /// the `shards` even ranges: a perfectly even spread.
    ExplicitHash {
        /// Shard count of the target stream.
        shards: usize,
        /// Precomputed range middles.
        midpoints: Vec<u128>,
    },
}

impl KeyModel {
    /// The explicit-hash model for a stream of `shards` shards with even ranges.
    pub fn explicit(shards: usize) -> Self {
        Self::explicit_for(&even_ranges(shards))
    }

    /// The explicit-hash model for a stream with these hash-key ranges (after a reshard
    /// they need not be even).
    pub fn explicit_for(ranges: &[(u128, u128)]) -> Self {
        KeyModel::ExplicitHash {
            shards: ranges.len().max(1),
            midpoints: (0..ranges.len()).map(|i| midpoint(ranges, i)).collect(),
        }
    }

    /// The partition key and explicit hash key for the `sequence`-th event of `user`.
    pub fn key_for(&self, user: &PartitionKey, event_id: u128, sequence: u64) -> (PartitionKey, Option<u128>) {
        match self {
            KeyModel::User => (user.clone(), None),
            KeyModel::Random => {
                let key = crate::load::event_id::uuid(event_id.rotate_left(64));
                let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
                (PartitionKey::new(key.hyphenated().encode_lower(&mut text)), None)
            }
            KeyModel::ExplicitHash { shards, midpoints } => {
                (user.clone(), Some(midpoints[(sequence % *shards as u64) as usize]))
            }
        }
    }

    /// Short name for reports.
    pub fn name(&self) -> &'static str {
        match self {
            KeyModel::User => "user",
            KeyModel::Random => "random",
            KeyModel::ExplicitHash { .. } => "explicit-hash",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    #[test]
    fn hot_keys_take_their_share() {
        let p = UserPicker::new(10_000, &Popularity::Hot { keys: 2, share: 0.5 });
        let mut rng = SmallRng::seed_from_u64(1);
        let hot = (0..20_000).filter(|_| p.pick(&mut rng) < 2).count();
        assert!((hot as f64 / 20_000.0 - 0.5).abs() < 0.02, "{hot}");
    }

    #[test]
    fn zipf_favours_the_first_users() {
        let p = UserPicker::new(1000, &Popularity::Zipf(1.2));
        let mut rng = SmallRng::seed_from_u64(1);
        let picks: Vec<usize> = (0..10_000).map(|_| p.pick(&mut rng)).collect();
        assert!(picks.iter().all(|&u| u < 1000));
        let first = picks.iter().filter(|&&u| u == 0).count();
        let tenth = picks.iter().filter(|&&u| u == 9).count();
        assert!(first > 5 * tenth, "{first} vs {tenth}");
    }

    #[test]
    fn explicit_keys_cycle_over_shards() {
        let m = KeyModel::explicit(3);
        let user = PartitionKey::new("u");
        let ranges = even_ranges(3);
        let shards: Vec<usize> =
            (0..6).map(|i| crate::sink::hash_ranges::shard_for(m.key_for(&user, 0, i).1.unwrap(), &ranges)).collect();
        assert_eq!(shards, [0, 1, 2, 0, 1, 2]);
    }
}
