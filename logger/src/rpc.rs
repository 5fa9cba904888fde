//! The tarpc server (`Logger::log_info`).

use protocol::{
    LogPayload, WorkerError,
    rpc::{Logger, LoggerRequest, LoggerResponse},
};
use tarpc::context::Context;
use tokio_util::sync::CancellationToken;

use crate::{
    service::{LOGGED, write_entry},
    store::LogStore,
};

/// The tarpc implementation of [`Logger`].
#[derive(Clone)]
pub struct RpcServer {
    store: LogStore,
}

impl Logger for RpcServer {
    async fn log_info(self, _: Context, entry: LogPayload) -> Result<String, WorkerError> {
        match write_entry(&self.store, entry).await {
            Ok(()) => Ok(LOGGED.to_owned()),
            Err(e) => {
                e.log();
                Err(e.into())
            }
        }
    }

    async fn ping(self, _: Context) -> String {
        protocol::PONG.to_owned()
    }
}

/// The logger's bound tarpc listener.
pub type RpcListener = runtime::rpc::RpcListener<LoggerRequest, LoggerResponse>;

/// Serves connections until `shutdown`; a connection's in-flight calls finish.
pub async fn serve(listener: RpcListener, store: LogStore, shutdown: CancellationToken) {
    runtime::serve_tarpc!(listener, RpcServer { store }.serve(), shutdown)
}
