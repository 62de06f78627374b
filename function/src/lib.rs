//! The pipeline's Lambda function: Kinesis batches in, DynamoDB items, dead letters and
//! metrics out.
//!
//! [`Processor::process_batch`] is the whole job, generic over three traits the crate owns
//! ([`EventStore`], [`DeadLetterSink`], [`MetricsSink`]) so tests, benchmarks and
//! loadgen's embedded pipeline run the very code Lambda runs. The AWS adapters live in
//! [`aws`]; the `bootstrap` binary only reads [`Config`] and calls [`handler::handle`].
//!
//! Every record ends in exactly one outcome ([`RecordOutcome`]): written; sent to the
//! dead-letter queue when it can never succeed (bad base64, UTF-8 or JSON, failed
//! validation, oversize, rejected by the table); or reported in `batchItemFailures` when
//! a transient fault outlasted the retries, or its dead letter could not be sent.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod aws;
pub mod config;
pub mod dead_letter;
pub mod decode;
mod dedup;
pub mod emf;
pub mod handler;
pub mod init_error;
pub mod kinesis;
pub mod memory;
pub mod ports;
pub mod processor;
pub mod report;
pub mod retry;

pub use config::{Config, ConfigError};
pub use dead_letter::DeadLetter;
pub use kinesis::{KinesisEvent, KinesisEventRecord, KinesisRecord};
pub use ports::{DeadLetterSink, EventStore, MetricsSink, NoMetrics, ServiceError};
pub use processor::{BatchContext, Processor, ProcessorConfig};
pub use report::{BatchReport, Fault, FaultKind, RecordOutcome};

/// Wall-clock time in epoch milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// The processor Lambda runs: DynamoDB table, SQS dead-letter queue, EMF on stdout.
pub type AwsProcessor = Processor<aws::DynamoDbStore, aws::SqsDeadLetters, emf::EmfMetrics<std::io::Stdout>>;

/// Builds the [`AwsProcessor`] for `config` from the shared SDK configuration (region,
/// credentials, endpoints: `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_SQS` or
/// `AWS_ENDPOINT_URL` point it at emulators).
pub fn aws_processor(
    sdk: &aws_config::SdkConfig,
    config: &Config,
    function_name: &str,
) -> Result<AwsProcessor, aws::ClientError> {
    aws_processor_with(sdk, config, emf::EmfMetrics::stdout(function_name))
}

/// The DynamoDB + SQS processor with any metrics sink (loadgen's consumer uses none).
///
/// The adapters make one attempt per call: the processor retries with a budget that knows
/// the invocation's remaining time.
pub fn aws_processor_with<M: MetricsSink>(
    sdk: &aws_config::SdkConfig,
    config: &Config,
    metrics: M,
) -> Result<Processor<aws::DynamoDbStore, aws::SqsDeadLetters, M>, aws::ClientError> {
    Ok(Processor::new(
        aws::DynamoDbStore::new(sdk, &config.table_name)?,
        aws::SqsDeadLetters::new(sdk, &config.dlq_url)?,
        metrics,
        config.processor,
    ))
}
