//! A worker over gRPC, for any [`Handler`]: the generic `flexi.Worker/Call`
//! (a [`Call`] in, an [`Answer`] out, the same as on every transport) and, on
//! the worker that serves `log`, the Go original's `logs.LogService/WriteLog`
//! (decoded into a `Call`, answered `logged!` as the original did). Both go
//! through [`serve_call`].
//!
//! The server is held to the worker's [`Edge`] limits: connections capped and
//! closed when idle ([`crate::guard`]), at most `max_streams` calls per
//! connection, each request's message held to the receive deadline and budget
//! ([`limits`]).

pub mod limits;

use futures::{Stream, StreamExt};
use protocol::{
    Action, Answer, Call, LogPayload, Transport,
    grpc::{
        flexi::{
            self, CallRequest,
            worker_server::{Worker, WorkerServer},
        },
        logs::{
            LogRequest, LogResponse,
            log_service_server::{LogService, LogServiceServer},
        },
    },
};
use tokio::net::{TcpListener, TcpStream};
use tonic::{Request, Response, Status, transport::Server};

pub use self::limits::ReceiveLimits;
use crate::{
    guard::{Guarded, accept},
    limits::Edge,
    worker::{Handler, serve_call},
};

/// The gRPC result message of a stored entry (the Go original's).
pub const GRPC_LOGGED: &str = "logged!";

/// A bound gRPC listener and the limits its server keeps.
pub struct GrpcListener {
    listener: TcpListener,
    edge: Edge,
}

impl GrpcListener {
    /// Binds `addr` (port 0 for any).
    pub async fn bind(addr: &str, edge: &Edge) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let edge = edge.clone();
        Ok(Self { listener, edge })
    }

    /// The bound port.
    pub fn port(&self) -> std::io::Result<u16> {
        Ok(self.listener.local_addr()?.port())
    }

    /// Serves `handler` until `shutdown`, letting in-flight calls finish.
    pub async fn serve<H: Handler>(
        self,
        handler: H,
        shutdown: tokio_util::sync::CancellationToken,
    ) -> Result<(), tonic::transport::Error> {
        let max = self.edge.limits().max_body_bytes;
        let worker = WorkerServer::new(Served(handler.clone())).max_decoding_message_size(max);
        let door = (Action::Log.worker() == H::WORKER)
            .then(|| LogServiceServer::new(Served(handler)).max_decoding_message_size(max));
        Server::builder()
            .max_concurrent_streams(self.edge.limits().max_streams)
            .layer(ReceiveLimits {
                edge: self.edge.clone(),
            })
            .add_service(worker)
            .add_optional_service(door)
            .serve_with_incoming_shutdown(self.incoming(), shutdown.cancelled_owned())
            .await
    }

    fn incoming(self) -> impl Stream<Item = std::io::Result<Guarded<TcpStream>>> {
        let Self { listener, edge } = self;
        accept(listener, &edge, false).map(Ok)
    }
}

/// A handler as a gRPC service.
struct Served<H>(H);

#[tonic::async_trait]
impl<H: Handler> Worker for Served<H> {
    async fn call(&self, request: Request<CallRequest>) -> Result<Response<flexi::Answer>, Status> {
        let call = Call::try_from(request.into_inner()).map_err(Status::invalid_argument)?;
        let answer: Answer = serve_call(&self.0, call, Transport::Grpc).await?;
        Ok(Response::new(answer.into()))
    }
}

#[tonic::async_trait]
impl<H: Handler> LogService for Served<H> {
    async fn write_log(
        &self,
        request: Request<LogRequest>,
    ) -> Result<Response<LogResponse>, Status> {
        let log = LogPayload::try_from(request.into_inner()).map_err(Status::invalid_argument)?;
        serve_call(&self.0, Call::Log { log }, Transport::Grpc).await?;
        let result = GRPC_LOGGED.to_owned();
        Ok(Response::new(LogResponse { result }))
    }
}
