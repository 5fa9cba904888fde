//! Workers over tarpc: the one service `call(Call) -> Answer`
//! ([`protocol::rpc::WorkerService`]), one TCP connection per worker.
//!
//! A connection is replaced by a new one on the next call when its dispatch
//! task has ended (the worker closed it: a restart, its idle timeout) or when
//! it has been idle for `idle`, below the workers' `IDLE_TIMEOUT_SECS` (tarpc
//! has no keep-alive ping), so a call never goes out on a connection the
//! worker is closing. A call that found its connection already shut down was
//! not sent ([`CallError::NotSent`]: sent again on a new one); one whose
//! connection broke while it was on it may have reached the worker
//! ([`CallError::Unreachable`]).

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use protocol::{Answer, PerWorker, rpc::WorkerServiceClient};
use tarpc::{
    client::{self, NewClient, RpcError},
    serde_transport::tcp,
    tokio_serde::formats::Bincode,
};
use tokio::{sync::Mutex, time::Instant};

use crate::{CallError, Request, Sender};

/// Largest frame sent or accepted, in bytes (the workers' `MAX_BODY_BYTES` default).
const MAX_FRAME_BYTES: usize = 1024 * 1024;

/// Reconnecting tarpc clients of every worker.
#[derive(Clone)]
pub struct RpcClient {
    connections: Arc<PerWorker<Connection>>,
    addrs: PerWorker<String>,
    idle: Duration,
}

impl RpcClient {
    /// Clients of the workers at these addresses (`127.0.0.1:5001`; an empty
    /// one: not configured) that connect on first use and replace a connection
    /// idle for `idle`.
    pub fn new(addrs: &PerWorker<String>, idle: Duration) -> Self {
        Self {
            connections: Arc::new(addrs.map(|addr| Connection::new(addr, idle))),
            addrs: addrs.clone(),
            idle,
        }
    }

    /// The same workers over connections of their own, opened from the thread
    /// that first uses them (see [`crate::grpc::GrpcClient::on_this_runtime`]).
    pub fn on_this_runtime(&self) -> Self {
        Self::new(&self.addrs, self.idle)
    }
}

impl Sender for RpcClient {
    async fn send(self, request: Request) -> Result<Answer, CallError> {
        let worker = request.worker();
        let connection = self.connections.get(request.call.worker());
        let (client, closed) = connection.client().await.map_err(|e| {
            tracing::debug!(worker, error = %e, "worker unreachable over tarpc");
            CallError::Unreachable(worker.into())
        })?;
        let mut ctx = tarpc::context::current();
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
        ctx.deadline = request.deadline.into_std();
        match client.call(ctx, (*request.call).clone()).await {
            Ok(answer) => answer.map_err(CallError::Worker),
            Err(RpcError::DeadlineExceeded) => Err(CallError::Timeout(worker.into())),
            Err(RpcError::Server(e)) => {
                runtime::throttled!(warn, "tarpc server aborted the call", worker, error = %e);
                Err(CallError::Protocol(worker.into()))
            }
            // The dispatch had ended or the request could not be buffered: not sent.
            Err(error @ (RpcError::Shutdown | RpcError::Send(_))) => {
                tracing::debug!(worker, %error, "tarpc connection closed before the call; reconnecting");
                closed.store(true, Ordering::Relaxed);
                Err(CallError::NotSent(worker.into()))
            }
            Err(error @ RpcError::Channel(_)) => {
                tracing::info!(worker, %error, "tarpc connection lost during a call; reconnecting");
                closed.store(true, Ordering::Relaxed);
                Err(CallError::Unreachable(worker.into()))
            }
        }
    }
}

/// One worker's connection: its client, whether its dispatch task still runs,
/// and when it was last used.
struct Connection {
    addr: String,
    idle: Duration,
    open: Mutex<Option<Open>>,
}

struct Open {
    client: WorkerServiceClient,
    closed: Arc<AtomicBool>,
    last_used: Instant,
}

impl Connection {
    fn new(addr: &str, idle: Duration) -> Self {
        Self {
            addr: addr.to_owned(),
            idle,
            open: Mutex::new(None),
        }
    }

    /// The open connection's client and its flag of being closed (set it to
    /// have the next call open a new one), or those of a new connection when
    /// there is none, its task ended, or it sat idle too long.
    async fn client(&self) -> std::io::Result<(WorkerServiceClient, Arc<AtomicBool>)> {
        if self.addr.is_empty() {
            let unset = "no address configured";
            return Err(std::io::Error::new(std::io::ErrorKind::NotFound, unset));
        }
        let mut open = self.open.lock().await;
        let now = Instant::now();
        if let Some(current) = open.as_mut()
            && !current.closed.load(Ordering::Relaxed)
            && now.duration_since(current.last_used) < self.idle
        {
            current.last_used = now;
            return Ok((current.client.clone(), Arc::clone(&current.closed)));
        }
        // Dropping the last client of a connection ends its dispatch and closes it.
        *open = None;
        let mut connecting = tcp::connect(&self.addr, Bincode::default);
        connecting.config_mut().max_frame_length(MAX_FRAME_BYTES);
        let transport = connecting.await?;
        // Small calls go out at once instead of waiting for the server's delayed ACK.
        transport.get_ref().set_nodelay(true)?;
        let NewClient { client, dispatch } =
            WorkerServiceClient::new(client::Config::default(), transport);
        let closed = Arc::new(AtomicBool::new(false));
        let ended = Arc::clone(&closed);
        tokio::spawn(async move {
            if let Err(error) = dispatch.await {
                tracing::debug!(%error, "tarpc connection ended");
            }
            ended.store(true, Ordering::Relaxed);
        });
        *open = Some(Open {
            client: client.clone(),
            closed: Arc::clone(&closed),
            last_used: now,
        });
        Ok((client, closed))
    }
}
