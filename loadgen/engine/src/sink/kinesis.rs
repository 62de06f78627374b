//! A real Kinesis stream as loadgen's target: the preflight before the clock starts, and
//! [`KinesisSink`], `PutRecords` behind the same [`RecordSink`] trait as the local
//! pipeline.
//!
//! Works against AWS, LocalStack and the emulators alike: the standard credential chain,
//! `--region`, `--profile`, and `--endpoint-url` or `AWS_ENDPOINT_URL`. The preflight turns
//! each way a run can fail to start into its own error naming the fix.

use std::borrow::{Borrow, BorrowMut};
use std::collections::HashMap;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_kinesis::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use aws_sdk_kinesis::Client;

use crate::capacity::quotas::{MAX_RECORD_BYTES, PUT_RECORDS_MAX_BYTES, PUT_RECORDS_MAX_RECORDS};
use crate::checks::ConfigError;
use crate::sink::hash_ranges::{hash_key, shard_for};
use crate::sink::{PutEntry, PutResult, RecordSink, SinkError};

/// Where to send: the stream and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KinesisTarget {
    /// Stream name.
    pub stream: String,
    /// Region, else the standard chain's.
    pub region: Option<String>,
    /// Named profile, else the standard chain's.
    pub profile: Option<String>,
    /// Endpoint, else `AWS_ENDPOINT_URL` or AWS's.
    pub endpoint_url: Option<String>,
    /// Longest wait for a connection to the endpoint.
    pub connect_timeout: Duration,
    /// Longest wait for one request's answer (each attempt; a call with the SDK's
    /// retries gets three times this). A target that stops answering ends the run like a
    /// lost connection.
    pub request_timeout: Duration,
}

impl Default for KinesisTarget {
    fn default() -> Self {
        Self {
            stream: String::new(),
            region: None,
            profile: None,
            endpoint_url: None,
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// The environment variables that name AWS endpoints for the SDK.
pub const ENDPOINT_VARIABLES: [&str; 6] = [
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_KINESIS",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_CLOUDWATCH",
    "AWS_ENDPOINT_URL_CLOUDFORMATION",
];

/// Checks an endpoint URL before the SDK sees it (the SDK panics on an empty one and
/// takes port 99999 for port 80): `http` or `https`, a host, a port from 1 to 65535.
pub fn check_endpoint(option: &'static str, url: &str) -> Result<(), ConfigError> {
    let bad = |why: &str| {
        Err(ConfigError::new(
            option,
            format!("{option} '{url}' is not an endpoint URL: {why}; write it like http://127.0.0.1:4567 or https://kinesis.us-east-1.amazonaws.com"),
        ))
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return bad("it has no scheme");
    };
    if scheme != "http" && scheme != "https" {
        return bad("the scheme must be http or https");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((h, tail)) => (h, tail.strip_prefix(':')),
            None => return bad("the IPv6 address has no closing ]"),
        },
        None => match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return bad("it has no host");
    }
    if let Some(p) = port {
        match p.parse::<u32>() {
            Ok(n) if (1..=65_535).contains(&n) => {}
            _ => return bad("the port must be a number from 1 to 65535"),
        }
    }
    Ok(())
}

impl KinesisTarget {
    /// The stream name, the endpoint (given, or from the environment) and the timeouts
    /// must make sense before anything is sent.
    pub fn validate(&self) -> Result<(), ConfigError> {
        crate::checks::check(!self.stream.trim().is_empty(), "stream", || {
            "--stream needs a stream name, e.g. --stream retail-analytics-dev-events".into()
        })?;
        if let Some(url) = &self.endpoint_url {
            check_endpoint("--endpoint-url", url)?;
        }
        check_endpoint_environment()?;
        crate::checks::check(
            !self.connect_timeout.is_zero() && !self.request_timeout.is_zero(),
            "request-timeout",
            || "--connect-timeout and --request-timeout must be longer than zero".into(),
        )
    }

    /// The standard chain with this target's region and profile; with `kinesis_endpoint`,
    /// The standard chain with this target's region and profile; with `kinesis_endpoint`,
    /// also its Kinesis endpoint (DynamoDB and SQS keep theirs, e.g. from
    /// `AWS_ENDPOINT_URL_DYNAMODB`).
    pub fn sdk_loader(&self, kinesis_endpoint: bool) -> aws_config::ConfigLoader {
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.request_timeout)
            .operation_attempt_timeout(self.request_timeout)
            .operation_timeout(self.request_timeout * 3)
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts);
        if let Some(r) = &self.region {
            loader = loader.region(aws_config::Region::new(r.clone()));
        }
        if let Some(p) = &self.profile {
            loader = loader.profile_name(p);
        }
        match (&self.endpoint_url, kinesis_endpoint) {
            (Some(e), true) => loader.endpoint_url(e),
            _ => loader,
        }
    }
}

/// The endpoint variables the SDK reads, when set, must be endpoint URLs too (an empty
/// `AWS_ENDPOINT_URL=` makes the SDK panic).
pub fn check_endpoint_environment() -> Result<(), ConfigError> {
    for name in ENDPOINT_VARIABLES {
        if let Ok(value) = std::env::var(name) {
            check_endpoint("endpoint-url", &value).map_err(|e| {
                ConfigError::new(
                    "endpoint-url",
                    format!("{name} is set to '{value}': {}; unset it or set an endpoint URL", e.message),
                )
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod endpoint_tests {
    use super::check_endpoint;

    #[test]
    fn endpoints_are_checked_before_the_sdk_sees_them() {
        for good in [
            "http://127.0.0.1:4567",
            "https://kinesis.us-east-1.amazonaws.com",
            "http://[::1]:4567/",
            "http://localhost",
        ] {
            assert!(check_endpoint("--endpoint-url", good).is_ok(), "{good}");
        }
        for (bad, why) in [
            ("", "no scheme"),
            ("127.0.0.1:4567", "no scheme"),
            ("ftp://host", "http or https"),
            ("http://", "no host"),
            ("http://:4567", "no host"),
            ("http://host:99999", "1 to 65535"),
            ("http://host:0", "1 to 65535"),
            ("http://host:port", "1 to 65535"),
            ("http://[::1", "closing ]"),
        ] {
            let e = check_endpoint("--endpoint-url", bad).expect_err(bad);
            assert!(e.message.contains(why), "{bad}: {e}");
        }
    }
}

/// What the preflight learned about the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    /// Stream name.
    pub name: String,
    /// Stream ARN (what Lambda puts in each record's `eventSourceArn`).
    pub arn: String,
    /// `PROVISIONED` or `ON_DEMAND`.
    pub mode: String,
    /// Open shards, in hash-key order: id and `[start, end]` hash range.
    pub shards: Vec<(String, u128, u128)>,
}

/// Why a run against a stream cannot start. Each names the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreflightError {
    /// No region anywhere in the chain.
    #[error("no AWS region: pass --region (e.g. --region us-east-1) or set AWS_REGION")]
    NoRegion,
    /// The credential chain found nothing.
    #[error("no AWS credentials: {0}. Set AWS_PROFILE or pass --profile, run `aws configure`, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")]
    NoCredentials(String),
    /// Nothing answers at the endpoint.
    #[error("cannot reach Kinesis at {endpoint}: {detail}. Check --endpoint-url / AWS_ENDPOINT_URL, --region and the network")]
    Unreachable {
        /// The endpoint tried.
        endpoint: String,
        /// What the connection said.
        detail: String,
    },
    /// No such stream in that account and region.
    #[error("stream '{stream}' does not exist in region {region}: check the name and --region (`aws kinesis list-streams --region {region}` lists them)")]
    NotFound {
        /// The stream.
        stream: String,
        /// The region.
        region: String,
    },
    /// The credentials may not describe or write the stream.
    #[error("access denied to stream '{stream}': {detail}. The identity needs kinesis:DescribeStreamSummary, kinesis:ListShards and kinesis:PutRecords on it")]
    AccessDenied {
        /// The stream.
        stream: String,
        /// AWS's message.
        detail: String,
    },
    /// The stream exists but cannot take writes yet.
    #[error("stream '{stream}' is {status}, not ACTIVE: wait until `aws kinesis describe-stream-summary --stream-name {stream}` says ACTIVE")]
    NotActive {
        /// The stream.
        stream: String,
        /// Its status.
        status: String,
    },
    /// Anything else Kinesis said.
    #[error("Kinesis refused the preflight: {0}")]
    Other(String),
}

/// Builds a client for `target` and checks the stream: region, credentials, endpoint,
/// existence, access, status; then reads its shards' hash ranges.
pub async fn preflight(target: &KinesisTarget) -> Result<(Client, StreamInfo), PreflightError> {
    let sdk = target.sdk_loader(true).load().await;
    let region = sdk.region().map(|r| r.to_string()).ok_or(PreflightError::NoRegion)?;
    let Some(provider) = sdk.credentials_provider() else {
        return Err(PreflightError::NoCredentials("no credential provider is configured".into()));
    };
    use aws_credential_types::provider::ProvideCredentials;
    provider.provide_credentials().await.map_err(|e| {
        PreflightError::NoCredentials(match &target.profile {
            Some(p) => {
                format!("profile '{p}' gives none ({e}); check that it exists in ~/.aws/config or ~/.aws/credentials")
            }
            None => e.to_string(),
        })
    })?;
    let endpoint = target
        .endpoint_url
        .clone()
        .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
        .unwrap_or_else(|| format!("https://kinesis.{region}.amazonaws.com"));
    let client = Client::new(&sdk);
    let stream = target.stream.clone();

    let classify = |e: &dyn ErrorView| -> PreflightError {
        if e.dispatch_failed() {
            return PreflightError::Unreachable { endpoint: endpoint.clone(), detail: e.text() };
        }
        match e.code() {
            Some("ResourceNotFoundException") => {
                PreflightError::NotFound { stream: stream.clone(), region: region.clone() }
            }
            Some("AccessDeniedException") | Some("UnrecognizedClientException") | Some("InvalidSignatureException") => {
                PreflightError::AccessDenied { stream: stream.clone(), detail: e.text() }
            }
            _ => PreflightError::Other(e.text()),
        }
    };
    let summary =
        client.describe_stream_summary().stream_name(&target.stream).send().await.map_err(|e| classify(&e))?;
    let desc = summary.stream_description_summary();
    let status = desc.map(|d| d.stream_status().as_str().to_string()).unwrap_or_default();
    if status != "ACTIVE" && status != "UPDATING" {
        return Err(PreflightError::NotActive { stream: target.stream.clone(), status });
    }
    let arn = desc.map(|d| d.stream_arn().to_string()).unwrap_or_default();
    let mode = desc
        .and_then(|d| d.stream_mode_details())
        .map(|m| m.stream_mode().as_str().to_string())
        .unwrap_or_else(|| "PROVISIONED".into());

    let mut shards = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = client.list_shards();
        req = match &token {
            Some(t) => req.next_token(t),
            None => req.stream_name(&target.stream),
        };
        let page = req.send().await.map_err(|e| classify(&e))?;
        for s in page.shards() {
            // Closed shards (after a reshard) take no writes.
            if s.sequence_number_range().and_then(|r| r.ending_sequence_number()).is_some() {
                continue;
            }
            let range = s.hash_key_range();
            let parse = |v: Option<&str>| v.and_then(|v| v.parse::<u128>().ok());
            let (Some(start), Some(end)) =
                (parse(range.map(|r| r.starting_hash_key())), parse(range.map(|r| r.ending_hash_key())))
            else {
                return Err(PreflightError::Other(format!("shard {} has an unreadable hash-key range", s.shard_id())));
            };
            shards.push((s.shard_id().to_string(), start, end));
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    shards.sort_by_key(|s| s.1);
    if shards.is_empty() {
        return Err(PreflightError::Other(format!("stream '{}' has no open shards", target.stream)));
    }
    Ok((client, StreamInfo { name: target.stream.clone(), arn, mode, shards }))
}

/// The parts of an SDK error the classification reads, whatever the operation.
trait ErrorView {
    fn dispatch_failed(&self) -> bool;
    fn code(&self) -> Option<&str>;
    fn text(&self) -> String;
}

impl<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug> ErrorView for SdkError<E, R> {
    fn dispatch_failed(&self) -> bool {
        matches!(self, SdkError::DispatchFailure(_) | SdkError::TimeoutError(_))
    }
    fn code(&self) -> Option<&str> {
        match self {
            SdkError::ServiceError(ctx) => ctx.err().code(),
            _ => None,
        }
    }
    fn text(&self) -> String {
        crate::aws::sdk_error_sentence(self)
    }
}

/// `PutRecords` into a stream.
#[derive(Debug, Clone)]
pub struct KinesisSink {
    client: Client,
    stream: String,
    ranges: Vec<(u128, u128)>,
    index: HashMap<String, usize>,
}

impl KinesisSink {
    /// A sink for the stream the preflight described.
    pub fn new(client: Client, info: &StreamInfo) -> Self {
        Self {
            client,
            stream: info.name.clone(),
            ranges: info.shards.iter().map(|s| (s.1, s.2)).collect(),
            index: info.shards.iter().enumerate().map(|(i, s)| (s.0.clone(), i)).collect(),
        }
    }

    fn shard_of(&self, e: &PutEntry) -> usize {
        shard_for(e.route.explicit_hash_key().unwrap_or_else(|| hash_key(&e.partition_key)), &self.ranges)
    }
}

impl RecordSink for KinesisSink {
    fn hash_ranges(&self) -> Vec<(u128, u128)> {
        self.ranges.clone()
    }

    async fn put_records<E: BorrowMut<PutEntry> + Send>(&self, entries: &mut [E]) -> Result<Vec<PutResult>, SinkError> {
        let entries: Vec<&PutEntry> = entries.iter().map(Borrow::borrow).collect();
        // Kinesis would refuse these requests whole; never send them.
        if entries.len() > PUT_RECORDS_MAX_RECORDS {
            return Err(SinkError::Rejected(format!("{} records in one request (at most 500)", entries.len())));
        }
        if let Some(big) = entries.iter().find(|e| e.quota_bytes() > MAX_RECORD_BYTES) {
            return Err(SinkError::Rejected(format!("a record of {} bytes (at most 1 MiB)", big.quota_bytes())));
        }
        let total: usize = entries.iter().map(|e| e.quota_bytes()).sum();
        if total > PUT_RECORDS_MAX_BYTES {
            return Err(SinkError::Rejected(format!("{total} bytes in one request (at most 5 MiB)")));
        }
        let records = entries
            .iter()
            .map(|e| {
                PutRecordsRequestEntry::builder()
                    .data(Blob::new(e.data.to_vec()))
                    .partition_key(e.partition_key.to_string())
                    .set_explicit_hash_key(e.route.explicit_hash_key().map(|h| h.to_string()))
                    .build()
                    .map_err(|err| SinkError::Rejected(err.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = self.client.put_records().stream_name(&self.stream).set_records(Some(records)).send().await;
        let out = match out {
            Ok(out) => out,
            Err(e) => {
                let text = ErrorView::text(&e);
                return Err(match (&e, ErrorView::code(&e)) {
                    (SdkError::DispatchFailure(d), _) if d.is_timeout() => SinkError::Fatal(format!(
                        "Kinesis stopped answering (no answer to PutRecords within the request timeout): {text}"
                    )),
                    (SdkError::DispatchFailure(_), _) => {
                        SinkError::Fatal(format!("connection to Kinesis lost: {text}"))
                    }
                    (SdkError::TimeoutError(_), _) => SinkError::Fatal(format!(
                        "Kinesis stopped answering (no answer to PutRecords within the request timeout): {text}"
                    )),
                    (_, Some("ResourceNotFoundException")) => {
                        SinkError::Fatal(format!("stream '{}' no longer exists: {text}", self.stream))
                    }
                    (_, Some("AccessDeniedException")) => SinkError::Fatal(format!("access denied: {text}")),
                    (_, Some("ValidationException" | "InvalidArgumentException")) => SinkError::Rejected(text),
                    _ => SinkError::Transient(text),
                });
            }
        };
        if out.records().len() != entries.len() {
            // A malformed answer: which records were stored cannot be known.
            return Err(SinkError::Fatal(format!(
                "Kinesis answered PutRecords with {} results for {} records; the target is not behaving like Kinesis",
                out.records().len(),
                entries.len()
            )));
        }
        Ok(out
            .records()
            .iter()
            .zip(entries)
            .map(|(r, e)| match r.error_code() {
                None => match r.shard_id().and_then(|id| self.index.get(id)) {
                    Some(&shard) => PutResult::Accepted { shard },
                    None => PutResult::Accepted { shard: self.shard_of(e) },
                },
                Some("ProvisionedThroughputExceededException") => {
                    PutResult::Throttled { shard: Some(self.shard_of(e)) }
                }
                Some(code) => PutResult::Failed { code: code.to_string() },
            })
            .collect())
    }

    fn shard_count(&self) -> usize {
        self.ranges.len()
    }
}
