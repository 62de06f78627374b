//! The DynamoDB and SQS adapters against dynalite and moto_server (see
//! `tests/common/emulators.rs` for endpoints; `scripts/test.sh` starts them).

mod common;

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use common::emulators::*;
use common::*;
use retail_events::{Event, RecordMeta, StoredItem};
use retail_function::aws::{DynamoDbStore, SqsDeadLetters};
use retail_function::{
    BatchContext, DeadLetter, DeadLetterSink, EventStore, FaultKind, NoMetrics, Processor, ProcessorConfig,
    RecordOutcome, ServiceError,
};
use tokio::time::Instant;

fn ctx() -> BatchContext {
    BatchContext { now_ms: NOW_MS, deadline: Instant::now() + Duration::from_secs(20) }
}

#[tokio::test]
async fn processor_writes_to_dynamodb_and_dead_letters_to_sqs() {
    let ddb = dynamodb().await;
    let sqs_client = sqs().await;
    let table = unique("events");
    create_table(&ddb, &table).await;
    let queue = create_queue(&sqs_client, &unique("dlq")).await;

    let mut records: Vec<_> =
        (0..60).map(|i| record(i, valid_event(&format!("user-{}", i % 7), &format!("evt-{i}")).as_bytes())).collect();
    records.push(record(60, br#"{"userId":"u","eventType":"view","campaign":{"id":7,"tags":["a",null,true]}}"#));
    records.push(record(61, b"definitely not json"));
    records.push(record(62, br#"{"userId":"","eventType":"view"}"#));

    let p = Processor::new(
        DynamoDbStore::new(&dynamodb_config().await, &table).unwrap(),
        SqsDeadLetters::new(&sqs_config().await, &queue).unwrap(),
        NoMetrics,
        ProcessorConfig::default(),
    );
    let report = p.process_batch(&records, ctx()).await;
    assert_eq!(report.written(), 61, "{:?}", report.outcomes);
    assert_eq!(report.dead_lettered(), 2);
    assert!(report.retry_sequence_numbers.is_empty());
    assert_eq!(report.store_calls, 3, "61 items in chunks of 25");

    let count = ddb.scan().table_name(&table).select(aws_sdk_dynamodb::types::Select::Count).send().await.unwrap();
    assert_eq!(count.count(), 61);

    let key = format!("{:013}#evt-3", NOW_MS - 1_500);
    let item = ddb
        .get_item()
        .table_name(&table)
        .key("userId", AttributeValue::S("user-3".into()))
        .key("eventKey", AttributeValue::S(key))
        .send()
        .await
        .unwrap()
        .item
        .expect("item evt-3 stored");
    assert_eq!(item["eventScore"], AttributeValue::N("10".into()));
    assert_eq!(item["price"], AttributeValue::N("9.99".into()));
    assert_eq!(item["insight"], AttributeValue::S("User user-3 purchased product P0001".into()));
    assert_eq!(item["processedAt"], AttributeValue::N(NOW_MS.to_string()));
    assert_eq!(item["shardId"], AttributeValue::S("shardId-000000000000".into()));
    assert!(item.contains_key("expiresAt"));

    // The event without eventId or timestamp, with a nested unknown field.
    let q = ddb
        .query()
        .table_name(&table)
        .key_condition_expression("userId = :u")
        .expression_attribute_values(":u", AttributeValue::S("u".into()))
        .send()
        .await
        .unwrap();
    let extra = q.items()[0]["extra"].as_m().unwrap();
    let campaign = extra["campaign"].as_m().unwrap();
    assert_eq!(campaign["id"], AttributeValue::N("7".into()));
    assert_eq!(
        campaign["tags"],
        AttributeValue::L(vec![AttributeValue::S("a".into()), AttributeValue::Null(true), AttributeValue::Bool(true)])
    );

    let letters: Vec<DeadLetter> =
        drain(&sqs_client, &queue).await.iter().map(|b| serde_json::from_str(b).unwrap()).collect();
    let mut kinds: Vec<_> = letters.iter().map(|d| d.error_kind).collect();
    kinds.sort_by_key(|k| k.as_str());
    assert_eq!(kinds, [FaultKind::BadJson, FaultKind::Validation]);
    assert!(letters.iter().any(|d| d.sequence_number == records[61].kinesis.sequence_number));
}

fn sample_items(n: usize, raw: &[String]) -> Vec<StoredItem<'_>> {
    let meta =
        RecordMeta { shard_id: "shardId-000000000000", sequence_number: "1", arrival_ms: NOW_MS, sub_sequence: None };
    raw.iter()
        .take(n)
        .map(|json| StoredItem::build(Event::from_json(json).unwrap(), &meta, NOW_MS, 60).unwrap())
        .collect()
}

#[tokio::test]
async fn dynamodb_errors_are_classified() {
    let ddb = dynamodb().await;
    let raw: Vec<String> = (0..26).map(|i| valid_event("u", &format!("e{i}"))).collect();
    let items = sample_items(26, &raw);
    let refs: Vec<&StoredItem<'_>> = items.iter().collect();

    let config = dynamodb_config().await;
    let missing = DynamoDbStore::new(&config, unique("no-such-table")).unwrap();
    match missing.put_batch(&refs[..1]).await {
        Err(ServiceError::Rejected(msg)) => assert!(msg.contains("ResourceNotFound"), "{msg}"),
        other => panic!("a missing table must be a rejection, got {other:?}"),
    }

    let table = unique("events");
    create_table(&ddb, &table).await;
    let store = DynamoDbStore::new(&config, &table).unwrap();
    assert!(matches!(store.put_batch(&refs).await, Err(ServiceError::Rejected(_))), "26 items is a validation error");
    assert_eq!(store.put_batch(&refs[..25]).await, Ok(vec![]));

    let closed = DynamoDbStore::new(&sdk_config("http://127.0.0.1:9").await, &table).unwrap();
    match closed.put_batch(&refs[..1]).await {
        Err(e) => assert!(e.is_retryable(), "an unreachable endpoint is transient: {e}"),
        Ok(_) => panic!("nothing listens on port 9"),
    }
}

#[tokio::test]
async fn sqs_sink_sends_batches_and_classifies_errors() {
    let client = sqs().await;
    let queue = create_queue(&client, &unique("dlq")).await;
    let config = sqs_config().await;
    let sink = SqsDeadLetters::new(&config, &queue).unwrap();
    let bodies: Vec<String> = (0..10).map(|i| format!("{{\"n\":{i}}}")).collect();
    let refs: Vec<&str> = bodies.iter().map(String::as_str).collect();
    assert_eq!(sink.send_batch(&refs).await, Ok(vec![]));
    let mut got = drain(&client, &queue).await;
    got.sort();
    let mut want = bodies.clone();
    want.sort();
    assert_eq!(got, want);

    let nowhere =
        SqsDeadLetters::new(&config, format!("{}/123456789012/{}", sqs_endpoint(), unique("absent"))).unwrap();
    let err = nowhere.send_batch(&refs[..1]).await.unwrap_err();
    assert!(matches!(err, ServiceError::Rejected(_)), "a missing queue cannot be fixed by retrying: {err}");
}

#[tokio::test]
async fn an_unreachable_dlq_leaves_the_record_for_retry() {
    let ddb = dynamodb().await;
    let table = unique("events");
    create_table(&ddb, &table).await;
    let p = Processor::new(
        DynamoDbStore::new(&dynamodb_config().await, &table).unwrap(),
        SqsDeadLetters::new(&sdk_config("http://127.0.0.1:9").await, "http://127.0.0.1:9/123456789012/q").unwrap(),
        NoMetrics,
        ProcessorConfig::default(),
    );
    let records = vec![record(1, b"{bad"), record(2, valid_event("u", "e").as_bytes())];
    let ctx = BatchContext { now_ms: NOW_MS, deadline: Instant::now() + Duration::from_secs(2) };
    let report = p.process_batch(&records, ctx).await;
    assert!(matches!(report.outcomes[0], RecordOutcome::Retry(_)));
    assert_eq!(report.outcomes[1], RecordOutcome::Written);
    assert_eq!(report.retry_sequence_numbers, vec![records[0].kinesis.sequence_number.clone()]);
}
