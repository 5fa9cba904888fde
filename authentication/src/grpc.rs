//! The gRPC server: `auth.AuthService/Authenticate`.

use protocol::grpc::auth::{
    AuthRequest, AuthResponse,
    auth_service_server::{AuthService, AuthServiceServer},
};
use protocol::{Transport, Worker};
use runtime::metrics::worker_call;
use runtime::worker::{decode, grpc_response};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, transport::server::TcpIncoming};

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

/// Serves gRPC on the connections of `incoming` until `shutdown`, letting
/// in-flight calls finish.
pub async fn serve(
    incoming: TcpIncoming,
    auth: Authenticator,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    runtime::worker::grpc_server()
        .add_service(AuthServiceServer::new(GrpcServer(auth)))
        .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
        .await
}
