//! loadgen: drive a Kinesis → Lambda → DynamoDB pipeline at a controlled rate and say
//! whether it holds.
#![forbid(unsafe_code)]

pub mod batcher;
pub mod generator;
pub mod hash_ranges;
pub mod keys;
pub mod local;
pub mod quotas;
pub mod schedule;
pub mod sink;
pub mod stats;
