//! One signed call to an AWS service that speaks the JSON 1.0 protocol (DynamoDB, SQS):
//! `POST /` with an `X-Amz-Target` header and a JSON body the caller wrote, signed with
//! SigV4, over a pooled HTTP/1.1 client (rustls, the platform's root certificates).
//!
//! Why not the AWS SDK's clients: on the function's batch path the SDK's per-call machinery
//! (the orchestrator, interceptors, a `HashMap<String, AttributeValue>` per item and its
//! serialiser) cost ~20× the processing itself, and Lambda bills that CPU
//! (`docs/aws-quotas.md`, "The function's CPU per record"). The adapters write their
//! bodies straight from the project's types; this module only signs, sends and reads the
//! answer. The SDK's configuration is still the source of region, endpoint and
//! credentials, so `AWS_REGION`, `AWS_ENDPOINT_URL(_SERVICE)`, profiles and the Lambda
//! role's credentials work as they do for any SDK client.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::ConfigBuilderExt as _;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::ports::ServiceError;

/// Longest wait for a TCP connection (the AWS SDK's default).
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(3_100);
/// Longest wait for one call's whole answer. A call that outlives it is a
/// [`ServiceError::Timeout`], retried within the invocation's budget, instead of a stuck
/// connection eating the whole budget.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for the credentials provider (a refresh from the role or a profile).
const CREDENTIALS_TIMEOUT: Duration = Duration::from_secs(5);
/// Credentials are refreshed this long before they expire.
const CREDENTIALS_MARGIN: Duration = Duration::from_secs(300);
/// Largest answer read; DynamoDB's and SQS's answers to these calls are a few KiB.
const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// Error codes that mean "slow down" across DynamoDB and SQS.
const THROTTLING_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "Throttling",
    "RequestThrottled",
    "AWS.SimpleQueueService.RequestThrottled",
];

/// Sorts a service's error code (and the HTTP status, when there is one) into the
/// project's retry classes; `text` becomes the error's message.
pub(crate) fn classify_code(code: &str, status: Option<u16>, text: String) -> ServiceError {
    if THROTTLING_CODES.contains(&code) {
        ServiceError::Throttled(text)
    } else if code.contains("InternalServerError")
        || code.contains("InternalFailure")
        || code.contains("ServiceUnavailable")
        || code.contains("InternalError")
        || status.is_some_and(|s| s >= 500)
    {
        ServiceError::Unavailable(text)
    } else {
        ServiceError::Rejected(text)
    }
}

/// Why a client could not be built from the SDK configuration.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No region in the environment, the profile or the code.
    #[error("no AWS region is configured for {service}: set AWS_REGION (Lambda sets it)")]
    NoRegion {
        /// The service the client was for.
        service: &'static str,
    },
    /// No credentials provider in the SDK configuration.
    #[error("no AWS credentials provider is configured for {service}")]
    NoCredentials {
        /// The service the client was for.
        service: &'static str,
    },
    /// The endpoint is not a URL, or the region's partition is not one this client knows.
    #[error("cannot reach {service}: {why}")]
    Endpoint {
        /// The service the client was for.
        service: &'static str,
        /// What was wrong.
        why: String,
    },
    /// The endpoint's scheme is neither `http` nor `https`.
    #[error("cannot reach {service}: {endpoint:?} is neither http:// nor https://")]
    Scheme {
        /// The service the client was for.
        service: &'static str,
        /// The endpoint.
        endpoint: String,
    },
}

/// Which service a client talks to.
#[derive(Debug, Clone, Copy)]
pub struct Service {
    /// The SDK's service id, as in `AWS_ENDPOINT_URL_<ID>` and profiles' `services`.
    pub id: &'static str,
    /// The endpoint prefix and SigV4 signing name (`dynamodb`, `sqs`).
    pub name: &'static str,
    /// The `X-Amz-Target` prefix (`DynamoDB_20120810`, `AmazonSQS`).
    pub target_prefix: &'static str,
}

/// An answer: the HTTP status and the body.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status code.
    pub status: u16,
    /// The body (JSON when the service answered).
    pub body: Bytes,
    /// The `x-amzn-ErrorType` header, when the service sent one.
    pub error_type: Option<String>,
}

impl Answer {
    /// The service's error, classified, when the status is not a success. `what` names
    /// the call in the message.
    pub fn error(&self, what: &str) -> Option<ServiceError> {
        if (200..300).contains(&self.status) {
            return None;
        }
        #[derive(serde::Deserialize)]
        struct ErrorBody {
            #[serde(rename = "__type", default)]
            kind: String,
            #[serde(alias = "Message", default)]
            message: String,
        }
        let parsed: Option<ErrorBody> = serde_json::from_slice(&self.body).ok();
        let kind = parsed.as_ref().map(|b| b.kind.as_str()).filter(|k| !k.is_empty());
        let code = error_code(kind.or(self.error_type.as_deref()).unwrap_or_default());
        let message = match &parsed {
            Some(b) => b.message.clone(),
            None => String::from_utf8_lossy(&self.body[..self.body.len().min(200)]).into_owned(),
        };
        let code_text = if code.is_empty() { "no error code" } else { code };
        let text = format!("{what}: {code_text}: {message} (HTTP {})", self.status);
        Some(classify_code(code, Some(self.status), text))
    }
}

/// The bare code of `com.amazonaws.dynamodb.v20120810#ThrottlingException` or of a header's
/// `ThrottlingException:http://…`.
fn error_code(raw: &str) -> &str {
    let code = raw.rsplit('#').next().unwrap_or(raw);
    code.split(':').next().unwrap_or(code)
}

/// A client of one service, built once per sandbox and shared by every call.
#[derive(Debug, Clone)]
pub struct JsonRpcClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    service: Service,
    /// Whether the endpoint is `https://` (else plain `http://`, an emulator's).
    tls: bool,
    /// Built on the first call (see [`http_client`]).
    http: OnceLock<HttpClient>,
    uri: http::Uri,
    host: http::HeaderValue,
    region: String,
    credentials: CredentialCache,
}

impl JsonRpcClient {
    /// A client for `service` with the region, endpoint and credentials of `sdk`.
    pub fn new(sdk: &SdkConfig, service: Service) -> Result<Self, ClientError> {
        let region = sdk.region().ok_or(ClientError::NoRegion { service: service.id })?.to_string();
        let provider = sdk.credentials_provider().ok_or(ClientError::NoCredentials { service: service.id })?;
        let endpoint = endpoint(sdk, service, &region)?;
        let uri: http::Uri = endpoint.parse().map_err(|e| ClientError::Endpoint {
            service: service.id,
            why: format!("{endpoint:?} is not a URL: {e}"),
        })?;
        let host = host_header(&uri)
            .ok_or_else(|| ClientError::Endpoint { service: service.id, why: format!("{endpoint:?} names no host") })?;
        let tls = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(ClientError::Scheme { service: service.id, endpoint }),
        };
        Ok(Self {
            inner: Arc::new(Inner {
                service,
                tls,
                http: OnceLock::new(),
                uri,
                host,
                region,
                credentials: CredentialCache { provider, current: tokio::sync::Mutex::new(None) },
            }),
        })
    }

    /// Calls `operation` with the JSON `body`. An answer with an error status is still an
    /// `Ok` ([`Answer::error`] reads it); transport failures, timeouts and missing
    /// credentials are errors.
    pub async fn call(&self, operation: &str, body: Vec<u8>) -> Result<Answer, ServiceError> {
        match tokio::time::timeout(CALL_TIMEOUT, self.send(operation, body)).await {
            Ok(answer) => answer,
            Err(_) => Err(ServiceError::Timeout(format!(
                "{} {operation} did not answer within {} s",
                self.inner.service.id,
                CALL_TIMEOUT.as_secs()
            ))),
        }
    }

    async fn send(&self, operation: &str, body: Vec<u8>) -> Result<Answer, ServiceError> {
        let inner = &*self.inner;
        let service = inner.service;
        let what = || format!("{} {operation}", service.id);
        let credentials = inner.credentials.get().await.map_err(|why| ServiceError::Unavailable(why.to_string()))?;
        let mut target = String::with_capacity(service.target_prefix.len() + 1 + operation.len());
        target.push_str(service.target_prefix);
        target.push('.');
        target.push_str(operation);
        let host = inner.host.to_str().unwrap_or_default();
        let identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&inner.region)
            .name(service.name)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| ServiceError::Rejected(format!("{}: cannot sign: {e}", what())))?
            .into();
        let headers = [("content-type", CONTENT_TYPE), ("host", host), ("x-amz-target", target.as_str())];
        let signable =
            SignableRequest::new("POST", uri_text(&inner.uri), headers.iter().copied(), SignableBody::Bytes(&body))
                .and_then(|r| sign(r, &params))
                .map_err(|e| ServiceError::Rejected(format!("{}: cannot sign: {e}", what())))?;
        let (instructions, _signature) = signable.into_parts();
        let mut request = http::Request::builder()
            .method(http::Method::POST)
            .uri(inner.uri.clone())
            .header(http::header::CONTENT_TYPE, CONTENT_TYPE)
            .header(http::header::HOST, inner.host.clone())
            .header("x-amz-target", target)
            .header(http::header::USER_AGENT, USER_AGENT)
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| ServiceError::Rejected(format!("{}: cannot build the request: {e}", what())))?;
        instructions.apply_to_request_http1x(&mut request);
        if inner.http.get().is_none() {
            let client =
                http_client(inner.tls).map_err(|why| ServiceError::Unavailable(format!("{}: {why}", what())))?;
            // Two first calls at once may both build one; either will do.
            let _ = inner.http.set(client);
        }
        let response = inner
            .http
            .get()
            .ok_or_else(|| ServiceError::Unavailable(format!("{}: no HTTP client", what())))?
            .request(request)
            .await
            .map_err(|e| ServiceError::Unavailable(format!("{}: {}", what(), error_chain(&e))))?;
        let status = response.status().as_u16();
        let error_type = response.headers().get("x-amzn-errortype").and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map_err(|e| ServiceError::Unavailable(format!("{}: reading the answer: {e}", what())))?
            .to_bytes();
        Ok(Answer { status, body, error_type })
    }
}

type HttpClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// An HTTP client for `https://` endpoints (`tls`) or plain `http://` ones (an
/// emulator's). The platform's root certificates are read once per process, on the first
/// HTTPS client built: reading and parsing them takes milliseconds that a cold start need
/// not pay twice, and a plain-HTTP client never reads them.
fn http_client(tls: bool) -> Result<HttpClient, String> {
    static ROOTS: OnceLock<Result<rustls::ClientConfig, String>> = OnceLock::new();
    let provider = || Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = if tls {
        ROOTS
            .get_or_init(|| {
                rustls::ClientConfig::builder_with_provider(provider())
                    .with_safe_default_protocol_versions()
                    .map_err(|e| e.to_string())?
                    .with_native_roots()
                    .map(|b| b.with_no_client_auth())
                    .map_err(|e| format!("cannot read the platform's root certificates for HTTPS: {e}"))
            })
            .clone()?
    } else {
        rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth()
    };
    let mut tcp = HttpConnector::new();
    tcp.enforce_http(false);
    tcp.set_nodelay(true);
    tcp.set_connect_timeout(Some(CONNECT_TIMEOUT));
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http()
        .enable_http1()
        .wrap_connector(tcp);
    Ok(Client::builder(TokioExecutor::new()).pool_timer(TokioTimer::new()).build(connector))
}

const CONTENT_TYPE: &str = "application/x-amz-json-1.0";
/// Names the caller in CloudTrail and in AWS's request logs.
const USER_AGENT: &str = concat!("retail-function/", env!("CARGO_PKG_VERSION"));

/// The URI as signed: the endpoint with its path (`/` when it has none).
fn uri_text(uri: &http::Uri) -> String {
    let text = uri.to_string();
    if uri.path().is_empty() {
        format!("{text}/")
    } else {
        text
    }
}

/// `host` or `host:port`; a scheme's default port is left out, as HTTP clients send it.
fn host_header(uri: &http::Uri) -> Option<http::HeaderValue> {
    let host = uri.host()?;
    let default_port = match uri.scheme_str() {
        Some("https") => 443,
        _ => 80,
    };
    let text = match uri.port_u16() {
        Some(port) if port != default_port => format!("{host}:{port}"),
        _ => host.to_string(),
    };
    http::HeaderValue::from_str(&text).ok()
}

/// The endpoint: an explicit URL (in code, `AWS_ENDPOINT_URL_<ID>`, `AWS_ENDPOINT_URL` or
/// a profile, with the SDK's precedence), else the service's regional endpoint.
fn endpoint(sdk: &SdkConfig, service: Service, region: &str) -> Result<String, ClientError> {
    let explicit = if sdk.get_origin("endpoint_url").is_client_config() {
        sdk.endpoint_url().map(str::to_string)
    } else {
        let key = aws_types::service_config::ServiceConfigKey::builder()
            .service_id(service.id)
            .env("AWS_ENDPOINT_URL")
            .profile("endpoint_url")
            .build()
            .map_err(|e| ClientError::Endpoint { service: service.id, why: e.to_string() })?;
        sdk.service_config().and_then(|conf| conf.load_config(key)).or_else(|| sdk.endpoint_url().map(str::to_string))
    };
    if let Some(url) = explicit {
        return Ok(url);
    }
    regional_endpoint(service.name, region, sdk.use_fips().unwrap_or(false), sdk.use_dual_stack().unwrap_or(false))
        .ok_or_else(|| ClientError::Endpoint {
            service: service.id,
            why: format!(
                "the region {region:?} is in a partition this function does not know; set AWS_ENDPOINT_URL_{}",
                service.id.to_uppercase()
            ),
        })
}

/// `https://<name>[-fips].<region>.<domain>` for the commercial, China and GovCloud
/// partitions (AWS's endpoint rules for DynamoDB and SQS).
fn regional_endpoint(name: &str, region: &str, fips: bool, dual_stack: bool) -> Option<String> {
    let valid = !region.is_empty() && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid || region.starts_with("us-iso") || region.starts_with("eu-iso") {
        return None;
    }
    let china = region.starts_with("cn-");
    let domain = match (china, dual_stack) {
        (false, false) => "amazonaws.com",
        (false, true) => "api.aws",
        (true, false) => "amazonaws.com.cn",
        (true, true) => "api.amazonwebservices.com.cn",
    };
    let fips = if fips { "-fips" } else { "" };
    Some(format!("https://{name}{fips}.{region}.{domain}"))
}

/// The error and its sources, as one line.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The current credentials, fetched once and again shortly before they expire. One refresh
/// at a time: the lock is held across it.
#[derive(Debug)]
struct CredentialCache {
    provider: SharedCredentialsProvider,
    current: tokio::sync::Mutex<Option<Credentials>>,
}

impl CredentialCache {
    async fn get(&self) -> Result<Credentials, String> {
        let mut current = self.current.lock().await;
        if let Some(c) = current.as_ref() {
            if c.expiry().is_none_or(|at| at > SystemTime::now() + CREDENTIALS_MARGIN) {
                return Ok(c.clone());
            }
        }
        let fresh = tokio::time::timeout(CREDENTIALS_TIMEOUT, self.provider.provide_credentials())
            .await
            .map_err(|_| format!("the credentials provider did not answer within {} s", CREDENTIALS_TIMEOUT.as_secs()))?
            .map_err(|e| format!("no AWS credentials: {}", error_chain(&e)))?;
        *current = Some(fresh.clone());
        Ok(fresh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out credentials expiring `valid_for` from now, counting the calls.
    #[derive(Debug)]
    struct Expiring {
        valid_for: std::time::Duration,
        calls: std::sync::atomic::AtomicUsize,
    }

    impl ProvideCredentials for Expiring {
        fn provide_credentials<'a>(&'a self) -> aws_credential_types::provider::future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            let n = self.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let expiry = SystemTime::now() + self.valid_for;
            let key = format!("AKID{n}");
            aws_credential_types::provider::future::ProvideCredentials::ready(Ok(Credentials::new(
                key,
                "secret",
                Some("token".into()),
                Some(expiry),
                "test",
            )))
        }
    }

    #[tokio::test]
    async fn credentials_are_kept_until_shortly_before_they_expire() {
        for (valid_for, fetches) in [(Duration::from_secs(3600), 1), (Duration::from_secs(60), 3)] {
            let provider = std::sync::Arc::new(Expiring { valid_for, calls: Default::default() });
            let cache = CredentialCache {
                provider: SharedCredentialsProvider::new(ExpiringRef(provider.clone())),
                current: tokio::sync::Mutex::new(None),
            };
            for _ in 0..3 {
                cache.get().await.unwrap();
            }
            assert_eq!(provider.calls.load(std::sync::atomic::Ordering::Relaxed), fetches, "valid for {valid_for:?}");
        }
    }

    /// A shared handle on [`Expiring`], so the test can read its count.
    #[derive(Debug)]
    struct ExpiringRef(std::sync::Arc<Expiring>);

    impl ProvideCredentials for ExpiringRef {
        fn provide_credentials<'a>(&'a self) -> aws_credential_types::provider::future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            self.0.provide_credentials()
        }
    }

    #[test]
    fn regional_endpoints_follow_the_partition() {
        let e = |r, f, d| regional_endpoint("dynamodb", r, f, d);
        assert_eq!(e("us-east-1", false, false).unwrap(), "https://dynamodb.us-east-1.amazonaws.com");
        assert_eq!(e("eu-west-1", true, false).unwrap(), "https://dynamodb-fips.eu-west-1.amazonaws.com");
        assert_eq!(e("us-west-2", false, true).unwrap(), "https://dynamodb.us-west-2.api.aws");
        assert_eq!(e("cn-north-1", false, false).unwrap(), "https://dynamodb.cn-north-1.amazonaws.com.cn");
        assert_eq!(e("us-gov-west-1", false, false).unwrap(), "https://dynamodb.us-gov-west-1.amazonaws.com");
        assert_eq!(e("us-iso-east-1", false, false), None);
        assert_eq!(e("evil.com/x", false, false), None);
        assert_eq!(e("", false, false), None);
    }

    #[test]
    fn host_header_leaves_out_default_ports() {
        let h = |u: &str| host_header(&u.parse().unwrap()).unwrap();
        assert_eq!(h("https://dynamodb.us-east-1.amazonaws.com"), "dynamodb.us-east-1.amazonaws.com");
        assert_eq!(h("https://example.com:443/"), "example.com");
        assert_eq!(h("http://127.0.0.1:4569"), "127.0.0.1:4569");
        assert_eq!(h("http://localhost:80"), "localhost");
    }

    #[test]
    fn error_answers_are_classified_by_code_and_status() {
        let answer = |status, body: &str, header: Option<&str>| Answer {
            status,
            body: Bytes::from(body.to_string()),
            error_type: header.map(str::to_string),
        };
        let throttled = answer(
            400,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}"#,
            None,
        );
        match throttled.error("DynamoDB BatchWriteItem") {
            Some(ServiceError::Throttled(text)) => assert_eq!(
                text,
                "DynamoDB BatchWriteItem: ProvisionedThroughputExceededException: slow down (HTTP 400)"
            ),
            other => panic!("{other:?}"),
        }
        let missing = answer(400, r#"{"__type":"x#ResourceNotFoundException","Message":"no table"}"#, None);
        assert!(
            matches!(missing.error("op"), Some(ServiceError::Rejected(t)) if t.contains("ResourceNotFoundException: no table"))
        );
        let header_only = answer(400, "", Some("ThrottlingException:http://internal.amazon.com/"));
        assert!(matches!(header_only.error("op"), Some(ServiceError::Throttled(_))));
        let gateway = answer(502, "<html>bad gateway</html>", None);
        assert!(matches!(gateway.error("op"), Some(ServiceError::Unavailable(t)) if t.contains("bad gateway")));
        let internal = answer(500, r#"{"__type":"InternalServerError"}"#, None);
        assert!(matches!(internal.error("op"), Some(ServiceError::Unavailable(_))));
        assert!(answer(200, "{}", None).error("op").is_none());
    }
}
