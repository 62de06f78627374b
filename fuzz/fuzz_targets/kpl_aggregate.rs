//! The function's de-aggregation of KPL records on arbitrary bytes: every aggregate must
//! expand into user records or be refused with a fault, never panic.
//!
//! The first byte picks what the rest is: even, a protobuf body framed with the magic
//! bytes and its correct MD5 (so the protobuf decoder and the key-table checks see it);
//! odd, a whole record's data as is (mostly failing the checksum).
#![no_main]

use libfuzzer_sys::fuzz_target;
use md5::{Digest, Md5};
use retail_events::aggregation::{self, MAGIC};
use retail_function::decode::DecodedBatch;
use retail_function::KinesisEventRecord;

fuzz_target!(|input: &[u8]| {
    let Some((&mode, rest)) = input.split_first() else { return };
    let data = if mode % 2 == 0 { [&MAGIC[..], rest, &Md5::digest(rest)[..]].concat() } else { rest.to_vec() };
    if let Ok(users) = aggregation::decode(&data) {
        assert!(!users.is_empty());
    }
    let records = vec![
        KinesisEventRecord::new("shardId-000000000000", format!("{:056}", 1), "pk".into(), &data, 1.7e9),
        KinesisEventRecord::new("shardId-000000000000", format!("{:056}", 2), "pk".into(), b"{}", 1.7e9),
    ];
    let batch = DecodedBatch::decode(&records);
    assert!(batch.units().len() >= records.len());
    for u in 0..batch.units().len() {
        let _ = batch.item(&records, u, 1_700_000_000_000, 7 * 86_400);
    }
});
