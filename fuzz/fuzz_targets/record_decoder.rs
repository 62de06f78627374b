//! The function's record path, base64 → UTF-8 → JSON → validated event → item, on
//! arbitrary bytes: every record must end as an item or a fault, never a panic.
//!
//! The first byte picks what the rest is: even, Kinesis `data` text as Lambda hands it
//! (mostly invalid base64); odd, raw payload bytes that are base64-encoded first, so the
//! UTF-8, JSON and validation layers see them. `0xFF` bytes split the rest into several
//! records of one batch (the decoder shares one buffer across a batch). The batch's units
//! are read as the processor reads them, with one JSON [`Shape`] learned across the batch,
//! and each must come out exactly as it does read alone with a fresh one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use retail_function::decode::DecodedBatch;
use retail_events::Shape;
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
    let mut shape = Shape::default();
    for u in 0..batch.units().len() {
        let mut shaped = None;
        let with_shape = batch.item_into(&records, u, 1_700_000_000_000, 7 * 86_400, &mut shape, &mut shaped);
        let alone = batch.item(&records, u, 1_700_000_000_000, 7 * 86_400);
        match (with_shape, alone) {
            (Ok(()), Ok(item)) => assert_eq!(shaped.as_ref(), Some(&item), "unit {u}"),
            (Err(a), Err(b)) => assert_eq!(a.kind, b.kind, "unit {u}"),
            (a, b) => panic!("unit {u}: with the batch's shape {a:?}, alone {:?}", b.map(|_| ())),
        }
    }
});
