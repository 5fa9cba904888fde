//! The tarpc server (`Mailer::send_mail`).

use protocol::{
    Answer, MailPayload, Transport, Worker, WorkerError,
    rpc::{Mailer as MailerRpc, MailerRequest, MailerResponse},
};
use runtime::metrics::worker_call;
use tarpc::context::Context;
use tokio_util::sync::CancellationToken;

use crate::service::Mailer;

/// The service's bound tarpc listener.
pub type RpcListener = runtime::rpc::RpcListener<MailerRequest, MailerResponse>;

/// The tarpc implementation of [`MailerRpc`].
#[derive(Clone)]
pub struct RpcServer(Mailer);

impl MailerRpc for RpcServer {
    async fn send_mail(self, _: Context, mail: MailPayload) -> Result<Answer, WorkerError> {
        worker_call(Worker::Mail, "mail", Transport::Rpc, self.0.send(mail)).await
    }
}

/// Serves connections until `shutdown`.
pub async fn serve(listener: RpcListener, mailer: Mailer, shutdown: CancellationToken) {
    runtime::serve_tarpc!(listener, RpcServer(mailer).serve(), shutdown)
}
