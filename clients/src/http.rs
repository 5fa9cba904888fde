//! Workers over HTTP: JSON bodies to the original paths.

use std::time::Duration;

use protocol::{Credentials, JsonResponse, LogPayload, MailPayload, User, WorkerError};
use serde::{Serialize, de::DeserializeOwned};

use crate::CallError;

/// Base URLs of the workers' HTTP APIs (a caller that needs one worker may
/// leave the others empty).
#[derive(Debug, Clone, Default)]
pub struct HttpEndpoints {
    /// The logger, e.g. `http://127.0.0.1:8082`.
    pub logger: String,
    /// The authentication service, e.g. `http://127.0.0.1:8083`.
    pub authentication: String,
    /// The mail service, e.g. `http://127.0.0.1:8084`.
    pub mail: String,
}

/// One pooled HTTP client for every worker.
#[derive(Clone)]
pub struct HttpWorkers {
    client: reqwest::Client,
    endpoints: HttpEndpoints,
}

impl HttpWorkers {
    /// A client whose calls each take at most `timeout`.
    pub fn new(endpoints: HttpEndpoints, timeout: Duration) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .pool_max_idle_per_host(64)
            // Idle keep-alive connections (and their buffers) go after a burst.
            .pool_idle_timeout(Duration::from_secs(5))
            .tcp_nodelay(true)
            .build()?;
        Ok(Self { client, endpoints })
    }

    /// `POST {logger}/log`; the logger's result message once the entry is stored.
    pub async fn log(&self, entry: &LogPayload) -> Result<String, CallError> {
        let url = format!("{}/log", self.endpoints.logger);
        let answer: JsonResponse<serde_json::Value> = self.post("logger", &url, entry).await?;
        Ok(answer.message)
    }

    /// `POST {authentication}/authenticate`; the user when the credentials match.
    pub async fn authenticate(&self, credentials: &Credentials) -> Result<User, CallError> {
        let url = format!("{}/authenticate", self.endpoints.authentication);
        let answer: JsonResponse<User> = self.post("authentication", &url, credentials).await?;
        answer
            .data
            .ok_or_else(|| CallError::Protocol("authentication".into()))
    }

    /// `POST {mail}/send`; the mail service's result message once SMTP took it.
    pub async fn send_mail(&self, mail: &MailPayload) -> Result<String, CallError> {
        let url = format!("{}/send", self.endpoints.mail);
        let answer: JsonResponse<serde_json::Value> = self.post("mail", &url, mail).await?;
        Ok(answer.message)
    }

    /// `GET {logger}/ping`: a round trip that touches no database.
    pub async fn ping(&self) -> Result<String, CallError> {
        let worker = "logger";
        let response = self
            .client
            .get(format!("{}/ping", self.endpoints.logger))
            .send()
            .await
            .map_err(|e| classify(worker, &e))?;
        if response.status().is_success() {
            response.bytes().await.map_err(|e| classify(worker, &e))?;
            Ok(protocol::PONG.to_owned())
        } else {
            Err(CallError::Protocol(worker.into()))
        }
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        worker: &str,
        url: &str,
        body: &B,
    ) -> Result<JsonResponse<T>, CallError> {
        let response = self
            .client
            .post(url)
            .json(body)
            .send()
            .await
            .map_err(|e| classify(worker, &e))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| classify(worker, &e))?;
        let answer: JsonResponse<T> = serde_json::from_slice(&bytes).map_err(|e| {
            tracing::warn!(worker, %status, error = %e, "worker answered with a non-contract body");
            CallError::Protocol(worker.to_owned())
        })?;
        if status.is_success() && !answer.error {
            Ok(answer)
        } else {
            Err(WorkerError::from_http(status.as_u16(), answer.message).into())
        }
    }
}

fn classify(worker: &str, e: &reqwest::Error) -> CallError {
    if e.is_timeout() {
        CallError::Timeout(worker.to_owned())
    } else if e.is_connect() || e.is_request() {
        tracing::debug!(worker, error = %e, "worker unreachable over HTTP");
        CallError::Unreachable(worker.to_owned())
    } else {
        tracing::warn!(worker, error = %e, "HTTP call failed");
        CallError::Protocol(worker.to_owned())
    }
}
