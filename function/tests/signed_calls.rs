//! What the adapters put on the wire, checked by a recording endpoint on 127.0.0.1: the
//! SigV4 signature recomputed by an independent implementation (the emulators accept any
//! signature, so nothing else in the suite would notice a wrong one), the operation
//! headers, the bodies DynamoDB and SQS expect, and timeouts and error answers turned into
//! the project's retry classes.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use hmac::{KeyInit, Mac};
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use retail_events::{Event, RecordMeta, StoredItem};
use retail_function::aws::{DynamoDbStore, SqsDeadLetters};
use retail_function::{DeadLetterSink, EventStore, ServiceError};
use sha2::{Digest, Sha256};

const KEY_ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "session-token-from-the-role";

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl Seen {
    fn header(&self, name: &str) -> &str {
        self.headers.iter().find(|(n, _)| n == name).map_or("", |(_, v)| v.as_str())
    }
}

/// What the endpoint answers: a status, a body, and a delay before answering.
type Script = Arc<dyn Fn(&Seen) -> (u16, &'static str, Duration) + Send + Sync>;

/// Serves on a free port, recording every request and answering by `script`.
async fn recorder(script: Script) -> (SocketAddr, Arc<Mutex<Vec<Seen>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let (log, script) = (log.clone(), script.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                    let (log, script) = (log.clone(), script.clone());
                    async move {
                        let (parts, body) = req.into_parts();
                        let seen = Seen {
                            method: parts.method.to_string(),
                            path: parts.uri.path().to_string(),
                            headers: parts
                                .headers
                                .iter()
                                .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or_default().to_string()))
                                .collect(),
                            body: body.collect().await.map(|b| b.to_bytes()).unwrap_or_default(),
                        };
                        let (status, answer, delay) = script(&seen);
                        log.lock().unwrap().push(seen);
                        tokio::time::sleep(delay).await;
                        let mut r = Response::new(Full::new(Bytes::from_static(answer.as_bytes())));
                        *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                        Ok::<_, std::convert::Infallible>(r)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tcp), service).await;
            });
        }
    });
    (addr, seen)
}

async fn sdk(addr: SocketAddr, region: &str) -> aws_config::SdkConfig {
    sdk_at(&format!("http://{addr}"), region).await
}

async fn sdk_at(endpoint: &str, region: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .credentials_provider(aws_credential_types::Credentials::new(KEY_ID, SECRET, Some(TOKEN.into()), None, "test"))
        .endpoint_url(endpoint)
        .load()
        .await
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// SigV4 as the AWS documentation states it, for a request with an empty query string.
/// Panics unless the request's `Authorization` carries this signature.
fn assert_signed(seen: &Seen, region: &str, service: &str) {
    let auth = seen.header("authorization");
    let rest = auth.strip_prefix("AWS4-HMAC-SHA256 ").unwrap_or_else(|| panic!("not SigV4: {auth:?}"));
    let field = |name: &str| {
        rest.split(", ").find_map(|f| f.strip_prefix(name)).unwrap_or_else(|| panic!("{name} missing in {auth:?}"))
    };
    let (credential, signed_headers, signature) = (field("Credential="), field("SignedHeaders="), field("Signature="));
    let date = seen.header("x-amz-date");
    let scope = format!("{}/{region}/{service}/aws4_request", &date[..8]);
    assert_eq!(credential, format!("{KEY_ID}/{scope}"));
    let names: Vec<&str> = signed_headers.split(';').collect();
    for needed in ["content-type", "host", "x-amz-date", "x-amz-security-token", "x-amz-target"] {
        assert!(names.contains(&needed), "{needed} must be signed: {signed_headers}");
    }
    assert_eq!(seen.header("x-amz-security-token"), TOKEN);
    let canonical_headers: String = names.iter().map(|n| format!("{n}:{}\n", seen.header(n).trim())).collect();
    let canonical_request = format!(
        "{}\n{}\n\n{canonical_headers}\n{signed_headers}\n{}",
        seen.method,
        seen.path,
        hex(&Sha256::digest(&seen.body))
    );
    let to_sign = format!("AWS4-HMAC-SHA256\n{date}\n{scope}\n{}", hex(&Sha256::digest(canonical_request.as_bytes())));
    let mut key = hmac(format!("AWS4{SECRET}").as_bytes(), &date[..8]);
    for part in [region, service, "aws4_request"] {
        key = hmac(&key, part);
    }
    assert_eq!(signature, hex(&hmac(&key, &to_sign)), "canonical request:\n{canonical_request}");
}

fn items(raw: &[String]) -> Vec<StoredItem<'_>> {
    let meta = RecordMeta {
        shard_id: "shardId-000000000000",
        sequence_number: "7",
        arrival_ms: 1_764_000_000_000,
        sub_sequence: None,
    };
    raw.iter()
        .map(|json| StoredItem::build(Event::from_json(json).unwrap(), &meta, 1_764_000_000_000, 60).unwrap())
        .collect()
}

fn events(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!(r#"{{"eventId":"e{i}","userId":"u{}","eventType":"view","timestamp":1763999999000}}"#, i % 3))
        .collect()
}

#[tokio::test]
async fn batch_write_item_is_signed_and_reads_unprocessed_items() {
    let unprocessed = r#"{"UnprocessedItems":{"events":[{"PutRequest":{"Item":{"userId":{"S":"u1"},"eventKey":{"S":"1763999999000#e1"}}}}]}}"#;
    let (addr, seen) = recorder(Arc::new(move |_| (200, unprocessed, Duration::ZERO))).await;
    let store = DynamoDbStore::new(&sdk(addr, "eu-west-1").await, "events").unwrap();
    let raw = events(3);
    let items = items(&raw);
    let refs: Vec<_> = items.iter().collect();
    assert_eq!(store.put_batch(&refs).await, Ok(vec![1]), "the unprocessed item is found by its key");
    assert_eq!(store.put_batch(&refs[..1]).await, Ok(vec![]), "an item not in the batch is not reported");

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "one call each, connections reused or not");
    let first = &seen[0];
    assert_eq!((first.method.as_str(), first.path.as_str()), ("POST", "/"));
    assert_eq!(first.header("x-amz-target"), "DynamoDB_20120810.BatchWriteItem");
    assert_eq!(first.header("content-type"), "application/x-amz-json-1.0");
    assert_eq!(first.header("host"), addr.to_string());
    assert!(first.header("user-agent").starts_with("retail-function/"));
    assert_signed(first, "eu-west-1", "dynamodb");
    let body: serde_json::Value = serde_json::from_slice(&first.body).unwrap();
    let puts = body["RequestItems"]["events"].as_array().unwrap();
    assert_eq!(puts.len(), 3);
    assert_eq!(puts[2]["PutRequest"]["Item"]["eventKey"], serde_json::json!({"S": "1763999999000#e2"}));
}

#[tokio::test]
async fn send_message_batch_is_signed_and_reads_failures() {
    let answer = r#"{"Successful":[{"Id":"0","MessageId":"m","MD5OfMessageBody":"x"}],"Failed":[{"Id":"1","SenderFault":true,"Code":"InvalidMessageContents","Message":"no"}]}"#;
    let (addr, seen) = recorder(Arc::new(move |_| (200, answer, Duration::ZERO))).await;
    let queue = format!("http://{addr}/123456789012/dlq");
    let sink = SqsDeadLetters::new(&sdk(addr, "us-east-1").await, &queue).unwrap();
    assert_eq!(sink.send_batch(&["{\"a\":1}", "bad \u{1}"]).await, Ok(vec![1]));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[0].header("x-amz-target"), "AmazonSQS.SendMessageBatch");
    assert_signed(&seen[0], "us-east-1", "sqs");
    let body: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"QueueUrl": queue, "Entries": [{"Id": "0", "MessageBody": "{\"a\":1}"}, {"Id": "1", "MessageBody": "bad \u{1}"}]})
    );
}

#[tokio::test]
async fn error_answers_and_silence_become_retry_classes() {
    let (addr, _) = recorder(Arc::new(|seen: &Seen| {
        let asks = |table: &str| seen.body.windows(table.len()).any(|w| w == table.as_bytes());
        if asks("slow!") {
            (200, "{}", Duration::from_secs(60))
        } else if asks("thrtl") {
            (
                400,
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"too fast"}"#,
                Duration::ZERO,
            )
        } else if asks("broke") {
            (503, "Service Unavailable", Duration::ZERO)
        } else {
            (200, "not json", Duration::ZERO)
        }
    }))
    .await;
    let store = |table: &'static str| async move { DynamoDbStore::new(&sdk(addr, "us-east-1").await, table).unwrap() };
    let raw = events(1);
    let items = items(&raw);
    let refs: Vec<_> = items.iter().collect();
    assert!(
        matches!(store("thrtl").await.put_batch(&refs).await, Err(ServiceError::Throttled(t)) if t.contains("too fast"))
    );
    assert!(
        matches!(store("broke").await.put_batch(&refs).await, Err(ServiceError::Unavailable(t)) if t.contains("HTTP 503"))
    );
    assert!(
        matches!(store("other").await.put_batch(&refs).await, Err(ServiceError::Unavailable(t)) if t.contains("not its JSON"))
    );

    // A call with no answer ends at the adapter's own timeout (10 s), as a retryable
    // timeout, well before the endpoint would answer.
    let started = std::time::Instant::now();
    let result = store("slow!").await.put_batch(&refs).await;
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(matches!(&result, Err(ServiceError::Timeout(t)) if t.contains("did not answer")), "{result:?}");
}

#[tokio::test]
async fn an_endpoint_that_is_not_a_url_is_an_error_at_start() {
    let err = DynamoDbStore::new(&sdk_at("not a url", "us-east-1").await, "t").unwrap_err().to_string();
    assert!(err.contains("\"not a url\" is not a URL"), "{err}");
    let err = DynamoDbStore::new(&sdk_at("ftp://127.0.0.1:21", "us-east-1").await, "t").unwrap_err().to_string();
    assert!(err.contains("neither http:// nor https://"), "{err}");
    let no_region = aws_config::SdkConfig::builder().build();
    let err = SqsDeadLetters::new(&no_region, "q").unwrap_err().to_string();
    assert!(err.contains("AWS_REGION"), "{err}");
}
