//! The tarpc server (`Authentication::authenticate`).

use protocol::{
    Credentials, User, WorkerError,
    rpc::{Authentication, AuthenticationRequest, AuthenticationResponse},
};
use tarpc::context::Context;
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
    runtime::serve_tarpc!(listener, RpcServer { auth }.serve(), shutdown)
}
