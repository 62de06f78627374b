//! A run compared with a baseline run: every metric's delta, and the regressions that
//! set exit code 3.
//!
//! A limit such as `p99=10%` says the metric may get at most 10% worse than the
//! baseline; "worse" is up for latencies, throttling and losses and down for throughput.
//! A metric that was zero in the baseline regresses as soon as it is above zero (no
//! percentage of zero is meaningful), unless the limit is given as an absolute amount
//! (`lost=+100`).

use serde::Serialize;

use crate::outcome::result::RunResult;

/// Which way a metric gets worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Worse {
    /// Latencies, throttles, losses.
    Higher,
    /// Throughput.
    Lower,
}

/// A metric that can be compared.
#[derive(Debug, Clone, Copy)]
pub struct Metric {
    /// Its name on the command line.
    pub name: &'static str,
    /// What it is, with its unit.
    pub what: &'static str,
    /// Which way is worse.
    pub worse: Worse,
    get: fn(&RunResult) -> Option<f64>,
}

impl Metric {
    /// Its value in a run (`None` when the run did not measure it).
    pub fn value(&self, r: &RunResult) -> Option<f64> {
        (self.get)(r)
    }
}

/// Every comparable metric.
pub const METRICS: &[Metric] = &[
    Metric {
        name: "achieved-rps",
        what: "achieved rate, events/s",
        worse: Worse::Lower,
        get: |r| Some(r.rate.achieved_rps),
    },
    Metric {
        name: "p50",
        what: "put latency p50 (corrected), ms",
        worse: Worse::Higher,
        get: |r| Some(r.latency_ms.put_corrected.p50),
    },
    Metric {
        name: "p90",
        what: "put latency p90 (corrected), ms",
        worse: Worse::Higher,
        get: |r| Some(r.latency_ms.put_corrected.p90),
    },
    Metric {
        name: "p99",
        what: "put latency p99 (corrected), ms",
        worse: Worse::Higher,
        get: |r| Some(r.latency_ms.put_corrected.p99),
    },
    Metric {
        name: "p999",
        what: "put latency p99.9 (corrected), ms",
        worse: Worse::Higher,
        get: |r| Some(r.latency_ms.put_corrected.p999),
    },
    Metric {
        name: "max",
        what: "put latency max (corrected), ms",
        worse: Worse::Higher,
        get: |r| Some(r.latency_ms.put_corrected.max),
    },
    Metric {
        name: "service-p99",
        what: "PutRecords call p99, ms",
        worse: Worse::Higher,
        get: |r| Some(r.latency_ms.service_time.p99),
    },
    Metric {
        name: "e2e-p99",
        what: "end-to-end latency p99, ms",
        worse: Worse::Higher,
        get: |r| r.latency_ms.end_to_end.map(|p| p.p99),
    },
    Metric {
        name: "throttle-rate",
        what: "throttled share of put attempts",
        worse: Worse::Higher,
        get: |r| Some(r.ledger.throttle_rate()),
    },
    Metric { name: "retries", what: "re-sends", worse: Worse::Higher, get: |r| Some(r.ledger.retries as f64) },
    Metric {
        name: "expired",
        what: "events expired unsent",
        worse: Worse::Higher,
        get: |r| Some(r.ledger.expired as f64),
    },
    Metric {
        name: "lost",
        what: "accepted events missing from the table",
        worse: Worse::Higher,
        get: |r| Some(r.lost() as f64),
    },
    Metric {
        name: "iterator-age",
        what: "largest iterator age, ms",
        worse: Worse::Higher,
        get: |r| r.pipeline.as_ref().map(|p| p.max_iterator_age_ms),
    },
];

/// How much worse a metric may get.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Allowance {
    /// A share of the baseline value (`10%` is 0.10).
    Relative(f64),
    /// An amount in the metric's unit (`+100`).
    Absolute(f64),
}

/// A metric and how much worse it may get: `p99=10%`, `lost=+0`, `achieved-rps=2%`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Limit {
    /// The metric's name.
    pub metric: &'static str,
    /// The allowance.
    pub allowance: Allowance,
}

impl std::str::FromStr for Limit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let names = || METRICS.iter().map(|m| m.name).collect::<Vec<_>>().join(", ");
        let (name, amount) = s.split_once('=').ok_or_else(|| {
            format!("'{s}' is not METRIC=ALLOWANCE; write e.g. p99=10% or lost=+0 (metrics: {})", names())
        })?;
        let metric = METRICS
            .iter()
            .find(|m| m.name == name.trim())
            .ok_or_else(|| format!("unknown metric '{}'; choose one of {}", name.trim(), names()))?;
        let amount = amount.trim();
        let bad = || format!("'{amount}' is not an allowance; write a percentage (10%) or an amount (+100)");
        let allowance = if let Some(pct) = amount.strip_suffix('%') {
            Allowance::Relative(pct.trim().parse::<f64>().map_err(|_| bad())? / 100.0)
        } else {
            Allowance::Absolute(amount.trim_start_matches('+').parse::<f64>().map_err(|_| bad())?)
        };
        let value = match allowance {
            Allowance::Relative(v) | Allowance::Absolute(v) => v,
        };
        if !(value.is_finite() && value >= 0.0) {
            return Err(format!("the allowance of {} must be zero or more, not '{amount}'", metric.name));
        }
        Ok(Limit { metric: metric.name, allowance })
    }
}

/// One metric of the current run against the baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delta {
    /// The metric's name.
    pub metric: &'static str,
    /// What it is.
    pub what: &'static str,
    /// Baseline value.
    pub baseline: f64,
    /// Current value.
    pub current: f64,
    /// `(current − baseline) / baseline`; `None` when the baseline is zero.
    pub change: Option<f64>,
    /// Whether the change is for the worse.
    pub worse: bool,
    /// The limit set on it, if any.
    pub limit: Option<Allowance>,
    /// Whether it is worse than its limit allows.
    pub regressed: bool,
}

/// The comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The baseline run's label.
    pub baseline: String,
    /// One per metric both runs measured.
    pub deltas: Vec<Delta>,
}

impl Comparison {
    /// The metrics that regressed past their limits.
    pub fn regressions(&self) -> impl Iterator<Item = &Delta> {
        self.deltas.iter().filter(|d| d.regressed)
    }
}

/// Compares `current` with `baseline` under `limits`.
pub fn compare(current: &RunResult, baseline: &RunResult, baseline_label: &str, limits: &[Limit]) -> Comparison {
    let deltas = METRICS
        .iter()
        .filter_map(|m| {
            let (b, c) = (m.value(baseline)?, m.value(current)?);
            // Positive `loss` is the amount by which the metric got worse.
            let loss = match m.worse {
                Worse::Higher => c - b,
                Worse::Lower => b - c,
            };
            let change = (b != 0.0).then(|| (c - b) / b.abs());
            let limit = limits.iter().rev().find(|l| l.metric == m.name).map(|l| l.allowance);
            // Float noise in rates must not count as a regression at a 0% allowance.
            let eps = 1e-9 * b.abs().max(1.0);
            let regressed = match limit {
                None => false,
                Some(Allowance::Absolute(a)) => loss > a + eps,
                Some(Allowance::Relative(share)) => {
                    if b == 0.0 {
                        loss > eps
                    } else {
                        loss / b.abs() > share + 1e-9
                    }
                }
            };
            Some(Delta {
                metric: m.name,
                what: m.what,
                baseline: b,
                current: c,
                change,
                worse: loss > eps,
                limit,
                regressed,
            })
        })
        .collect();
    Comparison { baseline: baseline_label.to_string(), deltas }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(p99: f64, achieved: f64, throttled: u64) -> RunResult {
        let mut r = crate::outcome::fixture::sample_result();
        r.latency_ms.put_corrected.p99 = p99;
        r.rate.achieved_rps = achieved;
        r.ledger.throttled = throttled;
        r
    }

    #[test]
    fn limits_parse_and_reject_nonsense() {
        assert_eq!("p99=10%".parse::<Limit>().unwrap(), Limit { metric: "p99", allowance: Allowance::Relative(0.10) });
        assert_eq!("lost=+0".parse::<Limit>().unwrap(), Limit { metric: "lost", allowance: Allowance::Absolute(0.0) });
        assert!("p98=10%".parse::<Limit>().unwrap_err().contains("unknown metric 'p98'"));
        assert!("p99".parse::<Limit>().unwrap_err().contains("METRIC=ALLOWANCE"));
        assert!("p99=ten".parse::<Limit>().unwrap_err().contains("not an allowance"));
        assert!("p99=-5%".parse::<Limit>().unwrap_err().contains("zero or more"));
    }

    #[test]
    fn higher_latency_past_the_limit_regresses() {
        let base = run(100.0, 5000.0, 0);
        let limits = ["p99=10%".parse().unwrap()];
        let within = compare(&run(109.0, 5000.0, 0), &base, "base", &limits);
        assert_eq!(within.regressions().count(), 0);
        let past = compare(&run(111.0, 5000.0, 0), &base, "base", &limits);
        let r: Vec<_> = past.regressions().map(|d| d.metric).collect();
        assert_eq!(r, ["p99"]);
        // Better is never a regression, whatever the size of the change.
        assert_eq!(compare(&run(10.0, 5000.0, 0), &base, "base", &limits).regressions().count(), 0);
    }

    #[test]
    fn lower_throughput_is_worse_and_zero_baselines_need_no_percentage() {
        let base = run(100.0, 5000.0, 0);
        let limits = ["achieved-rps=1%".parse().unwrap(), "throttle-rate=50%".parse().unwrap()];
        let c = compare(&run(100.0, 4900.0, 10), &base, "base", &limits);
        let r: Vec<_> = c.regressions().map(|d| d.metric).collect();
        assert_eq!(r, ["achieved-rps", "throttle-rate"]);
        let t = c.deltas.iter().find(|d| d.metric == "throttle-rate").unwrap();
        assert_eq!(t.change, None, "a zero baseline has no percentage");
        // Without limits nothing regresses, but the deltas are all there.
        let c = compare(&run(300.0, 10.0, 10), &base, "base", &[]);
        assert_eq!(c.regressions().count(), 0);
        assert!(c.deltas.iter().any(|d| d.metric == "p99" && d.worse));
    }
}
