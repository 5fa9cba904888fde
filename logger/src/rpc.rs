//! The tarpc server (`Logger::log_info`, `Logger::ping`).

use protocol::{
    Answer, LogPayload, WorkerError,
    rpc::{Logger as LoggerRpc, LoggerRequest, LoggerResponse},
};
use tarpc::context::Context;
use tokio_util::sync::CancellationToken;

use crate::service::Logger;

/// The tarpc implementation of [`LoggerRpc`].
#[derive(Clone)]
pub struct RpcServer(Logger);

impl LoggerRpc for RpcServer {
    async fn log_info(self, _: Context, entry: LogPayload) -> Result<Answer, WorkerError> {
        self.0.log(entry).await
    }

    async fn ping(self, _: Context) -> Result<Answer, WorkerError> {
        Ok(Logger::ping().await)
    }
}

/// The logger's bound tarpc listener.
pub type RpcListener = runtime::rpc::RpcListener<LoggerRequest, LoggerResponse>;

/// Serves connections until `shutdown`; a connection's in-flight calls finish.
pub async fn serve(listener: RpcListener, logger: Logger, shutdown: CancellationToken) {
    runtime::serve_tarpc!(listener, RpcServer(logger).serve(), shutdown)
}
