//! Read-backs from a deployed pipeline: [`verify`] looks the run's sampled events up in
//! the table and counts the dead-letter queue; [`metrics`] reads what CloudWatch measured
//! over the run; [`results`] keeps results in S3; [`stack`] finds the pipeline's resources from its CloudFormation stack;
//! [`consume`] plays the event source mapping over any Kinesis endpoint with the real
//! function processor.

pub mod consume;
pub mod metrics;
pub mod results;
pub mod stack;
pub mod verify;

use std::sync::atomic::{AtomicBool, Ordering};

use aws_sdk_kinesis::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// Whether error sentences carry the SDK's own detail (`loadgen -v`).
static ERROR_DETAIL: AtomicBool = AtomicBool::new(false);

/// Makes [`sdk_error_sentence`] append the SDK's whole error chain (`-v`, for a bug report).
pub fn show_error_detail(on: bool) {
    ERROR_DETAIL.store(on, Ordering::Relaxed);
}

/// An SDK error as a sentence a user can act on: what went wrong in words, then the
/// service's own code and message when it answered; the SDK's own chain only after
/// [`show_error_detail`] (`-v`).
pub fn sdk_error_sentence<E, R>(e: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let sentence = plain_sentence(e);
    if ERROR_DETAIL.load(Ordering::Relaxed) {
        format!("{sentence} [detail: {}]", DisplayErrorContext(e))
    } else {
        sentence
    }
}

fn plain_sentence<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> String {
    match e {
        SdkError::DispatchFailure(d) if d.is_timeout() => "no connection within the connect timeout".into(),
        SdkError::DispatchFailure(d) if d.is_io() => {
            "the endpoint could not be reached (connection refused, reset or not resolvable)".into()
        }
        SdkError::DispatchFailure(_) => "the request could not be sent".into(),
        SdkError::TimeoutError(_) => "no answer within the request timeout".into(),
        SdkError::ConstructionFailure(_) => "the request could not be built (check the region and credentials)".into(),
        SdkError::ResponseError(_) => "the answer could not be read (is the endpoint the right service?)".into(),
        SdkError::ServiceError(ctx) => {
            let err = ctx.err();
            match (err.code(), err.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_string(),
                (None, Some(message)) => message.to_string(),
                (None, None) => "the service refused the request without saying why".into(),
            }
        }
        _ => "the request failed".into(),
    }
}
