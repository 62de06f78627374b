//! The modelled Lambda event source mapping: one poller per lane (shard ×
//! parallelization factor), each invoking the real `retail-function` processor in an
//! execution environment of the modelled function ([`LambdaRuntime`]: its CPU share,
//! concurrency limit and cold start).
//!
//! A poller waits until its lane has a full batch, or the batching window has passed
//! since the oldest waiting record, or the 6 MB payload limit is reached; a caught-up lane
//! is polled once a second. Reads honour the shard's read quota (5 calls/s and 2 MiB/s,
//! one [`DualBucket`] per shard, which delays a call rather than refusing it); one read
//! returns up to 10,000 records and feeds as many invocations as it holds batches. After
//! an invocation, `batchItemFailures` are applied as Lambda does: everything before the
//! lowest failed sequence number is checkpointed, the rest is delivered again. A batch retried past `max_retry_attempts` (or older than
//! `max_record_age`) is discarded, as Lambda would after sending its metadata to the
//! on-failure destination; the pipeline counts it as lost.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use retail_function::{BatchContext, DeadLetterSink, EventStore, KinesisEventRecord, NoMetrics, Processor};
use tokio::sync::watch;

use crate::capacity::quotas;
use crate::measure::Latency;
use crate::sink::local::bucket::DualBucket;
use crate::sink::local::lambda_model::LambdaRuntime;
use crate::sink::local::stream::{Lane, StreamRecord};

/// Settings of the event source mapping, defaults as in the infra templates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EsmConfig {
    /// Records per invocation at most (1–10,000; default 100).
    pub batch_size: usize,
    /// Longest wait for a batch to fill (default 5 s).
    pub batching_window: Duration,
    /// Concurrent invocations per shard (1–10; default 1).
    pub parallelization: usize,
    /// Deliveries of a failing batch after the first, `None` for unbounded (default 3).
    pub max_retry_attempts: Option<u32>,
    /// Records older than this are discarded instead of retried (`None`: never).
    pub max_record_age: Option<Duration>,
    /// Split a batch in two when the invocation fails as a whole (default on).
    pub bisect_on_error: bool,
    /// The function's timeout (default 120 s).
    pub function_timeout: Duration,
    /// How often a caught-up lane is polled.
    pub idle_poll: Duration,
    /// Read calls per second per shard.
    pub read_calls_per_sec: u32,
    /// Read bytes per second per shard.
    pub read_bytes_per_sec: u32,
}

impl Default for EsmConfig {
    fn default() -> Self {
        Self {
            batch_size: 100,
            batching_window: Duration::from_secs(5),
            parallelization: 1,
            max_retry_attempts: Some(3),
            max_record_age: Some(Duration::from_secs(3600)),
            bisect_on_error: true,
            function_timeout: Duration::from_secs(120),
            idle_poll: Duration::from_millis(quotas::ESM_IDLE_POLL_MS),
            read_calls_per_sec: quotas::SHARD_READ_CALLS_PER_SEC,
            read_bytes_per_sec: quotas::SHARD_READ_BYTES_PER_SEC,
        }
    }
}

/// What the pollers measured.
#[derive(Debug, Default)]
pub struct EsmStats {
    /// Invocations of the function.
    pub invocations: u64,
    /// Records delivered (redeliveries included).
    pub delivered: u64,
    /// Records written to the table.
    pub written: u64,
    /// Records dead-lettered by the function.
    pub dead_lettered: u64,
    /// Records the function reported in `batchItemFailures`.
    pub reported_for_retry: u64,
    /// Records discarded after too many retries or too much age.
    pub discarded: u64,
    /// Invocations that failed as a whole (ran past the function's timeout).
    pub function_errors: u64,
    /// End-to-end latency, intended send time to `processedAt`, of the intervals taken
    /// so far (see [`EsmStats::end_to_end`]).
    end_to_end_taken: Latency,
    /// End-to-end latency in the current interval: each event is recorded here only, and
    /// the interval's histogram joins `end_to_end_taken` when the interval is taken.
    end_to_end_interval: Latency,
    /// Invocation duration.
    pub invocation: Latency,
    /// Per delivered record: arrival in the stream → the invocation's start.
    pub arrival_to_invocation: Latency,
    /// Per written record: the invocation's start → its end (the record written).
    pub invocation_to_written: Latency,
    /// Largest iterator age, ms.
    pub max_iterator_age_ms: f64,
    /// Largest iterator age in the current interval, ms.
    pub interval_iterator_age_ms: f64,
}

impl EsmStats {
    /// Takes the current interval's end-to-end histogram, adding it to the run's.
    pub fn take_end_to_end_interval(&mut self) -> Latency {
        let interval = std::mem::take(&mut self.end_to_end_interval);
        self.end_to_end_taken.merge(&interval);
        interval
    }

    /// The run's end-to-end latency so far: the intervals taken and the current one.
    pub fn end_to_end(&self) -> Latency {
        let mut all = self.end_to_end_taken.clone();
        all.merge(&self.end_to_end_interval);
        all
    }
}

/// Estimated invocation payload bytes of a record: base64 data plus the JSON envelope.
fn payload_bytes(r: &StreamRecord) -> usize {
    r.data.len().div_ceil(3) * 4 + 300
}

/// Runs one lane's poller until `stop` is set and the lane is empty.
#[allow(clippy::too_many_arguments)]
pub async fn run_lane<S: EventStore, D: DeadLetterSink>(
    shard_id: String,
    lane: Arc<Lane>,
    read_quota: Arc<Mutex<DualBucket>>,
    processor: Arc<Processor<S, D, NoMetrics>>,
    lambda: Arc<LambdaRuntime>,
    config: EsmConfig,
    stats: Arc<Mutex<EsmStats>>,
    mut stop: watch::Receiver<bool>,
) {
    let mut attempts: u32 = 0;
    // Whether this lane's execution environment has started (its cold start is paid).
    let mut warm = false;
    let mut last_first_sequence = None;
    // Shrinks when bisecting a batch whose invocation failed as a whole.
    let mut batch_limit = config.batch_size;
    // Leading records of the lane already read by a GetRecords call.
    let mut fetched = 0usize;
    // Kept across invocations so that its memory is reused: allocating and freeing four
    // strings per record was a quarter of the pipeline's CPU at 200,000 events/s.
    let mut batch = Delivery::default();
    loop {
        let (len, oldest) = {
            let recs = lane.records.lock().unwrap_or_else(|p| p.into_inner());
            (recs.len(), recs.front().map(|r| r.arrival))
        };
        let stopping = *stop.borrow();
        let Some(oldest) = oldest else {
            if stopping {
                return;
            }
            // Caught up: poll again in a second, or when asked to stop.
            tokio::select! {
                _ = tokio::time::sleep(config.idle_poll) => {}
                _ = stop.changed() => {}
            }
            continue;
        };
        let window_end = oldest + config.batching_window;
        let full = len >= batch_limit;
        if !full && Instant::now() < window_end {
            tokio::select! {
                _ = tokio::time::sleep_until(window_end.into()) => {}
                _ = lane.arrived.notified() => {}
                _ = stop.changed() => {}
            }
            continue;
        }

        // Records beyond what earlier GetRecords calls fetched need another call: one call
        // returns up to 10,000 records or 10 MiB, and feeds several invocations. The
        // shard's read quota (calls/s and bytes/s) applies to the calls.
        let wanted = len.min(batch_limit);
        if fetched < wanted {
            // The call waits for the shard's calls/s (and for any bytes/s debt of the
            // calls before it); what it returns is then counted against the bytes/s.
            let wait = read_quota.lock().unwrap_or_else(|p| p.into_inner()).take_with_debt(Instant::now(), 1.0, 0.0);
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            let (count, bytes) = {
                let recs = lane.records.lock().unwrap_or_else(|p| p.into_inner());
                let mut bytes = 0usize;
                let count = recs
                    .iter()
                    .skip(fetched)
                    .take(quotas::GET_RECORDS_MAX_RECORDS)
                    .take_while(|r| {
                        bytes += r.data.len() + r.partition_key.len();
                        bytes <= quotas::GET_RECORDS_MAX_BYTES
                    })
                    .count();
                (count, bytes)
            };
            fetched += count;
            let wait =
                read_quota.lock().unwrap_or_else(|p| p.into_inner()).take_with_debt(Instant::now(), 0.0, bytes as f64);
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
        batch.read(&shard_id, &lane.records.lock().unwrap_or_else(|p| p.into_inner()), batch_limit.min(fetched));
        if batch.is_empty() {
            continue;
        }
        let first_sequence = batch.first_sequence;
        if last_first_sequence == Some(first_sequence) {
            attempts += 1;
        } else {
            attempts = 0;
            last_first_sequence = Some(first_sequence);
        }
        let environment = lambda.acquire(&mut warm).await;
        let started = Instant::now();
        let mut checkpoint = invoke(&batch, &processor, &lambda, &config, &stats).await;
        drop(environment);
        if started.elapsed() > config.function_timeout {
            // The invocation outlived the function's timeout: Lambda counts it as a
            // function error, keeps nothing, and (with bisect) retries each half.
            checkpoint = 0;
            stats.lock().unwrap_or_else(|p| p.into_inner()).function_errors += 1;
            if config.bisect_on_error {
                batch_limit = (batch.len() / 2).max(1);
            }
        } else if checkpoint == batch.len() {
            batch_limit = config.batch_size;
        }
        let expired = config.max_retry_attempts.is_some_and(|max| attempts >= max)
            || config.max_record_age.is_some_and(|age| batch.arrivals[0].elapsed() > age);
        let consumed = if checkpoint < batch.len() && expired {
            // Lambda gives up on the failing records and moves on.
            stats.lock().unwrap_or_else(|p| p.into_inner()).discarded += (batch.len() - checkpoint) as u64;
            batch.len()
        } else {
            checkpoint
        };
        let n = lane.checkpoint(consumed);
        fetched = fetched.saturating_sub(n);
    }
}

/// The records of one invocation, read from a lane: their Lambda event and what the
/// poller needs of them afterwards. One per lane, refilled for every invocation; the
/// stream's records are read in place, not copied out. Public for the `stages/esm_event`
/// benchmark.
#[derive(Debug, Default)]
pub struct Delivery {
    /// The Lambda event's records; the first [`Delivery::len`] are this batch's.
    envelopes: Vec<KinesisEventRecord>,
    /// Each record's arrival in the stream.
    arrivals: Vec<Instant>,
    /// The first record's sequence number.
    first_sequence: u64,
}

impl Delivery {
    /// Records in the batch.
    pub fn len(&self) -> usize {
        self.arrivals.len()
    }

    /// Whether the lane gave no record.
    pub fn is_empty(&self) -> bool {
        self.arrivals.is_empty()
    }

    /// The batch as Lambda delivers it.
    pub fn records(&self) -> &[KinesisEventRecord] {
        &self.envelopes[..self.len()]
    }

    /// Reads up to `limit` leading records of `records` (shard `shard_id`'s), as many as
    /// fit Lambda's payload limit.
    pub fn read(&mut self, shard_id: &str, records: &VecDeque<StreamRecord>, limit: usize) {
        self.arrivals.clear();
        self.first_sequence = records.front().map_or(0, |r| r.sequence);
        let mut bytes = 0;
        let end = records.len().min(limit);
        for (i, r) in records.iter().take(limit).enumerate() {
            // The records and their payloads were written on the driver's core, and the
            // payloads lie scattered over the heap: each is a TLB miss as well as a cache
            // miss (at 1,000,000 events/s the base64 encoding, first to read them here,
            // waited on memory for a tenth of the CPU). So ask for the next group's
            // payloads together, one group ahead: back to back, their page walks overlap,
            // where one ask per record left each walk to wait for the one before.
            if i % PREFETCH_GROUP == 0 {
                let from = if i == 0 { 0 } else { i + PREFETCH_GROUP };
                for ahead in records.range(from.min(end)..(i + 2 * PREFETCH_GROUP).min(end)) {
                    crate::prefetch::bytes(&ahead.data, 4);
                }
            }
            bytes += payload_bytes(r);
            if bytes > quotas::LAMBDA_MAX_PAYLOAD_BYTES {
                break;
            }
            let i = self.arrivals.len();
            if i == self.envelopes.len() {
                self.envelopes.push(KinesisEventRecord::default());
            }
            let mut digits = [b'0'; SEQUENCE_DIGITS];
            let sequence = sequence_number(r.sequence, &mut digits);
            self.envelopes[i].refill(shard_id, sequence, &r.partition_key, &r.data, r.arrival_ms as f64 / 1000.0);
            self.arrivals.push(r.arrival);
        }
    }
}

/// Invokes the function on `batch`; returns how many leading records are checkpointed.
async fn invoke<S: EventStore, D: DeadLetterSink>(
    batch: &Delivery,
    processor: &Processor<S, D, NoMetrics>,
    lambda: &LambdaRuntime,
    config: &EsmConfig,
    stats: &Mutex<EsmStats>,
) -> usize {
    let received = Instant::now();
    let iterator_age_ms =
        batch.arrivals.last().map_or(0.0, |&a| received.saturating_duration_since(a).as_secs_f64() * 1000.0);
    let records = batch.records();
    let ctx = BatchContext {
        now_ms: retail_function::now_ms(),
        deadline: tokio::time::Instant::now() + config.function_timeout.mul_f64(0.9),
    };
    // The real processor, at the modelled function's CPU share.
    let report = lambda.run(processor.process_batch(records, ctx), records.len()).await;
    let lowest_failed = records.iter().position(|r| report.retry_sequence_numbers.contains(&r.kinesis.sequence_number));
    let mut s = stats.lock().unwrap_or_else(|p| p.into_inner());
    s.invocations += 1;
    s.delivered += batch.len() as u64;
    s.written += report.written() as u64;
    s.dead_lettered += report.dead_lettered() as u64;
    s.reported_for_retry += report.retried() as u64;
    for &ms in &report.end_to_end_ms {
        s.end_to_end_interval.record_ms(ms);
    }
    let took = received.elapsed();
    s.invocation.record(took);
    for &arrival in &batch.arrivals {
        s.arrival_to_invocation.record(received.saturating_duration_since(arrival));
    }
    s.invocation_to_written.record_n(took, report.written() as u64);
    s.max_iterator_age_ms = s.max_iterator_age_ms.max(iterator_age_ms);
    s.interval_iterator_age_ms = s.interval_iterator_age_ms.max(iterator_age_ms);
    lowest_failed.unwrap_or(batch.len())
}

/// How many payloads [`Delivery::read`] asks for together, a group ahead.
const PREFETCH_GROUP: usize = 8;

/// Digits of a modelled sequence number (Kinesis's are 56-digit decimals).
const SEQUENCE_DIGITS: usize = 56;

/// `sequence` as Kinesis writes sequence numbers, zero-padded to 56 digits, in `digits`
/// (which starts all zeros).
fn sequence_number(mut sequence: u64, digits: &mut [u8; SEQUENCE_DIGITS]) -> &str {
    for d in digits.iter_mut().rev() {
        if sequence == 0 {
            break;
        }
        *d = b'0' + (sequence % 10) as u8;
        sequence /= 10;
    }
    // Only ASCII digits were written.
    std::str::from_utf8(digits).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_are_56_zero_padded_digits() {
        for sequence in [0, 1, 42, 1_000_000_007, u64::MAX] {
            let mut digits = [b'0'; SEQUENCE_DIGITS];
            assert_eq!(sequence_number(sequence, &mut digits), format!("{sequence:056}"));
        }
    }

    #[test]
    fn the_run_end_to_end_is_every_interval_taken_and_the_current_one() {
        let mut s = EsmStats::default();
        s.end_to_end_interval.record_ms(5);
        s.end_to_end_interval.record_ms(7);
        let first = s.take_end_to_end_interval();
        assert_eq!(first.percentiles().count, 2);
        s.end_to_end_interval.record_ms(900);
        let run = s.end_to_end().percentiles();
        assert_eq!(run.count, 3, "the current interval counts too");
        assert!((run.max - 900.0).abs() < 1.0, "its latest event is the run's slowest: {}", run.max);
        assert_eq!(s.take_end_to_end_interval().percentiles().count, 1, "each event in one interval");
        assert_eq!(s.end_to_end().percentiles().count, 3, "and in the run once");
        assert!(s.take_end_to_end_interval().is_empty());
    }
}
