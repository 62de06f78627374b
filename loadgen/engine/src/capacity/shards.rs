//! How many shards a load needs, from its rate, its record size and its hottest key.
//!
//! With `R` records/s of `b` bytes (data plus partition key) at a target utilisation `u`
//! of the per-shard quota `Q` (1,000 records/s, 1 MiB/s):
//!
//! - by records: `⌈R / (u·Q_rec)⌉`; by bytes: `⌈R·b / (u·Q_bytes)⌉`;
//! - by the hottest key, sending `h` records/s: its shard carries `h` plus its share of
//!   the rest, `(R−h)/N`, so `N ≥ (R−h) / (u·Q − h)` (for records and for bytes alike);
//! - a key with `h > Q` on its own cannot fit any shard: no shard count fixes it, the key
//!   itself must be spread (a suffix, or explicit hash keys); the shards then planned are
//!   what the rest of the load needs once the key is spread;
//! - the hottest-key bound counts only for a key with a material share of a shard: more
//!   than [`MATERIAL_SHARE`] of `u·Q` (records or bytes). Below that, the key's extra load
//!   on its shard is smaller than the spread of ordinary keys over even hash ranges, and
//!   `(R−h)/(u·Q−h)` would only round a uniform load up by one shard for any `h > 0`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::capacity::quotas::{SHARD_WRITE_BYTES_PER_SEC, SHARD_WRITE_RECORDS_PER_SEC};

/// The share of a shard's target capacity above which the hottest key bounds the shard
/// count (see the module docs).
pub const MATERIAL_SHARE: f64 = 0.1;

/// The load to place.
#[derive(Debug, Clone, PartialEq)]
pub struct Load {
    /// Peak records per second.
    pub records_per_sec: f64,
    /// Mean bytes per record, partition key included.
    pub mean_record_bytes: f64,
    /// The hottest partition key and its peak records/s and bytes/s, if keys matter
    /// (not with random keys or explicit hash keys).
    pub hottest_key: Option<KeyLoad>,
    /// Fraction of the quota a shard may run at (0–1].
    pub target_utilization: f64,
}

/// One key's load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct KeyLoad {
    /// The partition key.
    pub key: String,
    /// Its peak records per second.
    pub records_per_sec: f64,
    /// Its peak bytes per second.
    pub bytes_per_sec: f64,
}

impl KeyLoad {
    /// A key sending `records_per_sec` records of the load's mean size: how runs and
    /// merged runs alike estimate the hottest key's bytes.
    pub fn at_mean(key: String, records_per_sec: f64, mean_record_bytes: f64) -> Self {
        Self { key, records_per_sec, bytes_per_sec: records_per_sec * mean_record_bytes }
    }
}

/// Which bound decided the shard count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Binding {
    /// The record rate (1,000 records/s per shard).
    #[serde(rename = "records/s")]
    Records,
    /// The byte rate (1 MiB/s per shard).
    #[serde(rename = "bytes/s")]
    Bytes,
    /// The hottest key's shard.
    #[serde(rename = "hot key")]
    HotKey,
    /// The read side: standard consumers sharing 2 MiB/s per shard (planner only).
    #[serde(rename = "read side")]
    ReadSide,
}

impl std::fmt::Display for Binding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Binding::Records => "records/s",
            Binding::Bytes => "bytes/s",
            Binding::HotKey => "hot key",
            Binding::ReadSide => "read side",
        })
    }
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ShardPlan {
    /// Shards to provision.
    pub shards: u64,
    /// Shards needed by the record rate alone.
    pub by_records: u64,
    /// Shards needed by the byte rate alone.
    pub by_bytes: u64,
    /// Shards needed so the hottest key's shard stays under the target, when a key carries
    /// a material share of a shard and some shard count can carry it.
    pub by_hot_key: Option<u64>,
    /// Which bound decided.
    pub binding: Binding,
    /// The key that no shard count can carry, if any.
    pub unfixable_key: Option<KeyLoad>,
    /// The utilisation target used.
    pub target_utilization: f64,
}

fn ceil(x: f64) -> u64 {
    if x.is_finite() && x > 0.0 {
        // Tolerate float noise so that 5000/1000 is 5, not 6.
        (x - 1e-9).ceil().max(1.0) as u64
    } else {
        1
    }
}

/// Plans shards for `load`.
pub fn plan_shards(load: &Load) -> ShardPlan {
    let u = load.target_utilization.clamp(0.01, 1.0);
    let q_rec = f64::from(SHARD_WRITE_RECORDS_PER_SEC);
    let q_bytes = f64::from(SHARD_WRITE_BYTES_PER_SEC);
    let r = load.records_per_sec.max(0.0);
    let bytes = r * load.mean_record_bytes.max(0.0);
    let by_records = ceil(r / (u * q_rec));
    let by_bytes = ceil(bytes / (u * q_bytes));
    let unfixable_key =
        load.hottest_key.as_ref().filter(|k| k.records_per_sec > q_rec || k.bytes_per_sec > q_bytes).cloned();
    let material =
        |k: &&KeyLoad| k.records_per_sec > MATERIAL_SHARE * u * q_rec || k.bytes_per_sec > MATERIAL_SHARE * u * q_bytes;
    let by_hot_key = load.hottest_key.as_ref().filter(|_| unfixable_key.is_none()).filter(material).map(|k| {
        let need = |total: f64, hot: f64, quota: f64| {
            let room = u * quota - hot;
            if total <= hot {
                1
            } else if room <= 0.0 {
                // The key alone fills its shard past the target (but within the quota):
                // give it a shard of its own as far as hashing allows.
                ceil(total / (u * quota)).max(ceil((total - hot) / (u * quota)) + 1)
            } else {
                ceil((total - hot) / room)
            }
        };
        need(r, k.records_per_sec, q_rec).max(need(bytes, k.bytes_per_sec, q_bytes))
    });
    let shards = by_records.max(by_bytes).max(by_hot_key.unwrap_or(1)).max(1);
    let binding = if by_hot_key.is_some_and(|h| h == shards && h > by_records.max(by_bytes)) {
        Binding::HotKey
    } else if by_bytes > by_records {
        Binding::Bytes
    } else {
        Binding::Records
    };
    ShardPlan { shards, by_records, by_bytes, by_hot_key, binding, unfixable_key, target_utilization: u }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(r: f64, b: f64) -> Load {
        Load { records_per_sec: r, mean_record_bytes: b, hottest_key: None, target_utilization: 1.0 }
    }

    #[test]
    fn records_bound() {
        // 5,000 small records/s at full utilisation: exactly 5 shards.
        let p = plan_shards(&load(5000.0, 300.0));
        assert_eq!((p.shards, p.by_records, p.binding), (5, 5, Binding::Records));
        // At 80%: 6.25 → 7.
        let p = plan_shards(&Load { target_utilization: 0.8, ..load(5000.0, 300.0) });
        assert_eq!(p.shards, 7);
    }

    #[test]
    fn bytes_bound() {
        // 5,000 records/s of 1 KiB = 5,000 KiB/s ≈ 4.88 MiB/s → 5 shards by bytes, and by
        // records too; 2 KiB records need 10.
        let p = plan_shards(&load(5000.0, 2048.0));
        assert_eq!((p.shards, p.by_bytes, p.binding), (10, 10, Binding::Bytes));
    }

    #[test]
    fn hot_key_bounds_and_unfixable_keys() {
        let hot = KeyLoad { key: "u1".into(), records_per_sec: 500.0, bytes_per_sec: 500.0 * 300.0 };
        let p = plan_shards(&Load { hottest_key: Some(hot), ..load(5000.0, 300.0) });
        // (5000 - 500) / (1000 - 500) = 9 shards.
        assert_eq!((p.shards, p.binding), (9, Binding::HotKey));
        let too_hot = KeyLoad { key: "u1".into(), records_per_sec: 1200.0, bytes_per_sec: 1200.0 * 300.0 };
        let p = plan_shards(&Load { hottest_key: Some(too_hot.clone()), ..load(5000.0, 300.0) });
        assert_eq!(p.unfixable_key, Some(too_hot));
        assert_eq!(p.by_hot_key, None, "no shard count carries it");
        assert_eq!(p.shards, 5, "what the rest needs once the key is spread");
    }

    /// Exactly 25 shards' worth of uniform users (the hottest at 2 records/s) is 25
    /// shards by records, not 26 by a key that carries nothing.
    #[test]
    fn an_immaterial_key_does_not_add_a_shard() {
        let mild = KeyLoad::at_mean("user-1".into(), 2.0, 300.0);
        let p = plan_shards(&Load { hottest_key: Some(mild), target_utilization: 0.8, ..load(20_000.0, 300.0) });
        assert_eq!((p.shards, p.by_hot_key, p.binding), (25, None, Binding::Records));
        // At 10% of a shard's target (80 records/s) it starts to count: (20000-81)/(800-81) = 27.7.
        let hot = KeyLoad::at_mean("user-1".into(), 81.0, 300.0);
        let p = plan_shards(&Load { hottest_key: Some(hot), target_utilization: 0.8, ..load(20_000.0, 300.0) });
        assert_eq!((p.shards, p.by_hot_key, p.binding), (28, Some(28), Binding::HotKey));
    }
}
