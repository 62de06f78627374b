//! The AWS adapters: [`DynamoDbStore`] and [`SqsDeadLetters`], each writing its call's
//! JSON body from the project's types and sending it through `json_rpc::JsonRpcClient` (SigV4,
//! a pooled HTTPS client, timeouts), which also sorts the services' errors into the
//! project's [`ServiceError`](crate::ServiceError).

mod dynamodb;
mod json_rpc;
mod sqs;

pub use dynamodb::DynamoDbStore;
pub use json_rpc::ClientError;
pub use sqs::SqsDeadLetters;
