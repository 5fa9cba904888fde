//! The gRPC server: `logs.LogService/WriteLog`, the Go original's proto.

use protocol::{
    LogPayload, PONG, WorkerError,
    grpc::{
        logs::{
            LogRequest, LogResponse,
            log_service_server::{LogService, LogServiceServer},
        },
        ping::{
            PingRequest, PingResponse,
            ping_service_server::{PingService, PingServiceServer},
        },
    },
};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, transport::server::TcpIncoming};

use crate::{service::write_entry, store::LogStore};

/// The gRPC result message (the original's).
pub const GRPC_LOGGED: &str = "logged!";

/// The gRPC implementation of `LogService`.
pub struct GrpcServer {
    store: LogStore,
}

#[tonic::async_trait]
impl LogService for GrpcServer {
    async fn write_log(
        &self,
        request: Request<LogRequest>,
    ) -> Result<Response<LogResponse>, Status> {
        let log = request
            .into_inner()
            .log_entry
            .ok_or_else(|| Status::invalid_argument("logEntry is required"))?;
        let entry = LogPayload {
            name: log.name,
            data: log.data,
        };
        match write_entry(&self.store, entry).await {
            Ok(()) => Ok(Response::new(LogResponse {
                result: GRPC_LOGGED.to_owned(),
            })),
            Err(e) => {
                e.log();
                Err(WorkerError::from(e).into())
            }
        }
    }
}

/// `ping.PingService`: answers at once, touching no database.
pub struct PingServer;

#[tonic::async_trait]
impl PingService for PingServer {
    async fn ping(&self, _: Request<PingRequest>) -> Result<Response<PingResponse>, Status> {
        Ok(Response::new(PingResponse {
            result: PONG.to_owned(),
        }))
    }
}

/// Serves gRPC on the connections of `incoming` until `shutdown`, letting
/// in-flight calls finish.
pub async fn serve(
    incoming: TcpIncoming,
    store: LogStore,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    tonic::transport::Server::builder()
        .add_service(LogServiceServer::new(GrpcServer { store }))
        .add_service(PingServiceServer::new(PingServer))
        .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
        .await
}
