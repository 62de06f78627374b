//! Telling Lambda that init failed.
//!
//! A function that exits during init without a word leaves Lambda to report a bare
//! `Runtime.ExitError`; posting the reason to the Runtime API's
//! `POST /2018-06-01/runtime/init/error` first makes the invoke answer, the console and
//! the logs show `Runtime.InitError` with the message (the Runtime API's documented way;
//! `lambda_runtime` does it only for SnapStart hooks, so the function does it itself).

use std::time::Duration;

use lambda_runtime_api_client::{body::Body, build_request, Client};

/// The error type Lambda shows for a failed init.
pub const INIT_ERROR_TYPE: &str = "Runtime.InitError";

/// The request body the Runtime API documents for `/init/error`.
pub fn init_error_body(message: &str) -> String {
    serde_json::json!({ "errorMessage": message, "errorType": INIT_ERROR_TYPE, "stackTrace": [] }).to_string()
}

/// Posts `message` to `/runtime/init/error` on the Runtime API named by
/// `AWS_LAMBDA_RUNTIME_API`. Waits at most `timeout`; a failure to report is returned
/// for the caller to log, never a reason to hang or panic.
pub async fn report_init_error(message: &str, timeout: Duration) -> Result<(), String> {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
        return Err("AWS_LAMBDA_RUNTIME_API is not set (not running under Lambda)".into());
    }
    let client = Client::builder().build().map_err(|e| e.to_string())?;
    let request = build_request()
        .method(http::Method::POST)
        .uri("/2018-06-01/runtime/init/error")
        .header("Lambda-Runtime-Function-Error-Type", INIT_ERROR_TYPE)
        .header("Content-Type", "application/json")
        .body(Body::from(init_error_body(message)))
        .map_err(|e| e.to_string())?;
    match tokio::time::timeout(timeout, client.call(request)).await {
        Err(_) => Err(format!("the Runtime API did not answer /init/error within {timeout:?}")),
        Ok(Err(e)) => Err(format!("could not report to /init/error: {e}")),
        Ok(Ok(response)) if !response.status().is_success() => {
            Err(format!("the Runtime API answered /init/error with {}", response.status()))
        }
        Ok(Ok(_)) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_carries_the_message_and_type() {
        let body: serde_json::Value = serde_json::from_str(&init_error_body("TABLE_NAME is not \"set\"")).unwrap();
        assert_eq!(body["errorMessage"], "TABLE_NAME is not \"set\"");
        assert_eq!(body["errorType"], "Runtime.InitError");
        assert_eq!(body["stackTrace"], serde_json::json!([]));
    }
}
