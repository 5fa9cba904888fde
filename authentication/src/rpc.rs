//! The tarpc server (`Authentication::authenticate`).

use protocol::{
    Answer, Credentials, Transport, Worker, WorkerError,
    rpc::{Authentication, AuthenticationRequest, AuthenticationResponse},
};
use runtime::metrics::worker_call;
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
        let call = self.0.authenticate(credentials);
        worker_call(Worker::Authentication, "auth", Transport::Rpc, call).await
    }
}

/// Serves connections until `shutdown`.
pub async fn serve(listener: RpcListener, auth: Authenticator, shutdown: CancellationToken) {
    runtime::serve_tarpc!(listener, RpcServer(auth).serve(), shutdown)
}
