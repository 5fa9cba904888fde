//! Workers over tarpc. A tarpc client is one TCP connection; when it breaks (the
//! worker restarted), the next call opens a new one.

use std::{future::Future, time::Duration};

use protocol::{
    Answer, Call, PerWorker, WorkerError,
    rpc::{AuthenticationClient, LoggerClient, MailerClient},
};
use tarpc::{
    client::{self, RpcError},
    context,
    serde_transport::tcp,
    tokio_serde::formats::Bincode,
};
use tokio::sync::RwLock;

use crate::{CallError, WorkerClient};

/// Largest frame sent or accepted, in bytes (the workers' `MAX_BODY_BYTES` default).
const MAX_FRAME_BYTES: usize = 1024 * 1024;

/// Reconnecting tarpc clients of every worker.
pub struct RpcWorkers {
    logger: Reconnecting<LoggerClient>,
    authentication: Reconnecting<AuthenticationClient>,
    mail: Reconnecting<MailerClient>,
    addrs: PerWorker<String>,
    timeout: Duration,
}

impl RpcWorkers {
    /// Clients of the workers at these addresses (`127.0.0.1:5001`; an empty
    /// one: not configured) that connect on first use; every call takes at most
    /// `timeout`.
    pub fn new(addrs: &PerWorker<String>, timeout: Duration) -> Self {
        Self {
            logger: Reconnecting::new(&addrs.logger, |t| {
                LoggerClient::new(client::Config::default(), t).spawn()
            }),
            authentication: Reconnecting::new(&addrs.authentication, |t| {
                AuthenticationClient::new(client::Config::default(), t).spawn()
            }),
            mail: Reconnecting::new(&addrs.mail, |t| {
                MailerClient::new(client::Config::default(), t).spawn()
            }),
            addrs: addrs.clone(),
            timeout,
        }
    }

    /// The same workers over connections of their own, opened from the thread
    /// that first uses them (see [`crate::grpc::GrpcWorkers::on_this_runtime`]).
    pub fn on_this_runtime(&self) -> Self {
        Self::new(&self.addrs, self.timeout)
    }
}

impl WorkerClient for RpcWorkers {
    /// `Logger::log_info`, `Logger::ping`, `Authentication::authenticate` or
    /// `Mailer::send_mail`.
    async fn call(&self, call: &Call) -> Result<Answer, CallError> {
        match call.clone() {
            Call::Log { log } => {
                let call = |c: LoggerClient, ctx| async move { c.log_info(ctx, log).await };
                self.call_on("logger", &self.logger, call).await
            }
            Call::Ping { ping } => {
                let call = |c: LoggerClient, ctx| async move { c.ping(ctx, ping).await };
                self.call_on("logger", &self.logger, call).await
            }
            Call::Auth { auth } => {
                let call =
                    |c: AuthenticationClient, ctx| async move { c.authenticate(ctx, auth).await };
                self.call_on("authentication", &self.authentication, call)
                    .await
            }
            Call::Mail { mail } => {
                let call = |c: MailerClient, ctx| async move { c.send_mail(ctx, mail).await };
                self.call_on("mail", &self.mail, call).await
            }
        }
    }
}

impl RpcWorkers {
    /// One call: get (or open) the connection, call under the deadline, classify.
    async fn call_on<C: Client + Clone, Fut>(
        &self,
        worker: &'static str,
        slot: &Reconnecting<C>,
        call: impl FnOnce(C, context::Context) -> Fut,
    ) -> Result<Answer, CallError>
    where
        Fut: Future<Output = Result<Result<Answer, WorkerError>, RpcError>>,
    {
        let attempt = async {
            let client = slot.get().await.map_err(|e| {
                tracing::debug!(worker, error = %e, "worker unreachable over tarpc");
                CallError::Unreachable(worker.into())
            })?;
            let mut ctx = context::current();
            if let Some((trace_id, span_id, sampled)) = runtime::trace::tarpc_parent() {
                ctx.trace_context = tarpc::trace::Context {
                    trace_id: trace_id.into(),
                    span_id: span_id.into(),
                    sampling_decision: if sampled {
                        tarpc::trace::SamplingDecision::Sampled
                    } else {
                        tarpc::trace::SamplingDecision::Unsampled
                    },
                };
            }
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

/// The transport every tarpc client of ours runs on (bincode over TCP).
type Transport<C> = tarpc::serde_transport::Transport<
    tokio::net::TcpStream,
    <C as Client>::Resp,
    <C as Client>::Req,
    Bincode<<C as Client>::Resp, <C as Client>::Req>,
>;

/// What a generated tarpc client sends and receives.
trait Client {
    type Req: serde::Serialize + Send;
    type Resp: for<'de> serde::Deserialize<'de> + Send;
}

impl Client for LoggerClient {
    type Req = tarpc::ClientMessage<protocol::rpc::LoggerRequest>;
    type Resp = tarpc::Response<protocol::rpc::LoggerResponse>;
}

impl Client for AuthenticationClient {
    type Req = tarpc::ClientMessage<protocol::rpc::AuthenticationRequest>;
    type Resp = tarpc::Response<protocol::rpc::AuthenticationResponse>;
}

impl Client for MailerClient {
    type Req = tarpc::ClientMessage<protocol::rpc::MailerRequest>;
    type Resp = tarpc::Response<protocol::rpc::MailerResponse>;
}

/// A tarpc client that is replaced by a fresh connection once its own broke.
struct Reconnecting<C: Client> {
    addr: String,
    make: fn(Transport<C>) -> C,
    client: RwLock<Option<C>>,
}

impl<C: Client + Clone> Reconnecting<C> {
    fn new(addr: &str, make: fn(Transport<C>) -> C) -> Self {
        Self {
            addr: addr.to_owned(),
            make,
            client: RwLock::new(None),
        }
    }

    /// The current client, or a new one on a fresh connection.
    async fn get(&self) -> std::io::Result<C> {
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
        let client = (self.make)(transport);
        *slot = Some(client.clone());
        Ok(client)
    }

    /// Classifies a failed call; forgets the client if its connection is gone.
    async fn failed(&self, worker: &str, error: RpcError) -> CallError {
        match error {
            RpcError::DeadlineExceeded => CallError::Timeout(worker.into()),
            RpcError::Server(e) => {
                runtime::throttled!(warn, "tarpc server aborted the call", worker, error = %e);
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
