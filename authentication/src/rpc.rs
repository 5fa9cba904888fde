//! The tarpc server (`Authentication::authenticate`).

use futures::{StreamExt, future};
use protocol::{
    Credentials, User, WorkerError,
    rpc::{Authentication, AuthenticationRequest, AuthenticationResponse},
};
use runtime::rpc::MAX_CONNECTIONS;
use tarpc::{
    context::Context,
    server::{BaseChannel, Channel},
};
use tokio_util::sync::CancellationToken;

use crate::service::Authenticator;

/// The service's bound tarpc listener.
pub type RpcListener = runtime::rpc::RpcListener<AuthenticationRequest, AuthenticationResponse>;

/// The tarpc implementation of [`Authentication`].
#[derive(Clone)]
pub struct RpcServer {
    auth: Authenticator,
}

impl Authentication for RpcServer {
    async fn authenticate(self, _: Context, credentials: Credentials) -> Result<User, WorkerError> {
        self.auth.authenticate(credentials).await.map_err(|e| {
            e.log();
            e.into()
        })
    }
}

/// Serves connections until `shutdown`.
pub async fn serve(listener: RpcListener, auth: Authenticator, shutdown: CancellationToken) {
    let server = RpcServer { auth };
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
