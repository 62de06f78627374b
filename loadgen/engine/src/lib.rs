//! The load generator's engine: everything `loadgen` does, without a terminal.
//!
//! A run flows through the folders in order:
//!
//! - [`load`]: the schedule (an absolute timeline from a rate profile), the event
//!   generator and its partition keys, the PutRecords batcher, and the driver that offers
//!   the load, retries and keeps the ledger;
//! - [`sink`]: where records go — the [`sink::RecordSink`] trait, a Kinesis stream
//!   ([`sink::kinesis`]) or the embedded local pipeline model ([`sink::local`]: stream
//!   quotas, event source mapping, the real function processor, an in-memory table);
//! - [`measure`]: the ledger, latency histograms, the per-second timeline and the tracer
//!   sample;
//! - [`outcome`]: `result.json` ([`outcome::result`]), assembled once per run, the
//!   verdict, thresholds, exact merging of workers' runs and baseline comparison;
//! - [`capacity`]: the AWS quotas, shard sizing, the capacity plan and its prices;
//! - [`aws`]: read-backs from a deployed pipeline (verification, `loadgen consume`).
//!
//! [`RunConfig`] is what to run (with `Default` and one `validate`), [`run`] runs it;
//! progress goes to an [`Observer`], stop requests come through a [`Stop`]. Nothing here
//! prints, parses command lines or writes files: the `loadgen` CLI and the
//! `loadgen-report` exporters do that on top.
// Denied, not forbidden: the two exceptions are `prefetch`, cache hints that read and
// write nothing, and `load::event_id`'s call of its SSE2 hex digits, which the x86-64
// target always has.
#![deny(unsafe_code)]

pub mod aws;
pub mod capacity;
pub mod checks;
pub mod config;
pub mod limit;
pub mod load;
pub mod measure;
pub mod observe;
pub mod outcome;
mod prefetch;
pub mod run;
pub mod sink;
pub mod stop;

pub use config::{ConfigError, RunConfig};
pub use observe::{Observer, Phase, Silent};
pub use outcome::result::RunResult;
pub use run::{run, RunError, RunOutcome};
pub use stop::{stop_channel, Stop, StopHandle};
