//! Where the end-to-end latency goes: the stages an event passes, each measured as its own
//! HdrHistogram where the data allows.
//!
//! The local pipeline measures every stage: the intended send to the stream's acceptance
//! (the corrected put latency), then the wait from arrival to the invocation that delivers
//! the record (batching window, polling, the lane's queue), then the invocation that
//! writes it. The model stamps the arrival time when it accepts a record, so it has no
//! separate accepted → arrival stage. Against a deployed pipeline the tracer items carry
//! Kinesis's `approximateArrivalTimestamp` and the function's `processedAt`: intended send
//! → arrival and arrival → written (both read across clocks: the producer's and AWS's).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A stage of an event's way through the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Intended send time → accepted by the stream (the corrected put latency).
    SendToAccepted,
    /// Intended send time → Kinesis's approximate arrival timestamp (deployed pipelines).
    SendToArrival,
    /// Arrival in the stream → the start of the invocation that delivers the record.
    ArrivalToInvocation,
    /// Start of the invocation → the record written (`processedAt`).
    InvocationToWritten,
    /// Arrival in the stream → written (`processedAt`; deployed pipelines).
    ArrivalToWritten,
}

impl Stage {
    /// Every stage, in the order an event passes them.
    pub const ALL: [Stage; 5] = [
        Stage::SendToAccepted,
        Stage::SendToArrival,
        Stage::ArrivalToInvocation,
        Stage::InvocationToWritten,
        Stage::ArrivalToWritten,
    ];

    /// The name of its histogram in `result.json` (the send → accepted stage is the
    /// corrected put latency's own histogram).
    pub fn histogram_name(self) -> &'static str {
        match self {
            Stage::SendToAccepted => "put_corrected",
            Stage::SendToArrival => "stage_send_to_arrival",
            Stage::ArrivalToInvocation => "stage_arrival_to_invocation",
            Stage::InvocationToWritten => "stage_invocation_to_written",
            Stage::ArrivalToWritten => "stage_arrival_to_written",
        }
    }

    /// What it is, in words.
    pub fn label(self) -> &'static str {
        match self {
            Stage::SendToAccepted => "intended send → accepted by the stream",
            Stage::SendToArrival => "intended send → arrival in the stream",
            Stage::ArrivalToInvocation => "arrival → invocation start",
            Stage::InvocationToWritten => "invocation start → written",
            Stage::ArrivalToWritten => "arrival → written",
        }
    }
}
