//! The local pipeline's table and dead-letter queue: compact, so a long run's memory is
//! bounded by what the table holds and not by the events' size.
//!
//! The table keeps a 128-bit digest of each item's key (hash key and range key parts),
//! which is all the verification needs: how many distinct items exist, so that a
//! redelivered record that overwrites its item is not counted twice. A `HashSet<u128>`
//! costs 16 bytes per item plus hashbrown's control byte and spare capacity: 17–34 bytes
//! per stored event, about 27 on average. Each call can take a modelled write latency (a
//! `BatchWriteItem` round trip), and every item asks DynamoDB's write capacity
//! ([`TableModel`]): an item over a partition key's or the table's capacity comes back
//! unprocessed, as `BatchWriteItem` answers it in `UnprocessedItems`.

use std::collections::{BTreeMap, HashSet};
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
    keys: HashSet<u128, FixedState>,
    capacity: TableModel,
    /// The users behind the first few partition keys that were throttled, by hash.
    throttled_names: std::collections::HashMap<u64, String, FixedState>,
}

/// The most digests a table makes room for before its first write: 3,670,016, the most a
/// set of 2^22 slots holds (68 MB). A larger run grows from there.
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
                keys: HashSet::with_capacity_and_hasher(expected_items.min(RESERVED_ITEMS_MAX), FixedState::default()),
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

    /// Memory held by the key set, bytes (16-byte digests plus hashbrown's control
    /// bytes, over its whole capacity).
    pub fn memory_bytes(&self) -> u64 {
        self.state().keys.capacity() as u64 * 17
    }

    /// `BatchWriteItem` calls received.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
}

/// The hash of an item's partition key (its user), for the capacity model, and the
/// high half of its digest.
fn partition_key_hash(item: &StoredItem<'_>) -> u64 {
    FixedState::with_seed(0x5eed_0003).hash_one(&*item.user_id)
}

/// A 128-bit digest of every byte of the item's key, from its partition key's hash
/// (`user`, computed once for the capacity model too) and a hash of the rest of the key.
/// Not `ItemKey`'s own `Hash`, which reads only the strings' ends (enough for a map that
/// compares keys, not for a digest that stands in for them). Two keys of different users
/// share a digest with odds of 2^-128; two of one user, 2^-64.
fn digest(user: u64, item: &StoredItem<'_>) -> u128 {
    let key = item.key();
    let rest = FixedState::with_seed(0x5eed_0001).hash_one((key.timestamp_ms, key.id));
    u128::from(user) << 64 | u128::from(rest)
}

impl EventStore for CompactTable {
    async fn put_batch(&self, items: &[&StoredItem<'_>]) -> Result<Vec<usize>, ServiceError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if !self.write_latency.is_zero() {
            tokio::time::sleep(self.write_latency).await;
        }
        // Sizes and digests outside the lock.
        let asks: Vec<(u64, f64, u128)> = items
            .iter()
            .map(|item| {
                let user = partition_key_hash(item);
                (user, write_units(item.estimated_size()), digest(user, item))
            })
            .collect();
        let now = Instant::now();
        // The injected fault, drawn only when asked for.
        let mut fault = (self.unprocessed_rate > 0.0).then(rand::rng);
        let mut unprocessed = Vec::new();
        let mut state = self.state();
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
