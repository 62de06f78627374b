//! The embedded local pipeline: a modelled Kinesis stream, a modelled event source
//! mapping, and the real `retail-function` processor writing to an in-memory table and
//! dead-letter queue.
//!
//! No emulator enforces Kinesis's per-shard limits or DynamoDB's write capacity, so this
//! model does, with the numbers in [`crate::capacity::quotas`] and [`table_model`]. Its defaults mirror the infra defaults (1 shard, batch size 100,
//! batching window 5 s, parallelization factor 1), so a local run shows what the deployed
//! default would do with the requested load.

pub mod bucket;
pub mod esm;
pub mod lambda_model;
pub mod stores;
pub mod stream;
pub mod table_model;

use std::borrow::BorrowMut;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use retail_function::{NoMetrics, Processor, ProcessorConfig};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::capacity::quotas;
use crate::measure::{Latency, TimelinePoint};
use crate::sink::local::bucket::DualBucket;
use crate::sink::local::esm::{EsmConfig, EsmStats};
use crate::sink::local::lambda_model::{LambdaConfig, LambdaRuntime, LambdaStats};
use crate::sink::local::stores::{CompactTable, CountingDlq, TableCapacity};
use crate::sink::local::stream::{Stream, WriteQuota};
use crate::sink::local::table_model::TableMode;
use crate::sink::{PutEntry, PutResult, RecordSink, SinkError};

/// The stream's capacity mode.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum StreamMode {
    /// A fixed shard count (the infra's default).
    #[default]
    Provisioned,
    /// On-demand: a new stream takes 4,000 records/s (and 4 MiB/s), and up to double its
    /// previous peak at once; each shard (hash-key range) keeps the per-shard limits, so
    /// a hot key still throttles. Scaling further takes longer than a run, so the model
    /// holds the shard count for the run.
    OnDemand {
        /// The stream's previous peak, records/s (0: a new stream).
        previous_peak_rps: f64,
    },
}

impl StreamMode {
    /// `PROVISIONED` or `ON_DEMAND`, as Kinesis names them.
    pub fn name(&self) -> &'static str {
        match self {
            StreamMode::Provisioned => "PROVISIONED",
            StreamMode::OnDemand { .. } => "ON_DEMAND",
        }
    }
}

/// Shards' worth of write capacity an on-demand stream has at once: at least four (a new
/// stream's 4,000 records/s), and double the previous peak.
pub fn on_demand_shards(previous_peak_rps: f64) -> usize {
    let records = quotas::ON_DEMAND_STREAM_INITIAL_RECORDS_PER_SEC.max(2.0 * previous_peak_rps.max(0.0));
    (records / f64::from(quotas::SHARD_WRITE_RECORDS_PER_SEC)).ceil() as usize
}

/// Every parameter of the model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalConfig {
    /// Shards in the stream (provisioned mode).
    pub shards: usize,
    /// The stream's capacity mode (default provisioned, as the infra deploys).
    pub stream_mode: StreamMode,
    /// Per-shard write quota.
    pub write_quota: WriteQuota,
    /// The event source mapping.
    pub esm: EsmConfig,
    /// Modelled duration of one `BatchWriteItem` call.
    pub table_write_latency: Duration,
    /// Share of items each `BatchWriteItem` leaves unprocessed at random (an injected
    /// fault, on top of the capacity model's throttling).
    pub table_unprocessed_rate: f64,
    /// The table's capacity mode (default on-demand, a new table, as the infra deploys).
    pub table_mode: TableMode,
    /// The function's memory, concurrency limit and cold start.
    pub lambda: LambdaConfig,
    /// The function's own settings (write concurrency, retries).
    pub processor: ProcessorConfig,
}

impl LocalConfig {
    /// The shards the stream has: the provisioned count, or an on-demand stream's.
    pub fn shard_count(&self) -> usize {
        match self.stream_mode {
            StreamMode::Provisioned => self.shards,
            StreamMode::OnDemand { previous_peak_rps } => on_demand_shards(previous_peak_rps),
        }
    }
}

impl Default for LocalConfig {
    fn default() -> Self {
        Self {
            shards: 1,
            stream_mode: StreamMode::Provisioned,
            write_quota: WriteQuota {
                records_per_sec: f64::from(quotas::SHARD_WRITE_RECORDS_PER_SEC),
                bytes_per_sec: f64::from(quotas::SHARD_WRITE_BYTES_PER_SEC),
            },
            esm: EsmConfig::default(),
            table_write_latency: Duration::from_millis(5),
            table_unprocessed_rate: 0.0,
            table_mode: TableMode::default(),
            lambda: LambdaConfig::default(),
            processor: ProcessorConfig::default(),
        }
    }
}

/// What the pipeline measured over a run.
#[derive(Debug, Clone, Default)]
pub struct PipelineSnapshot {
    /// Function invocations.
    pub invocations: u64,
    /// Records delivered (redeliveries included).
    pub delivered: u64,
    /// Records the function reported for retry.
    pub reported_for_retry: u64,
    /// Records discarded by the event source mapping after its retries.
    pub discarded: u64,
    /// Invocations that failed as a whole.
    pub function_errors: u64,
    /// Largest iterator age, ms.
    pub max_iterator_age_ms: f64,
    /// Distinct items in the table.
    pub table_items: u64,
    /// Messages in the dead-letter queue.
    pub dlq_messages: u64,
    /// Dead letters by error kind.
    pub dlq_by_kind: std::collections::BTreeMap<String, u64>,
    /// `BatchWriteItem` calls.
    pub table_write_calls: u64,
    /// Memory per stored item in the compact table, bytes.
    pub table_bytes_per_item: u64,
    /// The table's capacity mode and what its capacity model saw.
    pub table_capacity: TableCapacity,
    /// The modelled function's settings and what its model saw.
    pub lambda: (LambdaConfig, LambdaStats),
    /// Whether it finished processing within the settle time.
    pub drained: bool,
    /// Records still in the stream, not processed.
    pub backlog: u64,
    /// Intended send time to `processedAt`, for every stored event.
    pub end_to_end: Latency,
    /// Invocation durations.
    pub invocation: Latency,
    /// Per delivered record: arrival → invocation start.
    pub arrival_to_invocation: Latency,
    /// Per written record: invocation start → written.
    pub invocation_to_written: Latency,
}

/// The running pipeline.
pub struct LocalPipeline {
    stream: Arc<Stream>,
    processor: Arc<Processor<CompactTable, CountingDlq, NoMetrics>>,
    lambda: Arc<LambdaRuntime>,
    stats: Arc<Mutex<EsmStats>>,
    stop: watch::Sender<bool>,
    tasks: Mutex<JoinSet<()>>,
}

impl LocalPipeline {
    /// Builds the pipeline and starts its pollers on `runtime` (loadgen gives the
    /// pipeline a runtime of its own, so processing never delays the load's schedule).
    /// `expected_items` is what the run's schedule will write, for the table to make room
    /// for up front ([`CompactTable::new`]); 0 when unknown.
    pub fn start_on(config: LocalConfig, expected_items: usize, runtime: &tokio::runtime::Handle) -> Arc<Self> {
        let stream = Arc::new(Stream::new(
            config.shard_count(),
            config.esm.parallelization,
            config.write_quota,
            config.esm.batch_size,
        ));
        let processor = Arc::new(Processor::new(
            CompactTable::new(
                config.table_write_latency,
                config.table_unprocessed_rate,
                config.table_mode,
                stream.origin,
                expected_items,
            ),
            CountingDlq::default(),
            NoMetrics,
            config.processor,
        ));
        let lambda = Arc::new(LambdaRuntime::new(config.lambda));
        let stats = Arc::new(Mutex::new(EsmStats::default()));
        let (stop, stop_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        for shard in &stream.shards {
            let read_quota = Arc::new(Mutex::new(DualBucket::new(
                f64::from(config.esm.read_calls_per_sec),
                f64::from(config.esm.read_bytes_per_sec),
                Instant::now(),
            )));
            for lane in &shard.lanes {
                tasks.spawn_on(
                    esm::run_lane(
                        shard.id.clone(),
                        lane.clone(),
                        read_quota.clone(),
                        processor.clone(),
                        lambda.clone(),
                        config.esm,
                        stats.clone(),
                        stop_rx.clone(),
                    ),
                    runtime,
                );
            }
        }
        Arc::new(Self { stream, processor, lambda, stats, stop, tasks: Mutex::new(tasks) })
    }

    /// Records in the stream not yet processed.
    pub fn backlog(&self) -> u64 {
        self.stream.backlog()
    }

    /// Frees, on the calling thread, the payloads of records the pollers are done with
    /// (see [`Stream::release_retired`]); returns how many.
    pub fn release_retired(&self) -> usize {
        self.stream.release_retired()
    }

    /// Distinct items in the table.
    pub fn table_items(&self) -> usize {
        self.processor.store().len()
    }

    /// The table (for its call counts).
    pub fn table(&self) -> &CompactTable {
        self.processor.store()
    }

    /// The dead-letter queue.
    pub fn dlq(&self) -> &CountingDlq {
        self.processor.dead_letters()
    }

    /// Reads the pollers' statistics.
    pub fn with_stats<T>(&self, f: impl FnOnce(&mut EsmStats) -> T) -> T {
        f(&mut self.stats.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Fills in what the pipeline knows about the second that just closed: the largest
    /// iterator age, the end-to-end latency of the events processed in it, and the
    /// backlog. The interval's histogram is taken under the pollers' lock and encoded
    /// after, so the pollers never wait on the encoding.
    pub fn fill_interval(&self, point: &mut TimelinePoint) {
        let e2e = self.with_stats(|s| {
            point.iterator_age_ms = s.interval_iterator_age_ms;
            s.interval_iterator_age_ms = 0.0;
            s.take_end_to_end_interval()
        });
        point.end_to_end_p99_ms = e2e.percentiles().p99;
        point.end_to_end_histogram = e2e.to_base64();
        point.backlog = self.backlog();
    }

    /// Everything the pipeline measured, at the end of a run; `drained` says whether it
    /// finished processing.
    pub fn snapshot(&self, drained: bool) -> PipelineSnapshot {
        let mut snapshot = self.with_stats(|s| PipelineSnapshot {
            invocations: s.invocations,
            delivered: s.delivered,
            reported_for_retry: s.reported_for_retry,
            discarded: s.discarded,
            function_errors: s.function_errors,
            max_iterator_age_ms: s.max_iterator_age_ms,
            end_to_end: s.end_to_end(),
            invocation: s.invocation.clone(),
            arrival_to_invocation: s.arrival_to_invocation.clone(),
            invocation_to_written: s.invocation_to_written.clone(),
            ..PipelineSnapshot::default()
        });
        snapshot.table_items = self.table_items() as u64;
        snapshot.dlq_messages = self.dlq().len();
        snapshot.dlq_by_kind = self.dlq().by_kind();
        snapshot.table_write_calls = self.table().calls();
        snapshot.table_bytes_per_item = self.table().memory_bytes() / snapshot.table_items.max(1);
        snapshot.table_capacity = self.table().capacity_stats();
        snapshot.lambda = (self.lambda.config, self.lambda.stats());
        snapshot.drained = drained;
        snapshot.backlog = self.backlog();
        snapshot
    }

    /// Shard ids, in hash-key order.
    pub fn shard_ids(&self) -> Vec<String> {
        self.stream.shards.iter().map(|s| s.id.clone()).collect()
    }

    /// Lets the pollers finish what the stream holds (batching windows included), waiting
    /// at most `timeout`. Returns whether everything was processed.
    pub async fn drain(&self, timeout: Duration) -> bool {
        let _ = self.stop.send(true);
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|p| p.into_inner()));
        let all = async move {
            let mut tasks = tasks;
            while tasks.join_next().await.is_some() {}
        };
        tokio::time::timeout(timeout, all).await.is_ok() && self.backlog() == 0
    }
}

impl RecordSink for LocalPipeline {
    async fn put_records<E: BorrowMut<PutEntry> + Send>(&self, entries: &mut [E]) -> Result<Vec<PutResult>, SinkError> {
        Ok(self.stream.put(entries, Instant::now(), retail_function::now_ms()))
    }

    fn shard_count(&self) -> usize {
        self.stream.shards.len()
    }

    fn hash_ranges(&self) -> Vec<(u128, u128)> {
        self.stream.ranges().to_vec()
    }

    fn answers_inline(&self) -> bool {
        true
    }

    fn second_origin(&self) -> Option<Instant> {
        Some(self.stream.origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new on-demand stream: 4,000 records/s = 4 shards; previous peak 3,100 records/s:
    /// double is 6,200 = 7 shards (rounded up).
    #[test]
    fn on_demand_streams_have_four_shards_or_double_the_previous_peak() {
        assert_eq!(on_demand_shards(0.0), 4);
        assert_eq!(on_demand_shards(1_500.0), 4);
        assert_eq!(on_demand_shards(3_100.0), 7);
        let c = LocalConfig {
            shards: 1,
            stream_mode: StreamMode::OnDemand { previous_peak_rps: 0.0 },
            ..LocalConfig::default()
        };
        assert_eq!(c.shard_count(), 4);
    }
}
