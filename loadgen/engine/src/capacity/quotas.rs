//! AWS quotas the model and the planner rely on, in one place, with their source.
//!
//! Sources, with the page and the date each figure was read: `docs/aws-quotas.md`. The
//! local pipeline enforces these numbers; no emulator does.

use std::ops::RangeInclusive;

/// Records per second one shard accepts for writes.
pub const SHARD_WRITE_RECORDS_PER_SEC: u32 = 1_000;
/// Write records per second a new on-demand stream takes (4 MiB/s too: four shards' worth).
pub const ON_DEMAND_STREAM_INITIAL_RECORDS_PER_SEC: f64 = 4_000.0;
/// Bytes per second one shard accepts for writes (data plus partition key).
pub const SHARD_WRITE_BYTES_PER_SEC: u32 = 1024 * 1024;
/// The share of one shard's write quota that `records_per_sec` records of `mean_bytes`
/// each (data plus key) use: the larger of the record share and the byte share.
pub fn shard_write_utilization(records_per_sec: f64, mean_bytes: f64) -> f64 {
    (records_per_sec / f64::from(SHARD_WRITE_RECORDS_PER_SEC))
        .max(records_per_sec * mean_bytes / f64::from(SHARD_WRITE_BYTES_PER_SEC))
}

/// Bytes per second one shard serves to all standard consumers together.
pub const SHARD_READ_BYTES_PER_SEC: u32 = 2 * 1024 * 1024;
/// `GetRecords` calls per second per shard, shared by standard consumers.
pub const SHARD_READ_CALLS_PER_SEC: u32 = 5;
/// Records one `GetRecords` call returns at most.
pub const GET_RECORDS_MAX_RECORDS: usize = 10_000;
/// Bytes one `GetRecords` call returns at most.
pub const GET_RECORDS_MAX_BYTES: usize = 10 * 1024 * 1024;
/// Records in one `PutRecords` request at most.
pub const PUT_RECORDS_MAX_RECORDS: usize = 500;
/// Bytes in one `PutRecords` request at most (the SDK documentation's figure; newer API
/// docs allow 10 MiB, the smaller one is safe everywhere).
pub const PUT_RECORDS_MAX_BYTES: usize = 5 * 1024 * 1024;
/// Largest record (data plus partition key).
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;
/// Longest partition key, in characters.
pub const MAX_PARTITION_KEY_CHARS: usize = 256;

/// Memory at which a Lambda function has one full vCPU, MB (CPU is in proportion to
/// memory below it).
pub const FULL_VCPU_MB: f64 = 1769.0;

/// The share of one vCPU a function of `memory_mb` has (at most one for this one-thread
/// batch path: memory past [`FULL_VCPU_MB`] adds no speed).
pub fn cpu_share(memory_mb: u32) -> f64 {
    (f64::from(memory_mb.max(1)) / FULL_VCPU_MB).min(1.0)
}

/// Lambda's shortest function timeout, seconds.
pub const LAMBDA_MIN_TIMEOUT_SECS: u64 = 1;
/// Lambda's longest function timeout, seconds (15 minutes).
pub const LAMBDA_MAX_TIMEOUT_SECS: u64 = 900;
/// Lambda's invocation payload limit for an event source mapping batch.
pub const LAMBDA_MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;
/// Event source mapping batch size range.
pub const ESM_BATCH_SIZE_MAX: usize = 10_000;
/// Event source mapping batch sizes Lambda accepts.
pub const ESM_BATCH_SIZE: RangeInclusive<usize> = 1..=ESM_BATCH_SIZE_MAX;
/// Largest batching window, seconds.
pub const ESM_MAX_BATCHING_WINDOW_SECS: u64 = 300;
/// Largest parallelization factor.
pub const ESM_MAX_PARALLELIZATION: usize = 10;
/// Parallelization factors Lambda accepts.
pub const ESM_PARALLELIZATION: RangeInclusive<usize> = 1..=ESM_MAX_PARALLELIZATION;
/// How often Lambda polls a caught-up shard.
pub const ESM_IDLE_POLL_MS: u64 = 1_000;

/// Default account quotas (adjustable in Service Quotas; `docs/aws-quotas.md`): a plan
/// past one says so.
/// Kinesis provisioned shards per region in us-east-1, us-west-2 and eu-west-1.
pub const DEFAULT_KINESIS_SHARDS_LARGE_REGIONS: u64 = 500;
/// Kinesis provisioned shards per region elsewhere.
pub const DEFAULT_KINESIS_SHARDS_OTHER_REGIONS: u64 = 200;
/// Lambda concurrent executions per region.
pub const DEFAULT_LAMBDA_CONCURRENCY: u64 = 1_000;
/// DynamoDB write capacity units per table (us-east-1).
pub const DEFAULT_DYNAMODB_TABLE_WCU: f64 = 40_000.0;

/// DynamoDB write units one partition serves per second.
pub const DYNAMODB_PARTITION_WCU: u32 = 1_000;
/// Items in one `BatchWriteItem`.
pub const DYNAMODB_BATCH_WRITE_MAX: usize = 25;

/// The processor's CPU per record on one vCPU (`handler/process_batch/100` and
/// `function_path`'s "processor alone"), µs: docs/aws-quotas.md, "The function's CPU per
/// record".
pub const PROCESSOR_US_PER_RECORD: f64 = 0.26;

/// What the function's AWS calls add per record on one vCPU (writing and signing each
/// `BatchWriteItem`, the HTTPS exchange): `function_path`'s whole path minus the processor
/// alone, µs (same source). The planner's default per-record CPU is the sum.
pub const AWS_CALLS_US_PER_RECORD: f64 = 2.9;
