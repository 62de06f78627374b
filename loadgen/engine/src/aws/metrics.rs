//! The deployed pipeline's own metrics: after a run against a real stream, one
//! `GetMetricData` read (every query batched, one-minute periods, paged by `NextToken`)
//! of what Kinesis, Lambda, DynamoDB, SQS and the function's EMF lines recorded over the
//! run's window, folded into [`PipelineMetrics`].
//!
//! CloudWatch publishes a minute's data points a minute or two after it ends: the read is
//! repeated (every [`POLL_EVERY`]) until the stream's `IncomingRecords` has a point for
//! the load's last minute, or `wait` runs out (then the figures are partial and a warning
//! says so). Percentile statistics are read in a call of their own so that an endpoint
//! that cannot compute them (moto) leaves the other figures intact. A read that fails
//! (no `cloudwatch:GetMetricData` permission, an unreachable endpoint) is a warning in
//! the result, never a failed run. Point it at an emulator with
//! `AWS_ENDPOINT_URL_CLOUDWATCH`.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};

use crate::outcome::measured::PipelineMetrics;
use crate::sink::kinesis::KinesisTarget;

/// The data points' period: Kinesis's stream-level metrics are per minute.
pub const PERIOD_S: u32 = 60;
/// How often an incomplete read is repeated while waiting for CloudWatch.
const POLL_EVERY: Duration = Duration::from_secs(20);
/// `GetMetricData` takes at most this many queries a call.
const MAX_QUERIES_PER_CALL: usize = 500;

/// The deployed resources whose metrics are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subjects {
    /// The stream.
    pub stream: String,
    /// The function, if named.
    pub function: Option<String>,
    /// The table, if named.
    pub table: Option<String>,
    /// The dead-letter queue's name (the last part of its URL), if named.
    pub queue: Option<String>,
}

impl Subjects {
    /// The queue's name from its URL (`https://sqs.…/123456789012/name` → `name`).
    pub fn queue_name(url: &str) -> Option<String> {
        url.trim_end_matches('/').rsplit('/').next().filter(|s| !s.is_empty()).map(str::to_string)
    }
}

/// Which resource a query is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subject {
    Stream,
    Function,
    Table,
    Queue,
}

/// How a query's one-minute points become one figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fold {
    /// The points' sum.
    Sum,
    /// The highest point.
    Max,
    /// The highest point ÷ the period: a per-second peak of a per-minute sum.
    PeakPerSecond,
}

/// One figure of [`PipelineMetrics`] and the query that gives it.
struct Figure {
    id: &'static str,
    namespace: &'static str,
    metric: &'static str,
    subject: Subject,
    stat: &'static str,
    fold: Fold,
    field: fn(&mut PipelineMetrics) -> &mut Option<f64>,
}

impl Figure {
    fn percentile(&self) -> bool {
        self.stat.starts_with('p')
    }
}

/// Every figure read, in the order of the report.
const FIGURES: &[Figure] = &[
    Figure {
        id: "kinesis_incoming",
        namespace: "AWS/Kinesis",
        metric: "IncomingRecords",
        subject: Subject::Stream,
        stat: "Sum",
        fold: Fold::Sum,
        field: |m| &mut m.stream.incoming_records,
    },
    Figure {
        id: "kinesis_throttled",
        namespace: "AWS/Kinesis",
        metric: "WriteProvisionedThroughputExceeded",
        subject: Subject::Stream,
        stat: "Sum",
        fold: Fold::Sum,
        field: |m| &mut m.stream.write_throttled,
    },
    Figure {
        id: "kinesis_iterator_age",
        namespace: "AWS/Kinesis",
        metric: "GetRecords.IteratorAgeMilliseconds",
        subject: Subject::Stream,
        stat: "Maximum",
        fold: Fold::Max,
        field: |m| &mut m.stream.iterator_age_max_ms,
    },
    Figure {
        id: "lambda_invocations",
        namespace: "AWS/Lambda",
        metric: "Invocations",
        subject: Subject::Function,
        stat: "Sum",
        fold: Fold::Sum,
        field: |m| &mut m.function.invocations,
    },
    Figure {
        id: "lambda_errors",
        namespace: "AWS/Lambda",
        metric: "Errors",
        subject: Subject::Function,
        stat: "Sum",
        fold: Fold::Sum,
        field: |m| &mut m.function.errors,
    },
    Figure {
        id: "lambda_throttles",
        namespace: "AWS/Lambda",
        metric: "Throttles",
        subject: Subject::Function,
        stat: "Sum",
        fold: Fold::Sum,
        field: |m| &mut m.function.throttles,
    },
    Figure {
        id: "lambda_duration_p50",
        namespace: "AWS/Lambda",
        metric: "Duration",
        subject: Subject::Function,
        stat: "p50",
        fold: Fold::Max,
        field: |m| &mut m.function.duration_p50_ms,
    },
    Figure {
        id: "lambda_duration_p99",
        namespace: "AWS/Lambda",
        metric: "Duration",
        subject: Subject::Function,
        stat: "p99",
        fold: Fold::Max,
        field: |m| &mut m.function.duration_p99_ms,
    },
    Figure {
        id: "lambda_concurrency",
        namespace: "AWS/Lambda",
        metric: "ConcurrentExecutions",
        subject: Subject::Function,
        stat: "Maximum",
        fold: Fold::Max,
        field: |m| &mut m.function.concurrent_executions_max,
    },
    Figure {
        id: "lambda_iterator_age",
        namespace: "AWS/Lambda",
        metric: "IteratorAge",
        subject: Subject::Function,
        stat: "Maximum",
        fold: Fold::Max,
        field: |m| &mut m.function.iterator_age_max_ms,
    },
    Figure {
        id: "dynamodb_wcu",
        namespace: "AWS/DynamoDB",
        metric: "ConsumedWriteCapacityUnits",
        subject: Subject::Table,
        stat: "Sum",
        fold: Fold::Sum,
        field: |m| &mut m.table.consumed_wcu,
    },
    Figure {
        id: "dynamodb_wcu_peak",
        namespace: "AWS/DynamoDB",
        metric: "ConsumedWriteCapacityUnits",
        subject: Subject::Table,
        stat: "Sum",
        fold: Fold::PeakPerSecond,
        field: |m| &mut m.table.peak_wcu_per_sec,
    },
    Figure {
        id: "dynamodb_throttles",
        namespace: "AWS/DynamoDB",
        metric: "WriteThrottleEvents",
        subject: Subject::Table,
        stat: "Sum",
        fold: Fold::Sum,
        field: |m| &mut m.table.write_throttle_events,
    },
    Figure {
        id: "emf_processed",
        namespace: retail_function::emf::NAMESPACE,
        metric: "ProcessedEvents",
        subject: Subject::Function,
        stat: "Sum",
        fold: Fold::Sum,
        field: |m| &mut m.processing.processed_events,
    },
    Figure {
        id: "emf_failed",
        namespace: retail_function::emf::NAMESPACE,
        metric: "FailedEvents",
        subject: Subject::Function,
        stat: "Sum",
        fold: Fold::Sum,
        field: |m| &mut m.processing.failed_events,
    },
    Figure {
        id: "emf_retried",
        namespace: retail_function::emf::NAMESPACE,
        metric: "RetriedEvents",
        subject: Subject::Function,
        stat: "Sum",
        fold: Fold::Sum,
        field: |m| &mut m.processing.retried_events,
    },
    Figure {
        id: "emf_end_to_end_p99",
        namespace: retail_function::emf::NAMESPACE,
        metric: "EndToEndLatency",
        subject: Subject::Function,
        stat: "p99",
        fold: Fold::Max,
        field: |m| &mut m.processing.end_to_end_p99_ms,
    },
    Figure {
        id: "sqs_visible",
        namespace: "AWS/SQS",
        metric: "ApproximateNumberOfMessagesVisible",
        subject: Subject::Queue,
        stat: "Maximum",
        fold: Fold::Max,
        field: |m| &mut m.queue.messages_visible_max,
    },
];

/// The dimension a subject's metrics carry, and its value.
fn dimension(subjects: &Subjects, subject: Subject) -> Option<(&'static str, &str)> {
    match subject {
        Subject::Stream => Some(("StreamName", subjects.stream.as_str())),
        Subject::Function => subjects.function.as_deref().map(|f| ("FunctionName", f)),
        Subject::Table => subjects.table.as_deref().map(|t| ("TableName", t)),
        Subject::Queue => subjects.queue.as_deref().map(|q| ("QueueName", q)),
    }
}

/// One-minute points per query id: (epoch seconds, value).
pub type Points = HashMap<String, Vec<(i64, f64)>>;

/// The window a run's metrics are read over: from its start rounded down to the minute
/// to `end` rounded up, in epoch seconds.
pub fn window(start: SystemTime, end: SystemTime) -> (i64, i64) {
    let secs = |t: SystemTime| t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let p = i64::from(PERIOD_S);
    let from = secs(start).div_euclid(p) * p;
    let to = (secs(end) + p - 1).div_euclid(p) * p;
    (from, to.max(from + p))
}

/// Folds the points read into the figures; a figure without points stays `None`, and
/// the warnings name what was not measured and why.
pub fn fold(subjects: &Subjects, points: &Points, (from, to): (i64, i64)) -> PipelineMetrics {
    let rfc3339 =
        |s: i64| humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(s.max(0) as u64)).to_string();
    let mut m = PipelineMetrics {
        start: rfc3339(from),
        end: rfc3339(to),
        period_s: PERIOD_S,
        stream_name: subjects.stream.clone(),
        function_name: subjects.function.clone(),
        table_name: subjects.table.clone(),
        queue_name: subjects.queue.clone(),
        ..PipelineMetrics::default()
    };
    let mut unnamed = Vec::new();
    let mut empty = Vec::new();
    for f in FIGURES {
        if dimension(subjects, f.subject).is_none() {
            let what = match f.subject {
                Subject::Function => ("The function's", "name it with --function or --stack"),
                Subject::Table => ("The table's", "name it with --table or --stack"),
                Subject::Queue => ("The dead-letter queue's", "name it with --dlq-url or --stack"),
                Subject::Stream => ("The stream's", "name it with --stream"),
            };
            if !unnamed.contains(&what) {
                unnamed.push(what);
            }
            continue;
        }
        let values: Vec<f64> = points.get(f.id).map(|p| p.iter().map(|(_, v)| *v).collect()).unwrap_or_default();
        let value = match f.fold {
            _ if values.is_empty() => None,
            Fold::Sum => Some(values.iter().sum()),
            Fold::Max => values.iter().copied().reduce(f64::max),
            Fold::PeakPerSecond => values.iter().copied().reduce(f64::max).map(|v| v / f64::from(PERIOD_S)),
        };
        if value.is_none() {
            empty.push(format!("{} {} ({})", f.namespace, f.metric, f.stat));
        }
        *(f.field)(&mut m) = value;
    }
    for (who, fix) in unnamed {
        m.warnings.push(format!("{who} metrics were not read: {fix}."));
    }
    if !empty.is_empty() {
        empty.dedup();
        m.warnings.push(format!(
            "CloudWatch had no data points in the window for: {}. A metric with no activity has none (no throttles, no errors); otherwise check the names and that CloudWatch had published them.",
            empty.join(", ")
        ));
    }
    m
}

/// Reads the deployed pipeline's metrics over `window` (epoch seconds), waiting up to
/// `wait` for CloudWatch to publish the load's last minute (`load_end`, epoch seconds).
/// Never fails: what could not be read is a warning in the result.
pub async fn read(
    target: &KinesisTarget,
    subjects: &Subjects,
    window: (i64, i64),
    load_end: i64,
    wait: Duration,
) -> PipelineMetrics {
    let sdk = target.sdk_loader(false).load().await;
    let client = aws_sdk_cloudwatch::Client::new(&sdk);
    let deadline = tokio::time::Instant::now() + wait;
    let last_minute = load_end.div_euclid(i64::from(PERIOD_S)) * i64::from(PERIOD_S);
    let mut warnings = Vec::new();
    let mut points = Points::new();
    loop {
        warnings.clear();
        points.clear();
        for percentiles in [false, true] {
            let queries: Vec<MetricDataQuery> =
                FIGURES.iter().filter(|f| f.percentile() == percentiles).filter_map(|f| query(f, subjects)).collect();
            if let Err(e) = get(&client, &queries, window, &mut points).await {
                let what = if percentiles { "the percentile figures (p50, p99)" } else { "the pipeline's metrics" };
                warnings.push(format!(
                    "Reading {what} from CloudWatch failed: {e}. Check that the identity may cloudwatch:GetMetricData in the stream's region (AWS_ENDPOINT_URL_CLOUDWATCH points it elsewhere); --no-pipeline-metrics skips the read."
                ));
                if !percentiles {
                    break;
                }
            }
        }
        let published = points.get("kinesis_incoming").is_some_and(|p| p.iter().any(|(t, _)| *t >= last_minute));
        let failed = !warnings.is_empty() && points.is_empty();
        if published || failed || tokio::time::Instant::now() + POLL_EVERY > deadline {
            if !published && !failed {
                warnings.push(format!(
                    "CloudWatch had not published the load's last minute after {}: the figures may be partial (--metrics-wait waits longer).",
                    humantime::format_duration(wait)
                ));
            }
            break;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
    let mut metrics = fold(subjects, &points, window);
    warnings.append(&mut metrics.warnings);
    metrics.warnings = warnings;
    metrics
}

fn query(f: &Figure, subjects: &Subjects) -> Option<MetricDataQuery> {
    let (name, value) = dimension(subjects, f.subject)?;
    let metric = Metric::builder()
        .namespace(f.namespace)
        .metric_name(f.metric)
        .dimensions(Dimension::builder().name(name).value(value).build())
        .build();
    let stat = MetricStat::builder().metric(metric).period(PERIOD_S as i32).stat(f.stat).build();
    Some(MetricDataQuery::builder().id(f.id).metric_stat(stat).return_data(true).build())
}

/// One `GetMetricData` per 500 queries, every page, into `points`.
async fn get(
    client: &aws_sdk_cloudwatch::Client,
    queries: &[MetricDataQuery],
    (from, to): (i64, i64),
    points: &mut Points,
) -> Result<(), String> {
    for chunk in queries.chunks(MAX_QUERIES_PER_CALL) {
        let mut next: Option<String> = None;
        loop {
            let out = client
                .get_metric_data()
                .set_metric_data_queries(Some(chunk.to_vec()))
                .start_time(DateTime::from_secs(from))
                .end_time(DateTime::from_secs(to))
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| crate::aws::sdk_error_sentence(&e))?;
            for r in out.metric_data_results() {
                let Some(id) = r.id() else { continue };
                let entry = points.entry(id.to_string()).or_default();
                for (t, v) in r.timestamps().iter().zip(r.values()) {
                    if v.is_finite() {
                        entry.push((t.secs(), *v));
                    }
                }
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => next = Some(t.to_string()),
                _ => break,
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subjects() -> Subjects {
        Subjects {
            stream: "events".into(),
            function: Some("processor".into()),
            table: Some("events-table".into()),
            queue: Subjects::queue_name("http://127.0.0.1:5000/123456789012/dlq"),
        }
    }

    #[test]
    fn the_queue_is_named_by_its_url() {
        assert_eq!(
            Subjects::queue_name("https://sqs.us-east-1.amazonaws.com/123456789012/dlq/").as_deref(),
            Some("dlq")
        );
        assert_eq!(Subjects::queue_name(""), None);
    }

    #[test]
    fn the_window_is_whole_minutes_around_the_run() {
        let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(window(at(125), at(170)), (120, 180));
        assert_eq!(window(at(120), at(120)), (120, 180), "never empty");
        assert_eq!(window(at(59), at(241)), (0, 300));
    }

    #[test]
    fn points_fold_into_sums_maxima_and_per_second_peaks() {
        let mut points = Points::new();
        points.insert("kinesis_incoming".into(), vec![(0, 60_000.0), (60, 30_000.0)]);
        points.insert("lambda_concurrency".into(), vec![(0, 4.0), (60, 7.0)]);
        // 90,000 WCU in the busiest minute = 1,500 WCU/s.
        points.insert("dynamodb_wcu".into(), vec![(0, 90_000.0), (60, 30_000.0)]);
        points.insert("dynamodb_wcu_peak".into(), vec![(0, 90_000.0), (60, 30_000.0)]);
        let m = fold(&subjects(), &points, (0, 120));
        assert_eq!(m.stream.incoming_records, Some(90_000.0));
        assert_eq!(m.function.concurrent_executions_max, Some(7.0));
        assert_eq!(m.table.consumed_wcu, Some(120_000.0));
        assert_eq!(m.table.peak_wcu_per_sec, Some(1_500.0));
        assert_eq!(m.function.throttles, None, "no points: not measured, not zero");
        assert_eq!(m.queue_name.as_deref(), Some("dlq"));
        assert_eq!(m.start, "1970-01-01T00:00:00Z");
        assert_eq!(m.end, "1970-01-01T00:02:00Z");
        assert!(m.warnings.iter().any(|w| w.contains("AWS/Lambda Throttles (Sum)")), "{:?}", m.warnings);
    }

    #[test]
    fn unnamed_resources_are_said_not_read() {
        let s = Subjects { function: None, table: None, queue: None, ..subjects() };
        let m = fold(&s, &Points::new(), (0, 60));
        assert!(m.warnings[0].starts_with("The function's metrics were not read: name it with --function"));
        assert_eq!(m.warnings.len(), 4, "{:?}", m.warnings);
        assert!(FIGURES.iter().all(|f| f.id.chars().next().is_some_and(|c| c.is_ascii_lowercase())));
    }
}
