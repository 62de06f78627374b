//! Helpers shared by the function's integration tests: record builders and
//! fault-injecting fakes of the store and the dead-letter sink.
#![allow(dead_code)]

pub mod emulators;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use retail_events::StoredItem;
use retail_function::{DeadLetterSink, EventStore, KinesisEventRecord, KinesisRecord, ServiceError};

pub const NOW_MS: i64 = 1_764_000_000_000;

/// A Kinesis record carrying `data` (raw bytes, base64-encoded here) at sequence `seq`.
pub fn record(seq: u64, data: &[u8]) -> KinesisEventRecord {
    record_b64(seq, base64::engine::general_purpose::STANDARD.encode(data))
}

/// A Kinesis record whose data field is `b64` verbatim.
pub fn record_b64(seq: u64, b64: String) -> KinesisEventRecord {
    let seq = format!("{seq:056}");
    KinesisEventRecord {
        event_id: format!("shardId-000000000000:{seq}"),
        event_source_arn: Some("arn:aws:kinesis:us-east-1:123456789012:stream/test".into()),
        kinesis: KinesisRecord {
            data: b64,
            partition_key: "pk".into(),
            sequence_number: seq,
            approximate_arrival_timestamp: (NOW_MS - 2_000) as f64 / 1000.0,
            kinesis_schema_version: Some("1.0".into()),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A valid event JSON for user `user` with event id `id`.
pub fn valid_event(user: &str, id: &str) -> String {
    format!(
        r#"{{"eventId":"{id}","userId":"{user}","sessionId":"s","eventType":"purchase","productId":"P0001","timestamp":{},"price":9.99,"quantity":1,"currency":"USD"}}"#,
        NOW_MS - 1_500
    )
}

/// What one call of a fake does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Ok,
    /// Leaves a random subset unprocessed (DynamoDB under throttling).
    Partial,
    Throttle,
    ServerError,
    /// Returns a timeout error without writing.
    TimeoutError,
    /// Never answers (the processor's deadline must cut it); writes nothing.
    Hang,
}

/// Chooses faults from a seeded generator with the given weights.
pub struct FaultPlan {
    rng: Mutex<StdRng>,
    weights: [u32; 6],
}

impl FaultPlan {
    pub fn new(seed: u64, weights: [u32; 6]) -> Self {
        Self { rng: Mutex::new(StdRng::seed_from_u64(seed)), weights }
    }

    pub fn none() -> Self {
        Self::new(0, [1, 0, 0, 0, 0, 0])
    }

    fn next(&self) -> (Fault, u64) {
        let mut rng = self.rng.lock().unwrap();
        let total: u32 = self.weights.iter().sum::<u32>().max(1);
        let mut pick = rng.random_range(0..total);
        let faults = [Fault::Ok, Fault::Partial, Fault::Throttle, Fault::ServerError, Fault::TimeoutError, Fault::Hang];
        for (f, w) in faults.iter().zip(self.weights) {
            if pick < w {
                return (*f, rng.random());
            }
            pick -= w;
        }
        (Fault::Ok, rng.random())
    }
}

/// A table that misbehaves according to its plan. Items whose `userId` starts with
/// `reject` are refused with a validation error (the whole call, as DynamoDB does).
pub struct FaultyStore {
    pub plan: FaultPlan,
    pub written: Mutex<HashMap<(String, String), String>>,
    pub calls: Mutex<u32>,
}

impl FaultyStore {
    pub fn new(plan: FaultPlan) -> Self {
        Self { plan, written: Mutex::default(), calls: Mutex::new(0) }
    }

    pub fn has(&self, user: &str, key: &str) -> bool {
        self.written.lock().unwrap().contains_key(&(user.to_string(), key.to_string()))
    }

    pub fn written_sequence_numbers(&self) -> HashSet<String> {
        self.written.lock().unwrap().values().cloned().collect()
    }
}

impl EventStore for FaultyStore {
    async fn put_batch(&self, items: &[&StoredItem<'_>]) -> Result<Vec<usize>, ServiceError> {
        assert!(!items.is_empty() && items.len() <= 25, "BatchWriteItem takes 1..=25 items, got {}", items.len());
        let keys: HashSet<_> = items.iter().map(|i| i.key()).collect();
        assert_eq!(keys.len(), items.len(), "duplicate keys in one BatchWriteItem");
        *self.calls.lock().unwrap() += 1;
        if items.iter().any(|i| i.user_id.starts_with("reject")) {
            return Err(ServiceError::Rejected("ValidationException: item rejected".into()));
        }
        let (fault, bits) = self.plan.next();
        let left: Vec<usize> = match fault {
            Fault::Ok => vec![],
            Fault::Partial => (0..items.len()).filter(|i| bits >> (i % 64) & 1 == 1).collect(),
            Fault::Throttle => return Err(ServiceError::Throttled("ProvisionedThroughputExceededException".into())),
            Fault::ServerError => return Err(ServiceError::Unavailable("500 InternalServerError".into())),
            Fault::TimeoutError => return Err(ServiceError::Timeout("operation timed out".into())),
            Fault::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return Err(ServiceError::Timeout("hung".into()));
            }
        };
        let mut written = self.written.lock().unwrap();
        for (i, item) in items.iter().enumerate() {
            if !left.contains(&i) {
                written.insert((item.user_id.to_string(), item.event_key()), item.sequence_number.to_string());
            }
        }
        Ok(left)
    }
}

/// A dead-letter queue that misbehaves according to its plan (a `Partial` fails a random
/// subset of entries, as SQS's `Failed` list does).
pub struct FaultyDlq {
    pub plan: FaultPlan,
    pub bodies: Mutex<Vec<String>>,
}

impl FaultyDlq {
    pub fn new(plan: FaultPlan) -> Self {
        Self { plan, bodies: Mutex::default() }
    }

    pub fn sequence_numbers(&self) -> HashSet<String> {
        self.bodies
            .lock()
            .unwrap()
            .iter()
            .map(|b| serde_json::from_str::<retail_function::DeadLetter>(b).unwrap().sequence_number)
            .collect()
    }
}

impl DeadLetterSink for FaultyDlq {
    async fn send_batch(&self, bodies: &[&str]) -> Result<Vec<usize>, ServiceError> {
        assert!(!bodies.is_empty() && bodies.len() <= 10);
        assert!(bodies.iter().map(|b| b.len()).sum::<usize>() <= 256 * 1024);
        let (fault, bits) = self.plan.next();
        let failed: Vec<usize> = match fault {
            Fault::Ok => vec![],
            Fault::Partial => (0..bodies.len()).filter(|i| bits >> i & 1 == 1).collect(),
            Fault::Throttle => return Err(ServiceError::Throttled("RequestThrottled".into())),
            Fault::ServerError => return Err(ServiceError::Unavailable("500".into())),
            Fault::TimeoutError => return Err(ServiceError::Timeout("timeout".into())),
            Fault::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return Err(ServiceError::Timeout("hung".into()));
            }
        };
        let mut kept = self.bodies.lock().unwrap();
        for (i, b) in bodies.iter().enumerate() {
            if !failed.contains(&i) {
                kept.push(b.to_string());
            }
        }
        Ok(failed)
    }
}
