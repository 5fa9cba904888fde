//! The tarpc server (`Mailer::send_mail`).

use protocol::{
    MailPayload, WorkerError,
    rpc::{Mailer, MailerRequest, MailerResponse},
};
use tarpc::context::Context;
use tokio_util::sync::CancellationToken;

/// The service's bound tarpc listener.
pub type RpcListener = runtime::rpc::RpcListener<MailerRequest, MailerResponse>;

/// The tarpc implementation of [`Mailer`].
#[derive(Clone)]
pub struct RpcServer {
    mailer: crate::startup::Mailer,
}

impl Mailer for RpcServer {
    async fn send_mail(self, _: Context, mail: MailPayload) -> Result<String, WorkerError> {
        self.mailer.send(&mail).await.map_err(|e| {
            e.log();
            e.into()
        })
    }
}

/// Serves connections until `shutdown`.
pub async fn serve(
    listener: RpcListener,
    mailer: crate::startup::Mailer,
    shutdown: CancellationToken,
) {
    runtime::serve_tarpc!(listener, RpcServer { mailer }.serve(), shutdown)
}
