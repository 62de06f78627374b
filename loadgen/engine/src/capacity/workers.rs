//! How many loadgen workers a load needs: one worker's ceiling on the real SDK path
//! (Kinesis client, request building, SigV4 signing, HTTP), measured by
//! `benches/benches/worker_ceiling.rs` against the fast local Kinesis-API endpoint, planned
//! at [`WORKER_TARGET_UTILIZATION`] of it so that a worker keeps its schedule (late sends
//! grow as its core saturates). The figure and where it was taken: `docs/aws-quotas.md`,
//! "One loadgen worker".

use serde::{Deserialize, Serialize};

/// Events one worker sends per second of one core at most, as measured: 486,567 records
/// per CPU-second with no late sends, 2026-12-01, AMD EPYC (docs/aws-quotas.md).
pub const WORKER_EVENTS_PER_CORE_S: f64 = 480_000.0;

/// Share of that ceiling a worker is planned to use.
pub const WORKER_TARGET_UTILIZATION: f64 = 0.5;

/// The workers a load needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerPlan {
    /// Workers (processes of one core each: the Job's CPU request).
    pub workers: u64,
    /// Events per second each of them offers at the peak.
    pub events_per_worker: f64,
    /// One worker's measured ceiling, events per second of one core.
    pub ceiling_per_core: f64,
}

impl WorkerPlan {
    /// One worker (plans written before this figure existed).
    pub fn one() -> Self {
        WorkerPlan { workers: 1, events_per_worker: 0.0, ceiling_per_core: WORKER_EVENTS_PER_CORE_S }
    }
}

/// The workers that offer `peak_rps` events per second.
pub fn workers_for(peak_rps: f64) -> WorkerPlan {
    let per_worker = WORKER_EVENTS_PER_CORE_S * WORKER_TARGET_UTILIZATION;
    let workers = (peak_rps / per_worker).ceil().max(1.0) as u64;
    WorkerPlan { workers, events_per_worker: peak_rps / workers as f64, ceiling_per_core: WORKER_EVENTS_PER_CORE_S }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_worker_until_half_the_ceiling_then_as_many_as_it_takes() {
        let half = WORKER_EVENTS_PER_CORE_S * WORKER_TARGET_UTILIZATION;
        assert_eq!(workers_for(5_000.0).workers, 1);
        assert_eq!(workers_for(half).workers, 1);
        assert_eq!(workers_for(half + 1.0).workers, 2);
        let w = workers_for(10.0 * half);
        assert_eq!(w.workers, 10);
        assert!((w.events_per_worker - half).abs() < 1e-6);
    }
}
