//! From a Kinesis record to its user records, and from each to a stored item or to the
//! permanent fault that stops it.
//!
//! The batch's payloads are base64-decoded into one buffer (one allocation per batch, not
//! per record), and every item borrows its strings from that buffer and from the records.
//! A record in the KPL aggregation format ([`retail_events::aggregation`]) expands into
//! its user records, each a unit of its own with its sub-sequence number; any other record
//! is one unit. All faults found here are permanent: the same bytes fail the same way on
//! every retry.

use std::ops::Range;

use retail_events::aggregation;
use retail_events::{DecodeError, ItemError, RecordMeta, Shape, StoredItem, ValidationError};

use crate::kinesis::KinesisEventRecord;
use crate::report::{Fault, FaultKind};

/// One user record of a batch: a plain Kinesis record, or one record of an aggregate.
#[derive(Debug, Clone)]
pub struct Unit {
    /// The Kinesis record it came in (index into the batch).
    pub record: usize,
    /// Its index in the aggregate, if the record was one.
    pub sub_sequence: Option<u64>,
    /// Its data in the arena, or why there is none.
    span: Result<Range<usize>, Fault>,
    /// Its own partition key (in `keys`), for a user record of an aggregate.
    key: Option<Range<usize>>,
}

/// The decoded payloads of one batch.
pub struct DecodedBatch {
    arena: Vec<u8>,
    keys: String,
    units: Vec<Unit>,
    aggregates: usize,
}

impl DecodedBatch {
    /// Base64-decodes every record's data and expands the aggregated ones.
    pub fn decode(records: &[KinesisEventRecord]) -> Self {
        let capacity =
            records.iter().map(|r| r.kinesis.data.len() / 4 * 3).sum::<usize>() + retail_events::base64::SCRATCH;
        let mut batch = DecodedBatch {
            arena: Vec::with_capacity(capacity),
            keys: String::new(),
            units: Vec::with_capacity(records.len()),
            aggregates: 0,
        };
        for (i, r) in records.iter().enumerate() {
            let start = batch.arena.len();
            // SIMD decoding, the last partial block included (`retail_events::base64`).
            if retail_events::base64::decode_append(r.kinesis.data.as_bytes(), &mut batch.arena).is_err() {
                let message = format!("record data ({} characters) is not valid standard base64", r.kinesis.data.len());
                batch.push(i, None, Err(Fault { kind: FaultKind::BadBase64, message }), None);
                continue;
            }
            if !aggregation::is_aggregated(&batch.arena[start..]) {
                batch.push(i, None, Ok(start..batch.arena.len()), None);
                continue;
            }
            batch.aggregates += 1;
            let decoded = aggregation::decode(&batch.arena[start..]);
            batch.arena.truncate(start);
            match decoded {
                Ok(users) => {
                    for (sub, user) in users.into_iter().enumerate() {
                        let at = batch.arena.len();
                        batch.arena.extend_from_slice(&user.data);
                        let key_at = batch.keys.len();
                        batch.keys.push_str(&user.partition_key);
                        let key = Some(key_at..batch.keys.len());
                        batch.push(i, Some(sub as u64), Ok(at..batch.arena.len()), key);
                    }
                }
                Err(e) => {
                    let fault = Fault { kind: FaultKind::BadAggregate, message: e.to_string() };
                    batch.push(i, None, Err(fault), None);
                }
            }
        }
        batch
    }

    fn push(
        &mut self,
        record: usize,
        sub_sequence: Option<u64>,
        span: Result<Range<usize>, Fault>,
        key: Option<Range<usize>>,
    ) {
        self.units.push(Unit { record, sub_sequence, span, key });
    }

    /// The user records, in order.
    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    /// How many records of the batch were KPL aggregates.
    pub fn aggregates(&self) -> usize {
        self.aggregates
    }

    /// A unit of an aggregate: its partition key and its data (for its dead letter).
    pub fn user_record(&self, u: usize) -> Option<(&str, &[u8])> {
        let unit = &self.units[u];
        let key = unit.key.clone()?;
        let span = unit.span.clone().ok()?;
        Some((&self.keys[key], &self.arena[span]))
    }

    /// Parses, validates and builds the item of unit `u` (`records` is the slice given to
    /// [`DecodedBatch::decode`]).
    pub fn item<'a>(
        &'a self,
        records: &'a [KinesisEventRecord],
        u: usize,
        now_ms: i64,
        ttl_secs: i64,
    ) -> Result<StoredItem<'a>, Fault> {
        let mut out = None;
        self.item_into(records, u, now_ms, ttl_secs, &mut Shape::default(), &mut out)?;
        out.ok_or_else(|| Fault { kind: FaultKind::BadJson, message: "no item was built".into() })
    }

    /// Like [`DecodedBatch::item`], building the item straight into `out` (`None` on a
    /// fault), so the batch path never moves items around. `shape` is the layout of the
    /// units decoded before (one [`Shape`] for the whole batch: a producer's events share
    /// one, and the JSON scanner then skips their keys).
    pub fn item_into<'a>(
        &'a self,
        records: &'a [KinesisEventRecord],
        u: usize,
        now_ms: i64,
        ttl_secs: i64,
        shape: &mut Shape,
        out: &mut Option<StoredItem<'a>>,
    ) -> Result<(), Fault> {
        let unit = &self.units[u];
        let span = unit.span.clone().map_err(|f| f.clone())?;
        let bytes = &self.arena[span];
        // An ASCII check, then SIMD validation if need be; std only to describe a failure.
        let text = retail_events::utf8::from_utf8(bytes).ok_or_else(|| Fault {
            kind: FaultKind::BadUtf8,
            message: match std::str::from_utf8(bytes) {
                Err(e) => format!("record data is not UTF-8: {e}"),
                Ok(_) => "record data is not UTF-8".to_string(),
            },
        })?;
        let record = &records[unit.record];
        let meta = RecordMeta {
            shard_id: record.shard_id(),
            sequence_number: &record.kinesis.sequence_number,
            arrival_ms: record.arrival_ms(),
            sub_sequence: unit.sub_sequence,
        };
        StoredItem::decode_into(text, &meta, now_ms, ttl_secs, shape, out).map_err(|e| match e {
            ItemError::Decode(DecodeError::Syntax(e)) => {
                Fault { kind: FaultKind::BadJson, message: format!("record data is not a JSON event object: {e}") }
            }
            ItemError::Decode(DecodeError::WrongType(e)) => {
                Fault { kind: FaultKind::BadJson, message: format!("a field has the wrong JSON type: {e}") }
            }
            ItemError::Invalid(e) => validation_fault(e),
        })
    }
}

fn validation_fault(e: ValidationError) -> Fault {
    let kind = match e {
        ValidationError::FieldTooLong { .. } | ValidationError::ItemTooLarge { .. } => FaultKind::Oversize,
        _ => FaultKind::Validation,
    };
    Fault { kind, message: e.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinesis::KinesisRecord;

    fn rec(data: String) -> KinesisEventRecord {
        KinesisEventRecord {
            event_id: "shardId-000000000000:1".into(),
            kinesis: KinesisRecord { data, sequence_number: "1".into(), ..Default::default() },
            ..Default::default()
        }
    }

    fn b64(bytes: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn each_fault_kind_is_classified() {
        let records = vec![
            rec("!!!not base64".into()),
            rec(b64(&[0xff, 0xfe, b'{'])),
            rec(b64(b"{\"userId\":")),
            rec(b64(br#"{"eventType":"view"}"#)),
            rec(b64(format!(r#"{{"userId":"{}","eventType":"view"}}"#, "u".repeat(300)).as_bytes())),
            rec(b64(br#"{"userId":"u","eventType":"view","timestamp":1764000000000}"#)),
        ];
        let batch = DecodedBatch::decode(&records);
        let kinds: Vec<_> =
            (0..records.len()).map(|i| batch.item(&records, i, 1_764_000_000_000, 60).err().map(|f| f.kind)).collect();
        assert_eq!(
            kinds,
            [
                Some(FaultKind::BadBase64),
                Some(FaultKind::BadUtf8),
                Some(FaultKind::BadJson),
                Some(FaultKind::Validation),
                Some(FaultKind::Oversize),
                None
            ]
        );
    }
}
