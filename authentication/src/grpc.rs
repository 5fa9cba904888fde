//! The gRPC server: `auth.AuthService/Authenticate`.

use protocol::grpc::auth::{
    AuthRequest, AuthResponse,
    auth_service_server::{AuthService, AuthServiceServer},
};
use protocol::{Transport, Worker};
use runtime::grpc::GrpcListener;
use runtime::metrics::worker_call;
use runtime::worker::{decode, grpc_response};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::service::Authenticator;

/// The gRPC implementation of `AuthService`.
pub struct GrpcServer(Authenticator);

#[tonic::async_trait]
impl AuthService for GrpcServer {
    async fn authenticate(
        &self,
        request: Request<AuthRequest>,
    ) -> Result<Response<AuthResponse>, Status> {
        let call = self.0.authenticate(decode(request)?);
        let answer = worker_call(Worker::Authentication, "auth", Transport::Grpc, call).await?;
        Ok(grpc_response(answer.clone().into(), &answer))
    }
}

/// Serves gRPC on `listener`'s connections until `shutdown`, letting in-flight
/// calls finish.
pub async fn serve(
    listener: GrpcListener,
    auth: Authenticator,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    let service =
        AuthServiceServer::new(GrpcServer(auth)).max_decoding_message_size(listener.max_message());
    let router = listener.server().add_service(service);
    listener.serve(router, shutdown).await
}
