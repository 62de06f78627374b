//! Component tests of the batch processor against in-memory and fault-injecting fakes,
//! and the property that every record lands in exactly one outcome.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use proptest::prelude::*;
use retail_events::aggregation;
use retail_function::memory::{InMemoryDlq, InMemoryTable};
use retail_function::{
    BatchContext, BatchReport, DeadLetter, FaultKind, KinesisEvent, NoMetrics, Processor, ProcessorConfig,
    RecordOutcome,
};
use tokio::time::Instant;

fn ctx(budget: Duration) -> BatchContext {
    BatchContext { now_ms: NOW_MS, deadline: Instant::now() + budget }
}

#[tokio::test(start_paused = true)]
async fn valid_records_are_written_and_bad_ones_dead_lettered() {
    let records = vec![
        record(1, valid_event("u1", "e1").as_bytes()),
        record_b64(2, "%%%".into()),
        record(3, &[0xc3, 0x28]),
        record(4, b"{not json"),
        record(5, br#"{"eventType":"view"}"#),
        record(6, format!(r#"{{"userId":"{}","eventType":"view"}}"#, "x".repeat(300)).as_bytes()),
        record(7, br#"{"userId":"u2","eventType":"wishlist"}"#),
    ];
    let p = Processor::new(InMemoryTable::new(), InMemoryDlq::new(), NoMetrics, ProcessorConfig::default());
    let report = p.process_batch(&records, ctx(Duration::from_secs(5))).await;
    assert_eq!(
        report.outcomes,
        [
            RecordOutcome::Written,
            RecordOutcome::DeadLettered(FaultKind::BadBase64),
            RecordOutcome::DeadLettered(FaultKind::BadUtf8),
            RecordOutcome::DeadLettered(FaultKind::BadJson),
            RecordOutcome::DeadLettered(FaultKind::Validation),
            RecordOutcome::DeadLettered(FaultKind::Oversize),
            RecordOutcome::Written,
        ]
    );
    assert!(report.retry_sequence_numbers.is_empty());
    assert_eq!(p.store().len(), 2);
    let letters: Vec<DeadLetter> =
        p.dead_letters().messages().iter().map(|b| serde_json::from_str(b).unwrap()).collect();
    assert_eq!(letters.len(), 5);
    let missing = letters.iter().find(|d| d.error_kind == FaultKind::Validation).unwrap();
    assert!(missing.error_message.contains("userId"), "{}", missing.error_message);
    assert_eq!(missing.sequence_number, records[4].kinesis.sequence_number);
    assert_eq!(missing.shard_id, "shardId-000000000000");
    assert_eq!(missing.data, records[4].kinesis.data);
    assert_eq!(report.end_to_end_ms, vec![1_500], "only events with a timestamp have an event-time lag");
    assert_eq!(report.pipeline_ms.len(), 2, "every written record has a pipeline latency, from its arrival");
}

#[tokio::test(start_paused = true)]
async fn redelivered_records_overwrite_their_own_item() {
    let json = valid_event("u1", "same-event");
    let records = vec![record(1, json.as_bytes()), record(2, json.as_bytes()), record(3, json.as_bytes())];
    let p = Processor::new(InMemoryTable::new(), InMemoryDlq::new(), NoMetrics, ProcessorConfig::default());
    let report = p.process_batch(&records, ctx(Duration::from_secs(5))).await;
    assert_eq!(report.outcomes, vec![RecordOutcome::Written; 3]);
    assert_eq!(p.store().len(), 1);
    // The batch delivered again: still one item.
    p.process_batch(&records, ctx(Duration::from_secs(5))).await;
    assert_eq!(p.store().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn writes_are_chunked_by_25_and_run_concurrently() {
    let records: Vec<_> =
        (0..1000).map(|i| record(i, valid_event(&format!("u{}", i % 37), &format!("e{i}")).as_bytes())).collect();
    let table = InMemoryTable::with_write_latency(Duration::from_millis(10));
    let config = ProcessorConfig { write_concurrency: 8, ..ProcessorConfig::default() };
    let p = Processor::new(table, InMemoryDlq::new(), NoMetrics, config);
    let start = Instant::now();
    let report = p.process_batch(&records, ctx(Duration::from_secs(60))).await;
    assert_eq!(report.written(), 1000);
    assert_eq!(report.store_calls, 40);
    assert_eq!(p.store().calls(), 40);
    // 40 calls of 10 ms, 8 at a time: 5 rounds (paused clock, so exact).
    assert_eq!(start.elapsed(), Duration::from_millis(50));
}

#[tokio::test(start_paused = true)]
async fn a_rejected_item_is_dead_lettered_alone() {
    let mut records: Vec<_> = (0..30).map(|i| record(i, valid_event("u", &format!("e{i}")).as_bytes())).collect();
    records[7] = record(7, valid_event("reject-me", "bad").as_bytes());
    let store = FaultyStore::new(FaultPlan::none());
    let dlq = FaultyDlq::new(FaultPlan::none());
    let p = Processor::new(store, dlq, NoMetrics, ProcessorConfig::default());
    let report = p.process_batch(&records, ctx(Duration::from_secs(5))).await;
    assert_eq!(report.outcomes[7], RecordOutcome::DeadLettered(FaultKind::StoreRejected));
    assert_eq!(report.written(), 29);
    assert!(report.retry_sequence_numbers.is_empty());
}

#[tokio::test(start_paused = true)]
async fn transient_faults_past_the_budget_are_reported_for_retry() {
    let records: Vec<_> = (0..10).map(|i| record(i, valid_event("u", &format!("e{i}")).as_bytes())).collect();
    let store = FaultyStore::new(FaultPlan::new(1, [0, 0, 1, 0, 0, 0])); // always throttled
    let dlq = FaultyDlq::new(FaultPlan::none());
    let p = Processor::new(store, dlq, NoMetrics, ProcessorConfig::default());
    let report = p.process_batch(&records, ctx(Duration::from_secs(3))).await;
    assert_eq!(report.retried(), 10);
    let expected: Vec<String> = records.iter().map(|r| r.kinesis.sequence_number.clone()).collect();
    assert_eq!(report.retry_sequence_numbers, expected);
    match &report.outcomes[0] {
        RecordOutcome::Retry(why) => {
            assert!(why.contains("ProvisionedThroughputExceeded"), "{why}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_failing_dead_letter_queue_turns_into_retries() {
    let records = vec![record(1, b"garbage"), record(2, valid_event("u", "e").as_bytes())];
    let dlq = FaultyDlq::new(FaultPlan::new(1, [0, 0, 0, 1, 0, 0])); // always 5xx
    let p = Processor::new(InMemoryTable::new(), dlq, NoMetrics, ProcessorConfig::default());
    let report = p.process_batch(&records, ctx(Duration::from_secs(2))).await;
    assert!(matches!(&report.outcomes[0], RecordOutcome::Retry(why) if why.contains("bad_json")));
    assert_eq!(report.outcomes[1], RecordOutcome::Written);
    assert_eq!(report.retry_sequence_numbers, vec![records[0].kinesis.sequence_number.clone()]);
}

fn fixture(name: &str) -> (String, KinesisEvent) {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let event: KinesisEvent = serde_json::from_str(&text).unwrap();
    (text, event)
}

#[test]
fn fixtures_round_trip_and_match_the_official_types() {
    for name in ["kinesis-event-aws-docs.json", "kinesis-event-retail.json"] {
        let (text, event) = fixture(name);
        let original: serde_json::Value = serde_json::from_str(&text).unwrap();
        let again = serde_json::to_value(&event).unwrap();
        assert_eq!(again, original, "{name} does not round-trip");
        let official: aws_lambda_events::event::kinesis::KinesisEvent = serde_json::from_str(&text).unwrap();
        assert_eq!(official.records.len(), event.records.len());
        for (o, ours) in official.records.iter().zip(&event.records) {
            assert_eq!(o.kinesis.sequence_number, ours.kinesis.sequence_number);
            assert_eq!(o.kinesis.data.0, base64_decode(&ours.kinesis.data));
        }
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

#[tokio::test(start_paused = true)]
async fn fixtures_are_processed() {
    let (_, docs) = fixture("kinesis-event-aws-docs.json");
    let (_, retail) = fixture("kinesis-event-retail.json");
    let p = Processor::new(InMemoryTable::new(), InMemoryDlq::new(), NoMetrics, ProcessorConfig::default());
    let report = p.process_batch(&docs.records, ctx(Duration::from_secs(5))).await;
    assert_eq!(report.outcomes, vec![RecordOutcome::DeadLettered(FaultKind::BadJson); 2]);
    let report = p.process_batch(&retail.records, ctx(Duration::from_secs(5))).await;
    assert_eq!(
        report.outcomes,
        [
            RecordOutcome::Written,
            RecordOutcome::Written,
            RecordOutcome::Written,
            RecordOutcome::DeadLettered(FaultKind::Validation)
        ]
    );
    // The producer that sent no eventId gets a key from the record identity, and its
    // unknown field is kept.
    let item = p.store().items().into_iter().find(|i| i.user_id == "user-00099").unwrap();
    assert!(item
        .event_key()
        .ends_with(&format!("#shardId-000000000000:{}", retail.records[2].kinesis.sequence_number)));
    assert_eq!(item.event.extra[0].0, "channel");
    assert_eq!(item.event.price, Some(5.0));
}

/// One generated record: what it is and the bytes it carries.
#[derive(Debug, Clone)]
enum Gen {
    Valid { user: u8, id: u16 },
    Rejected { id: u16 },
    BadBase64,
    BadJson,
    MissingUser,
}

fn gen_record() -> impl Strategy<Value = Gen> {
    prop_oneof![
        8 => (0u8..8, 0u16..60).prop_map(|(user, id)| Gen::Valid { user, id }),
        1 => (0u16..4).prop_map(|id| Gen::Rejected { id }),
        1 => Just(Gen::BadBase64),
        1 => Just(Gen::BadJson),
        1 => Just(Gen::MissingUser),
    ]
}

fn weights() -> impl Strategy<Value = [u32; 6]> {
    prop::array::uniform6(0u32..5).prop_map(|mut w| {
        w[0] += 1; // always some chance of success
        w
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn every_record_lands_in_exactly_one_outcome(
        gens in prop::collection::vec(gen_record(), 0..120),
        store_seed in any::<u64>(),
        dlq_seed in any::<u64>(),
        store_weights in weights(),
        dlq_weights in weights(),
        budget_ms in 0u64..20_000,
        concurrency in 1usize..10,
    ) {
        let records: Vec<_> = gens.iter().enumerate().map(|(i, g)| match g {
            Gen::Valid { user, id } => record(i as u64, valid_event(&format!("u{user}"), &format!("e{id}")).as_bytes()),
            Gen::Rejected { id } => record(i as u64, valid_event("reject", &format!("r{id}")).as_bytes()),
            Gen::BadBase64 => record_b64(i as u64, "@@".into()),
            Gen::BadJson => record(i as u64, b"{]"),
            Gen::MissingUser => record(i as u64, br#"{"eventType":"view"}"#),
        }).collect();
        let store = FaultyStore::new(FaultPlan::new(store_seed, store_weights));
        let dlq = FaultyDlq::new(FaultPlan::new(dlq_seed, dlq_weights));
        let config = ProcessorConfig { write_concurrency: concurrency, ..ProcessorConfig::default() };
        let p = Processor::new(store, dlq, NoMetrics, config);
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
        let report: BatchReport = rt.block_on(p.process_batch(&records, ctx(Duration::from_millis(budget_ms))));

        prop_assert_eq!(report.outcomes.len(), records.len());
        let retry: HashSet<&String> = report.retry_sequence_numbers.iter().collect();
        prop_assert_eq!(retry.len(), report.retry_sequence_numbers.len(), "a record is reported twice");
        let dead = p.dead_letters().sequence_numbers();
        for (i, (g, outcome)) in gens.iter().zip(&report.outcomes).enumerate() {
            let seq = &records[i].kinesis.sequence_number;
            let key_written = match g {
                Gen::Valid { user, id } => p.store().has(&format!("u{user}"), &format!("{:013}#e{id}", NOW_MS - 1_500)),
                _ => false,
            };
            match outcome {
                RecordOutcome::Written => {
                    prop_assert!(key_written, "record {} claimed written but its item is absent", i);
                    prop_assert!(!retry.contains(seq), "written record {} reported for retry", i);
                    prop_assert!(!dead.contains(seq));
                }
                RecordOutcome::DeadLettered(kind) => {
                    prop_assert!(dead.contains(seq), "record {} claimed dead-lettered but absent from the queue", i);
                    prop_assert!(!retry.contains(seq));
                    let expected = match g {
                        Gen::Valid { .. } => None,
                        Gen::Rejected { .. } => Some(FaultKind::StoreRejected),
                        Gen::BadBase64 => Some(FaultKind::BadBase64),
                        Gen::BadJson => Some(FaultKind::BadJson),
                        Gen::MissingUser => Some(FaultKind::Validation),
                    };
                    prop_assert_eq!(Some(*kind), expected);
                }
                RecordOutcome::Retry(why) => {
                    prop_assert!(retry.contains(seq), "record {} to retry is missing from batchItemFailures", i);
                    prop_assert!(!why.is_empty());
                    // A valid record whose own write was acknowledged is never retried.
                    if let Gen::Valid { .. } = g {
                        let own_seq_written = p.store().written_sequence_numbers().contains(seq);
                        prop_assert!(!own_seq_written, "record {} was written yet reported for retry", i);
                    }
                }
            }
        }
    }
}

/// A Kinesis record of the mixed property below: a plain record, a KPL aggregate of user
/// records, or a damaged aggregate.
#[derive(Debug, Clone)]
enum Kin {
    Plain(Gen),
    Aggregate(Vec<Gen>),
    BadChecksum,
}

fn gen_user_record() -> impl Strategy<Value = Gen> {
    prop_oneof![
        8 => (0u8..8, 0u16..60).prop_map(|(user, id)| Gen::Valid { user, id }),
        1 => (0u16..4).prop_map(|id| Gen::Rejected { id }),
        1 => Just(Gen::BadJson),
        1 => Just(Gen::MissingUser),
    ]
}

fn gen_kinesis_record() -> impl Strategy<Value = Kin> {
    prop_oneof![
        4 => gen_record().prop_map(Kin::Plain),
        3 => prop::collection::vec(gen_user_record(), 1..12).prop_map(Kin::Aggregate),
        1 => Just(Kin::BadChecksum),
    ]
}

fn user_bytes(g: &Gen) -> Vec<u8> {
    match g {
        Gen::Valid { user, id } => valid_event(&format!("u{user}"), &format!("e{id}")).into_bytes(),
        Gen::Rejected { id } => valid_event("reject", &format!("r{id}")).into_bytes(),
        Gen::BadJson => b"{]".to_vec(),
        Gen::MissingUser => br#"{"eventType":"view"}"#.to_vec(),
        Gen::BadBase64 => unreachable!("not inside an aggregate"),
    }
}

fn expected_fault(g: &Gen) -> Option<FaultKind> {
    match g {
        Gen::Valid { .. } => None,
        Gen::Rejected { .. } => Some(FaultKind::StoreRejected),
        Gen::BadBase64 => Some(FaultKind::BadBase64),
        Gen::BadJson => Some(FaultKind::BadJson),
        Gen::MissingUser => Some(FaultKind::Validation),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, .. ProptestConfig::default() })]

    /// Plain and KPL-aggregated records in one batch, under any store and DLQ fault
    /// pattern: every user record lands in exactly one outcome; a user record retried
    /// reports its aggregate's sequence number, once; a Kinesis record none of whose user
    /// records needs a retry is not reported.
    #[test]
    fn every_user_record_of_plain_and_aggregated_records_lands_once(
        kins in prop::collection::vec(gen_kinesis_record(), 0..40),
        store_seed in any::<u64>(),
        dlq_seed in any::<u64>(),
        store_weights in weights(),
        dlq_weights in weights(),
        budget_ms in 0u64..20_000,
    ) {
        let mut expected: Vec<(usize, Gen)> = Vec::new();
        let records: Vec<_> = kins.iter().enumerate().map(|(i, k)| match k {
            Kin::Plain(g) => {
                expected.push((i, g.clone()));
                match g {
                    Gen::BadBase64 => record_b64(i as u64, "@@".into()),
                    g => record(i as u64, &user_bytes(g)),
                }
            }
            Kin::Aggregate(users) => {
                let datas: Vec<Vec<u8>> = users.iter().map(user_bytes).collect();
                let keys: Vec<String> = (0..users.len()).map(|j| format!("pk{j}")).collect();
                expected.extend(users.iter().map(|g| (i, g.clone())));
                record(i as u64, &aggregation::encode(keys.iter().map(String::as_str).zip(datas.iter().map(Vec::as_slice))))
            }
            Kin::BadChecksum => {
                let mut data = aggregation::encode([("pk", valid_event("u1", "x").as_bytes())]);
                let last = data.len() - 1;
                data[last] ^= 1;
                expected.push((i, Gen::BadJson));
                record(i as u64, &data)
            }
        }).collect();
        let store = FaultyStore::new(FaultPlan::new(store_seed, store_weights));
        let dlq = FaultyDlq::new(FaultPlan::new(dlq_seed, dlq_weights));
        let p = Processor::new(store, dlq, NoMetrics, ProcessorConfig::default());
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
        let report: BatchReport = rt.block_on(p.process_batch(&records, ctx(Duration::from_millis(budget_ms))));

        prop_assert_eq!(report.outcomes.len(), expected.len(), "one outcome per user record");
        let retry: HashSet<&String> = report.retry_sequence_numbers.iter().collect();
        prop_assert_eq!(retry.len(), report.retry_sequence_numbers.len(), "an aggregate is reported twice");
        let dead = p.dead_letters().sequence_numbers();
        let mut needs_retry = vec![false; records.len()];
        for ((i, g), outcome) in expected.iter().zip(&report.outcomes) {
            let seq = &records[*i].kinesis.sequence_number;
            match outcome {
                RecordOutcome::Written => {
                    let valid = matches!(g, Gen::Valid { .. });
                    prop_assert!(valid, "only valid user records are written");
                }
                RecordOutcome::DeadLettered(kind) => {
                    prop_assert!(dead.contains(seq), "dead-lettered but absent from the queue");
                    let want = match kins[*i] {
                        Kin::BadChecksum => Some(FaultKind::BadAggregate),
                        _ => expected_fault(g),
                    };
                    prop_assert_eq!(Some(*kind), want);
                }
                RecordOutcome::Retry(_) => {
                    needs_retry[*i] = true;
                    prop_assert!(retry.contains(seq), "a user record to retry is missing from batchItemFailures");
                }
            }
        }
        for (i, r) in records.iter().enumerate() {
            prop_assert_eq!(retry.contains(&r.kinesis.sequence_number), needs_retry[i], "record {} reported wrongly", i);
        }
    }
}

/// User records of an aggregate without an `eventId` keep distinct, stable keys:
/// shard id, sequence number and sub-sequence number; redelivery overwrites them.
#[tokio::test]
async fn aggregated_user_records_have_their_own_stable_keys() {
    let event = |user: &str| {
        format!(r#"{{"userId":"{user}","eventType":"view","productId":"P1","timestamp":{}}}"#, NOW_MS - 1_500)
    };
    let (a, b) = (event("u1"), event("u1"));
    let data = aggregation::encode([("u1", a.as_bytes()), ("u1", b.as_bytes())]);
    let records = vec![record(7, &data), record(8, event("u2").as_bytes())];
    let p = Processor::new(InMemoryTable::default(), InMemoryDlq::default(), NoMetrics, ProcessorConfig::default());
    for _ in 0..2 {
        let report = p.process_batch(&records, ctx(Duration::from_secs(5))).await;
        assert_eq!(report.written(), 3, "{report:?}");
        assert!(report.retry_sequence_numbers.is_empty());
    }
    assert_eq!(p.store().len(), 3, "redelivery overwrote the same three items");
    let seq = format!("{:056}", 7);
    for sub in 0..2 {
        let key = format!("{:013}#shardId-000000000000:{seq}:{sub}", NOW_MS - 1_500);
        assert!(p.store().get("u1", &key).is_some(), "sub {sub}: {key}");
    }
}

/// Damaged aggregates (truncated, a wrong checksum, a partition-key index past the table)
/// are each dead-lettered as `bad_aggregate`, whole; the plain record and the sound
/// aggregate beside them in the batch are written as usual.
#[tokio::test]
async fn damaged_aggregates_are_dead_lettered_and_nothing_else_is_affected() {
    use md5::{Digest, Md5};
    let sound =
        aggregation::encode([("u1", valid_event("u1", "a1").as_bytes()), ("u2", valid_event("u2", "a2").as_bytes())]);
    let truncated = sound[..sound.len() - 5].to_vec();
    let mut flipped = sound.clone();
    flipped[8] ^= 0x20;
    let body = aggregation::AggregatedRecord {
        partition_key_table: vec!["u1".into()],
        explicit_hash_key_table: vec![],
        records: vec![aggregation::Record {
            partition_key_index: 3,
            explicit_hash_key_index: None,
            data: valid_event("u1", "x").into_bytes(),
            tags: vec![],
        }],
    };
    let body = prost::Message::encode_to_vec(&body);
    let past_table = [&aggregation::MAGIC[..], &body, &Md5::digest(&body)[..]].concat();
    let records = vec![
        record(1, valid_event("plain", "p1").as_bytes()),
        record(2, &truncated),
        record(3, &flipped),
        record(4, &past_table),
        record(5, &sound),
    ];
    let p = Processor::new(InMemoryTable::default(), InMemoryDlq::default(), NoMetrics, ProcessorConfig::default());
    let report = p.process_batch(&records, ctx(Duration::from_secs(5))).await;
    let bad = RecordOutcome::DeadLettered(FaultKind::BadAggregate);
    assert_eq!(
        report.outcomes,
        vec![RecordOutcome::Written, bad.clone(), bad.clone(), bad, RecordOutcome::Written, RecordOutcome::Written]
    );
    assert_eq!(p.store().len(), 3);
    assert!(report.retry_sequence_numbers.is_empty());
}
