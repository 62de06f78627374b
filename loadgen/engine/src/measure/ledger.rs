//! The ledger: where every generated event ended. After a settled run,
//! `generated == accepted + expired + rejected`, and the summary says so.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where every generated event ended. After a settled run,
/// `generated == accepted + expired + rejected`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Ledger {
    /// Events the schedule produced.
    pub generated: u64,
    /// Events the stream stored (first try or after retries).
    pub accepted: u64,
    /// Of `accepted`, those that needed at least one retry.
    pub accepted_after_retry: u64,
    /// Throttling answers (`ProvisionedThroughputExceededException`), counting every
    /// attempt.
    pub throttled: u64,
    /// Distinct events throttled at least once.
    pub throttled_events: u64,
    /// Other per-record failures (`InternalFailure`) and failed requests, per attempt.
    pub failed_attempts: u64,
    /// Re-sends.
    pub retries: u64,
    /// Events given up on when their time-to-live ran out (or the run stopped) before the
    /// stream took them.
    pub expired: u64,
    /// Events the stream refused outright.
    pub rejected: u64,
    /// `rejected` by reason.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Events made invalid on purpose (`--invalid-rate`); part of `generated`.
    pub invalid_injected: u64,
    /// Of those, the ones the stream accepted (the pipeline must dead-letter them).
    pub invalid_accepted: u64,
    /// Events handed to the batcher later than `late_threshold` after their due time, not
    /// counting the linger the driver waits on purpose at rates that cannot fill a request
    /// within it.
    pub late_sends: u64,
}

impl Ledger {
    /// Whether every generated event is in exactly one final bucket.
    pub fn balanced(&self) -> bool {
        self.generated == self.accepted + self.expired + self.rejected
    }

    /// Adds another ledger's counts (runs of several workers).
    pub fn add(&mut self, other: &Ledger) {
        self.generated += other.generated;
        self.accepted += other.accepted;
        self.accepted_after_retry += other.accepted_after_retry;
        self.throttled += other.throttled;
        self.throttled_events += other.throttled_events;
        self.failed_attempts += other.failed_attempts;
        self.retries += other.retries;
        self.expired += other.expired;
        self.rejected += other.rejected;
        for (k, v) in &other.rejected_by_reason {
            *self.rejected_by_reason.entry(k.clone()).or_default() += v;
        }
        self.invalid_injected += other.invalid_injected;
        self.invalid_accepted += other.invalid_accepted;
        self.late_sends += other.late_sends;
    }

    /// Throttling answers per put attempt.
    pub fn throttle_rate(&self) -> f64 {
        let attempts = self.accepted + self.throttled + self.failed_attempts + self.rejected;
        if attempts == 0 {
            0.0
        } else {
            self.throttled as f64 / attempts as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_balance_and_throttle_rate() {
        let l = Ledger { generated: 10, accepted: 7, expired: 2, rejected: 1, throttled: 3, ..Ledger::default() };
        assert!(l.balanced());
        assert!((l.throttle_rate() - 3.0 / 11.0).abs() < 1e-9);
    }
}
