//! Clients for the AWS-API emulators the test script starts on 127.0.0.1.
//!
//! Endpoints come from `RETAIL_TEST_DYNAMODB_ENDPOINT` (dynalite, default port 4569) and
//! `RETAIL_TEST_SQS_ENDPOINT` (moto_server, default port 5000). An emulator that does not
//! answer fails the test with the command that starts it: these tests never skip.

use std::net::TcpStream;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType};

pub fn dynamodb_endpoint() -> String {
    std::env::var("RETAIL_TEST_DYNAMODB_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:4569".into())
}

pub fn sqs_endpoint() -> String {
    std::env::var("RETAIL_TEST_SQS_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:5000".into())
}

/// Panics with instructions unless something listens at `endpoint`.
pub fn require(endpoint: &str, what: &str) {
    let hostport = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let addr = hostport.parse().unwrap_or_else(|e| panic!("bad endpoint {endpoint}: {e}"));
    if TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err() {
        panic!(
            "{what} is not answering at {endpoint}. Start the emulators with `scripts/emulators.sh start` \
             (or run the whole suite with `scripts/test.sh`), then run the tests again."
        );
    }
}

pub async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("x", "x", None, None, "tests"))
        .endpoint_url(endpoint)
        .load()
        .await
}

pub async fn dynamodb() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&dynamodb_config().await)
}

/// The SDK configuration for dynalite, the function's adapters take it.
pub async fn dynamodb_config() -> aws_config::SdkConfig {
    let endpoint = dynamodb_endpoint();
    require(&endpoint, "dynalite (DynamoDB)");
    sdk_config(&endpoint).await
}

/// The SDK configuration for moto_server's SQS.
pub async fn sqs_config() -> aws_config::SdkConfig {
    let endpoint = sqs_endpoint();
    require(&endpoint, "moto_server (SQS)");
    sdk_config(&endpoint).await
}

pub async fn sqs() -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&sqs_config().await)
}

/// A name no other test run uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}-{}-{}-{}", std::process::id(), retail_function::now_ms(), N.fetch_add(1, Ordering::Relaxed))
}

/// Creates an events table with the production key schema.
pub async fn create_table(client: &aws_sdk_dynamodb::Client, name: &str) {
    let attr = |n: &str| {
        AttributeDefinition::builder().attribute_name(n).attribute_type(ScalarAttributeType::S).build().unwrap()
    };
    let key = |n: &str, t| KeySchemaElement::builder().attribute_name(n).key_type(t).build().unwrap();
    client
        .create_table()
        .table_name(name)
        .attribute_definitions(attr("userId"))
        .attribute_definitions(attr("eventKey"))
        .key_schema(key("userId", KeyType::Hash))
        .key_schema(key("eventKey", KeyType::Range))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("create table in dynalite");
}

pub async fn create_queue(client: &aws_sdk_sqs::Client, name: &str) -> String {
    client.create_queue().queue_name(name).send().await.expect("create queue in moto").queue_url().unwrap().to_string()
}

/// Every message body in the queue (drains it).
pub async fn drain(client: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    loop {
        let out = client.receive_message().queue_url(url).max_number_of_messages(10).send().await.unwrap();
        let msgs = out.messages();
        if msgs.is_empty() {
            return bodies;
        }
        for m in msgs {
            bodies.push(m.body().unwrap_or_default().to_string());
            client.delete_message().queue_url(url).receipt_handle(m.receipt_handle().unwrap()).send().await.unwrap();
        }
    }
}
