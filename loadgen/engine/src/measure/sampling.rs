//! The bounded sample of accepted events that verification looks up in the table after
//! the run.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// An event chosen to be looked up in the table after the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracer {
    /// Its `userId` (the table's hash key).
    pub user_id: crate::sink::PartitionKey,
    /// Its `eventId`.
    pub event_id: u128,
    /// Its intended send time, epoch ms (the range key's time part).
    pub timestamp_ms: i64,
}

/// A uniform sample of bounded size over a stream of unknown length (Vitter's algorithm
/// R): memory does not grow with the run.
#[derive(Debug, Clone)]
pub struct Reservoir {
    capacity: usize,
    seen: u64,
    items: Vec<Tracer>,
    rng: SmallRng,
}

impl Reservoir {
    /// An empty sample of at most `capacity` events.
    pub fn new(capacity: usize, seed: u64) -> Self {
        Self { capacity, seen: 0, items: Vec::with_capacity(capacity.min(1 << 16)), rng: SmallRng::seed_from_u64(seed) }
    }

    /// Offers one event.
    pub fn offer(&mut self, t: Tracer) {
        if self.capacity == 0 {
            return;
        }
        self.seen += 1;
        if self.items.len() < self.capacity {
            self.items.push(t);
        } else {
            let j = self.rng.random_range(0..self.seen);
            if (j as usize) < self.capacity {
                self.items[j as usize] = t;
            }
        }
    }

    /// The sample.
    pub fn items(&self) -> &[Tracer] {
        &self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reservoir_is_bounded_and_uniform() {
        let mut r = Reservoir::new(100, 1);
        let t = |i: i64| Tracer { user_id: crate::sink::PartitionKey::new("u"), event_id: i as u128, timestamp_ms: i };
        for i in 0..100_000 {
            r.offer(t(i));
        }
        assert_eq!(r.items().len(), 100);
        let late = r.items().iter().filter(|x| x.timestamp_ms >= 50_000).count();
        assert!((30..=70).contains(&late), "about half from the second half: {late}");
    }
}
