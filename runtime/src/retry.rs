//! Waiting for a dependency with exponential backoff.
//!
//! Services start in any order: instead of exiting when RabbitMQ or MongoDB is not
//! up yet, they retry with backoff (100 ms doubling up to 5 s, with jitter) until
//! the dependency answers or the service is asked to stop.

use std::{future::Future, time::Duration};

use backon::{ExponentialBuilder, Retryable};
use tokio_util::sync::CancellationToken;

/// The backoff used for (re)connecting to dependencies.
pub fn backoff() -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_secs(5))
        .with_jitter()
        .without_max_times()
}

/// Runs `attempt` until it succeeds, logging each failure; `None` if `stop` was
/// cancelled first.
pub async fn until_ok<T, E, F, Fut>(what: &str, stop: &CancellationToken, attempt: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let retrying = attempt.retry(backoff()).notify(|error: &E, wait: Duration| {
        tracing::warn!(dependency = what, %error, retry_in = ?wait, "dependency not reachable yet");
    });
    tokio::select! {
        result = retrying => result.ok(),
        _ = stop.cancelled() => None,
    }
}
