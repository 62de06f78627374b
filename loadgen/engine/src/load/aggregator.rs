//! KPL aggregation on the producer side (`--aggregate`): user records packed into
//! aggregated Kinesis records ([`retail_events::aggregation`]) per predicted shard, as the
//! Kinesis Producer Library does.
//!
//! Records for one shard join that shard's open aggregate until the next would take its
//! data past `max_bytes` (the KPL's `AggregationMaxSize`, 51,200 by default), or until
//! the oldest has waited `linger`; then the aggregate is closed. Its partition key is its
//! first user record's, so it lands on the shard predicted for all of them. An aggregate
//! of one user record is sent as that plain record, as the KPL does. Pure: the caller
//! passes the current instant.

use crate::sink::{PartitionKey, Payload};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

use retail_events::aggregation::{self, KPL_AGGREGATION_MAX_BYTES};

/// The smallest aggregate size limit that makes sense: room for the framing and a record.
pub const AGGREGATION_MIN_BYTES: usize = 256;

/// How records are aggregated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AggregationConfig {
    /// An aggregated record's data at most, bytes.
    pub max_bytes: usize,
    /// Longest time a user record waits for its aggregate to fill.
    pub linger: Duration,
}

impl Default for AggregationConfig {
    fn default() -> Self {
        Self { max_bytes: KPL_AGGREGATION_MAX_BYTES, linger: Duration::from_millis(5) }
    }
}

/// A closed aggregate: one Kinesis record carrying `members.len()` user records.
#[derive(Debug)]
pub struct Aggregate<M> {
    /// The shard it was packed for.
    pub shard: usize,
    /// The Kinesis record's data (an aggregate, or the one user record's own data).
    pub data: Payload,
    /// Its partition key: the first user record's.
    pub partition_key: PartitionKey,
    /// What the caller attached to each user record, in order.
    pub members: Vec<M>,
}

struct Open<M> {
    keys: Vec<PartitionKey>,
    records: Vec<(usize, Payload)>,
    members: Vec<M>,
    body: usize,
    since: Instant,
}

/// Open aggregates per shard.
pub struct Aggregator<M> {
    config: AggregationConfig,
    open: Vec<Option<Open<M>>>,
    /// Shards in the order their open aggregates began (with that start), for linger.
    order: VecDeque<(Instant, usize)>,
    open_count: usize,
}

impl<M> Aggregator<M> {
    /// An aggregator for `shards` shards.
    pub fn new(config: AggregationConfig, shards: usize) -> Self {
        Self { config, open: (0..shards.max(1)).map(|_| None).collect(), order: VecDeque::new(), open_count: 0 }
    }

    /// Whether no user record waits.
    pub fn is_empty(&self) -> bool {
        self.open_count == 0
    }

    /// Adds a user record for `shard` at `now`. Returns the aggregate it closed, when the
    /// record did not fit in the shard's open one (the record then starts the next).
    pub fn push(
        &mut self,
        shard: usize,
        key: &PartitionKey,
        data: Payload,
        member: M,
        now: Instant,
    ) -> Option<Aggregate<M>> {
        let shard = shard.min(self.open.len() - 1);
        let mut closed = None;
        if let Some(open) = &self.open[shard] {
            let index = open.keys.iter().position(|k| k == key);
            let cost = aggregation::record_cost(key, index.is_none(), data.len(), index.unwrap_or(open.keys.len()));
            if aggregation::framed_len(open.body + cost) > self.config.max_bytes {
                closed = self.close(shard);
            }
        }
        let open = self.open[shard].get_or_insert_with(|| Open {
            keys: Vec::new(),
            records: Vec::new(),
            members: Vec::new(),
            body: 0,
            since: now,
        });
        if open.members.is_empty() {
            open.since = now;
            self.order.push_back((now, shard));
            self.open_count += 1;
        }
        let (index, new_key) = match open.keys.iter().position(|k| k == key) {
            Some(i) => (i, false),
            None => {
                open.keys.push(key.clone());
                (open.keys.len() - 1, true)
            }
        };
        open.body += aggregation::record_cost(key, new_key, data.len(), index);
        open.records.push((index, data));
        open.members.push(member);
        closed
    }

    /// The aggregates whose oldest record has waited `linger` by `now`.
    pub fn poll(&mut self, now: Instant, out: &mut Vec<Aggregate<M>>) {
        while let Some(&(since, shard)) = self.order.front() {
            if since + self.config.linger > now {
                break;
            }
            self.order.pop_front();
            // A shard whose aggregate closed (full) and reopened later has a newer entry.
            if self.open[shard].as_ref().is_some_and(|o| o.since == since && !o.members.is_empty()) {
                out.extend(self.close(shard));
            }
        }
    }

    /// Every open aggregate, closed now.
    pub fn take_all(&mut self, out: &mut Vec<Aggregate<M>>) {
        self.order.clear();
        for shard in 0..self.open.len() {
            out.extend(self.close(shard));
        }
    }

    /// When the oldest open aggregate's linger ends.
    pub fn deadline(&self) -> Option<Instant> {
        self.order.front().map(|(since, _)| *since + self.config.linger)
    }

    fn close(&mut self, shard: usize) -> Option<Aggregate<M>> {
        let open = self.open[shard].take()?;
        if open.members.is_empty() {
            return None;
        }
        self.open_count -= 1;
        let partition_key = open.keys[open.records[0].0].clone();
        let data = if open.records.len() == 1 {
            open.records.into_iter().next().map(|(_, d)| d).unwrap_or_default()
        } else {
            Payload::from(aggregation::encode(open.records.iter().map(|(k, d)| (&*open.keys[*k], d.as_ref()))))
        };
        Some(Aggregate { shard, data, partition_key, members: open.members })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> PartitionKey {
        PartitionKey::new(k)
    }

    #[test]
    fn records_fill_an_aggregate_per_shard_up_to_the_size_limit() {
        let t0 = Instant::now();
        let mut a = Aggregator::new(AggregationConfig { max_bytes: 1_000, linger: Duration::from_millis(5) }, 2);
        let data = Payload::from(vec![b'x'; 100]);
        let mut closed = Vec::new();
        for i in 0..20 {
            closed.extend(a.push(i % 2, &key(&format!("u{}", i % 3)), data.clone(), i, t0));
        }
        // Each ~107-byte user record (and its key, once) fits about 8 to an aggregate.
        assert!(!closed.is_empty());
        for agg in &closed {
            assert!(agg.data.len() <= 1_000, "{}", agg.data.len());
            let users = aggregation::decode(&agg.data).unwrap();
            assert_eq!(users.len(), agg.members.len());
            assert!(agg.members.iter().all(|m| m % 2 == agg.shard), "one shard per aggregate");
            assert_eq!(&*agg.partition_key, users[0].partition_key);
        }
        let mut rest = Vec::new();
        a.poll(t0 + Duration::from_millis(4), &mut rest);
        assert!(rest.is_empty(), "linger not over");
        assert_eq!(a.deadline(), Some(t0 + Duration::from_millis(5)));
        a.poll(t0 + Duration::from_millis(5), &mut rest);
        assert_eq!(rest.len(), 2);
        assert!(a.is_empty());
        let total: usize = closed.iter().chain(&rest).map(|g| g.members.len()).sum();
        assert_eq!(total, 20, "no record lost or doubled");
    }

    #[test]
    fn a_single_record_goes_plain() {
        let t0 = Instant::now();
        let mut a = Aggregator::new(AggregationConfig::default(), 1);
        a.push(0, &key("u1"), Payload::from(&b"{}"[..]), (), t0);
        let mut out = Vec::new();
        a.take_all(&mut out);
        assert_eq!(out[0].data.as_ref(), b"{}");
        assert!(!aggregation::is_aggregated(&out[0].data));
    }
}
