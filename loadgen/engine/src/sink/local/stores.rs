//! The local pipeline's table and dead-letter queue: compact, so a long run's memory is
//! bounded by what the table holds and not by the events' size.
//!
//! The table keeps a 64-bit digest of each item's key (hash key and range key parts),
//! which is all the verification needs: how many distinct items exist, so that a
//! redelivered record that overwrites its item is not counted twice. A `DigestSet`
//! costs 8 bytes per item and its spare capacity: 9–18 bytes per stored event (a 128-bit
//! digest in a `HashSet` took 17–34, and 20 million of them, a 20 s run at
//! 1,000,000 events/s, more than the 512 MiB that run may hold). Two distinct keys share
//! a digest with odds of 2^-64, so a run of N items counts one item short with odds of
//! about N²/2^65: one in 4 million for the 3 million items of 10 minutes at 5,000
//! events/s, one in 90,000 for 20 million. Each call can take a modelled write latency (a
//! `BatchWriteItem` round trip), and every item asks DynamoDB's write capacity
//! ([`TableModel`]): an item over a partition key's or the table's capacity comes back
//! unprocessed, as `BatchWriteItem` answers it in `UnprocessedItems`.

use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use foldhash::fast::FixedState;
use rand::Rng;
use retail_events::StoredItem;
use retail_function::{DeadLetter, DeadLetterSink, EventStore, ServiceError};

use crate::sink::local::table_model::{write_units, TableMode, TableModel, TableStats, Throttle};

/// A table that counts distinct items.
#[derive(Debug)]
pub struct CompactTable {
    state: Mutex<TableState>,
    write_latency: Duration,
    unprocessed_rate: f64,
    calls: AtomicU64,
}

#[derive(Debug)]
struct TableState {
    keys: DigestSet,
    capacity: TableModel,
    /// The users behind the first few partition keys that were throttled, by hash.
    throttled_names: std::collections::HashMap<u64, String, FixedState>,
}

/// The most digests a table makes room for before its first write: 3,670,016, the most a
/// set of 2^22 slots holds (34 MB). A larger run grows from there.
pub const RESERVED_ITEMS_MAX: usize = (1 << 22) / 8 * 7;

/// Throttled partition keys whose user is remembered for the report.
const NAMED_KEYS: usize = 64;

impl CompactTable {
    /// An empty table in capacity `mode` (its seconds counted from `origin`), whose calls
    /// take `write_latency` and also leave each item unprocessed with probability
    /// `unprocessed_rate` (a fault to inject), so the function's retries and Lambda's
    /// redeliveries are exercised. Room for `expected_items` digests (at most
    /// [`RESERVED_ITEMS_MAX`]) is made at once: a set that doubles holds its old and new
    /// tables together while it moves, so growing through a run peaks at 1.5 times the
    /// slots of a set sized for it (measured: a 10-minute run at 5,000 events/s peaked at
    /// 125 MiB RSS growing its set, 99 MiB with it sized; README, "Memory").
    pub fn new(
        write_latency: Duration,
        unprocessed_rate: f64,
        mode: TableMode,
        origin: Instant,
        expected_items: usize,
    ) -> Self {
        Self {
            state: Mutex::new(TableState {
                keys: DigestSet::with_capacity(expected_items.min(RESERVED_ITEMS_MAX)),
                capacity: TableModel::new(mode, origin),
                throttled_names: Default::default(),
            }),
            write_latency,
            unprocessed_rate: unprocessed_rate.clamp(0.0, 1.0),
            calls: AtomicU64::new(0),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, TableState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Distinct items stored.
    pub fn len(&self) -> usize {
        self.state().keys.len()
    }

    /// What the capacity model saw, and the user of its hottest key when that key was
    /// throttled.
    pub fn capacity_stats(&self) -> TableCapacity {
        let state = self.state();
        let stats = state.capacity.stats();
        let hottest_user = stats.hottest_key.and_then(|(hash, _)| state.throttled_names.get(&hash).cloned());
        TableCapacity { mode: state.capacity.mode(), stats, hottest_user }
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Memory held by the key set, bytes (8-byte digests over its whole capacity).
    pub fn memory_bytes(&self) -> u64 {
        self.state().keys.capacity() as u64 * 8
    }

    /// `BatchWriteItem` calls received.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
}

/// The hash of an item's partition key (its user), for the capacity model and the
/// digest.
fn partition_key_hash(item: &StoredItem<'_>) -> u64 {
    FixedState::with_seed(0x5eed_0003).hash_one(&*item.user_id)
}

/// A 64-bit digest of every byte of the item's key: a hash of its partition key's hash
/// (`user`, computed once for the capacity model too) and the rest of the key. Not
/// `ItemKey`'s own `Hash`, which reads only the strings' ends (enough for a map that
/// compares keys, not for a digest that stands in for them). Two distinct keys share a
/// digest with odds of 2^-64 (the module's note has a run's).
fn digest(user: u64, item: &StoredItem<'_>) -> u64 {
    let key = item.key();
    FixedState::with_seed(0x5eed_0001).hash_one((user, key.timestamp_ms, key.id))
}

impl EventStore for CompactTable {
    async fn put_batch(&self, items: &[&StoredItem<'_>]) -> Result<Vec<usize>, ServiceError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        // Sizes and digests outside the lock, and before the call's modelled latency: the
        // items were just made, and after 5 ms of other invocations they are out of the
        // cache (at 1,000,000 events/s the partition key's hash, first to read them after
        // the wait, missed for most of its time).
        let asks: Vec<(u64, u32, u64)> = items
            .iter()
            .map(|item| {
                let user = partition_key_hash(item);
                (user, write_units(item.estimated_size()), digest(user, item))
            })
            .collect();
        if !self.write_latency.is_zero() {
            tokio::time::sleep(self.write_latency).await;
        }
        let now = Instant::now();
        // The injected fault, drawn only when asked for.
        let mut fault = (self.unprocessed_rate > 0.0).then(rand::rng);
        let mut unprocessed = Vec::new();
        let mut state = self.state();
        // Every item's lines (its digest's, its key's load in this second) are asked for
        // at once, so that the misses overlap instead of each write waiting for its own
        // (a table of millions, and a second's keys, are far larger than a cache).
        for &(key, _, digest) in &asks {
            state.keys.prefetch(digest);
            state.capacity.prefetch(key);
        }
        for (i, &(key, wcu, digest)) in asks.iter().enumerate() {
            if fault.as_mut().is_some_and(|rng| rng.random::<f64>() < self.unprocessed_rate) {
                unprocessed.push(i);
                continue;
            }
            match state.capacity.write(now, key, wcu) {
                None => {
                    state.keys.insert(digest);
                }
                Some(throttle) => {
                    unprocessed.push(i);
                    if throttle == Throttle::Partition && state.throttled_names.len() < NAMED_KEYS {
                        state.throttled_names.entry(key).or_insert_with(|| items[i].user_id.to_string());
                    }
                }
            }
        }
        drop(state);
        Ok(unprocessed)
    }
}

/// A set of 64-bit digests, in cache lines of eight: an insert probes its digest's line
/// and, when that is full, the lines after it (linear probing by line), so it reads one
/// line nearly always and a batch can ask for its lines before it inserts. Nothing is
/// ever removed, so an empty slot ends a probe. Digest 0 marks an empty slot and is
/// stored as 1 (odds of 2^-64 that an item is counted with another, as for any two).
#[derive(Debug)]
struct DigestSet {
    /// A power of two of lines.
    lines: Vec<Line>,
    len: usize,
}

/// Eight slots on one cache line.
#[derive(Debug, Clone, Copy, Default)]
#[repr(align(64))]
struct Line([u64; SLOTS_PER_LINE]);

const SLOTS_PER_LINE: usize = 8;

impl DigestSet {
    /// Room for `items` digests before the set grows (7 of every 8 slots filled at most).
    fn with_capacity(items: usize) -> Self {
        let slots = items.saturating_mul(8).div_ceil(7);
        let lines = slots.div_ceil(SLOTS_PER_LINE).next_power_of_two();
        DigestSet { lines: vec![Line::default(); lines], len: 0 }
    }

    fn len(&self) -> usize {
        self.len
    }

    /// Slots, filled or not.
    fn capacity(&self) -> usize {
        self.lines.len() * SLOTS_PER_LINE
    }

    fn home(&self, digest: u64) -> usize {
        digest as usize & (self.lines.len() - 1)
    }

    /// Asks the CPU for `digest`'s line (a hint only).
    fn prefetch(&self, digest: u64) {
        crate::prefetch::value(&self.lines[self.home(digest)]);
    }

    /// Adds `digest`; false if it was there.
    fn insert(&mut self, digest: u64) -> bool {
        if (self.len + 1) * 8 > self.capacity() * 7 {
            self.grow();
        }
        if self.place(digest.max(1)) {
            self.len += 1;
            return true;
        }
        false
    }

    /// Puts a non-zero digest in the first empty slot of its probe; false if it is there.
    fn place(&mut self, digest: u64) -> bool {
        let mask = self.lines.len() - 1;
        let mut index = self.home(digest);
        loop {
            for slot in &mut self.lines[index].0 {
                if *slot == digest {
                    return false;
                }
                if *slot == 0 {
                    *slot = digest;
                    return true;
                }
            }
            index = (index + 1) & mask;
        }
    }

    /// Twice the lines, every digest placed again.
    fn grow(&mut self) {
        let doubled = vec![Line::default(); self.lines.len() * 2];
        let old = std::mem::replace(&mut self.lines, doubled);
        for digest in old.iter().flat_map(|line| line.0).filter(|&d| d != 0) {
            self.place(digest);
        }
    }
}

/// The table's capacity over a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableCapacity {
    /// The capacity mode.
    pub mode: TableMode,
    /// What the model saw.
    pub stats: TableStats,
    /// The user whose key asked most in one second, if that key was throttled.
    pub hottest_user: Option<String>,
}

/// A dead-letter queue that counts messages by error kind.
#[derive(Debug, Default)]
pub struct CountingDlq {
    inner: Mutex<DlqState>,
}

#[derive(Debug, Default)]
struct DlqState {
    total: u64,
    by_kind: BTreeMap<String, u64>,
}

impl CountingDlq {
    /// Messages received.
    pub fn len(&self) -> u64 {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).total
    }

    /// Whether no message was received.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Messages by error kind.
    pub fn by_kind(&self) -> BTreeMap<String, u64> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).by_kind.clone()
    }
}

impl DeadLetterSink for CountingDlq {
    async fn send_batch(&self, bodies: &[&str]) -> Result<Vec<usize>, ServiceError> {
        let mut s = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        for body in bodies {
            s.total += 1;
            let kind = serde_json::from_str::<DeadLetter>(body)
                .map(|d| d.error_kind.as_str().to_string())
                .unwrap_or_else(|_| "unreadable".into());
            *s.by_kind.entry(kind).or_default() += 1;
        }
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::generator::{Generator, GeneratorConfig};
    use retail_events::{Event, RecordMeta};

    const META: RecordMeta<'static> = RecordMeta {
        shard_id: "shardId-000000000000",
        sequence_number: "49590338271490256608559692538361571095921575989136588898",
        arrival_ms: 1_764_000_000_000,
        sub_sequence: None,
    };

    fn item<'a>(event: &Event<'a>) -> StoredItem<'a> {
        StoredItem::build(event.clone(), &META, 1_764_000_000_500, 86_400).expect("a valid event")
    }

    async fn write(table: &CompactTable, items: &[StoredItem<'_>]) {
        for chunk in items.chunks(25) {
            let refs: Vec<&StoredItem<'_>> = chunk.iter().collect();
            assert!(table.put_batch(&refs).await.expect("a modelled write").is_empty(), "nothing throttled");
        }
    }

    /// The set holds what was inserted, once, through growth from one line, with digests
    /// that share a line (probing on to the next) and the digest 0.
    #[test]
    fn the_digest_set_keeps_each_digest_once() {
        let mut set = DigestSet::with_capacity(0);
        assert_eq!(set.capacity(), 8);
        // Digests that differ only from bit 20 up share a home line (a hundred of them,
        // twelve lines' worth) until the set has 2^20 lines.
        let digests: Vec<u64> = (0..5_000u64).map(|i| ((i % 100) << 20) | ((i / 100) * 7)).collect();
        let mut distinct = std::collections::HashSet::new();
        for &d in &digests {
            assert_eq!(set.insert(d), distinct.insert(d.max(1)), "digest {d}");
        }
        assert_eq!(set.len(), distinct.len());
        assert!(set.len() * 8 <= set.capacity() * 7, "7 of 8 slots at most");
        for &d in &digests {
            assert!(!set.insert(d), "digest {d} is still there after growing");
        }
        assert!(!set.insert(1), "0 is kept as 1");
        assert_eq!(set.len(), distinct.len());
        assert_eq!(DigestSet::with_capacity(RESERVED_ITEMS_MAX).capacity(), 1 << 22);
    }

    /// The digest stands in for the whole key: an item written again counts once, and a
    /// key that differs in any part (user, timestamp, event id) is another item.
    #[tokio::test]
    async fn items_count_once_by_their_whole_key() {
        let mut g = Generator::new(GeneratorConfig::default());
        let records: Vec<_> = (0..2_000).map(|i| g.next_record(1_764_000_000_000 + i, i as u64)).collect();
        let events: Vec<Event<'_>> =
            records.iter().map(|r| Event::from_json(std::str::from_utf8(&r.data).unwrap()).unwrap()).collect();
        let items: Vec<StoredItem<'_>> = events.iter().map(item).collect();
        let table = CompactTable::new(Duration::ZERO, 0.0, TableMode::Provisioned { wcu: 1e9 }, Instant::now(), 0);
        write(&table, &items).await;
        assert_eq!(table.len(), 2_000);
        write(&table, &items[..500]).await;
        assert_eq!(table.len(), 2_000, "redelivered items overwrite theirs");

        let mut other_user = events[0].clone();
        other_user.user_id = Some("user-someone-else".into());
        let mut other_time = events[0].clone();
        other_time.timestamp = other_time.timestamp.map(|t| t + 1);
        let mut other_id = events[0].clone();
        other_id.event_id = Some("00000000-0000-4000-8000-000000000000".into());
        write(&table, &[item(&other_user), item(&other_time), item(&other_id)]).await;
        assert_eq!(table.len(), 2_003, "each part of the key makes another item");
        // The module's 9–18 bytes per stored event: 8-byte slots, 7/16 to 7/8 of them full
        // once the set has grown.
        let per_item = table.memory_bytes() as f64 / table.len() as f64;
        assert!((8.0 / (7.0 / 8.0)..8.0 / (7.0 / 16.0)).contains(&per_item), "{per_item} bytes per item");
    }
}
