//! An AWS endpoint that answers as fast as it can, for measuring the client side's own
//! cost: loadgen's producer (`benches/benches/worker_ceiling.rs`) and the function's whole
//! batch path (`benches/benches/function_path.rs`). Kinesis `PutRecords` succeeds for every
//! record, `DescribeStreamSummary` and `ListShards` describe one active stream of
//! `shards` shards over the whole hash-key space; DynamoDB `BatchWriteItem` leaves nothing
//! unprocessed; SQS `SendMessageBatch` accepts every entry (with the MD5 of its body, as
//! SQS answers). Nothing else is answered. A test fixture, not a product: it stores
//! nothing, checks no signature and throttles nothing. It runs as its own process
//! (`fast-endpoint`) or on a thread of its own ([`spawn`]).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};

/// What the endpoint counted.
#[derive(Debug, Default)]
pub struct Counts {
    /// `PutRecords` requests answered.
    pub requests: AtomicU64,
    /// Records they carried.
    pub records: AtomicU64,
    /// `BatchWriteItem` items written.
    pub items: AtomicU64,
    /// `SendMessageBatch` messages accepted.
    pub messages: AtomicU64,
    /// Requests read, of any kind.
    pub bodies: AtomicU64,
    /// Their bodies' bytes (what SigV4 hashed on the caller's side).
    pub body_bytes: AtomicU64,
}

/// The stream the endpoint describes.
#[derive(Debug, Clone, Copy)]
pub struct FastStream {
    /// Open shards, splitting the hash-key space evenly.
    pub shards: usize,
}

/// Serves on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, stream: FastStream, counts: Arc<Counts>) {
    let list_shards = Bytes::from(list_shards_body(stream.shards));
    loop {
        let Ok((tcp, _)) = listener.accept().await else { continue };
        let _ = tcp.set_nodelay(true);
        let (counts, list_shards) = (counts.clone(), list_shards.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let (counts, list_shards) = (counts.clone(), list_shards.clone());
                async move { Ok::<_, Infallible>(answer(req, stream, &counts, list_shards).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        });
    }
}

/// Binds `addr` (port 0 for a free one) and serves on a runtime of one thread, in a
/// thread of its own; returns the address.
pub fn spawn(addr: SocketAddr, stream: FastStream, counts: Arc<Counts>) -> std::io::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let local = listener.local_addr()?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    std::thread::spawn(move || {
        rt.block_on(async move {
            match tokio::net::TcpListener::from_std(listener) {
                Ok(listener) => serve(listener, stream, counts).await,
                Err(e) => eprintln!("fast-endpoint: {e}"),
            }
        })
    });
    Ok(local)
}

async fn answer(
    req: Request<Incoming>,
    stream: FastStream,
    counts: &Counts,
    list_shards: Bytes,
) -> Response<Full<Bytes>> {
    let target = req.headers().get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return reply(StatusCode::BAD_REQUEST, Bytes::from_static(b"{}")),
    };
    counts.bodies.fetch_add(1, Ordering::Relaxed);
    counts.body_bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
    match target.as_str() {
        "Kinesis_20131202.PutRecords" => match count_records(&body) {
            Some(n) => {
                counts.requests.fetch_add(1, Ordering::Relaxed);
                counts.records.fetch_add(n as u64, Ordering::Relaxed);
                reply(StatusCode::OK, Bytes::from(put_records_body(n)))
            }
            None => error(StatusCode::BAD_REQUEST, "SerializationException", "the body has no Records list"),
        },
        "DynamoDB_20120810.BatchWriteItem" => match count_items(&body) {
            Some(n) => {
                counts.items.fetch_add(n as u64, Ordering::Relaxed);
                reply_as(
                    StatusCode::OK,
                    Bytes::from_static(br#"{"UnprocessedItems":{}}"#),
                    "application/x-amz-json-1.0",
                )
            }
            None => error(StatusCode::BAD_REQUEST, "SerializationException", "the body has no RequestItems"),
        },
        "AmazonSQS.SendMessageBatch" => match send_message_batch_body(&body) {
            Some((n, answer)) => {
                counts.messages.fetch_add(n as u64, Ordering::Relaxed);
                reply_as(StatusCode::OK, Bytes::from(answer), "application/x-amz-json-1.0")
            }
            None => error(StatusCode::BAD_REQUEST, "SerializationException", "the body has no Entries"),
        },
        "Kinesis_20131202.DescribeStreamSummary" => reply(StatusCode::OK, Bytes::from(summary_body(stream.shards))),
        "Kinesis_20131202.ListShards" => reply(StatusCode::OK, list_shards),
        other => error(StatusCode::BAD_REQUEST, "UnknownOperationException", &format!("{other} is not answered here")),
    }
}

fn reply(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    reply_as(status, body, "application/x-amz-json-1.1")
}

fn reply_as(status: StatusCode, body: Bytes, content_type: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    r.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(content_type));
    r
}

/// The number of put requests in a `BatchWriteItem` body, over every table.
fn count_items(body: &[u8]) -> Option<usize> {
    #[derive(serde::Deserialize)]
    struct Batch {
        #[serde(rename = "RequestItems")]
        items: std::collections::HashMap<String, Vec<serde::de::IgnoredAny>>,
    }
    serde_json::from_slice::<Batch>(body).ok().map(|b| b.items.values().map(Vec::len).sum())
}

/// A `SendMessageBatch` answer accepting every entry: `(entries, body)`.
fn send_message_batch_body(body: &[u8]) -> Option<(usize, String)> {
    use md5::{Digest, Md5};
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(rename = "Id")]
        id: String,
        #[serde(rename = "MessageBody")]
        body: String,
    }
    #[derive(serde::Deserialize)]
    struct Batch {
        #[serde(rename = "Entries")]
        entries: Vec<Entry>,
    }
    let batch: Batch = serde_json::from_slice(body).ok()?;
    let successful: Vec<serde_json::Value> = batch
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let md5: String = Md5::digest(e.body.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
            serde_json::json!({ "Id": e.id, "MessageId": format!("00000000-0000-4000-8000-{i:012}"), "MD5OfMessageBody": md5 })
        })
        .collect();
    Some((batch.entries.len(), serde_json::json!({ "Successful": successful, "Failed": [] }).to_string()))
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response<Full<Bytes>> {
    reply(status, Bytes::from(serde_json::json!({ "__type": kind, "message": message }).to_string()))
}

/// The number of entries in a `PutRecords` body's `Records`.
fn count_records(body: &[u8]) -> Option<usize> {
    #[derive(serde::Deserialize)]
    struct Put {
        #[serde(rename = "Records")]
        records: Vec<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<Put>(body).ok().map(|p| p.records.len())
}

fn put_records_body(n: usize) -> String {
    let mut s = String::with_capacity(32 + n * 80);
    s.push_str(r#"{"FailedRecordCount":0,"Records":["#);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(r#"{"SequenceNumber":"49650000000000000000000000000000000000000000000000000000","ShardId":"shardId-000000000000"}"#);
    }
    s.push_str("]}");
    s
}

fn summary_body(shards: usize) -> String {
    serde_json::json!({ "StreamDescriptionSummary": {
        "StreamName": "fast",
        "StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/fast",
        "StreamStatus": "ACTIVE",
        "StreamModeDetails": { "StreamMode": "PROVISIONED" },
        "RetentionPeriodHours": 24,
        "StreamCreationTimestamp": 1_764_000_000.0,
        "EnhancedMonitoring": [],
        "EncryptionType": "NONE",
        "OpenShardCount": shards,
        "ConsumerCount": 0,
    }})
    .to_string()
}

fn list_shards_body(shards: usize) -> String {
    let shards = shards.max(1) as u128;
    let width = u128::MAX / shards;
    let list: Vec<serde_json::Value> = (0..shards)
        .map(|i| {
            let end = if i + 1 == shards { u128::MAX } else { (i + 1) * width - 1 };
            serde_json::json!({
                "ShardId": format!("shardId-{i:012}"),
                "HashKeyRange": { "StartingHashKey": (i * width).to_string(), "EndingHashKey": end.to_string() },
                "SequenceNumberRange": { "StartingSequenceNumber": "49650000000000000000000000000000000000000000000000000000" },
            })
        })
        .collect();
    serde_json::json!({ "Shards": list }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_records_and_splits_the_hash_space() {
        assert_eq!(count_records(br#"{"Records":[{"Data":"YQ==","PartitionKey":"a"},{"Data":"Yg==","PartitionKey":"b"}],"StreamName":"s"}"#), Some(2));
        assert_eq!(count_records(b"{}"), None);
        let v: serde_json::Value = serde_json::from_str(&put_records_body(3)).unwrap();
        assert_eq!(v["Records"].as_array().unwrap().len(), 3);
        let v: serde_json::Value = serde_json::from_str(&list_shards_body(4)).unwrap();
        let shards = v["Shards"].as_array().unwrap();
        assert_eq!(shards.len(), 4);
        assert_eq!(shards[0]["HashKeyRange"]["StartingHashKey"], "0");
        assert_eq!(shards[3]["HashKeyRange"]["EndingHashKey"], u128::MAX.to_string());
        let next: u128 = shards[1]["HashKeyRange"]["StartingHashKey"].as_str().unwrap().parse().unwrap();
        let prev: u128 = shards[0]["HashKeyRange"]["EndingHashKey"].as_str().unwrap().parse().unwrap();
        assert_eq!(prev + 1, next, "no gap between shards");
        assert_eq!(count_items(br#"{"RequestItems":{"t":[{"PutRequest":{}},{"PutRequest":{}}]}}"#), Some(2));
        let (n, answer) =
            send_message_batch_body(br#"{"QueueUrl":"q","Entries":[{"Id":"0","MessageBody":"abc"}]}"#).unwrap();
        assert_eq!(n, 1);
        assert!(answer.contains("900150983cd24fb0d6963f7d28e17f72"), "MD5 of abc: {answer}");
    }
}
