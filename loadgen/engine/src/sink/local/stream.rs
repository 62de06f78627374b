//! The modelled Kinesis stream: shards with AWS's even hash-key ranges, MD5 routing, the
//! per-shard write quota answered per record, and per-lane logs the event source
//! mapping reads.
//!
//! A shard's records are split into lanes by partition key (one lane per unit of the
//! parallelization factor), so records of one key stay in order while lanes of one shard
//! are processed concurrently, as Lambda does.

use std::borrow::BorrowMut;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::Notify;

use crate::sink::hash_ranges::{even_ranges, hash_key, shard_for};
use crate::sink::local::bucket::SecondWindow;
use crate::sink::{Payload, PutEntry, PutResult};

/// One record stored in a shard.
#[derive(Debug, Clone)]
pub struct StreamRecord {
    /// The data.
    pub data: Payload,
    /// The partition key.
    pub partition_key: crate::sink::PartitionKey,
    /// Sequence number within the shard.
    pub sequence: u64,
    /// When the stream stored it (epoch ms, Kinesis's approximate arrival timestamp).
    pub arrival_ms: i64,
    /// When the stream stored it (monotonic, for iterator age).
    pub arrival: Instant,
    /// User records it carries (more than one for a KPL aggregate).
    pub user_records: u32,
}

/// A queue of records one consumer reads in order. Made only by [`Stream::new`], which
/// links it to the stream's queue of payloads to free (a lane of its own would fill a
/// queue that no `put` empties).
#[derive(Debug)]
pub struct Lane {
    /// Records not yet checkpointed, oldest first.
    pub records: Mutex<VecDeque<StreamRecord>>,
    /// Woken when records arrive.
    pub arrived: Notify,
    /// Where checkpointed records' payloads go to be freed.
    retired: Arc<Retired>,
    /// Where the next record will likely be stored (just past the last one `put` stored):
    /// a cache hint only, never read or written through (see [`Stream::put`]).
    next_slot: AtomicPtr<StreamRecord>,
}

impl Lane {
    /// Removes the `n` oldest records (checkpointed, or discarded), handing their
    /// payloads back to the producer's thread to free. Returns how many it removed.
    pub fn checkpoint(&self, n: usize) -> usize {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let n = n.min(records.len());
        self.retired.retire(records.drain(..n).map(|r| r.data));
        n
    }
}

/// Payloads the consumers are done with, freed by the thread that allocated them.
///
/// The driver allocates every payload and the pipeline's pollers drop the last reference.
/// Freed there, each crossed into the other thread's heap: under glibc's arena lock
/// (malloc and free were a sixth of the CPU at 1,000,000 events/s), and with mimalloc onto
/// the page's list of remote frees, which the driver collects only later, taking fresh
/// pages meanwhile. The pollers queue them here instead and the next `put` frees them, so
/// allocation and release stay on one thread; past [`RETIRED_MAX`] waiting (a producer that
/// stopped putting), a poller frees its own. With mimalloc, 3 s at 1,000,000 events/s
/// (Intel Xeon, 2 cores, three runs each): 8.2-8.8 s of CPU and 1.03-1.07 GB peak with the
/// hand-back, 9.5-9.8 s and 1.34-1.37 GB without.
#[derive(Debug, Default)]
struct Retired {
    queued: Mutex<Vec<Payload>>,
    /// The previous queue, emptied by `release` and swapped back in (no reallocation).
    spare: Mutex<Vec<Payload>>,
}

/// Payloads queued for release at most (about 10 MB of typical events).
pub(crate) const RETIRED_MAX: usize = 32_768;

impl Retired {
    fn retire(&self, payloads: impl Iterator<Item = Payload>) {
        let mut queued = self.queued.lock().unwrap_or_else(|p| p.into_inner());
        for payload in payloads {
            if queued.len() < RETIRED_MAX {
                queued.push(payload);
            }
        }
    }

    /// Frees the queued payloads on the calling thread; returns how many.
    fn release(&self) -> usize {
        let mut spare = self.spare.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::swap(&mut *self.queued.lock().unwrap_or_else(|p| p.into_inner()), &mut *spare);
        let freed = spare.len();
        spare.clear();
        freed
    }
}

/// One shard.
#[derive(Debug)]
pub struct Shard {
    /// Its id, `shardId-000000000000` style.
    pub id: String,
    /// Lanes by partition-key hash.
    pub lanes: Vec<Arc<Lane>>,
}

/// What a `put` changes in a shard besides its lanes: only `put` reads it.
#[derive(Debug)]
struct ShardWrites {
    quota: SecondWindow,
    next_sequence: u64,
}

/// Write quotas of one shard.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WriteQuota {
    /// Records per second.
    pub records_per_sec: f64,
    /// Payload per second (data plus partition key).
    pub bytes_per_sec: f64,
}

/// The stream.
#[derive(Debug)]
pub struct Stream {
    ranges: Vec<(u128, u128)>,
    wake_at: usize,
    /// Where every shard's one-second write windows begin.
    pub origin: Instant,
    /// The shards, in hash-key order.
    pub shards: Vec<Shard>,
    /// Every shard's write quota and next sequence number, in shard order, together in
    /// memory: one lock per `put` instead of a lock and an atomic per record.
    writes: Mutex<Vec<ShardWrites>>,
    retired: Arc<Retired>,
}

impl Stream {
    /// A stream of `shards` shards, `lanes` lanes each, with `quota` per shard. A lane's
    /// consumer is woken when the lane reaches `wake_at` records (a full batch); otherwise
    /// it wakes on its own schedule (batching window, idle poll), as Lambda's poller does,
    /// and puts cost no thread wake-ups.
    pub fn new(shards: usize, lanes: usize, quota: WriteQuota, wake_at: usize) -> Self {
        let now = Instant::now();
        let ranges = even_ranges(shards);
        let retired = Arc::new(Retired::default());
        let shards: Vec<Shard> = (0..ranges.len())
            .map(|i| Shard {
                id: format!("shardId-{i:012}"),
                lanes: (0..lanes.max(1))
                    .map(|_| {
                        Arc::new(Lane {
                            records: Mutex::default(),
                            arrived: Notify::new(),
                            retired: retired.clone(),
                            next_slot: AtomicPtr::default(),
                        })
                    })
                    .collect(),
            })
            .collect();
        let writes = (0..shards.len())
            .map(|_| ShardWrites {
                quota: SecondWindow::new(quota.records_per_sec, quota.bytes_per_sec, now),
                next_sequence: 1,
            })
            .collect();
        Stream { ranges, shards, writes: Mutex::new(writes), wake_at: wake_at.max(1), origin: now, retired }
    }

    /// The shards' hash-key ranges, in shard order.
    pub fn ranges(&self) -> &[(u128, u128)] {
        &self.ranges
    }

    /// Stores what the quotas allow of `entries` and answers per record, as `PutRecords`
    /// does, taking the data of each record it stores (see `RecordSink::put_records`).
    /// `arrival_ms` is the wall-clock time of the request.
    pub fn put<E: BorrowMut<PutEntry>>(&self, entries: &mut [E], now: Instant, arrival_ms: i64) -> Vec<PutResult> {
        self.release_retired();
        // Each record's shard and lane first, asking for the lines the second pass will
        // write (each lane's lock, and where its next record goes) all at once. With
        // many shards every record lands in a lane of its own whose memory the pipeline's
        // core last touched; stored one by one, each lock's release waited for the store
        // before it to fetch its line.
        let placed: Vec<(usize, usize)> = entries
            .iter()
            .map(|e| {
                let e = e.borrow();
                let hash = e.hash_key();
                debug_assert!(
                    e.route.explicit_hash_key().is_some() || hash == hash_key(&e.partition_key),
                    "a wrong carried key hash"
                );
                let index = shard_for(hash, &self.ranges);
                let lanes = &self.shards[index].lanes;
                let lane_index = ((hash >> 64) as u64 % lanes.len() as u64) as usize;
                let lane = &*lanes[lane_index];
                crate::prefetch::value(&lane.records);
                crate::prefetch::address(lane.next_slot.load(Ordering::Relaxed), size_of::<StreamRecord>());
                (index, lane_index)
            })
            .collect();
        let mut writes = self.writes.lock().unwrap_or_else(|p| p.into_inner());
        let mut woken = Vec::new();
        let results = entries
            .iter_mut()
            .zip(placed)
            .map(|(e, (index, lane_index))| {
                let e = e.borrow_mut();
                let w = &mut writes[index];
                if !w.quota.try_take(now, 1.0, e.quota_bytes() as f64) {
                    return PutResult::Throttled { shard: Some(index) };
                }
                let lane = &self.shards[index].lanes[lane_index];
                let sequence = w.next_sequence;
                w.next_sequence += 1;
                let mut records = lane.records.lock().unwrap_or_else(|p| p.into_inner());
                records.push_back(StreamRecord {
                    data: e.data.take(),
                    partition_key: e.partition_key.clone(),
                    sequence,
                    arrival_ms,
                    arrival: now,
                    user_records: e.user_records,
                });
                let full = records.len() == self.wake_at;
                if let Some(last) = records.back() {
                    // One past the last record: where the next goes unless the ring wraps
                    // or grows there (then the hint is wasted, never wrong).
                    let next = std::ptr::from_ref(last).wrapping_add(1).cast_mut();
                    lane.next_slot.store(next, Ordering::Relaxed);
                }
                drop(records);
                if full && !woken.iter().any(|l: &Arc<Lane>| Arc::ptr_eq(l, lane)) {
                    woken.push(lane.clone());
                }
                PutResult::Accepted { shard: index }
            })
            .collect();
        drop(writes);
        for lane in woken {
            lane.arrived.notify_one();
        }
        results
    }

    /// Frees, on the calling thread, the payloads the consumers are done with. Each `put`
    /// does; while the pipeline drains and nothing is put, the producer's thread calls it
    /// so that the consumers do not free their own. Returns how many it freed.
    pub fn release_retired(&self) -> usize {
        self.retired.release()
    }

    /// User records stored and not yet checkpointed, over all shards (an aggregate counts
    /// its user records).
    pub fn backlog(&self) -> u64 {
        self.shards
            .iter()
            .flat_map(|s| &s.lanes)
            .map(|l| {
                l.records
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .iter()
                    .map(|r| u64::from(r.user_records))
                    .sum::<u64>()
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::Route;

    fn entry(key: &str, size: usize) -> PutEntry {
        PutEntry {
            data: Payload::from(vec![b'x'; size]),
            partition_key: crate::sink::PartitionKey::new(key),
            route: Route::KEY,
            user_records: 1,
        }
    }

    #[test]
    fn throttles_per_record_past_the_quota() {
        let quota = WriteQuota { records_per_sec: 1000.0, bytes_per_sec: 1_048_576.0 };
        let s = Stream::new(1, 1, quota, 100);
        let mut entries: Vec<_> = (0..1500).map(|i| entry(&format!("k{i}"), 100)).collect();
        let now = Instant::now();
        let results = s.put(&mut entries, now, 0);
        let accepted = results.iter().filter(|r| matches!(r, PutResult::Accepted { .. })).count();
        assert_eq!(accepted, 1000);
        assert!(matches!(results[1200], PutResult::Throttled { shard: Some(0) }));
        assert_eq!(s.backlog(), 1000);
    }

    #[test]
    fn bytes_quota_counts_partition_keys() {
        let quota = WriteQuota { records_per_sec: 1000.0, bytes_per_sec: 1_048_576.0 };
        let s = Stream::new(1, 1, quota, 100);
        // 1,024 records of 1,014 data bytes + 10 key bytes = exactly 1 MiB.
        let mut entries: Vec<_> = (0..1024).map(|i| entry(&format!("key-{i:06}"), 1014)).collect();
        let results = s.put(&mut entries[..1000], Instant::now(), 0);
        assert!(results.iter().all(|r| matches!(r, PutResult::Accepted { .. })));
    }

    /// A hash the producer computed is used as is: the same shard as hashing here.
    #[test]
    fn a_carried_key_hash_routes_as_the_key_would() {
        let quota = WriteQuota { records_per_sec: 1e9, bytes_per_sec: 1e12 };
        let s = Stream::new(8, 1, quota, 100);
        let mut plain: Vec<_> = (0..200).map(|i| entry(&format!("user-{i}"), 10)).collect();
        let mut carried: Vec<_> = plain
            .iter()
            .map(|e| PutEntry { route: Route::key_hash(hash_key(&e.partition_key)), ..e.clone() })
            .collect();
        assert_eq!(s.put(&mut plain, Instant::now(), 0), s.put(&mut carried, Instant::now(), 0));
    }

    #[test]
    fn routes_by_md5_and_keeps_key_order_in_a_lane() {
        let quota = WriteQuota { records_per_sec: 1e9, bytes_per_sec: 1e12 };
        let s = Stream::new(4, 3, quota, 100);
        let mut entries: Vec<_> = (0..2000).map(|i| entry(&format!("user-{}", i % 50), 10)).collect();
        let results = s.put(&mut entries, Instant::now(), 0);
        let ranges = even_ranges(4);
        for (e, r) in entries.iter().zip(&results) {
            assert_eq!(*r, PutResult::Accepted { shard: shard_for(hash_key(&e.partition_key), &ranges) });
        }
        // Every key lives in exactly one lane, in sequence order.
        for shard in &s.shards {
            for lane in &shard.lanes {
                let recs = lane.records.lock().unwrap();
                assert!(recs.iter().zip(recs.iter().skip(1)).all(|(a, b)| a.sequence < b.sequence));
            }
        }
    }

    /// The stream takes the data of what it stores, and leaves what it throttles to the
    /// producer, for the retry.
    #[test]
    fn a_stored_record_is_taken_and_a_throttled_one_kept() {
        let quota = WriteQuota { records_per_sec: 1.0, bytes_per_sec: 1e12 };
        let s = Stream::new(1, 1, quota, 100);
        let mut entries = vec![entry("user-1", 10), entry("user-2", 20)];
        let held = entries[0].data.clone();
        let results = s.put(&mut entries, Instant::now(), 0);
        assert!(matches!(results[..], [PutResult::Accepted { .. }, PutResult::Throttled { .. }]));
        assert!(entries[0].data.is_empty(), "the stored record's data went to the stream");
        assert_eq!(held.references(), 2, "the stream and this handle hold it, no one else");
        assert_eq!(entries[1].data.len(), 20, "the throttled record keeps its data");
        assert_eq!(s.shards[0].lanes[0].records.lock().unwrap()[0].data, held);
    }

    /// Checkpointed payloads are freed by the next put or release (the producer's
    /// thread), not by the consumer; past the cap the consumer frees its own.
    #[test]
    fn checkpointed_payloads_are_freed_by_the_next_put() {
        let quota = WriteQuota { records_per_sec: 1e9, bytes_per_sec: 1e12 };
        let s = Stream::new(1, 1, quota, 100);
        // A handle on each payload, to see who still holds it.
        let put = |entries: &[PutEntry]| s.put(&mut entries.to_vec(), Instant::now(), 0);
        let kept = entry("user-1", 10);
        put(std::slice::from_ref(&kept));
        assert_eq!(kept.data.references(), 2, "the stream holds the record");
        let lane = &s.shards[0].lanes[0];
        assert_eq!(lane.checkpoint(5), 1, "only what the lane holds is removed");
        assert_eq!(s.backlog(), 0);
        assert_eq!(kept.data.references(), 2, "queued for the producer's thread");
        put(&[]);
        assert_eq!(kept.data.references(), 1, "freed by the next put");

        let many: Vec<_> = (0..RETIRED_MAX + 10).map(|i| entry(&format!("user-{i}"), 1)).collect();
        put(&many);
        assert_eq!(lane.checkpoint(many.len()), many.len());
        let queued = many.iter().filter(|e| e.data.references() == 2).count();
        assert_eq!(queued, RETIRED_MAX, "past the cap the consumer frees its own");
        put(&[]);
        assert!(many.iter().all(|e| e.data.references() == 1));

        // Without puts (the drain), the producer's thread frees them when it asks.
        put(std::slice::from_ref(&kept));
        assert_eq!(lane.checkpoint(1), 1);
        assert_eq!(kept.data.references(), 2, "queued");
        s.release_retired();
        assert_eq!(kept.data.references(), 1, "freed by the release");
    }
}
