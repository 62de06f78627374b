//! [`DeadLetterSink`] on SQS: one `SendMessageBatch` per call.

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;

use crate::ports::{DeadLetterSink, ServiceError};

/// Sends dead letters to one SQS queue.
#[derive(Debug, Clone)]
pub struct SqsDeadLetters {
    client: Client,
    queue_url: String,
}

impl SqsDeadLetters {
    /// A sink sending to `queue_url` through `client`.
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self { client, queue_url: queue_url.into() }
    }
}

impl DeadLetterSink for SqsDeadLetters {
    async fn send_batch(&self, bodies: &[&str]) -> Result<Vec<usize>, ServiceError> {
        let entries = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(*body)
                    .build()
                    .map_err(|e| ServiceError::Rejected(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = self
            .client
            .send_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(super::classify)?;
        let mut failed = Vec::new();
        for f in out.failed() {
            tracing::warn!(
                id = f.id(),
                code = f.code(),
                message = f.message().unwrap_or_default(),
                sender_fault = f.sender_fault(),
                "SQS did not take a dead letter"
            );
            if let Ok(i) = f.id().parse::<usize>() {
                failed.push(i);
            }
        }
        Ok(failed)
    }
}
