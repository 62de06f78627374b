//! What happened to every record of a batch.
//!
//! Each record ends in exactly one [`RecordOutcome`]: written, dead-lettered, or reported
//! back to Lambda for retry. The Lambda response, the metrics and the tests all read the
//! same [`BatchReport`], so they cannot disagree.

use serde::{Deserialize, Serialize};

/// The class of a permanent fault: the record can never be written, whatever we retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// `data` is not valid base64.
    BadBase64,
    /// The decoded bytes are not UTF-8.
    BadUtf8,
    /// The text is not a JSON object, or a field has the wrong JSON type.
    BadJson,
    /// A contract rule failed (missing or blank field, absurd timestamp or number).
    Validation,
    /// A field or the whole item is over its size limit.
    Oversize,
    /// DynamoDB refused this one item (a validation error) even when written alone.
    StoreRejected,
    /// A KPL aggregate that fails its checksum or whose protobuf does not decode.
    BadAggregate,
}

impl FaultKind {
    /// The label used in logs and dead letters.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadBase64 => "bad_base64",
            Self::BadUtf8 => "bad_utf8",
            Self::BadJson => "bad_json",
            Self::Validation => "validation",
            Self::Oversize => "oversize",
            Self::StoreRejected => "store_rejected",
            Self::BadAggregate => "bad_aggregate",
        }
    }
}

/// A permanent fault of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// Its class.
    pub kind: FaultKind,
    /// What exactly was wrong, for a person replaying the record.
    pub message: String,
}

/// Where one record ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordOutcome {
    /// The item is in the table.
    Written,
    /// The record is in the dead-letter queue.
    DeadLettered(FaultKind),
    /// Reported in `batchItemFailures`: Lambda will deliver it again.
    Retry(String),
}

/// The result of processing one batch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchReport {
    /// One outcome per user record (a plain Kinesis record, or one record of a KPL
    /// aggregate), in input order.
    pub outcomes: Vec<RecordOutcome>,
    /// Sequence numbers of the Kinesis records to retry, in input order, each once (the
    /// `batchItemFailures` item identifiers: a user record of an aggregate reports its
    /// aggregate's).
    pub retry_sequence_numbers: Vec<String>,
    /// Event-time lag of each written event that carried a `timestamp`: ms from that
    /// timestamp to `processedAt` (for load-generated events, the intended send time, so
    /// loadgen reads it as the end-to-end latency; for replayed or old events it can be
    /// days).
    pub end_to_end_ms: Vec<i64>,
    /// The pipeline's latency of each written record: ms from Kinesis's
    /// `approximateArrivalTimestamp` to `processedAt`, whatever the event's own time.
    pub pipeline_ms: Vec<i64>,
    /// `BatchWriteItem` calls made, retries included.
    pub store_calls: u32,
    /// `SendMessageBatch` calls made, retries included.
    pub dlq_calls: u32,
}

impl BatchReport {
    /// Records written.
    pub fn written(&self) -> usize {
        self.outcomes.iter().filter(|o| matches!(o, RecordOutcome::Written)).count()
    }

    /// Records dead-lettered.
    pub fn dead_lettered(&self) -> usize {
        self.outcomes.iter().filter(|o| matches!(o, RecordOutcome::DeadLettered(_))).count()
    }

    /// User records reported for retry.
    pub fn retried(&self) -> usize {
        self.outcomes.iter().filter(|o| matches!(o, RecordOutcome::Retry(_))).count()
    }
}
