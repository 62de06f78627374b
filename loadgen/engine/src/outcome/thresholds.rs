//! Thresholds: the limits a CI job sets on a run (exit code 3 when one is missed), judged
//! for single runs and again for merged runs, by the same rules.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::checks::{check, ConfigError};

/// Limits that decide whether a run passes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Thresholds {
    /// Corrected put p99.
    pub max_p99: Option<Duration>,
    /// Throttled share of put attempts.
    pub max_throttle_rate: Option<f64>,
    /// Achieved events/s.
    pub min_achieved_rate: Option<f64>,
    /// Lost events (expired, or accepted but never stored nor dead-lettered).
    pub max_lost: Option<u64>,
}

/// Which threshold: named as the options that set them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ThresholdName {
    /// `--max-p99` (ms).
    MaxP99,
    /// `--max-throttle-rate` (share of attempts).
    MaxThrottleRate,
    /// `--min-achieved-rate` (events/s).
    MinAchievedRate,
    /// `--max-lost` (events).
    MaxLost,
}

impl ThresholdName {
    /// The option's name.
    pub fn as_str(self) -> &'static str {
        match self {
            ThresholdName::MaxP99 => "max-p99",
            ThresholdName::MaxThrottleRate => "max-throttle-rate",
            ThresholdName::MinAchievedRate => "min-achieved-rate",
            ThresholdName::MaxLost => "max-lost",
        }
    }
}

impl std::fmt::Display for ThresholdName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One threshold, judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ThresholdResult {
    /// Option name.
    pub name: ThresholdName,
    /// The limit.
    pub limit: f64,
    /// The measured value.
    pub value: f64,
    /// Whether it passed.
    pub passed: bool,
}

/// The figures thresholds are judged on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// Corrected put p99, ms.
    pub p99_ms: f64,
    /// Throttled share of put attempts.
    pub throttle_rate: f64,
    /// Accepted events per second.
    pub achieved_rps: f64,
    /// Expired plus lost events.
    pub lost: u64,
}

impl Thresholds {
    /// The shares must be shares and the rates non-negative.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(r) = self.max_throttle_rate {
            check((0.0..=1.0).contains(&r), "max-throttle-rate", || {
                format!("--max-throttle-rate is a share from 0 to 1, not {r}")
            })?;
        }
        if let Some(r) = self.min_achieved_rate {
            check(r >= 0.0 && r.is_finite(), "min-achieved-rate", || {
                format!("--min-achieved-rate must be ≥ 0, not {r}")
            })?;
        }
        Ok(())
    }

    /// The limits a run was judged against, read back from its results (to judge merged
    /// runs again with [`Thresholds::judge`]); the first of each name wins.
    pub fn of(results: &[ThresholdResult]) -> Thresholds {
        let mut t = Thresholds::default();
        for r in results {
            match r.name {
                ThresholdName::MaxP99 => {
                    t.max_p99.get_or_insert(Duration::from_secs_f64(r.limit / 1000.0));
                }
                ThresholdName::MaxThrottleRate => {
                    t.max_throttle_rate.get_or_insert(r.limit);
                }
                ThresholdName::MinAchievedRate => {
                    t.min_achieved_rate.get_or_insert(r.limit);
                }
                ThresholdName::MaxLost => {
                    t.max_lost.get_or_insert(r.limit as u64);
                }
            }
        }
        t
    }

    /// Judges the measured figures against the limits that are set.
    pub fn judge(&self, m: &Measured) -> Vec<ThresholdResult> {
        let mut v = Vec::new();
        let mut push = |name, limit: f64, value: f64, passed| v.push(ThresholdResult { name, limit, value, passed });
        if let Some(max) = self.max_p99 {
            let limit = max.as_secs_f64() * 1000.0;
            push(ThresholdName::MaxP99, limit, m.p99_ms, m.p99_ms <= limit);
        }
        if let Some(limit) = self.max_throttle_rate {
            push(ThresholdName::MaxThrottleRate, limit, m.throttle_rate, m.throttle_rate <= limit);
        }
        if let Some(limit) = self.min_achieved_rate {
            push(ThresholdName::MinAchievedRate, limit, m.achieved_rps, m.achieved_rps >= limit);
        }
        if let Some(limit) = self.max_lost {
            push(ThresholdName::MaxLost, limit as f64, m.lost as f64, m.lost <= limit);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judged_limits_read_back_the_same() {
        let t = Thresholds {
            max_p99: Some(Duration::from_millis(250)),
            max_throttle_rate: Some(0.001),
            min_achieved_rate: Some(100.0),
            max_lost: Some(0),
        };
        let judged = t.judge(&Measured { p99_ms: 300.0, throttle_rate: 0.0, achieved_rps: 150.0, lost: 0 });
        assert_eq!(judged.iter().filter(|r| !r.passed).map(|r| r.name).collect::<Vec<_>>(), [ThresholdName::MaxP99]);
        assert_eq!(Thresholds::of(&judged), t);
        assert_eq!(serde_json::to_value(judged[0].name).unwrap(), "max-p99");
    }
}
