//! The batch processor: the function's whole job, free of Lambda and AWS types.
//!
//! For a batch it decodes and validates every record, writes the valid ones to the
//! [`EventStore`] in chunks of 25 with bounded concurrency and retries, sends the
//! permanent faults to the [`DeadLetterSink`], and returns a [`BatchReport`] in which
//! every record has exactly one outcome: written, dead-lettered, or to be retried by
//! Lambda. Writes and dead-letter sends run at the same time; only items the table
//! rejects one by one are dead-lettered after the writes.

use std::time::Duration;

use retail_events::{Shape, StoredItem};
use tokio::time::Instant;

use crate::dead_letter::DeadLetter;
use crate::decode::DecodedBatch;
use crate::dedup::written_for_each;
use crate::kinesis::KinesisEventRecord;
use crate::ports::{DeadLetterSink, EventStore, MetricsSink, MAX_DLQ_BATCH, MAX_DLQ_MESSAGE_BYTES, MAX_STORE_BATCH};
use crate::report::{BatchReport, Fault, FaultKind, RecordOutcome};
use crate::retry::{run_batched, CallOutcome, RetryPolicy};
use retail_events::TimestampSource;

/// Tunables of the processor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessorConfig {
    /// Backoff and attempt bounds for table writes and dead-letter sends.
    pub retry: RetryPolicy,
    /// `BatchWriteItem` calls in flight at once.
    pub write_concurrency: usize,
    /// `SendMessageBatch` calls in flight at once.
    pub dlq_concurrency: usize,
    /// How long items live before DynamoDB's TTL removes them.
    pub item_ttl: Duration,
}

impl Default for ProcessorConfig {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            write_concurrency: 8,
            dlq_concurrency: 4,
            item_ttl: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// The instant-specific inputs of one batch.
#[derive(Debug, Clone, Copy)]
pub struct BatchContext {
    /// Wall-clock time of processing, epoch ms: the items' `processedAt`.
    pub now_ms: i64,
    /// No call is started or retried after this instant.
    pub deadline: Instant,
}

/// The batch processor over a store, a dead-letter sink and a metrics sink.
#[derive(Debug, Clone)]
pub struct Processor<S, D, M> {
    store: S,
    dlq: D,
    metrics: M,
    config: ProcessorConfig,
}

impl<S: EventStore, D: DeadLetterSink, M: MetricsSink> Processor<S, D, M> {
    /// A processor writing to `store`, dead-lettering to `dlq`, reporting to `metrics`.
    pub fn new(store: S, dlq: D, metrics: M, config: ProcessorConfig) -> Self {
        Self { store, dlq, metrics, config }
    }

    /// The store (the in-memory table of tests and the local pipeline, for example).
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The dead-letter sink.
    pub fn dead_letters(&self) -> &D {
        &self.dlq
    }

    /// Processes one batch. Never fails: faults are outcomes in the report.
    pub async fn process_batch(&self, records: &[KinesisEventRecord], ctx: BatchContext) -> BatchReport {
        let ttl_secs = self.config.item_ttl.as_secs() as i64;
        let decoded = DecodedBatch::decode(records);
        // One unit per user record: a plain record, or one record of a KPL aggregate.
        let units = decoded.units();
        let n = units.len();
        let mut items: Vec<Option<StoredItem<'_>>> = (0..n).map(|_| None).collect();
        let mut faults: Vec<(usize, Fault)> = Vec::new();
        let mut shape = Shape::default();
        for (u, slot) in items.iter_mut().enumerate() {
            if let Err(fault) = decoded.item_into(records, u, ctx.now_ms, ttl_secs, &mut shape, slot) {
                faults.push((u, fault));
            }
        }

        // BatchWriteItem refuses two items with one key in a call. Two records with one
        // key are the same event delivered twice: write the later one, and let the
        // earlier share its outcome.
        let alias = written_for_each(n, |i| items[i].as_ref().map(StoredItem::key));
        // Sized up front: growing these by push cost ~80 instructions per record.
        let mut to_write: Vec<usize> = Vec::with_capacity(n);
        to_write.extend((0..n).filter(|&i| items[i].is_some() && alias[i] == i));
        let write_batches: Vec<Vec<usize>> = to_write.chunks(MAX_STORE_BATCH).map(<[usize]>::to_vec).collect();

        let write =
            run_batched(write_batches, self.config.write_concurrency, self.config.retry, ctx.deadline, |batch| {
                let items = &items;
                async move {
                    let mut refs: Vec<&StoredItem<'_>> = Vec::with_capacity(batch.len());
                    refs.extend(batch.iter().filter_map(|&i| items[i].as_ref()));
                    self.store.put_batch(&refs).await
                }
            });
        let dead_letters = self.dead_letter(records, &decoded, &faults, ctx.deadline);
        let ((write_outcomes, write_stats), (mut dlq_outcomes, mut dlq_calls)) = tokio::join!(write, dead_letters);

        let mut report = BatchReport {
            outcomes: vec![RecordOutcome::Retry(String::new()); n],
            store_calls: write_stats.calls,
            // One latency of each kind per written record: allocate them once.
            end_to_end_ms: Vec::with_capacity(n),
            pipeline_ms: Vec::with_capacity(n),
            ..BatchReport::default()
        };
        // Filled in only when DynamoDB rejects an item: rare, and a vector per batch.
        let mut rejected_why: Vec<Option<String>> = Vec::new();
        for (i, outcome) in write_outcomes {
            match outcome {
                CallOutcome::Done => report.outcomes[i] = RecordOutcome::Written,
                CallOutcome::GaveUp(why) => report.outcomes[i] = RecordOutcome::Retry(format!("table write: {why}")),
                CallOutcome::Rejected(why) => {
                    rejected_why.resize(n, None);
                    rejected_why[i] = Some(why);
                }
            }
        }
        // A duplicate shares the outcome of the delivery that was written for it; if that
        // one was rejected, each duplicate gets its own dead letter.
        let mut rejected: Vec<(usize, Fault)> = Vec::new();
        for (i, &target) in alias.iter().enumerate() {
            if target != i {
                report.outcomes[i] = report.outcomes[target].clone();
            }
            if let Some(why) = rejected_why.get(target).and_then(Option::as_ref) {
                let message = format!("DynamoDB rejected the item: {why}");
                rejected.push((i, Fault { kind: FaultKind::StoreRejected, message }));
            }
        }
        if !rejected.is_empty() {
            let (more, calls) = self.dead_letter(records, &decoded, &rejected, ctx.deadline).await;
            dlq_outcomes.extend(more);
            dlq_calls += calls;
        }
        for (i, outcome) in dlq_outcomes {
            report.outcomes[i] = outcome;
        }
        report.dlq_calls = dlq_calls;

        for (i, outcome) in report.outcomes.iter().enumerate() {
            match outcome {
                RecordOutcome::Retry(_) => {
                    // Lambda retries a whole aggregate from its sequence number: report it once.
                    let sequence = &records[units[i].record].kinesis.sequence_number;
                    if report.retry_sequence_numbers.last() != Some(sequence) {
                        report.retry_sequence_numbers.push(sequence.clone());
                    }
                }
                RecordOutcome::Written => {
                    if let Some(item) = &items[alias[i]] {
                        report.pipeline_ms.push(item.processed_at - item.arrival_timestamp);
                        if item.timestamp_source == TimestampSource::Event {
                            report.end_to_end_ms.push(item.processed_at - item.event_timestamp);
                        }
                    }
                }
                RecordOutcome::DeadLettered(_) => {}
            }
        }
        for (i, outcome) in report.outcomes.iter().enumerate() {
            let r = &records[units[i].record];
            let sub = units[i].sub_sequence;
            match outcome {
                RecordOutcome::DeadLettered(kind) => tracing::warn!(
                    shard_id = r.shard_id(),
                    sequence_number = %r.kinesis.sequence_number,
                    sub_sequence_number = ?sub,
                    error_kind = kind.as_str(),
                    "record sent to the dead-letter queue"
                ),
                RecordOutcome::Retry(why) => tracing::warn!(
                    shard_id = r.shard_id(),
                    sequence_number = %r.kinesis.sequence_number,
                    sub_sequence_number = ?sub,
                    reason = %why,
                    "record reported for retry"
                ),
                RecordOutcome::Written => {}
            }
        }
        tracing::info!(
            batch_size = records.len(),
            user_records = n,
            aggregates = decoded.aggregates(),
            written = report.written(),
            dead_lettered = report.dead_lettered(),
            retried = report.retried(),
            store_calls = report.store_calls,
            dlq_calls = report.dlq_calls,
            "batch processed"
        );
        self.metrics.record(&report);
        report
    }

    /// Sends the dead letters of `faults` (by unit of `decoded`), returning each unit's
    /// outcome and the number of calls made.
    async fn dead_letter(
        &self,
        records: &[KinesisEventRecord],
        decoded: &DecodedBatch,
        faults: &[(usize, Fault)],
        deadline: Instant,
    ) -> (Vec<(usize, RecordOutcome)>, u32) {
        if faults.is_empty() {
            return (Vec::new(), 0);
        }
        let bodies: Vec<String> = faults
            .iter()
            .map(|(u, f)| {
                let unit = &decoded.units()[*u];
                let record = &records[unit.record];
                match (unit.sub_sequence, decoded.user_record(*u)) {
                    (Some(sub), Some((key, data))) => DeadLetter::of_user_record(record, f, sub, key, data),
                    _ => DeadLetter::new(record, f),
                }
                .to_body()
            })
            .collect();
        // Pack up to 10 bodies and 256 KiB per call; each body alone fits by construction.
        let mut batches: Vec<Vec<usize>> = Vec::new();
        let mut bytes = 0;
        for (k, body) in bodies.iter().enumerate() {
            match batches.last_mut() {
                Some(b) if b.len() < MAX_DLQ_BATCH && bytes + body.len() <= MAX_DLQ_MESSAGE_BYTES => {
                    b.push(k);
                    bytes += body.len();
                }
                _ => {
                    batches.push(vec![k]);
                    bytes = body.len();
                }
            }
        }
        let (outcomes, stats) =
            run_batched(batches, self.config.dlq_concurrency, self.config.retry, deadline, |batch| {
                let bodies = &bodies;
                async move {
                    let refs: Vec<&str> = batch.iter().map(|&k| bodies[k].as_str()).collect();
                    self.dlq.send_batch(&refs).await
                }
            })
            .await;
        let outcomes = outcomes
            .into_iter()
            .map(|(k, outcome)| {
                let (i, fault) = &faults[k];
                let outcome = match outcome {
                    CallOutcome::Done => RecordOutcome::DeadLettered(fault.kind),
                    CallOutcome::GaveUp(why) | CallOutcome::Rejected(why) => RecordOutcome::Retry(format!(
                        "{} ({}) and the dead-letter send failed: {why}",
                        fault.kind.as_str(),
                        fault.message
                    )),
                };
                (*i, outcome)
            })
            .collect();
        (outcomes, stats.calls)
    }
}
