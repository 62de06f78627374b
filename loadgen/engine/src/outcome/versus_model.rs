//! "Measured vs modelled": a deployed pipeline's CloudWatch figures beside what loadgen
//! measured and what the capacity model expects for the same load, as rows computed once
//! here and rendered by every report format.

use crate::capacity::plan::Plan;
use crate::outcome::measured::PipelineMetrics;
use crate::outcome::result::RunResult;

/// One row of "modelled vs measured": a figure as CloudWatch measured it beside what
/// loadgen measured or the capacity model expects for the same load.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// What the row is.
    pub figure: &'static str,
    /// CloudWatch's figure.
    pub measured: Option<f64>,
    /// loadgen's or the model's figure for the same load.
    pub expected: Option<f64>,
    /// Where `expected` comes from.
    pub expected_from: &'static str,
    /// The unit of both.
    pub unit: &'static str,
}

/// The rows of "modelled vs measured" for `r` (which carries `pipeline_metrics`) and the
/// capacity plan of its load.
pub fn compare(r: &RunResult, m: &PipelineMetrics, plan: Option<&Plan>) -> Vec<Comparison> {
    let l = &r.ledger;
    let row = |figure, measured, expected, expected_from, unit| Comparison {
        figure,
        measured,
        expected,
        expected_from,
        unit,
    };
    // The deployed stream's lanes, and the batches they make of the accepted records: a
    // lane's records of one batching window, at most the batch size.
    let lanes = (r.target.shards * r.config.parallelization_factor.max(1)) as f64;
    let lane_rps = r.rate.achieved_rps / lanes.max(1.0);
    let batch = (lane_rps * r.config.batching_window_s).clamp(1.0, r.config.batch_size.max(1) as f64);
    let invocations = (l.accepted as f64 / batch).ceil();
    vec![
        row(
            "Records into the stream",
            m.stream.incoming_records,
            Some(l.accepted as f64),
            "loadgen: accepted",
            "records",
        ),
        row(
            "Records throttled by the stream",
            m.stream.write_throttled,
            Some(l.throttled as f64),
            "loadgen: throttled put attempts",
            "records",
        ),
        row(
            "Lambda invocations",
            m.function.invocations,
            Some(invocations),
            "model: accepted ÷ records per batch",
            "invocations",
        ),
        row("Lambda errors", m.function.errors, Some(0.0), "model", "invocations"),
        row("Lambda throttles", m.function.throttles, Some(0.0), "model", "invocations"),
        row(
            "Lambda duration p50",
            m.function.duration_p50_ms,
            plan.map(|p| p.lambda.invocation_ms),
            "model: per invocation",
            "ms",
        ),
        row("Lambda duration p99", m.function.duration_p99_ms, None, "", "ms"),
        row(
            "Concurrent executions (max)",
            m.function.concurrent_executions_max,
            Some(lanes),
            "model: shards × parallelization factor",
            "executions",
        ),
        row(
            "Iterator age (max)",
            m.function.iterator_age_max_ms.or(m.stream.iterator_age_max_ms),
            Some(r.config.batching_window_s * 1000.0),
            "model: at most the batching window",
            "ms",
        ),
        row(
            "Events written (EMF)",
            m.processing.processed_events,
            Some(l.accepted.saturating_sub(l.invalid_accepted) as f64),
            "loadgen: valid events accepted",
            "events",
        ),
        row(
            "Events dead-lettered (EMF)",
            m.processing.failed_events,
            Some(l.invalid_accepted as f64),
            "loadgen: invalid events accepted",
            "events",
        ),
        row("Events retried (EMF)", m.processing.retried_events, Some(0.0), "model", "events"),
        row("Table write units (peak)", m.table.peak_wcu_per_sec, plan.map(|p| p.dynamodb.peak_wcu), "model", "WCU/s"),
        row("Table write throttles", m.table.write_throttle_events, Some(0.0), "model", "requests"),
        row(
            "Dead-letter queue (max visible)",
            m.queue.messages_visible_max,
            r.verify.as_ref().and_then(|v| v.dlq_messages).map(|d| d as f64),
            "loadgen: messages the queue gained",
            "messages",
        ),
    ]
}
