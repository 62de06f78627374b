//! The function's record path, base64 → UTF-8 → JSON → validated event → item, on
//! arbitrary bytes: every record must end as an item or a fault, never a panic.
//!
//! The first byte picks what the rest is: even, Kinesis `data` text as Lambda hands it
//! (mostly invalid base64); odd, raw payload bytes that are base64-encoded first, so the
//! UTF-8, JSON and validation layers see them. `0xFF` bytes split the rest into several
//! records of one batch (the decoder shares one buffer across a batch).
#![no_main]

use libfuzzer_sys::fuzz_target;
use retail_function::decode::DecodedBatch;
use retail_function::KinesisEventRecord;

fuzz_target!(|input: &[u8]| {
    let Some((&mode, rest)) = input.split_first() else { return };
    let records: Vec<KinesisEventRecord> = rest
        .split(|&b| b == 0xFF)
        .take(64)
        .enumerate()
        .map(|(i, part)| {
            let mut record =
                KinesisEventRecord::new("shardId-000000000000", format!("{i:056}"), "pk".into(), part, 1.7e9);
            if mode % 2 == 0 {
                record.kinesis.data = String::from_utf8_lossy(part).into_owned();
            }
            record
        })
        .collect();
    let batch = DecodedBatch::decode(&records);
    for u in 0..batch.units().len() {
        let _ = batch.item(&records, u, 1_700_000_000_000, 7 * 86_400);
    }
});
