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
pub fn write_units(bytes: usize) -> u32 {
    u32::try_from(bytes.div_ceil(WRITE_UNIT_BYTES).max(1)).unwrap_or(u32::MAX)
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
    per_key: KeyLoads,
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
            per_key: KeyLoads::default(),
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
        self.stats = self.stats_with_this_second();
    }

    /// The stats as if the current second closed now.
    fn stats_with_this_second(&self) -> TableStats {
        let mut s = self.stats.clone();
        s.peak_wcu_per_sec = s.peak_wcu_per_sec.max(self.used);
        s.peak_demand_wcu_per_sec = s.peak_demand_wcu_per_sec.max(self.asked);
        for load in self.per_key.iter() {
            let asked = f64::from(load.asked);
            if s.hottest_key.is_none_or(|(_, most)| asked > most) {
                s.hottest_key = Some((load.key, asked));
            }
        }
        s.burst_left_wcu = self.burst;
        s
    }

    /// Hints that `key` (a partition key's hash) will be written soon: a batch asks for
    /// its keys' lines before it writes, so that their cache misses overlap.
    pub fn prefetch(&self, key: u64) {
        self.per_key.prefetch(key);
    }

    /// Asks for `units` write units for an item under partition key `key` (a hash of it)
    /// at `now`: `None` when written, else why it was refused.
    pub fn write(&mut self, now: Instant, key: u64, units: u32) -> Option<Throttle> {
        self.roll(now);
        let wcu = f64::from(units);
        self.asked += wcu;
        let load = self.per_key.entry(key);
        load.asked = load.asked.saturating_add(units);
        if u64::from(load.used) + u64::from(units) > u64::from(DYNAMODB_PARTITION_WCU) {
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
        load.used += units;
        self.used += wcu;
        self.stats.consumed_wcu += wcu;
        None
    }

    /// What the model saw, the current second included.
    pub fn stats(&self) -> TableStats {
        self.stats_with_this_second()
    }
}

/// Each partition key's write units in the current second. Open addressing over cache
/// lines of four keys, probing line by line, so that a batch can ask for its keys' lines
/// before it writes (a `HashMap` missed the cache for nearly every item at 1,000,000
/// events/s, where a second meets every user). At most half its slots are filled; it is
/// emptied every second and keeps its size.
#[derive(Debug, Clone, Default)]
struct KeyLoads {
    /// A power of two of lines, or none before the first key.
    lines: Vec<KeyLine>,
    /// Keys held, key 0 (which marks an empty slot) apart.
    len: usize,
    /// Key 0's load, kept apart.
    zero: Option<KeyLoad>,
}

/// Four keys on one cache line.
#[derive(Debug, Clone, Copy, Default)]
#[repr(align(64))]
struct KeyLine([KeyLoad; KEYS_PER_LINE]);

const KEYS_PER_LINE: usize = 4;

/// A key's write units in the current second.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct KeyLoad {
    /// The partition key's hash; 0 in an empty slot.
    key: u64,
    /// Units written.
    used: u32,
    /// Units asked, refused ones included.
    asked: u32,
}

impl KeyLoads {
    /// Lines of the first table: room for 2,048 keys.
    const FIRST_LINES: usize = 1024;

    fn home(&self, key: u64) -> usize {
        // The low bits of a hash; the table is never empty here.
        key as usize & (self.lines.len() - 1)
    }

    /// Asks the CPU for `key`'s line (a hint only).
    fn prefetch(&self, key: u64) {
        if !self.lines.is_empty() {
            crate::prefetch::value(&self.lines[self.home(key)]);
        }
    }

    /// `key`'s load, added at zero if the second had not met it.
    fn entry(&mut self, key: u64) -> &mut KeyLoad {
        if key == 0 {
            return self.zero.get_or_insert_default();
        }
        if (self.len + 1) * 2 > self.lines.len() * KEYS_PER_LINE {
            self.grow();
        }
        let (line, slot) = self.find(key);
        let load = &mut self.lines[line].0[slot];
        if load.key == 0 {
            load.key = key;
            self.len += 1;
        }
        load
    }

    /// Where `key` is, or the empty slot its probe ends at (there is always one).
    fn find(&self, key: u64) -> (usize, usize) {
        let mask = self.lines.len() - 1;
        let mut line = self.home(key);
        loop {
            for (slot, load) in self.lines[line].0.iter().enumerate() {
                if load.key == key || load.key == 0 {
                    return (line, slot);
                }
            }
            line = (line + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let lines = (self.lines.len() * 2).max(Self::FIRST_LINES);
        let old = std::mem::replace(&mut self.lines, vec![KeyLine::default(); lines]);
        for load in old.iter().flat_map(|l| l.0).filter(|l| l.key != 0) {
            let (line, slot) = self.find(load.key);
            self.lines[line].0[slot] = load;
        }
    }

    /// Forgets every key, keeping the table's size.
    fn clear(&mut self) {
        if self.len > 0 {
            self.lines.fill(KeyLine::default());
            self.len = 0;
        }
        self.zero = None;
    }

    /// Every key met this second, in no order.
    fn iter(&self) -> impl Iterator<Item = KeyLoad> + '_ {
        // Key 0's load is made by `entry` with its key already 0.
        self.lines.iter().flat_map(|l| l.0).filter(|l| l.key != 0).chain(self.zero)
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
        assert_eq!((write_units(360), write_units(1024), write_units(1025), write_units(0)), (1, 1, 2, 1));
    }

    /// One key at 1,200 items/s of one unit: 1,000 written and 200 refused in each second,
    /// whatever the table's capacity; another key in the same second is not slowed.
    #[test]
    fn a_partition_key_takes_at_most_1000_wcu_a_second() {
        let o = Instant::now();
        let mut m = TableModel::new(TableMode::Provisioned { wcu: 100_000.0 }, o);
        for second in 0..3 {
            let refused = (0..1200).filter(|i| m.write(at(o, second as f64 + *i as f64 / 1200.0), 7, 1).is_some());
            assert_eq!(refused.count(), 200, "second {second}");
            assert_eq!(m.write(at(o, second as f64 + 0.999), 8, 1), None, "another key is not slowed");
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
                if m.write(at(o, second as f64 + i as f64 / 1500.0), i, 1).is_some() {
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
                assert_eq!(m.write(at(o, second as f64 + 0.5), i, 1), None);
            }
        }
        assert_eq!(m.stats().burst_left_wcu, 296_000.0);
        assert_eq!(m.write(at(o, 5.5), 0, 1), None);
        assert_eq!(m.stats().burst_left_wcu, 299_000.0);
        // Never more than 300 seconds of capacity.
        m.write(at(o, 1000.0), 0, 1);
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
        let refused = (0..5000u64).filter(|&i| m.write(at(o, 0.5), i, 1).is_some()).count();
        assert_eq!(refused, 1000);
        assert_eq!(m.stats().throttled_table, 1000);
        assert_eq!(m.stats().burst_exhausted_at_s, None, "on-demand has no burst to exhaust");
    }

    /// 10,000 keys in one second: the table grows from its first 1,024 lines to 8,192,
    /// and every key keeps its load; an emptied second keeps the size and meets none.
    #[test]
    fn key_loads_keep_every_key_across_growth() {
        let mut loads = KeyLoads::default();
        for key in 1..=10_000u64 {
            // Every fourth key shares its low 16 bits with others: probes past the home line.
            let key = if key % 4 == 0 { key << 16 } else { key };
            let load = loads.entry(key);
            load.used = 1;
            load.asked = (key % 7) as u32 + 1;
        }
        assert_eq!(loads.len, 10_000);
        assert_eq!(loads.lines.len(), 8_192, "at most half full: 10,000 keys in 32,768 slots");
        for key in 1..=10_000u64 {
            let key = if key % 4 == 0 { key << 16 } else { key };
            assert_eq!(*loads.entry(key), KeyLoad { key, used: 1, asked: (key % 7) as u32 + 1 });
        }
        assert_eq!(loads.len, 10_000, "finding a key adds none");
        loads.clear();
        assert_eq!((loads.iter().count(), loads.lines.len()), (0, 8_192));
    }

    proptest::proptest! {
        /// Against a `HashMap`: the same loads for the same keys (0 and colliding low bits
        /// among them), across growth and across seconds that empty it.
        #[test]
        fn key_loads_are_a_map_of_keys(ops in proptest::collection::vec((0u64..6_000, 1u32..3, 0u8..100), 0..6_000)) {
            let mut loads = KeyLoads::default();
            let mut model = std::collections::HashMap::<u64, (u32, u32)>::new();
            for (key, units, roll) in ops {
                if roll == 0 {
                    loads.clear();
                    model.clear();
                    continue;
                }
                // Keys sharing their low bits probe past their home line.
                let key = if key % 3 == 0 { key << 20 } else { key };
                let load = loads.entry(key);
                load.asked += units;
                if key % 2 == 0 {
                    load.used += units;
                }
                let m = model.entry(key).or_default();
                m.1 += units;
                if key % 2 == 0 {
                    m.0 += units;
                }
            }
            let mut got: Vec<(u64, u32, u32)> = loads.iter().map(|l| (l.key, l.used, l.asked)).collect();
            let mut want: Vec<(u64, u32, u32)> = model.into_iter().map(|(k, (u, a))| (k, u, a)).collect();
            got.sort_unstable();
            want.sort_unstable();
            proptest::prop_assert_eq!(got, want);
        }
    }
}
