//! The traits the processor is generic over, and the one error type their adapters return.
//!
//! Each trait is one AWS call's shape in the project's own types: [`EventStore`] is one
//! `BatchWriteItem`, [`DeadLetterSink`] one `SendMessageBatch`, [`MetricsSink`] one EMF
//! log line per batch. Chunking, concurrency and retries live in the processor, so the
//! adapters stay a few dozen lines and the fault-injecting fakes in the tests exercise
//! the same retry code that runs in Lambda.

use std::future::Future;

use retail_events::StoredItem;

use crate::report::BatchReport;

/// At most this many items go into one [`EventStore::put_batch`] (DynamoDB's limit).
pub const MAX_STORE_BATCH: usize = 25;
/// At most this many messages go into one [`DeadLetterSink::send_batch`] (SQS's limit).
pub const MAX_DLQ_BATCH: usize = 10;
/// Largest SQS message body, and largest total of one `SendMessageBatch` (256 KiB).
pub const MAX_DLQ_MESSAGE_BYTES: usize = 256 * 1024;

/// Why a call to a store or sink failed as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// The service asked us to slow down (DynamoDB `ProvisionedThroughputExceeded`,
    /// `ThrottlingException`, `RequestLimitExceeded`). Retried with backoff.
    #[error("throttled: {0}")]
    Throttled(String),
    /// A 5xx or a transport failure: the service may work on the next try. Retried.
    #[error("service error: {0}")]
    Unavailable(String),
    /// No answer in time. Whether the call took effect is unknown; retrying is safe
    /// because writes are idempotent by key. Retried.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The service refused the request itself (a validation error, a missing table or
    /// queue, access denied): the same call can never succeed. The processor splits a
    /// rejected batch to find the record at fault.
    #[error("rejected: {0}")]
    Rejected(String),
}

impl ServiceError {
    /// Whether the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, ServiceError::Rejected(_))
    }
}

/// Where valid events are written: the events table.
pub trait EventStore: Send + Sync {
    /// Writes 1..=[`MAX_STORE_BATCH`] items with distinct keys in one call. `Ok` holds
    /// the positions (in `items`) the service left unprocessed; empty means all written.
    fn put_batch(&self, items: &[&StoredItem<'_>]) -> impl Future<Output = Result<Vec<usize>, ServiceError>> + Send;
}

/// Where records that can never be processed go: the dead-letter queue.
pub trait DeadLetterSink: Send + Sync {
    /// Sends 1..=[`MAX_DLQ_BATCH`] message bodies, together at most
    /// [`MAX_DLQ_MESSAGE_BYTES`], in one call. `Ok` holds the positions that failed.
    fn send_batch(&self, bodies: &[&str]) -> impl Future<Output = Result<Vec<usize>, ServiceError>> + Send;
}

/// Receives the figures of every processed batch.
pub trait MetricsSink: Send + Sync {
    /// Records one batch's report.
    fn record(&self, report: &BatchReport);
}

/// A metrics sink that drops everything (benchmarks, and callers that read the report).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoMetrics;

impl MetricsSink for NoMetrics {
    fn record(&self, _: &BatchReport) {}
}

// Shared handles (the local pipeline keeps the table to read it after the run).
impl<T: EventStore> EventStore for std::sync::Arc<T> {
    fn put_batch(
        &self,
        items: &[&StoredItem<'_>],
    ) -> impl std::future::Future<Output = Result<Vec<usize>, ServiceError>> + Send {
        (**self).put_batch(items)
    }
}

impl<T: DeadLetterSink> DeadLetterSink for std::sync::Arc<T> {
    fn send_batch(
        &self,
        bodies: &[&str],
    ) -> impl std::future::Future<Output = Result<Vec<usize>, ServiceError>> + Send {
        (**self).send_batch(bodies)
    }
}
