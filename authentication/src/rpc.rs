//! The tarpc server (`Authentication::authenticate`).

use protocol::{
    Answer, Credentials, WorkerError,
    rpc::{Authentication, AuthenticationRequest, AuthenticationResponse},
};
use tarpc::context::Context;
use tokio_util::sync::CancellationToken;

use crate::service::Authenticator;

/// The service's bound tarpc listener.
pub type RpcListener = runtime::rpc::RpcListener<AuthenticationRequest, AuthenticationResponse>;

/// The tarpc implementation of [`Authentication`].
#[derive(Clone)]
pub struct RpcServer(Authenticator);

impl Authentication for RpcServer {
    async fn authenticate(
        self,
        _: Context,
        credentials: Credentials,
    ) -> Result<Answer, WorkerError> {
        self.0.authenticate(credentials).await
    }
}

/// Serves connections until `shutdown`.
pub async fn serve(listener: RpcListener, auth: Authenticator, shutdown: CancellationToken) {
    runtime::serve_tarpc!(listener, RpcServer(auth).serve(), shutdown)
}
