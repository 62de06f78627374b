//! The Lambda entry point: read the configuration, build the clients, serve invocations.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use std::time::Duration;

use retail_function::{aws_processor, handler, init_error, Config, KinesisEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AWS_LAMBDA_LOG_LEVEL")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(false)
        .with_target(false)
        .without_time()
        .init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => return Err(init_failed(e).await),
    };
    let function_name = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "retail-function".into());
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let processor = match aws_processor(&sdk, &config, &function_name) {
        Ok(processor) => processor,
        Err(e) => return Err(init_failed(e).await),
    };
    let processor = &processor;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<KinesisEvent>| async move {
        Ok::<_, Error>(handler::handle(processor, config.retry_budget, event).await)
    }))
    .await
}

/// Logs `e`, tells Lambda's runtime API that the sandbox could not start, and returns `e`.
async fn init_failed(e: impl std::error::Error + Send + Sync + 'static) -> Error {
    tracing::error!("{e}");
    if let Err(why) = init_error::report_init_error(&e.to_string(), Duration::from_secs(2)).await {
        tracing::error!("{why}");
    }
    e.into()
}
