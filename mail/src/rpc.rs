//! The tarpc server (`Mailer::send_mail`).

use futures::{StreamExt, future};
use protocol::{
    MailPayload, WorkerError,
    rpc::{Mailer, MailerRequest, MailerResponse},
};
use runtime::rpc::MAX_CONNECTIONS;
use tarpc::{
    context::Context,
    server::{BaseChannel, Channel},
};
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
    let server = RpcServer { mailer };
    let serving = listener
        .filter_map(|conn| future::ready(conn.ok()))
        .map(BaseChannel::with_defaults)
        .map(|channel| {
            channel
                .execute(server.clone().serve())
                .for_each(|call| async {
                    tokio::spawn(call);
                })
        })
        .buffer_unordered(MAX_CONNECTIONS)
        .for_each(|()| async {});
    tokio::select! {
        () = serving => {}
        () = shutdown.cancelled() => {}
    }
}
