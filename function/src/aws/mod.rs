//! The AWS adapters: [`DynamoDbStore`] and [`SqsDeadLetters`], plus the classification of
//! SDK errors into the project's [`ServiceError`].

mod dynamodb;
mod sqs;

pub use dynamodb::{item_attributes, DynamoDbStore};
pub use sqs::SqsDeadLetters;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use crate::ports::ServiceError;

/// Error codes that mean "slow down" across DynamoDB and SQS.
const THROTTLING_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "Throttling",
    "RequestThrottled",
    "AWS.SimpleQueueService.RequestThrottled",
];

/// Sorts an SDK failure into retryable classes. Both SDK crates share these smithy types.
pub(crate) fn classify<E, R>(err: SdkError<E, R>) -> ServiceError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let text = aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string();
    match &err {
        SdkError::TimeoutError(_) => ServiceError::Timeout(text),
        SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => ServiceError::Unavailable(text),
        SdkError::ConstructionFailure(_) => ServiceError::Rejected(text),
        SdkError::ServiceError(ctx) => {
            let code = ctx.err().code().unwrap_or_default();
            if THROTTLING_CODES.contains(&code) {
                ServiceError::Throttled(text)
            } else if code.contains("InternalServerError")
                || code.contains("InternalFailure")
                || code.contains("ServiceUnavailable")
                || code.contains("InternalError")
            {
                ServiceError::Unavailable(text)
            } else {
                ServiceError::Rejected(text)
            }
        }
        _ => ServiceError::Unavailable(text),
    }
}
