//! Where loadgen sends records: one `PutRecords`-shaped call at a time.
//!
//! The embedded local pipeline and (with `--stream`) a real Kinesis stream implement
//! [`RecordSink`]; the driver, the retry policy and the ledger are the same for both.
//! [`hash_ranges`] routes keys to shards the way Kinesis does, for both.

pub mod hash_ranges;
pub mod kinesis;
pub mod local;

use std::borrow::BorrowMut;
use std::future::Future;

/// A partition key (and a `userId`): up to 23 bytes inline, as every `user-NNNNNNN` is, so
/// that making, cloning and dropping one per record touches no shared memory (an
/// `Arc<str>` per user moved its counter between the generator's core and the senders').
pub type PartitionKey = smol_str::SmolStr;

/// A record's data: one allocation holding the count and the bytes, so that the copies the
/// driver, the stream model and the event source mapping keep cost a count each (a
/// `Bytes` made from a `Vec` allocated a second, shared header at its first clone).
///
/// It can also be handed on whole ([`Payload::take`]), leaving an empty one behind: the
/// local stream model takes the data of the records it accepts instead of counting a
/// second reference (see [`RecordSink::put_records`]).
#[derive(Clone, Default)]
pub struct Payload(Option<std::sync::Arc<[u8]>>);

impl Payload {
    /// The bytes, leaving this payload empty; no count changes and nothing is copied.
    pub fn take(&mut self) -> Payload {
        Payload(self.0.take())
    }

    /// References to these bytes (0 once taken): for tests of who holds a record.
    #[cfg(test)]
    pub(crate) fn references(&self) -> usize {
        self.0.as_ref().map_or(0, std::sync::Arc::strong_count)
    }
}

impl std::ops::Deref for Payload {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.0.as_deref().unwrap_or_default()
    }
}

impl AsRef<[u8]> for Payload {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl From<&[u8]> for Payload {
    fn from(bytes: &[u8]) -> Self {
        Payload(Some(bytes.into()))
    }
}

impl From<Vec<u8>> for Payload {
    fn from(bytes: Vec<u8>) -> Self {
        Payload(Some(bytes.into()))
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Payload({} bytes)", self.len())
    }
}

/// One record of a `PutRecords` request.
#[derive(Debug, Clone, PartialEq)]
pub struct PutEntry {
    /// The record data.
    pub data: Payload,
    /// The partition key.
    pub partition_key: PartitionKey,
    /// What routes it to its shard: the key's MD5, or an explicit hash key.
    pub route: Route,
    /// User records it carries: more than one for a KPL aggregate.
    pub user_records: u32,
}

impl PutEntry {
    /// Bytes counted against the shard's write quota: data plus partition key.
    pub fn quota_bytes(&self) -> usize {
        self.data.len() + self.partition_key.len()
    }

    /// The 128-bit hash key that places it in a shard's range: the explicit hash key,
    /// else the partition key's MD5 (carried, or computed here).
    pub fn hash_key(&self) -> u128 {
        match self.route.0 {
            RouteKind::Key => hash_ranges::hash_key(&self.partition_key),
            RouteKind::KeyHash(h) | RouteKind::Explicit(h) => join(h),
        }
    }
}

/// How a record finds its shard. 24 bytes where two `Option<u128>` took 64 (a `u128`
/// is 16-byte aligned): a `PutEntry` is moved by value through the driver's queues at
/// every send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Route(RouteKind);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum RouteKind {
    /// By the partition key's MD5, which whoever routes computes.
    #[default]
    Key,
    /// By the partition key's MD5, which the producer already computed (the driver does,
    /// to pace and account per shard): the local stream routes by it instead of hashing
    /// the key again. Kinesis hashes for itself.
    KeyHash([u64; 2]),
    /// By an explicit hash key, overriding the partition key's MD5.
    Explicit([u64; 2]),
}

const _: () = assert!(std::mem::size_of::<Route>() == 24);

fn split(h: u128) -> [u64; 2] {
    [h as u64, (h >> 64) as u64]
}

fn join([lo, hi]: [u64; 2]) -> u128 {
    u128::from(hi) << 64 | u128::from(lo)
}

impl Route {
    /// By the partition key's MD5, computed where the record is routed.
    pub const KEY: Route = Route(RouteKind::Key);

    /// By the partition key's MD5, `hash`, already computed (it must be that MD5).
    pub fn key_hash(hash: u128) -> Self {
        Route(RouteKind::KeyHash(split(hash)))
    }

    /// By an explicit hash key.
    pub fn explicit(hash: u128) -> Self {
        Route(RouteKind::Explicit(split(hash)))
    }

    /// `explicit(h)` for `Some(h)`, else [`Route::KEY`].
    pub fn explicit_or_key(hash: Option<u128>) -> Self {
        hash.map_or(Route::KEY, Route::explicit)
    }

    /// The explicit hash key, if the record has one (what a `PutRecords` request sends).
    pub fn explicit_hash_key(self) -> Option<u128> {
        match self.0 {
            RouteKind::Explicit(h) => Some(join(h)),
            _ => None,
        }
    }

    /// The hash key, when it is known without hashing the partition key.
    pub fn known(self) -> Option<u128> {
        match self.0 {
            RouteKind::Key => None,
            RouteKind::KeyHash(h) | RouteKind::Explicit(h) => Some(join(h)),
        }
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
    ///
    /// A sink that keeps the records in this process (the local stream model) takes the
    /// data of each entry it accepts, leaving it empty: the entry's holder only counts an
    /// accepted record, while a second reference to its payload would cost two locked
    /// instructions per record (the count up here, down when the holder drops it), each
    /// waiting for every store before it. An entry not accepted keeps its data for the
    /// retry.
    fn put_records<E: BorrowMut<PutEntry> + Send>(
        &self,
        entries: &mut [E],
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Each route gives the hash key Kinesis would place the record by, and only an
    /// explicit one is sent as such.
    #[test]
    fn a_route_places_a_record_as_kinesis_would() {
        let entry = |route| PutEntry {
            data: Payload::from(&b"{}"[..]),
            partition_key: PartitionKey::new("user-0000042"),
            route,
            user_records: 1,
        };
        let md5 = hash_ranges::hash_key("user-0000042");
        let explicit = u128::MAX - 7 - (1 << 64);
        assert_eq!(entry(Route::KEY).hash_key(), md5);
        assert_eq!(entry(Route::key_hash(md5)).hash_key(), md5);
        assert_eq!(entry(Route::explicit(explicit)).hash_key(), explicit);
        assert_eq!(Route::KEY.known(), None);
        assert_eq!(Route::key_hash(md5).known(), Some(md5));
        assert_eq!(Route::key_hash(md5).explicit_hash_key(), None);
        assert_eq!(Route::explicit(explicit).explicit_hash_key(), Some(explicit));
        assert_eq!(Route::explicit_or_key(None), Route::KEY);
        assert_eq!(Route::explicit_or_key(Some(explicit)), Route::explicit(explicit));
    }
}
