//! The load: what is sent and when.
//!
//! [`schedule`] turns a rate profile into due times on an absolute timeline (pure, seeded);
//! [`generator`] builds each event, its id ([`event_id`]) and its partition key ([`keys`]); [`batcher`] packs
//! records into PutRecords requests ([`aggregator`] first packs user records into KPL
//! aggregates per shard with `--aggregate`); [`per_user`] keeps per-user state in memory
//! proportional to the users a run meets; [`producer`] paces records per shard as the
//! producer models do (naive, the KPL's limiter, adaptive), in queues that grow a segment
//! at a time, never moving what they hold; [`driver`] runs all of it
//! against a sink, waits for due times, retries (records waiting out a backoff in
//! [`backoff`]) and keeps the ledger; [`split`] gives a
//! worker its exact share of a load split over processes.

pub mod aggregator;
mod backoff;
pub mod batcher;
pub mod driver;
pub mod event_id;
pub mod generator;
pub mod keys;
pub mod per_user;
pub mod producer;
mod products;
pub mod schedule;
mod segmented;
pub mod split;
