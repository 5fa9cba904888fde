//! What every worker (logger, authentication, mail) shares: its settings for
//! the servers ([`ServerSettings`], and [`crate::worker_settings!`], which
//! declares a worker's whole `Settings`), the [`Handler`] it is,
//! [`serve_call`] (the one way any transport's server hands it a call), and
//! [`Listeners`], which binds HTTP, tarpc and gRPC in `build` and serves them
//! with the AMQP request/reply consumer until shutdown.

use std::future::Future;

use anyhow::Context;
#[cfg(doc)]
use protocol::Action;
use protocol::{Answer, Call, Reply, Transport, Worker, WorkerError};
use tokio_util::sync::CancellationToken;

use crate::{amqp::AmqpSettings, grpc::GrpcListener, limits::Edge, serve::together};

mod settings;
pub use settings::{
    DefaultAddrs, ENV_AMQP_PREFETCH, ENV_GRPC_ADDR, ENV_HTTP_ADDR, ENV_HTTP_WORKERS,
    ENV_MAX_BODY_BYTES, ENV_NATS_MAX_IN_FLIGHT, ENV_RPC_ADDR, ServerSettings,
};

/// A worker: its one entry point for a [`Call`], whatever the transport. The
/// runtime serves it over every transport ([`Listeners`]), each call in a span
/// of its own, counted, timed and answered the same way ([`serve_call`]); the
/// Go original's own doors (its HTTP paths, `logs.proto`) decode into a `Call`
/// and reach it too.
pub trait Handler: Clone + Send + Sync + 'static {
    /// The worker this is (names its AMQP request queue, its metrics' label,
    /// and which actions' doors it serves: those of [`Action::worker`]).
    const WORKER: Worker;

    /// Does the call; a call this worker does not serve is
    /// [`WorkerError::Invalid`] (see [`not_served`]). Waits on the worker's
    /// dependency go through [`crate::timing::dependency`], so the answer says
    /// how long they took.
    fn handle(&self, call: Call) -> impl Future<Output = Result<Answer, WorkerError>> + Send;

    /// Whether the worker can serve: its dependency answers (`GET /health`).
    fn health(&self) -> impl Future<Output = Result<(), WorkerError>> + Send {
        async { Ok(()) }
    }

    /// JSON documents the worker publishes over HTTP (authentication's key
    /// set): none by default.
    fn documents(&self) -> Vec<Document> {
        Vec::new()
    }
}

/// A JSON document a worker publishes at fixed paths (`GET`).
#[derive(Debug, Clone)]
pub struct Document {
    /// Where it is served.
    pub paths: &'static [&'static str],
    /// The JSON, serialized once.
    pub json: String,
    /// How long a client may keep it, in seconds (`Cache-Control: max-age`).
    pub max_age_secs: u32,
}

/// Handles one call of `handler` that came over `transport`: in a span of its
/// own, counted and timed ([`crate::metrics::worker_call`]), its answer
/// carrying how long the worker took ([`crate::timing::timed`]). Every server
/// of every transport calls this, and only this.
pub async fn serve_call<H: Handler>(handler: &H, call: Call, transport: Transport) -> Reply {
    let action = call.action();
    let handled = crate::timing::timed(handler.handle(call));
    crate::metrics::worker_call(H::WORKER, action, transport, handled).await
}

/// [`serve_call`] of a call sent as its `/handle` JSON (the AMQP and NATS
/// request bodies); a body that is not one is [`WorkerError::Invalid`].
pub async fn serve_json<H: Handler>(handler: &H, body: &[u8], transport: Transport) -> Reply {
    match serde_json::from_slice::<Call>(body) {
        Ok(call) => serve_call(handler, call, transport).await,
        Err(e) => Err(WorkerError::Invalid(format!("invalid request: {e}"))),
    }
}

/// A dependency of the worker (MongoDB, Postgres, SMTP) could not be reached:
/// logs the cause chain (at most once a second, with the count held back), answers [`WorkerError::Unavailable`] with the error's
/// own message (never its causes: they may name hosts or users).
pub fn unavailable(error: &dyn std::error::Error) -> WorkerError {
    crate::throttled!(error, "a dependency is unavailable", %error, cause = ?error);
    WorkerError::Unavailable(error.to_string())
}

/// The worker tried and failed: logs the cause chain, answers
/// [`WorkerError::Failed`] with the error's own message.
pub fn failed(error: &dyn std::error::Error) -> WorkerError {
    crate::throttled!(error, "the call failed", %error, cause = ?error);
    WorkerError::Failed(error.to_string())
}

/// The answer to a call sent to a worker that does not serve its action.
pub fn not_served(worker: Worker, call: &Call) -> WorkerError {
    WorkerError::Invalid(format!(
        "the {worker} does not serve {:?}",
        call.action().as_str()
    ))
}

/// The ports a worker bound: HTTP, tarpc, gRPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    /// The HTTP API's.
    pub http: u16,
    /// The tarpc server's.
    pub rpc: u16,
    /// The gRPC server's.
    pub grpc: u16,
}

/// The bound listeners of a worker and the handler they serve, ready to run.
pub struct Listeners<H> {
    handler: H,
    http: actix_web::dev::Server,
    rpc: crate::rpc::RpcListener,
    grpc: GrpcListener,
    amqp: AmqpSettings,
    prefetch: u16,
    nats: crate::nats::NatsSettings,
    nats_max_in_flight: usize,
    ports: Ports,
}

impl<H: Handler> Listeners<H> {
    /// Binds, at the settings' addresses, the HTTP server
    /// ([`crate::http::worker`]), the tarpc listener and the gRPC listener, all
    /// three held to the settings' [`crate::limits::Limits`] with one receive
    /// budget.
    pub async fn bind<D: DefaultAddrs>(
        settings: &ServerSettings<D>,
        handler: H,
    ) -> anyhow::Result<Self> {
        let edge = Edge::new(&settings.limits);
        let served = handler.clone();
        let configure = move |cfg: &mut actix_web::web::ServiceConfig| {
            crate::http::worker::routes(cfg, served.clone());
        };
        let (http, http_port) =
            crate::http::bind_server(&settings.http_addr, settings.http_workers, &edge, configure)?;
        let rpc = crate::rpc::bind(&settings.rpc_addr, &edge)
            .await
            .with_context(|| format!("cannot bind tarpc on {}", settings.rpc_addr))?;
        let grpc = GrpcListener::bind(&settings.grpc_addr, &edge)
            .await
            .with_context(|| format!("cannot bind gRPC on {}", settings.grpc_addr))?;
        let ports = Ports {
            http: http_port,
            rpc: rpc.port(),
            grpc: grpc.port()?,
        };
        Ok(Self {
            handler,
            http,
            rpc,
            grpc,
            amqp: settings.amqp.clone().resolve_url_file()?,
            prefetch: settings.amqp_prefetch,
            nats: settings.nats.clone(),
            nats_max_in_flight: settings.nats_max_in_flight,
            ports,
        })
    }

    /// The bound ports.
    pub fn ports(&self) -> Ports {
        self.ports
    }

    /// Serves every transport until `shutdown` (see [`together`]): HTTP,
    /// tarpc, gRPC, the AMQP request queue and the NATS subject. When one server fails the
    /// others stop too.
    pub async fn serve(self, shutdown: &CancellationToken) -> anyhow::Result<()> {
        let Self {
            handler,
            http,
            rpc,
            grpc,
            amqp,
            prefetch,
            nats,
            nats_max_in_flight,
            ..
        } = self;
        let stop = || shutdown.clone();
        let (http_stop, rpc_stop, grpc_stop) = (stop(), stop(), stop());
        let (amqp_stop, nats_stop) = (stop(), stop());
        let (rpc_handler, grpc_handler, amqp_handler) =
            (handler.clone(), handler.clone(), handler.clone());
        let max = nats_max_in_flight;
        together(
            shutdown,
            vec![
                (
                    "HTTP",
                    Box::pin(async move { Ok(crate::http::serve_until(http, http_stop).await?) }),
                ),
                (
                    "tarpc",
                    Box::pin(async move {
                        crate::rpc::serve(rpc, rpc_handler, rpc_stop).await;
                        Ok(())
                    }),
                ),
                (
                    "gRPC",
                    Box::pin(async move { Ok(grpc.serve(grpc_handler, grpc_stop).await?) }),
                ),
                (
                    "AMQP",
                    Box::pin(async move {
                        let server = crate::amqp::server::serve_requests;
                        server(&amqp, prefetch, amqp_handler, amqp_stop).await;
                        Ok(())
                    }),
                ),
                (
                    "NATS",
                    Box::pin(async move {
                        let server = crate::nats::server::serve_requests;
                        server(&nats, max, handler, nats_stop).await;
                        Ok(())
                    }),
                ),
            ],
        )
        .await
    }
}
