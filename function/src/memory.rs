//! In-memory table and dead-letter queue: the stores of the embedded local pipeline, the
//! benchmarks and the component tests.
//!
//! The table keeps owned items by key (a redelivery overwrites, as in DynamoDB) and can
//! model a write latency per call, so a local run pays the round trips a real table would.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use retail_events::StoredItem;

use crate::ports::{DeadLetterSink, EventStore, ServiceError};

/// A table keyed like the real one: (`userId`, `eventKey`).
#[derive(Debug, Default)]
pub struct InMemoryTable {
    items: Mutex<HashMap<(String, String), StoredItem<'static>>>,
    write_latency: Duration,
    calls: std::sync::atomic::AtomicU64,
}

impl InMemoryTable {
    /// An empty table answering every call at once.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty table whose every call takes `latency` (a `BatchWriteItem` round trip).
    pub fn with_write_latency(latency: Duration) -> Self {
        Self { write_latency: latency, ..Self::default() }
    }

    /// Number of distinct items stored.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `put_batch` calls received.
    pub fn calls(&self) -> u64 {
        self.calls.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The item with this key, if stored.
    pub fn get(&self, user_id: &str, event_key: &str) -> Option<StoredItem<'static>> {
        self.lock().get(&(user_id.to_string(), event_key.to_string())).cloned()
    }

    /// Every stored item, in no particular order.
    pub fn items(&self) -> Vec<StoredItem<'static>> {
        self.lock().values().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), StoredItem<'static>>> {
        self.items.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl EventStore for InMemoryTable {
    async fn put_batch(&self, items: &[&StoredItem<'_>]) -> Result<Vec<usize>, ServiceError> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if !self.write_latency.is_zero() {
            tokio::time::sleep(self.write_latency).await;
        }
        let owned: Vec<_> = items.iter().map(|&item| item.clone().into_owned()).collect();
        let mut table = self.lock();
        for item in owned {
            table.insert((item.user_id.to_string(), item.event_key()), item);
        }
        Ok(Vec::new())
    }
}

/// A queue that keeps every message body sent to it.
#[derive(Debug, Default)]
pub struct InMemoryDlq {
    messages: Mutex<Vec<String>>,
}

impl InMemoryDlq {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bodies received, in order.
    pub fn messages(&self) -> Vec<String> {
        self.messages.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Number of messages received.
    pub fn len(&self) -> usize {
        self.messages.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no message was received.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl DeadLetterSink for InMemoryDlq {
    async fn send_batch(&self, bodies: &[&str]) -> Result<Vec<usize>, ServiceError> {
        self.messages.lock().unwrap_or_else(|p| p.into_inner()).extend(bodies.iter().map(|b| b.to_string()));
        Ok(Vec::new())
    }
}
