//! What the deployed pipeline's own CloudWatch metrics measured over a run's window
//! ([`PipelineMetrics`], read by [`crate::aws::metrics`], part of `result.json`);
//! [`crate::outcome::versus_model`] sets them beside loadgen's and the model's figures.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The stream's metrics (namespace `AWS/Kinesis`, dimension `StreamName`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct StreamMetrics {
    /// `IncomingRecords`, summed over the window.
    pub incoming_records: Option<f64>,
    /// `WriteProvisionedThroughputExceeded`, summed: records the stream throttled.
    pub write_throttled: Option<f64>,
    /// `GetRecords.IteratorAgeMilliseconds`, the highest one-minute maximum.
    pub iterator_age_max_ms: Option<f64>,
}

/// The function's metrics (namespace `AWS/Lambda`, dimension `FunctionName`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct FunctionMetrics {
    /// `Invocations`, summed.
    pub invocations: Option<f64>,
    /// `Errors`, summed.
    pub errors: Option<f64>,
    /// `Throttles`, summed.
    pub throttles: Option<f64>,
    /// `Duration` p50, the highest one-minute figure, ms.
    pub duration_p50_ms: Option<f64>,
    /// `Duration` p99, the highest one-minute figure, ms.
    pub duration_p99_ms: Option<f64>,
    /// `ConcurrentExecutions`, the highest one-minute maximum.
    pub concurrent_executions_max: Option<f64>,
    /// `IteratorAge`, the highest one-minute maximum, ms.
    pub iterator_age_max_ms: Option<f64>,
}

/// The table's metrics (namespace `AWS/DynamoDB`, dimension `TableName`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TableMetrics {
    /// `ConsumedWriteCapacityUnits`, summed.
    pub consumed_wcu: Option<f64>,
    /// The busiest minute's `ConsumedWriteCapacityUnits` ÷ 60: write units per second.
    pub peak_wcu_per_sec: Option<f64>,
    /// `WriteThrottleEvents`, summed: write requests DynamoDB throttled.
    pub write_throttle_events: Option<f64>,
}

/// The function's own EMF metrics (namespace `RetailEventProcessing`, dimension
/// `FunctionName`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ProcessingMetrics {
    /// `ProcessedEvents` (written to the table), summed.
    pub processed_events: Option<f64>,
    /// `FailedEvents` (dead-lettered), summed.
    pub failed_events: Option<f64>,
    /// `RetriedEvents` (reported in `batchItemFailures` for redelivery), summed.
    pub retried_events: Option<f64>,
    /// `EndToEndLatency` p99 (arrival → written), the highest one-minute figure, ms.
    pub end_to_end_p99_ms: Option<f64>,
}

/// The dead-letter queue's metrics (namespace `AWS/SQS`, dimension `QueueName`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct QueueMetrics {
    /// `ApproximateNumberOfMessagesVisible`, the highest one-minute maximum.
    pub messages_visible_max: Option<f64>,
}

/// The deployed pipeline's CloudWatch metrics over the run's window (`GetMetricData`,
/// one-minute periods). A figure is `null` when CloudWatch had no data point for it, or
/// when the resource it belongs to was not named; `warnings` say which and why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PipelineMetrics {
    /// Start of the window read (the run's start, rounded down to the minute), RFC 3339.
    pub start: String,
    /// End of the window read (exclusive), RFC 3339.
    pub end: String,
    /// Period of the data points, seconds.
    pub period_s: u32,
    /// The stream read.
    pub stream_name: String,
    /// The function read, if named.
    pub function_name: Option<String>,
    /// The table read, if named.
    pub table_name: Option<String>,
    /// The dead-letter queue read, if named.
    pub queue_name: Option<String>,
    /// Kinesis.
    pub stream: StreamMetrics,
    /// Lambda.
    pub function: FunctionMetrics,
    /// DynamoDB.
    pub table: TableMetrics,
    /// The function's EMF metrics.
    pub processing: ProcessingMetrics,
    /// SQS.
    pub queue: QueueMetrics,
    /// What could not be read, and why (a read that failed is a warning, not a failed
    /// run).
    pub warnings: Vec<String>,
}
