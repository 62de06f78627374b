//! The outcome of a run: what it measured and what that means.
//!
//! - [`result`]: the `result.json` types (schema derived, see `loadgen/schema/`) and
//!   loading them back;
//! - [`assemble`]: a finished run's figures turned into a [`result::RunResult`], once;
//! - [`verdict`]: whether the pipeline held, and why;
//! - [`thresholds`]: the CI limits, judged the same way for runs and merges;
//! - [`histograms`]: a result's histograms decoded;
//! - [`measured`]: the deployed pipeline's CloudWatch figures, and how they compare;
//! - [`versus_model`]: those figures beside loadgen's and the capacity model's;
//! - [`merge`]: several workers' runs of one load merged exactly;
//! - [`compare`]: a run against a baseline, with regression limits;
//! - [`fixture`]: a small fixed result for tests of everything that renders results.

pub mod assemble;
pub mod compare;
pub mod fixture;
pub mod histograms;
pub mod measured;
pub mod merge;
pub mod result;
pub mod thresholds;
pub mod verdict;
pub mod versus_model;
