//! Read-backs from a deployed pipeline: [`verify`] looks the run's sampled events up in
//! the table and counts the dead-letter queue; [`consume`] plays the event source mapping
//! over any Kinesis endpoint with the real function processor.

pub mod consume;
pub mod verify;
