//! Packs records into `PutRecords` requests: at most 500 records and 5 MiB each, sent
//! when full or when the oldest record has waited the linger time.
//!
//! Pure: the caller passes the current instant, so it is deterministic under test.

use std::time::{Duration, Instant};

use crate::capacity::quotas::{PUT_RECORDS_MAX_BYTES, PUT_RECORDS_MAX_RECORDS};

/// Limits of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Records per request (1–500).
    pub max_records: usize,
    /// Bytes per request (data plus partition keys).
    pub max_bytes: usize,
    /// Longest time a record waits for its request to fill.
    pub linger: Duration,
}

impl Default for BatchLimits {
    fn default() -> Self {
        Self {
            max_records: PUT_RECORDS_MAX_RECORDS,
            max_bytes: PUT_RECORDS_MAX_BYTES,
            linger: Duration::from_millis(5),
        }
    }
}

/// Accumulates items of type `T` with a size each into requests.
#[derive(Debug)]
pub struct Batcher<T> {
    limits: BatchLimits,
    items: Vec<T>,
    bytes: usize,
    oldest: Option<Instant>,
}

impl<T> Batcher<T> {
    /// An empty batcher.
    pub fn new(limits: BatchLimits) -> Self {
        Self { limits, items: Vec::new(), bytes: 0, oldest: None }
    }

    /// Adds an item of `size` bytes at `now`. Returns the request it completes, if any
    /// (an item that would overflow the current request starts the next one).
    pub fn push(&mut self, item: T, size: usize, now: Instant) -> Option<Vec<T>> {
        let mut full = None;
        if !self.items.is_empty() && self.bytes + size > self.limits.max_bytes {
            full = self.take();
        }
        self.oldest.get_or_insert(now);
        self.items.push(item);
        self.bytes += size;
        if self.items.len() >= self.limits.max_records || self.bytes >= self.limits.max_bytes {
            debug_assert!(full.is_none(), "one push completes at most one request when items fit the limits");
            return self.take().or(full);
        }
        full
    }

    /// The pending request if its oldest item has lingered long enough at `now`.
    pub fn poll(&mut self, now: Instant) -> Option<Vec<T>> {
        match self.oldest {
            Some(t) if now.duration_since(t) >= self.limits.linger => self.take(),
            _ => None,
        }
    }

    /// When the pending request must go out at the latest.
    pub fn deadline(&self) -> Option<Instant> {
        self.oldest.map(|t| t + self.limits.linger)
    }

    /// Takes whatever is pending (at the end of a run).
    pub fn take(&mut self) -> Option<Vec<T>> {
        self.oldest = None;
        self.bytes = 0;
        if self.items.is_empty() {
            return None;
        }
        // The next request starts at this one's size: grown from empty, each full request
        // reallocated and moved its records eight times on the way to 500.
        let next = Vec::with_capacity(self.items.len());
        Some(std::mem::replace(&mut self.items, next))
    }

    /// How many more items of `size` bytes each complete the pending request (at least
    /// one): what a driver that knows its next items' due times wakes for.
    pub fn items_to_fill(&self, size: usize) -> usize {
        let by_count = self.limits.max_records.saturating_sub(self.items.len());
        let by_bytes = self.limits.max_bytes.saturating_sub(self.bytes).div_ceil(size.max(1));
        by_count.min(by_bytes).max(1)
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_by_count() {
        let mut b = Batcher::new(BatchLimits::default());
        let t = Instant::now();
        for i in 0..499 {
            assert!(b.push(i, 100, t).is_none());
        }
        let batch = b.push(499, 100, t).unwrap();
        assert_eq!(batch.len(), 500);
        assert!(b.is_empty());
    }

    #[test]
    fn items_to_fill_is_what_completes_the_request() {
        let limits = BatchLimits { max_records: 10, max_bytes: 1000, ..BatchLimits::default() };
        let mut b = Batcher::new(limits);
        let t = Instant::now();
        assert_eq!(b.items_to_fill(10), 10, "by count");
        assert_eq!(b.items_to_fill(300), 4, "by bytes: the fourth 300-byte item completes it");
        for i in 0..3 {
            assert!(b.push(i, 10, t).is_none());
        }
        assert_eq!(b.items_to_fill(10), 7);
        assert_eq!(b.items_to_fill(0), 7, "a size of 0 counts as 1 byte");
        for i in 3..9 {
            assert!(b.push(i, 10, t).is_none());
        }
        assert_eq!(b.items_to_fill(2000), 1, "never less than one");
        // Predicted, then pushed: the request completes on the predicted item (by count
        // for 10-byte items; for 300-byte ones the third after the first would overflow
        // 1,000 bytes, so it sends the three before it).
        for (size, k) in [(10, 9), (300, 3)] {
            let mut b = Batcher::new(limits);
            assert!(b.push(0, size, t).is_none());
            assert_eq!(b.items_to_fill(size), k, "{size}-byte items");
            for i in 1..k {
                assert!(b.push(i, size, t).is_none(), "item {i} of {k} at {size} bytes");
            }
            assert!(b.push(k, size, t).is_some(), "item {k} completes the {size}-byte request");
        }
    }

    #[test]
    fn full_by_bytes_never_exceeds_the_limit() {
        let limits = BatchLimits { max_bytes: 1000, ..BatchLimits::default() };
        let mut b = Batcher::new(limits);
        let t = Instant::now();
        let mut sent = Vec::new();
        for i in 0..100 {
            if let Some(batch) = b.push(i, 300, t) {
                sent.push(batch);
            }
        }
        assert!(sent.iter().all(|batch| batch.len() * 300 <= 1000));
        assert_eq!(sent[0], vec![0, 1, 2]);
    }

    #[test]
    fn linger_sends_partial_requests() {
        let limits = BatchLimits { linger: Duration::from_millis(5), ..BatchLimits::default() };
        let mut b = Batcher::new(limits);
        let t = Instant::now();
        b.push(1, 10, t);
        b.push(2, 10, t + Duration::from_millis(3));
        assert!(b.poll(t + Duration::from_millis(4)).is_none());
        assert_eq!(b.deadline(), Some(t + Duration::from_millis(5)));
        assert_eq!(b.poll(t + Duration::from_millis(5)), Some(vec![1, 2]));
        assert_eq!(b.deadline(), None);
    }
}
