//! Workers over HTTP: JSON bodies to the original paths.

use std::time::Duration;

use protocol::{
    Answer, Call, JsonResponse, PerWorker, ServerTiming, User, WorkerError, timing::SERVER_TIMING,
};
use serde::Serialize;

use crate::{CallError, WorkerClient};

/// One pooled HTTP client for every worker.
#[derive(Clone)]
pub struct HttpWorkers {
    client: reqwest::Client,
    /// Base URLs (`http://127.0.0.1:8082`); an empty one: not configured.
    endpoints: PerWorker<String>,
}

impl HttpWorkers {
    /// A client of the workers at these base URLs whose calls each take at most
    /// `timeout` (a caller that needs one worker may leave the others empty).
    pub fn new(endpoints: PerWorker<String>, timeout: Duration) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .pool_max_idle_per_host(64)
            // Idle keep-alive connections (and their buffers) go after a burst.
            .pool_idle_timeout(Duration::from_secs(5))
            .tcp_nodelay(true)
            .build()?;
        let endpoints = endpoints.map(|url| url.trim_end_matches('/').to_owned());
        Ok(Self { client, endpoints })
    }
}

impl WorkerClient for HttpWorkers {
    /// `POST /log`, `POST /authenticate`, `POST /send`, or the logger's `GET /ping`
    /// (a ping with data: `POST /ping`, which echoes it).
    async fn call(&self, call: &Call) -> Result<Answer, CallError> {
        let worker = call.worker().name();
        let base = self.endpoints.get(call.worker());
        if base.is_empty() {
            return Err(CallError::Unreachable(worker.into()));
        }
        match call {
            Call::Log { log } => self.post(worker, &format!("{base}/log"), log).await,
            Call::Auth { auth } => {
                self.post(worker, &format!("{base}/authenticate"), auth)
                    .await
            }
            Call::Mail { mail } => self.post(worker, &format!("{base}/send"), mail).await,
            Call::Ping { ping: None } => self.ping(worker, &format!("{base}/ping")).await,
            Call::Ping { ping: Some(ping) } => {
                self.post(worker, &format!("{base}/ping"), ping).await
            }
        }
    }
}

impl HttpWorkers {
    async fn ping(&self, worker: &str, url: &str) -> Result<Answer, CallError> {
        let response = self
            .client
            .get(url)
            .headers(trace_context())
            .send()
            .await
            .map_err(|e| classify(worker, &e))?;
        if response.status().is_success() {
            response.bytes().await.map_err(|e| classify(worker, &e))?;
            Ok(Answer::message(protocol::PONG))
        } else {
            Err(CallError::Protocol(worker.into()))
        }
    }

    async fn post<B: Serialize>(
        &self,
        worker: &str,
        url: &str,
        body: &B,
    ) -> Result<Answer, CallError> {
        let response = self
            .client
            .post(url)
            .headers(trace_context())
            .json(body)
            .send()
            .await
            .map_err(|e| classify(worker, &e))?;
        let status = response.status();
        let timing = response
            .headers()
            .get(SERVER_TIMING)
            .and_then(|v| v.to_str().ok())
            .and_then(ServerTiming::parse_header);
        let retry_after = response
            .headers()
            .contains_key(reqwest::header::RETRY_AFTER);
        let bytes = response.bytes().await.map_err(|e| classify(worker, &e))?;
        let answer: JsonResponse<User> = serde_json::from_slice(&bytes).map_err(|e| {
            tracing::warn!(worker, %status, error = %e, "worker answered with a non-contract body");
            CallError::Protocol(worker.to_owned())
        })?;
        if status.is_success() && !answer.error {
            Ok(Answer {
                message: answer.message,
                data: answer.data,
                timing,
                token: answer.token,
                echo: answer.echo,
            })
        } else {
            Err(WorkerError::from_http(status.as_u16(), answer.message, retry_after).into())
        }
    }
}

/// The headers carrying the current trace to the worker.
fn trace_context() -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    runtime::trace::inject_http(&mut headers);
    headers
}

fn classify(worker: &str, e: &reqwest::Error) -> CallError {
    if e.is_timeout() {
        CallError::Timeout(worker.to_owned())
    } else if e.is_connect() || e.is_request() {
        tracing::debug!(worker, error = %e, "worker unreachable over HTTP");
        CallError::Unreachable(worker.to_owned())
    } else {
        runtime::throttled!(warn, "HTTP call failed", worker, error = %e);
        CallError::Protocol(worker.to_owned())
    }
}
