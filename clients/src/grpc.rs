//! Workers over gRPC (tonic): the generic `flexi.Worker/Call`, one HTTP/2
//! channel per worker.
//!
//! Channels connect lazily and reconnect by themselves: when a worker closes
//! the connection (a restart: HTTP/2 `GOAWAY`, then EOF), the channel's next
//! call opens a new one. An idle channel is kept open by HTTP/2 keep-alive
//! pings every `idle`, below the workers' `IDLE_TIMEOUT_SECS` (a ping is
//! traffic), so a worker never closes it as idle. A call that failed to
//! connect was not sent; one the connection dropped before it was written
//! (hyper's *canceled*) was not sent either ([`CallError::NotSent`]); any
//! other transport failure may have reached the worker.

use std::{error::Error as _, time::Duration};

use protocol::{
    Answer, PerWorker, WorkerError,
    grpc::flexi::{CallRequest, worker_client::WorkerClient},
};
use tonic::transport::{Channel, Endpoint};

use crate::{CallError, Request, Sender};

/// One HTTP/2 channel per worker, shared by every call.
#[derive(Clone)]
pub struct GrpcClient {
    endpoints: PerWorker<Option<Endpoint>>,
    channels: PerWorker<Option<Channel>>,
}

impl GrpcClient {
    /// Lazily connected channels to these URLs (`http://127.0.0.1:50001`; an
    /// empty one: not configured), pinged every `idle` while idle; connecting
    /// takes at most `connect`.
    pub fn new(
        urls: &PerWorker<String>,
        idle: Duration,
        connect: Duration,
    ) -> Result<Self, tonic::transport::Error> {
        let endpoint = |url: &String| -> Result<Option<Endpoint>, tonic::transport::Error> {
            if url.is_empty() {
                return Ok(None);
            }
            Ok(Some(
                Endpoint::from_shared(url.clone())?
                    .connect_timeout(connect)
                    .tcp_nodelay(true)
                    .http2_keep_alive_interval(idle)
                    .keep_alive_while_idle(true),
            ))
        };
        let endpoints = PerWorker {
            logger: endpoint(&urls.logger)?,
            authentication: endpoint(&urls.authentication)?,
            mail: endpoint(&urls.mail)?,
        };
        Ok(Self::connect_lazy(endpoints))
    }

    /// The same workers over channels of their own, made on the calling thread.
    ///
    /// A channel's connection task runs on the runtime that made the channel, and
    /// every call is handed to it. An actix-web worker runs a runtime of its own
    /// on one thread: with channels made there, a call stays on that thread
    /// instead of waking another one and waiting to be woken back (about 100 µs
    /// per call at low load).
    pub fn on_this_runtime(&self) -> Self {
        Self::connect_lazy(self.endpoints.clone())
    }

    fn connect_lazy(endpoints: PerWorker<Option<Endpoint>>) -> Self {
        Self {
            channels: endpoints.map(|e| e.as_ref().map(Endpoint::connect_lazy)),
            endpoints,
        }
    }
}

impl Sender for GrpcClient {
    async fn send(self, request: Request) -> Result<Answer, CallError> {
        let worker = request.worker();
        let channel = self
            .channels
            .get(request.call.worker())
            .clone()
            .ok_or_else(|| CallError::Unreachable(worker.to_owned()))?;
        let mut message = tonic::Request::new(CallRequest::from(&*request.call));
        runtime::trace::inject_http(message.metadata_mut().as_mut());
        let answer = WorkerClient::new(channel)
            .call(message)
            .await
            .map_err(|status| classify(worker, &status))?
            .into_inner();
        Answer::try_from(answer).map_err(|error| {
            tracing::warn!(worker, %error, "invalid gRPC answer");
            CallError::Protocol(worker.to_owned())
        })
    }
}

/// A status made by our own transport (it has a source error) means the worker
/// was not reached, or not known to be; any other status is the worker's answer.
fn classify(worker: &str, status: &tonic::Status) -> CallError {
    let Some(source) = status.source() else {
        return CallError::Worker(WorkerError::from_status(status));
    };
    let chain = std::iter::successors(Some(source), |e| (*e).source());
    let canceled = chain
        .filter_map(|e| e.downcast_ref::<hyper::Error>())
        .any(hyper::Error::is_canceled);
    tracing::debug!(worker, %status, canceled, "worker unreachable over gRPC");
    if canceled {
        CallError::NotSent(worker.to_owned())
    } else {
        CallError::Unreachable(worker.to_owned())
    }
}
