//! From a Kinesis record to a stored item, or to the permanent fault that stops it.
//!
//! The batch's payloads are base64-decoded into one buffer (one allocation per batch, not
//! per record), and every item borrows its strings from that buffer and from the records.
//! All faults found here are permanent: the same bytes fail the same way on every retry.

use std::ops::Range;

use retail_events::{DecodeError, ItemError, RecordMeta, StoredItem, ValidationError};

use crate::kinesis::KinesisEventRecord;
use crate::report::{Fault, FaultKind};

/// The decoded payloads of one batch.
pub struct DecodedBatch {
    arena: Vec<u8>,
    spans: Vec<Result<Range<usize>, Fault>>,
}

impl DecodedBatch {
    /// Base64-decodes every record's data.
    pub fn decode(records: &[KinesisEventRecord]) -> Self {
        let capacity = records.iter().map(|r| r.kinesis.data.len() / 4 * 3 + 3).sum();
        let mut arena = Vec::with_capacity(capacity);
        let spans = records
            .iter()
            .map(|r| {
                let start = arena.len();
                // SIMD decoding: on the batch path it is several times faster than the
                // scalar `base64` crate.
                match base64_simd::STANDARD.decode_append(&r.kinesis.data, &mut arena) {
                    Ok(()) => Ok(start..arena.len()),
                    Err(_) => {
                        arena.truncate(start);
                        let message =
                            format!("record data ({} characters) is not valid standard base64", r.kinesis.data.len());
                        Err(Fault { kind: FaultKind::BadBase64, message })
                    }
                }
            })
            .collect();
        DecodedBatch { arena, spans }
    }

    /// Parses, validates and builds the item of record `i` of `records` (the slice given
    /// to [`DecodedBatch::decode`]).
    pub fn item<'a>(
        &'a self,
        records: &'a [KinesisEventRecord],
        i: usize,
        now_ms: i64,
        ttl_secs: i64,
    ) -> Result<StoredItem<'a>, Fault> {
        let mut out = None;
        self.item_into(records, i, now_ms, ttl_secs, &mut out)?;
        out.ok_or_else(|| Fault { kind: FaultKind::BadJson, message: "no item was built".into() })
    }

    /// Like [`DecodedBatch::item`], building the item straight into `out` (`None` on a
    /// fault), so the batch path never moves items around.
    pub fn item_into<'a>(
        &'a self,
        records: &'a [KinesisEventRecord],
        i: usize,
        now_ms: i64,
        ttl_secs: i64,
        out: &mut Option<StoredItem<'a>>,
    ) -> Result<(), Fault> {
        let span = self.spans[i].clone().map_err(|f| f.clone())?;
        let bytes = &self.arena[span];
        // SIMD validation on the batch path; std only to describe a failure.
        let text = simdutf8::basic::from_utf8(bytes).map_err(|_| Fault {
            kind: FaultKind::BadUtf8,
            message: match std::str::from_utf8(bytes) {
                Err(e) => format!("record data is not UTF-8: {e}"),
                Ok(_) => "record data is not UTF-8".to_string(),
            },
        })?;
        let record = &records[i];
        let meta = RecordMeta {
            shard_id: record.shard_id(),
            sequence_number: &record.kinesis.sequence_number,
            arrival_ms: record.arrival_ms(),
        };
        StoredItem::decode_into(text, &meta, now_ms, ttl_secs, out).map_err(|e| match e {
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
