//! A consumer that plays the event source mapping over any Kinesis endpoint, for local
//! development without Lambda and for the end-to-end tests: `loadgen consume`.
//!
//! One poller per open shard: `GetShardIterator`, then `GetRecords` at most five times a
//! second (the shard's read quota) and once a second when caught up; batches of
//! `batch_size` go to the real `retail-function` processor with the real DynamoDB and SQS
//! adapters. `batchItemFailures` are applied as Lambda does: the shard is re-read from
//! the lowest reported sequence number (`AT_SEQUENCE_NUMBER`). Checkpoints live in
//! memory.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_kinesis::types::ShardIteratorType;
use aws_sdk_kinesis::Client;
use retail_function::{aws_processor_with, BatchContext, Config, KinesisEventRecord, NoMetrics, ProcessorConfig};

use crate::capacity::quotas::{GET_RECORDS_MAX_RECORDS, SHARD_READ_CALLS_PER_SEC};
use crate::sink::kinesis::{preflight, KinesisTarget, PreflightError};
use crate::stop::Stop;

/// Where to start reading a shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartingPosition {
    /// Only records written after the consumer starts (Lambda's default in the infra).
    #[default]
    Latest,
    /// Everything the stream retains.
    TrimHorizon,
}

/// What the consumer does.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// The stream and how to reach it.
    pub stream: KinesisTarget,
    /// The events table.
    pub table: String,
    /// The dead-letter queue URL.
    pub dlq_url: String,
    /// Records per invocation.
    pub batch_size: usize,
    /// Where to start.
    pub starting_position: StartingPosition,
    /// The function's own settings.
    pub processor: ProcessorConfig,
    /// Longest time one batch may spend retrying writes.
    pub retry_budget: Duration,
}

/// What the consumer did so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConsumerStats {
    /// Batches processed.
    pub invocations: u64,
    /// Records delivered (redeliveries included).
    pub delivered: u64,
    /// Records written.
    pub written: u64,
    /// Records dead-lettered.
    pub dead_lettered: u64,
    /// Records reported for retry (and re-read).
    pub retried: u64,
    /// Largest iterator age seen, ms.
    pub max_iterator_age_ms: f64,
}

/// Why the consumer stopped.
#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    /// The stream cannot be used.
    #[error(transparent)]
    Preflight(#[from] PreflightError),
    /// The function's DynamoDB or SQS client could not be built (no region, no
    /// credentials provider, an endpoint that is not a URL).
    #[error("the function's AWS clients: {0}")]
    Clients(#[from] retail_function::aws::ClientError),
    /// Kinesis failed while reading.
    #[error("reading shard {shard} failed: {detail}")]
    Read {
        /// The shard.
        shard: String,
        /// The SDK's message.
        detail: String,
    },
}

/// Consumes until a stop is requested and every shard is caught up.
pub async fn consume(config: ConsumerConfig, stats: Arc<Mutex<ConsumerStats>>, stop: Stop) -> Result<(), ConsumeError> {
    let (client, info) = preflight(&config.stream).await?;
    let sdk = config.stream.sdk_loader(false).load().await;
    let function_config = Config {
        table_name: config.table.clone(),
        dlq_url: config.dlq_url.clone(),
        retry_budget: config.retry_budget,
        processor: config.processor,
    };
    let processor = Arc::new(aws_processor_with(&sdk, &function_config, NoMetrics)?);
    let mut tasks = tokio::task::JoinSet::new();
    for (shard, _, _) in info.shards {
        let (client, processor, stats, stop, config) =
            (client.clone(), processor.clone(), stats.clone(), stop.clone(), config.clone());
        let arn = info.arn.clone();
        tasks.spawn(async move { consume_shard(&client, &config, (&shard, &arn), &processor, &stats, stop).await });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok(Err(e)) = joined {
            tasks.abort_all();
            return Err(e);
        }
    }
    Ok(())
}

async fn iterator(
    client: &Client,
    stream: &str,
    shard: &str,
    kind: ShardIteratorType,
    sequence: Option<&str>,
) -> Result<String, ConsumeError> {
    let out = client
        .get_shard_iterator()
        .stream_name(stream)
        .shard_id(shard)
        .shard_iterator_type(kind)
        .set_starting_sequence_number(sequence.map(str::to_string))
        .send()
        .await
        .map_err(|e| ConsumeError::Read { shard: shard.to_string(), detail: crate::aws::sdk_error_sentence(&e) })?;
    out.shard_iterator.ok_or_else(|| ConsumeError::Read { shard: shard.into(), detail: "no shard iterator".into() })
}

async fn consume_shard(
    client: &Client,
    config: &ConsumerConfig,
    (shard, arn): (&str, &str),
    processor: &retail_function::Processor<
        retail_function::aws::DynamoDbStore,
        retail_function::aws::SqsDeadLetters,
        NoMetrics,
    >,
    stats: &Mutex<ConsumerStats>,
    stop: Stop,
) -> Result<(), ConsumeError> {
    let stream = config.stream.stream.as_str();
    let start = match config.starting_position {
        StartingPosition::Latest => ShardIteratorType::Latest,
        StartingPosition::TrimHorizon => ShardIteratorType::TrimHorizon,
    };
    let mut it = iterator(client, stream, shard, start, None).await?;
    let min_gap = Duration::from_millis(1000 / u64::from(SHARD_READ_CALLS_PER_SEC));
    let mut last_call = Instant::now() - min_gap;
    loop {
        let since = last_call.elapsed();
        if since < min_gap {
            tokio::time::sleep(min_gap - since).await;
        }
        last_call = Instant::now();
        let page =
            client.get_records().shard_iterator(&it).limit(GET_RECORDS_MAX_RECORDS as i32).send().await.map_err(
                |e| ConsumeError::Read { shard: shard.to_string(), detail: crate::aws::sdk_error_sentence(&e) },
            )?;
        let records: Vec<KinesisEventRecord> = page.records().iter().map(|r| event_record(shard, arn, r)).collect();
        let next = page.next_shard_iterator().map(str::to_string);
        // Kinesis may answer an empty page before the tip; caught up is empty and 0 ms
        // behind the latest record.
        let caught_up = records.is_empty() && page.millis_behind_latest().is_none_or(|ms| ms == 0);
        if records.is_empty() {
            if caught_up && stop.is_stopped() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let mut reread_from = None;
        for batch in records.chunks(config.batch_size.max(1)) {
            let now = retail_function::now_ms();
            let age = batch.last().map_or(0.0, |r| (now - r.arrival_ms()) as f64);
            let ctx = BatchContext { now_ms: now, deadline: tokio::time::Instant::now() + config.retry_budget };
            let report = processor.process_batch(batch, ctx).await;
            {
                let mut s = stats.lock().unwrap_or_else(|p| p.into_inner());
                s.invocations += 1;
                s.delivered += batch.len() as u64;
                s.written += report.written() as u64;
                s.dead_lettered += report.dead_lettered() as u64;
                s.retried += report.retried() as u64;
                s.max_iterator_age_ms = s.max_iterator_age_ms.max(age);
            }
            if let Some(first) =
                batch.iter().find(|r| report.retry_sequence_numbers.contains(&r.kinesis.sequence_number))
            {
                reread_from = Some(first.kinesis.sequence_number.clone());
                break;
            }
        }
        it = match (reread_from, next) {
            (Some(seq), _) => {
                // Lambda's rule: checkpoint before the lowest failure, deliver again from it.
                tokio::time::sleep(Duration::from_millis(500)).await;
                iterator(client, stream, shard, ShardIteratorType::AtSequenceNumber, Some(&seq)).await?
            }
            (None, Some(next)) => next,
            (None, None) => return Ok(()), // the shard was closed and fully read
        };
    }
}

fn event_record(shard: &str, arn: &str, r: &aws_sdk_kinesis::types::Record) -> KinesisEventRecord {
    let arrival = r.approximate_arrival_timestamp().map_or(0.0, |t| t.as_secs_f64());
    let key = r.partition_key().unwrap_or_default().to_string();
    let mut record = KinesisEventRecord::new(shard, r.sequence_number().to_string(), key, r.data().as_ref(), arrival);
    // As Lambda delivers it: dead letters name the stream they came from.
    record.event_source_arn = (!arn.is_empty()).then(|| arn.to_string());
    record.event_source = Some("aws:kinesis".into());
    record
}
