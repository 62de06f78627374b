//! The AWS adapters: [`DynamoDbStore`] and [`SqsDeadLetters`], each writing its call's
//! JSON body from the project's types and sending it through [`JsonRpcClient`] (SigV4,
//! a pooled HTTPS client, timeouts), which also sorts the services' errors into the
//! project's [`ServiceError`](crate::ServiceError).

mod dynamodb;
mod json_rpc;
mod sqs;

pub use dynamodb::{unprocessed_keys, write_batch_write_item, write_item, DynamoDbStore};
pub use json_rpc::{Answer, ClientError, JsonRpcClient, Service, CALL_TIMEOUT, CONNECT_TIMEOUT};
pub use sqs::SqsDeadLetters;
