//! Finding the limit: the highest rate the local pipeline sustains within objectives.
//!
//! Trials are short constant-rate runs. From the starting rate the search doubles until a
//! trial misses an objective, then bisects between the last rate that held and the first
//! that did not, until they are within `precision` of each other. The objectives: a
//! throttled share of put attempts no higher than `max_throttle_rate`, nothing expired,
//! the corrected put p99 within `max_p99` (if set), and the consumer keeping up (iterator
//! age within the batching window plus five seconds).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::checks::{check, ConfigError};
use crate::config::RunConfig;
use crate::load::schedule::RateProfile;
use crate::observe::Silent;
use crate::outcome::result::RunResult;
use crate::outcome::thresholds::Thresholds;
use crate::run::{run_local, RunError};
use crate::stop::Stop;

/// How the search runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimitSearch {
    /// First rate tried.
    pub start_rps: f64,
    /// Never try above this.
    pub max_rps: f64,
    /// Length of each trial.
    pub trial: Duration,
    /// Stop when the bracket is narrower than this share of its upper end.
    pub precision: f64,
    /// Highest throttled share of put attempts that still holds.
    pub max_throttle_rate: f64,
    /// Highest corrected put p99 that still holds.
    pub max_p99: Option<Duration>,
}

impl Default for LimitSearch {
    fn default() -> Self {
        Self {
            start_rps: 1000.0,
            max_rps: 1_000_000.0,
            trial: Duration::from_secs(10),
            precision: 0.02,
            max_throttle_rate: 0.001,
            max_p99: None,
        }
    }
}

impl LimitSearch {
    /// The search's own ranges, and that it runs against the local model.
    pub fn validate(&self, config: &RunConfig) -> Result<(), ConfigError> {
        check(config.target.is_none(), "find-limit", || {
            "--find-limit searches the local pipeline model; drop --stream (or search a real stream with several runs)"
                .into()
        })?;
        check(self.precision > 0.0 && self.precision < 0.5, "limit-precision", || {
            "--limit-precision is a share between 0 and 0.5, e.g. 0.02".into()
        })?;
        check(self.trial >= MIN_TRIAL, "limit-trial", || {
            format!(
                "--limit-trial must be at least {}: shorter trials cannot measure a one-second quota",
                humantime::format_duration(MIN_TRIAL)
            )
        })?;
        check(self.start_rps.is_finite() && self.start_rps > 0.0, "rps", || {
            "--find-limit starts at --rps, which must be a positive rate".into()
        })?;
        check(self.max_rps.is_finite() && self.max_rps >= self.start_rps, "limit-max-rps", || {
            format!("--limit-max-rps ({}) must be at least the starting --rps ({})", self.max_rps, self.start_rps)
        })
    }
}

/// The shortest trial the search runs: a few of the stream's one-second quota windows.
pub const MIN_TRIAL: Duration = Duration::from_secs(2);

/// One trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    /// Rate tried.
    pub rps: f64,
    /// Whether every objective held.
    pub held: bool,
    /// Throttled share of attempts.
    pub throttle_rate: f64,
    /// Corrected put p99, ms.
    pub put_p99_ms: f64,
    /// Largest iterator age, ms.
    pub max_iterator_age_ms: f64,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LimitResult {
    /// The highest rate that held (0 if none did).
    pub limit_rps: f64,
    /// Every trial, in order.
    pub trials: Vec<Trial>,
    /// Stopped by a stop request before the bracket closed: the limit is a lower bound.
    #[serde(default)]
    pub interrupted: bool,
}

fn judge(r: &RunResult, search: &LimitSearch, window: Duration) -> Trial {
    let throttle_rate = r.ledger.throttle_rate();
    let p99 = r.latency_ms.put_corrected.p99;
    let age = r.pipeline.as_ref().map_or(0.0, |p| p.max_iterator_age_ms);
    let held = throttle_rate <= search.max_throttle_rate
        && r.ledger.expired == 0
        && search.max_p99.is_none_or(|m| p99 <= m.as_secs_f64() * 1000.0)
        && age <= (window.as_secs_f64() + 5.0) * 1000.0;
    Trial { rps: r.rate.peak_target_rps, held, throttle_rate, put_p99_ms: p99, max_iterator_age_ms: age }
}

/// Searches with `base` (its rate profile and duration are replaced per trial; its
/// thresholds are not judged). Each finished trial goes to `on_trial`; a stop request
/// ends the search at the trial it interrupts, which is not counted.
pub async fn find_limit(
    base: &RunConfig,
    search: LimitSearch,
    on_trial: &mut dyn FnMut(&Trial),
    stop: Stop,
) -> Result<LimitResult, RunError> {
    search.validate(base)?;
    let window = base.local.esm.batching_window;
    let mut trials = Vec::new();
    let (mut lo, mut hi) = (0.0, f64::INFINITY);
    let mut rps = search.start_rps.max(1.0);
    while rps <= search.max_rps {
        let config = RunConfig {
            driver: crate::load::driver::DriverConfig {
                profile: RateProfile::Constant { rps },
                duration: search.trial,
                ..base.driver.clone()
            },
            thresholds: Thresholds::default(),
            ..base.clone()
        };
        let result = run_local(&config, &mut Silent, stop.clone()).await?.result;
        if result.interrupted {
            return Ok(LimitResult { limit_rps: lo, trials, interrupted: true });
        }
        let t = judge(&result, &search, window);
        on_trial(&t);
        let held = t.held;
        trials.push(t);
        if held {
            lo = rps;
        } else {
            hi = rps;
        }
        rps = if hi.is_infinite() { rps * 2.0 } else { (lo + hi) / 2.0 };
        if hi.is_finite() && (hi - lo) <= search.precision * hi {
            break;
        }
    }
    Ok(LimitResult { limit_rps: lo, trials, interrupted: false })
}
