//! The local pipeline's table and dead-letter queue: compact, so a long run's memory is
//! bounded by what the table holds and not by the events' size.
//!
//! The table keeps a 128-bit digest of each item's key (hash key and range key parts),
//! which is all the verification needs: how many distinct items exist, so that a
//! redelivered record that overwrites its item is not counted twice. A `HashSet<u128>`
//! costs 16 bytes per item plus hashbrown's control byte and spare capacity: 17–34 bytes
//! per stored event, about 27 on average. Each call can take a modelled write latency (a
//! `BatchWriteItem` round trip).

use std::collections::{BTreeMap, HashSet};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use foldhash::fast::FixedState;
use rand::Rng;
use retail_events::StoredItem;
use retail_function::{DeadLetter, DeadLetterSink, EventStore, ServiceError};

/// A table that counts distinct items.
#[derive(Debug, Default)]
pub struct CompactTable {
    keys: Mutex<HashSet<u128, FixedState>>,
    write_latency: Duration,
    unprocessed_rate: f64,
    calls: AtomicU64,
}

impl CompactTable {
    /// An empty table whose calls take `write_latency` and leave each item unprocessed
    /// with probability `unprocessed_rate` (DynamoDB under throttling), so the function's
    /// retries and Lambda's redeliveries are exercised.
    pub fn new(write_latency: Duration, unprocessed_rate: f64) -> Self {
        Self { write_latency, unprocessed_rate: unprocessed_rate.clamp(0.0, 1.0), ..Self::default() }
    }

    /// Distinct items stored.
    pub fn len(&self) -> usize {
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Memory held by the key set, bytes (16-byte digests plus hashbrown's control
    /// bytes, over its whole capacity).
    pub fn memory_bytes(&self) -> u64 {
        let keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        keys.capacity() as u64 * 17
    }

    /// `BatchWriteItem` calls received.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
}

fn digest(item: &StoredItem<'_>) -> u128 {
    let key = item.key();
    let a = FixedState::with_seed(0x5eed_0001).hash_one(key) as u128;
    let b = FixedState::with_seed(0x5eed_0002).hash_one(key) as u128;
    a << 64 | b
}

impl EventStore for CompactTable {
    async fn put_batch(&self, items: &[&StoredItem<'_>]) -> Result<Vec<usize>, ServiceError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if !self.write_latency.is_zero() {
            tokio::time::sleep(self.write_latency).await;
        }
        let unprocessed: Vec<usize> = if self.unprocessed_rate > 0.0 {
            let mut rng = rand::rng();
            (0..items.len()).filter(|_| rng.random::<f64>() < self.unprocessed_rate).collect()
        } else {
            Vec::new()
        };
        let digests: Vec<u128> =
            items.iter().enumerate().filter(|(i, _)| !unprocessed.contains(i)).map(|(_, item)| digest(item)).collect();
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        keys.extend(digests);
        Ok(unprocessed)
    }
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
