//! The gRPC server: `logs.LogService/WriteLog`, the Go original's proto, and
//! `ping.PingService/Ping`.

use protocol::grpc::{
    logs::{
        LogRequest, LogResponse,
        log_service_server::{LogService, LogServiceServer},
    },
    ping::{
        PingRequest, PingResponse,
        ping_service_server::{PingService, PingServiceServer},
    },
};
use protocol::{Transport, Worker};
use runtime::grpc::GrpcListener;
use runtime::metrics::worker_call;
use runtime::worker::{decode, grpc_response};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::service::Logger;

/// The gRPC result message (the original's).
pub const GRPC_LOGGED: &str = "logged!";

/// The gRPC implementation of `LogService` and `PingService`.
#[derive(Clone)]
pub struct GrpcServer(Logger);

#[tonic::async_trait]
impl LogService for GrpcServer {
    async fn write_log(
        &self,
        request: Request<LogRequest>,
    ) -> Result<Response<LogResponse>, Status> {
        let call = self.0.log(decode(request)?);
        let answer = worker_call(Worker::Logger, "log", Transport::Grpc, call).await?;
        let result = GRPC_LOGGED.to_owned();
        Ok(grpc_response(LogResponse { result }, &answer))
    }
}

#[tonic::async_trait]
impl PingService for GrpcServer {
    async fn ping(&self, request: Request<PingRequest>) -> Result<Response<PingResponse>, Status> {
        let ping = async { Ok(Logger::ping(request.into_inner().into()).await) };
        let mut answer = worker_call(Worker::Logger, "ping", Transport::Grpc, ping).await?;
        let response = PingResponse {
            result: answer.message.clone(),
            echo: answer.echo.take(),
        };
        Ok(grpc_response(response, &answer))
    }
}

/// Serves gRPC on `listener`'s connections until `shutdown`, letting in-flight
/// calls finish.
pub async fn serve(
    listener: GrpcListener,
    logger: Logger,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    let max = listener.max_message();
    let router = listener
        .server()
        .add_service(
            LogServiceServer::new(GrpcServer(logger.clone())).max_decoding_message_size(max),
        )
        .add_service(PingServiceServer::new(GrpcServer(logger)).max_decoding_message_size(max));
    listener.serve(router, shutdown).await
}
