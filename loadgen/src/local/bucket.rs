//! A token bucket over two quantities at once (records and bytes, or calls and bytes),
//! the shape of every Kinesis per-shard quota.
//!
//! Each dimension refills at its rate per second up to one second's worth, and a take
//! succeeds only if both dimensions have enough, so neither is consumed for a record the
//! other refuses (checking two independent limiters one after the other would leak
//! tokens from the first whenever the second says no).

use std::time::{Duration, Instant};

/// Two token buckets checked together.
#[derive(Debug, Clone)]
pub struct DualBucket {
    rates: (f64, f64),
    tokens: (f64, f64),
    last: Instant,
}

impl DualBucket {
    /// Full buckets refilling at `count_per_sec` and `bytes_per_sec`.
    pub fn new(count_per_sec: f64, bytes_per_sec: f64, now: Instant) -> Self {
        Self { rates: (count_per_sec, bytes_per_sec), tokens: (count_per_sec, bytes_per_sec), last: now }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = self.last.max(now);
        self.tokens.0 = (self.tokens.0 + dt * self.rates.0).min(self.rates.0);
        self.tokens.1 = (self.tokens.1 + dt * self.rates.1).min(self.rates.1);
    }

    /// Takes `count` and `bytes` if both are available at `now`.
    pub fn try_take(&mut self, now: Instant, count: f64, bytes: f64) -> bool {
        self.refill(now);
        if self.tokens.0 >= count && self.tokens.1 >= bytes {
            self.tokens.0 -= count;
            self.tokens.1 -= bytes;
            true
        } else {
            false
        }
    }

    /// Takes `count` and `bytes` now, going into debt if needed, and returns how long to
    /// wait before the debt is paid (for reads, which Kinesis delays rather than refuses).
    pub fn take_with_debt(&mut self, now: Instant, count: f64, bytes: f64) -> Duration {
        self.refill(now);
        self.tokens.0 -= count;
        self.tokens.1 -= bytes;
        let wait = (-self.tokens.0 / self.rates.0).max(-self.tokens.1 / self.rates.1).max(0.0);
        Duration::from_secs_f64(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_second_of_quota_then_the_rate() {
        let t = Instant::now();
        let mut b = DualBucket::new(1000.0, 1_048_576.0, t);
        let taken = (0..1500).filter(|_| b.try_take(t, 1.0, 100.0)).count();
        assert_eq!(taken, 1000);
        let later = t + Duration::from_millis(100);
        let taken = (0..500).filter(|_| b.try_take(later, 1.0, 100.0)).count();
        assert_eq!(taken, 100);
    }

    #[test]
    fn bytes_limit_and_no_leak() {
        let t = Instant::now();
        let mut b = DualBucket::new(1000.0, 1_048_576.0, t);
        // 512 KiB records: two fit, the third is refused without costing a record token.
        assert!(b.try_take(t, 1.0, 524_288.0));
        assert!(b.try_take(t, 1.0, 524_288.0));
        assert!(!b.try_take(t, 1.0, 524_288.0));
        assert!((b.tokens.0 - 998.0).abs() < 1e-9);
    }

    #[test]
    fn debt_is_paid_by_waiting() {
        let t = Instant::now();
        let mut b = DualBucket::new(5.0, 2_097_152.0, t);
        assert_eq!(b.take_with_debt(t, 1.0, 4_194_304.0), Duration::from_secs(1));
    }
}
