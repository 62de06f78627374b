//! The Lambda glue: from an invocation to the processor and back to a
//! `batchItemFailures` response.

use std::time::Duration;

use aws_lambda_events::streams::KinesisEventResponse;
use lambda_runtime::LambdaEvent;
use tokio::time::Instant;

use crate::kinesis::KinesisEvent;
use crate::ports::{DeadLetterSink, EventStore, MetricsSink};
use crate::processor::{BatchContext, Processor};

/// How long this invocation may spend writing and retrying, given `remaining` time before
/// Lambda's deadline and the configured `budget`. A reserve (half a second plus 5% of the
/// remaining time) is kept to dead-letter what the table rejected and to answer Lambda:
/// an invocation that times out is retried whole, written records included.
pub fn write_window(remaining: Duration, budget: Duration) -> Duration {
    let reserve = Duration::from_millis(500) + remaining / 20;
    budget.min(remaining.saturating_sub(reserve))
}

/// Handles one invocation.
pub async fn handle<S: EventStore, D: DeadLetterSink, M: MetricsSink>(
    processor: &Processor<S, D, M>,
    retry_budget: Duration,
    event: LambdaEvent<KinesisEvent>,
) -> KinesisEventResponse {
    let now_ms = crate::now_ms();
    let remaining = Duration::from_millis(event.context.deadline.saturating_sub(now_ms.max(0) as u64));
    let ctx = BatchContext { now_ms, deadline: Instant::now() + write_window(remaining, retry_budget) };
    let report = processor.process_batch(&event.payload.records, ctx).await;
    let mut response = KinesisEventResponse::default();
    for seq in report.retry_sequence_numbers {
        response.add_failure(seq);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_keeps_a_reserve_and_honours_the_budget() {
        let s = Duration::from_secs;
        assert_eq!(write_window(s(120), s(20)), s(20));
        assert_eq!(write_window(s(10), s(20)), Duration::from_millis(9_000));
        assert_eq!(write_window(Duration::from_millis(300), s(20)), Duration::ZERO);
    }
}
