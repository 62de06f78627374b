//! Values kept per user, in memory proportional to what the run needs.
//!
//! A run names up to [`crate::config::MAX_USERS`] users but touches at most one per event:
//! a one-second run at 100 events/s over 10 million users meets about 100 of them. Up to
//! [`DENSE_USERS`] users the values sit in a vector made up front (an index, no hashing,
//! on the generator's hot path); past it, in a map of the users actually met.

use std::collections::HashMap;

/// The most users kept in a vector made up front (≈ 100 bytes each in the generator).
pub const DENSE_USERS: usize = 1 << 18;

/// A value per user `0..users`, made by `make(index)` when first needed.
pub struct PerUser<T> {
    dense: Vec<T>,
    sparse: HashMap<usize, T, foldhash::fast::FixedState>,
    users: usize,
    make: fn(usize) -> T,
}

impl<T> PerUser<T> {
    /// Values for `users` users (at least one).
    pub fn new(users: usize, make: fn(usize) -> T) -> Self {
        let users = users.max(1);
        let dense = if users <= DENSE_USERS { (0..users).map(make).collect() } else { Vec::new() };
        PerUser { dense, sparse: HashMap::default(), users, make }
    }

    /// The number of users.
    pub fn users(&self) -> usize {
        self.users
    }

    /// User `index`'s value (`index` modulo the user count), made if it was not yet.
    pub fn get_mut(&mut self, index: usize) -> &mut T {
        // A compare, not a division, on the generator's hot path.
        let index = if index < self.users { index } else { index % self.users };
        if self.dense.is_empty() {
            let make = self.make;
            self.sparse.entry(index).or_insert_with(|| make(index))
        } else {
            &mut self.dense[index]
        }
    }

    /// Asks the CPU to bring user `index`'s value into its cache, so that
    /// [`PerUser::get_mut`] a few events later does not wait on memory (a table of 100,000
    /// users is larger than a core's cache, and users are drawn at random). A hint only:
    /// nothing is read, nothing changes, and on other architectures than x86-64 it does
    /// nothing.
    pub fn prefetch(&self, index: usize) {
        if let Some(value) = self.dense.get(index) {
            crate::prefetch::value(value);
        }
    }

    /// User `index`'s value if it was made (always, for a dense table).
    pub fn get(&self, index: usize) -> Option<&T> {
        let index = index % self.users;
        if self.dense.is_empty() {
            self.sparse.get(&index)
        } else {
            self.dense.get(index)
        }
    }

    /// Every value made, with its user's index, in no particular order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (usize, &T)> + '_> {
        if self.dense.is_empty() {
            Box::new(self.sparse.iter().map(|(&i, v)| (i, v)))
        } else {
            Box::new(self.dense.iter().enumerate())
        }
    }

    /// Values held: the users met (sparse) or all of them (dense).
    pub fn len(&self) -> usize {
        if self.dense.is_empty() {
            self.sparse.len()
        } else {
            self.dense.len()
        }
    }

    /// No value held (only a sparse table that met no user yet).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for PerUser<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PerUser").field("users", &self.users).field("held", &self.len()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_tables_are_dense_and_large_ones_hold_only_the_users_met() {
        let mut small: PerUser<u64> = PerUser::new(10, |_| 0);
        assert_eq!(small.len(), 10);
        *small.get_mut(13) += 1; // modulo the user count
        assert_eq!(small.get(3), Some(&1));

        let mut large: PerUser<String> = PerUser::new(10_000_000, |i| format!("user-{i:07}"));
        assert!(large.is_empty());
        assert_eq!(large.get_mut(9_999_999), "user-9999999");
        large.get_mut(42).push('!');
        assert_eq!(large.get(42).map(String::as_str), Some("user-0000042!"));
        assert_eq!(large.get(7), None);
        let mut met: Vec<usize> = large.iter().map(|(i, _)| i).collect();
        met.sort_unstable();
        assert_eq!(met, [42, 9_999_999]);
    }
}
