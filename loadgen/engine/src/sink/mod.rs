//! Where loadgen sends records: one `PutRecords`-shaped call at a time.
//!
//! The embedded local pipeline and (with `--stream`) a real Kinesis stream implement
//! [`RecordSink`]; the driver, the retry policy and the ledger are the same for both.
//! [`hash_ranges`] routes keys to shards the way Kinesis does, for both.

pub mod hash_ranges;
pub mod kinesis;
pub mod local;

use std::borrow::Borrow;
use std::future::Future;

/// A partition key (and a `userId`): up to 23 bytes inline, as every `user-NNNNNNN` is, so
/// that making, cloning and dropping one per record touches no shared memory (an
/// `Arc<str>` per user moved its counter between the generator's core and the senders').
pub type PartitionKey = smol_str::SmolStr;

/// A record's data: one allocation holding the count and the bytes, so that the copies the
/// driver, the stream model and the event source mapping keep cost a count each (a
/// `Bytes` made from a `Vec` allocated a second, shared header at its first clone).
pub type Payload = std::sync::Arc<[u8]>;

/// One record of a `PutRecords` request.
#[derive(Debug, Clone, PartialEq)]
pub struct PutEntry {
    /// The record data.
    pub data: Payload,
    /// The partition key.
    pub partition_key: PartitionKey,
    /// The explicit hash key, overriding the partition key's MD5 for routing.
    pub explicit_hash_key: Option<u128>,
    /// The partition key's MD5, when the producer has already computed it (the driver
    /// does, to pace and account per shard): the local stream routes by it instead of
    /// hashing the key again. Kinesis hashes for itself; the Kinesis sink ignores it.
    pub key_hash: Option<u128>,
    /// User records it carries: more than one for a KPL aggregate.
    pub user_records: u32,
}

impl PutEntry {
    /// Bytes counted against the shard's write quota: data plus partition key.
    pub fn quota_bytes(&self) -> usize {
        self.data.len() + self.partition_key.len()
    }
}

/// What the stream answered for one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutResult {
    /// Stored in `shard`.
    Accepted {
        /// Index of the shard (in hash-key order).
        shard: usize,
    },
    /// `ProvisionedThroughputExceededException`: `shard` is over its write quota. Retried.
    Throttled {
        /// The shard, when known.
        shard: Option<usize>,
    },
    /// `InternalFailure` or another per-record error worth retrying.
    Failed {
        /// The error code.
        code: String,
    },
}

/// Why a whole `PutRecords` call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    /// The call may succeed if repeated (a 5xx, a timeout, a throttled request).
    #[error("transient failure of the whole request: {0}")]
    Transient(String),
    /// The request can never succeed (a validation error: these records are rejected).
    #[error("request rejected: {0}")]
    Rejected(String),
    /// The target is gone (connection refused, stream deleted): the run must stop.
    #[error("the target stopped answering: {0}")]
    Fatal(String),
}

/// A stream that takes `PutRecords` requests.
pub trait RecordSink: Send + Sync + 'static {
    /// Sends one request of at most 500 records and 5 MiB. `Ok` has one result per entry,
    /// in order. The entries are borrowed from whatever holds them (the driver's pending
    /// records), so a request costs no copy of its records.
    fn put_records<E: Borrow<PutEntry> + Sync>(
        &self,
        entries: &[E],
    ) -> impl Future<Output = Result<Vec<PutResult>, SinkError>> + Send;

    /// Number of shards (for per-shard accounting).
    fn shard_count(&self) -> usize;

    /// The open shards' hash-key ranges, in shard order (a pacing producer predicts each
    /// record's shard from them, as the KPL does from `ListShards`).
    fn hash_ranges(&self) -> Vec<(u128, u128)>;

    /// Where the sink's one-second quota windows begin, when it knows (the local model);
    /// per-second counts are kept by these windows.
    fn second_origin(&self) -> Option<std::time::Instant> {
        None
    }

    /// Whether `put_records` completes without waiting on I/O (an in-process model), so
    /// the driver may call it directly instead of in a task of its own.
    fn answers_inline(&self) -> bool {
        false
    }
}
