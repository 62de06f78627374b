//! The deployed pipeline's resources from its CloudFormation stack: `--stack NAME` reads
//! the outputs every flavour in `infra/` declares (`KinesisStreamName`,
//! `LambdaFunctionName`, `DynamoDBTableName`, `DeadLetterQueueUrl`), so one flag names
//! the stream to load, the table and queue to verify and the function whose metrics to
//! read. Point it at an emulator with `AWS_ENDPOINT_URL_CLOUDFORMATION`.

use crate::sink::kinesis::KinesisTarget;

/// The pipeline's resources, as its stack's outputs name them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackResources {
    /// `KinesisStreamName`.
    pub stream: Option<String>,
    /// `LambdaFunctionName`.
    pub function: Option<String>,
    /// `DynamoDBTableName`.
    pub table: Option<String>,
    /// `DeadLetterQueueUrl`.
    pub dlq_url: Option<String>,
}

/// Why the stack could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// CloudFormation refused or could not be reached.
    #[error("reading the outputs of CloudFormation stack '{stack}' failed: {detail}. Check the name, the region (--region) and that the identity may cloudformation:DescribeStacks")]
    Describe {
        /// The stack.
        stack: String,
        /// What went wrong.
        detail: String,
    },
    /// The stack has no stream output: it is not a stack from `infra/`.
    #[error("CloudFormation stack '{stack}' has no KinesisStreamName output (its outputs: {outputs}); deploy the pipeline from infra/, or name the stream with --stream")]
    NoStream {
        /// The stack.
        stack: String,
        /// The outputs it has.
        outputs: String,
    },
}

/// Reads stack `name`'s outputs (region, profile and timeouts from `target`; its stream
/// name is not used).
pub async fn describe(target: &KinesisTarget, name: &str) -> Result<StackResources, StackError> {
    let sdk = target.sdk_loader(false).load().await;
    let client = aws_sdk_cloudformation::Client::new(&sdk);
    let out = client
        .describe_stacks()
        .stack_name(name)
        .send()
        .await
        .map_err(|e| StackError::Describe { stack: name.into(), detail: crate::aws::sdk_error_sentence(&e) })?;
    let outputs: Vec<(String, String)> = out
        .stacks()
        .first()
        .map(|s| {
            s.outputs()
                .iter()
                .filter_map(|o| Some((o.output_key()?.to_string(), o.output_value()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    resources(name, &outputs)
}

/// The resources among a stack's `(key, value)` outputs.
pub fn resources(stack: &str, outputs: &[(String, String)]) -> Result<StackResources, StackError> {
    let get = |key: &str| outputs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let found = StackResources {
        stream: get("KinesisStreamName"),
        function: get("LambdaFunctionName"),
        table: get("DynamoDBTableName"),
        dlq_url: get("DeadLetterQueueUrl"),
    };
    if found.stream.is_none() {
        let keys: Vec<&str> = outputs.iter().map(|(k, _)| k.as_str()).collect();
        return Err(StackError::NoStream {
            stack: stack.into(),
            outputs: if keys.is_empty() { "none".into() } else { keys.join(", ") },
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outputs_name_the_resources() {
        let o = |k: &str, v: &str| (k.to_string(), v.to_string());
        let r = resources(
            "s",
            &[
                o("KinesisStreamName", "events"),
                o("LambdaFunctionName", "fn"),
                o("DeadLetterQueueUrl", "http://q/1/dlq"),
            ],
        )
        .unwrap();
        assert_eq!(r.stream.as_deref(), Some("events"));
        assert_eq!(r.function.as_deref(), Some("fn"));
        assert_eq!(r.table, None);
        assert_eq!(r.dlq_url.as_deref(), Some("http://q/1/dlq"));
        let e = resources("other", &[o("BucketName", "b")]).unwrap_err().to_string();
        assert!(e.contains("'other' has no KinesisStreamName output (its outputs: BucketName)"), "{e}");
    }
}
