//! Workers over tarpc. A tarpc client is one TCP connection; when it breaks (the
//! worker restarted), the next call opens a new one.

use std::{sync::Arc, time::Duration};

use protocol::{LogPayload, rpc::LoggerClient};
use tarpc::{
    client::{self, RpcError},
    context,
    serde_transport::tcp,
    tokio_serde::formats::Bincode,
};
use tokio::sync::RwLock;

use crate::CallError;

/// tarpc addresses of the workers.
#[derive(Debug, Clone)]
pub struct RpcEndpoints {
    /// The logger, e.g. `127.0.0.1:5001`.
    pub logger: String,
}

/// Reconnecting tarpc clients of every worker.
#[derive(Clone)]
pub struct RpcWorkers {
    logger: Arc<Reconnecting<LoggerClient>>,
    timeout: Duration,
}

struct Reconnecting<C> {
    addr: String,
    client: RwLock<Option<C>>,
}

impl RpcWorkers {
    /// Clients that connect on first use; every call takes at most `timeout`.
    pub fn new(endpoints: &RpcEndpoints, timeout: Duration) -> Self {
        Self {
            logger: Arc::new(Reconnecting {
                addr: endpoints.logger.clone(),
                client: RwLock::new(None),
            }),
            timeout,
        }
    }

    fn context(&self) -> context::Context {
        let mut ctx = context::current();
        ctx.deadline = std::time::Instant::now() + self.timeout;
        ctx
    }

    /// `Logger::log_info`; the logger's result message once stored.
    pub async fn log(&self, entry: &LogPayload) -> Result<String, CallError> {
        let worker = "logger";
        let call = async {
            let client = self
                .logger
                .get(|transport| LoggerClient::new(client::Config::default(), transport).spawn())
                .await
                .map_err(|e| {
                    tracing::debug!(worker, error = %e, "worker unreachable over tarpc");
                    CallError::Unreachable(worker.into())
                })?;
            match client.log_info(self.context(), entry.clone()).await {
                Ok(answer) => answer.map_err(CallError::Worker),
                Err(e) => Err(self.logger.failed(worker, e).await),
            }
        };
        tokio::time::timeout(self.timeout, call)
            .await
            .unwrap_or_else(|_| Err(CallError::Timeout(worker.into())))
    }
}

type Transport<Req, Resp> =
    tarpc::serde_transport::Transport<tokio::net::TcpStream, Resp, Req, Bincode<Resp, Req>>;

impl<C: Clone> Reconnecting<C> {
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
        connecting.config_mut().max_frame_length(2 * 1024 * 1024);
        let transport = connecting.await?;
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
