//! Workers over gRPC (tonic). Channels connect lazily and reconnect by
//! themselves, so a worker that restarts is reachable again without a restart here.

use std::{error::Error as _, time::Duration};

use protocol::{
    Credentials, LogPayload, MailPayload, User, WorkerError,
    grpc::{
        auth::{AuthRequest, auth_service_client::AuthServiceClient},
        logs::{Log, LogRequest, log_service_client::LogServiceClient},
        mail::{MailRequest, mail_service_client::MailServiceClient},
        ping::{PingRequest, ping_service_client::PingServiceClient},
    },
};
use tonic::transport::{Channel, Endpoint};

use crate::CallError;

/// gRPC URLs of the workers; an empty URL means that worker is not configured
/// (its calls fail as unreachable).
#[derive(Debug, Clone, Default)]
pub struct GrpcEndpoints {
    /// The logger, e.g. `http://127.0.0.1:50001`.
    pub logger: String,
    /// The authentication service, e.g. `http://127.0.0.1:50002`.
    pub authentication: String,
    /// The mail service, e.g. `http://127.0.0.1:50003`.
    pub mail: String,
}

/// One HTTP/2 channel per worker, shared by every call.
#[derive(Clone)]
pub struct GrpcWorkers {
    logger: Option<LogServiceClient<Channel>>,
    ping: Option<PingServiceClient<Channel>>,
    authentication: Option<AuthServiceClient<Channel>>,
    mail: Option<MailServiceClient<Channel>>,
    endpoints: [Option<Endpoint>; 3],
    timeout: Duration,
}

impl GrpcWorkers {
    /// Lazily connected channels whose calls each take at most `timeout`.
    pub fn new(
        endpoints: &GrpcEndpoints,
        timeout: Duration,
    ) -> Result<Self, tonic::transport::Error> {
        let endpoint = |url: &str| -> Result<Option<Endpoint>, tonic::transport::Error> {
            if url.is_empty() {
                return Ok(None);
            }
            Ok(Some(
                Endpoint::from_shared(url.to_owned())?
                    .connect_timeout(timeout)
                    .tcp_nodelay(true)
                    .http2_keep_alive_interval(Duration::from_secs(30))
                    .keep_alive_while_idle(true),
            ))
        };
        let endpoints = [
            endpoint(&endpoints.logger)?,
            endpoint(&endpoints.authentication)?,
            endpoint(&endpoints.mail)?,
        ];
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

    fn connect_lazy(endpoints: [Option<Endpoint>; 3], timeout: Duration) -> Self {
        let channel = |i: usize| endpoints[i].as_ref().map(Endpoint::connect_lazy);
        let logger = channel(0);
        Self {
            // One HTTP/2 connection to the logger carries both of its services.
            ping: logger.clone().map(PingServiceClient::new),
            logger: logger.map(LogServiceClient::new),
            authentication: channel(1).map(AuthServiceClient::new),
            mail: channel(2).map(MailServiceClient::new),
            endpoints,
            timeout,
        }
    }

    /// `logs.LogService/WriteLog`; the logger's result message once stored.
    pub async fn log(&self, entry: &LogPayload) -> Result<String, CallError> {
        let request = LogRequest {
            log_entry: Some(Log {
                name: entry.name.clone(),
                data: entry.data.clone(),
            }),
        };
        let mut client = configured("logger", &self.logger)?;
        let response = self.deadline("logger", client.write_log(request)).await?;
        Ok(response.result)
    }

    /// `ping.PingService/Ping` on the logger: a round trip that touches no database.
    pub async fn ping(&self) -> Result<String, CallError> {
        let mut client = configured("logger", &self.ping)?;
        let response = self.deadline("logger", client.ping(PingRequest {})).await?;
        Ok(response.result)
    }

    /// `auth.AuthService/Authenticate`; the user when the credentials match.
    pub async fn authenticate(&self, credentials: &Credentials) -> Result<User, CallError> {
        let request = AuthRequest {
            email: credentials.email.clone(),
            password: credentials.password.clone(),
        };
        let mut client = configured("authentication", &self.authentication)?;
        let response = self
            .deadline("authentication", client.authenticate(request))
            .await?;
        response
            .user
            .map(User::from)
            .ok_or_else(|| CallError::Protocol("authentication".into()))
    }

    /// `mail.MailService/SendMail`; the result message once SMTP took the mail.
    pub async fn send_mail(&self, mail: &MailPayload) -> Result<String, CallError> {
        let request = MailRequest {
            from: mail.from.clone(),
            to: mail.to.clone(),
            subject: mail.subject.clone(),
            message: mail.message.clone(),
        };
        let mut client = configured("mail", &self.mail)?;
        let response = self.deadline("mail", client.send_mail(request)).await?;
        Ok(response.result)
    }

    async fn deadline<T>(
        &self,
        worker: &str,
        call: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    ) -> Result<T, CallError> {
        match tokio::time::timeout(self.timeout, call).await {
            Err(_) => Err(CallError::Timeout(worker.into())),
            Ok(Ok(response)) => Ok(response.into_inner()),
            Ok(Err(status)) => Err(classify(worker, &status)),
        }
    }
}

fn configured<C: Clone>(worker: &str, client: &Option<C>) -> Result<C, CallError> {
    client
        .clone()
        .ok_or_else(|| CallError::Unreachable(worker.to_owned()))
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
