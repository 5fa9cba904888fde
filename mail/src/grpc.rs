//! The gRPC server: `mail.MailService/SendMail`.

use protocol::{
    MailPayload, WorkerError,
    grpc::mail::{
        MailRequest, MailResponse,
        mail_service_server::{MailService, MailServiceServer},
    },
};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, transport::server::TcpIncoming};

use crate::startup::Mailer;

/// The gRPC implementation of `MailService`.
pub struct GrpcServer {
    mailer: Mailer,
}

#[tonic::async_trait]
impl MailService for GrpcServer {
    async fn send_mail(
        &self,
        request: Request<MailRequest>,
    ) -> Result<Response<MailResponse>, Status> {
        let MailRequest {
            from,
            to,
            subject,
            message,
        } = request.into_inner();
        let mail = MailPayload {
            from,
            to,
            subject,
            message,
        };
        match self.mailer.send(&mail).await {
            Ok(result) => Ok(Response::new(MailResponse { result })),
            Err(e) => {
                e.log();
                Err(WorkerError::from(e).into())
            }
        }
    }
}

/// Serves gRPC on the connections of `incoming` until `shutdown`, letting
/// in-flight calls finish.
pub async fn serve(
    incoming: TcpIncoming,
    mailer: Mailer,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    tonic::transport::Server::builder()
        .add_service(MailServiceServer::new(GrpcServer { mailer }))
        .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
        .await
}
