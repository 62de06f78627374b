//! loadgen: drive a Kinesis → Lambda → DynamoDB pipeline at a controlled rate and say
//! whether it holds.
#![forbid(unsafe_code)]

pub mod batcher;
pub mod capacity;
pub mod cli;
pub mod consume;
pub mod driver;
pub mod generator;
pub mod hash_ranges;
pub mod keys;
pub mod kinesis;
pub mod limit;
pub mod local;
pub mod plan;
pub mod prices;
pub mod quotas;
pub mod report;
pub mod result;
pub mod run;
pub mod schedule;
pub mod sink;
pub mod spec;
pub mod stats;
pub mod summary;
pub mod verify;
