//! Workers over gRPC (tonic). Channels connect lazily and reconnect by
//! themselves, so a worker that restarts is reachable again without a restart here.

use std::{error::Error as _, time::Duration};

use protocol::timing::SERVER_TIMING;
use protocol::{
    Answer, Call, PerWorker, ServerTiming, WorkerError,
    grpc::{
        auth::{AuthRequest, auth_service_client::AuthServiceClient},
        logs::{LogRequest, log_service_client::LogServiceClient},
        mail::{MailRequest, mail_service_client::MailServiceClient},
        ping::{PingRequest, ping_service_client::PingServiceClient},
    },
};
use tonic::transport::{Channel, Endpoint};

use crate::{CallError, WorkerClient};

/// One HTTP/2 channel per worker, shared by every call.
#[derive(Clone)]
pub struct GrpcWorkers {
    endpoints: PerWorker<Option<Endpoint>>,
    channels: PerWorker<Option<Channel>>,
    timeout: Duration,
}

impl GrpcWorkers {
    /// Lazily connected channels to these URLs (`http://127.0.0.1:50001`; an
    /// empty one: not configured) whose calls each take at most `timeout`.
    pub fn new(
        urls: &PerWorker<String>,
        timeout: Duration,
    ) -> Result<Self, tonic::transport::Error> {
        let endpoint = |url: &String| -> Result<Option<Endpoint>, tonic::transport::Error> {
            if url.is_empty() {
                return Ok(None);
            }
            Ok(Some(
                Endpoint::from_shared(url.clone())?
                    .connect_timeout(timeout)
                    .tcp_nodelay(true)
                    .http2_keep_alive_interval(Duration::from_secs(30))
                    .keep_alive_while_idle(true),
            ))
        };
        let endpoints = PerWorker {
            logger: endpoint(&urls.logger)?,
            authentication: endpoint(&urls.authentication)?,
            mail: endpoint(&urls.mail)?,
        };
        Ok(Self::connect_lazy(endpoints, timeout))
    }

    /// The same workers over channels of their own, made on the calling thread.
    ///
    /// A channel's connection task runs on the runtime that made the channel, and
    /// every call is handed to it. An actix-web worker runs a runtime of its own
    /// on one thread: with channels made there, a call stays on that thread
    /// instead of waking another one and waiting to be woken back (about 100 µs
    /// per call at low load).
    pub fn on_this_runtime(&self) -> Self {
        Self::connect_lazy(self.endpoints.clone(), self.timeout)
    }

    fn connect_lazy(endpoints: PerWorker<Option<Endpoint>>, timeout: Duration) -> Self {
        Self {
            channels: endpoints.map(|e| e.as_ref().map(Endpoint::connect_lazy)),
            endpoints,
            timeout,
        }
    }
}

impl WorkerClient for GrpcWorkers {
    /// `logs.LogService/WriteLog`, `auth.AuthService/Authenticate`,
    /// `mail.MailService/SendMail`, or `ping.PingService/Ping` (the logger's).
    async fn call(&self, call: &Call) -> Result<Answer, CallError> {
        let worker = call.worker().name();
        let channel = self
            .channels
            .get(call.worker())
            .clone()
            .ok_or_else(|| CallError::Unreachable(worker.to_owned()))?;
        let answer = async {
            Ok(match call {
                Call::Log { log } => {
                    let mut client = LogServiceClient::new(channel);
                    let response = client.write_log(traced(LogRequest::from(log))).await?;
                    answered(response, |r| Answer::message(r.result))
                }
                Call::Auth { auth } => {
                    let mut client = AuthServiceClient::new(channel);
                    let response = client.authenticate(traced(AuthRequest::from(auth))).await?;
                    answered(response, Answer::from)
                }
                Call::Mail { mail } => {
                    let mut client = MailServiceClient::new(channel);
                    let response = client.send_mail(traced(MailRequest::from(mail))).await?;
                    answered(response, |r| Answer::message(r.result))
                }
                Call::Ping { ping } => {
                    let mut client = PingServiceClient::new(channel);
                    let response = client
                        .ping(traced(PingRequest::from(ping.as_ref())))
                        .await?;
                    answered(response, Answer::from)
                }
            })
        };
        match tokio::time::timeout(self.timeout, answer).await {
            Err(_) => Err(CallError::Timeout(worker.into())),
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(status)) => Err(classify(worker, &status)),
        }
    }
}

/// A request whose metadata carries the current trace.
fn traced<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    runtime::trace::inject_http(request.metadata_mut().as_mut());
    request
}

/// The worker's answer from a response, with the timing of its
/// `server-timing` metadata.
fn answered<T>(response: tonic::Response<T>, answer: impl FnOnce(T) -> Answer) -> Answer {
    let timing = response
        .metadata()
        .get(SERVER_TIMING)
        .and_then(|v| v.to_str().ok())
        .and_then(ServerTiming::parse_header);
    Answer {
        timing,
        ..answer(response.into_inner())
    }
}

/// A status made by our own transport (it has a source error: connection refused,
/// reset) means the worker was not reached; any other status is the worker's answer.
fn classify(worker: &str, status: &tonic::Status) -> CallError {
    if status.source().is_some() {
        tracing::debug!(worker, %status, "worker unreachable over gRPC");
        CallError::Unreachable(worker.to_owned())
    } else {
        CallError::Worker(WorkerError::from_status(status))
    }
}
