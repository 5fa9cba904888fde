//! The tarpc server (`Logger::log_info`, `Logger::ping`).

use protocol::{
    Answer, LogPayload, PingPayload, Transport, Worker, WorkerError,
    rpc::{Logger as LoggerRpc, LoggerRequest, LoggerResponse},
};
use runtime::metrics::worker_call;
use tarpc::context::Context;
use tokio_util::sync::CancellationToken;

use crate::service::Logger;

/// The tarpc implementation of [`LoggerRpc`].
#[derive(Clone)]
pub struct RpcServer(Logger);

impl LoggerRpc for RpcServer {
    async fn log_info(self, _: Context, entry: LogPayload) -> Result<Answer, WorkerError> {
        worker_call(Worker::Logger, "log", Transport::Rpc, self.0.log(entry)).await
    }

    async fn ping(self, _: Context, payload: Option<PingPayload>) -> Result<Answer, WorkerError> {
        let ping = async { Ok(Logger::ping(payload).await) };
        worker_call(Worker::Logger, "ping", Transport::Rpc, ping).await
    }
}

/// The logger's bound tarpc listener.
pub type RpcListener = runtime::rpc::RpcListener<LoggerRequest, LoggerResponse>;

/// Serves connections until `shutdown`; a connection's in-flight calls finish.
pub async fn serve(listener: RpcListener, logger: Logger, shutdown: CancellationToken) {
    runtime::serve_tarpc!(listener, RpcServer(logger).serve(), shutdown)
}
