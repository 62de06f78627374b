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

/// Builds the [`AwsProcessor`] for `config` from the shared SDK configuration.
/// `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_SQS` (or `AWS_ENDPOINT_URL`) point it
/// at emulators.
pub fn aws_processor(sdk: &aws_config::SdkConfig, config: &Config, function_name: &str) -> AwsProcessor {
    aws_processor_with(sdk, config, emf::EmfMetrics::stdout(function_name))
}

/// The DynamoDB + SQS processor with any metrics sink (loadgen's consumer uses none).
///
/// The SDK's own retries are turned off: the processor retries with a budget that knows
/// the invocation's remaining time, and two retry layers would multiply each other.
pub fn aws_processor_with<M: MetricsSink>(
    sdk: &aws_config::SdkConfig,
    config: &Config,
    metrics: M,
) -> Processor<aws::DynamoDbStore, aws::SqsDeadLetters, M> {
    let no_retries = aws_config::retry::RetryConfig::disabled();
    let dynamodb = aws_sdk_dynamodb::config::Builder::from(sdk).retry_config(no_retries.clone()).build();
    let sqs = aws_sdk_sqs::config::Builder::from(sdk).retry_config(no_retries).build();
    Processor::new(
        aws::DynamoDbStore::new(aws_sdk_dynamodb::Client::from_conf(dynamodb), &config.table_name),
        aws::SqsDeadLetters::new(aws_sdk_sqs::Client::from_conf(sqs), &config.dlq_url),
        metrics,
        config.processor,
    )
}
