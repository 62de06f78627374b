//! A run's configuration, its defaults and its validation, in one place.
//!
//! A [`RunConfig`] is what a test, a bench, the CLI or another program builds to run a
//! load: `RunConfig { local: LocalConfig { shards: 7, ..LocalConfig::default() },
//! ..RunConfig::default() }`. Its `Default` is the deployed default pipeline (one shard,
//! batch size 100, batching window 5 s) under 100 events/s for a minute; the CLI reads its
//! option defaults from here. [`RunConfig::validate`] checks every range once; its
//! messages name the option the way the command line spells it, so a scenario file or a
//! flag gets the same sentence.

use std::ops::RangeInclusive;
use std::time::Duration;

use crate::capacity::quotas;
pub use crate::checks::{check, check_range, ConfigError};
use crate::load::driver::DriverConfig;
use crate::load::generator::GeneratorConfig;
use crate::load::schedule::RateProfile;
use crate::load::split::LateStart;
use crate::outcome::thresholds::Thresholds;
use crate::sink::kinesis::KinesisTarget;
use crate::sink::local::esm::EsmConfig;
use crate::sink::local::LocalConfig;

/// The function's `WRITE_CONCURRENCY` range (BatchWriteItem calls in flight per batch).
pub const WRITE_CONCURRENCY: RangeInclusive<usize> = 1..=64;
/// The highest peak one loadgen process offers; beyond it, split the load over workers.
pub const MAX_PEAK_RPS: f64 = 5_000_000.0;
/// Distinct users a run may have: the generator keeps about 110 bytes per user (its id
/// and its counters), so ten million take about 1.1 GB.
pub const MAX_USERS: usize = 10_000_000;
/// Shards the local model accepts.
pub const LOCAL_SHARDS: RangeInclusive<usize> = 1..=100_000;

/// A share: `0 ≤ value ≤ 1`.
fn check_share(option: &'static str, value: f64, example: &str) -> Result<(), ConfigError> {
    check((0.0..=1.0).contains(&value), option, || format!("--{option} is a share from 0 to 1{example}, not {value}"))
}

impl EsmConfig {
    /// The event source mapping's ranges, as Lambda enforces them.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range("batch-size", self.batch_size, quotas::ESM_BATCH_SIZE, "Lambda's limit")?;
        check(self.batching_window.as_secs() <= quotas::ESM_MAX_BATCHING_WINDOW_SECS, "batching-window", || {
            "--batching-window must be at most 300s (Lambda's limit)".into()
        })?;
        check_range("parallelization-factor", self.parallelization, quotas::ESM_PARALLELIZATION, "Lambda's limit")?;
        check(
            (quotas::LAMBDA_MIN_TIMEOUT_SECS..=quotas::LAMBDA_MAX_TIMEOUT_SECS)
                .contains(&self.function_timeout.as_secs())
                && self.function_timeout.subsec_nanos() == 0,
            "function-timeout",
            || "--function-timeout must be whole seconds from 1s to 900s (Lambda's limits)".into(),
        )
    }
}

/// The function's write concurrency.
pub fn check_write_concurrency(value: usize) -> Result<(), ConfigError> {
    check_range("write-concurrency", value, WRITE_CONCURRENCY, "")
}

/// What is read back from the deployed pipeline after a run against a real stream:
/// end-to-end verification in the table and the queue, and the pipeline's CloudWatch
/// metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyConfig {
    /// The table whose items the sampled events must become.
    pub table: Option<String>,
    /// The dead-letter queue whose growth is compared with the invalid events accepted.
    pub dlq_url: Option<String>,
    /// Accepted events sampled for the table lookup (memory is bounded by this).
    pub trace_sample: usize,
    /// The CloudWatch read after the run (`None`: not read).
    pub metrics: Option<MetricsConfig>,
}

impl Default for VerifyConfig {
    fn default() -> Self {
        Self { table: None, dlq_url: None, trace_sample: 1000, metrics: None }
    }
}

/// The deployed pipeline's CloudWatch metrics, read after a run against a real stream
/// ([`crate::aws::metrics`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsConfig {
    /// The function whose Lambda and EMF metrics are read.
    pub function: Option<String>,
    /// Longest wait for CloudWatch to publish the load's last minute.
    pub wait: Duration,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self { function: None, wait: Duration::from_secs(180) }
    }
}

impl VerifyConfig {
    /// Whether anything is to be verified.
    pub fn any(&self) -> bool {
        self.table.is_some() || self.dlq_url.is_some()
    }
}

/// Everything a run needs.
#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    /// The schedule and the producer. Its seed is derived from [`RunConfig::seed`].
    pub driver: DriverConfig,
    /// The events. Its seed is [`RunConfig::seed`].
    pub generator: GeneratorConfig,
    /// A Kinesis stream to target instead of the embedded local pipeline.
    pub target: Option<KinesisTarget>,
    /// End-to-end verification against the deployed table and queue (with `target`).
    pub verify: VerifyConfig,
    /// The local pipeline model (without `target`).
    pub local: LocalConfig,
    /// Thresholds that decide whether the run passes.
    pub thresholds: Thresholds,
    /// Share of a shard's quota the shard recommendation may use, (0, 1].
    pub target_utilization: f64,
    /// Longest wait for the pipeline to finish processing after the load stops.
    pub settle: Duration,
    /// The seed of every random choice: the same seed repeats the same run.
    pub seed: u64,
    /// The scenario file the run's options came from, recorded in its result.
    pub scenario: Option<ScenarioRecord>,
}

/// A scenario file as a run read it (`loadgen --scenario FILE`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ScenarioRecord {
    /// The file, as given.
    pub file: String,
    /// Its text (options given on the command line too won over it).
    pub text: String,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            driver: DriverConfig::default(),
            generator: GeneratorConfig::default(),
            target: None,
            verify: VerifyConfig::default(),
            local: LocalConfig::default(),
            thresholds: Thresholds::default(),
            target_utilization: 0.8,
            settle: Duration::from_secs(60),
            seed: 1,
            scenario: None,
        }
    }
}

/// The schedule's seed is the run's, mixed so the arrivals and the events draw
/// independent streams.
const SCHEDULE_SEED_MIX: u64 = 0x5c4e_d01e;

impl RunConfig {
    /// A constant `rps` for `duration`, everything else as deployed by default.
    pub fn constant(rps: f64, duration: Duration) -> Self {
        let mut c = Self::default();
        c.driver.profile = RateProfile::Constant { rps };
        c.driver.duration = duration;
        c
    }

    /// The driver's configuration with the seed and the tracer sample this run derives.
    pub fn driver(&self) -> DriverConfig {
        DriverConfig {
            seed: self.seed ^ SCHEDULE_SEED_MIX,
            trace_sample: if self.target.is_some() && self.verify.table.is_some() {
                self.verify.trace_sample
            } else {
                0
            },
            ..self.driver.clone()
        }
    }

    /// The generator's configuration with the run's seed.
    pub fn generator(&self) -> GeneratorConfig {
        GeneratorConfig { seed: self.driver.worker.event_seed(self.seed), ..self.generator.clone() }
    }

    /// Checks every range and every combination; the first problem found is returned.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let d = &self.driver;
        let g = &self.generator;
        let l = &self.local;
        check(!d.duration.is_zero(), "duration", || "--duration must be longer than zero, e.g. --duration 90s".into())?;
        check(d.worker.count >= 1 && d.worker.index < d.worker.count, "worker", || {
            format!("--worker {}/{}: the index runs from 0 to the worker count − 1", d.worker.index, d.worker.count)
        })?;
        if let Some(start) = d.start_at {
            if let Ok(late) = std::time::SystemTime::now().duration_since(start.at) {
                let when = humantime::format_rfc3339_seconds(start.at);
                let late_text = humantime::format_duration(Duration::from_secs(late.as_secs()));
                check(late < d.duration, "start-at", || {
                    format!("the load started at {when}, {late_text} ago, longer than its --duration: nothing is left to offer")
                })?;
                check(start.late == LateStart::Join || late < Duration::from_secs(1), "start-at", || {
                    format!("the load started at {when}, {late_text} ago, and --late-start refuse is set: start the worker before the load's start, or join late with --late-start join")
                })?;
            }
        }
        let peak = d.profile.peak_rps() * d.worker.share();
        check(peak <= MAX_PEAK_RPS, "rps", || {
            format!(
                "a peak of {peak} events/s is beyond what one loadgen process can offer; split the load over workers"
            )
        })?;
        match &self.target {
            None => check_range("shards", l.shard_count(), LOCAL_SHARDS, "")?,
            Some(t) => t.validate()?,
        }
        l.esm.validate()?;
        check_share("invalid-rate", g.invalid_rate, " (0.01 = 1%)")?;
        check(g.users >= 1 && g.products >= 1, "users", || "--users and --products must be at least 1".into())?;
        check(g.users <= MAX_USERS && g.products <= MAX_USERS, "users", || {
            format!("--users and --products are at most {MAX_USERS} (a run keeps about 100 bytes for each user it meets, so at most about 1 GB)")
        })?;
        if let Some(b) = g.payload_bytes {
            check(b <= quotas::MAX_RECORD_BYTES - 1024, "payload-bytes", || {
                format!("--payload-bytes {b} exceeds Kinesis's 1 MiB record limit (with room for the key)")
            })?;
        }
        check_range(
            "max-batch-records",
            d.batch.max_records,
            1..=quotas::PUT_RECORDS_MAX_RECORDS,
            "PutRecords' limit",
        )?;
        check(
            (quotas::MAX_RECORD_BYTES..=quotas::PUT_RECORDS_MAX_BYTES).contains(&d.batch.max_bytes),
            "max-batch-bytes",
            || "--max-batch-bytes must be between 1 MiB (one record) and 5 MiB (PutRecords' limit)".into(),
        )?;
        check((0.0..1.0).contains(&l.table_unprocessed_rate), "table-unprocessed-rate", || {
            format!("--table-unprocessed-rate is a share from 0 to below 1, not {}", l.table_unprocessed_rate)
        })?;
        check(
            l.write_quota.records_per_sec > 0.0
                && l.write_quota.bytes_per_sec > 0.0
                && l.esm.read_calls_per_sec > 0
                && l.esm.read_bytes_per_sec > 0,
            "shard-records-per-sec",
            || "the shard quotas must be above zero".into(),
        )?;
        check(d.max_in_flight >= 1, "max-in-flight", || "--max-in-flight must be at least 1".into())?;
        check_write_concurrency(l.processor.write_concurrency)?;
        check(crate::sink::local::lambda_model::MEMORY_MB.contains(&l.lambda.memory_mb), "lambda-memory", || {
            format!("--lambda-memory must be 128–10240 MB (Lambda's range), not {}", l.lambda.memory_mb)
        })?;
        check(l.lambda.concurrency_limit >= 1, "lambda-concurrency-limit", || {
            "--lambda-concurrency-limit must be at least 1".into()
        })?;
        check(self.target_utilization > 0.0 && self.target_utilization <= 1.0, "target-utilization", || {
            format!("--target-utilization is a share in (0, 1], not {}", self.target_utilization)
        })?;
        self.thresholds.validate()?;
        // --user-popularity shapes the userId with every key model: with --keys random or
        // explicit the stream's load is even, and the table's partition key (the user)
        // still carries the hot users.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_the_deployed_pipeline_and_valid() {
        let c = RunConfig::default();
        c.validate().unwrap();
        assert_eq!(c.local.shards, 1);
        assert_eq!(c.local.esm.batch_size, 100);
        assert_eq!(c.local.esm.batching_window, Duration::from_secs(5));
        assert_eq!(c.driver.duration, Duration::from_secs(60));
    }

    #[test]
    fn ranges_are_checked_once_with_the_option_named() {
        let mut c = RunConfig::default();
        c.local.esm.parallelization = 11;
        let e = c.validate().unwrap_err();
        assert_eq!(e.option, "parallelization-factor");
        assert!(e.message.contains("1–10"), "{e}");
        let mut c = RunConfig::default();
        c.local.processor.write_concurrency = 0;
        assert_eq!(c.validate().unwrap_err().option, "write-concurrency");
        let mut c = RunConfig::default();
        c.generator.invalid_rate = 1.5;
        assert_eq!(c.validate().unwrap_err().option, "invalid-rate");
    }

    #[test]
    fn seeds_derive_from_the_run() {
        let c = RunConfig { seed: 42, ..RunConfig::default() };
        assert_eq!(c.generator().seed, 42);
        assert_eq!(c.driver().seed, 42 ^ SCHEDULE_SEED_MIX);
        assert_eq!(c.driver().trace_sample, 0, "no tracers without a table to look them up in");
    }
}
