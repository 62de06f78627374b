//! The command line: `loadgen [run] --rps N --duration D ...`, `plan`, `report`, `consume`.
//!
//! This module only defines the options (clap) and turns them into the engine's types:
//! [`RunArgs::config`] gives a [`RunConfig`], [`PlanArgs::request`] a [`PlanRequest`],
//! [`ConsumeArgs::config`] a [`ConsumerConfig`]. Defaults come from those types'
//! `Default`s, ranges from their `validate`; a bad value is a [`UsageError`] (exit code 2)
//! naming the option and what it accepts.

use std::path::PathBuf;
use std::sync::LazyLock;
use std::time::Duration;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use loadgen_engine::aws::consume::{ConsumerConfig, StartingPosition};
use loadgen_engine::aws::stack::StackResources;
use loadgen_engine::capacity::plan::{PlanInput, PlanRequest};
use loadgen_engine::capacity::prices::Prices;
use loadgen_engine::capacity::quotas;
use loadgen_engine::config::{check_range, check_write_concurrency, ConfigError, MetricsConfig, VerifyConfig};
use loadgen_engine::limit::LimitSearch;
use loadgen_engine::load::aggregator::{AggregationConfig, AGGREGATION_MIN_BYTES};
use loadgen_engine::load::batcher::BatchLimits;
use loadgen_engine::load::driver::DriverConfig;
use loadgen_engine::load::generator::{EventMix, GeneratorConfig};
use loadgen_engine::load::keys::{KeyModel, Popularity};
use loadgen_engine::load::producer::{ProducerConfig, ProducerModel, KPL_DEFAULT_RATE_LIMIT};
use loadgen_engine::load::schedule::Arrivals;
use loadgen_engine::load::split::{LateStart, StartAt, WorkerSplit};
use loadgen_engine::outcome::compare::Limit;
use loadgen_engine::outcome::thresholds::Thresholds;
use loadgen_engine::sink::kinesis::KinesisTarget;
use loadgen_engine::sink::local::esm::EsmConfig;
use loadgen_engine::sink::local::lambda_model::LambdaConfig;
use loadgen_engine::sink::local::stream::WriteQuota;
use loadgen_engine::sink::local::table_model::TableMode;
use loadgen_engine::sink::local::LocalConfig;
use loadgen_engine::sink::local::StreamMode;
use loadgen_engine::RunConfig;
use loadgen_report::Format;
use retail_events::aggregation::KPL_AGGREGATION_MAX_BYTES;

use crate::spec::{self, duration_text, ProfileSpec};

/// The defaults of a run, where the options read theirs.
static RUN: LazyLock<RunConfig> = LazyLock::new(RunConfig::default);
/// The defaults of a Kinesis target.
static TARGET: LazyLock<KinesisTarget> = LazyLock::new(KinesisTarget::default);
/// The defaults of the CloudWatch read after a run against a stream.
static METRICS: LazyLock<MetricsConfig> = LazyLock::new(MetricsConfig::default);
/// The defaults of a plan.
static PLAN: LazyLock<PlanInput> = LazyLock::new(PlanInput::default);

const EXAMPLES: &str = "\
Examples:
  loadgen --rps 5000 --duration 10m
      5,000 events/s for 10 minutes into the embedded local pipeline (1 shard, as deployed)
  loadgen --rps 5000 --duration 2m --shards 7 --out results/7-shards
      the same load into 7 shards; writes results/7-shards/result.json
  loadgen --rate-profile ramp:0..20000@5m --duration 6m --shards 25 --arrivals poisson
      a Poisson ramp to 20,000 events/s
  loadgen --rps 2000 --user-popularity hot:1:0.6 --duration 1m
      one user sends 60% of the events: see what a hot key does to a shard
  loadgen --rps 5000 --duration 1m --shards 7 --max-p99 250ms --max-throttle-rate 0.001
      a CI gate: exit code 3 when a threshold is missed

Exit codes: 0 ok, 1 runtime error, 2 usage error, 3 thresholds not met, 130 interrupted (Ctrl-C),
143 terminated (SIGTERM); after 130 and 143 the results of the part that ran are written.";

/// Parses a command line as `loadgen` does.
///
/// Every option that takes a value accepts the negative form (`--payload-bytes -1`), so a
/// negative number reaches the option's own check and is refused with its real reason,
/// not clap's "unexpected argument '-1'"; where the option takes a whole number, the error
/// says so in one sentence.
pub fn parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    // A flag given twice (a scenario's, then the command line's) takes the last.
    let mut command = negative_numbers_reach_validation(Cli::command()).args_override_self(true);
    let run_options: Vec<String> =
        command.get_arguments().filter_map(|a| a.get_long()).filter(|l| *l != "scenario").map(String::from).collect();
    let args = match crate::scenario::expand(args.into_iter().map(Into::into).collect(), &run_options) {
        Ok(args) => args,
        Err(e) => return Err(e.format(&mut command)),
    };
    let parsed = command.try_get_matches_from_mut(args).and_then(|mut matches| Cli::from_arg_matches_mut(&mut matches));
    parsed.map_err(|e| reword_negative(e).format(&mut command))
}

fn negative_numbers_reach_validation(command: clap::Command) -> clap::Command {
    command
        .mut_args(|a| if a.get_action().takes_values() { a.allow_negative_numbers(true) } else { a })
        .mut_subcommands(negative_numbers_reach_validation)
}

/// clap's "invalid digit found in string" for a whole-number option becomes a sentence:
/// "--payload-bytes cannot be negative: -1", "--users takes a whole number, not '10x'".
fn reword_negative(e: clap::Error) -> clap::Error {
    let text = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        _ => None,
    };
    let (ErrorKind::ValueValidation, Some(arg), Some(value)) =
        (e.kind(), text(ContextKind::InvalidArg), text(ContextKind::InvalidValue))
    else {
        return e;
    };
    let flag = arg.split_whitespace().next().unwrap_or(&arg).to_string();
    let message = if value.starts_with('-') && value[1..].parse::<f64>().is_ok() {
        format!("{flag} cannot be negative: {value}")
    } else if e.to_string().contains("invalid digit found in string") {
        format!("{flag} takes a whole number, not '{value}'")
    } else {
        return e;
    };
    clap::Error::raw(ErrorKind::ValueValidation, message + "\n")
}

/// loadgen: will your Kinesis → Lambda → DynamoDB pipeline hold this traffic?
#[derive(Debug, Parser)]
#[command(
    name = "loadgen",
    version,
    about = "Load generator and capacity planner for a Kinesis → Lambda → DynamoDB pipeline",
    long_about = "Sends realistic retail events at a controlled rate (open model, latency corrected \
                  for coordinated omission) into the embedded local model of the pipeline, and says \
                  whether it holds and how many shards the load needs.",
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    /// What to do (default: run).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of the default `run` command.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate load and report (the default).
    #[command(after_help = EXAMPLES)]
    Run(Box<RunArgs>),
    /// Play the event source mapping over a Kinesis stream: read it and run the function's
    /// processor against a real table and queue (local development without Lambda).
    Consume(ConsumeArgs),
    /// Plan shards, Lambda settings, DynamoDB capacity and monthly cost for a load, from
    /// parameters or from measured runs (result.json).
    #[command(after_help = PLAN_EXAMPLES)]
    Plan(PlanArgs),
    /// Render reports (Markdown, HTML with charts, CSV, HdrHistogram interval logs, the
    /// rate chart as SVG) from
    /// one or more result.json files; several runs of one load's workers merge exactly;
    /// compare with a baseline run and fail (exit 3) on regressions.
    #[command(after_help = REPORT_EXAMPLES)]
    Report(ReportArgs),
    /// Print a shell completion script: loadgen completions bash > /etc/bash_completion.d/loadgen
    Completions {
        /// The shell: bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): loadgen man > loadgen.1 && man ./loadgen.1
    Man,
}

/// The whole command line, as clap sees it (for completions and the man page).
pub fn command() -> clap::Command {
    Cli::command()
}

const PLAN_EXAMPLES: &str = "\
Examples:
  loadgen plan --rps 5000
      shards, Lambda settings, DynamoDB capacity and the monthly cost for 5,000 events/s
  loadgen plan --rps 20k --record-bytes 1KiB --hot-key-share 0.1
      1 KiB records with one user sending 10% of them
  loadgen plan --rps 20k --mean-rps 4k --aggregate
      a peak of 20k and a monthly mean of 4k, with KPL aggregation
  loadgen plan --from results/7-shards/result.json
      from a measured run (its peak, record size and hottest key)
  loadgen plan --rps 1M --json
      as JSON (also says how many loadgen workers offer that load)";

const REPORT_EXAMPLES: &str = "\
Examples:
  loadgen report results/7-shards
      writes report.md, report.html, timeline.csv, latency.hlog, rate.svg there
  loadgen report worker-*/result.json --out merged
      several workers of one load, histograms merged exactly
  loadgen report s3://bucket/loads/sale-day/
      every worker's result.json under the prefix, merged into …/merged/
  loadgen report results/today --baseline results/main --max-regression p99=10%
      compared with a baseline: exit 3 when p99 regressed by more than 10%
  loadgen report results/today --format md --stdout
      Markdown on stdout, e.g. for a CI job summary

Exit codes: 0 ok, 1 a report could not be written, 2 bad input, 3 a metric regressed past its limit.";

/// Options of `report`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Runs: result.json files or the directories holding them (`--out` of a run). Several
    /// runs are merged into one report, as the workers of one load.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<PathBuf>,
    /// Where to write the report (default: the run's directory, when there is one run).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Formats to write (default: all of them).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "FORMAT")]
    pub format: Vec<FormatArg>,
    /// A baseline run to compare with: deltas are shown for every metric.
    #[arg(long, value_name = "RUN")]
    pub baseline: Option<PathBuf>,
    /// How much worse than the baseline a metric may get before the exit code is 3:
    /// `p99=10%`, `achieved-rps=2%`, `lost=+0`. Repeatable. Metrics: achieved-rps, p50,
    /// p90, p99, p999, max, service-p99, e2e-p99, throttle-rate, retries, expired, lost,
    /// iterator-age.
    #[arg(long = "max-regression", value_name = "METRIC=ALLOWANCE", value_parser = parse_limit, requires = "baseline")]
    pub max_regression: Vec<Limit>,
    /// Also write the merged result (result.json) to --out: it can be merged, compared and
    /// planned from like a run's.
    #[arg(long, conflicts_with = "stdout")]
    pub write_result: bool,
    /// Print the Markdown report on stdout and write no files.
    #[arg(long)]
    pub stdout: bool,
}

fn parse_limit(s: &str) -> Result<Limit, String> {
    s.parse()
}

impl ReportArgs {
    /// The directory to write into.
    pub fn out_dir(&self) -> Result<PathBuf, UsageError> {
        if let Some(out) = &self.out {
            return Ok(out.clone());
        }
        match self.runs.as_slice() {
            [one] if one.is_dir() => Ok(one.clone()),
            [one] => {
                Ok(one.parent().map(PathBuf::from).filter(|p| !p.as_os_str().is_empty()).unwrap_or_else(|| ".".into()))
            }
            _ => Err(UsageError::new("several runs are merged into a new report: say where it goes with --out DIR")),
        }
    }

    /// The formats to write.
    pub fn formats(&self) -> Vec<Format> {
        if self.format.is_empty() {
            Format::ALL.to_vec()
        } else {
            self.format.iter().map(|&f| f.into()).collect()
        }
    }
}

/// Options of `plan`.
#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// Measured runs to plan from (their peak rate, record size and hottest key).
    #[arg(long = "from", value_name = "RESULT_JSON")]
    pub from: Vec<PathBuf>,
    /// Peak events per second (overrides measured runs): 5000, 20k, 1.5M.
    #[arg(long, value_parser = spec::rps)]
    pub rps: Option<f64>,
    /// Mean events per second over a month (default: the peak).
    #[arg(long, value_parser = spec::rps)]
    pub mean_rps: Option<f64>,
    /// Mean record size in bytes (overrides measured runs; default 360): 360, 1KiB.
    #[arg(long, value_parser = spec::bytes_f64)]
    pub record_bytes: Option<f64>,
    /// Mean partition key size in bytes.
    #[arg(long, default_value_t = PLAN.key_bytes)]
    pub key_bytes: f64,
    /// Share of events under the hottest key: 0.1 or 10% (overrides measured runs).
    #[arg(long, value_parser = spec::parse_share)]
    pub hot_key_share: Option<f64>,
    /// Share of a shard's quota to plan for (0–1].
    #[arg(long, default_value_t = PLAN.target_utilization, value_parser = spec::parse_share)]
    pub target_utilization: f64,
    /// Standard consumers of the stream.
    #[arg(long, default_value_t = PLAN.consumers)]
    pub consumers: u32,
    /// Event source mapping batch size.
    #[arg(long, default_value_t = PLAN.batch_size)]
    pub batch_size: usize,
    /// Batching window.
    #[arg(long, default_value = duration_text(PLAN.batching_window), value_parser = spec::duration)]
    pub batching_window: Duration,
    /// Parallelization factor (1–10).
    #[arg(long, default_value_t = PLAN.parallelization)]
    pub parallelization_factor: usize,
    /// Function memory, MB.
    #[arg(long, default_value_t = PLAN.memory_mb)]
    pub memory_mb: u32,
    /// Function CPU per record on one full vCPU (1,769 MB or more), µs, processor and AWS
    /// SDK together (`cargo bench -p benches --bench function_path` measures it); the plan
    /// divides it by the memory's share of a vCPU.
    #[arg(long, default_value_t = PLAN.per_record_us)]
    pub per_record_us: f64,
    /// Plan the stream for KPL-aggregated records (the plan shows both ways either way).
    #[arg(long)]
    pub aggregate: bool,
    /// An aggregated record's data at most, bytes (the KPL's AggregationMaxSize).
    #[arg(long, default_value_t = PLAN.aggregation_max_bytes)]
    pub aggregation_max_bytes: usize,
    /// How long the producer buffers records: an aggregate holds what one shard gets in it.
    #[arg(long, default_value = duration_text(PLAN.linger), value_parser = spec::duration)]
    pub linger: Duration,
    /// One BatchWriteItem round trip.
    #[arg(long, default_value = duration_text(PLAN.write_latency), value_parser = spec::duration)]
    pub write_latency: Duration,
    /// BatchWriteItem calls in flight per invocation.
    #[arg(long, default_value_t = PLAN.write_concurrency)]
    pub write_concurrency: usize,
    /// Stored item size, bytes (default: record size + 340 bytes of added attributes).
    #[arg(long, value_parser = spec::bytes_f64)]
    pub item_bytes: Option<f64>,
    /// Days items live before TTL removes them.
    #[arg(long, default_value_t = PLAN.ttl_days)]
    pub ttl_days: f64,
    /// A JSON file replacing some of the built-in prices (field names as in `--json` output).
    #[arg(long)]
    pub prices: Option<PathBuf>,
    /// Print the plan as JSON instead of Markdown.
    #[arg(long)]
    pub json: bool,
}

impl PlanArgs {
    /// The planner's request: these options over the planner's defaults.
    pub fn request(&self) -> PlanRequest {
        PlanRequest {
            rps: self.rps,
            mean_rps: self.mean_rps,
            record_bytes: self.record_bytes,
            hot_key_share: self.hot_key_share,
            item_bytes: self.item_bytes,
            base: PlanInput {
                key_bytes: self.key_bytes,
                target_utilization: self.target_utilization,
                consumers: self.consumers,
                batch_size: self.batch_size,
                batching_window: self.batching_window,
                parallelization: self.parallelization_factor,
                memory_mb: self.memory_mb,
                per_record_us: self.per_record_us,
                write_latency: self.write_latency,
                write_concurrency: self.write_concurrency,
                ttl_days: self.ttl_days,
                aggregate: self.aggregate,
                aggregation_max_bytes: self.aggregation_max_bytes,
                linger: self.linger,
                ..PlanInput::default()
            },
        }
    }

    /// The prices: the built-in table, with `--prices FILE` replacing some of them.
    pub fn prices(&self) -> Result<Prices, UsageError> {
        match &self.prices {
            Some(p) => Prices::from_file(p).map_err(UsageError::new),
            None => Ok(Prices::default()),
        }
    }
}

/// Options of `consume`.
#[derive(Debug, Clone, Args)]
pub struct ConsumeArgs {
    /// Errors from AWS carry the SDK's whole error chain after the sentence.
    #[arg(long, short)]
    pub verbose: bool,
    /// The stream to read.
    #[arg(long)]
    pub stream: String,
    /// The events table to write.
    #[arg(long)]
    pub table: String,
    /// The dead-letter queue URL.
    #[arg(long)]
    pub dlq_url: String,
    /// AWS region (default: the standard chain's).
    #[arg(long)]
    pub region: Option<String>,
    /// Named AWS profile.
    #[arg(long)]
    pub profile: Option<String>,
    /// Kinesis endpoint (DynamoDB and SQS: AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SQS).
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// Longest wait for a connection to an AWS endpoint.
    #[arg(long, default_value = duration_text(TARGET.connect_timeout), value_parser = spec::duration)]
    pub connect_timeout: Duration,
    /// Longest wait for one AWS request's answer (an endpoint that stops answering ends the
    /// consumer with exit code 1).
    #[arg(long, default_value = duration_text(TARGET.request_timeout), value_parser = spec::duration)]
    pub request_timeout: Duration,
    /// Records per invocation (1–10,000).
    #[arg(long, default_value_t = RUN.local.esm.batch_size)]
    pub batch_size: usize,
    /// Where to start reading.
    #[arg(long, value_enum, default_value_t = StartingPositionArg::Latest)]
    pub starting_position: StartingPositionArg,
    /// BatchWriteItem calls in flight per batch.
    #[arg(long, default_value_t = RUN.local.processor.write_concurrency)]
    pub write_concurrency: usize,
    /// Stop once every shard is read to its tip, instead of at Ctrl-C.
    #[arg(long)]
    pub until_caught_up: bool,
}

impl ConsumeArgs {
    /// The consumer's configuration.
    pub fn config(&self) -> Result<ConsumerConfig, UsageError> {
        check_range("batch-size", self.batch_size, quotas::ESM_BATCH_SIZE, "Lambda's limit")?;
        check_write_concurrency(self.write_concurrency)?;
        let config = ConsumerConfig {
            stream: KinesisTarget {
                stream: self.stream.clone(),
                region: self.region.clone(),
                profile: self.profile.clone(),
                endpoint_url: self.endpoint_url.clone(),
                connect_timeout: self.connect_timeout,
                request_timeout: self.request_timeout,
            },
            table: self.table.clone(),
            dlq_url: self.dlq_url.clone(),
            batch_size: self.batch_size,
            starting_position: self.starting_position.into(),
            processor: retail_function::ProcessorConfig {
                write_concurrency: self.write_concurrency,
                ..retail_function::ProcessorConfig::default()
            },
            retry_budget: Duration::from_secs(20),
        };
        config.stream.validate()?;
        Ok(config)
    }
}

/// What a late worker does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LateStartArg {
    /// Join the schedule where it is.
    Join,
    /// Refuse to run.
    Refuse,
}

/// The producer model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProducerArg {
    /// Per-shard rates that back off on throttling.
    Adaptive,
    /// The KPL's fixed per-shard token buckets.
    Kpl,
    /// No pacing; backoff and retry.
    Naive,
}

/// The local stream's capacity mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StreamModeArg {
    /// A fixed shard count (the infra's default).
    Provisioned,
    /// On-demand capacity.
    OnDemand,
}

/// The table's capacity mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableModeArg {
    /// Pay per request (the infra's default, PAY_PER_REQUEST).
    OnDemand,
    /// Provisioned write capacity units (PROVISIONED).
    Provisioned,
}

impl RunArgs {
    /// The stream mode the options ask for.
    fn stream_mode(&self) -> Result<StreamMode, ConfigError> {
        match self.stream_mode {
            StreamModeArg::Provisioned => {
                if self.stream_previous_peak_rps.is_some() {
                    return Err(ConfigError::new(
                        "stream-previous-peak-rps",
                        "--stream-previous-peak-rps is for an on-demand stream: add --stream-mode on-demand, or drop it",
                    ));
                }
                Ok(StreamMode::Provisioned)
            }
            StreamModeArg::OnDemand => {
                if self.shards.is_some() {
                    return Err(ConfigError::new(
                        "shards",
                        "an on-demand stream sizes itself (4 shards' worth when new): drop --shards, or use --stream-mode provisioned",
                    ));
                }
                let peak = self.stream_previous_peak_rps.unwrap_or(0.0);
                check_finite("stream-previous-peak-rps", peak, "0 or more records/s")?;
                Ok(StreamMode::OnDemand { previous_peak_rps: peak })
            }
        }
    }

    /// The table mode the options ask for.
    fn table_mode(&self) -> Result<TableMode, ConfigError> {
        match self.table_mode {
            TableModeArg::OnDemand => {
                if self.table_wcu.is_some() {
                    return Err(ConfigError::new(
                        "table-wcu",
                        "--table-wcu sets a provisioned table's capacity: add --table-mode provisioned, or drop it",
                    ));
                }
                let peak = self.table_previous_peak_wcu.unwrap_or(0.0);
                check_finite("table-previous-peak-wcu", peak, "0 or more WCU/s")?;
                Ok(TableMode::OnDemand { previous_peak_wcu: peak, table_quota_wcu: self.table_quota_wcu()? })
            }
            TableModeArg::Provisioned => {
                if self.table_previous_peak_wcu.is_some() {
                    return Err(ConfigError::new(
                        "table-previous-peak-wcu",
                        "--table-previous-peak-wcu is for an on-demand table: drop it with --table-mode provisioned",
                    ));
                }
                let wcu = self.table_wcu.ok_or_else(|| {
                    ConfigError::new("table-wcu", "--table-mode provisioned needs --table-wcu (e.g. --table-wcu 1000)")
                })?;
                let quota = self.table_quota_wcu()?;
                loadgen_engine::checks::check((1.0..=quota).contains(&wcu), "table-wcu", || {
                    if self.table_quota_wcu.is_some() {
                        format!("--table-wcu must be 1–{quota} (the --table-quota-wcu given), not {wcu}")
                    } else {
                        format!(
                            "--table-wcu must be 1–{quota} (DynamoDB's default table quota; an account with a raised \
                             quota says so with --table-quota-wcu), not {wcu}"
                        )
                    }
                })?;
                Ok(TableMode::Provisioned { wcu })
            }
        }
    }

    /// The account's per-table write quota: --table-quota-wcu, or DynamoDB's default.
    fn table_quota_wcu(&self) -> Result<f64, ConfigError> {
        let quota = self.table_quota_wcu.unwrap_or(quotas::DEFAULT_DYNAMODB_TABLE_WCU);
        loadgen_engine::checks::check(quota.is_finite() && quota >= 1.0, "table-quota-wcu", || {
            format!("--table-quota-wcu must be a number of WCU/s, at least 1, not {quota}")
        })?;
        Ok(quota)
    }
}

fn check_finite(option: &'static str, v: f64, what: &str) -> Result<(), ConfigError> {
    loadgen_engine::checks::check(v.is_finite() && v >= 0.0, option, || format!("--{option} must be {what}, not {v}"))
}

/// Spacing of events within the rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ArrivalsArg {
    /// Evenly spaced at the current rate (wrk2's model).
    Uniform,
    /// A Poisson process at the current rate: independent arrivals, realistic bursts.
    Poisson,
}

impl From<ArrivalsArg> for Arrivals {
    fn from(a: ArrivalsArg) -> Self {
        match a {
            ArrivalsArg::Uniform => Arrivals::Uniform,
            ArrivalsArg::Poisson => Arrivals::Poisson,
        }
    }
}

/// Where `consume` starts reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StartingPositionArg {
    /// Only records written after the consumer starts (Lambda's default in the infra).
    Latest,
    /// Everything the stream retains.
    TrimHorizon,
}

impl From<StartingPositionArg> for StartingPosition {
    fn from(p: StartingPositionArg) -> Self {
        match p {
            StartingPositionArg::Latest => StartingPosition::Latest,
            StartingPositionArg::TrimHorizon => StartingPosition::TrimHorizon,
        }
    }
}

/// A report format, by its command-line name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// `summary.txt`: the summary a run prints.
    Text,
    /// `report.md`: Markdown, for a pull request or a wiki.
    Md,
    /// `report.html`: one self-contained page with SVG charts.
    Html,
    /// `timeline.csv`: the per-second time series.
    Csv,
    /// `latency.hlog`: HdrHistogram interval logs (put latency, end-to-end latency).
    Hlog,
    /// `rate.svg`: the rate chart as a picture of its own.
    Svg,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Text => Format::Text,
            FormatArg::Md => Format::Md,
            FormatArg::Html => Format::Html,
            FormatArg::Csv => Format::Csv,
            FormatArg::Hlog => Format::Hlog,
            FormatArg::Svg => Format::Svg,
        }
    }
}

/// Partition key choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeysArg {
    /// The event's userId (as the pipeline's producers do).
    User,
    /// A random key per record.
    Random,
    /// Explicit hash keys spread evenly over the shards.
    Explicit,
}

/// Options of `run`.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("deployed").args(["stream", "stack"]).multiple(true)))]
pub struct RunArgs {
    /// Read the options from a scenario file (TOML; keys are these options without the
    /// dashes, e.g. rps = "20k"); options given here too win. See scenarios/.
    #[arg(long, value_name = "FILE", help_heading = "Load")]
    pub scenario: Option<PathBuf>,
    /// Target events per second (constant profile, or the base of a spike): 5000, 20k, 1.5M.
    #[arg(long, value_parser = spec::rps, help_heading = "Load")]
    pub rps: Option<f64>,
    /// How long to generate load: 90s, 10m, 1h.
    #[arg(long, default_value = duration_text(RUN.driver.duration), value_parser = spec::duration, help_heading = "Load")]
    pub duration: Duration,
    /// Offer one worker's share of a load split over N processes: worker I (from 0) sends
    /// events I, I+N, I+2N… of the schedule, so the N workers together send exactly the
    /// load; `loadgen report` merges their results.
    #[arg(long, value_parser = spec::worker, conflicts_with = "workers", help_heading = "Workers")]
    pub worker: Option<(usize, usize)>,
    /// The load is split over N workers and this one's index is JOB_COMPLETION_INDEX (a
    /// Kubernetes Indexed Job sets it).
    #[arg(long, help_heading = "Workers")]
    pub workers: Option<usize>,
    /// Start the schedule at this time, RFC 3339 (2026-12-01T18:00:00Z) or from now
    /// (+90s), so workers started at different moments begin together.
    #[arg(long, value_parser = spec::start_at, help_heading = "Workers")]
    pub start_at: Option<std::time::SystemTime>,
    /// A worker that starts after --start-at: join the schedule where it is (the events
    /// already due are counted as missed) or refuse to run.
    #[arg(long, value_enum, default_value_t = LateStartArg::Join, requires = "start_at", help_heading = "Workers")]
    pub late_start: LateStartArg,
    /// Rate over time: constant, ramp:FROM..TO[@OVER], steps:R@D,R@D,..., spike:PEAK@AT+FOR.
    #[arg(long, default_value = "constant", value_parser = spec::profile, help_heading = "Load")]
    pub rate_profile: ProfileSpec,
    /// Spacing of events within the rate.
    #[arg(long, value_enum, default_value_t = ArrivalsArg::Uniform, help_heading = "Load")]
    pub arrivals: ArrivalsArg,
    /// Seed for every random choice; the same seed repeats the same run (default: random, printed).
    #[arg(long, help_heading = "Load")]
    pub seed: Option<u64>,

    /// Distinct users.
    #[arg(long, default_value_t = RUN.generator.users, help_heading = "Events")]
    pub users: usize,
    /// How often users appear: uniform, zipf[:S], hot:KEYS:SHARE.
    #[arg(long, default_value = "uniform", value_parser = spec::popularity, help_heading = "Events")]
    pub user_popularity: Popularity,
    /// One user sends this share of the events: 0.1 or 10% (as plan's --hot-key-share;
    /// the same as --user-popularity hot:1:SHARE).
    #[arg(long, value_parser = spec::parse_share, conflicts_with = "user_popularity", help_heading = "Events")]
    pub hot_key_share: Option<f64>,
    /// Partition keys.
    #[arg(long, value_enum, default_value_t = KeysArg::User, help_heading = "Events")]
    pub keys: KeysArg,
    /// Distinct products (Zipf-popular).
    #[arg(long, default_value_t = RUN.generator.products, help_heading = "Events")]
    pub products: usize,
    /// Event type weights.
    #[arg(long, default_value = spec::mix_text(&RUN.generator.mix), value_parser = spec::mix, help_heading = "Events")]
    pub mix: EventMix,
    /// Average record data size (as plan's --record-bytes; the partition key is extra):
    /// events are padded up to it with a "pad" field, 360, 1KiB (default: the event's own
    /// size, about 350 bytes; a smaller value pads nothing).
    #[arg(long, visible_alias = "record-bytes", value_parser = spec::bytes, help_heading = "Events")]
    pub payload_bytes: Option<usize>,
    /// Share of records made invalid on purpose (0.01 or 1%); they must end in the DLQ.
    #[arg(long, default_value_t = RUN.generator.invalid_rate, value_parser = spec::parse_share, help_heading = "Events")]
    pub invalid_rate: f64,

    /// Send to this Kinesis stream instead of the embedded local pipeline.
    #[arg(long, help_heading = "Target")]
    pub stream: Option<String>,
    /// Target a pipeline deployed from infra/: its CloudFormation stack's outputs name the
    /// stream, the table, the dead-letter queue and the function (flags given too win).
    #[arg(long, help_heading = "Target")]
    pub stack: Option<String>,
    /// AWS region of the stream (default: the standard chain's, e.g. AWS_REGION).
    #[arg(long, requires = "deployed", help_heading = "Target")]
    pub region: Option<String>,
    /// Named AWS profile (default: the standard chain's).
    #[arg(long, requires = "deployed", help_heading = "Target")]
    pub profile: Option<String>,
    /// Kinesis endpoint, e.g. http://127.0.0.1:4567 for kinesalite (default: AWS_ENDPOINT_URL, else AWS).
    #[arg(long, requires = "deployed", help_heading = "Target")]
    pub endpoint_url: Option<String>,
    /// Longest wait for a connection to an AWS endpoint.
    #[arg(long, default_value = duration_text(TARGET.connect_timeout), value_parser = spec::duration, help_heading = "Target")]
    pub connect_timeout: Duration,
    /// Longest wait for one AWS request's answer; a stream that stops answering ends the
    /// run like a lost connection (exit 1, the partial results written).
    #[arg(long, default_value = duration_text(TARGET.request_timeout), value_parser = spec::duration, help_heading = "Target")]
    pub request_timeout: Duration,
    /// Verify end to end: look sampled events up in this DynamoDB table after the run.
    #[arg(long, requires = "deployed", help_heading = "Target")]
    pub table: Option<String>,
    /// Verify end to end: count what this SQS dead-letter queue gains during the run.
    #[arg(long, requires = "deployed", help_heading = "Target")]
    pub dlq_url: Option<String>,
    /// Accepted events sampled for the table lookup (memory is bounded by this).
    #[arg(long, default_value_t = RUN.verify.trace_sample, help_heading = "Target")]
    pub trace_sample: usize,
    /// The deployed function, whose Lambda and EMF metrics are read after the run.
    #[arg(long, requires = "deployed", help_heading = "Target")]
    pub function: Option<String>,
    /// Do not read the deployed pipeline's CloudWatch metrics after the run.
    #[arg(long, requires = "deployed", help_heading = "Target")]
    pub no_pipeline_metrics: bool,
    /// Longest wait for CloudWatch to publish the load's last minute before the metrics
    /// are read (they arrive a minute or two late).
    #[arg(long, default_value = duration_text(METRICS.wait), value_parser = spec::duration, help_heading = "Target")]
    pub metrics_wait: Duration,

    /// How records are paced per shard: adaptive (a per-shard rate that backs off when the
    /// shard throttles and grows back while accepted, never above the shard's quota),
    /// kpl (the Kinesis Producer Library's fixed per-shard token buckets at --rate-limit),
    /// or naive (send when due, back off and retry throttled records: what no deployed
    /// producer should do).
    #[arg(long, value_enum, default_value_t = ProducerArg::Adaptive, help_heading = "Producer")]
    pub producer: ProducerArg,
    /// The kpl producer's per-shard rate, % of the shard quota (the KPL's RateLimit).
    #[arg(long, default_value_t = KPL_DEFAULT_RATE_LIMIT * 100.0, help_heading = "Producer")]
    pub rate_limit: f64,
    /// Events the adaptive producer holds waiting for their shard at most; beyond it new
    /// events expire with the reason "producer buffer full".
    #[arg(long, default_value_t = RUN.driver.producer.max_buffered, help_heading = "Producer")]
    pub max_buffered: usize,
    /// Pack user records into KPL aggregated records per shard (the function de-aggregates
    /// them): a shard's 1,000 records/s then carry many more events.
    #[arg(long, help_heading = "Producer")]
    pub aggregate: bool,
    /// An aggregated record's data at most, bytes (the KPL's AggregationMaxSize).
    #[arg(long, default_value_t = KPL_AGGREGATION_MAX_BYTES, requires = "aggregate", help_heading = "Producer")]
    pub aggregation_max_bytes: usize,
    /// Records per PutRecords request (1–500).
    #[arg(long, default_value_t = RUN.driver.batch.max_records, help_heading = "Producer")]
    pub max_batch_records: usize,
    /// Bytes per PutRecords request.
    #[arg(long, default_value_t = RUN.driver.batch.max_bytes, help_heading = "Producer")]
    pub max_batch_bytes: usize,
    /// Longest wait for a request to fill.
    #[arg(long, default_value = duration_text(RUN.driver.batch.linger), value_parser = spec::duration, help_heading = "Producer")]
    pub linger: Duration,
    /// PutRecords requests in flight at most.
    #[arg(long, default_value_t = RUN.driver.max_in_flight, help_heading = "Producer")]
    pub max_in_flight: usize,
    /// Give up on an event this long after its intended send time.
    #[arg(long, default_value = duration_text(RUN.driver.record_ttl), value_parser = spec::duration, help_heading = "Producer")]
    pub record_ttl: Duration,

    /// Shards of the local stream (default 1, as the infra default), or auto: the shards
    /// the capacity plan gives for the load (its peak, record size and hottest user, at
    /// --target-utilization).
    #[arg(long, value_parser = spec::shards, help_heading = "Local pipeline model")]
    pub shards: Option<spec::Shards>,
    /// The local stream's capacity mode: provisioned (--shards) or on-demand (a new
    /// stream takes 4,000 records/s, four shards' worth, or double
    /// --stream-previous-peak-rps; each shard keeps its limit, so hot keys still throttle).
    #[arg(long, value_enum, default_value_t = StreamModeArg::Provisioned, help_heading = "Local pipeline model")]
    pub stream_mode: StreamModeArg,
    /// The on-demand stream's previous peak, records/s (default 0: a new stream).
    #[arg(long, help_heading = "Local pipeline model")]
    pub stream_previous_peak_rps: Option<f64>,
    /// Per-shard write quota, records/s (AWS: 1,000; change it only to model something else).
    #[arg(long, default_value_t = quotas::SHARD_WRITE_RECORDS_PER_SEC, help_heading = "Local pipeline model")]
    pub shard_records_per_sec: u32,
    /// Per-shard write quota, bytes/s including partition keys (AWS: 1 MiB).
    #[arg(long, default_value_t = quotas::SHARD_WRITE_BYTES_PER_SEC, help_heading = "Local pipeline model")]
    pub shard_bytes_per_sec: u32,
    /// Per-shard read quota, GetRecords calls/s (AWS: 5).
    #[arg(long, default_value_t = quotas::SHARD_READ_CALLS_PER_SEC, help_heading = "Local pipeline model")]
    pub shard_read_calls_per_sec: u32,
    /// Per-shard read quota, bytes/s (AWS: 2 MiB).
    #[arg(long, default_value_t = quotas::SHARD_READ_BYTES_PER_SEC, help_heading = "Local pipeline model")]
    pub shard_read_bytes_per_sec: u32,
    /// Event source mapping batch size (1–10,000).
    #[arg(long, default_value_t = RUN.local.esm.batch_size, help_heading = "Local pipeline model")]
    pub batch_size: usize,
    /// Event source mapping batching window (0–300s).
    #[arg(long, default_value = duration_text(RUN.local.esm.batching_window), value_parser = spec::duration, help_heading = "Local pipeline model")]
    pub batching_window: Duration,
    /// Concurrent invocations per shard (1–10).
    #[arg(long, default_value_t = RUN.local.esm.parallelization, help_heading = "Local pipeline model")]
    pub parallelization_factor: usize,
    /// Retries of a failing batch (-1 = until the record expires).
    #[arg(long, default_value_t = RUN.local.esm.max_retry_attempts.map_or(-1, i64::from), help_heading = "Local pipeline model")]
    pub max_retry_attempts: i64,
    /// Do not split a batch whose invocation failed.
    #[arg(long, help_heading = "Local pipeline model")]
    pub no_bisect: bool,
    /// The function's timeout.
    #[arg(long, default_value = duration_text(RUN.local.esm.function_timeout), value_parser = spec::duration, help_heading = "Local pipeline model")]
    pub function_timeout: Duration,
    /// Modelled duration of one BatchWriteItem call.
    #[arg(long, default_value = duration_text(RUN.local.table_write_latency), value_parser = spec::duration, help_heading = "Local pipeline model")]
    pub table_write_latency: Duration,
    /// Share of items each BatchWriteItem leaves unprocessed (models DynamoDB throttling:
    /// exercises the function's retries and Lambda's redeliveries).
    #[arg(long, default_value_t = RUN.local.table_unprocessed_rate, value_parser = spec::parse_share, help_heading = "Local pipeline model")]
    pub table_unprocessed_rate: f64,
    /// The function's memory, MB (Lambda gives CPU in proportion: one vCPU at 1,769 MB;
    /// the modelled invocation takes the processor's CPU time at that share).
    #[arg(long, default_value_t = RUN.local.lambda.memory_mb, help_heading = "Local pipeline model")]
    pub lambda_memory: u32,
    /// Concurrent executions at most (the regional limit, or a reserved concurrency);
    /// lanes over it are throttled and wait.
    #[arg(long, default_value_t = RUN.local.lambda.concurrency_limit, help_heading = "Local pipeline model")]
    pub lambda_concurrency_limit: u32,
    /// The table's capacity mode, as the infra's DynamoDBBillingMode: on-demand (a new
    /// table takes 4,000 WCU/s, or double --table-previous-peak-wcu) or provisioned
    /// (--table-wcu, with 300 s of burst capacity). Either way one user's key takes at
    /// most 1,000 WCU/s.
    #[arg(long, value_enum, default_value_t = TableModeArg::OnDemand, help_heading = "Local pipeline model")]
    pub table_mode: TableModeArg,
    /// Provisioned write capacity units (with --table-mode provisioned).
    #[arg(long, help_heading = "Local pipeline model")]
    pub table_wcu: Option<f64>,
    /// The on-demand table's previous peak, WCU/s (default 0: a new table).
    #[arg(long, help_heading = "Local pipeline model")]
    pub table_previous_peak_wcu: Option<f64>,
    /// The account's write quota per table, WCU/s (default 40,000, DynamoDB's default
    /// in us-east-1): the most on-demand scales to and the most --table-wcu may be. Give
    /// it when Service Quotas raised yours.
    #[arg(long, help_heading = "Local pipeline model")]
    pub table_quota_wcu: Option<f64>,
    /// BatchWriteItem calls in flight per invocation (the function's WRITE_CONCURRENCY).
    #[arg(long, default_value_t = RUN.local.processor.write_concurrency, help_heading = "Local pipeline model")]
    pub write_concurrency: usize,
    /// Longest wait for the pipeline to finish processing after the load stops.
    #[arg(long, default_value = duration_text(RUN.settle), value_parser = spec::duration, help_heading = "Local pipeline model")]
    pub settle: Duration,

    /// Share of a shard's quota the recommendation may use (0–1].
    #[arg(long, default_value_t = RUN.target_utilization, value_parser = spec::parse_share, help_heading = "Report")]
    pub target_utilization: f64,
    /// Directory to write result.json and summary.txt into.
    #[arg(long, help_heading = "Report")]
    pub out: Option<PathBuf>,
    /// Progress every this often (default: 1s on a terminal, 10s otherwise).
    #[arg(long, value_parser = spec::duration, help_heading = "Report")]
    pub progress_every: Option<Duration>,
    /// No live progress.
    #[arg(long, short, help_heading = "Report")]
    pub quiet: bool,
    /// Errors from AWS carry the SDK's whole error chain after the sentence (for a bug
    /// report).
    #[arg(long, short, help_heading = "Report")]
    pub verbose: bool,
    /// Serve the run's live figures (counters, rates, in-flight events, latency
    /// histograms) as OpenMetrics text on http://ADDR/metrics for Prometheus, e.g.
    /// :9464 (every interface) or 127.0.0.1:9464.
    #[arg(long, value_name = "ADDR", value_parser = spec::listen_addr, conflicts_with = "find_limit", help_heading = "Report")]
    pub metrics_listen: Option<std::net::SocketAddr>,

    /// Search for the highest rate the local pipeline sustains within the objectives
    /// (--max-throttle-rate, default 0.001; --max-p99), starting at --rps.
    #[arg(long, help_heading = "Finding the limit")]
    pub find_limit: bool,
    /// Length of each trial of the search.
    #[arg(long, default_value = duration_text(LimitSearch::default().trial), value_parser = spec::duration, help_heading = "Finding the limit")]
    pub limit_trial: Duration,
    /// Highest rate the search tries.
    #[arg(long, default_value_t = LimitSearch::default().max_rps, help_heading = "Finding the limit")]
    pub limit_max_rps: f64,
    /// Stop when the bracket is within this share of the rate.
    #[arg(long, default_value_t = LimitSearch::default().precision, help_heading = "Finding the limit")]
    pub limit_precision: f64,

    /// Fail (exit 3) if the corrected put latency p99 exceeds this.
    #[arg(long, value_parser = spec::duration, help_heading = "Thresholds (exit code 3)")]
    pub max_p99: Option<Duration>,
    /// Fail if more than this share of put attempts is throttled: 0.001 or 0.1%.
    #[arg(long, value_parser = spec::parse_share, help_heading = "Thresholds (exit code 3)")]
    pub max_throttle_rate: Option<f64>,
    /// Fail if the achieved rate is below this many events per second.
    #[arg(long, help_heading = "Thresholds (exit code 3)")]
    pub min_achieved_rate: Option<f64>,
    /// Fail if more than this many events were lost (expired, or accepted but never stored
    /// nor dead-lettered).
    #[arg(long, help_heading = "Thresholds (exit code 3)")]
    pub max_lost: Option<u64>,
}

/// A command line that cannot run: what is wrong and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    /// A value the engine's configuration refuses.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Options that cannot go together, or a spec that does not parse.
    #[error("{0}")]
    Options(String),
}

impl UsageError {
    /// A problem with the options themselves.
    pub fn new(message: impl Into<String>) -> Self {
        UsageError::Options(message.into())
    }
}

fn check(ok: bool, message: impl FnOnce() -> String) -> Result<(), UsageError> {
    if ok {
        Ok(())
    } else {
        Err(UsageError::new(message()))
    }
}

/// A validated `run`: the engine's configuration, and what the CLI does around it.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// What the engine runs.
    pub config: RunConfig,
    /// Search for the limit instead of a single run.
    pub find_limit: Option<LimitSearch>,
    /// Where to write results.
    pub out: Option<PathBuf>,
    /// Progress period (`None`: quiet).
    pub progress_every: Option<Duration>,
    /// Where to serve the live figures.
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// With `--shards auto`, the plan that sized the local stream.
    pub auto_shards: Option<loadgen_engine::capacity::shards::ShardPlan>,
}

impl RunArgs {
    /// This process's share of the load: `--worker I/N`, or `--workers N` with the index
    /// from `JOB_COMPLETION_INDEX`.
    fn worker_split(&self) -> Result<WorkerSplit, UsageError> {
        match (self.worker, self.workers) {
            (Some((index, count)), _) => Ok(WorkerSplit { index, count }),
            (None, Some(count)) => {
                check(count >= 1, || "--workers must be at least 1".into())?;
                let value = std::env::var("JOB_COMPLETION_INDEX").map_err(|_| {
                    UsageError::new(
                        "--workers takes this worker's index from JOB_COMPLETION_INDEX, which is not set: set it, or use --worker INDEX/COUNT",
                    )
                })?;
                let index: usize = value.trim().parse().map_err(|_| {
                    UsageError::new(format!("JOB_COMPLETION_INDEX is '{value}', not a worker index (0, 1, 2…)"))
                })?;
                check(index < count, || {
                    format!("JOB_COMPLETION_INDEX is {index}, but --workers {count} has indexes 0 to {}", count - 1)
                })?;
                Ok(WorkerSplit { index, count })
            }
            (None, None) => Ok(WorkerSplit::ALONE),
        }
    }

    /// The run's seed: `--seed`, or random; the workers of a split load must share one, so
    /// with `--worker`/`--workers` it is `--seed` or derived from `--start-at`.
    fn seed(&self) -> Result<u64, UsageError> {
        match (self.seed, self.worker.is_some() || self.workers.is_some(), self.start_at) {
            (Some(seed), _, _) => Ok(seed),
            (None, false, _) => Ok(rand::random()),
            (None, true, Some(at)) => {
                Ok(at.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()) ^ 0x005e_ed0f_10ad)
            }
            (None, true, None) => Err(UsageError::new(
                "the workers of one load must share a seed: add --seed N (any number, the same on every worker) or --start-at",
            )),
        }
    }

    /// The producer model the options ask for.
    fn producer(&self) -> Result<ProducerConfig, UsageError> {
        let model = match self.producer {
            ProducerArg::Naive => ProducerModel::Naive,
            ProducerArg::Adaptive => ProducerModel::Adaptive,
            ProducerArg::Kpl => {
                check(self.rate_limit.is_finite() && self.rate_limit > 0.0 && self.rate_limit <= 1000.0, || {
                    format!(
                        "--rate-limit is a percentage of the shard quota above 0 and at most 1000, not {}",
                        self.rate_limit
                    )
                })?;
                ProducerModel::Kpl { rate_limit: self.rate_limit / 100.0 }
            }
        };
        check(self.max_buffered >= 1, || "--max-buffered must be at least 1 event".into())?;
        check((AGGREGATION_MIN_BYTES..=quotas::MAX_RECORD_BYTES).contains(&self.aggregation_max_bytes), || {
            format!(
                "--aggregation-max-bytes must be {AGGREGATION_MIN_BYTES} to {} (a Kinesis record's limit), not {}",
                quotas::MAX_RECORD_BYTES,
                self.aggregation_max_bytes
            )
        })?;
        Ok(ProducerConfig { model, max_buffered: self.max_buffered, ..RUN.driver.producer })
    }

    /// These options with what a stack's outputs name filled in where no flag named it.
    pub fn with_stack(&self, found: &StackResources) -> RunArgs {
        let mut args = self.clone();
        let fill = |flag: &mut Option<String>, output: &Option<String>| {
            if flag.is_none() {
                flag.clone_from(output);
            }
        };
        fill(&mut args.stream, &found.stream);
        fill(&mut args.table, &found.table);
        fill(&mut args.dlq_url, &found.dlq_url);
        fill(&mut args.function, &found.function);
        args
    }

    /// Where the stack's outputs are read from: the target options without a stream.
    pub fn stack_target(&self) -> KinesisTarget {
        KinesisTarget {
            stream: String::new(),
            region: self.region.clone(),
            profile: self.profile.clone(),
            endpoint_url: None,
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
        }
    }

    /// Who sends the events: `--hot-key-share S` is one hot user with that share.
    fn popularity(&self) -> Popularity {
        match self.hot_key_share {
            Some(share) => Popularity::Hot { keys: 1, share },
            None => self.user_popularity.clone(),
        }
    }

    /// `--shards auto`: the shards the load needs, from its peak rate, its record size
    /// (the padding target, or the planner's typical event) and its hottest user.
    fn auto_shards(
        &self,
        profile: &loadgen_engine::load::schedule::RateProfile,
    ) -> loadgen_engine::capacity::shards::ShardPlan {
        use loadgen_engine::capacity::shards::{plan_shards, KeyLoad, Load};
        let peak = profile.peak_rps();
        let bytes = self.payload_bytes.map_or(PLAN.record_bytes + PLAN.key_bytes, |p| p as f64 + PLAN.key_bytes);
        let hottest = (self.keys == KeysArg::User).then(|| {
            KeyLoad::at_mean("the hottest user".into(), peak * self.popularity().hottest_share(self.users), bytes)
        });
        plan_shards(&Load {
            records_per_sec: peak,
            mean_record_bytes: bytes,
            hottest_key: hottest,
            target_utilization: self.target_utilization,
        })
    }

    /// Validates the options into a plan. `is_terminal` picks the progress default.
    pub fn plan(&self, is_terminal: bool) -> Result<RunPlan, UsageError> {
        let profile = self.rate_profile.resolve(self.rps, self.duration).map_err(UsageError::new)?;
        if self.stream.is_some() {
            check(self.shards.is_none(), || {
                "--shards sets the local model's shard count; with --stream the stream's own shards are used: drop --shards".into()
            })?;
        }
        check(self.max_retry_attempts >= -1 && self.max_retry_attempts <= 10_000, || {
            "--max-retry-attempts must be -1 (unbounded) to 10000".into()
        })?;
        let auto_shards = (self.shards == Some(spec::Shards::Auto)).then(|| self.auto_shards(&profile));
        let shards = match (self.shards, &auto_shards) {
            (Some(spec::Shards::Count(n)), _) => n,
            (_, Some(plan)) => plan.shards.max(plan.by_records).max(plan.by_bytes) as usize,
            _ => RUN.local.shards,
        };
        let keys = match self.keys {
            KeysArg::User => KeyModel::User,
            KeysArg::Random => KeyModel::Random,
            KeysArg::Explicit => KeyModel::explicit(shards.clamp(1, 100_000)),
        };
        let config = RunConfig {
            driver: DriverConfig {
                profile,
                arrivals: self.arrivals.into(),
                duration: self.duration,
                batch: BatchLimits {
                    max_records: self.max_batch_records,
                    max_bytes: self.max_batch_bytes,
                    linger: self.linger,
                },
                max_in_flight: self.max_in_flight,
                record_ttl: self.record_ttl,
                producer: self.producer()?,
                worker: self.worker_split()?,
                start_at: self.start_at.map(|at| StartAt {
                    at,
                    late: match self.late_start {
                        LateStartArg::Join => LateStart::Join,
                        LateStartArg::Refuse => LateStart::Refuse,
                    },
                }),
                aggregation: self
                    .aggregate
                    .then_some(AggregationConfig { max_bytes: self.aggregation_max_bytes, linger: self.linger }),
                ..RUN.driver.clone()
            },
            generator: GeneratorConfig {
                users: self.users,
                popularity: self.popularity(),
                products: self.products,
                mix: self.mix,
                payload_bytes: self.payload_bytes,
                invalid_rate: self.invalid_rate,
                keys,
                ..RUN.generator.clone()
            },
            target: self.stream.as_ref().map(|stream| KinesisTarget {
                stream: stream.clone(),
                region: self.region.clone(),
                profile: self.profile.clone(),
                endpoint_url: self.endpoint_url.clone(),
                connect_timeout: self.connect_timeout,
                request_timeout: self.request_timeout,
            }),
            verify: VerifyConfig {
                table: self.table.clone(),
                dlq_url: self.dlq_url.clone(),
                trace_sample: self.trace_sample,
                metrics: (!self.no_pipeline_metrics)
                    .then(|| MetricsConfig { function: self.function.clone(), wait: self.metrics_wait }),
            },
            local: LocalConfig {
                shards,
                stream_mode: self.stream_mode()?,
                write_quota: WriteQuota {
                    records_per_sec: f64::from(self.shard_records_per_sec),
                    bytes_per_sec: f64::from(self.shard_bytes_per_sec),
                },
                esm: EsmConfig {
                    batch_size: self.batch_size,
                    batching_window: self.batching_window,
                    parallelization: self.parallelization_factor,
                    max_retry_attempts: u32::try_from(self.max_retry_attempts).ok(),
                    bisect_on_error: !self.no_bisect,
                    function_timeout: self.function_timeout,
                    read_calls_per_sec: self.shard_read_calls_per_sec,
                    read_bytes_per_sec: self.shard_read_bytes_per_sec,
                    ..RUN.local.esm
                },
                table_write_latency: self.table_write_latency,
                table_unprocessed_rate: self.table_unprocessed_rate,
                table_mode: self.table_mode()?,
                lambda: LambdaConfig {
                    memory_mb: self.lambda_memory,
                    concurrency_limit: self.lambda_concurrency_limit,
                    ..RUN.local.lambda
                },
                processor: retail_function::ProcessorConfig {
                    write_concurrency: self.write_concurrency,
                    ..RUN.local.processor
                },
            },
            thresholds: Thresholds {
                max_p99: self.max_p99,
                max_throttle_rate: self.max_throttle_rate,
                min_achieved_rate: self.min_achieved_rate,
                max_lost: self.max_lost,
            },
            target_utilization: self.target_utilization,
            settle: self.settle,
            seed: self.seed()?,
            scenario: match &self.scenario {
                None => None,
                Some(file) => Some(loadgen_engine::config::ScenarioRecord {
                    file: file.display().to_string(),
                    text: std::fs::read_to_string(file)
                        .map_err(|e| UsageError::new(format!("--scenario {}: cannot read it ({e})", file.display())))?,
                }),
            },
        };
        config.validate()?;
        let find_limit = self.find_limit.then(|| LimitSearch {
            start_rps: self.rps.unwrap_or(LimitSearch::default().start_rps),
            max_rps: self.limit_max_rps,
            trial: self.limit_trial,
            precision: self.limit_precision,
            max_throttle_rate: self.max_throttle_rate.unwrap_or(LimitSearch::default().max_throttle_rate),
            max_p99: self.max_p99,
        });
        if let Some(search) = &find_limit {
            search.validate(&config)?;
        }
        let progress_every = (!self.quiet).then(|| {
            self.progress_every.unwrap_or(if is_terminal { Duration::from_secs(1) } else { Duration::from_secs(10) })
        });
        Ok(RunPlan {
            config,
            find_limit,
            out: self.out.clone(),
            progress_every,
            metrics_listen: self.metrics_listen,
            auto_shards,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn plan(args: &[&str]) -> Result<RunPlan, UsageError> {
        let cli = parse_from(std::iter::once("loadgen").chain(args.iter().copied())).unwrap();
        match cli.command {
            Some(Command::Run(a)) => a.plan(false),
            Some(_) => panic!("not a run"),
            None => cli.run.plan(false),
        }
    }

    #[test]
    fn report_options() {
        let cli = parse_from([
            "loadgen",
            "report",
            "a",
            "b",
            "--out",
            "m",
            "--format",
            "md,csv",
            "--max-regression",
            "p99=10%",
            "--baseline",
            "base",
        ])
        .unwrap();
        let Some(Command::Report(r)) = cli.command else { panic!("a report") };
        assert_eq!(r.runs.len(), 2);
        assert_eq!(r.formats(), [Format::Md, Format::Csv]);
        assert_eq!(r.out_dir().unwrap(), PathBuf::from("m"));
        let cli = parse_from(["loadgen", "report", "a", "b"]).unwrap();
        let Some(Command::Report(r)) = cli.command else { panic!("a report") };
        assert!(r.out_dir().unwrap_err().to_string().contains("--out DIR"));
        let e = parse_from(["loadgen", "report", "a", "--baseline", "b", "--max-regression", "p98=1%"]).unwrap_err();
        assert!(e.to_string().contains("unknown metric 'p98'"), "{e}");
        let e = parse_from(["loadgen", "report", "a", "--max-regression", "p99=1%"]).unwrap_err();
        assert!(e.to_string().contains("--baseline"), "a limit without a baseline is refused: {e}");
    }

    #[test]
    fn defaults_are_the_engines() {
        let a = plan(&["--rps", "100"]).unwrap();
        let d = RunConfig::default();
        assert_eq!(a.config.driver.duration, d.driver.duration);
        assert_eq!(a.config.driver.batch, d.driver.batch);
        assert_eq!(a.config.driver.record_ttl, d.driver.record_ttl);
        assert_eq!(a.config.local, LocalConfig { shards: 1, ..d.local });
        assert_eq!(a.config.generator.mix, d.generator.mix);
        assert_eq!(a.config.settle, d.settle);
        let cli = parse_from(["loadgen", "plan", "--rps", "1000"]).unwrap();
        let Some(Command::Plan(p)) = cli.command else { panic!("a plan") };
        assert_eq!(p.request().input(&[]).unwrap(), PlanInput::default());
    }

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn rates_and_sizes_take_units() {
        let a = plan(&["--rps", "20k", "--payload-bytes", "1KiB"]).unwrap();
        let b = plan(&["--rps", "20000", "--payload-bytes", "1024"]).unwrap();
        assert_eq!(a.config.driver.profile, b.config.driver.profile);
        assert_eq!(a.config.generator.payload_bytes, Some(1024));
        let ramp = plan(&["--rate-profile", "ramp:0..20k"]).unwrap();
        assert_eq!(
            ramp.config.driver.profile,
            plan(&["--rate-profile", "ramp:0..20000"]).unwrap().config.driver.profile
        );
    }

    #[test]
    fn run_is_the_default_subcommand() {
        let a = plan(&["--rps", "5000", "--duration", "10m"]).unwrap();
        let b = plan(&["run", "--rps", "5000", "--duration", "10m"]).unwrap();
        assert_eq!(a.config.driver.profile, b.config.driver.profile);
        assert_eq!(a.config.driver.duration, Duration::from_secs(600));
        assert_eq!(a.config.local.shards, 1);
        assert_eq!(a.config.local.esm.batch_size, 100);
        assert_eq!(a.config.local.esm.batching_window, Duration::from_secs(5));
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for args in [
            vec!["--rps", "0"],
            vec!["--rps", "-5"],
            vec![],
            vec!["--rps", "10", "--rate-profile", "ramp:0..100"],
            vec!["--rps", "10", "--shards", "0"],
            vec!["--rps", "10", "--parallelization-factor", "11"],
            vec!["--rps", "10", "--table-mode", "provisioned"],
            vec!["--rps", "10", "--payload-bytes", "2000000"],
        ] {
            assert!(plan(&args).is_err(), "{args:?} should be refused");
        }
    }
}
