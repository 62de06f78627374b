//! [`DeadLetterSink`] on SQS: one `SendMessageBatch` per call, in SQS's JSON protocol,
//! sent by [`JsonRpcClient`].

use aws_config::SdkConfig;

use super::json_rpc::{ClientError, JsonRpcClient, Service};
use crate::ports::{DeadLetterSink, ServiceError};

/// SQS in the JSON 1.0 protocol.
pub const SERVICE: Service = Service { id: "SQS", name: "sqs", target_prefix: "AmazonSQS" };

/// Sends dead letters to one SQS queue.
#[derive(Debug, Clone)]
pub struct SqsDeadLetters {
    client: JsonRpcClient,
    queue_url: String,
}

impl SqsDeadLetters {
    /// A sink sending to `queue_url` with the region, endpoint and credentials of `sdk`.
    pub fn new(sdk: &SdkConfig, queue_url: impl Into<String>) -> Result<Self, ClientError> {
        Ok(Self { client: JsonRpcClient::new(sdk, SERVICE)?, queue_url: queue_url.into() })
    }
}

#[derive(serde::Serialize)]
struct Request<'a> {
    #[serde(rename = "QueueUrl")]
    queue_url: &'a str,
    #[serde(rename = "Entries")]
    entries: Vec<Entry<'a>>,
}

#[derive(serde::Serialize)]
struct Entry<'a> {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "MessageBody")]
    body: &'a str,
}

#[derive(serde::Deserialize)]
struct Output {
    #[serde(rename = "Failed", default)]
    failed: Vec<Failure>,
}

#[derive(serde::Deserialize)]
struct Failure {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Code", default)]
    code: String,
    #[serde(rename = "Message", default)]
    message: String,
    #[serde(rename = "SenderFault", default)]
    sender_fault: bool,
}

impl DeadLetterSink for SqsDeadLetters {
    async fn send_batch(&self, bodies: &[&str]) -> Result<Vec<usize>, ServiceError> {
        let request = Request {
            queue_url: &self.queue_url,
            entries: bodies.iter().enumerate().map(|(i, body)| Entry { id: i.to_string(), body }).collect(),
        };
        let body = serde_json::to_vec(&request).map_err(|e| ServiceError::Rejected(e.to_string()))?;
        let answer = self.client.call("SendMessageBatch", body).await?;
        if let Some(e) = answer.error("SQS SendMessageBatch") {
            return Err(e);
        }
        let out: Output = serde_json::from_slice(&answer.body).map_err(|e| {
            ServiceError::Unavailable(format!("SQS SendMessageBatch: an answer that is not its JSON: {e}"))
        })?;
        let mut failed = Vec::new();
        for f in out.failed {
            tracing::warn!(
                id = f.id,
                code = f.code,
                message = f.message,
                sender_fault = f.sender_fault,
                "SQS did not take a dead letter"
            );
            if let Ok(i) = f.id.parse::<usize>() {
                failed.push(i);
            }
        }
        Ok(failed)
    }
}
