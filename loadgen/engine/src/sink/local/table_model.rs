//! DynamoDB's write capacity, as the local pipeline's table enforces it.
//!
//! Every figure is from `docs/aws-quotas.md` (DynamoDB):
//! - an item costs one write unit per started KB of its size (a 1.5 KB item costs 2);
//! - one partition key takes at most [`DYNAMODB_PARTITION_WCU`] (1,000) WCU in a second,
//!   in both capacity modes: adaptive capacity isolates a hot key on a partition of its
//!   own, but that partition's limit still holds. Other keys are not slowed by a hot one
//!   (the isolation), so the model keeps the limit per key;
//! - **on-demand** (the infra's default): the table takes up to double its previous peak
//!   at once; a new table starts at [`ON_DEMAND_INITIAL_WCU`] (4,000) WCU/s. Scaling past
//!   that takes about 30 minutes, longer than a run, so the model's ceiling is fixed for
//!   the run: `max(4,000, 2 × previous peak)`, and never above the table quota;
//! - **provisioned**: the table's WCU in each second, plus burst capacity: up to
//!   [`BURST_SECONDS`] (300) seconds of unused capacity, spent when a second asks for more
//!   than the provisioned units. The model assumes the table was idle for five minutes
//!   before the run (its burst full), so a load `x` WCU/s above the provisioned rate
//!   throttles after `300 × WCU ÷ x` seconds.
//!
//! Windows are whole seconds from the model's origin, as for the stream's write quota.
//! An item over either limit is refused: the table answers it in `UnprocessedItems`, and
//! the function's real retry path runs on it.

use std::collections::HashMap;
use std::time::Instant;

use crate::capacity::quotas::{DEFAULT_DYNAMODB_TABLE_WCU, DYNAMODB_PARTITION_WCU};

/// A new on-demand table's write throughput, WCU/s.
pub const ON_DEMAND_INITIAL_WCU: f64 = 4_000.0;
/// Seconds of unused provisioned capacity that burst capacity keeps.
pub const BURST_SECONDS: f64 = 300.0;
/// Bytes of item per write unit.
pub const WRITE_UNIT_BYTES: usize = 1024;

/// How the table is billed and how its capacity behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TableMode {
    /// Pay per request: capacity up to double the previous peak.
    OnDemand {
        /// The table's previous peak, WCU/s (0 for a new table).
        previous_peak_wcu: f64,
        /// The account's per-table write quota, WCU/s, which caps what on-demand scales
        /// to ([`DEFAULT_DYNAMODB_TABLE_WCU`] unless raised in Service Quotas).
        table_quota_wcu: f64,
    },
    /// Provisioned write capacity units, with burst capacity.
    Provisioned {
        /// Write capacity units.
        wcu: f64,
    },
}

impl Default for TableMode {
    fn default() -> Self {
        TableMode::on_demand(0.0)
    }
}

impl TableMode {
    /// An on-demand table whose previous peak was `previous_peak_wcu`, under the default
    /// per-table quota.
    pub fn on_demand(previous_peak_wcu: f64) -> Self {
        TableMode::OnDemand { previous_peak_wcu, table_quota_wcu: DEFAULT_DYNAMODB_TABLE_WCU }
    }

    /// The table's write units in one second (before burst capacity).
    pub fn capacity_wcu(&self) -> f64 {
        match *self {
            TableMode::OnDemand { previous_peak_wcu, table_quota_wcu } => {
                ON_DEMAND_INITIAL_WCU.max(2.0 * previous_peak_wcu).min(table_quota_wcu)
            }
            TableMode::Provisioned { wcu } => wcu,
        }
    }

    /// `on-demand` or `provisioned`.
    pub fn name(&self) -> &'static str {
        match self {
            TableMode::OnDemand { .. } => "on-demand",
            TableMode::Provisioned { .. } => "provisioned",
        }
    }
}

/// Write units of an item of `bytes` bytes.
pub fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(WRITE_UNIT_BYTES).max(1) as f64
}

/// Why an item was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    /// Its partition key was past 1,000 WCU in this second.
    Partition,
    /// The table was past its capacity (and, provisioned, its burst) in this second.
    Table,
}

/// What the model saw over a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableStats {
    /// Write units consumed.
    pub consumed_wcu: f64,
    /// Most write units consumed in one second.
    pub peak_wcu_per_sec: f64,
    /// Items refused by a partition key's limit.
    pub throttled_partition: u64,
    /// Items refused by the table's capacity.
    pub throttled_table: u64,
    /// The key that asked most in one second (hash), and what it asked, WCU.
    pub hottest_key: Option<(u64, f64)>,
    /// Most write units asked of the table in one second (throttled ones included).
    pub peak_demand_wcu_per_sec: f64,
    /// Seconds from the origin to the first second the burst capacity ran out in.
    pub burst_exhausted_at_s: Option<f64>,
    /// Burst capacity left, WCU (provisioned).
    pub burst_left_wcu: f64,
}

/// The table's capacity over time.
#[derive(Debug, Clone)]
pub struct TableModel {
    mode: TableMode,
    origin: Instant,
    second: u64,
    used: f64,
    asked: f64,
    per_key: HashMap<u64, (f64, f64), foldhash::fast::FixedState>,
    burst: f64,
    stats: TableStats,
}

impl TableModel {
    /// A model whose seconds count from `origin`.
    pub fn new(mode: TableMode, origin: Instant) -> Self {
        let burst = match mode {
            TableMode::Provisioned { wcu } => BURST_SECONDS * wcu,
            TableMode::OnDemand { .. } => 0.0,
        };
        TableModel {
            mode,
            origin,
            second: 0,
            used: 0.0,
            asked: 0.0,
            per_key: HashMap::default(),
            burst,
            stats: TableStats { burst_left_wcu: burst, ..TableStats::default() },
        }
    }

    /// The mode.
    pub fn mode(&self) -> TableMode {
        self.mode
    }

    fn roll(&mut self, now: Instant) {
        let second = now.saturating_duration_since(self.origin).as_secs();
        if second <= self.second {
            return;
        }
        self.close_second();
        // Unused provisioned capacity of the closed second and of idle ones since goes
        // into burst capacity, up to 300 seconds of it.
        if let TableMode::Provisioned { wcu } = self.mode {
            let idle = (second - self.second - 1) as f64;
            let unused = (wcu - self.used).max(0.0) + idle * wcu;
            self.burst = (self.burst + unused).min(BURST_SECONDS * wcu);
        }
        self.second = second;
        self.used = 0.0;
        self.asked = 0.0;
        self.per_key.clear();
    }

    fn close_second(&mut self) {
        let s = &mut self.stats;
        s.peak_wcu_per_sec = s.peak_wcu_per_sec.max(self.used);
        s.peak_demand_wcu_per_sec = s.peak_demand_wcu_per_sec.max(self.asked);
        for (&key, &(_, asked)) in &self.per_key {
            if s.hottest_key.is_none_or(|(_, most)| asked > most) {
                s.hottest_key = Some((key, asked));
            }
        }
        s.burst_left_wcu = self.burst;
    }

    /// Asks for `wcu` write units for an item under partition key `key` (a hash of it)
    /// at `now`: `None` when written, else why it was refused.
    pub fn write(&mut self, now: Instant, key: u64, wcu: f64) -> Option<Throttle> {
        self.roll(now);
        self.asked += wcu;
        let (key_used, key_asked) = self.per_key.entry(key).or_insert((0.0, 0.0));
        *key_asked += wcu;
        if *key_used + wcu > f64::from(DYNAMODB_PARTITION_WCU) {
            self.stats.throttled_partition += 1;
            return Some(Throttle::Partition);
        }
        let capacity = self.mode.capacity_wcu();
        if self.used + wcu > capacity {
            // Past the second's capacity: provisioned tables spend burst capacity.
            if self.burst >= wcu {
                self.burst -= wcu;
            } else {
                if self.stats.burst_exhausted_at_s.is_none() && matches!(self.mode, TableMode::Provisioned { .. }) {
                    self.stats.burst_exhausted_at_s = Some(now.saturating_duration_since(self.origin).as_secs_f64());
                }
                self.stats.throttled_table += 1;
                return Some(Throttle::Table);
            }
        }
        *key_used += wcu;
        self.used += wcu;
        self.stats.consumed_wcu += wcu;
        None
    }

    /// What the model saw, the current second included.
    pub fn stats(&self) -> TableStats {
        let mut copy = self.clone();
        copy.close_second();
        copy.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(origin: Instant, secs: f64) -> Instant {
        origin + Duration::from_secs_f64(secs)
    }

    /// 1 KB is one unit, 1 byte more is two; a 360-byte item is one.
    #[test]
    fn write_units_round_up_per_started_kilobyte() {
        assert_eq!((write_units(360), write_units(1024), write_units(1025), write_units(0)), (1.0, 1.0, 2.0, 1.0));
    }

    /// One key at 1,200 items/s of one unit: 1,000 written and 200 refused in each second,
    /// whatever the table's capacity; another key in the same second is not slowed.
    #[test]
    fn a_partition_key_takes_at_most_1000_wcu_a_second() {
        let o = Instant::now();
        let mut m = TableModel::new(TableMode::Provisioned { wcu: 100_000.0 }, o);
        for second in 0..3 {
            let refused = (0..1200).filter(|i| m.write(at(o, second as f64 + *i as f64 / 1200.0), 7, 1.0).is_some());
            assert_eq!(refused.count(), 200, "second {second}");
            assert_eq!(m.write(at(o, second as f64 + 0.999), 8, 1.0), None, "another key is not slowed");
        }
        let s = m.stats();
        assert_eq!(s.throttled_partition, 600);
        assert_eq!(s.hottest_key, Some((7, 1200.0)));
    }

    /// Provisioned 1,000 WCU, burst full (300 s × 1,000 = 300,000 units), load 1,500
    /// WCU/s: 500 units a second come from burst, so it lasts 300,000 ÷ 500 = 600 s; the
    /// first refusal is in second 600.
    #[test]
    fn burst_capacity_lasts_burst_units_over_the_excess_rate() {
        let o = Instant::now();
        let mut m = TableModel::new(TableMode::Provisioned { wcu: 1000.0 }, o);
        let mut first_refusal = None;
        'run: for second in 0..700u64 {
            for i in 0..1500u64 {
                // 1,500 distinct keys: no key is near its partition limit.
                if m.write(at(o, second as f64 + i as f64 / 1500.0), i, 1.0).is_some() {
                    first_refusal = Some(second);
                    break 'run;
                }
            }
        }
        assert_eq!(first_refusal, Some(600));
        assert_eq!(m.stats().burst_exhausted_at_s.map(f64::floor), Some(600.0));
    }

    /// Seconds 0 and 1 ask 3,000 of a 1,000 WCU table: 2,000 a second from burst,
    /// 300,000 → 296,000. Seconds 2–4 are idle: 3 × 1,000 unused units go back, 299,000.
    #[test]
    fn idle_seconds_refill_the_burst_up_to_300_seconds_of_capacity() {
        let o = Instant::now();
        let mut m = TableModel::new(TableMode::Provisioned { wcu: 1000.0 }, o);
        for second in 0..2u64 {
            for i in 0..3000u64 {
                assert_eq!(m.write(at(o, second as f64 + 0.5), i, 1.0), None);
            }
        }
        assert_eq!(m.stats().burst_left_wcu, 296_000.0);
        assert_eq!(m.write(at(o, 5.5), 0, 1.0), None);
        assert_eq!(m.stats().burst_left_wcu, 299_000.0);
        // Never more than 300 seconds of capacity.
        m.write(at(o, 1000.0), 0, 1.0);
        assert_eq!(m.stats().burst_left_wcu, 300_000.0);
    }

    /// A new on-demand table takes 4,000 WCU/s; one whose previous peak was 3,000 takes
    /// 6,000; no burst beyond it.
    #[test]
    fn on_demand_takes_double_the_previous_peak_from_4000() {
        assert_eq!(TableMode::on_demand(0.0).capacity_wcu(), 4000.0);
        assert_eq!(TableMode::on_demand(3000.0).capacity_wcu(), 6000.0);
        assert_eq!(TableMode::on_demand(1e9).capacity_wcu(), DEFAULT_DYNAMODB_TABLE_WCU);
        // A raised quota lets on-demand scale past the default.
        let raised = TableMode::OnDemand { previous_peak_wcu: 1e9, table_quota_wcu: 1_500_000.0 };
        assert_eq!(raised.capacity_wcu(), 1_500_000.0);
        let o = Instant::now();
        let mut m = TableModel::new(TableMode::default(), o);
        let refused = (0..5000u64).filter(|&i| m.write(at(o, 0.5), i, 1.0).is_some()).count();
        assert_eq!(refused, 1000);
        assert_eq!(m.stats().throttled_table, 1000);
        assert_eq!(m.stats().burst_exhausted_at_s, None, "on-demand has no burst to exhaust");
    }
}
