//! The gRPC server: `auth.AuthService/Authenticate`.

use protocol::grpc::auth::{
    AuthRequest, AuthResponse,
    auth_service_server::{AuthService, AuthServiceServer},
};
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
        let credentials = request
            .into_inner()
            .try_into()
            .map_err(Status::invalid_argument)?;
        Ok(Response::new(
            self.0.authenticate(credentials).await?.into(),
        ))
    }
}

/// Serves gRPC on the connections of `incoming` until `shutdown`, letting
/// in-flight calls finish.
pub async fn serve(
    incoming: TcpIncoming,
    auth: Authenticator,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    tonic::transport::Server::builder()
        .add_service(AuthServiceServer::new(GrpcServer(auth)))
        .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
        .await
}
