//! A Kinesis-API endpoint that answers as fast as it can, for measuring a producer's own
//! ceiling (`benches/benches/worker_ceiling.rs`): `PutRecords` succeeds for every record,
//! `DescribeStreamSummary` and `ListShards` describe one active stream of `shards` shards
//! over the whole hash-key space, and nothing else is answered. A test fixture, not a
//! product: it stores nothing, checks no signature and throttles nothing. It runs as its
//! own process (`fast-kinesis`) so the producer's CPU is measured apart from it.

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
                Err(e) => eprintln!("fast-kinesis: {e}"),
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
    match target.as_str() {
        "Kinesis_20131202.PutRecords" => match count_records(&body) {
            Some(n) => {
                counts.requests.fetch_add(1, Ordering::Relaxed);
                counts.records.fetch_add(n as u64, Ordering::Relaxed);
                reply(StatusCode::OK, Bytes::from(put_records_body(n)))
            }
            None => error(StatusCode::BAD_REQUEST, "SerializationException", "the body has no Records list"),
        },
        "Kinesis_20131202.DescribeStreamSummary" => reply(StatusCode::OK, Bytes::from(summary_body(stream.shards))),
        "Kinesis_20131202.ListShards" => reply(StatusCode::OK, list_shards),
        other => error(StatusCode::BAD_REQUEST, "UnknownOperationException", &format!("{other} is not answered here")),
    }
}

fn reply(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/x-amz-json-1.1"));
    r
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
    }
}
