//! A double-ended queue that grows a segment at a time, so that growing it never moves
//! what it holds.
//!
//! A `VecDeque` grows by doubling its buffer and moving every element into the new one.
//! The producer's queue of a shard over its quota grows for as long as the load lasts
//! (4,000 records a second at 5,000 events/s into one shard, about 200 bytes each), and
//! each doubling past 65,536 records stalled the driver long enough to make events late:
//! 26 at 17 s and 104 at 33 s of such a run, the seconds the queue passed 2^16 and 2^17.
//! Here a segment holds at most [`SEGMENT`] items and grows as a `VecDeque` does up to
//! it (a queue of a few records stays small); past it, a new segment is added at that
//! end. An emptied segment is dropped, so the memory follows what the queue holds.

use std::collections::VecDeque;

/// Items a segment holds at most: growing one moves at most this many.
const SEGMENT: usize = 1024;

/// A FIFO with a front that takes items back (the producer's requeue).
pub(crate) struct SegmentedQueue<T> {
    /// Never an empty segment.
    segments: VecDeque<VecDeque<T>>,
    len: usize,
}

impl<T> Default for SegmentedQueue<T> {
    fn default() -> Self {
        Self { segments: VecDeque::new(), len: 0 }
    }
}

impl<T> SegmentedQueue<T> {
    /// Items held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is held.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `item` at the back.
    pub(crate) fn push_back(&mut self, item: T) {
        match self.segments.back_mut() {
            Some(segment) if segment.len() < SEGMENT => segment.push_back(item),
            _ => self.segments.push_back(VecDeque::from([item])),
        }
        self.len += 1;
    }

    /// `item` at the front.
    pub(crate) fn push_front(&mut self, item: T) {
        match self.segments.front_mut() {
            Some(segment) if segment.len() < SEGMENT => segment.push_front(item),
            _ => self.segments.push_front(VecDeque::from([item])),
        }
        self.len += 1;
    }

    /// The front item.
    pub(crate) fn front(&self) -> Option<&T> {
        self.segments.front().and_then(VecDeque::front)
    }

    /// Takes the front item.
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        let segment = self.segments.front_mut()?;
        let item = segment.pop_front();
        if segment.is_empty() {
            self.segments.pop_front();
        }
        self.len -= usize::from(item.is_some());
        item
    }

    /// Takes every item, front to back.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = T> + '_ {
        self.len = 0;
        self.segments.drain(..).flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        PushBack,
        PushFront,
        Pop,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![4 => Just(Op::PushBack), 1 => Just(Op::PushFront), 3 => Just(Op::Pop)]
    }

    proptest! {
        /// Any run of pushes at either end and pops from the front gives what a `VecDeque`
        /// gives, across segment boundaries (runs long enough to fill several).
        #[test]
        fn it_is_a_deque(ops in proptest::collection::vec(op(), 0..6_000), drain_at_end in any::<bool>()) {
            let (mut q, mut model) = (SegmentedQueue::default(), VecDeque::new());
            for (i, op) in ops.iter().enumerate() {
                match op {
                    Op::PushBack => { q.push_back(i); model.push_back(i); }
                    Op::PushFront => { q.push_front(i); model.push_front(i); }
                    Op::Pop => prop_assert_eq!(q.pop_front(), model.pop_front()),
                }
                prop_assert_eq!(q.front(), model.front());
                prop_assert_eq!((q.len(), q.is_empty()), (model.len(), model.is_empty()));
                prop_assert!(q.segments.iter().all(|s| !s.is_empty() && s.len() <= SEGMENT));
            }
            if drain_at_end {
                prop_assert_eq!(q.drain().collect::<Vec<_>>(), model.drain(..).collect::<Vec<_>>());
                prop_assert!(q.is_empty() && q.front().is_none());
            }
        }
    }

    #[test]
    fn growing_it_adds_segments_and_emptying_it_drops_them() {
        let mut q = SegmentedQueue::default();
        for i in 0..10 * SEGMENT + 1 {
            q.push_back(i);
        }
        assert_eq!(q.segments.len(), 11);
        // A segment is only as large as what it holds, up to SEGMENT.
        assert!(q.segments.back().is_some_and(|s| s.capacity() < 16));
        for _ in 0..5 * SEGMENT {
            q.pop_front();
        }
        assert_eq!((q.segments.len(), q.len()), (6, 5 * SEGMENT + 1));
    }
}
