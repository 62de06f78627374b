//! loadgen: drive a Kinesis → Lambda → DynamoDB pipeline at a controlled rate and say
//! whether it holds.
#![forbid(unsafe_code)]

pub mod generator;
pub mod hash_ranges;
pub mod keys;
pub mod quotas;
pub mod schedule;
