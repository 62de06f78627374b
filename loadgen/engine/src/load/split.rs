//! One load split exactly over workers (`--worker I/N`): worker `I` offers events `I`,
//! `I + N`, `I + 2N`… of the global schedule, so the `N` workers together offer exactly
//! what one process would (uniform, Poisson and every rate profile), with no coordination
//! at run time. The schedule's seed is the load's, the same on every worker; the events'
//! seed is mixed with the worker's index, so workers draw different events (their ids
//! are random version-4 UUIDs) over the same user popularity (hot users stay hot in the
//! merged load). A worker's figures are its share: its target rate is the load's ÷ `N`.

use std::time::SystemTime;

/// Which share of the load this process offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerSplit {
    /// This worker's index, `0..count`.
    pub index: usize,
    /// Workers in all.
    pub count: usize,
}

impl WorkerSplit {
    /// The whole load in one process.
    pub const ALONE: WorkerSplit = WorkerSplit { index: 0, count: 1 };

    /// The share of the load's events this worker offers.
    pub fn share(&self) -> f64 {
        1.0 / self.count.max(1) as f64
    }

    /// This worker's events of the global schedule: events `index`, `index + count`, …
    pub fn events_of<I: Iterator>(&self, schedule: I) -> std::iter::StepBy<std::iter::Skip<I>> {
        schedule.skip(self.index).step_by(self.count.max(1))
    }

    /// The events' seed of this worker, from the load's.
    pub fn event_seed(&self, seed: u64) -> u64 {
        if self.count <= 1 {
            seed
        } else {
            // SplitMix64 of the index keeps the workers' streams apart.
            seed ^ splitmix64(self.index as u64)
        }
    }
}

/// SplitMix64's output for `x`: 64 well-mixed bits from any integer (Steele, Lea and
/// Flood, "Fast splittable pseudorandom number generators", 2014).
pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Default for WorkerSplit {
    fn default() -> Self {
        Self::ALONE
    }
}

/// What a worker does when it starts after the load's start time (`--late-start`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LateStart {
    /// Join the schedule where it is: the events due before now are not sent and are
    /// counted as missed (the run is then inconclusive for the load).
    #[default]
    Join,
    /// Refuse to run.
    Refuse,
}

/// When the schedule starts, for workers started at different moments (`--start-at`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartAt {
    /// The load's start, wall clock.
    pub at: SystemTime,
    /// What to do when this process starts after it.
    pub late: LateStart,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use proptest::prelude::*;

    use super::*;
    use crate::load::schedule::{Arrivals, RateProfile, Schedule};

    fn profiles() -> impl Strategy<Value = RateProfile> {
        let rate = 0.0..400.0f64;
        let secs = (1u64..4).prop_map(Duration::from_secs);
        prop_oneof![
            rate.clone().prop_map(|rps| RateProfile::Constant { rps }),
            (rate.clone(), rate.clone(), secs.clone()).prop_map(|(from, to, over)| RateProfile::Ramp {
                from,
                to,
                over
            }),
            prop::collection::vec((rate.clone(), secs.clone()), 1..4).prop_map(RateProfile::Steps),
            (rate.clone(), rate, secs.clone(), secs).prop_map(|(base, peak, at, lasting)| RateProfile::Spike {
                base,
                peak,
                at,
                lasting
            }),
        ]
    }

    proptest! {
        /// The N workers' schedules together are one process's schedule: the same count
        /// and the same due times, for every rate profile and both arrival models.
        #[test]
        fn the_workers_schedules_are_one_schedule(
            profile in profiles(),
            poisson in any::<bool>(),
            count in 1usize..7,
            seed in any::<u64>(),
            secs in 1u64..6,
        ) {
            let arrivals = if poisson { Arrivals::Poisson } else { Arrivals::Uniform };
            let d = Duration::from_secs(secs);
            let one: Vec<Duration> = Schedule::new(&profile, arrivals, d, seed).collect();
            let mut union: Vec<Duration> = (0..count)
                .flat_map(|index| WorkerSplit { index, count }.events_of(Schedule::new(&profile, arrivals, d, seed)))
                .collect();
            prop_assert_eq!(union.len(), one.len());
            union.sort();
            prop_assert_eq!(union, one);
        }
    }

    #[test]
    fn workers_draw_apart_and_alone_keeps_the_seed() {
        assert_eq!(WorkerSplit::ALONE.event_seed(42), 42);
        let seeds: Vec<u64> = (0..4).map(|i| WorkerSplit { index: i, count: 4 }.event_seed(42)).collect();
        for (i, a) in seeds.iter().enumerate() {
            assert!(seeds[i + 1..].iter().all(|b| b != a), "{seeds:?}");
        }
        assert_eq!(WorkerSplit { index: 1, count: 4 }.share(), 0.25);
    }
}
