//! The embedded local pipeline: a modelled Kinesis stream, a modelled event source
//! mapping, and the real `retail-function` processor writing to an in-memory table and
//! dead-letter queue.
//!
//! No emulator enforces Kinesis's per-shard limits, so this model does, with the numbers
//! in [`crate::quotas`]. Its defaults mirror the infra defaults (1 shard, batch size 100,
//! batching window 5 s, parallelization factor 1), so a local run shows what the deployed
//! default would do with the requested load.

pub mod bucket;
pub mod esm;
pub mod stores;
pub mod stream;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use retail_function::{NoMetrics, Processor, ProcessorConfig};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::local::bucket::DualBucket;
use crate::local::esm::{EsmConfig, EsmStats};
use crate::local::stores::{CompactTable, CountingDlq};
use crate::local::stream::{Stream, WriteQuota};
use crate::quotas;
use crate::sink::{PutEntry, PutResult, RecordSink, SinkError};

/// Every parameter of the model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalConfig {
    /// Shards in the stream.
    pub shards: usize,
    /// Per-shard write quota.
    pub write_quota: WriteQuota,
    /// The event source mapping.
    pub esm: EsmConfig,
    /// Modelled duration of one `BatchWriteItem` call.
    pub table_write_latency: Duration,
    /// Share of items each `BatchWriteItem` leaves unprocessed (modelled throttling).
    pub table_unprocessed_rate: f64,
    /// The function's own settings (write concurrency, retries).
    pub processor: ProcessorConfig,
}

impl Default for LocalConfig {
    fn default() -> Self {
        Self {
            shards: 1,
            write_quota: WriteQuota {
                records_per_sec: f64::from(quotas::SHARD_WRITE_RECORDS_PER_SEC),
                bytes_per_sec: f64::from(quotas::SHARD_WRITE_BYTES_PER_SEC),
            },
            esm: EsmConfig::default(),
            table_write_latency: Duration::from_millis(5),
            table_unprocessed_rate: 0.0,
            processor: ProcessorConfig::default(),
        }
    }
}

/// The running pipeline.
pub struct LocalPipeline {
    stream: Arc<Stream>,
    processor: Arc<Processor<CompactTable, CountingDlq, NoMetrics>>,
    stats: Arc<Mutex<EsmStats>>,
    stop: watch::Sender<bool>,
    tasks: Mutex<JoinSet<()>>,
}

impl LocalPipeline {
    /// Builds the pipeline and starts its pollers on `runtime` (loadgen gives the
    /// pipeline a runtime of its own, so processing never delays the load's schedule).
    pub fn start_on(config: LocalConfig, runtime: &tokio::runtime::Handle) -> Arc<Self> {
        let stream =
            Arc::new(Stream::new(config.shards, config.esm.parallelization, config.write_quota, config.esm.batch_size));
        let processor = Arc::new(Processor::new(
            CompactTable::new(config.table_write_latency, config.table_unprocessed_rate),
            CountingDlq::default(),
            NoMetrics,
            config.processor,
        ));
        let stats = Arc::new(Mutex::new(EsmStats::default()));
        let (stop, stop_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        for shard in &stream.shards {
            let calls = Arc::new(esm::read_call_limiter(config.esm.read_calls_per_sec));
            let bytes = Arc::new(Mutex::new(DualBucket::new(
                f64::from(config.esm.read_calls_per_sec),
                f64::from(config.esm.read_bytes_per_sec),
                Instant::now(),
            )));
            for lane in &shard.lanes {
                tasks.spawn_on(
                    esm::run_lane(
                        shard.id.clone(),
                        lane.clone(),
                        calls.clone(),
                        bytes.clone(),
                        processor.clone(),
                        config.esm,
                        stats.clone(),
                        stop_rx.clone(),
                    ),
                    runtime,
                );
            }
        }
        Arc::new(Self { stream, processor, stats, stop, tasks: Mutex::new(tasks) })
    }

    /// Records in the stream not yet processed.
    pub fn backlog(&self) -> u64 {
        self.stream.backlog()
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
    async fn put_records(&self, entries: &[PutEntry]) -> Result<Vec<PutResult>, SinkError> {
        Ok(self.stream.put(entries, Instant::now(), retail_function::now_ms()))
    }

    fn shard_count(&self) -> usize {
        self.stream.shards.len()
    }

    fn answers_inline(&self) -> bool {
        true
    }
}
