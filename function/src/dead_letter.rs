//! The dead-letter message: everything a person needs to understand and replay a record
//! that can never be processed.
//!
//! The body is JSON with the error kind and message, the record's shard id, sequence
//! number, partition key, arrival time, stream ARN and its data exactly as Lambda received
//! it (base64). SQS caps a message at 256 KiB while a Kinesis record can be larger: above
//! the cap, `data` holds the longest base64 prefix that fits, `dataTruncated` is `true`,
//! and the full record can be re-read from the stream by shard id and sequence number
//! while the stream retains it. Nothing else is ever cut.

use serde::{Deserialize, Serialize};

use crate::kinesis::KinesisEventRecord;
use crate::ports::MAX_DLQ_MESSAGE_BYTES;
use crate::report::{Fault, FaultKind};

/// Longest error message kept: serde's messages quote the offending input, which may be
/// as long as the record.
const MAX_ERROR_MESSAGE_BYTES: usize = 2048;

/// One dead-letter queue message body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    /// The fault class (`bad_json`, `validation`, …).
    pub error_kind: FaultKind,
    /// The fault in words.
    pub error_message: String,
    /// Shard the record came from.
    pub shard_id: String,
    /// The record's sequence number: with the shard id, enough to re-read it.
    pub sequence_number: String,
    /// The producer's partition key.
    pub partition_key: String,
    /// Kinesis approximate arrival time, epoch milliseconds.
    pub arrival_timestamp_ms: i64,
    /// Stream ARN, when Lambda sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_source_arn: Option<String>,
    /// The record data as received (base64), or its prefix when `data_truncated`.
    pub data: String,
    /// Length of the full base64 data.
    pub data_base64_len: usize,
    /// Whether `data` was cut to fit the SQS message limit.
    pub data_truncated: bool,
    /// For a user record of a KPL aggregate: its index in the aggregate (`data` and
    /// `partitionKey` are then the user record's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_sequence_number: Option<u64>,
}

impl DeadLetter {
    /// Builds the dead letter for `record` failed with `fault`.
    pub fn new(record: &KinesisEventRecord, fault: &Fault) -> Self {
        DeadLetter {
            error_kind: fault.kind,
            error_message: sqs_safe(truncate_utf8(&fault.message, MAX_ERROR_MESSAGE_BYTES)),
            shard_id: record.shard_id().to_string(),
            sequence_number: record.kinesis.sequence_number.clone(),
            partition_key: sqs_safe(&record.kinesis.partition_key),
            arrival_timestamp_ms: record.arrival_ms(),
            event_source_arn: record.event_source_arn.clone(),
            data: String::new(),
            data_base64_len: record.kinesis.data.len(),
            data_truncated: false,
            sub_sequence_number: None,
        }
        .with_data(&record.kinesis.data)
    }

    /// Builds the dead letter for user record `sub` (partition key `partition_key`, data
    /// `data`) of the aggregated `record`, failed with `fault`.
    pub fn of_user_record(
        record: &KinesisEventRecord,
        fault: &Fault,
        sub: u64,
        partition_key: &str,
        data: &[u8],
    ) -> Self {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(data);
        let mut letter = DeadLetter::new(record, fault);
        letter.partition_key = sqs_safe(partition_key);
        letter.sub_sequence_number = Some(sub);
        letter.data_base64_len = encoded.len();
        letter.data_truncated = false;
        letter.with_data(&encoded)
    }

    fn with_data(mut self, data: &str) -> Self {
        let envelope = serde_json::to_string(&self).map_or(0, |s| s.len());
        // JSON-escaping can only grow a string that is not plain base64; measure it.
        let data_json_len = serde_json::to_string(data).map_or(usize::MAX, |s| s.len() - 2);
        let room = MAX_DLQ_MESSAGE_BYTES.saturating_sub(envelope + 8);
        if data_json_len <= room {
            self.data = sqs_safe(data);
        } else {
            // Base64 is ASCII: cut on a 4-character boundary so the prefix still decodes.
            let cut = (room.min(data.len()) / 4) * 4;
            self.data = sqs_safe(truncate_utf8(data, cut));
            self.data_truncated = true;
        }
        self
    }

    /// The JSON body.
    pub fn to_body(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// SQS accepts only some Unicode characters in a body; JSON escapes the control ones, the
/// two non-characters U+FFFE and U+FFFF it does not.
fn sqs_safe(s: &str) -> String {
    if s.contains(['\u{FFFE}', '\u{FFFF}']) {
        s.replace(['\u{FFFE}', '\u{FFFF}'], "\u{FFFD}")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinesis::KinesisRecord;

    fn record(data: String) -> KinesisEventRecord {
        KinesisEventRecord {
            event_id: "shardId-000000000001:42".into(),
            event_source_arn: Some("arn:aws:kinesis:us-east-1:1:stream/s".into()),
            kinesis: KinesisRecord {
                data,
                partition_key: "user-1".into(),
                sequence_number: "42".into(),
                approximate_arrival_timestamp: 1_764_000_000.5,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn carries_everything_needed_to_replay() {
        let fault = Fault { kind: FaultKind::BadJson, message: "expected value".into() };
        let dl = DeadLetter::new(&record("bm90IGpzb24=".into()), &fault);
        let back: DeadLetter = serde_json::from_str(&dl.to_body()).unwrap();
        assert_eq!(back, dl);
        assert_eq!(back.shard_id, "shardId-000000000001");
        assert_eq!(back.sequence_number, "42");
        assert_eq!(back.partition_key, "user-1");
        assert_eq!(back.arrival_timestamp_ms, 1_764_000_000_500);
        assert_eq!(back.data, "bm90IGpzb24=");
        assert!(!back.data_truncated);
        assert!(dl.to_body().contains(r#""errorKind":"bad_json""#));
    }

    #[test]
    fn oversize_data_is_truncated_to_fit_sqs() {
        let data = "QUFB".repeat(200_000); // 800,000 base64 chars
        let fault = Fault { kind: FaultKind::Oversize, message: "x".repeat(10_000) };
        let dl = DeadLetter::new(&record(data.clone()), &fault);
        let body = dl.to_body();
        assert!(body.len() <= MAX_DLQ_MESSAGE_BYTES, "{}", body.len());
        assert!(dl.data_truncated);
        assert_eq!(dl.data_base64_len, data.len());
        assert_eq!(dl.data.len() % 4, 0);
        assert!(data.starts_with(&dl.data));
        assert!(dl.error_message.len() <= MAX_ERROR_MESSAGE_BYTES);
    }
}
