//! Workers over HTTP: each call's JSON posted to the worker's `POST /call`,
//! its [`Reply`] JSON read back.
//!
//! One pooled client for every worker. A pooled connection is closed after
//! `idle` without a call, below the workers' `IDLE_TIMEOUT_SECS`, so a worker
//! never closes a connection the client is about to use; one the worker closed
//! anyway (a restart) is found closed by the pool before it is used, and a
//! request on a reused connection that closed before the request was written
//! is sent again by hyper itself.

use std::{sync::Arc, time::Duration};

use protocol::{Answer, JsonResponse, PerWorker, Reply, WorkerError};

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

impl Sender for HttpClient {
    async fn send(self, request: Request) -> Result<Answer, CallError> {
        let worker = request.worker();
        let url = self.urls.get(request.call.worker());
        if url.is_empty() {
            return Err(CallError::Unreachable(worker.into()));
        }
        let body =
            serde_json::to_vec(&*request.call).map_err(|_| CallError::Protocol(worker.into()))?;
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
        if let Ok(reply) = serde_json::from_slice::<Reply>(&bytes) {
            return reply.map_err(CallError::Worker);
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
