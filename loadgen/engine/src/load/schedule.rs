//! The open-model schedule: when each event is due, on an absolute timeline.
//!
//! A [`RateProfile`] is a piecewise-linear rate `r(t)`; its integral `Λ(t)` counts the
//! events due by `t`. Uniform arrivals put event `i` at `Λ⁻¹(i)`; Poisson arrivals put it
//! at `Λ⁻¹(E₁+…+Eᵢ)` with `Eₖ ~ Exp(1)` (time-rescaling of a unit-rate Poisson process),
//! so both follow the profile exactly in expectation. [`Schedule`] is a pure, seeded
//! iterator of offsets from the run's start: no clock inside. The driver does the
//! waiting, and because every offset is absolute the schedule never drifts when a send is
//! late.

use std::time::Duration;

use rand::rngs::SmallRng;
use rand::SeedableRng;
use rand_distr::{Distribution, Exp1};

/// A rate over time.
#[derive(Debug, Clone, PartialEq)]
pub enum RateProfile {
    /// The same rate throughout.
    Constant {
        /// Events per second.
        rps: f64,
    },
    /// From `from` to `to` linearly over `over`, then `to`.
    Ramp {
        /// Starting rate.
        from: f64,
        /// Final rate.
        to: f64,
        /// Length of the ramp.
        over: Duration,
    },
    /// Each rate for its duration in turn; the last one holds.
    Steps(Vec<(f64, Duration)>),
    /// `base`, except `peak` from `at` for `lasting`.
    Spike {
        /// Rate outside the spike.
        base: f64,
        /// Rate during the spike.
        peak: f64,
        /// Start of the spike.
        at: Duration,
        /// Length of the spike.
        lasting: Duration,
    },
}

/// How events are spread within the rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Arrivals {
    /// Evenly spaced at the current rate (wrk2's model).
    #[default]
    Uniform,
    /// A Poisson process at the current rate: independent arrivals, realistic bursts.
    Poisson,
}

/// A linear piece of the rate: from `start` for `len` seconds, `r0` rising to `r1`.
#[derive(Debug, Clone, Copy)]
struct Segment {
    start: f64,
    len: f64,
    r0: f64,
    r1: f64,
    /// Events due before this segment.
    before: f64,
}

impl Segment {
    fn count(&self) -> f64 {
        (self.r0 + self.r1) / 2.0 * self.len
    }

    /// Seconds into the segment at which `n` events (counted from its start) are due.
    fn invert(&self, n: f64) -> f64 {
        if n <= 0.0 {
            return 0.0;
        }
        let slope = (self.r1 - self.r0) / self.len;
        if slope.abs() < 1e-12 {
            return n / self.r0;
        }
        // r0·τ + slope·τ²/2 = n, solved in the form that is stable when slope is small.
        2.0 * n / (self.r0 + (self.r0 * self.r0 + 2.0 * slope * n).max(0.0).sqrt())
    }
}

impl RateProfile {
    fn segments(&self) -> Vec<(f64, f64, f64)> {
        let s = |d: &Duration| d.as_secs_f64();
        match self {
            RateProfile::Constant { rps } => vec![(f64::INFINITY, *rps, *rps)],
            RateProfile::Ramp { from, to, over } => {
                vec![(s(over), *from, *to), (f64::INFINITY, *to, *to)]
            }
            RateProfile::Steps(steps) => {
                let mut v: Vec<_> = steps.iter().map(|(r, d)| (s(d), *r, *r)).collect();
                if let Some(&(_, r, _)) = v.last() {
                    v.push((f64::INFINITY, r, r));
                }
                v
            }
            RateProfile::Spike { base, peak, at, lasting } => {
                vec![(s(at), *base, *base), (s(lasting), *peak, *peak), (f64::INFINITY, *base, *base)]
            }
        }
    }

    /// The rate at `t` seconds into the run.
    pub fn rate_at(&self, t: f64) -> f64 {
        let mut start = 0.0;
        for (len, r0, r1) in self.segments() {
            if t < start + len {
                return if len.is_finite() { r0 + (r1 - r0) * (t - start) / len } else { r0 };
            }
            start += len;
        }
        0.0
    }

    /// Events due in the first `d` of the run (the target count).
    pub fn expected_events(&self, d: Duration) -> f64 {
        let t = d.as_secs_f64();
        let mut start = 0.0;
        let mut total = 0.0;
        for (len, r0, r1) in self.segments() {
            let end = (start + len).min(t);
            if end <= start {
                break;
            }
            let span = end - start;
            let r_end = if len.is_finite() { r0 + (r1 - r0) * span / len } else { r0 };
            total += (r0 + r_end) / 2.0 * span;
            start += len;
        }
        total
    }

    /// The highest rate anywhere in the profile.
    pub fn peak_rps(&self) -> f64 {
        self.segments().iter().map(|&(_, a, b)| a.max(b)).fold(0.0, f64::max)
    }
}

/// The pure, seeded sequence of due times of one run.
#[derive(Debug, Clone)]
pub struct Schedule {
    segments: Vec<Segment>,
    current: usize,
    arrivals: Arrivals,
    rng: SmallRng,
    next_count: f64,
    end: f64,
}

impl Schedule {
    /// Due times for `profile` over `duration`, with `arrivals`, seeded by `seed`.
    pub fn new(profile: &RateProfile, arrivals: Arrivals, duration: Duration, seed: u64) -> Self {
        let mut segments = Vec::new();
        let (mut start, mut before) = (0.0, 0.0);
        for (len, r0, r1) in profile.segments() {
            let seg = Segment { start, len, r0, r1, before };
            if len > 0.0 {
                before += if len.is_finite() { seg.count() } else { 0.0 };
                segments.push(seg);
            }
            start += len;
        }
        let mut s = Schedule {
            segments,
            current: 0,
            arrivals,
            rng: SmallRng::seed_from_u64(seed),
            next_count: 0.0,
            end: duration.as_secs_f64(),
        };
        if arrivals == Arrivals::Poisson {
            s.next_count = s.exp1();
        }
        s
    }

    fn exp1(&mut self) -> f64 {
        Exp1.sample(&mut self.rng)
    }
}

impl Iterator for Schedule {
    type Item = Duration;

    /// The offset from the start at which the next event is due; `None` after the end.
    fn next(&mut self) -> Option<Duration> {
        loop {
            let seg = *self.segments.get(self.current)?;
            let n = self.next_count - seg.before;
            let last = !seg.len.is_finite();
            if last || n < seg.count() {
                if seg.r0 <= 0.0 && seg.r1 <= 0.0 {
                    if last {
                        return None;
                    }
                    self.current += 1;
                    continue;
                }
                let t = seg.start + seg.invert(n);
                if t >= self.end || !t.is_finite() {
                    self.segments.clear();
                    return None;
                }
                self.next_count += match self.arrivals {
                    Arrivals::Uniform => 1.0,
                    Arrivals::Poisson => self.exp1(),
                };
                return Some(Duration::from_secs_f64(t));
            }
            self.current += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn count_in(profile: &RateProfile, arrivals: Arrivals, d: Duration) -> Vec<Duration> {
        Schedule::new(profile, arrivals, d, 7).collect()
    }

    #[test]
    fn constant_is_evenly_spaced() {
        let v = count_in(&RateProfile::Constant { rps: 1000.0 }, Arrivals::Uniform, secs(2));
        assert_eq!(v.len(), 2000);
        assert_eq!(v[0], Duration::ZERO);
        assert_eq!(v[1], Duration::from_millis(1));
        assert!((v[1999].as_secs_f64() - 1.999).abs() < 1e-9);
    }

    #[test]
    fn ramp_follows_the_integral() {
        let p = RateProfile::Ramp { from: 0.0, to: 1000.0, over: secs(10) };
        let v = count_in(&p, Arrivals::Uniform, secs(12));
        // 0→1000 over 10 s is 5,000 events, then 2 s at 1,000.
        assert_eq!(v.len(), 7000);
        assert!((p.expected_events(secs(12)) - 7000.0).abs() < 1e-6);
        // Half the ramp's events are due at t = 10/√2.
        let t = v[2500].as_secs_f64();
        assert!((t - 10.0 / 2f64.sqrt()).abs() < 1e-3, "{t}");
        assert!(v.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn steps_and_spike() {
        let p = RateProfile::Steps(vec![(100.0, secs(1)), (300.0, secs(1))]);
        let v = count_in(&p, Arrivals::Uniform, secs(3));
        assert_eq!(v.len(), 100 + 300 + 300);
        assert_eq!(v.iter().filter(|d| **d < secs(1)).count(), 100);
        let p = RateProfile::Spike { base: 100.0, peak: 1000.0, at: secs(1), lasting: secs(1) };
        let v = count_in(&p, Arrivals::Uniform, secs(3));
        assert_eq!(v.len(), 1200);
        assert_eq!(p.peak_rps(), 1000.0);
        assert_eq!(p.rate_at(1.5), 1000.0);
        assert_eq!(p.rate_at(2.5), 100.0);
    }

    #[test]
    fn poisson_matches_the_rate_and_is_seeded() {
        let p = RateProfile::Constant { rps: 10_000.0 };
        let a = count_in(&p, Arrivals::Poisson, secs(10));
        let b = count_in(&p, Arrivals::Poisson, secs(10));
        assert_eq!(a, b, "same seed, same schedule");
        let n = a.len() as f64;
        // Poisson count over 10 s: mean 100,000, sd ≈ 316; 5 sd is a generous bound.
        assert!((n - 100_000.0).abs() < 1_600.0, "{n}");
        assert!(a.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn zero_rate_segments_are_skipped() {
        let p = RateProfile::Steps(vec![(0.0, secs(1)), (10.0, secs(1)), (0.0, secs(1))]);
        let v = count_in(&p, Arrivals::Uniform, secs(5));
        assert_eq!(v.len(), 10);
        assert!(v[0] >= secs(1));
    }
}
