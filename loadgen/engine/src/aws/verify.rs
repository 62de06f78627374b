//! End-to-end verification against a deployed pipeline: were the sampled events stored,
//! how long did they take, and did the invalid ones reach the dead-letter queue?
//!
//! A bounded sample of accepted valid events (the tracers) is looked up in the table with
//! `BatchGetItem` (≤ 100 keys a call, unprocessed keys retried), round after round until
//! all are found or `--settle` runs out. Found ones give the end-to-end latency (intended
//! send time → `processedAt`); the rest are missing. The dead-letter queue's depth is
//! compared with its depth before the run.
//!
//! DynamoDB and SQS are reached through the standard chain; point them at emulators with
//! `AWS_ENDPOINT_URL_DYNAMODB` and `AWS_ENDPOINT_URL_SQS` (`--endpoint-url` is Kinesis's).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use retail_events::attr;
use serde::{Deserialize, Serialize};

use crate::measure::{Latency, Tracer};
use crate::sink::kinesis::KinesisTarget;

/// What verification found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct VerifyResult {
    /// Tracer events looked up.
    pub sampled: u64,
    /// Of those, found in the table.
    pub found: u64,
    /// Of those, not found when `--settle` ran out.
    pub missing: u64,
    /// Messages the dead-letter queue gained during the run, if a queue was named.
    pub dlq_messages: Option<u64>,
}

/// What the tracer items tell of latency: intended send → `processedAt`, and split at
/// Kinesis's arrival timestamp.
#[derive(Debug, Clone, Default)]
pub struct TracerLatency {
    /// Intended send → written.
    pub end_to_end: Latency,
    /// Intended send → arrival in the stream.
    pub send_to_arrival: Latency,
    /// Arrival → written.
    pub arrival_to_written: Latency,
}

/// Why verification could not run.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// DynamoDB refused the lookups.
    #[error("looking up tracer events in table '{table}' failed: {detail}. Check the table name and that the identity may dynamodb:BatchGetItem")]
    Table {
        /// The table.
        table: String,
        /// The SDK's message.
        detail: String,
    },
    /// SQS refused to report the queue depth.
    #[error("reading the depth of queue {url} failed: {detail}. Check --dlq-url and sqs:GetQueueAttributes")]
    Queue {
        /// The queue URL.
        url: String,
        /// The SDK's message.
        detail: String,
    },
}

/// The clients verification uses.
#[derive(Debug, Clone)]
pub struct Verifier {
    dynamodb: aws_sdk_dynamodb::Client,
    sqs: aws_sdk_sqs::Client,
}

impl Verifier {
    /// Clients from the standard chain, with the target's region and profile.
    pub async fn new(target: &KinesisTarget) -> Self {
        let sdk = target.sdk_loader(false).load().await;
        Self { dynamodb: aws_sdk_dynamodb::Client::new(&sdk), sqs: aws_sdk_sqs::Client::new(&sdk) }
    }

    /// Messages in the queue now (visible plus in flight).
    pub async fn queue_depth(&self, url: &str) -> Result<u64, VerifyError> {
        use aws_sdk_sqs::types::QueueAttributeName as A;
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(A::ApproximateNumberOfMessages)
            .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(|e| VerifyError::Queue { url: url.to_string(), detail: crate::aws::sdk_error_sentence(&e) })?;
        let attrs = out.attributes();
        let get = |k: A| attrs.and_then(|a| a.get(&k)).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        Ok(get(A::ApproximateNumberOfMessages) + get(A::ApproximateNumberOfMessagesNotVisible))
    }

    /// Looks `tracers` up in `table` until all are found or `settle` has passed; records
    /// the found ones' end-to-end latency into `e2e`. Returns (found, missing).
    pub async fn find(
        &self,
        table: &str,
        tracers: &[Tracer],
        settle: Duration,
        latency: &mut TracerLatency,
    ) -> Result<(u64, u64), VerifyError> {
        let key_of = |t: &Tracer| {
            let id = crate::load::event_id::uuid(t.event_id).hyphenated().to_string();
            let meta =
                retail_events::RecordMeta { shard_id: "", sequence_number: "", arrival_ms: 0, sub_sequence: None };
            (t.user_id.to_string(), retail_events::event_key(t.timestamp_ms, Some(&id), &meta))
        };
        let mut pending: HashMap<(String, String), i64> = tracers.iter().map(|t| (key_of(t), t.timestamp_ms)).collect();
        let deadline = Instant::now() + settle;
        let mut found = 0;
        loop {
            let keys: Vec<(String, String)> = pending.keys().cloned().collect();
            for chunk in keys.chunks(100) {
                for (key, processed_at, arrival) in self.batch_get(table, chunk).await? {
                    if let Some(ts) = pending.remove(&key) {
                        latency.end_to_end.record_ms(processed_at - ts);
                        if let Some(arrival) = arrival {
                            latency.send_to_arrival.record_ms(arrival - ts);
                            latency.arrival_to_written.record_ms(processed_at - arrival);
                        }
                        found += 1;
                    }
                }
            }
            if pending.is_empty() || Instant::now() >= deadline {
                return Ok((found, pending.len() as u64));
            }
            tokio::time::sleep(Duration::from_secs(1).min(deadline - Instant::now())).await;
        }
    }

    /// One `BatchGetItem` of at most 100 keys, unprocessed keys retried; returns the keys
    /// found with their `processedAt` and Kinesis arrival time.
    async fn batch_get(
        &self,
        table: &str,
        keys: &[(String, String)],
    ) -> Result<Vec<((String, String), i64, Option<i64>)>, VerifyError> {
        let as_key = |(user, event_key): &(String, String)| {
            HashMap::from([
                (attr::USER_ID.to_string(), AttributeValue::S(user.clone())),
                (attr::EVENT_KEY.to_string(), AttributeValue::S(event_key.clone())),
            ])
        };
        let mut request = KeysAndAttributes::builder()
            .set_keys(Some(keys.iter().map(as_key).collect()))
            .projection_expression("#u, #k, #p, #a")
            .expression_attribute_names("#u", attr::USER_ID)
            .expression_attribute_names("#k", attr::EVENT_KEY)
            .expression_attribute_names("#p", attr::PROCESSED_AT)
            .expression_attribute_names("#a", attr::ARRIVAL_TIMESTAMP)
            .build()
            .map_err(|e| VerifyError::Table { table: table.into(), detail: e.to_string() })?;
        let mut found = Vec::new();
        for attempt in 0..8u32 {
            let out =
                self.dynamodb.batch_get_item().request_items(table, request.clone()).send().await.map_err(|e| {
                    VerifyError::Table { table: table.into(), detail: crate::aws::sdk_error_sentence(&e) }
                })?;
            for item in out.responses().and_then(|r| r.get(table)).into_iter().flatten() {
                let s = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
                let n = |k: &str| item.get(k).and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok());
                if let Some(p) = n(attr::PROCESSED_AT) {
                    found.push(((s(attr::USER_ID), s(attr::EVENT_KEY)), p, n(attr::ARRIVAL_TIMESTAMP)));
                }
            }
            match out.unprocessed_keys().and_then(|u| u.get(table)) {
                Some(left) if !left.keys().is_empty() => {
                    request = left.clone();
                    tokio::time::sleep(Duration::from_millis(50 << attempt.min(5))).await;
                }
                _ => break,
            }
        }
        Ok(found)
    }
}
