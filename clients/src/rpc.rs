//! Workers over tarpc. A tarpc client is one TCP connection; when it breaks (the
//! worker restarted), the next call opens a new one.

use std::{future::Future, sync::Arc, time::Duration};

use protocol::{
    Credentials, LogPayload, MailPayload, User, WorkerError,
    rpc::{AuthenticationClient, LoggerClient, MailerClient},
};
use tarpc::{
    client::{self, RpcError},
    context,
    serde_transport::tcp,
    tokio_serde::formats::Bincode,
};
use tokio::sync::RwLock;

use crate::CallError;

/// Largest frame sent or accepted, in bytes.
const MAX_FRAME_BYTES: usize = 2 * 1024 * 1024;

/// tarpc addresses of the workers (an empty address: not configured).
#[derive(Debug, Clone, Default)]
pub struct RpcEndpoints {
    /// The logger, e.g. `127.0.0.1:5001`.
    pub logger: String,
    /// The authentication service, e.g. `127.0.0.1:5002`.
    pub authentication: String,
    /// The mail service, e.g. `127.0.0.1:5003`.
    pub mail: String,
}

/// Reconnecting tarpc clients of every worker.
#[derive(Clone)]
pub struct RpcWorkers {
    logger: Arc<Reconnecting<LoggerClient>>,
    authentication: Arc<Reconnecting<AuthenticationClient>>,
    mail: Arc<Reconnecting<MailerClient>>,
    endpoints: RpcEndpoints,
    timeout: Duration,
}

impl RpcWorkers {
    /// Clients that connect on first use; every call takes at most `timeout`.
    pub fn new(endpoints: &RpcEndpoints, timeout: Duration) -> Self {
        Self {
            logger: Reconnecting::new(&endpoints.logger),
            authentication: Reconnecting::new(&endpoints.authentication),
            mail: Reconnecting::new(&endpoints.mail),
            endpoints: endpoints.clone(),
            timeout,
        }
    }

    /// The same workers over connections of their own, opened from the thread
    /// that first uses them (see [`crate::grpc::GrpcWorkers::on_this_runtime`]).
    pub fn on_this_runtime(&self) -> Self {
        Self::new(&self.endpoints, self.timeout)
    }

    /// `Logger::log_info`; the logger's result message once stored.
    pub async fn log(&self, entry: &LogPayload) -> Result<String, CallError> {
        let entry = entry.clone();
        self.call(
            "logger",
            &self.logger,
            |t| LoggerClient::new(client::Config::default(), t).spawn(),
            |c, ctx| async move { c.log_info(ctx, entry).await },
        )
        .await
    }

    /// `Logger::ping`: a round trip that touches no database.
    pub async fn ping(&self) -> Result<String, CallError> {
        self.call(
            "logger",
            &self.logger,
            |t| LoggerClient::new(client::Config::default(), t).spawn(),
            |c, ctx| async move { c.ping(ctx).await.map(Ok) },
        )
        .await
    }

    /// `Authentication::authenticate`; the user when the credentials match.
    pub async fn authenticate(&self, credentials: &Credentials) -> Result<User, CallError> {
        let credentials = credentials.clone();
        self.call(
            "authentication",
            &self.authentication,
            |t| AuthenticationClient::new(client::Config::default(), t).spawn(),
            |c, ctx| async move { c.authenticate(ctx, credentials).await },
        )
        .await
    }

    /// `Mailer::send_mail`; the result message once SMTP took the mail.
    pub async fn send_mail(&self, mail: &MailPayload) -> Result<String, CallError> {
        let mail = mail.clone();
        self.call(
            "mail",
            &self.mail,
            |t| MailerClient::new(client::Config::default(), t).spawn(),
            |c, ctx| async move { c.send_mail(ctx, mail).await },
        )
        .await
    }

    /// One call: get (or open) the connection, call under the deadline, classify.
    async fn call<C, Req, Resp, T, Fut>(
        &self,
        worker: &'static str,
        slot: &Reconnecting<C>,
        make: impl FnOnce(Transport<Req, Resp>) -> C,
        call: impl FnOnce(C, context::Context) -> Fut,
    ) -> Result<T, CallError>
    where
        C: Clone,
        Req: serde::Serialize,
        Resp: for<'de> serde::Deserialize<'de>,
        Fut: Future<Output = Result<Result<T, WorkerError>, RpcError>>,
    {
        let attempt = async {
            let client = slot.get(make).await.map_err(|e| {
                tracing::debug!(worker, error = %e, "worker unreachable over tarpc");
                CallError::Unreachable(worker.into())
            })?;
            let mut ctx = context::current();
            ctx.deadline = std::time::Instant::now() + self.timeout;
            match call(client, ctx).await {
                Ok(answer) => answer.map_err(CallError::Worker),
                Err(e) => Err(slot.failed(worker, e).await),
            }
        };
        tokio::time::timeout(self.timeout, attempt)
            .await
            .unwrap_or_else(|_| Err(CallError::Timeout(worker.into())))
    }
}

type Transport<Req, Resp> =
    tarpc::serde_transport::Transport<tokio::net::TcpStream, Resp, Req, Bincode<Resp, Req>>;

/// A tarpc client that is replaced by a fresh connection once its own broke.
struct Reconnecting<C> {
    addr: String,
    client: RwLock<Option<C>>,
}

impl<C: Clone> Reconnecting<C> {
    fn new(addr: &str) -> Arc<Self> {
        Arc::new(Self {
            addr: addr.to_owned(),
            client: RwLock::new(None),
        })
    }

    /// The current client, or a new one on a fresh connection.
    async fn get<Req, Resp>(
        &self,
        make: impl FnOnce(Transport<Req, Resp>) -> C,
    ) -> std::io::Result<C>
    where
        Req: serde::Serialize,
        Resp: for<'de> serde::Deserialize<'de>,
    {
        if let Some(client) = self.client.read().await.as_ref() {
            return Ok(client.clone());
        }
        let mut slot = self.client.write().await;
        if let Some(client) = slot.as_ref() {
            return Ok(client.clone());
        }
        let mut connecting = tcp::connect(&self.addr, Bincode::default);
        connecting.config_mut().max_frame_length(MAX_FRAME_BYTES);
        let transport = connecting.await?;
        // Small calls go out at once instead of waiting for the server's delayed ACK.
        transport.get_ref().set_nodelay(true)?;
        let client = make(transport);
        *slot = Some(client.clone());
        Ok(client)
    }

    /// Classifies a failed call; forgets the client if its connection is gone.
    async fn failed(&self, worker: &str, error: RpcError) -> CallError {
        match error {
            RpcError::DeadlineExceeded => CallError::Timeout(worker.into()),
            RpcError::Server(e) => {
                tracing::warn!(worker, error = %e, "tarpc server aborted the call");
                CallError::Protocol(worker.into())
            }
            RpcError::Shutdown | RpcError::Send(_) | RpcError::Channel(_) => {
                tracing::info!(worker, error = %error, "tarpc connection lost; reconnecting on next call");
                *self.client.write().await = None;
                CallError::Unreachable(worker.into())
            }
        }
    }
}
