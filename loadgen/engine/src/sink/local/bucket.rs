//! Per-shard quotas over two quantities at once (records and bytes, or calls and bytes).
//!
//! Writes use [`SecondWindow`]: at most the quota in each whole second, as Kinesis states
//! its limit ("1,000 records per second"), so a rate just over the quota throttles in
//! every second, however short the run. Reads use [`DualBucket`], which Kinesis delays
//! rather than refuses.
//!
//! Each dimension refills at its rate per second up to one second's worth, and a take
//! succeeds only if both dimensions have enough, so neither is consumed for a record the
//! other refuses (checking two independent limiters one after the other would leak
//! tokens from the first whenever the second says no).

use std::time::{Duration, Instant};

/// A fixed one-second window over two quantities, checked together.
#[derive(Debug, Clone)]
pub struct SecondWindow {
    limits: (f64, f64),
    used: (f64, f64),
    start: Instant,
}

impl SecondWindow {
    /// A window allowing `count_per_sec` and `bytes_per_sec` in each second from `now`.
    pub fn new(count_per_sec: f64, bytes_per_sec: f64, now: Instant) -> Self {
        Self { limits: (count_per_sec, bytes_per_sec), used: (0.0, 0.0), start: now }
    }

    /// Takes `count` and `bytes` in the second holding `now`, if both fit.
    pub fn try_take(&mut self, now: Instant, count: f64, bytes: f64) -> bool {
        let elapsed = now.saturating_duration_since(self.start);
        if elapsed >= Duration::from_secs(1) {
            self.start += Duration::from_secs(elapsed.as_secs());
            self.used = (0.0, 0.0);
        }
        if self.used.0 + count <= self.limits.0 && self.used.1 + bytes <= self.limits.1 {
            self.used.0 += count;
            self.used.1 += bytes;
            true
        } else {
            false
        }
    }
}

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
    fn a_second_window_takes_the_quota_and_no_more() {
        let t = Instant::now();
        let mut w = SecondWindow::new(1000.0, 1_048_576.0, t);
        assert_eq!((0..1500).filter(|_| w.try_take(t, 1.0, 100.0)).count(), 1000);
        let half = t + Duration::from_millis(500);
        assert!(!w.try_take(half, 1.0, 100.0), "still the same second");
        let next = t + Duration::from_millis(1200);
        assert_eq!((0..1500).filter(|_| w.try_take(next, 1.0, 100.0)).count(), 1000);
        // Bytes: two 512 KiB records fill a second; the third waits for the next one
        // without having cost a record.
        let later = t + Duration::from_secs(5);
        assert!(w.try_take(later, 1.0, 524_288.0) && w.try_take(later, 1.0, 524_288.0));
        assert!(!w.try_take(later, 1.0, 1.0));
        assert!((w.used.0 - 2.0).abs() < 1e-9);
    }

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
