//! Records waiting out a retry backoff, in buckets of a millisecond.
//!
//! The naive producer retries every throttled record after a backoff, so while a shard
//! throttles, a hundred thousand records wait here, and about 130,000 come due a second
//! (5,000 events/s into one shard). A `BinaryHeap` of the records moved each 168-byte
//! record at every level of every push and pop, two thirds of the process's CPU in such
//! a run; a heap of small keys over a slab of records still spent most of it in the
//! sift's cache misses, 17 levels per pop. Here each record goes into the bucket of the
//! millisecond its backoff ends in, appended to it, and the buckets wait in time order in
//! a map of at most a few thousand keys (the backoff's ceiling in milliseconds): a push
//! and a pop each touch one bucket. A bucket is due from its millisecond's start, so a
//! record may leave up to a millisecond before its jittered backoff ends (the driver's
//! timer ticks every millisecond anyway), and one whose backoff is zero (a pacing
//! producer's throttled record) is due at once. Rounded up instead, those waited up to a
//! millisecond each, and the adaptive producer's throttles into 1 shard doubled (164–170
//! against 82–85 in 20 s).

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

/// A bucket's span.
const TICK: Duration = Duration::from_millis(1);

/// Items each waiting until its time.
pub(crate) struct BackoffQueue<T> {
    /// Where bucket 0 begins.
    origin: Instant,
    /// Bucket `n` holds the items whose wait ends in `[origin + n ms, origin + (n+1) ms)`,
    /// in the order they came. Never an empty bucket: an emptied one is dropped, so the
    /// memory follows what waits (emptied buckets kept for reuse each stayed at the
    /// largest any had been: 40 MiB more at the peak of a 20 s run).
    buckets: BTreeMap<u64, VecDeque<T>>,
}

impl<T> BackoffQueue<T> {
    /// An empty queue whose buckets count from `origin` (a time before any item's).
    pub(crate) fn new(origin: Instant) -> Self {
        Self { origin, buckets: BTreeMap::new() }
    }

    /// Whether nothing waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// `item` waits until `at` (until the start of that millisecond).
    pub(crate) fn push(&mut self, at: Instant, item: T) {
        let tick = at.saturating_duration_since(self.origin).as_nanos() / TICK.as_nanos();
        let tick = u64::try_from(tick).unwrap_or(u64::MAX);
        self.buckets.entry(tick).or_default().push_back(item);
    }

    fn bucket_start(&self, tick: u64) -> Instant {
        u32::try_from(tick)
            .ok()
            .and_then(|t| self.origin.checked_add(TICK * t))
            .unwrap_or_else(|| self.origin + Duration::from_secs(u64::from(u32::MAX)))
    }

    /// When the earliest bucket is due (its millisecond's start).
    pub(crate) fn next_at(&self) -> Option<Instant> {
        self.buckets.first_key_value().map(|(&tick, _)| self.bucket_start(tick))
    }

    /// The first item of the earliest bucket, once that bucket is due by `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<T> {
        if self.next_at()? > now {
            return None;
        }
        let mut first = self.buckets.first_entry()?;
        let item = first.get_mut().pop_front();
        if first.get().is_empty() {
            first.remove();
        }
        item
    }

    /// Takes every item, earliest bucket first.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = T> + '_ {
        std::mem::take(&mut self.buckets).into_values().flatten()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn items_leave_from_their_milliseconds_start_earliest_first() {
        let t0 = Instant::now();
        let us = |n| t0 + Duration::from_micros(n);
        let mut q = BackoffQueue::new(t0);
        for (at, item) in [(30_000, 'c'), (10_000, 'a'), (20_000, 'b'), (40_000, 'd'), (10_400, 'e')] {
            q.push(us(at), item);
        }
        assert_eq!(q.next_at(), Some(us(10_000)));
        assert_eq!(q.pop_due(us(9_999)), None, "nothing is due yet");
        // 'e' waits until 10.4 ms, in the bucket of 10 ms, behind 'a'.
        assert_eq!((q.pop_due(us(10_000)), q.pop_due(us(10_000))), (Some('a'), Some('e')));
        assert_eq!(q.next_at(), Some(us(20_000)));
        assert_eq!((q.pop_due(us(25_000)), q.pop_due(us(25_000))), (Some('b'), None));
        assert_eq!(q.buckets.len(), 2, "emptied buckets are dropped");
        q.push(us(15_000), 'f');
        assert_eq!(q.pop_due(us(100_000)), Some('f'));
        assert_eq!(q.drain().collect::<String>(), "cd");
        assert!(q.is_empty() && q.next_at().is_none());
        // A wait of zero, in the middle of a millisecond, is due at once; so is a time
        // before the origin.
        q.push(us(50_700), 'z');
        assert_eq!(q.pop_due(us(50_700)), Some('z'));
        let mut q = BackoffQueue::new(us(5_000));
        q.push(t0, 'x');
        assert_eq!(q.pop_due(us(5_000)), Some('x'));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Push(u64),
        PopDue(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![3 => (0u64..50_000).prop_map(Op::Push), 2 => (0u64..50_000).prop_map(Op::PopDue)]
    }

    proptest! {
        /// Against a list searched whole, in microseconds: each pop is the oldest pushed
        /// of the items in the earliest millisecond bucket, once that bucket is due;
        /// the drain gives the rest in bucket order.
        #[test]
        fn it_is_a_queue_of_millisecond_buckets(ops in proptest::collection::vec(op(), 0..2_000)) {
            let t0 = Instant::now();
            let mut q = BackoffQueue::new(t0);
            // (bucket, order pushed), the item being its order.
            let mut model: Vec<(u64, usize)> = Vec::new();
            for (id, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Push(at) => {
                        q.push(t0 + Duration::from_micros(at), id);
                        model.push((at / 1_000, id));
                    }
                    Op::PopDue(now) => {
                        let first = model.iter().copied().min();
                        let expected = first.filter(|&(bucket, _)| bucket * 1_000 <= now);
                        prop_assert_eq!(q.pop_due(t0 + Duration::from_micros(now)), expected.map(|(_, id)| id));
                        if let Some(e) = expected {
                            model.retain(|&m| m != e);
                        }
                    }
                }
                prop_assert_eq!(q.is_empty(), model.is_empty());
            }
            model.sort_unstable();
            let rest: Vec<usize> = q.drain().collect();
            prop_assert_eq!(rest, model.into_iter().map(|(_, id)| id).collect::<Vec<_>>());
        }
    }
}
