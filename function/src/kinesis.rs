//! The Kinesis event Lambda hands the function, as the function reads it.
//!
//! `data` stays a base64 *string* here on purpose: a record whose data is not valid
//! base64 must become one dead-lettered record, not a deserialisation failure of the whole
//! invocation (which would retry the batch forever and stall the shard). For the same
//! reason every field but `data`, `sequenceNumber` and `eventID` tolerates absence.
//! The types serialise back to the JSON Lambda sends, so fixtures round-trip.

use serde::{Deserialize, Serialize};

/// The invocation payload of a Kinesis event source mapping.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct KinesisEvent {
    /// The batch, in shard order.
    #[serde(rename = "Records")]
    pub records: Vec<KinesisEventRecord>,
}

/// One record of the batch with Lambda's envelope.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KinesisEventRecord {
    /// The Kinesis part.
    pub kinesis: KinesisRecord,
    /// `shardId-000000000000:<sequenceNumber>`.
    #[serde(rename = "eventID", default)]
    pub event_id: String,
    /// ARN of the stream.
    #[serde(rename = "eventSourceARN", default, skip_serializing_if = "Option::is_none")]
    pub event_source_arn: Option<String>,
    /// `aws:kinesis`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_source: Option<String>,
    /// `1.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_version: Option<String>,
    /// `aws:kinesis:record`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_name: Option<String>,
    /// Role ARN of the mapping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoke_identity_arn: Option<String>,
    /// Region of the stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_region: Option<String>,
}

/// The record as Kinesis stored it.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KinesisRecord {
    /// The payload, base64 encoded.
    pub data: String,
    /// The producer's partition key.
    #[serde(default)]
    pub partition_key: String,
    /// Unique within the shard; the `itemIdentifier` of a batch item failure.
    pub sequence_number: String,
    /// Epoch seconds with a fraction.
    #[serde(default)]
    pub approximate_arrival_timestamp: f64,
    /// `1.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kinesis_schema_version: Option<String>,
    /// `KMS` when the stream is encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_type: Option<String>,
}

impl KinesisEventRecord {
    /// A record as Lambda would deliver it: `data` is the raw payload (encoded to base64
    /// here), `arrival_secs` the approximate arrival time in epoch seconds. Consumers that
    /// play the event source mapping build their invocations with this.
    pub fn new(shard_id: &str, sequence_number: String, partition_key: String, data: &[u8], arrival_secs: f64) -> Self {
        let mut record = KinesisEventRecord {
            kinesis: KinesisRecord { partition_key, sequence_number, ..KinesisRecord::default() },
            ..KinesisEventRecord::default()
        };
        record.fill_envelope(shard_id, data, arrival_secs);
        record
    }

    /// Makes this record the one [`KinesisEventRecord::new`] would build from the same
    /// parts, reusing its strings' memory: a consumer that invokes the function batch
    /// after batch refills one set of records instead of allocating four strings per
    /// record.
    pub fn refill(
        &mut self,
        shard_id: &str,
        sequence_number: &str,
        partition_key: &str,
        data: &[u8],
        arrival_secs: f64,
    ) {
        let k = &mut self.kinesis;
        k.sequence_number.clear();
        k.sequence_number.push_str(sequence_number);
        k.partition_key.clear();
        k.partition_key.push_str(partition_key);
        k.kinesis_schema_version = None;
        k.encryption_type = None;
        self.event_source_arn = None;
        self.event_source = None;
        self.event_version = None;
        self.event_name = None;
        self.invoke_identity_arn = None;
        self.aws_region = None;
        self.fill_envelope(shard_id, data, arrival_secs);
    }

    /// Sets `eventID`, `data` and the arrival time from the sequence number already set.
    fn fill_envelope(&mut self, shard_id: &str, data: &[u8], arrival_secs: f64) {
        let k = &mut self.kinesis;
        self.event_id.clear();
        self.event_id.reserve(shard_id.len() + 1 + k.sequence_number.len());
        self.event_id.push_str(shard_id);
        self.event_id.push(':');
        self.event_id.push_str(&k.sequence_number);
        k.data.clear();
        // A refilled record meets payloads of many sizes: grow its buffer to the next
        // power of two, not to each new largest size (at 1,000,000 events/s, reallocating
        // here was a twentieth of the local pipeline's CPU).
        let encoded = data.len().div_ceil(3) * 4;
        if k.data.capacity() < encoded {
            k.data.reserve(encoded.next_power_of_two());
        }
        base64_simd::STANDARD.encode_append(data, &mut k.data);
        k.approximate_arrival_timestamp = arrival_secs;
    }

    /// The shard id: the part of `eventID` before the colon (`shardId-000000000000`).
    pub fn shard_id(&self) -> &str {
        // Kinesis's shard ids are `shardId-` and 12 digits: the colon is at byte 20 (a
        // search for it cost ~150 instructions per record).
        const SHARD_ID_LEN: usize = "shardId-000000000000".len();
        if self.event_id.as_bytes().get(SHARD_ID_LEN) == Some(&b':') {
            return &self.event_id[..SHARD_ID_LEN];
        }
        self.event_id.split_once(':').map_or(self.event_id.as_str(), |(shard, _)| shard)
    }

    /// `approximateArrivalTimestamp` in epoch milliseconds.
    pub fn arrival_ms(&self) -> i64 {
        round_to_i64(self.kinesis.approximate_arrival_timestamp * 1000.0)
    }
}

/// `x.round() as i64` (halves away from zero) without the libm call `round` is on x86-64
/// CPUs without SSE4.1, which Rust's default target assumes: below 2^52 the truncation is
/// exact, and so is the fraction left over (Sterbenz), so the comparison with one half is.
fn round_to_i64(x: f64) -> i64 {
    const EXACT: f64 = 4_503_599_627_370_496.0; // 2^52
    if x.abs() < EXACT {
        let whole = x as i64;
        let fraction = x - whole as f64;
        whole + i64::from(fraction >= 0.5) - i64::from(fraction <= -0.5)
    } else {
        x.round() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrival_rounds_as_f64_round_does() {
        let mut values =
            vec![0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, 0.49999999999999994, -0.49999999999999994, f64::NAN];
        values.extend([
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            1e19,
            -1e19,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ]);
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Epoch seconds with three decimals, as Kinesis sends them, times 1000; and
            // halves and near-halves of every size.
            let seconds = 1.5e9 + (x % 1_000_000_000) as f64 / 1000.0;
            values.push(seconds * 1000.0);
            let half = (x % (1 << 53)) as f64 / 2.0;
            values.extend([
                half,
                -half,
                f64::from_bits(half.to_bits() + 1),
                f64::from_bits(half.to_bits().saturating_sub(1)),
            ]);
        }
        for v in values {
            assert_eq!(round_to_i64(v), v.round() as i64, "{v:?}");
        }
    }

    #[test]
    fn shard_id_and_arrival() {
        let r = KinesisEventRecord {
            event_id: "shardId-000000000006:4959".into(),
            kinesis: KinesisRecord { approximate_arrival_timestamp: 1545084650.987, ..Default::default() },
            ..Default::default()
        };
        assert_eq!(r.shard_id(), "shardId-000000000006");
        assert_eq!(r.arrival_ms(), 1_545_084_650_987);
    }

    #[test]
    fn a_refilled_record_is_the_one_new_builds() {
        let mut reused = KinesisEventRecord::new(
            "shardId-000000000001",
            "1".repeat(56),
            "a-long-partition-key".into(),
            b"{\"userId\":\"u\"}",
            1.5,
        );
        reused.aws_region = Some("us-east-1".into());
        reused.kinesis.encryption_type = Some("KMS".into());
        reused.refill("shardId-000000000002", "42", "k", b"x", 2.25);
        assert_eq!(reused, KinesisEventRecord::new("shardId-000000000002", "42".into(), "k".into(), b"x", 2.25));
        assert_eq!(reused.event_id, "shardId-000000000002:42");
        assert_eq!(reused.kinesis.data, "eA==");
    }
}
