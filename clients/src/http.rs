//! Workers over HTTP: each call's JSON posted to the worker's `POST /call`,
//! its [`Reply`] JSON read back; several calls at once as an array
//! ([`HttpClient::call_batch`]).
//!
//! One pooled client for every worker. A pooled connection is closed after
//! `idle` without a call, below the workers' `IDLE_TIMEOUT_SECS`, so a worker
//! never closes a connection the client is about to use; one the worker closed
//! anyway (a restart) is found closed by the pool before it is used, and a
//! request on a reused connection that closed before the request was written
//! is sent again by hyper itself.

use std::{sync::Arc, time::Duration};

use protocol::{Answer, JsonResponse, PerWorker, Reply, Worker, WorkerError, batch::Batched};
use tokio::time::Instant;

use crate::{CallError, Request, Sender};

/// One pooled HTTP client for every worker.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    /// Each worker's `…/call` URL; an empty one: not configured.
    urls: Arc<PerWorker<String>>,
}

impl HttpClient {
    /// A client of the workers at these base URLs (`http://127.0.0.1:8082`; a
    /// caller that needs one worker may leave the others empty), whose idle
    /// connections close after `idle`; connecting takes at most `connect`.
    pub fn new(
        bases: PerWorker<String>,
        idle: Duration,
        connect: Duration,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(connect)
            .pool_max_idle_per_host(64)
            // The pool's reaper runs every `pool_idle_timeout` and takes the
            // connections idle longer than that: half of `idle`, so none stays
            // idle for longer than `idle`.
            .pool_idle_timeout(idle / 2)
            .tcp_nodelay(true)
            .build()?;
        let urls = bases.map(|base| match base.trim_end_matches('/') {
            "" => String::new(),
            base => format!("{base}/call"),
        });
        Ok(Self {
            client,
            urls: Arc::new(urls),
        })
    }
}

impl HttpClient {
    /// Posts `body` (JSON) to `url` of `worker` with the current trace
    /// context, and reads the answer as `T` (what the worker's route answers),
    /// or as the contract's error body, whose status says why it was refused.
    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        worker: &str,
        url: &str,
        body: Vec<u8>,
    ) -> Result<T, CallError> {
        if url.is_empty() {
            return Err(CallError::Unreachable(worker.into()));
        }
        let mut headers = reqwest::header::HeaderMap::new();
        runtime::trace::inject_http(&mut headers);
        let response = self
            .client
            .post(url)
            .headers(headers)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| classify(worker, &e))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .contains_key(reqwest::header::RETRY_AFTER);
        let bytes = response.bytes().await.map_err(|e| classify(worker, &e))?;
        if let Ok(answer) = serde_json::from_slice::<T>(&bytes) {
            return Ok(answer);
        }
        // Refused before the worker had it (too large, too slow, busy): the
        // contract's error body, whose status says why.
        match serde_json::from_slice::<JsonResponse<serde::de::IgnoredAny>>(&bytes) {
            Ok(refused) if refused.error => {
                Err(WorkerError::from_http(status.as_u16(), refused.message, retry_after).into())
            }
            _ => {
                tracing::warn!(worker, %status, "worker answered with a non-contract body");
                Err(CallError::Protocol(worker.to_owned()))
            }
        }
    }

    /// Sends `calls` (all to `worker`) in one request, an array to its `POST /call`,
    /// each in the trace its `traceparent` names, and returns each call's
    /// reply in order, or the error of the whole request; by `deadline`.
    pub async fn call_batch(
        &self,
        worker: Worker,
        calls: &[Batched<'_>],
        deadline: Instant,
    ) -> Result<Vec<Reply>, CallError> {
        let name = worker.name();
        let body = serde_json::to_vec(calls).map_err(|_| CallError::Protocol(name.into()))?;
        let url = self.urls.get(worker);
        let posted = tokio::time::timeout_at(deadline, self.post::<Vec<Reply>>(name, url, body));
        let replies = posted
            .await
            .map_err(|_| CallError::Timeout(name.into()))??;
        if replies.len() != calls.len() {
            tracing::warn!(worker = name, "a batch's replies do not match its calls");
            return Err(CallError::Protocol(name.into()));
        }
        Ok(replies)
    }
}

impl Sender for HttpClient {
    async fn send(self, request: Request) -> Result<Answer, CallError> {
        let worker = request.worker();
        let url = self.urls.get(request.call.worker());
        let body =
            serde_json::to_vec(&*request.call).map_err(|_| CallError::Protocol(worker.into()))?;
        let reply: Reply = self.post(worker, url, body).await?;
        reply.map_err(CallError::Worker)
    }
}

fn classify(worker: &str, e: &reqwest::Error) -> CallError {
    if e.is_connect() || e.is_request() {
        tracing::debug!(worker, error = %e, "worker unreachable over HTTP");
        CallError::Unreachable(worker.to_owned())
    } else {
        runtime::throttled!(warn, "HTTP call failed", worker, error = %e);
        CallError::Protocol(worker.to_owned())
    }
}
