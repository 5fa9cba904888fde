//! Workers over tarpc: the one service `call(Call) -> Answer`
//! ([`protocol::rpc::WorkerService`]), one TCP connection per worker.
//!
//! A connection is closed by the client once no call started or ended on it
//! for `idle`, below the workers' `IDLE_TIMEOUT_SECS` (tarpc has no
//! keep-alive ping), so a call never goes out on a connection the worker is
//! closing; and it is replaced on the next call once its dispatch task ended
//! (the worker closed it: a restart). A call that found its connection already shut down was
//! not sent ([`CallError::NotSent`]: sent again on a new one); one whose
//! connection broke while it was on it may have reached the worker
//! ([`CallError::Unreachable`]).

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
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
        let open = connection.client().await.map_err(|e| {
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
        let answered = open.client.call(ctx, (*request.call).clone()).await;
        open.touch();
        match answered {
            Ok(answer) => answer.map_err(CallError::Worker),
            Err(RpcError::DeadlineExceeded) => Err(CallError::Timeout(worker.into())),
            Err(RpcError::Server(e)) => {
                runtime::throttled!(warn, "tarpc server aborted the call", worker, error = %e);
                Err(CallError::Protocol(worker.into()))
            }
            // The dispatch had ended or the request could not be buffered: not sent.
            Err(error @ (RpcError::Shutdown | RpcError::Send(_))) => {
                tracing::debug!(worker, %error, "tarpc connection closed before the call; reconnecting");
                open.closed.store(true, Ordering::Relaxed);
                Err(CallError::NotSent(worker.into()))
            }
            Err(error @ RpcError::Channel(_)) => {
                tracing::info!(worker, %error, "tarpc connection lost during a call; reconnecting");
                open.closed.store(true, Ordering::Relaxed);
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

/// An open connection, shared with the task that runs its dispatch.
#[derive(Clone)]
struct Open {
    client: WorkerServiceClient,
    /// Set when the connection is done: its dispatch ended (the worker closed
    /// it), it sat idle too long, or a call found it broken.
    closed: Arc<AtomicBool>,
    opened: Instant,
    /// When a call last started or ended on it, in ms since `opened`.
    used_ms: Arc<AtomicU64>,
}

impl Open {
    /// Notes a call starting or ending now.
    fn touch(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.used_ms.store(ms, Ordering::Relaxed);
    }

    fn last_used(&self) -> Instant {
        self.opened + Duration::from_millis(self.used_ms.load(Ordering::Relaxed))
    }

    fn is_usable(&self, idle: Duration) -> bool {
        !self.closed.load(Ordering::Relaxed) && self.last_used().elapsed() < idle
    }
}

impl Connection {
    fn new(addr: &str, idle: Duration) -> Self {
        Self {
            addr: addr.to_owned(),
            idle,
            open: Mutex::new(None),
        }
    }

    /// The open connection, or a new one when there is none, it is closed, or
    /// it sat idle too long; noted as used now.
    async fn client(&self) -> std::io::Result<Open> {
        if self.addr.is_empty() {
            let unset = "no address configured";
            return Err(std::io::Error::new(std::io::ErrorKind::NotFound, unset));
        }
        let mut open = self.open.lock().await;
        if let Some(current) = open.as_ref().filter(|o| o.is_usable(self.idle)) {
            current.touch();
            return Ok(current.clone());
        }
        if let Some(old) = open.take() {
            old.closed.store(true, Ordering::Relaxed);
        }
        let mut connecting = tcp::connect(&self.addr, Bincode::default);
        connecting.config_mut().max_frame_length(MAX_FRAME_BYTES);
        let transport = connecting.await?;
        // Small calls go out at once instead of waiting for the server's delayed ACK.
        transport.get_ref().set_nodelay(true)?;
        let NewClient { client, dispatch } =
            WorkerServiceClient::new(client::Config::default(), transport);
        let new = Open {
            client,
            closed: Arc::new(AtomicBool::new(false)),
            opened: Instant::now(),
            used_ms: Arc::new(AtomicU64::new(0)),
        };
        tokio::spawn(run(dispatch, new.clone(), self.idle));
        *open = Some(new.clone());
        Ok(new)
    }
}

/// Runs a connection's dispatch until it ends (the worker closed the
/// connection), the connection is marked closed, or no call started or ended
/// on it for `idle`: then the dispatch is dropped, which closes the connection
/// before the worker's own idle timeout would (tarpc has no keep-alive ping).
async fn run(
    dispatch: impl Future<Output = Result<(), impl std::fmt::Display>>,
    open: Open,
    idle: Duration,
) {
    tokio::pin!(dispatch);
    loop {
        let due = open.last_used() + idle;
        tokio::select! {
            ended = &mut dispatch => {
                if let Err(error) = ended {
                    tracing::debug!(%error, "tarpc connection ended");
                }
                break;
            }
            () = tokio::time::sleep_until(due) => {
                if open.closed.load(Ordering::Relaxed) || !open.is_usable(idle) {
                    tracing::debug!("closing a tarpc connection idle for {idle:?}");
                    break;
                }
            }
        }
    }
    open.closed.store(true, Ordering::Relaxed);
}
