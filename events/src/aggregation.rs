//! The Kinesis Producer Library's aggregation format: many user records in one Kinesis
//! record.
//!
//! An aggregated record's data is the magic bytes [`MAGIC`] (`F3 89 9A C2`), a protobuf
//! `AggregatedRecord` (a partition-key table, an optional explicit-hash-key table and the
//! records, each naming its keys by index into the tables), then the 16-byte MD5 of the
//! protobuf bytes (awslabs/amazon-kinesis-producer, `aggregation-format.md`). The
//! producer ([`encode`]) packs records that share a shard; the consumer ([`decode`])
//! expands them again, each user record keeping its index in the aggregate (its
//! sub-sequence number).

use md5::{Digest, Md5};
use prost::Message;

/// The first four bytes of every aggregated record.
pub const MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];
/// The MD5 checksum's length.
const CHECKSUM_BYTES: usize = 16;
/// The KPL's default `AggregationMaxSize`: an aggregated record's data at most, bytes.
pub const KPL_AGGREGATION_MAX_BYTES: usize = 51_200;

/// The protobuf message of an aggregate.
#[derive(Clone, PartialEq, Message)]
pub struct AggregatedRecord {
    /// Partition keys, referenced by index.
    #[prost(string, repeated, tag = "1")]
    pub partition_key_table: Vec<String>,
    /// Explicit hash keys, referenced by index.
    #[prost(string, repeated, tag = "2")]
    pub explicit_hash_key_table: Vec<String>,
    /// The user records.
    #[prost(message, repeated, tag = "3")]
    pub records: Vec<Record>,
}

/// One user record of an aggregate.
#[derive(Clone, PartialEq, Message)]
pub struct Record {
    /// Its partition key's index in the table.
    #[prost(uint64, required, tag = "1")]
    pub partition_key_index: u64,
    /// Its explicit hash key's index, if it has one.
    #[prost(uint64, optional, tag = "2")]
    pub explicit_hash_key_index: Option<u64>,
    /// Its data.
    #[prost(bytes = "vec", required, tag = "3")]
    pub data: Vec<u8>,
    /// Tags (the KPL never sets them; kept so that records that carry them decode).
    #[prost(message, repeated, tag = "4")]
    pub tags: Vec<Tag>,
}

/// A tag of a user record.
#[derive(Clone, PartialEq, Message)]
pub struct Tag {
    /// Key.
    #[prost(string, required, tag = "1")]
    pub key: String,
    /// Value.
    #[prost(string, optional, tag = "2")]
    pub value: Option<String>,
}

/// One user record, expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Its partition key.
    pub partition_key: String,
    /// Its explicit hash key, if it had one.
    pub explicit_hash_key: Option<String>,
    /// Its data.
    pub data: Vec<u8>,
}

/// Why an aggregated record cannot be expanded (the same bytes fail the same way on
/// every delivery).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AggregationError {
    /// The MD5 at the end does not match the protobuf bytes.
    #[error("aggregated record ({bytes} bytes) fails its MD5 checksum: truncated or corrupted")]
    Checksum {
        /// The record's data length.
        bytes: usize,
    },
    /// The protobuf bytes do not decode as an `AggregatedRecord`.
    #[error("aggregated record's protobuf does not decode: {0}")]
    Protobuf(String),
    /// A user record names a partition key past the table.
    #[error("user record {record} of the aggregate names partition key {index}, but the table has {table}")]
    PartitionKeyIndex {
        /// The user record's index.
        record: usize,
        /// The index it names.
        index: u64,
        /// The table's length.
        table: usize,
    },
    /// A user record names an explicit hash key past the table.
    #[error("user record {record} of the aggregate names explicit hash key {index}, but the table has {table}")]
    ExplicitHashKeyIndex {
        /// The user record's index.
        record: usize,
        /// The index it names.
        index: u64,
        /// The table's length.
        table: usize,
    },
    /// An aggregate with no user records.
    #[error("aggregated record holds no user records")]
    Empty,
}

/// Whether `data` is in the aggregation format (its magic bytes, and room for a
/// checksum).
pub fn is_aggregated(data: &[u8]) -> bool {
    data.len() >= MAGIC.len() + CHECKSUM_BYTES && data[..MAGIC.len()] == MAGIC
}

/// Expands an aggregated record's data (see [`is_aggregated`]) into its user records, in
/// order: the index of each is its sub-sequence number.
pub fn decode(data: &[u8]) -> Result<Vec<UserRecord>, AggregationError> {
    let checksum_at = data.len().saturating_sub(CHECKSUM_BYTES);
    if !is_aggregated(data) {
        return Err(AggregationError::Checksum { bytes: data.len() });
    }
    let body = &data[MAGIC.len()..checksum_at];
    if Md5::digest(body)[..] != data[checksum_at..] {
        return Err(AggregationError::Checksum { bytes: data.len() });
    }
    let message = AggregatedRecord::decode(body).map_err(|e| AggregationError::Protobuf(e.to_string()))?;
    if message.records.is_empty() {
        return Err(AggregationError::Empty);
    }
    let AggregatedRecord { partition_key_table: keys, explicit_hash_key_table: hashes, records } = message;
    records
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let partition_key = usize::try_from(r.partition_key_index)
                .ok()
                .and_then(|k| keys.get(k))
                .ok_or(AggregationError::PartitionKeyIndex {
                    record: i,
                    index: r.partition_key_index,
                    table: keys.len(),
                })?
                .clone();
            let explicit_hash_key = match r.explicit_hash_key_index {
                None => None,
                Some(index) => Some(
                    usize::try_from(index)
                        .ok()
                        .and_then(|k| hashes.get(k))
                        .ok_or(AggregationError::ExplicitHashKeyIndex { record: i, index, table: hashes.len() })?
                        .clone(),
                ),
            };
            Ok(UserRecord { partition_key, explicit_hash_key, data: r.data })
        })
        .collect()
}

/// Packs user records (partition key, data) into one aggregated record's data: each
/// distinct partition key once in the table, no explicit hash keys.
pub fn encode<'a>(records: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Vec<u8> {
    let mut message = AggregatedRecord::default();
    for (key, data) in records {
        let index = match message.partition_key_table.iter().position(|k| k == key) {
            Some(i) => i,
            None => {
                message.partition_key_table.push(key.to_string());
                message.partition_key_table.len() - 1
            }
        };
        message.records.push(Record {
            partition_key_index: index as u64,
            explicit_hash_key_index: None,
            data: data.to_vec(),
            tags: Vec::new(),
        });
    }
    let body = message.encode_to_vec();
    let mut out = Vec::with_capacity(MAGIC.len() + body.len() + CHECKSUM_BYTES);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&body);
    out.extend_from_slice(&Md5::digest(&body));
    out
}

/// The bytes one more user record adds to an aggregate: its protobuf `Record` field
/// (key index, data, their tags and lengths) and, for a key not yet in the table, the
/// key's entry. A producer adds these up to stay under its size limit.
pub fn record_cost(partition_key: &str, new_key: bool, data_len: usize, key_index: usize) -> usize {
    let varint = |v: usize| prost::encoding::encoded_len_varint(v as u64);
    let record = 1 + varint(key_index) + 1 + varint(data_len) + data_len;
    let key = if new_key { 1 + varint(partition_key.len()) + partition_key.len() } else { 0 };
    1 + varint(record) + record + key
}

/// An aggregate's data length for a protobuf body of `body` bytes.
pub fn framed_len(body: usize) -> usize {
    MAGIC.len() + body + CHECKSUM_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_aggregate_round_trips_and_its_size_is_predicted() {
        let records: Vec<(&str, &[u8])> = vec![("u1", b"{\"a\":1}"), ("u2", b"{}"), ("u1", b"{\"b\":22}")];
        let data = encode(records.iter().copied());
        assert!(is_aggregated(&data));
        let back = decode(&data).unwrap();
        assert_eq!(back.len(), 3);
        assert_eq!((back[2].partition_key.as_str(), back[2].data.as_slice()), ("u1", &b"{\"b\":22}"[..]));
        // The size the producer adds up is the size it gets.
        let mut keys: Vec<&str> = Vec::new();
        let mut body = 0;
        for (k, d) in &records {
            let (index, new) = match keys.iter().position(|x| x == k) {
                Some(i) => (i, false),
                None => {
                    keys.push(k);
                    (keys.len() - 1, true)
                }
            };
            body += record_cost(k, new, d.len(), index);
        }
        assert_eq!(framed_len(body), data.len());
    }

    #[test]
    fn damaged_aggregates_are_refused_with_their_reason() {
        let data = encode([("u1", &b"{}"[..])]);
        let mut flipped = data.clone();
        flipped[6] ^= 0x40;
        assert_eq!(decode(&flipped), Err(AggregationError::Checksum { bytes: data.len() }));
        assert!(matches!(decode(&data[..data.len() - 3]), Err(AggregationError::Checksum { .. })));
        // A well-formed checksum over a body that names a key past the table.
        let bad = AggregatedRecord {
            partition_key_table: vec!["k".into()],
            explicit_hash_key_table: vec![],
            records: vec![Record { partition_key_index: 5, explicit_hash_key_index: None, data: vec![], tags: vec![] }],
        }
        .encode_to_vec();
        let framed = [&MAGIC[..], &bad, &Md5::digest(&bad)[..]].concat();
        assert_eq!(decode(&framed), Err(AggregationError::PartitionKeyIndex { record: 0, index: 5, table: 1 }));
        let garbage = [&MAGIC[..], &[0xff, 0xff, 0xff][..], &Md5::digest([0xff, 0xff, 0xff])[..]].concat();
        assert!(matches!(decode(&garbage), Err(AggregationError::Protobuf(_))));
        let empty = [&MAGIC[..], &Md5::digest([])[..]].concat();
        assert_eq!(decode(&empty), Err(AggregationError::Empty));
        assert!(!is_aggregated(b"{\"userId\":\"u\"}"));
    }
}
