//! The gRPC server: `mail.MailService/SendMail`.

use protocol::grpc::mail::{
    MailRequest, MailResponse,
    mail_service_server::{MailService, MailServiceServer},
};
use protocol::{Transport, Worker};
use runtime::metrics::worker_call;
use runtime::worker::{decode, grpc_response};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, transport::server::TcpIncoming};

use crate::service::Mailer;

/// The gRPC implementation of `MailService`.
pub struct GrpcServer(Mailer);

#[tonic::async_trait]
impl MailService for GrpcServer {
    async fn send_mail(
        &self,
        request: Request<MailRequest>,
    ) -> Result<Response<MailResponse>, Status> {
        let call = self.0.send(decode(request)?);
        let answer = worker_call(Worker::Mail, "mail", Transport::Grpc, call).await?;
        let result = answer.message.clone();
        Ok(grpc_response(MailResponse { result }, &answer))
    }
}

/// Serves gRPC on the connections of `incoming` until `shutdown`, letting
/// in-flight calls finish.
pub async fn serve(
    incoming: TcpIncoming,
    mailer: Mailer,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    runtime::worker::grpc_server()
        .add_service(MailServiceServer::new(GrpcServer(mailer)))
        .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
        .await
}
