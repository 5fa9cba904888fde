//! The gRPC server: `mail.MailService/SendMail`.

use protocol::grpc::mail::{
    MailRequest, MailResponse,
    mail_service_server::{MailService, MailServiceServer},
};
use protocol::{Transport, Worker};
use runtime::grpc::GrpcListener;
use runtime::metrics::worker_call;
use runtime::worker::{decode, grpc_response};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

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

/// Serves gRPC on `listener`'s connections until `shutdown`, letting in-flight
/// calls finish.
pub async fn serve(
    listener: GrpcListener,
    mailer: Mailer,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    let service = MailServiceServer::new(GrpcServer(mailer))
        .max_decoding_message_size(listener.max_message());
    let router = listener.server().add_service(service);
    listener.serve(router, shutdown).await
}
